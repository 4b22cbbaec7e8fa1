"""Run a pipeline with Papermill: parallel tasks, skips, retries, run records, one at a time.

Each run leaves ``reports/<pipeline>/<run-id>/``: ``notebooks/`` (every executed notebook,
the immutable record, errors included), ``html/`` (renderings without code, for clients),
the products the tasks wrote, ``run.log`` and ``manifest.json``. ``reports/<pipeline>/latest``
points at the last complete run. A run that was interrupted or failed is resumed by the next
start: it reuses the run directory and skips what already finished.

The parts: :mod:`~cibg_ds.pipelines.lock` (one run at a time),
:mod:`~cibg_ds.pipelines.record` (task records, manifest, log),
:mod:`~cibg_ds.pipelines.cache` (fingerprints, reuse of unchanged tasks),
:mod:`~cibg_ds.pipelines.execute` (one notebook through Papermill) and
:mod:`~cibg_ds.pipelines.schedule` (order and parallelism).
"""

from __future__ import annotations

import json
from pathlib import Path

from cibg_ds.errors import ParameterError
from cibg_ds.pipelines.cache import file_fingerprint
from cibg_ds.pipelines.lock import LOCK, RunLock, RunLocked
from cibg_ds.pipelines.model import load_pipeline
from cibg_ds.pipelines.record import (
    OK,
    STATE,
    RunResult,
    TaskRecord,
    logger,
    point_latest,
    quality_summaries,
    resume_or_new,
)
from cibg_ds.pipelines.schedule import Run
from cibg_ds.reports.bundle import quality_verdicts

__all__ = ["RunLocked", "RunResult", "TaskRecord", "file_fingerprint", "run_pipeline"]


def run_pipeline(
    path,
    overrides: dict | None = None,
    only=None,
    force: bool = False,
    jobs: int = 1,
    reports="reports",
    log_file: str | None = None,
) -> RunResult:
    """Run a pipeline; see the module docstring for what a run leaves behind.

    Parameters
    ----------
    path : path-like
        Pipeline YAML.
    overrides : dict, optional
        Pipeline parameters (``-p key=value``).
    only : iterable of str, optional
        Task names (or fan-out groups) to run; the others are reused from earlier runs.
    force : bool
        Run the selected tasks even when unchanged.
    jobs : int
        Tasks run at the same time (at least 1).
    reports : path-like
        Root of the run records.
    log_file : str, optional
        Log here instead of the terminal (scheduled runs).

    Returns
    -------
    RunResult

    Raises
    ------
    PipelineError
        For a definition or parameter that cannot run (before anything runs).
    RunLocked
        When another run of the pipeline is in progress.
    """
    if jobs < 1:
        raise ParameterError(f"--jobs must be at least 1, got {jobs}")
    pipeline = load_pipeline(path, overrides)  # every check, before anything runs
    only = set(only) if only else None
    if only:
        groups = {t.group for t in pipeline.tasks.values()} | set(pipeline.tasks)
        unknown = sorted(only - groups)
        if unknown:
            raise ParameterError(f"--only: unknown task(s) {unknown}; tasks are {sorted(groups)}")
    # resolved once, against the caller's working directory: the notebooks (which run in
    # the package root) get the same absolute ${run} as the runner
    root = Path(reports).expanduser().resolve() / pipeline.name
    root.mkdir(parents=True, exist_ok=True)
    with RunLock(root / LOCK, pipeline.name):
        state_path = root / STATE
        state = json.loads(state_path.read_text()) if state_path.exists() else {}
        run_dir = resume_or_new(root)
        log = logger(run_dir, log_file)
        log.info("run %s of %s in %s", run_dir.name, pipeline.name, run_dir)
        run = Run(pipeline, run_dir, state, log, force, jobs)
        try:
            run.run(only)
        except KeyboardInterrupt:
            run.save("interrupted")
            log.error("interrupted; start again to resume from what finished")
            raise
        ok = all(r.status in OK for r in run.records.values())
        status = "complete" if ok else "failed"
        run.save(status)
        if ok:
            point_latest(root, run_dir.name)
        quality = quality_summaries(run_dir)
        for line in quality_verdicts(quality) if quality else ():
            (log.info if line.startswith("data quality: passed") else log.warning)(line)
        result = RunResult(pipeline.name, run_dir.name, run_dir, status, run.records, quality)
        with (run_dir / "run.log").open("a") as fh:
            fh.write(result.summary() + "\n")
        return result
