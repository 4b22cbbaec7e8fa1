"""Re-ranking the communes under a reader's own weights: the step behind the index explorer.

:func:`reweight` is :func:`~cibg_ds.divide.exclusion_index` with weights given relative to
equal weights (an indicator not named keeps weight 1), checked the way a slider can go
wrong (all at zero); :func:`weighting_scenarios` ranks the communes under a few such
weightings at once, the static version of the explorer (:mod:`cibg_ds.viz.explorer`).
"""

from __future__ import annotations

import pandas as pd

from cibg_ds import checks
from cibg_ds.divide.index import IndexResult, exclusion_index
from cibg_ds.divide.indicators import risk_columns
from cibg_ds.errors import ParameterError
from cibg_ds.schema import NAME_FR, NIS


def _weights(table: pd.DataFrame, weights) -> dict[str, float]:
    """Return one checked weight per risk indicator of ``table`` (1 for those not named)."""
    given = checks.mapping("weights", weights, optional=False)
    columns = risk_columns(table)
    unknown = sorted(set(given) - set(columns), key=str)
    if unknown:
        raise ParameterError(
            f"weights names {unknown}, which are not risk indicators of the table; "
            f"use some of {columns}"
        )
    full = {c: checks.number(f"weights[{c!r}]", given.get(c, 1.0), 0) for c in columns}
    if not any(full.values()):
        raise ParameterError(
            "weights are all zero: give at least one indicator a weight above 0 "
            f"(indicators: {columns})"
        )
    return full


def reweight(
    table: pd.DataFrame,
    weights: dict | None = None,
    *,
    normalisation: str = "minmax",
    n_sim: int = 200,
    seed: int = 0,
) -> IndexResult:
    """Rank the communes under the given indicator weights, with their rank intervals.

    Parameters
    ----------
    table : pandas.DataFrame
        From :func:`cibg_ds.divide.indicators`.
    weights : dict, optional
        ``{indicator column: weight >= 0}``, relative to equal weights: an indicator not
        named keeps weight 1, so ``{}`` (the default) gives equal weights and
        ``{"income_eur": 2}`` counts income twice. At least one weight must be above 0.
    normalisation : str
        ``minmax`` (0-10), ``zscore`` or ``rank``.
    n_sim : int
        Monte Carlo runs of the rank intervals (a few hundred keep an explorer live).
    seed : int
        Seed of the runs (same seed, same intervals).

    Returns
    -------
    IndexResult
        As :func:`~cibg_ds.divide.exclusion_index` returns it, arithmetic aggregation, the
        runs varying the weights and the normalisation around the given ones.

    Raises
    ------
    ParameterError
        When a weight is negative or not a number, names no risk indicator, or when all
        weights are zero.

    Examples
    --------
    >>> from cibg_ds.divide import indicators, risk_columns
    >>> table = indicators(validate=False)
    >>> equal = reweight(table, n_sim=50).table
    >>> elderly = reweight(table, {"share_65plus_pct": 5}, n_sim=50).table
    >>> equal["name_fr"].iloc[0], elderly["name_fr"].iloc[0]
    ('Saint-Josse-ten-Noode', 'Watermael-Boitsfort')
    >>> reweight(table, {c: 0 for c in risk_columns(table)})  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    cibg_ds.errors.ParameterError: weights are all zero: give at least one indicator a ...
    """
    checks.frame("table", table, dask=False)
    full = _weights(table, {} if weights is None else weights)
    return exclusion_index(
        table,
        columns=list(full),
        normalisation=normalisation,
        weighting=full,
        n_sim=n_sim,
        seed=seed,
    )


def weighting_scenarios(
    table: pd.DataFrame, *, normalisation: str = "minmax", factor: float = 2.0
) -> pd.DataFrame:
    """Rank the communes under equal weights and with each indicator's weight multiplied.

    Parameters
    ----------
    table : pandas.DataFrame
        From :func:`cibg_ds.divide.indicators`.
    normalisation : str
        ``minmax`` (0-10), ``zscore`` or ``rank``.
    factor : float
        What one indicator's weight is multiplied by in its scenario (> 0).

    Returns
    -------
    pandas.DataFrame
        One row per commune (``nis``, ``name_fr``), sorted by the equal-weight rank, with
        ``equal`` (its rank under equal weights) and one rank column per risk indicator
        (the rank when that indicator weighs ``factor`` times the others).

    Examples
    --------
    >>> from cibg_ds.divide import indicators
    >>> ranks = weighting_scenarios(indicators(validate=False))
    >>> list(ranks.columns[:4])
    ['nis', 'name_fr', 'equal', 'share_65plus_pct']
    >>> int(ranks["equal"].iloc[0]), len(ranks)
    (1, 19)
    """
    checks.frame("table", table, dask=False)
    checks.choice("normalisation", normalisation, ("minmax", "zscore", "rank"))
    factor = checks.positive("factor", factor)
    base = reweight(table, normalisation=normalisation, n_sim=1).table
    out = base[[NIS, NAME_FR, "rank"]].rename(columns={"rank": "equal"})
    for column in risk_columns(table):
        ranks = reweight(table, {column: factor}, normalisation=normalisation, n_sim=1).table
        out = out.merge(ranks[[NIS, "rank"]].rename(columns={"rank": column}), on=NIS)
    return out
