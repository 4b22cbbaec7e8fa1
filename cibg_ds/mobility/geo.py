"""Vectorised geometry helpers: point-in-commune (projections are in :mod:`cibg_ds.crs`)."""

from __future__ import annotations

import numpy as np

from cibg_ds.crs import METRIC_CRS, to_lonlat, to_metric  # noqa: F401 - here since 0.1
from cibg_ds.schema import OUTSIDE


class Places:
    """Polygons prepared once for point-in-polygon: a spatial index and prepared geometry.

    Built by :func:`places` (cached per process), from any GeoDataFrame with a ``nis``
    column: 19 communes or 720 statistical sectors alike.
    """

    def __init__(self, gdf):
        import shapely

        metric = gdf.to_crs(METRIC_CRS) if gdf.crs is not None else gdf
        self.codes = np.asarray(metric["nis"].astype(str), dtype=object)
        self.polygons = np.asarray(metric.geometry.to_numpy(), dtype=object)
        shapely.prepare(self.polygons)
        self.bounds = shapely.bounds(self.polygons)
        self.outline = shapely.union_all(self.polygons)
        self.extent = tuple(self.outline.bounds)  # (x0, y0, x1, y1), asked for on every call
        self._buffered: dict[float, object] = {}

    def area(self, buffer_m: float = 0.0):
        """Return the union of the polygons, optionally buffered by ``buffer_m`` (prepared)."""
        import shapely

        if buffer_m not in self._buffered:
            area = self.outline.buffer(buffer_m) if buffer_m else self.outline
            shapely.prepare(area)
            self._buffered[buffer_m] = area
        return self._buffered[buffer_m]

    def code_of(self, x, y) -> np.ndarray:
        """Return the code of the first polygon containing each point, or ``"outside"``.

        The points are binned on a grid over the region and sorted by bin once; each
        polygon then tests only the points of the bins its bounding box covers.
        """
        import shapely

        x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
        out = np.full(len(x), OUTSIDE, dtype=object)
        if not len(x) or not len(self.polygons):
            return out
        x0, y0, x1, y1 = self.extent
        near = np.flatnonzero((x >= x0) & (x <= x1) & (y >= y0) & (y <= y1))
        if not len(near):
            return out
        bins = _GRID
        sx, sy = bins / max(x1 - x0, 1e-9), bins / max(y1 - y0, 1e-9)
        xn, yn = x[near], y[near]
        col = np.minimum(((xn - x0) * sx).astype(np.int64), bins - 1)
        row = np.minimum(((yn - y0) * sy).astype(np.int64), bins - 1)
        order = np.argsort(row * bins + col, kind="stable")
        cell = (row * bins + col)[order]
        todo = np.ones(len(near), dtype=bool)
        for code, polygon, (a0, b0, a1, b1) in zip(
            self.codes, self.polygons, self.bounds, strict=True
        ):  # polygons, not points
            c0, c1 = (np.clip([(a0 - x0) * sx, (a1 - x0) * sx], 0, bins - 1)).astype(np.int64)
            r0, r1 = (np.clip([(b0 - y0) * sy, (b1 - y0) * sy], 0, bins - 1)).astype(np.int64)
            rows = np.arange(r0, r1 + 1) * bins
            lo = np.searchsorted(cell, rows + c0, side="left")
            hi = np.searchsorted(cell, rows + c1, side="right")
            if not (hi > lo).any():
                continue
            cand = order[np.concatenate([np.arange(i, j) for i, j in zip(lo, hi, strict=True)])]
            cand = cand[todo[cand]]
            cand = cand[(xn[cand] >= a0) & (xn[cand] <= a1) & (yn[cand] >= b0) & (yn[cand] <= b1)]
            hit = cand[shapely.contains_xy(polygon, xn[cand], yn[cand])]
            out[near[hit]] = code
            todo[hit] = False
        return out


_GRID = 64
"""Bins per side of the grid that indexes points for :meth:`Places.code_of`."""

_PLACES: dict = {}


def _fingerprint(gdf) -> str:
    import hashlib

    import shapely

    digest = hashlib.blake2b(str(gdf.crs).encode(), digest_size=16)
    digest.update("\x00".join(gdf["nis"].astype(str)).encode())
    for wkb in shapely.to_wkb(gdf.geometry.to_numpy()):
        digest.update(wkb)
    return digest.hexdigest()


def places(communes=None) -> Places:
    """Return the prepared polygons of ``communes`` (default :func:`cibg_ds.io.load_communes`).

    Loaded, projected and prepared once per process: later calls with the same polygons
    (the default, or an equal GeoDataFrame) reuse them.
    """
    from cibg_ds.io import load_communes

    if communes is None:  # the default boundaries: loaded once per process
        if None not in _PLACES:
            _PLACES[None] = places(load_communes())
        return _PLACES[None]
    gdf = communes
    key = _fingerprint(gdf)
    if key not in _PLACES:
        if len(_PLACES) > 16:  # a handful of boundary sets per process, never unbounded
            _PLACES.clear()  # the default too: it is loaded again on next use
        _PLACES[key] = Places(gdf)
    return _PLACES[key]


def region(communes=None, buffer_m: float = 0.0):
    """Return the outline of the region (EPSG:31370), optionally buffered by ``buffer_m``.

    Prepared and cached (see :func:`places`).
    """
    return places(communes).area(buffer_m)


def inside_region(x: np.ndarray, y: np.ndarray, communes=None) -> np.ndarray:
    """Return whether each point lies inside the region (``shapely.contains_xy(region(), x, y)``).

    Only points within the region's bounding box are tested (no other can be inside);
    missing or infinite coordinates are outside.
    """
    import shapely

    place = places(communes)
    x0, y0, x1, y1 = place.extent
    out = np.zeros(len(x), dtype=bool)
    near = np.flatnonzero((x >= x0) & (x <= x1) & (y >= y0) & (y <= y1))
    if len(near):
        out[near] = shapely.contains_xy(place.area(0.0), x[near], y[near])
    return out


def commune_of(x: np.ndarray, y: np.ndarray, communes=None) -> np.ndarray:
    """Return the NIS code of the commune containing each point, or ``"outside"``.

    Parameters
    ----------
    x, y : numpy.ndarray
        EPSG:31370 coordinates.
    communes : geopandas.GeoDataFrame, optional
        Default :func:`cibg_ds.io.load_communes` (the embedded official boundaries); any
        polygons with a ``nis`` column (communes or statistical sectors), prepared once per
        process (:func:`places`).

    Returns
    -------
    numpy.ndarray of object
    """
    return places(communes).code_of(x, y)
