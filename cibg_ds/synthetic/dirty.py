"""Inject the faults real OBU feeds carry, and count each kind exactly.

Every faulty row carries exactly one fault, so a quality check can be held to the counts:
for each kind, the number of rows it flags must equal the number injected.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from cibg_ds import schema as s

FAULT_KINDS = (
    "duplicate_fix",
    "null_coordinates",
    "zero_coordinates",
    "jump_out_of_belgium",
    "impossible_speed",
    "unknown_weight_class",
    "unknown_euro_class",
    "naive_timestamp",
    "out_of_time_order",
)
UNKNOWN_WEIGHT_CLASSES = ("40t", "UNKNOWN", "7.5-12t")
UNKNOWN_EURO_CLASSES = (7, 9, -1)


def _next_of_same_unit(ids: np.ndarray) -> np.ndarray:
    """Position of the next row of the same unit in file order, or -1."""
    order = np.argsort(ids, kind="stable")
    same = ids[order[1:]] == ids[order[:-1]]
    nxt = np.full(len(ids), -1)
    nxt[order[:-1][same]] = order[1:][same]
    return nxt


def inject_faults(
    df: pd.DataFrame, rng: np.random.Generator, rate: float = 0.002, tz: str = "Europe/Brussels"
) -> tuple[pd.DataFrame, dict[str, int], pd.Series]:
    """Return a faulty copy of canonical pings, the count of each fault, and local dates.

    The copy is what a raw export looks like: ``ts`` as ISO 8601 text (``...Z``, or local
    time without an offset for naive timestamps) and ``weight_class`` as text.

    Parameters
    ----------
    df : pandas.DataFrame
        Canonical pings in file order.
    rng : numpy.random.Generator
    rate : float
        Share of rows given each fault kind (at least one row per kind when possible).
    tz : str
        Local time zone of the naive timestamps.

    Returns
    -------
    faulty : pandas.DataFrame
    counts : dict
        Fault kind -> rows injected (duplicates: extra rows added).
    local_date : pandas.Series
        Local date of every row of ``faulty`` (for day partitions).
    """
    n = len(df)
    per_kind = max(1, round(rate * n)) if n >= 200 else 0
    counts = dict.fromkeys(FAULT_KINDS, 0)
    local = df[s.TS].dt.tz_convert(tz)
    day = local.dt.date.to_numpy()
    ids = df[s.OBU_ID].to_numpy()
    # out-of-time-order pairs first: a fix and the next fix of its unit on the same day
    nxt = _next_of_same_unit(ids)
    candidates = np.flatnonzero((nxt >= 0) & (day == day[np.maximum(nxt, 0)]))
    used = np.zeros(n, dtype=bool)
    swaps = []
    for p in rng.permutation(candidates)[: per_kind * 4]:
        q = nxt[p]
        if len(swaps) < per_kind and not used[p] and not used[q]:
            swaps.append((p, q))
            used[[p, q]] = True
    free = rng.permutation(np.flatnonzero(~used))
    kinds = [k for k in FAULT_KINDS if k != "out_of_time_order"]
    picks = dict(zip(kinds, np.array_split(free[: per_kind * len(kinds)], len(kinds)), strict=True))

    out = df.copy()
    out[s.WEIGHT_CLASS] = out[s.WEIGHT_CLASS].astype("string")
    iso = local.dt.tz_convert("UTC").dt.strftime("%Y-%m-%dT%H:%M:%SZ").astype("string")
    rows = picks["naive_timestamp"]
    iso.iloc[rows] = local.iloc[rows].dt.strftime("%Y-%m-%dT%H:%M:%S").to_numpy()
    out[s.TS] = iso
    col = out.columns.get_loc
    out.iloc[picks["null_coordinates"], [col(s.LAT), col(s.LON)]] = np.nan
    out.iloc[picks["zero_coordinates"], [col(s.LAT), col(s.LON)]] = 0.0
    rows = picks["jump_out_of_belgium"]
    out.iloc[rows, col(s.LAT)] = rng.uniform(43.0, 47.5, len(rows))
    out.iloc[rows, col(s.LON)] = rng.uniform(-1.0, 12.0, len(rows))
    rows = picks["impossible_speed"]
    out.iloc[rows, col(s.SPEED)] = rng.choice([-12.0, 180.0, 255.0, 410.0], len(rows))
    rows = picks["unknown_weight_class"]
    out.iloc[rows, col(s.WEIGHT_CLASS)] = rng.choice(UNKNOWN_WEIGHT_CLASSES, len(rows))
    rows = picks["unknown_euro_class"]
    out.iloc[rows, col(s.EURO_CLASS)] = rng.choice(UNKNOWN_EURO_CLASSES, len(rows))
    perm = np.arange(n)  # exchange the places of each swapped pair in the file
    if swaps:
        p, q = np.array(swaps).T
        perm[p], perm[q] = q, p
    out = out.iloc[perm].reset_index(drop=True)
    # duplicates: an exact copy right after the original
    position = np.arange(n, dtype=float)
    dup = picks["duplicate_fix"]
    out = pd.concat([out, out.iloc[dup]], ignore_index=True)
    position = np.concatenate([position, position[dup] + 0.5])
    order = np.argsort(position, kind="stable")
    out = out.iloc[order].reset_index(drop=True)
    dates = pd.Series(np.concatenate([day, day[dup]])[order])
    counts.update({k: len(v) for k, v in picks.items()})
    counts["out_of_time_order"] = len(swaps)
    return out, counts, dates
