"""The shortcuts of :mod:`cibg_ds.mobility.tracks` give what pandas gives the long way."""

import numpy as np
import pandas as pd
import pytest

from cibg_ds import schema as s
from cibg_ds.mobility.tracks import Tracks, gap_ns, nulls, table, utc_array, utc_times
from cibg_ds.mobility.units import unit_codes


def _fixes(ids) -> pd.DataFrame:
    n = len(ids)
    ts = pd.Timestamp("2026-11-03 08:00", tz="UTC") + pd.to_timedelta(np.arange(n) * 30, "s")
    return pd.DataFrame({"obu_id": ids, "ts": ts, "lat": 50.85 + np.arange(n) * 1e-4,
                         "lon": 4.35})  # fmt: skip


@pytest.mark.parametrize("dtype", ["str", "string", "object", "category"])
@pytest.mark.parametrize("ids", [["b", "a", "c", "a", "b"], ["b", None, "a", None, "é"], []])
def test_unit_codes_equal_pandas_sorted_factorize(ids, dtype):
    column = pd.Series(ids, dtype=dtype)
    codes, uniques = unit_codes(pd.DataFrame({"obu_id": column}))
    their_codes, their_uniques = pd.factorize(column, sort=True)
    np.testing.assert_array_equal(codes, their_codes)
    assert list(uniques) == list(their_uniques)


@pytest.mark.parametrize("column", [s.WEIGHT_CLASS, s.EURO_CLASS, s.OBU_ID])
@pytest.mark.parametrize("n", [0, 3])
def test_nulls_equal_an_array_of_nones(column, n):
    expected = pd.array([None] * n, dtype=s.PING_DTYPES[column])
    pd.testing.assert_extension_array_equal(nulls(column, n), expected)


def test_a_table_equals_the_frame_pandas_builds():
    ns = np.array([0, 10**9, 3 * 10**9], dtype=np.int64) + 1_700_000_000 * 10**9
    columns = {
        "obu_id": pd.array(["a", "b", None], dtype=pd.StringDtype()),
        "n": np.arange(3, dtype=np.int64),
        "start_ts": utc_array(ns.copy()),
        "x": np.array([0.5, np.nan, 2.0]),
        "y": np.array([1.0, 2.0, 3.0]),
        "weight_class": nulls(s.WEIGHT_CLASS, 3),
    }
    expected = pd.DataFrame({**columns, "start_ts": utc_times(ns)})
    built = table(columns)
    pd.testing.assert_frame_equal(built, expected, check_exact=True)
    assert list(built.dtypes) == list(expected.dtypes)
    assert built["start_ts"].tolist() == list(pd.to_datetime(ns, utc=True))
    pd.testing.assert_frame_equal(table({"a": [1, 2]}), pd.DataFrame({"a": [1, 2]}))


def test_gap_ns_caches_only_valid_hashable_gaps():
    assert gap_ns("5min") == gap_ns(300) == gap_ns(300.0) == 300 * 10**9
    assert gap_ns(pd.Timedelta("5min")) == 300 * 10**9
    with pytest.raises(Exception, match="gap must be a positive duration"):
        gap_ns([5])
    with pytest.raises(Exception, match="min_duration must be a positive duration"):
        gap_ns("-1min", "min_duration")


@pytest.mark.parametrize("order", ["sorted", "shuffled", "duplicated"])
def test_the_ids_of_rows_equal_the_sorted_fixes_ids(order):
    fixes = _fixes(["u2", "u1", "u10", "u1", "u2", "u2"] * 3)
    if order == "shuffled":
        fixes = fixes.sample(frac=1, random_state=0)
    elif order == "duplicated":
        fixes = pd.concat([fixes, fixes.iloc[::2]])
    tracks = Tracks(fixes, "5min")
    rows = np.arange(len(tracks))[::-1]
    expected = pd.array(tracks.df["obu_id"].array.take(rows), dtype=pd.StringDtype())
    pd.testing.assert_extension_array_equal(tracks.ids(rows), expected)
    assert tracks.column("lat").equals(tracks.df["lat"])
    np.testing.assert_array_equal(tracks.lat, tracks.df["lat"].to_numpy())
