"""The shortcuts of :mod:`cibg_ds.mobility.tracks` give what pandas gives the long way."""

import numpy as np
import pandas as pd
import pytest

from cibg_ds import schema as s
from cibg_ds.crs import to_metric
from cibg_ds.mobility import stationary
from cibg_ds.mobility.tracks import (
    Tracks,
    gap_ns,
    nulls,
    project_runs,
    strings,
    table,
    times_ns,
    utc_array,
    utc_times,
)
from cibg_ds.mobility.units import column_values, unit_codes


def _fixes(ids) -> pd.DataFrame:
    n = len(ids)
    ts = pd.Timestamp("2026-11-03 08:00", tz="UTC") + pd.to_timedelta(np.arange(n) * 30, "s")
    return pd.DataFrame({"obu_id": ids, "ts": ts, "lat": 50.85 + np.arange(n) * 1e-4,
                         "lon": 4.35})  # fmt: skip


@pytest.mark.parametrize("dtype", ["str", "string", "object", "category"])
@pytest.mark.parametrize(
    "ids",
    [["b", "a", "c", "a", "b"], ["b", None, "a", None, "é"], [], ["a", "a", "b", "é", "é"],
     ["a"], ["a", "b", None], ["b", "b", "a", "a"], ["Z", "a", "a", "é"]],
)  # fmt: skip
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


@pytest.mark.parametrize("unit", ["s", "ms", "us", "ns"])
@pytest.mark.parametrize("zone", [None, "UTC", "Europe/London"])
@pytest.mark.parametrize("case", ["plain", "missing", "empty", "far"])
def test_times_in_ns_equal_to_ns(unit, zone, case):
    ts = pd.Series(
        pd.to_datetime(["2026-11-03 08:00:01", "2026-03-29 01:30:00", "1970-01-01 00:00:00"])
    )
    if case == "far":  # past what nanoseconds hold: to_ns decides (it raises)
        ts = pd.Series(pd.to_datetime(["2500-01-01", "1000-01-01"]).as_unit("s"))
    ts = ts.dt.as_unit(unit) if case != "far" or unit == "s" else ts
    if zone:
        ts = ts.dt.tz_localize(zone, ambiguous="NaT", nonexistent="NaT")
    if case == "missing":
        ts.iloc[1] = pd.NaT
    if case == "empty":
        ts = ts.iloc[:0]
    fixes = pd.DataFrame({"ts": ts, "x": 1})
    try:
        expected = s.to_ns(fixes["ts"])
    except Exception as error:
        with pytest.raises(type(error)):
            times_ns(fixes)
        return
    got = times_ns(fixes)
    assert got.dtype == np.int64 and got.flags.writeable
    np.testing.assert_array_equal(got, expected)


@pytest.mark.filterwarnings("error")  # pandas warns when it drops the zones of objects
def test_times_of_other_dtypes_go_through_to_ns():
    aware = pd.to_datetime(["2026-11-03 08:00", None], utc=True)
    fixes = pd.DataFrame({"ts": pd.Series(aware, dtype=object)})
    np.testing.assert_array_equal(times_ns(fixes), s.to_ns(fixes["ts"]))
    np.testing.assert_array_equal(s.to_ns(fixes["ts"]), s.to_ns(pd.Series(aware)))
    brussels = pd.Series(aware.tz_convert("Europe/Brussels"), dtype=object)
    np.testing.assert_array_equal(s.to_ns(brussels), s.to_ns(pd.Series(aware)))
    naive = pd.Series([pd.Timestamp("2026-11-03 08:00"), None], dtype=object)  # read as UTC
    np.testing.assert_array_equal(s.to_ns(naive), s.to_ns(pd.Series(aware)))


@pytest.mark.parametrize(
    "values",
    [["outside", "21004", "outside"], ["a", None, np.nan, "é"], [], [b"x", "y"], [1, "y"], [None]],
)
def test_strings_equal_pd_array(values):
    values = np.array(values, dtype=object)
    expected = pd.array(values, dtype=pd.StringDtype())
    got = strings(values)
    pd.testing.assert_extension_array_equal(got, expected)
    assert got._pa_array.type == expected._pa_array.type


def test_column_values_are_the_columns_read_only():
    fixes = _fixes(["a", "b", "b"]).assign(n=np.arange(3), w=pd.Categorical(["x", None, "x"]))
    for name in fixes.columns:
        values = column_values(fixes, name)
        if isinstance(values, np.ndarray):
            np.testing.assert_array_equal(values, fixes[name].to_numpy())
            assert values.dtype == fixes[name].dtype and not values.flags.writeable
        else:
            pd.testing.assert_extension_array_equal(values, fixes[name].array)


def test_runs_of_repeated_points_project_as_every_point():
    rng = np.random.default_rng(0)
    lon = np.repeat(4.3 + rng.normal(0, 0.05, 300), rng.integers(1, 6, 300))
    lat = np.repeat(50.8 + rng.normal(0, 0.05, 300), rng.integers(1, 6, 300))[: len(lon)]
    lon = lon[: len(lat)]
    lon[:10], lat[:10] = np.nan, 50.8  # missing, repeated
    lon[10:13], lat[10:13] = [0.0, -0.0, -0.0], [0.0, 0.0, -0.0]  # the bits count, not ==
    for a, b in ((lon, lat), (lon[:1], lat[:1]), (lon[:0], lat[:0]), (lon[::-1], lat[::-1])):
        x, y = project_runs(a, b)
        ex, ey = to_metric(a, b)
        np.testing.assert_array_equal(x, ex)
        np.testing.assert_array_equal(y, ey)
    assert np.array_equal(Tracks(_fixes(["a"] * 5).assign(lon=4.35), None).xy[0],
                          to_metric(np.full(5, 4.35), 50.85 + np.arange(5) * 1e-4)[0])  # fmt: skip


def _plain_candidates(tracks, window, max_diameter):
    """The candidates computed at every pair (the way before the bounds)."""
    lon, lat, starts = tracks.lon, tracks.lat, tracks.starts
    absolute = np.abs(lat)
    kx_lo, ky_hi = stationary._k_per_degree(np.maximum.reduceat(absolute, starts))
    kx_hi, ky_lo = stationary._k_per_degree(np.minimum.reduceat(absolute, starts))
    ratio = np.maximum(kx_hi, ky_hi) / np.minimum(kx_lo, ky_lo)
    bound = np.repeat(max_diameter * ratio * stationary.QUIET_MARGIN, tracks.ends - starts + 1)
    step = stationary._local_metres(lon[:-1], lat[:-1], lon[1:], lat[1:])
    loud = np.cumsum(np.concatenate(([0.0], step)) > bound)
    spanned = stationary._local_metres(lon[window], lat[window], lon, lat)
    rows = np.arange(len(lon))
    return np.flatnonzero((window < rows) & (loud == loud[window]) & (spanned <= bound))


@pytest.mark.parametrize("seed", range(12))
def test_candidates_equal_the_distances_at_every_pair(seed):
    rng = np.random.default_rng(seed)
    n = 500
    lat0 = [50.8, -33.0, 0.0, 89.99, -0.0005, 60.0][seed % 6]
    scale = [1e-5, 1e-4, 1e-3][seed % 3]
    lat = lat0 + np.cumsum(rng.normal(0, scale, n))
    lon = 4.3 + np.cumsum(rng.normal(0, scale, n))
    if seed % 4 == 0:
        lat[rng.integers(0, n, 3)] = np.nan
    if seed % 5 == 0:
        lat[rng.integers(0, n, 3)] = 95.0
    ts = pd.Timestamp("2026-11-03", tz="UTC") + pd.to_timedelta(
        np.cumsum(rng.integers(0, 90, n)), "s"
    )
    fixes = pd.DataFrame({"obu_id": rng.choice(["a", "b"], n), "ts": ts, "lat": lat, "lon": lon})
    for diameter, duration, gap in (
        (100.0, "3min", "5min"),
        (30.0, "1min", "2min"),
        (5.0, "20s", "1min"),
    ):
        tracks = Tracks(fixes, gap)
        window = stationary._windows(tracks, gap_ns(duration))
        expected = _plain_candidates(tracks, window, diameter)
        np.testing.assert_array_equal(stationary._candidates(tracks, window, diameter), expected)


def test_inside_the_region_equals_contains_on_every_point():
    import shapely

    from cibg_ds.mobility.geo import inside_region, region

    rng = np.random.default_rng(1)
    x, y = to_metric(rng.uniform(4.2, 4.55, 2000), rng.uniform(50.7, 50.95, 2000))
    x, y = np.concatenate([x, [np.nan, np.inf, 0.0]]), np.concatenate([y, [170_000.0, 0.0, np.nan]])
    expected = np.zeros(len(x), dtype=bool)
    finite = np.isfinite(x) & np.isfinite(y)
    expected[finite] = shapely.contains_xy(region(), x[finite], y[finite])
    assert 0 < expected.sum() < len(x)
    np.testing.assert_array_equal(inside_region(x, y), expected)


@pytest.mark.parametrize("seed", range(4))
def test_medians_of_runs_equal_a_pandas_groupby(seed):
    rng = np.random.default_rng(seed)
    values = rng.choice([0.0, -0.0, 1.5, 2.25, -3.0, 50.85, 50.850001], 400)
    if seed == 3:
        values[[7, 100]] = np.nan  # pandas skips them
    first = np.sort(rng.choice(390, 40, replace=False))
    last = np.minimum(first + rng.integers(0, 9, 40), np.r_[first[1:] - 1, 399])
    got = stationary._medians(values, first, last)
    run = np.repeat(np.arange(40), last - first + 1)
    members = np.concatenate([np.arange(a, b + 1) for a, b in zip(first, last, strict=True)])
    expected = pd.DataFrame({"run": run, "v": values[members]}).groupby("run")["v"].median()
    np.testing.assert_array_equal(got, expected.to_numpy())
    if seed != 3:  # the sign of a zero as one lexsort of all runs (the way before) gives it
        ordered = values[members][np.lexsort((values[members], run))]
        sizes, offsets = last - first + 1, np.r_[0, np.cumsum(last - first + 1)[:-1]]
        upper, lower = ordered[offsets + sizes // 2], ordered[offsets + (sizes - 1) // 2]
        before = np.where(sizes % 2 == 1, upper, (upper + lower) / 2)
        assert np.array_equal(np.signbit(got), np.signbit(before))
