"""Maps of the default geometry carry its attribution and no 'schematic' caption."""

import matplotlib

matplotlib.use("Agg")

from cibg_ds.io import load_communes
from cibg_ds.viz.maps import interactive_map, static_map


def _texts(ax):
    return [t.get_text() for t in ax.texts]


def test_default_communes_map_shows_the_attribution_not_a_schematic_caption():
    communes = load_communes().assign(value=range(19))
    texts = _texts(static_map(communes, "value", "t", communes=load_communes()))
    assert any("Statbel" in t for t in texts)
    assert not any("chematic" in t for t in texts)
    html = interactive_map(communes, "value")._repr_html_()
    assert "Statbel" in html and "Schematic geometry" not in html


def test_the_schematic_sketch_still_says_so():
    sketch = load_communes(schematic=True).assign(value=range(19))
    texts = _texts(static_map(sketch, "value", "t"))
    assert any("Schematic geometry" in t for t in texts)
    assert not any("Statbel" in t for t in texts)
