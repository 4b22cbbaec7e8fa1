import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from cibg_ds.errors import InputError
from cibg_ds.io import load_roads
from cibg_ds.mobility import default_roads


@pytest.fixture(scope="module")
def network():
    return default_roads()


@pytest.mark.parametrize("name", ["roads.gpkg", "roads.geojson", "roads.parquet"])
def test_every_format_gives_the_same_segments(tmp_path, network, name):
    path = tmp_path / name
    wgs84 = network.to_crs(4326)
    if name.endswith(".parquet"):
        wgs84.to_parquet(path)
    else:
        wgs84.to_file(path)
    roads = load_roads(path)
    assert roads.crs.to_epsg() == 31370
    assert list(roads["segment_id"]) == list(network["segment_id"])
    assert (roads["highway"] == network["highway"]).all()
    assert roads.attrs["attribution"] == "Roads © OpenStreetMap contributors, ODbL 1.0"
    assert roads.geometry.length.round(1).equals(roads["length_m"])
    offset = roads.geometry.hausdorff_distance(network.geometry.reset_index(drop=True))
    assert offset.max() < 0.01  # metres lost in the round trip through WGS84


def test_multilines_split_and_ids_from_a_named_column(tmp_path):
    lines = [
        shapely.MultiLineString([[(0, 0), (100, 0)], [(200, 0), (300, 0)]]),
        shapely.LineString([(0, 50), (0, 150)]),
    ]
    gdf = gpd.GeoDataFrame({"osm_id": ["a", "b"]}, geometry=lines, crs=31370)
    gdf.to_file(tmp_path / "r.gpkg")
    roads = load_roads(tmp_path / "r.gpkg", id_column="osm_id")
    assert list(roads["segment_id"]) == ["a", "a", "b"]
    assert list(roads["length_m"]) == [100.0, 100.0, 100.0]


def test_bad_files_are_named_with_the_fix(tmp_path):
    with pytest.raises(InputError, match="not found"):
        load_roads(tmp_path / "absent.gpkg")
    points = gpd.GeoDataFrame({"segment_id": [1]}, geometry=[shapely.Point(0, 0)], crs=31370)
    points.to_file(tmp_path / "points.geojson")
    with pytest.raises(InputError, match=r"points.geojson: a road network holds lines"):
        load_roads(tmp_path / "points.geojson")
    line = shapely.LineString([(0, 0), (1, 1)])
    twice = gpd.GeoDataFrame({"segment_id": [1, 1]}, geometry=[line, line], crs=31370)
    twice.to_file(tmp_path / "twice.gpkg")
    with pytest.raises(InputError, match="repeats ids"):
        load_roads(tmp_path / "twice.gpkg")
    with pytest.raises(InputError, match=r"no column 'way_id'.*id_column="):
        load_roads(tmp_path / "twice.gpkg", id_column="way_id")
    (tmp_path / "junk.gpkg").write_text("not a geopackage")
    with pytest.raises(InputError, match=r"junk.gpkg: cannot read"):
        load_roads(tmp_path / "junk.gpkg")
    pd.DataFrame({"a": [1]}).to_parquet(tmp_path / "plain.parquet")
    with pytest.raises(InputError, match=r"plain.parquet: cannot read"):
        load_roads(tmp_path / "plain.parquet")


def test_the_embedded_truck_network_is_the_default():
    roads = load_roads()
    assert roads.crs.to_epsg() == 31370 and roads["segment_id"].is_unique
    assert roads.attrs["schematic"] is False and "OpenStreetMap" in roads.attrs["attribution"]
    wanted = {"osm_id", "highway", "name_fr", "name_nl", "ref", "maxspeed", "oneway", "hgv",
              "maxweight", "tunnel", "length_m"}  # fmt: skip
    assert wanted <= set(roads.columns)
    assert {"motorway", "trunk", "primary", "secondary", "tertiary", "motorway_link"} <= set(
        roads["highway"]
    )
    assert "residential" not in set(roads["highway"])
    assert set(roads["oneway"]) <= {"yes", "no", "-1"}
    assert 700 < roads["length_m"].sum() / 1000 < 800  # km
    assert roads["tunnel"].sum() > 20  # Leopold II, Loi, Belliard, the inner-ring tunnels
    roads.loc[0, "highway"] = "changed"  # a copy: the embedded network is untouched
    assert load_roads().loc[0, "highway"] != "changed"
    assert default_roads()["segment_id"].equals(load_roads()["segment_id"])


def test_the_embedded_network_is_rebuilt_from_the_shared_extract(tmp_path):
    from cibg_ds.io.osm import truck_network
    from tests.conftest import shared_file

    raw = gpd.read_file(shared_file("brussels_roads_osm_2013.gpkg"))
    rebuilt = truck_network(raw)
    embedded = load_roads()
    assert len(rebuilt) == len(embedded)
    assert rebuilt["osm_id"].tolist() == embedded["osm_id"].tolist()
    assert rebuilt.geometry.geom_equals_exact(embedded.geometry, tolerance=0.01).all()
    # every kept way is a main road, or a local road of the port and industrial zones
    main = rebuilt["highway"].str.endswith("_link") | rebuilt["highway"].isin(
        ["motorway", "trunk", "primary", "secondary", "tertiary"]
    )
    assert main.mean() > 0.85
    assert set(rebuilt.loc[~main, "highway"]) <= {"unclassified", "service", "road"}
    # segments run junction to junction: no shared vertex inside a segment
    coords, owner = shapely.get_coordinates(rebuilt.geometry.to_numpy(), return_index=True)
    ends = np.r_[True, owner[1:] != owner[:-1]] | np.r_[owner[1:] != owner[:-1], True]
    key = pd.Series(list(map(tuple, coords.round(2))))
    interior_keys = set(key[~ends])
    assert not interior_keys & set(key[ends])
