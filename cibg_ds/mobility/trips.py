"""Trips: per unit, a new trip starts after a silence longer than ``gap``.

The kilometre-charge feed is silent while a truck is parked, so a silence is a stop.
Work is done on rows sorted by unit and time, with group boundaries found by comparing
neighbours: no Python loop over fixes or units.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from cibg_ds import checks
from cibg_ds import schema as s
from cibg_ds.mobility.geo import commune_of, inside_region, to_metric
from cibg_ds.mobility.tracks import (
    Tracks,
    column_or_null,
    gap_ns,
    nulls,
    require_fixes,
    strings,
    table,
    utc_array,
    utc_times,
)
from cibg_ds.mobility.units import by_unit

TRIP_ID = "trip_id"
TRIP_COLUMNS = {
    s.OBU_ID: pd.StringDtype(),
    TRIP_ID: "int64",
    "start_ts": s.PING_DTYPES[s.TS],
    "end_ts": s.PING_DTYPES[s.TS],
    "start_lat": "float64",
    "start_lon": "float64",
    "end_lat": "float64",
    "end_lon": "float64",
    "start_commune": pd.StringDtype(),
    "end_commune": pd.StringDtype(),
    "distance_km": "float64",
    "duration_s": "float64",
    "mean_speed_kmh": "float64",
    "n_fixes": "int64",
    "n_fixes_inside": "int64",
    s.WEIGHT_CLASS: s.PING_DTYPES[s.WEIGHT_CLASS],
    s.EURO_CLASS: s.PING_DTYPES[s.EURO_CLASS],
}


def label_trips(pings: pd.DataFrame, *, gap="5min") -> pd.DataFrame:
    """Return the pings sorted by unit and time with ``trip_id`` (0, 1, ... per unit).

    A trip ends where the next fix of the unit comes more than ``gap`` later. A one-fix
    piece between two such silences keeps its number but is no trip (see
    :func:`segment_trips`). Of fixes of a unit with equal times only the first is kept
    (as MovingPandas does; :func:`cibg_ds.mobility.clean` removes the others).
    """
    checks.frame("pings", pings, dask=False)
    gap_ns(gap) if gap is not None else None
    tracks = Tracks(pings, gap, "label_trips")
    return tracks.df.assign(**{TRIP_ID: tracks.trip_id})


def segments(trips_pings: pd.DataFrame) -> pd.DataFrame:
    """Return the segments between consecutive fixes of a trip: length, midpoint, times.

    Parameters
    ----------
    trips_pings : pandas.DataFrame
        Output of :func:`label_trips`.

    Returns
    -------
    pandas.DataFrame
        One row per segment: ``obu_id``, ``trip_id``, ``length_m``, ``mid_x``, ``mid_y``
        (EPSG:31370), ``mid_ts``, ``weight_class``, ``euro_class`` (null when the feed has
        none); index = the row of the segment's second fix.
    """
    x, y = to_metric(trips_pings[s.LON].to_numpy(), trips_pings[s.LAT].to_numpy())
    units = pd.factorize(trips_pings[s.OBU_ID])[0]
    trip = trips_pings[TRIP_ID].to_numpy()
    same = (units[1:] == units[:-1]) & (trip[1:] == trip[:-1])
    t = s.to_ns(trips_pings[s.TS])
    idx = np.flatnonzero(same) + 1
    return pd.DataFrame(
        {
            s.OBU_ID: trips_pings[s.OBU_ID].to_numpy()[idx],
            TRIP_ID: trip[idx],
            "length_m": np.hypot(x[idx] - x[idx - 1], y[idx] - y[idx - 1]),
            "mid_x": (x[idx] + x[idx - 1]) / 2,
            "mid_y": (y[idx] + y[idx - 1]) / 2,
            "mid_ts": utc_times((t[idx] + t[idx - 1]) // 2),
            s.WEIGHT_CLASS: column_or_null(trips_pings, s.WEIGHT_CLASS, idx).to_numpy(),
            s.EURO_CLASS: column_or_null(trips_pings, s.EURO_CLASS, idx).to_numpy(),
        },
        index=idx,
    )


def _first_valid(values: pd.Series, starts: np.ndarray, ends: np.ndarray) -> pd.Series:
    """Per piece, the first non-null value (as a groupby ``first`` gives it)."""
    rows = np.where(values.notna().to_numpy(), np.arange(len(values)), len(values))
    first = np.minimum.reduceat(rows, starts) if len(starts) else rows[:0]
    first = np.where(first <= ends, first, -1)
    out = values.iloc[np.maximum(first, 0)].reset_index(drop=True)
    return out.where(pd.Series(first >= 0))


def trips_of_tracks(tracks: Tracks, communes=None) -> pd.DataFrame:
    """Return the trips of prepared unit histories (see :func:`segment_trips`).

    Every column is built in its final dtype: a small feed pays no per-column cast.
    """
    if not len(tracks):
        return empty_trips()
    keep = tracks.is_trip
    starts, ends = tracks.starts[keep], tracks.ends[keep]
    t = tracks.t
    x, y = tracks.xy
    inside = inside_region(x, y, communes).astype(np.int64)
    lat, lon = tracks.lat, tracks.lon
    n = len(starts)
    ends_code = strings(commune_of(np.concatenate([x[starts], x[ends]]),
                                   np.concatenate([y[starts], y[ends]]), communes))  # fmt: skip
    piece_starts = tracks.starts
    distance = np.add.reduceat(tracks.step_m, piece_starts)[keep] / 1000 if n else np.zeros(0)
    n_inside = np.add.reduceat(inside, piece_starts)[keep] if n else np.zeros(0, np.int64)
    duration = (t[ends] - t[starts]) / 10**9  # as Timedelta.total_seconds() divides
    speed = np.divide(distance, duration / 3600, out=np.zeros(n), where=duration > 0)
    classes = {}
    for column in (s.WEIGHT_CLASS, s.EURO_CLASS):
        if column in tracks.columns:
            values = tracks.column(column).astype(s.PING_DTYPES[column])
            classes[column] = _first_valid(values, piece_starts, tracks.ends)[keep].array
        else:  # a feed without the column: nulls, no per-fix work
            classes[column] = nulls(column, n)
    columns = {
        s.OBU_ID: tracks.ids(starts),
        TRIP_ID: tracks.trip_id[starts].astype(np.int64),
        "start_ts": utc_array(t[starts]),
        "end_ts": utc_array(t[ends]),
        "start_lat": lat[starts],
        "start_lon": lon[starts],
        "end_lat": lat[ends],
        "end_lon": lon[ends],
        "start_commune": ends_code[:n],
        "end_commune": ends_code[n:],
        "distance_km": distance.astype(np.float64),
        "duration_s": duration.astype(np.float64),
        "mean_speed_kmh": speed.astype(np.float64),
        "n_fixes": (ends - starts + 1).astype(np.int64),
        "n_fixes_inside": n_inside.astype(np.int64),
        **classes,
    }
    return table({c: columns[c] for c in TRIP_COLUMNS})


def trips_of(pings: pd.DataFrame, gap, communes) -> pd.DataFrame:
    """Return the trips of whole unit histories (pandas; see :func:`segment_trips`)."""
    return trips_of_tracks(Tracks(pings, gap, "segment_trips"), communes)


def empty_trips() -> pd.DataFrame:
    """Return an empty trips table with the right columns and dtypes (the Dask ``meta``)."""
    return pd.DataFrame({c: pd.Series(dtype=d) for c, d in TRIP_COLUMNS.items()})


def segment_trips(pings, *, gap="5min", communes=None):
    """Split each unit's fixes into trips at silences longer than ``gap``.

    Parameters
    ----------
    pings : pandas.DataFrame or dask.dataframe.DataFrame
        Clean canonical pings (see :func:`cibg_ds.mobility.clean`). On Dask they may be
        partitioned by day: units are regrouped first, so a trip past midnight is one trip.
    gap : str, Timedelta or float
        Longest silence inside a trip (``"5min"``; a float is seconds).
    communes : geopandas.GeoDataFrame, optional
        For ``start_commune`` / ``end_commune`` (NIS code or ``"outside"``).

    Returns
    -------
    pandas.DataFrame or dask.dataframe.DataFrame
        One row per trip, columns :data:`TRIP_COLUMNS`. A trip has two fixes or more: a
        single fix between two silences longer than ``gap`` is no trip (MovingPandas'
        rule, a trajectory needs two points; its ``trip_id`` is skipped, as MovingPandas
        skips its number), so ``n_fixes`` adds up to the fixes minus such lone fixes.
        ``weight_class`` and ``euro_class`` are null when the feed has no such column.

    Raises
    ------
    cibg_ds.errors.InputError
        When ``obu_id``, ``ts``, ``lat`` or ``lon`` is missing (the only columns needed).

    Examples
    --------
    >>> import pandas as pd
    >>> ts = pd.to_datetime(["2026-11-03 08:00:00", "2026-11-03 08:00:30", "2026-11-03 09:00:00"],
    ...                     utc=True)
    >>> fixes = pd.DataFrame({"obu_id": "a", "ts": ts, "lat": [50.85, 50.851, 50.86],
    ...                       "lon": 4.35, "weight_class": ">32t", "euro_class": 6})
    >>> segment_trips(fixes)["n_fixes"].tolist()  # the lone fix at 09:00 is no trip
    [2]
    """
    checks.frame("pings", pings)
    checks.frame("communes", communes, geo=True, optional=True)
    gap_ns(gap)  # a bad gap fails here, before any work
    require_fixes(pings.columns, "segment_trips")
    return by_unit(pings, trips_of, empty_trips, gap, communes)
