"""A month of traffic: 30 days x 5,000 trucks simulated, validated and reported on 2 workers.

Run: ``.venv/bin/python benchmarks/bench_month.py [--trucks 5000] [--days 30]
[--out /tmp/bench_month] [--reuse] [--memory-limit 1.6GB] [--json f] [--trace f.csv]``.
Target: under 10 minutes and 4 GB.

Stages, each timed (wall, and CPU of this process and the workers, which a busy machine does
not inflate): a LocalCluster of ``--workers`` single-threaded workers; ``simulate`` (the
OpenStreetMap network, Parquet by day); ``validate_path`` with the pings suite, writing the
quarantine (``clean/`` and ``rejected/``); ``mobility_report`` on the clean fixes with every
indicator (cells, roads, congestion, hourly, OD, through traffic, Euro classes, unusual days)
and writing its products. Memory: the resident set of this process and all its children
(scheduler, workers) summed, sampled every 0.2 s; peak of the whole run and per stage. The
busiest Dask task groups of each stage (worker time, from the task stream) say where the
time goes. ``--reuse`` keeps the feed of an earlier run in ``--out`` (no simulation).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import shutil
import threading
import time
from collections import defaultdict
from pathlib import Path


class MemorySampler(threading.Thread):
    """Sample the summed resident memory of this process and all its children."""

    def __init__(self, every: float = 0.2):
        super().__init__(daemon=True)
        import psutil

        self.me, self.every = psutil.Process(), every
        self.peak, self.stage_peak, self.breakdown = 0, 0, {}
        self.halt = threading.Event()
        self.trace: list[tuple[float, dict]] | None = None  # (seconds, RSS by process)
        self.began = time.perf_counter()

    def sample(self) -> int:
        import psutil

        rss = {}
        for proc in [self.me, *self.me.children(recursive=True)]:
            try:
                rss[f"{proc.pid} {proc.name()}"] = proc.memory_info().rss
            except psutil.Error:  # gone meanwhile
                continue
        total = sum(rss.values())
        if self.trace is not None:
            self.trace.append((time.perf_counter() - self.began, rss))
        if total > self.peak:
            self.peak, self.breakdown = total, rss
        self.stage_peak = max(self.stage_peak, total)
        return total

    def run(self) -> None:
        while not self.halt.wait(self.every):
            self.sample()


def _cpu(procs) -> float:
    """Seconds of CPU (user + system) of ``procs`` so far."""
    return sum(sum(p.cpu_times()[:2]) for p in procs)


def _groups(stream) -> list[tuple[str, float, int]]:
    """Worker seconds and task count by task group (key prefix), busiest first."""
    from dask.utils import key_split

    seconds, count = defaultdict(float), defaultdict(int)
    for task in stream:
        for part in task.get("startstops", ()):
            if part["action"] == "compute":
                seconds[key_split(task["key"])] += part["stop"] - part["start"]
        count[key_split(task["key"])] += 1
    return sorted(((g, s, count[g]) for g, s in seconds.items()), key=lambda r: -r[1])


def _client(workers: int, memory_limit: str | None):
    """The cluster cibg_ds starts (``get_client``), or one whose workers have ``memory_limit``."""
    import cibg_ds as cd

    if memory_limit is None:
        return cd.get_client(n_workers=workers, quiet=True)
    from distributed import Client, LocalCluster

    from cibg_ds.cluster import local_cluster_kwargs, worker_environment

    kwargs = {**local_cluster_kwargs(workers), "memory_limit": memory_limit}
    with worker_environment():
        return Client(LocalCluster(**kwargs))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trucks", type=int, default=5000)
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--start", default="2026-11-02")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--out", type=Path, default=Path("/tmp/bench_month"))
    parser.add_argument("--reuse", action="store_true", help="keep the feed already in --out")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    parser.add_argument("--memory-limit", help="per worker (e.g. 1.6GB; default: the machine's "
                        "memory shared out by cibg_ds); Dask spills to disk above it")  # fmt: skip
    parser.add_argument("--trace", type=Path, help="write every memory sample here (CSV: "
                        "seconds, stage, MiB of each process)")  # fmt: skip
    parser.add_argument("--pieces", type=int, help="mobility_report's pieces of whole units "
                        "(default: its own, report_pieces)")  # fmt: skip
    args = parser.parse_args()

    import logging

    import psutil

    logging.getLogger("distributed.shuffle").setLevel(logging.ERROR)  # one line per shuffle
    memory = MemorySampler()
    if args.trace:
        memory.trace = []
    memory.start()
    stages: list[dict] = []
    procs = [psutil.Process()]

    marks: list[tuple[float, str]] = []  # when each stage began

    def stage(name: str, fn, client=None):
        marks.append((time.perf_counter() - memory.began, name))
        memory.stage_peak = memory.sample()
        began, used = time.perf_counter(), _cpu(procs)
        if client is not None:
            from distributed import get_task_stream

            with get_task_stream(client=client) as ts:
                value = fn()
            groups = _groups(ts.data)
        else:
            value, groups = fn(), []
        memory.sample()
        row = {"stage": name, "seconds": time.perf_counter() - began,
               "cpu_seconds": _cpu(procs) - used, "peak_gib": memory.stage_peak / 2**30,
               "top_tasks": [(g, round(s, 1), n) for g, s, n in groups[:6]]}  # fmt: skip
        stages.append(row)
        print(f"{name:<10} {row['seconds']:8.1f} s wall {row['cpu_seconds']:8.1f} s CPU "
              f"peak {row['peak_gib']:5.2f} GiB", flush=True)  # fmt: skip
        for g, s, n in row["top_tasks"]:
            print(f"    {g:<40} {s:8.1f} s in {n:,} tasks", flush=True)
        return value

    began = time.perf_counter()
    from cibg_ds.io import load_roads, read_pings
    from cibg_ds.quality.job import validate_path
    from cibg_ds.reports import mobility_report
    from cibg_ds.synthetic import simulate

    out = args.out
    feed, quarantine, products = out / "feed", out / "quality" / "quarantine", out / "products"
    client = stage("cluster", lambda: _client(args.workers, args.memory_limit))
    procs += [psutil.Process(p) for p in client.run(os.getpid).values()]
    procs.append(psutil.Process(client.run_on_scheduler(os.getpid)))
    first = dt.date.fromisoformat(args.start)
    last = (first + dt.timedelta(days=args.days - 1)).isoformat()
    if args.reuse and (feed / "_meta" / "manifest.json").exists():
        rows = json.loads((feed / "_meta" / "manifest.json").read_text()).get("rows")
        print(f"simulate   reused {feed}")
    else:
        shutil.rmtree(out, ignore_errors=True)
        sim = stage("simulate", lambda: simulate(feed, trucks=args.trucks, days=args.days,
                                                 start=args.start, client=client,
                                                 progress=False), client)  # fmt: skip
        rows = sim.rows
    shutil.rmtree(out / "quality", ignore_errors=True)
    checked = out / "quality" / "report.html"
    result, extra = stage("validate", lambda: validate_path(feed, "pings", quarantine, checked,
                                                            progress=False), client)  # fmt: skip
    roads = load_roads(feed / "_meta" / "roads.gpkg")

    def report():
        rep = mobility_report(read_pings(quarantine / "clean"), k=5, roads=roads,
                              start=args.start, end=last, pieces=args.pieces)  # fmt: skip
        rep.write(products)
        return rep

    rep = stage("report", report, client)
    total = time.perf_counter() - began
    memory.halt.set()
    memory.sample()
    m, q = rep.meta, extra["quarantine"]
    print(f"\n{args.trucks:,} trucks x {args.days} days: {rows:,} pings; validation "
          f"{'passed' if result.success else 'failed'} ({q['clean']:,} clean, {q['rejected']:,} "
          f"rejected); report: {m['fixes_clean']:,} clean fixes, {m['trips']:,} trips, "
          f"{m['vehicles']:,} trucks")  # fmt: skip
    print(f"total {total:.0f} s ({total / 60:.1f} min; target 10 min), peak memory of all "
          f"processes {memory.peak / 2**30:.2f} GiB (target 4 GB), at the peak:")  # fmt: skip
    for proc, rss in sorted(memory.breakdown.items(), key=lambda kv: -kv[1]):
        print(f"    {proc:<40} {rss / 2**20:8.0f} MiB")
    if args.json:
        args.json.write_text(json.dumps({
            "trucks": args.trucks, "days": args.days, "pings": rows, "total_seconds": total,
            "peak_gib": memory.peak / 2**30, "stages": stages,
            "clean": q["clean"], "rejected": q["rejected"], "trips": m["trips"],
        }, indent=2))  # fmt: skip
    if args.trace:
        _write_trace(args.trace, memory.trace, marks)
    client.close()


def _write_trace(path: Path, trace: list, marks: list) -> None:
    """Write the memory samples, one row each: seconds, stage, MiB of every process."""
    names = sorted({name for _, rss in trace for name in rss})
    lines = ["seconds,stage," + ",".join(names)]
    for when, rss in trace:
        stage = [name for began, name in marks if began <= when]
        mib = (f"{rss.get(n, 0) / 2**20:.0f}" for n in names)
        lines.append(f"{when:.1f},{stage[-1] if stage else ''}," + ",".join(mib))
    path.write_text("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
