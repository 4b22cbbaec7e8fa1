import datetime as dt

import dask.dataframe as dd
import geopandas as gpd
import numpy as np
import pandas as pd
import pytest

from cibg_ds.mobility import detect_stops, stationary_stops
from cibg_ds.mobility.stops import STOP_COLUMNS
from tests.mobility.movingpandas_peer import as_tuples, movingpandas


def _movingpandas_stops(fixes, max_diameter, minutes, gap="5min"):
    return movingpandas(fixes, gap, max_diameter, f"{minutes}min")[1]


@pytest.mark.parametrize("max_diameter, minutes", [(100, 3), (40, 2), (250, 5)])
def test_stationary_stops_equal_movingpandas_trajectory_stop_detector(kept, max_diameter, minutes):
    sample = kept[kept["obu_id"].isin(kept["obu_id"].drop_duplicates().head(60))]
    ours = stationary_stops(sample, max_diameter=max_diameter, min_duration=f"{minutes}min")
    theirs = _movingpandas_stops(sample, max_diameter, minutes)
    assert len(theirs) > 10
    assert as_tuples(ours, ["obu_id", "start_ts", "end_ts"]) == theirs


def test_without_a_gap_stops_equal_movingpandas_on_whole_unit_histories(kept):
    mpd = pytest.importorskip("movingpandas")
    sample = kept[kept["obu_id"].isin(kept["obu_id"].drop_duplicates().head(30))]
    gdf = gpd.GeoDataFrame(
        sample.assign(ts=sample["ts"].dt.tz_convert(None)),
        geometry=gpd.points_from_xy(sample["lon"], sample["lat"]),
        crs=4326,
    )
    collection = mpd.TrajectoryCollection(gdf, traj_id_col="obu_id", t="ts")
    ranges = mpd.TrajectoryStopDetector(collection).get_stop_time_ranges(
        max_diameter=100, min_duration=dt.timedelta(minutes=3)
    )
    theirs = sorted((str(r.traj_id), pd.Timestamp(r.t_0), pd.Timestamp(r.t_n)) for r in ranges)
    ours = stationary_stops(sample, gap=None)
    assert len(theirs) > len(stationary_stops(sample))  # stops across silences, too
    assert as_tuples(ours, ["obu_id", "start_ts", "end_ts"]) == theirs


def test_a_crafted_stop_at_the_end_and_a_jittery_stop(kept):
    ts = pd.date_range("2026-11-03 08:00", periods=30, freq="30s", tz="UTC")
    rng = np.random.default_rng(0)
    lat = np.r_[50.84 + 0.003 * np.arange(10), np.full(20, 50.87)] + rng.normal(0, 2e-5, 30)
    fixes = pd.DataFrame({"obu_id": "u", "ts": ts, "lat": lat, "lon": 4.36})
    ours = stationary_stops(fixes)
    assert len(ours) == 1 and ours["end_ts"].item() == ts[-1]
    theirs = _movingpandas_stops(fixes, 100, 3)
    assert [
        (o, a.tz_convert(None), b.tz_convert(None))
        for o, a, b in ours[["obu_id", "start_ts", "end_ts"]].itertuples(index=False)
    ] == theirs


@pytest.mark.cluster
def test_one_stops_table_on_pandas_and_dask(kept, dask_client):
    stops = detect_stops(kept)
    assert list(stops.columns) == list(STOP_COLUMNS)
    assert set(stops["kind"]) == {"silence", "stationary"}
    assert stops["commune"].str.fullmatch(r"210\d\d|outside").all()
    assert (stops["duration_s"] >= 180).all()
    with dask_client.as_current():
        lazy = detect_stops(dd.from_pandas(kept, npartitions=4, sort=False)).compute()
    key = ["obu_id", "start_ts", "kind"]
    pd.testing.assert_frame_equal(
        lazy.sort_values(key, ignore_index=True), stops.sort_values(key, ignore_index=True)
    )


def test_a_moving_unit_and_no_data_have_no_stops():
    ts = pd.date_range("2026-11-03 08:00", periods=20, freq="30s", tz="UTC")
    moving = pd.DataFrame(
        {"obu_id": "u", "ts": ts, "lat": 50.84 + 0.003 * np.arange(20), "lon": 4.36}
    )
    assert stationary_stops(moving).empty
    assert list(stationary_stops(moving.iloc[:0]).columns) == list(stationary_stops(moving).columns)
