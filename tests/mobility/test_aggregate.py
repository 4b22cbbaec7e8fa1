import dask.dataframe as dd
import numpy as np
import pandas as pd
import pytest

from cibg_ds.errors import ParameterError
from cibg_ds.mobility import aggregate, segment_trips
from cibg_ds.mobility.aggregate import GridCells, _binned


@pytest.fixture(scope="module")
def table(kept):
    return aggregate(kept, cell="250m", by="hour")


def test_cells_bins_and_counts(kept, table):
    assert table["cell_id"].str.fullmatch(r"CRS3035RES250mN\d{7}E\d{7}").all()
    north = table["cell_id"].str.extract(r"N(\d+)E(\d+)").astype(int)
    assert (north % 250 == 0).all().all()
    assert table["hour"].between(0, 23).all()
    assert table["n_fixes"].sum() == len(kept)
    assert not table.duplicated(["cell_id", "hour"]).any()
    binned = _binned(kept, GridCells("250m"), "hour", "Europe/Brussels")
    groups = binned.groupby(["cell_id", "hour"])
    expected = pd.DataFrame(
        {
            "n_vehicles": groups["obu_id"].nunique(),
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
        lazy = aggregate(dd.from_pandas(kept, npartitions=6, sort=False), cell="250m", by="hour")
    pd.testing.assert_frame_equal(lazy, table, check_dtype=False)
