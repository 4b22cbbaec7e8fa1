"""The wheel works anywhere: built, installed in a fresh virtualenv outside the checkout, used.

One long test (minutes: it installs every pinned dependency, from pip's cache when warm);
deselect it with ``-m "not wheel"`` (``make test-fast`` does).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from tests.conftest import ROOT

pytestmark = pytest.mark.wheel

TOP_SKIP = {".git", ".venv", "build", "data", "reports", "tests", "benchmarks"}
"""Top-level folders not copied: not part of the package, or a user's outputs."""
SKIP = {"__pycache__", ".pytest_cache", ".ruff_cache", ".ipynb_checkpoints"}


def _ignore(folder, names):
    top = Path(folder) == ROOT
    return [n for n in names if n in SKIP or n.endswith(".egg-info") or (top and n in TOP_SKIP)]


def _run(cmd, cwd, env, timeout=1800):
    done = subprocess.run([str(c) for c in cmd], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=timeout)  # fmt: skip
    assert done.returncode == 0, f"{cmd}\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    return done


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    """A fresh virtualenv outside the checkout with only the wheel (and its pinned deps)."""
    base = tmp_path_factory.mktemp("wheel")
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    # the source as committed (links included) in a copy, so building leaves no build/ here
    source = base / "src"
    shutil.copytree(ROOT, source, symlinks=True, ignore=_ignore)
    dist = base / "dist"
    _run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", dist, source], base, env)
    (wheel,) = dist.glob("cibg_ds-*.whl")
    venv = base / "env"
    _run([sys.executable, "-m", "venv", venv], base, env)
    python = venv / "bin" / "python"
    constraints = ROOT / "requirements" / "constraints.txt"
    _run([python, "-m", "pip", "install", "-q", "-c", constraints, wheel], base, env)
    work = base / "work"
    work.mkdir()
    env["PATH"] = f"{venv / 'bin'}{os.pathsep}{env['PATH']}"
    return {"wheel": wheel, "venv": venv, "python": python, "work": work, "env": env,
            "source": source}  # fmt: skip


def test_the_wheel_holds_every_package_and_data_file(installed):
    names = set(zipfile.ZipFile(installed["wheel"]).namelist())
    package = installed["source"] / "cibg_ds"
    shipped = [p for p in package.rglob("*") if p.is_file() and "__pycache__" not in p.parts
               and "_share" not in p.parts and p.suffix != ".pyc"]  # fmt: skip
    assert shipped
    for path in shipped:
        assert f"cibg_ds/{path.relative_to(package).as_posix()}" in names, path
    for kind, folder in (("expectations", ROOT / "expectations"), ("pipelines", ROOT / "pipelines"),
                         ("notebooks", ROOT / "notebooks")):  # fmt: skip
        files = [p for p in folder.rglob("*") if p.suffix in (".json", ".yaml", ".ipynb")
                 and ".ipynb_checkpoints" not in p.parts]  # fmt: skip
        assert files
        for path in files:
            assert f"cibg_ds/_share/{kind}/{path.relative_to(folder).as_posix()}" in names
    assert any(n.endswith("share/jupyter/kernels/cibg-ds/kernel.json") for n in names)


def test_the_installed_package_finds_its_files_inside_the_virtualenv(installed):
    code = ("import json, cibg_ds, cibg_ds.resources as r; print(json.dumps([cibg_ds.__file__, "
            "str(r.find_suite('pings')), str(r.find_notebook('quality/validate.ipynb')), "
            "str(r.find_pipeline('demo')), str(r.workdir())]))")  # fmt: skip
    done = _run([installed["python"], "-c", code], installed["work"], installed["env"])
    package, suite, notebook, pipeline, workdir = json.loads(done.stdout)
    venv = str(installed["venv"].resolve())
    for path in (package, suite, notebook, pipeline):
        assert Path(path).resolve().is_file() and str(Path(path).resolve()).startswith(venv), path
    assert Path(workdir) == installed["work"]  # not a checkout: notebooks run where you are


def test_validate_a_simulated_feed_with_shipped_and_own_suites(installed):
    work, env = installed["work"], installed["env"]
    _run(["cibg-ds", "simulate", "--trucks", "20", "--days", "1", "--out", "feed"], work, env)
    done = _run(["cibg-ds", "validate", "feed", "--suite", "pings"], work, env)
    assert "pings: PASSED" in done.stdout
    # a user's own folder comes first: a stricter 'pings' suite that the feed fails
    own = work / "mysuites"
    own.mkdir()
    spec = json.loads((ROOT / "expectations" / "pings.json").read_text())
    huge = {"min_value": 10**9}
    spec["expectations"].append({"type": "expect_table_row_count_to_be_between",
                                 "kwargs": huge, "meta": {"name": "huge"}})  # fmt: skip
    (own / "pings.json").write_text(json.dumps(spec))
    for how in (["--suites", own], []):
        env_own = {**env, "CIBG_DS_SUITES": str(own)} if not how else env
        cmd = ["cibg-ds", "validate", "feed", "--suite", "pings", *how]
        done = subprocess.run(cmd, cwd=work, env=env_own, capture_output=True, text=True,
                              timeout=600)  # fmt: skip
        assert done.returncode == 1, done.stderr[-2000:]
        assert "pings: FAILED" in done.stdout and "huge" in done.stdout


def test_run_the_demo_pipeline(installed):
    work, env = installed["work"], installed["env"]
    cmd = ["cibg-ds", "run", "demo", "-p", "trucks=50", "-p", "days=1", "-p", "n_sim=20",
           "--jobs", "2"]  # fmt: skip
    done = _run(cmd, work, env, timeout=3600)
    assert "pipeline demo" in done.stdout and ": complete" in done.stdout, done.stdout
    (run,) = (work / "reports" / "demo").glob("2*")
    manifest = json.loads((run / "manifest.json").read_text())
    assert manifest["status"] == "complete"
    assert (run / "products" / "mobility").is_dir() and (run / "quality" / "report.html").is_file()


def test_a_shipped_notebook_through_papermill(installed):
    work, env = installed["work"], installed["env"]
    if not (work / "feed").exists():
        _run(["cibg-ds", "simulate", "--trucks", "20", "--days", "1", "--out", "feed"], work, env)
    code = "from cibg_ds import resources as r; print(r.find_notebook('quality/validate.ipynb'))"
    where = [installed["python"], "-c", code]
    notebook = _run(where, work, env).stdout.strip()
    cmd = ["papermill", notebook, "out.ipynb", "-k", "cibg-ds", "-p", "data_path", "feed",
           "-p", "quarantine_dir", "q", "-p", "report_path", "q/report.html"]  # fmt: skip
    _run(cmd, work, env, timeout=900)
    executed = json.loads((work / "out.ipynb").read_text())
    assert executed["metadata"]["kernelspec"]["name"] == "cibg-ds"
    errors = [o for c in executed["cells"] for o in c.get("outputs", [])
              if o.get("output_type") == "error"]  # fmt: skip
    assert not errors
    assert (work / "q" / "report.html").is_file() and (work / "q" / "clean").is_dir()
