"""Quality history: mergeable states, incremental validation, drift alerts (issue 17)."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest

from cibg_ds.io import read_pings
from cibg_ds.quality import metrics, validate
from cibg_ds.quality.history import day_partitions, validate_history
from cibg_ds.quality.kinds import SCHEMA
from cibg_ds.schema import PING_COLUMNS

KEY = metrics.unit_key("test")


THURSDAY, TUESDAY = "2026-11-26", "2026-12-01"


@pytest.fixture(scope="module")
def five_weeks(tmp_path_factory, dask_client):
    """Five weeks (Monday 2 November to Sunday 6 December 2026) of 30 trucks, with faults."""
    from cibg_ds.synthetic import simulate

    out = tmp_path_factory.mktemp("history") / "pings"
    simulate(out, trucks=30, days=35, seed=3, dirty=True, trucks_per_task=30,
             client=dask_client, progress=False)  # fmt: skip
    return out


def remove_units(day: Path, share: float, seed: int = 0) -> int:
    """Remove every fix of ``share`` of the units of a day partition; return how many."""
    files = sorted(day.glob("*.parquet"))
    ids = set()
    for f in files:
        ids |= set(pq.read_table(f, columns=["obu_id"])["obu_id"].to_pylist())
    ids = sorted(ids - {None})
    gone = np.random.default_rng(seed).choice(ids, round(share * len(ids)), replace=False)
    for f in files:
        table = pq.read_table(f)
        keep = pc.invert(pc.is_in(table["obu_id"], value_set=pa.array(list(gone))))
        pq.write_table(table.filter(keep), f)
    return len(gone)


def double_duplicates(day: Path, seed: int = 0) -> int:
    """Duplicate as many more fixes as a day's largest file already repeats (beside them)."""
    target = max(day.glob("*.parquet"), key=lambda f: f.stat().st_size)
    table = pq.read_table(target)
    keys = table.select(["obu_id", "ts"]).to_pandas()
    repeated = keys.duplicated(keep=False).to_numpy()
    extra = int(keys.duplicated().sum())
    single = np.flatnonzero(~repeated & keys.notna().all(axis=1).to_numpy())
    pick = np.random.default_rng(seed).choice(single, extra, replace=False)
    pq.write_table(table.take(np.sort(np.concatenate([np.arange(len(table)), pick]))), target)
    return extra


@pytest.fixture(scope="module")
def faulty(five_weeks, tmp_path_factory, dask_client):
    """The five weeks with 40 % of Thursday's units gone and Tuesday's duplicates doubled,
    the last day held back; validated once with a history."""
    base = tmp_path_factory.mktemp("faulty")
    data, history = base / "pings", base / "history"
    shutil.copytree(five_weeks, data)
    assert remove_units(data / f"date={THURSDAY}", 0.4) >= 10
    assert double_duplicates(data / f"date={TUESDAY}") >= 1
    last = sorted(data.glob("date=*"))[-1]
    held = base / last.name
    shutil.move(last, held)
    with dask_client.as_current():
        first = validate_history(data, "pings", history, progress=False)
    return data, history, first, last, held


def _frame(files) -> pd.DataFrame:
    return read_pings(files, require=PING_COLUMNS).compute(scheduler="sync")


def test_states_of_days_merge_into_the_state_of_their_union(five_weeks):
    """Issue 17, deliverable 1: states merge into the state of the union, computed directly."""
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


def test_thursday_outage_and_tuesday_duplicates_are_flagged_and_no_other_day(faulty):
    """Issue 17, done when: both days flagged with the right measure, no other day."""
    _, _, first, _, _ = faulty
    alerts = pd.DataFrame(first.provenance["alerts"])
    assert set(alerts["date"]) == {THURSDAY, TUESDAY}, alerts
    thursday = set(alerts.loc[alerts["date"] == THURSDAY, "measure"])
    tuesday = set(alerts.loc[alerts["date"] == TUESDAY, "measure"])
    assert "distinct_units" in thursday and thursday <= {"distinct_units", "rows"}
    assert tuesday == {"failed_share:one_fix_per_unit_and_time"}
    units = alerts[(alerts["date"] == THURSDAY) & (alerts["measure"] == "distinct_units")].iloc[0]
    assert units["observed"] < 0.7 * units["expected"]
    assert units["sentence"].startswith(f"{THURSDAY}: ")
    assert "fewer distinct units than a usual Thursday" in units["sentence"]


def test_incremental_validation_reads_only_what_changed(faulty, dask_client):
    """Issue 17, deliverable 2: reuse unchanged days; equal to a full validation."""
    data, history, first, last, held = faulty
    with dask_client.as_current():
        n = first.provenance["history"]["partitions"]
        assert first.provenance["history"]["validated"] == n > 25
        again = validate_history(data, "pings", history, progress=False)
        assert again.provenance["history"] == {**first.provenance["history"], "validated": 0,
                                               "reused": n, "read": []}  # fmt: skip
        assert again.provenance["alerts"] == first.provenance["alerts"]
        _same(again, first)
        full = validate(read_pings(data, require=PING_COLUMNS), "pings", progress=False)
        _same(first, full)
        assert not full.success  # the faults are found, by both
        shutil.copytree(held, last)  # a new day arrives: only it is read
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


@pytest.mark.parametrize("lang", ["en", "fr", "nl"])
def test_trend_page_plots_every_measure_offline_with_the_alerts(faulty, tmp_path, lang):
    """Issue 17, deliverable 3: the trend page, offline, in the reader's language."""
    import re

    from cibg_ds.quality import drift
    from cibg_ds.quality.history import read_states
    from cibg_ds.reports.trend import write_trend_page

    _, history, first, _, _ = faulty
    states = read_states(history, "pings")
    page = write_trend_page(states, tmp_path / "trend.html", lang, simulated=True).read_text()
    assert f"<html lang='{lang}'>" in page
    assert not re.search(r"(src|href)=['\"]?https?:", page)  # nothing fetched
    assert not re.search(r"\b[0-9a-f]{16}\b", page)  # no unit id, no hashed one
    table = drift.measure_table(states)
    assert page.count("<svg") == len(table.columns)
    for sentence in drift.alerts(table, lang)["sentence"]:
        assert sentence.replace("'", "&#x27;") in page
    weekday = {"en": "Thursday", "fr": "jeudi", "nl": "donderdag"}[lang]
    assert weekday in page
    assert page.count("fill='#b00020'") == len(first.provenance["alerts"])
    # every chart names its first and last day under a tick per Monday, in the language
    from babel.dates import format_date

    for day in (table.index[0], table.index[-1]):
        label = format_date(day.date(), "d MMM", locale=lang)
        assert page.count(f">{label}</text>") == len(table.columns), label
    mondays = sum(d.weekday() == 0 for d in table.index)
    assert page.count("stroke='#57606a'/>") == mondays * len(table.columns)


def test_cli_validate_with_history_fails_on_drift(faulty, tmp_path, dask_scheduler, capsys):
    """``--fail-on drift`` fails on the alerts alone: a suite the data passes, a drifted feed."""
    import json

    from cibg_ds.cli import main

    data = faulty[0]
    suite = json.loads((Path(__file__).parents[2] / "expectations" / "pings.json").read_text())
    keep = {"columns_present", "not_empty"}
    suite["expectations"] = [e for e in suite["expectations"] if e["meta"]["name"] in keep]
    suite["meta"].pop("cibg_ds_checks", None)
    (tmp_path / "lenient.json").write_text(json.dumps(suite))
    args = ["validate", str(data), "--suite", str(tmp_path / "lenient.json"),
            "--history", str(tmp_path / "h"), "--scheduler", dask_scheduler,
            "--report", str(tmp_path / "report.html")]  # fmt: skip
    assert main(args) == 0  # passes its expectations...
    out = capsys.readouterr().out
    assert "fewer distinct units than a usual Thursday" in out
    assert main([*args, "--fail-on", "drift"]) == 1  # ...and fails on drift; nothing read again
    out = capsys.readouterr().out
    assert "0 day partition(s) validated" in out
    report = json.loads((tmp_path / "report.json").read_text())
    assert {a["date"] for a in report["provenance"]["alerts"]} == {THURSDAY}
    assert "Drift alerts (" in (tmp_path / "report.html").read_text()
    no_history = ["validate", str(data), "--suite", "pings", "--fail-on", "drift"]
    assert main(no_history) == 2
    assert "--fail-on drift needs --history" in capsys.readouterr().err


def test_history_notebook_shows_the_alerts_and_writes_the_trend_page(faulty, tmp_path):
    """Issue 17, deliverable 5: the notebook on a history (a real Papermill run)."""
    import papermill

    _, history, _, _, _ = faulty
    root = Path(__file__).parents[2]
    executed = papermill.execute_notebook(
        root / "notebooks" / "quality" / "history.ipynb",
        tmp_path / "executed.ipynb",
        parameters={
            "history_dir": str(history),
            "dataset": "pings",
            "lang": "fr",
            "trend_path": str(tmp_path / "trend.html"),
        },
        kernel_name="cibg-ds",
        cwd=str(tmp_path),
        progress_bar=False,
    )
    outputs = [o for c in executed.cells if c.cell_type == "code" for o in c.outputs]
    assert not [o for o in outputs if o.output_type == "error"]
    html = "".join(o.get("data", {}).get("text/html", "") for o in outputs)
    assert f"{THURSDAY} : unités distinctes en baisse de" in html
    assert "jeudi habituel" in html and "<svg" in html
    page = (tmp_path / "trend.html").read_text()
    assert "<html lang='fr'>" in page and "Qualité des données dans le temps" in page


_DAY_IN_A_FRESH_PROCESS = """
import pickle, sys
from cibg_ds.quality.history import _validate_day
files, suite, params, key = pickle.load(sys.stdin.buffer)
summary, duplicated, state = _validate_day(files, suite, params, "cibg_ds", key,
                                           "Europe/Brussels", None)
sys.stdout.buffer.write(pickle.dumps(
    ("great_expectations" in sys.modules, summary, duplicated, state)))
"""


def test_a_day_is_validated_on_a_worker_without_gx_and_settled_on_the_client(five_weeks):
    """Schema expectations on dtypes are the client's (as in a plain validation): a worker
    process never imports GX (seconds of CPU each) and the day's pieces are unchanged."""
    import functools
    import json
    import pickle
    import subprocess
    import sys

    from cibg_ds.quality.history import _finish_day, _validate_day
    from cibg_ds.quality.kinds import default_parameters
    from cibg_ds.quality.suites import load_suite

    suite, params = load_suite("pings"), default_parameters()
    files = day_partitions(five_weeks)[THURSDAY]
    done = subprocess.run([sys.executable, "-c", _DAY_IN_A_FRESH_PROCESS], check=True,
                          input=pickle.dumps((files, suite, params, KEY)),
                          capture_output=True)  # fmt: skip
    loaded_gx, summary, duplicated, state = pickle.loads(done.stdout)
    assert not loaded_gx
    schema = {e.name for e in suite.expectations if e.type in SCHEMA}
    assert schema - set(summary["gx"])  # left to the client
    piece, day_state = _finish_day(suite, params, KEY, summary, duplicated, state)
    assert schema <= set(piece["summaries"][0]["gx"])
    assert (day_state["metric"] == "unexpected").any()
    # the same pieces and state as a day validated and settled in this process
    here = _validate_day(files, suite, params, "cibg_ds", KEY, "Europe/Brussels", None)
    same, same_state = _finish_day(suite, params, KEY, *here)
    pd.testing.assert_frame_equal(day_state, same_state)
    mine, theirs = piece["summaries"][0], same["summaries"][0]
    assert mine["rows"] == theirs["rows"] and mine["by"] == theirs["by"]
    as_text = functools.partial(json.dumps, sort_keys=True, default=str)  # NaN == NaN
    assert as_text(mine["gx"]) == as_text(theirs["gx"])
