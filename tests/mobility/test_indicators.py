"""The report's fix-level tables from one pass equal the public calls, table for table."""

import dask.dataframe as dd
import pandas as pd
import pytest

from cibg_ds.mobility import aggregate, aggregate_roads, clean, congestion, default_roads
from cibg_ds.mobility.aggregate import MEASURES
from cibg_ds.mobility.indicators import indicator_tables
from cibg_ds.mobility.tables import trajectory_tables

TZ = "Europe/Brussels"


def _expected(kept, roads) -> dict:
    trips, stops, vkm = trajectory_tables(kept, "5min", tz=TZ)
    return {
        "trips": trips,
        "stops": stops,
        "vkm": vkm,
        "cells": aggregate(kept, cell="1km", by="daytype", tz=TZ, measures=MEASURES),
        "roads": aggregate_roads(kept, roads=roads, by="daytype", tz=TZ),
        "congestion": congestion(kept, cell="1km", tz=TZ),
    }


def _same(got: dict, expected: dict) -> None:
    assert got.keys() == expected.keys()
    for name, table in expected.items():
        pd.testing.assert_frame_equal(got[name], table, check_exact=True, obj=name)
        assert got[name].attrs == table.attrs, name


def _tables(kept, roads):
    return indicator_tables(kept, cell="1km", roads=roads, by="daytype", tz=TZ, gap="5min")


def test_one_pass_equals_the_public_calls_on_pandas(kept):
    roads = default_roads()
    got = _tables(kept, roads)
    _same(got, _expected(kept, roads))
    assert got["roads"].attrs["unsnapped_fixes"] == len(kept) - got["roads"]["n_fixes"].sum()
    assert len(got["cells"]) and got["cells"]["vkm"].sum() > 0 and len(got["congestion"])


@pytest.mark.cluster
@pytest.mark.parametrize("npartitions", [1, 3])
def test_one_pass_equals_the_public_calls_on_dask(two_days, dask_client, npartitions):
    """One partition (no shuffle at all) and three (regrouped by cell and by segment)."""
    roads = default_roads()
    with dask_client.as_current():
        lazy, _ = clean(dd.from_pandas(two_days, npartitions=npartitions, sort=False),
                        persist=True)  # fmt: skip
        assert lazy.npartitions == npartitions
        got, expected = _tables(lazy, roads), _expected(lazy, roads)
    _same(got, expected)
    kept, _ = clean(two_days)  # and the same tables as on pandas, but for the row order
    local = _tables(kept, roads)
    for name in ("cells", "roads", "congestion"):
        pd.testing.assert_frame_equal(got[name], local[name], obj=name)


@pytest.mark.cluster
def test_clean_persisting_gives_the_same_fixes_and_report(two_days, dask_client):
    with dask_client.as_current():
        pings = dd.from_pandas(two_days, npartitions=2, sort=False)
        lazy, report = clean(pings)
        kept, persisted_report = clean(pings, persist=True)
        pd.testing.assert_frame_equal(persisted_report, report)
        pd.testing.assert_frame_equal(kept.compute(), lazy.compute())
