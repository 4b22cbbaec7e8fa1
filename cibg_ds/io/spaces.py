"""Public computer spaces (EPN/OCR): a user's file, or the embedded illustrative sample."""

from __future__ import annotations

import os
from importlib import resources
from pathlib import Path

import pandas as pd

from cibg_ds.errors import InputError, ParameterError
from cibg_ds.io.communes import resolve_commune
from cibg_ds.schema import NIS

SAMPLE = "computer_spaces_sample.csv"
COLUMNS = ("name", "lat", "lon", "computers")
#: Box around the region (WGS84) with a 2 km margin; a space outside it is an input error.
_BOX = (4.21, 50.75, 4.51, 50.93)


def load_computer_spaces(source: str | os.PathLike | None = None):
    """Return the public computer spaces as points in EPSG:31370.

    Parameters
    ----------
    source : path-like, optional
        CSV with ``name``, ``nis`` (or ``commune``: a NIS code or French/Dutch name),
        ``lat``, ``lon`` (WGS84) and ``computers``. Default: the embedded sample (18 spaces,
        410 computers, made-up places), flagged ``attrs["illustrative"] = True``.

    Returns
    -------
    geopandas.GeoDataFrame
        ``name``, ``nis``, ``computers``, geometry (EPSG:31370).

    Raises
    ------
    InputError
        Missing column, unknown commune, a negative or non-integer count, or a space
        outside the region, naming the file and the row.

    Examples
    --------
    >>> spaces = load_computer_spaces()
    >>> len(spaces), int(spaces["computers"].sum()), spaces.attrs["illustrative"]
    (18, 410, True)
    """
    import geopandas as gpd

    if source is None:
        where = f"cibg_ds/data/{SAMPLE}"
        with resources.files("cibg_ds.data").joinpath(SAMPLE).open() as fh:
            raw = pd.read_csv(fh, dtype={NIS: str})
    else:
        where = str(source)
        if not Path(source).exists():
            raise InputError(f"{where}: computer spaces file not found")
        raw = pd.read_csv(source, dtype={NIS: str, "commune": str})
    place = NIS if NIS in raw.columns else "commune"
    missing = [c for c in (*COLUMNS, place) if c not in raw.columns]
    if missing:
        raise InputError(
            f"{where}: columns {missing} are missing; a spaces file has name, nis (or "
            "commune), lat, lon, computers"
        )
    try:
        nis = [resolve_commune(c) for c in raw[place]]
    except ParameterError as exc:
        raise InputError(f"{where}: {exc}") from None
    computers = pd.to_numeric(raw["computers"], errors="coerce")
    bad = computers.isna() | (computers < 0) | (computers % 1 != 0)
    if bad.any():
        row = int(bad.to_numpy().nonzero()[0][0])
        raise InputError(
            f"{where}: row {row + 2} ({raw['name'].iloc[row]}): computers must be a whole "
            f"number >= 0, got {raw['computers'].iloc[row]!r}"
        )
    lon, lat = raw["lon"].astype(float), raw["lat"].astype(float)
    outside = ~(lon.between(_BOX[0], _BOX[2]) & lat.between(_BOX[1], _BOX[3]))
    if outside.any():
        row = int(outside.to_numpy().nonzero()[0][0])
        raise InputError(
            f"{where}: row {row + 2} ({raw['name'].iloc[row]}) at lat {lat.iloc[row]}, lon "
            f"{lon.iloc[row]} is outside the Brussels region (swapped lat and lon?)"
        )
    gdf = gpd.GeoDataFrame(
        {"name": raw["name"].astype(str), NIS: nis, "computers": computers.astype(int)},
        geometry=gpd.points_from_xy(lon, lat),
        crs=4326,
    ).to_crs(31370)
    gdf.attrs.update(illustrative=source is None, source=where)
    return gdf
