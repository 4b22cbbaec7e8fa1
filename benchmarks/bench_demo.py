"""Time `cibg-ds demo` (the whole demo pipeline and its bundles) from a clean reports folder.

Run: ``.venv/bin/python benchmarks/bench_demo.py`` (after ``make install``). Target: under
3 minutes on 2 cores. Prints the wall time and the slowest tasks.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    with tempfile.TemporaryDirectory() as reports:
        start = time.perf_counter()
        cli = Path(sys.executable).with_name("cibg-ds")
        subprocess.run([str(cli), "demo", "--reports", reports], cwd=ROOT, check=True,
                       stdout=subprocess.DEVNULL)  # fmt: skip
        seconds = time.perf_counter() - start
        manifest = json.loads((Path(reports) / "demo" / "latest" / "manifest.json").read_text())
    tasks = sorted(manifest["tasks"].values(), key=lambda r: -(r["seconds"] or 0))
    print(f"cibg-ds demo: {seconds:.0f} s wall ({len(tasks)} tasks)")
    for rec in tasks[:5]:
        print(f"  {rec['name']:<16} {rec['seconds']:.1f} s")


if __name__ == "__main__":
    main()
