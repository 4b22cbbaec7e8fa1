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


@pytest.fixture(scope="module")
def past_midnight(two_days) -> pd.DataFrame:
    """The two days with every third truck 16 hours later: its trips run across midnight."""
    feed = two_days.copy()
    units = feed["obu_id"].drop_duplicates().sort_values()
    late = feed["obu_id"].isin(units.iloc[::3])
    feed.loc[late, "ts"] += pd.Timedelta("16h")
    return feed


def test_the_feed_has_trips_across_midnight(past_midnight):
    kept, _ = clean(past_midnight)
    trips = trajectory_tables(kept, "5min", tz=TZ)[0]
    start, end = (trips[c].dt.tz_convert(TZ).dt.date for c in ("start_ts", "end_ts"))
    assert (start != end).sum() >= 10


def _in_unit_order(got: dict) -> dict:
    """The tables with trips and stops in unit order (pieces concatenate them piece by piece)."""
    out = dict(got)
    for name in ("trips", "stops"):
        out[name] = got[name].sort_values(["obu_id", "start_ts"], ignore_index=True)
    return out


@pytest.mark.cluster
def test_pieces_give_the_tables_of_the_persisted_clean_fixes(past_midnight, dask_client):
    """The default pieces (one a partition) regroup as clean does: equal to the bit."""
    from cibg_ds.mobility.indicators import cleaned_indicator_tables

    roads = default_roads()
    with dask_client.as_current():
        pings = dd.from_pandas(past_midnight, npartitions=3, sort=False)
        kept, report = clean(pings, persist=True)
        expected, n = _tables(kept, roads), len(kept)
        first, last = kept["ts"].min().compute(), kept["ts"].max().compute()
        got, got_report, span = cleaned_indicator_tables(
            pings, cell="1km", roads=roads, by="daytype", tz=TZ, gap="5min"
        )
    _same(got, expected)
    pd.testing.assert_frame_equal(got_report, report)
    assert span == {"fixes": n, "first": first, "last": last}


@pytest.mark.cluster
@pytest.mark.parametrize("pieces", [1, 2, 5])
def test_any_pieces_give_the_tables_of_one_frame(past_midnight, dask_client, pieces):
    """Whole units in each piece: trips across midnight are cut as on one pandas frame."""
    from cibg_ds.mobility.indicators import cleaned_indicator_tables

    roads = default_roads()
    kept, report = clean(past_midnight)
    one = _in_unit_order(_tables(kept, roads))
    with dask_client.as_current():
        pings = dd.from_pandas(past_midnight, npartitions=3, sort=False)
        got, got_report, span = cleaned_indicator_tables(
            pings, cell="1km", roads=roads, by="daytype", tz=TZ, gap="5min", pieces=pieces
        )
    got = _in_unit_order(got)
    pd.testing.assert_frame_equal(got_report, report)
    assert span == {"fixes": len(kept), "first": kept["ts"].min(), "last": kept["ts"].max()}
    for name, table in one.items():
        # exact but for floats: sums and means (vehicle-km, travel time indices) add up in
        # another order when the units are in other pieces: equal up to rounding
        sums = [c for c in table.columns if pd.api.types.is_float_dtype(table[c].dtype)]
        pd.testing.assert_frame_equal(
            got[name].drop(columns=sums), table.drop(columns=sums), check_exact=True, obj=name
        )
        pd.testing.assert_frame_equal(got[name][sums], table[sums], rtol=1e-12, obj=name)
        assert got[name].attrs == table.attrs, name


@pytest.mark.parametrize("chunk", [None, 1, 997])
def test_merged_pieces_are_the_statistics_of_their_fixes(kept, monkeypatch, chunk):
    """Per-piece partial statistics, merged (a range of groups at a time or all at once),
    equal to the bit the statistics of the pieces' fixes concatenated in order."""
    import importlib

    import numpy as np

    from cibg_ds.mobility.aggregate import GridCells, _binned, _keys, _stats
    from cibg_ds.mobility.roads import RoadSnapper

    # the modules (cibg_ds.mobility exports functions of their names)
    agg = importlib.import_module("cibg_ds.mobility.aggregate")
    cg = importlib.import_module("cibg_ds.mobility.congestion")
    if chunk is not None:
        monkeypatch.setattr(agg, "MERGE_CHUNK", chunk)
    units = kept["obu_id"].drop_duplicates().sort_values()
    # three pieces of disjoint units, and an empty one
    pieces = [kept[kept["obu_id"].isin(units.iloc[i::3])] for i in range(3)] + [kept.iloc[:0]]
    for place in (GridCells("1km"), RoadSnapper(default_roads())):
        keys = _keys(place, "daytype")
        binned = [_binned(p, place, "daytype", TZ) for p in pieces]
        empty = _stats(binned[-1], keys)
        got = agg.merge_partial_stats([agg.partial_stats(b, keys) for b in binned], keys, empty)
        expected = _stats(pd.concat(binned), keys)
        pd.testing.assert_frame_equal(got, expected, check_exact=True)
        assert len(got) > 100 and np.isfinite(got["speed_p85"]).any()
    moving = [cg._moving(p, "1km", TZ, 5.0) for p in pieces]
    empty = cg._per_cell(moving[-1], "1km")
    got = cg.merge_per_cell([cg.partial_per_cell(m) for m in moving], "1km", empty)
    pd.testing.assert_frame_equal(got, cg._per_cell(pd.concat(moving), "1km"), check_exact=True)
    assert got["tti_am"].notna().any() and got["reliability"].notna().any()
