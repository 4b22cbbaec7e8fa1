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
    french = " ".join(_texts(static_map(sketch, "value", "t", lang="fr")))
    dutch = interactive_map(sketch, "value", lang="nl")._repr_html_()
    assert "Schematic" not in french + dutch
    assert "schématique" in french.lower() and "schematisch" in dutch.lower()


def test_the_embedded_layers_credits_are_in_the_readers_language():
    from cibg_ds.io.communes import COMMUNES_ATTRIBUTION
    from cibg_ds.io.osm import OSM_ATTRIBUTION
    from cibg_ds.io.roads import load_roads
    from cibg_ds.io.sectors import SECTORS_ATTRIBUTION
    from cibg_ds.viz.maps import EMBEDDED_CREDITS

    assert set(EMBEDDED_CREDITS) == {COMMUNES_ATTRIBUTION, OSM_ATTRIBUTION, SECTORS_ATTRIBUTION}
    communes = load_communes().assign(value=range(19))
    french = " ".join(_texts(static_map(communes, "value", "t", lang="fr")))
    assert "Limites : Statbel" in french and "Boundaries" not in french
    dutch = interactive_map(communes, "value", roads=load_roads(), lang="nl")._repr_html_()
    assert "Grenzen: Statbel" in dutch and "OpenStreetMap-bijdragers" in dutch
    assert "Boundaries:" not in dutch
