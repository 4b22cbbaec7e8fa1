import numpy as np
import pandas as pd
import pytest

from cibg_ds.divide import exclusion_index, indicators
from cibg_ds.divide.index import normalise, pca_weights
from cibg_ds.errors import ParameterError


@pytest.fixture(scope="module")
def table():
    return indicators()


def _tiny():
    return pd.DataFrame(
        {
            "nis": ["a", "b", "c"],
            "unemployment_pct": [10.0, 20.0, 30.0],
            "income_eur": [40_000.0, 20_000.0, 30_000.0],  # lower income = more risk
        }
    )


def test_min_max_equal_arithmetic_by_hand():
    result = exclusion_index(_tiny(), n_sim=10)
    # unemployment scores 0, 5, 10; income reversed: 0 (40k), 10 (20k), 5 (30k)
    scores = result.table.set_index("nis")["score"]
    assert scores.to_dict() == pytest.approx({"a": 0.0, "b": 7.5, "c": 7.5})
    assert result.table.set_index("nis")["rank"].to_dict() == {"a": 3, "b": 1, "c": 1}
    geometric = exclusion_index(_tiny(), aggregation="geometric", n_sim=10)
    # shifted to start at 1: b = sqrt(6 * 11), c = sqrt(11 * 6), a = 1
    assert geometric.table.set_index("nis")["score"]["b"] == pytest.approx(np.sqrt(66))
    user = exclusion_index(_tiny(), weighting={"unemployment_pct": 3, "income_eur": 1}, n_sim=10)
    assert user.table.set_index("nis")["score"]["c"] == pytest.approx(0.75 * 10 + 0.25 * 5)


def test_normalisations():
    x = np.array([[1.0, 5.0], [2.0, 5.0], [4.0, 5.0]])
    assert normalise(x, "minmax")[:, 0].tolist() == pytest.approx([0, 10 / 3, 10])
    assert normalise(x, "minmax")[:, 1].tolist() == [0, 0, 0]  # constant column: no spread
    z = normalise(x, "zscore")[:, 0]
    assert z.mean() == pytest.approx(0) and z.std(ddof=1) == pytest.approx(1)
    assert normalise(x, "rank")[:, 0].tolist() == [1, 2, 3]
    with pytest.raises(ParameterError, match="normalisation must be"):
        normalise(x, "log")


def test_rank_intervals_are_seeded_and_bracket_the_median(table):
    result = exclusion_index(table, n_sim=300, seed=4)
    t = result.table
    assert sorted(t["rank"]) == list(range(1, 20))
    assert ((t["rank_lo"] <= t["rank_median"]) & (t["rank_median"] <= t["rank_hi"])).all()
    assert t["rank_lo"].ge(1).all() and t["rank_hi"].le(19).all()
    assert (t["rank_hi"] > t["rank_lo"]).any()  # the choices do move some communes
    again = exclusion_index(table, n_sim=300, seed=4)
    pd.testing.assert_frame_equal(t, again.table)
    fixed = exclusion_index(table, n_sim=20, vary=()).table
    assert (fixed["rank_lo"] == fixed["rank"]).all() and (fixed["rank_hi"] == fixed["rank"]).all()
    assert result.simulated_ranks.shape == (300, 19)
    assert "Exclusion-risk index" in result._repr_html_()


def test_sensitivity_names_every_switch_and_sorts_by_effect(table):
    result = exclusion_index(table, n_sim=50)
    s = result.sensitivity
    columns = result.settings["columns"]
    assert len(s) == 2 + 1 + 1 + len(columns)  # normalisations, aggregation, weighting, drops
    assert s["mean_abs_shift"].is_monotonic_decreasing
    assert set(s.loc[s["choice"] == "indicator left out", "alternative"]) == set(columns)
    assert s["spearman"].between(-1, 1).all()


def test_pca_weights_follow_the_handbook():
    rng = np.random.default_rng(0)
    common = rng.normal(size=50)
    x = np.column_stack([common + rng.normal(0, 0.1, 50), common + rng.normal(0, 0.1, 50),
                         rng.normal(size=50)])  # fmt: skip
    w = pca_weights(x)
    assert w.sum() == pytest.approx(1) and (w > 0).all()
    assert w[0] == pytest.approx(w[1], rel=0.1)  # the two correlated indicators share PC1


def test_bad_choices_are_refused(table):
    with pytest.raises(ParameterError, match="weighting must be"):
        exclusion_index(table, weighting="expert")
    with pytest.raises(ParameterError, match="missing"):
        exclusion_index(table, weighting={"income_eur": 1.0})
    with pytest.raises(ParameterError, match="aggregation must be"):
        exclusion_index(table, aggregation="harmonic")
    with pytest.raises(ParameterError, match="at least 2"):
        exclusion_index(table, columns=["income_eur"])
    with pytest.raises(ParameterError, match="missing values"):
        exclusion_index(table.assign(income_eur=np.nan))
    with pytest.raises(ParameterError, match="vary"):
        exclusion_index(table, vary=("luck",))
