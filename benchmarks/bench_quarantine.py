"""Time ``cibg-ds validate`` with a quarantine on the demo week, before and after, in one run.

Run: ``.venv/bin/python benchmarks/bench_quarantine.py [--repeat 2] [--baseline 167f88d]``.

What the demo's ``validate`` task does (``cibg_ds.quality.job.validate_path``: read with
the original text of unparsed cells, validate with the pings suite, write the quarantine's
``clean/`` and ``rejected/`` and the report), on the demo's feed (1,000 trucks x 7 days,
simulated once into ``data/bench/report_1000x7/`` as ``bench_report.py`` does), by the
library at ``--baseline`` (default 167f88d, before the quarantine stopped turning every
cell into text and running GX a second time) and by the working tree, each in its own
process on a LocalCluster of two workers: a first call, then best of ``--repeat``; wall
time and the CPU time of the client and the workers.
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from pathlib import Path

from bench_report import baseline_tree, run, simulate_feed

BASELINE = "167f88d"


def measure(feed: Path, repeat: int) -> dict:
    """Time ``validate_path`` with whichever ``cibg_ds`` this process imports."""
    import psutil

    import cibg_ds as cd
    from cibg_ds.quality.job import validate_path

    client = cd.get_client(n_workers=2, quiet=True)
    procs = [psutil.Process(), *(psutil.Process(p) for p in client.run(os.getpid).values())]

    def cpu() -> float:  # seconds of CPU of the client and the workers
        return sum(sum(p.cpu_times()[:2]) for p in procs)

    times = []
    with tempfile.TemporaryDirectory() as out:
        for _ in range(repeat + 1):
            began, used = time.perf_counter(), cpu()
            _, extra = validate_path(feed, "pings", quarantine=Path(out) / "quarantine",
                                     report=Path(out) / "report.html",
                                     progress=False)  # fmt: skip
            times.append((time.perf_counter() - began, cpu() - used))
    client.close()
    counts = extra["quarantine"]
    return {"library": str(Path(cd.__file__).parent.parent), "rows": counts["rows"],
            "rejected": counts["rejected"], "first_wall": times[0][0], "first_cpu": times[0][1],
            "wall": min(t[0] for t in times[1:]), "cpu": min(t[1] for t in times[1:]),
            "load": os.getloadavg()[0]}  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--baseline", default=BASELINE, help="commit of the 'before' library")
    parser.add_argument("--measure", type=Path, help=argparse.SUPPRESS)  # one side, as JSON
    args = parser.parse_args()
    if args.measure:
        print(json.dumps(measure(args.measure, args.repeat)))
        return
    feed = simulate_feed(1000, 7)
    sides = {"before": run(feed, args.repeat, baseline_tree(args.baseline), script=__file__),
             "after": run(feed, args.repeat, None, script=__file__)}  # fmt: skip
    for name, r in sides.items():
        print(f"{name:6s} ({r['library']}): {r['rows']:,} pings, {r['rejected']:,} rejected; "
              f"first call {r['first_wall']:.1f} s wall ({r['first_cpu']:.1f} s CPU), then "
              f"best of {args.repeat}: {r['wall']:.1f} s wall, {r['cpu']:.1f} s CPU of the "
              f"client and the two workers (load {r['load']:.1f})")  # fmt: skip
    before, after = sides["before"], sides["after"]
    print(f"after / before: {before['cpu'] / after['cpu']:.2f}x less CPU, "
          f"{before['wall'] / after['wall']:.2f}x less wall time")  # fmt: skip


if __name__ == "__main__":
    main()
