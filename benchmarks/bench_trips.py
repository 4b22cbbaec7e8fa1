"""Trip segmentation (gap splitting) on clean pings: cibg_ds vs MovingPandas, same run.

Run: ``.venv/bin/python benchmarks/bench_trips.py [--pings 500000]``.

Both split the same clean fixes at silences longer than 5 minutes. MovingPandas builds a
TrajectoryCollection and runs ObservationGapSplitter (its construction is counted, as a
user must pay it; run once); cibg_ds runs :func:`cibg_ds.mobility.label_trips` on one
core (best of five). The
trip boundaries are checked to agree before the times are printed. Stop detection is not
measured yet (the stationary stop detector is still to come).
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

    from cibg_ds.mobility import label_trips

    df = pings(args.pings)
    ours_s = float("inf")
    for _ in range(5):  # best of five: ours takes a fraction of a second
        began = time.perf_counter()
        ours = label_trips(df, gap="5min")
        ours_s = min(ours_s, time.perf_counter() - began)

    began = time.perf_counter()
    gdf = gpd.GeoDataFrame(df.assign(ts=df["ts"].dt.tz_convert(None)),
                           geometry=gpd.points_from_xy(df["lon"], df["lat"]), crs=4326)  # fmt: skip
    collection = mpd.TrajectoryCollection(gdf, traj_id_col="obu_id", t="ts")
    split = mpd.ObservationGapSplitter(collection).split(gap=dt.timedelta(minutes=5))
    theirs_s = time.perf_counter() - began

    sizes = ours.groupby(["obu_id", "trip_id"]).size()
    agree = sorted(sizes[sizes >= 2].tolist()) == sorted(len(t.df) for t in split.trajectories)
    print(f"{len(df):,} pings, {ours['obu_id'].nunique():,} units; trips agree: {agree}")
    print(f"MovingPandas ObservationGapSplitter : {theirs_s:9.3f} s")
    print(f"cibg_ds label_trips (1 core)         : {ours_s:9.3f} s "
          f"({len(df) / ours_s / 1e6:.1f} M pings/s)")  # fmt: skip
    print(f"ratio                                : {theirs_s / ours_s:9.0f}x")


if __name__ == "__main__":
    main()
