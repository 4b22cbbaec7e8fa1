"""Any feed's columns: obu_id, ts, lat and lon are enough for every trajectory function."""

import dask.dataframe as dd
import pandas as pd
import pytest

from cibg_ds.errors import InputError
from cibg_ds.io import read_pings
from cibg_ds.mobility import aggregate, clean, detect_stops, segment_trips, vehicle_km
from cibg_ds.mobility.stops import STOP_COLUMNS
from cibg_ds.mobility.trips import TRIP_COLUMNS
from tests.conftest import shared_file
from tests.mobility.movingpandas_peer import as_tuples

FOUR = ["obu_id", "ts", "lat", "lon"]


def _chain(fixes):
    kept, report = clean(fixes)
    trips = segment_trips(kept)
    stops = detect_stops(kept)
    vkm = vehicle_km(kept)
    cells = aggregate(kept, by="hour")
    return kept, report, trips, stops, vkm, cells


def test_a_four_column_feed_goes_through_every_trajectory_function(kept):
    fixes = kept[FOUR].reset_index(drop=True)
    _, report, trips, stops, vkm, cells = _chain(fixes)
    assert int(report["fixes"].sum()) == len(fixes)
    assert list(trips.columns) == list(TRIP_COLUMNS) and len(trips) > 100
    assert trips["weight_class"].isna().all() and trips["euro_class"].isna().all()
    # the same trips and stops as with every column
    full = segment_trips(kept)
    key = ["obu_id", "trip_id", "start_ts", "end_ts", "n_fixes", "distance_km"]
    assert as_tuples(trips, key) == as_tuples(full, key)
    assert list(stops.columns) == list(STOP_COLUMNS)
    assert as_tuples(stops, ["obu_id", "start_ts", "kind"]) == as_tuples(
        detect_stops(kept), ["obu_id", "start_ts", "kind"]
    )
    assert vkm["vkm"].sum() == pytest.approx(trips["distance_km"].sum())
    assert vkm["weight_class"].isna().all()
    assert cells["n_fixes"].sum() > 0 and "speed_mean" not in cells.columns
    assert not any(c.startswith("share_") for c in cells.columns)


@pytest.mark.cluster
def test_a_four_column_feed_on_dask(kept, dask_client):
    fixes = kept[FOUR].reset_index(drop=True)
    *_, trips, stops, vkm, cells = _chain(fixes)
    with dask_client.as_current():
        lazy = dd.from_pandas(fixes, npartitions=3, sort=False)
        kept_d, report_d = clean(lazy)
        trips_d = segment_trips(kept_d).compute()
        stops_d = detect_stops(kept_d).compute()
        vkm_d = vehicle_km(kept_d)
        cells_d = aggregate(kept_d, by="hour")
    assert int(report_d["fixes"].sum()) == len(fixes)
    key = ["obu_id", "trip_id", "start_ts", "n_fixes"]
    assert as_tuples(trips_d, key) == as_tuples(trips, key)
    assert as_tuples(stops_d, ["obu_id", "start_ts", "kind"]) == as_tuples(
        stops, ["obu_id", "start_ts", "kind"]
    )
    assert vkm_d["vkm"].sum() == pytest.approx(vkm["vkm"].sum())
    assert cells_d["n_fixes"].sum() == cells["n_fixes"].sum()


@pytest.mark.parametrize(
    "call",
    [clean, segment_trips, detect_stops, vehicle_km, aggregate],
    ids=lambda f: f.__name__,
)
def test_a_missing_fix_column_names_the_column_and_the_function(kept, call):
    with pytest.raises(InputError, match=rf"(?s){call.__name__}.*'lon'"):
        call(kept[["obu_id", "ts", "lat"]])


def test_read_pings_maps_names_and_units(tmp_path, kept):
    sample = kept.head(500)
    raw = pd.DataFrame(
        {
            "unit": sample["obu_id"],
            "t_ms": sample["ts"].astype("int64") // 10**6,
            "y": sample["lat"],
            "x": sample["lon"],
            "v": sample["speed_kmh"] / 3.6,
        }
    )
    raw.to_csv(tmp_path / "gps.csv", index=False, sep=";")
    got = read_pings(
        tmp_path / "gps.csv",
        columns={"unit": "obu_id", "t_ms": "ts:ms", "y": "lat", "x": "lon", "v": "speed_kmh:m/s"},
        sep=";",
    ).compute()
    assert list(got.columns) == ["obu_id", "ts", "lat", "lon", "speed_kmh"]
    assert (got["ts"].to_numpy() == sample["ts"].dt.floor("ms").to_numpy()).all()
    assert got["speed_kmh"].to_numpy() == pytest.approx(sample["speed_kmh"].to_numpy(), rel=1e-5)
    raw.assign(t_s=raw["t_ms"] // 1000).to_csv(tmp_path / "s.csv", index=False)
    got = read_pings(tmp_path / "s.csv", columns={"unit": "obu_id", "t_s": "ts:s", "y": "lat",
                                                  "x": "lon"}).compute()  # fmt: skip
    assert (got["ts"].to_numpy() == sample["ts"].dt.floor("s").to_numpy()).all()
    with pytest.raises(InputError, match=r"unit 'furlongs' of 'speed_kmh'"):
        read_pings(tmp_path / "gps.csv", columns={"v": "speed_kmh:furlongs"}, sep=";")
    with pytest.raises(InputError, match=r"(?s)gps.csv: missing.*'obu_id'"):
        read_pings(tmp_path / "gps.csv", sep=";")


def test_read_pings_local_naive_times_of_a_real_feed(tmp_path):
    path = shared_file("liverpool_bus_route14_outbound.csv")
    got = read_pings(
        path,
        columns={"vehicle_id": "obu_id", "timestamp": "ts:Europe/London",
                 "latitude": "lat", "longitude": "lon", "bearing": "heading_deg"},
    ).compute()  # fmt: skip
    raw = pd.read_csv(path)
    assert len(got) == len(raw) and got["ts"].notna().all()
    expected = pd.to_datetime(raw["timestamp"]).dt.tz_localize("Europe/London").dt.tz_convert("UTC")
    assert (got["ts"].to_numpy() == expected.to_numpy()).all()
    assert got["heading_deg"].isna().sum() == raw["bearing"].isna().sum()
    trips = segment_trips(got)  # in Liverpool: every end outside Brussels, no crash
    assert len(trips) > 5 and (trips["end_commune"] == "outside").all()
