"""The runner on tiny real notebooks: every failure mode of a scheduled run."""

import json
import os
import signal
import subprocess
import sys
import time
import zipfile

import pandas as pd
import pytest

from cibg_ds.cli import main
from cibg_ds.pipelines import BundleRefused, RunLocked, deliver, run_pipeline
from tests.conftest import ROOT
from tests.pipelines.conftest import write_notebook, write_pipeline

PIPE = """
name: t
parameters: {n: 1, fail_b: false, die_b: 0, sleep_a: 0.0}
tasks:
  a:
    notebook: step.ipynb
    parameters: {label: a, n: "${n}", out: "${run}/a.csv", sleep: "${sleep_a}"}
    products: [a.csv]
  b:
    notebook: step.ipynb
    inputs: ["${run}/a.csv"]
    parameters: {label: b, out: "${run}/b.csv", fail: "${fail_b}", die: "${die_b}"}
    products: [b.csv]
    retries: 1
    agencies: [mobility]
  c:
    notebook: step.ipynb
    inputs: ["${run}/b.csv"]
    parameters: {label: c, out: "${run}/c.csv"}
    products: [c.csv]
  d:
    notebook: step.ipynb
    parameters: {label: d, out: "${run}/d.csv"}
    products: [d.csv]
    agencies: [divide]
"""


ALWAYS_DIES = """
name: dies
tasks:
  b:
    notebook: step.ipynb
    parameters: {label: b, out: "${run}/b.csv", die: 5}
    retries: 1
"""


def _run(workdir, **kw):
    reports = workdir / "reports"
    return run_pipeline(write_pipeline(workdir, PIPE), reports=reports, jobs=2, **kw)


def _runs(run_dir, task):
    path = run_dir / f"{task}.csv.runs"
    return int(path.read_text()) if path.exists() else 0


def test_a_run_leaves_a_complete_record_and_a_second_run_skips(workdir):
    first = _run(workdir)
    assert first.status == "complete" and first.exit_code == 0
    d = first.run_dir
    manifest = json.loads((d / "manifest.json").read_text())
    assert manifest["status"] == "complete" and set(manifest["tasks"]) == set("abcd")
    assert manifest["tasks"]["a"]["status"] == "ok" and manifest["versions"]["papermill"]
    for task in "abcd":
        assert (d / f"{task}.csv").exists()
        html = (d / "html" / f"{task}.html").read_text()
        assert "wrote" in html and "secret_code_marker" not in html  # outputs, no code
        assert (d / "notebooks" / f"{task}.ipynb").exists()
    assert (workdir / "reports" / "t" / "latest").resolve() == d
    second = _run(workdir)
    assert second.run_dir != d
    assert {r.status for r in second.tasks.values()} == {"cached"}
    assert (second.run_dir / "c.csv").exists()  # a cached task's record is copied in
    assert second.tasks["c"].html == "html/c.html" and (second.run_dir / "html" / "c.html").exists()
    assert _runs(d, "a") == 1
    third = _run(workdir, overrides={"n": 2})  # a changes, so b and c after it; d does not
    status = {n: r.status for n, r in third.tasks.items()}
    assert status == {"a": "ok", "b": "ok", "c": "ok", "d": "cached"}
    forced = _run(workdir, overrides={"n": 2}, only=["d"], force=True)
    assert {n: r.status for n, r in forced.tasks.items()} == {
        "a": "cached", "b": "cached", "c": "cached", "d": "ok"
    }  # fmt: skip


def test_a_failing_cell_keeps_its_notebook_and_skips_only_what_needs_it(workdir):
    result = _run(workdir, overrides={"fail_b": True})
    status = {n: r.status for n, r in result.tasks.items()}
    assert status == {"a": "ok", "b": "failed", "c": "skipped", "d": "ok"}
    b = result.tasks["b"]
    assert b.attempts == 1  # a cell error is never retried
    assert "ValueError: boom in b" in b.error["message"] and "cell [" in b.error["message"]
    executed = (result.run_dir / "notebooks" / "b.ipynb").read_text()
    assert "boom in b" in executed
    assert result.exit_code == 1 and "failed   b: cell [" in result.summary()
    assert not (workdir / "reports" / "t" / "latest").exists()


def test_a_dead_kernel_is_retried_a_bounded_number_of_times(workdir):
    once = _run(workdir, overrides={"die_b": 1})
    assert once.tasks["b"].status == "ok" and once.tasks["b"].attempts == 2
    dying = write_pipeline(workdir, ALWAYS_DIES, "dies.yaml")
    always = run_pipeline(dying, reports=workdir / "reports2")
    b = always.tasks["b"]
    assert b.status == "failed" and b.attempts == 2 and b.error["kind"] == "dead kernel"


def test_unknown_parameters_and_types_stop_before_anything_runs(workdir, capsys):
    path = write_pipeline(workdir, PIPE)
    reports = workdir / "reports"
    assert main(["run", str(path), "-p", "colour=red", "--reports", str(reports)]) == 2
    assert "unknown pipeline parameter" in capsys.readouterr().err
    assert main(["run", str(path), "-p", "n=many", "--reports", str(reports)]) == 2
    assert "'n' must be int" in capsys.readouterr().err
    assert not (reports / "t").exists() or not any((reports / "t").glob("2*"))


def _start(workdir, *args):
    path = write_pipeline(workdir, PIPE)
    cmd = [sys.executable, "-m", "cibg_ds.cli", "run", str(path), "--reports",
           str(workdir / "reports"), "--log", str(workdir / "run.log"), *args]  # fmt: skip
    return subprocess.Popen(cmd, cwd=ROOT, start_new_session=True)


def _wait_for(predicate, timeout=60):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if predicate():
            return True
        time.sleep(0.2)
    return False


def test_a_second_concurrent_start_says_so_and_does_nothing(workdir, capsys):
    first = _start(workdir, "-p", "sleep_a=8")
    try:
        lock = workdir / "reports" / "t" / ".lock"
        assert _wait_for(lambda: lock.exists() and "pid" in lock.read_text())
        with pytest.raises(RunLocked, match="already running"):
            _run(workdir)
        assert main(["run", str(workdir / "p.yaml"), "--reports", str(workdir / "reports")]) == 75
        assert "already running" in capsys.readouterr().err
    finally:
        assert first.wait(120) == 0


def test_an_interrupted_run_resumes_from_what_finished(workdir):
    proc = _start(workdir, "-p", "sleep_a=0", "--jobs", "1")
    state = workdir / "reports" / "t" / ".state.json"
    assert _wait_for(lambda: state.exists() and len(json.loads(state.read_text())) >= 2, 120)
    os.killpg(proc.pid, signal.SIGKILL)  # the machine goes down mid-run
    proc.wait()
    runs = sorted((workdir / "reports" / "t").glob("2*"))
    assert len(runs) == 1
    manifest = json.loads((runs[0] / "manifest.json").read_text())
    assert manifest["status"] == "running"
    done = set(json.loads(state.read_text()))
    resumed = _run(workdir)
    assert resumed.run_dir == runs[0] and resumed.status == "complete"
    for task in done:
        assert resumed.tasks[task].status == "cached" and _runs(runs[0], task) == 1
    assert not list(runs[0].rglob(".*.tmp*"))


def test_bundles_ship_what_may_leave_and_refuse_the_rest(workdir):
    result = _run(workdir)
    bundle = deliver(result.run_dir, workdir / "out", agency="divide")
    names = set(zipfile.ZipFile(bundle).namelist())
    assert {"manifest.json", "html/d.html", "d.csv"} <= names
    assert "b.csv" not in names and "html/b.html" not in names  # b is for mobility only
    assert "html/a.html" not in names and "a.csv" not in names  # a names no agency: internal
    assert main(["deliver", str(result.run_dir), "--to", str(workdir / "cli")]) == 0
    pd.DataFrame({"cell": ["x"], "n_vehicles": [2], "vkm": [3.0]}).to_csv(
        result.run_dir / "d.csv", index=False
    )
    with pytest.raises(BundleRefused, match=r"d.csv: 1 row.*fewer than 5 distinct vehicles"):
        deliver(result.run_dir, workdir / "refused")
    assert not (workdir / "refused").exists() or not list((workdir / "refused").iterdir())
    pd.DataFrame({"obu_id": ["u1"], "n_vehicles": [9]}).to_csv(
        result.run_dir / "d.csv", index=False
    )
    with pytest.raises(BundleRefused, match="obu_id"):
        deliver(result.run_dir, workdir / "refused")


def test_the_notebooks_stand_on_their_own_with_the_plain_papermill_command(tmp_path):
    out = tmp_path / "profile.ipynb"
    cmd = [str(ROOT / ".venv" / "bin" / "papermill"), "notebooks/divide/commune_profile.ipynb",
           str(out), "-k", "cibg-ds", "-p", "commune", "Ixelles", "-p", "n_sim", "20",
           "-p", "products_dir", str(tmp_path)]  # fmt: skip
    if not os.path.exists(cmd[0]):
        cmd[0] = "papermill"
    done = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "Ixelles / Elsene" in out.read_text()


QUALITY = """
name: q
tasks:
  check:
    notebook: check.ipynb
    parameters: {out: "${run}/quality/report.json"}
    products: [quality/report.json]
    agencies: [mobility]
"""

CHECK = """\
import json, pathlib, sys, warnings
from tqdm import tqdm

for _ in tqdm(range(3), desc="checking"):
    pass
warnings.warn("Numba not installed. Using slow pure python version.")
print("Dask: new LocalCluster; dashboard http://127.0.0.1:8787/status", file=sys.stderr)
pathlib.Path(out).parent.mkdir(parents=True, exist_ok=True)
pathlib.Path(out).write_text(json.dumps({"suite": "pings", "success": False, "rows": 10,
                                         "quarantine": {"rejected": 3, "clean": 7}}))
print("checked")
"""


def test_stderr_goes_to_the_task_log_and_a_failed_suite_is_named(workdir):
    import nbformat

    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "cibg-ds", "display_name": "cibg-ds", "language": "python"}
    params = nbformat.v4.new_code_cell('out: str = ""  # where the summary goes')
    params.metadata["tags"] = ["parameters"]
    nb.cells = [params, nbformat.v4.new_code_cell(CHECK)]
    for i, cell in enumerate(nb.cells):
        cell["id"] = f"c{i}"
    nbformat.write(nb, workdir / "check.ipynb")
    result = run_pipeline(write_pipeline(workdir, QUALITY), reports=workdir / "reports")
    assert result.status == "complete"  # the run completes, and says the suite failed
    verdict = "data quality of the truck positions: failed, 3 rows quarantined"
    assert verdict in result.summary()
    run = result.run_dir
    assert verdict in (run / "run.log").read_text()
    log = (run / "logs" / "check.log").read_text()
    assert "Numba not installed" in log and "checking: 100%" in log and "8787" in log
    html = (run / "html" / "check.html").read_text()
    assert "checked" in html  # results stay
    for leaked in ("Numba", "checking", "8787", "Warning", str(run), "cdnjs", "<script src"):
        assert leaked not in html, leaked
    executed = json.loads((run / "notebooks" / "check.ipynb").read_text())
    outputs = json.dumps([c.get("outputs") for c in executed["cells"]])
    assert "Numba" not in outputs and "checked" in outputs
    manifest = json.loads((run / "manifest.json").read_text())
    assert manifest["tasks"]["check"]["dask_dashboard"] == "http://127.0.0.1:8787/status"
    assert manifest["data_quality"]["quality/report.json"]["rejected"] == 3
    assert str(run) in manifest["task_parameters"]["check"]["out"]
    bundle = zipfile.ZipFile(deliver(run, workdir / "out", "mobility"))
    client = json.loads(bundle.read("manifest.json"))
    assert client["data_quality"] == [verdict]
    assert "127.0.0.1" not in json.dumps(client) and str(workdir) not in json.dumps(client)


FANOUT = """
name: fan
tasks:
  each:
    notebook: who.ipynb
    foreach: {label: [a, b, c, d]}
    parameters: {label: "${item.label}", out: "${run}/${item.label}.txt",
                 fail: "${item.label}"}
"""


def test_a_fan_out_runs_in_warm_kernels_each_task_as_in_a_new_one(tmp_path):
    import nbformat

    from cibg_ds.pipelines.execute import kernels

    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "cibg-ds", "display_name": "cibg-ds", "language": "python"}
    nb.cells = [
        nbformat.v4.new_code_cell(
            'label: str = "a"  # task\nout: str = ""  # file\nfail: str = ""  # b fails'
        ),
        nbformat.v4.new_code_cell(
            "import os, pathlib\n"
            "leftover = 'seen' in dir()\n"  # a name from an earlier task would show here
            "seen = True\n"
            "pathlib.Path(out).write_text(f'{os.getpid()} {leftover}')"
        ),
        nbformat.v4.new_code_cell("assert fail != 'b', 'b fails'"),
    ]
    nb.cells[0].metadata["tags"] = ["parameters"]
    for i, cell in enumerate(nb.cells):
        cell["id"] = f"c{i}"
    nbformat.write(nb, tmp_path / "who.ipynb")
    result = run_pipeline(write_pipeline(tmp_path, FANOUT), reports=tmp_path / "r", jobs=1)
    status = {name: rec.status for name, rec in result.tasks.items()}
    assert status == {"each[a]": "ok", "each[b]": "failed", "each[c]": "ok", "each[d]": "ok"}
    pid = {x: (result.run_dir / f"{x}.txt").read_text().split() for x in "abcd"}
    assert {p[1] for p in pid.values()} == {"False"}  # nothing left from the task before
    assert pid["a"][0] == pid["b"][0]  # b ran in a's kernel ...
    assert pid["c"][0] != pid["b"][0]  # ... which failed: c got a new one, d c's
    assert pid["d"][0] == pid["c"][0]
    for x in "abcd":  # numbered as in a new kernel
        executed = nbformat.read(result.run_dir / "notebooks" / f"each_{x}.ipynb", 4)
        counts = [c.execution_count for c in executed.cells if c.cell_type == "code"]
        assert counts[:3] == [1, 2, 3], (x, counts)
    assert not kernels()  # every kernel ended with the run


SHARED = """
name: shared
dask: shared
tasks:
  a: {notebook: workers.ipynb, parameters: {out: "${run}/a.txt"}}
  b: {notebook: workers.ipynb, parameters: {out: "${run}/b.txt"}, after: [a]}
"""


def test_dask_shared_gives_every_task_the_same_warm_workers(tmp_path, monkeypatch):
    import nbformat

    monkeypatch.delenv("DASK_SCHEDULER_ADDRESS", raising=False)
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "cibg-ds", "display_name": "cibg-ds", "language": "python"}
    nb.cells = [
        nbformat.v4.new_code_cell('out: str = ""  # file'),
        nbformat.v4.new_code_cell(
            "import os, pathlib\n"
            "import cibg_ds as cd\n"
            "client = cd.get_client()\n"
            "pids = sorted(client.run(os.getpid).values())\n"
            "pathlib.Path(out).write_text(f'{os.environ[\"DASK_SCHEDULER_ADDRESS\"]} {pids}')"
        ),
    ]
    nb.cells[0].metadata["tags"] = ["parameters"]
    for i, cell in enumerate(nb.cells):
        cell["id"] = f"c{i}"
    nbformat.write(nb, tmp_path / "workers.ipynb")
    result = run_pipeline(write_pipeline(tmp_path, SHARED), reports=tmp_path / "r", jobs=2)
    assert result.status == "complete", result.summary()
    a, b = ((result.run_dir / f"{x}.txt").read_text() for x in "ab")
    assert a == b and a.startswith("tcp://127.0.0.1:")  # one scheduler, the same workers
    assert "DASK_SCHEDULER_ADDRESS" not in os.environ  # as it was before the run
    assert result.tasks["b"].dask_dashboard.startswith("http://127.0.0.1:")


SHARED_KERNELS = """
name: shared
dask: shared
tasks:
  first: {notebook: one.ipynb, parameters: {out: "${run}/first.txt"}}
  second: {notebook: two.ipynb, parameters: {out: "${run}/second.txt"}, after: [first]}
  third: {notebook: one.ipynb, parameters: {out: "${run}/third.txt"}, after: [second]}
"""


def test_dask_shared_runs_each_task_in_the_warm_kernel_of_another_as_in_a_new_one(
    tmp_path, monkeypatch
):
    import nbformat

    from cibg_ds.pipelines.execute import kernels

    monkeypatch.delenv("DASK_SCHEDULER_ADDRESS", raising=False)
    for name in ("one", "two"):
        nb = nbformat.v4.new_notebook()
        nb.metadata["kernelspec"] = {"name": "cibg-ds", "display_name": "cibg-ds",
                                     "language": "python"}  # fmt: skip
        nb.cells = [
            nbformat.v4.new_code_cell('out: str = ""  # file'),
            nbformat.v4.new_code_cell(
                "import os, pathlib\n"
                "import matplotlib.pyplot as plt\n"
                "left = sorted(n for n in ('one', 'two', 'fig') if n in dir())\n"
                f"{name} = True\n"
                "fig = plt.figure()\n"  # a figure an earlier task left would be counted
                "pathlib.Path(out).write_text(f'{os.getpid()} {left} {len(plt.get_fignums())}')"
            ),
        ]
        nb.cells[0].metadata["tags"] = ["parameters"]
        for i, cell in enumerate(nb.cells):
            cell["id"] = f"c{i}"
        nbformat.write(nb, tmp_path / f"{name}.ipynb")
    result = run_pipeline(write_pipeline(tmp_path, SHARED_KERNELS), reports=tmp_path / "r")
    assert result.status == "complete", result.summary()
    seen = {x: (result.run_dir / f"{x}.txt").read_text().split(" ", 1) for x in
            ("first", "second", "third")}  # fmt: skip
    assert len({pid for pid, _ in seen.values()}) == 1  # one kernel served the three tasks
    assert {rest for _, rest in seen.values()} == {"[] 1"}  # each as in a new kernel
    for x in ("first", "second", "third"):  # numbered from [1]
        executed = nbformat.read(result.run_dir / "notebooks" / f"{x}.ipynb", 4)
        assert [c.execution_count for c in executed.cells if c.cell_type == "code"][:2] == [1, 2]
    assert not kernels()  # the kernel ended with the run


def test_dask_mode_is_checked(tmp_path):
    from cibg_ds.pipelines import PipelineError, load_pipeline

    write_notebook(tmp_path / "step.ipynb")
    bad = "name: x\ndask: everywhere\ntasks:\n  a: {notebook: step.ipynb}\n"
    with pytest.raises(PipelineError, match=r"dask must be one of \['shared', 'per-task'\]"):
        load_pipeline(write_pipeline(tmp_path, bad))


CHAIN = """
name: chain
tasks:
  fan:
    notebook: step.ipynb
    foreach: {label: [a, b, c]}
    parameters: {out: "${run}/fan-${item.label}.csv"}
  head:
    notebook: step.ipynb
    parameters: {out: "${run}/head.csv"}
    products: [head.csv]
  tail:
    notebook: step.ipynb
    inputs: ["${run}/head.csv"]
    parameters: {out: "${run}/tail.csv"}
"""


def test_the_longest_chain_starts_before_a_fan_out_declared_first(workdir):
    from cibg_ds.pipelines import load_pipeline
    from cibg_ds.pipelines.schedule import critical_paths

    pipeline = load_pipeline(write_pipeline(workdir, CHAIN))
    path = critical_paths(pipeline)
    assert path["head"] == 2 and path["tail"] == 1 and path["fan[a]"] == pytest.approx(1 / 3)
    # one slot: head, then tail (the chain), then the fan-out, whatever the declared order
    result = run_pipeline(write_pipeline(workdir, CHAIN), reports=workdir / "r", jobs=1)
    log = (result.run_dir / "run.log").read_text().splitlines()
    started = [line.rsplit(" start ", 1)[1] for line in log if " INFO start " in line]
    assert started[:2] == ["head", "tail"] and len(started) == 5, started
    assert all(rec.status == "ok" for rec in result.tasks.values())


DYING_FANOUT = """
name: dying
tasks:
  each:
    notebook: step.ipynb
    foreach: {label: [a, b]}
    parameters: {out: "${run}/each-${item.label}.csv", die: "${die}"}
parameters: {die: 1}
"""


def test_a_fan_out_task_whose_kernel_dies_is_retried_not_left_waiting(workdir):
    # its warm kernel's client waits for output on the loop that checks the kernel is alive
    once = run_pipeline(write_pipeline(workdir, DYING_FANOUT), reports=workdir / "r", jobs=1)
    assert {n: (t.status, t.attempts) for n, t in once.tasks.items()} == {
        "each[a]": ("ok", 2), "each[b]": ("ok", 2)}  # fmt: skip
    always = run_pipeline(write_pipeline(workdir, DYING_FANOUT), {"die": "9"},
                          reports=workdir / "r2", jobs=1)  # fmt: skip
    assert all(t.status == "failed" and t.error["kind"] == "dead kernel"
               for t in always.tasks.values())  # fmt: skip
