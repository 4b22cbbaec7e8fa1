"""Run one task's notebook with Papermill in the ``cibg-ds`` kernel and publish it.

A dead kernel is retried (``retries``), a failing cell is not; the executed notebook is kept,
errors included; what the notebook wrote to stderr goes to the task's log and the HTML
rendering (for clients) has no code.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import os
import threading
import time
from collections.abc import Callable
from pathlib import Path

from cibg_ds import resources
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

ROOT = resources.workdir()
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


_RESET = """\
_plt = __import__("sys").modules.get("matplotlib.pyplot")
if _plt is not None:
    _plt.close("all")
get_ipython().run_line_magic("reset", "-f")
get_ipython().execution_count = 1
"""
"""Make a kernel that ran a notebook as a new one for the next: no figure, no name, [1]."""


class KernelPool:
    """Warm kernels for the tasks of a run: at most one per job.

    The tasks of a fan-out (``foreach``, ``grid``) run the same notebook with other
    parameters; each after the first runs in a kernel that ran that notebook before (its
    imports done, its namespace, figures and execution count reset) instead of starting a
    kernel and importing everything again. With ``any_group`` (a ``dask: shared`` run, where
    every notebook reaches the same cluster) any task takes any idle kernel, one of its own
    group first. A kernel that died or ran a failing cell is never reused; one that no task
    left will want is shut down at once.

    Parameters
    ----------
    any_group : bool
        Let a task take a warm kernel another group's notebook ran.
    """

    def __init__(self, any_group: bool = False):
        self.idle: dict[str, list] = {}
        self.any_group = any_group
        self.lock = threading.Lock()

    def take(self, group: str):
        """Return a warm kernel manager (of ``group`` first), else a new one started."""
        with self.lock:
            warm = self.idle.get(group) or (
                next((kms for kms in self.idle.values() if kms), None) if self.any_group else None
            )
            km = warm.pop() if warm else None
        if km is not None and km.is_alive() and _reset(km):
            return km
        if km is not None:
            _shutdown(km)
        km = _manager()(kernel_name=KERNEL)
        # a kernel on 127.0.0.1 warns that TCP is unencrypted: errors only on the terminal
        quiet = ["--HistoryManager.hist_file=:memory:", "--IPKernelApp.log_level=ERROR"]
        km.start_kernel(cwd=str(ROOT), extra_arguments=quiet)
        return km

    def give(self, group: str, km, keep: bool) -> None:
        """Take back ``km`` after a task of ``group``; keep it warm when ``keep``, else end it."""
        while km.clients:  # Papermill's, which leaves a kernel it did not start running
            km.clients.pop().stop_channels()
        if keep and km.is_alive():
            with self.lock:
                self.idle.setdefault(group, []).append(km)
        else:
            _shutdown(km)

    def close(self) -> None:
        """Shut every idle kernel down."""
        with self.lock:
            kms = [km for group in self.idle.values() for km in group]
            self.idle.clear()
        for km in kms:
            _shutdown(km)


class SharedCluster:
    """One LocalCluster for the notebooks of a run, started when the first task runs.

    The notebooks reach it through ``DASK_SCHEDULER_ADDRESS`` (:func:`cibg_ds.get_client`):
    the workers start once and stay warm from one task to the next, instead of a cluster per
    notebook. Nothing starts when a scheduler is given already (that variable or the
    ``dask_scheduler_address`` setting) or when no task runs; after :meth:`close` the
    variable is as it was.
    """

    def __init__(self, log):
        self.log, self.cluster = log, None

    def start(self) -> None:
        """Start the cluster unless it runs or a scheduler is given (idempotent)."""
        from cibg_ds.config import get_settings

        if self.cluster is not None or os.environ.get("DASK_SCHEDULER_ADDRESS"):
            return
        if get_settings().dask_scheduler_address:
            return
        from distributed import LocalCluster

        from cibg_ds.cluster import local_cluster_kwargs, worker_environment

        with (
            contextlib.chdir(ROOT),
            worker_environment(),
        ):  # the workers work where the notebooks do
            # the scheduler runs in this process: its shuffle chatter would reach the terminal
            self.cluster = LocalCluster(**local_cluster_kwargs(), silence_logs=logging.ERROR)
        os.environ["DASK_SCHEDULER_ADDRESS"] = self.cluster.scheduler_address
        self.log.info("Dask: LocalCluster %s for the tasks of the run",
                      self.cluster.scheduler_address)  # fmt: skip

    def close(self) -> None:
        """Stop the cluster this object started, if any."""
        if self.cluster is not None:
            os.environ.pop("DASK_SCHEDULER_ADDRESS", None)
            self.cluster.close()
            self.cluster = None


@functools.cache
def _manager():
    """Return the class of a kernel manager that remembers the clients it made.

    Its clients are asynchronous, as those of the kernel managers Papermill makes itself:
    nbclient waits for a cell's output on an event loop that also checks, every second,
    that the kernel is alive. A blocking client would hold that loop in its wait, and a
    kernel that died in a cell (out of memory) would leave the task waiting for ever.
    """
    from jupyter_client.manager import KernelManager

    class PooledKernelManager(KernelManager):
        @property
        def clients(self) -> list:
            return self.__dict__.setdefault("_clients", [])

        def client(self, **kwargs):
            kc = super().client(**kwargs)
            self.clients.append(kc)
            return kc

    return functools.partial(
        PooledKernelManager, client_class="jupyter_client.asynchronous.AsyncKernelClient"
    )


def _reset(km) -> bool:
    """Reset a warm kernel through a blocking client of its own (see :func:`_manager`)."""
    from jupyter_client.blocking import BlockingKernelClient

    kc = BlockingKernelClient(**km.get_connection_info(session=True),
                              connection_file=km.connection_file, parent=km)  # fmt: skip
    kc.start_channels()
    try:
        kc.wait_for_ready(timeout=60)
        reply = kc.execute_interactive(_RESET, silent=True, store_history=False, timeout=60)
        return reply["content"]["status"] == "ok"
    except (RuntimeError, TimeoutError):
        return False
    finally:
        kc.stop_channels()


def _shutdown(km) -> None:
    try:
        km.shutdown_kernel(now=True)
    except (RuntimeError, OSError):  # gone already: nothing to end
        pass


def execute(
    task: Task,
    rec: TaskRecord,
    run_dir: Path,
    log,
    interrupted: Callable[[], bool],
    pool: KernelPool | None = None,
    keep: Callable[[], bool] = lambda: False,
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
    pool : KernelPool, optional
        Run in one of its kernels (started quiet, or warm from an earlier task); default a
        kernel papermill starts.
    keep : callable
        With ``pool``: returns True when a later task could take the kernel (asked once
        the task is done).

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
        km = pool.take(task.group) if pool is not None else None
        warm = {} if km is None else {"km": km}
        try:
            papermill.execute_notebook(
                str(task.notebook), str(tmp), parameters=task_parameters(task, run_dir),
                kernel_name=KERNEL, cwd=str(ROOT), progress_bar=False, log_output=False,
                **warm,
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
        finally:
            if km is not None:
                pool.give(task.group, km, rec.status == "ok" and not interrupted() and keep())
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
