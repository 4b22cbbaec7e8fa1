"""Pings by 250 m cell x local hour: DuckDB vs cibg_ds on Dask, same Parquet, same threads.

Run: ``.venv/bin/python benchmarks/bench_aggregate.py [--copies 2] [--threads 2]``
(``--copies`` of a 10 M-ping simulated week, so 2 = 20 M pings), ``--feed uniform``
(5 M fixes of 3,000 vehicles spread uniformly over Belgium: many more cell-hours;
``--defaults`` also times a plain call with the default measures), ``--repeat 3``, and,
for the scaling run, ``--scale 1 10 --memory-limit 2.5GB`` (10 M and 100 M pings, ours
only, peak memory). Data are made once under ``--data`` (default ``/tmp/cibg_ds-bench``).

Both sides compute, per EPSG:3035 250 m cell and local hour of day: fixes, exact distinct
vehicles, mean speed and the 85th percentile (linear interpolation). DuckDB reads the
Parquet files itself with ``threads`` threads and projects with the same ellipsoidal
Lambert azimuthal equal-area formulas pyproj uses for EPSG:3035 (written out in SQL: the
spatial extension is not on PyPI for this DuckDB); ours is
:func:`cibg_ds.mobility.aggregate` with ``measures=("speed",)`` on a LocalCluster of
``threads`` single-threaded workers. Tables must be identical (ids, counts; speeds to
1e-9 relative); the ratio of wall times is printed.
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import math
import os
import threading
import time
from pathlib import Path

import numpy as np
import pandas as pd
from bench_validate import cluster_cpu, scaled

from cibg_ds.mobility.aggregate import DEFAULT_MEASURES

ROOT = Path(__file__).resolve().parents[1]
PINGS_PER_TRUCK_DAY = 105

# EPSG:3035: GRS80, latitude of origin 52 N, longitude 10 E, false easting 4,321,000 m and
# northing 3,210,000 m. Snyder (1987), Map Projections - A Working Manual, pp. 187-188.
_A, _F = 6378137.0, 1 / 298.257222101
_E2 = 2 * _F - _F * _F
_E = math.sqrt(_E2)


def _q(phi: float) -> float:
    s = math.sin(phi)
    return (1 - _E2) * (s / (1 - _E2 * s * s) - math.log((1 - _E * s) / (1 + _E * s)) / (2 * _E))


_QP = _q(math.pi / 2)
_B0 = math.asin(_q(math.radians(52)) / _QP)
_RQ = _A * math.sqrt(_QP / 2)
_D = _A * (math.cos(math.radians(52)) / math.sqrt(1 - _E2 * math.sin(math.radians(52)) ** 2))
_D /= _RQ * math.cos(_B0)

SQL = f"""
WITH fixes AS (
  SELECT obu_id, CAST(speed_kmh AS DOUBLE) AS speed,
         hour(timezone('Europe/Brussels', ts)) AS hour,
         radians(lon) - radians(10.0) AS lam,
         sin(radians(lat)) AS s
  FROM read_parquet('{{glob}}')
), beta AS (
  SELECT obu_id, speed, hour, lam,
         asin((1 - {_E2!r}) * (s / (1 - {_E2!r} * s * s)
              - ln((1 - {_E!r} * s) / (1 + {_E!r} * s)) / (2 * {_E!r})) / {_QP!r}) AS b
  FROM fixes
), projected AS (
  SELECT obu_id, speed, hour, b, lam,
         {_RQ!r} * sqrt(2 / (1 + {math.sin(_B0)!r} * sin(b)
                             + {math.cos(_B0)!r} * cos(b) * cos(lam))) AS bb
  FROM beta
), cells AS (
  SELECT obu_id, speed, hour,
         CAST(floor((4321000 + bb * {_D!r} * cos(b) * sin(lam)) / 250) * 250 AS BIGINT) AS e,
         CAST(floor((3210000 + (bb / {_D!r}) * ({math.cos(_B0)!r} * sin(b)
               - {math.sin(_B0)!r} * cos(b) * cos(lam))) / 250) * 250 AS BIGINT) AS n
  FROM projected
)
SELECT 'CRS3035RES250mN' || n || 'E' || e AS cell_id, CAST(hour AS TINYINT) AS hour,
       count(*) AS n_fixes, count(DISTINCT obu_id) AS n_vehicles,
       avg(speed) AS speed_mean, quantile_cont(speed, 0.85) AS speed_p85
FROM cells GROUP BY ALL ORDER BY cell_id, hour
"""


def dataset(root: Path) -> Path:
    """A clean simulated week of about 10 M pings, made once under ``data/bench/``."""
    from distributed import Client

    from cibg_ds.cluster import local_cluster_kwargs
    from cibg_ds.synthetic import simulate

    out = root / "clean-10000000"
    if (out / "_meta" / "manifest.json").exists():
        return out
    trucks = math.ceil(10_000_000 / (7 * PINGS_PER_TRUCK_DAY))
    print(f"simulating {trucks:,} trucks x 7 days into {out} (once) ...", flush=True)
    with Client(**local_cluster_kwargs()) as client:
        simulate(out, trucks=trucks, days=7, seed=2, overwrite=True, trucks_per_task=500,
                 client=client, progress=False)  # fmt: skip
    return out


def uniform_feed(root: Path, vehicles: int = 3000, fixes: int = 5_000_000, seed: int = 3) -> Path:
    """``fixes`` clean fixes of ``vehicles`` trucks spread uniformly over Belgium's box.

    Each truck starts at a uniformly drawn point of the pings suite's bounding box
    (49.49-51.51 N, 2.54-6.41 E) and drives a smooth random walk (30 s between fixes,
    40-100 km/h, turning slowly) over one day; a walk leaving the box is folded back into
    it. Many more cell-hours than the simulated network's roads give. Made once.
    """
    import pyarrow as pa
    import pyarrow.parquet as pq

    from cibg_ds import schema as s
    from cibg_ds.io.pings import empty_pings

    out = root / f"uniform-{vehicles}-{fixes}"
    if (out / "_meta" / "done").exists():
        return out
    print(f"writing {fixes:,} fixes of {vehicles:,} vehicles into {out} (once) ...", flush=True)
    rng = np.random.default_rng(seed)
    each = fixes // vehicles
    n = each * vehicles
    unit = np.repeat(np.arange(vehicles), each)
    step = np.tile(np.arange(each), vehicles)
    start = np.datetime64("2026-11-03T05:00", "ns") + rng.integers(0, 6 * 3600, vehicles) * 10**9
    ts = start[unit] + (step * 30 * 10**9).astype("timedelta64[ns]")
    speed = rng.uniform(40, 100, n).astype("float32")
    heading = np.cumsum(rng.normal(0, 0.2, n)).reshape(vehicles, each)
    heading += rng.uniform(0, 2 * np.pi, (vehicles, 1))
    km = (speed.reshape(vehicles, each) / 120.0).astype(float)  # km in 30 s
    lat0, lat1, lon0, lon1 = 49.49, 51.51, 2.54, 6.41
    lat = rng.uniform(lat0, lat1, (vehicles, 1)) + np.cumsum(km * np.cos(heading), 1) / 111.2
    lon = rng.uniform(lon0, lon1, (vehicles, 1)) + np.cumsum(km * np.sin(heading), 1) / 70.3

    def fold(v, lo, hi):  # reflect into [lo, hi]
        w = (v - lo) % (2 * (hi - lo))
        return lo + np.where(w > hi - lo, 2 * (hi - lo) - w, w)

    frame = pd.DataFrame({
        s.OBU_ID: pd.array([f"{u * 0x9E3779B97F4A7C15 % 2**64:016x}" for u in range(vehicles)],
                           dtype="string")[unit],
        s.TS: pd.DatetimeIndex(ts).tz_localize("UTC"),
        s.LAT: fold(lat.ravel(), lat0, lat1), s.LON: fold(lon.ravel(), lon0, lon1),
        s.SPEED: speed, s.HEADING: (np.degrees(heading.ravel()) % 360).astype("float32"),
        s.WEIGHT_CLASS: pd.Categorical.from_codes(
            rng.integers(0, 3, vehicles)[unit], categories=list(s.WEIGHT_CLASSES)),
        s.EURO_CLASS: pd.array(rng.integers(0, 7, vehicles)[unit], dtype="Int8"),
        s.COUNTRY: pd.array(rng.choice(["BE", "NL", "FR", "DE", "PL", "LU"], vehicles),
                            dtype="string")[unit],
    })  # fmt: skip
    frame = frame.astype(empty_pings().dtypes.to_dict())
    target = out / "date=2026-11-03"
    target.mkdir(parents=True, exist_ok=True)
    for k, part in enumerate(np.array_split(np.arange(n), 8)):
        table = pa.Table.from_pandas(frame.iloc[part], preserve_index=False)
        pq.write_table(table, target / f"part-{k}.parquet")
    (out / "_meta").mkdir(exist_ok=True)
    (out / "_meta" / "done").write_text("")
    return out


def duckdb_side(path: Path, threads: int) -> tuple[pd.DataFrame, float, float]:
    """Return DuckDB's table, its wall time and its CPU time (all its threads)."""
    import duckdb

    con = duckdb.connect(config={"threads": threads})
    start, cpu = time.perf_counter(), time.process_time()
    table = con.sql(SQL.format(glob=f"{path}/date=*/*.parquet")).df()
    return table, time.perf_counter() - start, time.process_time() - cpu


class PeakMemory:
    """Sample the summed resident memory of this process and the cluster's processes.

    The workers of a LocalCluster are local processes: they are read with psutil from
    this process (no call into the workers, so the sampling costs them no CPU time), and
    what they spilled is the size of the files under their local directories.
    """

    def __init__(self, client):
        import psutil

        self.peak, self.spilled = 0.0, 0.0
        pids = client.run(os.getpid).values()
        self.processes = [psutil.Process(p) for p in {*pids, os.getpid()}]
        self.directories = list(client.run(_local_directory).values())
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _rss(self) -> float:
        return sum(p.memory_info().rss for p in self.processes) / 2**20

    def _spilled(self) -> float:
        total = 0
        for directory in self.directories:
            for folder, _, files in os.walk(directory):
                for name in files:
                    with contextlib.suppress(OSError):  # a file removed meanwhile
                        total += os.path.getsize(os.path.join(folder, name))
        return total / 2**20

    def _run(self):
        while not self._stop.wait(0.5):
            self.peak = max(self.peak, self._rss())
            self.spilled = max(self.spilled, self._spilled())

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()


def _local_directory(dask_worker) -> str:
    return dask_worker.local_directory


def _import_all() -> None:
    for module in ("cibg_ds.mobility", "dask.dataframe", "pyarrow.parquet", "pyproj"):
        __import__(module)


def ours(path: Path, threads: int, memory_limit: str | None, blocksize: str = "64MB",
         measures=("speed",), plain_workers: bool = False):  # fmt: skip
    from distributed import Client, LocalCluster

    from cibg_ds.cluster import worker_environment
    from cibg_ds.io import read_pings
    from cibg_ds.mobility import aggregate

    # the workers cibg_ds starts (see cibg_ds.cluster), unless Dask's own are asked for
    with contextlib.nullcontext() if plain_workers else worker_environment():
        cluster = LocalCluster(n_workers=threads, threads_per_worker=1, host="127.0.0.1",
                               memory_limit=memory_limit or "auto",
                               dashboard_address=None)  # fmt: skip
    with cluster, Client(cluster) as client, PeakMemory(client) as memory:
        # imports are not the work (DuckDB's are outside its timing too), here and in workers
        client.run(_import_all)
        _import_all()
        start, cpu = time.perf_counter(), cluster_cpu(client)
        pings = read_pings(path, blocksize=blocksize)
        table = aggregate(pings, cell="250m", by="hour", measures=measures)
        elapsed, cpu = time.perf_counter() - start, cluster_cpu(client) - cpu
    return table, elapsed, memory.peak, memory.spilled, cpu


def compare(peer: pd.DataFrame, table: pd.DataFrame) -> None:
    keys = ["cell_id", "hour"]
    a = peer.sort_values(keys, ignore_index=True)
    b = table[a.columns].sort_values(keys, ignore_index=True)
    assert (a[keys] == b[keys]).all().all(), "cells or hours differ"
    for col in ("n_fixes", "n_vehicles"):
        assert (a[col].to_numpy() == b[col].to_numpy()).all(), f"{col} differs"
    for col in ("speed_mean", "speed_p85"):
        assert np.allclose(a[col], b[col], rtol=1e-9, atol=0), f"{col} differs"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--copies", type=int, default=2, help="copies of the 10 M-ping week")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--scale", type=int, nargs="*", help="copies to time (ours only)")
    parser.add_argument("--memory-limit", default=None, help="per worker, e.g. 2.5GB")
    parser.add_argument("--blocksize", default="64MB", help="Parquet bytes per partition")
    parser.add_argument(
        "--feed",
        choices=["simulated", "uniform"],
        default="simulated",
        help="uniform: 5 M fixes of 3,000 vehicles spread over Belgium",
    )
    parser.add_argument("--repeat", type=int, default=1, help="runs, peer and ours each time")
    parser.add_argument(
        "--defaults", action="store_true", help="also time a plain call (default measures)"
    )
    parser.add_argument(
        "--data",
        type=Path,
        default=Path("/tmp/cibg_ds-bench"),
        help="where the benchmark data are made once",
    )
    parser.add_argument(
        "--plain-workers",
        action="store_true",
        help="workers with Dask's malloc settings, not cibg_ds's (WORKER_MALLOC)",
    )
    args = parser.parse_args()
    run_ours = functools.partial(ours, plain_workers=args.plain_workers)
    base = dataset(args.data) if args.feed == "simulated" or args.scale else None
    if args.scale:
        rows = []
        for copies in args.scale:
            path = base if copies == 1 else scaled(base, copies)
            table, seconds, peak, spilled, _ = run_ours(
                path, args.threads, args.memory_limit, args.blocksize
            )
            rows.append((copies, int(table["n_fixes"].sum()), seconds, peak))
            print(f"{rows[-1][1]:>12,} pings: {seconds:7.1f} s, peak {peak:,.0f} MiB, "
                  f"spilled to disk at most {spilled:,.0f} MiB", flush=True)  # fmt: skip
        first, last = rows[0], rows[-1]
        print(f"time ratio {last[2] / first[2]:.2f} for {last[1] / first[1]:.2f}x the pings")
        return
    if args.feed == "uniform":
        path = uniform_feed(args.data)
    else:
        path = base if args.copies == 1 else scaled(base, args.copies)
    for run in range(args.repeat):
        peer, peer_s, peer_cpu = duckdb_side(path, args.threads)
        table, ours_s, peak, _, ours_cpu = run_ours(
            path, args.threads, args.memory_limit, args.blocksize
        )
        compare(peer, table)
        print(f"run {run + 1}: {int(peer['n_fixes'].sum()):,} pings, {len(peer):,} cell-hours: "
              f"identical; DuckDB ({args.threads} threads) {peer_s:.2f} s ({peer_cpu:.1f} "
              f"CPU s); cibg_ds ({args.threads} workers) {ours_s:.2f} s ({ours_cpu:.1f} CPU s, "
              f"all processes), peak {peak:,.0f} MiB; ours / DuckDB = {ours_s / peer_s:.2f} "
              f"wall, {ours_cpu / peer_cpu:.2f} CPU; load average "
              f"{os.getloadavg()[0]:.1f}", flush=True)  # fmt: skip
    if args.defaults:
        _, plain_s, _, _, _ = run_ours(path, args.threads, args.memory_limit, args.blocksize,
                                 measures=DEFAULT_MEASURES)  # fmt: skip
        print(f"plain call (default measures {DEFAULT_MEASURES}): {plain_s:.2f} s, "
              f"{plain_s / ours_s:.2f}x the speed-only call of the last run")  # fmt: skip


if __name__ == "__main__":
    main()
