"""Quality history: mergeable states, incremental validation, drift alerts (issue 17)."""

from __future__ import annotations

import shutil

import numpy as np
import pandas as pd
import pytest

from cibg_ds.io import read_pings
from cibg_ds.quality import metrics, validate
from cibg_ds.quality.history import day_partitions, validate_history
from cibg_ds.schema import PING_COLUMNS

KEY = metrics.unit_key("test")


@pytest.fixture(scope="module")
def five_weeks(tmp_path_factory, dask_client):
    """Five weeks (Monday 2 November to Sunday 6 December 2026) of 12 trucks, with faults."""
    from cibg_ds.synthetic import simulate

    out = tmp_path_factory.mktemp("history") / "pings"
    simulate(out, trucks=12, days=35, seed=3, dirty=True, trucks_per_task=12,
             client=dask_client, progress=False)  # fmt: skip
    return out


def _frame(files) -> pd.DataFrame:
    return read_pings(files, require=PING_COLUMNS).compute(scheduler="sync")


def test_states_of_days_merge_into_the_state_of_their_union(five_weeks):
    days = list(day_partitions(five_weeks).values())[:4]
    frames = [_frame(files) for files in days]
    merged = metrics.merge_states([metrics.state(f, KEY) for f in frames])
    union = metrics.state(pd.concat(frames, ignore_index=True), KEY)
    pd.testing.assert_frame_equal(merged[["metric", "key"]], union[["metric", "key"]])
    exact = merged["metric"] != "speed_sum"
    assert (merged.loc[exact, "value"].to_numpy() == union.loc[exact, "value"].to_numpy()).all()
    assert merged.loc[~exact, "value"].iloc[0] == pytest.approx(union.loc[~exact, "value"].iloc[0])
    # the measures: exact counts, quantiles within one bin of numpy's
    m, frame = metrics.measures(merged), pd.concat(frames, ignore_index=True)
    assert m["rows"] == len(frame)
    assert m["distinct_units"] == frame["obu_id"].nunique()
    assert m["null_share:lat"] == frame["lat"].isna().mean()
    speed = frame["speed_kmh"].dropna().astype("float64")
    for q in metrics.QUANTILES:
        assert abs(m[f"speed_p{round(q * 100)}"] - np.quantile(speed, q)) <= metrics.SPEED_BIN
    assert m["speed_max"] == speed.max() and m["speed_mean"] == pytest.approx(speed.mean())
    assert m["share:country=BE"] == pytest.approx((frame["country"] == "BE").mean())
    assert not any(str(u) in set(merged["key"]) for u in frame["obu_id"].dropna().unique())


def _same(a, b) -> None:
    """Two validation results agree expectation by expectation (NaN equal to NaN)."""
    fa, fb = a.to_frame(), b.to_frame()
    for col in ("expectation", "success", "element_count", "unexpected_count"):
        assert fa[col].tolist() == fb[col].tolist(), col
    assert np.allclose(fa["unexpected_percent"].astype(float).fillna(-1),
                       fb["unexpected_percent"].astype(float).fillna(-1))  # fmt: skip
    assert [str(x) for x in fa["unexpected_sample"]] == [str(x) for x in fb["unexpected_sample"]]
    for x, y in zip(fa["observed_value"], fb["observed_value"], strict=True):
        assert x == y or x == pytest.approx(y) or (pd.isna(x) and pd.isna(y))
    assert a.rows == b.rows


def test_incremental_validation_reads_only_what_changed(five_weeks, tmp_path, dask_client):
    data, history = tmp_path / "pings", tmp_path / "history"
    shutil.copytree(five_weeks, data)
    last = sorted(data.glob("date=*"))[-1]
    held = tmp_path / last.name
    shutil.move(last, held)
    with dask_client.as_current():
        first = validate_history(data, "pings", history, progress=False)
        n = first.provenance["history"]["partitions"]
        assert first.provenance["history"]["validated"] == n > 25
        again = validate_history(data, "pings", history, progress=False)
        assert again.provenance["history"] == {**first.provenance["history"], "validated": 0,
                                               "reused": n, "read": []}  # fmt: skip
        _same(again, first)
        full = validate(read_pings(data, require=PING_COLUMNS), "pings", progress=False)
        _same(first, full)
        assert not full.success  # the faults are found, by both
        shutil.move(held, last)  # a new day arrives: only it is read
        added = validate_history(data, "pings", history, progress=False)
        assert added.provenance["history"]["read"] == [last.name[5:]]
        _same(added, validate(read_pings(data, require=PING_COLUMNS), "pings", progress=False))
        changed = sorted(last.glob("*.parquet"))[0]  # rewritten: same rows, new file
        changed.write_bytes(changed.read_bytes())
        assert validate_history(data, "pings", history, progress=False).provenance["history"][
            "read"] == [last.name[5:]]  # fmt: skip
        shutil.rmtree(last)  # removed: its state goes
        gone = validate_history(data, "pings", history, progress=False)
        assert gone.provenance["history"]["removed"] == 1
        assert gone.provenance["history"]["validated"] == 0
        states = pd.read_parquet(history / "pings" / "states.parquet")
        assert last.name[5:] not in set(states["partition"])
        _same(gone, first)
