"""Trips: per unit, a new trip starts after a silence longer than ``gap``.

The kilometre-charge feed is silent while a truck is parked, so a silence is a stop.
Work is done on rows sorted by unit and time, with group boundaries found by comparing
neighbours: no Python loop over fixes or units.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from cibg_ds import schema as s
from cibg_ds.errors import ParameterError
from cibg_ds.mobility.geo import commune_of, region, to_metric
from cibg_ds.mobility.units import by_unit, sort_by_unit, unit_starts

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


def gap_ns(gap) -> int:
    """Return a gap (``"5min"``, a Timedelta or seconds) in nanoseconds."""
    try:
        value = pd.Timedelta(gap if not isinstance(gap, (int, float)) else gap * 1e9)
    except (TypeError, ValueError):
        raise ParameterError(f"gap must be a duration such as '5min', got {gap!r}") from None
    if value <= pd.Timedelta(0):
        raise ParameterError(f"gap must be positive, got {gap!r}")
    return int(value.value)


def label_trips(pings: pd.DataFrame, gap="5min") -> pd.DataFrame:
    """Return the pings sorted by unit and time with ``trip_id`` (0, 1, ... per unit).

    A trip ends where the next fix of the unit comes more than ``gap`` later.
    """
    df, units = sort_by_unit(pings)
    t = s.to_ns(df[s.TS])
    first = unit_starts(units)
    new_trip = first.copy()
    new_trip[1:] |= (t[1:] - t[:-1]) > gap_ns(gap)
    trip_number = np.cumsum(new_trip) - 1
    unit_first_trip = np.maximum.accumulate(np.where(first, trip_number, 0))
    return df.assign(**{TRIP_ID: trip_number - unit_first_trip})


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
        (EPSG:31370), ``mid_ts``, ``weight_class``, ``euro_class``; index = the row of the
        segment's second fix.
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
            "mid_ts": pd.to_datetime((t[idx] + t[idx - 1]) // 2, utc=True),
            s.WEIGHT_CLASS: trips_pings[s.WEIGHT_CLASS].to_numpy()[idx],
            s.EURO_CLASS: trips_pings[s.EURO_CLASS].to_numpy()[idx],
        },
        index=idx,
    )


def trips_of(pings: pd.DataFrame, gap, communes) -> pd.DataFrame:
    """Return the trips of whole unit histories (pandas; see :func:`segment_trips`)."""
    import shapely

    df = label_trips(pings, gap)
    if df.empty:
        return empty_trips()
    seg = segments(df)
    area = region(communes)
    shapely.prepare(area)
    df["_inside"] = shapely.contains_xy(
        area, *to_metric(df[s.LON].to_numpy(), df[s.LAT].to_numpy())
    )
    key = [s.OBU_ID, TRIP_ID]
    grouped = df.groupby(key, sort=False, observed=True)
    trips = grouped.agg(
        start_ts=(s.TS, "first"), end_ts=(s.TS, "last"),
        start_lat=(s.LAT, "first"), start_lon=(s.LON, "first"),
        end_lat=(s.LAT, "last"), end_lon=(s.LON, "last"),
        n_fixes=(s.TS, "size"), n_fixes_inside=("_inside", "sum"),
        weight_class=(s.WEIGHT_CLASS, "first"), euro_class=(s.EURO_CLASS, "first"),
    ).reset_index()  # fmt: skip
    km = seg.groupby(key, sort=False)["length_m"].sum() / 1000
    trips["distance_km"] = trips.set_index(key).index.map(km).to_numpy(dtype=float)
    trips["distance_km"] = trips["distance_km"].fillna(0.0)
    trips["duration_s"] = (trips["end_ts"] - trips["start_ts"]).dt.total_seconds()
    with np.errstate(divide="ignore", invalid="ignore"):
        speed = trips["distance_km"] / (trips["duration_s"] / 3600)
    trips["mean_speed_kmh"] = speed.where(trips["duration_s"] > 0, 0.0)
    for end in ("start", "end"):
        x, y = to_metric(trips[f"{end}_lon"].to_numpy(), trips[f"{end}_lat"].to_numpy())
        trips[f"{end}_commune"] = commune_of(x, y, communes)
    return trips[list(TRIP_COLUMNS)].astype(TRIP_COLUMNS)


def empty_trips() -> pd.DataFrame:
    """Return an empty trips table with the right columns and dtypes (the Dask ``meta``)."""
    return pd.DataFrame({c: pd.Series(dtype=d) for c, d in TRIP_COLUMNS.items()})


def segment_trips(pings, gap="5min", communes=None):
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
        One row per trip, columns :data:`TRIP_COLUMNS`.

    Examples
    --------
    >>> import pandas as pd
    >>> ts = pd.to_datetime(["2026-11-03 08:00:00", "2026-11-03 08:00:30", "2026-11-03 09:00:00"],
    ...                     utc=True)
    >>> fixes = pd.DataFrame({"obu_id": "a", "ts": ts, "lat": [50.85, 50.851, 50.86],
    ...                       "lon": 4.35, "weight_class": ">32t", "euro_class": 6})
    >>> segment_trips(fixes)["n_fixes"].tolist()
    [2, 1]
    """
    gap_ns(gap)  # a bad gap fails here, before any work
    return by_unit(pings, trips_of, empty_trips(), gap, communes)
