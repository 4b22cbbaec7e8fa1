"""The simulator's road network: the OSM roads by default, and a schematic sketch.

:func:`build_network` returns the routable embedded OpenStreetMap network
(:mod:`cibg_ds.synthetic.osm_network`). :func:`build_sketch_network` returns the older
schematic network described below, kept for small tests and comparisons.

A schematic truck road network of the Brussels-Capital Region and its approaches.

Nodes are real places (lon/lat of junctions, ring gates, motorway ends, depots and the
port), edges straight lines between them with a road class, a truck free-flow speed and a
tunnel flag. Commune centres come from the embedded reference table and are linked to
their Queen neighbours by arterials. It is a stand-in for a real network file (UrbIS,
OpenStreetMap) with the features that matter to freight analysis: the inner ring and its
tunnels, the middle ring, the motorway entries (E40 west and east, A12 and E19 north,
E411 south-east, E19/A7 south-west), the R0 bypasses outside, the port and canal zone,
and delivery points in every commune.
"""

from __future__ import annotations

import dataclasses
import functools

import numpy as np
import pandas as pd

from cibg_ds.crs import METRIC_CRS
from cibg_ds.io.communes import load_commune_facts

#: Road class -> (truck free-flow speed km/h, speed factor at the height of the peak).
ROAD_CLASSES: dict[str, tuple[float, float]] = {
    "motorway": (85.0, 0.55),
    "urban_motorway": (65.0, 0.45),
    "ring": (45.0, 0.50),
    "arterial": (40.0, 0.60),
    "local": (25.0, 0.80),
}

# name, kind, lon, lat. Kinds: ring, junction, gateway (motorway end at the border),
# outside (approach 6-10 km out), depot_outside, depot (inside), port.
PLACES: tuple[tuple[str, str, float, float], ...] = (
    ("ring_rogier", "ring", 4.3590, 50.8555),
    ("ring_botanique", "ring", 4.3660, 50.8545),
    ("ring_madou", "ring", 4.3700, 50.8497),
    ("ring_arts_loi", "ring", 4.3695, 50.8455),
    ("ring_trone", "ring", 4.3660, 50.8405),
    ("ring_namur", "ring", 4.3620, 50.8385),
    ("ring_louise", "ring", 4.3555, 50.8365),
    ("ring_hal", "ring", 4.3445, 50.8335),
    ("ring_midi", "ring", 4.3360, 50.8380),
    ("ring_anderlecht", "ring", 4.3380, 50.8430),
    ("ring_ninove", "ring", 4.3390, 50.8500),
    ("ring_yser", "ring", 4.3490, 50.8555),
    ("basilique", "junction", 4.3175, 50.8667),
    ("heysel", "junction", 4.3400, 50.8960),
    ("van_praet", "junction", 4.3720, 50.8860),
    ("sainctelette", "junction", 4.3480, 50.8590),
    ("meiser", "junction", 4.3960, 50.8570),
    ("reyers", "junction", 4.4030, 50.8525),
    ("montgomery", "junction", 4.4080, 50.8380),
    ("delta", "junction", 4.4030, 50.8180),
    ("herrmann_debroux", "junction", 4.4270, 50.8125),
    ("bascule", "junction", 4.3620, 50.8190),
    ("abattoirs", "junction", 4.3260, 50.8425),
    ("gate_e40_west", "gateway", 4.2950, 50.8680),
    ("gate_e40_east", "gateway", 4.4300, 50.8610),
    ("gate_a12_north", "gateway", 4.3520, 50.8990),
    ("gate_e19_north", "gateway", 4.4150, 50.8890),
    ("gate_e411_southeast", "gateway", 4.4480, 50.8060),
    ("gate_e19_southwest", "gateway", 4.2650, 50.8150),
    ("out_e40_gent", "outside", 4.2000, 50.8900),
    ("out_e40_leuven", "outside", 4.5300, 50.8850),
    ("out_a12_antwerpen", "outside", 4.3550, 50.9700),
    ("out_e19_mechelen", "outside", 4.4500, 50.9500),
    ("out_e411_namur", "outside", 4.5500, 50.7500),
    ("out_e19_mons", "outside", 4.2100, 50.7600),
    ("depot_groot_bijgaarden", "depot_outside", 4.2550, 50.8760),
    ("depot_zaventem", "depot_outside", 4.4700, 50.8900),
    ("depot_vilvoorde", "depot_outside", 4.4200, 50.9250),
    ("depot_ruisbroek", "depot_outside", 4.3000, 50.7900),
    ("port_vergote", "port", 4.3560, 50.8720),
    ("port_avant_port", "port", 4.3640, 50.8880),
    ("port_biestebroeck", "port", 4.3215, 50.8300),
    ("depot_haren", "depot", 4.3980, 50.8850),
    ("depot_erasmus", "depot", 4.2700, 50.8150),
    ("depot_forest", "depot", 4.3230, 50.8110),
    ("depot_evere", "depot", 4.4150, 50.8730),
)

_RING = [p[0] for p in PLACES if p[1] == "ring"]
_TUNNELS = {
    frozenset(("ring_botanique", "ring_madou")),  # Botanique tunnel
    frozenset(("ring_arts_loi", "ring_trone")),  # Arts-Loi tunnel
    frozenset(("ring_louise", "ring_hal")),  # Louise / Stéphanie / Porte de Hal tunnels
    frozenset(("basilique", "ring_yser")),  # Leopold II tunnel
}

# (a, b, road class). Commune centres are named by NIS code.
ROADS: tuple[tuple[str, str, str], ...] = (
    *((a, b, "ring") for a, b in zip(_RING, _RING[1:] + _RING[:1], strict=True)),
    ("21004", "ring_rogier", "local"), ("21004", "ring_louise", "local"),
    ("21004", "ring_yser", "local"), ("21004", "ring_arts_loi", "local"),
    ("21004", "ring_anderlecht", "local"),
    # E40 west -> Berchem -> Basilique -> Leopold II tunnel
    ("out_e40_gent", "depot_groot_bijgaarden", "motorway"),
    ("depot_groot_bijgaarden", "gate_e40_west", "motorway"),
    ("gate_e40_west", "basilique", "urban_motorway"), ("gate_e40_west", "21003", "arterial"),
    ("basilique", "ring_yser", "urban_motorway"),
    # E40 east -> Reyers
    ("out_e40_leuven", "depot_zaventem", "motorway"),
    ("depot_zaventem", "gate_e40_east", "motorway"),
    ("gate_e40_east", "reyers", "urban_motorway"), ("gate_e40_east", "21018", "arterial"),
    ("reyers", "ring_madou", "arterial"), ("montgomery", "ring_arts_loi", "arterial"),
    # middle ring (Grande Ceinture) and the Triomphe axis to the E411
    ("meiser", "reyers", "ring"), ("reyers", "montgomery", "ring"),
    ("montgomery", "delta", "urban_motorway"), ("delta", "herrmann_debroux", "urban_motorway"),
    ("delta", "bascule", "arterial"), ("bascule", "ring_louise", "arterial"),
    # E411 south-east
    ("herrmann_debroux", "gate_e411_southeast", "urban_motorway"),
    ("gate_e411_southeast", "out_e411_namur", "motorway"),
    # A12 north and the port road along the canal
    ("out_a12_antwerpen", "gate_a12_north", "motorway"),
    ("gate_a12_north", "van_praet", "urban_motorway"), ("van_praet", "heysel", "arterial"),
    ("van_praet", "port_avant_port", "arterial"), ("port_avant_port", "port_vergote", "arterial"),
    ("port_vergote", "sainctelette", "arterial"), ("sainctelette", "ring_yser", "arterial"),
    ("sainctelette", "ring_ninove", "arterial"), ("ring_ninove", "abattoirs", "arterial"),
    ("abattoirs", "port_biestebroeck", "arterial"),
    ("port_biestebroeck", "depot_forest", "arterial"),
    ("depot_forest", "depot_ruisbroek", "arterial"), ("heysel", "basilique", "ring"),
    # E19 north (A201 / Leopold III) -> Haren, Evere, Meiser
    ("out_e19_mechelen", "depot_vilvoorde", "motorway"),
    ("depot_vilvoorde", "gate_e19_north", "motorway"),
    ("gate_e19_north", "depot_haren", "arterial"), ("depot_haren", "van_praet", "arterial"),
    ("gate_e19_north", "depot_evere", "urban_motorway"), ("depot_evere", "meiser", "arterial"),
    # E19 south-west / A7 (Ring Anderlecht) -> Erasmus
    ("out_e19_mons", "gate_e19_southwest", "motorway"),
    ("gate_e19_southwest", "depot_erasmus", "arterial"), ("depot_erasmus", "21001", "arterial"),
    ("abattoirs", "21001", "arterial"), ("abattoirs", "ring_midi", "arterial"),
    # R0 outside the region: the bypasses a through truck may prefer
    ("depot_groot_bijgaarden", "gate_e19_southwest", "motorway"),
    ("depot_zaventem", "depot_vilvoorde", "motorway"),
    ("depot_vilvoorde", "out_a12_antwerpen", "motorway"),
    ("depot_zaventem", "out_e411_namur", "motorway"),
    ("depot_ruisbroek", "out_e19_mons", "motorway"),
    # commune centres to the main network
    ("21002", "herrmann_debroux", "arterial"), ("21005", "montgomery", "arterial"),
    ("21006", "depot_evere", "arterial"), ("21007", "depot_forest", "arterial"),
    ("21008", "basilique", "arterial"), ("21009", "ring_namur", "arterial"),
    ("21009", "bascule", "arterial"), ("21010", "basilique", "arterial"),
    ("21010", "heysel", "arterial"), ("21011", "basilique", "arterial"),
    ("21012", "ring_ninove", "arterial"), ("21013", "ring_hal", "arterial"),
    ("21014", "ring_botanique", "arterial"), ("21015", "meiser", "arterial"),
    ("21016", "bascule", "arterial"), ("21016", "depot_forest", "arterial"),
    ("21017", "herrmann_debroux", "arterial"), ("21018", "montgomery", "arterial"),
    ("21019", "montgomery", "arterial"),
)  # fmt: skip

DELIVERY_POINTS_PER_COMMUNE = 6


@dataclasses.dataclass(frozen=True)
class RoadNetwork:
    """Nodes and edges of the network, with all-pairs fastest paths at free flow.

    Attributes
    ----------
    nodes : pandas.DataFrame
        ``node`` (name), ``kind``, ``nis`` (commune of a centre or delivery point, else
        empty), ``x``, ``y`` (EPSG:31370).
    edges : pandas.DataFrame
        ``u``, ``v`` (node positions), ``road_class``, ``speed_kmh``, ``peak_factor``,
        ``tunnel``, ``length_m``. Both directions of every road.
    predecessors : numpy.ndarray
        ``predecessors[i, j]``: the node before ``j`` on the fastest path from ``i``.
    edge_index : numpy.ndarray
        ``edge_index[u, v]``: row of edge ``u -> v`` in ``edges`` (-1 when none).
    """

    nodes: pd.DataFrame
    edges: pd.DataFrame
    predecessors: np.ndarray
    edge_index: np.ndarray

    @functools.cached_property
    def place_xy(self) -> np.ndarray:
        """``(n_nodes, 2)`` coordinates of the nodes (EPSG:31370)."""
        return self.nodes[["x", "y"]].to_numpy()

    def kind(self, *kinds: str) -> np.ndarray:
        """Return the positions of the nodes of the given kinds."""
        return np.flatnonzero(self.nodes["kind"].isin(kinds).to_numpy())

    def path(self, a: int, b: int) -> np.ndarray:
        """Return the node positions of the fastest path from ``a`` to ``b`` (inclusive)."""
        out = [b]
        while out[-1] != a:
            prev = self.predecessors[a, out[-1]]
            if prev < 0:
                raise ValueError(f"no path from node {a} to node {b}")
            out.append(prev)
        return np.array(out[::-1])

    def leg(self, a: int, b: int, columns: tuple[str, ...] | None = None) -> dict:
        """Return the fastest leg from ``a`` to ``b`` as the feed drives it.

        ``xy`` (vertices), ``piece_edge`` (for each piece between two vertices, its row in
        ``edges``), ``edges`` (the leg's edges in driving order: the ``columns`` of them
        the network has, default all).
        """
        path = self.path(a, b)
        rows = self.edge_index[path[:-1], path[1:]]
        edges = self.edges.iloc[rows].reset_index(drop=True).assign(segment_id=rows)
        if columns is not None:
            edges = edges[[c for c in columns if c in edges.columns]]
        xy = self.nodes[["x", "y"]].to_numpy()[path]
        return {"xy": xy, "piece_edge": np.arange(len(rows)), "edges": edges}

    def to_geodataframe(self):
        """Return the roads as a GeoDataFrame of lines in EPSG:31370 (one row per road)."""
        import geopandas as gpd
        import shapely

        e = self.edges[self.edges["u"] < self.edges["v"]].reset_index(drop=True)
        xy = self.nodes[["x", "y"]].to_numpy()
        lines = shapely.linestrings(np.stack([xy[e["u"]], xy[e["v"]]], axis=1))
        names = self.nodes["node"].to_numpy()
        return gpd.GeoDataFrame(
            {
                "segment_id": np.arange(len(e)),
                "from_node": names[e["u"]],
                "to_node": names[e["v"]],
                "road_class": e["road_class"],
                "speed_kmh": e["speed_kmh"],
                "tunnel": e["tunnel"],
                "length_m": e["length_m"].round(1),
            },
            geometry=lines,
            crs=METRIC_CRS,
        )


def _node_table() -> pd.DataFrame:
    from pyproj import Transformer

    facts = load_commune_facts()
    to_metric = Transformer.from_crs("EPSG:4326", METRIC_CRS, always_xy=True)
    places = pd.DataFrame(PLACES, columns=["node", "kind", "lon", "lat"]).assign(nis="")
    centres = pd.DataFrame(
        {
            "node": facts["nis"],
            "kind": "centre",
            "lon": facts["centre_lon"],
            "lat": facts["centre_lat"],
            "nis": facts["nis"],
        }
    )
    nodes = pd.concat([places, centres], ignore_index=True)
    x, y = to_metric.transform(nodes["lon"].to_numpy(), nodes["lat"].to_numpy())
    nodes = nodes.assign(x=x, y=y).drop(columns=["lon", "lat"])
    # Delivery points: fixed offsets around each centre (a frozen seed: the network is part
    # of the product, not of a simulation run), reached by a local street.
    rng = np.random.default_rng(20161)
    k = DELIVERY_POINTS_PER_COMMUNE
    angle = rng.uniform(0, 2 * np.pi, (len(centres), k))
    radius = rng.uniform(300, 1300, (len(centres), k))
    cx = nodes.loc[nodes["kind"] == "centre", "x"].to_numpy()[:, None]
    cy = nodes.loc[nodes["kind"] == "centre", "y"].to_numpy()[:, None]
    delivery = pd.DataFrame(
        {
            "node": [f"{n}_d{i}" for n in facts["nis"] for i in range(k)],
            "kind": "delivery",
            "nis": np.repeat(facts["nis"].to_numpy(), k),
            "x": (cx + radius * np.sin(angle)).ravel(),
            "y": (cy + radius * np.cos(angle)).ravel(),
        }
    )
    return pd.concat([nodes, delivery], ignore_index=True)


def _edge_table(nodes: pd.DataFrame) -> pd.DataFrame:
    position = pd.Series(np.arange(len(nodes)), index=nodes["node"])
    roads = pd.DataFrame(ROADS, columns=["a", "b", "road_class"])
    facts = load_commune_facts()
    neighbours = [
        (a, b, "arterial")
        for a, text in zip(facts["nis"], facts["neighbours"], strict=True)
        for b in text.split(";")
        if a < b
    ]
    delivery = nodes[nodes["kind"] == "delivery"]
    local = pd.DataFrame({"a": delivery["nis"], "b": delivery["node"], "road_class": "local"})
    roads = pd.concat([roads, pd.DataFrame(neighbours, columns=roads.columns), local])
    roads = roads.drop_duplicates(["a", "b"])
    unknown = sorted(set(roads["a"]).union(roads["b"]) - set(position.index))
    if unknown:  # a typo in the tables above
        raise ValueError(f"roads refer to unknown nodes: {unknown}")
    u, v = position[roads["a"]].to_numpy(), position[roads["b"]].to_numpy()
    tunnel = [frozenset(p) in _TUNNELS for p in zip(roads["a"], roads["b"], strict=True)]
    one_way = pd.DataFrame({"u": u, "v": v, "road_class": roads["road_class"].to_numpy()})
    one_way["tunnel"] = tunnel
    both = pd.concat([one_way, one_way.rename(columns={"u": "v", "v": "u"})], ignore_index=True)
    xy = nodes[["x", "y"]].to_numpy()
    both["length_m"] = np.hypot(*(xy[both["v"]] - xy[both["u"]]).T)
    both["speed_kmh"] = both["road_class"].map(lambda c: ROAD_CLASSES[c][0])
    both["peak_factor"] = both["road_class"].map(lambda c: ROAD_CLASSES[c][1])
    return both


def build_network():
    """Return the network the simulator drives on: the embedded OpenStreetMap roads.

    Built once per process (treat it as read-only); see
    :func:`cibg_ds.synthetic.osm_network.build_osm_network`. The hand-made sketch is
    :func:`build_sketch_network`.

    Examples
    --------
    >>> net = build_network()
    >>> sorted(net.nodes["kind"].unique())[:3]
    ['centre', 'delivery', 'depot']
    """
    from cibg_ds.synthetic.osm_network import build_osm_network

    return build_osm_network()


@functools.cache
def build_sketch_network() -> RoadNetwork:
    """Return the schematic network (built once per process; treat it as read-only).

    Straight lines between real places: a stand-in for tests that need a tiny network.

    Returns
    -------
    RoadNetwork

    Examples
    --------
    >>> net = build_sketch_network()
    >>> sorted(net.nodes["kind"].unique())[:3]
    ['centre', 'delivery', 'depot']
    """
    from scipy.sparse import csr_matrix
    from scipy.sparse.csgraph import dijkstra

    nodes = _node_table()
    edges = _edge_table(nodes)
    n = len(nodes)
    seconds = edges["length_m"] / (edges["speed_kmh"] / 3.6)
    graph = csr_matrix((seconds, (edges["u"], edges["v"])), shape=(n, n))
    _, predecessors = dijkstra(graph, directed=True, return_predecessors=True)
    edge_index = np.full((n, n), -1, dtype=np.int32)
    edge_index[edges["u"], edges["v"]] = np.arange(len(edges))
    if (predecessors[0] < 0).sum() > 1:  # only the source itself has no predecessor
        raise ValueError("the schematic network is not connected")
    return RoadNetwork(nodes, edges, predecessors, edge_index)
