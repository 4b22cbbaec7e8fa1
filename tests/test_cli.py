"""The installed ``cibg-ds`` entry point, run as a user would run it."""

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest


def _cli() -> str:
    candidate = Path(sys.executable).with_name("cibg-ds")
    return str(candidate) if candidate.exists() else shutil.which("cibg-ds")


def run(*args, **kwargs):
    return subprocess.run([_cli(), *args], capture_output=True, text=True, timeout=300, **kwargs)


@pytest.mark.cluster
def test_simulate_on_an_existing_scheduler(tmp_path, dask_scheduler):
    out = tmp_path / "feed"
    done = run(
        "simulate",
        "--trucks",
        "40",
        "--days",
        "2",
        "--start",
        "2026-11-09",
        "--out",
        str(out),
        "--seed",
        "3",
        "--dirty",
        "--scheduler",
        dask_scheduler,
    )
    assert done.returncode == 0, done.stderr
    assert f"under {out}" in done.stdout and "date=2026-11-09" in done.stdout
    assert dask_scheduler in done.stderr  # said which cluster it used
    manifest = json.loads((out / "_meta" / "manifest.json").read_text())
    assert manifest["parameters"] == {
        "trucks": 40,
        "days": 2,
        "start": "2026-11-09",
        "seed": 3,
        "dirty": True,
    }
    again = run("simulate", "--trucks", "40", "--out", str(out), "--scheduler", dask_scheduler)
    assert again.returncode == 1 and "--overwrite" in again.stderr


def test_usage_errors_exit_2():
    assert run("simulate", "--trucks", "-3", "--out", "x").returncode == 2
    assert (
        run(
            "simulate",
            "--start",
            "yesterday",
            "--out",
            "/nonexistent/x",
            "--scheduler",
            "tcp://127.0.0.1:9",
        ).returncode
        == 1
    )
    assert run("frobnicate").returncode == 2


def test_versions_and_version():
    done = run("versions")
    assert done.returncode == 0 and "great-expectations" in done.stdout
    assert run("--version").stdout.startswith("cibg_ds ")


@pytest.mark.cluster
def test_validate_exit_codes_quarantine_and_report(tmp_path, dask_scheduler, sim_dirty, sim_clean):
    q, report = tmp_path / "q", tmp_path / "report.html"
    bad = run(
        "validate",
        str(sim_dirty.out),
        "--suite",
        "pings",
        "--quarantine",
        str(q),
        "--report",
        str(report),
        "--scheduler",
        dask_scheduler,
    )
    assert bad.returncode == 1, bad.stderr
    assert "lat_not_null [error]" in bad.stdout and "rejected" in bad.stdout
    assert report.exists() and report.with_suffix(".json").exists()
    assert len(list((q / "rejected").glob("*.parquet"))) > 0
    good = run("validate", str(sim_clean.out), "--suite", "pings", "--scheduler", dask_scheduler)
    assert good.returncode == 0, good.stdout + good.stderr
    assert "PASSED" in good.stdout
    assert run("validate", str(sim_clean.out), "--suite", "nosuch").returncode == 2
    assert (
        run(
            "validate", str(tmp_path / "absent"), "--suite", "pings", "--scheduler", dask_scheduler
        ).returncode
        == 1
    )


def test_fail_on_warning(tmp_path):
    from cibg_ds.io import load_commune_facts

    facts = load_commune_facts()
    facts.to_csv(tmp_path / "ok.csv", index=False)
    spec = json.loads((Path(__file__).parents[1] / "expectations" / "communes.json").read_text())
    spec["expectations"].append(
        {
            "type": "expect_column_mean_to_be_between",
            "kwargs": {"column": "population_2026", "max_value": 10},
            "meta": {"name": "tiny_mean", "severity": "warning"},
        }
    )
    (tmp_path / "s.json").write_text(json.dumps(spec))
    lenient = run("validate", str(tmp_path / "ok.csv"), "--suite", str(tmp_path / "s.json"))
    strict = run(
        "validate",
        str(tmp_path / "ok.csv"),
        "--suite",
        str(tmp_path / "s.json"),
        "--fail-on",
        "warning",
    )
    assert lenient.returncode == 0, lenient.stdout + lenient.stderr
    assert strict.returncode == 1 and "tiny_mean [warning]" in strict.stdout


def test_own_suite_folders_come_first_and_bad_ones_exit_2(tmp_path):
    from cibg_ds.io import load_commune_facts

    load_commune_facts().to_csv(tmp_path / "ok.csv", index=False)
    own = tmp_path / "own"
    own.mkdir()
    spec = json.loads((Path(__file__).parents[1] / "expectations" / "communes.json").read_text())
    spec["expectations"].append(
        {
            "type": "expect_table_row_count_to_be_between",
            "kwargs": {"min_value": 20},
            "meta": {"name": "twenty_communes"},
        }
    )
    (own / "communes.json").write_text(json.dumps(spec))
    shipped = run("validate", str(tmp_path / "ok.csv"), "--suite", "communes")
    mine = run("validate", str(tmp_path / "ok.csv"), "--suite", "communes", "--suites", str(own))
    assert shipped.returncode == 0, shipped.stdout + shipped.stderr
    assert mine.returncode == 1 and "twenty_communes" in mine.stdout, mine.stdout + mine.stderr
    absent = run("validate", "x.csv", "--suite", "communes", "--suites", str(tmp_path / "no"))
    assert (
        absent.returncode == 2 and "--suites" in absent.stderr and "no such folder" in absent.stderr
    )
    unknown = run("validate", "x.csv", "--suite", "nosuch", "--suites", str(own))
    assert unknown.returncode == 2 and str(own) in unknown.stderr and "communes" in unknown.stderr
