"""A road network as a directed graph for map matching, with bounded fastest paths.

Nodes sit at the shared endpoints of the segments (junctions, to the centimetre, as in the
simulator's graph); each segment gives one directed edge per direction it may be driven
(``oneway`` respected when the network has the column). An edge costs its travel time at
the truck free-flow speed (from OSM ``highway``/``maxspeed`` when the network has them,
:func:`cibg_ds.io.roads.truck_speeds`), in metres at
:data:`REFERENCE_KMH`; without those columns, its length. Routes are the fastest paths,
measured in metres (a truck takes the motorway tunnel, not the shorter street above it:
on 40 simulated trucks this lifted the correctly matched share from 95.9 % to 96.6 %). Of
parallel segments between two junctions only the shortest is routable (a sparse matrix
holds one entry per pair).

Paths come from ``scipy.sparse.csgraph.dijkstra`` (C code, many sources in one call, NumPy
arrays out; scipy is a dependency already, networkx's Python objects would cost more to
build and walk), bounded at :data:`LIMIT_M` of cost; their lengths follow each row's
shortest-path tree. Each source row is computed once per process and kept: a many-to-many
table filled on demand. For the Brussels truck network (3,902 junctions) the full table
is 122 MB (float32 lengths, int32 predecessors) and takes about 1.6 s of CPU to fill
(measured 2026-12-02, one search for every row a partition needs);
a worker fills only the rows its fixes need (2,334 rows for 40 trucks' day), after which a
partition costs only lookups. Computing the rows afresh per call instead (bounded Dijkstra
from the candidate nodes of each partition) was 18x slower on the second call (10.6 s vs
0.6 s for 5,194 fixes, measured under load). Networks with more than :data:`TABLE_NODES`
junctions, whose table would not fit, take that per-call way.
"""

from __future__ import annotations

import hashlib

import numpy as np
import pandas as pd

from cibg_ds.errors import ParameterError
from cibg_ds.io.roads import SEGMENT
from cibg_ds.mobility.geo import METRIC_CRS

LIMIT_M = 6_000.0
"""Bound of every shortest-path search (cost in metres at 50 km/h): no route beyond."""
REFERENCE_KMH = 50.0
"""Costs are metres at this speed: an edge costs its length x 50 / its truck speed."""
TABLE_NODES = 8_000
"""Networks with at most this many junctions keep every distance row they compute."""

_GRAPHS: dict[str, RoadGraph] = {}
"""The graphs built in this process, by fingerprint (one per worker for a network)."""


def fingerprint(roads) -> str:
    """Return a digest of a road network: CRS, ids, one-way tags and geometries.

    Parameters
    ----------
    roads : geopandas.GeoDataFrame
        Lines with a ``segment_id`` column.

    Returns
    -------
    str
        32 hexadecimal digits; equal networks give equal digests.
    """
    import shapely

    digest = hashlib.blake2b(str(roads.crs).encode(), digest_size=16)
    digest.update(np.asarray(roads[SEGMENT].astype(str)).astype("U").tobytes())
    if "oneway" in roads.columns:
        digest.update("\x00".join(roads["oneway"].astype(str)).encode())
    for wkb in shapely.to_wkb(roads.geometry.to_numpy()):
        digest.update(wkb)
    return digest.hexdigest()


def road_graph(roads) -> RoadGraph:
    """Return the graph of ``roads``, built once per process and network.

    Parameters
    ----------
    roads : geopandas.GeoDataFrame
        Lines with a ``segment_id`` column and a CRS (see :func:`cibg_ds.io.load_roads`).

    Returns
    -------
    RoadGraph
        The cached graph of that network (same fingerprint, same object).
    """
    key = fingerprint(roads)
    if key not in _GRAPHS:
        if len(_GRAPHS) > 8:  # a long session with many networks: bounded memory
            _GRAPHS.clear()
        _GRAPHS[key] = RoadGraph(roads, key)
    return _GRAPHS[key]


class RoadGraph:
    """Directed, length-weighted graph of a road network (see the module docstring).

    Parameters
    ----------
    roads : geopandas.GeoDataFrame
        Lines with a ``segment_id`` column and a CRS.
    key : str, optional
        The network's :func:`fingerprint` (computed when not given).

    Attributes
    ----------
    xy : numpy.ndarray
        ``(n_nodes, 2)`` junction coordinates (EPSG:31370).
    edges : pandas.DataFrame
        ``u``, ``v``, ``segment`` (row of ``roads``), ``segment_id``, ``reverse``
        (driven against the digitised direction), ``length_m``.
    lines : numpy.ndarray
        The segments' geometries in EPSG:31370.
    line_length : numpy.ndarray
        Their lengths (GEOS ``length``).
    seg_edges : numpy.ndarray
        ``(n_segments, 2)``: the edge driving each segment forward and backward (-1: none).
    """

    def __init__(self, roads, key: str | None = None):
        import shapely
        from scipy.sparse import csr_matrix

        if SEGMENT not in roads.columns:
            raise ParameterError(f"roads need a {SEGMENT!r} column; load them with load_roads()")
        if roads.crs is None:
            raise ParameterError("roads have no CRS; load them with load_roads()")
        self.key = key or fingerprint(roads)
        metric = roads.to_crs(METRIC_CRS)
        self.lines = metric.geometry.to_numpy()
        self.segment_ids = roads[SEGMENT].to_numpy()
        ends = np.vstack(
            [shapely.get_coordinates(shapely.get_point(self.lines, 0)),
             shapely.get_coordinates(shapely.get_point(self.lines, -1))]
        )  # fmt: skip
        codes, uniques = pd.factorize(pd.MultiIndex.from_arrays(ends.round(2).T))
        self.xy = np.array(uniques.tolist(), dtype=float).reshape(-1, 2)
        m = len(roads)
        u, v = codes[:m], codes[m:]
        oneway = (
            roads["oneway"].astype(str).to_numpy()
            if "oneway" in roads.columns
            else np.full(m, "no")
        )
        length = shapely.length(self.lines)
        self.line_length = length
        rows = np.arange(m)
        fwd, back = oneway != "-1", oneway != "yes"
        edges = pd.DataFrame(
            {
                "u": np.r_[u[fwd], v[back]],
                "v": np.r_[v[fwd], u[back]],
                "segment": np.r_[rows[fwd], rows[back]],
                "reverse": np.r_[np.zeros(fwd.sum(), bool), np.ones(back.sum(), bool)],
                "length_m": np.r_[length[fwd], length[back]],
            }
        )
        edges = edges[edges["u"] != edges["v"]]
        edges = edges.sort_values(["u", "v", "length_m"], kind="stable")
        edges = edges.drop_duplicates(["u", "v"]).reset_index(drop=True)
        edges["segment_id"] = self.segment_ids[edges["segment"].to_numpy()]
        self.edges = edges
        n = len(self.xy)
        self.n_nodes = n
        self.u = edges["u"].to_numpy(np.int64)
        self.v = edges["v"].to_numpy(np.int64)
        self.length = edges["length_m"].to_numpy(float)
        self.segment = edges["segment"].to_numpy(np.int64)
        self.reverse = edges["reverse"].to_numpy(bool)
        self._keys = self.u * n + self.v  # sorted: edges are sorted by (u, v)
        self.seg_edges = np.full((m, 2), -1, dtype=np.int64)
        self.seg_edges[self.segment, self.reverse.astype(int)] = np.arange(len(edges))
        self.factor = np.ones(len(edges))
        if {"highway", "maxspeed"} <= set(roads.columns):
            from cibg_ds.io.roads import truck_speeds

            speed, _ = truck_speeds(roads)
            self.factor = REFERENCE_KMH / speed[self.segment]
        self.cost = self.length * self.factor
        weight = np.maximum(self.cost, 1e-3)  # a zero would be no edge
        self.csr = csr_matrix((weight, (self.u, self.v)), shape=(n, n))
        self._grids: dict[float, object] = {}
        self._dist: np.ndarray | None = None
        self._pred: np.ndarray | None = None
        self._done: np.ndarray | None = None

    def __getstate__(self):
        # caches stay behind: each worker builds its own grid and fills its own table
        return {**self.__dict__, "_grids": {}, "_dist": None, "_pred": None,
                "_done": None}  # fmt: skip

    def __dask_tokenize__(self):
        return ("RoadGraph", self.key)

    def grid(self, radius: float):
        """Return the segments' :class:`~cibg_ds.mobility.segments.SegmentGrid` for ``radius``.

        Built on first use in each process and kept (one per radius asked).
        """
        from cibg_ds.mobility.segments import SegmentGrid

        if radius not in self._grids:
            self._grids[radius] = SegmentGrid(self.lines, radius)
        return self._grids[radius]

    def edge_of(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        """Return the edge from node ``a`` to node ``b`` (element-wise; -1 for none).

        Parameters
        ----------
        a, b : numpy.ndarray
            Node numbers.

        Returns
        -------
        numpy.ndarray
            Row of :attr:`edges` per pair.
        """
        key = np.asarray(a, np.int64) * self.n_nodes + np.asarray(b, np.int64)
        if not len(self._keys):
            return np.full(key.shape, -1, dtype=np.int64)
        pos = np.minimum(np.searchsorted(self._keys, key), len(self._keys) - 1)
        return np.where(self._keys[pos] == key, pos, -1)

    @property
    def keeps_rows(self) -> bool:
        """Whether :meth:`rows` keeps the rows it computes (at most :data:`TABLE_NODES`)."""
        return self.n_nodes <= TABLE_NODES

    def rows(self, sources: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Return bounded shortest distances and predecessors from ``sources``.

        Parameters
        ----------
        sources : numpy.ndarray
            Node numbers (any order, repeats allowed).

        Returns
        -------
        tuple of numpy.ndarray
            ``(position, dist, pred)``: ``dist[position[i]]`` (length in metres of the
            fastest path to each node, ``inf`` beyond :data:`LIMIT_M` of cost) and
            ``pred[position[i]]`` (the node before each node on that path, -9999 where
            unreached) are the rows of ``sources[i]``.
        """
        sources = np.asarray(sources, np.int64)
        if not self.keeps_rows:
            unique, position = np.unique(sources, return_inverse=True)
            return position, *self._search(unique)
        if self._dist is None:
            n = self.n_nodes
            self._dist = np.full((n, n), np.inf, dtype=np.float32)
            self._pred = np.full((n, n), -9999, dtype=np.int32)
            self._done = np.zeros(n, dtype=bool)
        todo = np.unique(sources[~self._done[sources]])
        if len(todo):
            self._dist[todo], self._pred[todo] = self._search(todo)
            self._done[todo] = True
        return sources, self._dist, self._pred

    def _search(self, sources: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Fastest paths from ``sources`` (bounded Dijkstra on costs), and their lengths.

        The lengths follow each row's shortest-path tree outwards, level by level from
        the source (a node's length is its predecessor's plus the edge's, as the path is
        driven), one vectorised step per level over all rows; the costs' buffer holds them.
        """
        from scipy.sparse.csgraph import dijkstra

        n = self.n_nodes
        if not len(sources):
            return np.empty((0, n)), np.empty((0, n), dtype=np.int32)
        cost, pred = dijkstra(self.csr, indices=sources, limit=LIMIT_M, return_predecessors=True)
        pred = pred.astype(np.int32, copy=False)
        length = cost  # the costs only gave the trees
        length.fill(np.inf)
        flat = length.reshape(-1)
        roots = np.arange(len(sources)) * n + np.asarray(sources, np.int64)
        flat[roots] = 0.0
        # every reached node but the sources, with its predecessor (flat index) and edge
        node = np.flatnonzero(pred.reshape(-1) >= 0)
        before = pred.reshape(-1)[node].astype(np.int64)
        parent = node - node % n + before
        step = self.length[self.edge_of(before, node % n)]
        # each node's children: a run of the nodes sorted by parent (keys sorted: a merge)
        by_parent = np.argsort(parent, kind="stable")
        parents = parent[by_parent]
        lo, hi = np.searchsorted(parents, node, "left"), np.searchsorted(parents, node, "right")
        first = np.searchsorted(parents, roots, "left"), np.searchsorted(parents, roots, "right")
        kids = by_parent[_runs(*first)]
        while len(kids):
            flat[node[kids]] = flat[parent[kids]] + step[kids]
            kids = by_parent[_runs(lo[kids], hi[kids])]
        return length, pred


def _runs(lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """Return the positions ``lo[0]..hi[0]-1, lo[1]..hi[1]-1, ...`` as one array."""
    count = hi - lo
    k = np.arange(count.sum()) - np.repeat(np.cumsum(count) - count, count)
    return np.repeat(lo, count) + k
