import numpy as np
import pandas as pd
import pytest

from cibg_ds.mobility import aggregate_roads, map_match
from cibg_ds.privacy import check_publishable, suppress
from tests.mobility.test_matching import fixes, line_roads


@pytest.fixture(scope="module")
def sample(kept):
    return kept[kept["obu_id"].isin(kept["obu_id"].drop_duplicates().head(25))]


@pytest.fixture(scope="module")
def table(sample):
    return aggregate_roads(sample, by="hour", matched=True)


def test_totals_equal_the_distances_along_the_matched_paths(sample, table):
    path = map_match(sample).path
    per_trip_km = path.groupby(["obu_id", "trip_id"])["length_m"].sum() / 1000
    assert table["vkm"].sum() == pytest.approx(per_trip_km.sum(), rel=1e-9)
    assert table["n_fixes"].sum() + table.attrs["unsnapped_fixes"] == len(sample)
    assert table["n_traversals"].sum() == len(path)
    assert not table.duplicated(["segment_id", "hour"]).any()
    # more roads than the fixes touch: those driven between fixes count too
    snapped = aggregate_roads(sample, by="hour")
    assert table["segment_id"].nunique() > snapped["segment_id"].nunique()
    assert ((table["n_fixes"] == 0) & (table["n_vehicles"] > 0)).any()
    assert ((table["n_traversals"] > 0) == (table["n_vehicles"] > 0)).all()


def test_same_columns_and_privacy_as_the_snapped_table(sample, table):
    snapped = aggregate_roads(sample, by="hour")
    assert set(snapped.columns) <= set(table.columns)
    published, report = suppress(table)
    assert report.cells == int((table["n_vehicles"] < 5).sum())
    assert check_publishable(published).ok


def test_edges_between_fixes_get_vehicles_km_and_speeds():
    roads = line_roads([(0, 0), (100, 0)], [(100, 0), (160, 0)], [(160, 0), (900, 0)])
    trucks = [fixes([60, 400, 700], [2, -1, 1], [0, 34, 64], unit=f"u{i}") for i in range(6)]
    table = aggregate_roads(pd.concat(trucks, ignore_index=True), roads=roads, matched=True)
    middle = table[table["segment_id"] == 11].iloc[0]
    assert middle["n_fixes"] == 0
    assert middle["n_vehicles"] == 6
    assert middle["vkm"] == pytest.approx(6 * 0.06)
    # 340 m in 34 s then 300 m in 30 s: 10 m/s on every edge driven whole
    assert middle["speed_mean"] == pytest.approx(36.0, rel=1e-6)
    assert np.isnan(table.loc[table["segment_id"] == 10, "speed_p85"]).all()  # 40 of 100 m


def test_dask_gives_the_same_table(sample, table, dask_client):
    import dask.dataframe as dd

    with dask_client.as_current():
        lazy = aggregate_roads(dd.from_pandas(sample, npartitions=3, sort=False), matched=True)
    pd.testing.assert_frame_equal(lazy, table)
    assert lazy.attrs == table.attrs
