"""The quarantine replaces an earlier one whole, and reads back with read_pings."""

from __future__ import annotations

import pandas as pd
import pytest

from cibg_ds.io import read_pings
from tests.badinput.conftest import pings_frame

pytestmark = pytest.mark.cluster


def _feed(folder, files: int, rows: int = 200, bad_file: bool = False):
    folder.mkdir(parents=True, exist_ok=True)
    for f in range(files):
        times = pd.date_range(f"2026-11-0{f + 2}T08:00:00Z", periods=rows, freq="30s")
        frame = pings_frame(times.strftime("%Y-%m-%dT%H:%M:%SZ"))
        if bad_file and f == files - 1:
            frame["lat"] = ""  # every row of this file is rejected
        frame.to_csv(folder / f"part{f}.csv", index=False)
    return folder


def _read_back(q):
    clean = read_pings(q / "clean").compute() if any((q / "clean").iterdir()) else []
    rejected = pd.read_parquet(q / "rejected") if any((q / "rejected").iterdir()) else []
    return len(clean), len(rejected)


def test_a_second_validation_replaces_the_first_quarantine_whole(tmp_path, cli, dask_scheduler):
    q = tmp_path / "q"
    big = _feed(tmp_path / "big", files=3)
    _, out, err = cli("validate", big, "--suite", "pings", "--quarantine", q,
                         "--scheduler", dask_scheduler)  # fmt: skip
    assert "= 600 rows" in out, err
    small = _feed(tmp_path / "small", files=1)
    _, out, err = cli("validate", small, "--suite", "pings", "--quarantine", q,
                         "--scheduler", dask_scheduler)  # fmt: skip
    assert "= 200 rows" in out, err
    clean, rejected = _read_back(q)
    assert clean + rejected == 200  # not 600: no stale part file of the first run
    assert not list(q.glob(".*"))  # no staging folder left


def test_an_entirely_rejected_partition_leaves_no_empty_file(tmp_path, cli, dask_scheduler):
    q = tmp_path / "q"
    feed = _feed(tmp_path / "feed", files=2, bad_file=True)
    code, out, err = cli("validate", feed, "--suite", "pings", "--quarantine", q,
                         "--scheduler", dask_scheduler)  # fmt: skip
    assert "= 400 rows" in out and code == 1, err  # the suite fails, the quarantine is whole
    assert all(len(pd.read_parquet(p)) for p in q.rglob("*.parquet"))
    clean, rejected = _read_back(q)
    assert clean + rejected == 400 and rejected >= 200


@pytest.mark.parametrize("intruder", ["clean/notes.txt", "rejected/sub/x.parquet"])
def test_a_quarantine_folder_with_other_files_is_not_replaced(tmp_path, cli, dask_scheduler,
                                                              intruder):  # fmt: skip
    q = tmp_path / "q"
    (q / intruder).parent.mkdir(parents=True)
    (q / intruder).write_text("mine")
    code, _, err = cli("validate", _feed(tmp_path / "f", 1), "--suite", "pings",
                       "--quarantine", q, "--scheduler", dask_scheduler)  # fmt: skip
    assert code == 1 and "holds files a quarantine does not write" in err
    assert (q / intruder).read_text() == "mine"


def test_a_quarantine_path_that_is_a_file_is_named(tmp_path, cli, dask_scheduler):
    q = tmp_path / "q"
    q.write_text("not a folder")
    code, _, err = cli("validate", _feed(tmp_path / "f", 1), "--suite", "pings",
                       "--quarantine", q, "--scheduler", dask_scheduler)  # fmt: skip
    assert code == 1 and str(q) in err and "Traceback" not in err
    assert q.read_text() == "not a folder"


def test_a_read_only_quarantine_folder_is_named_and_the_old_one_kept(tmp_path, cli,
                                                                     dask_scheduler):  # fmt: skip
    import os

    if os.geteuid() == 0:
        pytest.skip("root writes into read-only folders")
    q = tmp_path / "q"
    (q / "clean").mkdir(parents=True)
    (q / "clean" / "part-00000.parquet").write_bytes(b"old")
    q.chmod(0o555)
    try:
        code, _, err = cli("validate", _feed(tmp_path / "f", 1), "--suite", "pings",
                           "--quarantine", q, "--scheduler", dask_scheduler)  # fmt: skip
    finally:
        q.chmod(0o755)
    assert code == 1 and "cannot write the quarantine" in err
    assert (q / "clean" / "part-00000.parquet").read_bytes() == b"old"
