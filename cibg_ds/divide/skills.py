"""Residents with limited or no digital skills per commune, calibrated to the regional figures.

Model. For commune c the probability that a resident has limited skills is
``expit(delta + sum_k beta_k * (x_kc - mean_k))`` over the terms available: share aged 65+
(fraction), share with low education (fraction; only when the table has it) and the log
of the average income. The slopes are log-odds contrasts of published group rates:

- education: 68 % of the low-educated vs 19 % of the highly educated have low skills
  (King Baudouin Foundation barometer 2023): ``logit(.68) - logit(.19)`` for a share
  going from 0 to 1;
- age: 31 % of the retired have basic skills or above against 61.7 % of all Brussels
  residents (Eurostat DSI 2021): ``logit(.69) - logit(.383)``;
- income: 32 % vs 79 % with basic skills in the lowest vs highest income quintile
  (Eurostat DSI 2021), over the log of a 4:1 income ratio between those quintiles.

Calibration. ``delta`` is solved (Brent's method) so that the expected residents sum to
the regional figure (475,000 limited, 170,000 of them with none: CIRB/CIBG annual report
2021); "none" uses the same slopes with its own ``delta`` (so none <= limited everywhere).
The base is all residents. Estimates are rounded by largest remainder so that the
integers add up exactly to the figures.

Uncertainty. A seeded Monte Carlo multiplies each slope by U(0.5, 1.5), recalibrates, and
reports the 5th-95th percentile per commune. These are ecological estimates from
individual-level contrasts: they say where the figures are likely concentrated, not who.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.optimize import brentq
from scipy.special import expit, logit

from cibg_ds import checks
from cibg_ds.errors import ParameterError
from cibg_ds.schema import NAME_FR, NIS

SLOPES = {
    "share_65plus_pct": logit(0.69) - logit(0.383),
    "low_education_pct": logit(0.68) - logit(0.19),
    "income_eur": (logit(0.21) - logit(0.68)) / np.log(4.0),
}
"""Log-odds slopes per unit of each term (shares as fractions, income in log EUR)."""


def _terms(table: pd.DataFrame) -> tuple[list[str], np.ndarray]:
    terms = [t for t in SLOPES if t in table.columns]
    if "income_eur" not in terms or "share_65plus_pct" not in terms:
        raise ParameterError("skill estimates need share_65plus_pct and income_eur columns")
    columns = []
    for t in terms:
        values = table[t].to_numpy(float)
        columns.append(np.log(values) if t == "income_eur" else values / 100)
    x = np.column_stack(columns)
    return terms, x - x.mean(axis=0)


def calibrate(population: np.ndarray, eta: np.ndarray, total: float) -> float:
    """Return ``delta`` such that ``sum(population * expit(eta + delta)) == total``."""
    if not 0 < total < population.sum():
        raise ParameterError(f"total {total:,.0f} must lie between 0 and the population")
    return brentq(lambda d: (population * expit(eta + d)).sum() - total, -30, 30, xtol=1e-12)


def _expected(population, x, slopes, total):
    eta = x @ slopes
    return population * expit(eta + calibrate(population, eta, total))


def largest_remainder(values: np.ndarray, total: int) -> np.ndarray:
    """Round non-negative values to integers that add up to ``total``.

    >>> largest_remainder(np.array([1.5, 1.5, 1.0]), 4).tolist()
    [2, 1, 1]
    """
    floor = np.floor(values).astype(np.int64)
    short = int(total - floor.sum())
    order = np.argsort(-(values - floor), kind="stable")
    floor[order[:short]] += 1
    return floor


def skill_estimates(
    table: pd.DataFrame,
    *,
    limited_total: int | None = None,
    none_total: int | None = None,
    n_sim: int = 1000,
    seed: int = 0,
) -> pd.DataFrame:
    """Estimate residents with limited and with no digital skills per commune.

    Parameters
    ----------
    table : pandas.DataFrame
        From :func:`cibg_ds.divide.indicators` (``population``, ``share_65plus_pct``,
        ``income_eur``; ``low_education_pct`` when supplied).
    limited_total, none_total : int, optional
        Regional figures to calibrate to; default the embedded 475,000 and 170,000.
    n_sim : int
        Monte Carlo runs for the intervals.
    seed : int

    Returns
    -------
    pandas.DataFrame
        ``nis``, ``name_fr``, ``population``, ``limited``, ``limited_lo``, ``limited_hi``,
        ``none``, ``none_lo``, ``none_hi``, ``limited_pct``. ``limited`` and ``none`` add
        up exactly to the totals; ``attrs["model"]`` holds terms, slopes and intercepts.
    """
    checks.frame("table", table, dask=False)
    for name, total in (("limited_total", limited_total), ("none_total", none_total)):
        if total is not None:
            checks.integer(name, total, 1)
    checks.integer("n_sim", n_sim, 1), checks.integer("seed", seed, 0)
    from cibg_ds.io import load_regional_figures

    figures = load_regional_figures().set_index("key")["value"]
    limited_total = int(
        figures["residents_limited_digital_skills"] if limited_total is None else limited_total
    )
    none_total = int(figures["residents_no_digital_skills"] if none_total is None else none_total)
    if not 0 < none_total <= limited_total:
        raise ParameterError("need 0 < none_total <= limited_total")
    terms, x = _terms(table)
    population = table["population"].to_numpy(float)
    slopes = np.array([SLOPES[t] for t in terms])
    rng = np.random.default_rng(seed)
    out = pd.DataFrame({NIS: table[NIS].to_numpy(), "population": population.astype(np.int64)})
    if NAME_FR in table.columns:
        out.insert(1, NAME_FR, table[NAME_FR].to_numpy())
    model = {"terms": terms, "slopes": dict(zip(terms, slopes.round(4).tolist(), strict=True))}
    draws = rng.uniform(0.5, 1.5, size=(n_sim, len(slopes)))
    for name, total in (("limited", limited_total), ("none", none_total)):
        central = _expected(population, x, slopes, total)
        out[name] = largest_remainder(central, total)
        sims = np.array([_expected(population, x, slopes * d, total) for d in draws])
        out[f"{name}_lo"] = np.floor(np.percentile(sims, 5, axis=0)).astype(np.int64)
        out[f"{name}_hi"] = np.ceil(np.percentile(sims, 95, axis=0)).astype(np.int64)
        model[f"delta_{name}"] = float(calibrate(population, x @ slopes, total))
        model[f"total_{name}"] = total
    out["limited_pct"] = 100 * out["limited"] / out["population"]
    model["n_sim"], model["seed"] = n_sim, seed
    out.attrs["model"] = model
    return out
