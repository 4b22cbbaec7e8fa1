"""The coordinate reference systems of the data contracts, and projections between them.

Metric work (distances, areas, buffers) happens in Belgian Lambert 72, ping coordinates
and web maps are WGS84, gridded outputs use the European statistical grid (ETRS89-LAEA,
whose cell ids ``CRS3035RES250mN...E...`` name it). These are properties of the data,
not settings: every module takes them from here.

Examples
--------
>>> x, y = to_metric([4.3517], [50.8466])  # the Grand-Place
>>> lon, lat = to_lonlat(x, y)
>>> round(float(lon[0]), 4), round(float(lat[0]), 4)
(4.3517, 50.8466)
"""

from __future__ import annotations

import functools

import numpy as np

METRIC_CRS = "EPSG:31370"
"""Belgian Lambert 72: every distance and area is computed here."""
WEB_CRS = "EPSG:4326"
"""WGS84 longitudes and latitudes: the pings and web maps."""
GRID_CRS = "EPSG:3035"
"""ETRS89-LAEA, the European statistical grid."""


@functools.cache
def _transformer(source: str, target: str):
    from pyproj import Transformer

    return Transformer.from_crs(source, target, always_xy=True)


def to_metric(lon, lat) -> tuple[np.ndarray, np.ndarray]:
    """Project WGS84 longitudes and latitudes to EPSG:31370 metres.

    Parameters
    ----------
    lon, lat : array-like
        Degrees.

    Returns
    -------
    x, y : numpy.ndarray
        Metres.
    """
    t = _transformer(WEB_CRS, METRIC_CRS)
    x, y = t.transform(np.asarray(lon, dtype=float), np.asarray(lat, dtype=float))
    return np.asarray(x), np.asarray(y)


def to_lonlat(x, y) -> tuple[np.ndarray, np.ndarray]:
    """Project EPSG:31370 metres back to WGS84 longitudes and latitudes.

    Parameters
    ----------
    x, y : array-like
        Metres.

    Returns
    -------
    lon, lat : numpy.ndarray
        Degrees.
    """
    t = _transformer(METRIC_CRS, WEB_CRS)
    lon, lat = t.transform(np.asarray(x, dtype=float), np.asarray(y, dtype=float))
    return np.asarray(lon), np.asarray(lat)
