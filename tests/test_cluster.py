import pytest
from distributed import Client

from cibg_ds.cluster import (
    WORKER_MALLOC,
    client_session,
    get_client,
    local_cluster_kwargs,
    machine_size,
)
from cibg_ds.errors import ClusterError, ParameterError


def _no_default_client():
    from distributed import default_client

    with pytest.raises(ValueError):
        default_client()


@pytest.mark.cluster
def test_get_client_connects_to_a_real_scheduler_given_as_argument(dask_scheduler, capsys):
    _no_default_client()
    with client_session(dask_scheduler) as client:
        assert client.scheduler.address == dask_scheduler
        assert len(client.scheduler_info()["workers"]) == 2
        assert client.submit(sum, [1, 2, 3]).result() == 6
        assert "dashboard" in capsys.readouterr().err
    _no_default_client()


@pytest.mark.cluster
def test_get_client_reads_dask_scheduler_address(dask_scheduler, monkeypatch):
    monkeypatch.setenv("DASK_SCHEDULER_ADDRESS", dask_scheduler)
    with client_session(quiet=True) as client:
        assert client.scheduler.address == dask_scheduler
        workers = client.scheduler_info()["workers"].values()
        assert sorted(w["name"] for w in workers) == ["w0", "w1"]


@pytest.mark.cluster
def test_an_active_client_is_reused_and_left_open(dask_scheduler):
    with Client(dask_scheduler) as mine:
        assert get_client(quiet=True) is mine
        with client_session(quiet=True) as client:
            assert client is mine
        assert mine.status == "running"


def test_unreachable_scheduler_names_address_and_origin(monkeypatch):
    monkeypatch.setenv("DASK_SCHEDULER_ADDRESS", "tcp://127.0.0.1:9")
    with pytest.raises(ClusterError, match=r"127\.0\.0\.1:9.*DASK_SCHEDULER_ADDRESS"):
        get_client(timeout="1s", quiet=True)


def test_local_cluster_is_sized_to_the_machine():
    cores, memory = machine_size()
    kwargs = local_cluster_kwargs()
    assert kwargs["n_workers"] == cores
    assert kwargs["n_workers"] * kwargs["threads_per_worker"] <= max(cores, kwargs["n_workers"])
    assert kwargs["n_workers"] * kwargs["memory_limit"] <= memory
    assert kwargs["host"] == "127.0.0.1"
    with pytest.raises(ParameterError, match=r"n_workers"):
        local_cluster_kwargs(0)


def test_local_cluster_starts_when_nothing_is_configured(monkeypatch):
    monkeypatch.delenv("DASK_SCHEDULER_ADDRESS", raising=False)
    with client_session(n_workers=1, quiet=True) as client:
        assert client.cluster is not None
        assert client.submit(lambda: 41 + 1).result() == 42
        link = client.dashboard_link
        (env,) = client.run(_malloc_environ).values()
    assert link.startswith("http://127.0.0.1:")
    # glibc reuses blocks up to 32 MiB; Dask's own trim threshold is kept
    assert env["MALLOC_MMAP_THRESHOLD_"] == str(WORKER_MALLOC["MALLOC_MMAP_THRESHOLD_"])
    assert "MALLOC_TRIM_THRESHOLD_" in env
    _no_default_client()


def _malloc_environ():
    import os

    return {k: v for k, v in os.environ.items() if k.startswith("MALLOC_")}


def test_a_configured_malloc_setting_of_the_workers_wins(monkeypatch):
    import dask

    monkeypatch.delenv("DASK_SCHEDULER_ADDRESS", raising=False)
    # the nanny leaves its pre-spawn variables in this process' environment, which wins
    monkeypatch.delenv("MALLOC_MMAP_THRESHOLD_", raising=False)
    with (
        dask.config.set({"distributed.nanny.pre-spawn-environ.MALLOC_MMAP_THRESHOLD_": 131072}),
        client_session(n_workers=1, quiet=True) as client,
    ):
        (env,) = client.run(_malloc_environ).values()
    assert env["MALLOC_MMAP_THRESHOLD_"] == "131072"


def test_shuffle_method_follows_the_setting_then_the_partition_count():
    import dask
    import dask.dataframe as dd
    import pandas as pd

    from cibg_ds.cluster import shuffle_method

    small = dd.from_pandas(pd.DataFrame({"a": range(10)}), npartitions=2)
    large = dd.from_pandas(pd.DataFrame({"a": range(1000)}), npartitions=200)
    assert shuffle_method(small) == "tasks" and shuffle_method(large) is None
    with dask.config.set({"dataframe.shuffle.method": "p2p"}):
        assert shuffle_method(small) == "p2p"


def test_release_memory_gives_back_and_never_fails():
    """Freed memory back to the system (glibc, pyarrow's pool): a no-op where it cannot."""
    from cibg_ds.cluster import release_memory, release_workers_memory

    assert release_memory() is None
    assert release_workers_memory() is None  # any active client's workers, else nothing
