"""Shared fixtures: the real reference data, a real Dask cluster, small simulated feeds."""

from __future__ import annotations

import datetime as dt
import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = ROOT.parent / "shared" / "data"
ON_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


def shared_file(name: str) -> Path:
    """A file of ../shared/data: skipped locally when absent, a failure on CI."""
    path = SHARED_DATA / name
    if not path.exists():
        if ON_CI:
            pytest.fail(f"{path} is missing on CI, where the shared data always exists")
        pytest.skip(f"{path} not present on this machine")
    return path


@pytest.fixture(autouse=True)
def _close_figures():
    """Close the figures a test drew (pyplot keeps every one open: memory, and a warning)."""
    yield
    if "matplotlib.pyplot" in sys.modules:
        sys.modules["matplotlib.pyplot"].close("all")


@pytest.fixture(scope="session")
def communes_geojson() -> Path:
    return shared_file("brussels_communes.geojson")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _dask_cli() -> str:
    candidate = Path(sys.executable).with_name("dask")
    return str(candidate) if candidate.exists() else shutil.which("dask")


class DaskProcesses:
    """A real ``dask scheduler`` and ``dask worker`` processes on 127.0.0.1 (with nannies)."""

    def __init__(self, logs: Path, workers: int = 2, memory_limit: str = "2GB", extra=()):
        self.logs, self.procs, self.workers = logs, [], []
        port = _free_port()
        self.address = f"tcp://127.0.0.1:{port}"
        self.cli = _dask_cli()
        self._spawn("scheduler", ["scheduler", "--host", "127.0.0.1", "--port", str(port),
                                  "--dashboard-address", f"127.0.0.1:{_free_port()}"])  # fmt: skip
        for i in range(workers):
            self.workers.append(self._spawn(f"w{i}", [
                "worker", self.address, "--nthreads", "1", "--memory-limit", memory_limit,
                "--name", f"w{i}", "--local-directory", str(logs / f"w{i}"), "--no-dashboard",
                *extra,
            ]))  # fmt: skip
        self.wait_for(workers)

    def _spawn(self, name: str, args: list[str]) -> subprocess.Popen:
        proc = subprocess.Popen([self.cli, *args], stdout=open(self.logs / f"{name}.log", "w"),
                                stderr=subprocess.STDOUT, start_new_session=True)  # fmt: skip
        self.procs.append(proc)
        return proc

    def wait_for(self, n: int, timeout: float = 60) -> None:
        from distributed import Client

        deadline = time.monotonic() + timeout
        while True:
            try:
                with Client(self.address, timeout="5s", set_as_default=False) as client:
                    if n:  # n == 0: a scheduler alone, once it answers
                        client.wait_for_workers(n, timeout=timeout)
                return
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.5)

    def stop(self) -> None:
        for proc in reversed(self.procs):
            if proc.poll() is None:
                proc.terminate()
        for proc in self.procs:
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()


@pytest.fixture(scope="session")
def dask_scheduler(tmp_path_factory):
    """Address of a real ``dask scheduler`` with two ``dask worker`` processes on 127.0.0.1."""
    cluster = DaskProcesses(tmp_path_factory.mktemp("dask-logs"))
    try:
        yield cluster.address
    finally:
        cluster.stop()


@pytest.fixture(scope="session")
def dask_client(dask_scheduler):
    """A client connected to the real scheduler (not the process default)."""
    from distributed import Client

    with Client(dask_scheduler, set_as_default=False) as client:
        yield client


@pytest.fixture(scope="session")
def sim_clean(tmp_path_factory, dask_client):
    """Three days (Friday to Sunday) of 300 trucks, clean."""
    from cibg_ds.synthetic import simulate

    out = tmp_path_factory.mktemp("sim") / "clean"
    return simulate(
        out, trucks=300, days=3, start="2026-11-06", seed=11, client=dask_client, progress=False
    )


@pytest.fixture(scope="session")
def sim_dirty(tmp_path_factory, dask_client):
    """One day of 300 trucks with injected faults."""
    from cibg_ds.synthetic import simulate

    out = tmp_path_factory.mktemp("sim") / "dirty"
    return simulate(
        out,
        trucks=300,
        days=1,
        start="2026-11-03",
        seed=5,
        dirty=True,
        client=dask_client,
        progress=False,
    )


@pytest.fixture(scope="session")
def two_days() -> pd.DataFrame:
    """Two days of 120 trucks (Tuesday and Wednesday), in feed order."""
    from cibg_ds.synthetic.feed import simulate_chunk
    from cibg_ds.synthetic.fleet import make_truck
    from cibg_ds.synthetic.network import build_network

    net = build_network()
    trucks = [make_truck(i, 9, net) for i in range(120)]
    days = [dt.date(2026, 11, 3), dt.date(2026, 11, 4)]
    frames = [simulate_chunk(trucks, d, 9, net, "k", "Europe/Brussels") for d in days]
    return pd.concat(frames, ignore_index=True)


@pytest.fixture(scope="session")
def kept(two_days) -> pd.DataFrame:
    """The two days after cleaning."""
    from cibg_ds.mobility import clean

    return clean(two_days)[0]


#: Slow kinds of test, by file, so that ``make test-fast`` (``-m "not (notebooks or ...)"``)
#: leaves them out; the marker descriptions are in pyproject.toml.
SLOW_FILES = {
    "test_notebooks.py": "notebooks",
    "test_notebooks_lang.py": "notebooks",
    "test_demo.py": "notebooks",
    "test_client_outputs.py": "notebooks",
    "test_jupyterlab.py": "browser",
    "test_faults.py": "faults",
    "test_interrupt.py": "faults",
}


def pytest_collection_modifyitems(config, items):
    for item in items:
        marker = SLOW_FILES.get(item.path.name)
        if marker:
            item.add_marker(getattr(pytest.mark, marker))
