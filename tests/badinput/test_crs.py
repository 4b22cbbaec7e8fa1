"""Commune boundaries whose coordinates are not in the CRS they declare."""

from __future__ import annotations

import geopandas as gpd
import pytest

from cibg_ds.errors import InputError
from cibg_ds.io import load_communes


@pytest.fixture(scope="module")
def lambert():
    """The 19 communes in Lambert 72, written by the package itself (no shared file needed)."""
    return load_communes()


def _write(gdf, path, label):
    gdf = gdf.set_crs(label, allow_override=True)
    gdf.to_file(path, driver="GeoJSON" if path.suffix == ".geojson" else "GPKG")
    return path


CASES = {
    "lambert72-labelled-4326": (None, "EPSG:4326", "EPSG:31370"),
    "lonlat-labelled-31370": ("EPSG:4326", "EPSG:31370", "EPSG:4326"),
    "lambert2008-labelled-31370": ("EPSG:3812", "EPSG:31370", "EPSG:3812"),
    "web-mercator-labelled-31370": ("EPSG:3857", "EPSG:31370", "EPSG:3857"),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_boundaries_in_another_crs_than_declared_are_named(tmp_path, lambert, case):
    real, label, likely = CASES[case]
    data = lambert if real is None else lambert.to_crs(real)
    path = _write(data, tmp_path / "communes.gpkg", label)
    with pytest.raises(InputError) as caught:
        load_communes(path)
    message = str(caught.value)
    assert str(path) in message and f"in {label}" in message and f"look like {likely}" in message


@pytest.mark.parametrize("crs", ["EPSG:4326", "EPSG:31370", "EPSG:3812"])
def test_boundaries_declared_right_load_in_lambert72(tmp_path, lambert, crs):
    path = _write(lambert.to_crs(crs), tmp_path / "communes.gpkg", crs)
    got = load_communes(path)
    assert got.crs.to_epsg() == 31370 and len(got) == 19
    assert abs(got.total_bounds - lambert.total_bounds).max() < 1.0  # metres


def test_far_away_coordinates_without_a_likely_crs(tmp_path, lambert):
    far = lambert.to_crs(4326).translate(xoff=100, yoff=-20)  # the Indian Ocean
    path = _write(gpd.GeoDataFrame(lambert.drop(columns="geometry"), geometry=far), tmp_path /
                  "c.gpkg", "EPSG:4326")  # fmt: skip
    with pytest.raises(InputError, match="check the file's coordinate reference system"):
        load_communes(path)
