"""The index explorer: real ipywidgets (headless: setting a value runs the observers)."""

import html

import matplotlib

matplotlib.use("Agg")

import nbformat
import pytest
from bs4 import BeautifulSoup

import cibg_ds as cd
from cibg_ds.divide import reweight, risk_columns
from cibg_ds.reports.export import WIDGET_VIEW, drop_widgets, notebook_html
from cibg_ds.viz.explorer import STATIC_CLASS
from cibg_ds.viz.tables import METHODS


@pytest.fixture(scope="module")
def table():
    return cd.divide.indicators(validate=False)


@pytest.fixture(scope="module")
def communes():
    return cd.io.load_communes()


def _shown(explorer) -> tuple[str, str]:
    (output,) = explorer.output.outputs
    return output["data"]["text/html"], output["data"]["text/plain"]


def test_a_slider_re_ranks_and_redraws(table, communes):
    explorer = cd.viz.explore_index(table, communes, n_sim=50, seed=2)
    assert set(explorer.sliders) == set(risk_columns(table))
    before_html, before_text = _shown(explorer)
    assert before_html.count("<img") == 2  # the map and the rank intervals
    first = explorer.result.table["nis"].tolist()

    explorer.sliders["share_65plus_pct"].value = 3.0
    after_html, after_text = _shown(explorer)
    expected = reweight(table, {"share_65plus_pct": 3.0}, n_sim=50, seed=2).table
    assert explorer.result.table.equals(expected)
    assert explorer.result.table["nis"].tolist() != first  # another ranking ...
    assert after_html != before_html and after_text != before_text  # ... drawn
    top = cd.viz.commune_names("en")[expected["nis"].iloc[0]]
    assert after_text == f"Rank 1: {top}"
    alts = [img["alt"] for img in BeautifulSoup(after_html, "html.parser").select("img")]
    assert any(f"rank 1 is {top}" in alt for alt in alts), alts

    explorer.normalisation.value = "rank"
    assert explorer.result.settings["normalisation"] == "rank"
    assert _shown(explorer)[0] != after_html


def test_all_weights_at_zero_say_so_in_the_output_not_in_a_traceback(table, communes):
    explorer = cd.viz.explore_index(table, communes, n_sim=20, lang="nl")
    for slider in explorer.sliders.values():
        slider.value = 0.0
    markup, text = _shown(explorer)
    assert explorer.result is None
    assert text == "Geef minstens één indicator een gewicht groter dan 0." and "<img" not in markup
    explorer.sliders["income_eur"].value = 0.5  # back to a ranking
    assert explorer.result is not None and _shown(explorer)[0].count("<img") == 2


def test_labels_are_in_the_readers_language(table, communes):
    explorer = cd.viz.explore_index(table, communes, n_sim=20, lang="fr", normalisation="zscore")
    descriptions = [s.description for s in explorer.sliders.values()]
    assert "Taux de chômage (%)" in descriptions
    assert explorer.normalisation.value == "zscore"
    french = [cd.i18n.gettext("fr")(METHODS[n]) for n in ("minmax", "zscore", "rank")]
    assert [label for label, _ in explorer.normalisation.options] == french
    assert french != [METHODS[n] for n in ("minmax", "zscore", "rank")]
    assert "Explorateur de l'indice" in html.unescape(explorer.widget.children[0].value)


def test_the_display_carries_the_widget_and_a_static_version(table, communes):
    explorer = cd.viz.explore_index(table, communes, n_sim=20)
    static = explorer.static()
    assert explorer._widget is None  # the static version opens no widget
    bundle = explorer._repr_mimebundle_()
    assert WIDGET_VIEW in bundle and bundle[WIDGET_VIEW]["model_id"] == explorer.widget.model_id
    assert bundle["text/html"] == static._repr_html_()
    assert "VBox" not in bundle["text/plain"]
    soup = BeautifulSoup(bundle["text/html"], "html.parser")
    block = soup.select_one(f"div.{STATIC_CLASS}")
    assert "Index explorer (static version)" in block.get_text()
    rows = block.select("tbody tr")
    assert len(rows) == 19 and len(rows[0].select("td")) == 2 + len(risk_columns(table))


def test_an_exported_page_shows_the_static_version_and_no_widget(table, communes, tmp_path):
    explorer = cd.viz.explore_index(table, communes, n_sim=20)
    bundle = explorer._repr_mimebundle_()
    progress = {WIDGET_VIEW: {"model_id": "abc", "version_major": 2, "version_minor": 0},
                "text/plain": "HBox(children=(FloatProgress(value=0.0),))"}  # fmt: skip
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_code_cell(outputs=[
            nbformat.v4.new_output("display_data", data=bundle),
            nbformat.v4.new_output("display_data", data=progress),
        ])
    ]  # fmt: skip
    nb.metadata["widgets"] = {"application/vnd.jupyter.widget-state+json": {"state": {}}}
    cleaned = drop_widgets(nb)
    assert [list(o["data"]) for o in cleaned.cells[0].outputs] == [["text/html"]]
    assert "widgets" not in cleaned.metadata and "widgets" in nb.metadata  # a copy
    page = notebook_html(nb, title="t")
    assert f'class="{STATIC_CLASS}"' in page
    for leaked in ("VBox", "HBox", "widget-view", "widget-state", "Loading widget"):
        assert leaked not in page, leaked
