"""Mergeable metric states of a pings partition, and the measures read from them.

A *state* is a long table (``metric``, ``key``, ``value``) of counts and extremes from
which the measures of the data quality history are read (:func:`measures`). The states of
several partitions merge into the state of their union (:func:`merge_states`): counts
add, minima and maxima take the minimum and maximum. Everything is exact except

* ``speed_sum``: a float64 sum (exact up to float rounding, so the mean too);
* speed quantiles, read from a fixed histogram of 1 km/h bins from 0 to
  :data:`SPEED_TOP` km/h (values above go to the last bin, below 0 to the first): a
  quantile is within :data:`SPEED_BIN` km/h of the exact one (in the range);
* distinct units: units are counted by a keyed 64-bit hash (SipHash-2-4 of the id, key
  derived from the ``pseudonym_key`` setting), never by the id: two units share a hash
  with a chance of about n²/2⁶⁵ (below 1e-9 for 100,000 units).

Metrics (``metric`` column): ``rows``; ``null`` (key: column); ``unit_fixes`` (key:
hashed unit, value: its fixes); ``speed_min``, ``speed_max``, ``speed_sum``, ``speed_n``,
``speed_bin`` (key: lower edge); ``weight_class``, ``euro_class``, ``country`` (key: the
value, nulls left out); ``hour`` (key: local hour 0-23, value: fixes);
``unexpected`` (key: expectation, value: rows it flags).
"""

from __future__ import annotations

import hashlib

import numpy as np
import pandas as pd

from cibg_ds import schema as s

STATE_COLUMNS = ("metric", "key", "value")
SPEED_BIN = 1.0
"""Width of a speed histogram bin (km/h): the error bound of a speed quantile."""
SPEED_TOP = 250.0
"""Upper edge of the speed histogram (km/h); faster fixes count in the last bin."""
CLASS_COLUMNS = (s.WEIGHT_CLASS, s.EURO_CLASS, s.COUNTRY)
QUANTILES = (0.5, 0.9, 0.99)
_MIN, _MAX = frozenset({"speed_min"}), frozenset({"speed_max"})


def unit_key(secret: str) -> str:
    """Return the 16-character SipHash key derived from ``secret`` (never stored)."""
    return hashlib.sha256(("cibg_ds history " + secret).encode()).hexdigest()[:16]


def hash_units(ids: pd.Series, key: str) -> np.ndarray:
    """Return a keyed 64-bit hash of each id as 16 hex digits (nulls dropped)."""
    values = ids.dropna().astype(str).to_numpy(dtype=object)
    hashed = pd.util.hash_array(values, hash_key=key, categorize=True)
    return np.array([f"{h:016x}" for h in hashed], dtype=object)


def _rows(metric: str, counts: pd.Series) -> pd.DataFrame:
    return pd.DataFrame(
        {"metric": metric, "key": counts.index.astype(str), "value": counts.to_numpy("float64")}
    )


def state(df: pd.DataFrame, key: str, tz: str = "Europe/Brussels", unexpected=None):
    """Return the mergeable state of one partition of canonical pings.

    Parameters
    ----------
    df : pandas.DataFrame
        Pings with the canonical columns (those present are measured).
    key : str
        Hash key of the units (:func:`unit_key`).
    tz : str
        Zone of the hours of day.
    unexpected : dict, optional
        Expectation name -> rows it flags in ``df`` (from the validation).

    Returns
    -------
    pandas.DataFrame
        Columns :data:`STATE_COLUMNS`.
    """
    parts = [_rows("rows", pd.Series({"": len(df)}))]
    parts.append(_rows("null", df.isna().sum()))
    if s.OBU_ID in df:
        units = pd.Series(hash_units(df[s.OBU_ID], key)).value_counts(sort=False)
        parts.append(_rows("unit_fixes", units))
    if s.SPEED in df:
        speed = df[s.SPEED].dropna().to_numpy("float64")
        if len(speed):
            parts.append(_rows("speed_min", pd.Series({"": speed.min()})))
            parts.append(_rows("speed_max", pd.Series({"": speed.max()})))
        parts.append(_rows("speed_sum", pd.Series({"": speed.sum()})))
        parts.append(_rows("speed_n", pd.Series({"": len(speed)})))
        edges = np.clip(np.floor(speed / SPEED_BIN), 0, SPEED_TOP / SPEED_BIN - 1) * SPEED_BIN
        parts.append(_rows("speed_bin", pd.Series(edges).value_counts(sort=False)))
    for col in CLASS_COLUMNS:
        if col in df:
            counts = df[col].dropna().astype(str).value_counts(sort=False)
            parts.append(_rows(col, counts[counts > 0]))
    if s.TS in df:
        hours = df[s.TS].dropna().dt.tz_convert(tz).dt.hour
        parts.append(_rows("hour", hours.value_counts(sort=False)))
    if unexpected:
        parts.append(_rows("unexpected", pd.Series(unexpected, dtype="float64")))
    return merge_states(parts)


def merge_states(states) -> pd.DataFrame:
    """Merge states of disjoint partitions into the state of their union.

    Counts and sums add; ``speed_min`` and ``speed_max`` take the minimum and maximum.
    """
    frames = [st for st in states if len(st)]
    if not frames:
        types = zip(STATE_COLUMNS, ("object", "object", "float64"), strict=True)
        return pd.DataFrame({c: pd.Series(dtype=t) for c, t in types})
    both = pd.concat(frames, ignore_index=True)
    grouped = both.groupby(["metric", "key"], sort=True)["value"]
    merged = grouped.sum()
    metric = merged.index.get_level_values("metric")
    low, high = metric.isin(list(_MIN)), metric.isin(list(_MAX))
    if low.any():
        merged[low] = grouped.min()[low]
    if high.any():
        merged[high] = grouped.max()[high]
    return merged.reset_index()[list(STATE_COLUMNS)]


def _quantile(edges: np.ndarray, counts: np.ndarray, q: float) -> float:
    """Return the q-quantile of a histogram, linear within the bin (within one bin of exact)."""
    order = np.argsort(edges)
    edges, counts = edges[order], counts[order]
    total = counts.sum()
    if not total:
        return float("nan")
    target = q * total
    cum = np.cumsum(counts)
    i = int(np.searchsorted(cum, target, side="left"))
    before = cum[i - 1] if i else 0.0
    inside = (target - before) / counts[i] if counts[i] else 0.0
    return float(edges[i] + SPEED_BIN * inside)


def measures(st: pd.DataFrame) -> dict[str, float]:
    """Return the measures of a state: name -> value (NaN when undefined).

    Names: ``rows``, ``distinct_units``, ``fixes_per_unit`` (mean), ``fixes_per_unit_median``,
    ``null_share:<column>``, ``speed_min``, ``speed_max``, ``speed_mean``, ``speed_p50``,
    ``speed_p90``, ``speed_p99``, ``share:<column>=<value>``, ``failed_share:<expectation>``
    and ``hour_share:<HH>`` (time coverage: share of the fixes in that local hour).
    """
    by = {m: g.set_index("key")["value"] for m, g in st.groupby("metric", sort=False)}

    def one(metric, default=float("nan")):
        series = by.get(metric)
        return float(series.iloc[0]) if series is not None and len(series) else default

    rows = one("rows", 0.0)
    out = {"rows": rows}
    fixes = by.get("unit_fixes", pd.Series(dtype="float64"))
    out["distinct_units"] = float(len(fixes))
    out["fixes_per_unit"] = float(fixes.sum() / len(fixes)) if len(fixes) else float("nan")
    out["fixes_per_unit_median"] = float(fixes.median()) if len(fixes) else float("nan")
    for col, n in by.get("null", pd.Series(dtype="float64")).items():
        out[f"null_share:{col}"] = n / rows if rows else float("nan")
    n = one("speed_n", 0.0)
    out["speed_min"], out["speed_max"] = one("speed_min"), one("speed_max")
    out["speed_mean"] = one("speed_sum") / n if n else float("nan")
    bins = by.get("speed_bin", pd.Series(dtype="float64"))
    for q in QUANTILES:
        edges = bins.index.astype("float64").to_numpy()
        out[f"speed_p{round(q * 100)}"] = _quantile(edges, bins.to_numpy("float64"), q)
    for col in CLASS_COLUMNS:
        for value, count in by.get(col, pd.Series(dtype="float64")).items():
            out[f"share:{col}={value}"] = count / rows if rows else float("nan")
    for name, count in by.get("unexpected", pd.Series(dtype="float64")).items():
        out[f"failed_share:{name}"] = count / rows if rows else float("nan")
    for hour, count in by.get("hour", pd.Series(dtype="float64")).items():
        out[f"hour_share:{int(float(hour)):02d}"] = count / rows if rows else float("nan")
    return out
