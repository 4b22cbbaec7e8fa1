"""What a run records: task records, the run result, the manifest, the log, ``latest``.

Everything here writes under ``reports/<pipeline>/<run-id>/`` or reads what an earlier run
wrote there; nothing runs a notebook.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import logging
import os
import re
from pathlib import Path

from cibg_ds.io.atomic import write_text_atomic
from cibg_ds.pipelines.model import Pipeline, Task
from cibg_ds.reports.bundle import quality_verdicts

STATE = ".state.json"
"""The last successful run and fingerprint of each task, beside the runs."""
OK = ("ok", "cached")


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
    """The outcome of :func:`~cibg_ds.pipelines.run_pipeline`."""

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


def now() -> str:
    """Return the UTC time to the second, ISO 8601 (as every record writes it)."""
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


def safe_name(name: str) -> str:
    """Return ``name`` as a file name (``profile[Saint-Gilles]`` -> ``profile_Saint-Gilles``)."""
    return "".join(ch if ch.isalnum() or ch in "-_." else "_" for ch in name).strip("_")


def write_json(path: Path, data) -> None:
    """Write ``data`` as indented JSON, atomically."""
    write_text_atomic(path, json.dumps(data, indent=2, default=str))


def outputs(run_dir: Path, task: Task) -> tuple[Path, Path]:
    """Return where ``task``'s executed notebook and its HTML rendering go in the run."""
    safe = safe_name(task.name)
    return run_dir / "notebooks" / f"{safe}.ipynb", run_dir / "html" / f"{safe}.html"


def log_path(run_dir: Path, task: Task) -> Path:
    """Return the file that holds what ``task``'s notebook wrote to stderr."""
    return run_dir / "logs" / f"{safe_name(task.name)}.log"


def task_parameters(task: Task, run_dir: Path) -> dict:
    """Return ``task``'s notebook parameters with ``${run}`` standing for ``run_dir``."""
    return json.loads(json.dumps(task.parameters).replace("${run}", str(run_dir)))


def logger(run_dir: Path, log_file: str | None) -> logging.Logger:
    """Return the run's logger: ``run.log`` and the terminal (or ``log_file``)."""
    log = logging.getLogger(f"cibg_ds.pipelines.{run_dir.name}")
    log.setLevel(logging.INFO)
    log.handlers.clear()
    log.propagate = False
    fmt = logging.Formatter("%(asctime)s %(levelname)s %(message)s")
    targets = [logging.FileHandler(run_dir / "run.log")]
    targets.append(logging.FileHandler(log_file) if log_file else logging.StreamHandler())
    for handler in targets:
        handler.setFormatter(fmt)
        log.addHandler(handler)
    return log


def git_commit(root: Path) -> dict | None:
    """Return the git commit of ``root`` and whether its tracked files had changes, if any."""
    import subprocess

    def git(*args: str) -> str:
        done = subprocess.run(["git", "-C", str(root), *args], capture_output=True, text=True,
                              timeout=10, check=True)  # fmt: skip
        return done.stdout.strip()

    try:
        head = git("rev-parse", "HEAD")
        dirty = git("status", "--porcelain", "--untracked-files=no")
    except (OSError, subprocess.SubprocessError):
        return None
    return {"commit": head, "dirty": bool(dirty)} if head else None


_DASHBOARD = re.compile(r"Dask: [^;\n]*; dashboard (https?://\S+)")


def dashboard(text: str) -> str | None:
    """Return the dashboard link ``cibg_ds.get_client`` printed (to stderr), if any."""
    match = _DASHBOARD.search(text)
    return match.group(1) if match else None


def quality_summaries(run_dir: Path) -> dict:
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
            source = (data.get("provenance") or {}).get("source")
            if source:  # which data set: its folder in the run, never an absolute path
                where = Path(source)
                inside = where.is_relative_to(run_dir) and where != run_dir
                summary["data"] = str(where.relative_to(run_dir)) if inside else where.name
            alerts = (data.get("provenance") or {}).get("alerts")
            if alerts:  # drift alerts of a quality history (cibg_ds.quality.drift)
                keep = ("date", "measure", "observed", "expected", "sentence")
                summary["alerts"] = [{k: a.get(k) for k in keep} for a in alerts]
            out[str(path.relative_to(run_dir))] = summary
    return out


@dataclasses.dataclass
class RunInfo:
    """What the manifest says of the run itself, fixed when it starts."""

    started: str
    versions: dict
    commit: dict | None


def write_manifest(
    run_dir: Path, pipeline: Pipeline, status: str, info: RunInfo, records: dict, inputs: dict
) -> None:
    """Write ``manifest.json``: the run, every task's record, parameters and products."""
    manifest = {
        "pipeline": pipeline.name,
        "definition": str(pipeline.path),
        "run_id": run_dir.name,
        "status": status,
        "started": info.started,
        "ended": now() if status != "running" else None,
        "parameters": pipeline.parameters,
        "tasks": {n: dataclasses.asdict(r) for n, r in records.items()},
        "task_parameters": {n: task_parameters(t, run_dir) for n, t in pipeline.tasks.items()},
        "products": {n: list(t.products) for n, t in pipeline.tasks.items()},
        "agencies": {n: list(t.agencies) for n, t in pipeline.tasks.items() if t.agencies},
        "input_fingerprints": inputs,
        "versions": info.versions,
        "git": info.commit,
        "data_quality": quality_summaries(run_dir),
        "dask_scheduler": os.environ.get("DASK_SCHEDULER_ADDRESS"),
    }
    write_json(run_dir / "manifest.json", manifest)


def point_latest(root: Path, run_id: str) -> None:
    """Point ``root/latest`` at ``run_id`` (atomically)."""
    tmp = root / ".latest.tmp"
    if tmp.is_symlink() or tmp.exists():
        tmp.unlink()
    tmp.symlink_to(run_id)
    os.replace(tmp, root / "latest")


def resume_or_new(root: Path) -> Path:
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
