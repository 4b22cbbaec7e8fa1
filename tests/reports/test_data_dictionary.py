"""The bundles' data dictionaries are in the reader's language and still pass the gate."""

from __future__ import annotations

import codecs
import csv
import io
import zipfile

import geopandas as gpd
import pandas as pd
import pytest
from shapely.geometry import Point

from cibg_ds.pipelines import deliver
from cibg_ds.pipelines.gate import check_members
from cibg_ds.privacy import resolve_k
from cibg_ds.reports.bundle import (
    _COLUMNS,
    DICTIONARY_HEADERS,
    SYMBOLS,
    data_dictionary,
    describe_column,
)
from tests.badinput.conftest import make_run

CELLS = pd.DataFrame(
    {
        "cell_id": ["CRS3035RES1000mN3140000E3950000", "CRS3035RES1000mN3141000E3950000"],
        "daytype": ["weekday", "weekend"],
        "n_vehicles": [12.0, None],
        "vkm": [55.5, None],
        "reliability": [1.31, None],
        "share_euro_3": [0.25, None],
        "suppressed": [False, True],
    }
)
COMMUNES = pd.DataFrame(
    {
        "nis": [21004, 21015],
        "name_fr": ["Bruxelles", "Schaerbeek"],
        "name_nl": ["Brussel", "Schaarbeek"],
        "population": [196828, 133309],
    }
)

# language -> what the reader must see: (column, header, expected piece of the cell)
EXPECTED = {
    "en": [
        ("n_vehicles", 2, "distinct trucks"), ("n_vehicles", 3, "trucks"),
        ("n_vehicles", 4, "integer"), ("vkm", 4, "decimal"), ("vkm", 3, "km"),
        ("reliability", 2, "95th percentile over median travel time"),
        ("reliability", 3, "ratio"), ("share_euro_3", 2, "this Euro class: 3"),
        ("suppressed", 4, "boolean"), ("daytype", 4, "text"),
        ("cell_id", 5, "fewer than 5 distinct trucks"),
        ("population", 3, "residents"), ("nis", 5, "none: public statistics by commune"),
        ("geometry", 4, "geometry"), ("geometry", 2, "communes.csv, WGS84"),
    ],
    "fr": [
        ("n_vehicles", 2, "camions distincts"), ("n_vehicles", 3, "camions"),
        ("n_vehicles", 4, "entier"), ("vkm", 4, "décimal"), ("vkm", 3, "km"),
        ("vkm", 2, "véhicules-kilomètres des camions"),
        ("reliability", 2, "95e centile rapporté au temps de parcours médian"),
        ("reliability", 3, "ratio"), ("share_euro_3", 2, "classe Euro : 3"),
        ("suppressed", 4, "booléen"), ("daytype", 4, "texte"),
        ("cell_id", 5, "moins de 5 camions distincts"),
        ("population", 3, "habitants"), ("nis", 2, "code INS de la commune"),
        ("nis", 5, "aucune : statistiques publiques par commune"),
        ("geometry", 4, "géométrie"), ("geometry", 2, "communes.csv, WGS84"),
    ],
    "nl": [
        ("n_vehicles", 2, "verschillende vrachtwagens"), ("n_vehicles", 3, "vrachtwagens"),
        ("n_vehicles", 4, "geheel getal"), ("vkm", 4, "decimaal getal"), ("vkm", 3, "km"),
        ("vkm", 2, "voertuigkilometers van vrachtwagens"),
        ("reliability", 2, "95e percentiel gedeeld door de mediane reistijd"),
        ("reliability", 3, "verhouding"), ("share_euro_3", 2, "Euroklasse: 3"),
        ("suppressed", 4, "booleaans"), ("daytype", 4, "tekst"),
        ("cell_id", 5, "minder dan 5 verschillende vrachtwagens"),
        ("population", 3, "inwoners"), ("nis", 2, "NIS-code van de gemeente"),
        ("nis", 5, "geen: openbare statistieken per gemeente"),
        ("geometry", 4, "geometrie"), ("geometry", 2, "communes.csv, WGS84"),
    ],
}  # fmt: skip


def _products(folder):
    folder.mkdir(parents=True, exist_ok=True)
    CELLS.to_csv(folder / "cells.csv", index=False)
    COMMUNES.to_csv(folder / "communes.csv", index=False)
    points = [Point(4.35, 50.85), Point(4.37, 50.86)]
    gpd.GeoDataFrame(COMMUNES, geometry=points, crs=4326).to_file(
        folder / "communes.geojson", driver="GeoJSON"
    )
    return folder


@pytest.mark.parametrize("lang", ["en", "fr", "nl"])
def test_the_dictionary_is_written_in_the_readers_language(tmp_path, lang):
    table = data_dictionary(_products(tmp_path / "p"), k=5, lang=lang)
    headers = list(DICTIONARY_HEADERS[lang])
    assert list(table.columns) == headers and headers[:2] == ["file", "column"]
    assert len(table) == len(CELLS.columns) + len(COMMUNES.columns) + 1  # + geometry
    cells = table.set_index("column")
    for column, position, expected in EXPECTED[lang]:
        assert expected in cells.loc[column, headers[position]], (lang, column, expected)
    # product column and file names stay what they are in the CSVs
    assert set(table["column"]) == {*CELLS.columns, *COMMUNES.columns, "geometry"}
    assert set(table["file"]) == {"cells.csv", "communes.csv", "communes.geojson"}


@pytest.mark.parametrize("lang", ["fr", "nl"])
def test_no_english_meaning_or_unit_word_is_left_in_french_or_dutch(lang):
    # the few words that are spelt the same in that language (checked one by one)
    same = {"fr": {"communes", "positions", "ratio", "fraction 0-1"}, "nl": {"computers"}}[lang]
    for column in _COLUMNS:
        english, translated = describe_column(column, "en"), describe_column(column, lang)
        assert translated[0] != english[0] or english[0] in same, (lang, column)
        if english[1] in SYMBOLS:  # km/h, h, km, s, %, EUR... the same everywhere
            assert translated[1] == english[1], (lang, column)
        elif english[1]:
            assert translated[1] != english[1] or english[1] in same, (lang, column)
    assert describe_column("no_such_column", lang)[0] != "see the report"


def test_reliability_is_the_95th_over_the_50th_percentile_not_the_planning_time_index():
    reliability, pti = describe_column("reliability")[0], describe_column("pti")[0]
    assert "median" in reliability and "free flow" not in reliability
    assert pti.startswith("Planning Time Index") and reliability != pti


@pytest.mark.parametrize("lang", ["en", "fr", "nl"])
def test_the_translated_dictionary_passes_the_privacy_gate(tmp_path, lang):
    table = data_dictionary(_products(tmp_path / "p"), k=5, lang=lang)
    member = {"products/mobility/data_dictionary.csv": table.to_csv(index=False).encode()}
    assert check_members(member, k=5) == []


def test_a_french_bundle_carries_a_french_dictionary(tmp_path):
    page = '<!DOCTYPE html><html lang="fr"><head><title>Trafic</title></head><body></body></html>'
    files = {"mobility/cells.csv": lambda p: CELLS.to_csv(p, index=False)}
    run = make_run(tmp_path, files, agencies=("brussels-mobility",), html=page)
    bundle = deliver(run, tmp_path / "out", agency="brussels-mobility")  # the settings' k
    with zipfile.ZipFile(bundle) as z:
        text = z.read("products/mobility/data_dictionary.csv").decode("utf-8-sig")
        readme = z.read("README.txt").decode()
    rows = list(csv.DictReader(io.StringIO(text)))
    assert list(rows[0]) == list(DICTIONARY_HEADERS["fr"])
    meaning = {r["column"]: r["signification"] for r in rows}
    assert meaning["n_vehicles"].startswith("camions distincts")
    assert all(r["type"] in {"entier", "décimal", "texte", "booléen"} for r in rows)
    rule = f"vide lorsque moins de {resolve_k()} camions distincts"  # the number, not "k"
    assert all(r["règle_de_confidentialité"].startswith(rule) for r in rows)
    assert "Ouvrez index.html" in readme  # the same language as the rest of the bundle
    assert f"moins de {resolve_k()} camions distincts sont vidées" in readme


@pytest.mark.parametrize(("lang", "word"), [("en", "none: every row is blank"),
                                            ("fr", "aucun : toutes les lignes sont vides"),
                                            ("nl", "geen: alle rijen zijn leeg")])  # fmt: skip
def test_a_column_blank_on_every_row_is_not_called_decimal_or_text(tmp_path, lang, word):
    table = CELLS.assign(vkm=None, daytype=None).iloc[1:]  # every row of these suppressed
    table.to_csv(tmp_path / "cells.csv", index=False)
    kinds = data_dictionary(tmp_path, 5, lang=lang).set_index("column").iloc[:, 3]
    assert kinds["vkm"] == kinds["daytype"] == word
    assert kinds["cell_id"] != word


def test_product_tables_are_written_with_a_byte_order_mark_for_excel(tmp_path):
    from cibg_ds.io.atomic import write_csv_atomic

    path = write_csv_atomic(tmp_path / "roads.csv", pd.DataFrame({"name": ["Chaussée de Mons"]}))
    assert path.read_bytes().startswith(codecs.BOM_UTF8)
    assert pd.read_csv(path)["name"].tolist() == ["Chaussée de Mons"]  # and pandas reads it
    assert list(pd.read_csv(path).columns) == ["name"]
