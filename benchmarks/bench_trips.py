"""Gap splitting plus stop detection on clean pings: cibg_ds vs MovingPandas, same run.

Run: ``.venv/bin/python benchmarks/bench_trips.py [--pings 500000]``.

Both split the same clean fixes at silences longer than 5 minutes and detect stationary
stops (100 m, 3 minutes). MovingPandas builds a TrajectoryCollection (counted: a user must
pay it) and runs ObservationGapSplitter and TrajectoryStopDetector, once; cibg_ds runs
:func:`cibg_ds.mobility.label_trips` and :func:`cibg_ds.mobility.stationary_stops` on one
core (best of three). Trips and stops are checked to agree before the times are printed.
"""

from __future__ import annotations

import argparse
import datetime as dt
import time
import warnings

import pandas as pd


def pings(n: int) -> pd.DataFrame:
    from cibg_ds.mobility import clean
    from cibg_ds.synthetic.feed import simulate_chunk
    from cibg_ds.synthetic.fleet import make_truck
    from cibg_ds.synthetic.network import build_network

    net = build_network()
    frames, total, first, day = [], 0, 0, dt.date(2026, 11, 3)
    while total < n:
        trucks = [make_truck(i, 2, net) for i in range(first, first + 500)]
        frame = clean(simulate_chunk(trucks, day, 2, net, "k", "Europe/Brussels"))[0]
        frames.append(frame)
        total += len(frame)
        first += 500
    return pd.concat(frames, ignore_index=True).head(n)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pings", type=int, default=500_000)
    args = parser.parse_args()
    warnings.simplefilter("ignore")
    import geopandas as gpd
    import movingpandas as mpd

    from cibg_ds.mobility import label_trips, stationary_stops

    df = pings(args.pings)
    split_s = stop_s = float("inf")
    for _ in range(3):  # best of three
        began = time.perf_counter()
        ours = label_trips(df, gap="5min")
        split_s = min(split_s, time.perf_counter() - began)
        began = time.perf_counter()
        our_stops = stationary_stops(df, max_diameter=100, min_duration="3min")
        stop_s = min(stop_s, time.perf_counter() - began)

    began = time.perf_counter()
    gdf = gpd.GeoDataFrame(df.assign(ts=df["ts"].dt.tz_convert(None)),
                           geometry=gpd.points_from_xy(df["lon"], df["lat"]), crs=4326)  # fmt: skip
    collection = mpd.TrajectoryCollection(gdf, traj_id_col="obu_id", t="ts")
    built = time.perf_counter()
    split = mpd.ObservationGapSplitter(collection).split(gap=dt.timedelta(minutes=5))
    split_done = time.perf_counter()
    ranges = mpd.TrajectoryStopDetector(collection).get_stop_time_ranges(
        max_diameter=100, min_duration=dt.timedelta(minutes=3))  # fmt: skip
    done = time.perf_counter()
    theirs = {"build": built - began, "split": split_done - built, "stops": done - split_done}

    sizes = ours.groupby(["obu_id", "trip_id"]).size()
    trips_agree = sorted(sizes[sizes >= 2].tolist()) == sorted(
        len(t.df) for t in split.trajectories
    )
    mine = sorted(
        (o, a.tz_convert(None))
        for o, a in our_stops[["obu_id", "start_ts"]].itertuples(index=False)
    )
    stops_agree = mine == sorted((str(r.traj_id), pd.Timestamp(r.t_0)) for r in ranges)
    total_theirs, total_ours = sum(theirs.values()), split_s + stop_s
    print(f"{len(df):,} pings, {ours['obu_id'].nunique():,} units; trips agree: {trips_agree}; "
          f"{len(our_stops):,} stops agree: {stops_agree}")  # fmt: skip
    print(f"MovingPandas build {theirs['build']:.1f} s + gap split {theirs['split']:.1f} s "
          f"+ stop detection {theirs['stops']:.1f} s = {total_theirs:.1f} s")  # fmt: skip
    print(f"cibg_ds gap split {split_s:.3f} s ({len(df) / split_s / 1e6:.1f} M pings/s) "
          f"+ stop detection {stop_s:.3f} s = {total_ours:.3f} s (1 core)")  # fmt: skip
    print(f"ratio: {total_theirs / total_ours:.0f}x (gap split alone "
          f"{(theirs['build'] + theirs['split']) / split_s:.0f}x)")  # fmt: skip


if __name__ == "__main__":
    main()
