"""Statbel statistical sectors: the shared 2021 file, the other naming, national files."""

import geopandas as gpd
import pytest
import shapely

from cibg_ds.errors import InputError
from cibg_ds.io import load_communes, load_sectors
from cibg_ds.schema import BRUSSELS_NIS
from tests.conftest import shared_file

SECTORS = "brussels_statistical_sectors_2021.geojson"


@pytest.fixture(scope="module")
def shared():
    return load_sectors(shared_file(SECTORS))


def test_the_shared_sector_file(shared):
    assert list(shared.columns) == ["sector", "nis", "name_fr", "name_nl", "geometry"]
    assert len(shared) == 720 and shared["sector"].is_unique
    assert shared.crs.to_epsg() == 31370
    assert set(shared["nis"]) == set(BRUSSELS_NIS)
    assert shared["sector"].str[:5].eq(shared["nis"]).all()
    first = shared.set_index("sector").loc["21001A00-"]
    assert first["name_fr"] == "RESISTANCE" and first["name_nl"] == "VERZET"
    # dissolved, the sectors give the 19 communes (within 0.05 km² each)
    communes = load_communes()
    dissolved = shared.dissolve(by="nis").area.reindex(communes["nis"]).to_numpy() / 1e6
    assert dissolved == pytest.approx(communes.area.to_numpy() / 1e6, abs=0.1)


def test_the_embedded_sectors_are_the_shared_ones(shared):
    embedded = load_sectors()
    assert embedded["sector"].tolist() == shared["sector"].tolist()
    assert embedded.attrs["year"] == 2021 and "Statbel" in embedded.attrs["attribution"]
    # coordinates kept to 0.1 m: areas within 0.5 %
    assert embedded.area.to_numpy() == pytest.approx(shared.area.to_numpy(), rel=5e-3)


def test_the_other_naming_a_national_file_and_another_crs(tmp_path, shared):
    national = shared.rename(
        columns={"sector": "cd_sector", "nis": "cd_munty_refnis", "name_fr": "tx_sector_descr_fr",
                 "name_nl": "tx_sector_descr_nl"}
    ).assign(cd_rgn_refnis="04000")  # fmt: skip
    flemish = national.iloc[[0]].assign(
        cd_sector="23062A00-", cd_munty_refnis="23062", cd_rgn_refnis="02000",
        geometry=[shapely.box(145000, 177000, 146000, 178000)],
    )  # fmt: skip
    both = gpd.GeoDataFrame(
        [*national.to_dict("records"), *flemish.to_dict("records")], crs=31370
    ).to_crs(3812)
    path = tmp_path / "sh_statbel_statistical_sectors_3812_20230101.gpkg"
    both.to_file(path)
    back = load_sectors(path)
    assert back["sector"].tolist() == shared["sector"].tolist()  # Wemmel dropped
    assert back.crs.to_epsg() == 31370
    assert back.area.to_numpy() == pytest.approx(shared.area.to_numpy(), rel=1e-6)


def test_files_that_are_not_sectors_are_named(tmp_path):
    communes = load_communes()
    communes.to_file(tmp_path / "communes.geojson")
    with pytest.raises(InputError, match=r"communes.geojson: no 'sector' column"):
        load_sectors(tmp_path / "communes.geojson")
    with pytest.raises(InputError, match=r"nope.gpkg: cannot read statistical sectors"):
        load_sectors(tmp_path / "nope.gpkg")
