"""The mobility report's fix-level tables from one pass over each partition of units.

:func:`indicator_tables` returns what :func:`cibg_ds.mobility.tables.trajectory_tables`,
:func:`cibg_ds.mobility.aggregate` (with vehicle-km), :func:`cibg_ds.mobility.aggregate_roads`
and :func:`cibg_ds.mobility.congestion` return for the same fixes, equal to them, but each
partition is sorted, cut into pieces and projected once (one :class:`Tracks`), its fixes
placed in cells and snapped to roads once, and on Dask the whole lot is one computation.
Each partition holds whole unit histories, so the statistics' counts, distinct vehicles and
share counts add up across partitions: each reduces its fixes to them and to its speeds in
group order (:func:`cibg_ds.mobility.aggregate.partial_stats`,
:func:`cibg_ds.mobility.congestion.partial_per_cell`, 4-5 bytes a fix), merged on a worker
a range of groups at a time, equal to the bit to the statistics of all the fixes; no binned
fix is regrouped.
"""

from __future__ import annotations

import pandas as pd

from cibg_ds import schema as s
from cibg_ds.frames import is_dask
from cibg_ds.mobility.aggregate import (
    MEASURES,
    GridCells,
    _binned,
    _keys,
    _stats,
    _vkm,
    finish_places,
    merge_partial_stats,
    merge_place_vkm,
    partial_stats,
)
from cibg_ds.mobility.clean import REASON, clean, flag_fixes, removal_report
from cibg_ds.mobility.congestion import _moving, _per_cell, merge_per_cell, partial_per_cell
from cibg_ds.mobility.grid import CELL
from cibg_ds.mobility.roads import RoadSnapper, finish_roads
from cibg_ds.mobility.stops import stops_of_tracks
from cibg_ds.mobility.tracks import Tracks, require_fixes
from cibg_ds.mobility.trips import trips_of_tracks
from cibg_ds.mobility.units import regroup
from cibg_ds.mobility.vkm import merge_vkm, vkm_of_segments

MIN_SPEED = 5.0
"""km/h: the congestion indicators' standing speed (:func:`cibg_ds.mobility.congestion`)."""


def _part(pings: pd.DataFrame, grid, snapper, by, tz, gap, partial: bool = False) -> dict:
    """Every per-partition product of whole unit histories, from one :class:`Tracks`.

    ``partial``: the statistics' fixes reduced to what adds up across pieces of disjoint
    units (:func:`partial_stats`, :func:`partial_per_cell`), not the binned fixes.
    """
    tracks = Tracks(pings, gap, "mobility_report")
    done = {
        "trips": trips_of_tracks(tracks, None),
        "stops": stops_of_tracks(tracks, 100.0, "3min", None),
        "vkm": vkm_of_segments(tracks.segments, None, tz),
    }
    # one binned frame at a time, reduced (partial) before the next: less held at once
    cells = _binned(pings, grid, by, tz, MEASURES)
    done["cells_vkm"] = _vkm(pings, grid, by, tz, gap, cells[grid.key].array, tracks)
    moving = _moving(pings, grid.cell, tz, MIN_SPEED, cells[grid.key].to_numpy())
    done["cells"] = partial_stats(cells, _keys(grid, by)) if partial else cells
    done["moving"] = partial_per_cell(moving) if partial else moving
    del cells, moving
    roads = _binned(pings, snapper, by, tz, MEASURES)
    done["roads_vkm"] = _vkm(pings, snapper, by, tz, gap, roads[snapper.key].array, tracks)
    done["roads"] = partial_stats(roads, _keys(snapper, by)) if partial else roads
    return done


def indicator_tables(kept, *, cell, roads, by, tz: str, gap) -> dict[str, pd.DataFrame]:
    """Return the report's fix-level tables of clean fixes, computed together.

    Parameters
    ----------
    kept : pandas.DataFrame or dask.dataframe.DataFrame
        Clean canonical pings; on Dask each unit in one partition (``clean``'s output).
    cell : str or int
        Grid cell of ``cells`` and ``congestion``.
    roads : geopandas.GeoDataFrame
        The network of ``roads`` (snapping radius 30 m).
    by : str
        Time bin of ``cells`` and ``roads``.
    tz : str
        Local time zone.
    gap : str
        Silence that ends a trip.

    Returns
    -------
    dict of str to pandas.DataFrame
        ``trips``, ``stops``, ``vkm`` (as ``trajectory_tables(kept, gap, tz=tz)``),
        ``cells`` (as ``aggregate(kept, cell=cell, by=by, tz=tz, gap=gap,
        measures=MEASURES)``), ``roads`` (as ``aggregate_roads(kept, roads=roads, by=by,
        tz=tz, gap=gap)``) and ``congestion`` (as ``congestion(kept, cell=cell, tz=tz)``).
    """
    import dask

    grid, snapper = GridCells(cell), RoadSnapper(roads)
    cell_keys, road_keys = _keys(grid, by), _keys(snapper, by)
    if not is_dask(kept):
        done = _part(kept, grid, snapper, by, tz, gap)
        trips, stops, vkm = done["trips"], done["stops"], done["vkm"]
        cells = finish_places(_stats(done["cells"], cell_keys), done["cells_vkm"], grid, cell_keys)
        segments = _stats(done["roads"], road_keys)
        segments = finish_places(segments, done["roads_vkm"], snapper, road_keys)
        jams = _per_cell(done["moving"], grid.cell)
    else:
        parts = [dask.delayed(_part, pure=True)(p, grid, snapper, by, tz, gap, True)
                 for p in regroup(kept).to_delayed()]  # fmt: skip
        (trips, stops, vkm, cells, segments, jams), _ = _on_dask(
            parts, kept._meta, grid, snapper, by, tz, gap, cell_keys, road_keys
        )
    return {
        "trips": trips,
        "stops": stops,
        "vkm": vkm,
        "cells": cells,
        "roads": finish_roads(segments, snapper, roads, len(kept)),
        "congestion": jams,
    }


PER_PART = ("trips", "stops", "vkm", "cells_vkm", "roads_vkm")
"""The products of :func:`_part` that come back as they are, to be concatenated."""


def _concat(tables: list, meta: pd.DataFrame) -> pd.DataFrame:
    """Concatenate computed partitions as :func:`cibg_ds.frames.compute_frame` does."""
    return pd.concat([t for t in tables if len(t)] or [meta], ignore_index=True)


def _on_dask(parts, head, grid, snapper, by, tz, gap, cell_keys, road_keys, extra=()):
    """Compute the tables of the delayed :func:`_part` results ``parts``, in one computation.

    ``head``: the meta of their fixes. Also returns the per-part products named in ``extra``.
    """
    import dask

    from cibg_ds.cluster import compute, release_workers_memory

    # each piece's statistics reduced on its worker (partial_stats); merged on a worker:
    # no binned fix is regrouped, and the client receives the small tables only
    empty = {
        "cells": _stats(_binned(head, grid, by, tz), cell_keys),
        "roads": _stats(_binned(head, snapper, by, tz), road_keys),
        "moving": _per_cell(_moving(head, grid.cell, tz, MIN_SPEED), grid.cell),
    }
    merge = {
        "cells": (merge_partial_stats, cell_keys, empty["cells"]),
        "roads": (merge_partial_stats, road_keys, empty["roads"]),
        "moving": (merge_per_cell, grid.cell, empty["moving"]),
    }
    per_part = (*[name for name in PER_PART if name != "vkm"], *extra)
    tasks = [p[name] for name in per_part for p in parts]
    # merged on a worker, in the same order: the client receives the month's table once
    tasks.append(dask.delayed(merge_vkm, pure=True)([p["vkm"] for p in parts]))
    for name, (fn, keys, empty) in merge.items():
        tasks.append(dask.delayed(fn, pure=True)([p[name] for p in parts], keys, empty))
    results = iter(compute(tasks, "mobility indicators"))  # one computation, in order
    release_workers_memory()  # idle now: the pieces' freed memory back to the system
    got = {name: [next(results) for _ in parts] for name in per_part}
    vkm = next(results)
    merged = {name: next(results) for name in merge}
    stops = pd.concat(got["stops"], ignore_index=True)
    cells = merged["cells"].sort_values(cell_keys, ignore_index=True)
    roads = merged["roads"].sort_values(road_keys, ignore_index=True)
    cell_vkm = _concat(got["cells_vkm"], _vkm(head, grid, by, tz, gap))
    road_vkm = _concat(got["roads_vkm"], _vkm(head, snapper, by, tz, gap))
    tables = (
        pd.concat(got["trips"], ignore_index=True),
        stops.sort_values([s.OBU_ID, "start_ts"], ignore_index=True),
        vkm,
        finish_places(cells, merge_place_vkm(cell_vkm, cell_keys), grid, cell_keys),
        finish_places(roads, merge_place_vkm(road_vkm, road_keys), snapper, road_keys),
        merged["moving"].sort_values(CELL, ignore_index=True),
    )
    return tables, {name: got[name] for name in extra}


def _cleaned_part(raw: pd.DataFrame, grid, snapper, by, tz, gap) -> dict:
    """:func:`_part` of the fixes of whole unit histories that :func:`clean` keeps.

    Also ``clean``: the fixes per removal reason (``""``: kept) and the first and last
    time of the kept fixes (None when none is kept).
    """
    from cibg_ds.cluster import release_memory

    release_memory()  # what the worker's last piece freed (its raw fixes are this one's)
    flagged = flag_fixes(raw)  # clean's defaults, as clean(raw) on each partition
    counts = flagged[REASON].value_counts()
    kept = flagged[flagged[REASON] == ""].drop(columns=[REASON])
    del flagged
    done = _part(kept, grid, snapper, by, tz, gap, partial=True)
    span = (kept[s.TS].min(), kept[s.TS].max()) if len(kept) else None
    done["clean"] = {"counts": {str(r): int(n) for r, n in counts.items()}, "span": span}
    return done


def cleaned_indicator_tables(
    pings, *, cell, roads, by, tz: str, gap, pieces: int | None = None
) -> tuple[dict, pd.DataFrame, dict]:
    """Clean raw fixes and return their :func:`indicator_tables`, never holding them all.

    On Dask the fixes are regrouped by unit into ``pieces`` partitions (default: as many
    as ``pings`` has) and each piece is cleaned and tabulated in one task: no frame of all
    the clean fixes is persisted, so the workers hold a piece at a time (and each piece's
    partial statistics, a few bytes a fix). Every unit's whole history sits in one piece
    (trips across midnight or across days are cut as on one frame); with the same pieces as
    ``clean(pings, persist=True)`` makes, the tables are equal to the bit to
    ``indicator_tables`` of its clean fixes. On pandas: :func:`clean`, then
    :func:`indicator_tables`.

    Parameters
    ----------
    pings : pandas.DataFrame or dask.dataframe.DataFrame
        Raw canonical pings.
    cell, roads, by, tz, gap
        As in :func:`indicator_tables`.
    pieces : int, optional
        Partitions of whole units on Dask (more: smaller pieces, less memory a task).

    Returns
    -------
    tables : dict of str to pandas.DataFrame
        As :func:`indicator_tables` returns.
    report : pandas.DataFrame
        What cleaning removed, as :func:`clean` reports it.
    kept : dict
        ``fixes`` (the clean fixes' count), ``first`` and ``last`` (their first and last
        time, None when there is none).
    """
    if not is_dask(pings):
        kept, report = clean(pings)
        tables = indicator_tables(kept, cell=cell, roads=roads, by=by, tz=tz, gap=gap)
        times = kept[s.TS]
        first, last = (times.min(), times.max()) if len(kept) else (None, None)
        return tables, report, {"fixes": len(kept), "first": first, "last": last}
    import dask

    from cibg_ds.cluster import release_workers_memory

    require_fixes(pings.columns, "clean")
    release_workers_memory()  # before the regrouping: what earlier work freed on the workers
    grid, snapper = GridCells(cell), RoadSnapper(roads)
    cell_keys, road_keys = _keys(grid, by), _keys(snapper, by)
    units = regroup(pings, pieces)
    parts = [dask.delayed(_cleaned_part, pure=True)(p, grid, snapper, by, tz, gap)
             for p in units.to_delayed()]  # fmt: skip
    (trips, stops, vkm, cells, segments, jams), got = _on_dask(
        parts, pings._meta, grid, snapper, by, tz, gap, cell_keys, road_keys, ("clean",)
    )
    counts: dict[str, int] = {}
    for piece in got["clean"]:
        for reason, n in piece["counts"].items():
            counts[reason] = counts.get(reason, 0) + n
    spans = [piece["span"] for piece in got["clean"] if piece["span"] is not None]
    kept = {
        "fixes": counts.get("", 0),
        "first": min((a for a, _ in spans), default=None),
        "last": max((b for _, b in spans), default=None),
    }
    tables = {
        "trips": trips,
        "stops": stops,
        "vkm": vkm,
        "cells": cells,
        "roads": finish_roads(segments, snapper, roads, kept["fixes"]),
        "congestion": jams,
    }
    return tables, removal_report(counts), kept
