"""Checks GX has no expectation for, run by cibg_ds beside GX with the same bookkeeping."""

from __future__ import annotations

import numpy as np
import pandas as pd

from cibg_ds.schema import to_ns


def units(df: pd.DataFrame, unit: str, column: str) -> tuple:
    """Return the rows with a time, their times (int64 ns), unit codes and the units.

    Rows whose unit is null get code -1 and are compared with no other row.
    """
    rows = np.flatnonzero(df[column].notna().to_numpy())
    codes, uniques = pd.factorize(df[unit].iloc[rows])
    return rows, to_ns(df[column])[rows], codes, uniques


def order_violations(
    df: pd.DataFrame,
    unit: str,
    column: str,
    previous: pd.Series | None = None,
    by_unit: tuple | None = None,
) -> np.ndarray:
    """Flag fixes stamped earlier than the previous fix of the same unit, in row order.

    Rows with a null time are left out of the comparison (they fail ``ts_not_null``).

    Parameters
    ----------
    df : pandas.DataFrame
        Rows in file order.
    unit, column : str
        Unit id and time columns.
    previous : pandas.Series, optional
        Last time (int64 ns) of each unit in the rows before ``df`` (earlier partitions).
    by_unit : tuple, optional
        :func:`units` of the same arguments, when already computed.

    Returns
    -------
    numpy.ndarray of bool
        One flag per row of ``df``.
    """
    rows, times, codes, uniques = by_unit if by_unit is not None else units(df, unit, column)
    before = pd.Series(np.arange(len(rows))).groupby(codes, sort=False).shift(1).to_numpy()
    has = ~np.isnan(before) & (codes >= 0)
    late = np.zeros(len(rows), dtype=bool)
    late[has] = times[has] < times[before[has].astype(np.int64)]
    if previous is not None and len(previous):
        first = ~has & (codes >= 0)
        known, last = carried_times(previous, uniques)
        c = codes[first]
        late[first] = known[c] & (times[first] < last[c])
    flags = np.zeros(len(df), dtype=bool)
    flags[rows] = late
    return flags


def carried_times(previous: pd.Series, units) -> tuple[np.ndarray, np.ndarray]:
    """Look ``units`` up in ``previous`` (unit -> int64 ns): found flags and times, exactly."""
    at = previous.index.get_indexer(pd.Index(units))
    times = previous.to_numpy(dtype="int64")[np.maximum(at, 0)] if len(previous) else at * 0
    return at >= 0, times


def first_last_times(
    df: pd.DataFrame, unit: str, column: str, by_unit: tuple | None = None
) -> dict[str, pd.Series]:
    """Return the first and the last non-null time (int64 ns) of each unit, in row order.

    ``by_unit`` is :func:`units` of the same arguments, when already computed.
    """
    _, times, codes, uniques = by_unit if by_unit is not None else units(df, unit, column)
    ends = pd.Series(times).groupby(codes, sort=False).agg(["first", "last"])
    ends = ends[ends.index >= 0]
    index = pd.Index(pd.Series(uniques).take(ends.index.to_numpy()).to_numpy())
    return {
        "first": pd.Series(ends["first"].to_numpy(), index=index),
        "last": pd.Series(ends["last"].to_numpy(), index=index),
    }
