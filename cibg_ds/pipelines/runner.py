"""Run a pipeline with Papermill: parallel tasks, skips, retries, run records, one at a time.

Each run leaves ``reports/<pipeline>/<run-id>/``: ``notebooks/`` (every executed notebook,
the immutable record, errors included), ``html/`` (renderings without code, for clients),
the products the tasks wrote, ``run.log`` and ``manifest.json``. ``reports/<pipeline>/latest``
points at the last complete run. A run that was interrupted or failed is resumed by the next
start: it reuses the run directory and skips what already finished.
"""

from __future__ import annotations

import concurrent.futures as cf
import dataclasses
import datetime as dt
import fcntl
import hashlib
import json
import logging
import os
import re
import shutil
import signal
import time
from pathlib import Path

from cibg_ds import resources
from cibg_ds.errors import CibgDsError, ParameterError
from cibg_ds.io.atomic import write_text_atomic
from cibg_ds.pipelines.model import Pipeline, Task, load_pipeline
from cibg_ds.reports.bundle import quality_verdicts

ROOT = resources.workdir()
KERNEL = "cibg-ds"
STATE = ".state.json"
LOCK = ".lock"
OK = ("ok", "cached")


class RunLocked(CibgDsError):
    """Another run of the same pipeline holds the lock."""


@dataclasses.dataclass
class TaskRecord:
    """What happened to one task in a run."""

    name: str
    status: str = "pending"
    """``ok``, ``cached`` (unchanged since its last success), ``failed``, ``skipped``."""
    attempts: int = 0
    started: str | None = None
    ended: str | None = None
    seconds: float | None = None
    fingerprint: str | None = None
    notebook: str | None = None
    html: str | None = None
    error: dict | None = None
    dask_dashboard: str | None = None
    """The Dask dashboard the notebook printed (``cibg_ds.get_client``), when it used Dask."""
    log: str | None = None
    """What the notebook wrote to stderr (logging, warnings, progress bars), in the run."""


@dataclasses.dataclass
class RunResult:
    """The outcome of :func:`run_pipeline`."""

    pipeline: str
    run_id: str
    run_dir: Path
    status: str
    tasks: dict
    quality: dict = dataclasses.field(default_factory=dict)
    """The data-quality summaries of the run (``manifest.json`` ``data_quality``)."""

    @property
    def exit_code(self) -> int:
        """0 when every task succeeded, 1 otherwise."""
        return 0 if self.status == "complete" else 1

    def summary(self) -> str:
        """One line per task, failures with the failing cell."""
        lines = [f"pipeline {self.pipeline}, run {self.run_id}: {self.status} ({self.run_dir})"]
        for rec in self.tasks.values():
            line = f"  {rec.status:<8} {rec.name}"
            if rec.seconds is not None and rec.status == "ok":
                line += f" ({rec.seconds:.1f} s)"
            if rec.error:
                line += f": {rec.error['message']}"
            lines.append(line)
        lines += [f"  {line}" for line in quality_verdicts(self.quality)]
        return "\n".join(lines)


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


def _safe(name: str) -> str:
    return "".join(ch if ch.isalnum() or ch in "-_." else "_" for ch in name).strip("_")


def _write_json(path: Path, data) -> None:
    write_text_atomic(path, json.dumps(data, indent=2, default=str))


def file_fingerprint(path: Path) -> str:
    """SHA-256 of a file's bytes, or of a folder's file names and bytes."""
    digest = hashlib.sha256()
    files = [path] if path.is_file() else sorted(p for p in path.rglob("*") if p.is_file())
    for file in files:
        digest.update(str(file.relative_to(path) if path.is_dir() else file.name).encode())
        with file.open("rb") as fh:
            for block in iter(lambda: fh.read(1 << 20), b""):
                digest.update(block)
    return digest.hexdigest()


def _where_read(item: str) -> Path:
    """Return the file a path names: as given, else beside the notebooks (their cwd)."""
    path = Path(item).expanduser()
    return path if path.is_absolute() or path.exists() else ROOT / path


def _parameter_files(parameters) -> list[str]:
    """Return the existing files named in parameters (outside the run): they are inputs too."""
    if isinstance(parameters, dict):
        return [f for v in parameters.values() for f in _parameter_files(v)]
    if isinstance(parameters, list):
        return [f for v in parameters for f in _parameter_files(v)]
    if isinstance(parameters, str) and parameters.strip() and "${run}" not in parameters:
        try:
            return [parameters] if _where_read(parameters).is_file() else []
        except (OSError, ValueError):  # not a path (too long, NUL)
            return []
    return []


class _Lock:
    """An exclusive, non-blocking lock file holding the owner's pid and start time."""

    def __init__(self, path: Path, pipeline: str):
        self.path, self.pipeline, self.fh = path, pipeline, None

    def __enter__(self):
        self.fh = self.path.open("a+")
        try:
            fcntl.flock(self.fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            self.fh.seek(0)
            owner = self.fh.read().strip() or "unknown process"
            self.fh.close()
            raise RunLocked(
                f"pipeline {self.pipeline!r} is already running ({owner}); this start does "
                "nothing. Wait for it to finish."
            ) from None
        self.fh.seek(0)
        self.fh.truncate()
        self.fh.write(f"pid {os.getpid()} since {_now()}")
        self.fh.flush()
        return self

    def __exit__(self, *exc):
        self.fh.seek(0)
        self.fh.truncate()
        fcntl.flock(self.fh, fcntl.LOCK_UN)
        self.fh.close()


def _logger(run_dir: Path, log_file: str | None) -> logging.Logger:
    logger = logging.getLogger(f"cibg_ds.pipelines.{run_dir.name}")
    logger.setLevel(logging.INFO)
    logger.handlers.clear()
    logger.propagate = False
    fmt = logging.Formatter("%(asctime)s %(levelname)s %(message)s")
    targets = [logging.FileHandler(run_dir / "run.log")]
    targets.append(logging.FileHandler(log_file) if log_file else logging.StreamHandler())
    for handler in targets:
        handler.setFormatter(fmt)
        logger.addHandler(handler)
    return logger


def _publish(notebook: Path, html: Path, log: Path, roots) -> list[str]:
    """Move the notebook's stderr (logs, warnings, progress, cluster) to ``log``; render HTML.

    The executed notebook keeps its results and errors; what went to stderr is appended to
    the task's log in the run record. The HTML (what clients read) has no code, loads nothing
    from a network and names no absolute path. Returns the lines moved.
    """
    import nbformat

    from cibg_ds.reports.export import notebook_html, scrub, split_streams

    clean, lines = split_streams(nbformat.read(notebook, as_version=4))
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("a", encoding="utf-8") as fh:
        fh.write(f"{_now()} {notebook.name}\n" + "".join(f"{line}\n" for line in lines))
    write_text_atomic(notebook, nbformat.writes(clean))
    write_text_atomic(html, scrub(notebook_html(clean), roots))
    return lines


def _parameters_for(task: Task, run_dir: Path) -> dict:
    return json.loads(json.dumps(task.parameters).replace("${run}", str(run_dir)))


def _git_commit() -> dict | None:
    """Return the workbench's git commit and whether its tracked files had changes, if any."""
    import subprocess

    def git(*args: str) -> str:
        done = subprocess.run(["git", "-C", str(ROOT), *args], capture_output=True, text=True,
                              timeout=10, check=True)  # fmt: skip
        return done.stdout.strip()

    try:
        head = git("rev-parse", "HEAD")
        dirty = git("status", "--porcelain", "--untracked-files=no")
    except (OSError, subprocess.SubprocessError):
        return None
    return {"commit": head, "dirty": bool(dirty)} if head else None


INTERRUPT_GRACE = 10.0
"""Seconds the kernels get to end their cell after Ctrl-C before they are terminated."""


def _kernels() -> list:
    """Return this process's Jupyter kernels.

    They run in their own session, so a terminal's Ctrl-C does not reach them.
    """
    import psutil

    found = []
    for child in psutil.Process().children(recursive=True):
        try:
            if any("ipykernel" in part for part in child.cmdline()):
                found.append(child)
        except psutil.Error:  # gone meanwhile
            continue
    return found


def _signal_kernels(sig) -> None:
    import psutil

    for kernel in _kernels():
        try:
            kernel.send_signal(sig)
        except psutil.Error:
            continue


class _Run:
    def __init__(self, pipeline: Pipeline, run_dir: Path, state: dict, log, force, jobs):
        self.p, self.dir, self.state, self.log = pipeline, run_dir, state, log
        self.force, self.jobs = force, jobs
        self.interrupted = False
        self.records = {name: TaskRecord(name) for name in pipeline.tasks}
        self.inputs: dict[str, str] = {}
        self.started = _now()
        self.commit = _git_commit()
        from cibg_ds.versions import show_versions

        self.versions = show_versions(print_out=False)  # once: the manifest is saved often

    # -- fingerprints -----------------------------------------------------------------
    def fingerprint(self, task: Task) -> str:
        digest = hashlib.sha256()
        digest.update(file_fingerprint(task.notebook).encode())
        digest.update(json.dumps(task.parameters, sort_keys=True, default=str).encode())
        for up in sorted(self.p.upstream[task.name]):
            digest.update(f"{up}={self.records[up].fingerprint}".encode())
        for item in [*task.inputs, *_parameter_files(task.parameters)]:
            if not item.startswith("${run}"):
                if item not in self.inputs:
                    self.inputs[item] = file_fingerprint(_where_read(item))
                digest.update(f"{item}={self.inputs[item]}".encode())
        return digest.hexdigest()

    def record_inputs(self, task: Task) -> None:
        """Fingerprint the inputs ``task`` reads (run-relative when inside the run)."""
        for item in task.inputs:
            key = item.removeprefix("${run}/")
            path = self.dir / key if item.startswith("${run}") else Path(item)
            if key not in self.inputs and path.exists():
                self.inputs[key] = file_fingerprint(path)

    # -- one task ---------------------------------------------------------------------
    def _outputs(self, task: Task) -> tuple[Path, Path]:
        safe = _safe(task.name)
        return self.dir / "notebooks" / f"{safe}.ipynb", self.dir / "html" / f"{safe}.html"

    def _log(self, task: Task) -> Path:
        return self.dir / "logs" / f"{_safe(task.name)}.log"

    def _reuse(self, task: Task, fingerprint: str) -> bool:
        """Bring the outputs of the last successful run of ``task`` into this run."""
        last = self.state.get(task.name)
        if not last or last["fingerprint"] != fingerprint:
            return False
        source = self.dir.parent / last["run"]
        notebook, html = self._outputs(task)
        rel = [notebook.relative_to(self.dir), html.relative_to(self.dir), *task.products]
        if not all((source / r).exists() for r in rel):
            return False
        log = self._log(task).relative_to(self.dir)
        rel += [log] if (source / log).exists() else []
        if source != self.dir:
            for r in rel:
                _copy(source / r, self.dir / r)
        return True

    def execute(self, task: Task) -> TaskRecord:
        import nbclient.exceptions
        import papermill

        rec = self.records[task.name]
        notebook, html = self._outputs(task)
        notebook.parent.mkdir(parents=True, exist_ok=True)
        html.parent.mkdir(parents=True, exist_ok=True)
        rec.started, start = _now(), time.perf_counter()
        self.log.info("start %s", task.name)
        tmp = notebook.with_name(f".{notebook.stem}.tmp.ipynb")
        while True:
            rec.attempts += 1
            try:
                papermill.execute_notebook(
                    str(task.notebook), str(tmp), parameters=_parameters_for(task, self.dir),
                    kernel_name=KERNEL, cwd=str(ROOT), progress_bar=False, log_output=False,
                )  # fmt: skip
                rec.status, rec.error = "ok", None
                break
            except nbclient.exceptions.DeadKernelError as exc:
                rec.status = "failed"
                rec.error = {"kind": "dead kernel", "message": f"the kernel died ({exc})"}
                if rec.attempts > task.retries or self.interrupted:
                    break
                self.log.warning("%s: kernel died, retry %d of %d", task.name, rec.attempts,
                                 task.retries)  # fmt: skip
            except papermill.PapermillExecutionError as exc:
                rec.status = "failed"
                rec.error = {
                    "kind": "cell error",
                    "cell": exc.exec_count,
                    "message": f"cell [{exc.exec_count}] raised {exc.ename}: {exc.evalue}",
                }
                break  # a failing cell fails again: never retried
        if self.interrupted and rec.status == "failed":
            rec.status = "interrupted"
            rec.error = {"kind": "interrupted", "message": "stopped by Ctrl-C; resumed next run"}
        if tmp.exists():
            os.replace(tmp, notebook)  # kept, with the error, when the task failed
            rec.notebook = str(notebook.relative_to(self.dir))
        if rec.status == "ok":
            missing = [p for p in task.products if not (self.dir / p).exists()]
            if missing:
                rec.status = "failed"
                rec.error = {"kind": "missing product", "message": f"did not write {missing}"}
        if notebook.exists():
            log = self._log(task)
            lines = _publish(notebook, html, log, (self.dir, self.dir.resolve(), ROOT))
            rec.html = str(html.relative_to(self.dir))
            rec.log = str(log.relative_to(self.dir))
            rec.dask_dashboard = _dashboard("\n".join(lines))
        rec.ended, rec.seconds = _now(), time.perf_counter() - start
        return rec

    # -- the DAG ----------------------------------------------------------------------
    def _priority(self, item) -> tuple[int, int]:
        name = item[0]
        return (-len(self.p.downstream(name)), list(self.p.tasks).index(name))

    def _finished(self, future, name: str, done: int, total: int) -> None:
        rec = future.result()
        if rec.status == "ok":
            self.state[name] = {"fingerprint": rec.fingerprint, "run": self.dir.name}
            _write_json(self.dir.parent / STATE, self.state)
            self.log.info("[%d/%d] ok %s (%.1f s)", done, total, name, rec.seconds)
        else:
            self.log.error("[%d/%d] %s %s: %s", done, total, rec.status.upper(), name,
                           rec.error["message"])  # fmt: skip

    def stop(self, running: dict) -> None:
        """After Ctrl-C: interrupt the kernels, record what still finishes, then end."""
        self.interrupted = True
        self.log.error("interrupted: stopping %d running task(s)", len(running))
        _signal_kernels(signal.SIGINT)
        _, late = cf.wait(running, timeout=INTERRUPT_GRACE)
        if late:
            _signal_kernels(signal.SIGTERM)
            _, late = cf.wait(late, timeout=INTERRUPT_GRACE)
        for future in [f for f in running if f not in late]:
            self._finished(future, running[future], 0, len(self.p.tasks))

    def _wait(self, running: dict) -> set:
        """Wait for a task to finish; on Ctrl-C stop the others first (see :meth:`stop`)."""
        try:
            return cf.wait(running, return_when=cf.FIRST_COMPLETED)[0]
        except KeyboardInterrupt:
            self.stop(running)
            raise

    def run(self, only: set[str] | None) -> None:
        pending = dict(self.p.tasks)
        running: dict[cf.Future, str] = {}
        total, done = len(pending), 0
        with cf.ThreadPoolExecutor(max_workers=self.jobs) as pool:
            while pending or running:
                # the task with most work waiting on it first: the critical path is not
                # queued behind a fan-out
                for name, task in sorted(pending.items(), key=self._priority):
                    if len(running) >= self.jobs:
                        break
                    ups = [self.records[u] for u in self.p.upstream[name]]
                    if any(u.status in ("failed", "skipped") for u in ups):
                        bad = next(u.name for u in ups if u.status in ("failed", "skipped"))
                        rec = self.records[name]
                        rec.status = "skipped"
                        rec.error = {
                            "kind": "upstream",
                            "message": f"upstream {bad} did not succeed",
                        }
                        del pending[name]
                        done += 1
                        self.log.info("[%d/%d] skipped %s (upstream %s)", done, total, name, bad)
                        continue
                    if not all(u.status in OK for u in ups):
                        continue
                    rec = self.records[name]
                    rec.fingerprint = self.fingerprint(task)
                    self.record_inputs(task)
                    selected = only is None or task.group in only or name in only
                    if (not selected or not self.force) and self._reuse(task, rec.fingerprint):
                        rec.status = "cached"
                        notebook, html = self._outputs(task)
                        rec.notebook = str(notebook.relative_to(self.dir))
                        rec.html = str(html.relative_to(self.dir))
                        if self._log(task).exists():
                            rec.log = str(self._log(task).relative_to(self.dir))
                        del pending[name]
                        done += 1
                        self.log.info("[%d/%d] unchanged %s", done, total, name)
                        continue
                    if not selected:
                        rec.status = "skipped"
                        rec.error = {"kind": "not selected", "message": "not in --only and never "
                                     "run successfully; run without --only first"}  # fmt: skip
                        del pending[name]
                        done += 1
                        continue
                    del pending[name]
                    running[pool.submit(self.execute, task)] = name
                self.save("running")
                if not running:
                    continue
                for future in self._wait(running):
                    done += 1
                    self._finished(future, running.pop(future), done, total)

    def save(self, status: str) -> None:
        manifest = {
            "pipeline": self.p.name,
            "definition": str(self.p.path),
            "run_id": self.dir.name,
            "status": status,
            "started": self.started,
            "ended": _now() if status != "running" else None,
            "parameters": self.p.parameters,
            "tasks": {n: dataclasses.asdict(r) for n, r in self.records.items()},
            "task_parameters": {n: _parameters_for(t, self.dir) for n, t in self.p.tasks.items()},
            "products": {n: list(t.products) for n, t in self.p.tasks.items()},
            "agencies": {n: list(t.agencies) for n, t in self.p.tasks.items() if t.agencies},
            "input_fingerprints": self.inputs,
            "versions": self.versions,
            "git": self.commit,
            "data_quality": _quality_summaries(self.dir),
            "dask_scheduler": os.environ.get("DASK_SCHEDULER_ADDRESS"),
        }
        _write_json(self.dir / "manifest.json", manifest)


_DASHBOARD = re.compile(r"Dask: [^;\n]*; dashboard (https?://\S+)")


def _dashboard(text: str) -> str | None:
    """Return the dashboard link ``cibg_ds.get_client`` printed (to stderr), if any."""
    match = _DASHBOARD.search(text)
    return match.group(1) if match else None


def _quality_summaries(run_dir: Path) -> dict:
    """Return the JSON summaries the quality notebooks wrote in this run, by file."""
    out = {}
    for path in sorted(run_dir.rglob("*.json")):
        if path.name == "manifest.json" or path.name.startswith("."):
            continue
        try:
            data = json.loads(path.read_text())
        except (ValueError, OSError):
            continue
        if isinstance(data, dict) and {"suite", "success"} <= set(data):
            summary = {k: data[k] for k in ("suite", "success", "rows") if k in data}
            quarantine = data.get("quarantine") or {}
            if "rejected" in quarantine:
                summary["rejected"] = quarantine["rejected"]
            alerts = (data.get("provenance") or {}).get("alerts")
            if alerts:  # drift alerts of a quality history (cibg_ds.quality.drift)
                summary["alerts"] = [a["sentence"] for a in alerts]
            out[str(path.relative_to(run_dir))] = summary
    return out


def _copy(source: Path, target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    if source.is_dir():
        shutil.copytree(source, target, dirs_exist_ok=True)
    else:
        shutil.copy2(source, target)


def _point_latest(root: Path, run_id: str) -> None:
    tmp = root / ".latest.tmp"
    if tmp.is_symlink() or tmp.exists():
        tmp.unlink()
    tmp.symlink_to(run_id)
    os.replace(tmp, root / "latest")


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
    with _Lock(root / LOCK, pipeline.name):
        state_path = root / STATE
        state = json.loads(state_path.read_text()) if state_path.exists() else {}
        run_dir = _resume_or_new(root)
        log = _logger(run_dir, log_file)
        log.info("run %s of %s in %s", run_dir.name, pipeline.name, run_dir)
        run = _Run(pipeline, run_dir, state, log, force, jobs)
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
            _point_latest(root, run_dir.name)
        quality = _quality_summaries(run_dir)
        for line in quality_verdicts(quality):
            (log.info if line.startswith("data quality: passed") else log.warning)(line)
        result = RunResult(pipeline.name, run_dir.name, run_dir, status, run.records, quality)
        with (run_dir / "run.log").open("a") as fh:
            fh.write(result.summary() + "\n")
        return result


def _resume_or_new(root: Path) -> Path:
    """Return the directory of an interrupted last run (to resume), else a new one."""
    runs = sorted(
        p
        for p in root.iterdir()
        if p.is_dir() and not p.is_symlink() and (p / "manifest.json").exists()
    )  # not ``latest``, a link to the last complete run
    if runs:
        last = json.loads((runs[-1] / "manifest.json").read_text())
        if last.get("status") in ("running", "interrupted"):  # a failed run stays as it was
            return runs[-1]
    run_id = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    run_dir = root / run_id
    suffix = 1
    while run_dir.exists():
        suffix += 1
        run_dir = root / f"{run_id}-{suffix}"
    run_dir.mkdir(parents=True)
    return run_dir
