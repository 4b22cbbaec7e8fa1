"""The one way everything in cibg_ds gets a Dask client.

Order of precedence:

1. the client already active in this process (``distributed.default_client()``);
2. a scheduler address given as argument, else ``DASK_SCHEDULER_ADDRESS``, else the
   ``dask_scheduler_address`` setting (``CIBG_DS_DASK_SCHEDULER_ADDRESS`` or config file);
3. a new :class:`distributed.LocalCluster` on 127.0.0.1 sized to the machine.

Users of dask-gateway, dask-jobqueue or Kubernetes create their cluster as they usually do
and either make its client the default (``cluster.get_client()``) or export the scheduler
address; no cibg_ds code changes.
"""

from __future__ import annotations

import contextlib
import logging
import os
import sys
from collections.abc import Iterator
from typing import TYPE_CHECKING

from cibg_ds.config import get_settings
from cibg_ds.errors import ClusterError, ParameterError
from cibg_ds.frames import compute_frame, is_dask  # noqa: F401 - here since 0.1

if TYPE_CHECKING:
    from distributed import Client

log = logging.getLogger(__name__)


TASKS_SHUFFLE_MAX_PARTITIONS = 128


def shuffle_method(frame) -> str | None:
    """Choose how to shuffle a Dask frame of narrow rows (keys, ints, floats).

    The ``dataframe.shuffle.method`` Dask setting wins when set. Otherwise the in-memory
    task shuffle for up to 128 partitions (measured faster there:
    ``benchmarks/bench_aggregate.py``), and Dask's default (peer-to-peer, disk-backed,
    made for many partitions) beyond.
    """
    import dask

    chosen = dask.config.get("dataframe.shuffle.method", None)
    if chosen is not None:
        return chosen
    return "tasks" if frame.npartitions <= TASKS_SHUFFLE_MAX_PARTITIONS else None


WORKER_MALLOC = {"MALLOC_MMAP_THRESHOLD_": str(32 * 2**20)}
"""glibc ``malloc`` settings of the worker processes cibg_ds starts.

Dask starts workers with ``MALLOC_TRIM_THRESHOLD_=65536``, which also freezes glibc's
``mmap`` threshold at 128 KiB: every array above it is mapped fresh from the kernel and
unmapped when freed, so each temporary of a numpy kernel pays its page faults again
(in ``aggregate`` on 5 M fixes, half of the workers' CPU time was system time; map
matching the demo week on a worker spent 4.3 of 9 s in the kernel). Arrays up
to 32 MiB (the largest threshold glibc takes) come from the heap instead, and freed heap
memory is still trimmed. On a cluster of your own, set the same variable in
``distributed.nanny.pre-spawn-environ``.
"""


@contextlib.contextmanager
def worker_environment() -> Iterator[None]:
    """Start the worker processes of a LocalCluster built in this block with :data:`WORKER_MALLOC`.

    Values of ``distributed.nanny.pre-spawn-environ`` set by the user (or the process's
    environment variables) win.
    """
    import dask

    current = dask.config.get("distributed.nanny.pre-spawn-environ", None) or {}
    with dask.config.set({"distributed.nanny.pre-spawn-environ": {**WORKER_MALLOC, **current}}):
        yield


def machine_size() -> tuple[int, int]:
    """Return ``(cores, memory_bytes)`` usable by this process (cgroup-aware via distributed)."""
    from dask.system import CPU_COUNT
    from distributed.system import MEMORY_LIMIT

    return int(CPU_COUNT), int(MEMORY_LIMIT)


def local_cluster_kwargs(n_workers: int | None = None, memory_fraction: float = 0.8) -> dict:
    """Size a LocalCluster to the machine: one single-threaded worker process per core.

    Parameters
    ----------
    n_workers : int, optional
        Number of worker processes; default the number of cores.
    memory_fraction : float
        Share of the machine's memory given to the workers together.

    Returns
    -------
    dict
        Keyword arguments for :class:`distributed.LocalCluster`.
    """
    cores, memory = machine_size()
    n_workers = cores if n_workers is None else n_workers
    if not isinstance(n_workers, int) or n_workers < 1:
        raise ParameterError(f"n_workers must be a positive integer, got {n_workers!r}")
    if not 0 < memory_fraction <= 1:
        raise ParameterError(f"memory_fraction must be in (0, 1], got {memory_fraction!r}")
    return {
        "n_workers": n_workers,
        "threads_per_worker": max(1, cores // n_workers),
        "memory_limit": int(memory * memory_fraction / n_workers),
        "processes": True,
        "host": "127.0.0.1",
        "dashboard_address": "127.0.0.1:8787",
    }


def active_client() -> Client | None:
    """Return the process's default Dask client, or None when there is none."""
    from distributed import default_client

    try:
        return default_client()
    except ValueError:
        return None


def get_client(
    address: str | None = None,
    *,
    n_workers: int | None = None,
    timeout: str = "10s",
    quiet: bool = False,
    worker_timeout: float | None = None,
) -> Client:
    """Return a Dask client: the active one, one connected to ``address``, or a new local one.

    Parameters
    ----------
    address : str, optional
        Scheduler address such as ``tcp://10.0.0.5:8786``. Default: ``DASK_SCHEDULER_ADDRESS``,
        then the ``dask_scheduler_address`` setting; when all are empty a LocalCluster starts.
    n_workers : int, optional
        Worker processes of a new LocalCluster (default: one per core). Ignored otherwise.
    timeout : str
        How long to wait for a remote scheduler before giving up.
    quiet : bool
        Do not log the dashboard link.
    worker_timeout : float, optional
        Seconds to wait for a first worker of a remote scheduler (default the
        ``worker_timeout`` setting); a message says so while waiting.

    Returns
    -------
    distributed.Client
        Also the default client of the process from then on.

    Raises
    ------
    ClusterError
        When the scheduler at the address cannot be reached, or has no worker within
        ``worker_timeout``; the message names the address and where it came from.

    Examples
    --------
    In a notebook (the link goes to the Dask dashboard)::

        client = get_client()
        # Dask: new LocalCluster; dashboard http://127.0.0.1:8787/status
    """
    from distributed import Client

    client = active_client()
    if client is not None and address in (None, client.scheduler.address):
        how = "existing client"
    else:
        origin = "argument"
        if address is None:
            address = os.environ.get("DASK_SCHEDULER_ADDRESS") or None
            origin = "DASK_SCHEDULER_ADDRESS"
        if address is None:
            address = get_settings().dask_scheduler_address or None
            origin = "setting dask_scheduler_address"
        if address:
            _check_address(address, origin)
            try:
                client = Client(address, timeout=timeout, set_as_default=True)
            except (OSError, TimeoutError) as exc:
                raise ClusterError(
                    f"could not reach the Dask scheduler at {address!r} (from {origin}) "
                    f"within {timeout}: {exc}.\nStart one with `dask scheduler` and "
                    "`dask worker ADDRESS`, or unset it to use a local cluster."
                ) from None
            how = f"scheduler {address} (from {origin})"
            _wait_for_a_worker(client, address, origin, worker_timeout)
        else:
            with worker_environment():
                client = Client(**local_cluster_kwargs(n_workers), set_as_default=True)
            how = "new LocalCluster"
    log.info("Dask %s, dashboard %s", how, client.dashboard_link)
    if not quiet:
        print(f"Dask: {how}; dashboard {client.dashboard_link}", file=sys.stderr)
    return client


def _check_address(address: str, origin: str) -> None:
    """Refuse a malformed address before a Client is built (a failed one stays the default)."""
    from distributed.comm import parse_address, parse_host_port

    try:
        scheme, location = parse_address(address)
        if scheme in ("tcp", "tls"):
            parse_host_port(location)
    except ValueError as exc:  # 127.0.0.1:notaport
        raise ClusterError(
            f"{address!r} (from {origin}) is not a Dask scheduler address ({exc}); "
            "write it as tcp://HOST:PORT, e.g. tcp://127.0.0.1:8786"
        ) from None


def _worker_timeout(value: float | None = None) -> float:
    seconds = get_settings().worker_timeout if value is None else value
    if isinstance(seconds, bool) or not isinstance(seconds, (int, float)) or seconds <= 0:
        raise ParameterError(f"the worker timeout must be a number of seconds > 0, got {seconds!r}")
    return float(seconds)


def _workers(client) -> int:
    try:
        return len(client.scheduler_info(n_workers=-1).get("workers", {}))
    except TypeError:  # older distributed: no n_workers argument
        return len(client.scheduler_info().get("workers", {}))


def _wait_for_a_worker(client, address: str, origin: str, timeout: float | None) -> None:
    """Wait, saying so, until the scheduler has a worker; close and raise after ``timeout``."""
    if _workers(client):
        return
    seconds = _worker_timeout(timeout)
    print(f"Dask: the scheduler at {address} has no worker; waiting up to {seconds:g} s "
          "(--timeout, setting worker_timeout) ...", file=sys.stderr)  # fmt: skip
    try:
        client.wait_for_workers(1, timeout=seconds)
    except (TimeoutError, OSError):
        client.close()
        raise ClusterError(
            f"the Dask scheduler at {address!r} (from {origin}) has no worker after "
            f"{seconds:g} s; start one with `dask worker {address}`, or raise --timeout"
        ) from None


@contextlib.contextmanager
def client_session(address: str | None = None, **kwargs) -> Iterator[Client]:
    """Use :func:`get_client` for a block and close only what the block created.

    An existing client (the user's) is left open; a client or LocalCluster started here is
    closed on exit, also after an exception or Ctrl-C.

    Parameters
    ----------
    address : str, optional
        As in :func:`get_client`.
    **kwargs
        Passed to :func:`get_client`.

    Yields
    ------
    distributed.Client
    """
    before = active_client()
    client = get_client(address, **kwargs)
    try:
        yield client
    finally:
        if client is not before:
            client.close()


def compute(tasks: list, desc: str = "compute", progress: bool | None = None) -> list:
    """Compute Dask delayed objects in order, with a progress bar per finished task.

    On the active distributed client when there is one (the bar follows the workers),
    else with Dask's default scheduler.

    Parameters
    ----------
    tasks : list of dask.delayed.Delayed
    desc : str
        Label of the progress bar.
    progress : bool, optional
        Show the bar; default: when stderr is a terminal or inside Jupyter.

    Returns
    -------
    list
        The results, in the order of ``tasks``.
    """
    import dask
    from tqdm.auto import tqdm

    if progress is None:
        progress = sys.stderr.isatty() or "ipykernel" in sys.modules
    client = active_client()
    if client is None:
        return list(dask.compute(*tasks))
    from distributed import as_completed

    futures = client.compute(tasks)
    position = {f.key: i for i, f in enumerate(futures)}
    results: list = [None] * len(futures)
    seconds = _worker_timeout()
    with tqdm(total=len(futures), desc=desc, unit="task", disable=not progress) as bar:
        try:
            pending = as_completed(futures, loop=client.loop)
            for future in _watched(pending, client, desc, seconds):
                results[position[future.key]] = future.result()
                bar.update()
        except BaseException:  # an error or Ctrl-C: stop the rest, let started tasks end
            client.cancel(futures)
            _wait_for_running(client, {f.key for f in futures}, desc)
            raise
        client.cancel(futures)
    return results


def release_memory() -> None:
    """Give the memory this process has freed back to the system.

    glibc keeps the freed pages of its heap and pyarrow's pool (mimalloc) its freed blocks
    for later: after a task on a piece of a month of fixes a worker stays ~0.5-1 GB above
    what it holds. Called by the tasks of the large pieces (and on the workers after the
    report's computation); costs a few milliseconds. Does nothing where it cannot.
    """
    import ctypes
    import gc

    gc.collect()
    try:
        import pyarrow

        pyarrow.default_memory_pool().release_unused()
    except Exception:  # no pyarrow, or a pool without the call
        pass
    if sys.platform.startswith("linux"):
        try:
            ctypes.CDLL("libc.so.6").malloc_trim(0)
        except (OSError, AttributeError):  # not glibc
            pass


def release_workers_memory() -> None:
    """Run :func:`release_memory` on every worker of the active client (if any)."""
    client = active_client()
    if client is not None:
        with contextlib.suppress(Exception):  # a worker gone meanwhile: nothing to release
            client.run(release_memory)


def _running(keys: set, dask_worker=None) -> int:
    """Count the tasks of ``keys`` a worker is still running (cancelled ones included)."""
    return sum(ts.key in keys for ts in dask_worker.state.all_running_tasks)


def _wait_for_running(client, keys: set, desc: str, seconds: float = 120.0) -> None:
    """Wait until no worker runs a task of ``keys`` any more, for ``seconds`` at most.

    Cancelling a future does not stop a task a worker has started: a task writing files
    would go on writing, and leave its temporary files in view, after the caller returned.
    """
    import time

    deadline, told = time.monotonic() + seconds, False
    while time.monotonic() < deadline:
        try:
            running = sum(client.run(_running, keys).values())
        except Exception:  # the cluster is gone: nothing runs there any more
            return
        if not running:
            return
        if not told:
            print(f"{desc}: stopping; waiting for the {running} task(s) already running on "
                  "the workers to end", file=sys.stderr)  # fmt: skip
            told = True
        time.sleep(0.1)


def _watched(pending, client, desc: str, seconds: float):
    """Yield finished futures; raise when the cluster has had no worker for ``seconds``."""
    import time

    alone_since, asked = None, time.monotonic()
    while not pending.is_empty():
        batch = pending.next_batch(block=False)
        if batch:
            alone_since = None
            yield from batch
            continue
        # a finished task is taken within 50 ms; the scheduler is asked about its
        # workers (a round trip) every 0.2 s of waiting, as before
        if time.monotonic() - asked >= 0.2:
            asked = time.monotonic()
            if _workers(client):
                alone_since = None
            else:
                alone_since = alone_since or asked
                if asked - alone_since > seconds:
                    raise ClusterError(
                        f"{desc}: the Dask scheduler {client.scheduler.address} has had no "
                        f"worker for {seconds:g} s (all gone?); the job stopped. Start workers "
                        "and run it again, or raise --timeout"
                    )
        time.sleep(0.05)
