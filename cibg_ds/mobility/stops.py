"""Stops: the silences between trips and the stationary stops of units that keep reporting.

The kilometre-charge feed is silent while a truck is parked; some units keep reporting
for a few minutes (see :mod:`cibg_ds.mobility.stationary`).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from cibg_ds import checks
from cibg_ds import schema as s
from cibg_ds.frames import compute_frame, is_dask
from cibg_ds.mobility.geo import commune_of, to_metric
from cibg_ds.mobility.stationary import stationary_centres, stationary_rows
from cibg_ds.mobility.tracks import (
    TRIPS_HINT,
    Tracks,
    gap_ns,
    require_fixes,
    strings,
    table,
    utc_array,
)
from cibg_ds.mobility.units import by_unit

STOP_COLUMNS = {
    s.OBU_ID: pd.StringDtype(),
    "start_ts": s.PING_DTYPES[s.TS],
    "end_ts": s.PING_DTYPES[s.TS],
    "lat": "float64",
    "lon": "float64",
    "commune": pd.StringDtype(),
    "duration_s": "float64",
    "kind": pd.StringDtype(),
}
_KINDS = pd.array(["silence", "stationary"], dtype=pd.StringDtype())


def silence_stops(trips: pd.DataFrame) -> pd.DataFrame:
    """Return one stop per silence between consecutive trips of a unit.

    Parameters
    ----------
    trips : pandas.DataFrame
        Output of :func:`cibg_ds.mobility.segment_trips`.

    Returns
    -------
    pandas.DataFrame
        Columns :data:`STOP_COLUMNS`, ``kind == "silence"``, placed where the earlier trip
        ended.
    """
    checks.frame("trips", trips)
    checks.columns(
        "silence_stops: trips", trips.columns, [s.OBU_ID, "start_ts", "end_ts"], TRIPS_HINT
    )
    trips = compute_frame(trips) if is_dask(trips) else trips  # a small table
    t = trips.sort_values([s.OBU_ID, "start_ts"], ignore_index=True)
    units = t[s.OBU_ID].to_numpy(dtype=object)
    nxt = np.flatnonzero(units[1:] == units[:-1])  # trip i is followed by trip i+1
    stops = pd.DataFrame(
        {
            s.OBU_ID: t[s.OBU_ID].to_numpy()[nxt],
            "start_ts": t["end_ts"].to_numpy()[nxt],
            "end_ts": t["start_ts"].to_numpy()[nxt + 1],
            "lat": t["end_lat"].to_numpy()[nxt],
            "lon": t["end_lon"].to_numpy()[nxt],
            "commune": t["end_commune"].to_numpy()[nxt],
            "kind": "silence",
        }
    )
    stops["start_ts"] = pd.to_datetime(stops["start_ts"], utc=True)
    stops["end_ts"] = pd.to_datetime(stops["end_ts"], utc=True)
    stops["duration_s"] = (stops["end_ts"] - stops["start_ts"]).dt.total_seconds()
    return stops[list(STOP_COLUMNS)].astype(STOP_COLUMNS)


def stops_of_tracks(tracks: Tracks, max_diameter, min_duration, communes) -> pd.DataFrame:
    """Both kinds of stops of prepared unit histories (see :func:`detect_stops`).

    The silences between consecutive trips of a unit come from the fixes (no trip table);
    the table is built once, each column in its final dtype, in unit then time order.
    """
    keep = tracks.is_trip
    starts, ends = tracks.starts[keep], tracks.ends[keep]
    nxt = np.flatnonzero(tracks.units[starts[1:]] == tracks.units[ends[:-1]])
    before, after = ends[nxt], starts[nxt + 1]  # a silence: from the fix before to the one after
    first, last = stationary_rows(tracks, max_diameter, min_duration)
    centre_lat, centre_lon = stationary_centres(tracks, first, last)
    join = np.concatenate
    begin, end = join([before, first]), join([after, last])  # each stop's first and last fix
    lat, lon = join([tracks.lat[before], centre_lat]), join([tracks.lon[before], centre_lon])
    silent = join([np.ones(len(before), bool), np.zeros(len(first), bool)])
    missing_ids = len(tracks) and tracks.units[0] < 0
    # rows are in unit then time order, and no two stops start at one fix: sort by that row
    order = slice(None) if missing_ids else np.argsort(begin, kind="stable")
    begin, end, lat, lon, silent = begin[order], end[order], lat[order], lon[order], silent[order]
    x, y = to_metric(lon, lat)  # these points only
    t = tracks.t
    stops = table(
        {
            s.OBU_ID: tracks.ids(begin),
            "start_ts": utc_array(t[begin]),
            "end_ts": utc_array(t[end]),
            "lat": lat,
            "lon": lon,
            "commune": strings(commune_of(x, y, communes)),
            "duration_s": ((t[end] - t[begin]) / 10**9).astype(np.float64),
            "kind": _KINDS.take(np.where(silent, 0, 1)),
        }
    )
    if missing_ids:  # missing unit ids: sorted as pandas sorts them
        return stops.sort_values([s.OBU_ID, "start_ts"], ignore_index=True)
    return stops


def _empty_stops() -> pd.DataFrame:
    """Return an empty stops table with the right columns and dtypes (the Dask ``meta``)."""
    return pd.DataFrame({c: pd.Series(dtype=d) for c, d in STOP_COLUMNS.items()})


def _stops(pings: pd.DataFrame, max_diameter, min_duration, gap, communes) -> pd.DataFrame:
    tracks = Tracks(pings, gap, "detect_stops")
    return stops_of_tracks(tracks, max_diameter, min_duration, communes)


def detect_stops(pings, *, max_diameter=100.0, min_duration="3min", gap="5min", communes=None):
    """One stops table: stationary stops and the silences between trips.

    Parameters
    ----------
    pings : pandas.DataFrame or dask.dataframe.DataFrame
        Clean canonical pings.
    max_diameter : float
        Metres; a stationary stop stays within this diameter (MovingPandas' definition).
    min_duration : str
        Shortest stationary stop.
    gap : str
        Silences longer than this are stops (and end trips, as in ``segment_trips``).
    communes : geopandas.GeoDataFrame, optional
        For the ``commune`` of each stop (NIS code or ``"outside"``).

    Returns
    -------
    pandas.DataFrame or dask.dataframe.DataFrame
        Columns :data:`STOP_COLUMNS`; ``kind`` is ``"silence"`` (between two trips, as
        :func:`silence_stops` of :func:`cibg_ds.mobility.segment_trips` gives them: a
        one-fix piece is no trip, so a silence may hold a lone fix) or ``"stationary"``
        (as MovingPandas' ``TrajectoryStopDetector`` finds them on the trips of
        ``ObservationGapSplitter(gap)``; see :func:`cibg_ds.mobility.stationary_stops`).
        The trip table is not built.

    Examples
    --------
    A truck parked ten minutes (a fix every 30 s at one spot), then driving north:

    >>> import numpy as np
    >>> import pandas as pd
    >>> ts = pd.date_range("2026-11-03 08:00", periods=41, freq="30s", tz="UTC")
    >>> lat = np.r_[np.full(21, 50.85), 50.85 + np.arange(1, 21) * 0.001]
    >>> fixes = pd.DataFrame({"obu_id": "a", "ts": ts, "lat": lat, "lon": 4.35})
    >>> stops = detect_stops(fixes)
    >>> stops["kind"].tolist(), stops["duration_s"].tolist()
    (['stationary'], [600.0])
    """
    checks.frame("pings", pings)
    checks.frame("communes", communes, geo=True, optional=True)
    checks.positive("max_diameter", max_diameter)
    gap_ns(min_duration, "min_duration")
    gap_ns(gap)  # bad durations fail here, before any work
    require_fixes(pings.columns, "detect_stops")
    return by_unit(pings, _stops, _empty_stops, max_diameter, min_duration, gap, communes)
