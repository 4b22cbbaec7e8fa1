"""Hourly profiles of truck traffic and the days or places that depart from their usual level."""

from __future__ import annotations

import numpy as np
import pandas as pd

from cibg_ds import checks
from cibg_ds.errors import ParameterError


def hourly_profile(vkm: pd.DataFrame, *, by: str = "weekday") -> pd.DataFrame:
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
    checks.frame("vkm", vkm), checks.choice("by", by, ("weekday", "commune"))
    checks.columns(
        "hourly_profile: vkm",
        vkm.columns,
        ["hour", "vkm", *(["commune"] if by == "commune" else [])],
        "make the table with cibg_ds.mobility.vehicle_km",
    )
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
    table: pd.DataFrame,
    value: str,
    group: list[str],
    *,
    threshold: float = 3.5,
    min_size: int = 3,
) -> pd.DataFrame:
    """Flag rows whose ``value`` departs from the usual level of their group.

    The robust z-score ``0.6745 * (x - median) / MAD`` is computed within each group
    (e.g. per commune and day type over its days); ``|z| > threshold`` is an anomaly
    (Iglewicz and Hoaglin's rule). Groups whose MAD is zero, or with fewer than
    ``min_size`` rows (two days cannot tell which is unusual), get no score.

    Returns
    -------
    pandas.DataFrame
        ``table`` with ``usual_<value>`` (the group median), ``robust_z``, ``anomaly`` and
        ``reason`` (in words).
    """
    checks.frame("table", table), checks.column("value", value, table, numeric=True)
    group = list(checks.subset("group", group, table.columns))
    checks.positive("threshold", threshold), checks.integer("min_size", min_size, 1)
    grouped = table.groupby(group, observed=True)[value]
    median = grouped.transform("median")
    size = grouped.transform("count")
    deviation = (table[value] - median).abs()
    mad = deviation.groupby([table[g] for g in group], observed=True).transform("median")
    with np.errstate(divide="ignore", invalid="ignore"):
        z = 0.6745 * (table[value] - median) / mad.where((mad > 0) & (size >= min_size))
    out = table.assign(
        **{f"usual_{value}": median}, robust_z=z, anomaly=(z.abs() > threshold).fillna(False)
    )
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


def day_type(dates) -> pd.Series:
    """Return ``weekday`` or ``weekend`` for local dates (``YYYY-MM-DD`` or timestamps)."""
    days = pd.to_datetime(pd.Series(dates)).dt.day_of_week
    return pd.Series(np.where(days >= 5, "weekend", "weekday"), index=days.index)


def unusual_days(
    daily: pd.DataFrame,
    *,
    value: str = "vkm",
    place: str = "commune",
    threshold: float = 3.5,
    min_days: int = 3,
    min_vehicles: int = 0,
) -> pd.DataFrame:
    """Flag the days of a place whose ``value`` departs from its usual level for that day type.

    A Saturday is compared with the place's other weekend days, a Tuesday with its
    weekdays: trucks drive less at weekends, so a baseline over all days flags every
    weekend. A place and day type with fewer than ``min_days`` days (one week has two
    weekend days) gets no score.

    Parameters
    ----------
    daily : pandas.DataFrame
        One row per ``place`` and local ``date`` (``YYYY-MM-DD``) with ``value``.
    value, place : str
    threshold : float
        ``|robust z|`` above which a day is unusual.
    min_days : int
        Fewest days of one day type that can be judged.
    min_vehicles : int
        Days with fewer distinct vehicles (``n_vehicles``, the days a publication
        suppresses) neither enter a baseline nor get a score, so no published figure
        reveals them.

    Returns
    -------
    pandas.DataFrame
        ``daily`` with ``daytype`` and the columns of :func:`robust_anomalies`.
    """
    checks.frame("daily", daily), checks.column("place", place, daily)
    checks.column("value", value, daily, numeric=True)
    checks.columns("unusual_days: daily", daily.columns, ["date"])
    checks.positive("threshold", threshold), checks.integer("min_days", min_days, 1)
    checks.integer("min_vehicles", min_vehicles, 0)
    typed = daily.assign(daytype=day_type(daily["date"]).to_numpy())
    if min_vehicles:
        judged = typed["n_vehicles"].fillna(0).to_numpy() >= min_vehicles
        typed[value] = typed[value].where(judged)  # NaN: out of every median, no score
        out = robust_anomalies(
            typed, value, [place, "daytype"], threshold=threshold, min_size=min_days
        )
        out[value] = daily[value].to_numpy()
        return out
    return robust_anomalies(
        typed, value, [place, "daytype"], threshold=threshold, min_size=min_days
    )


def isolation_anomalies(
    table: pd.DataFrame, features: list[str], *, contamination: float = 0.05, seed: int = 0
) -> pd.DataFrame:
    """Flag rows unlike the others over several ``features`` at once (IsolationForest).

    For shapes rather than levels: a day whose hourly profile is unusual although its total
    is not (a night of traffic, a missing morning peak). Features are robust-scaled
    (median, IQR) before scikit-learn's IsolationForest; the reason names the feature that
    departs most from its median.

    Parameters
    ----------
    table : pandas.DataFrame
        One row per case (a day, a cell), ``features`` numeric and complete.
    features : list of str
        Columns compared, e.g. ``vkm`` of each hour of the day.
    contamination : float
        Expected share of anomalies, in (0, 0.5].
    seed : int
        Seed of the forest (results repeat exactly).

    Returns
    -------
    pandas.DataFrame
        ``table`` with ``anomaly_score`` (higher = more isolated), ``anomaly`` and ``reason``.
    """
    from sklearn.ensemble import IsolationForest
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import RobustScaler

    checks.frame("table", table), checks.integer("seed", seed, 0)
    checks.number("contamination", contamination, 0, 0.5, low_open=True)
    features = list(checks.subset("features", features, table.columns))
    values = table[features].to_numpy(dtype=float)
    incomplete = [f for f, bad in zip(features, np.isnan(values).any(axis=0), strict=True) if bad]
    if incomplete:
        raise ParameterError(f"features {incomplete} have missing values; fill or drop them first")
    model = make_pipeline(
        RobustScaler(), IsolationForest(contamination=contamination, random_state=seed)
    )
    flagged = model.fit_predict(values) == -1
    out = table.assign(anomaly_score=-model.decision_function(values), anomaly=flagged)
    scaled = model[0].transform(values)
    worst = np.abs(scaled).argmax(axis=1)
    median = np.median(values, axis=0)
    reason = np.full(len(out), "", dtype=object)
    for i in np.flatnonzero(flagged):
        f = worst[i]
        reason[i] = f"{features[f]} = {values[i, f]:.4g} where it is usually {median[f]:.4g}"
    out["reason"] = reason
    return out
