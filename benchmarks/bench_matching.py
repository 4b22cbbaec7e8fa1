"""Map matching, cibg_ds vs LeuvenMapMatching, same simulated trips, same run.

Run: ``.venv/bin/python benchmarks/bench_matching.py [--trucks 30] [--peer-trucks 10]``.

The feed: simulated trucks on the embedded OSM roads (one fix every 30 s, 4 m GPS noise,
no fixes in tunnels), with their true routes. Both matchers get the same trips (a new
trip after 5 min of silence) of the first ``--peer-trucks`` trucks; ours also matches all
``--trucks`` (steady state after one warm-up call that fills the worker's distance table,
whose time is printed too). Accuracy: length of the true segments found / true length,
and length of wrongly added segments / true length
(:func:`cibg_ds.mobility.route_accuracy`).

LeuvenMapMatching (``DistanceMatcher`` with the settings of its documentation's OSM
example, lattice width 10, non-emitting states on so that it may pass several junctions
between fixes; where it gives up on a trip, the rest of the trip is matched anew) gets
the network as its graph of vertices in EPSG:31370 (every vertex of every polyline a
node, its R-tree over the edges, which needs ``rtree``; building it is not timed). It matches one
trip at a time in one process: its map does not pickle.
"""

from __future__ import annotations

import argparse
import datetime as dt
import logging
import time

import numpy as np
import pandas as pd


def feed(trucks: int, seed: int = 3):
    from cibg_ds.synthetic.feed import simulate_chunk
    from cibg_ds.synthetic.fleet import make_truck
    from cibg_ds.synthetic.network import build_network

    net = build_network()
    routes: list = []
    raw = simulate_chunk(
        [make_truck(i, seed, net) for i in range(trucks)],
        dt.date(2026, 11, 3), seed, net, "bench", "Europe/Brussels", routes,
    )  # fmt: skip
    return raw, pd.concat(routes, ignore_index=True)


def leuven_map(roads):
    """Vertices as nodes, pieces as edges (both ways unless one-way), piece -> segment."""
    import shapely
    from leuvenmapmatching.map.inmem import InMemMap

    coords, owner = shapely.get_coordinates(roads.geometry.to_numpy(), return_index=True)
    codes, uniques = pd.factorize(pd.MultiIndex.from_arrays(coords.round(2).T))
    xy = np.array(uniques.tolist())
    oneway = roads["oneway"].astype(str).to_numpy()
    segment = roads["segment_id"].to_numpy()
    graph = InMemMap("brussels", use_latlon=False, use_rtree=True, index_edges=True)
    for i, (x, y) in enumerate(xy):
        graph.add_node(int(i), (float(x), float(y)))
    piece_segment = {}
    same = owner[1:] == owner[:-1]
    for a, b, row in zip(codes[:-1][same], codes[1:][same], owner[1:][same], strict=True):
        if a == b:
            continue
        if oneway[row] != "-1":
            graph.add_edge(int(a), int(b))
            piece_segment[(int(a), int(b))] = int(segment[row])
        if oneway[row] != "yes":
            graph.add_edge(int(b), int(a))
            piece_segment[(int(b), int(a))] = int(segment[row])
    return graph, piece_segment


def leuven_match(pings, graph, piece_segment):
    """Return a path table (obu_id, segment_id, entry_ts) from LeuvenMapMatching."""
    from leuvenmapmatching.matcher.distance import DistanceMatcher

    from cibg_ds.mobility import label_trips
    from cibg_ds.mobility.geo import to_metric

    trips = label_trips(pings)
    x, y = to_metric(trips["lon"].to_numpy(), trips["lat"].to_numpy())
    trips = trips.assign(x=x, y=y)
    rows = []
    for (unit, _), trip in trips.groupby(["obu_id", "trip_id"], sort=False):
        points = list(zip(trip["x"], trip["y"], strict=True))
        ts = trip["ts"].to_numpy()
        start = 0
        while start < len(points):  # where it gives up, match the rest anew (a break)
            matcher = DistanceMatcher(
                graph, max_dist=100, max_dist_init=50, min_prob_norm=0.0001, obs_noise=20,
                obs_noise_ne=30, dist_noise=50, non_emitting_states=True,
                max_lattice_width=10, non_emitting_length_factor=0.75,
            )  # fmt: skip
            _, last = matcher.match(points[start:])
            for state in matcher.lattice_best or []:
                key = (state.edge_m.l1, state.edge_m.l2)
                if key in piece_segment:
                    when = ts[min(start + state.obs, len(ts) - 1)]
                    rows.append((unit, piece_segment[key], when))
            start += max(last, 0) + 1
    path = pd.DataFrame(rows, columns=["obu_id", "segment_id", "entry_ts"])
    path["entry_ts"] = pd.to_datetime(path["entry_ts"], utc=True)
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trucks", type=int, default=30)
    parser.add_argument("--peer-trucks", type=int, default=10)
    args = parser.parse_args()
    logging.getLogger("be.kuleuven.cs.dtai.mapmatching").setLevel(logging.ERROR)

    from cibg_ds.mobility import default_roads, map_match, route_accuracy

    roads = default_roads()
    raw, truth = feed(args.trucks)
    units = raw["obu_id"].drop_duplicates().sort_values().head(args.peer_trucks)
    small = raw[raw["obu_id"].isin(units)]
    small_truth = truth[truth["obu_id"].isin(units)]
    print(f"feed: {len(raw):,} fixes of {raw['obu_id'].nunique()} trucks; "
          f"peer subset: {len(small):,} fixes of {len(units)} trucks")  # fmt: skip

    t0 = time.perf_counter()
    map_match(raw, roads=roads)
    took = time.perf_counter() - t0
    print(f"cibg_ds warm-up (graph, segment grid, distance table): {took:.1f} s")
    t0 = time.perf_counter()
    ours_small = map_match(small, roads=roads)
    ours_small_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    ours_all = map_match(raw, roads=roads)
    ours_all_s = time.perf_counter() - t0

    graph, pieces = leuven_map(roads)
    t0 = time.perf_counter()
    peer = leuven_match(small, graph, pieces)
    peer_s = time.perf_counter() - t0

    rows = [
        ("LeuvenMapMatching", len(small), peer_s,
         route_accuracy(peer, small_truth, roads=roads), "-"),
        ("cibg_ds (same trips)", len(small), ours_small_s,
         route_accuracy(ours_small.path, small_truth, roads=roads), ours_small.breaks),
        ("cibg_ds (all trucks)", len(raw), ours_all_s,
         route_accuracy(ours_all.path, truth, roads=roads), ours_all.breaks),
    ]  # fmt: skip
    print(f"{'matcher':<24}{'fixes':>8}{'seconds':>10}{'fixes/s':>10}"
          f"{'correct':>9}{'added':>8}{'breaks':>8}")  # fmt: skip
    for name, n, sec, acc, breaks in rows:
        print(f"{name:<24}{n:>8,}{sec:>10.2f}{n / sec:>10,.0f}"
              f"{acc['correct_share']:>9.1%}{acc['added_share']:>8.1%}{breaks!s:>8}")  # fmt: skip
    print(f"speed-up on the same trips: {peer_s / ours_small_s:.0f}x")


if __name__ == "__main__":
    main()
