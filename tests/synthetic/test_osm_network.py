"""The simulator's network is the embedded OSM truck network, and the trucks drive on it."""

import datetime as dt

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from cibg_ds.io import load_communes, load_roads
from cibg_ds.mobility import RoadSnapper
from cibg_ds.synthetic.feed import simulate_chunk
from cibg_ds.synthetic.fleet import make_truck
from cibg_ds.synthetic.network import build_network
from cibg_ds.synthetic.osm_network import truck_speeds

WEDNESDAY = dt.date(2026, 11, 4)


@pytest.fixture(scope="module")
def net():
    return build_network()


@pytest.fixture(scope="module")
def feed(net):
    trucks = [make_truck(i, 3, net) for i in range(250)]
    routes = []
    pings = simulate_chunk(trucks, WEDNESDAY, 3, net, "key", "Europe/Brussels", routes)
    return pings, routes[0]


def test_graph_nodes_sit_at_shared_endpoints_and_edges_follow_the_roads(net):
    roads = load_roads()
    ends = np.vstack(
        [shapely.get_coordinates(shapely.get_point(roads.geometry.to_numpy(), i)) for i in (0, -1)]
    )
    assert len(net.graph_xy) == len(np.unique(ends.round(2), axis=0))
    edges = net.edges
    seg = edges["segment"].to_numpy()
    start = np.where(edges["reverse"], 1, 0)
    u_xy = net.graph_xy[edges["u"]]
    first = shapely.get_coordinates(shapely.get_point(roads.geometry.to_numpy()[seg], -start))
    assert np.allclose(u_xy, first, atol=0.01)
    assert edges["length_m"].to_numpy() == pytest.approx(roads["length_m"].to_numpy()[seg], abs=0.1)


def test_one_way_roads_are_driven_one_way(net):
    roads = load_roads()
    per_segment = net.edges.groupby("segment")["reverse"].agg(["size", "max", "min"])
    oneway = roads["oneway"].to_numpy()[per_segment.index]
    both = per_segment["size"] == 2
    assert (both == (oneway == "no")).mean() > 0.99  # parallel duplicates aside
    assert not per_segment.loc[oneway == "yes", "max"].any()  # never against the arrows
    assert per_segment.loc[oneway == "-1", "min"].all()


def test_places_and_motorway_entries(net):
    kinds = net.nodes.groupby("kind").size()
    assert kinds["outside"] >= 8 and kinds["port"] == 3 and kinds["depot"] >= 4
    assert kinds["delivery"] == 19 * 6
    names = net.nodes["node"].tolist()
    region = load_communes().union_all()
    for gate in ("gate_e40_west", "gate_e40_east", "gate_a12_north", "gate_e411_southeast"):
        row = net.nodes.iloc[names.index(gate)]
        entry = shapely.Point(net.graph_xy[row["entry"]])
        assert not region.contains(entry) or region.boundary.distance(entry) < 500, gate
    # a through route E40 west -> E40 east crosses the region by the Leopold II tunnel
    leg = net.leg(names.index("gate_e40_west"), names.index("gate_e40_east"))
    route = load_roads().set_index("segment_id").loc[leg["edges"]["segment_id"]]
    assert route["tunnel"].any()
    assert route["name_fr"].fillna("").str.contains("Léopold II").any() or (
        route["ref"].fillna("").str.contains("R20").any()
    )
    assert len(np.unique(leg["edges"]["segment_id"])) == len(leg["edges"]["segment_id"])
    # consecutive edges meet: each edge starts where the previous one ends
    assert (leg["edges"]["u"][1:] == leg["edges"]["v"][:-1]).all()


def test_speeds_come_from_maxspeed_and_the_road_class():
    roads = pd.DataFrame(
        {"highway": ["motorway", "primary", "primary", "service"],
         "maxspeed": ["120", "50", None, "bad"]}
    )  # fmt: skip
    speed, peak = truck_speeds(roads)
    assert speed[0] <= 90 and speed[0] > speed[1] > speed[3]
    assert speed[1] == speed[2]  # missing maxspeed: the class default (50)
    assert (peak > 0).all() and (peak < 1).all()


def test_at_least_95_percent_of_fixes_lie_within_30_m_of_an_embedded_road(feed):
    pings, _ = feed
    assert len(pings) > 10_000
    rows, distance = RoadSnapper(load_roads(), max_distance_m=30).snap(pings["lon"], pings["lat"])
    assert (rows >= 0).mean() >= 0.95
    assert np.nanmedian(distance) < 8  # GPS noise of a few metres


def test_true_routes_are_recorded_leg_by_leg(feed):
    pings, routes = feed
    assert set(routes["obu_id"]) >= set(pings["obu_id"])
    assert (routes["arrive"] >= routes["depart"]).all()
    roads = load_roads().set_index("segment_id")
    lengths = routes["segment_ids"].map(lambda ids: roads.loc[ids, "length_m"].sum())
    assert (lengths > 0).mean() > 0.99
    assert all(
        roads.loc[s, "osm_id"].tolist() == o
        for s, o in zip(routes["segment_ids"].head(50), routes["osm_ids"].head(50), strict=True)
    )
    # the fixes of a unit during a leg lie near that leg's roads
    first = routes.iloc[0]
    unit = pings[(pings["obu_id"] == first["obu_id"])]
    unit = unit[(unit["ts"] >= first["depart"]) & (unit["ts"] <= first["arrive"])]
    points = gpd.GeoSeries(gpd.points_from_xy(unit["lon"], unit["lat"]), crs=4326).to_crs(31370)
    route = shapely.union_all(roads.loc[first["segment_ids"], "geometry"].to_numpy())
    assert (points.distance(route) < 30).mean() > 0.95


def test_tunnels_lose_the_fixes(net, feed):
    pings, routes = feed
    roads = load_roads()
    tunnels = roads[roads["tunnel"]]
    points = gpd.GeoSeries(gpd.points_from_xy(pings["lon"], pings["lat"]), crs=4326).to_crs(31370)
    near_tunnel = points.distance(shapely.union_all(tunnels.geometry.to_numpy())) < 2
    driven = set(np.concatenate(routes["segment_ids"].to_numpy()))
    assert driven & set(tunnels["segment_id"])  # trucks do drive through tunnels
    assert near_tunnel.mean() < 0.02


def test_a_leg_cut_to_some_edge_columns_is_the_same_leg(net):
    names = net.nodes["node"].tolist()
    a, b = names.index("gate_a12_north"), names.index("depot_forest")
    whole = net.leg(a, b)
    cut = net.leg(a, b, columns=("speed_kmh", "tunnel", "no_such_column"))
    np.testing.assert_array_equal(cut["xy"], whole["xy"])
    np.testing.assert_array_equal(cut["piece_edge"], whole["piece_edge"])
    assert list(cut["edges"]) == ["speed_kmh", "tunnel"]
    for column in cut["edges"]:
        np.testing.assert_array_equal(cut["edges"][column], whole["edges"][column])
    assert net.leg(a, b, columns=("speed_kmh", "tunnel", "no_such_column")) is cut  # cached
