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
