import matplotlib

matplotlib.use("Agg")

from cibg_ds.io import load_commune_facts
from cibg_ds.quality import validate
from cibg_ds.viz import plot_unexpected


def test_one_bar_per_failed_expectation_with_unexpected_rows():
    facts = load_commune_facts()
    facts.loc[0, "share_65plus_pct"] = 140.0
    facts.loc[[1, 2], "name_nl"] = None
    result = validate(facts, "communes")
    ax = plot_unexpected(result)
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert sorted(labels) == ["name_nl_not_null", "share_65plus_pct"]
    widths = sorted(round(p.get_width(), 3) for p in ax.patches)
    assert widths == sorted([round(1 / 19 * 100, 3), round(2 / 19 * 100, 3)])


def test_a_passing_result_says_so():
    ax = plot_unexpected(validate(load_commune_facts(), "communes"))
    assert "no unexpected rows" in [t.get_text() for t in ax.texts]


def test_a_french_chart_writes_its_counts_as_french_does():
    import pandas as pd

    from cibg_ds.viz import number

    facts = pd.concat([load_commune_facts()] * 100, ignore_index=True)
    facts.loc[:1199, "name_nl"] = None
    ax = plot_unexpected(validate(facts, "communes"), lang="fr")
    counts = [t.get_text() for t in ax.texts]
    assert number(1200, 0, "fr") in counts and "1,200" not in counts
    assert number(1900, 0, "fr") in ax.get_title()
