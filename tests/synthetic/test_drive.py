"""Trucks driven together give the same fixes, bit for bit, as each truck driven alone."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

from cibg_ds.synthetic import feed
from cibg_ds.synthetic.fleet import plan_day
from cibg_ds.synthetic.network import build_network
from cibg_ds.synthetic.simulate import _fleet


def _leg_alone(net, a, b, t0, weekday, rng) -> dict:
    """One leg, driven the way the simulator drove it leg by leg before (the reference)."""
    leg = feed._static_leg(net, int(a), int(b))
    if len(leg.x) < 2:
        empty = np.empty(0)
        return {"t": empty, "x": empty, "y": empty, "speed": empty, "heading": empty,
                "end": float(t0)}  # fmt: skip
    free = leg.speed_kmh * rng.uniform(0.88, 1.05)
    free_cum = np.concatenate([[0.0], np.cumsum(leg.length / (free / 3.6))])
    factor = feed.congestion((t0 + free_cum[:-1]) / 3600.0, leg.peak_factor, weekday)
    speed = free * factor
    t_cum = t0 + np.concatenate([[0.0], np.cumsum(leg.piece / (speed[leg.piece_edge] / 3.6))])
    end = t_cum[-1]
    times = np.arange(t0 + rng.uniform(0, 5), end, feed.PING_INTERVAL_S)
    times = times + rng.normal(0, 0.3, len(times))
    times = times[(times >= t0) & (times < end)]
    n = len(times)
    dist = np.interp(times, t_cum, leg.d_cum)
    x, y = np.interp(dist, leg.d_cum, leg.x), np.interp(dist, leg.d_cum, leg.y)
    at = np.clip(t_cum.searchsorted(times, side="right") - 1, 0, len(leg.piece) - 1)
    edge = leg.piece_edge[at]
    heading = (leg.angle[at] + rng.normal(0, 3, n)) % 360
    v = speed[edge] * rng.lognormal(0, 0.12, n)
    stop_go = (factor[edge] < 0.8) & (rng.random(n) < 0.12)
    v = np.where(stop_go, rng.uniform(0, 6, n), v)
    keep = ~leg.tunnel[edge]
    return {"t": times[keep], "x": x[keep], "y": y[keep], "speed": v[keep],
            "heading": heading[keep], "end": float(end)}  # fmt: skip


def _drive_alone(plan, net, weekday, seed, day) -> dict:
    rng = np.random.default_rng([seed, plan.truck.index, day.toordinal(), 1])
    pieces, ends, t = [], [], plan.depart_s
    for i, (a, b) in enumerate(zip(plan.stops[:-1], plan.stops[1:], strict=True)):
        leg = _leg_alone(net, a, b, t, weekday, rng)
        pieces.append(leg)
        t = leg["end"]
        ends.append(t)
        if i < len(plan.dwell_s):
            if rng.random() < feed.STATIONARY_SHARE:
                pieces.append(feed._stationary(*net.place_xy[b], t, plan.dwell_s[i], rng))
            t += plan.dwell_s[i]
    fixes = {k: np.concatenate([p[k] for p in pieces]) for k in feed._KEYS}
    noise = rng.normal(0, feed.GPS_NOISE_M, (2, len(fixes["t"])))
    fixes["x"], fixes["y"] = fixes["x"] + noise[0], fixes["y"] + noise[1]
    fixes["ends"] = ends
    return fixes


@pytest.mark.parametrize(("day", "seed"), [(dt.date(2026, 11, 3), 0), (dt.date(2026, 11, 7), 4)])
def test_driving_many_trucks_at_once_is_driving_each_alone(day, seed):
    net = build_network()
    trucks = _fleet(0, 150, seed)
    plans = [p for p in (plan_day(t, day, seed, net) for t in trucks) if p is not None]
    weekday = day.weekday() < 5
    together = feed.drive_many(plans, net, weekday, seed, day)
    assert sum(len(f["t"]) for f in together) > 1000
    for plan, fixes in zip(plans, together, strict=True):
        alone = _drive_alone(plan, net, weekday, seed, day)
        for key in feed._KEYS:
            np.testing.assert_array_equal(fixes[key], alone[key], strict=True)
        assert [leg["arrive_s"] for leg in fixes["legs"]] == alone["ends"]
    one = feed.drive(plans[0], net, weekday, seed, day)  # one truck alone: the same
    for key in feed._KEYS:
        np.testing.assert_array_equal(one[key], together[0][key], strict=True)


def test_cumulative_sums_restart_at_each_run_bit_for_bit():
    rng = np.random.default_rng(1)
    counts = np.array([3, 0, 1, 250, 7])
    values = rng.random(counts.sum()) * 1e4
    got = feed._with_zero_by(values, counts)
    starts = np.cumsum(counts) - counts
    runs = zip(starts, counts, strict=True)
    want = np.concatenate([feed._with_zero(values[s : s + c]) for s, c in runs])
    np.testing.assert_array_equal(got, want, strict=True)
