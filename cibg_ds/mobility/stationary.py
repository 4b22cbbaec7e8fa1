"""Stops of units that keep reporting while stationary, as MovingPandas detects them.

MovingPandas' ``TrajectoryStopDetector`` walks every fix with a window of recent fixes and
calls the window a stop while the diagonal of its minimum rotated rectangle (geodesic, in
metres) stays under ``max_diameter`` for at least ``min_duration``. We give the same stops
without walking every fix:

* MovingPandas builds the rectangle in degrees and measures one of its diagonals, which is
  never shorter than ``kx / ky`` (metres per degree of longitude over latitude, about 0.63
  in Brussels) times the distance between any two of the fixes. A window holding a step
  longer than ``max_diameter * ky / kx`` is therefore never a stop, so only the runs of
  *quiet* steps (found vectorised) need the walk;
* outside a stop the window is a pure function of the fix index (the fixes of the last
  ``min_duration``, at least two, never before the last reset), so the walk can start at
  each quiet run with the exact window MovingPandas would have there.

The walk itself follows MovingPandas step by step on those few fixes.
"""

from __future__ import annotations

import functools
import itertools
import math

import numpy as np
import pandas as pd

from cibg_ds import schema as s
from cibg_ds.mobility.tracks import Tracks, gap_ns

QUIET_MARGIN = 1.01
"""Safety factor on the quiet-step bound (projected vs geodesic metres differ by < 0.01 %)."""


def _geodesic(lat1, lon1, lat2, lon2) -> float:
    from geographiclib.geodesic import Geodesic

    return Geodesic.WGS84.Inverse(lat1, lon1, lat2, lon2)["s12"]


def _shorter(lat1, lon1, lat2, lon2, limit: float) -> bool:
    """Tell whether the geodesic between two points is shorter than ``limit`` metres."""
    kx, ky = _metres_per_degree(round((lat1 + lat2) / 2, 2))
    approx = math.hypot(kx * (lon2 - lon1), ky * (lat2 - lat1))
    if abs(approx - limit) > limit * _SURE:
        return bool(approx < limit)
    return _geodesic(lat1, lon1, lat2, lon2) < limit


def _mrr_diagonal_shorter(lon: np.ndarray, lat: np.ndarray, limit: float) -> bool:
    """Tell whether the minimum rotated rectangle's diagonal is shorter than ``limit``.

    Measured as MovingPandas measures it: rectangle in degrees, then geodesic metres.
    """
    import shapely

    if len(lon) == 2:
        return _shorter(lat[0], lon[0], lat[1], lon[1], limit)
    mrr = shapely.MultiPoint(np.column_stack([lon, lat])).minimum_rotated_rectangle
    if mrr.geom_type == "Polygon":
        x, y = mrr.exterior.coords.xy
        return _shorter(y[0], x[0], y[2], x[2], limit)
    if mrr.geom_type == "Point":
        return 0.0 < limit
    (x0, y0), (x1, y1) = mrr.coords[0], mrr.coords[-1]
    return _shorter(y0, x0, y1, x1, limit)


_A, _E2 = 6_378_137.0, 0.00669437999014  # WGS84
_SURE = 0.01  # local metres are within 0.01 %; decide exactly only within 1 % of a threshold
_MAX_M_PER_DEG = 111_700.0  # more metres than any degree of latitude or longitude holds


@functools.lru_cache(maxsize=4096)
def _metres_per_degree(lat: float) -> tuple[float, float]:
    """Metres per degree of longitude and of latitude on the WGS84 ellipsoid at ``lat``.

    Callers round ``lat`` to 0.01 degree (0.02 % on the result, well inside ``_SURE``).
    """
    phi = math.radians(lat)
    w = 1 - _E2 * math.sin(phi) ** 2
    return (math.pi / 180 * _A / math.sqrt(w) * math.cos(phi),
            math.pi / 180 * _A * (1 - _E2) / w**1.5)  # fmt: skip


def _stopped(lon: list, lat: list, a: int, i: int, max_diameter: float) -> bool:
    """MovingPandas' test on the window ``a..i``, its geodesics computed only when close.

    The window is a handful of fixes: plain Python on lists beats numpy's call overhead.
    """
    if i - a < 1:
        return False
    w_lon, w_lat = lon[a : i + 1], lat[a : i + 1]
    lo_lon, hi_lon, lo_lat, hi_lat = min(w_lon), max(w_lon), min(w_lat), max(w_lat)
    kx, ky = _metres_per_degree(round((lo_lat + hi_lat) / 2, 2))
    bbox, limit = math.hypot(kx * (hi_lon - lo_lon), ky * (hi_lat - lo_lat)), max_diameter * 1.5
    if bbox > limit * (1 + _SURE):
        return False
    if bbox >= limit * (1 - _SURE) and not _shorter(lo_lat, lo_lon, hi_lat, hi_lon, limit):
        return False
    # the rectangle's diagonal (degrees) is at least the points' extent along either axis
    # and at most sqrt(2) times their extent; a degree holds between kx and 111,700 m
    extent = math.hypot(hi_lon - lo_lon, hi_lat - lo_lat)
    if _MAX_M_PER_DEG * math.sqrt(2) * extent < max_diameter:
        return True
    if min(kx, ky) * max(hi_lon - lo_lon, hi_lat - lo_lat) > max_diameter * (1 + _SURE):
        return False
    return _mrr_diagonal_shorter(np.array(w_lon), np.array(w_lat), max_diameter)


def _walk_unit(t, lon, lat, quiet, max_diameter, min_ns) -> list[tuple[int, int]]:
    """Stop index ranges of one unit: MovingPandas' walk, over its quiet runs only."""
    n = len(t)
    stops: list[tuple[int, int]] = []
    floor = 0  # the last window reset
    steps = np.flatnonzero(quiet)  # step k joins fix k-1 and fix k
    if not len(steps):
        return stops
    breaks = np.flatnonzero(np.diff(steps) > 1)
    runs = zip(steps[np.r_[0, breaks + 1]], steps[np.r_[breaks, len(steps) - 1]], strict=True)
    for first, last in runs:
        # the window at fix first-1, where the unit is certainly not stopped
        j = first - 1
        a = max(floor, min(int(np.searchsorted(t, t[j] - min_ns, side="right")), j - 1), 0)
        was_stopped = is_stopped = False
        for i in range(first, min(last + 1, n - 1) + 1):
            if not was_stopped:
                while i - a + 1 > 2 and t[i] - t[a] >= min_ns:
                    a += 1
            is_stopped = _stopped(lon, lat, a, i, max_diameter)
            if not is_stopped and was_stopped and i - a + 1 > 1 and t[i - 1] - t[a] >= min_ns:
                stops.append((a, i - 1))
                a = floor = i
            was_stopped = is_stopped
        if is_stopped and last == n - 1 and t[n - 1] - t[a] >= min_ns:
            stops.append((a, n - 1))
    return stops


def stationary_of_tracks(tracks: Tracks, max_diameter: float, min_duration) -> pd.DataFrame:
    """Stationary stops of prepared unit histories (see :func:`stationary_stops`)."""
    min_ns = gap_ns(min_duration)
    t, lon, lat = tracks.t, tracks.lon, tracks.lat
    piece_start = np.zeros(len(tracks), dtype=bool)
    piece_start[tracks.starts] = True
    # steps in local metres (within 0.01 % for the short steps that matter)
    phi = np.radians((lat[1:] + lat[:-1]) / 2)
    w = 1 - _E2 * np.sin(phi) ** 2
    dx = np.diff(lon) * np.pi / 180 * _A / np.sqrt(w) * np.cos(phi)
    dy = np.diff(lat) * np.pi / 180 * _A * (1 - _E2) / w**1.5
    step = np.r_[np.inf, np.hypot(dx, dy)]
    kx, ky = _metres_per_degree(round(float(np.nanmax(np.abs(lat))), 2)) if len(lat) else (1, 1)
    quiet = (step <= max_diameter * ky / kx * QUIET_MARGIN) & ~piece_start
    bounds = np.flatnonzero(np.r_[piece_start, True])
    rows = []
    for lo, hi in itertools.pairwise(bounds):  # pieces, not fixes
        if hi - lo > 1 and quiet[lo:hi].any():
            found = _walk_unit(t[lo:hi], lon[lo:hi].tolist(), lat[lo:hi].tolist(),
                               quiet[lo:hi], max_diameter, min_ns)  # fmt: skip
            rows.extend((lo + a, lo + b) for a, b in found)
    first = np.array([r[0] for r in rows], dtype=int)
    last = np.array([r[1] for r in rows], dtype=int)
    sizes = last - first + 1  # the stop's fixes, as one index array, for vectorised medians
    members = np.repeat(first - np.r_[0, np.cumsum(sizes)[:-1]], sizes) + np.arange(sizes.sum())
    where = pd.DataFrame({"stop": np.repeat(np.arange(len(rows)), sizes),
                          "lat": lat[members], "lon": lon[members]})  # fmt: skip
    centre = where.groupby("stop")[["lat", "lon"]].median()
    out = pd.DataFrame(
        {
            s.OBU_ID: tracks.df[s.OBU_ID].to_numpy()[first],
            "start_ts": pd.to_datetime(t[first], utc=True),
            "end_ts": pd.to_datetime(t[last], utc=True),
            "lat": centre["lat"].to_numpy(),
            "lon": centre["lon"].to_numpy(),
        }
    )
    out["duration_s"] = (out["end_ts"] - out["start_ts"]).dt.total_seconds()
    out["kind"] = "stationary"
    return out.astype({s.OBU_ID: pd.StringDtype(), "kind": pd.StringDtype()})


def stationary_stops(
    pings: pd.DataFrame, max_diameter: float = 100.0, min_duration="3min", gap="5min"
) -> pd.DataFrame:
    """Find where a unit kept reporting within ``max_diameter`` for ``min_duration``.

    Equal to MovingPandas' ``TrajectoryStopDetector.get_stop_time_ranges`` run on the
    trips of ``ObservationGapSplitter(gap)`` (lon/lat, geodesic metres), on any sampling:
    a stop never spans a silence longer than ``gap`` (that silence is a stop of its own,
    see :func:`cibg_ds.mobility.silence_stops`), and of fixes with equal times only the
    first (in the feed's order) counts, as MovingPandas keeps it.

    Parameters
    ----------
    pings : pandas.DataFrame
        Clean canonical pings (``obu_id``, ``ts``, ``lat``, ``lon`` suffice).
    max_diameter : float
        Metres.
    min_duration : str or Timedelta
    gap : str, Timedelta, float or None
        Silences longer than this end a trip (as in :func:`cibg_ds.mobility.segment_trips`);
        None: whole unit histories (MovingPandas on unsplit trajectories).

    Returns
    -------
    pandas.DataFrame
        ``obu_id``, ``start_ts``, ``end_ts``, ``lat``, ``lon`` (median of the stop's
        fixes), ``duration_s``, ``kind == "stationary"``.
    """
    gap_ns(min_duration)
    return stationary_of_tracks(Tracks(pings, gap, "stationary_stops"), max_diameter, min_duration)
