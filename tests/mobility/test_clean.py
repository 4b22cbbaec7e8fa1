import numpy as np
import pandas as pd
import pytest

from cibg_ds.errors import ParameterError
from cibg_ds.mobility import clean, flag_fixes


def _track(n=20, start="2026-11-03 08:00", step_s=30, lat0=50.85, lon0=4.35):
    ts = pd.date_range(start, periods=n, freq=f"{step_s}s", tz="UTC")
    lat = lat0 + np.arange(n) * 0.002  # ~220 m per 30 s: 27 km/h
    return pd.DataFrame(
        {"obu_id": "u1", "ts": ts, "lat": lat, "lon": lon0, "weight_class": ">32t", "euro_class": 6}
    )


def test_every_fault_gets_its_reason_and_nothing_is_lost():
    df = _track()
    df.loc[5, "lon"] += 0.05  # a spike: 3.5 km away and back within a minute
    df.loc[12:, "lon"] -= 0.04  # a jump that does not come back: 2.8 km in 30 s
    dup = df.iloc[[8]]
    far = df.iloc[[3]].assign(lat=48.0, ts=df["ts"].iloc[3] + pd.Timedelta("1s"))
    missing = df.iloc[[4]].assign(lat=np.nan, ts=df["ts"].iloc[4] + pd.Timedelta("2s"))
    raw = pd.concat([df, dup, far, missing]).sample(frac=1, random_state=0)
    flagged = flag_fixes(raw)
    reasons = flagged["removed_reason"].value_counts()
    assert reasons["duplicate"] == 1 and reasons["outside_region"] >= 1
    assert reasons["spike"] == 1 and reasons["missing_values"] == 1
    assert reasons["impossible_speed"] == 1  # only the first fix after the jump
    kept, report = clean(raw)
    assert report["fixes"].sum() == len(raw)
    assert report.set_index("reason").loc["kept", "fixes"] == len(kept)
    assert kept["ts"].is_monotonic_increasing


def test_clean_feed_keeps_its_fixes_inside_the_region(two_days):
    _, report = clean(two_days)
    by = report.set_index("reason")["fixes"]
    assert by[["missing_values", "duplicate", "spike", "impossible_speed"]].sum() == 0
    # the trucks drive on the OSM extract of the region (+ about 1 km): none beyond 2 km
    assert by["outside_region"] == 0


def test_bad_parameters():
    with pytest.raises(ParameterError, match="max_speed_kmh"):
        clean(_track(), max_speed_kmh=0)


def test_nothing_left_to_check_is_not_an_error(two_days):
    kept, report = clean(two_days.head(0))
    assert len(kept) == 0 and report["fixes"].sum() == 0
    far = two_days.head(50).assign(lat=40.0)  # all outside the region
    kept, report = clean(far)
    assert len(kept) == 0
    assert report.set_index("reason").loc["outside_region", "fixes"] == 50
