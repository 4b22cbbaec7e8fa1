"""Privacy of published tables: no unit ids, no individual fixes, k distinct vehicles.

Every table meant for publication goes through :func:`suppress` (cells with fewer than
``k`` distinct vehicles are blanked, and counted) and :func:`check_publishable`, which
reports and client bundles are built on.
"""

from __future__ import annotations

import dataclasses
import re

import numpy as np
import pandas as pd

from cibg_ds import checks
from cibg_ds import schema as s
from cibg_ds.config import MIN_K, get_settings, resolve_k  # noqa: F401 (re-exported)
from cibg_ds.errors import CibgDsError, ParameterError

COUNT = "n_vehicles"
SUPPRESSED = "suppressed"
#: Numeric columns of our aggregates that are keys (kept), not values (blanked).
KEY_COLUMNS = frozenset(
    {"hour", "weekday", "hour_of_day", "segment_id", s.EURO_CLASS, "nis", "year", "month"}
)
#: Columns that identify a unit; none may reach a published table.
ID_COLUMNS = frozenset({s.OBU_ID, "unit_id", "vehicle_id", "truck_id", "raw_id"})
#: Unit-id column names once lower-cased and stripped of ``_``, ``-``, spaces: ``OBU-Id``.
_ID_NAMES = re.compile(
    r"(obu|unit|vehicle|truck|device|plate|licenseplate)(id|ids|number|no)?"
    r"|(raw|pseudonym)(id|ids)?|obu\w*"
)
#: Values that look like unit ids: pseudonyms (16 hex digits) or raw ``OBU0000123`` ids.
#: (A pseudonym holds a letter: sixteen decimal digits are a number, such as 0.0024387589927843.)
ID_VALUE = re.compile(
    r"(?<![0-9A-Za-z_.])(?:(?=[0-9]*[a-f])[0-9a-f]{16}|OBU\d{3,})(?![0-9A-Za-z_])", re.I
)
_ID_FULL = re.compile(r"\s*(?:(?=[0-9]*[a-fA-F])[0-9a-fA-F]{16}|[Oo][Bb][Uu]\d{3,})\s*")
#: Where the feed's fixes lie (lon, lat, lon, lat: Belgium and its borders, WGS84): a pair
#: of columns of non-round numbers within it is taken for coordinates, whatever its names.
FIX_WINDOW = (2.0, 49.0, 7.0, 52.0)
#: Distinct-vehicle count columns under other names (``N_VEHICLES``, ``n_trucks``, ``units``).
_COUNT_NAMES = re.compile(r"(n|nb|num|count|distinct)?(vehicles|trucks|units|obus)(count)?")


class PrivacyError(CibgDsError):
    """A table would reveal units or individual fixes."""


@dataclasses.dataclass(frozen=True)
class Suppression:
    """What :func:`suppress` blanked."""

    k: int
    cells: int
    """Rows whose values were blanked."""
    rows: int
    """Rows in the table."""


def _nullable(dtype):
    """Return a dtype of the same kind that holds missing values (counts stay integers)."""
    if pd.api.types.is_bool_dtype(dtype):
        return "boolean"
    if pd.api.types.is_integer_dtype(dtype):
        return "Int64"
    return "Float64" if pd.api.types.is_numeric_dtype(dtype) else dtype


def suppress(table: pd.DataFrame, *, k: int | None = None, count: str = COUNT, values=None):
    """Blank the rows backed by fewer than ``k`` distinct vehicles.

    Parameters
    ----------
    table : pandas.DataFrame
        An aggregate with a distinct-vehicle count column.
    k : int, optional
        Threshold (default: the ``k_anonymity`` setting, 5); never below 3.
    count : str
        The distinct-vehicle count column (blanked too: a small count is itself revealing).
    values : list of str, optional
        Columns to blank; default every column that is not a key (object, string,
        category or datetime columns, and the numeric keys of our aggregates such as
        ``hour``, ``weekday``, ``segment_id`` or ``euro_class``: ``KEY_COLUMNS``).

    Returns
    -------
    published : pandas.DataFrame
        A copy with blanked cells and a boolean column ``suppressed``.
    report : Suppression
        ``k``, the number of suppressed ``cells`` and the ``rows`` of the table.

    Examples
    --------
    >>> import pandas as pd
    >>> table = pd.DataFrame({"cell_id": ["c1", "c2"], "n_vehicles": [2, 8], "vkm": [1.5, 40.0]})
    >>> published, report = suppress(table)
    >>> published["vkm"].tolist(), published["suppressed"].tolist()
    ([<NA>, 40.0], [True, False])
    >>> report
    Suppression(k=5, cells=1, rows=2)
    """
    checks.frame("table", table, dask=False)
    k = resolve_k(k)
    if count not in table.columns:
        raise ParameterError(f"table has no distinct-vehicle column {count!r}; pass count=")
    if values is not None:
        values = list(checks.subset("values", values, table.columns))
    small = (table[count].fillna(0) < k).to_numpy()
    if values is None:
        keys = table.select_dtypes(
            include=["object", "string", "category", "datetime", "datetimetz"]
        )
        values = [c for c in table.columns if c not in keys.columns and c not in KEY_COLUMNS]
    out = table.copy()
    for col in values:
        out[col] = out[col].astype(_nullable(out[col].dtype))
        out.loc[small, col] = pd.NA
    out[SUPPRESSED] = small
    return out, Suppression(k, int(small.sum()), len(table))


@dataclasses.dataclass(frozen=True)
class Publishability:
    """Result of :func:`check_publishable`: ``ok`` and the problems found, in words."""

    ok: bool
    problems: tuple[str, ...]

    def raise_if_not(self, name: str = "table") -> None:
        """Raise :class:`PrivacyError` listing the problems, when there are any."""
        if not self.ok:
            raise PrivacyError(f"{name} is not publishable:\n- " + "\n- ".join(self.problems))


def _norm(name) -> str:
    return re.sub(r"[^0-9a-z]", "", str(name).lower())


def is_id_name(name) -> bool:
    """Tell whether a column name designates unit ids, whatever its case or separators."""
    return bool(_ID_NAMES.fullmatch(_norm(name))) or str(name).lower() in ID_COLUMNS


def looks_like_ids(values: pd.Series) -> bool:
    """Tell whether text values look like unit ids (pseudonyms or raw ``OBU...`` ids)."""
    if not (
        pd.api.types.is_object_dtype(values.dtype)
        or pd.api.types.is_string_dtype(values.dtype)
        or isinstance(values.dtype, pd.CategoricalDtype)
    ):
        return False
    text = values.dropna().astype(str)
    return bool(len(text)) and bool(text.str.fullmatch(_ID_FULL.pattern).mean() >= 0.5)


def _coordinate(values: pd.Series, low: float, high: float) -> bool:
    """Tell whether a column holds non-round numbers, all within [low, high] (degrees)."""
    if pd.api.types.is_bool_dtype(values.dtype) or not pd.api.types.is_numeric_dtype(values):
        return False
    v = pd.to_numeric(values, errors="coerce").dropna().to_numpy(dtype=float)
    inside = ((v >= low) & (v <= high)).all()
    return len(v) > 1 and bool(inside and (v != np.round(v, 2)).mean() > 0.5)


def _time_like(values: pd.Series) -> bool:
    """Datetimes, ISO-like time strings, or epoch seconds / milliseconds."""
    dtype = values.dtype
    if pd.api.types.is_datetime64_any_dtype(dtype):
        return True
    if pd.api.types.is_numeric_dtype(dtype) and not pd.api.types.is_bool_dtype(dtype):
        v = pd.to_numeric(values, errors="coerce").dropna().abs()
        epoch = v.between(1e9, 4e9) | v.between(1e12, 4e12)
        return bool(len(v)) and bool(epoch.all())
    if pd.api.types.is_object_dtype(dtype) or pd.api.types.is_string_dtype(dtype):
        text = values.dropna().astype(str).head(200)
        clock = text.str.contains(r"\d{1,2}:\d{2}", regex=True)
        return bool(len(text)) and bool(clock.mean() >= 0.9)
    return False


def _place_key(name) -> bool:
    """Tell whether a column names places (commune, cell, road), not units."""
    norm = _norm(name)
    places = ("nis", "commune", "municipality", "name", "cell", "segment", "road", "sector")
    return str(name) in KEY_COLUMNS or norm.startswith(places)


def _looks_like_fixes(table: pd.DataFrame) -> list[str]:
    """Column names of a (lat, lon) pair that, with a time or a repeated key, trace units."""
    if len(table) < 2:
        return []
    lats = [c for c in table.columns if _coordinate(table[c], *FIX_WINDOW[1::2])]
    lons = [c for c in table.columns if _coordinate(table[c], *FIX_WINDOW[::2])]
    for lat in lats:
        for lon in (c for c in lons if c != lat):
            distinct = len(table[[lat, lon]].drop_duplicates()) / len(table)
            if distinct < 0.5:  # a few places (cell centres) repeated: an aggregate
                continue
            others = [c for c in table.columns if c not in (lat, lon)]
            timed = [c for c in others if _time_like(table[c])]
            if timed:
                return [str(lat), str(lon), str(timed[0])]
            repeated = [
                c
                for c in others
                if not pd.api.types.is_float_dtype(table[c].dtype)
                and not _place_key(c)
                and 1 <= table[c].nunique() <= len(table) / 2
            ]
            if repeated:  # many rows per value, each at its own place: traces of units
                return [str(lat), str(lon), str(repeated[0])]
    return []


def count_column(table: pd.DataFrame, count: str = COUNT) -> str | None:
    """Return the distinct-vehicle count column: ``count`` in any case, or a usual other name.

    ``N_VEHICLES``, ``n_trucks``, ``units`` or ``distinct_vehicles`` all count vehicles;
    ``None`` when the table has none of them.
    """
    for col in table.columns:
        if _norm(col) == _norm(count):
            return col
    for col in table.columns:
        if _COUNT_NAMES.fullmatch(_norm(col)):
            return col
    return None


def _values(table: pd.DataFrame) -> list:
    """Return the measure columns a suppressed row must have blank: floats, not keys.

    (:func:`suppress` turns every blanked column into a float; integer or text columns of
    a table read back from CSV are keys such as a commune code.)
    """
    return [
        c
        for c in table.columns
        if pd.api.types.is_float_dtype(table[c].dtype) and str(c) not in KEY_COLUMNS
    ]


def _check_counts(table: pd.DataFrame, k: int, count: str) -> list[str]:
    col = count_column(table, count)
    if col is None:
        return [f"no {count!r} column: k-anonymity cannot be verified"]
    problems = []
    counts = pd.to_numeric(table[col], errors="coerce")
    bad = table[col].notna() & counts.isna()
    if bad.any():
        example = table[col][bad].iloc[0]
        problems.append(
            f"column {col!r} holds {int(bad.sum())} non-number(s) such as {example!r}: "
            "distinct-vehicle counts must be numbers"
        )
    flag = _suppressed_flags(table)
    shown = ~flag
    bare = int(((counts < k) & shown).sum())
    if bare:
        problems.append(f"{bare} row(s) with fewer than {k} distinct vehicles: suppress()")
    if flag.any():
        values = [c for c in _values(table) if c != col] + [col]
        kept = table.loc[flag.to_numpy(), values].notna().any(axis=1)
        if kept.any():
            problems.append(
                f"{int(kept.sum())} row(s) marked {SUPPRESSED}=True still show their values "
                f"({', '.join(map(str, values))}): blank them with suppress()"
            )
    return problems


def _suppressed_flags(table: pd.DataFrame) -> pd.Series:
    col = next((c for c in table.columns if _norm(c) == SUPPRESSED), None)
    if col is None:
        return pd.Series(False, index=table.index)
    flags = table[col]
    if not pd.api.types.is_bool_dtype(flags.dtype):
        flags = flags.astype("string").str.strip().str.lower().isin(["true", "1", "yes"])
    return flags.fillna(False).astype(bool)


def check_publishable(table: pd.DataFrame, *, k: int | None = None, count: str | None = COUNT):
    """Tell whether a table may leave the platform.

    Unit ids are found by column name (any case or separator: ``OBU_ID``, ``unit-id``) and
    by content (values that look like pseudonyms or raw ids); individual fixes by
    ``lat``/``lon``/``ts`` or by content (a pair of non-round coordinates, nearly all
    distinct, with a time-like column or many rows per key value, whatever the names).

    Parameters
    ----------
    table : pandas.DataFrame
    k : int, optional
        As in :func:`suppress`.
    count : str or None
        Distinct-vehicle count column; ``None`` for tables that do not describe vehicles
        (commune indicators), which are then only checked for ids and fixes.

    Returns
    -------
    Publishability

    Examples
    --------
    >>> table = pd.DataFrame({"cell": ["a", "b"], "n_vehicles": [12, 2], "vkm": [5.0, 1.0]})
    >>> check_publishable(table).ok
    False
    >>> check_publishable(suppress(table)[0]).ok
    True
    """
    checks.frame("table", table, dask=False)
    k = resolve_k(k)
    problems = []
    ids = sorted({str(c) for c in table.columns if is_id_name(c)})
    if ids:
        problems.append(f"unit id column(s) {ids}: drop them before publishing")
    by_value = sorted(
        str(c) for c in table.columns if str(c) not in ids and looks_like_ids(table[c])
    )
    if by_value:
        problems.append(f"column(s) {by_value} hold values that look like unit ids: drop them")
    names = {str(c).lower() for c in table.columns}
    if {s.LAT, s.LON, s.TS} <= names:
        problems.append("rows look like individual fixes (lat, lon and ts): publish aggregates")
    else:
        traced = _looks_like_fixes(table)
        if traced:
            problems.append(
                f"rows look like individual fixes (coordinates {traced[0]!r}, {traced[1]!r} "
                f"with {traced[2]!r}): publish aggregates"
            )
    if count is not None:
        problems += _check_counts(table, k, count)
    return Publishability(not problems, tuple(problems))
