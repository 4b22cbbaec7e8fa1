"""Hourly profiles of truck traffic and the days or places that depart from their usual level."""

from __future__ import annotations

import numpy as np
import pandas as pd

from cibg_ds.errors import ParameterError


def hourly_profile(vkm: pd.DataFrame, by: str = "weekday") -> pd.DataFrame:
    """Mean vehicle-km per local hour of day, per ``weekday`` (0 = Monday) or per ``commune``.

    Parameters
    ----------
    vkm : pandas.DataFrame
        Output of :func:`cibg_ds.mobility.vehicle_km` (local ``hour`` timestamps).
    by : str
        ``"weekday"`` or ``"commune"``.

    Returns
    -------
    pandas.DataFrame
        ``by``, ``hour_of_day``, ``vkm`` (mean over the days observed), ``days``, and
        ``n_vehicles`` (the smallest number of distinct vehicles behind one day's value,
        for :func:`cibg_ds.privacy.suppress`).
    """
    if by not in ("weekday", "commune"):
        raise ParameterError(f"by must be 'weekday' or 'commune', got {by!r}")
    frame = vkm.assign(
        date=vkm["hour"].dt.strftime("%Y-%m-%d"),
        weekday=vkm["hour"].dt.day_of_week,
        hour_of_day=vkm["hour"].dt.hour,
    )
    # each truck has one weight and one Euro class, so its distinct count adds up across them
    daily = frame.groupby([by, "date", "hour_of_day"], observed=True)[["vkm", "n_vehicles"]].sum()
    out = daily.groupby([by, "hour_of_day"], observed=True).agg(
        vkm=("vkm", "mean"), days=("vkm", "size"), n_vehicles=("n_vehicles", "min")
    )
    return out.reset_index()


def robust_anomalies(
    table: pd.DataFrame, value: str, group: list[str], threshold: float = 3.5
) -> pd.DataFrame:
    """Flag rows whose ``value`` departs from the usual level of their group.

    The robust z-score ``0.6745 * (x - median) / MAD`` is computed within each group
    (e.g. per commune over its days); ``|z| > threshold`` is an anomaly (Iglewicz and
    Hoaglin's rule). Groups whose MAD is zero get no score.

    Returns
    -------
    pandas.DataFrame
        ``table`` with ``robust_z``, ``anomaly`` and ``reason`` (in words).
    """
    grouped = table.groupby(group, observed=True)[value]
    median = grouped.transform("median")
    deviation = (table[value] - median).abs()
    mad = deviation.groupby([table[g] for g in group], observed=True).transform("median")
    with np.errstate(divide="ignore", invalid="ignore"):
        z = 0.6745 * (table[value] - median) / mad.where(mad > 0)
    out = table.assign(robust_z=z, anomaly=(z.abs() > threshold).fillna(False))
    flagged = np.flatnonzero(out["anomaly"].to_numpy())
    reason = np.full(len(out), "", dtype=object)
    ratio = (table[value] / median).to_numpy()[flagged]
    scores = z.to_numpy()[flagged]
    place = ", ".join(group)
    reason[flagged] = [  # only the anomalies are put in words
        f"{value} {r:.1f}x the usual level of its {place} (robust z = {v:+.1f})"
        for r, v in zip(ratio, scores, strict=True)
    ]
    out["reason"] = reason
    return out
