"""Congestion per grid cell: free-flow speed, Travel Time Index, travel-time reliability.

* free-flow speed = 85th percentile of the off-peak speeds (outside 6-9 h and 16-19 h on
  weekdays, local time);
* Travel Time Index for the morning (6-9 h) and evening (16-19 h) weekday peaks = mean
  peak travel time per km / free-flow travel time per km;
* reliability = 95th / 50th percentile of the travel time per km (all moving fixes).

Spot speeds stand for travel times: a fix at ``v`` km/h takes ``60 / v`` minutes per km.
Fixes slower than ``min_speed`` (standing) are left out.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from cibg_ds import checks
from cibg_ds import schema as s
from cibg_ds.config import get_settings
from cibg_ds.frames import is_dask
from cibg_ds.mobility.aggregate import (
    distinct_by_group,
    merged_chunks,
    quantile_by_group,
    quantiles_by_group,
    whole_groups,
)
from cibg_ds.mobility.grid import CELL, cell_codes, cell_labels, cell_size

AM_PEAK, PM_PEAK = (6, 9), (16, 19)


def _moving(pings: pd.DataFrame, cell, tz, min_speed, codes=None) -> pd.DataFrame:
    """Return the moving fixes: cell code, unit, speed, peak flags (``codes``: cells known)."""
    local = pings[s.TS].dt.tz_convert(tz)
    hour, weekday = local.dt.hour.to_numpy(), local.dt.day_of_week.to_numpy() < 5
    am = weekday & (hour >= AM_PEAK[0]) & (hour < AM_PEAK[1])
    pm = weekday & (hour >= PM_PEAK[0]) & (hour < PM_PEAK[1])
    out = pd.DataFrame(
        {
            # int64 codes, labelled once per cell at the end (not a text id per fix)
            CELL: cell_codes(pings[s.LON], pings[s.LAT], cell) if codes is None else codes,
            s.OBU_ID: pings[s.OBU_ID].array,
            s.SPEED: pings[s.SPEED].astype("float64").to_numpy(),
            "am": am,
            "pm": pm,
        },
        index=pings.index,
    )
    return out[out[s.SPEED] >= min_speed]


def _per_cell(moving: pd.DataFrame, cell) -> pd.DataFrame:
    codes, cells = pd.factorize(moving[CELL].to_numpy(), sort=True)
    n = len(cells)
    units, _ = pd.factorize(moving[s.OBU_ID])  # missing ids (-1) are no vehicle
    known = units >= 0
    vehicles = distinct_by_group(codes[known], units[known], n)
    am, pm = moving["am"].to_numpy(), moving["pm"].to_numpy()
    return _indicators(codes, cells, vehicles, moving[s.SPEED].to_numpy(), am, pm, cell)


def _indicators(codes, cells, vehicles, speed, am, pm, cell) -> pd.DataFrame:
    """Return the indicators of moving fixes in cells ``codes`` (positions in ``cells``)."""
    n = len(cells)
    out = pd.DataFrame({CELL: cells})
    out["n_fixes"] = np.bincount(codes, minlength=n).astype(np.int64)
    out["n_vehicles"] = np.asarray(vehicles).astype(np.int64)
    minutes = 60.0 / speed
    off = ~(am | pm)
    free = quantile_by_group(codes, np.where(off, speed, np.nan), n, 0.85)
    out["free_flow_kmh"] = free
    for peak, mask in (("am", am), ("pm", pm)):
        total = np.bincount(codes[mask], weights=minutes[mask], minlength=n)
        count = np.bincount(codes[mask], minlength=n)
        with np.errstate(divide="ignore", invalid="ignore"):
            out[f"tti_{peak}"] = (total / count) / (60.0 / free)
    p95, p50 = quantiles_by_group(codes, minutes, n, (0.95, 0.50))
    out["reliability"] = p95 / p50
    out[CELL] = cell_labels(cells, cell)
    return out.sort_values(CELL, ignore_index=True)  # the ids' order, as text


PEAK = {"off": 0, "am": 1, "pm": 2}
"""Codes of a moving fix's period in :func:`partial_per_cell` (the peaks never overlap)."""


def partial_per_cell(moving: pd.DataFrame) -> dict:
    """Return what :func:`merge_per_cell` needs of the moving fixes of whole unit histories.

    ``table``: per cell code of the piece (in order), the moving fixes and the distinct
    vehicles, which add up across pieces of disjoint units; ``speeds`` and ``peaks`` (int8
    :data:`PEAK` codes): the fixes in cell order, each cell's in the order of the rows (a
    stable sort); speeds as float32 when that holds them exactly (the canonical speeds).
    """
    codes, cells = pd.factorize(moving[CELL].to_numpy(), sort=True)
    n = len(cells)
    units, _ = pd.factorize(moving[s.OBU_ID])  # missing ids (-1) are no vehicle
    known = units >= 0
    table = pd.DataFrame({CELL: cells, "n_fixes": np.bincount(codes, minlength=n)})
    table["n_vehicles"] = distinct_by_group(codes[known], units[known], n)
    order = np.argsort(codes, kind="stable")
    speed = moving[s.SPEED].to_numpy(np.float64)[order]
    narrow = speed.astype(np.float32)
    peaks = np.where(moving["am"].to_numpy(), PEAK["am"], PEAK["off"]).astype(np.int8)
    peaks[moving["pm"].to_numpy()] = PEAK["pm"]
    exact = np.array_equal(narrow, speed, equal_nan=True)
    return {"table": table, "speeds": narrow if exact else speed, "peaks": peaks[order]}


def merge_per_cell(parts: list[dict], cell, empty: pd.DataFrame) -> pd.DataFrame:
    """Return :func:`_per_cell` of all the pieces' moving fixes from :func:`partial_per_cell`.

    Equal to the bit to ``_per_cell`` of the pieces' moving fixes concatenated in order
    (the peaks' sums add the same values in the same order; quantiles sort them anyway).
    ``empty``: the table when there is no moving fix.
    """
    from cibg_ds.cluster import release_memory

    release_memory()  # what the pieces freed on this worker
    tables = [p["table"] for p in parts if len(p["table"])]
    if not tables:
        return empty
    table = pd.concat(tables, ignore_index=True)
    cells, groups = np.unique(table[CELL].to_numpy(), return_inverse=True)
    n = len(cells)
    vehicles = np.bincount(groups, weights=table["n_vehicles"].to_numpy(), minlength=n)
    lengths = [len(p["table"]) for p in parts if len(p["table"])]
    values = [[p["speeds"], p["peaks"]] for p in parts if len(p["table"])]
    chunks = merged_chunks(groups, table["n_fixes"].to_numpy(), lengths, values, n)
    out = []
    for a, b, codes, (speed, peaks) in chunks:  # a range of cells at a time
        am, pm = peaks == PEAK["am"], peaks == PEAK["pm"]
        speed = speed.astype(np.float64)
        out.append(_indicators(codes, cells[a:b], vehicles[a:b], speed, am, pm, cell))
    return pd.concat(out, ignore_index=True).sort_values(CELL, ignore_index=True)


def congestion(pings, *, cell="250m", tz: str | None = None, min_speed: float = 5.0):
    """Congestion indicators per grid cell (see the module docstring).

    Parameters
    ----------
    pings : pandas.DataFrame or dask.dataframe.DataFrame
        Clean canonical pings.
    cell : str or int
        Grid cell size (``"100m"``, ``"250m"``, ``"1km"``).
    tz : str, optional
        Local time zone of the peaks (default the ``timezone`` setting).
    min_speed : float
        km/h; slower fixes are standing, not travelling.

    Returns
    -------
    pandas.DataFrame
        ``cell_id``, ``n_fixes``, ``n_vehicles``, ``free_flow_kmh``, ``tti_am``,
        ``tti_pm`` (NaN without peak or off-peak fixes), ``reliability``.
    """
    checks.frame("pings", pings)
    checks.positive("min_speed", min_speed, zero=True), checks.time_zone("tz", tz)
    cell_size(cell)
    tz = tz or get_settings().timezone
    if not is_dask(pings):
        return _per_cell(_moving(pings, cell, tz, min_speed), cell)
    meta = _moving(pings._meta, cell, tz, min_speed)
    moving = pings.map_partitions(_moving, cell, tz, min_speed, meta=meta)
    return per_cell(moving, cell).compute().sort_values(CELL, ignore_index=True)


def per_cell(moving, cell):
    """Return the lazy indicators of a Dask frame of moving fixes (see :func:`_moving`)."""
    meta = _per_cell(moving._meta, cell)
    return whole_groups(moving, CELL).map_partitions(_per_cell, cell, meta=meta)
