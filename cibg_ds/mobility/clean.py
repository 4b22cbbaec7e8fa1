"""Clean raw fixes: duplicates, fixes outside the region, impossible jumps and spikes.

Nothing is dropped silently: every removed fix gets a reason and the report counts them,
so rows in = rows kept + rows removed.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from cibg_ds import checks
from cibg_ds import schema as s
from cibg_ds.frames import is_dask
from cibg_ds.mobility.geo import region, to_metric
from cibg_ds.mobility.tracks import require_fixes
from cibg_ds.mobility.units import by_unit, mark_regrouped, sort_by_unit, unit_starts

REASON = "removed_reason"
REASONS = ("missing_values", "duplicate", "outside_region", "spike", "impossible_speed")


def _speed(dx, dy, dt_ns):
    """Speed in km/h over a displacement and a time step (inf for a zero time step)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(dt_ns > 0, np.hypot(dx, dy) / (dt_ns / 1e9) * 3.6, np.inf)


def _steps(x, y, t, units, lag: int) -> np.ndarray:
    """Speed from fix i to fix i+lag of the same unit (0 across units, for lag 1)."""
    same = units[lag:] == units[:-lag]
    speed = _speed(x[lag:] - x[:-lag], y[lag:] - y[:-lag], t[lag:] - t[:-lag])
    return np.where(same, speed, 0.0 if lag == 1 else np.inf)


def _flag_speeds(reason, x, y, t, units, max_speed_kmh) -> None:
    """Mark spikes and impossible speeds among the fixes still kept (in order, per unit)."""
    keep = np.flatnonzero(reason == "")
    if len(keep) == 0:
        return
    kx, ky, kt, ku = x[keep], y[keep], t[keep], units[keep]
    step = _steps(kx, ky, kt, ku, 1)  # fix i -> i+1
    into, out_of = np.r_[0.0, step], np.r_[step, 0.0]
    bridge = np.full(len(keep), np.inf)  # fix i-1 -> i+1, skipping i
    if len(keep) > 2:
        bridge[1:-1] = _steps(kx, ky, kt, ku, 2)
    # a spike jumps away and back: impossible in and out, its neighbours consistent
    spike = (into > max_speed_kmh) & (out_of > max_speed_kmh) & (bridge <= max_speed_kmh)
    reason[keep[spike]] = "spike"
    # an impossible speed from the previous fix that survives the spike removal
    left = keep[~spike]
    into_left = np.r_[0.0, _steps(x[left], y[left], t[left], units[left], 1)]
    reason[left[into_left > max_speed_kmh]] = "impossible_speed"


def flag_fixes(
    pings: pd.DataFrame,
    *,
    communes=None,
    buffer_m: float = 2000.0,
    max_speed_kmh: float = 130.0,
) -> pd.DataFrame:
    """Return the pings sorted by unit and time with a column ``removed_reason``.

    The reason is empty for fixes that are kept, else one of :data:`REASONS`, checked in
    that order: missing id, time or coordinates; duplicate of the unit's previous fix
    (same time); outside the region plus ``buffer_m``; a *spike* (a fix that jumps away
    and back: impossible speed to it and from it, while its neighbours are consistent);
    an *impossible speed* from the previous kept fix.

    Parameters
    ----------
    pings : pandas.DataFrame
        Canonical pings.
    communes : geopandas.GeoDataFrame, optional
        Region boundaries (default: the embedded official communes).
    buffer_m : float
        Fixes up to this far outside the region are kept (approaches, through traffic).
    max_speed_kmh : float
        Implied speeds above this are impossible for a truck.

    Returns
    -------
    pandas.DataFrame
    """
    checks.frame("pings", pings, dask=False)
    checks.frame("communes", communes, geo=True, optional=True)
    (
        checks.positive("buffer_m", buffer_m, zero=True),
        checks.positive("max_speed_kmh", max_speed_kmh),
    )
    df, units = sort_by_unit(pings)
    reason = np.full(len(df), "", dtype=object)
    missing = df[[s.OBU_ID, s.TS, s.LAT, s.LON]].isna().any(axis=1).to_numpy()
    reason[missing] = "missing_values"
    t = s.to_ns(df[s.TS])
    duplicate = ~unit_starts(units) & np.r_[False, t[1:] == t[:-1]] & ~missing
    reason[duplicate & (reason == "")] = "duplicate"
    x, y = to_metric(df[s.LON].to_numpy(), df[s.LAT].to_numpy())
    import shapely

    area = region(communes, buffer_m)
    shapely.prepare(area)
    ok = reason == ""
    outside = ok.copy()
    outside[ok] = ~shapely.contains_xy(area, x[ok], y[ok])
    reason[outside] = "outside_region"
    _flag_speeds(reason, x, y, t, units, max_speed_kmh)
    return df.assign(**{REASON: pd.array(reason, dtype="string")})


def clean(
    pings,
    *,
    communes=None,
    buffer_m: float = 2000.0,
    max_speed_kmh: float = 130.0,
    persist: bool = False,
):
    """Remove bad fixes; return ``(clean, report)``.

    Parameters
    ----------
    pings : pandas.DataFrame or dask.dataframe.DataFrame
        Canonical pings (see :func:`cibg_ds.io.read_pings`).
    communes, buffer_m, max_speed_kmh
        As in :func:`flag_fixes`.
    persist : bool
        On Dask, also persist the clean fixes, computed in the same pass as the report
        (else the report's pass reads, regroups and flags the fixes, and whatever computes
        the lazy clean fixes does it again). Ignored for pandas.

    Returns
    -------
    clean : same type as ``pings``
        Kept fixes, sorted by unit and time (within each partition on Dask).
    report : pandas.DataFrame
        ``reason``, ``fixes``: one row per reason in :data:`REASONS` plus ``kept``; its
        ``fixes`` add up to the rows in. On Dask the report is computed (one pass).

    Examples
    --------
    >>> import datetime as dt
    >>> from cibg_ds.synthetic.feed import simulate_chunk
    >>> from cibg_ds.synthetic.fleet import make_truck
    >>> from cibg_ds.synthetic.network import build_network
    >>> net = build_network()
    >>> raw = simulate_chunk([make_truck(i, 0, net) for i in range(5)], dt.date(2026, 11, 3),
    ...                      0, net, "k", "Europe/Brussels")
    >>> kept, report = clean(raw)
    >>> int(report["fixes"].sum()) == len(raw)
    True
    """
    checks.frame("pings", pings)
    checks.frame("communes", communes, geo=True, optional=True)
    (
        checks.positive("buffer_m", buffer_m, zero=True),
        checks.positive("max_speed_kmh", max_speed_kmh),
    )
    require_fixes(pings.columns, "clean")
    meta = pings._meta.assign(**{REASON: pd.Series(dtype="string")}) if is_dask(pings) else None
    flagged = by_unit(
        pings, flag_fixes, meta, communes=communes, buffer_m=buffer_m, max_speed_kmh=max_speed_kmh
    )
    counts = flagged[REASON].value_counts()
    kept = flagged[flagged[REASON] == ""].drop(columns=[REASON])
    if is_dask(pings):
        if persist:  # one pass: the fixes are flagged once for the kept and the counts
            import dask

            kept, counts = dask.persist(kept, counts)
        counts = counts.compute()
    return mark_regrouped(kept), removal_report(counts)  # on Dask: each unit in one partition


def removal_report(counts) -> pd.DataFrame:
    """Return :func:`clean`'s report from the fixes per reason (``""``: kept; a mapping)."""
    report = pd.DataFrame({"reason": [*REASONS, "kept"]})
    report["fixes"] = [int(counts.get(r, 0)) for r in REASONS] + [int(counts.get("", 0))]
    return report
