import datetime as dt

import dask.dataframe as dd
import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from cibg_ds.errors import InputError, ParameterError
from cibg_ds.mobility import map_match, route_accuracy
from cibg_ds.mobility.geo import to_lonlat


@pytest.fixture(scope="module")
def feed():
    """Fixes of 16 simulated trucks on the OSM roads (GPS noise, tunnel gaps), true routes."""
    from cibg_ds.synthetic.feed import simulate_chunk
    from cibg_ds.synthetic.fleet import make_truck
    from cibg_ds.synthetic.network import build_network

    net = build_network()
    routes = []
    raw = simulate_chunk(
        [make_truck(i, 5, net) for i in range(16)],
        dt.date(2026, 11, 3), 5, net, "k", "Europe/Brussels", routes,
    )  # fmt: skip
    return raw, pd.concat(routes, ignore_index=True)


@pytest.fixture(scope="module")
def matched(feed):
    return map_match(feed[0])


def line_roads(*coords, oneway=None):
    """Segments in EPSG:31370 from lists of (x, y) vertices, ids 10, 11, ..."""
    roads = gpd.GeoDataFrame(
        {"segment_id": np.arange(10, 10 + len(coords))},
        geometry=[shapely.LineString(c) for c in coords],
        crs="EPSG:31370",
    )
    if oneway is not None:
        roads["oneway"] = oneway
    return roads


def fixes(x, y, seconds, unit="u1"):
    lon, lat = to_lonlat(np.asarray(x, float), np.asarray(y, float))
    start = pd.Timestamp("2026-11-03 08:00", tz="UTC")
    return pd.DataFrame(
        {
            "obu_id": unit,
            "ts": start + pd.to_timedelta(seconds, unit="s"),
            "lat": lat,
            "lon": lon,
        }
    )


def test_matched_routes_cover_the_true_routes(feed, matched):
    truth = feed[1]
    accuracy = route_accuracy(matched.path, truth)
    assert accuracy["correct_share"] >= 0.95
    assert accuracy["added_share"] < 0.05
    assert accuracy["legs"] == len(truth)


def test_one_row_per_fix_and_ordered_paths(feed, matched):
    raw, _ = feed
    out, path = matched.fixes, matched.path
    assert len(out) == len(raw)
    assert matched.unmatched_fixes == int(out["segment_id"].isna().sum())
    on_road = out["segment_id"].notna()
    assert (out.loc[on_road, "gps_distance_m"] <= 50).all()
    assert (out.loc[on_road, "offset_m"] >= 0).all()
    assert (path["entry_ts"] <= path["exit_ts"]).all()
    assert (path["length_m"] >= 0).all()
    assert (path["to_m"] <= path["edge_length_m"] + 1e-6).all()
    for _, trip in path.groupby(["obu_id", "trip_id"]):
        assert (np.diff(trip["seq"]) == 1).all()
        assert trip["entry_ts"].is_monotonic_increasing


def test_roads_between_fixes_are_on_the_path():
    # three segments in a row; the fixes lie on the first and the last only
    roads = line_roads([(0, 0), (100, 0)], [(100, 0), (160, 0)], [(160, 0), (900, 0)])
    result = map_match(fixes([40, 400, 800], [3, -2, 1], [0, 30, 60]), roads=roads)
    path = result.path
    assert path["segment_id"].tolist() == [10, 11, 12]
    assert path["length_m"].round(0).tolist() == [60, 60, 640]
    assert path["reverse"].tolist() == [False, False, False]
    # entry into the middle segment between the first two fixes, by distance driven
    middle = path.iloc[1]
    expected = pd.Timestamp("2026-11-03 08:00", tz="UTC") + pd.Timedelta(seconds=30 * 60 / 360)
    assert abs(middle["entry_ts"] - expected) < pd.Timedelta("1s")
    assert result.fixes["offset_m"].round(0).tolist() == [40, 240, 640]


def test_one_way_roads_are_driven_their_way():
    # two parallel roads 12 m apart, each one-way; the truck drives west to east
    roads = line_roads([(0, 0), (1000, 0)], [(1000, 12), (0, 12)], oneway=["yes", "yes"])
    result = map_match(fixes([50, 400, 750], [7, 6, 7], [0, 30, 60]), roads=roads)
    assert set(result.path["segment_id"]) == {10}


def test_impossible_jumps_break_the_path_and_are_counted():
    roads = line_roads([(0, 0), (1000, 0)], [(5000, 0), (6000, 0)])
    result = map_match(fixes([100, 400, 5200, 5500], [0, 0, 0, 0], [0, 30, 60, 90]), roads=roads)
    assert result.breaks == 1
    assert result.fixes["part"].tolist() == [0, 0, 1, 1]
    assert result.path.groupby("part")["segment_id"].agg(set).tolist() == [{10}, {11}]


def test_fixes_off_the_roads_are_counted():
    roads = line_roads([(0, 0), (1000, 0)])
    result = map_match(fixes([100, 400, 500, 700], [0, 300, 2, 0], [0, 30, 60, 90]), roads=roads)
    assert result.unmatched_fixes == 1
    assert result.fixes["segment_id"].isna().tolist() == [False, True, False, False]


def test_dask_gives_the_same_match(feed, matched, dask_client):
    lazy = dd.from_pandas(feed[0], npartitions=4, sort=False)
    with dask_client.as_current():
        again = map_match(lazy)
    pd.testing.assert_frame_equal(again.path, matched.path)
    pd.testing.assert_frame_equal(again.fixes, matched.fixes)
    assert again.breaks == matched.breaks


def test_bad_input_is_named():
    with pytest.raises(InputError, match="map_match"):
        map_match(pd.DataFrame({"obu_id": ["a"], "lat": [50.8]}))
    good = fixes([0], [0], [0])
    with pytest.raises(ParameterError, match="radius_m"):
        map_match(good, radius_m=0)
    with pytest.raises(ParameterError, match="max_candidates"):
        map_match(good, max_candidates=2.5)


def test_without_the_table_the_match_is_the_same(feed, matched, monkeypatch):
    # large networks skip the per-process table: bounded Dijkstra per partition instead
    from cibg_ds.mobility import graph

    monkeypatch.setattr(graph, "TABLE_NODES", 0)
    monkeypatch.setattr(graph, "_GRAPHS", {})
    units = feed[0]["obu_id"].drop_duplicates().head(5)
    again = map_match(feed[0][feed[0]["obu_id"].isin(units)])
    first = matched.path[matched.path["obu_id"].isin(units)].reset_index(drop=True)
    assert len(first) > 100
    pd.testing.assert_frame_equal(again.path, first, check_exact=False)


def test_on_the_written_feed_and_its_true_routes(sim_clean):
    from cibg_ds.io import read_pings

    pings = read_pings(sim_clean.out).compute()
    units = pings["obu_id"].drop_duplicates().sort_values().head(12)
    pings = pings[pings["obu_id"].isin(units)]
    truth = pd.read_parquet(sim_clean.out / "_meta" / "truth_routes.parquet")
    truth = truth[truth["obu_id"].isin(units)]
    accuracy = route_accuracy(map_match(pings).path, truth)
    assert accuracy["correct_share"] >= 0.95
    assert accuracy["added_share"] < 0.05


def test_no_fix_near_a_road_gives_an_empty_path():
    roads = line_roads([(0, 0), (1000, 0)])
    result = map_match(fixes([100, 400], [500, 600], [0, 30]), roads=roads)
    assert result.unmatched_fixes == 2 and len(result.fixes) == 2
    assert result.path.empty and list(result.path.columns)[:2] == ["obu_id", "trip_id"]
