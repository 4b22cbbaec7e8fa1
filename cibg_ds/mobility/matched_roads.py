"""Per-road indicators from matched paths: every edge driven counts, between fixes too."""

from __future__ import annotations

import numpy as np
import pandas as pd

from cibg_ds import schema as s
from cibg_ds.io.roads import SEGMENT
from cibg_ds.mobility.aggregate import MEASURES, _binned, _stats
from cibg_ds.mobility.grid import time_bins

FULL_SHARE = 0.5
"""A traversal gives a speed when it covers at least this share of its edge."""


class _Given:
    """A place callable that returns places already known, row for row (see ``_binned``)."""

    key = SEGMENT

    def __init__(self, values):
        self.values = np.asarray(values)

    def __call__(self, lon, lat) -> np.ndarray:
        return self.values


def traversals(path: pd.DataFrame) -> pd.DataFrame:
    """Return the path rows with their speed (km/h; NaN for short pieces or no time).

    Parameters
    ----------
    path : pandas.DataFrame
        ``MatchResult.path`` of :func:`cibg_ds.mobility.map_match`.

    Returns
    -------
    pandas.DataFrame
        The rows, with ``seconds`` (exit minus entry) and ``speed_kmh`` (length driven
        over time, where the piece covers at least half of its edge and took time).
    """
    seconds = (path["exit_ts"] - path["entry_ts"]).dt.total_seconds().to_numpy()
    full = path["length_m"].to_numpy() >= FULL_SHARE * path["edge_length_m"].to_numpy()
    with np.errstate(invalid="ignore", divide="ignore"):
        speed = np.where(full & (seconds > 0), path["length_m"].to_numpy() / seconds * 3.6, np.nan)
    return path.assign(seconds=seconds, speed_kmh=speed)


def aggregate_matched(
    pings, roads=None, by="hour", tz: str | None = None, gap="5min", radius_m=None
) -> pd.DataFrame:
    """Aggregate map-matched traversals per road segment x time bin.

    Parameters
    ----------
    pings : pandas.DataFrame or dask.dataframe.DataFrame
        Clean canonical pings.
    roads : geopandas.GeoDataFrame, optional
        Segments (:func:`cibg_ds.io.load_roads`); default: the embedded OSM network.
    by, tz : str
        Time bin and local time zone, as in :func:`cibg_ds.mobility.aggregate`; a
        traversal belongs to the bin of its entry time.
    gap : str
        A silence longer than this ends a trip.
    radius_m : float, optional
        Candidate radius of :func:`cibg_ds.mobility.map_match` (default 50 m).

    Returns
    -------
    pandas.DataFrame
        The columns of :func:`cibg_ds.mobility.aggregate_roads`: ``n_fixes`` (fixes
        matched to the segment), ``n_vehicles`` (distinct vehicles that drove it, with a
        fix on it or not), ``vkm`` (length driven), ``speed_mean`` and ``speed_p85`` (of
        the traversals' speeds from their entry and exit times) and the shares (of
        traversals); plus ``n_traversals``. ``attrs``: ``unsnapped_fixes`` (no road
        within the radius), ``breaks``, ``max_distance_m``.
    """
    from cibg_ds.config import get_settings
    from cibg_ds.mobility.matching import RADIUS_M, map_match
    from cibg_ds.mobility.roads import default_roads

    tz = tz or get_settings().timezone
    roads = default_roads() if roads is None else roads
    radius_m = RADIUS_M if radius_m is None else radius_m
    result = map_match(pings, roads=roads, radius_m=radius_m, gap=gap)
    out = matched_table(result, pings, roads, by, tz)
    out.attrs["max_distance_m"] = float(radius_m)
    return out


def matched_table(result, pings, roads, by="hour", tz: str | None = None) -> pd.DataFrame:
    """Return the per-segment table of :func:`aggregate_matched` from a match already made.

    Parameters
    ----------
    result : MatchResult
        :func:`cibg_ds.mobility.map_match` of ``pings``.
    pings : pandas.DataFrame or dask.dataframe.DataFrame
        The pings matched (their weight, Euro class and country give the shares).
    roads : geopandas.GeoDataFrame
        The network matched on.
    by, tz : str
        As in :func:`aggregate_matched`.

    Returns
    -------
    pandas.DataFrame
        As :func:`aggregate_matched`.
    """
    from cibg_ds.config import get_settings

    tz = tz or get_settings().timezone
    path = traversals(result.path)
    columns = [c for c in (s.WEIGHT_CLASS, s.EURO_CLASS, s.COUNTRY) if c in pings.columns]
    units = pings[[s.OBU_ID, *columns]].drop_duplicates(s.OBU_ID)
    if hasattr(units, "compute"):
        units = units.compute()
    rows = path[[s.OBU_ID]].astype({s.OBU_ID: "string"}).merge(
        units.astype({s.OBU_ID: "string"}), on=s.OBU_ID, how="left"
    )  # fmt: skip
    rows[s.TS] = path["entry_ts"].array  # not to_numpy(): Timestamp objects, one by one
    rows[s.SPEED] = path["speed_kmh"].to_numpy()
    rows[s.LON] = rows[s.LAT] = np.nan
    binned = _binned(rows, _Given(path[SEGMENT].to_numpy()), by, tz, MEASURES)
    keys = [SEGMENT, *time_bins(pd.Series(pd.to_datetime([], utc=True)), by, tz).columns]
    out = _stats(binned, keys).rename(columns={"n_fixes": "n_traversals"})
    lengths = binned[keys].assign(vkm=path["length_m"].to_numpy() / 1000)
    vkm = lengths.groupby(keys, sort=True, observed=True)["vkm"].sum().reset_index()
    out = out.merge(vkm, on=keys, how="left")
    fixes = result.fixes[result.fixes[SEGMENT].notna()]
    fix_bins = time_bins(fixes[s.TS], by, tz).assign(**{SEGMENT: fixes[SEGMENT].to_numpy()})
    n_fixes = fix_bins.groupby(keys, sort=True, observed=True).size().rename("n_fixes")
    # a fix in the next bin than its traversal's entry: a row without traversals
    out = out.merge(n_fixes.reset_index(), on=keys, how="outer")
    counts = ["n_fixes", "n_vehicles", "n_traversals"]
    out[counts] = out[counts].fillna(0).astype("int64")
    out["vkm"] = out["vkm"].fillna(0.0)
    out[SEGMENT] = out[SEGMENT].astype(pd.Series(roads[SEGMENT]).dtype)
    first = [*keys, "n_fixes", "n_vehicles", "vkm", "speed_mean", "speed_p85", "n_traversals"]
    out = out[first + [c for c in out.columns if c not in first]]
    out.attrs["unsnapped_fixes"] = result.unmatched_fixes
    out.attrs["breaks"] = result.breaks
    return out
