"""Checks GX has no expectation for, run by cibg_ds beside GX with the same bookkeeping."""

from __future__ import annotations

import numpy as np
import pandas as pd

from cibg_ds.schema import to_ns


def order_violations(
    df: pd.DataFrame, unit: str, column: str, previous: pd.Series | None = None
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

    Returns
    -------
    numpy.ndarray of bool
        One flag per row of ``df``.
    """
    ns = to_ns(df[column])
    present = df[column].notna().to_numpy()
    keys = df[unit].astype(object).to_numpy()[present]
    times = ns[present]
    prior = pd.Series(times, dtype="Int64").groupby(keys, sort=False).shift(1)
    if previous is not None and len(previous):
        first = ~pd.Series(keys).duplicated().to_numpy()
        prior[first] = pd.Series(keys[first]).map(previous).astype("Int64").to_numpy()
    late = (prior.notna() & (pd.Series(times, dtype="Int64") < prior)).to_numpy(dtype=bool)
    flags = np.zeros(len(df), dtype=bool)
    flags[np.flatnonzero(present)] = late
    return flags


def first_last_times(df: pd.DataFrame, unit: str, column: str) -> dict[str, pd.Series]:
    """Return the first and the last non-null time (int64 ns) of each unit, in row order."""
    present = df[column].notna().to_numpy()
    times = pd.Series(to_ns(df[column])[present], index=df[unit].to_numpy()[present])
    return {
        "first": times[~times.index.duplicated(keep="first")],
        "last": times[~times.index.duplicated(keep="last")],
    }
