"""Time :func:`cibg_ds.reports.mobility_report` on the demo week, as the demo runs it.

Run: ``.venv/bin/python benchmarks/bench_report.py [--trucks 1000] [--days 7]``.

The demo's feed (1,000 trucks x 7 days from 2026-11-02, seed 0) is simulated once into
``data/bench/report_<trucks>x<days>/`` (ignored by git); the report is then computed on a
LocalCluster of two workers, once to warm up and then best of ``--repeat``: wall time, and
the CPU time of the client and the workers (robust on a shared machine).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trucks", type=int, default=1000)
    parser.add_argument("--days", type=int, default=7)
    parser.add_argument("--repeat", type=int, default=2)
    args = parser.parse_args()
    feed = ROOT / "data" / "bench" / f"report_{args.trucks}x{args.days}"
    if not (feed / "_meta").exists():
        cli = Path(sys.executable).with_name("cibg-ds")
        subprocess.run([str(cli), "simulate", "--trucks", str(args.trucks), "--days",
                        str(args.days), "--start", "2026-11-02", "--out", str(feed),
                        "--overwrite"], check=True, stdout=subprocess.DEVNULL)  # fmt: skip
    import psutil

    import cibg_ds as cd
    from cibg_ds.io import load_roads, read_pings
    from cibg_ds.reports import mobility_report

    client = cd.get_client(n_workers=2, quiet=True)
    procs = [psutil.Process(), *(psutil.Process(p) for p in client.run(os.getpid).values())]

    def cpu() -> float:  # seconds of CPU of the client and the workers
        return sum(sum(p.cpu_times()[:2]) for p in procs)

    roads = load_roads(feed / "_meta" / "roads.gpkg")
    pings = read_pings(feed)
    began, used = time.perf_counter(), cpu()
    report = mobility_report(pings, k=5, roads=roads)
    first, first_cpu = time.perf_counter() - began, cpu() - used
    best = best_cpu = float("inf")
    for _ in range(args.repeat):
        began, used = time.perf_counter(), cpu()
        mobility_report(pings, k=5, roads=roads)
        best = min(best, time.perf_counter() - began)
        best_cpu = min(best_cpu, cpu() - used)
    m = report.meta
    print(f"mobility_report: {m['fixes_clean']:,} clean fixes, {m['trips']:,} trips, "
          f"{m['vehicles']:,} trucks; first call {first:.1f} s wall ({first_cpu:.1f} s CPU), "
          f"then best of {args.repeat}: {best:.1f} s wall ({best_cpu:.1f} s CPU of the client "
          "and the two workers, which a busy machine does not inflate)")  # fmt: skip
    client.close()


if __name__ == "__main__":
    main()
