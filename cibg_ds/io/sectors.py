"""Statbel statistical sectors of the Brussels-Capital Region.

Statbel publishes the sectors of all Belgium (``sh_statbel_statistical_sectors_<crs>_<date>``,
GeoJSON, shapefile or GeoPackage, often zipped) with lower-case names (``cd_sector``,
``cd_munty_refnis``, ``tx_sector_descr_fr``) in recent editions and upper-case ones in
others (``CD_SECTOR_REFNIS``, ``TX_SECTOR_DESCR_FR``, as in the 2021 edition). Both are
read here, in any CRS, and the Brussels rows kept.
"""

from __future__ import annotations

import functools
import os
from importlib import resources

import pandas as pd

from cibg_ds.crs import METRIC_CRS
from cibg_ds.errors import InputError
from cibg_ds.io.communes import read_polygons
from cibg_ds.schema import BRUSSELS_NIS, NAME_FR, NAME_NL, NIS

SECTOR = "sector"
SECTOR_COLUMNS = (SECTOR, NIS, NAME_FR, NAME_NL, "geometry")
SECTORS_ATTRIBUTION = "Sectors: Statbel (Statistics Belgium), statistical sectors"
#: Accepted names (lower case) of each output column, in order of preference.
CANDIDATES = {
    SECTOR: ("cd_sector", "cd_sector_refnis", "cd_stat_sector", "sector"),
    NIS: ("cd_munty_refnis", "cd_refnis", "nis", "nis_code"),
    NAME_FR: ("tx_sector_descr_fr", "tx_sector_fr", "name_fr"),
    NAME_NL: ("tx_sector_descr_nl", "tx_sector_nl", "name_nl"),
}
EMBEDDED_SECTORS = "brussels_sectors_2021.parquet"
_REGION = ("cd_rgn_refnis",)
_BRUSSELS_REGION = "04000"


def _column(columns, wanted: str, where: str) -> str:
    lower = {c.lower(): c for c in columns}
    for candidate in CANDIDATES[wanted]:
        if candidate in lower:
            return lower[candidate]
    raise InputError(
        f"{where}: no {wanted!r} column; looked for {list(CANDIDATES[wanted])} (any case) "
        f"among {list(columns)}. Is this a Statbel statistical-sector file?"
    )


def _codes(values: pd.Series) -> pd.Series:
    return values.astype("string").str.strip().str.replace(r"\.0$", "", regex=True)


@functools.cache
def _embedded_sectors():
    import geopandas as gpd

    with resources.files("cibg_ds.data").joinpath(EMBEDDED_SECTORS).open("rb") as handle:
        return gpd.read_parquet(handle)


def load_sectors(source: str | os.PathLike | None = None, layer: str | None = None):
    """Return the statistical sectors of the Brussels-Capital Region in EPSG:31370.

    Parameters
    ----------
    source : path-like or URL, optional
        A Statbel sector file (GeoJSON, shapefile, GeoPackage or a zip of one), national
        or Brussels only, in any CRS, with either naming (``cd_sector`` or
        ``CD_SECTOR_REFNIS``, ...). Default: the embedded 720 sectors of the 2021 edition
        (simplified shapes, see ``cibg_ds/data/README.md``), read once per process.
    layer : str, optional
        Layer inside a multi-layer file.

    Returns
    -------
    geopandas.GeoDataFrame
        ``sector`` (e.g. ``21001A00-``), ``nis``, ``name_fr``, ``name_nl`` (the sector's
        names), ``geometry``; one row per sector (parts dissolved), sorted by code.
        ``attrs`` hold the source and the attribution.

    Raises
    ------
    InputError
        When the file cannot be read, has no CRS, lacks a column, or holds no Brussels
        sector.

    Examples
    --------
    >>> sectors = load_sectors()
    >>> len(sectors), sectors.crs.to_epsg(), sectors["nis"].nunique()
    (720, 31370, 19)
    """
    import geopandas as gpd

    if source is None:
        gdf = _embedded_sectors().copy()
        gdf.attrs = {
            "schematic": False,
            "source": "Statbel statistical sectors 2021 (simplified, embedded)",
            "year": 2021,
            "attribution": SECTORS_ATTRIBUTION,
        }
        return gdf

    where = os.fspath(source)
    raw = read_polygons(source, layer, "statistical sectors")
    columns = {name: _column(raw.columns, name, where) for name in CANDIDATES}
    table = pd.DataFrame({name: _codes(raw[col]) for name, col in columns.items()})
    table[NAME_FR] = raw[columns[NAME_FR]].astype("string").str.strip()
    table[NAME_NL] = raw[columns[NAME_NL]].astype("string").str.strip()
    keep = table[NIS].isin(BRUSSELS_NIS)
    region = [c for c in raw.columns if c.lower() in _REGION]
    if region:
        keep &= _codes(raw[region[0]]).str.zfill(5) == _BRUSSELS_REGION
    if not keep.any():
        raise InputError(
            f"{where}: no sector of the Brussels communes (NIS 21001-21019) in column "
            f"{columns[NIS]!r}"
        )
    gdf = gpd.GeoDataFrame(table[keep.to_numpy()], geometry=raw.geometry[keep.to_numpy()])
    gdf = gdf.set_crs(raw.crs).to_crs(METRIC_CRS)
    gdf = gdf.dissolve(by=SECTOR, aggfunc="first", as_index=False)
    gdf = gdf.set_geometry(gdf.geometry.make_valid())
    gdf = gdf.sort_values(SECTOR, ignore_index=True)[list(SECTOR_COLUMNS)]
    for column in (SECTOR, NIS, NAME_FR, NAME_NL):
        gdf[column] = gdf[column].astype(object)
    gdf.attrs.update(schematic=False, source=where, attribution=SECTORS_ATTRIBUTION)
    return gdf
