"""Checked parameters: the tests every public function runs first, written once.

Each check returns the value in the form the caller uses (a float, a Timedelta, a CRS)
and raises :class:`~cibg_ds.errors.ParameterError` naming the parameter, the value given
and what is allowed; missing columns raise :class:`~cibg_ds.errors.InputError` (bad data,
not a bad parameter), through :func:`cibg_ds.schema.require_columns`.

Examples
--------
>>> positive("max_diameter", 100)
100.0
>>> positive("max_diameter", -1)
Traceback (most recent call last):
...
cibg_ds.errors.ParameterError: max_diameter must be a number > 0, got -1
>>> duration("min_duration", "3min")
Timedelta('0 days 00:03:00')
>>> choice("by", "fortnight", ("hour", "weekday"))
Traceback (most recent call last):
...
cibg_ds.errors.ParameterError: by must be one of ['hour', 'weekday'], got 'fortnight'
"""

from __future__ import annotations

import datetime as dt
import numbers
import os
from collections.abc import Iterable, Mapping
from pathlib import Path

import numpy as np
import pandas as pd

from cibg_ds.errors import ParameterError
from cibg_ds.schema import closest, require_columns

__all__ = [
    "boolean",
    "choice",
    "column",
    "columns",
    "crs",
    "duration",
    "frame",
    "integer",
    "mapping",
    "number",
    "path",
    "positive",
    "subset",
    "time_zone",
]


def _is_number(value) -> bool:
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


def number(
    name: str,
    value,
    low: float | None = None,
    high: float | None = None,
    *,
    low_open: bool = False,
    high_open: bool = False,
) -> float:
    """Return ``value`` as a float, refusing non-numbers, NaN and values out of bounds.

    Parameters
    ----------
    name : str
        The parameter, for the message.
    value : object
    low, high : float, optional
        Bounds, inclusive unless ``low_open`` / ``high_open``.
    low_open, high_open : bool
        Exclude the bound itself.

    Returns
    -------
    float

    Raises
    ------
    ParameterError
        ``"<name> must be a number in (0, 0.5], got 0.9"``.
    """
    if low is not None and high is not None:
        allowed = (
            f"a number in {'(' if low_open else '['}{low:g}, {high:g}{')' if high_open else ']'}"
        )
    elif low is not None:
        allowed = f"a number {'>' if low_open else '>='} {low:g}"
    elif high is not None:
        allowed = f"a number {'<' if high_open else '<='} {high:g}"
    else:
        allowed = "a number"
    ok = _is_number(value) and value == value  # NaN is no number here
    if ok and low is not None:
        ok = value > low if low_open else value >= low
    if ok and high is not None:
        ok = value < high if high_open else value <= high
    if not ok:
        raise ParameterError(f"{name} must be {allowed}, got {value!r}")
    return float(value)


def positive(name: str, value, *, zero: bool = False) -> float:
    """Return ``value`` as a float > 0 (>= 0 with ``zero=True``); see :func:`number`."""
    return number(name, value, 0, low_open=not zero)


def integer(name: str, value, low: int | None = None, high: int | None = None) -> int:
    """Return ``value`` as an int within ``[low, high]``, refusing floats, bools and text."""
    ok = isinstance(value, numbers.Integral) and not isinstance(value, bool)
    ok = ok and (low is None or value >= low) and (high is None or value <= high)
    if not ok:
        bounds = [f">= {low}"] * (low is not None) + [f"<= {high}"] * (high is not None)
        raise ParameterError(f"{name} must be an integer {' and '.join(bounds)}".rstrip()
                             + f", got {value!r}")  # fmt: skip
    return int(value)


def boolean(name: str, value, *, optional: bool = False):
    """Return ``value`` when it is True or False (or None, with ``optional``)."""
    if value is None and optional:
        return None
    if not isinstance(value, (bool, np.bool_)):
        raise ParameterError(f"{name} must be True or False, got {value!r}")
    return bool(value)


def mapping(name: str, value, *, optional: bool = True) -> dict | None:
    """Return ``value`` as a dict when it is a mapping (or None, with ``optional``)."""
    if value is None and optional:
        return None
    if not isinstance(value, Mapping):
        raise ParameterError(f"{name} must be a dict, got {type(value).__name__} {value!r}")
    return dict(value)


def path(name: str, value) -> Path:
    """Return ``value`` as a :class:`~pathlib.Path` when it is a str or path-like."""
    if not isinstance(value, (str, os.PathLike)) or not os.fspath(value):
        raise ParameterError(f"{name} must be a path (str or pathlib.Path), got {value!r}")
    return Path(value)


def choice(name: str, value, allowed: Iterable):
    """Return ``value`` when it is one of ``allowed``; else say which are allowed."""
    allowed = list(allowed)
    try:
        known = value in allowed
    except TypeError:  # unhashable or incomparable
        known = False
    if not known:
        hint = closest(value, [str(a) for a in allowed]) if isinstance(value, str) else ""
        raise ParameterError(f"{name} must be one of {allowed}, got {value!r}{hint}")
    return value


def subset(name: str, values, allowed: Iterable, *, empty: bool = False) -> tuple:
    """Return ``values`` (one or several of ``allowed``) as a tuple, non-empty unless ``empty``."""
    allowed = list(allowed)
    items = (values,) if isinstance(values, str) else values
    try:
        items = tuple(items)
    except TypeError:
        raise ParameterError(f"{name} must be some of {allowed}, got {values!r}") from None
    unknown = [v for v in items if not _in(v, allowed)]
    if unknown or not (items or empty):
        which = f"; {unknown} are not" if unknown else ""
        raise ParameterError(f"{name} must be some of {allowed}{which} (got {values!r})")
    return items


def _in(value, allowed) -> bool:
    try:
        return value in allowed
    except TypeError:
        return False


def duration(name: str, value) -> pd.Timedelta:
    """Return a positive duration: ``"5min"``, a Timedelta, a timedelta or seconds."""
    try:
        if _is_number(value):
            parsed = pd.Timedelta(seconds=float(value))
        elif isinstance(value, (str, dt.timedelta, pd.Timedelta)):
            parsed = pd.Timedelta(value)
        else:
            raise TypeError
    except (TypeError, ValueError, OverflowError):
        parsed = None
    if parsed is None or pd.isna(parsed) or parsed <= pd.Timedelta(0):
        raise ParameterError(
            f"{name} must be a positive duration such as '5min', a Timedelta or seconds, "
            f"got {value!r}"
        )
    return parsed


def time_zone(name: str, value, *, optional: bool = True) -> str | None:
    """Return an IANA time zone name (``"Europe/Brussels"``), or None when ``optional``."""
    import zoneinfo

    if value is None and optional:
        return None
    try:
        zoneinfo.ZoneInfo(value)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError, TypeError):
        raise ParameterError(
            f"{name} must be a time zone such as 'Europe/Brussels' or 'UTC', got {value!r}"
        ) from None
    return value


def crs(name: str, value):
    """Return a :class:`pyproj.CRS` for anything pyproj reads (``31370``, ``"EPSG:4326"``)."""
    from pyproj import CRS
    from pyproj.exceptions import CRSError

    try:
        if value is None or isinstance(value, bool):
            raise CRSError
        return CRS.from_user_input(value)
    except (CRSError, TypeError, ValueError):
        raise ParameterError(
            f"{name} must be a coordinate reference system such as 31370 or 'EPSG:4326', "
            f"got {value!r}"
        ) from None


def frame(name: str, value, *, geo: bool = False, dask: bool = True, optional: bool = False):
    """Return ``value`` when it is a pandas (or, with ``dask``, a Dask) DataFrame.

    With ``geo`` it must be a GeoDataFrame with a CRS; with ``optional`` None passes.
    """
    from cibg_ds.frames import is_dask

    if value is None and optional:
        return None
    if geo:
        import geopandas as gpd

        if not isinstance(value, gpd.GeoDataFrame):
            raise ParameterError(
                f"{name} must be a GeoDataFrame, got {type(value).__name__}; read it with "
                "cibg_ds.io (load_communes, load_sectors) or geopandas.read_file"
            )
        if value.crs is None:
            raise ParameterError(f"{name} has no CRS; set it with {name}.set_crs(...)")
        return value
    if isinstance(value, pd.DataFrame) or (dask and is_dask(value)):
        return value
    if is_dask(value):
        raise ParameterError(
            f"{name} must be a pandas DataFrame, got a Dask DataFrame; pass {name}.compute() "
            "(or the per-unit functions' Dask counterparts: clean, segment_trips, detect_stops)"
        )
    kinds = "a pandas or Dask DataFrame" if dask else "a pandas DataFrame"
    raise ParameterError(f"{name} must be {kinds}, got {type(value).__name__}")


def columns(where: str, present: Iterable[str], required: Iterable[str], hint: str = "") -> None:
    """Raise :class:`~cibg_ds.errors.InputError` naming the required columns not present.

    See :func:`cibg_ds.schema.require_columns`.
    """
    require_columns(present, required, where, hint)


def column(name: str, value, table, *, numeric: bool = False) -> str:
    """Return ``value`` when it names a column of ``table`` (numeric, with ``numeric``)."""
    present = [str(c) for c in table.columns]
    if not isinstance(value, str) or value not in present:
        hint = closest(value, present) if isinstance(value, str) else ""
        raise ParameterError(
            f"{name} must be a column of the table, got {value!r}{hint}; columns are {present}"
        )
    if numeric and not pd.api.types.is_numeric_dtype(table[value].dtype):
        raise ParameterError(
            f"{name} must name a numeric column, got {value!r} ({table[value].dtype})"
        )
    return value
