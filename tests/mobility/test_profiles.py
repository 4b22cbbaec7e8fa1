import numpy as np
import pandas as pd
import pytest

from cibg_ds.errors import ParameterError
from cibg_ds.mobility import (
    hourly_profile,
    isolation_anomalies,
    robust_anomalies,
    vehicle_km,
)


@pytest.fixture(scope="module")
def vkm(kept):
    return vehicle_km(kept)


def test_hourly_profiles(vkm):
    weekday = hourly_profile(vkm, by="weekday")
    assert set(weekday["weekday"]) == {1, 2}  # Tuesday and Wednesday
    tuesday = weekday[weekday["weekday"] == 1].set_index("hour_of_day")["vkm"]
    assert tuesday.loc[7:9].mean() > 3 * tuesday.loc[0:4].reindex(range(5), fill_value=0).mean()
    per_commune = hourly_profile(vkm, by="commune")
    assert per_commune["commune"].nunique() == 20  # 19 communes and outside
    days = vkm["hour"].dt.strftime("%Y-%m-%d").nunique()
    total = (per_commune["vkm"] * per_commune["days"]).sum()
    assert total == pytest.approx(vkm["vkm"].sum())
    assert (per_commune["days"] <= days).all()
    with pytest.raises(ParameterError, match="by must be"):
        hourly_profile(vkm, by="month")


def test_a_spike_is_flagged_with_its_reason():
    days = pd.DataFrame(
        {
            "commune": np.repeat(["21001", "21004"], 30),
            "date": list(range(30)) * 2,
            "vkm": 1000 + 10 * np.sin(np.arange(60)),  # an ordinary day-to-day spread
        }
    )
    days.loc[12, "vkm"] = 3000.0  # one odd day in Anderlecht
    flagged = robust_anomalies(days, "vkm", ["commune"])
    assert flagged["anomaly"].sum() == 1 and flagged.loc[12, "anomaly"]
    assert flagged.loc[12, "reason"].startswith("vkm 3.0x the usual level of its commune")
    assert (flagged.loc[flagged.index != 12, "reason"] == "").all()
    flat = robust_anomalies(days.assign(vkm=5.0), "vkm", ["commune"])
    assert not flat["anomaly"].any()  # no spread, no score


def _days(n=60, seed=3):
    """Hourly vkm of ``n`` ordinary days: a morning and an evening peak, some noise."""
    rng = np.random.default_rng(seed)
    hours = np.arange(24)
    shape = 20 + 100 * np.exp(-((hours - 8) ** 2) / 4) + 80 * np.exp(-((hours - 17) ** 2) / 4)
    values = shape * rng.normal(1, 0.05, size=(n, 24))
    return pd.DataFrame(values, columns=[f"h{h:02d}" for h in hours]).assign(day=range(n))


def test_isolation_forest_finds_an_odd_shape_with_the_same_total():
    days = _days()
    features = [f"h{h:02d}" for h in range(24)]
    odd = days.loc[40, features].to_numpy()
    days.loc[40, features] = odd.sum() / 24  # same total, spread flat over the day
    out = isolation_anomalies(days, features, contamination=0.02, seed=0)
    assert out.loc[40, "anomaly"] and out["anomaly"].sum() <= 2  # 2 % of 60 days
    assert out["anomaly_score"].idxmax() == 40
    hour = int(out.loc[40, "reason"][1:3])  # "h23 = 47.43 where it is usually 20.05"
    assert hour <= 4 or hour >= 21  # a flat day is most unusual at night
    totals = days.assign(total=days[features].sum(axis=1), all="all")
    assert not robust_anomalies(totals, "total", ["all"]).loc[40, "anomaly"]  # level is usual
    again = isolation_anomalies(days, features, contamination=0.02, seed=0)
    pd.testing.assert_frame_equal(out, again)


def test_isolation_forest_refuses_bad_input():
    days = _days(10)
    with pytest.raises(ParameterError, match="contamination"):
        isolation_anomalies(days, ["h00"], contamination=0.9)
    with pytest.raises(ParameterError, match=r"features .*\['h99'\] are not"):
        isolation_anomalies(days, ["h00", "h99"])
    with pytest.raises(ParameterError, match="missing values"):
        isolation_anomalies(days.assign(h00=np.nan), ["h00", "h01"])
