"""Fixes to cells of the European statistical grid (EPSG:3035) and local time bins."""

from __future__ import annotations

import functools

import numpy as np
import pandas as pd

from cibg_ds.crs import GRID_CRS, WEB_CRS
from cibg_ds.errors import ParameterError

CELL = "cell_id"
CELL_SIZES = {"100m": 100, "250m": 250, "1km": 1000}
_OFFSET = 2**31
BINS = ("hour", "daytype", "date", "weekday_hour")
"""Named time bins (local time); any pandas frequency (``"15min"``, ``"h"``) floors instead."""


@functools.cache
def _to_grid():
    from pyproj import Transformer

    return Transformer.from_crs(WEB_CRS, GRID_CRS, always_xy=True)


def cell_size(cell: str | int) -> int:
    """Return the cell size in metres for ``"100m"``, ``"250m"``, ``"1km"`` (or metres)."""
    size = CELL_SIZES.get(cell, cell) if isinstance(cell, str) else cell
    if not isinstance(size, int) or size <= 0:
        raise ParameterError(f"cell must be one of {list(CELL_SIZES)} or metres, got {cell!r}")
    return size


def cell_codes(lon, lat, cell="250m") -> np.ndarray:
    """Return an int64 code of the grid cell of each point (fast to group; see :func:`cell_labels`).

    The code packs the cell's row and column (``row * 2**32 + column + 2**31``). Cells are
    found by PROJ's formulas in numpy (:mod:`cibg_ds.mobility.laea`), by pyproj for a
    point near a cell edge: pyproj's cells, about twice as fast.
    """
    from cibg_ds.mobility.laea import grid_cells

    size = cell_size(cell)
    lon, lat = np.asarray(lon, float), np.asarray(lat, float)
    shape = np.broadcast_shapes(lon.shape, lat.shape)
    lon, lat = np.broadcast_to(lon, shape).ravel(), np.broadcast_to(lat, shape).ravel()
    codes, unsure = grid_cells(lon, lat, size, _OFFSET)
    if unsure.any():
        codes[unsure] = projected_cell_codes(lon[unsure], lat[unsure], size)
    return codes.reshape(shape)


def projected_cell_codes(lon, lat, cell="250m") -> np.ndarray:
    """:func:`cell_codes` by pyproj alone (the reference of the formulas)."""
    size = cell_size(cell)
    x, y = _to_grid().transform(np.asarray(lon, float), np.asarray(lat, float))
    with np.errstate(invalid="ignore"):  # a point without coordinates has no cell (any code)
        row = np.floor(np.asarray(y) / size).astype(np.int64)
        column = np.floor(np.asarray(x) / size).astype(np.int64)
    return (row << 32) + (column + _OFFSET)


def cell_labels(codes, cell="250m") -> np.ndarray:
    """Return the standard ids (``CRS3035RES250mN3080000E3960000``) of cell codes."""
    return cell_label_array(codes, cell).to_numpy(zero_copy_only=False)


def cell_label_array(codes, cell="250m"):
    """Return the ids of cell codes as a pyarrow string array (built by pyarrow compute).

    >>> cell_label_array(cell_codes([4.3517], [50.8467])).to_pylist()
    ['CRS3035RES250mN3097000E3923500']
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    size = cell_size(cell)
    codes = np.asarray(codes, dtype=np.int64)
    north = pc.cast(pa.array((codes >> 32) * size), pa.string())
    east = pc.cast(pa.array(((codes & 0xFFFFFFFF) - _OFFSET) * size), pa.string())
    return pc.binary_join_element_wise(f"CRS3035RES{size}mN", north, "E", east, "")


def cell_ids(lon, lat, cell="250m") -> np.ndarray:
    """Return the grid cell id of each point, e.g. ``CRS3035RES250mN3080000E3960000``.

    The id names the cell's lower-left corner in EPSG:3035 metres (Eurostat's convention).

    >>> cell_ids([4.3517], [50.8467]).tolist()  # the Grand-Place
    ['CRS3035RES250mN3097000E3923500']
    """
    return cell_labels(cell_codes(lon, lat, cell), cell)


def _is_dst(local: pd.Series, tz: str) -> np.ndarray:
    """Tell, per time, whether its UTC offset is the zone's summer (daylight) one."""
    wall = local.dt.tz_localize(None).to_numpy(dtype="datetime64[ns]").view("int64")
    utc = local.dt.tz_convert("UTC").dt.tz_localize(None)
    offset = wall - utc.to_numpy(dtype="datetime64[ns]").view("int64")
    years = {int(y) for y in local.dt.year.dropna().unique()} or {2000}
    standard = min(
        pd.Timestamp(f"{y}-{m}-01", tz=tz).utcoffset() for y in years for m in (1, 7)
    ) // pd.Timedelta(1, "ns")
    return offset > standard


_HOUR_NS = 3_600_000_000_000


def _local_hours(ts: pd.Series, tz: str) -> np.ndarray | None:
    """Return the local hour (int8) of each UTC time by its UTC hour, or None.

    The zone's offset is looked up once per UTC hour the times span, not per time: exact
    where it is the same whole number of hours at both ends of a UTC hour (a zone changes
    its offset at most once in an hour). None when some hour is not so (a zone with
    half-hour offsets), a time is missing or the times span over 100 years.
    """
    values = ts.array
    if not isinstance(getattr(values, "dtype", None), pd.DatetimeTZDtype) or ts.isna().any():
        return None
    if len(values) == 0:
        return np.zeros(0, dtype=np.int8)
    try:
        utc = values.tz_convert("UTC").as_unit("ns").asi8  # any resolution, as nanoseconds
    except (OverflowError, ValueError):  # out of the nanoseconds' range (pandas' error)
        return None
    hours = utc // _HOUR_NS
    first, last = int(hours.min()), int(hours.max())
    if last - first > 24 * 366 * 100:
        return None
    start = np.arange(first, last + 1, dtype=np.int64) * _HOUR_NS
    offsets = []
    for at in (start, start + _HOUR_NS - 1):
        wall = pd.DatetimeIndex(at, tz="UTC").tz_convert(tz).tz_localize(None).asi8
        offsets.append(wall - at)
    if not (np.array_equal(*offsets) and (offsets[0] % _HOUR_NS == 0).all()):
        return None
    local = ((np.arange(first, last + 1) + offsets[0] // _HOUR_NS) % 24).astype(np.int8)
    return local[hours - first]


def time_bins(ts: pd.Series, by: str, tz: str) -> pd.DataFrame:
    """Return the bin column(s) for times ``ts`` in local time ``tz``.

    ``hour`` (0-23), ``daytype`` (``weekday``/``weekend``), ``date``, ``weekday_hour``
    (``weekday`` 0 = Monday, and ``hour``), or a pandas frequency such as ``"15min"``
    (column ``bin``, the local start of the interval).
    """
    if by == "hour":
        hours = _local_hours(ts, tz)
        if hours is None:
            hours = ts.dt.tz_convert(tz).dt.hour.astype("int8").to_numpy()
        return pd.DataFrame({"hour": hours}, index=ts.index)
    local = ts.dt.tz_convert(tz)
    if by == "daytype":
        weekend = (local.dt.day_of_week >= 5).to_numpy().astype(np.intp)
        # the two labels taken per row: text built twice, not once per row
        kind = pd.Index(["weekday", "weekend"]).take(weekend).array
        return pd.DataFrame({"daytype": kind}, index=ts.index)
    if by == "date":
        return pd.DataFrame({"date": local.dt.strftime("%Y-%m-%d")}, index=ts.index)
    if by == "weekday_hour":
        return pd.DataFrame(
            {"weekday": local.dt.day_of_week.astype("int8"), "hour": local.dt.hour.astype("int8")},
            index=ts.index,
        )
    try:
        # each time keeps its own side of the autumn DST change: 02:10+02:00 and
        # 02:10+01:00 fall in two bins, not one
        summer = _is_dst(local, tz)
        floored = local.dt.floor(by, ambiguous=summer, nonexistent="shift_forward")
        return pd.DataFrame({"bin": floored}, index=ts.index)
    except (ValueError, TypeError):
        raise ParameterError(
            f"by must be one of {list(BINS)} or a pandas frequency such as '15min', got {by!r}"
        ) from None


def cell_polygons(ids):
    """Return the square of each grid cell id as a GeoSeries in EPSG:3035.

    >>> cell_polygons(["CRS3035RES250mN3080000E3960000"]).total_bounds.tolist()
    [3960000.0, 3080000.0, 3960250.0, 3080250.0]
    """
    import geopandas as gpd
    import shapely

    parts = pd.Series(ids, dtype="string").str.extract(r"^CRS3035RES(\d+)mN(\d+)E(\d+)$")
    if parts.isna().any().any():
        bad = pd.Series(ids)[parts.isna().any(axis=1).to_numpy()].iloc[0]
        raise ParameterError(f"not a grid cell id: {bad!r} (expected CRS3035RES250mN...E...)")
    size, north, east = (parts[i].astype("int64").to_numpy() for i in range(3))
    boxes = shapely.box(east, north, east + size, north + size)
    return gpd.GeoSeries(boxes, crs=GRID_CRS)
