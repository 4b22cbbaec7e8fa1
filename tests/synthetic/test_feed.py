"""Does the synthetic feed look like the kilometre-charge OBU data it imitates?"""

import datetime as dt

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest

from cibg_ds.io import load_communes
from cibg_ds.synthetic.feed import simulate_chunk
from cibg_ds.synthetic.fleet import make_truck
from cibg_ds.synthetic.network import build_network

TZ = "Europe/Brussels"
WEDNESDAY, SUNDAY = dt.date(2026, 11, 4), dt.date(2026, 11, 8)


def _feed(day, n=400, seed=1, first=0):
    net = build_network()
    trucks = [make_truck(i, seed, net) for i in range(first, first + n)]
    return simulate_chunk(trucks, day, seed, net, "key", TZ)


@pytest.fixture(scope="module")
def wednesday():
    return _feed(WEDNESDAY)


def _gaps(df):
    df = df.sort_values(["obu_id", "ts"])
    gap = df.groupby("obu_id")["ts"].diff().dt.total_seconds()
    return df.assign(gap=gap)


def test_one_fix_every_30_s_while_moving_and_silence_while_parked(wednesday):
    gaps = _gaps(wednesday)["gap"].dropna()
    assert gaps.median() == pytest.approx(30, abs=1)
    assert ((gaps > 25) & (gaps < 35)).mean() > 0.9
    assert (gaps > 5 * 60).sum() > 300  # parked: silent for more than 5 minutes
    assert (gaps >= 1).all()  # whole-second stamps, no duplicate fixes in the clean feed


def test_tunnels_lose_the_signal_for_a_few_minutes(wednesday):
    gaps = _gaps(wednesday)
    tunnel_gaps = gaps[(gaps["gap"] > 60) & (gaps["gap"] < 300) & (gaps["speed_kmh"] > 10)]
    assert len(tunnel_gaps) > 50


def test_some_units_keep_reporting_while_stationary(wednesday):
    slow = wednesday[wednesday["speed_kmh"] < 2]
    per_unit = slow.groupby("obu_id").size()
    assert (per_unit >= 4).sum() > 20  # 2 minutes or more near zero speed


def test_daily_rhythm_with_peaks_and_congestion(wednesday):
    hour = wednesday["ts"].dt.tz_convert(TZ).dt.hour
    volume = hour.value_counts().reindex(range(24), fill_value=0)
    assert volume[7:10].sum() > 5 * volume[0:4].sum()
    assert volume[16:19].mean() > volume[12:15].mean()
    assert volume[16:19].mean() > volume[20:24].mean()
    moving = wednesday["speed_kmh"] > 5
    speed = wednesday[moving].groupby(hour[moving])["speed_kmh"].median()
    assert speed[[7, 8]].mean() < 0.85 * speed[[11, 12, 13]].mean()


def test_weekly_rhythm_little_sunday_traffic(wednesday):
    sunday = _feed(SUNDAY)
    assert len(sunday) < 0.12 * len(wednesday)
    assert 0 < sunday["obu_id"].nunique() < 0.12 * wednesday["obu_id"].nunique()


def test_fleet_mix(wednesday):
    units = wednesday.drop_duplicates("obu_id")
    weight = units["weight_class"].value_counts(normalize=True)
    assert set(weight.index) == {"3.5-12t", "12-32t", ">32t"} and weight.min() > 0.15
    assert (units["euro_class"] == 6).mean() > 0.65
    assert units["euro_class"].between(0, 6).all()
    country = units["country"].value_counts(normalize=True)
    assert country.index[0] == "BE" and 0.5 < country["BE"] < 0.85
    assert units["country"].nunique() >= 8


def test_through_traffic_enters_and_leaves_without_stopping(wednesday):
    region = load_communes().to_crs(4326).union_all()
    pts = gpd.GeoSeries(gpd.points_from_xy(wednesday["lon"], wednesday["lat"]), crs=4326)
    df = wednesday.assign(inside=pts.within(region).to_numpy())
    df = _gaps(df)
    per_unit = df.groupby("obu_id").agg(
        first_in=("inside", "first"),
        last_in=("inside", "last"),
        any_in=("inside", "any"),
        longest_gap=("gap", "max"),
    )
    through = per_unit[
        ~per_unit.first_in & ~per_unit.last_in & per_unit.any_in & (per_unit.longest_gap < 300)
    ]
    assert len(through) > 0.05 * len(per_unit)


def test_positions_are_in_and_around_brussels_with_gps_noise(wednesday):
    assert wednesday["lat"].between(50.70, 51.0).all()
    assert wednesday["lon"].between(4.15, 4.60).all()
    assert wednesday["heading_deg"].between(0, 360).all()
    assert wednesday["speed_kmh"].between(0, 140).all()


def test_deterministic_and_independent_of_how_trucks_are_split():
    whole = _feed(WEDNESDAY, n=60, seed=4)
    again = _feed(WEDNESDAY, n=60, seed=4)
    pd.testing.assert_frame_equal(whole, again)
    parts = pd.concat([_feed(WEDNESDAY, n=25, seed=4), _feed(WEDNESDAY, n=35, seed=4, first=25)])
    parts = parts.sort_values(["obu_id", "ts"], ignore_index=True)
    by_unit = whole.sort_values(["obu_id", "ts"], ignore_index=True)
    pd.testing.assert_frame_equal(parts, by_unit)
    other = _feed(WEDNESDAY, n=60, seed=5)
    assert len(other) != len(whole) or not np.allclose(other["lat"], whole["lat"])
