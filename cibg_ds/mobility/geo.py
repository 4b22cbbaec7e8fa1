"""Vectorised geometry helpers: projection to Belgian Lambert 72 and point-in-commune."""

from __future__ import annotations

import functools

import numpy as np

from cibg_ds.schema import OUTSIDE

METRIC_CRS = "EPSG:31370"


@functools.cache
def _to_metric():
    from pyproj import Transformer

    return Transformer.from_crs("EPSG:4326", METRIC_CRS, always_xy=True)


@functools.cache
def _to_lonlat():
    from pyproj import Transformer

    return Transformer.from_crs(METRIC_CRS, "EPSG:4326", always_xy=True)


def to_lonlat(x, y) -> tuple[np.ndarray, np.ndarray]:
    """Project EPSG:31370 metres back to WGS84 longitudes and latitudes."""
    lon, lat = _to_lonlat().transform(np.asarray(x, dtype=float), np.asarray(y, dtype=float))
    return np.asarray(lon), np.asarray(lat)


def to_metric(lon, lat) -> tuple[np.ndarray, np.ndarray]:
    """Project WGS84 longitudes and latitudes to EPSG:31370 metres."""
    x, y = _to_metric().transform(np.asarray(lon, dtype=float), np.asarray(lat, dtype=float))
    return np.asarray(x), np.asarray(y)


def region(communes=None, buffer_m: float = 0.0):
    """Return the outline of the region (EPSG:31370), optionally buffered by ``buffer_m``."""
    import shapely

    from cibg_ds.io import load_communes

    gdf = load_communes() if communes is None else communes.to_crs(METRIC_CRS)
    outline = shapely.union_all(gdf.geometry.to_numpy())
    return outline.buffer(buffer_m) if buffer_m else outline


def commune_of(x: np.ndarray, y: np.ndarray, communes=None) -> np.ndarray:
    """Return the NIS code of the commune containing each point, or ``"outside"``.

    Parameters
    ----------
    x, y : numpy.ndarray
        EPSG:31370 coordinates.
    communes : geopandas.GeoDataFrame, optional
        Default :func:`cibg_ds.io.load_communes` (the embedded official boundaries).

    Returns
    -------
    numpy.ndarray of object
    """
    import shapely

    from cibg_ds.io import load_communes

    gdf = load_communes() if communes is None else communes.to_crs(METRIC_CRS)
    out = np.full(len(x), OUTSIDE, dtype=object)
    todo = np.isfinite(x) & np.isfinite(y)
    for nis, polygon in zip(gdf["nis"], gdf.geometry, strict=True):  # 19 polygons, not pings
        shapely.prepare(polygon)
        inside = todo & shapely.contains_xy(polygon, x, y)
        out[inside] = nis
        todo &= ~inside
    return out
