import geopandas as gpd
import pytest
import shapely

from cibg_ds.errors import InputError, ParameterError
from cibg_ds.io import load_commune_facts, load_communes, load_regional_figures
from cibg_ds.schema import BRUSSELS_NIS


def test_embedded_official_communes_by_default(communes_geojson):
    gdf = load_communes()
    assert list(gdf.columns) == ["nis", "name_fr", "name_nl", "geometry"]
    assert gdf.crs.to_epsg() == 31370
    assert tuple(gdf["nis"]) == BRUSSELS_NIS
    assert gdf.attrs["schematic"] is False and gdf.attrs["year"] == 2026
    assert "Statbel" in gdf.attrs["source"] and "Statbel" in gdf.attrs["attribution"]
    assert gdf.is_valid.all()
    # the very file of shared/data, and the areas measured on it in the reference table
    shared = load_communes(communes_geojson)
    assert gdf.area.to_numpy() == pytest.approx(shared.area.to_numpy(), rel=1e-9)
    facts = load_commune_facts()
    assert (gdf.area.to_numpy() / 1e6) == pytest.approx(facts["area_km2"].to_numpy(), abs=0.01)
    # the real shapes hold the town centres (the sketch only held the centroids)
    centres = gpd.GeoSeries(
        gpd.points_from_xy(facts["centre_lon"], facts["centre_lat"]), crs=4326
    ).to_crs(31370)
    assert gdf.geometry.contains(centres).all()


def test_embedded_boundaries_are_read_once_and_handed_out_as_copies():
    first = load_communes()
    first.loc[0, "name_fr"] = "changed"
    first.attrs["schematic"] = True
    again = load_communes()
    assert again.loc[0, "name_fr"] == "Anderlecht" and again.attrs["schematic"] is False
    from cibg_ds.io.communes import _embedded_communes

    assert _embedded_communes.cache_info().hits >= 1


def test_schematic_communes_only_on_request():
    with pytest.raises(ParameterError, match="not both"):
        load_communes("x.geojson", schematic=True)
    gdf = load_communes(schematic=True)
    assert list(gdf.columns) == ["nis", "name_fr", "name_nl", "geometry"]
    assert gdf.crs.to_epsg() == 31370
    assert tuple(gdf["nis"]) == BRUSSELS_NIS
    assert gdf.attrs["schematic"] is True and "schematic" in gdf.attrs["source"]
    assert gdf.is_valid.all()
    # a tessellation: no overlaps, the region's area from the table
    assert gdf.area.sum() / 1e6 == pytest.approx(load_commune_facts()["area_km2"].sum(), rel=0.01)
    assert shapely.union_all(gdf.geometry).area == pytest.approx(gdf.area.sum(), rel=1e-6)
    # each commune's cell holds its own centroid
    facts = load_commune_facts()
    points = gpd.points_from_xy(facts["centroid_x_31370"], facts["centroid_y_31370"])
    assert gdf.geometry.contains(gpd.GeoSeries(points, crs=31370)).all()


def test_reference_tables_and_their_published_totals():
    facts = load_commune_facts()
    assert facts["nis"].tolist() == list(BRUSSELS_NIS)
    assert facts["population_2026"].sum() == 1_255_834
    assert facts.loc[facts["nis"] == "21004", "name_nl"].item() == "Brussel"
    facts.loc[0, "population_2026"] = 0  # a copy: the embedded table is untouched
    assert load_commune_facts()["population_2026"].sum() == 1_255_834
    figures = load_regional_figures().set_index("key")
    assert figures.loc["public_computers", "value"] == 410
    assert figures["source"].notna().all()


def test_real_boundary_file_through_the_loader(communes_geojson):
    gdf = load_communes(communes_geojson)
    assert tuple(gdf["nis"]) == BRUSSELS_NIS
    assert gdf.crs.to_epsg() == 31370
    assert gdf.attrs["schematic"] is False
    assert 161 < gdf.area.sum() / 1e6 < 163
    # the measured areas in the reference table were taken on this very file
    facts = load_commune_facts()
    assert (gdf.area.to_numpy() / 1e6) == pytest.approx(facts["area_km2"].to_numpy(), abs=0.01)


def _sectors_from(communes: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Statbel-like sectors: each commune cut in two, plus a Flemish sector to be dropped."""
    rows = []
    for nis, geom in zip(communes["nis"], communes.geometry, strict=True):
        minx, miny, maxx, maxy = geom.bounds
        mid = (minx + maxx) / 2
        for i, box in enumerate(
            [shapely.box(minx, miny, mid, maxy), shapely.box(mid, miny, maxx, maxy)]
        ):
            part = geom.intersection(box)
            if not part.is_empty:
                rows.append(
                    {
                        "cd_sector": f"{nis}A0{i}",
                        "cd_munty_refnis": int(nis),
                        "cd_rgn_refnis": 4000,
                        "tx_munty_descr_fr": "x",
                        "geometry": part,
                    }
                )
    rows.append(
        {
            "cd_sector": "23062A00",
            "cd_munty_refnis": 23062,
            "cd_rgn_refnis": 2000,
            "tx_munty_descr_fr": "Wemmel",
            "geometry": shapely.box(145000, 177000, 146000, 178000),
        }
    )
    return gpd.GeoDataFrame(rows, crs=31370)


def test_statbel_sectors_are_dissolved_to_communes(tmp_path, communes_geojson):
    real = load_communes(communes_geojson)
    path = tmp_path / "sectors.gpkg"
    _sectors_from(real).to_crs(3812).to_file(path, layer="sectors")
    gdf = load_communes(path)
    assert tuple(gdf["nis"]) == BRUSSELS_NIS
    assert gdf.area.to_numpy() == pytest.approx(real.area.to_numpy(), rel=1e-3)
    assert gdf.loc[gdf["nis"] == "21009", "name_fr"].item() == "Ixelles"


def test_files_without_nis_or_with_missing_communes_are_refused(tmp_path):
    schematic = load_communes(schematic=True)
    urbis = schematic.rename(columns={"nis": "MU_ID"})
    urbis.to_file(tmp_path / "urbis.geojson")
    with pytest.raises(InputError, match=r"(?s)urbis.geojson.*MU_ID is not the NIS code"):
        load_communes(tmp_path / "urbis.geojson")
    schematic.iloc[:17].to_file(tmp_path / "partial.geojson")
    with pytest.raises(InputError, match=r"partial.geojson: 2 of the 19.*21018, 21019"):
        load_communes(tmp_path / "partial.geojson")
    with pytest.raises(InputError, match=r"nope.gpkg: cannot read"):
        load_communes(tmp_path / "nope.gpkg")
