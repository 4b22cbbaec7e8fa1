"""Groups of communes with similar indicators (scikit-learn), described in words."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd

from cibg_ds import checks
from cibg_ds.divide.indicators import BY_COLUMN, risk_columns
from cibg_ds.errors import ParameterError
from cibg_ds.schema import NAME_FR, NIS

METHODS = ("kmeans", "hierarchical")


def _pipeline(method: str, k: int, seed: int):
    from sklearn.cluster import AgglomerativeClustering, KMeans
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    if method == "kmeans":
        model = KMeans(n_clusters=k, n_init=20, random_state=seed)
    else:
        model = AgglomerativeClustering(n_clusters=k, linkage="ward")
    return make_pipeline(StandardScaler(), model)


def _describe(z: pd.DataFrame, threshold: float = 0.5) -> str:
    """Put a group's centroid (in standard deviations) in words."""
    parts = []
    for col, value in z.abs().sort_values(ascending=False).items():
        if value < threshold or len(parts) == 3:
            break
        label = BY_COLUMN[col].label if col in BY_COLUMN else col
        parts.append(f"{'high' if z[col] > 0 else 'low'} {label} ({z[col]:+.1f} sd)")
    return ", ".join(parts) if parts else "close to the regional average on every indicator"


@dataclasses.dataclass
class TypologyResult:
    """Commune groups, the silhouette of every candidate, and the groups in words."""

    labels: pd.DataFrame
    """``nis``, ``name_fr``, ``group`` (1 = largest)."""
    silhouettes: pd.DataFrame
    """``method``, ``k``, ``silhouette``."""
    groups: pd.DataFrame
    """``group``, ``n``, ``description``, ``members``, and the centroid in sd per indicator."""
    method: str
    k: int

    def _repr_html_(self) -> str:
        head = (
            f"<p><b>Typology</b>: {self.k} groups by {self.method} clustering (highest "
            "silhouette among the candidates; indicators standardised).</p>"
        )
        return head + self.groups[["group", "n", "description", "members"]].to_html(index=False)


def typology(
    table: pd.DataFrame,
    *,
    columns: list[str] | None = None,
    k_range=range(2, 7),
    methods=METHODS,
    seed: int = 0,
) -> TypologyResult:
    """Group communes by their indicators, choosing the method and number of groups.

    Every (method, k) is a scikit-learn Pipeline (StandardScaler, then KMeans or Ward
    hierarchical clustering); the candidate with the highest silhouette on the scaled
    indicators wins (ties: fewer groups, then KMeans).

    Parameters
    ----------
    table : pandas.DataFrame
        From :func:`cibg_ds.divide.indicators`.
    columns : list of str, optional
        Default: every risk indicator present.
    k_range : iterable of int
        Numbers of groups to try (each between 2 and n - 1).
    methods : tuple of str
        ``kmeans``, ``hierarchical`` or both.
    seed : int

    Returns
    -------
    TypologyResult
    """
    from sklearn.metrics import silhouette_score

    checks.frame("table", table, dask=False), checks.integer("seed", seed, 0)
    columns = list(columns) if columns is not None else risk_columns(table)
    checks.subset("columns", columns, table.columns)
    methods = checks.subset("methods", methods, METHODS)
    if not isinstance(k_range, (range, list, tuple)) or not all(
        isinstance(k, int) for k in k_range
    ):
        raise ParameterError(f"k_range must hold integers (numbers of groups), got {k_range!r}")
    ks = [k for k in k_range if 2 <= k < len(table)]
    if not ks:
        raise ParameterError(f"k_range must hold numbers of groups in 2..{len(table) - 1}")
    x = table[columns].to_numpy(float)
    if np.isnan(x).any():
        raise ParameterError("indicators have missing values; impute them first")
    rows, fitted = [], {}
    for method in methods:
        for k in ks:
            pipe = _pipeline(method, k, seed)
            labels = pipe.fit_predict(x)
            rows.append((method, k, silhouette_score(pipe[0].transform(x), labels)))
            fitted[method, k] = labels
    scores = pd.DataFrame(rows, columns=["method", "k", "silhouette"])
    order = scores.assign(m=scores["method"].map(METHODS.index))
    best = order.sort_values(["silhouette", "k", "m"], ascending=[False, True, True]).iloc[0]
    method, k = best["method"], int(best["k"])
    raw = fitted[method, k]
    # number groups by size (1 = largest), ties by first commune
    sizes = pd.Series(raw).value_counts()
    ranking = sorted(sizes.index, key=lambda g: (-sizes[g], int(np.flatnonzero(raw == g)[0])))
    group = pd.Series(raw).map({g: i + 1 for i, g in enumerate(ranking)}).to_numpy()
    labels = pd.DataFrame({NIS: table[NIS].to_numpy(), "group": group})
    if NAME_FR in table.columns:
        labels.insert(1, NAME_FR, table[NAME_FR].to_numpy())
    return TypologyResult(labels, scores, describe_groups(table, labels, columns), method, k)


def describe_groups(
    table: pd.DataFrame, labels: pd.DataFrame, columns: list[str] | None = None
) -> pd.DataFrame:
    """Describe the groups of a typology: size, words, members and centroid in sd.

    Parameters
    ----------
    table : pandas.DataFrame
        From :func:`cibg_ds.divide.indicators`.
    labels : pandas.DataFrame
        :attr:`TypologyResult.labels`, in the row order of ``table``.
    columns : list of str, optional
        Default: every risk indicator present.

    Returns
    -------
    pandas.DataFrame
        :attr:`TypologyResult.groups`.
    """
    columns = list(columns) if columns is not None else risk_columns(table)
    group = labels["group"].to_numpy()
    z = (table[columns] - table[columns].mean()) / table[columns].std(ddof=0)
    centroids = z.groupby(group).mean()
    names = labels[NAME_FR] if NAME_FR in labels.columns else labels[NIS]
    return pd.DataFrame(
        {
            "group": centroids.index,
            "n": pd.Series(group).value_counts().sort_index().to_numpy(),
            "description": [_describe(centroids.loc[g]) for g in centroids.index],
            "members": [", ".join(names[group == g]) for g in centroids.index],
        }
    ).join(centroids.reset_index(drop=True).add_prefix("z_"))
