"""Hidden-Markov map matching of truck fixes to the road graph, on pandas or Dask.

Per trip (a new trip after a silence longer than ``gap``, see
:func:`cibg_ds.mobility.label_trips`) each fix has candidates: the directed edges of the
segments within ``radius_m`` (:class:`cibg_ds.mobility.segments.SegmentGrid`, GEOS'
answers bit for bit, for all fixes at once), at most
``max_candidates`` of them, nearest first. Emission: Gaussian in the GPS distance
(``sigma_m``). Transition between a candidate of one fix and a candidate of the next:
exponential in ``|route distance on the graph - great-circle distance|`` (``beta_m``),
after Newson and Krumm (2009); routes longer than the straight line plus
``max_detour_m``, or faster than ``max_speed_kmh``, are impossible. Viterbi runs on all
trips of a partition in lock step (one NumPy step per fix position, vectorised over trips
and candidates). Where no candidate of a fix can be reached from any candidate of the
previous one the match breaks: the path is split there and the break counted.

Shortest distances: bounded Dijkstra rows of :class:`cibg_ds.mobility.graph.RoadGraph`,
kept per process (a many-to-many table filled on demand). On Dask the pings are shuffled
by unit once and the graph travels to each worker once (one ``delayed`` object that every
partition task depends on); each worker keeps its graph, segment grid and table between
calls (a module-level cache keyed by the network's fingerprint).
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd

from cibg_ds import checks
from cibg_ds import schema as s
from cibg_ds.cluster import compute
from cibg_ds.errors import ParameterError
from cibg_ds.frames import is_dask
from cibg_ds.io.roads import SEGMENT
from cibg_ds.mobility.geo import to_metric
from cibg_ds.mobility.graph import _GRAPHS, road_graph
from cibg_ds.mobility.tracks import require_fixes, utc_times
from cibg_ds.mobility.trips import TRIP_ID, label_trips
from cibg_ds.mobility.units import regroup

RADIUS_M = 50.0
SIGMA_M = 8.0
BETA_M = 40.0
MAX_CANDIDATES = 8
MAX_DETOUR_M = 1500.0
MAX_SPEED_KMH = 150.0
BACK_TOLERANCE_M = 20.0
"""A fix this much behind the previous one on the same edge is standing, not reversing."""
_CHUNK = 20_000

FIX_COLUMNS = {
    s.OBU_ID: pd.StringDtype(),
    s.TS: s.PING_DTYPES[s.TS],
    TRIP_ID: "int64",
    "part": "int64",
    SEGMENT: "Int64",
    "reverse": "boolean",
    "offset_m": "float64",
    "gps_distance_m": "float64",
}
PATH_COLUMNS = {
    s.OBU_ID: pd.StringDtype(),
    TRIP_ID: "int64",
    "part": "int64",
    "seq": "int64",
    SEGMENT: "int64",
    "reverse": "bool",
    "from_m": "float64",
    "to_m": "float64",
    "length_m": "float64",
    "edge_length_m": "float64",
    "entry_ts": s.PING_DTYPES[s.TS],
    "exit_ts": s.PING_DTYPES[s.TS],
}


@dataclasses.dataclass(frozen=True)
class MatchResult:
    """What :func:`map_match` returns.

    Attributes
    ----------
    fixes : pandas.DataFrame
        One row per fix (sorted by unit and time; of fixes of a unit with equal times
        only the first, as :func:`cibg_ds.mobility.label_trips` keeps): ``obu_id``, ``ts``,
        ``trip_id``, ``part`` (piece of the trip between breaks), the matched
        ``segment_id`` and direction ``reverse`` (``<NA>`` when no road is within the
        radius), ``offset_m`` (metres from the start of the edge in the driving
        direction) and ``gps_distance_m``.
    path : pandas.DataFrame
        Per trip the ordered edges driven (``seq``), including those between fixes:
        ``segment_id``, ``reverse``, the part driven (``from_m`` to ``to_m`` along the
        edge, ``length_m``), ``edge_length_m``, and the interpolated ``entry_ts`` and
        ``exit_ts``.
    breaks : int
        Places where no route joined two consecutive fixes of a trip (the path splits).
    unmatched_fixes : int
        Fixes with no road within the radius.
    """

    fixes: pd.DataFrame
    path: pd.DataFrame
    breaks: int
    unmatched_fixes: int


@dataclasses.dataclass(frozen=True)
class _Params:
    radius_m: float
    sigma_m: float
    beta_m: float
    max_candidates: int
    max_detour_m: float
    max_speed_ms: float
    gap: object


def _empty(columns: dict) -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype=d) for c, d in columns.items()})


def _candidates(graph, x, y, p: _Params):
    """Return padded ``(n, K)`` candidate edges, offsets, GPS distances (-1/nan padding).

    The segments within the radius, their distances and the fixes' positions along them
    come from the graph's :class:`~cibg_ds.mobility.segments.SegmentGrid` (GEOS' answers,
    bit for bit); each segment gives its edges, ranked per fix by distance, then edge.
    """
    n = len(x)
    fix, seg, dist, along = graph.grid(p.radius_m).within(x, y)
    edge = np.r_[graph.seg_edges[seg, 0], graph.seg_edges[seg, 1]]
    fix, dist = np.r_[fix, fix], np.r_[dist, dist]
    offset = np.r_[along, graph.line_length[seg] - along]
    keep = edge >= 0
    fix, dist, offset, edge = fix[keep], dist[keep], offset[keep], edge[keep]
    order = _by_fix_distance_edge(fix, dist, edge, n, len(graph.u), p.radius_m)
    fix, dist, offset, edge = fix[order], dist[order], offset[order], edge[order]
    first = np.r_[True, fix[1:] != fix[:-1]] if len(fix) else np.zeros(0, bool)
    start = np.maximum.accumulate(np.where(first, np.arange(len(fix)), 0))
    rank = np.arange(len(fix)) - start
    keep = rank < p.max_candidates
    k = int(rank[keep].max()) + 1 if keep.any() else 1
    edges = np.full((n, k), -1, dtype=np.int64)
    offsets = np.full((n, k), np.nan)
    dists = np.full((n, k), np.nan)
    at = (fix[keep], rank[keep])
    edges[at], offsets[at], dists[at] = edge[keep], offset[keep], dist[keep]
    return edges, offsets, dists


def _by_fix_distance_edge(fix, dist, edge, n_fixes: int, n_edges: int, radius: float):
    """Return ``np.lexsort((edge, dist, fix))`` for distances in ``[0, radius]``, faster.

    One sort of 64-bit keys: the fix, the distance scaled to the bits left (monotone, so
    never out of order, but distinct distances may share a step) and the edge; the fixes
    where two distinct distances shared a step are sorted again exactly.
    """
    fix_bits, edge_bits = int(n_fixes).bit_length(), int(n_edges).bit_length()
    dist_bits = 64 - fix_bits - edge_bits
    if dist_bits < 16 or not len(fix):
        return np.lexsort((edge, dist, fix))
    steps = float(2**dist_bits - 1)
    scaled = np.minimum(np.floor(dist * (steps / radius)), steps).astype(np.uint64)
    key = (
        (fix.astype(np.uint64) << np.uint64(dist_bits + edge_bits))
        | (scaled << np.uint64(edge_bits))
        | edge.astype(np.uint64)
    )
    order = np.argsort(key, kind="stable")
    f, d = fix[order], dist[order]
    wrong = np.flatnonzero((f[1:] == f[:-1]) & (d[1:] < d[:-1]))
    if len(wrong):
        redo = np.isin(f, np.unique(f[wrong]))
        rows = order[redo]
        order[redo] = rows[np.lexsort((edge[rows], dist[rows], fix[rows]))]
    return order


def _transitions(graph, e, o, x, y, t, a, p: _Params) -> np.ndarray:
    """Return log transition scores ``(len(a), K, K)`` from fix ``a[i]`` to ``a[i] + 1``.

    Computed in float64 by chunks of pairs, in place where the order of operations allows,
    returned as float32.
    """
    k = e.shape[1]
    out = np.empty((len(a), k, k), dtype=np.float32)
    for lo in range(0, len(a), _CHUNK):
        ai = a[lo : lo + _CHUNK]
        bi = ai + 1
        ea, eb, oa, ob = e[ai], e[bi], o[ai], o[bi]
        position, dist, _ = graph.rows(graph.v[ea].ravel())
        cell = position.reshape(ea.shape)[:, :, None] * dist.shape[1] + graph.u[eb][:, None, :]
        # padding (no candidate) gives an infinite route: impossible
        head = np.where(ea >= 0, graph.length[ea] - oa, np.inf)
        route = np.add(head[:, :, None], np.take(dist.ravel(), cell))
        route += np.where(eb >= 0, ob, np.inf)[:, None, :]
        # the same edge, not driven backwards: the distance ahead on it
        ia, ka, kb = np.nonzero(ea[:, :, None] == np.where(eb >= 0, eb, -2)[:, None, :])
        ahead = ob[ia, kb] - oa[ia, ka]
        fwd = ahead >= -BACK_TOLERANCE_M
        route[ia[fwd], ka[fwd], kb[fwd]] = np.maximum(ahead[fwd], 0.0)
        straight = np.hypot(x[bi] - x[ai], y[bi] - y[ai])
        reach = p.max_speed_ms * (t[bi] - t[ai]) + 2 * p.radius_m
        bound = np.minimum(straight + p.max_detour_m, reach)
        ok = route <= bound[:, None, None]
        score = np.subtract(route, straight[:, None, None], out=route)
        np.abs(score, out=score)
        np.divide(score, -p.beta_m, out=score)  # -|route - straight| / beta, exactly
        np.copyto(score, -np.inf, where=~ok)
        out[lo : lo + _CHUNK] = score
    return out


def _viterbi(graph, e, o, emission, x, y, t, starts, lengths, p: _Params):
    """Return the best candidate of each fix and the fixes where the match broke.

    All chains (trips) advance together: step ``j`` handles the ``j``-th fix of every
    chain that long, vectorised over chains and candidates, with the transitions into
    those fixes (:func:`_transitions`, never all held at once). The fixes are laid out
    step by step, chains longest first, so that each step's fixes and the fixes before
    them are slices.
    """
    n = len(emission)
    if graph.keeps_rows:  # every distance row the transitions need, in one search
        ends = np.zeros(n, dtype=bool)
        ends[starts + lengths - 1] = True
        sources = e[~ends]
        graph.rows(graph.v[sources[sources >= 0]])
    order = np.argsort(-lengths, kind="stable")  # chains by length, longest first
    count = np.bincount(lengths, minlength=1)[::-1].cumsum()[::-1][1:]  # chains > j fixes
    bounds = np.r_[0, np.cumsum(count)]
    step = np.repeat(np.arange(len(count)), count)
    layout = starts[order[np.arange(n) - bounds[step]]] + step  # fix at each place
    score = emission[layout]
    back = np.full(emission.shape, -1, dtype=np.int64)
    broken = np.zeros(n, dtype=bool)
    for j in range(1, len(count)):
        cur = slice(bounds[j], bounds[j + 1])
        prev = slice(bounds[j - 1], bounds[j - 1] + count[j])
        trans = _transitions(graph, e, o, x, y, t, layout[prev], p)
        cand = score[prev][:, :, None] + trans
        arg = cand.argmax(axis=1)
        best = np.take_along_axis(cand, arg[:, None, :], axis=1)[:, 0, :]
        stop = ~np.isfinite(best).any(axis=1)
        score[cur] = np.where(stop[:, None], score[cur], best + score[cur])
        back[cur] = np.where(stop[:, None], -1, arg)
        broken[cur] = stop
    choice = np.full(n, -1, dtype=np.int64)
    last = bounds[lengths[order] - 1] + np.arange(len(order))  # each chain's last place
    choice[last] = score[last].argmax(axis=1)
    for j in range(len(count) - 1, 0, -1):
        cur = np.arange(bounds[j], bounds[j + 1])
        prev = slice(bounds[j - 1], bounds[j - 1] + count[j])
        prev_best = back[cur, choice[cur]]
        choice[prev] = np.where(prev_best >= 0, prev_best, score[prev].argmax(axis=1))
    out_choice, out_broken = np.empty(n, np.int64), np.empty(n, bool)
    out_choice[layout], out_broken[layout] = choice, broken
    return out_choice, out_broken


def _walk(graph, src: np.ndarray, dst: np.ndarray):
    """Return the edges of the shortest paths ``src[i] -> dst[i]`` (owner, order, edge)."""
    position, _, pred = graph.rows(src)
    cur = dst.copy()
    owners, nodes, depths = [np.arange(len(src))], [cur.copy()], [np.zeros(len(src), np.int64)]
    alive = np.flatnonzero(cur != src)
    depth = 0
    while len(alive) and depth <= graph.n_nodes:
        depth += 1
        step = pred[position[alive], cur[alive]].astype(np.int64)
        cur[alive] = step
        owners.append(alive)
        nodes.append(step)
        depths.append(np.full(len(alive), depth))
        alive = alive[(step != src[alive]) & (step >= 0)]
    owner, node, depth_of = map(np.concatenate, (owners, nodes, depths))
    order = np.lexsort((-depth_of, owner))  # per path, from src to dst
    owner, node = owner[order], node[order]
    pair = np.flatnonzero(owner[1:] == owner[:-1])
    edge = graph.edge_of(node[pair], node[pair + 1])
    return owner[pair], np.arange(len(pair)), edge


def _pieces(graph, e, o, t, chain_start, broken):
    """Return the pieces of edges driven: per transition, head, edges between, tail."""
    n = len(e)
    first = chain_start | broken
    move = np.flatnonzero(~first)
    a, b = move - 1, move
    ea, eb, oa, ob = e[a], e[b], o[a], o[b]
    same = (ea == eb) & (ob - oa >= -BACK_TOLERANCE_M)
    # zero-length pieces where a piece of the path starts: a one-fix piece has its edge
    rows = [(np.flatnonzero(first), np.full(first.sum(), -1), e[first], o[first], o[first])]
    s_idx = np.flatnonzero(same)
    rows.append((b[s_idx], np.zeros(len(s_idx)), ea[s_idx], oa[s_idx], np.maximum(ob, oa)[s_idx]))
    d_idx = np.flatnonzero(~same)
    rows.append((b[d_idx], np.zeros(len(d_idx)), ea[d_idx], oa[d_idx], graph.length[ea[d_idx]]))
    owner, order, mid = _walk(graph, graph.v[ea[d_idx]], graph.u[eb[d_idx]])
    rows.append((b[d_idx][owner], 1 + order, mid, np.zeros(len(mid)), graph.length[mid]))
    big = n + len(mid) + 2
    rows.append((b[d_idx], np.full(len(d_idx), big), eb[d_idx], np.zeros(len(d_idx)), ob[d_idx]))
    fix, sub, edge, lo, hi = (np.concatenate(c) for c in zip(*rows, strict=True))
    order = np.lexsort((sub, fix))
    fix, edge, lo, hi = fix[order], edge[order], lo[order], hi[order]
    # times: along each transition, in proportion to the distance driven
    driven = np.maximum(hi - lo, 0.0)
    group_start = np.r_[True, fix[1:] != fix[:-1]]
    gid = np.cumsum(group_start) - 1
    total = np.bincount(gid, weights=driven)
    # per group, so a trip's times do not depend on the trips before it in the partition
    before = pd.Series(driven).groupby(gid).cumsum().to_numpy() - driven
    t_prev = np.where(first[fix], t[fix], t[np.maximum(fix - 1, 0)])
    span = t[fix] - t_prev
    with np.errstate(invalid="ignore", divide="ignore"):
        share_in = np.where(total[gid] > 0, before / total[gid], 0.0)
        share_out = np.where(total[gid] > 0, (before + driven) / total[gid], 0.0)
    return fix, edge, lo, hi, t_prev + span * share_in, t_prev + span * share_out


def _match_frame(pings: pd.DataFrame, graph, p: _Params) -> tuple[pd.DataFrame, pd.DataFrame, int]:
    """Match the whole unit histories of one frame: (fixes, path, breaks)."""
    graph = _GRAPHS.setdefault(graph.key, graph)  # the worker's copy keeps its caches
    if len(pings) == 0:
        return _empty(FIX_COLUMNS), _empty(PATH_COLUMNS), 0
    fixes = label_trips(pings, gap=p.gap)
    n = len(fixes)
    unit = pd.factorize(fixes[s.OBU_ID])[0]
    trip = fixes[TRIP_ID].to_numpy()
    chain = np.cumsum(np.r_[True, (unit[1:] != unit[:-1]) | (trip[1:] != trip[:-1])]) - 1
    x, y = to_metric(fixes[s.LON].to_numpy(float), fixes[s.LAT].to_numpy(float))
    t_ns = s.to_ns(fixes[s.TS])
    chain_first = np.flatnonzero(np.r_[True, chain[1:] != chain[:-1]])
    origin = t_ns[chain_first][chain]  # seconds from the start of each trip: exact on Dask
    t = (t_ns - origin) / 1e9
    edges, offsets, dists = _candidates(graph, x, y, p)
    matched = np.flatnonzero(edges[:, 0] >= 0)
    e, o, d = edges[matched], offsets[matched], dists[matched]
    xm, ym, tm, cm = x[matched], y[matched], t[matched], chain[matched]
    chain_start = np.r_[True, cm[1:] != cm[:-1]] if len(cm) else np.zeros(0, bool)
    starts = np.flatnonzero(chain_start)
    lengths = np.diff(np.r_[starts, len(cm)])
    emission = np.where(e >= 0, -0.5 * (np.nan_to_num(d) / p.sigma_m) ** 2, -np.inf)
    choice, broken = _viterbi(graph, e, o, emission, xm, ym, tm, starts, lengths, p)
    pick = np.arange(len(cm))
    me, mo, md = e[pick, choice], o[pick, choice], d[pick, choice]
    breaks = np.zeros(n, np.int64)
    breaks[matched] = broken
    total_breaks = np.cumsum(breaks)
    part = total_breaks - np.repeat(total_breaks[chain_first] - breaks[chain_first],
                                    np.diff(np.r_[chain_first, n]))  # fmt: skip
    part_of = part[matched]
    # the fixes table
    out = pd.DataFrame({s.OBU_ID: fixes[s.OBU_ID].astype("string").to_numpy(), s.TS: fixes[s.TS]})
    out[TRIP_ID] = trip.astype(np.int64)
    out["part"] = part
    seg = pd.array(np.full(n, 0), dtype="Int64")
    seg[:] = pd.NA
    seg[matched] = graph.segment_ids[graph.segment[me]]
    out[SEGMENT] = seg
    rev = pd.array(np.zeros(n, bool), dtype="boolean")
    rev[:] = pd.NA
    rev[matched] = graph.reverse[me]
    out["reverse"] = rev
    offset, gps = np.full(n, np.nan), np.full(n, np.nan)
    offset[matched], gps[matched] = mo, md
    out["offset_m"], out["gps_distance_m"] = offset, gps
    if not len(cm):
        return out, _empty(PATH_COLUMNS), 0
    # the path table
    fix, edge, lo, hi, t_in, t_out = _pieces(graph, me, mo, tm, chain_start, broken)
    piece = cm[fix] * (n + 1) + part_of[fix]
    run = np.r_[True, (edge[1:] != edge[:-1]) | (piece[1:] != piece[:-1])]
    first_row = np.flatnonzero(run)
    last_row = np.r_[first_row[1:] - 1, len(fix) - 1]
    owner = matched[fix[first_row]]
    path = pd.DataFrame(
        {
            s.OBU_ID: out[s.OBU_ID].to_numpy()[owner],
            TRIP_ID: trip[owner].astype(np.int64),
            "part": part_of[fix[first_row]].astype(np.int64),
            SEGMENT: graph.segment_ids[graph.segment[edge[first_row]]].astype(np.int64),
            "reverse": graph.reverse[edge[first_row]],
            "from_m": lo[first_row],
            "to_m": np.maximum(hi[last_row], lo[first_row]),
        }
    )
    path["length_m"] = path["to_m"] - path["from_m"]
    path["edge_length_m"] = graph.length[edge[first_row]]
    for column, when, row in (("entry_ts", t_in, first_row), ("exit_ts", t_out, last_row)):
        ns = origin[matched[fix[row]]] + np.round(when[row] * 1e9).astype(np.int64)
        path[column] = utc_times(ns)
    new_trip = np.r_[True, path[s.OBU_ID].to_numpy()[1:] != path[s.OBU_ID].to_numpy()[:-1]]
    new_trip |= np.r_[True, path[TRIP_ID].to_numpy()[1:] != path[TRIP_ID].to_numpy()[:-1]]
    tid = np.cumsum(new_trip) - 1
    path.insert(3, "seq", np.arange(len(path)) - np.flatnonzero(new_trip)[tid])
    return out, path, int(broken.sum())


def map_match(
    pings,
    *,
    roads=None,
    radius_m: float = RADIUS_M,
    sigma_m: float = SIGMA_M,
    beta_m: float = BETA_M,
    max_candidates: int = MAX_CANDIDATES,
    max_detour_m: float = MAX_DETOUR_M,
    max_speed_kmh: float = MAX_SPEED_KMH,
    gap="5min",
) -> MatchResult:
    """Match fixes to the roads driven with a hidden-Markov model (see the module docstring).

    Parameters
    ----------
    pings : pandas.DataFrame or dask.dataframe.DataFrame
        Clean canonical pings (``obu_id``, ``ts``, ``lat``, ``lon`` at least).
    roads : geopandas.GeoDataFrame, optional
        Road segments (:func:`cibg_ds.io.load_roads`); default: the embedded OSM truck
        network (:func:`cibg_ds.mobility.default_roads`).
    radius_m : float
        Candidate roads lie within this distance of a fix (metres, default 50).
    sigma_m : float
        Standard deviation of the GPS error (metres, default 8).
    beta_m : float
        Scale of the exponential transition score (metres, default 40).
    max_candidates : int
        Directed edges kept per fix, nearest first (default 8).
    max_detour_m : float
        A route longer than the straight line between two fixes by more than this is
        impossible (default 1,500 m).
    max_speed_kmh : float
        So is a route driven faster than this between two fixes (default 150 km/h).
    gap : str
        A silence longer than this ends a trip (default ``"5min"``).

    Returns
    -------
    MatchResult
        ``fixes`` (per fix its edge and offset), ``path`` (per trip the ordered edges
        driven with entry and exit times), ``breaks`` and ``unmatched_fixes``. Pandas
        frames whatever the input (a Dask input is matched per unit on the cluster).

    Raises
    ------
    InputError
        When a required column is missing.
    ParameterError
        When a parameter is not a positive number.

    Examples
    --------
    >>> import pandas as pd
    >>> pings = pd.DataFrame({  # a truck going north along the Quai de Willebroeck
    ...     "obu_id": ["a"] * 3,
    ...     "ts": pd.to_datetime(["2026-11-06 08:00:00", "2026-11-06 08:00:15",
    ...                           "2026-11-06 08:00:30"], utc=True),
    ...     "lat": [50.8582, 50.8597, 50.86115], "lon": [4.3492, 4.35008, 4.35123]})
    >>> result = map_match(pings)
    >>> result.fixes["segment_id"].tolist(), result.breaks
    ([9, 9, 9], 0)
    >>> result.path[["segment_id", "length_m"]].round(0).values.tolist()
    [[9.0, 360.0]]
    """
    checks.frame("pings", pings), checks.frame("roads", roads, geo=True, optional=True)
    require_fixes(pings.columns, "map_match")
    for name, value in (
        ("radius_m", radius_m),
        ("sigma_m", sigma_m),
        ("beta_m", beta_m),
        ("max_detour_m", max_detour_m),
        ("max_speed_kmh", max_speed_kmh),
    ):
        checks.positive(name, value)  # fmt: skip
    checks.integer("max_candidates", max_candidates, 1), checks.duration("gap", gap)
    if max_candidates != int(max_candidates):
        raise ParameterError(
            f"map_match: max_candidates must be an integer, got {max_candidates!r}"
        )
    from cibg_ds.mobility.roads import default_roads

    graph = road_graph(default_roads() if roads is None else roads)
    p = _Params(
        float(radius_m), float(sigma_m), float(beta_m), int(max_candidates),
        float(max_detour_m), float(max_speed_kmh) / 3.6, gap,
    )  # fmt: skip
    if not is_dask(pings):
        results = [_match_frame(pings, graph, p)]
    else:
        import dask

        shared = dask.delayed(graph, pure=True)  # one key: each worker fetches it once
        # keys of their own: two calls on the same fixes (map_match, then aggregate_roads
        # with matched=True) must not share a key that the first call is releasing, which
        # Dask then cancels under the second ("cancelled for reason: unknown")
        match = dask.delayed(_match_frame, pure=False)
        results = compute([match(part, shared, p) for part in regroup(pings).to_delayed()],
                          "map matching")  # fmt: skip
    fixes = pd.concat([r[0] for r in results], ignore_index=True)
    path = pd.concat([r[1] for r in results], ignore_index=True)
    if len(results) > 1:
        fixes = fixes.sort_values([s.OBU_ID, s.TS], ignore_index=True, kind="stable")
        path = path.sort_values([s.OBU_ID, TRIP_ID, "seq"], ignore_index=True, kind="stable")
    return MatchResult(
        fixes=fixes,
        path=path,
        breaks=sum(r[2] for r in results),
        unmatched_fixes=int(fixes[SEGMENT].isna().sum()),
    )


def route_accuracy(path: pd.DataFrame, truth: pd.DataFrame, *, roads=None, slack="30s") -> dict:
    """Compare matched paths with the true routes, by length (no Hausdorff distance).

    Parameters
    ----------
    path : pandas.DataFrame
        ``MatchResult.path`` (``obu_id``, ``segment_id``, ``entry_ts``).
    truth : pandas.DataFrame
        True routes (``_meta/truth_routes.parquet`` of a simulated feed): ``obu_id``,
        ``depart``, ``arrive``, ``segment_ids``.
    roads : geopandas.GeoDataFrame, optional
        The network (segment lengths); default: the embedded OSM truck network.
    slack : str
        A matched edge belongs to a leg when entered between its departure and its
        arrival plus this much.

    Returns
    -------
    dict
        ``correct_share`` (length of the true segments that the match found / true
        length), ``added_share`` (length of matched segments not on the true route / true
        length), ``true_km``, ``legs``.
    """
    from cibg_ds.mobility.roads import default_roads

    checks.frame("path", path, dask=False), checks.frame("truth", truth, dask=False)
    checks.columns("route_accuracy: path", path.columns, [s.OBU_ID, SEGMENT, "entry_ts"])
    checks.columns("route_accuracy: truth", truth.columns,
                   [s.OBU_ID, "depart", "arrive", "segment_ids"])  # fmt: skip
    checks.frame("roads", roads, geo=True, optional=True), checks.duration("slack", slack)
    roads = default_roads() if roads is None else roads
    length = pd.Series(roads.geometry.length.to_numpy(), index=roads[SEGMENT].to_numpy())
    legs = truth.reset_index(drop=True)[[s.OBU_ID, "depart", "arrive", "segment_ids"]]
    legs = legs.assign(leg=np.arange(len(legs)))
    true = legs[["leg", "segment_ids"]].explode("segment_ids").dropna()
    true = true.rename(columns={"segment_ids": SEGMENT}).astype({SEGMENT: "int64"})
    true = true.drop_duplicates()
    found = path[[s.OBU_ID, SEGMENT, "entry_ts"]].astype(
        {s.OBU_ID: "string", "entry_ts": s.PING_DTYPES[s.TS]}
    )
    found = found.sort_values("entry_ts", kind="stable")
    starts = legs[[s.OBU_ID, "depart", "arrive", "leg"]].astype(
        {s.OBU_ID: "string", "depart": s.PING_DTYPES[s.TS], "arrive": s.PING_DTYPES[s.TS]}
    )
    starts = starts.sort_values("depart", kind="stable")
    found = pd.merge_asof(
        found, starts, left_on="entry_ts", right_on="depart", by=s.OBU_ID, direction="backward"
    )
    found = found[found["entry_ts"] <= found["arrive"] + pd.Timedelta(slack)]
    found = found[["leg", SEGMENT]].astype({"leg": "int64", SEGMENT: "int64"}).drop_duplicates()
    both = true.merge(found, on=["leg", SEGMENT], how="outer", indicator=True)
    km = both[SEGMENT].map(length).to_numpy() / 1000
    true_km = km[both["_merge"] != "right_only"].sum()
    return {
        "correct_share": float(km[both["_merge"] == "both"].sum() / true_km),
        "added_share": float(km[both["_merge"] == "right_only"].sum() / true_km),
        "true_km": float(true_km),
        "legs": len(legs),
    }
