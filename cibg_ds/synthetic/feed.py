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


def _leg(net, a: int, b: int, t0: float, weekday: bool, rng) -> dict:
    """Pings of one leg from place ``a`` leaving at ``t0`` (s after midnight) to place ``b``.

    The truck follows the roads' vertices; each edge is driven at its free-flow speed
    (varied per leg) times the congestion factor at the time the truck reaches it.
    """
    leg = _static_leg(net, int(a), int(b))
    if len(leg.x) < 2:
        empty = np.empty(0)
        return {"t": empty, "x": empty, "y": empty, "speed": empty, "heading": empty,
                "end": float(t0), "leg": leg}  # fmt: skip
    piece, piece_edge = leg.piece, leg.piece_edge
    free = leg.speed_kmh * rng.uniform(0.88, 1.05)
    free_cum = _with_zero(leg.length / (free / 3.6))
    factor = congestion((t0 + free_cum[:-1]) / 3600.0, leg.peak_factor, weekday)
    speed = free * factor
    piece_speed = speed[piece_edge]
    t_cum = t0 + _with_zero(piece / (piece_speed / 3.6))
    end = t_cum[-1]
    times = np.arange(t0 + rng.uniform(0, 5), end, PING_INTERVAL_S)
    times = times + rng.normal(0, 0.3, len(times))
    times = times[(times >= t0) & (times < end)]
    n = len(times)
    dist = np.interp(times, t_cum, leg.d_cum)
    x = np.interp(dist, leg.d_cum, leg.x)
    y = np.interp(dist, leg.d_cum, leg.y)
    # t_cum[0] <= times < t_cum[-1]: the piece driven is always one of the leg's
    at = np.minimum(np.maximum(t_cum.searchsorted(times, side="right") - 1, 0), len(piece) - 1)
    edge = piece_edge[at]
    heading = (leg.angle[at] + rng.normal(0, 3, n)) % 360
    v = speed[edge] * rng.lognormal(0, 0.12, n)
    stop_go = (factor[edge] < 0.8) & (rng.random(n) < 0.12)
    v = np.where(stop_go, rng.uniform(0, 6, n), v)
    keep = ~leg.tunnel[edge]
    return {
        "t": times[keep], "x": x[keep], "y": y[keep], "speed": v[keep],
        "heading": heading[keep], "end": float(end), "leg": leg,
    }  # fmt: skip


def _stationary(x: float, y: float, t_arrive: float, dwell: float, rng) -> dict:
    """Return the fixes of a unit that keeps reporting after arrival (2-6 min, then silent)."""
    minutes = min(rng.uniform(2, 6), max(dwell / 60 - 6, 0))
    t = np.arange(t_arrive + PING_INTERVAL_S, t_arrive + minutes * 60, PING_INTERVAL_S)
    n = len(t)
    return {
        "t": t, "x": x + rng.normal(0, 3, n), "y": y + rng.normal(0, 3, n),
        "speed": rng.uniform(0, 1.5, n), "heading": rng.uniform(0, 360, n),
    }  # fmt: skip


def drive(plan: DayPlan, net: RoadNetwork, weekday: bool, seed: int, day: dt.date) -> dict:
    """Return the fixes of one truck-day as arrays (``t`` in s after local midnight).

    ``fixes["legs"]`` lists each leg's departure, arrival and true route (ordered
    ``segment_ids`` and ``osm_ids`` of the roads driven).
    """
    rng = np.random.default_rng([seed, plan.truck.index, day.toordinal(), 1])
    pieces, legs, t = [], [], plan.depart_s
    xy = net.place_xy
    for i, (a, b) in enumerate(zip(plan.stops[:-1], plan.stops[1:], strict=True)):
        leg = _leg(net, a, b, t, weekday, rng)
        pieces.append(leg)
        static = leg["leg"]
        legs.append(
            {
                "leg": i,
                "depart_s": t,
                "arrive_s": leg["end"],
                "segment_ids": static.segment_ids,
                "osm_ids": static.osm_ids,
            }
        )
        t = leg["end"]
        if i < len(plan.dwell_s):
            dwell = plan.dwell_s[i]
            if rng.random() < STATIONARY_SHARE:
                pieces.append(_stationary(*xy[b], t, dwell, rng))
            t += dwell
    keys = ("t", "x", "y", "speed", "heading")
    fixes = {k: np.concatenate([p[k] for p in pieces]) for k in keys}
    noise = rng.normal(0, GPS_NOISE_M, (2, len(fixes["t"])))
    fixes["x"], fixes["y"] = fixes["x"] + noise[0], fixes["y"] + noise[1]
    fixes["legs"] = legs
    return fixes


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
    for truck in trucks:
        plan = plan_day(truck, day, seed, net)
        if plan is None:
            continue
        fixes = drive(plan, net, weekday, seed, day)
        frames.append(fixes)
        owners.append(np.full(len(fixes["t"]), truck.index))
        legs += [{"index": truck.index, **leg} for leg in fixes["legs"]]
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
