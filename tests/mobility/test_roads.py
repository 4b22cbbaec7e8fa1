import dask.dataframe as dd
import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from cibg_ds.errors import ParameterError
from cibg_ds.mobility import RoadSnapper, aggregate_roads, default_roads, segment_trips
from cibg_ds.mobility.geo import to_lonlat


@pytest.fixture(scope="module")
def roads():
    return default_roads()


@pytest.fixture(scope="module")
def table(kept, roads):
    return aggregate_roads(kept, roads=roads, by="hour")


def test_snapping_agrees_with_geopandas_sjoin_nearest(kept, roads):
    sample = kept.sample(20_000, random_state=1)
    rows, distance = RoadSnapper(roads).snap(sample["lon"], sample["lat"])
    points = gpd.GeoDataFrame(
        geometry=gpd.points_from_xy(sample["lon"], sample["lat"]), crs=4326
    ).to_crs(31370)
    peer = gpd.sjoin_nearest(points, roads, max_distance=30, distance_col="d")
    # a point on a junction is equally near two segments: geopandas keeps both
    peer = peer[~peer.index.duplicated(keep=False)]
    ours = pd.Series(rows, index=points.index)
    assert (ours.loc[peer.index] == peer["index_right"]).all()
    assert np.allclose(distance[peer.index], peer["d"])
    unmatched = points.index.difference(peer.index.unique())
    assert set(np.flatnonzero(rows < 0)) <= set(unmatched)


def test_grid_snapping_equals_geos_bit_for_bit(kept, roads):
    # real fixes, and the same fixes thrown up to ~60 m off (many beyond the radius)
    rng = np.random.default_rng(3)
    sample = kept.sample(20_000, random_state=2)
    lon, lat = sample["lon"].to_numpy(), sample["lat"].to_numpy()
    jitter_lon = lon + rng.normal(0, 0.0004, len(lon))
    jitter_lat = lat + rng.normal(0, 0.0003, len(lat))
    # junctions: points exactly on segment ends, equally near several segments
    ends_x, ends_y = shapely.get_coordinates(roads.geometry.to_numpy()[:300]).T
    end_lon, end_lat = to_lonlat(ends_x, ends_y)
    snapper = RoadSnapper(roads)
    for x, y in [(lon, lat), (jitter_lon, jitter_lat), (end_lon, end_lat)]:
        rows, distance = snapper.snap(x, y)
        geos_rows, geos_distance = snapper.snap_geos(x, y)
        assert (rows >= 0).any()
        np.testing.assert_array_equal(rows, geos_rows)
        np.testing.assert_array_equal(distance, geos_distance)  # the same bits, NaN alike
    assert (snapper.snap(jitter_lon, jitter_lat)[0] < 0).any()  # some beyond the radius


def test_snapping_memo_answers_equal_copies(roads):
    snapper = RoadSnapper(roads)
    lon, lat = np.array([4.35, 4.36, 9.0]), np.array([50.85, 50.84, 40.0])
    rows, distance = snapper.snap(lon, lat)
    rows[:], distance[:] = -7, -7.0  # the caller's copy: the memo is untouched
    again, _ = RoadSnapper(roads).snap(lon.copy(), lat.copy())
    assert again[2] == -1 and (again != -7).all()
    moved, _ = snapper.snap(lon + 0.001, lat)  # other points: computed, not remembered
    np.testing.assert_array_equal(moved, snapper.snap_geos(lon + 0.001, lat)[0])


def test_radius_is_thirty_metres_and_a_parameter():
    line = gpd.GeoDataFrame(
        {"segment_id": [7]}, geometry=[shapely.LineString([(0, 0), (1000, 0)])], crs=31370
    )
    x = np.array([500.0, 500.0, 500.0])
    y = np.array([29.0, 31.0, -10.0])
    lon, lat = to_lonlat(148_000 + x, 170_000 + y)
    moved = line.set_geometry(line.translate(148_000, 170_000))
    ids = RoadSnapper(moved)(lon, lat)
    assert ids[0] == 7 and pd.isna(ids[1]) and ids[2] == 7
    assert RoadSnapper(moved, max_distance_m=40)(lon, lat)[1] == 7
    with pytest.raises(ParameterError, match="max_distance_m"):
        RoadSnapper(moved, max_distance_m=0)
    with pytest.raises(ParameterError, match="segment_id"):
        RoadSnapper(moved.rename(columns={"segment_id": "id"}))


def test_per_segment_table(kept, roads, table):
    assert table["n_fixes"].sum() + table.attrs["unsnapped_fixes"] == len(kept)
    assert not table.duplicated(["segment_id", "hour"]).any()
    assert set(table["segment_id"]) <= set(roads["segment_id"])
    assert (
        table["highway"] == table["segment_id"].map(roads.set_index("segment_id")["highway"])
    ).all()
    # the synthetic trucks drive on the network: every fix and every km lands on a road
    assert table.attrs["unsnapped_fixes"] == 0
    assert table["vkm"].sum() == pytest.approx(segment_trips(kept)["distance_km"].sum(), rel=1e-9)
    trunk = table[table["highway"].isin(["motorway", "trunk"])]
    assert trunk["n_vehicles"].max() > table[table["highway"] == "tertiary"]["n_vehicles"].max()


def test_fixes_off_the_network_are_counted_not_placed(kept, roads):
    far = kept.head(500).assign(lat=kept["lat"].head(500) + 0.05)  # 5.5 km north
    out = aggregate_roads(pd.concat([kept.head(2000), far], ignore_index=True), roads=roads)
    assert out.attrs["unsnapped_fixes"] >= 1
    assert out["n_fixes"].sum() + out.attrs["unsnapped_fixes"] == 2500


@pytest.mark.cluster
def test_dask_gives_the_same_table(kept, roads, table, dask_client):
    with dask_client.as_current():
        lazy = aggregate_roads(dd.from_pandas(kept, npartitions=5, sort=False), roads=roads)
    pd.testing.assert_frame_equal(lazy, table, check_dtype=False)
    assert lazy.attrs == table.attrs
