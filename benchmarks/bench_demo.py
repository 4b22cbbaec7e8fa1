"""Time `cibg-ds demo` (the whole demo pipeline and its bundles) from a clean reports folder.

Run: ``.venv/bin/python benchmarks/bench_demo.py`` (after ``make install``). Target: at most
60 s on 2 cores. Prints the wall time, the CPU time of every process of the run (the runner,
the kernels, the Dask workers: what a shared machine does not inflate; divided by the 2 cores
it is the wall time the run needs at the least) and the slowest tasks.
"""

from __future__ import annotations

import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _children_cpu() -> float:
    """CPU seconds (user + system) of the finished child processes and theirs."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def main() -> None:
    with tempfile.TemporaryDirectory() as reports:
        start, cpu = time.perf_counter(), _children_cpu()
        cli = Path(sys.executable).with_name("cibg-ds")
        subprocess.run([str(cli), "demo", "--reports", reports], cwd=ROOT, check=True,
                       stdout=subprocess.DEVNULL)  # fmt: skip
        seconds, cpu = time.perf_counter() - start, _children_cpu() - cpu
        manifest = json.loads((Path(reports) / "demo" / "latest" / "manifest.json").read_text())
    tasks = sorted(manifest["tasks"].values(), key=lambda r: -(r["seconds"] or 0))
    print(f"cibg-ds demo: {seconds:.0f} s wall, {cpu:.0f} s CPU ({len(tasks)} tasks)")
    for rec in tasks[:5]:
        print(f"  {rec['name']:<16} {rec['seconds']:.1f} s")


if __name__ == "__main__":
    main()
