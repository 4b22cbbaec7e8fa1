"""The mobility report's fix-level tables from one pass over each partition of units.

:func:`indicator_tables` returns what :func:`cibg_ds.mobility.tables.trajectory_tables`,
:func:`cibg_ds.mobility.aggregate` (with vehicle-km), :func:`cibg_ds.mobility.aggregate_roads`
and :func:`cibg_ds.mobility.congestion` return for the same fixes, equal to them, but each
partition is sorted, cut into pieces and projected once (one :class:`Tracks`), its fixes
placed in cells and snapped to roads once, and on Dask the whole lot is one computation:
the statistics' regroupings by cell and by segment are the only data moved, and a frame of
one partition (the demo week) moves none.
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
    merge_place_vkm,
    stats_of_binned,
)
from cibg_ds.mobility.congestion import _moving, _per_cell, per_cell
from cibg_ds.mobility.grid import CELL
from cibg_ds.mobility.roads import RoadSnapper, finish_roads
from cibg_ds.mobility.stops import stops_of_tracks
from cibg_ds.mobility.tracks import Tracks
from cibg_ds.mobility.trips import trips_of_tracks
from cibg_ds.mobility.units import regroup
from cibg_ds.mobility.vkm import merge_vkm, vkm_of_segments

MIN_SPEED = 5.0
"""km/h: the congestion indicators' standing speed (:func:`cibg_ds.mobility.congestion`)."""


def _part(pings: pd.DataFrame, grid, snapper, by, tz, gap) -> dict:
    """Every per-partition product of whole unit histories, from one :class:`Tracks`."""
    tracks = Tracks(pings, gap, "mobility_report")
    cells = _binned(pings, grid, by, tz, MEASURES)
    roads = _binned(pings, snapper, by, tz, MEASURES)
    return {
        "trips": trips_of_tracks(tracks, None),
        "stops": stops_of_tracks(tracks, 100.0, "3min", None),
        "vkm": vkm_of_segments(tracks.segments, None, tz),
        "cells": cells,
        "cells_vkm": _vkm(pings, grid, by, tz, gap, cells[grid.key].array, tracks),
        "roads": roads,
        "roads_vkm": _vkm(pings, snapper, by, tz, gap, roads[snapper.key].array, tracks),
        "moving": _moving(pings, grid.cell, tz, MIN_SPEED, cells[grid.key].to_numpy()),
    }


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
        trips, stops, vkm, cells, segments, jams = _on_dask(
            kept, grid, snapper, by, tz, gap, cell_keys, road_keys
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


def _on_dask(kept, grid, snapper, by, tz, gap, cell_keys, road_keys):
    import dask
    import dask.dataframe as dd

    from cibg_ds.cluster import compute

    head = kept._meta
    parts = [dask.delayed(_part, pure=True)(p, grid, snapper, by, tz, gap)
             for p in regroup(kept).to_delayed()]  # fmt: skip

    def frame(name: str, meta: pd.DataFrame):
        # the partitions as they are: no conversion of their text to Dask's string dtype,
        # as a frame of map_partitions keeps it (the public functions' path)
        with dask.config.set({"dataframe.convert-string": False}):
            return dd.from_delayed([p[name] for p in parts], meta=meta, verify_meta=False)

    lazy = {
        "cells": stats_of_binned(frame("cells", _binned(head, grid, by, tz, MEASURES)), cell_keys),
        "roads": stats_of_binned(
            frame("roads", _binned(head, snapper, by, tz, MEASURES)), road_keys
        ),
        "congestion": per_cell(frame("moving", _moving(head, grid.cell, tz, MIN_SPEED)), grid.cell),
    }
    tasks = [p[name] for name in PER_PART for p in parts]
    for table in lazy.values():
        tasks += table.to_delayed()
    results = iter(compute(tasks, "mobility indicators"))  # one computation, in order
    got = {name: [next(results) for _ in parts] for name in PER_PART}
    got.update({name: [next(results) for _ in range(t.npartitions)] for name, t in lazy.items()})
    stops = pd.concat(got["stops"], ignore_index=True)
    cells = _concat(got["cells"], lazy["cells"]._meta).sort_values(cell_keys, ignore_index=True)
    roads = _concat(got["roads"], lazy["roads"]._meta).sort_values(road_keys, ignore_index=True)
    cell_vkm = _concat(got["cells_vkm"], _vkm(head, grid, by, tz, gap))
    road_vkm = _concat(got["roads_vkm"], _vkm(head, snapper, by, tz, gap))
    return (
        pd.concat(got["trips"], ignore_index=True),
        stops.sort_values([s.OBU_ID, "start_ts"], ignore_index=True),
        merge_vkm(got["vkm"]),
        finish_places(cells, merge_place_vkm(cell_vkm, cell_keys), grid, cell_keys),
        finish_places(roads, merge_place_vkm(road_vkm, road_keys), snapper, road_keys),
        _concat(got["congestion"], lazy["congestion"]._meta).sort_values(CELL, ignore_index=True),
    )
