"""Unit histories prepared once: sorted by unit and time, cut into pieces, projected once.

Every trajectory function (trips, stops, vehicle-km) works on the same :class:`Tracks` of
a frame: one sort by unit, one projection to metres and one fix-to-fix segment table per
call chain, however many tables are derived from them.

A *piece* is a run of a unit's fixes without a silence longer than ``gap``. A piece needs
two fixes to be a trip (MovingPandas' rule: a trajectory has at least two points); a
one-fix piece between two silences is no trip, has no segment and no kilometre.
"""

from __future__ import annotations

import functools

import numpy as np
import pandas as pd

from cibg_ds import checks
from cibg_ds import schema as s
from cibg_ds.mobility.geo import to_metric
from cibg_ds.mobility.units import column_values, unit_codes, unit_order, unit_starts

REQUIRED = (s.OBU_ID, s.TS, s.LAT, s.LON)
"""The only columns the trajectory functions need; the others are used when present."""

_HINT = (
    "The trajectory functions need obu_id, ts, lat and lon; read other feeds with "
    "cibg_ds.io.read_pings(..., columns={'theirs': 'ours'})."
)
TRIPS_HINT = "Make the trips with cibg_ds.mobility.segment_trips(pings)."


def require_fixes(columns, function: str) -> None:
    """Raise :class:`cibg_ds.errors.InputError` naming ``function`` and the missing column."""
    s.require_columns(columns, REQUIRED, f"{function}: pings", _HINT)


def gap_ns(gap, name: str = "gap") -> int:
    """Return a gap (``"5min"``, a Timedelta or seconds) in nanoseconds."""
    try:
        return _gap_ns(gap, name)
    except TypeError:  # unhashable: checked (and refused) without the cache
        return int(checks.duration(name, gap).value)


@functools.lru_cache(maxsize=256, typed=True)
def _gap_ns(gap, name: str) -> int:
    return int(checks.duration(name, gap).value)


def utc_times(ns: np.ndarray) -> pd.DatetimeIndex:
    """Return int64 nanoseconds since the epoch as UTC times (``pd.to_datetime(ns, utc=True)``).

    The same values as ``pd.to_datetime``, without its parsing machinery (50x faster).
    """
    return pd.DatetimeIndex(np.asarray(ns, dtype=np.int64).view("M8[ns]"), tz="UTC")


_UTC = pd.DatetimeTZDtype("ns", "UTC")
_ARROW_STRINGS = getattr(pd.arrays, "ArrowStringArray", None)
_NS_PER = {"s": 10**9, "ms": 10**6, "us": 10**3}


def times_ns(pings: pd.DataFrame) -> np.ndarray:
    """Return ``ts`` as int64 nanoseconds since the epoch (UTC): :func:`cibg_ds.schema.to_ns`.

    Times stored in seconds, milliseconds or microseconds are scaled without a conversion
    of the array (where no time is missing and none would overflow); anything else goes
    through :func:`~cibg_ds.schema.to_ns`.
    """
    values = column_values(pings, s.TS)
    if isinstance(values, pd.arrays.DatetimeArray) and len(values):
        stored = values.asi8
        if values.unit == "ns":
            return stored.copy()
        factor = _NS_PER.get(values.unit)
        limit = np.iinfo(np.int64).max // factor if factor else 0
        if factor and -limit <= stored.min() and stored.max() <= limit:  # NaT is below
            return stored * factor
    return s.to_ns(pings[s.TS])


def _arrow_strings(dtype: pd.StringDtype) -> bool:
    return _ARROW_STRINGS is not None and dtype.storage == "pyarrow"


def strings(values: np.ndarray) -> pd.api.extensions.ExtensionArray:
    """Return Python strings (an object array; None or NaN: missing) as the string dtype.

    ``pd.array(values, dtype=pd.StringDtype())``, handed to Arrow at once when they are
    all ``str`` or missing (anything else: ``pd.array``).
    """
    dtype = pd.StringDtype()
    text = pd.api.types.infer_dtype(values, skipna=True) in ("string", "empty")
    if not (text and _arrow_strings(dtype)):
        return pd.array(values, dtype=dtype)
    import pyarrow as pa

    data = pa.array(values, type=pa.large_string(), from_pandas=True)
    return _ARROW_STRINGS(pa.chunked_array([data]), dtype=dtype)


def utc_array(ns: np.ndarray) -> pd.api.extensions.ExtensionArray:
    """Return int64 nanoseconds (a fresh array) as a UTC datetime array, for :func:`table`.

    The array of :func:`utc_times`, wrapping ``ns`` without a copy or a check.
    """
    new = getattr(pd.arrays.DatetimeArray, "_simple_new", None)
    ns = np.asarray(ns, dtype=np.int64)
    if new is None or not ns.flags.c_contiguous:
        return utc_times(ns).array
    return new(ns.view("M8[ns]"), dtype=_UTC)


def nulls(column: str, n: int) -> pd.api.extensions.ExtensionArray:
    """Return ``n`` nulls of the canonical dtype of ``column``.

    The same array as ``pd.array([None] * n, dtype)``, without parsing ``n`` Python
    objects: a categorical of codes -1, masked integers (their hidden values 1, as
    pandas fills them), else taken from an empty array of that dtype.
    """
    empty = _empty(column)
    if isinstance(empty, pd.Categorical):
        return pd.Categorical.from_codes(np.full(n, -1, empty.codes.dtype), dtype=empty.dtype)
    if isinstance(empty, pd.arrays.IntegerArray):
        return pd.arrays.IntegerArray(np.ones(n, empty.dtype.numpy_dtype), np.ones(n, bool))
    return empty.take(np.full(n, -1, dtype=np.int64), allow_fill=True)


@functools.cache
def _empty(column: str) -> pd.api.extensions.ExtensionArray:
    return pd.array([], dtype=s.PING_DTYPES[column])


def table(columns: dict) -> pd.DataFrame:
    """Return a frame of ``columns`` (name: values), each given in its final dtype.

    The values must be fresh 1-D NumPy arrays or pandas extension arrays of one length,
    which the frame then owns (no copy): the same frame as ``pd.DataFrame(columns)``,
    built without re-checking each column (6-8x faster on a small table). Anything else
    (a Series, an index, a list) goes through ``pd.DataFrame``.
    """
    values = list(columns.values())
    n = len(values[0]) if values else 0
    plain = all(
        isinstance(v, (np.ndarray, pd.api.extensions.ExtensionArray)) and v.ndim == 1
        and len(v) == n for v in values
    )  # fmt: skip
    build = getattr(pd.DataFrame, "_from_arrays", None)
    if not plain or build is None:
        return pd.DataFrame(columns)
    return build(values, _names(tuple(columns)), pd.RangeIndex(n), verify_integrity=False)


@functools.lru_cache(maxsize=64)
def _names(names: tuple) -> pd.Index:
    return pd.Index(list(names))


def column_or_null(df: pd.DataFrame, column: str, rows=None) -> np.ndarray | pd.Series:
    """Return ``df[column]`` (at ``rows``), or nulls of its canonical dtype when it is absent."""
    if column in df.columns:
        values = df[column]
    else:
        values = pd.Series(nulls(column, len(df)))
    values = values.astype(s.PING_DTYPES[column]) if column in s.PING_DTYPES else values
    return values.iloc[rows].reset_index(drop=True) if rows is not None else values


def project_runs(lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Return :func:`cibg_ds.crs.to_metric` of ``lon, lat``, a run of one point projected once.

    A point repeating the one before it bit for bit takes that one's coordinates: the
    projection is a function of each point alone, so they are the same bits. Where
    fewer than 1 point in 32 repeats, every point is projected.
    """
    lon, lat = np.asarray(lon, dtype=np.float64), np.asarray(lat, dtype=np.float64)
    if len(lon) < 2:
        return to_metric(lon, lat)
    bits_lon, bits_lat = lon.view(np.int64), lat.view(np.int64)
    fresh = np.empty(len(lon), dtype=bool)
    fresh[0] = True
    np.not_equal(bits_lon[1:], bits_lon[:-1], out=fresh[1:])
    fresh[1:] |= bits_lat[1:] != bits_lat[:-1]
    if (len(lon) - np.count_nonzero(fresh)) * 32 < len(lon):
        return to_metric(lon, lat)
    x, y = to_metric(lon[fresh], lat[fresh])
    run = np.cumsum(fresh) - 1
    return x[run], y[run]


class Tracks:
    """The fixes of whole unit histories, sorted, cut at silences and measured once.

    Parameters
    ----------
    pings : pandas.DataFrame
        Fixes with at least :data:`REQUIRED`; every fix of each unit it holds.
    gap : str, Timedelta, float or None
        A silence longer than this ends a piece (a trip); None: one piece per unit.
    function : str
        The public function asking, named by the error for a missing column.

    Attributes
    ----------
    df : pandas.DataFrame
        The fixes sorted by unit then time; of fixes of a unit with equal times only the
        first in the feed's order is kept, as MovingPandas keeps it (``clean`` removes the
        others as duplicates).
    duplicates : int
        How many such fixes were left out.
    same_rows : bool
        Whether ``df`` holds the rows of ``pings`` in their order (sorted, no duplicate).
    units, t, lon, lat : numpy.ndarray
        Unit codes, times (int64 ns), coordinates.
    starts, ends : numpy.ndarray
        First and last row of each piece.
    trip_id : numpy.ndarray
        Number of each fix's piece within its unit (0, 1, ...; MovingPandas numbers its
        split trajectories the same way, one-fix pieces included).
    """

    def __init__(self, pings: pd.DataFrame, gap="5min", function: str = "tracks"):
        require_fixes(pings.columns, function)
        self.gap_ns = gap_ns(gap) if gap is not None else np.iinfo(np.int64).max
        t = times_ns(pings)  # once: for the order and for everything after
        units, self._ids = unit_codes(pings)
        units, order = unit_order(pings, t, units)
        if order is not None:
            units, t = units[order], t[order]
        duplicate = ~unit_starts(units) & np.concatenate(([False], t[1:] == t[:-1]))
        self.duplicates = int(duplicate.sum())
        self.same_rows = order is None and not self.duplicates
        rows = order
        if self.duplicates:  # MovingPandas keeps the first fix of equal times
            keep = ~duplicate
            rows = np.flatnonzero(keep) if order is None else order[keep]
            units, t = units[keep], t[keep]
        self._pings, self._rows = pings, rows  # the rows of ``df``: None, all in order
        self.columns = pings.columns
        self.units, self.t = units, t
        self.lon = self._fixes(s.LON)
        self.lat = self._fixes(s.LAT)
        first = unit_starts(units)
        new = first.copy()
        new[1:] |= (self.t[1:] - self.t[:-1]) > self.gap_ns
        piece = np.cumsum(new) - 1
        self.piece = piece
        self.trip_id = piece - np.maximum.accumulate(np.where(first, piece, 0))
        self.unit_first = first
        self.starts = np.flatnonzero(new)
        self.ends = np.concatenate((self.starts[1:] - 1, [len(t) - 1])).astype(np.int64)

    def _fixes(self, column: str) -> np.ndarray:
        values = column_values(self._pings, column)
        if not (isinstance(values, np.ndarray) and values.dtype == np.float64):
            values = self._pings[column].to_numpy(dtype=float, na_value=np.nan)
        return values if self._rows is None else values[self._rows]

    @functools.cached_property
    def df(self) -> pd.DataFrame:
        """The fixes sorted by unit then time, without the later fixes of equal times."""
        if self._rows is None:
            return self._pings.reset_index(drop=True)
        return self._pings.take(self._rows).reset_index(drop=True)

    def column(self, name: str) -> pd.Series:
        """Return column ``name`` of :attr:`df` (without building the whole of ``df``)."""
        if "df" in self.__dict__ or self._rows is not None:
            return self.df[name]
        return self._pings[name].reset_index(drop=True)

    def ids(self, rows: np.ndarray) -> pd.api.extensions.ExtensionArray:
        """Return the unit ids of ``rows`` as the canonical string dtype.

        Taken from the few distinct ids (not from every fix): the same strings as
        ``df[obu_id]`` at ``rows`` gives them.
        """
        dtype = pd.StringDtype()
        if len(self.units) and self.units[0] < 0:  # missing ids (coded -1, first)
            values = self.df[s.OBU_ID].array.take(rows)
        elif getattr(self._ids, "_pa_array", None) is not None and _arrow_strings(dtype):
            return _ARROW_STRINGS(self._ids._pa_array.take(self.units[rows]), dtype=dtype)
        elif isinstance(self._ids.dtype, pd.StringDtype):  # the few ids as Python strings
            values = self._id_strings[self.units[rows]]
        else:
            values = self._ids.take(self.units[rows])
        return pd.array(values, dtype=pd.StringDtype())

    @functools.cached_property
    def _id_strings(self) -> np.ndarray:
        return np.asarray(self._ids, dtype=object)

    def __len__(self) -> int:
        return len(self.t)

    @functools.cached_property
    def xy(self) -> tuple[np.ndarray, np.ndarray]:
        """EPSG:31370 coordinates of every fix, projected once.

        A fix at the very place of the one before it (the same bits) is not projected
        again: it is given its predecessor's coordinates, which the projection, point by
        point, would give it (:func:`to_metric` of every fix, cheaper where units stand).
        """
        return project_runs(self.lon, self.lat)

    @property
    def is_trip(self) -> np.ndarray:
        """Per piece: whether it holds two fixes or more (one-fix pieces are no trips)."""
        return self.ends > self.starts

    @functools.cached_property
    def step_m(self) -> np.ndarray:
        """Metres from each fix's predecessor in the same piece (0 at a piece start)."""
        x, y = self.xy
        step = np.zeros(len(x))
        step[1:] = np.hypot(np.diff(x), np.diff(y))
        step[self.starts] = 0.0
        return step

    @functools.cached_property
    def segments(self) -> pd.DataFrame:
        """The segments between consecutive fixes of a piece (see :func:`segments`)."""
        x, y = self.xy
        idx = np.setdiff1d(np.arange(1, len(x)), self.starts, assume_unique=True)
        t = self.t
        return pd.DataFrame(
            {
                s.OBU_ID: _as_inferred(self.df[s.OBU_ID], idx),
                "trip_id": self.trip_id[idx],
                "length_m": self.step_m[idx],
                "mid_x": (x[idx] + x[idx - 1]) / 2,
                "mid_y": (y[idx] + y[idx - 1]) / 2,
                "mid_ts": utc_times((t[idx] + t[idx - 1]) // 2),
                s.WEIGHT_CLASS: _as_inferred(column_or_null(self.df, s.WEIGHT_CLASS), idx),
                s.EURO_CLASS: column_or_null(self.df, s.EURO_CLASS, idx).to_numpy(),
            },
            index=idx,
        )


def _as_inferred(values: pd.Series, rows: np.ndarray):
    """Return ``values.to_numpy()[rows]`` as a frame built from it would hold it, cheaply.

    Text (string or categorical of strings) becomes pandas' default ``str`` dtype without
    a round trip through Python objects (the frame would infer ``str`` from them); other
    values (and columns of nulls only) are taken as numpy gives them.
    """
    dtype = values.dtype
    if not values.notna().any():  # only nulls: the frame infers float NaN from them
        return values.to_numpy()[rows]
    if isinstance(dtype, pd.StringDtype):
        return pd.array(values.array.take(rows), dtype="str")
    text_categories = isinstance(dtype, pd.CategoricalDtype) and isinstance(
        dtype.categories.dtype, pd.StringDtype
    )
    if text_categories:
        codes = values.cat.codes.to_numpy()[rows]
        categories = pd.array(dtype.categories.to_numpy(), dtype="str")
        return categories.take(codes, allow_fill=True)
    return values.to_numpy()[rows]
