"""What real clusters do to jobs: a worker killed mid-job, a worker out of memory, Ctrl-C.

Each test starts its own ``dask scheduler`` and ``dask worker`` processes (with nannies),
because it breaks them.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import dask.dataframe as dd
import pandas as pd
import pytest

from cibg_ds.errors import InputError
from cibg_ds.io import read_pings
from tests.conftest import ROOT, DaskProcesses

pytestmark = pytest.mark.cluster


@pytest.fixture
def cluster(tmp_path):
    procs = DaskProcesses(tmp_path, workers=2)
    try:
        yield procs
    finally:
        procs.stop()


def _scheduler_tasks(client) -> int:
    return client.run_on_scheduler(lambda dask_scheduler: len(dask_scheduler.tasks))


def _running_on_workers(client) -> int:  # cancelled tasks still running included
    return sum(client.run(lambda dask_worker: len(dask_worker.state.all_running_tasks)).values())


def test_a_worker_killed_mid_aggregation_does_not_change_the_result(cluster, kept):
    from distributed import Client

    from cibg_ds.mobility import aggregate

    data = pd.concat([kept] * 4, ignore_index=True)  # long enough to be cut in the middle
    expected = aggregate(data, cell="250m", by="hour", measures=("speed",))
    lazy = dd.from_pandas(data, npartitions=48, sort=False)
    out: dict = {}
    with Client(cluster.address, set_as_default=False) as client:

        def job():
            with client.as_current():
                out["table"] = aggregate(lazy, cell="250m", by="hour", measures=("speed",))

        thread = threading.Thread(target=job)
        thread.start()
        deadline = time.monotonic() + 60
        while _scheduler_tasks(client) < 10 and time.monotonic() < deadline:
            time.sleep(0.02)
        time.sleep(0.3)  # some partitions done, most not
        alive_at_kill = thread.is_alive()
        os.killpg(cluster.workers[0].pid, signal.SIGKILL)  # the worker and its nanny, gone
        thread.join(180)
    assert alive_at_kill, "the job finished before the worker was killed: make it longer"
    assert not thread.is_alive() and "table" in out
    pd.testing.assert_frame_equal(out["table"], expected, check_dtype=False)


def test_a_worker_out_of_memory_is_restarted_and_its_task_retried(tmp_path):
    from distributed import Client

    procs = DaskProcesses(tmp_path, workers=1, memory_limit="600MB")
    marker = tmp_path / "first-attempt"

    def greedy(marker: str) -> int:
        import pathlib
        import time

        import numpy as np

        if not pathlib.Path(marker).exists():  # the first attempt blows the memory limit
            pathlib.Path(marker).write_text("x")
            hog = np.ones((200, 1_000_000))  # 1.6 GB
            time.sleep(30)
            return int(hog.sum())
        return 42

    try:
        with Client(procs.address, set_as_default=False) as client:
            before = set(client.scheduler_info()["workers"])
            result = client.submit(greedy, str(marker), pure=False).result(timeout=120)
            after = set(client.scheduler_info()["workers"])
    finally:
        procs.stop()
    assert result == 42 and marker.exists()
    assert before and after and before != after  # the nanny started a new worker process
    log = (tmp_path / "w0.log").read_text()
    assert "memory" in log.lower()


def test_ctrl_c_leaves_no_half_written_product_and_a_clean_cluster(cluster, tmp_path):
    from distributed import Client

    out = tmp_path / "feed"
    cmd = [str(Path(sys.executable).with_name("cibg-ds")), "simulate", "--trucks", "6000",
           "--days", "3", "--out", str(out), "--scheduler", cluster.address]  # fmt: skip
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)  # fmt: skip
    deadline = time.monotonic() + 120
    while not list(out.glob("date=*/part-*.parquet")) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert proc.poll() is None, "the simulation ended before it could be interrupted"
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 130, err
    assert "interrupted" in err
    assert not (out / "_meta" / "manifest.json").exists()  # the dataset says it is incomplete
    with pytest.raises(InputError, match="incomplete simulated dataset"):
        read_pings(out)  # and cannot be read as if it were whole
    left = sorted(out.rglob("*"))
    for part in out.glob("date=*/*"):
        assert part.suffix == ".parquet" and not part.name.startswith("."), part
        pd.read_parquet(part)  # every file there is whole
    with Client(cluster.address, set_as_default=False) as client:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            leftovers = _scheduler_tasks(client)
            held = sum(len(keys) for keys in client.has_what().values())
            running = _running_on_workers(client)
            if leftovers == 0 and held == 0 and running == 0:
                break
            time.sleep(0.5)
        assert leftovers == 0 and held == 0  # nothing running, nothing held for anyone
        assert running == 0  # not even a cancelled task still writing its part
        assert len(client.scheduler_info()["workers"]) == 2
    assert sorted(out.rglob("*")) == left  # nothing was written after the command returned
