import itertools

import dask.dataframe as dd
import numpy as np
import pandas as pd
import pytest

from cibg_ds.cluster import compute
from cibg_ds.mobility.buckets import by_key_ranges, key_bounds, n_buckets, split


def _summary(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.groupby("key", sort=True).agg(rows=("row", "size"), first=("row", "min"))


def _frame(n=20_000, seed=5) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    keys = np.where(rng.random(n) < 0.3, 7, rng.integers(-(2**40), 2**40, n))  # a hot key
    return pd.DataFrame({"key": keys.astype(np.int64), "row": np.arange(n)})


@pytest.mark.cluster
def test_buckets_hold_whole_keys_in_key_order_and_rows_in_frame_order(dask_client):
    frame = _frame()
    lazy = dd.from_pandas(frame, npartitions=5, sort=False)
    with dask_client.as_current():
        buckets = compute(by_key_ranges(lazy, "key", lambda part: part), "buckets")
    assert len(buckets) == n_buckets(5)
    full = [b for b in buckets if len(b)]
    assert len(full) > 2  # the keys were spread, not all in one bucket
    for low, high in itertools.pairwise(full):
        assert low["key"].max() < high["key"].min()
    for bucket in full:  # rows of a bucket in the frame's order
        assert (np.diff(bucket["row"].to_numpy()) > 0).all()
    together = pd.concat(full, ignore_index=True)
    assert sorted(together["row"]) == list(range(len(frame)))  # rows in = rows out
    pd.testing.assert_frame_equal(_summary(together), _summary(frame))


@pytest.mark.cluster
def test_a_frame_of_one_partition_is_reduced_whole(dask_client):
    frame = _frame(500)
    lazy = dd.from_pandas(frame, npartitions=1)
    with dask_client.as_current():
        (only,) = compute(by_key_ranges(lazy, "key", len), "buckets")
    assert only == len(frame)


def test_bounds_split_the_sample_evenly_and_split_keeps_every_row():
    frame = _frame(10_000, seed=9)
    bounds = key_bounds([(frame["key"].to_numpy(), 1)], 4)
    pieces = split(frame, "key", bounds, 4)
    assert sum(len(p) for p in pieces) == len(frame)
    assert len(set(frame["key"])) == sum(p["key"].nunique() for p in pieces)
    sizes = [len(p) for p in pieces]
    assert max(sizes) < 0.5 * len(frame)  # the hot key (30 %) sits in one bucket
    assert key_bounds([], 4).size == 0
