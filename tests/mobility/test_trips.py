import dask.dataframe as dd
import numpy as np
import pandas as pd
import pytest

from cibg_ds.errors import ParameterError
from cibg_ds.mobility import clean, label_trips, segment_trips, silence_stops, vehicle_km
from cibg_ds.mobility.trips import TRIP_COLUMNS
from tests.mobility.movingpandas_peer import as_tuples, movingpandas


@pytest.fixture(scope="module")
def trips(kept):
    return segment_trips(kept)


def test_trip_table(trips, kept):
    assert list(trips.columns) == list(TRIP_COLUMNS)
    pieces = label_trips(kept).groupby(["obu_id", "trip_id"]).size()
    assert trips["n_fixes"].sum() == len(kept) - (pieces == 1).sum()
    assert (trips["n_fixes"] >= 2).all()
    assert (trips["end_ts"] >= trips["start_ts"]).all()
    assert trips["start_commune"].str.fullmatch(r"210\d\d|outside").all()
    assert (trips["start_commune"] == "outside").any() and (trips["end_commune"] != "outside").any()
    moving = trips[trips["duration_s"] > 600]
    assert moving["mean_speed_kmh"].between(10, 90).all()
    assert not trips.duplicated(["obu_id", "trip_id"]).any()
    # within a trip no silence is longer than the gap; between trips every one is
    stops = silence_stops(trips)
    assert (stops["duration_s"] > 300).all()
    assert len(stops) == len(trips) - trips["obu_id"].nunique()


def test_trip_boundaries_equal_movingpandas_observation_gap_splitter(kept):
    sample = kept[kept["obu_id"].isin(kept["obu_id"].drop_duplicates().head(40))]
    ours = segment_trips(sample, gap="5min")
    theirs = movingpandas(sample, "5min", 100, "3min")[0]
    mine = as_tuples(ours, ["obu_id", "start_ts", "end_ts", "n_fixes"])
    assert len(mine) > 100
    assert mine == theirs


def test_a_trip_past_midnight_across_day_partitions_is_one_trip():
    ts = pd.date_range("2026-11-03 22:50", periods=40, freq="30s", tz="UTC")  # 23:50 local
    fixes = pd.DataFrame(
        {
            "obu_id": "night",
            "ts": ts,
            "lat": 50.84 + 0.001 * np.arange(40),
            "lon": 4.36,
            "weight_class": ">32t",
            "euro_class": 6,
        }
    )
    day = fixes["ts"].dt.tz_convert("Europe/Brussels").dt.date
    assert day.nunique() == 2
    ddf = dd.from_pandas(fixes, npartitions=2, sort=False)  # one partition per local day
    assert ddf.map_partitions(len).compute().tolist() == (day.value_counts(sort=False)).tolist()
    trips = segment_trips(ddf).compute()
    assert len(trips) == 1 and trips["n_fixes"].item() == 40


@pytest.mark.cluster
def test_dask_partitioned_by_day_gives_the_same_trips_and_km(two_days, dask_client):
    day = two_days["ts"].dt.tz_convert("Europe/Brussels").dt.date
    parts = [two_days[day == d] for d in sorted(day.unique())]
    ddf = dd.from_pandas(pd.concat(parts, ignore_index=True), npartitions=len(parts), sort=False)
    with dask_client.as_current():
        kept_d, report_d = clean(ddf)
        trips_d = segment_trips(kept_d).compute()
        vkm_d = vehicle_km(kept_d)
    kept_p, report_p = clean(two_days)
    pd.testing.assert_frame_equal(report_d, report_p)
    key = ["obu_id", "trip_id"]
    pd.testing.assert_frame_equal(
        trips_d.sort_values(key, ignore_index=True),
        segment_trips(kept_p).sort_values(key, ignore_index=True),
        check_categorical=False,
    )
    pd.testing.assert_frame_equal(
        vkm_d, vehicle_km(kept_p), check_dtype=False, check_categorical=False
    )


def test_vehicle_km_adds_up_to_trip_distances(kept, trips):
    vkm = vehicle_km(kept)
    assert vkm["vkm"].sum() == pytest.approx(trips["distance_km"].sum(), rel=1e-9)
    assert set(vkm.columns) == {
        "commune",
        "hour",
        "weight_class",
        "euro_class",
        "vkm",
        "n_vehicles",
    }
    inside = vkm[vkm["commune"] != "outside"]
    assert inside["commune"].nunique() == 19
    assert str(vkm["hour"].dt.tz) == "Europe/Brussels"


def test_bad_gap():
    with pytest.raises(ParameterError, match="gap"):
        segment_trips(pd.DataFrame(), gap="soon")


def test_a_lone_fix_between_two_silences_is_no_trip_and_lies_inside_one_silence():
    ts = pd.to_datetime(["2026-11-03 08:00:00", "2026-11-03 08:00:30", "2026-11-03 09:00:00",
                         "2026-11-03 10:00:00", "2026-11-03 10:00:30"], utc=True)  # fmt: skip
    fixes = pd.DataFrame({"obu_id": "a", "ts": ts, "lat": 50.85, "lon": 4.35})
    trips = segment_trips(fixes)
    assert trips["trip_id"].tolist() == [0, 2]  # numbered as MovingPandas numbers its pieces
    stops = silence_stops(trips)
    assert stops[["start_ts", "end_ts"]].to_numpy().tolist() == [[ts[1], ts[3]]]
