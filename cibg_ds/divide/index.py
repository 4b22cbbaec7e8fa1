"""Composite exclusion-risk index after the OECD/JRC Handbook, with its uncertainty.

Steps (each a parameter): orient every indicator so that a higher value means more risk
(its declared direction), normalise (``minmax`` 0-10 as in the UK Digital Exclusion Risk
Index, ``zscore``, ``rank``), weight (``equal``, ``pca``: squared loadings of the principal
components with eigenvalue > 1, scaled by the variance they explain, as in the Handbook;
or user-given), aggregate (``arithmetic`` or ``geometric``; for the geometric mean the
normalised values are first shifted to start at 1). Rank 1 = highest risk.

Uncertainty: a seeded Monte Carlo draws, for each run, a normalisation (uniformly among
the three), weights (each multiplied by U(0.5, 1.5), then rescaled to sum to 1) and, when
asked, the aggregation; each commune's median rank and 90 % rank interval (5th-95th
percentile) over the runs are reported. Sensitivity: the ranking is recomputed switching
one choice at a time (another normalisation, aggregation or weighting, or one indicator
left out) and the table says how far each switch moves it.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
from scipy.stats import rankdata

from cibg_ds import checks
from cibg_ds.divide.indicators import BY_COLUMN, risk_columns
from cibg_ds.errors import ParameterError
from cibg_ds.schema import NAME_FR, NIS

NORMALISATIONS = ("minmax", "zscore", "rank")
WEIGHTINGS = ("equal", "pca")
AGGREGATIONS = ("arithmetic", "geometric")


def orient(table: pd.DataFrame, columns: list[str]) -> np.ndarray:
    """Return the indicator matrix with every column turned so that higher = more risk."""
    directions = np.array([BY_COLUMN[c].direction if c in BY_COLUMN else 1 for c in columns])
    return table[columns].to_numpy(float) * directions


def normalise(x: np.ndarray, method: str) -> np.ndarray:
    """Normalise each column of an oriented matrix (see the module docstring).

    >>> normalise(np.array([[1.0], [2.0], [3.0]]), "minmax").ravel().tolist()
    [0.0, 5.0, 10.0]
    """
    if method == "minmax":
        low, high = x.min(axis=0), x.max(axis=0)
        span = np.where(high > low, high - low, 1.0)
        return 10 * (x - low) / span
    if method == "zscore":
        sd = x.std(axis=0, ddof=1)
        return (x - x.mean(axis=0)) / np.where(sd > 0, sd, 1.0)
    if method == "rank":
        return rankdata(x, method="average", axis=0)
    raise ParameterError(f"normalisation must be one of {list(NORMALISATIONS)}, got {method!r}")


def pca_weights(x: np.ndarray) -> np.ndarray:
    """Weights from principal components (OECD/JRC Handbook, step 6).

    Components with eigenvalue > 1 (at least one) of the standardised indicators are kept;
    each indicator takes its largest squared loading (loadings scaled to sum to 1 within
    a component) times that component's share of the kept variance.
    """
    from sklearn.decomposition import PCA

    z = normalise(x, "zscore")
    pca = PCA().fit(z)
    eigen = pca.explained_variance_
    keep = max(int((eigen > 1).sum()), 1)
    loadings = pca.components_[:keep] ** 2
    loadings = loadings / loadings.sum(axis=1, keepdims=True)
    share = eigen[:keep] / eigen[:keep].sum()
    weights = (loadings * share[:, None]).max(axis=0)
    return weights / weights.sum()


def _weights(spec, x: np.ndarray, columns: list[str]) -> np.ndarray:
    if isinstance(spec, str):
        if spec == "equal":
            return np.full(len(columns), 1 / len(columns))
        if spec == "pca":
            return pca_weights(x)
        raise ParameterError(
            f"weighting must be one of {list(WEIGHTINGS)} or a dict of weights, got {spec!r}"
        )
    weights = pd.Series(spec, dtype=float)
    missing, extra = (
        sorted(set(columns) - set(weights.index)),
        sorted(set(weights.index) - set(columns)),
    )
    if missing or extra:
        raise ParameterError(
            f"weights must name exactly the indicators {columns}; missing {missing}, extra {extra}"
        )
    if (weights < 0).any() or weights.sum() <= 0:
        raise ParameterError("weights must be >= 0 and not all zero")
    weights = weights[columns].to_numpy()
    return weights / weights.sum()


def aggregate(values: np.ndarray, weights: np.ndarray, method: str) -> np.ndarray:
    """Weighted arithmetic or geometric mean of normalised values, per row."""
    if method == "arithmetic":
        return values @ weights
    if method == "geometric":
        shifted = values - values.min(axis=0) + 1.0
        return np.exp(np.log(shifted) @ weights)
    raise ParameterError(f"aggregation must be one of {list(AGGREGATIONS)}, got {method!r}")


def _ranks(scores: np.ndarray) -> np.ndarray:
    """Rank 1 = highest score; ties share the best rank (``min``)."""
    return rankdata(-scores, method="min")


def _score(x, normalisation, weights, aggregation):
    return aggregate(normalise(x, normalisation), weights, aggregation)


@dataclasses.dataclass
class IndexResult:
    """The index, its rank intervals and what moves it.

    Attributes
    ----------
    table : pandas.DataFrame
        Per commune ``nis``, ``name_fr``, ``score``, ``rank``, ``rank_median``,
        ``rank_lo``, ``rank_hi`` (90 % interval), sorted by rank.
    sensitivity : pandas.DataFrame
        One row per switched choice: ``choice``, ``alternative``, ``mean_abs_shift``,
        ``max_shift`` (in rank places), ``spearman`` (with the base ranking).
    weights : pandas.Series
        The base weights by indicator.
    settings : dict
        The choices, number of runs and seed.
    simulated_ranks : numpy.ndarray
        Runs x communes.
    """

    table: pd.DataFrame
    sensitivity: pd.DataFrame
    weights: pd.Series
    settings: dict
    simulated_ranks: np.ndarray

    def _repr_html_(self) -> str:
        s = self.settings
        head = (
            f"<p><b>Exclusion-risk index</b>: {s['normalisation']} normalisation, "
            f"{s['weighting']} weights, {s['aggregation']} aggregation; "
            f"{s['n_sim']} Monte Carlo runs (seed {s['seed']}). Rank 1 = highest risk; "
            "the interval holds 90 % of the simulated ranks.</p>"
        )
        top = self.sensitivity.head(1)
        note = ""
        if len(top):
            row = top.iloc[0]
            note = (
                f"<p>The ranking is most sensitive to <b>{row['choice']}</b> "
                f"(switching to {row['alternative']} moves a commune by "
                f"{row['mean_abs_shift']:.1f} places on average).</p>"
            )
        return head + self.table.to_html(index=False, float_format="{:.2f}".format) + note


def exclusion_index(
    table: pd.DataFrame,
    *,
    columns: list[str] | None = None,
    normalisation: str = "minmax",
    weighting="equal",
    aggregation: str = "arithmetic",
    n_sim: int = 1000,
    seed: int = 0,
    vary: tuple[str, ...] = ("weights", "normalisation"),
) -> IndexResult:
    """Composite exclusion-risk index per commune, with a Monte Carlo rank interval.

    Parameters
    ----------
    table : pandas.DataFrame
        From :func:`cibg_ds.divide.indicators` (one row per commune, no missing value).
    columns : list of str, optional
        Indicators to combine; default every risk indicator present.
    normalisation : str
        ``minmax`` (0-10), ``zscore`` or ``rank``.
    weighting : str or dict
        ``equal``, ``pca`` or ``{column: weight}``.
    aggregation : str
        ``arithmetic`` or ``geometric``.
    n_sim : int
        Monte Carlo runs (>= 100 for a stable 90 % interval).
    seed : int
        Seed of the runs (same seed, same intervals).
    vary : tuple of str
        What the runs vary: any of ``weights``, ``normalisation``, ``aggregation``.

    Returns
    -------
    IndexResult
        The ``table`` of scores, ranks and rank intervals, and what moves them.

    Examples
    --------
    >>> from cibg_ds.divide import indicators
    >>> result = exclusion_index(indicators(validate=False), n_sim=50)
    >>> top = result.table.iloc[0]
    >>> top["name_fr"], int(top["rank"]), bool(top["rank_lo"] <= 1 <= top["rank_hi"])
    ('Saint-Josse-ten-Noode', 1, True)
    """
    checks.frame("table", table, dask=False)
    checks.choice("normalisation", normalisation, NORMALISATIONS)
    checks.choice("aggregation", aggregation, AGGREGATIONS)
    if isinstance(weighting, str) or not isinstance(weighting, dict):
        checks.choice("weighting", weighting, WEIGHTINGS)
    checks.integer("n_sim", n_sim, 1), checks.integer("seed", seed, 0)
    vary = checks.subset("vary", vary, ("weights", "normalisation", "aggregation"), empty=True)
    columns = list(columns) if columns is not None else risk_columns(table)
    checks.subset("columns", columns, table.columns)
    if len(columns) < 2:
        raise ParameterError(f"an index needs at least 2 indicators, got {columns}")
    if table[columns].isna().any().any():
        gaps = table[columns].columns[table[columns].isna().any()].tolist()
        raise ParameterError(f"indicators {gaps} have missing values; impute them first")
    x = orient(table, columns)
    weights = _weights(weighting, x, columns)
    score = _score(x, normalisation, weights, aggregation)
    rank = _ranks(score)

    rng = np.random.default_rng(seed)
    sims = np.empty((n_sim, len(table)))
    for i in range(n_sim):  # 19 communes: each run is a few microseconds of numpy
        norm = rng.choice(NORMALISATIONS) if "normalisation" in vary else normalisation
        agg = rng.choice(AGGREGATIONS) if "aggregation" in vary else aggregation
        w = weights * rng.uniform(0.5, 1.5, len(weights)) if "weights" in vary else weights
        sims[i] = _ranks(_score(x, norm, w / w.sum(), agg))
    out = pd.DataFrame(
        {
            NIS: table[NIS].to_numpy(),
            NAME_FR: table[NAME_FR].to_numpy() if NAME_FR in table.columns else None,
            "score": score,
            "rank": rank.astype(int),
            "rank_median": np.median(sims, axis=0),
            "rank_lo": np.percentile(sims, 5, axis=0),
            "rank_hi": np.percentile(sims, 95, axis=0),
        }
    ).sort_values(["rank", NIS], ignore_index=True)
    settings = {
        "columns": columns,
        "normalisation": normalisation,
        "weighting": weighting if isinstance(weighting, str) else "user",
        "aggregation": aggregation,
        "n_sim": n_sim,
        "seed": seed,
        "vary": list(vary),
    }
    sensitivity = _sensitivity(x, columns, weights, weighting, normalisation, aggregation, rank)
    return IndexResult(out, sensitivity, pd.Series(weights, index=columns), settings, sims)


def _sensitivity(x, columns, weights, weighting, normalisation, aggregation, base):
    switches = []
    for other in NORMALISATIONS:
        if other != normalisation:
            switches.append(("normalisation", other, _score(x, other, weights, aggregation)))
    for other in AGGREGATIONS:
        if other != aggregation:
            switches.append(("aggregation", other, _score(x, normalisation, weights, other)))
    for other in WEIGHTINGS:
        if other != weighting:
            w = _weights(other, x, columns)
            switches.append(("weighting", other, _score(x, normalisation, w, aggregation)))
    for j, col in enumerate(columns):
        keep = [k for k in range(len(columns)) if k != j]
        if weights[keep].sum() <= 0:  # the only weighted indicator: nothing is left
            continue
        w = weights[keep] / weights[keep].sum()
        switches.append(
            ("indicator left out", col, _score(x[:, keep], normalisation, w, aggregation))
        )
    rows = []
    for choice, alternative, score in switches:
        rank = _ranks(score)
        shift = np.abs(rank - base)
        rho = pd.Series(rank).corr(pd.Series(base), method="spearman")
        rows.append((choice, alternative, shift.mean(), int(shift.max()), rho))
    frame = pd.DataFrame(
        rows, columns=["choice", "alternative", "mean_abs_shift", "max_shift", "spearman"]
    )
    return frame.sort_values("mean_abs_shift", ascending=False, ignore_index=True)
