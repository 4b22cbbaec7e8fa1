import json

import geopandas as gpd
import pandas as pd
import pytest

from cibg_ds.errors import ParameterError
from cibg_ds.privacy import check_publishable
from cibg_ds.reports import divide_report, read_divide_report


@pytest.fixture(scope="module")
def report():
    return divide_report(n_sim=100, seed=3)


def test_tables_agree_with_each_other_and_may_be_published(report):
    tables = report.tables()
    for name, table in tables.items():
        assert check_publishable(table, count=None).ok, name
    nis = sorted(report.indicators["nis"])
    for name in ("index", "skills", "typology", "lisa", "reach"):
        assert sorted(tables[name]["nis"]) == nis, name
    assert report.skills["limited"].sum() == 475_000
    assert not report.meta["schematic_geometry"] and report.meta["illustrative_spaces"]
    assert "low power" in report.meta["moran_note"]
    gdf = report.map_table()
    assert len(gdf) == 19 and not gdf.attrs["schematic"] and "Statbel" in gdf.attrs["attribution"]
    assert set(gdf["quadrant"]) <= {"HH", "LH", "LL", "HL"}


def test_profile_by_name_or_code(report):
    by_name = report.profile("Sint-Gillis")
    by_code = report.profile("21013")
    assert by_name["nis"] == by_code["nis"] == "21013"
    assert by_name["index"]["rank"] == report.index.table.set_index("nis").loc["21013", "rank"]
    assert len(by_name["comparison"]) == len(report.index.settings["columns"])
    assert any("Exclusion-risk rank" in line for line in by_name["summary"])
    assert not any("schematic" in line for line in by_name["summary"])
    with pytest.raises(ParameterError, match="valid communes: Anderlecht"):
        report.profile("Atlantis")


def test_products(tmp_path, report):
    written = report.write(tmp_path)
    assert {p.name for p in written} >= {"index.csv", "skills.csv", "communes.geojson"}
    gdf = gpd.read_file(tmp_path / "communes.geojson")
    assert len(gdf) == 19 and gdf.crs.to_epsg() == 4326
    index = pd.read_csv(tmp_path / "index.csv", dtype={"nis": str})
    assert index["rank"].tolist() == report.index.table["rank"].tolist()
    meta = json.loads((tmp_path / "summary.json").read_text())
    assert meta["choices"]["n_sim"] == 100 and meta["choices"]["seed"] == 3


def test_real_boundaries_are_used_when_given(communes_geojson):
    report = divide_report(communes=communes_geojson, n_sim=20)
    assert not report.meta["schematic_geometry"]
    assert not report.map_table().attrs["schematic"]


def test_reports_show_themselves_in_a_notebook(report):
    html = report._repr_html_()
    assert "475,000 residents" in html and "schematic commune geometry" not in html
    assert "<table" in html


def test_a_report_read_back_from_its_products_profiles_every_commune_the_same(report, tmp_path):
    report.write(tmp_path, facts={"title": "overview"})
    back = read_divide_report(tmp_path)
    for name, table in report.tables().items():
        pd.testing.assert_frame_equal(back.tables()[name], table, check_exact=True, obj=name)
    pd.testing.assert_frame_equal(back.typology.groups, report.typology.groups, check_exact=True)
    pd.testing.assert_frame_equal(back.typology.labels, report.typology.labels, check_exact=True)
    assert back.meta == json.loads(json.dumps(report.meta, default=str))
    assert back.map_table().equals(report.map_table())
    for nis in report.indicators["nis"]:
        for lang in ("en", "fr"):
            mine, theirs = back.profile(nis, lang), report.profile(nis, lang)
            assert mine["summary"] == theirs["summary"], nis
            pd.testing.assert_frame_equal(mine["comparison"], theirs["comparison"],
                                          check_exact=True)  # fmt: skip
            for part in ("index", "skills", "lisa", "reach"):
                pd.testing.assert_series_equal(mine[part], theirs[part], check_exact=True)
            assert mine["group_description"] == theirs["group_description"]


def test_reading_a_folder_without_a_report_names_what_is_missing(tmp_path):
    from cibg_ds.errors import InputError

    (tmp_path / "index.csv").write_text("nis\n")
    with pytest.raises(InputError, match=r"missing indicators\.csv, .*summary\.json.*report_dir"):
        read_divide_report(tmp_path)


def test_a_profile_speaks_in_names_and_states_the_reports_own_method(report, tmp_path):
    fr = report.profile("21001", "fr")
    assert fr["name"] == "Anderlecht" and report.profile("21004")["name"] == "Bruxelles / Brussel"
    quadrant = next(line for line in fr["summary"] if "Moran" in line)
    assert not any(code in quadrant.split() for code in ("HH", "HL", "LH", "LL", "HH,"))
    method = report.method("fr")
    assert "(normalisation min-max)" in method and "poids égaux" in method
    assert "minmax" not in method and "arithmetic" not in method
    # a profile that reads the overview's products states the overview's choices
    other = divide_report(n_sim=20, seed=3, normalisation="rank", aggregation="geometric")
    other.write(tmp_path)
    back = read_divide_report(tmp_path).method("nl")
    assert "rangen" in back and "meetkundig gemiddelde" in back and "20 Monte" in back
