"""Time :func:`cibg_ds.mobility.map_match` on the demo week in one process, before and after.

Run: ``.venv/bin/python benchmarks/bench_match_week.py [--trucks 1000] [--days 7]
[--repeat 2] [--baseline 06a9541] [--profile]``.

The demo's feed (as ``bench_report.py``: 1,000 trucks x 7 days from 2026-11-02, seed 0)
is read and cleaned into one pandas frame, which each side matches on the demo's roads
in a fresh process (no cluster): once cold (the graph, its index and the shortest-path
rows are built) and then best of ``--repeat`` warm, in CPU seconds of the process (robust
on a shared machine) and wall seconds. ``before`` is the library at ``--baseline`` (taken
with ``git archive`` into ``data/bench/``), ``after`` the working tree. Both sides' fixes
and paths are written to ``data/bench/`` and compared: they must be equal
(``assert_frame_equal(check_exact=True)``). ``--profile`` prints where the warm call of
the working tree spends its time (cProfile, cumulative, top 25).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_report import ROOT, baseline_tree, simulate_feed
from bench_report import run as run_measure

BASELINE = "06a9541"


def measure(feed: Path, repeat: int, out: Path, profile: bool = False) -> dict:
    """Time ``map_match`` with whichever ``cibg_ds`` this process imports."""
    import dask

    import cibg_ds as cd
    from cibg_ds.io import load_roads, read_pings
    from cibg_ds.mobility import clean, map_match

    with dask.config.set(scheduler="synchronous"):
        kept, _ = clean(read_pings(feed).compute())
    roads = load_roads(feed / "_meta" / "roads.gpkg")
    began, used = time.perf_counter(), time.process_time()
    result = map_match(kept, roads=roads)
    first, first_cpu = time.perf_counter() - began, time.process_time() - used
    best = best_cpu = float("inf")
    for _ in range(repeat):
        began, used = time.perf_counter(), time.process_time()
        map_match(kept, roads=roads)
        best = min(best, time.perf_counter() - began)
        best_cpu = min(best_cpu, time.process_time() - used)
    if profile:
        import cProfile
        import pstats

        profiler = cProfile.Profile()
        profiler.runcall(map_match, kept, roads=roads)
        pstats.Stats(profiler, stream=sys.stderr).sort_stats("cumulative").print_stats(25)
    out.mkdir(parents=True, exist_ok=True)
    result.fixes.to_parquet(out / "fixes.parquet")
    result.path.to_parquet(out / "path.parquet")
    return {"library": str(Path(cd.__file__).parent.parent), "fixes": len(kept),
            "breaks": result.breaks, "unmatched": result.unmatched_fixes,
            "first_wall": first, "first_cpu": first_cpu, "wall": best, "cpu": best_cpu,
            "load": os.getloadavg()[0]}  # fmt: skip


def run(feed: Path, repeat: int, tree: Path | None, out: Path, profile: bool) -> dict:
    """Measure in a fresh process; ``tree`` first on its path (the baseline), or the worktree."""
    extra = ("--out", out, *(["--profile"] if profile else []))
    return run_measure(feed, repeat, tree, script=__file__, extra=extra, quiet=False)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trucks", type=int, default=1000)
    parser.add_argument("--days", type=int, default=7)
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--baseline", default=BASELINE, help="commit of the 'before' library")
    parser.add_argument("--profile", action="store_true", help="profile the working tree")
    parser.add_argument("--measure", type=Path, help=argparse.SUPPRESS)  # one side, as JSON
    parser.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        print(json.dumps(measure(args.measure, args.repeat, args.out, args.profile)))
        return
    import pandas as pd

    feed = simulate_feed(args.trucks, args.days)
    where = ROOT / "data" / "bench" / f"match_{args.trucks}x{args.days}"
    sides = {
        "before": run(feed, args.repeat, baseline_tree(args.baseline), where / "before", False),
        "after": run(feed, args.repeat, None, where / "after", args.profile),
    }
    for name, r in sides.items():
        print(f"{name:6s} ({r['library']}): {r['fixes']:,} clean fixes, {r['breaks']} breaks, "
              f"{r['unmatched']} unmatched; first call {r['first_wall']:.1f} s wall "
              f"({r['first_cpu']:.1f} s CPU), then best of {args.repeat}: {r['wall']:.1f} s "
              f"wall, {r['cpu']:.1f} s CPU (load {r['load']:.1f})")  # fmt: skip
    for table in ("fixes", "path"):
        pd.testing.assert_frame_equal(pd.read_parquet(where / "before" / f"{table}.parquet"),
                                      pd.read_parquet(where / "after" / f"{table}.parquet"),
                                      check_exact=True)  # fmt: skip
    before, after = sides["before"], sides["after"]
    print(f"fixes and paths identical; after / before: {before['cpu'] / after['cpu']:.2f}x "
          f"less CPU warm, {before['first_cpu'] / after['first_cpu']:.2f}x cold")  # fmt: skip


if __name__ == "__main__":
    main()
