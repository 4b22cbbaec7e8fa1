import geopandas as gpd
import numpy as np

from cibg_ds.io import load_communes
from cibg_ds.synthetic.network import build_sketch_network


def test_network_is_connected_and_has_the_freight_places():
    net = build_sketch_network()
    assert (net.predecessors[0] >= 0).sum() == len(net.nodes) - 1
    kinds = set(net.nodes["kind"])
    assert {
        "ring",
        "gateway",
        "outside",
        "depot",
        "depot_outside",
        "port",
        "centre",
        "delivery",
    } <= kinds
    assert len(net.kind("gateway")) == 6
    assert net.edges["tunnel"].sum() == 2 * 4  # four tunnels, both directions
    assert set(net.nodes.loc[net.nodes["kind"] == "delivery", "nis"]) == set(
        net.nodes.loc[net.nodes["kind"] == "centre", "nis"]
    )


def test_some_fastest_paths_between_motorways_cross_the_region():
    net = build_sketch_network()
    names = net.nodes["node"].tolist()
    path = net.path(names.index("out_e40_gent"), names.index("out_e40_leuven"))
    visited = [names[i] for i in path]
    assert "ring_rogier" in visited and "basilique" in visited  # via the Leopold II tunnel
    region = load_communes().union_all()
    xy = net.nodes[["x", "y"]].to_numpy()
    inside = gpd.GeoSeries(gpd.points_from_xy(*xy[path].T), crs=31370).within(region)
    assert not inside.iloc[0] and not inside.iloc[-1] and inside.any()


def test_roads_export_as_lines(tmp_path):
    roads = build_sketch_network().to_geodataframe()
    roads.to_file(tmp_path / "roads.gpkg", layer="roads")
    back = gpd.read_file(tmp_path / "roads.gpkg")
    assert back.crs.to_epsg() == 31370
    assert (back.geom_type == "LineString").all()
    assert np.allclose(back.length, back["length_m"], atol=0.1)
    assert set(back["road_class"]) == {"motorway", "urban_motorway", "ring", "arterial", "local"}
