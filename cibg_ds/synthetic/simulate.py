"""Simulate a kilometre-charge OBU feed and write it as Parquet partitioned by local day.

Work is cut into tasks of (start day, block of trucks) that run on the Dask cluster. Each
task writes its own files, atomically, and returns only counts, so memory does not grow
with the number of days. The trucks drive on the embedded OpenStreetMap roads; each
leg's true route (ordered ``segment_ids``/``osm_ids``) goes to
``_meta/truth_routes.parquet`` (a Parquet dataset folder: ``pd.read_parquet`` reads it
whole). The dataset is complete when ``_meta/manifest.json`` exists.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import functools
import json
import os
import time
from collections import Counter
from pathlib import Path

import numpy as np

from cibg_ds import schema as s
from cibg_ds.config import get_settings
from cibg_ds.errors import InputError, ParameterError
from cibg_ds.io.atomic import atomic_path, write_text_atomic

META_DIR = "_meta"
MANIFEST = "manifest.json"
DIRTY_MANIFEST = "dirty_manifest.json"
ROADS_FILE = "roads.gpkg"
TRUTH_ROUTES = "truth_routes.parquet"
"""Folder of Parquet parts (one dataset): each leg's true route, for map-matching tests."""
INCOMPLETE = "INCOMPLETE"
"""Marker in ``_meta/`` from the start of a simulation until its manifest is written."""


@dataclasses.dataclass(frozen=True)
class SimulationResult:
    """What a simulation wrote."""

    out: Path
    files: list[Path]
    rows: int
    rows_by_date: dict[str, int]
    active_truck_days: int
    seconds: float
    faults: dict[str, int] | None
    roads: Path

    def summary(self) -> str:
        """Return a few lines for people: what was written, where, how much."""
        lines = [
            f"wrote {self.rows:,} pings in {len(self.files)} files under {self.out}/ "
            f"({self.active_truck_days:,} truck-days, {self.seconds:.1f} s)",
        ]
        lines += [f"  date={d}: {n:,} pings" for d, n in sorted(self.rows_by_date.items())]
        lines.append(f"road network: {self.roads}")
        lines.append(f"manifest: {self.out / META_DIR / MANIFEST}")
        if self.faults is not None:
            total = sum(self.faults.values())
            lines.append(f"injected {total:,} faults: {self.out / META_DIR / DIRTY_MANIFEST}")
        return "\n".join(lines)


def _task(
    day: dt.date, first: int, count: int, seed: int, out: str, dirty: bool, key: str, tz: str
) -> dict:
    """Simulate trucks ``first..first+count-1`` starting on ``day``; write; return counts."""
    from cibg_ds.io.atomic import write_parquet_atomic
    from cibg_ds.synthetic.dirty import inject_faults
    from cibg_ds.synthetic.feed import simulate_chunk
    from cibg_ds.synthetic.network import build_network

    net = build_network()
    trucks = _fleet(first, count, seed)
    routes: list = []
    df = simulate_chunk(trucks, day, seed, net, key, tz, routes)
    if routes:
        name = f"part-{day:%Y%m%d}-{first:07d}.parquet"
        write_parquet_atomic(routes[0], Path(out) / META_DIR / TRUTH_ROUTES / name)
    active = int(df[s.OBU_ID].nunique())
    faults = None
    if dirty:
        rng = np.random.default_rng([seed, day.toordinal(), first, 7])
        df, faults, dates = inject_faults(df, rng, tz=tz)
    else:
        dates = df[s.TS].dt.tz_convert(tz).dt.tz_localize(None)  # local wall time
    written = {}
    for date, rows in _by_date(np.asarray(dates, dtype="datetime64[D]")):
        name = f"part-{day:%Y%m%d}-{first:07d}.parquet"
        path = Path(out) / f"date={date}" / name
        write_parquet_atomic(df.take(rows), path)
        written[str(path)] = (date, len(rows))
    return {"written": written, "active": active, "faults": faults}


def _by_date(dates: np.ndarray):
    """Yield ``(YYYY-MM-DD, row positions)`` per distinct date, in date then row order."""
    if not len(dates):
        return
    order = np.argsort(dates, kind="stable")  # the identity for a feed sorted by time
    days, starts = np.unique(dates[order], return_index=True)
    for date, rows in zip(days, np.split(order, starts[1:]), strict=True):
        yield str(date), rows


@functools.lru_cache(maxsize=64)
def _fleet(first: int, count: int, seed: int) -> tuple:
    """Return trucks ``first..first+count-1`` (drawn once per process: each day reuses them)."""
    from cibg_ds.synthetic.fleet import make_truck
    from cibg_ds.synthetic.network import build_network

    net = build_network()
    return tuple(make_truck(i, seed, net) for i in range(first, first + count))


def simulate(
    out: str | os.PathLike,
    trucks: int = 2000,
    days: int = 1,
    start: str | dt.date = "2026-11-02",
    seed: int = 0,
    dirty: bool = False,
    overwrite: bool = False,
    trucks_per_task: int = 250,
    client=None,
    progress: bool = True,
) -> SimulationResult:
    """Simulate ``trucks`` OBUs over ``days`` days and write a Parquet dataset to ``out``.

    Parameters
    ----------
    out : path-like
        Output folder; holds ``date=YYYY-MM-DD/part-*.parquet`` and ``_meta/``.
    trucks : int
        Number of distinct units in the fleet (each drives on most working days).
    days : int
        Number of consecutive days from ``start``.
    start : str or date
        First day (local time), ISO format.
    seed : int
        Same seed, same data, whatever the cluster or the task size.
    dirty : bool
        Inject faults (see :mod:`cibg_ds.synthetic.dirty`) and count them in
        ``_meta/dirty_manifest.json``.
    overwrite : bool
        Replace an existing dataset at ``out``; otherwise a non-empty ``out`` is refused.
    trucks_per_task : int
        Trucks per Dask task (memory per task grows with it, not with ``days``).
    client : distributed.Client, optional
        Default :func:`cibg_ds.cluster.get_client` (a LocalCluster unless one is set up).
    progress : bool
        Show a progress bar.

    Returns
    -------
    SimulationResult

    Examples
    --------
    A week of 500 trucks with faults, on whatever cluster :func:`get_client` finds::

        result = simulate("data/sim", trucks=500, days=7, dirty=True)
        print(result.summary())
    """
    for name, value in (("trucks", trucks), ("days", days), ("trucks_per_task", trucks_per_task)):
        if not isinstance(value, int) or isinstance(value, bool) or value < 1:
            raise ParameterError(f"{name} must be a positive integer, got {value!r}")
    try:
        first_day = dt.date.fromisoformat(str(start))
    except ValueError:
        raise ParameterError(f"start must be a date like 2026-11-02, got {start!r}") from None
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise ParameterError(f"seed must be an integer >= 0, got {seed!r}")
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise InputError(f"{out}: exists and is not a folder; choose another --out")
    if out.exists() and any(out.iterdir()):
        if not overwrite:
            raise InputError(
                f"{out}: folder is not empty; choose another --out or pass --overwrite"
            )
        _remove_previous(out)
    (out / META_DIR).mkdir(parents=True, exist_ok=True)
    note = "a simulation is writing here, or was interrupted: the dataset is incomplete\n"
    write_text_atomic(out / META_DIR / INCOMPLETE, note)
    settings = get_settings()
    began = time.perf_counter()
    jobs = [
        (first_day + dt.timedelta(days=d), first, min(trucks_per_task, trucks - first))
        for d in range(days)
        for first in range(0, trucks, trucks_per_task)
    ]
    results = _run(jobs, seed, out, dirty, settings, client, progress)
    rows_by_date: Counter = Counter()
    faults: Counter = Counter()
    files = []
    for r in results:
        for path, (date, n) in r["written"].items():
            files.append(Path(path))
            rows_by_date[date] += n
        faults.update(r["faults"] or {})
    roads = _write_roads(out / META_DIR / ROADS_FILE)
    result = SimulationResult(
        out=out,
        files=sorted(files),
        rows=sum(rows_by_date.values()),
        rows_by_date=dict(sorted(rows_by_date.items())),
        active_truck_days=sum(r["active"] for r in results),
        seconds=time.perf_counter() - began,
        faults={k: faults.get(k, 0) for k in _fault_kinds()} if dirty else None,
        roads=roads,
    )
    _write_manifests(result, trucks, days, first_day, seed, dirty)
    (out / META_DIR / INCOMPLETE).unlink()
    return result


def _interrupted_part(path: Path, out: Path) -> bool:
    """Tell whether a file is one an (interrupted) simulation writes."""
    parts = path.relative_to(out).parts
    if parts[0] == META_DIR:
        if len(parts) == 3 and parts[1] == TRUTH_ROUTES:  # the true routes, one part per task
            return parts[2].startswith(("part-", ".part-"))
        return len(parts) == 2 and (parts[1] in (INCOMPLETE, MANIFEST, DIRTY_MANIFEST, ROADS_FILE)
                                    or parts[1].startswith("."))  # fmt: skip
    return (len(parts) == 2 and parts[0].startswith("date=")
            and parts[1].startswith(("part-", ".part-")))  # fmt: skip


def _remove_previous(out: Path) -> None:
    """Delete the dataset a simulation wrote at ``out``: only the files its manifest lists.

    Refuses (deleting nothing) when ``out`` has no simulator manifest or holds any file the
    manifest does not list (a real feed, a user's file inside a ``date=`` folder).
    """
    present = [p for p in out.rglob("*") if not p.is_dir()]
    try:
        listed = json.loads((out / META_DIR / MANIFEST).read_text())
        ours = {out / f for f in listed["files"]} | {out / listed["roads"]}
        ours |= {out / META_DIR / n for n in (MANIFEST, DIRTY_MANIFEST, INCOMPLETE)}
        if "truth_routes" in listed:  # the parts of the true-routes dataset it wrote
            ours |= set((out / listed["truth_routes"]).glob("part-*.parquet"))
        why = "the simulation did not write"
    except (OSError, ValueError, KeyError, TypeError):
        ours, why = set(), f"of no simulated dataset (no readable {META_DIR}/{MANIFEST})"
        if (out / META_DIR / INCOMPLETE).is_file():  # an interrupted simulation: its parts
            ours = {p for p in present if _interrupted_part(p, out)}
            why = "an interrupted simulation does not write"
    foreign = sorted(str(p.relative_to(out)) for p in present if p not in ours)
    if foreign:
        raise InputError(
            f"{out}: refusing to overwrite, it holds {len(foreign)} file(s) {why} "
            f"({', '.join(foreign[:5])}); nothing was deleted. Move them away or choose an "
            "empty or new --out"
        )
    for path in present:
        path.unlink()
    for folder in sorted((p for p in out.rglob("*") if p.is_dir()), reverse=True):
        folder.rmdir()  # empty now: only our files were in it


def _fault_kinds():
    from cibg_ds.synthetic.dirty import FAULT_KINDS

    return FAULT_KINDS


def _run(jobs, seed, out, dirty, settings, client, progress) -> list[dict]:
    import dask

    from cibg_ds.cluster import client_session, compute

    args = (seed, str(out), dirty, settings.pseudonym_key, settings.timezone)
    tasks = [dask.delayed(_task, pure=False)(day, first, n, *args) for day, first, n in jobs]
    session = contextlib.nullcontext(client) if client is not None else client_session()
    with session as c, c.as_current():
        return compute(tasks, "simulate", progress)


def _write_roads(path: Path) -> Path:
    # the roads of build_network(), without building its graph in this (client) process
    from cibg_ds.synthetic.osm_network import network_roads

    with atomic_path(path) as tmp:
        network_roads().to_file(tmp, driver="GPKG", layer="roads")
    return path


def _write_json(path: Path, payload: dict) -> None:
    write_text_atomic(path, json.dumps(payload, indent=2, default=str) + "\n")


def _write_manifests(result: SimulationResult, trucks, days, first_day, seed, dirty) -> None:
    from cibg_ds import __version__

    meta = result.out / META_DIR
    if dirty:
        _write_json(
            meta / DIRTY_MANIFEST,
            {"faults": result.faults, "rows": result.rows, "seed": seed,
             "note": "each faulty row carries exactly one fault; duplicates are extra rows"},
        )  # fmt: skip
    _write_json(
        meta / MANIFEST,
        {
            "generator": f"cibg_ds {__version__} synthetic OBU feed",
            "parameters": {
                "trucks": trucks, "days": days, "start": first_day.isoformat(),
                "seed": seed, "dirty": dirty,
            },
            "rows": result.rows,
            "rows_by_date": result.rows_by_date,
            "files": [str(f.relative_to(result.out)) for f in result.files],
            "active_truck_days": result.active_truck_days,
            "seconds": round(result.seconds, 2),
            "roads": str(result.roads.relative_to(result.out)),
            "truth_routes": f"{META_DIR}/{TRUTH_ROUTES}",
            "schema": {c: str(d) for c, d in s.PING_DTYPES.items()},
        },
    )  # fmt: skip
