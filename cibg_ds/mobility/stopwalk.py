"""MovingPandas' stop walk compiled (numba): each window decided here where it is sure.

The window test of :mod:`cibg_ds.mobility.stationary` (the diagonal of the minimum
rotated rectangle, built in degrees, measured geodesically) is decided here without GEOS
or geographiclib wherever the answer is sure:

* the minimum-area rectangle (GEOS' ``oriented_envelope``) has a side on an edge of the
  convex hull: every edge is tried, and every rectangle whose area ties the smallest
  (within GEOS' rounding) is kept, so GEOS' choice among ties is among them;
* of each, the diagonal GEOS' corners 0 and 2 span (GEOS builds the rectangle clockwise
  from the end of its hull edge) is measured in local metres, within 5e-7 of the
  geodesic here (checked against geographiclib): the answer is sure when every such
  diagonal is on one side of the threshold, more than ``_CLOSE`` (1e-5) away from it;
* anything else (a close call, ties that disagree, a sliver of a hull or fixes on one
  line, where GEOS' rounding makes its own rectangle, far latitudes or diameters over
  2 km where a 1 % margin is used) goes to the exact test in Python
  (:func:`cibg_ds.mobility.stationary._stopped`: GEOS and geographiclib, as MovingPandas
  measures), so the answers are MovingPandas' own.

While a stop grows its window only grows: the hull is kept, and a fix strictly inside
it changes neither the hull nor the rectangle, so the answer is kept too.
"""

from __future__ import annotations

import math

import numba
import numpy as np

from cibg_ds.mobility.stationary import _A, _E2, _MAX_M_PER_DEG, _SURE, _box, _stopped

_CLOSE = 1e-5  # local metres of lines under 6 km at latitudes within 75 degrees: < 5e-7 off
_UNSURE = -1
_THIN = 1e-4  # a hull narrower than this times its length: GEOS decides (see _rectangle)


@numba.njit(cache=True)
def _k(lat):
    """Metres per degree of longitude and of latitude at ``lat`` (WGS84)."""
    phi = math.radians(lat)
    w = 1.0 - _E2 * math.sin(phi) ** 2
    return (math.pi / 180 * _A / math.sqrt(w) * math.cos(phi),
            math.pi / 180 * _A * (1 - _E2) / w**1.5)  # fmt: skip


@numba.njit(cache=True)
def _metres(lon1, lat1, lon2, lat2):
    kx, ky = _k((lat1 + lat2) / 2)
    return math.hypot(kx * (lon2 - lon1), ky * (lat2 - lat1))


@numba.njit(cache=True)
def _side(length, limit, margin):
    """1 when ``length`` is surely under ``limit``, 0 when surely not, else unsure."""
    if length < limit * (1 - margin):
        return 1
    if length > limit * (1 + margin):
        return 0
    return _UNSURE


@numba.njit(cache=True)
def _margin(box, limit):
    """How close (relative) local metres may come to ``limit`` and still decide, on ``box``.

    Local metres at the mid latitude are within 5e-7 of the geodesic for lines under
    6 km at latitudes within 75 degrees (checked against geographiclib on 100,000 random
    lines); elsewhere, 1 %.
    """
    if limit <= 2000.0 and max(abs(box[2]), abs(box[3])) <= 75.0:
        return _CLOSE
    return _SURE


@numba.njit(cache=True)
def _turn(ax, ay, bx, by, cx, cy):
    """Twice the signed area of ``a, b, c`` (> 0: a left turn)."""
    return (bx - ax) * (cy - ay) - (by - ay) * (cx - ax)


@numba.njit(cache=True)
def _by_x_then_y(x, y):
    """Return the order of the points by x, then y (a merge sort: quicker to compile)."""
    n = len(x)
    order, spare = np.arange(n), np.empty(n, np.int64)
    width = 1
    while width < n:
        for lo in range(0, n, 2 * width):
            mid, hi = min(lo + width, n), min(lo + 2 * width, n)
            i, j = lo, mid
            for k in range(lo, hi):
                p, q = order[i] if i < mid else -1, order[j] if j < hi else -1
                if q < 0 or (p >= 0 and (x[p] < x[q] or (x[p] == x[q] and y[p] <= y[q]))):
                    spare[k] = p
                    i += 1
                else:
                    spare[k] = q
                    j += 1
        order, spare = spare, order
        width *= 2
    return order


@numba.njit(cache=True)
def _hull(x, y, hx, hy):
    """Convex hull (counter-clockwise, collinear points dropped) of ``x, y`` into ``hx, hy``.

    Return the number of its corners (1: all points equal; 2: all on one line).
    """
    n = len(x)
    order = _by_x_then_y(x, y)
    k = 0
    for pass_ in range(2):
        low = k
        for j in range(n):
            p = order[j] if pass_ == 0 else order[n - 1 - j]
            while k >= low + 2 and _turn(hx[k - 2], hy[k - 2], hx[k - 1], hy[k - 1],
                                         x[p], y[p]) <= 0:  # fmt: skip
                k -= 1
            hx[k], hy[k] = x[p], y[p]
            k += 1
        k -= 1  # the last point of a chain starts the other
    if k < 1:
        return 1
    if k == 2 and hx[0] == hx[1] and hy[0] == hy[1]:
        return 1
    return k


@numba.njit(cache=True)
def _inside(hx, hy, h, px, py):
    """Whether ``(px, py)`` lies strictly inside the counter-clockwise hull of ``h`` corners."""
    if h < 3:
        return False
    for j in range(h):
        k = j + 1 if j + 1 < h else 0
        if _turn(hx[j], hy[j], hx[k], hy[k], px, py) <= 0:
            return False
    return True


@numba.njit(cache=True)
def _ends_only(x, y, hx, hy):
    """Whether every point is one of the two ends ``hx[:2], hy[:2]`` of a line."""
    for m in range(len(x)):
        if not ((x[m] == hx[0] and y[m] == hy[0]) or (x[m] == hx[1] and y[m] == hy[1])):
            return False
    return True


@numba.njit(cache=True)
def _rectangle(hx, hy, h, limit, margin):
    """Whether the minimum rotated rectangle of the hull has a diagonal under ``limit`` m."""
    if h == 1:
        return 1  # a point: 0 < limit
    if h == 2:  # a line: GEOS returns it, from one end to the other
        return _side(_metres(hx[0], hy[0], hx[1], hy[1]), limit, margin)
    best, span, best_length = np.inf, 0.0, 0.0
    areas = np.empty(h)
    for j in range(h):
        k = j + 1 if j + 1 < h else 0
        length = math.hypot(hx[k] - hx[j], hy[k] - hy[j])
        span = max(span, length)
        ux, uy = (hx[k] - hx[j]) / length, (hy[k] - hy[j]) / length
        lo_u = hi_u = hi_v = 0.0
        for m in range(h):
            du = (hx[m] - hx[j]) * ux + (hy[m] - hy[j]) * uy
            dv = (hy[m] - hy[j]) * ux - (hx[m] - hx[j]) * uy
            lo_u, hi_u, hi_v = min(lo_u, du), max(hi_u, du), max(hi_v, dv)
        areas[j] = (hi_u - lo_u) * hi_v
        if areas[j] < best:
            best, best_length = areas[j], hi_u - lo_u
    if best < _THIN * best_length * best_length:
        return _UNSURE  # a sliver: GEOS' rectangle of it may leave fixes out, as GEOS has it
    verdict = -2
    for j in range(h):  # every rectangle tying the smallest: GEOS may return any of them
        if areas[j] > best * (1 + 1e-6) + 1e-11 * span:  # GEOS' rounding of the areas
            continue
        k = j + 1 if j + 1 < h else 0
        length = math.hypot(hx[k] - hx[j], hy[k] - hy[j])
        ux, uy = (hx[k] - hx[j]) / length, (hy[k] - hy[j]) / length
        lo_u = hi_u = lo_v = hi_v = 0.0
        for m in range(h):
            du = (hx[m] - hx[j]) * ux + (hy[m] - hy[j]) * uy
            dv = (hy[m] - hy[j]) * ux - (hx[m] - hx[j]) * uy
            lo_u, hi_u = min(lo_u, du), max(hi_u, du)
            lo_v, hi_v = min(lo_v, dv), max(hi_v, dv)
        # GEOS builds it clockwise from the corner on the hull edge at the end it leaves
        # (here: counter-clockwise, the far end) and measures to the opposite corner
        x0, y0 = hx[j] + hi_u * ux - lo_v * uy, hy[j] + hi_u * uy + lo_v * ux
        x1, y1 = hx[j] + lo_u * ux - hi_v * uy, hy[j] + lo_u * uy + hi_v * ux
        side = _side(_metres(x0, y0, x1, y1), limit, margin)
        if side == _UNSURE or (verdict != -2 and side != verdict):
            return _UNSURE
        verdict = side
    return verdict


@numba.njit(cache=True)
def _quick(box, limit, margin):
    """MovingPandas' bounding-box test and the sure bounds of :func:`_stopped`, on ``box``.

    Return 1 (a stop), 0 (no stop), unsure, or 2: the rectangle must decide.
    """
    lo_lon, hi_lon, lo_lat, hi_lat = box[0], box[1], box[2], box[3]
    kx, ky = _k((lo_lat + hi_lat) / 2)
    bbox = math.hypot(kx * (hi_lon - lo_lon), ky * (hi_lat - lo_lat))
    wide = _side(bbox, limit * 1.5, margin)
    if wide != 1:
        return wide  # MovingPandas tests the rectangle only when the box's diagonal is short
    extent = math.hypot(hi_lon - lo_lon, hi_lat - lo_lat)
    if _MAX_M_PER_DEG * math.sqrt(2.0) * extent < limit * (1 - _SURE):
        return 1  # the rectangle's diagonal is at most sqrt(2) times the extent
    if min(kx, ky) * max(hi_lon - lo_lon, hi_lat - lo_lat) > limit * (1 + _SURE):
        return 0  # and at least the extent along either axis
    return 2


@numba.njit(cache=True)
def _exact(lon, lat, a, i, limit):
    """Test the window ``a..i`` exactly in Python (GEOS, geographiclib): close calls only."""
    with numba.objmode(out="int64"):
        out = _exact_py(lon, lat, a, i, limit)
    return out


def _exact_py(lon, lat, a, i, limit) -> int:
    return int(_stopped(lon, lat, a, i, _box(lon, lat, a, i), limit))


@numba.njit(cache=True)
def _test(lon, lat, a, i, box, limit, hull, state):
    """MovingPandas' test of the window ``a..i`` (``box``: its bounds).

    ``state[0]`` holds the hull's corners in ``hull`` when it is of the window ``a..i-1``
    and was decided here (``state[1]``: its answer): a growing stop reuses it.
    """
    if i - a < 1:
        state[0] = 0
        return False
    margin = _margin(box, limit)
    quick = _quick(box, limit, margin)
    if quick == 0 or quick == 1:
        state[0] = 0
        return quick == 1
    if quick == _UNSURE:
        state[0] = 0
        return _exact(lon, lat, a, i, limit) == 1
    if i - a == 1:  # two fixes: MovingPandas measures between them
        state[0] = 0
        side = _side(_metres(lon[a], lat[a], lon[i], lat[i]), limit, margin)
        return side == 1 if side != _UNSURE else _exact(lon, lat, a, i, limit) == 1
    hx, hy = hull[0], hull[1]
    h = state[0]
    if h >= 3 and _inside(hx, hy, h, lon[i], lat[i]):
        return state[1] == 1  # the hull, so the rectangle, is unchanged
    if h > 0:  # the window grew by one fix: the hull of the old hull and it
        px, py = np.empty(h + 1), np.empty(h + 1)
        px[:h], py[:h] = hx[:h], hy[:h]
        px[h], py[h] = lon[i], lat[i]
    else:
        px, py = lon[a : i + 1], lat[a : i + 1]
    h = _hull(px, py, hx, hy)
    if h == 2 and not _ends_only(px, py, hx, hy):
        verdict = _UNSURE  # more fixes than its two ends on a line: GEOS' hull may differ
    else:
        verdict = _rectangle(hx, hy, h, limit, margin)
    if verdict == _UNSURE:
        state[0] = 0
        return _exact(lon, lat, a, i, limit) == 1
    state[0], state[1] = h, verdict
    return verdict == 1


@numba.njit(cache=True)
def walk(t, lon, lat, candidates, window, piece_end, limit, min_ns):
    """Stop index ranges (first and last fix of each): MovingPandas' walk, from candidates.

    MovingPandas' ``TrajectoryStopDetector._process_traj`` step by step, from the candidate
    fixes of :mod:`cibg_ds.mobility.stationary` only (between them it finds no stop).
    """
    n_all = len(t)
    # stops are disjoint runs of fixes: never more than the fixes
    first, last = np.empty(n_all + 1, np.int64), np.empty(n_all + 1, np.int64)
    found = 0
    hull = np.empty((2, n_all + 2))  # room for the hull of any window
    state = np.zeros(2, np.int64)
    box = np.empty(4)
    floor, done = 0, -1
    for c in candidates:
        if c <= done:
            continue
        tested = floor <= window[c]
        if tested:
            box[0], box[1] = lon[window[c] : c + 1].min(), lon[window[c] : c + 1].max()
            box[2], box[3] = lat[window[c] : c + 1].min(), lat[window[c] : c + 1].max()
            state[0] = 0
            if not _test(lon, lat, window[c], c, box, limit, hull, state):
                continue  # its window is no stop: MovingPandas moves on
        i, n = c, piece_end[c] + 1
        a = max(floor, window[i])
        was_stopped = is_stopped = False
        while i < n:
            if not was_stopped:
                while i - a + 1 > 2 and t[i] - t[a] >= min_ns:
                    a += 1
                box[0], box[1] = lon[a : i + 1].min(), lon[a : i + 1].max()
                box[2], box[3] = lat[a : i + 1].min(), lat[a : i + 1].max()
            else:  # a stopped window only grows
                box[0], box[1] = min(box[0], lon[i]), max(box[1], lon[i])
                box[2], box[3] = min(box[2], lat[i]), max(box[3], lat[i])
            if i == c and tested and a == window[c]:  # tested above: a stop, its hull kept
                is_stopped = True
            else:
                if not was_stopped:
                    state[0] = 0  # a new window: no hull of it yet
                is_stopped = _test(lon, lat, a, i, box, limit, hull, state)
            if not is_stopped and was_stopped and i - a + 1 > 1 and t[i - 1] - t[a] >= min_ns:
                first[found], last[found] = a, i - 1
                found += 1
                a = floor = i
            was_stopped = is_stopped
            if not is_stopped and (i + 1 >= n or window[i + 1] >= floor):
                break  # the next windows are window[j] again: back to the candidates
            i += 1
        done = i
        if i >= n and is_stopped and t[n - 1] - t[a] >= min_ns:
            first[found], last[found] = a, n - 1
            found += 1
    return first[:found], last[:found]


def compile_walk() -> None:
    """Compile :func:`walk` and the kernels beside it (or load them from numba's cache).

    On a tiny feed: for installers.
    """
    n = 40
    t = np.arange(n, dtype=np.int64) * 10 * 10**9
    lon, lat = 4.35 + np.sin(np.arange(n)) * 1e-5, 50.85 + np.cos(np.arange(n)) * 1e-5
    window = np.maximum(np.arange(n) - 18, 0).astype(np.int64)
    walk(t, lon, lat, np.arange(1, n, dtype=np.int64), window, np.full(n, n - 1, np.int64),
         100.0, 180 * 10**9)  # fmt: skip
    k = np.full(1, 70_000.0)
    step, near = quiet_states(lon, lat, window, np.zeros(n, np.int64), np.full(1, 100.0),
                              k, k, k, k, np.ones(1, np.bool_), 1e-9)  # fmt: skip
    quiet_candidates(window, step, near)
    run_medians(lon, np.zeros(1, np.int64), np.full(1, n - 1, np.int64))


@numba.njit(cache=True)
def quiet_states(lon, lat, window, piece, bound, kx_lo, kx_hi, ky_lo, ky_hi, valid, slack):
    """Return, per fix, the two tests of the stationary candidates where bounds decide them.

    ``step[j]``: whether the step from fix ``j - 1`` into ``j`` is longer than the bound
    of its piece (0 at a piece's first fix: windows start at or after it, so a step into
    a piece is counted in none), ``near[j]``: whether the distance from the first
    fix of its window is within it; both as local metres give them (see
    :func:`cibg_ds.mobility.stationary._local_metres`), each 1 or 0, or -1 where the
    distances at the piece's fewest and most metres per degree (``kx_lo`` ... ``ky_hi``,
    per piece) leave it open (NaN, a piece not ``valid``, a distance near the bound): the
    caller decides those.
    """
    n = len(lon)
    step, near = np.zeros(n, np.int8), np.zeros(n, np.int8)
    for j in range(n):
        p = piece[j]
        if not valid[p]:
            near[j] = _UNSURE
            if j > 0 and piece[j - 1] == p:
                step[j] = _UNSURE
            continue
        limit, k = bound[p], (kx_lo[p], kx_hi[p], ky_lo[p], ky_hi[p])
        if j > 0 and piece[j - 1] == p:  # a step into a piece counts in no window: 0
            step[j] = _over(lon[j] - lon[j - 1], lat[j] - lat[j - 1], limit, k, slack)
        w = window[j]
        over = _over(lon[j] - lon[w], lat[j] - lat[w], limit, k, slack)
        near[j] = over if over == _UNSURE else 1 - over
    return step, near


@numba.njit(cache=True)
def _over(d_lon, d_lat, limit, k, slack):
    """1 when the distance is surely over ``limit``, 0 when surely not, else unsure."""
    kx_lo, kx_hi, ky_lo, ky_hi = k
    low_x, low_y, high_x, high_y = d_lon * kx_lo, d_lat * ky_lo, d_lon * kx_hi, d_lat * ky_hi
    if math.sqrt(low_x * low_x + low_y * low_y) * (1 - slack) > limit:
        return 1
    if math.sqrt(high_x * high_x + high_y * high_y) * (1 + slack) <= limit:
        return 0
    return _UNSURE


@numba.njit(cache=True)
def quiet_candidates(window, step, near):
    """Return the fixes past their window's first, no long step in it, near its first fix."""
    n = len(window)
    loud = np.empty(n, np.int64)
    count = 0
    for j in range(n):
        count += step[j]
        loud[j] = count
    out = np.empty(n, np.int64)
    found = 0
    for j in range(n):
        w = window[j]
        if w < j and loud[j] == loud[w] and near[j] == 1:
            out[found] = j
            found += 1
    return out[:found]


@numba.njit(cache=True)
def run_medians(values, first, last):
    """Return the medians of ``values[first[k]..last[k]]`` as a groupby gives them, and True.

    False (medians unfinished) when a run holds NaN. A stable sort of each run (ties keep
    their order, as one lexsort of all runs does), then its middle value, or of an even
    run ``(upper + lower) / 2``, pandas' formula.
    """
    out = np.empty(len(first))
    for k in range(len(first)):
        run = values[first[k] : last[k] + 1]
        if np.isnan(run).any():
            return out, False  # pandas skips NaN: the caller asks it
        ordered = run[np.argsort(run, kind="mergesort")]
        size = len(run)
        upper, lower = ordered[size // 2], ordered[max(size - 1, 0) // 2]
        out[k] = upper if size % 2 == 1 else (upper + lower) / 2
    return out, True
