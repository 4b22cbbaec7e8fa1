"""Fingerprints of tasks and their inputs, and reuse of an unchanged task's last outputs.

A task's fingerprint covers its notebook's bytes, its parameters, its upstream tasks'
fingerprints and the files it reads from outside the run; a task whose fingerprint equals
that of its last success is not run again: its outputs are copied from that run.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

from cibg_ds.pipelines.execute import ROOT
from cibg_ds.pipelines.model import Task
from cibg_ds.pipelines.record import log_path, outputs


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


def where_read(item: str) -> Path:
    """Return the file a path names: as given, else beside the notebooks (their cwd)."""
    path = Path(item).expanduser()
    return path if path.is_absolute() or path.exists() else ROOT / path


def parameter_files(parameters) -> list[str]:
    """Return the existing files named in parameters (outside the run): they are inputs too."""
    if isinstance(parameters, dict):
        return [f for v in parameters.values() for f in parameter_files(v)]
    if isinstance(parameters, list):
        return [f for v in parameters for f in parameter_files(v)]
    if isinstance(parameters, str) and parameters.strip() and "${run}" not in parameters:
        try:
            return [parameters] if where_read(parameters).is_file() else []
        except (OSError, ValueError):  # not a path (too long, NUL)
            return []
    return []


def fingerprint(task: Task, upstream: dict[str, str | None], inputs: dict[str, str]) -> str:
    """Return ``task``'s fingerprint.

    Parameters
    ----------
    task : Task
        The task.
    upstream : dict
        The fingerprint of each upstream task, by name.
    inputs : dict
        Fingerprints of input files already computed in this run, by name as written; the
        outside inputs of ``task`` are added.

    Returns
    -------
    str
        A SHA-256 hex digest.
    """
    digest = hashlib.sha256()
    digest.update(file_fingerprint(task.notebook).encode())
    digest.update(json.dumps(task.parameters, sort_keys=True, default=str).encode())
    for up in sorted(upstream):
        digest.update(f"{up}={upstream[up]}".encode())
    for item in [*task.inputs, *parameter_files(task.parameters)]:
        if not item.startswith("${run}"):
            if item not in inputs:
                inputs[item] = file_fingerprint(where_read(item))
            digest.update(f"{item}={inputs[item]}".encode())
    return digest.hexdigest()


def record_inputs(task: Task, run_dir: Path, inputs: dict[str, str]) -> None:
    """Fingerprint into ``inputs`` the inputs ``task`` reads (run-relative when in the run)."""
    for item in task.inputs:
        key = item.removeprefix("${run}/")
        path = run_dir / key if item.startswith("${run}") else Path(item)
        if key not in inputs and path.exists():
            inputs[key] = file_fingerprint(path)


def reuse(task: Task, fingerprint: str, state: dict, run_dir: Path) -> bool:
    """Bring the outputs of the last successful run of ``task`` into ``run_dir``.

    Returns False (and copies nothing) when ``task`` changed since (``state`` holds its last
    success) or that run's outputs are gone.
    """
    last = state.get(task.name)
    if not last or last["fingerprint"] != fingerprint:
        return False
    source = run_dir.parent / last["run"]
    notebook, html = outputs(run_dir, task)
    rel = [notebook.relative_to(run_dir), html.relative_to(run_dir), *task.products]
    if not all((source / r).exists() for r in rel):
        return False
    log = log_path(run_dir, task).relative_to(run_dir)
    rel += [log] if (source / log).exists() else []
    if source != run_dir:
        for r in rel:
            _copy(source / r, run_dir / r)
    return True


def _copy(source: Path, target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    if source.is_dir():
        shutil.copytree(source, target, dirs_exist_ok=True)
    else:
        shutil.copy2(source, target)
