"""Privacy of published tables: no unit ids, no individual fixes, k distinct vehicles.

Every table meant for publication goes through :func:`suppress` (cells with fewer than
``k`` distinct vehicles are blanked, and counted) and :func:`check_publishable`, which
reports and client bundles are built on.
"""

from __future__ import annotations

import dataclasses

import pandas as pd

from cibg_ds import schema as s
from cibg_ds.config import get_settings
from cibg_ds.errors import CibgDsError, ParameterError

MIN_K = 3
"""The lowest threshold allowed (OECD/Eurostat practice uses 3 to 5 contributors)."""
COUNT = "n_vehicles"
SUPPRESSED = "suppressed"
#: Numeric columns of our aggregates that are keys (kept), not values (blanked).
KEY_COLUMNS = frozenset(
    {"hour", "weekday", "hour_of_day", "segment_id", s.EURO_CLASS, "nis", "year", "month"}
)
#: Columns that identify a unit; none may reach a published table.
ID_COLUMNS = frozenset({s.OBU_ID, "unit_id", "vehicle_id", "truck_id", "raw_id"})


class PrivacyError(CibgDsError):
    """A table would reveal units or individual fixes."""


def resolve_k(k: int | None = None) -> int:
    """Return the threshold in force: ``k`` or the ``k_anonymity`` setting, never below 3."""
    k = get_settings().k_anonymity if k is None else k
    if isinstance(k, bool) or not isinstance(k, int) or k < MIN_K:
        raise ParameterError(f"k must be an integer >= {MIN_K}, got {k!r}")
    return k


@dataclasses.dataclass(frozen=True)
class Suppression:
    """What :func:`suppress` blanked."""

    k: int
    cells: int
    """Rows whose values were blanked."""
    rows: int
    """Rows in the table."""


def _nullable(dtype):
    """Return a dtype of the same kind that holds missing values."""
    if pd.api.types.is_bool_dtype(dtype):
        return "boolean"
    return "Float64" if pd.api.types.is_numeric_dtype(dtype) else dtype


def suppress(table: pd.DataFrame, k: int | None = None, count: str = COUNT, values=None):
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
    """
    k = resolve_k(k)
    if count not in table.columns:
        raise ParameterError(f"table has no distinct-vehicle column {count!r}; pass count=")
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


def check_publishable(table: pd.DataFrame, k: int | None = None, count: str | None = COUNT):
    """Tell whether a table may leave the platform.

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
    k = resolve_k(k)
    problems = []
    ids = sorted(ID_COLUMNS & set(map(str, table.columns)))
    if ids:
        problems.append(f"unit id column(s) {ids}: drop them before publishing")
    if {s.LAT, s.LON, s.TS} <= set(table.columns):
        problems.append("rows look like individual fixes (lat, lon and ts): publish aggregates")
    if count is not None:
        if count not in table.columns:
            problems.append(f"no {count!r} column: k-anonymity cannot be verified")
        else:
            shown = ~table[SUPPRESSED] if SUPPRESSED in table.columns else True
            bare = int(((table[count] < k) & shown).sum())
            if bare:
                problems.append(f"{bare} row(s) with fewer than {k} distinct vehicles: suppress()")
    return Publishability(not problems, tuple(problems))
