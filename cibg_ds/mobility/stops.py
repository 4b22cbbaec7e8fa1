"""Stops: the silences between trips (the feed is silent while a truck is parked)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from cibg_ds import schema as s

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
