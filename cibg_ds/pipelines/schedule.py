"""The order of a run: ready tasks start in parallel (``jobs`` at a time), skips, Ctrl-C.

A task starts once every upstream task succeeded (or was reused); one whose upstream failed
is skipped; the task that heads the longest chain of work starts first
(:func:`critical_paths`). The state of every task is saved in the manifest as it changes.
"""

from __future__ import annotations

import concurrent.futures as cf
import contextlib
import signal
from pathlib import Path

from cibg_ds.pipelines import cache
from cibg_ds.pipelines.execute import (
    INTERRUPT_GRACE,
    ROOT,
    KernelPool,
    SharedCluster,
    execute,
    signal_kernels,
)
from cibg_ds.pipelines.model import Pipeline, Task
from cibg_ds.pipelines.record import (
    OK,
    STATE,
    RunInfo,
    TaskRecord,
    git_commit,
    log_path,
    now,
    outputs,
    write_json,
    write_manifest,
)


def critical_paths(pipeline: Pipeline) -> dict[str, float]:
    """Return, per task, the work on the longest chain of tasks that starts with it.

    A task counts 1 and each of the n tasks of a fan-out 1/n (together they share warm
    kernels and are one task's work, split), so the chain feeding a long report starts
    before the items of a fan-out, whatever the order the tasks were declared in.

    Parameters
    ----------
    pipeline : Pipeline

    Returns
    -------
    dict
        Task name -> the length of its longest downstream chain, itself included.
    """
    size: dict[str, int] = {}
    for task in pipeline.tasks.values():
        size[task.group] = size.get(task.group, 0) + 1
    below: dict[str, set[str]] = {name: set() for name in pipeline.tasks}
    for name, ups in pipeline.upstream.items():
        for up in ups:
            below[up].add(name)
    path: dict[str, float] = {}
    for name in reversed(list(pipeline.tasks)):  # topological order: the downstream first
        task = pipeline.tasks[name]
        path[name] = 1 / size[task.group] + max((path[d] for d in below[name]), default=0.0)
    return path


class Run:
    """One run of ``pipeline`` in ``run_dir``.

    Parameters
    ----------
    pipeline : Pipeline
        The loaded pipeline.
    run_dir : Path
        Its run directory.
    state : dict
        The last success of each task (``.state.json``), updated as tasks succeed.
    log : logging.Logger
        The run's logger.
    force : bool
        Run the selected tasks even when unchanged.
    jobs : int
        Tasks at the same time.
    """

    def __init__(self, pipeline: Pipeline, run_dir: Path, state: dict, log, force, jobs):
        self.p, self.dir, self.state, self.log = pipeline, run_dir, state, log
        self.force, self.jobs = force, jobs
        self.interrupted = False
        self.records = {name: TaskRecord(name) for name in pipeline.tasks}
        self.pending = dict(pipeline.tasks)
        # one cluster for every notebook: any task may run in any warm kernel
        self.kernels = KernelPool(any_group=pipeline.dask == "shared")
        self.cluster = SharedCluster(log) if pipeline.dask == "shared" else None
        self.inputs: dict[str, str] = {}
        self.path = critical_paths(pipeline)
        from cibg_ds.versions import show_versions

        # once: the manifest is saved often
        self.info = RunInfo(now(), show_versions(print_out=False), git_commit(ROOT))

    def execute(self, task: Task) -> TaskRecord:
        """Run ``task`` (in a worker thread) and return its record.

        Every kernel comes from the run's :class:`~cibg_ds.pipelines.execute.KernelPool`
        (started quiet); the tasks of a fan-out share warm ones, and in a ``dask: shared``
        run every task does; a kernel no pending task can take ends with its task.
        """
        return execute(
            task, self.records[task.name], self.dir, self.log, lambda: self.interrupted,
            self.kernels, lambda: self._wanted(task),
        )  # fmt: skip

    def _wanted(self, task: Task) -> bool:
        """Whether a pending task could run in the kernel ``task`` ran in."""
        pending = tuple(self.pending.values())
        return any(self.kernels.any_group or t.group == task.group for t in pending)

    def _priority(self, item) -> tuple[float, int, int]:
        name = item[0]
        return (-self.path[name], -len(self.p.downstream(name)), list(self.p.tasks).index(name))

    def _finished(self, future, name: str, done: int, total: int) -> None:
        rec = future.result()
        if rec.status == "ok":
            self.state[name] = {"fingerprint": rec.fingerprint, "run": self.dir.name}
            write_json(self.dir.parent / STATE, self.state)
            self.log.info("[%d/%d] ok %s (%.1f s)", done, total, name, rec.seconds)
        else:
            self.log.error("[%d/%d] %s %s: %s", done, total, rec.status.upper(), name,
                           rec.error["message"])  # fmt: skip

    def stop(self, running: dict) -> None:
        """After Ctrl-C: interrupt the kernels, record what still finishes, then end."""
        self.interrupted = True
        self.log.error("interrupted: stopping %d running task(s)", len(running))
        signal_kernels(signal.SIGINT)
        _, late = cf.wait(running, timeout=INTERRUPT_GRACE)
        if late:
            signal_kernels(signal.SIGTERM)
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
        """Run every task (or those in ``only``; the others are reused)."""
        pending = self.pending
        running: dict[cf.Future, str] = {}
        total, done = len(pending), 0
        # the kernels and the cluster end once every thread has given its own back
        with contextlib.ExitStack() as stack:
            stack.enter_context(contextlib.closing(self.kernels))
            if self.cluster is not None:
                stack.enter_context(contextlib.closing(self.cluster))
            pool = stack.enter_context(cf.ThreadPoolExecutor(self.jobs))
            while pending or running:
                # the task heading the longest chain first: the critical path is not
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
                    upstream = {u: self.records[u].fingerprint for u in self.p.upstream[name]}
                    rec.fingerprint = cache.fingerprint(task, upstream, self.inputs)
                    cache.record_inputs(task, self.dir, self.inputs)
                    selected = only is None or task.group in only or name in only
                    if (not selected or not self.force) and cache.reuse(
                        task, rec.fingerprint, self.state, self.dir
                    ):
                        rec.status = "cached"
                        notebook, html = outputs(self.dir, task)
                        rec.notebook = str(notebook.relative_to(self.dir))
                        rec.html = str(html.relative_to(self.dir))
                        if log_path(self.dir, task).exists():
                            rec.log = str(log_path(self.dir, task).relative_to(self.dir))
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
                    if self.cluster is not None:
                        self.cluster.start()  # once, when the first task runs
                    running[pool.submit(self.execute, task)] = name
                self.save("running")
                if not running:
                    continue
                for future in self._wait(running):
                    done += 1
                    self._finished(future, running.pop(future), done, total)

    def save(self, status: str) -> None:
        """Write the manifest with the run's ``status``."""
        write_manifest(self.dir, self.p, status, self.info, self.records, self.inputs)
