"""How long a simulation takes and whether memory grows with the number of days.

Run: ``make bench`` or ``.venv/bin/python benchmarks/bench_simulate.py [--trucks 2000]``.

Prints the wall time of a one-day simulation of ``--trucks`` trucks on a LocalCluster
sized to the machine, then the peak resident memory of the workers and of this process
for 1 and for ``--days`` days. Each run uses a fresh cluster so peaks do not carry over.
"""

from __future__ import annotations

import argparse
import resource
import tempfile
import time
from pathlib import Path


def _peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run(trucks: int, days: int) -> dict:
    from distributed import Client

    from cibg_ds.cluster import local_cluster_kwargs
    from cibg_ds.synthetic import simulate

    with tempfile.TemporaryDirectory() as tmp, Client(**local_cluster_kwargs()) as client:
        began = time.perf_counter()
        result = simulate(Path(tmp) / "feed", trucks=trucks, days=days, client=client,
                          progress=False)  # fmt: skip
        seconds = time.perf_counter() - began
        workers = client.run(_peak_rss_mib)
    return {
        "trucks": trucks, "days": days, "rows": result.rows, "seconds": seconds,
        "worker_peak_mib": max(workers.values()), "client_peak_mib": _peak_rss_mib(),
    }  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trucks", type=int, default=2000)
    parser.add_argument("--days", type=int, default=7)
    args = parser.parse_args()
    from cibg_ds.cluster import machine_size

    cores, memory = machine_size()
    print(f"machine: {cores} cores, {memory / 2**30:.1f} GiB")
    print(f"{'trucks':>7} {'days':>5} {'pings':>11} {'seconds':>8} {'pings/s':>9} "
          f"{'worker peak MiB':>16} {'client peak MiB':>16}")  # fmt: skip
    for days in (1, args.days):
        r = run(args.trucks, days)
        print(f"{r['trucks']:>7} {r['days']:>5} {r['rows']:>11,} {r['seconds']:>8.1f} "
              f"{r['rows'] / r['seconds']:>9,.0f} {r['worker_peak_mib']:>16.0f} "
              f"{r['client_peak_mib']:>16.0f}")  # fmt: skip


if __name__ == "__main__":
    main()
