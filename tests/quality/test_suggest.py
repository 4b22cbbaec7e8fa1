"""Suites suggested from a trusted period (issue 17, deliverable 4)."""

from __future__ import annotations

import json

import great_expectations as gx
import pytest

from cibg_ds.cli import main
from cibg_ds.io import read_pings
from cibg_ds.quality import validate
from cibg_ds.schema import PING_COLUMNS

CATCHES = {  # fault kind of the simulator -> the suggested expectation that must flag it
    "null_coordinates": "lat_not_null",
    "naive_timestamp": "ts_not_null",
    "impossible_speed": "speed_kmh_in_range",
    "unknown_weight_class": "weight_class_known",
    "unknown_euro_class": "euro_class_known",
    "duplicate_fix": "one_fix_per_unit_and_time",
    "out_of_time_order": "fixes_in_time_order",
}


@pytest.fixture(scope="module")
def periods(tmp_path_factory, dask_client):
    """Three trusted clean days and a later dirty day of the same fleet (15 trucks)."""
    from cibg_ds.synthetic import simulate

    base = tmp_path_factory.mktemp("suggest")
    kw = {"trucks": 15, "seed": 4, "trucks_per_task": 15, "client": dask_client, "progress": False}
    simulate(base / "trusted", days=3, start="2026-11-02", **kw)
    simulate(base / "dirty", days=1, start="2026-11-10", dirty=True, **kw)
    return base


def test_suggested_suite_loads_in_gx_passes_its_period_and_catches_dirty_faults(
    periods, tmp_path, dask_scheduler, capsys
):
    out = tmp_path / "suite.json"
    args = ["suggest-suite", str(periods / "trusted"), "--out", str(out),
            "--scheduler", dask_scheduler]  # fmt: skip
    assert main(args) == 0
    assert "expectations from" in capsys.readouterr().out
    spec = json.loads(out.read_text())
    suite = gx.ExpectationSuite(**spec)  # GX itself loads it
    assert len(suite.expectations) == len(spec["expectations"]) > 20
    kinds = {e["type"] for e in spec["expectations"]}
    assert {"expect_column_values_to_be_of_type", "expect_column_values_to_be_between",
            "expect_column_values_to_be_in_set", "expect_column_values_to_match_regex",
            "expect_compound_columns_to_be_unique"} <= kinds  # fmt: skip
    trusted = {e["kwargs"].get("column") for e in spec["expectations"]}
    assert "obu_id" in trusted
    ids = set(read_pings(periods / "trusted").compute()["obu_id"])
    assert not any(i in out.read_text() for i in ids)  # no unit id in a value set
    passed = validate(read_pings(periods / "trusted", require=PING_COLUMNS), out, progress=False)
    assert passed.success, passed.failed("warning")
    dirty = validate(read_pings(periods / "dirty", require=PING_COLUMNS), out, progress=False)
    faults = json.loads((periods / "dirty" / "_meta" / "dirty_manifest.json").read_text())
    flagged = {o.name: o.unexpected_count for o in dirty.failed("warning")}
    for kind, name in CATCHES.items():
        assert faults["faults"][kind] >= 1
        assert flagged.get(name, 0) >= faults["faults"][kind], (kind, name, flagged)
    outside = flagged.get("lat_in_range", 0) + flagged.get("lon_in_range", 0)
    assert outside >= faults["faults"]["zero_coordinates"] + faults["faults"]["jump_out_of_belgium"]
