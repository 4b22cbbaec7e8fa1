"""The map-matched tables of the mobility report: volumes on every road, truck bottlenecks."""

from __future__ import annotations

import pandas as pd

from cibg_ds.io.roads import SEGMENT
from cibg_ds.mobility import bottlenecks, map_match
from cibg_ds.mobility.matched_roads import matched_table

TOP = 10
HOUR_COLUMNS = [SEGMENT, "hour", "n_vehicles", "n_traversals", "delay_veh_h", "tti", "pti",
                "reliability"]  # fmt: skip


def matched_tables(kept, roads, k: int, top: int = TOP, seed: int = 0) -> dict[str, pd.DataFrame]:
    """Match the clean fixes once; return the report's matched tables (not yet suppressed).

    Parameters
    ----------
    kept : pandas.DataFrame or dask.dataframe.DataFrame
        Clean pings.
    roads : geopandas.GeoDataFrame
        The network.
    k : int
        Only segments driven by at least ``k`` distinct trucks are ranked.
    top : int
        Bottlenecks listed (default 10).
    seed : int
        Seed of the bootstrap of the rank intervals.

    Returns
    -------
    dict of str to pandas.DataFrame
        ``matched_roads`` (segment x daytype, :func:`cibg_ds.mobility.aggregate_roads`
        with ``matched=True``), ``bottlenecks`` (the ranking of
        :func:`cibg_ds.mobility.bottlenecks`) and ``bottleneck_hours`` (the ranked
        segments' delay per local hour).
    """
    result = map_match(kept, roads=roads)
    volumes = matched_table(result, kept, roads, by="daytype")
    found = bottlenecks(result, roads=roads, k=k, top=top, seed=seed)
    hours = found.by_bin[found.by_bin[SEGMENT].isin(found.ranking[SEGMENT])]
    return {
        "matched_roads": volumes,
        "bottlenecks": found.ranking,
        "bottleneck_hours": hours[HOUR_COLUMNS].reset_index(drop=True),
    }
