"""Trips, stops and vehicle-km in one pass equal the three public calls."""

import dask.dataframe as dd
import pandas as pd
import pytest

from cibg_ds.mobility import clean, detect_stops, segment_trips, vehicle_km
from cibg_ds.mobility.tables import trajectory_tables
from cibg_ds.mobility.units import _REGROUPED, regroup


def _same(got, expected, key):
    pd.testing.assert_frame_equal(
        got.sort_values(key, ignore_index=True), expected.sort_values(key, ignore_index=True)
    )


def test_one_pass_equals_the_public_calls(kept):
    trips, stops, vkm = trajectory_tables(kept)
    _same(trips, segment_trips(kept), ["obu_id", "trip_id"])
    _same(stops, detect_stops(kept), ["obu_id", "start_ts", "kind"])
    _same(vkm, vehicle_km(kept), ["commune", "hour", "weight_class", "euro_class"])


@pytest.mark.cluster
def test_one_pass_on_dask_and_no_second_shuffle_after_clean(two_days, kept, dask_client):
    with dask_client.as_current():
        lazy, _ = clean(dd.from_pandas(two_days, npartitions=3, sort=False))
        assert lazy._name in _REGROUPED and regroup(lazy) is lazy  # clean regrouped it
        trips, stops, vkm = trajectory_tables(lazy)
    _same(trips, segment_trips(kept), ["obu_id", "trip_id"])
    _same(stops, detect_stops(kept), ["obu_id", "start_ts", "kind"])
    expected = vehicle_km(kept)
    key = ["commune", "hour", "weight_class", "euro_class"]
    got = vkm.sort_values(key, ignore_index=True)
    assert got[key].equals(expected.sort_values(key, ignore_index=True)[key])
    assert got["vkm"].sum() == pytest.approx(expected["vkm"].sum())
