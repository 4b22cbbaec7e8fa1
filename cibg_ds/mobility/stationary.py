"""Stops of units that keep reporting while stationary, as MovingPandas detects them.

MovingPandas' ``TrajectoryStopDetector`` walks every fix of a trajectory (here: of a trip,
the pieces of ``ObservationGapSplitter``) with a window of recent fixes and calls the
window a stop while the diagonal of its minimum rotated rectangle (built in degrees,
measured geodesically in metres) stays under ``max_diameter`` for at least
``min_duration``. We give the same stops without walking every fix:

* outside a stop the window is a pure function of the fix (the fixes of the last
  ``min_duration`` of the trip, at least two, never before the last reset), found for all
  fixes at once by one ``searchsorted``;
* that diagonal is never shorter than ``k_min / k_max`` (metres per degree, fewest over
  most, on either axis) times the distance between any two fixes of the window, so a
  window holding a long step or spanning a long way is never a stop: only the other
  fixes (the *candidates*) are tested;
* from each candidate the walk follows MovingPandas step by step, compiled
  (:mod:`cibg_ds.mobility.stopwalk`): the rectangle is found there from the hull and
  measured in local metres wherever the answer is sure, and the close calls are tested
  here as MovingPandas tests them (GEOS' rectangle, geographiclib's geodesic).

Irregular sampling changes nothing: bursts of 1 s fixes, minute gaps and equal times
(the first counts, as MovingPandas keeps it) are handled as MovingPandas handles them.
The compiled walk is loaded on the first call (numba's cache; compiled once per install).
"""

from __future__ import annotations

import functools
import math

import numpy as np
import pandas as pd

from cibg_ds import checks
from cibg_ds import schema as s
from cibg_ds.mobility.tracks import Tracks, gap_ns, utc_times

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
    The fixes go to GEOS as one line, not as points: the envelope is of their convex hull
    either way (identical), and one line is 4-6x cheaper to build than a point per fix.
    """
    import shapely

    if len(lon) == 2:
        return _shorter(lat[0], lon[0], lat[1], lon[1], limit)
    mrr = shapely.oriented_envelope(shapely.linestrings(np.column_stack([lon, lat])))
    xy = shapely.get_coordinates(mrr)
    kind = shapely.get_type_id(mrr)
    if kind == 3:  # a polygon: its first and third corners
        return _shorter(xy[0, 1], xy[0, 0], xy[2, 1], xy[2, 0], limit)
    if kind == 0:  # a point
        return 0.0 < limit
    return _shorter(xy[0, 1], xy[0, 0], xy[-1, 1], xy[-1, 0], limit)  # a line


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


def _stopped(lon, lat, a: int, i: int, box: tuple, max_diameter: float) -> bool:
    """MovingPandas' test on the window ``a..i`` (``box``: its bounds), geodesics only when close.

    The exact test, for the close calls of the compiled walk: GEOS' rectangle and
    geographiclib's geodesic where the local estimates cannot decide.
    """
    if i - a < 1:
        return False
    lo_lon, hi_lon, lo_lat, hi_lat = box
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
    w_lon, w_lat = lon[a : i + 1], lat[a : i + 1]
    return _mrr_diagonal_shorter(np.array(w_lon), np.array(w_lat), max_diameter)


def _box(lon: list, lat: list, a: int, i: int) -> tuple[float, float, float, float]:
    w_lon, w_lat = lon[a : i + 1], lat[a : i + 1]
    return min(w_lon), max(w_lon), min(w_lat), max(w_lat)


def _windows(tracks: Tracks, min_ns: int) -> np.ndarray:
    """First fix of the window at each fix: the last ``min_duration`` of its piece, >= 2 fixes."""
    t, starts = tracks.t, tracks.starts
    n = len(t)
    start_of = np.repeat(starts, tracks.ends - starts + 1)
    rel = t - t[start_of]  # time within the piece, and pieces laid end to end, apart
    span = rel[tracks.ends] + min_ns + 1
    if span.sum() < 2**62:
        key = rel + np.repeat(np.concatenate(([0], np.cumsum(span)[:-1])), tracks.ends - starts + 1)
        first = np.searchsorted(key, key - min_ns, side="right")
    else:  # too long to lay end to end in int64: piece by piece
        first = np.concatenate([lo + np.searchsorted(t[lo : hi + 1], t[lo : hi + 1] - min_ns,
                                                     side="right")
                                for lo, hi in zip(starts, tracks.ends, strict=True)])  # fmt: skip
    return np.maximum(np.minimum(first, np.arange(n) - 1), start_of)


def _k_per_degree(lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Metres per degree of longitude and of latitude at ``lat`` (vectorised)."""
    phi = np.radians(lat)
    w = 1 - _E2 * np.sin(phi) ** 2
    return np.pi / 180 * _A / np.sqrt(w) * np.cos(phi), np.pi / 180 * _A * (1 - _E2) / w**1.5


def _candidates(tracks: Tracks, window: np.ndarray, max_diameter: float) -> np.ndarray:
    """Return the fixes whose window may be a stop, vectorised over all pieces.

    MovingPandas measures the diagonal of the window's minimum rotated rectangle built in
    degrees, which is never shorter than ``k_min / k_max`` (fewest over most metres per
    degree, along either axis, over the piece's latitudes) times the distance between
    any two of its fixes: a window holding a step or spanning a distance longer than
    ``max_diameter * k_max / k_min`` is never a stop. The distances are compared with
    that bound as :func:`_local_metres` gives them, computed only where the distances at
    the piece's fewest and most metres per degree leave the comparison open (compiled,
    :func:`cibg_ds.mobility.stopwalk.quiet_states`).
    """
    from cibg_ds.mobility.stopwalk import quiet_candidates, quiet_states

    lon, lat, window = (np.require(a, dtype=d, requirements="C")
                        for a, d in ((tracks.lon, float), (tracks.lat, float),
                                     (window, np.int64)))  # fmt: skip
    starts, pieces = tracks.starts, len(tracks.starts)
    absolute = np.abs(lat)
    high, low = np.maximum.reduceat(absolute, starts), np.minimum.reduceat(absolute, starts)
    # Metres per degree of longitude fall and of latitude grow with the absolute latitude:
    # over a piece they lie between their values at its extremes, or at 0 degrees for a
    # piece crossing the equator. NaN or a latitude past 90 degrees: the distance decides.
    both = (np.minimum.reduceat(lat, starts) < 0) & (np.maximum.reduceat(lat, starts) > 0)
    kx, ky = _k_per_degree(np.concatenate([high, low, np.where(both, 0.0, low)]))
    kx_lo, kx_hi, ky_hi, ky_lo = (
        kx[:pieces],
        kx[pieces : 2 * pieces],
        ky[:pieces],
        ky[pieces : 2 * pieces],
    )
    ratio = np.maximum(kx_hi, ky_hi) / np.minimum(kx_lo, ky_lo)
    bound = max_diameter * ratio * QUIET_MARGIN  # per piece
    piece = np.require(tracks.piece, dtype=np.int64, requirements="C")
    step, near = quiet_states(lon, lat, window, piece, bound, kx_lo, kx[2 * pieces :],
                              ky[2 * pieces :], ky_hi, high <= 90, _SLACK)  # fmt: skip
    left = np.flatnonzero(step < 0)  # steps the bounds leave open: their distance decides
    if len(left):
        limit = bound[piece[left]]
        step[left] = _local_metres(lon[left - 1], lat[left - 1], lon[left], lat[left]) > limit
    left = np.flatnonzero(near < 0)
    if len(left):
        w, limit = window[left], bound[piece[left]]
        near[left] = _local_metres(lon[w], lat[w], lon[left], lat[left]) <= limit
    return quiet_candidates(window, step, near)


_SLACK = 1e-9
"""Relative rounding allowance on the bounds of ``quiet_states`` (their errors are ~1e-15)."""


def _local_metres(lon1, lat1, lon2, lat2) -> np.ndarray:
    """Distances in local metres on the WGS84 ellipsoid (within 0.01 % for short ones)."""
    kx, ky = _k_per_degree((lat1 + lat2) / 2)
    return np.hypot((lon2 - lon1) * kx, (lat2 - lat1) * ky)


def stationary_of_tracks(tracks: Tracks, max_diameter: float, min_duration) -> pd.DataFrame:
    """Stationary stops of prepared unit histories (see :func:`stationary_stops`)."""
    return stationary_frame(tracks, *stationary_rows(tracks, max_diameter, min_duration))


def stationary_rows(tracks: Tracks, max_diameter: float, min_duration):
    """Return the first and last row (in ``tracks``) of each stationary stop, in row order."""
    min_ns = gap_ns(min_duration)
    t, lon, lat = tracks.t, tracks.lon, tracks.lat
    first = last = np.zeros(0, dtype=np.int64)
    if len(t) > 1:
        window = _windows(tracks, min_ns)
        candidates = _candidates(tracks, window, max_diameter)
        if len(candidates):
            from cibg_ds.mobility.stopwalk import walk

            piece_end = np.repeat(tracks.ends, tracks.ends - tracks.starts + 1)
            # one writeable C array of each: pandas hands out read-only arrays (copy on
            # write), a type of their own to numba, and one compiled signature is enough
            arrays = [np.require(a, dtype=d, requirements="CW")
                      for a, d in ((t, np.int64), (lon, float), (lat, float),
                                   (candidates, np.int64), (window, np.int64),
                                   (piece_end, np.int64))]  # fmt: skip
            first, last = walk(*arrays, float(max_diameter), int(min_ns))
    return first, last


def stationary_frame(tracks: Tracks, first: np.ndarray, last: np.ndarray) -> pd.DataFrame:
    """Return the stationary stops of rows ``first[k]..last[k]`` of ``tracks`` as a table."""
    t = tracks.t
    centre_lat, centre_lon = stationary_centres(tracks, first, last)
    duration = (t[last] - t[first]) / 10**9  # as Timedelta.total_seconds() divides
    return pd.DataFrame(
        {
            s.OBU_ID: tracks.ids(first),
            "start_ts": utc_times(t[first]),
            "end_ts": utc_times(t[last]),
            "lat": centre_lat,
            "lon": centre_lon,
            "duration_s": duration.astype(np.float64),
            "kind": pd.array(["stationary"] * len(first), dtype=pd.StringDtype()),
        }
    )


def stationary_centres(tracks: Tracks, first: np.ndarray, last: np.ndarray):
    """Return the latitude and longitude (medians) of the fixes ``first[k]..last[k]``."""
    return _medians(tracks.lat, first, last), _medians(tracks.lon, first, last)


def _medians(values: np.ndarray, first: np.ndarray, last: np.ndarray) -> np.ndarray:
    """Median of ``values[first[k]..last[k]]`` for each k, as a pandas groupby gives it.

    Each run sorted (compiled, :func:`cibg_ds.mobility.stopwalk.run_medians`); of an even
    run, the mean of its two middle values (``(upper + lower) / 2``, pandas' own formula).
    NaN are skipped (pandas, then).
    """
    from cibg_ds.mobility.stopwalk import run_medians

    first, last = np.require(first, np.int64, "C"), np.require(last, np.int64, "C")
    medians, complete = run_medians(np.require(values, dtype=float, requirements="C"), first, last)
    if complete:
        return medians
    sizes = last - first + 1  # rare, a missing value: pandas skips it
    offsets = np.concatenate(([0], np.cumsum(sizes)[:-1])).astype(np.int64)
    members = np.repeat(first - offsets, sizes) + np.arange(sizes.sum())
    frame = pd.DataFrame({"run": np.repeat(np.arange(len(first)), sizes), "v": values[members]})
    return frame.groupby("run")["v"].median().reindex(range(len(first))).to_numpy()


def stationary_stops(
    pings: pd.DataFrame, *, max_diameter: float = 100.0, min_duration="3min", gap="5min"
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
    checks.frame("pings", pings, dask=False)
    checks.positive("max_diameter", max_diameter)
    gap_ns(gap) if gap is not None else None
    gap_ns(min_duration, "min_duration")
    return stationary_of_tracks(Tracks(pings, gap, "stationary_stops"), max_diameter, min_duration)
