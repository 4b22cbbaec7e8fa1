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

import numpy as np
import pandas as pd

from cibg_ds import schema as s
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


def _leg(net: RoadNetwork, a: int, b: int, t0: float, weekday: bool, rng) -> dict:
    """Pings of one leg from node ``a`` leaving at ``t0`` (s after midnight) to node ``b``."""
    path = net.path(a, b)
    edges = net.edges.iloc[net.edge_index[path[:-1], path[1:]]]
    length = edges["length_m"].to_numpy()
    free = edges["speed_kmh"].to_numpy() * rng.uniform(0.88, 1.05)
    free_cum = np.concatenate([[0.0], np.cumsum(length / (free / 3.6))])
    factor = congestion((t0 + free_cum[:-1]) / 3600.0, edges["peak_factor"].to_numpy(), weekday)
    speed = free * factor
    t_cum = t0 + np.concatenate([[0.0], np.cumsum(length / (speed / 3.6))])
    d_cum = np.concatenate([[0.0], np.cumsum(length)])
    times = np.arange(t0 + rng.uniform(0, 5), t_cum[-1], PING_INTERVAL_S)
    times = times + rng.normal(0, 0.3, len(times))
    times = times[(times >= t0) & (times < t_cum[-1])]
    dist = np.interp(times, t_cum, d_cum)
    xy = net.nodes[["x", "y"]].to_numpy()[path]
    x = np.interp(dist, d_cum, xy[:, 0])
    y = np.interp(dist, d_cum, xy[:, 1])
    edge = np.clip(np.searchsorted(t_cum, times, side="right") - 1, 0, len(length) - 1)
    dx, dy = np.diff(xy[:, 0])[edge], np.diff(xy[:, 1])[edge]
    heading = (np.degrees(np.arctan2(dx, dy)) + rng.normal(0, 3, len(times))) % 360
    v = speed[edge] * rng.lognormal(0, 0.12, len(times))
    stop_go = (factor[edge] < 0.8) & (rng.random(len(times)) < 0.12)
    v = np.where(stop_go, rng.uniform(0, 6, len(times)), v)
    keep = ~edges["tunnel"].to_numpy()[edge]
    return {
        "t": times[keep], "x": x[keep], "y": y[keep], "speed": v[keep],
        "heading": heading[keep], "end": float(t_cum[-1]),
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
    """Return the fixes of one truck-day as arrays (``t`` in s after local midnight)."""
    rng = np.random.default_rng([seed, plan.truck.index, day.toordinal(), 1])
    pieces, t = [], plan.depart_s
    xy = net.nodes[["x", "y"]].to_numpy()
    for i, (a, b) in enumerate(zip(plan.stops[:-1], plan.stops[1:], strict=True)):
        leg = _leg(net, a, b, t, weekday, rng)
        pieces.append(leg)
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
    return fixes


def simulate_chunk(
    trucks: list, day: dt.date, seed: int, net: RoadNetwork, key: str, tz: str
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

    Returns
    -------
    pandas.DataFrame
        Canonical ping schema (:data:`cibg_ds.schema.PING_DTYPES`).
    """
    from pyproj import Transformer

    from cibg_ds.io.pings import pseudonymise

    weekday = day.weekday() < 5
    frames, owners = [], []
    for truck in trucks:
        plan = plan_day(truck, day, seed, net)
        if plan is None:
            continue
        fixes = drive(plan, net, weekday, seed, day)
        frames.append(fixes)
        owners.append(np.full(len(fixes["t"]), truck.index))
    if not frames:
        from cibg_ds.io.pings import empty_pings

        return empty_pings()
    arrays = {k: np.concatenate([f[k] for f in frames]) for k in frames[0]}
    owner = np.concatenate(owners)
    to_wgs84 = Transformer.from_crs("EPSG:31370", "EPSG:4326", always_xy=True)
    lon, lat = to_wgs84.transform(arrays["x"], arrays["y"])
    midnight = pd.Timestamp(day, tz=tz).tz_convert("UTC")
    # OBUs stamp fixes to the whole second.
    ts = midnight + pd.to_timedelta(np.round(arrays["t"]).astype("int64"), unit="s")
    by_index = {t.index: t for t in trucks}
    present = np.unique(owner)
    raw_ids = pd.Series([f"OBU{i:07d}" for i in present])
    pseudo = dict(zip(present, pseudonymise(raw_ids, key), strict=True))
    attrs = pd.DataFrame(
        [
            (i, pseudo[i], by_index[i].weight_class, by_index[i].euro_class, by_index[i].country)
            for i in present
        ],
        columns=["index", s.OBU_ID, s.WEIGHT_CLASS, s.EURO_CLASS, s.COUNTRY],
    ).set_index("index")
    per_row = attrs.loc[owner]
    df = pd.DataFrame(
        {
            s.OBU_ID: per_row[s.OBU_ID].to_numpy(),
            s.TS: ts,
            s.LAT: lat,
            s.LON: lon,
            s.SPEED: arrays["speed"],
            s.HEADING: arrays["heading"],
            s.WEIGHT_CLASS: per_row[s.WEIGHT_CLASS].to_numpy(),
            s.EURO_CLASS: per_row[s.EURO_CLASS].to_numpy(),
            s.COUNTRY: per_row[s.COUNTRY].to_numpy(),
        }
    )
    df = df.astype(s.PING_DTYPES)
    return df.sort_values([s.TS, s.OBU_ID], ignore_index=True)
