"""The 19 communes of the Brussels-Capital Region: boundaries and reference figures.

Boundaries come, by default, from the embedded official file (Statbel statistical sectors
of 2026-01-01 dissolved to the 19 municipalities, simplified to 50 m, see
``cibg_ds/data/README.md``), or from an official file the user points at (Statbel
statistical sectors or any municipality layer with a NIS column). A schematic tessellation
built from the reference table is still available on request (``schematic=True``); maps
made from it say so: it is flagged in ``gdf.attrs["schematic"]``.
"""

from __future__ import annotations

import functools
import os
from importlib import resources

import numpy as np
import pandas as pd

from cibg_ds.crs import METRIC_CRS
from cibg_ds.errors import InputError, ParameterError
from cibg_ds.schema import BRUSSELS_NIS, COMMUNE_COLUMNS, NAME_FR, NAME_NL, NIS, check_region_extent

#: Column names that carry the NIS (REFNIS) municipality code in official files.
NIS_CANDIDATES = (
    "nis", "cd_munty_refnis", "nis_code", "niscode", "nis5", "refnis", "cd_refnis",
    "munty_refnis", "code_ins", "ins", "nsi",
)  # fmt: skip
_SECTOR_MARKER = "cd_sector"
_REGION_COLUMN = "cd_rgn_refnis"
_BRUSSELS_REGION = "04000"
EMBEDDED_COMMUNES = "brussels_communes.geojson"
#: Attribution of the embedded boundaries, shown on every map drawn from them.
COMMUNES_ATTRIBUTION = "Boundaries: Statbel (Statistics Belgium), statistical sectors 2026"


def read_polygons(source, layer, what: str):
    """Read a vector file of polygons that must declare its CRS; errors name the file.

    Parameters
    ----------
    source : path-like or URL
    layer : str or None
        Layer of a GeoPackage (default the first).
    what : str
        What the file holds, for the messages ("boundaries", "statistical sectors").

    Returns
    -------
    geopandas.GeoDataFrame
    """
    import geopandas as gpd

    where = os.fspath(source)
    try:
        raw = gpd.read_file(source, layer=layer)
    except Exception as exc:  # pyogrio raises several types; all mean "cannot read this"
        raise InputError(f"{where}: cannot read {what} ({exc})") from None
    if raw.crs is None:
        raise InputError(f"{where}: no coordinate reference system; set one (e.g. EPSG:31370)")
    return raw


def _read_packaged_csv(name: str) -> pd.DataFrame:
    with resources.files("cibg_ds.data").joinpath(name).open("rb") as handle:
        return pd.read_csv(handle, dtype={"nis": str, "neighbours": str})


@functools.cache
def _facts() -> pd.DataFrame:
    return _read_packaged_csv("communes.csv")


def load_commune_facts() -> pd.DataFrame:
    """Return the embedded reference table of the 19 communes (one row per commune).

    Columns and sources are listed in ``cibg_ds/data/README.md``: NIS code, French and
    Dutch names, population 2026, share 65+, unemployment and single-parent shares (census
    2021), non-EU nationals, average net taxable income 2023, town-centre point, area,
    centroid in EPSG:31370 and Queen neighbours (``;``-separated NIS codes).

    Returns
    -------
    pandas.DataFrame
        A fresh copy; change it freely.

    Examples
    --------
    >>> facts = load_commune_facts()
    >>> int(facts["population_2026"].sum())
    1255834
    """
    return _facts().copy()


def load_regional_figures() -> pd.DataFrame:
    """Return region-level published figures with their sources (``key``, ``value``, ...).

    Examples
    --------
    >>> figures = load_regional_figures().set_index("key")["value"]
    >>> int(figures["residents_limited_digital_skills"])
    475000
    """
    return _read_packaged_csv("regional_figures.csv")


def _schematic_geometry(facts: pd.DataFrame):
    """Voronoi cells of the commune centroids, clipped to a rounded outline of the region.

    The outline is the union of one disc per commune with that commune's area, closed
    with a 1 km buffer; it is then scaled so that the region's area matches the table.
    """
    import shapely

    xy = facts[["centroid_x_31370", "centroid_y_31370"]].to_numpy(float)
    radii = np.sqrt(facts["area_km2"].to_numpy(float) * 1e6 / np.pi)
    outline = shapely.union_all(shapely.buffer(shapely.points(xy), radii))
    outline = outline.buffer(1000).buffer(-1000)
    centre = xy.mean(axis=0)
    scale = np.sqrt(facts["area_km2"].sum() * 1e6 / outline.area)
    from shapely import affinity

    outline = affinity.scale(outline, scale, scale, origin=tuple(centre))
    cells = shapely.voronoi_polygons(shapely.multipoints(xy), extend_to=outline)
    cells = np.asarray(shapely.get_parts(cells))
    # voronoi_polygons does not keep input order: match each cell to the point inside it.
    points = shapely.points(xy)
    order = [int(np.flatnonzero(shapely.contains(cells, p))[0]) for p in points]
    return shapely.intersection(cells[order], outline)


def _schematic_communes():
    import geopandas as gpd

    facts = _facts()
    gdf = gpd.GeoDataFrame(
        facts[[NIS, NAME_FR, NAME_NL]].copy(),
        geometry=_schematic_geometry(facts),
        crs=METRIC_CRS,
    )
    return gdf


@functools.cache
def _embedded_communes():
    """Read the embedded official boundaries once per process (callers get copies)."""
    import geopandas as gpd

    with resources.files("cibg_ds.data").joinpath(EMBEDDED_COMMUNES).open("rb") as handle:
        raw = gpd.read_file(handle)
    raw[NIS] = _normalise_nis(raw[NIS]).astype(str)
    gdf = raw.to_crs(METRIC_CRS).sort_values(NIS, ignore_index=True)
    gdf = gdf.set_geometry(gdf.geometry.make_valid())[list(COMMUNE_COLUMNS)]
    for column in (NIS, NAME_FR, NAME_NL):
        gdf[column] = gdf[column].astype(object)
    return gdf


def _official_communes():
    gdf = _embedded_communes().copy()
    gdf.attrs = {
        "schematic": False,
        "source": "Statbel statistical sectors 2026-01-01 dissolved to municipalities, "
        "simplified to 50 m (embedded)",
        "year": 2026,
        "attribution": COMMUNES_ATTRIBUTION,
    }
    return gdf


def _find_nis_column(columns, where: str) -> str:
    lower = {c.lower(): c for c in columns}
    for candidate in NIS_CANDIDATES:
        if candidate in lower:
            return lower[candidate]
    hint = ""
    if any(c.lower() == "mu_id" for c in columns):
        hint = (
            "\nThis looks like UrbIS ADM: its MU_ID is not the NIS code. Use Statbel "
            "statistical sectors, or add a 'nis' column (21001-21019)."
        )
    raise InputError(
        f"{where}: no NIS municipality code column; looked for {list(NIS_CANDIDATES)} "
        f"(any case) among {list(columns)}.{hint}"
    )


def _normalise_nis(values: pd.Series) -> pd.Series:
    text = values.astype("string").str.strip()
    return text.str.replace(r"\.0$", "", regex=True)


def load_communes(
    source: str | os.PathLike | None = None, layer: str | None = None, *, schematic: bool = False
):
    """Return the 19 communes as a GeoDataFrame in EPSG:31370.

    Parameters
    ----------
    source : path-like or URL, optional
        Official boundaries: a municipality layer with a NIS column (``nis``,
        ``cd_munty_refnis``, ...) or Statbel statistical sectors (detected by ``cd_sector``;
        Brussels rows are dissolved by ``cd_munty_refnis``). GeoJSON, shapefile, GeoPackage
        or a zip of one, anything GDAL reads. Other regions' rows are dropped.
        Default: the embedded official boundaries (Statbel statistical sectors of
        2026-01-01 dissolved to municipalities, simplified to 50 m), read once per process.
    layer : str, optional
        Layer name inside a multi-layer file (GeoPackage).
    schematic : bool
        Return the schematic tessellation (Voronoi cells of the reference centroids)
        instead; only for tests and sketches. Not allowed together with ``source``.

    Returns
    -------
    geopandas.GeoDataFrame
        Columns ``nis`` (str), ``name_fr``, ``name_nl``, ``geometry``, sorted by NIS code.
        ``attrs["schematic"]`` is True only for the schematic tessellation;
        ``attrs["source"]`` says where the boundaries came from, and for the embedded file
        ``attrs["year"]`` and ``attrs["attribution"]`` (shown on maps) are set too.

    Raises
    ------
    InputError
        When the file cannot be read, has no NIS column or lacks some of the 19 communes.

    Examples
    --------
    >>> communes = load_communes()
    >>> communes.crs.to_epsg(), communes.attrs["schematic"], communes.attrs["year"]
    (31370, False, 2026)
    >>> round(float(communes.area.sum()) / 1e6, 1)
    162.5
    """
    if schematic and source is not None:
        raise ParameterError("pass either source= or schematic=True, not both")
    if source is None and not schematic:
        return _official_communes()
    if source is None:
        gdf = _schematic_communes()
        gdf.attrs.update(
            schematic=True,
            source="schematic: Voronoi cells of the commune centroids (embedded reference table)",
        )
        return gdf
    import geopandas as gpd

    where = os.fspath(source)
    raw = read_polygons(source, layer, "boundaries")
    sectors = any(c.lower() == _SECTOR_MARKER for c in raw.columns)
    nis_col = _find_nis_column(raw.columns, where)
    raw = raw.assign(**{NIS: _normalise_nis(raw[nis_col])})
    if sectors and _REGION_COLUMN in raw.columns:
        raw = raw[_normalise_nis(raw[_REGION_COLUMN]).str.zfill(5) == _BRUSSELS_REGION]
    raw = raw[raw[NIS].isin(BRUSSELS_NIS)]
    missing = sorted(set(BRUSSELS_NIS) - set(raw[NIS]))
    if missing:
        raise InputError(
            f"{where}: {len(missing)} of the 19 Brussels communes are absent "
            f"(NIS {', '.join(missing)}); column {nis_col!r} must hold NIS codes 21001-21019."
        )
    check_region_extent(raw.total_bounds, raw.crs, where)
    raw = raw.to_crs(METRIC_CRS)
    geometry = raw[[NIS, "geometry"]].dissolve(by=NIS).geometry.make_valid().rename("geometry")
    names = _facts().set_index(NIS)[[NAME_FR, NAME_NL]]
    gdf = gpd.GeoDataFrame(
        names.join(geometry, how="inner").reset_index(), geometry="geometry", crs=METRIC_CRS
    )[list(COMMUNE_COLUMNS)]
    gdf.attrs.update(schematic=False, source=where)
    return gdf


def _fold(text: str) -> str:
    import unicodedata

    plain = unicodedata.normalize("NFKD", str(text)).encode("ascii", "ignore").decode()
    return "".join(ch for ch in plain.lower() if ch.isalnum())


def resolve_commune(commune) -> str:
    """Return the NIS code of a commune given its code or its French or Dutch name.

    Case, accents, spaces and hyphens do not matter (``"saint gilles"``, ``"Sint-Gillis"``,
    ``21013``).

    Raises
    ------
    ParameterError
        For an unknown commune, listing the valid names.

    Examples
    --------
    >>> resolve_commune("Sint-Gillis"), resolve_commune(21013), resolve_commune("ixelles")
    ('21013', '21013', '21009')
    """
    facts = _facts()
    key = _fold(commune)
    for column in (NIS, NAME_FR, NAME_NL):
        match = facts.loc[facts[column].map(_fold) == key, NIS]
        if len(match):
            return str(match.iloc[0])
    names = ", ".join(
        f"{fr} / {nl} ({nis})"
        for nis, fr, nl in facts[[NIS, NAME_FR, NAME_NL]].itertuples(index=False)
    )
    raise ParameterError(f"unknown commune {commune!r}; valid communes: {names}")
