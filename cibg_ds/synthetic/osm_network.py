"""The routable truck network of the simulator: the embedded OpenStreetMap roads.

Graph: nodes at the shared endpoints of the road segments (junctions), one directed edge
per direction a segment may be driven (``oneway`` respected), weighted by the travel time
at the truck free-flow speed; edge lengths in metres. Routing uses
``scipy.sparse.csgraph.dijkstra`` (C code, many sources in one call, arrays that the
vectorised simulator consumes directly; scipy is already a dependency, unlike networkx or
igraph, whose Python-object graphs would cost more to build and to walk here).

Places: the motorway entries (E40 west and east, A12 north, E19 north via the R0, E411
south-east, the R0 west, south-west and south-east), the depots outside the region behind
them, depots and industrial zones inside, the port, the commune centres and delivery
points in every commune, each attached to a node of the graph. A motorway entry has an
entry node (where the inbound carriageway enters the extract) and an exit node (where the
outbound one leaves it).
"""

from __future__ import annotations

import dataclasses
import functools

import numpy as np
import pandas as pd

from cibg_ds.crs import METRIC_CRS, to_metric
from cibg_ds.io.communes import load_commune_facts
from cibg_ds.io.roads import HIGHWAY_SPEEDS, TRUCK_LIMIT_KMH, truck_speeds  # noqa: F401 (re-exported)
from cibg_ds.synthetic.network import PLACES as SKETCH_PLACES

_FAST = ("motorway", "trunk")
_ARTERIAL = ("motorway", "motorway_link", "trunk", "trunk_link")

#: Motorway entries: name, lon, lat and the depot outside the region (kind
#: ``depot_outside``) that is reached through it. Each entry is attached to the nearest
#: dangling motorway/trunk carriageway ends of the extract (an inbound start, an outbound
#: end) within 1.5 km.
GATEWAYS: tuple[tuple[str, float, float, str | None], ...] = (
    ("gate_e40_west", 4.2835, 50.8724, "depot_groot_bijgaarden"),
    ("gate_e40_east", 4.4450, 50.8640, "depot_zaventem"),
    ("gate_a12_north", 4.3440, 50.9080, "depot_vilvoorde"),
    ("gate_e19_north", 4.4390, 50.8811, None),  # E19 from Mechelen via the A201
    ("gate_e411_southeast", 4.4896, 50.7889, None),
    ("gate_r0_west", 4.2731, 50.8556, None),
    ("gate_r0_northwest", 4.2796, 50.8790, None),
    ("gate_r0_southwest", 4.3002, 50.8095, "depot_ruisbroek"),
    ("gate_e19_southwest", 4.3046, 50.7955, None),  # E19/A7 to Mons
    ("gate_r0_southeast", 4.4490, 50.7765, None),
)
#: Freight places inside the region (port sites, depots): name, kind, lon, lat; the same
#: places as the sketch network's.
INSIDE_PLACES: tuple[tuple[str, str, float, float], ...] = tuple(
    p for p in SKETCH_PLACES if p[1] in ("port", "depot")
)
DELIVERY_POINTS_PER_COMMUNE = 6
_SEARCH_M = 1500.0


@dataclasses.dataclass(frozen=True, eq=False)
class OsmRoadNetwork:
    """The embedded OSM truck roads as a routable graph, with the simulator's places.

    Attributes
    ----------
    nodes : pandas.DataFrame
        The places (what the fleet plans with): ``node`` (name), ``kind``, ``nis``,
        ``x``, ``y`` (EPSG:31370, at the place's exit node), ``entry`` and ``exit``
        (graph nodes).
    graph_xy : numpy.ndarray
        ``(n, 2)`` coordinates of the graph nodes.
    edges : pandas.DataFrame
        Directed edges: ``u``, ``v`` (graph nodes), ``segment`` (row of ``roads``),
        ``reverse`` (driven against the digitised direction), ``segment_id``, ``osm_id``,
        ``highway``, ``length_m``, ``speed_kmh``, ``peak_factor``, ``tunnel``, ``seconds``.
    roads : geopandas.GeoDataFrame
        The road segments (:func:`cibg_ds.io.load_roads`).
    predecessors : numpy.ndarray
        ``predecessors[p, j]``: the node before ``j`` on the fastest path from the entry
        node of place ``p``.
    """

    nodes: pd.DataFrame
    graph_xy: np.ndarray
    edges: pd.DataFrame
    roads: object
    predecessors: np.ndarray
    _coords: np.ndarray = dataclasses.field(repr=False)
    _offsets: np.ndarray = dataclasses.field(repr=False)
    _keys: np.ndarray = dataclasses.field(repr=False)
    _cache: dict = dataclasses.field(default_factory=dict, repr=False)

    @functools.cached_property
    def place_xy(self) -> np.ndarray:
        """``(n_places, 2)`` coordinates of the places (EPSG:31370)."""
        return self.nodes[["x", "y"]].to_numpy()

    @functools.cached_property
    def _entry(self) -> np.ndarray:
        return self.nodes["entry"].to_numpy()

    @functools.cached_property
    def _exit(self) -> np.ndarray:
        return self.nodes["exit"].to_numpy()

    def kind(self, *kinds: str) -> np.ndarray:
        """Return the positions of the places of the given kinds."""
        key = ("kind", *kinds)
        if key not in self._cache:
            self._cache[key] = np.flatnonzero(self.nodes["kind"].isin(kinds).to_numpy())
        return self._cache[key]

    @functools.cached_property
    def _columns(self) -> dict[str, np.ndarray]:
        """The edge table as NumPy arrays (legs are cut from them, not from pandas)."""
        return {c: self.edges[c].to_numpy() for c in self.edges.columns}

    def path(self, a: int, b: int) -> np.ndarray:
        """Return the graph nodes of the fastest path from place ``a`` to place ``b``."""
        start, target = int(self._entry[a]), int(self._exit[b])
        pred = self.predecessors[a]
        out = [target]
        while out[-1] != start:
            prev = pred[out[-1]]
            if prev < 0:
                raise ValueError(f"no path from place {a} to place {b}")
            out.append(int(prev))
        return np.array(out[::-1])

    def edge_rows(self, path: np.ndarray) -> np.ndarray:
        """Return the rows of ``edges`` along a node path."""
        n = len(self.graph_xy)
        return np.searchsorted(self._keys, path[:-1].astype(np.int64) * n + path[1:])

    def leg(self, a: int, b: int, columns: tuple[str, ...] | None = None) -> dict:
        """Return the geometry of the fastest leg from place ``a`` to place ``b``.

        Parameters
        ----------
        a, b : int
            Places (rows of :attr:`nodes`).
        columns : tuple of str, optional
            The columns of :attr:`edges` to return, of those it has (default all; fewer
            are cut faster). Legs are cached per ``(a, b, columns)``.

        Returns
        -------
        dict
            ``xy`` (vertices along the roads), ``piece_edge`` (for each piece between two
            vertices, its position in ``edges``), ``edges`` (the leg's rows of
            :attr:`edges`, in driving order).
        """
        key = (int(a), int(b), columns)
        if key in self._cache:
            return self._cache[key]
        rows = self.edge_rows(self.path(a, b))
        seg, rev = self._columns["segment"][rows], self._columns["reverse"][rows]
        wanted = self._columns if columns is None else [c for c in columns if c in self._columns]
        edges = {c: self._columns[c][rows] for c in wanted}
        start, stop = self._offsets[seg], self._offsets[seg + 1]
        count = stop - start
        owner = np.repeat(np.arange(len(rows)), count)
        pos = np.arange(count.sum()) - np.repeat(np.cumsum(count) - count, count)
        index = np.where(rev[owner], stop[owner] - 1 - pos, start[owner] + pos)
        keep = (pos > 0) | (owner == 0)  # a junction vertex once
        leg = {
            "xy": self._coords[index[keep]] if len(rows) else self.graph_xy[[0]][:0],
            "piece_edge": owner[keep][1:],
            "edges": edges,
        }
        if len(self._cache) > 20_000:  # bounded memory: a few kB per leg
            self._cache.clear()
        self._cache[key] = leg
        return leg

    def to_geodataframe(self):
        """Return the road segments (a copy of the embedded network)."""
        return self.roads.copy()


def _graph(roads) -> tuple[np.ndarray, pd.DataFrame]:
    import shapely

    geoms = roads.geometry.to_numpy()
    ends = np.vstack(
        [shapely.get_coordinates(shapely.get_point(geoms, 0)),
         shapely.get_coordinates(shapely.get_point(geoms, -1))]
    )  # fmt: skip
    codes, uniques = pd.factorize(pd.MultiIndex.from_arrays(ends.round(2).T))
    xy = np.array(uniques.tolist(), dtype=float)
    m = len(roads)
    u, v = codes[:m], codes[m:]
    speed, peak = truck_speeds(roads)
    oneway = roads["oneway"].astype(str).to_numpy()
    base = pd.DataFrame(
        {
            "segment": np.arange(m),
            "segment_id": roads["segment_id"].to_numpy(),
            "osm_id": roads["osm_id"].to_numpy(),
            "highway": roads["highway"].astype(str).to_numpy(),
            "length_m": roads.geometry.length.to_numpy(),
            "speed_kmh": speed,
            "peak_factor": peak,
            "tunnel": roads["tunnel"].astype(bool).to_numpy(),
        }
    )
    forward = base[oneway != "-1"].assign(u=u[oneway != "-1"], v=v[oneway != "-1"], reverse=False)
    back = oneway != "yes"
    backward = base[back].assign(u=v[back], v=u[back], reverse=True)
    edges = pd.concat([forward, backward], ignore_index=True)
    edges = edges[edges["u"] != edges["v"]]
    edges["seconds"] = edges["length_m"] / (edges["speed_kmh"] / 3.6)
    # parallel segments between two junctions: the router only ever takes the fastest
    edges = edges.sort_values(["u", "v", "seconds"]).drop_duplicates(["u", "v"])
    return xy, edges.reset_index(drop=True)


def _nearest(xy: np.ndarray, candidates: np.ndarray, point: np.ndarray) -> int:
    d = np.hypot(*(xy[candidates] - point).T)
    return int(candidates[np.argmin(d)])


def _to_metric(lon, lat) -> np.ndarray:
    return np.column_stack(to_metric(lon, lat))


def _places(xy: np.ndarray, edges: pd.DataFrame, n: int) -> pd.DataFrame:
    import geopandas as gpd
    from scipy.sparse import csr_matrix
    from scipy.sparse.csgraph import breadth_first_order, connected_components

    from cibg_ds.io.communes import load_communes

    graph = csr_matrix((np.ones(len(edges)), (edges["u"], edges["v"])), shape=(n, n))
    _, label = connected_components(graph, directed=True, connection="strong")
    core_label = np.bincount(label).argmax()
    core = np.flatnonzero(label == core_label)
    reach_core = breadth_first_order(graph.T.tocsr(), core[0], return_predecessors=False)
    from_core = breadth_first_order(graph, core[0], return_predecessors=False)
    indeg = np.bincount(edges["v"], minlength=n)
    outdeg = np.bincount(edges["u"], minlength=n)
    fast = edges["highway"].isin(_FAST).to_numpy()
    on_fast = np.zeros(n, bool)
    on_fast[edges.loc[fast, "u"]] = on_fast[edges.loc[fast, "v"]] = True
    on_slow = np.zeros(n, bool)
    slow = ~edges["highway"].isin(_ARTERIAL).to_numpy()
    on_slow[edges.loc[slow, "u"]] = on_slow[edges.loc[slow, "v"]] = True
    core_fast = core[on_fast[core]]
    sources = np.intersect1d(reach_core, np.flatnonzero((indeg == 0) & on_fast))
    sinks = np.intersect1d(from_core, np.flatnonzero((outdeg == 0) & on_fast))
    rows = []
    for name, lon, lat, depot in GATEWAYS:
        point = _to_metric(np.array([lon]), np.array([lat]))[0]
        ends = []
        for pool in (sources, sinks):
            near = pool[np.hypot(*(xy[pool] - point).T) < _SEARCH_M] if len(pool) else pool
            ends.append(_nearest(xy, near if len(near) else core_fast, point))
        rows.append((name, "outside", "", *ends))
        if depot:
            rows.append((depot, "depot_outside", "", *ends))
    core_slow = core[on_slow[core]]
    inside = pd.DataFrame(INSIDE_PLACES, columns=["node", "kind", "lon", "lat"])
    inside_xy = _to_metric(inside["lon"].to_numpy(), inside["lat"].to_numpy())
    for (name, kind, _, _), point in zip(inside.itertuples(index=False), inside_xy, strict=True):
        node = _nearest(xy, core_slow, point)
        rows.append((name, kind, "", node, node))
    facts = load_commune_facts()
    centres = _to_metric(facts["centre_lon"].to_numpy(), facts["centre_lat"].to_numpy())
    for nis, point in zip(facts["nis"], centres, strict=True):
        node = _nearest(xy, core_slow, point)
        rows.append((nis, "centre", nis, node, node))
    communes = load_communes()
    points = gpd.GeoSeries(gpd.points_from_xy(*xy[core_slow].T), crs=METRIC_CRS)
    within = gpd.sjoin(
        gpd.GeoDataFrame(geometry=points), communes[["nis", "geometry"]], predicate="within"
    )
    # delivery points: a frozen seed, the network is part of the product, not of a run
    rng = np.random.default_rng(20161)
    for nis, group in within.groupby("nis", sort=True):
        k = min(DELIVERY_POINTS_PER_COMMUNE, len(group))
        picks = rng.choice(core_slow[group.index.to_numpy()], size=k, replace=False)
        rows += [(f"{nis}_d{i}", "delivery", nis, int(p), int(p)) for i, p in enumerate(picks)]
    places = pd.DataFrame(rows, columns=["node", "kind", "nis", "entry", "exit"])
    places["x"], places["y"] = xy[places["exit"], 0], xy[places["exit"], 1]
    return places


def network_roads():
    """Return the road segments the simulator's network is built from (the embedded roads).

    What ``build_osm_network().to_geodataframe()`` returns, without building the graph.
    """
    from cibg_ds.io.roads import load_roads

    return load_roads()


@functools.cache
def build_osm_network() -> OsmRoadNetwork:
    """Return the routable embedded OSM network (built once per process; read-only).

    Examples
    --------
    >>> net = build_osm_network()
    >>> sorted(set(net.nodes["kind"]))
    ['centre', 'delivery', 'depot', 'depot_outside', 'outside', 'port']
    """
    import shapely
    from scipy.sparse import csr_matrix
    from scipy.sparse.csgraph import dijkstra

    roads = network_roads()
    xy, edges = _graph(roads)
    n = len(xy)
    places = _places(xy, edges, n)
    graph = csr_matrix((edges["seconds"], (edges["u"], edges["v"])), shape=(n, n))
    _, predecessors = dijkstra(
        graph, directed=True, indices=places["entry"].to_numpy(), return_predecessors=True
    )
    entries, exits = places["entry"].to_numpy(), places["exit"].to_numpy()
    unreachable = (predecessors[:, exits] < 0) & (exits[None, :] != entries[:, None])
    if unreachable.any():
        a, b = np.argwhere(unreachable)[0]
        raise ValueError(f"no route from {places['node'][a]} to {places['node'][b]}")
    coords, owner = shapely.get_coordinates(roads.geometry.to_numpy(), return_index=True)
    offsets = np.searchsorted(owner, np.arange(len(roads) + 1))
    keys = edges["u"].to_numpy(np.int64) * n + edges["v"].to_numpy(np.int64)
    return OsmRoadNetwork(
        places, xy, edges, roads, predecessors.astype(np.int32), coords, offsets, keys
    )
