"""Road networks: line layers from GeoPackage, GeoJSON, shapefile or GeoParquet.

The default is the embedded truck network derived from OpenStreetMap (2013 extract, see
:mod:`cibg_ds.io.osm` and ``cibg_ds/data/README.md``), © OpenStreetMap contributors,
ODbL 1.0.
"""

from __future__ import annotations

import functools
import os
from importlib import resources
from pathlib import Path

import numpy as np
import pandas as pd

from cibg_ds.crs import METRIC_CRS
from cibg_ds.errors import InputError

SEGMENT = "segment_id"
_LINES = {"LineString", "MultiLineString"}
EMBEDDED_ROADS = "brussels_truck_roads.parquet"


@functools.cache
def _embedded_roads():
    """Read the embedded truck network once per process (callers get copies)."""
    import geopandas as gpd

    with resources.files("cibg_ds.data").joinpath(EMBEDDED_ROADS).open("rb") as handle:
        return gpd.read_parquet(handle)


def _default_roads():
    from cibg_ds.io.osm import OSM_ATTRIBUTION

    roads = _embedded_roads().copy()
    roads.attrs = {
        "schematic": False,
        "source": "OpenStreetMap extract of 2013-01-01: truck network (embedded)",
        "year": 2013,
        "attribution": OSM_ATTRIBUTION,
    }
    return roads


def _read(path: Path, layer: str | None):
    import geopandas as gpd

    if path.suffix.lower() in (".parquet", ".geoparquet"):
        return gpd.read_parquet(path)
    return gpd.read_file(path, layer=layer)


def load_roads(
    source: str | os.PathLike | None = None,
    layer: str | None = None,
    id_column: str | None = None,
):
    """Return a road network as one line per segment, in EPSG:31370.

    Parameters
    ----------
    source : path-like, optional
        GeoPackage, GeoJSON, shapefile (anything GDAL reads) or GeoParquet (``.parquet``).
        Default: the embedded truck network derived from OpenStreetMap (motorway to
        tertiary roads and links, plus the local roads of the port and industrial zones,
        split at junctions), read once per process; ``attrs["attribution"]`` carries
        "© OpenStreetMap contributors, ODbL 1.0".
    layer : str, optional
        Layer inside a multi-layer file.
    id_column : str, optional
        Column that identifies a segment. Default ``segment_id`` when present, else the
        row number. Multi-part lines are split, each part keeping its segment's id.

    Returns
    -------
    geopandas.GeoDataFrame
        ``segment_id`` first, the file's other attributes, ``length_m`` and the geometry.

    Raises
    ------
    InputError
        When the file cannot be read, has no CRS, holds no lines, or the id column is
        missing or not unique.

    Examples
    --------
    >>> from cibg_ds.synthetic.network import build_sketch_network
    >>> import tempfile, pathlib
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "roads.geojson"
    >>> build_sketch_network().to_geodataframe().to_crs(4326).to_file(path)
    >>> roads = load_roads(path)
    >>> roads.crs.to_epsg(), roads["segment_id"].is_unique
    (31370, True)
    >>> osm = load_roads()
    >>> osm.attrs["attribution"], osm.attrs["schematic"]
    ('Roads © OpenStreetMap contributors, ODbL 1.0', False)
    """
    if source is None:
        return _default_roads()
    path = Path(source)
    if not path.exists():
        raise InputError(f"{path}: road network file not found")
    try:
        raw = _read(path, layer)
    except Exception as exc:  # pyogrio and pyarrow raise several types; all mean unreadable
        raise InputError(f"{path}: cannot read the road network ({exc})") from None
    if raw.crs is None:
        raise InputError(f"{path}: no coordinate reference system; set one (e.g. EPSG:31370)")
    kinds = set(raw.geom_type.dropna())
    if not kinds or not kinds <= _LINES:
        raise InputError(
            f"{path}: a road network holds lines; found {sorted(kinds) or 'no geometry'}"
        )
    id_column = id_column or (SEGMENT if SEGMENT in raw.columns else None)
    if id_column is None:
        raw[SEGMENT] = np.arange(len(raw))
    elif id_column not in raw.columns:
        raise InputError(
            f"{path}: no column {id_column!r}; columns are {list(raw.columns)}. "
            "Pass id_column= the column that names each segment."
        )
    else:
        if not raw[id_column].is_unique:
            raise InputError(
                f"{path}: column {id_column!r} repeats ids; segment ids must be unique"
            )
        raw = raw.rename(columns={id_column: SEGMENT})
    roads = raw[raw.geometry.notna() & ~raw.geometry.is_empty].explode(index_parts=False)
    roads = roads.to_crs(METRIC_CRS).reset_index(drop=True)
    roads["length_m"] = roads.geometry.length.round(1)
    columns = [SEGMENT, *(c for c in roads.columns if c not in (SEGMENT, "geometry")), "geometry"]
    out = roads[columns]
    out.attrs["source"] = str(path)
    if "osm_id" in out.columns:  # OpenStreetMap data: ODbL asks for the attribution
        from cibg_ds.io.osm import OSM_ATTRIBUTION

        out.attrs.update(schematic=False, attribution=OSM_ATTRIBUTION)
    return out


#: OSM highway -> (default maxspeed km/h, truck share of the limit at free flow, speed
#: factor at the height of the peak).
HIGHWAY_SPEEDS: dict[str, tuple[float, float, float]] = {
    "motorway": (120.0, 0.95, 0.55),
    "motorway_link": (70.0, 0.85, 0.6),
    "trunk": (70.0, 0.9, 0.45),
    "trunk_link": (50.0, 0.85, 0.55),
    "primary": (50.0, 0.8, 0.5),
    "primary_link": (50.0, 0.75, 0.6),
    "secondary": (50.0, 0.8, 0.6),
    "secondary_link": (50.0, 0.75, 0.6),
    "tertiary": (50.0, 0.75, 0.65),
    "tertiary_link": (50.0, 0.7, 0.7),
    "unclassified": (30.0, 0.75, 0.8),
    "service": (20.0, 0.75, 0.85),
    "road": (30.0, 0.75, 0.8),
}
TRUCK_LIMIT_KMH = 90.0
"""Belgian speed limit of trucks over 3.5 t on motorways."""


def truck_speeds(roads: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Return the truck free-flow speed (km/h) and peak factor of each road segment.

    The free-flow speed is a share of the OSM ``maxspeed`` (default by ``highway`` where
    it is missing), at most the trucks' 90 km/h. The simulator drives at these speeds and
    the map matcher routes with them.

    Parameters
    ----------
    roads : pandas.DataFrame
        Road segments with ``highway`` and ``maxspeed`` (:func:`load_roads`).

    Returns
    -------
    speed : numpy.ndarray
        Free-flow speed of trucks, km/h (at least 12).
    peak : numpy.ndarray
        Speed factor at the height of the peak (:data:`HIGHWAY_SPEEDS`).
    """
    table = pd.DataFrame(HIGHWAY_SPEEDS, index=["limit", "share", "peak"]).T
    highway = roads["highway"].astype(str).where(roads["highway"].isin(table.index), "road")
    params = table.loc[highway.to_numpy()]
    limit = pd.to_numeric(roads["maxspeed"], errors="coerce").to_numpy(float)
    limit = np.where(np.isfinite(limit) & (limit > 0), limit, params["limit"].to_numpy())
    speed = np.minimum(limit, TRUCK_LIMIT_KMH) * params["share"].to_numpy()
    return np.maximum(speed, 12.0), params["peak"].to_numpy()
