"""No wait without a message and a timeout: schedulers without workers, dead ones, bad ones.

One real ``dask scheduler`` without workers is shared by the module; the test that kills a
worker starts its own.
"""

from __future__ import annotations

import os
import signal
import threading
import time

import pytest

from cibg_ds.errors import ClusterError
from tests.badinput.conftest import write_pings_csv
from tests.conftest import DaskProcesses, _free_port

pytestmark = pytest.mark.cluster


@pytest.fixture(scope="module")
def lonely(tmp_path_factory):
    """A real scheduler with no worker at all."""
    procs = DaskProcesses(tmp_path_factory.mktemp("lonely"), workers=0)
    try:
        yield procs.address
    finally:
        procs.stop()


def test_validate_on_a_scheduler_without_workers_says_so_and_gives_up(tmp_path, cli, lonely):
    path = write_pings_csv(tmp_path / "feed.csv", ["2026-11-02T05:02:00Z"] * 3)
    code, _, err = cli("validate", path, "--suite", "pings", "--scheduler", lonely,
                       "--timeout", "1.5", "--quarantine", tmp_path / "q")  # fmt: skip
    assert code == 1 and "has no worker; waiting up to 1.5 s" in err
    assert "has no worker after 1.5 s" in err and "dask worker" in err
    assert not (tmp_path / "q").exists()


def test_simulate_on_a_scheduler_without_workers_writes_nothing(tmp_path, cli, lonely):
    code, _, err = cli("simulate", "--out", tmp_path / "sim", "--trucks", 3,
                       "--scheduler", lonely, "--timeout", "1")  # fmt: skip
    assert code == 1 and "has no worker after 1 s" in err and not (tmp_path / "sim").exists()


def test_the_setting_is_the_default_timeout(tmp_path, cli, lonely, monkeypatch):
    monkeypatch.setenv("CIBG_DS_WORKER_TIMEOUT", "1")
    code, _, err = cli("simulate", "--out", tmp_path / "sim", "--trucks", 3, "--scheduler", lonely)
    assert code == 1 and "waiting up to 1 s" in err


@pytest.mark.parametrize("value", ["0", "-3", "soon"])
def test_a_bad_timeout_is_a_usage_error(tmp_path, cli, value):
    code, _, err = cli("simulate", "--out", tmp_path / "sim", "--timeout", value)
    assert code == 2 and "seconds > 0" in err and not (tmp_path / "sim").exists()


def test_a_dead_scheduler_is_named(tmp_path, cli):
    address = f"tcp://127.0.0.1:{_free_port()}"  # nothing listens there
    code, _, err = cli("simulate", "--out", tmp_path / "sim", "--scheduler", address)
    assert code == 1 and f"could not reach the Dask scheduler at {address!r}" in err


def test_a_job_whose_only_worker_dies_stops_with_a_message(tmp_path, monkeypatch):
    import dask
    from distributed import Client

    from cibg_ds.cluster import compute

    monkeypatch.setenv("CIBG_DS_WORKER_TIMEOUT", "2")
    procs = DaskProcesses(tmp_path, workers=1)
    try:
        with Client(procs.address, set_as_default=False) as client, client.as_current():
            started = tmp_path / "started"

            def slow(marker):
                import pathlib
                import time

                pathlib.Path(marker).write_text("x")
                time.sleep(600)

            def kill_when_running():
                while not started.exists():
                    time.sleep(0.05)
                os.killpg(procs.workers[0].pid, signal.SIGKILL)  # worker and nanny gone

            killer = threading.Thread(target=kill_when_running, daemon=True)
            killer.start()
            began = time.monotonic()
            with pytest.raises(ClusterError, match="has had no worker for 2 s"):
                compute([dask.delayed(slow, pure=False)(str(started))], "slow", progress=False)
            assert time.monotonic() - began < 300  # it gave up; it did not wait for the task
    finally:
        procs.stop()
