import dask.dataframe as dd
import numpy as np
import pandas as pd
import pytest

from cibg_ds.errors import ParameterError
from cibg_ds.mobility import aggregate, segment_trips
from cibg_ds.mobility.aggregate import MEASURES, GridCells, _binned


@pytest.fixture(scope="module")
def table(kept):
    return aggregate(kept, cell="250m", by="hour", measures=MEASURES)


def test_cells_bins_and_counts(kept, table):
    assert table["cell_id"].str.fullmatch(r"CRS3035RES250mN\d{7}E\d{7}").all()
    north = table["cell_id"].str.extract(r"N(\d+)E(\d+)").astype(int)
    assert (north % 250 == 0).all().all()
    assert table["hour"].between(0, 23).all()
    assert table["n_fixes"].sum() == len(kept)
    assert not table.duplicated(["cell_id", "hour"]).any()
    cells = GridCells("250m")
    binned = _binned(kept, cells, "hour", "Europe/Brussels")
    binned["cell_id"] = cells.label(binned["cell_id"])  # grouped on int codes, labelled once
    assert binned["unit_key"].nunique() == kept["obu_id"].nunique()  # one key per unit
    groups = binned.groupby(["cell_id", "hour"])
    expected = pd.DataFrame(
        {
            "n_vehicles": groups["unit_key"].nunique(),
            "speed_mean": groups["speed_kmh"].mean(),
            "speed_p85": groups["speed_kmh"].agg(lambda v: np.percentile(v, 85)),
        }
    )
    got = table.set_index(["cell_id", "hour"]).loc[expected.index]
    assert (got["n_vehicles"] == expected["n_vehicles"]).all()
    assert np.allclose(got["speed_mean"], expected["speed_mean"])
    assert np.allclose(got["speed_p85"], expected["speed_p85"])


def test_shares_and_vehicle_km(kept, table):
    with_fixes = table[table["n_fixes"] > 0]
    weights = with_fixes[["share_w_3.5-12t", "share_w_12-32t", "share_w_>32t"]].sum(axis=1)
    assert np.allclose(weights, 1.0)
    euro = with_fixes[[f"share_euro_{e}" for e in range(7)]].sum(axis=1)
    assert np.allclose(euro, 1.0)
    assert np.allclose(with_fixes["share_euro_le5"], 1 - with_fixes["share_euro_6"])
    countries = [c for c in table.columns if c.startswith("share_country_")]
    assert np.allclose(with_fixes[countries].sum(axis=1), 1.0)
    assert table["vkm"].sum() == pytest.approx(segment_trips(kept)["distance_km"].sum(), rel=1e-9)


@pytest.mark.parametrize(
    "by, columns",
    [
        ("daytype", ["daytype"]),
        ("date", ["date"]),
        ("weekday_hour", ["weekday", "hour"]),
        ("15min", ["bin"]),
    ],
)
def test_other_bins(kept, by, columns):
    out = aggregate(kept.head(20_000), cell="1km", by=by)
    assert list(out.columns[1 : 1 + len(columns)]) == columns
    assert out["cell_id"].str.startswith("CRS3035RES1000m").all()


def test_bad_cell_and_bin(kept):
    with pytest.raises(ParameterError, match="cell must be"):
        aggregate(kept.head(100), cell="300 feet")
    with pytest.raises(ParameterError, match="by must be"):
        aggregate(kept.head(100), by="fortnightly-ish")


@pytest.mark.cluster
def test_dask_gives_the_same_table(kept, table, dask_client):
    with dask_client.as_current():
        lazy = dd.from_pandas(kept, npartitions=6, sort=False)
        lazy = aggregate(lazy, cell="250m", by="hour", measures=MEASURES)
    pd.testing.assert_frame_equal(lazy, table, check_dtype=False)


def test_measures_leave_out_what_is_not_needed(kept, table):
    lean = aggregate(kept, cell="250m", by="hour", measures=("speed",))
    assert list(lean.columns) == [
        "cell_id", "hour", "n_fixes", "n_vehicles", "speed_mean", "speed_p85"
    ]  # fmt: skip
    full = table[table["n_fixes"] > 0].reset_index(drop=True)
    pd.testing.assert_frame_equal(lean, full[lean.columns], check_dtype=False)
    counts = aggregate(kept, cell="250m", by="hour", measures=())
    assert list(counts.columns) == ["cell_id", "hour", "n_fixes", "n_vehicles"]
    with pytest.raises(ParameterError, match=r"measures must be some of .*\[.noise.\] are not"):
        aggregate(kept, measures=("speed", "noise"))


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_group_quantiles_and_distinct_counts_equal_numpy(dtype):
    from cibg_ds.mobility.aggregate import (
        distinct_by_group,
        quantile_by_group,
        quantiles_by_group,
    )

    rng = np.random.default_rng(7)
    groups = rng.integers(0, 50, 5_000)
    values = rng.normal(20, 30, 5_000).astype(dtype).astype("float64")  # negatives too
    values[rng.random(5_000) < 0.05] = np.nan
    values[:10] = -0.0
    units = rng.integers(0, 40, 5_000).astype(str)
    for q in (0.5, 0.85, 0.95):
        got = quantile_by_group(groups, values, 52, q)
        want = [np.nanpercentile(values[groups == g], 100 * q) for g in range(50)]
        assert np.allclose(got[:50], want, rtol=0, atol=0) and np.isnan(got[50:]).all()
    together = quantiles_by_group(groups, values, 52, (0.5, 0.85, 0.95))  # one sort
    for q, got in zip((0.5, 0.85, 0.95), together, strict=True):
        np.testing.assert_array_equal(got, quantile_by_group(groups, values, 52, q))
    distinct = distinct_by_group(groups, units, 52)
    assert distinct.tolist() == [len(set(units[groups == g])) for g in range(52)]


def test_default_measures_leave_vkm_to_be_asked_for(kept, table):
    plain = aggregate(kept, cell="250m", by="hour")
    assert "vkm" not in plain.columns and "share_w_>32t" in plain.columns
    full = table[table["n_fixes"] > 0].reset_index(drop=True)
    pd.testing.assert_frame_equal(plain, full[plain.columns], check_dtype=False)


def test_shares_are_the_shares_of_fixes(kept, table):
    local = kept["ts"].dt.tz_convert("Europe/Brussels").dt.hour.astype("int8")
    cells = GridCells("250m")
    frame = pd.DataFrame({
        "cell_id": cells.label(cells(kept["lon"], kept["lat"])), "hour": local,
        "w": kept["weight_class"].astype("string"), "euro": kept["euro_class"],
        "country": kept["country"].astype("string"),
    })  # fmt: skip
    frame["other"] = ~frame["country"].isin(["BE", "NL", "FR", "DE", "PL"])
    groups = frame.groupby(["cell_id", "hour"])
    got = table[table["n_fixes"] > 0].set_index(["cell_id", "hour"])
    want = groups["w"].apply(lambda v: (v == "12-32t").mean())
    assert (got.loc[want.index, "share_w_12-32t"] == want).all()
    want = groups["euro"].apply(lambda v: (v.fillna(-1) <= 5).mean())
    assert (got.loc[want.index, "share_euro_le5"] == want).all()
    want = groups["other"].mean()
    assert (got.loc[want.index, "share_country_other"] == want).all()


@pytest.mark.cluster
@pytest.mark.parametrize(
    "by, measures",
    [("hour", ("speed",)), ("hour", None), ("weekday_hour", ("speed",)), ("daytype", ())],
)
def test_dask_buckets_give_the_pandas_table_exactly(kept, dask_client, by, measures):
    # fixes on the Canary Islands have 6-digit northings: their ids do not sort as their codes
    far = kept.head(3_000).assign(lon=lambda f: f["lon"] - 20.4, lat=lambda f: f["lat"] - 22.8)
    fixes = pd.concat([kept, far], ignore_index=True)
    kwargs = {"cell": "250m", "by": by} | ({} if measures is None else {"measures": measures})
    want = aggregate(fixes, **kwargs)
    assert want["cell_id"].str.startswith("CRS3035RES250mN9").any()
    with dask_client.as_current():
        got = aggregate(dd.from_pandas(fixes, npartitions=4, sort=False), **kwargs)
    pd.testing.assert_frame_equal(got, want, check_exact=True)
    keys = ["cell_id", *{"weekday_hour": ["weekday", "hour"]}.get(by, [by])]
    assert got[keys].equals(got[keys].sort_values(keys, ignore_index=True))  # as text


@pytest.mark.parametrize("cell", [1, "100m", "250m", "1km"])
def test_compiled_cells_are_pyprojs_cells(cell):
    from cibg_ds.mobility.grid import _to_grid, cell_codes, cell_size, projected_cell_codes
    from cibg_ds.mobility.laea import grid_cells

    rng = np.random.default_rng(11)
    lon, lat = rng.uniform(-30, 50, 400_000), rng.uniform(25, 80, 400_000)
    # points on cell corners (by pyproj's inverse) and a hair either side: the edge cases
    size = cell_size(cell)
    east = np.floor(rng.uniform(2.5e6, 6.5e6, 20_000) / size) * size
    north = np.floor(rng.uniform(1.5e6, 5.0e6, 20_000) / size) * size
    corners = _to_grid().transform(east, north, direction="INVERSE")
    hair = np.repeat([0.0, 1e-9, -1e-9, 1e-6, -1e-6], len(east))
    lon = np.r_[lon, np.tile(corners[0], 5) + hair, np.nan, 4.35, 200.0, -170.0]
    lat = np.r_[lat, np.tile(corners[1], 5) - hair, 50.0, np.nan, 50.0, 89.9]
    np.testing.assert_array_equal(cell_codes(lon, lat, cell), projected_cell_codes(lon, lat, cell))
    _, unsure = grid_cells(corners[0], corners[1], size, 2**31)
    assert unsure.all()  # a corner is left to pyproj


@pytest.mark.parametrize(
    "tz", ["Europe/Brussels", "UTC", "Asia/Kolkata", "America/St_Johns", "Australia/Lord_Howe"]
)
def test_local_hours_by_utc_hour_equal_pandas(tz):
    from cibg_ds.mobility.grid import time_bins

    rng = np.random.default_rng(5)
    low, high = pd.Timestamp("2015-01-01").value, pd.Timestamp("2027-01-01").value
    times = pd.to_datetime(rng.integers(low, high, 200_000), utc=True)
    # every minute around the changes of 2026 (30 March and 25 October, 01:00 UTC)
    changes = [pd.date_range(d, periods=300, freq="1min", tz="UTC")
               for d in ("2026-03-28 22:00", "2026-10-24 22:00")]  # fmt: skip
    for ts in (times, changes[0].append(changes[1]).as_unit("us")):
        ts = pd.Series(ts, index=np.arange(len(ts)) * 2)
        got = time_bins(ts, "hour", tz)
        want = ts.dt.tz_convert(tz).dt.hour.astype("int8")
        pd.testing.assert_series_equal(got["hour"], want.rename("hour"))
        local = time_bins(ts.dt.tz_convert("Europe/Brussels"), "hour", tz)
        pd.testing.assert_frame_equal(local, got)


@pytest.mark.cluster
@pytest.mark.parametrize("measures", [("speed",), ("speed", "shares"), ()])
def test_a_parquet_feed_read_in_part_gives_the_pandas_table(kept, dask_client, tmp_path,
                                                             measures):  # fmt: skip
    # aggregate selects the columns its measures need; read_pings reads only those
    from cibg_ds.io import read_pings, write_parquet_atomic
    from cibg_ds.mobility.aggregate import used_columns

    for k, part in enumerate(np.array_split(np.arange(len(kept)), 3)):
        write_parquet_atomic(kept.iloc[part], tmp_path / f"part-{k}.parquet")
    pings = read_pings(tmp_path, blocksize=1)
    assert pings.npartitions == 3
    want = aggregate(kept, cell="250m", by="hour", measures=measures)
    with dask_client.as_current():
        got = aggregate(pings, cell="250m", by="hour", measures=measures)
    pd.testing.assert_frame_equal(got, want, check_exact=True)
    used = used_columns(pings.columns, measures)
    assert len(used) < len(pings.columns)
    optimized = pings[used].optimize(fuse=False).expr  # the reader takes the selection
    assert [list(e.columns) for e in optimized.walk() if hasattr(e, "columns_operand")] == [used]
