"""Grid cells of WGS84 points by PROJ's EPSG:3035 formulas in numpy, pyproj at the edges.

EPSG:3035 is the ellipsoidal Lambert azimuthal equal-area projection (GRS80, origin 52 N
10 E, false easting 4,321,000 m and northing 3,210,000 m); pyproj projects WGS84 to it
with PROJ's ``laea`` forward formulas (Snyder 1987, pp. 187-188), no datum shift. They
are written out here in numpy (vectorised, no compiled code to load in a fresh worker),
in chunks that stay in cache. A cell only needs the floor of the coordinates over the
cell size: where a point lies within
:data:`EDGE_M` of a cell edge (or outside the safe domain, or not finite), its cell is
left to pyproj, so every cell is pyproj's own. The formulas agree with pyproj to about
1e-9 m over Europe, far inside that margin (the tests check the cells on random points
and on cell corners).
"""

from __future__ import annotations

import math

import numpy as np

EDGE_M = 1e-3
"""Points this close to a cell edge (metres) are placed by pyproj."""

_A, _F = 6378137.0, 1 / 298.257222101  # GRS80
_ES = 2 * _F - _F * _F
_E = math.sqrt(_ES)
_ONE_ES = 1 - _ES
_PHI0, _LAM0 = math.radians(52.0), math.radians(10.0)
_X0, _Y0 = 4321000.0, 3210000.0


def _qsfn(sinphi: float) -> float:
    con = _E * sinphi
    return _ONE_ES * (sinphi / (1 - con * con) - (0.5 / _E) * math.log((1 - con) / (1 + con)))


_QP = _qsfn(1.0)
_RQ = math.sqrt(0.5 * _QP)
_SINB1 = _qsfn(math.sin(_PHI0)) / _QP
_COSB1 = math.sqrt(1 - _SINB1 * _SINB1)
_DD = math.cos(_PHI0) / (math.sqrt(1 - _ES * math.sin(_PHI0) ** 2) * _RQ * _COSB1)
_XMF, _YMF = _RQ * _DD, _RQ / _DD
_DEG = math.pi / 180


CHUNK = 1 << 16
"""Points projected at a time (the temporaries stay in cache)."""


def _cells(lon, lat, size: float, edge: float, offset: int):
    """Return the cell codes of points and the flags of those left to pyproj."""
    lam = lon * _DEG - _LAM0
    sinphi = np.sin(lat * _DEG)
    con = _E * sinphi
    q = _ONE_ES * (sinphi / (1.0 - con * con) - (0.5 / _E) * np.log((1.0 - con) / (1.0 + con)))
    sinb = q / _QP
    cosb = np.sqrt(1.0 - sinb * sinb)
    coslam = np.cos(lam)
    b = np.sqrt(2.0 / (1.0 + _SINB1 * sinb + _COSB1 * cosb * coslam))
    east = (_A * (_XMF * b * cosb * np.sin(lam)) + _X0) / size
    north = (_A * (_YMF * b * (_COSB1 * sinb - _SINB1 * cosb * coslam)) + _Y0) / size
    column, row = np.floor(east), np.floor(north)
    lo, hi = edge / size, 1.0 - edge / size
    east -= column
    north -= row
    sure = (east >= lo) & (east <= hi) & (north >= lo) & (north <= hi)
    sure &= (np.abs(lon - 10.0) < 150.0) & (np.abs(lat) < 85.0)  # False for NaN too
    codes = (np.where(sure, row, 0).astype(np.int64) << 32) + offset
    codes += np.where(sure, column, 0).astype(np.int64)
    return codes, ~sure


def grid_cells(lon, lat, size: int, offset: int) -> tuple[np.ndarray, np.ndarray]:
    """Return the int64 cell codes of points and the flags of those left to pyproj.

    The codes of flagged points are meaningless: the caller places them with pyproj.

    >>> codes, unsure = grid_cells(np.array([4.3517]), np.array([50.8467]), 250, 2**31)
    >>> int(codes[0] >> 32) * 250, int((codes[0] & 0xFFFFFFFF) - 2**31) * 250, bool(unsure[0])
    (3097000, 3923500, False)
    """
    lon = np.asarray(lon, dtype=np.float64).reshape(-1)
    lat = np.asarray(lat, dtype=np.float64).reshape(-1)
    codes = np.empty(len(lon), dtype=np.int64)
    unsure = np.empty(len(lon), dtype=np.bool_)
    with np.errstate(invalid="ignore", divide="ignore"):
        for at in range(0, len(lon), CHUNK):
            part = slice(at, at + CHUNK)
            codes[part], unsure[part] = _cells(lon[part], lat[part], float(size), EDGE_M, offset)
    return codes, unsure
