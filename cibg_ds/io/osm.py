"""A truck road network derived from an OpenStreetMap extract.

Trucks use the motorway to tertiary roads and their links; inside the port and the
industrial zones they also use the unclassified and service roads that lead to the docks
and yards. The ways are split at every vertex they share with another way (the OSM nodes
of the junctions), so that each segment runs from junction to junction: the nodes of a
routable graph sit at shared endpoints. ``tools/build_roads.py`` rebuilds the embedded
network (``cibg_ds/data/brussels_truck_roads.parquet``) from the shared extract.

Data © OpenStreetMap contributors, ODbL 1.0: the derived network is itself ODbL.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from cibg_ds.crs import METRIC_CRS
from cibg_ds.errors import InputError

OSM_ATTRIBUTION = "Roads © OpenStreetMap contributors, ODbL 1.0"
#: Road classes trucks use anywhere.
MAIN_HIGHWAYS = (
    "motorway", "motorway_link", "trunk", "trunk_link", "primary", "primary_link",
    "secondary", "secondary_link", "tertiary", "tertiary_link",
)  # fmt: skip
#: Extra classes kept inside the port and industrial zones.
ZONE_HIGHWAYS = ("unclassified", "service", "road")
#: The port and the industrial zones (name, lon, lat, radius in metres): their local roads
#: are kept. Port of Brussels (outer port, TIR, Vergote dock, Biestebroeck), Haren,
#: Evere, the Erasmus (Anderlecht) and Forest industrial zones.
FREIGHT_ZONES: tuple[tuple[str, float, float, float], ...] = (
    ("port_avant_port", 4.3640, 50.8880, 900.0),
    ("port_tir", 4.3525, 50.8640, 450.0),
    ("port_vergote", 4.3560, 50.8720, 600.0),
    ("port_biestebroeck", 4.3215, 50.8300, 600.0),
    ("zone_haren", 4.3980, 50.8850, 700.0),
    ("zone_evere", 4.4150, 50.8730, 500.0),
    ("zone_erasmus", 4.2700, 50.8150, 700.0),
    ("zone_forest", 4.3230, 50.8110, 600.0),
)
KEEP_COLUMNS = ("osm_id", "highway", "name_fr", "name_nl", "ref", "maxspeed", "oneway", "hgv",
                "maxweight")  # fmt: skip
_ONEWAY = {"yes": "yes", "true": "yes", "1": "yes", "-1": "-1", "reverse": "-1", "no": "no",
           "false": "no", "0": "no"}  # fmt: skip
_FORBIDDEN_HGV = ("no",)
_TUNNEL_NAME = r"(?i)\btunnel|tunnel\b"


def _in_zones(geometry) -> np.ndarray:
    import geopandas as gpd
    import shapely

    zones = pd.DataFrame(FREIGHT_ZONES, columns=["zone", "lon", "lat", "radius"])
    centres = gpd.GeoSeries(gpd.points_from_xy(zones["lon"], zones["lat"]), crs=4326)
    discs = shapely.union_all(centres.to_crs(METRIC_CRS).buffer(zones["radius"]).to_numpy())
    return shapely.intersects(geometry.to_numpy(), discs)


def _tunnels(ways) -> np.ndarray:
    """Return the tunnel flag: OSM ``tunnel`` where the extract has it, else known tunnels.

    Without a ``tunnel`` tag the named tunnels (``Tunnel Léopold II``, ``Tunnel Loi``,
    ...) and the inner-ring tunnels count: the unnamed trunk carriageways of the R20 run
    under the boulevards (Rogier, Botanique, Madou, Arts-Loi, Trône, Louise, Stéphanie,
    Porte de Hal, Midi).
    """
    if "tunnel" in ways.columns:
        tagged = ways["tunnel"].astype("string").str.lower().isin(["yes", "true", "1"])
        if tagged.any():
            return tagged.fillna(False).to_numpy()
    names = ways.get("name", ways["name_fr"]).astype("string").fillna("")
    named = names.str.contains(_TUNNEL_NAME, regex=True)
    ring = ways["ref"].astype("string").fillna("").str.contains(r"\bR20\b", regex=True)
    inner = ring & (ways["highway"] == "trunk") & ways["name_fr"].isna() & (names == "")
    return (named | inner).to_numpy()


def _split_at_shared_vertices(ways):
    """Cut each way at every vertex it shares with another way (or itself)."""
    import shapely

    coords, owner = shapely.get_coordinates(ways.geometry.to_numpy(), return_index=True)
    xy = pd.DataFrame({"x": coords[:, 0], "y": coords[:, 1], "w": owner})
    per_point = xy.groupby(["x", "y"])["w"].transform("size").to_numpy()
    start = np.r_[True, owner[1:] != owner[:-1]]
    end = np.r_[owner[1:] != owner[:-1], True]
    # a vertex shared with another way (or met twice by its own) cuts the way there
    interior = (per_point > 1) & ~start & ~end
    segment = np.cumsum(start | interior) - 1
    # the vertex at an interior cut starts one segment and ends the previous one
    rows = np.concatenate([np.arange(len(coords)), np.flatnonzero(interior)])
    seg = np.concatenate([segment, segment[interior] - 1])
    order = np.lexsort((rows, seg))
    rows, seg = rows[order], seg[order]
    lines = shapely.linestrings(coords[rows], indices=seg)
    way_of_segment = owner[rows][np.r_[True, seg[1:] != seg[:-1]]]
    return lines, way_of_segment


def truck_network(raw, tolerance_m: float = 1.0):
    """Derive the truck network from drivable OSM ways.

    Parameters
    ----------
    raw : geopandas.GeoDataFrame
        OSM ways with ``osm_id``, ``highway`` and the optional tags of
        :data:`KEEP_COLUMNS` (and ``name``, ``tunnel`` when present), any CRS.
    tolerance_m : float
        Douglas-Peucker simplification in metres (endpoints, hence junctions, are kept).

    Returns
    -------
    geopandas.GeoDataFrame
        One line per junction-to-junction segment in EPSG:31370: ``segment_id``, the tags
        of :data:`KEEP_COLUMNS` (``oneway`` normalised to ``yes``/``no``/``-1``; motorways
        are one-way unless tagged otherwise, as in OSM), ``tunnel``, ``length_m``.
        Ways closed to trucks (``hgv=no``) are left out.

    Raises
    ------
    InputError
        When ``osm_id`` or ``highway`` is missing.
    """
    import geopandas as gpd
    import shapely

    missing = [c for c in ("osm_id", "highway") if c not in raw.columns]
    if missing:
        raise InputError(f"OSM ways: columns {missing} are missing; found {list(raw.columns)}")
    ways = raw.to_crs(METRIC_CRS)
    for column in KEEP_COLUMNS:
        if column not in ways.columns:
            ways[column] = pd.NA
    highway = ways["highway"].astype("string")
    keep = highway.isin(MAIN_HIGHWAYS) | (highway.isin(ZONE_HIGHWAYS) & _in_zones(ways.geometry))
    keep &= ~ways["hgv"].astype("string").str.lower().isin(_FORBIDDEN_HGV).fillna(False)
    ways = ways[keep.to_numpy()].reset_index(drop=True)
    oneway = ways["oneway"].astype("string").str.lower().map(_ONEWAY)
    motorway = ways["highway"].isin(["motorway", "motorway_link"])
    ways["oneway"] = oneway.where(oneway.notna(), np.where(motorway, "yes", "no"))
    ways["tunnel"] = _tunnels(ways)
    lines, way = _split_at_shared_vertices(ways)
    lines = shapely.simplify(lines, tolerance_m, preserve_topology=False)
    lines = shapely.set_precision(lines, 0.01)  # centimetres: shared ends stay equal
    attributes = ways.loc[way, [*KEEP_COLUMNS, "tunnel"]].reset_index(drop=True)
    attributes["osm_id"] = attributes["osm_id"].astype("int64")
    attributes["tunnel"] = attributes["tunnel"].astype(bool)
    out = gpd.GeoDataFrame(attributes, geometry=lines, crs=METRIC_CRS)
    out = out[out.length > 0].reset_index(drop=True)
    out.insert(0, "segment_id", np.arange(len(out), dtype="int64"))
    out["length_m"] = out.length.round(1)
    return out
