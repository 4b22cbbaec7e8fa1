"""Ctrl-C on ``cibg-ds run``: kernels interrupted, finished work recorded, the run resumed.

Nothing here depends on timing: the test waits for files the notebooks write when they
are running, then sends the signal; the run records what happened whatever the load.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import nbformat
import psutil
import pytest

from cibg_ds.pipelines import run_pipeline
from tests.conftest import ROOT
from tests.pipelines.conftest import write_pipeline

PARAMETERS = """\
out: str = ""  # file to write at the end
started: str = ""  # file written (with the kernel's pid) as soon as the notebook runs
sleep: float = 0.0  # seconds to wait before writing `out`
graceful: bool = False  # on Ctrl-C, finish (write `out`) instead of stopping
"""

BODY = """\
import os
import pathlib
import time

pathlib.Path(started).write_text(str(os.getpid()))
try:
    time.sleep(sleep)
except KeyboardInterrupt:
    if not graceful:
        raise
pathlib.Path(out).write_text("done\\n")
"""

PIPE = """
name: ctrlc
parameters: {long: 0.0}
tasks:
  quick:
    notebook: wait.ipynb
    parameters: {out: "${run}/quick.txt", started: "${run}/quick.started"}
    products: [quick.txt]
  graceful:
    notebook: wait.ipynb
    parameters: {out: "${run}/graceful.txt", started: "${run}/graceful.started",
                 sleep: 600.0, graceful: true}
    products: [graceful.txt]
    after: [quick]
  long:
    notebook: wait.ipynb
    parameters: {out: "${run}/long.txt", started: "${run}/long.started", sleep: "${long}"}
    products: [long.txt]
    after: [quick]
"""


def _notebook(path):
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "cibg-ds", "display_name": "cibg-ds", "language": "python"}
    nb.cells = [nbformat.v4.new_code_cell(PARAMETERS), nbformat.v4.new_code_cell(BODY)]
    nb.cells[0].metadata["tags"] = ["parameters"]
    for i, cell in enumerate(nb.cells):
        cell["id"] = f"c{i}"
    nbformat.write(nb, path)


def _wait_for(predicate, what: str, timeout: float = 300):
    end = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > end:
            pytest.fail(f"never saw: {what}")
        time.sleep(0.1)


def test_ctrl_c_interrupts_the_kernels_records_what_finished_and_resumes(tmp_path):
    _notebook(tmp_path / "wait.ipynb")
    path = write_pipeline(tmp_path, PIPE)
    reports = tmp_path / "reports"
    # a first run is interrupted too, so that the second, complete one leaves `latest`
    cmd = [sys.executable, "-m", "cibg_ds.cli", "run", str(path), "--reports", str(reports),
           "--jobs", "2", "-p", "long=600", "--log", str(tmp_path / "run.log")]  # fmt: skip
    proc = subprocess.Popen(cmd, cwd=ROOT, start_new_session=True)
    root = reports / "ctrlc"
    _wait_for(lambda: len(list(root.glob("2*/*.started"))) == 3, "all three notebooks running")
    run_dir = next(root.glob("2*"))
    kernels = [int((run_dir / f"{t}.started").read_text()) for t in ("graceful", "long")]
    os.killpg(proc.pid, signal.SIGINT)  # what a terminal's Ctrl-C sends to the foreground
    assert proc.wait(timeout=300) == 130
    manifest = json.loads((run_dir / "manifest.json").read_text())
    tasks = manifest["tasks"]
    assert manifest["status"] == "interrupted"
    assert tasks["quick"]["status"] == "ok" and tasks["graceful"]["status"] == "ok"
    assert tasks["long"]["status"] == "interrupted"  # stopped, not waited for
    state = json.loads((root / ".state.json").read_text())
    assert set(state) == {"quick", "graceful"}  # ended after the signal: recorded all the same
    _wait_for(lambda: not any(psutil.pid_exists(p) for p in kernels), "the kernels gone", 60)
    older = root / "20000101T000000Z"  # an older complete run, which `latest` points at
    older.mkdir()
    (older / "manifest.json").write_text(json.dumps({"status": "complete"}))
    (root / "latest").symlink_to(older.name)
    resumed = run_pipeline(path, {"long": 0.0}, reports=reports, jobs=2)
    assert resumed.run_dir == run_dir and resumed.status == "complete"
    status = {n: r.status for n, r in resumed.tasks.items()}
    assert status == {"quick": "cached", "graceful": "cached", "long": "ok"}
    assert (run_dir / "long.txt").exists() and not list(run_dir.rglob(".*.tmp*"))
