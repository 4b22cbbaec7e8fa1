"""Pipeline definitions and parameters refused at load; runs that must not split in two."""

from __future__ import annotations

import json
import subprocess
import sys

import nbformat
import pytest

from cibg_ds.cli import _params
from cibg_ds.pipelines import load_pipeline, run_pipeline
from tests.conftest import ROOT
from tests.pipelines.conftest import write_notebook, write_pipeline

GOOD = """
name: t
parameters: {start: "2026-11-02", n: 1}
tasks:
  a:
    notebook: step.ipynb
    parameters: {label: "${start}", n: "${n}", out: "${run}/a.csv"}
    products: [a.csv]
"""


@pytest.fixture
def workdir(tmp_path):
    write_notebook(tmp_path / "step.ipynb")
    return tmp_path


def test_a_date_on_the_command_line_is_a_string_for_a_str_parameter(workdir):
    path = write_pipeline(workdir, GOOD)
    pipeline = load_pipeline(path, _params(["start=2026-11-09", "n=3"]))
    assert pipeline.parameters == {"start": "2026-11-09", "n": 3}
    assert pipeline.tasks["a"].parameters["label"] == "2026-11-09"


@pytest.mark.parametrize(
    "args, message",
    [
        (["-p", "start=2026-02-30"], "-p start: cannot read '2026-02-30' (day is out of range"),
        (["-p", "n=many"], "'n' must be int"),
        (["-p", "colour=red"], "unknown pipeline parameter"),
        (["-p", "novalue"], "-p takes KEY=VALUE"),
    ],
    ids=["impossible-date", "text-for-int", "unknown-parameter", "no-equals"],
)
def test_bad_parameters_are_usage_errors_before_anything_runs(workdir, cli, args, message):
    path = write_pipeline(workdir, GOOD)
    code, _, err = cli("run", path, "--reports", workdir / "reports", *args)
    assert code == 2 and message in err and "Traceback" not in err
    assert not (workdir / "reports" / "t").exists() or not any((workdir / "reports").rglob("2*"))


BROKEN = {
    "misspelt-top-level-key": (GOOD.replace("parameters: {start", "paramaters: {start"),
                               "unknown top-level key 'paramaters'; did you mean 'parameters'?"),
    "after-as-string": (GOOD + "    after: b\n", "'after' must be a list"),
    "products-as-string": (GOOD.replace("products: [a.csv]", "products: a.csv"),
                           "'products' must be a list"),
    "inputs-as-string": (GOOD + "    inputs: x.csv\n", "'inputs' must be a list"),
    "agencies-as-string": (GOOD + "    agencies: mobility\n", "'agencies' must be a list"),
    "retries-fraction": (GOOD + "    retries: 1.5\n", "retries must be a whole number"),
    "retries-text": (GOOD + "    retries: two\n", "retries must be a whole number"),
    "retries-negative": (GOOD + "    retries: -1\n", "retries must be a whole number"),
    "parameters-as-list": (GOOD.replace('parameters: {start: "2026-11-02", n: 1}',
                                        "parameters: [start]"), "'parameters' must be a mapping"),
    "python-tag": (GOOD + "    x: !!python/object/apply:os.system ['true']\n", "not valid YAML"),
    "unknown-task-key": (GOOD + "    retry: 1\n", "unknown keys ['retry']"),
    "cycle": (GOOD + "    after: [b]\n  b:\n    notebook: step.ipynb\n    after: [a]\n"
              "    parameters: {out: \"${run}/x\"}\n", "tasks form a cycle"),
    "no-tasks": ("name: t\ntasks: {}\n", "non-empty 'tasks'"),
    "missing-notebook": (GOOD.replace("step.ipynb", "nope.ipynb"), "notebook nope.ipynb not found"),
}  # fmt: skip


@pytest.mark.parametrize("case", sorted(BROKEN))
def test_broken_definitions_are_refused_at_load(workdir, cli, case):
    text, message = BROKEN[case]
    path = write_pipeline(workdir, text)
    code, _, err = cli("run", path, "--reports", workdir / "reports")
    assert code == 2 and "Traceback" not in err and str(path) in err
    if message:
        assert message in err, err
    assert not any((workdir / "reports").rglob("manifest.json"))


def test_untyped_notebook_parameters_are_refused_at_load(workdir, cli):
    nb = nbformat.read(workdir / "step.ipynb", as_version=4)
    nb.cells[0].source = nb.cells[0].source.replace("n: int = 1", "n = 1")
    nbformat.write(nb, workdir / "step.ipynb")
    code, _, err = cli("run", write_pipeline(workdir, GOOD), "--reports", workdir / "reports")
    assert code == 2 and "parameter(s) ['n']" in err and "have no type" in err


def test_a_file_named_in_a_parameter_enters_the_fingerprint(workdir):
    source = workdir / "source.txt"
    source.write_text("first")
    text = GOOD.replace('label: "${start}"', f'label: "{source}"')
    path = write_pipeline(workdir, text)
    first = run_pipeline(path, reports=workdir / "reports")
    assert first.tasks["a"].status == "ok"
    again = run_pipeline(path, reports=workdir / "reports")
    assert again.tasks["a"].status == "cached"
    source.write_text("first and more: the input grew")
    grown = run_pipeline(path, reports=workdir / "reports")
    assert grown.tasks["a"].status == "ok"  # not a stale cached product
    manifest = json.loads((grown.run_dir / "manifest.json").read_text())
    assert str(source) in manifest["input_fingerprints"]


def test_a_relative_reports_folder_is_one_tree_whatever_the_working_directory(workdir):
    path = write_pipeline(workdir, GOOD)
    elsewhere = workdir / "elsewhere"
    elsewhere.mkdir()
    cmd = [sys.executable, "-m", "cibg_ds.cli", "run", str(path), "--reports", "rel"]
    done = subprocess.run(cmd, cwd=elsewhere, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    runs = list((elsewhere / "rel" / "t").glob("2*"))
    assert len(runs) == 1 and (runs[0] / "a.csv").exists() and (runs[0] / "manifest.json").exists()
    assert not (ROOT / "rel").exists()  # nothing landed beside the package


def test_the_default_reports_folder_is_the_working_directory(workdir, monkeypatch):
    monkeypatch.chdir(workdir)
    result = run_pipeline(write_pipeline(workdir, GOOD))
    assert result.run_dir.parent.parent == workdir / "reports" and result.status == "complete"
