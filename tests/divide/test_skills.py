import numpy as np
import pandas as pd
import pytest

from cibg_ds.divide import indicators, skill_estimates
from cibg_ds.divide.skills import calibrate
from cibg_ds.errors import ParameterError
from cibg_ds.schema import BRUSSELS_NIS


@pytest.fixture(scope="module")
def table():
    return indicators()


def test_estimates_add_up_to_the_regional_figures(table):
    est = skill_estimates(table, n_sim=200)
    assert est["limited"].sum() == 475_000 and est["none"].sum() == 170_000
    assert (est["none"] <= est["limited"]).all()
    assert (est["limited"] <= est["population"]).all()
    for name in ("limited", "none"):
        assert (est[f"{name}_lo"] <= est[name]).all() and (est[name] <= est[f"{name}_hi"]).all()
    assert est.attrs["model"]["terms"] == ["share_65plus_pct", "income_eur"]


def test_the_model_follows_its_predictors(table):
    est = skill_estimates(table, n_sim=20).set_index("nis")
    share = est["limited_pct"]
    income = table.set_index("nis")["income_eur"]
    # the poorest commune has a higher share than the richest
    assert share[income.idxmin()] > share[income.idxmax()]
    extra = pd.DataFrame({"nis": list(BRUSSELS_NIS), "low_education_pct": np.linspace(60, 5, 19)})
    with_education = skill_estimates(indicators(extra=extra), n_sim=20).set_index("nis")
    assert with_education["limited"].sum() == 475_000
    assert with_education.loc["21001", "limited_pct"] > share["21001"]  # most low-educated


def test_calibration_hits_the_total_exactly():
    population = np.array([1000.0, 3000.0])
    eta = np.array([-1.0, 1.0])
    delta = calibrate(population, eta, 2000.0)
    from scipy.special import expit

    assert (population * expit(eta + delta)).sum() == pytest.approx(2000.0, abs=1e-6)
    with pytest.raises(ParameterError, match="between 0 and the population"):
        calibrate(population, eta, 5000.0)


def test_other_figures_and_bad_ones(table):
    est = skill_estimates(table, limited_total=400_000, none_total=100_000, n_sim=10)
    assert est["limited"].sum() == 400_000 and est["none"].sum() == 100_000
    with pytest.raises(ParameterError, match="none_total <= limited_total"):
        skill_estimates(table, limited_total=100, none_total=200)
    with pytest.raises(ParameterError, match="share_65plus_pct and income_eur"):
        skill_estimates(table.drop(columns="income_eur"))
