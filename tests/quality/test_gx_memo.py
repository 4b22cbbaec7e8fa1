"""GX's verdicts on a suite and on column types, kept on disk between processes."""

import json
import os
import subprocess
import sys

import pytest

from cibg_ds.errors import InputError
from cibg_ds.quality import load_suite
from cibg_ds.quality.suites import SUITES_DIR

# validates a small feed on Dask (the synchronous scheduler) and says whether GX was imported
VALIDATE = """
import json, sys
import dask
import dask.dataframe as dd
import pandas as pd
from cibg_ds.quality import load_suite, validate
from cibg_ds.schema import PING_DTYPES

n = 40
pings = pd.DataFrame({
    "obu_id": [f"u{i % 4}" for i in range(n)],
    "ts": pd.Timestamp("2026-11-02 08:00", tz="UTC") + pd.to_timedelta(
        [30 * (i // 4) for i in range(n)], unit="s"),
    "lat": [50.85 if i % 9 else 70.0 for i in range(n)],  # unexpected rows too
    "lon": 4.35, "speed_kmh": 40.0, "heading_deg": 90.0, "weight_class": "12-32t",
    "euro_class": 6, "country": "BE",
}).astype({**PING_DTYPES, "speed_kmh": sys.argv[2]})
suite = load_suite(sys.argv[1])
with dask.config.set(scheduler="sync"):
    on_dask = validate(dd.from_pandas(pings, npartitions=2), suite)
table = [r.to_frame().astype(str).to_dict("records") for r in (on_dask, validate(pings, suite))]
print(json.dumps({"gx": "great_expectations" in sys.modules, "table": table}))
"""


def _run(code: str, cache, suite: str, speed: str = "float32") -> dict:
    env = {**os.environ, "XDG_CACHE_HOME": str(cache)}
    out = subprocess.run([sys.executable, "-c", code, suite, speed], env=env, check=True,
                         capture_output=True, text=True).stdout  # fmt: skip
    return json.loads(out.strip().splitlines()[-1])


def test_a_second_process_validates_as_the_first_without_importing_gx(tmp_path):
    first = _run(VALIDATE, tmp_path, "pings")
    second = _run(VALIDATE, tmp_path, "pings")
    assert first["gx"] and not second["gx"]  # GX judged the suite and the types once
    assert second["table"] == first["table"]  # and what it said stands, field by field
    assert any(row["success"] == "False" for row in first["table"][0])
    assert first["table"][1] == first["table"][0]  # pandas as Dask


def test_another_suite_or_another_type_asks_gx_again(tmp_path):
    _run(VALIDATE, tmp_path, "pings")
    assert _run(VALIDATE, tmp_path, "pings", "float64")["gx"]  # speed not float32: GX judges
    spec = json.loads((SUITES_DIR / "pings.json").read_text())
    spec["expectations"] = [
        e for e in spec["expectations"] if e["type"] != "expect_table_row_count_to_be_between"
    ]
    edited = tmp_path / "edited.json"
    edited.write_text(json.dumps(spec))
    assert _run(VALIDATE, tmp_path, str(edited))["gx"]  # another suite: GX loads it


def test_a_refused_suite_is_refused_by_gx_every_time(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    spec = json.loads((SUITES_DIR / "pings.json").read_text())
    spec["expectations"][0]["kwargs"]["mostly"] = 7  # GX: mostly must be within 0 and 1
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(spec))
    for _ in range(2):
        with pytest.raises(InputError, match="Great Expectations refuses this suite"):
            load_suite(bad)
    assert not list((tmp_path / "cache").rglob("*.pkl"))


def test_without_a_cache_folder_gx_is_asked_each_time(tmp_path, monkeypatch):
    blocked = tmp_path / "file"
    blocked.write_text("not a folder")
    monkeypatch.setenv("XDG_CACHE_HOME", str(blocked))
    assert load_suite("pings") == load_suite("pings")
