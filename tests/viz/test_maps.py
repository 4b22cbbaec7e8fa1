"""The interactive map: inline SVG from our own layers, nothing fetched, names on communes."""

from __future__ import annotations

import re

import numpy as np

import cibg_ds as cd
from cibg_ds.io import load_communes


def test_interactive_map_draws_every_commune_with_its_name_and_loads_nothing():
    communes = load_communes()
    scored = communes.assign(score=np.arange(19, dtype=float) / 4 + 0.01)
    scored.loc[scored.index[0], "score"] = np.nan  # suppressed: grey, and said so
    m = cd.viz.interactive_map(scored, "score", scheme="quantiles", k=4, lang="nl",
                               tooltip={"name_nl": "Gemeente", "score": "Score"})  # fmt: skip
    html = m._repr_html_()
    data = re.search(r"<g data-layer='data'.*?</g>", html, re.S).group(0)
    assert data.count("<path") == 19
    assert "fill='#bbbbbb'" in data and "afgeschermd / geen gegevens" in html
    labels = re.findall(r"<text [^>]*>([^<]+)</text>", html)
    assert len(labels) == 19 and "Ukkel" in labels  # Dutch names for a Dutch reader
    assert "Gemeente: Ukkel" in html
    assert "0,26 – " in html and "0.26" not in html  # legend and tooltips in Dutch numbers
    assert "Score: 4,51" in html
    assert not re.search(r"https?://|<script[^>]+src=|<link", html)
    assert len(html) < 60_000


def test_french_map_puts_a_space_before_its_colons_dutch_and_english_do_not():
    communes = load_communes().assign(score=np.arange(19, dtype=float))
    tooltip = {"name_fr": "Commune", "score": "Score"}
    french = cd.viz.interactive_map(communes, "score", name="Indice", tooltip=tooltip, lang="fr")
    html = french._repr_html_()
    assert "Commune : Uccle" in html and "Score : 15" in html  # tooltips
    assert "<b>Indice</b> : " in html and "<b>Indice</b>: " not in html  # legend
    english = cd.viz.interactive_map(communes, "score", name="Index", tooltip=tooltip)._repr_html_()
    assert "Commune: Uccle" in english and "<b>Index</b>: " in english


def test_interactive_map_of_lines_strokes_them_and_adds_a_roads_layer(tmp_path):
    roads = cd.mobility.default_roads()
    m = cd.viz.interactive_map(roads.assign(v=1.0), "v", roads=roads, communes=load_communes())
    html = m._repr_html_()
    assert "stroke-width='3'" in html and "data-layer='roads'" in html
    assert "Schematic geometry" not in html and "OpenStreetMap" in html  # real roads, credited
    m.save(tmp_path / "map.html")
    assert (tmp_path / "map.html").read_text().startswith("<!DOCTYPE html><html lang='en'>")


def test_a_static_map_is_rendered_once_when_saved_not_after_each_layer():
    import matplotlib.pyplot as plt

    from cibg_ds.viz.figures import png_bytes

    communes = load_communes().assign(score=np.arange(19.0))
    fig, ax = plt.subplots()
    renders = []
    fig.canvas.mpl_connect("draw_event", renders.append)
    cd.viz.static_map(communes, "score", "t", scheme="quantiles", highlight="21004", ax=ax)
    cd.viz.lisa_map(communes.assign(quadrant="HH", p_sim=0.01), ax=ax)
    assert renders == []  # geopandas asked for a render after each of its layers
    assert "draw_idle" not in vars(fig.canvas)  # the canvas is itself again
    assert png_bytes(fig).startswith(b"\x89PNG") and renders
    plt.close(fig)


def test_classes_from_the_cached_fisher_jenks_kernel_are_mapclassify_s_in_python():
    from cibg_ds.viz.maps import _mapclassify

    mapclassify = _mapclassify()
    kernel = mapclassify.classifiers._fisher_jenks_means
    values = np.sort(np.random.default_rng(2).gamma(2.0, 3.0, 19))
    compiled = mapclassify.classify(values, "fisherjenks", k=5).bins
    np.testing.assert_array_equal(compiled, kernel.py_func(values, classes=5))
