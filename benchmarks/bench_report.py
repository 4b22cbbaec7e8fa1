"""Time :func:`cibg_ds.reports.mobility_report` on the demo week, before and after, in one run.

Run: ``.venv/bin/python benchmarks/bench_report.py [--trucks 1000] [--days 7] [--repeat 2]
[--baseline 53a9401] [--matched]``.

The demo's feed (1,000 trucks x 7 days from 2026-11-02, seed 0) is simulated once into
``data/bench/report_<trucks>x<days>/`` (ignored by git). The report is computed twice, in
two processes, on the same feed and the same roads: by the library as it was at
``--baseline`` (default 53a9401, the code when issue 14 was filed; its ``cibg_ds`` taken
with ``git archive`` into ``data/bench/``) and by the working tree. Each computes it on a
LocalCluster of two workers, once to warm up and then best of ``--repeat``: wall time, and
the CPU time of the client and the workers (robust on a shared machine). The ratio of the
two is printed at the end. ``--matched`` asks both for the map-matched tables too, as the
demo's notebook does (the baseline must know the option: e.g. ``--baseline 167f88d``).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BASELINE = "53a9401"


def measure(feed: Path, repeat: int, matched: bool = False) -> dict:
    """Time the report with whichever ``cibg_ds`` this process imports."""
    import psutil

    import cibg_ds as cd
    from cibg_ds.io import load_roads, read_pings
    from cibg_ds.reports import mobility_report

    client = cd.get_client(n_workers=2, quiet=True)
    procs = [psutil.Process(), *(psutil.Process(p) for p in client.run(os.getpid).values())]
    where = {Path(p).parent.parent for p in client.run(lambda: cd.__file__).values()}

    def cpu() -> float:  # seconds of CPU of the client and the workers
        return sum(sum(p.cpu_times()[:2]) for p in procs)

    roads = load_roads(feed / "_meta" / "roads.gpkg")
    pings = read_pings(feed)
    options = {"matched": True} if matched else {}
    began, used = time.perf_counter(), cpu()
    report = mobility_report(pings, k=5, roads=roads, **options)
    first, first_cpu = time.perf_counter() - began, cpu() - used
    best = best_cpu = float("inf")
    for _ in range(repeat):
        began, used = time.perf_counter(), cpu()
        mobility_report(pings, k=5, roads=roads, **options)
        best = min(best, time.perf_counter() - began)
        best_cpu = min(best_cpu, cpu() - used)
    client.close()
    m = report.meta
    return {"library": str(Path(cd.__file__).parent.parent), "workers": sorted(map(str, where)),
            "fixes": m["fixes_clean"], "trips": m["trips"], "trucks": m["vehicles"],
            "first_wall": first, "first_cpu": first_cpu, "wall": best, "cpu": best_cpu,
            "load": os.getloadavg()[0]}  # fmt: skip


def simulate_feed(trucks: int, days: int) -> Path:
    """Return the demo's feed of ``trucks`` x ``days`` from 2026-11-02 (simulated once)."""
    feed = ROOT / "data" / "bench" / f"report_{trucks}x{days}"
    if not (feed / "_meta").exists():
        cli = Path(sys.executable).with_name("cibg-ds")
        subprocess.run([str(cli), "simulate", "--trucks", str(trucks), "--days", str(days),
                        "--start", "2026-11-02", "--out", str(feed), "--overwrite"],
                       check=True, stdout=subprocess.DEVNULL)  # fmt: skip
    return feed


def baseline_tree(commit: str) -> Path:
    """Return a folder holding ``cibg_ds`` as it was at ``commit`` (extracted once)."""
    sha = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--short", commit],
                         check=True, capture_output=True, text=True).stdout.strip()  # fmt: skip
    tree = ROOT / "data" / "bench" / f"baseline_{sha}"
    if not (tree / "cibg_ds" / "__init__.py").exists():
        tree.mkdir(parents=True, exist_ok=True)
        # the whole tree: the package finds its suites and notebooks beside it (_share)
        archive = subprocess.run(["git", "-C", str(ROOT), "archive", sha],
                                 check=True, capture_output=True).stdout  # fmt: skip
        subprocess.run(["tar", "-x", "-C", str(tree)], input=archive, check=True)
    return tree


def run(feed: Path, repeat: int, tree: Path | None, matched: bool = False,
        script: str = __file__, extra: tuple = (), quiet: bool = True) -> dict:  # fmt: skip
    """Measure in a fresh process running ``script --measure`` (and ``extra`` arguments);
    ``tree`` first on its path (the baseline), or the worktree. Its stderr is shown
    unless ``quiet``; its last line of stdout is the JSON it measured."""
    env = dict(os.environ)
    if tree is not None:  # workers are spawned with the client's path: they import it too
        env["PYTHONPATH"] = os.pathsep.join([str(tree), env.get("PYTHONPATH", "")]).rstrip(":")
    command = [sys.executable, script, "--measure", str(feed), "--repeat", str(repeat)]
    command += ["--matched"] if matched else []
    command += [str(a) for a in extra]
    done = subprocess.run(command, env=env, check=True, stdout=subprocess.PIPE, text=True,
                          stderr=subprocess.PIPE if quiet else None)  # fmt: skip
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trucks", type=int, default=1000)
    parser.add_argument("--days", type=int, default=7)
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--baseline", default=BASELINE, help="commit of the 'before' library")
    parser.add_argument("--matched", action="store_true", help="map-match too (the demo)")
    parser.add_argument("--measure", type=Path, help=argparse.SUPPRESS)  # one side, as JSON
    args = parser.parse_args()
    if args.measure:
        print(json.dumps(measure(args.measure, args.repeat, args.matched)))
        return
    feed = simulate_feed(args.trucks, args.days)
    sides = {"before": run(feed, args.repeat, baseline_tree(args.baseline), args.matched),
             "after": run(feed, args.repeat, None, args.matched)}  # fmt: skip
    for name, r in sides.items():
        print(f"{name:6s} ({r['library']}): {r['fixes']:,} clean fixes, {r['trips']:,} trips, "
              f"{r['trucks']:,} trucks; first call {r['first_wall']:.1f} s wall "
              f"({r['first_cpu']:.1f} s CPU), then best of {args.repeat}: {r['wall']:.1f} s "
              f"wall, {r['cpu']:.1f} s CPU of the client and the two workers (load "
              f"{r['load']:.1f})")  # fmt: skip
    before, after = sides["before"], sides["after"]
    print(f"after / before: {before['cpu'] / after['cpu']:.2f}x less CPU, "
          f"{before['wall'] / after['wall']:.2f}x less wall time")  # fmt: skip


if __name__ == "__main__":
    main()
