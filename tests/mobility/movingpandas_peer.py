"""MovingPandas, the peer of the trajectory functions: its trips and stops of the same fixes."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest


def movingpandas(fixes: pd.DataFrame, gap: str, max_diameter: float, min_duration: str):
    """Return MovingPandas' trips and stops of ``fixes``, as sorted tuples.

    ``ObservationGapSplitter(gap)`` on the collection of units, then
    ``TrajectoryStopDetector`` on its trips; times naive UTC.
    """
    mpd = pytest.importorskip("movingpandas")
    import geopandas as gpd

    gdf = gpd.GeoDataFrame(
        fixes.assign(ts=fixes["ts"].dt.tz_convert(None)),
        geometry=gpd.points_from_xy(fixes["lon"], fixes["lat"]),
        crs=4326,
    )
    collection = mpd.TrajectoryCollection(gdf, traj_id_col="obu_id", t="ts")
    split = mpd.ObservationGapSplitter(collection).split(gap=pd.Timedelta(gap))
    trips = sorted(
        (str(tr.id).rsplit("_", 1)[0], tr.get_start_time(), tr.get_end_time(), len(tr.df))
        for tr in split.trajectories
    )
    ranges = mpd.TrajectoryStopDetector(split).get_stop_time_ranges(
        max_diameter=max_diameter, min_duration=pd.Timedelta(min_duration)
    )
    stops = sorted(
        (str(r.traj_id).rsplit("_", 1)[0], pd.Timestamp(r.t_0), pd.Timestamp(r.t_n)) for r in ranges
    )
    return trips, stops


def as_tuples(table: pd.DataFrame, columns: list[str]) -> list[tuple]:
    """Sorted rows of ``table``; tz-aware times as naive UTC (as MovingPandas gives them)."""
    out = table[columns].copy()
    for c in columns:
        if isinstance(out[c].dtype, pd.DatetimeTZDtype):
            out[c] = out[c].dt.tz_convert(None)
    return sorted(out.itertuples(index=False, name=None))


def crafted_feed(seed: int, n_units: int = 6, n: int = 600) -> pd.DataFrame:
    """Irregular fixes: bursts of 1-5 s, 20-60 s steps, minute gaps, equal times, jitter.

    Units alternate 40 fixes moving (2-15 m/s) and 40 standing (8 m of jitter), in
    Brussels, Beijing, Liverpool or Cape Town.
    """
    rng = np.random.default_rng(seed)
    frames = []
    for u in range(n_units):
        kind = rng.choice(3, n, p=[0.6, 0.3, 0.1])
        dt = np.where(
            kind == 0,
            rng.integers(1, 6, n),
            np.where(kind == 1, rng.integers(20, 61, n), rng.integers(60, 600, n)),
        )
        dt[rng.random(n) < 0.05] = 0  # equal times, at another position
        ts = pd.Timestamp("2026-11-03 06:00", tz="UTC") + pd.to_timedelta(np.cumsum(dt), "s")
        speed = np.where((np.arange(n) // 40) % 2 == 0, rng.uniform(2, 15, n), 0.0)
        heading = np.cumsum(rng.normal(0, 0.3, n))
        step = speed * np.maximum(dt, 1)
        x = np.cumsum(step * np.cos(heading)) + rng.normal(0, 8, n)
        y = np.cumsum(step * np.sin(heading)) + rng.normal(0, 8, n)
        lat0, lon0 = [(50.85, 4.35), (39.9, 116.4), (53.4, -2.9), (-33.9, 18.4)][u % 4]
        frames.append(
            pd.DataFrame(
                {
                    "obu_id": f"u{u}",
                    "ts": ts,
                    "lat": lat0 + y / 111_000,
                    "lon": lon0 + x / (111_000 * np.cos(np.radians(lat0))),
                }
            )
        )
    return pd.concat(frames, ignore_index=True)


def geolife(path) -> pd.DataFrame:
    """MovingPandas' GeoLife sample as four-column fixes (a trajectory is a unit)."""
    raw = pd.read_csv(path, sep=";")
    return pd.DataFrame(
        {
            "obu_id": raw["trajectory_id"].astype(str),
            "ts": pd.to_datetime(raw["t"], utc=True),
            "lat": raw["Y"],
            "lon": raw["X"],
        }
    )


def liverpool(path) -> pd.DataFrame:
    """The Liverpool bus sample as four-column fixes (a vehicle is a unit; local UK time)."""
    raw = pd.read_csv(path)
    return pd.DataFrame(
        {
            "obu_id": raw["vehicle_id"].astype(str),
            "ts": pd.to_datetime(raw["timestamp"]).dt.tz_localize("Europe/London"),
            "lat": raw["latitude"],
            "lon": raw["longitude"],
        }
    )
