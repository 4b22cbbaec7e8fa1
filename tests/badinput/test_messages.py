"""Messy files and wrong arguments: a clear message naming the culprit, never a traceback.

Cases already handled well stay here too, so that they stay handled.
"""

from __future__ import annotations

import fcntl
import gzip
import json
import warnings

import pandas as pd
import pytest

from cibg_ds.errors import InputError
from cibg_ds.io import read_pings
from tests.badinput.conftest import make_run, nothing_in, pings_frame, write_pings_csv

TIMES = ["2026-11-02T05:02:00Z", "2026-11-02T05:02:30Z", "2026-11-02T05:03:00Z"]


def _no_traceback(err: str) -> bool:
    return "Traceback" not in err and 'File "' not in err


# --- ping files ---------------------------------------------------------------------------
def _empty(p):
    p.write_text("")


def _header_only(p):
    p.write_text(",".join(pings_frame(TIMES).columns) + "\n")


def _misspelt(p):
    pings_frame(TIMES).rename(columns={"lat": "latitude"}).to_csv(p, index=False)


def _truncated_parquet(p):
    pings_frame(TIMES).to_parquet(p)
    p.write_bytes(p.read_bytes()[:40])


def _zero_rows_parquet(p):
    pings_frame(TIMES).iloc[:0].to_parquet(p)


def _naive_parquet(p):
    pings_frame(TIMES).assign(ts=pd.to_datetime(TIMES).tz_localize(None)).to_parquet(p)


def _non_utf8_deep(p):
    text = pings_frame(TIMES * 400).to_csv(index=False).encode()
    p.write_bytes(text[:-60] + b"\xe9" + text[-59:])  # a Latin-1 byte in the last rows


STRUCTURE = {
    "empty-csv": ("feed.csv", _empty, "the file is empty"),
    "header-only-csv": ("feed.csv", _header_only, "header but no rows"),
    "misspelt-column": ("feed.csv", _misspelt, "'lat'"),
    "truncated-parquet": ("feed.parquet", _truncated_parquet, "not a readable Parquet file"),
    "zero-row-parquet": ("feed.parquet", _zero_rows_parquet, "holds no rows"),
    "naive-parquet-ts": ("feed.parquet", _naive_parquet, "has no time zone"),
    "non-utf8-byte-deep-in-csv": ("feed.csv", _non_utf8_deep, "not UTF-8"),
}


@pytest.mark.parametrize("case", sorted(STRUCTURE))
def test_structural_faults_are_named(tmp_path, case):
    name, write, message = STRUCTURE[case]
    path = tmp_path / name
    write(path)
    with pytest.raises(InputError, match=message):
        read_pings(path).compute()


def test_a_missing_path_and_an_empty_folder_are_named(tmp_path):
    with pytest.raises(InputError, match="no such file or folder"):
        read_pings(tmp_path / "nope")
    (tmp_path / "empty").mkdir()
    with pytest.raises(InputError, match="no CSV or Parquet files found"):
        read_pings(tmp_path / "empty")


def test_csv_and_parquet_mixed_are_refused(tmp_path):
    write_pings_csv(tmp_path / "d" / "a.csv", TIMES)
    pings_frame(TIMES).to_parquet(tmp_path / "d" / "b.parquet")
    with pytest.raises(InputError, match="mixes CSV and Parquet"):
        read_pings(tmp_path / "d")


def test_parquet_files_whose_schemas_differ_are_named(tmp_path):
    frame = pings_frame(TIMES)
    (tmp_path / "d").mkdir()
    frame.to_parquet(tmp_path / "d" / "a.parquet")
    frame.assign(lat=frame["lat"].astype(float)).to_parquet(tmp_path / "d" / "b.parquet")
    with pytest.raises(InputError, match=r"b\.parquet: column types differ from .*a\.parquet: lat"):
        read_pings(tmp_path / "d")


@pytest.mark.parametrize(
    "write",
    [
        lambda p: pings_frame(TIMES).to_csv(p, index=False, encoding="utf-8-sig"),
        lambda p: pings_frame(TIMES).to_csv(p, index=False, lineterminator="\r\n"),
        lambda p: pings_frame(TIMES).to_csv(p, index=False, sep=";"),
        lambda p: pings_frame(TIMES).to_csv(p, index=False, sep="\t"),
        lambda p: pings_frame(TIMES).to_csv(p, index=False, sep="|"),
    ],
    ids=["bom", "crlf", "semicolon", "tab", "pipe"],
)
def test_csv_dialects_read_the_same(tmp_path, write):
    path = tmp_path / "feed.csv"
    write(path)
    got = read_pings(path).compute()
    expected = read_pings(write_pings_csv(tmp_path / "plain.csv", TIMES)).compute()
    pd.testing.assert_frame_equal(got, expected)


def test_gzip_csv_reads_the_same(tmp_path):
    path = tmp_path / "feed.csv.gz"
    with gzip.open(path, "wt") as fh:
        pings_frame(TIMES).to_csv(fh, index=False, sep=";")
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no "gzip compression does not support breaking apart"
        assert len(read_pings(path).compute()) == 3


def test_files_with_different_separators_are_named(tmp_path):
    write_pings_csv(tmp_path / "d" / "a.csv", TIMES)
    write_pings_csv(tmp_path / "d" / "b.csv", TIMES, sep=";")
    with pytest.raises(InputError, match=r"b\.csv: fields separated by ';', but by ','"):
        read_pings(tmp_path / "d")


def test_swapped_lat_lon_are_kept_and_rejected_by_the_suite(tmp_path):
    from cibg_ds.quality.quarantine import split_valid

    frame = pings_frame(TIMES)
    frame[["lat", "lon"]] = frame[["lon", "lat"]].to_numpy()
    frame.to_csv(tmp_path / "swapped.csv", index=False)
    clean, rejected = split_valid(read_pings(tmp_path / "swapped.csv").compute(), "pings")
    assert len(clean) + len(rejected) == 3 and len(rejected) == 3
    assert rejected["_rejected_by"].str.contains("lat").all()


# --- the command line ----------------------------------------------------------------------
def test_simulate_into_a_file_is_named(tmp_path, cli, dask_scheduler):
    target = tmp_path / "afile"
    target.write_text("mine")
    code, _, err = cli("simulate", "--out", target, "--trucks", 2, "--scheduler", dask_scheduler)
    assert code == 1 and "exists and is not a folder" in err and target.read_text() == "mine"


@pytest.mark.parametrize(
    "args, message",
    [
        (["--seed", "-1"], "--seed: must be an integer >= 0"),
        (["--trucks", "0"], "--trucks: must be a positive integer"),
        (["--days", "x"], "--days"),
    ],
    ids=["negative-seed", "no-trucks", "days-text"],
)
def test_simulate_usage_errors(tmp_path, cli, args, message):
    code, _, err = cli("simulate", "--out", tmp_path / "s", *args)
    assert code == 2 and message in err and nothing_in(tmp_path / "s")


def test_simulate_bad_start_date(tmp_path, cli, dask_scheduler):
    code, _, err = cli("simulate", "--out", tmp_path / "s", "--start", "2026-02-30",
                       "--scheduler", dask_scheduler)  # fmt: skip
    assert code == 2 and "start must be a date" in err and nothing_in(tmp_path / "s")


def test_a_scheduler_address_that_is_not_one(tmp_path, cli):
    code, _, err = cli("simulate", "--out", tmp_path / "s", "--scheduler", "127.0.0.1:notaport")
    assert code == 1 and "is not a Dask scheduler address" in err and _no_traceback(err)
    from cibg_ds.cluster import active_client

    assert active_client() is None  # no broken client left as the process default


def test_an_unwritable_log_is_a_usage_error(tmp_path, cli):
    from tests.pipelines.conftest import write_notebook, write_pipeline

    write_notebook(tmp_path / "step.ipynb")
    path = write_pipeline(tmp_path, "tasks:\n  a:\n    notebook: step.ipynb\n")
    code, _, err = cli("run", path, "--reports", tmp_path / "r", "--log", tmp_path / "no" / "x.log")
    assert code == 2 and "--log" in err and "cannot write there" in err
    assert nothing_in(tmp_path / "r")


def test_an_unparsable_settings_file_is_named(tmp_path, cli, monkeypatch):
    bad = tmp_path / "cibg_ds.toml"
    bad.write_text("k_anonymity = [\n")
    monkeypatch.setenv("CIBG_DS_CONFIG", str(bad))
    run = make_run(tmp_path, {"t.csv": "cell,n_vehicles\na,9\n"})
    code, _, err = cli("deliver", run, "--to", tmp_path / "out")
    assert code == 2 and f"{bad}: not valid TOML" in err and nothing_in(tmp_path / "out")


@pytest.mark.parametrize(
    "content, message",
    [("[1, 2]", "a suite is a JSON object"), ("{nope", "not a readable JSON suite"),
     ('{"name": "x", "expectations": 3}', "x.json")],
    ids=["list", "broken-json", "expectations-not-a-list"],
)  # fmt: skip
def test_a_bad_suite_file_is_a_usage_error(tmp_path, cli, content, message):
    suite = tmp_path / "x.json"
    suite.write_text(content)
    code, _, err = cli("validate", write_pings_csv(tmp_path / "f.csv", TIMES), "--suite", suite)
    assert code == 2 and message in err and _no_traceback(err)


def test_an_unknown_suite_name_is_a_usage_error(tmp_path, cli):
    code, _, err = cli("validate", tmp_path, "--suite", "pingz")
    assert code == 2 and "pingz" in err


def test_a_held_lock_exits_75_and_touches_nothing(tmp_path, cli):
    from tests.pipelines.conftest import write_notebook, write_pipeline

    write_notebook(tmp_path / "step.ipynb")
    path = write_pipeline(tmp_path, "name: t\ntasks:\n  a:\n    notebook: step.ipynb\n")
    (tmp_path / "r" / "t").mkdir(parents=True)
    with open(tmp_path / "r" / "t" / ".lock", "a+") as held:
        fcntl.flock(held, fcntl.LOCK_EX | fcntl.LOCK_NB)  # another run holds it
        code, _, err = cli("run", path, "--reports", tmp_path / "r")
    assert code == 75 and "already running" in err
    assert not list((tmp_path / "r" / "t").glob("2*"))


def test_deliver_of_a_folder_that_is_no_run(tmp_path, cli):
    code, _, err = cli("deliver", tmp_path, "--to", tmp_path / "out")
    assert code == 1 and "not a run directory" in err and nothing_in(tmp_path / "out")


def test_deliver_of_an_unfinished_run_is_refused(tmp_path, cli):
    run = make_run(tmp_path, {"t.csv": "cell,n_vehicles\na,9\n"})
    manifest = json.loads((run / "manifest.json").read_text())
    (run / "manifest.json").write_text(json.dumps({**manifest, "status": "running"}))
    code, _, err = cli("deliver", run, "--to", tmp_path / "out")
    assert code == 1 and "is running, not complete" in err and nothing_in(tmp_path / "out")


def test_a_report_under_a_file_is_named(tmp_path, cli, dask_scheduler):
    (tmp_path / "afile").write_text("mine")
    report = tmp_path / "afile" / "report.html"
    code, _, err = cli("validate", write_pings_csv(tmp_path / "f.csv", TIMES), "--suite", "pings",
                       "--report", report, "--scheduler", dask_scheduler)  # fmt: skip
    assert code == 1 and f"{report}: cannot write the report" in err and _no_traceback(err)
    assert (tmp_path / "afile").read_text() == "mine"


def test_a_kernel_that_always_dies_fails_after_bounded_retries(tmp_path, cli):
    from tests.pipelines.conftest import write_notebook, write_pipeline

    write_notebook(tmp_path / "step.ipynb")
    text = ("name: t\ntasks:\n  b:\n    notebook: step.ipynb\n    retries: 1\n"
            "    parameters: {out: \"${run}/b.csv\", die: 5}\n")  # fmt: skip
    code, out, _ = cli("run", write_pipeline(tmp_path, text), "--reports", tmp_path / "r")
    assert code == 1 and "failed   b: the kernel died" in out
    manifest = json.loads(next((tmp_path / "r" / "t").glob("2*/manifest.json")).read_text())
    assert manifest["tasks"]["b"]["attempts"] == 2 and manifest["status"] == "failed"
    assert not (tmp_path / "r" / "t" / "latest").exists()
