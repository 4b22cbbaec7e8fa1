"""Origin-destination matrices and through traffic, from the trips table."""

from __future__ import annotations

import pandas as pd

from cibg_ds import checks
from cibg_ds import schema as s
from cibg_ds.frames import compute_frame, is_dask
from cibg_ds.mobility.tracks import TRIPS_HINT
from cibg_ds.schema import BRUSSELS_NIS, OUTSIDE

LABELS = (*BRUSSELS_NIS, OUTSIDE)


def od_table(trips: pd.DataFrame) -> pd.DataFrame:
    """Trips and distinct vehicles per (origin, destination) commune, ``outside`` included."""
    checks.frame("trips", trips)
    checks.columns(
        "od_table: trips", trips.columns, [s.OBU_ID, "start_commune", "end_commune"], TRIPS_HINT
    )
    if is_dask(trips):  # a small table: the trip ends are computed (the package's Dask rule)
        trips = compute_frame(trips[[s.OBU_ID, "start_commune", "end_commune"]], "od_table")
    grouped = trips.groupby(["start_commune", "end_commune"], observed=True)
    out = grouped.agg(n_trips=(s.OBU_ID, "size"), n_vehicles=(s.OBU_ID, "nunique"))
    out.index.names = ["origin", "destination"]
    return out.reset_index()


def od_matrix(table: pd.DataFrame, *, value: str = "n_trips") -> pd.DataFrame:
    """Pivot an (optionally suppressed) OD table to a 20 x 20 matrix of communes + outside."""
    checks.frame("table", table)
    checks.column("value", value, table, numeric=True)
    checks.columns(
        "od_matrix: table", table.columns, ["origin", "destination"], "make it with od_table(trips)"
    )
    # keys are unique and blanked cells must stay NA, which pivot_table would drop
    matrix = table.pivot(index="origin", columns="destination", values=value)  # noqa: PD010
    return matrix.reindex(index=list(LABELS), columns=list(LABELS))


def through_trips(trips: pd.DataFrame, *, stops: pd.DataFrame | None = None) -> pd.Series:
    """Flag the trips that enter and leave the region without stopping inside.

    A through trip starts and ends outside, has fixes inside, and (when ``stops`` are
    given) no stationary stop inside the region during the trip.
    """
    checks.frame("trips", trips)
    checks.frame("stops", stops, optional=True)
    checks.columns(
        "through_trips: trips",
        trips.columns,
        [s.OBU_ID, "start_ts", "end_ts", "start_commune", "end_commune", "n_fixes_inside"],
        TRIPS_HINT,
    )
    trips, stops = (compute_frame(f) if is_dask(f) else f for f in (trips, stops))
    through = (
        (trips["start_commune"] == OUTSIDE)
        & (trips["end_commune"] == OUTSIDE)
        & (trips["n_fixes_inside"] > 0)
    )
    if stops is not None and len(stops):
        inside = stops[(stops["kind"] == "stationary") & (stops["commune"] != OUTSIDE)]
        pairs = trips[[s.OBU_ID, "start_ts", "end_ts"]].reset_index().merge(inside, on=s.OBU_ID)
        during = (pairs["start_ts_y"] >= pairs["start_ts_x"]) & (
            pairs["end_ts_y"] <= pairs["end_ts_x"]
        )
        stopped = pairs.loc[during, "index"].unique()
        through &= ~trips.index.isin(stopped)
    return through


def through_share(trips: pd.DataFrame, by: str, *, stops=None, tz: str = "Europe/Brussels"):
    """Share of trips (and their vehicles) that are through traffic, by ``hour`` or weight.

    Parameters
    ----------
    trips : pandas.DataFrame
    by : str
        ``"hour"`` (local hour of the trip start) or ``"weight_class"``.
    stops : pandas.DataFrame, optional
        From :func:`cibg_ds.mobility.detect_stops`, to exclude trips that stopped inside.
    tz : str

    Returns
    -------
    pandas.DataFrame
        ``by``, ``n_trips``, ``n_through``, ``share_through``, ``n_vehicles``.
    """
    checks.frame("trips", trips), checks.choice("by", by, ("hour", "weight_class"))
    checks.time_zone("tz", tz, optional=False)
    trips, stops = (compute_frame(f) if is_dask(f) else f for f in (trips, stops))
    frame = trips.assign(through=through_trips(trips, stops=stops).to_numpy())
    if by == "hour":
        frame["hour"] = frame["start_ts"].dt.tz_convert(tz).dt.hour
    grouped = frame.groupby(by, observed=True)
    out = grouped.agg(n_trips=("through", "size"), n_through=("through", "sum"),
                      n_vehicles=(s.OBU_ID, "nunique"))  # fmt: skip
    out["share_through"] = out["n_through"] / out["n_trips"]
    return out.reset_index()
