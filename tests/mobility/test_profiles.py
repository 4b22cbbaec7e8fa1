import numpy as np
import pandas as pd
import pytest

from cibg_ds.errors import ParameterError
from cibg_ds.mobility import clean, hourly_profile, robust_anomalies, vehicle_km


@pytest.fixture(scope="module")
def vkm(two_days):
    return vehicle_km(clean(two_days)[0])


def test_hourly_profiles(vkm):
    weekday = hourly_profile(vkm, "weekday")
    assert set(weekday["weekday"]) == {1, 2}  # Tuesday and Wednesday
    tuesday = weekday[weekday["weekday"] == 1].set_index("hour_of_day")["vkm"]
    assert tuesday.loc[7:9].mean() > 3 * tuesday.loc[0:4].reindex(range(5), fill_value=0).mean()
    per_commune = hourly_profile(vkm, "commune")
    assert per_commune["commune"].nunique() == 20  # 19 communes and outside
    days = vkm["hour"].dt.strftime("%Y-%m-%d").nunique()
    total = (per_commune["vkm"] * per_commune["days"]).sum()
    assert total == pytest.approx(vkm["vkm"].sum())
    assert (per_commune["days"] <= days).all()
    with pytest.raises(ParameterError, match="by must be"):
        hourly_profile(vkm, "month")


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
