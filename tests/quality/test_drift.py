"""Drift alerts on a history too short to judge: no alert, and no error."""

import pandas as pd
import pytest

from cibg_ds.quality import drift


@pytest.mark.parametrize("days", [1, 7])
def test_a_history_of_under_eight_days_has_no_alert_and_no_error(days):
    dates = pd.date_range("2026-11-02", periods=days, freq="D")
    table = pd.DataFrame({"rows": 1000.0, "distinct_units": 40.0, "null_share:speed_kmh": 0.01},
                         index=dates)  # fmt: skip
    bands = drift.bands(table)
    assert len(bands) == 0 and bands["alert"].dtype == bool
    found = drift.alerts(table, "fr")
    assert len(found) == 0
    assert list(found.columns) == ["date", "measure", "observed", "expected", "change", "sentence"]
