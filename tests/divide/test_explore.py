"""Re-ranking under a reader's weights (the index explorer's step), on the embedded indicators."""

import pandas as pd
import pytest
from scipy.stats import spearmanr

from cibg_ds.divide import exclusion_index, indicators, reweight, risk_columns
from cibg_ds.divide import weighting_scenarios as scenarios
from cibg_ds.divide.index import orient
from cibg_ds.errors import ParameterError


@pytest.fixture(scope="module")
def table():
    return indicators(validate=False)


def _by_nis(result):
    return result.table.set_index("nis")


@pytest.mark.parametrize("column", ["share_65plus_pct", "income_eur", "unemployment_pct"])
def test_weighing_an_indicator_more_moves_the_ranking_its_way(table, column):
    """More weight on one indicator: its riskiest commune climbs, the ranks follow it."""
    risk = pd.Series(orient(table, [column])[:, 0], index=table["nis"])  # higher = more risk
    riskiest = risk.idxmax()
    equal, heavy = _by_nis(reweight(table, n_sim=20)), _by_nis(reweight(table, {column: 4},
                                                                         n_sim=20))  # fmt: skip
    assert heavy.loc[riskiest, "rank"] <= equal.loc[riskiest, "rank"]
    # the ranking agrees more with that indicator alone (rank 1 = most risk: negative rho)
    rho_equal = spearmanr(equal["rank"], risk[equal.index]).statistic
    rho_heavy = spearmanr(heavy["rank"], risk[heavy.index]).statistic
    assert rho_heavy < rho_equal
    assert not heavy["rank"].equals(equal["rank"].reindex(heavy.index))


def test_only_one_indicator_weighted_ranks_by_it(table):
    column = "share_65plus_pct"
    weights = {c: 0 for c in risk_columns(table)} | {column: 1}
    ranked = _by_nis(reweight(table, weights, n_sim=20))["rank"]
    expected = table.set_index("nis")[column].rank(ascending=False, method="min").astype(int)
    assert ranked.to_dict() == expected.to_dict()  # ties share the best rank
    assert "indicator left out" in set(reweight(table, weights, n_sim=20).sensitivity["choice"])


@pytest.mark.parametrize("normalisation", ["minmax", "zscore", "rank"])
def test_equal_weights_are_exclusion_index_with_equal_weighting(table, normalisation):
    direct = exclusion_index(table, weighting="equal", normalisation=normalisation, n_sim=150,
                             seed=4).table  # fmt: skip
    ones = {c: 1.0 for c in risk_columns(table)}
    for weights in ({}, ones, {c: 2.5 for c in ones}):
        result = reweight(table, weights, normalisation=normalisation, n_sim=150, seed=4)
        pd.testing.assert_frame_equal(result.table, direct)


def test_all_weights_at_zero_is_refused_naming_the_weights(table):
    with pytest.raises(ParameterError, match=r"weights are all zero.*above 0"):
        reweight(table, {c: 0.0 for c in risk_columns(table)})


@pytest.mark.parametrize(
    ("weights", "named"),
    [
        ({"income_eur": -1}, "weights['income_eur']"),
        ({"income_eur": "heavy"}, "weights['income_eur']"),
        ({"population": 2}, "population"),  # a context column, not a risk indicator
        ([1, 2, 3], "weights must be a dict"),
    ],
)
def test_bad_weights_are_refused_naming_them(table, weights, named):
    with pytest.raises(ParameterError) as caught:
        reweight(table, weights)
    assert named in str(caught.value)


def test_scenarios_are_the_ranks_of_each_weighting(table):
    ranks = scenarios(table, normalisation="zscore", factor=3)
    assert list(ranks.columns) == ["nis", "name_fr", "equal", *risk_columns(table)]
    assert ranks["equal"].tolist() == sorted(ranks["equal"])  # sorted by the equal ranks
    equal = _by_nis(reweight(table, normalisation="zscore", n_sim=1))["rank"]
    assert ranks.set_index("nis")["equal"].equals(equal.reindex(ranks["nis"]))
    heavy = _by_nis(reweight(table, {"income_eur": 3}, normalisation="zscore", n_sim=1))["rank"]
    assert ranks.set_index("nis")["income_eur"].equals(heavy.reindex(ranks["nis"]))
    assert (ranks["income_eur"] != ranks["equal"]).any()  # the scenario changes something
