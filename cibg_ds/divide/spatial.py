"""Spatial autocorrelation of commune indicators on PySAL (libpysal weights, esda statistics).

With 19 communes the permutation tests have little power: a pattern has to be strong to
reach significance, and a non-significant result is weak evidence of no pattern. Every
result carries that note.
"""

from __future__ import annotations

import functools
import warnings

import numpy as np
import pandas as pd

from cibg_ds import _docs, checks
from cibg_ds.errors import ParameterError
from cibg_ds.schema import NAME_FR, NIS

LOW_POWER_NOTE = (
    "19 communes: permutation tests of spatial autocorrelation have low power here; "
    "read p-values as indicative, and a non-significant result as weak evidence of no pattern."
)
QUADRANTS = {1: "HH", 2: "LH", 3: "LL", 4: "HL"}


def queen_weights(gdf, *, id_column: str = NIS, allow_islands: bool = False):
    """Return row-standardised Queen contiguity weights, ids = the ``id_column`` column.

    ``id_column`` is ``nis`` for communes, ``sector`` for statistical sectors. Units
    without a neighbour (islands) are refused unless ``allow_islands``.
    """
    from libpysal.weights import Queen

    checks.frame("gdf", gdf, geo=True), checks.column("id_column", id_column, gdf)
    checks.boolean("allow_islands", allow_islands)
    ids = gdf[id_column].tolist()
    w = Queen.from_dataframe(gdf, ids=ids, use_index=False, silence_warnings=True)
    if w.islands and not allow_islands:
        raise ParameterError(f"units {w.islands} have no Queen neighbour; check the geometry")
    w.transform = "r"
    return w


@functools.cache
def cache_esda_kernels() -> int:
    """Let numba keep esda's permutation kernels on disk; return how many it keeps.

    esda compiles its conditional-permutation engine (``esda.crand``, the local Moran
    statistic) with numba on the first :func:`local_moran` of each process, without a disk
    cache: about 30 s of CPU every time. With caching on, a process loads the compiled
    code another one left (``make install`` leaves it); the code is the same, and so are
    the results. ``compute_chunk`` takes the statistic as an argument, which numba cannot
    key on disk: it is still compiled per process (about 6 s). Where the cache cannot be
    written, nothing changes.
    """
    import esda.crand
    import esda.moran
    import esda.significance
    from numba.core.registry import CPUDispatcher

    cached = 0
    for module in (esda.crand, esda.moran, esda.significance):
        for kernel in vars(module).values():
            if isinstance(kernel, CPUDispatcher) and kernel.__module__ == module.__name__:
                try:
                    kernel.enable_caching()
                except RuntimeError:  # no cache folder numba can write
                    continue
                cached += 1
    return cached


def warm_kernels() -> None:
    """Compile esda's permutation kernels into numba's disk cache (``make install`` does)."""
    from cibg_ds.io import load_communes

    communes = load_communes()
    local_moran(communes.assign(area=communes.geometry.area), "area", permutations=9)


def _values(gdf, column: str) -> np.ndarray:
    checks.column("column", column, gdf, numeric=True)
    y = gdf[column].to_numpy(float)
    if np.isnan(y).any():
        raise ParameterError(f"column {column!r} has missing values")
    return y


def moran(
    gdf, column: str, *, permutations: int = 999, seed: int = 0, id_column: str = NIS
) -> dict:
    """Global Moran's I of ``column`` on row-standardised Queen contiguity.

    Parameters
    ----------
    gdf : geopandas.GeoDataFrame
    column : str
    permutations : int
    seed : int
    id_column : str

    Returns
    -------
    dict
        ``I``, ``EI`` (expected under no autocorrelation, -1/(n-1)), ``z`` (under
        normality), ``p_norm``, ``p_sim`` (pseudo p-value of the permutation test, seeded),
        ``n``, ``permutations`` and ``note`` (the low power of 19 units).

    Examples
    --------
    Income per inhabitant of the 19 communes: rich communes neighbour rich ones.

    >>> from cibg_ds.divide import indicators
    >>> from cibg_ds.io import load_communes
    >>> communes = load_communes().merge(indicators(validate=False), on=["nis", "name_fr"])
    >>> result = moran(communes, "income_eur", permutations=99)
    >>> result["I"] > result["EI"], result["n"]
    (True, 19)
    """
    checks.frame("gdf", gdf, geo=True), checks.column("id_column", id_column, gdf)
    checks.integer("permutations", permutations, 1), checks.integer("seed", seed, 0)
    import esda

    y = _values(gdf, column)
    w = queen_weights(gdf, id_column=id_column)
    state = np.random.get_state()  # noqa: NPY002 - esda draws from the legacy global generator
    np.random.seed(seed)  # noqa: NPY002
    try:
        mi = esda.Moran(y, w, permutations=permutations)
    finally:
        np.random.set_state(state)  # noqa: NPY002
    return {
        "column": column,
        "I": float(mi.I),
        "EI": float(mi.EI),
        "z": float(mi.z_norm),
        "p_norm": float(mi.p_norm),
        "p_sim": float(mi.p_sim) if permutations else None,
        "n": int(w.n),
        "permutations": permutations,
        "note": LOW_POWER_NOTE,
    }


def local_moran(
    gdf,
    column: str,
    *,
    permutations: int = 999,
    seed: int = 0,
    alpha: float = 0.05,
    id_column: str = NIS,
):
    """Local Moran (LISA) per commune: ``Ii``, quadrant HH/LH/LL/HL, ``p_sim``, ``significant``.

    ``Ii = (n - 1) z_i sum_j w_ij z_j / sum_k z_k^2`` (esda, after Anselin 1995); ``p_sim``
    is esda's conditional-permutation pseudo p-value (its current "directed" default).

    Parameters
    ----------
    gdf : geopandas.GeoDataFrame
    column : str
    permutations : int
    seed : int
    alpha : float
        A unit is ``significant`` when its ``p_sim`` is below this.
    id_column : str

    Returns
    -------
    pandas.DataFrame
        One row per unit, in the order of ``gdf``: ``id_column``, ``name_fr`` (when
        ``gdf`` has it), ``Ii``, ``quadrant``, ``p_sim``, ``significant``;
        ``attrs["note"]`` states the low power of tests on 19 units.

    Examples
    --------
    >>> from cibg_ds.divide import indicators
    >>> from cibg_ds.io import load_communes
    >>> communes = load_communes().merge(indicators(validate=False), on=["nis", "name_fr"])
    >>> lisa = local_moran(communes, "income_eur", permutations=99)
    >>> lisa.loc[lisa["name_fr"] == "Auderghem", ["quadrant", "significant"]].values.tolist()
    [['HH', True]]
    """
    checks.frame("gdf", gdf, geo=True), checks.column("id_column", id_column, gdf)
    checks.integer("permutations", permutations, 1), checks.integer("seed", seed, 0)
    checks.number("alpha", alpha, 0, 1, low_open=True, high_open=True)
    import esda

    y = _values(gdf, column)
    w = queen_weights(gdf, id_column=id_column)
    cache_esda_kernels()
    with warnings.catch_warnings():  # esda 2.9 announces a future change of its default
        warnings.filterwarnings("ignore", "The alternative hypothesis", DeprecationWarning)
        lisa = esda.Moran_Local(y, w, permutations=permutations, seed=seed)
    out = pd.DataFrame(
        {
            id_column: gdf[id_column].to_numpy(),
            "Ii": lisa.Is,
            "quadrant": pd.Series(lisa.q).map(QUADRANTS).to_numpy(),
            "p_sim": lisa.p_sim,
        }
    )
    if NAME_FR in gdf.columns:
        out.insert(1, NAME_FR, gdf[NAME_FR].to_numpy())
    out["significant"] = out["p_sim"] < alpha
    out.attrs["note"] = LOW_POWER_NOTE
    return out


_docs.share(
    moran,
    local_moran,
    gdf="One row per unit (commune, sector) with a polygon and the ``id_column``.",
    column="The numeric column tested (no missing value).",
    permutations="Random permutations of the pseudo p-value ``p_sim`` (0: none).",
    seed="Seed of the permutations (same seed, same p-values).",
    id_column="Column of the unit ids: ``nis`` for communes, ``sector`` for sectors.",
)
