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
RAW_VALUES = "_raw_values"
"""Optional column of ``read_pings(keep_raw=True)``: per row, a compact JSON object
``{column: original text}`` of the cells that did not parse (null when all did). The
quarantine keeps it on rejected rows only; it is no part of the canonical schema."""

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
    if ts.dtype == object:  # Timestamps as objects (tz-aware or not): to UTC, without a warning
        ts = pd.to_datetime(ts, utc=True)
    if isinstance(ts.dtype, pd.DatetimeTZDtype):  # stored as UTC: no conversion, one copy
        return ts.array.as_unit("ns").asi8.copy()
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


# --- coordinate reference systems --------------------------------------------------------
BRUSSELS_LONLAT = (4.24, 50.76, 4.49, 50.92)
"""The Brussels-Capital Region's extent in WGS84 (min lon, min lat, max lon, max lat)."""
LIKELY_CRS = {
    "EPSG:4326": "WGS84 longitude/latitude",
    "EPSG:31370": "Belgian Lambert 72",
    "EPSG:3812": "Belgian Lambert 2008",
    "EPSG:3035": "ETRS89-LAEA Europe",
    "EPSG:3857": "Web Mercator",
}
_MARGIN_M = 15_000  # a boundary file may reach a little past the region (buffers, sectors)


def _extent_in(crs) -> tuple[float, float, float, float]:
    """Return the region's extent in ``crs``, widened by the margin."""
    from pyproj import CRS, Transformer

    crs = CRS.from_user_input(crs)
    box = Transformer.from_crs("EPSG:4326", crs, always_xy=True).transform_bounds(*BRUSSELS_LONLAT)
    margin = _MARGIN_M if crs.is_projected else 0.2
    return box[0] - margin, box[1] - margin, box[2] + margin, box[3] + margin


def _inside(bounds, box) -> bool:
    x0, y0, x1, y1 = (float(v) for v in bounds)
    return box[0] <= x0 and box[1] <= y0 and x1 <= box[2] and y1 <= box[3]


def check_region_extent(bounds, crs, where: str) -> None:
    """Refuse coordinates that do not lie in the Brussels region in the CRS they claim.

    Lambert-72 metres labelled EPSG:4326, longitudes and latitudes labelled EPSG:31370, or
    Lambert 2008 (EPSG:3812, 500 km off) labelled EPSG:31370 all land far from the region.

    Parameters
    ----------
    bounds : sequence of 4 floats
        ``(minx, miny, maxx, maxy)`` of the geometries, as stored.
    crs : anything pyproj reads
        The CRS the file says its coordinates are in.
    where : str
        The file, for the message.

    Raises
    ------
    InputError
        Naming the file, the labelled CRS and the CRS the coordinates look like.
    """
    if not np.all(np.isfinite(np.asarray(bounds, dtype=float))):
        raise InputError(f"{where}: the geometries have no finite coordinates (empty?)")
    if _inside(bounds, _extent_in(crs)):
        return
    from pyproj import CRS

    label = CRS.from_user_input(crs).to_string()
    likely = [c for c in LIKELY_CRS if c != label and _inside(bounds, _extent_in(c))]
    guess = (
        f"they look like {likely[0]} ({LIKELY_CRS[likely[0]]}): relabel the file "
        f"(GeoDataFrame.set_crs({likely[0]!r}, allow_override=True)) or re-export it"
        if likely
        else "check the file's coordinate reference system"
    )
    shown = ", ".join(f"{v:.6g}" for v in bounds)
    raise InputError(
        f"{where}: coordinates ({shown}) do not lie in the Brussels region in {label}, the "
        f"CRS the file declares; {guess}"
    )
