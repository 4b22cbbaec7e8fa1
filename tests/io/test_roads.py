import geopandas as gpd
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
    assert (roads["road_class"] == network["road_class"]).all()
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
