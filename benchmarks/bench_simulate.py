"""How long a simulation takes, its CPU per ping, and whether memory grows with the days.

Run: ``make bench`` or ``.venv/bin/python benchmarks/bench_simulate.py [--trucks 2000]``.

Prints, for a simulation of ``--trucks`` trucks over 1 and over ``--days`` days on a
LocalCluster sized to the machine (one fresh cluster per run, so peaks do not carry over):
the wall time, the CPU time of every process (this one, the scheduler, the workers: what
a shared machine does not inflate much) and per ping, and the peak resident memory of the
workers and of this process. ``--before DIR`` runs the same on the code in ``DIR`` (e.g.
``git archive REV cibg_ds | tar -x -C DIR``) in a subprocess, alternating with this code,
and checks that both wrote the same pings.
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


def _peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _cpu(procs) -> float:
    return sum(sum(p.cpu_times()[:2]) for p in procs)


def run(trucks: int, days: int, keep: str | None = None) -> dict:
    import psutil
    from distributed import Client

    from cibg_ds.cluster import local_cluster_kwargs, worker_environment
    from cibg_ds.synthetic import simulate

    with tempfile.TemporaryDirectory() as tmp:
        with worker_environment():
            client = Client(**local_cluster_kwargs())
        with client:
            procs = [psutil.Process()]
            procs += [psutil.Process(p) for p in client.run(os.getpid).values()]
            procs.append(psutil.Process(client.run_on_scheduler(os.getpid)))
            began, cpu = time.perf_counter(), _cpu(procs)
            result = simulate(Path(tmp) / "feed", trucks=trucks, days=days, client=client,
                              progress=False)  # fmt: skip
            seconds, cpu = time.perf_counter() - began, _cpu(procs) - cpu
            workers = client.run(_peak_rss_mib)
        digest = _digest(result.files) if keep else None
    return {
        "trucks": trucks, "days": days, "rows": result.rows, "seconds": seconds, "cpu": cpu,
        "worker_peak_mib": max(workers.values()), "client_peak_mib": _peak_rss_mib(),
        "digest": digest,
    }  # fmt: skip


def _digest(files) -> str:
    """One hash of the pings written (the Parquet files' tables, in file order)."""
    import hashlib

    import pyarrow.parquet as pq

    h = hashlib.sha256()
    for path in sorted(files):
        h.update(path.parent.name.encode())
        table = pq.read_table(path)
        h.update(table.to_pandas().to_csv(index=False).encode())
    return h.hexdigest()[:16]


def _line(label: str, r: dict) -> str:
    return (f"{label:<7} {r['trucks']:>7} {r['days']:>5} {r['rows']:>11,} {r['seconds']:>8.1f} "
            f"{r['cpu']:>8.1f} {r['cpu'] / r['rows'] * 1e6:>8.2f} {r['worker_peak_mib']:>12.0f} "
            f"{r['client_peak_mib']:>12.0f}")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trucks", type=int, default=2000)
    parser.add_argument("--days", type=int, default=7)
    parser.add_argument("--before", type=Path, help="folder holding the code to compare with")
    parser.add_argument("--one", type=int, help=argparse.SUPPRESS)  # a run in a subprocess
    args = parser.parse_args()
    if args.one is not None:
        print(json.dumps(run(args.trucks, args.one, keep="yes")))
        return
    from cibg_ds.cluster import machine_size

    cores, memory = machine_size()
    print(f"machine: {cores} cores, {memory / 2**30:.1f} GiB; load average "
          f"{os.getloadavg()[0]:.1f}")  # fmt: skip
    print(f"{'code':<7} {'trucks':>7} {'days':>5} {'pings':>11} {'wall s':>8} {'CPU s':>8} "
          f"{'CPU µs/ping':>8} {'worker MiB':>12} {'client MiB':>12}")  # fmt: skip
    codes = [("before", args.before), ("after", None)] if args.before else [("ours", None)]
    digests: dict = {}
    for days in (1, args.days):
        for label, folder in codes:
            env = dict(os.environ)
            if folder is not None:
                env["PYTHONPATH"] = str(folder)
            cmd = [sys.executable, __file__, "--trucks", str(args.trucks), "--one", str(days)]
            out = subprocess.run(cmd, env=env, check=True, capture_output=True, text=True)
            r = json.loads(out.stdout.strip().splitlines()[-1])
            digests.setdefault(days, set()).add(r["digest"])
            print(_line(label, r), flush=True)
    if args.before:
        same = all(len(d) == 1 for d in digests.values())
        print("same pings before and after:", "yes" if same else "NO")


if __name__ == "__main__":
    main()
