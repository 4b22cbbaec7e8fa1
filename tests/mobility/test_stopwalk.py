"""The compiled window test decides as the exact one (GEOS' rectangle, geographiclib) does."""

from __future__ import annotations

import numpy as np
import pytest

from cibg_ds.mobility import stopwalk
from cibg_ds.mobility.stationary import _box, _stopped
from cibg_ds.mobility.stopwalk import _test


def _cloud(rng, kind: str, n: int) -> np.ndarray:
    """Points (unit scale) of one shape: the hard cases of a minimum rotated rectangle."""
    if kind == "blob":
        return rng.normal(size=(n, 2)) * [1.0, rng.uniform(0.05, 1.0)]
    if kind == "thin":  # nearly collinear: the rectangle is a sliver, down to rounding
        angle = rng.uniform(0, np.pi)
        along = np.outer(rng.normal(size=n), [np.cos(angle), np.sin(angle)])
        return along + rng.normal(size=(n, 2)) * 10.0 ** -rng.integers(2, 13)
    if kind == "grid":  # equal areas on several hull edges: ties GEOS breaks its own way
        return rng.integers(0, 4, size=(n, 2)).astype(float)
    if kind == "line":  # exactly collinear, with repeats: GEOS returns a line
        return np.outer(rng.integers(0, 5, n), [1.0, rng.integers(-2, 3)])
    return np.repeat(rng.normal(size=(1, 2)), n, axis=0)  # one spot: a point


@pytest.mark.parametrize("lat0", [0.3, 39.9, 53.4, 74.0, 80.0])
def test_the_compiled_test_equals_the_exact_test_near_the_threshold(lat0, monkeypatch):
    handed_back = []  # the windows the compiled test leaves to the exact one
    exact = stopwalk._exact_py
    monkeypatch.setattr(stopwalk, "_exact_py", lambda *a: handed_back.append(a) or exact(*a))
    rng = np.random.default_rng(int(lat0 * 10))
    disagree, tested = [], 0
    for trial in range(400):
        kind = ["blob", "thin", "grid", "line", "spot", "thin", "line", "blob"][trial % 8]
        n = int(rng.integers(2, 40))
        limit = float(rng.choice([5.0, 50.0, 100.0, 3000.0]))
        pts = _cloud(rng, kind, n)
        size = np.ptp(pts, axis=0).max() or 1.0
        # scaled so that the window's diagonal falls around the threshold (0.5-1.6 x)
        metres = pts / size * limit * rng.uniform(0.5, 1.6) / np.sqrt(2)
        lat = lat0 + metres[:, 1] / 111_000
        lon = 116.3 + metres[:, 0] / (111_000 * np.cos(np.radians(lat0)))
        lon, lat = np.ascontiguousarray(lon), np.ascontiguousarray(lat)
        hull, state = np.empty((2, n + 2)), np.zeros(2, np.int64)
        for i in range(1, n):  # the window 0..i grows by one fix, its hull kept as in a stop
            box = _box(lon, lat, 0, i)
            got = _test(lon, lat, 0, i, np.array(box), limit, hull, state)
            tested += 1
            if got != _stopped(lon, lat, 0, i, box, limit):
                disagree.append((kind, limit, i))
    assert tested > 1000
    assert not disagree, disagree[:5]
    assert len(handed_back) < tested / 2  # most windows, even these close ones, decided compiled
