"""Truck trajectories: cleaning, trips, stops and vehicle-kilometres, on pandas or Dask.

Dask rule: row-level frames stay lazy, tables come back as pandas. Fixes, trips and stops
of Dask input are Dask (``clean``'s kept fixes, ``segment_trips``, ``detect_stops``);
aggregated tables are pandas whatever the input (``clean``'s report, ``vehicle_km``,
``aggregate``, ``aggregate_roads``, ``congestion``, ``od_table``, ``through_share``), and
the functions of a trips or stops table accept a Dask one and compute it. ``flag_fixes``,
``label_trips`` and ``stationary_stops`` work per unit on pandas.

Options with a default are keyword-only; every public function checks its parameters
first (:mod:`cibg_ds.checks`).
"""

from cibg_ds.mobility.aggregate import aggregate
from cibg_ds.mobility.bottlenecks import Bottlenecks, bottleneck_change, bottlenecks
from cibg_ds.mobility.clean import clean, flag_fixes
from cibg_ds.mobility.congestion import congestion
from cibg_ds.mobility.matching import MatchResult, map_match, route_accuracy
from cibg_ds.mobility.od import od_matrix, od_table, through_share, through_trips
from cibg_ds.mobility.profiles import (
    hourly_profile,
    isolation_anomalies,
    robust_anomalies,
    unusual_days,
)
from cibg_ds.mobility.roads import RoadSnapper, aggregate_roads, default_roads
from cibg_ds.mobility.stationary import stationary_stops
from cibg_ds.mobility.stops import detect_stops, silence_stops
from cibg_ds.mobility.trips import label_trips, segment_trips
from cibg_ds.mobility.vkm import vehicle_km

__all__ = [
    "Bottlenecks",
    "MatchResult",
    "RoadSnapper",
    "aggregate",
    "aggregate_roads",
    "bottleneck_change",
    "bottlenecks",
    "clean",
    "congestion",
    "default_roads",
    "detect_stops",
    "flag_fixes",
    "hourly_profile",
    "isolation_anomalies",
    "label_trips",
    "map_match",
    "od_matrix",
    "od_table",
    "robust_anomalies",
    "route_accuracy",
    "segment_trips",
    "silence_stops",
    "stationary_stops",
    "through_share",
    "through_trips",
    "unusual_days",
    "vehicle_km",
]
