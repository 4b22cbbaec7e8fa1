"""The segment grid (candidates of the matcher, the snapper's nearest road) against GEOS."""

import numpy as np
import pytest
import shapely

from cibg_ds.mobility import default_roads
from cibg_ds.mobility import matching as m
from cibg_ds.mobility.geo import to_metric
from cibg_ds.mobility.graph import LIMIT_M, RoadGraph
from cibg_ds.mobility.segments import BORDER_M, SegmentGrid

RADIUS = m.RADIUS_M


@pytest.fixture(scope="module")
def graph():
    return RoadGraph(default_roads())


def geos_within(lines, x, y, radius):
    """The matcher's former candidate search: an STR-tree ``dwithin`` query, then GEOS."""
    points = shapely.points(x, y)
    point, line = shapely.STRtree(lines).query(points, predicate="dwithin", distance=radius)
    order = np.lexsort((line, point))
    point, line = point[order], line[order]
    dist = shapely.distance(points[point], lines[line])
    along = shapely.line_locate_point(lines[line], points[point])
    return point, line, dist, along


def geos_candidates(graph, x, y, p):
    """``_candidates`` as it was (GEOS, one lexsort): the reference, bit for bit."""
    n = len(x)
    fix, seg, dist, along = geos_within(graph.lines, x, y, p.radius_m)
    edge = np.r_[graph.seg_edges[seg, 0], graph.seg_edges[seg, 1]]
    fix, dist = np.r_[fix, fix], np.r_[dist, dist]
    offset = np.r_[along, shapely.length(graph.lines[seg]) - along]
    keep = edge >= 0
    fix, dist, offset, edge = fix[keep], dist[keep], offset[keep], edge[keep]
    order = np.lexsort((edge, dist, fix))
    fix, dist, offset, edge = fix[order], dist[order], offset[order], edge[order]
    first = np.r_[True, fix[1:] != fix[:-1]]
    rank = np.arange(len(fix)) - np.maximum.accumulate(np.where(first, np.arange(len(fix)), 0))
    keep = rank < p.max_candidates
    k = int(rank[keep].max()) + 1
    edges, offsets, dists = np.full((n, k), -1), np.full((n, k), np.nan), np.full((n, k), np.nan)
    at = (fix[keep], rank[keep])
    edges[at], offsets[at], dists[at] = edge[keep], offset[keep], dist[keep]
    return edges, offsets, dists


def hard_points(lines, radius, rng):
    """Points where GEOS' answers are easiest to miss: vertices (junctions, shared by several
    lines and by two pieces of a line), and at the radius from pieces' sides and ends."""
    xy, owner = shapely.get_coordinates(lines, return_index=True)
    same = owner[1:] == owner[:-1]
    a, b = xy[:-1][same], xy[1:][same]
    pick = rng.choice(len(a), 4000, replace=False)
    a, b = a[pick], b[pick]
    d = b - a
    unit = d / np.hypot(d[:, 0], d[:, 1])[:, None]
    normal = unit[:, ::-1] * [-1.0, 1.0]
    mid = a + d * rng.uniform(0.05, 0.95, (len(a), 1))
    near = [xy]  # every vertex: segment ends (junctions) and inner vertices
    for offset in (radius, np.nextafter(radius, 0), np.nextafter(radius, 99), radius - 1e-7):
        near += [mid + offset * normal, mid - offset * normal, b + offset * unit]
    near.append(a + rng.uniform(0, 1, (len(a), 1)) * d)  # on the lines
    return np.vstack(near)


def test_grid_pairs_equal_geos_dwithin_distance_and_locate(kept, graph):
    rng = np.random.default_rng(7)
    x, y = to_metric(kept["lon"].to_numpy(), kept["lat"].to_numpy())
    jitter = rng.normal(0, 30, (2, len(x)))
    hard = hard_points(graph.lines, RADIUS, rng)
    xs = np.r_[x, x + jitter[0], hard[:, 0]]
    ys = np.r_[y, y + jitter[1], hard[:, 1]]
    ours = graph.grid(RADIUS).within(xs, ys)
    peer = geos_within(graph.lines, xs, ys, RADIUS)
    for a, b in zip(ours, peer, strict=True):
        np.testing.assert_array_equal(a, b)  # the same pairs, the same bits
    point, _, dist, _ = ours
    assert len(point) > len(x)
    assert (np.abs(dist - RADIUS) < BORDER_M).sum() > 100  # GEOS itself judged these


def test_distance_exactly_the_radius_is_within_as_in_geos():
    # axis-parallel pieces give exact distances: 50 m is within, one ulp more is not
    lines = np.array([shapely.LineString([(0, 0), (100, 0)]),
                      shapely.LineString([(100, 0), (100, 80), (160, 80)]),
                      shapely.LineString([(150_000, 170_000), (150_100, 170_000)])])  # fmt: skip
    above = np.nextafter(50.0, 99)
    x = np.array([30, 30, 150, 150, -50, 50, 100, 150_030, 150_030, 150_150, 100, 49.5])
    y = np.array([50, above, 0, -above, 0, -50, 0, 170_050, 169_950, 170_000, 80, 40])
    grid = SegmentGrid(lines, 50.0)
    ours = grid.within(x.astype(float), y.astype(float))
    peer = geos_within(lines, x.astype(float), y.astype(float), 50.0)
    for a, b in zip(ours, peer, strict=True):
        np.testing.assert_array_equal(a, b)
    assert 0 in ours[0] and 1 not in ours[0] and (ours[2] == 50.0).sum() >= 5


def test_multilines_and_repeated_vertices_locate_as_geos():
    lines = np.array([
        shapely.MultiLineString([[(0, 0), (30, 0), (30, 0), (60, 10)], [(70, 10), (90, 40)]]),
        shapely.LineString([(0, 0), (0, 0), (0, 40), (20, 40), (0, 40)]),  # doubles back
    ])  # fmt: skip
    rng = np.random.default_rng(1)
    x, y = rng.uniform(-20, 110, 3000), rng.uniform(-20, 60, 3000)
    xy = shapely.get_coordinates(lines)
    x, y = np.r_[x, xy[:, 0]], np.r_[y, xy[:, 1]]
    ours = SegmentGrid(lines, 25.0).within(x, y)
    for a, b in zip(ours, geos_within(lines, x, y, 25.0), strict=True):
        np.testing.assert_array_equal(a, b)


def test_candidates_equal_the_geos_search(kept, graph):
    rng = np.random.default_rng(8)
    x, y = to_metric(kept["lon"].to_numpy(), kept["lat"].to_numpy())
    hard = hard_points(graph.lines, RADIUS, rng)
    xs, ys = np.r_[x, hard[:, 0]], np.r_[y, hard[:, 1]]
    for max_candidates in (8, 3):
        p = m._Params(RADIUS, 8.0, 40.0, max_candidates, 1500.0, 150 / 3.6, "5min")
        ours = m._candidates(graph, xs, ys, p)
        for a, b in zip(ours, geos_candidates(graph, xs, ys, p), strict=True):
            np.testing.assert_array_equal(a, b)
        assert (ours[0][:, 0] >= 0).mean() > 0.9


def test_packed_sort_equals_lexsort_with_near_ties():
    rng = np.random.default_rng(2)
    n = 200_000
    fix = np.sort(rng.integers(0, 20_000, n))
    base = rng.choice([0.0, 12.5, 49.999999, 50.0, 7.25], n)
    ulps = rng.integers(-3, 4, n) * 1e-15 * (rng.random(n) < 0.5)  # equal or an ulp or so apart
    dist = np.clip(base + ulps + rng.random(n) * (rng.random(n) < 0.3), 0, 50.0)
    edge = rng.integers(0, 9000, n)
    keep = ~np.zeros(n, bool)
    keep[1:] = (fix[1:] != fix[:-1]) | (edge[1:] != edge[:-1])
    fix, dist, edge = fix[keep], dist[keep], edge[keep]
    ours = m._by_fix_distance_edge(fix, dist, edge, 20_000, 9000, 50.0)
    np.testing.assert_array_equal(ours, np.lexsort((edge, dist, fix)))


def reference_search(graph, sources):
    """Lengths along each fastest-path tree, node by node in order of cost (as before)."""
    from scipy.sparse.csgraph import dijkstra

    cost, pred = dijkstra(graph.csr, indices=sources, limit=LIMIT_M, return_predecessors=True)
    length = np.full(cost.shape, np.inf)
    rows = np.arange(len(sources))
    length[rows, sources] = 0.0
    order = np.argsort(cost, axis=1, kind="stable")
    reached = np.isfinite(cost).sum(axis=1)
    for rank in range(1, int(reached.max())):
        live = rows[reached > rank]
        node = order[live, rank]
        before = pred[live, node]
        length[live, node] = length[live, before] + graph.length[graph.edge_of(before, node)]
    return length, pred


def test_tree_lengths_level_by_level_equal_node_by_node(graph):
    sources = np.random.default_rng(4).choice(graph.n_nodes, 300, replace=False)
    length, pred = graph._search(sources)
    ref_length, ref_pred = reference_search(graph, sources)
    np.testing.assert_array_equal(length, ref_length)
    np.testing.assert_array_equal(pred, ref_pred)
    assert np.isfinite(length).sum() > 10 * len(sources)
