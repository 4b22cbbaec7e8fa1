"""Report header and caveats, the client HTML export and the bundle's self-description."""

from __future__ import annotations

import json
import re
from types import SimpleNamespace

import nbformat
import pandas as pd
import pytest

import cibg_ds as cd
from cibg_ds.errors import InputError
from cibg_ds.reports.bundle import data_dictionary, describe_column, quality_verdicts
from cibg_ds.reports.export import HIDE, notebook_html, scrub, split_streams


def test_header_states_every_fact_in_the_reports_language():
    block = cd.reports.header(
        "Rapport",
        lang="fr",
        agency="Bruxelles Mobilité",
        period=cd.reports.period_text("2026-11-02", "2026-11-08", "fr"),
        run_date="2026-12-01",
        sources=["statbel_population", "osm_roads"],
        geometry="Statbel",
        simulated=True,
    )
    html = block._repr_html_()
    assert "du 2 novembre 2026 au 8 novembre 2026" in html
    assert "1 décembre 2026" in html and "Préparé pour" in html
    assert "ODbL 1.0" in html and "CC BY 4.0" in html
    assert "class='cibg-banner'" in html and "Données simulées" in html
    assert 'data-cibg-title="Rapport"' in html and "data-cibg-lang='fr'" in html
    assert block.facts["period"].startswith("du 2 novembre") and block.facts["simulated"]
    assert "class='cibg-banner'" not in cd.reports.header("R", lang="nl")._repr_html_()
    with pytest.raises(InputError, match="lang='de'"):
        cd.reports.header("R", lang="de")


def test_caveats_drop_empty_items_and_translate_their_heading():
    html = cd.reports.caveats(["one", "", "two"], lang="nl", method="m")._repr_html_()
    assert "Methode en kanttekeningen" in html and html.count("<li>") == 2


def test_file_stems_and_source_names_carry_no_codes_or_paths():
    assert cd.reports.file_stem("Berchem-Sainte-Agathe") == "Berchem-Sainte-Agathe"
    assert cd.reports.source_name("/srv/data/communes.geojson") == "communes.geojson"


def _executed() -> nbformat.NotebookNode:
    nb = nbformat.v4.new_notebook()
    title = nbformat.v4.new_markdown_cell("# For notebook readers")
    title.metadata["tags"] = [HIDE]
    cell = nbformat.v4.new_code_cell("x")
    head = cd.reports.header("Trafic", lang="fr")
    cell.outputs = [
        nbformat.v4.new_output(
            "stream",
            name="stderr",
            text="aggregate: 100%|██| 1/1 [1.0it/s]\r\nUserWarning: CartoDB tiles need a key\n",
        ),
        nbformat.v4.new_output("display_data", data={"text/html": head.html}),
        nbformat.v4.new_output("stream", name="stdout", text="result /work/x/run/products\n"),
    ]
    nb.cells = [title, cell]
    return nb


def test_export_moves_stderr_out_and_renders_offline_with_title_and_language():
    clean, lines = split_streams(_executed())
    assert len(lines) == 2 and lines[1].endswith("CartoDB tiles need a key")
    assert [o["output_type"] for o in clean.cells[1].outputs] == ["display_data", "stream"]
    page = scrub(notebook_html(clean), ["/work/x/run"])
    assert "<title>Trafic</title>" in page and '<html lang="fr">' in page
    assert not re.search(r"<script[^>]+src=|<link[^>]+href=|cdnjs|mathjax", page, re.I)
    assert "For notebook readers" not in page and "/work/x" not in page
    assert "result products" in page


def test_data_dictionary_describes_each_column_with_its_type(tmp_path):
    pd.DataFrame({"cell_id": ["a"], "n_vehicles": [5.0], "share_euro_3": [0.5],
                  "suppressed": [False]}).to_csv(tmp_path / "cells.csv", index=False)  # fmt: skip
    table = data_dictionary(tmp_path, k=5).set_index("column")
    assert (
        table.loc["n_vehicles", "type"] == "integer" and table.loc["n_vehicles", "unit_of_measure"]
    )
    assert table.loc["share_euro_3", "meaning"].endswith(": 3")
    assert "fewer than 5 distinct trucks" in table.loc["cell_id", "suppression"]
    assert describe_column("no_such_column")[0] == "see the report"


def test_quality_verdicts_name_a_failed_suite():
    said = quality_verdicts({"a.json": {"suite": "pings", "success": False, "rejected": 1200},
                             "b.json": {"suite": "x", "success": True}}, "fr")  # fmt: skip
    assert said == [
        "qualité des données (positions des camions) : échec, 1\u202f200 lignes en quarantaine",
        "qualité des données (x) : réussie",
    ]


def test_geometry_line_of_the_embedded_layers_is_in_the_readers_language(tmp_path):
    from cibg_ds.io import load_communes, load_roads
    from cibg_ds.reports import geometry_text

    communes, roads = load_communes(), load_roads()
    english = geometry_text(communes, roads, "en")
    assert "OpenStreetMap contributors" in english and "(embedded)" not in english
    french, dutch = (geometry_text(communes, roads, lang) for lang in ("fr", "nl"))
    assert "contributeurs d’OpenStreetMap" in french and "secteurs statistiques" in french
    assert "OpenStreetMap-bijdragers" in dutch and "statistische sectoren" in dutch
    path = tmp_path / "my_boundaries.gpkg"
    communes.to_file(path)
    assert geometry_text(load_communes(path), lang="fr").endswith("my_boundaries.gpkg")


def test_a_runs_two_data_sets_of_one_suite_are_told_apart_by_their_folder(tmp_path):
    from cibg_ds.pipelines.record import quality_summaries

    for folder, source in (("quality", "feed"), ("quality/history", "history/pings")):
        (tmp_path / folder).mkdir(parents=True, exist_ok=True)
        report = {"suite": "pings", "success": True,
                  "provenance": {"source": str(tmp_path / source)}}  # fmt: skip
        (tmp_path / folder / "report.json").write_text(json.dumps(report))
    summaries = quality_summaries(tmp_path)
    assert {q["data"] for q in summaries.values()} == {"feed", "history/pings"}  # not absolute
    said = quality_verdicts(summaries)
    assert sorted(said) == [
        "data quality of the truck positions: passed [feed]",
        "data quality of the truck positions: passed [history/pings]",
    ]


@pytest.mark.parametrize(("lang", "mobility", "inclusion"), [
    ("fr", "Bruxelles Mobilité", "Cellule inclusion numérique"),
    ("nl", "Brussel Mobiliteit", "Cel digitale inclusie"),
    ("en", "Brussels Mobility", "Digital inclusion unit"),
])  # fmt: skip
def test_the_pipelines_agencies_are_named_in_the_reports_language(lang, mobility, inclusion):
    # the demo pipeline passes the English names; a French page must not say "Brussels Mobility"
    for given, expected in (("Brussels Mobility", mobility), ("Digital inclusion unit", inclusion)):
        html = cd.reports.header("R", lang=lang, agency=given)._repr_html_()
        assert expected in html.replace("&#x27;", "'")
        if lang != "en":
            assert given not in html
    assert "Acme & Co" in cd.reports.header("R", lang="fr", agency="Acme & Co").facts["agency"]


def test_a_drift_alert_of_a_run_is_told_in_the_readers_language(tmp_path):
    from cibg_ds.pipelines.record import quality_summaries
    from cibg_ds.quality import drift

    alert = {"date": "2026-11-05", "measure": "distinct_units", "observed": 50.0,
             "expected": 100.0, "change": -0.5}  # fmt: skip
    alert["sentence"] = drift.sentence(SimpleNamespace(**alert))
    report = {"suite": "pings", "success": True, "provenance": {"alerts": [alert]}}
    (tmp_path / "report.json").write_text(json.dumps(report))
    summaries = quality_summaries(tmp_path)
    english, french = (quality_verdicts(summaries, lang) for lang in ("en", "fr"))
    assert english[1].endswith("50 % fewer distinct units than a usual Thursday")
    assert "jeudi" in french[1] and "Thursday" not in french[1]
    assert french[1] == "qualité des données (positions des camions) : alerte de dérive : " + (
        drift.sentence(SimpleNamespace(**alert), "fr")
    )
