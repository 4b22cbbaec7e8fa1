"""Time the demo's `simulate` and `history` tasks: this checkout's code beside another's.

Run: ``.venv/bin/python benchmarks/bench_sim_history.py [--before DIR] [--repeat N]``.

Each run is a fresh process tree, as in ``cibg-ds demo``: one LocalCluster of the machine's
size (the demo's ``dask: shared``), then ``getting_started.ipynb`` with the demo's
parameters (1,000 trucks x 7 days) and ``quality/history.ipynb`` with the history task's
(5 weeks of 12 trucks validated day by day into a quality history), both executed by
Papermill in the ``cibg-ds`` kernel. It prints the wall time of each notebook and of its
slowest cells, and the CPU seconds of every process (kernels, workers, and this one, which
runs the scheduler). ``--before DIR`` also runs the code of another checkout (e.g. ``git archive
main | tar -x -C DIR``) with ``PYTHONPATH=DIR``, alternating with this one, so that both
see the same load; ``--check`` compares the feeds and quality histories they wrote.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEMO = {"trucks": 1000, "days": 7, "start": "2026-11-02", "seed": 0, "lang": "en"}
HISTORY = {"simulate_weeks": 5, "trucks": 12, "start": "2026-10-05", "lang": "en"}


def _cpu(who: int = resource.RUSAGE_SELF) -> float:
    usage = resource.getrusage(who)
    return usage.ru_utime + usage.ru_stime


def _one(root: Path, out: Path) -> dict:
    """Run both notebooks of ``root`` on a fresh cluster; return wall and CPU figures."""
    import logging

    import papermill
    from distributed import Client, LocalCluster

    from cibg_ds.cluster import local_cluster_kwargs

    figures: dict = {}
    out.mkdir(parents=True, exist_ok=True)
    began, self_cpu, kids_cpu = time.perf_counter(), _cpu(), _cpu(resource.RUSAGE_CHILDREN)
    with (
        LocalCluster(**local_cluster_kwargs(), silence_logs=logging.ERROR) as cluster,
        Client(cluster) as client,
    ):
        os.environ["DASK_SCHEDULER_ADDRESS"] = cluster.scheduler_address
        figures["cluster_s"] = time.perf_counter() - began
        tasks = {
            "simulate": ("getting_started.ipynb", {**DEMO, "out": str(out / "feed")}),
            "history": ("quality/history.ipynb", {
                **HISTORY, "data_path": str(out / "history" / "pings"),
                "history_dir": str(out / "quality" / "history"),
                "trend_path": str(out / "quality" / "trend.html"),
                "report_path": str(out / "quality" / "history" / "report.html"),
            }),
        }  # fmt: skip
        for name, (notebook, params) in tasks.items():
            workers = client.run(_cpu)
            kids, start = _cpu(resource.RUSAGE_CHILDREN), time.perf_counter()
            done = papermill.execute_notebook(
                str(root / "notebooks" / notebook), str(out / f"{name}.ipynb"),
                parameters=params, kernel_name="cibg-ds", cwd=str(root),
                progress_bar=False, log_output=False,
            )  # fmt: skip
            wall = time.perf_counter() - start
            after = client.run(_cpu)
            cells = sorted(
                ((c["metadata"]["papermill"]["duration"] or 0.0, "".join(c["source"])[:60])
                 for c in done["cells"] if c["cell_type"] == "code"), reverse=True,
            )  # fmt: skip
            figures[name] = {
                "wall_s": wall,
                "kernel_cpu_s": _cpu(resource.RUSAGE_CHILDREN) - kids,
                "workers_cpu_s": sum(after[w] - workers[w] for w in after),
                "cells": cells[:3],
            }
        os.environ.pop("DASK_SCHEDULER_ADDRESS", None)
    figures["total_wall_s"] = time.perf_counter() - began
    figures["self_cpu_s"] = _cpu() - self_cpu
    # the kernels and the workers (their whole lives, start-up included) once reaped
    figures["children_cpu_s"] = _cpu(resource.RUSAGE_CHILDREN) - kids_cpu
    return figures


def _child(root: Path, out: Path) -> None:
    print(json.dumps(_one(root, out)))


def _run(root: Path, out: Path, code: Path | None) -> dict:
    env = dict(os.environ)
    if code is not None:
        env["PYTHONPATH"] = str(code)
    cmd = [sys.executable, __file__, "--child", str(root), str(out)]
    done = subprocess.run(cmd, env=env, capture_output=True, text=True)
    if done.returncode:
        sys.exit(f"{root}: the run failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def _print(label: str, r: dict) -> None:
    cpu = r["children_cpu_s"] + r["self_cpu_s"]
    print(
        f"{label}: both tasks {r['simulate']['wall_s'] + r['history']['wall_s']:.1f} s wall "
        f"(+ cluster start {r['cluster_s']:.1f} s); CPU of all processes {cpu:.1f} s "
        f"(kernels and workers {r['children_cpu_s']:.1f}, scheduler {r['self_cpu_s']:.1f})"
    )
    for name in ("simulate", "history"):
        t = r[name]
        cells = "; ".join(f"{s:.1f} s {src.splitlines()[0]!r}" for s, src in t["cells"][:2])
        print(
            f"  {name:<8} {t['wall_s']:5.1f} s wall, CPU kernel {t['kernel_cpu_s']:.1f} s + "
            f"workers {t['workers_cpu_s']:.1f} s; slowest cells: {cells}"
        )


def _check(a: Path, b: Path) -> None:
    import pandas as pd

    for sub in ("feed", "history/pings"):
        fa = sorted(p.relative_to(a) for p in (a / sub).rglob("*.parquet") if p.is_file())
        fb = sorted(p.relative_to(b) for p in (b / sub).rglob("*.parquet") if p.is_file())
        same = fa == fb and all((a / f).read_bytes() == (b / f).read_bytes() for f in fa)
        print(f"  {sub}: {len(fa)} Parquet files, byte-identical: {same}")
    for table in ("states", "partitions"):
        x = pd.read_parquet(a / "quality" / "history" / "pings" / f"{table}.parquet")
        y = pd.read_parquet(b / "quality" / "history" / "pings" / f"{table}.parquet")
        if table == "partitions":  # when it ran, and the files' mtimes (in the fingerprint)
            x, y = (t.drop(columns=["validated_at", "fingerprint"]) for t in (x, y))
        print(f"  quality history {table}: equal: {x.equals(y)}")
    ja, jb = (json.loads((d / "quality/history/report.json").read_text()) for d in (a, b))
    print(
        f"  history alerts equal: {ja.get('alerts') == jb.get('alerts')} "
        f"({len(ja.get('alerts') or [])} alerts)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--before", type=Path, help="another checkout's root, run beside")
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--check", action="store_true", help="compare what the runs wrote")
    parser.add_argument("--child", nargs=2, type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        return _child(*args.child)
    print(f"load average before: {os.getloadavg()[0]:.1f}")
    with tempfile.TemporaryDirectory() as tmp:
        for i in range(args.repeat):
            if args.before is not None:
                r = _run(args.before, Path(tmp) / f"before{i}", args.before)
                _print(f"before ({args.before})", r)
            _print("this checkout", _run(ROOT, Path(tmp) / f"after{i}", None))
            print(f"load average: {os.getloadavg()[0]:.1f}")
        if args.check and args.before is not None:
            _check(Path(tmp) / "before0", Path(tmp) / "after0")


if __name__ == "__main__":
    main()
