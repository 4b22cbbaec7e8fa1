"""Regroup the rows of a Dask frame by ranges of an integer key: a light, ordered shuffle.

Each partition is cut into buckets of key ranges (the ranges drawn from a sample of every
partition's keys, so the buckets hold about as many rows each); bucket ``b`` of every
partition goes to one reducer task, which concatenates its pieces in partition order (so
the rows keep their order in the frame) and reduces them on the worker. Every row of a key
meets in one bucket, and the buckets come back in key order: a reducer that returns its
rows sorted by key gives a sorted table once its results are concatenated, with no sort
and no frame shuffle on the client. This is the validation's bucketed uniqueness
reduction (:mod:`cibg_ds.quality.distributed`) for aggregations.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

SAMPLE_SIZE = 1024
"""Keys sampled per partition to draw the bucket ranges."""
MIN_BUCKETS, MAX_BUCKETS = 8, 64


def n_buckets(npartitions: int) -> int:
    """Return the number of buckets for a frame of ``npartitions`` (8 to 64)."""
    return int(np.clip(npartitions, MIN_BUCKETS, MAX_BUCKETS))


def key_sample(part: pd.DataFrame, key: str) -> tuple[np.ndarray, int]:
    """Return every ``step``-th key of a partition and the step (the weight of each)."""
    values = part[key].to_numpy()
    step = max(1, -(-len(values) // SAMPLE_SIZE))
    return values[::step].copy(), step


def key_bounds(samples: list[tuple[np.ndarray, int]], n: int) -> np.ndarray:
    """Return at most ``n - 1`` increasing bounds splitting the sampled keys in ``n`` parts.

    >>> key_bounds([(np.arange(100), 1)], 4).tolist()
    [24, 49, 74]
    """
    values = np.concatenate([v for v, _ in samples]) if samples else np.zeros(0, np.int64)
    if len(values) == 0:
        return values
    weights = np.concatenate([np.full(len(v), w, dtype=np.int64) for v, w in samples])
    order = np.argsort(values, kind="stable")
    values, cumulative = values[order], np.cumsum(weights[order])
    at = cumulative[-1] * np.arange(1, n) / n
    return np.unique(values[np.searchsorted(cumulative, at, side="left")])


def split(part: pd.DataFrame, key: str, bounds: np.ndarray, n: int) -> list[pd.DataFrame]:
    """Cut a partition into ``n`` buckets of key ranges, each bucket's rows in their order.

    Bucket ``b`` holds the keys from ``bounds[b - 1]`` (included) to ``bounds[b]`` (excluded).
    """
    bucket = np.searchsorted(bounds, part[key].to_numpy(), side="right").astype(np.uint16)
    order = np.argsort(bucket, kind="stable")  # a radix sort of small integers
    ends = np.cumsum(np.bincount(bucket, minlength=n))
    rows = part.take(order)
    starts = np.r_[0, ends[:-1]]
    return [rows.iloc[a:b] for a, b in zip(starts, ends, strict=True)]


def reduce_bucket(func, *pieces: pd.DataFrame):
    """Concatenate a bucket's pieces (in partition order) and return ``func`` of them."""
    full = [p for p in pieces if len(p)]
    if not full:
        return func(pieces[0].iloc[:0])
    return func(full[0] if len(full) == 1 else pd.concat(full, ignore_index=True))


def by_key_ranges(frame, key: str, func) -> list:
    """Return one Dask ``Delayed`` per bucket: ``func`` of the rows of a range of ``key``.

    Parameters
    ----------
    frame : dask.dataframe.DataFrame
        Its column ``key`` holds integers (their order is the buckets' order).
    key : str
    func : callable
        Called on the pandas frame of each bucket (every row of a key in one call, rows in
        the frame's order); must pickle.

    Returns
    -------
    list of dask.delayed.Delayed
        In key order: every key of result ``b`` is below every key of result ``b + 1``.
        A frame of one partition gives one result, computed without cutting it.
    """
    import dask

    parts = frame.to_delayed()
    if len(parts) == 1:
        return [dask.delayed(reduce_bucket)(func, parts[0])]
    n = n_buckets(len(parts))
    samples = [dask.delayed(key_sample)(p, key) for p in parts]
    bounds = dask.delayed(key_bounds)(samples, n)
    pieces = [dask.delayed(split, nout=n)(p, key, bounds, n) for p in parts]
    return [dask.delayed(reduce_bucket)(func, *[p[b] for p in pieces]) for b in range(n)]
