"""Column names, dtypes and value sets of the data contracts, in one place.

See ``DESIGN.md``: truck pings after :func:`cibg_ds.io.read_pings` and communes after
:func:`cibg_ds.io.load_communes`.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable

import numpy as np
import pandas as pd

from cibg_ds.errors import InputError

# --- truck pings -------------------------------------------------------------------------
OBU_ID = "obu_id"
TS = "ts"
LAT = "lat"
LON = "lon"
SPEED = "speed_kmh"
HEADING = "heading_deg"
WEIGHT_CLASS = "weight_class"
EURO_CLASS = "euro_class"
COUNTRY = "country"

WEIGHT_CLASSES = ("3.5-12t", "12-32t", ">32t")
EURO_CLASSES = tuple(range(7))

PING_DTYPES: dict[str, object] = {
    OBU_ID: pd.StringDtype(),
    TS: pd.DatetimeTZDtype("ns", "UTC"),
    LAT: "float64",
    LON: "float64",
    SPEED: "float32",
    HEADING: "float32",
    WEIGHT_CLASS: pd.CategoricalDtype(list(WEIGHT_CLASSES)),
    EURO_CLASS: "Int8",  # nullable: a missing class must reach quarantine, not crash a cast
    COUNTRY: pd.StringDtype(),
}
PING_COLUMNS = tuple(PING_DTYPES)
FIX_COLUMNS = (OBU_ID, TS, LAT, LON)
"""The ping columns every feed must have; the others are used when present."""

# --- communes ----------------------------------------------------------------------------
NIS = "nis"
NAME_FR = "name_fr"
NAME_NL = "name_nl"
GEOMETRY = "geometry"
COMMUNE_COLUMNS = (NIS, NAME_FR, NAME_NL, GEOMETRY)
BRUSSELS_NIS = tuple(str(code) for code in range(21001, 21020))
OUTSIDE = "outside"
"""Label of places outside the Brussels-Capital Region (trip ends, OD matrices)."""


def to_ns(ts: pd.Series) -> np.ndarray:
    """Return times as int64 nanoseconds since the epoch (UTC); NaT becomes the int64 minimum."""
    if isinstance(ts.dtype, pd.DatetimeTZDtype):
        ts = ts.dt.tz_convert("UTC").dt.tz_localize(None)
    return ts.to_numpy(dtype="datetime64[ns]").view("int64")


def closest(name: str, candidates: Iterable[str]) -> str:
    """Return ``" (did you mean 'x'?)"`` for the candidate nearest to ``name``, or ``""``."""
    candidates = list(candidates)
    match = [c for c in candidates if c.lower() == name.lower()]
    match = match or difflib.get_close_matches(name, candidates, n=1, cutoff=0.6)
    match = match or [c for c in candidates if c.lower().startswith(name.lower())]
    return f" (did you mean {match[0]!r}?)" if match else ""


def require_columns(
    columns: Iterable[str], required: Iterable[str], where: str, hint: str = ""
) -> None:
    """Raise :class:`InputError` naming every required column missing from ``columns``.

    Parameters
    ----------
    columns : iterable of str
        Columns present.
    required : iterable of str
        Columns that must be present.
    where : str
        What is being checked (a file name, a table name), for the message.
    hint : str, optional
        How to fix it, appended to the message.

    Raises
    ------
    InputError
        One line per missing column, with the closest present name when one looks misspelt.
    """
    present = list(columns)
    missing = [c for c in required if c not in present]
    if missing:
        lines = [f"  - {c!r}{closest(c, present)}" for c in missing]
        raise InputError(
            f"{where}: missing required column(s):\n"
            + "\n".join(lines)
            + f"\ncolumns found: {present}"
            + (f"\n{hint}" if hint else "")
        )
