"""Trips, stops and vehicle-km of the same fixes in one pass: one sort, one projection.

What :func:`cibg_ds.mobility.segment_trips`, :func:`cibg_ds.mobility.detect_stops` and
:func:`cibg_ds.mobility.vehicle_km` return, from one :class:`~cibg_ds.mobility.tracks.Tracks`
per partition of units: for callers that need all three (the mobility report).
"""

from __future__ import annotations

import pandas as pd

from cibg_ds import schema as s
from cibg_ds.config import get_settings
from cibg_ds.frames import is_dask
from cibg_ds.mobility.stops import stops_of_tracks
from cibg_ds.mobility.tracks import Tracks, gap_ns
from cibg_ds.mobility.trips import trips_of_tracks
from cibg_ds.mobility.units import regroup
from cibg_ds.mobility.vkm import merge_vkm, vkm_of_segments


def _tables(pings: pd.DataFrame, gap, communes, tz, max_diameter, min_duration):
    tracks = Tracks(pings, gap, "trajectory_tables")
    return (
        trips_of_tracks(tracks, communes),
        stops_of_tracks(tracks, max_diameter, min_duration, communes),
        vkm_of_segments(tracks.segments, communes, tz),
    )


def trajectory_tables(
    pings, gap="5min", communes=None, tz: str | None = None, max_diameter=100.0,
    min_duration="3min",
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:  # fmt: skip
    """Return ``(trips, stops, vkm)`` of the same fixes, computed together.

    Parameters
    ----------
    pings : pandas.DataFrame or dask.dataframe.DataFrame
        Clean canonical pings; on Dask regrouped by unit once (not at all when they come
        from :func:`cibg_ds.mobility.clean`).
    gap, communes
        As in :func:`cibg_ds.mobility.segment_trips`.
    tz : str, optional
        As in :func:`cibg_ds.mobility.vehicle_km`.
    max_diameter, min_duration
        As in :func:`cibg_ds.mobility.detect_stops`.

    Returns
    -------
    tuple of pandas.DataFrame
        Equal to ``segment_trips(pings, gap)``, ``detect_stops(pings, max_diameter,
        min_duration, gap)`` and ``vehicle_km(pings, gap, tz=tz)``, computed (on Dask too).
    """
    gap_ns(gap), gap_ns(min_duration, "min_duration")
    tz = tz or get_settings().timezone
    args = (gap, communes, tz, max_diameter, min_duration)
    if not is_dask(pings):
        return _tables(pings, *args)
    import dask

    parts = regroup(pings).to_delayed()
    done = dask.compute(*[dask.delayed(_tables)(part, *args) for part in parts])
    trips = pd.concat([d[0] for d in done], ignore_index=True)
    stops = pd.concat([d[1] for d in done], ignore_index=True)
    stops = stops.sort_values([s.OBU_ID, "start_ts"], ignore_index=True)
    return trips, stops, merge_vkm([d[2] for d in done])
