"""A quarantined row keeps the text the feed sent for every cell that did not parse."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from cibg_ds.io import read_pings
from cibg_ds.schema import PING_COLUMNS
from tests.badinput.conftest import pings_frame

pytestmark = pytest.mark.cluster

ROWS = 20


def _quarantine(tmp_path, cli, scheduler, column: str, text: str):
    """Validate a CSV whose row 7 holds ``text`` in ``column``; return (out, clean, rejected)."""
    times = pd.date_range("2026-11-02T08:00:00Z", periods=ROWS, freq="30s")
    frame = pings_frame(times.strftime("%Y-%m-%dT%H:%M:%SZ"))
    frame.loc[7, column] = text
    feed = tmp_path / "feed.csv"
    frame.to_csv(feed, index=False)
    q = tmp_path / "q"
    code, out, err = cli("validate", feed, "--suite", "pings", "--quarantine", q,
                         "--scheduler", scheduler)  # fmt: skip
    assert code == 1, err  # the suite fails: a null where none is allowed
    clean = pd.read_parquet(q / "clean")
    rejected = pd.read_parquet(q / "rejected")
    assert len(clean) + len(rejected) == ROWS, out  # rows in = clean + rejected
    return out, clean, rejected


def _only_rejected(rejected, column, text, reason):
    assert len(rejected) == 1
    row = rejected.iloc[0]
    assert pd.isna(row[column])  # the canonical column holds null ...
    assert json.loads(row["_raw_values"]) == {column: text}  # ... the feed's text is kept
    assert reason in row["_rejected_by"].split(";")


def _clean_schema_unchanged(tmp_path, clean):
    assert list(clean.columns) == list(PING_COLUMNS)  # no _raw_values, no _rejected_by
    assert list(read_pings(tmp_path / "q" / "clean").columns) == list(PING_COLUMNS)


def test_a_numeric_cell_reading_n_a_keeps_its_text(tmp_path, cli, dask_scheduler):
    _, clean, rejected = _quarantine(tmp_path, cli, dask_scheduler, "speed_kmh", "n/a")
    _only_rejected(rejected, "speed_kmh", "n/a", "speed_kmh_not_null")
    _clean_schema_unchanged(tmp_path, clean)


def test_an_unknown_euro_class_keeps_its_text(tmp_path, cli, dask_scheduler):
    _, clean, rejected = _quarantine(tmp_path, cli, dask_scheduler, "euro_class", "EURO6")
    _only_rejected(rejected, "euro_class", "EURO6", "euro_class_not_null")
    _clean_schema_unchanged(tmp_path, clean)


def test_an_unparsable_timestamp_keeps_its_text(tmp_path, cli, dask_scheduler):
    text = "2026-11-02T25:61:00Z"
    _, clean, rejected = _quarantine(tmp_path, cli, dask_scheduler, "ts", text)
    _only_rejected(rejected, "ts", text, "ts_not_null")
    _clean_schema_unchanged(tmp_path, clean)


def test_every_cell_that_failed_is_named_and_others_are_not(tmp_path):
    """Several bad cells in one row are all kept; blank cells and parsed cells are not."""
    times = pd.date_range("2026-11-02T08:00:00Z", periods=4, freq="30s")
    frame = pings_frame(times.strftime("%Y-%m-%dT%H:%M:%SZ"))
    frame.loc[1, ["lat", "euro_class"]] = ["50,85", 'EURO "6"']
    frame.loc[2, "heading_deg"] = ""  # missing, not a value that failed
    frame.to_csv(tmp_path / "f.csv", index=False)
    got = read_pings(tmp_path / "f.csv", keep_raw=True).compute()
    assert json.loads(got["_raw_values"].iloc[1]) == {"lat": "50,85", "euro_class": 'EURO "6"'}
    assert got["_raw_values"].drop(index=1).isna().all()
    assert list(read_pings(tmp_path / "f.csv").columns) == list(PING_COLUMNS)
