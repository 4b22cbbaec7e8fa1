"""Run one task's notebook with Papermill in the ``cibg-ds`` kernel and publish it.

A dead kernel is retried (``retries``), a failing cell is not; the executed notebook is kept,
errors included; what the notebook wrote to stderr goes to the task's log and the HTML
rendering (for clients) has no code.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from pathlib import Path

from cibg_ds.io.atomic import write_text_atomic
from cibg_ds.pipelines.model import Task
from cibg_ds.pipelines.record import (
    TaskRecord,
    dashboard,
    log_path,
    now,
    outputs,
    task_parameters,
)

ROOT = Path(__file__).resolve().parents[2]
KERNEL = "cibg-ds"

INTERRUPT_GRACE = 10.0
"""Seconds the kernels get to end their cell after Ctrl-C before they are terminated."""


def publish(notebook: Path, html: Path, log: Path, roots) -> list[str]:
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
        fh.write(f"{now()} {notebook.name}\n" + "".join(f"{line}\n" for line in lines))
    write_text_atomic(notebook, nbformat.writes(clean))
    write_text_atomic(html, scrub(notebook_html(clean), roots))
    return lines


def kernels() -> list:
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


def signal_kernels(sig) -> None:
    """Send ``sig`` to every kernel of this process."""
    import psutil

    for kernel in kernels():
        try:
            kernel.send_signal(sig)
        except psutil.Error:
            continue


def execute(
    task: Task, rec: TaskRecord, run_dir: Path, log, interrupted: Callable[[], bool]
) -> TaskRecord:
    """Run ``task``'s notebook into ``run_dir``, filling and returning ``rec``.

    Parameters
    ----------
    task : Task
        The task.
    rec : TaskRecord
        Its record in the run (attempts, status, error, files, times are set here).
    run_dir : Path
        The run directory (``${run}``).
    log : logging.Logger
        The run's logger.
    interrupted : callable
        Returns True once the run was stopped by Ctrl-C (no retry then).

    Returns
    -------
    TaskRecord
        ``rec``.
    """
    import nbclient.exceptions
    import papermill

    notebook, html = outputs(run_dir, task)
    notebook.parent.mkdir(parents=True, exist_ok=True)
    html.parent.mkdir(parents=True, exist_ok=True)
    rec.started, start = now(), time.perf_counter()
    log.info("start %s", task.name)
    tmp = notebook.with_name(f".{notebook.stem}.tmp.ipynb")
    while True:
        rec.attempts += 1
        try:
            papermill.execute_notebook(
                str(task.notebook), str(tmp), parameters=task_parameters(task, run_dir),
                kernel_name=KERNEL, cwd=str(ROOT), progress_bar=False, log_output=False,
            )  # fmt: skip
            rec.status, rec.error = "ok", None
            break
        except nbclient.exceptions.DeadKernelError as exc:
            rec.status = "failed"
            rec.error = {"kind": "dead kernel", "message": f"the kernel died ({exc})"}
            if rec.attempts > task.retries or interrupted():
                break
            log.warning("%s: kernel died, retry %d of %d", task.name, rec.attempts,
                        task.retries)  # fmt: skip
        except papermill.PapermillExecutionError as exc:
            rec.status = "failed"
            rec.error = {
                "kind": "cell error",
                "cell": exc.exec_count,
                "message": f"cell [{exc.exec_count}] raised {exc.ename}: {exc.evalue}",
            }
            break  # a failing cell fails again: never retried
    if interrupted() and rec.status == "failed":
        rec.status = "interrupted"
        rec.error = {"kind": "interrupted", "message": "stopped by Ctrl-C; resumed next run"}
    if tmp.exists():
        os.replace(tmp, notebook)  # kept, with the error, when the task failed
        rec.notebook = str(notebook.relative_to(run_dir))
    if rec.status == "ok":
        missing = [p for p in task.products if not (run_dir / p).exists()]
        if missing:
            rec.status = "failed"
            rec.error = {"kind": "missing product", "message": f"did not write {missing}"}
    if notebook.exists():
        task_log = log_path(run_dir, task)
        lines = publish(notebook, html, task_log, (run_dir, run_dir.resolve(), ROOT))
        rec.html = str(html.relative_to(run_dir))
        rec.log = str(task_log.relative_to(run_dir))
        rec.dask_dashboard = dashboard("\n".join(lines))
    rec.ended, rec.seconds = now(), time.perf_counter() - start
    return rec
