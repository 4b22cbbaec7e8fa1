"""Turn day plans into OBU pings: one fix every 30 s while moving, nothing while parked.

Along each leg the truck follows the fastest path; its speed on an edge is the road's
free-flow speed, slowed at the morning (7-9 h) and evening (16-19 h) weekday peaks, and
varied per truck and leg. Positions are interpolated along the path at the ping times
(vectorised per leg), with GPS noise; fixes inside tunnels are lost. Part of the units
keep reporting for a few minutes after arrival (engine running, speed near zero) before
they fall silent.
"""

from __future__ import annotations

import datetime as dt
from typing import NamedTuple

import numpy as np
import pandas as pd

from cibg_ds import schema as s
from cibg_ds.crs import to_lonlat
from cibg_ds.synthetic.fleet import DayPlan, plan_day
from cibg_ds.synthetic.network import RoadNetwork

PING_INTERVAL_S = 30.0
GPS_NOISE_M = 4.0
STATIONARY_SHARE = 0.3
"""Share of stops during which the unit keeps reporting for 2-6 minutes."""


def congestion(hour: np.ndarray, peak_factor: np.ndarray, weekday: bool) -> np.ndarray:
    """Speed factor (<= 1) at local ``hour`` for roads whose factor at the peak is given."""
    if not weekday:
        return np.ones_like(np.asarray(hour, dtype=float))
    hour = np.asarray(hour, dtype=float) % 24
    bump = np.exp(-(((hour - 8.0) / 0.9) ** 2)) + np.exp(-(((hour - 17.5) / 1.1) ** 2))
    return 1.0 - (1.0 - peak_factor) * np.minimum(bump, 1.0)


class _Leg(NamedTuple):
    """What a leg's fixes are drawn from that does not depend on the truck or the time."""

    x: np.ndarray
    y: np.ndarray
    piece: np.ndarray
    piece_edge: np.ndarray
    d_cum: np.ndarray
    angle: np.ndarray
    length: np.ndarray
    speed_kmh: np.ndarray
    peak_factor: np.ndarray
    tunnel: np.ndarray
    segment_ids: np.ndarray
    osm_ids: np.ndarray | None


_LEGS: dict[int, tuple[object, dict]] = {}
"""Per network (by identity, the network kept alive beside): the static part of each leg."""
_MAX_LEGS = 20_000
_EDGE_COLUMNS = ("speed_kmh", "peak_factor", "tunnel", "segment_id", "osm_id")
"""What the feed reads of a leg's edges."""


def _with_zero(values: np.ndarray) -> np.ndarray:
    """``np.concatenate([[0.0], np.cumsum(values)])`` in one allocation (same values)."""
    out = np.empty(len(values) + 1)
    out[0] = 0.0
    np.cumsum(values, out=out[1:])
    return out


def _static_leg(net, a: int, b: int) -> _Leg:
    """Return the static arrays of the fastest leg from ``a`` to ``b`` (cached per process)."""
    held = _LEGS.get(id(net))
    if held is None or held[0] is not net:
        held = _LEGS[id(net)] = (net, {})
    cache = held[1]
    found = cache.get((a, b))
    if found is not None:
        return found
    leg = net.leg(a, b, columns=_EDGE_COLUMNS)
    xy, piece_edge, edges = leg["xy"], leg["piece_edge"], leg["edges"]
    speed_kmh = np.asarray(edges["speed_kmh"])
    piece = np.hypot(*np.diff(xy, axis=0).T)
    dx, dy = np.diff(xy[:, 0]), np.diff(xy[:, 1])
    found = _Leg(
        x=np.ascontiguousarray(xy[:, 0]),
        y=np.ascontiguousarray(xy[:, 1]),
        piece=piece,
        piece_edge=piece_edge,
        d_cum=_with_zero(piece),
        angle=np.degrees(np.arctan2(dx, dy)),
        length=np.bincount(piece_edge, weights=piece, minlength=len(speed_kmh)),
        speed_kmh=speed_kmh,
        peak_factor=np.asarray(edges["peak_factor"]),
        tunnel=np.asarray(edges["tunnel"], dtype=bool),
        segment_ids=np.asarray(edges["segment_id"], dtype=np.int64),
        osm_ids=np.asarray(edges["osm_id"], dtype=np.int64) if "osm_id" in edges else None,
    )
    for values in found:  # shared by every truck driving the leg (and the true routes)
        if isinstance(values, np.ndarray):
            values.flags.writeable = False
    if len(cache) > _MAX_LEGS:  # bounded memory: a few kB per leg
        cache.clear()
    cache[(a, b)] = found
    return found


def _with_zero_by(values: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """:func:`_with_zero` of each run of ``counts`` values of ``values``, concatenated.

    Bit for bit the per-run results: each run is summed from its own start, in order (a
    cumulative sum along the rows of a zero-padded grid).
    """
    rows = np.repeat(np.arange(len(counts)), counts)
    cols = np.arange(len(values)) - np.repeat(np.cumsum(counts) - counts, counts) + 1
    grid = np.zeros((len(counts), int(counts.max(initial=0)) + 1))
    grid[rows, cols] = values
    np.cumsum(grid, axis=1, out=grid)
    return grid[np.arange(grid.shape[1]) <= counts[:, None]]


class _Timing(NamedTuple):
    """Speeds and times along many legs (their arrays concatenated, leg after leg)."""

    speed: np.ndarray
    """Per edge: the speed driven (km/h)."""
    factor: np.ndarray
    """Per edge: the congestion factor when the truck reaches it."""
    piece_edge: np.ndarray
    """Per piece: its edge, a position in ``speed``."""
    t_cum: np.ndarray
    """Per leg, ``n_pieces + 1`` values: the time at each vertex (s after midnight)."""
    n_pieces: np.ndarray


def _timing(legs: list[_Leg], t0: np.ndarray, free_factor: np.ndarray, weekday: bool) -> _Timing:
    """Drive the legs leaving at ``t0``, free-flow speeds times ``free_factor``, at once.

    Each edge is driven at its free-flow speed (times the leg's factor) times the
    congestion factor at the time the truck reaches it. The values are those of the legs
    one by one, bit for bit: element-wise operations on the concatenated arrays, and
    cumulative sums restarted at each leg.
    """
    n_edges = np.array([len(leg.speed_kmh) for leg in legs])
    n_pieces = np.array([len(leg.piece) for leg in legs])
    free = np.concatenate([leg.speed_kmh for leg in legs]) * np.repeat(free_factor, n_edges)
    length = np.concatenate([leg.length for leg in legs])
    free_cum = _with_zero_by(length / (free / 3.6), n_edges)
    entered = np.ones(len(free_cum), dtype=bool)  # each edge's start: all but the leg's end
    entered[np.cumsum(n_edges + 1) - 1] = False
    hour = (np.repeat(t0, n_edges) + free_cum[entered]) / 3600.0
    factor = congestion(hour, np.concatenate([leg.peak_factor for leg in legs]), weekday)
    speed = free * factor
    first_edge = np.repeat(np.cumsum(n_edges) - n_edges, n_pieces)
    piece_edge = np.concatenate([leg.piece_edge for leg in legs]) + first_edge
    piece = np.concatenate([leg.piece for leg in legs])
    t_cum = np.repeat(t0, n_pieces + 1) + _with_zero_by(piece / (speed[piece_edge] / 3.6), n_pieces)
    return _Timing(speed, factor, piece_edge, t_cum, n_pieces)


_KEYS = ("t", "x", "y", "speed", "heading")


class _Day:
    """A truck-day being driven: its random stream, clock, fixes so far and legs."""

    __slots__ = ("legs", "pieces", "plan", "rng", "t")

    def __init__(self, plan: DayPlan, seed: int, day: dt.date):
        self.plan = plan
        self.rng = np.random.default_rng([seed, plan.truck.index, day.toordinal(), 1])
        self.t = plan.depart_s
        self.pieces: list = []
        self.legs: list[dict] = []


def _drive_legs(todo: list, weekday: bool) -> list[dict]:
    """Drive one leg of each truck-day of ``todo`` (``(_Day, _Leg)`` pairs); return fixes.

    Each truck-day's random draws are taken in the order and sizes of one leg at a time
    (free-flow factor, first ping, time jitter, heading noise, speed spread, stop-and-go),
    so the fixes are the same as driving each truck alone; the arithmetic is done for all
    legs at once. Fixes inside tunnels are lost.
    """
    legs = [leg for _, leg in todo]
    t0 = np.array([day.t for day, _ in todo])
    free_factor = np.array([day.rng.uniform(0.88, 1.05) for day, _ in todo])
    timing = _timing(legs, t0, free_factor, weekday)
    n_pieces = timing.n_pieces
    stops = np.cumsum(n_pieces + 1)
    parts = []
    for j, (day, leg) in enumerate(todo):
        rng, depart = day.rng, day.t
        t_cum = timing.t_cum[stops[j] - n_pieces[j] - 1 : stops[j]]
        end = t_cum[-1]
        times = np.arange(depart + rng.uniform(0, 5), end, PING_INTERVAL_S)
        times = times + rng.normal(0, 0.3, len(times))
        times = times[(times >= depart) & (times < end)]
        n = len(times)
        dist = np.interp(times, t_cum, leg.d_cum)
        parts.append((
            times, np.interp(dist, leg.d_cum, leg.x), np.interp(dist, leg.d_cum, leg.y),
            t_cum.searchsorted(times, side="right") - 1,
            rng.normal(0, 3, n), rng.lognormal(0, 0.12, n), rng.random(n), rng.uniform(0, 6, n),
        ))  # fmt: skip
        day.t = float(end)
    counts = np.array([len(p[0]) for p in parts])
    columns = (np.concatenate(c) for c in zip(*parts, strict=True))
    times, x, y, at, turn, spread, draw, crawl = columns
    owner = np.repeat(np.arange(len(todo)), counts)
    # t_cum[0] <= times < t_cum[-1]: the piece driven is always one of the leg's
    first_piece = (np.cumsum(n_pieces) - n_pieces)[owner]
    at = np.minimum(np.maximum(at, 0), (n_pieces - 1)[owner]) + first_piece
    edge = timing.piece_edge[at]
    heading = (np.concatenate([leg.angle for leg in legs])[at] + turn) % 360
    v = timing.speed[edge] * spread
    stop_go = (timing.factor[edge] < 0.8) & (draw < 0.12)
    v = np.where(stop_go, crawl, v)
    keep = ~np.concatenate([leg.tunnel for leg in legs])[edge]
    cuts = np.cumsum(np.bincount(owner[keep], minlength=len(todo)))[:-1]
    columns = [np.split(a[keep], cuts) for a in (times, x, y, v, heading)]
    return [dict(zip(_KEYS, arrays, strict=True)) for arrays in zip(*columns, strict=True)]


def _no_fixes() -> dict:
    empty = np.empty(0)
    return dict.fromkeys(_KEYS, empty)


def _stationary(x: float, y: float, t_arrive: float, dwell: float, rng) -> dict:
    """Return the fixes of a unit that keeps reporting after arrival (2-6 min, then silent)."""
    minutes = min(rng.uniform(2, 6), max(dwell / 60 - 6, 0))
    t = np.arange(t_arrive + PING_INTERVAL_S, t_arrive + minutes * 60, PING_INTERVAL_S)
    n = len(t)
    return {
        "t": t, "x": x + rng.normal(0, 3, n), "y": y + rng.normal(0, 3, n),
        "speed": rng.uniform(0, 1.5, n), "heading": rng.uniform(0, 360, n),
    }  # fmt: skip


def drive_many(
    plans: list[DayPlan], net: RoadNetwork, weekday: bool, seed: int, day: dt.date
) -> list[dict]:
    """Return the fixes of many truck-days, as :func:`drive` does for each (same values).

    The trucks drive their first legs together, then their second legs, and so on; each
    truck-day keeps its own random stream, drawn in the same order as alone.
    """
    days = [_Day(plan, seed, day) for plan in plans]
    xy = net.place_xy
    for i in range(max((len(p.stops) - 1 for p in plans), default=0)):
        driving = [d for d in days if i < len(d.plan.stops) - 1]
        todo = []
        for d in driving:
            a, b = d.plan.stops[i], d.plan.stops[i + 1]
            leg = _static_leg(net, int(a), int(b))
            d.legs.append({"leg": i, "depart_s": d.t, "arrive_s": d.t,
                           "segment_ids": leg.segment_ids, "osm_ids": leg.osm_ids})  # fmt: skip
            d.pieces.append(None if len(leg.x) >= 2 else _no_fixes())
            if len(leg.x) >= 2:
                todo.append((d, leg))
        for (d, _), fixes in zip(todo, _drive_legs(todo, weekday) if todo else [], strict=True):
            d.pieces[-1] = fixes
            d.legs[-1]["arrive_s"] = d.t
        for d in driving:
            if i < len(d.plan.dwell_s):
                dwell = d.plan.dwell_s[i]
                if d.rng.random() < STATIONARY_SHARE:
                    d.pieces.append(_stationary(*xy[d.plan.stops[i + 1]], d.t, dwell, d.rng))
                d.t += dwell
    out = []
    for d in days:
        fixes = {k: np.concatenate([p[k] for p in d.pieces]) for k in _KEYS}
        noise = d.rng.normal(0, GPS_NOISE_M, (2, len(fixes["t"])))
        fixes["x"], fixes["y"] = fixes["x"] + noise[0], fixes["y"] + noise[1]
        fixes["legs"] = d.legs
        out.append(fixes)
    return out


def drive(plan: DayPlan, net: RoadNetwork, weekday: bool, seed: int, day: dt.date) -> dict:
    """Return the fixes of one truck-day as arrays (``t`` in s after local midnight).

    Along each leg the truck follows the roads' vertices; each edge is driven at its
    free-flow speed (varied per leg) times the congestion factor at the time the truck
    reaches it. ``fixes["legs"]`` lists each leg's departure, arrival and true route
    (ordered ``segment_ids`` and ``osm_ids`` of the roads driven).
    """
    return drive_many([plan], net, weekday, seed, day)[0]


def _routes(legs: list[dict], pseudo: dict, midnight: pd.Timestamp) -> pd.DataFrame:
    """Return the true route of each leg (pseudonymous unit, times, ordered segments)."""
    table = pd.DataFrame(legs)
    times = {
        c: midnight + pd.to_timedelta(table[c].to_numpy().round().astype("int64"), unit="s")
        for c in ("depart_s", "arrive_s")
    }
    return pd.DataFrame(
        {
            s.OBU_ID: table["index"].map(pseudo).astype("string").to_numpy(),
            "leg": table["leg"].astype("int16").to_numpy(),
            "depart": times["depart_s"],
            "arrive": times["arrive_s"],
            "segment_ids": [r.tolist() for r in table["segment_ids"]],
            "osm_ids": [None if r is None else r.tolist() for r in table["osm_ids"]],
        }
    )


def simulate_chunk(
    trucks: list,
    day: dt.date,
    seed: int,
    net: RoadNetwork,
    key: str,
    tz: str,
    routes: list | None = None,
) -> pd.DataFrame:
    """Return the canonical pings of ``trucks`` on ``day``, sorted by time then unit.

    Parameters
    ----------
    trucks : list of Truck
    day : datetime.date
        Local (``tz``) day the trucks start; tours may run past midnight.
    seed : int
    net : RoadNetwork
    key : str
        Pseudonymisation key; raw unit ids (``OBU<index>``) never leave this function.
    tz : str
        Local time zone.
    routes : list, optional
        When given, a DataFrame of the true routes is appended to it: ``obu_id``,
        ``leg``, ``depart``, ``arrive`` (UTC), ``segment_ids`` and ``osm_ids`` (ordered
        lists of the segments driven), so that map matching can be measured.

    Returns
    -------
    pandas.DataFrame
        Canonical ping schema (:data:`cibg_ds.schema.PING_DTYPES`).
    """
    from cibg_ds.io.pings import pseudonymise

    weekday = day.weekday() < 5
    frames, owners, legs = [], [], []
    plans = [p for p in (plan_day(truck, day, seed, net) for truck in trucks) if p is not None]
    for plan, fixes in zip(plans, drive_many(plans, net, weekday, seed, day), strict=True):
        frames.append(fixes)
        owners.append(np.full(len(fixes["t"]), plan.truck.index))
        legs += [{"index": plan.truck.index, **leg} for leg in fixes["legs"]]
    if not frames:
        from cibg_ds.io.pings import empty_pings

        return empty_pings()
    arrays = {
        k: np.concatenate([f[k] for f in frames]) for k in ("t", "x", "y", "speed", "heading")
    }
    owner = np.concatenate(owners)
    lon, lat = to_lonlat(arrays["x"], arrays["y"])
    midnight = pd.Timestamp(day, tz=tz).tz_convert("UTC")
    # OBUs stamp fixes to the whole second.
    ts = midnight + pd.to_timedelta(np.round(arrays["t"]).astype("int64"), unit="s")
    ts = ts.astype(s.PING_DTYPES[s.TS])
    by_index = {t.index: t for t in trucks}
    present = np.unique(np.concatenate([owner, [leg["index"] for leg in legs]]).astype(int))
    raw_ids = pd.Series([f"OBU{i:07d}" for i in present])
    pseudonyms = pseudonymise(raw_ids, key)
    pseudo = dict(zip(present, pseudonyms, strict=True))
    if routes is not None:
        routes.append(_routes(legs, pseudo, midnight))
    # per unit (in the order of ``present``), then taken for every row in time, unit order
    units = [by_index[i] for i in present]
    unit = np.searchsorted(present, owner)
    _, rank = np.unique(pseudonyms.to_numpy(dtype=str), return_inverse=True)
    order = np.lexsort((rank[unit], ts.asi8))
    unit = unit[order]
    classes = s.PING_DTYPES[s.WEIGHT_CLASS]
    weight = classes.categories.get_indexer([u.weight_class for u in units])
    euro = np.array([u.euro_class for u in units], dtype=np.int8)
    country = pd.array([u.country for u in units], dtype=s.PING_DTYPES[s.COUNTRY])
    return pd.DataFrame(
        {
            s.OBU_ID: pseudonyms.array.take(unit),
            s.TS: ts[order],
            s.LAT: lat[order],
            s.LON: lon[order],
            s.SPEED: arrays["speed"][order].astype(np.float32),
            s.HEADING: arrays["heading"][order].astype(np.float32),
            s.WEIGHT_CLASS: pd.Categorical.from_codes(weight[unit], dtype=classes),
            s.EURO_CLASS: pd.array(euro[unit], dtype=s.PING_DTYPES[s.EURO_CLASS]),
            s.COUNTRY: country.take(unit),
        }
    )
