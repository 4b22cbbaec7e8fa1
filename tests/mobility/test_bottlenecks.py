import numpy as np
import pandas as pd
import pytest

import cibg_ds as cd
from cibg_ds.errors import InputError, ParameterError
from cibg_ds.mobility import bottleneck_change, bottlenecks, map_match
from cibg_ds.mobility.geo import to_lonlat
from cibg_ds.privacy import check_publishable, suppress
from tests.mobility.test_matching import line_roads

SEGMENT_M = 500.0
SLOW = 12  # the segment that jams at the morning peak (the third, 1000-1500 m)


@pytest.fixture(scope="module")
def roads():
    """Six 500 m segments in a row (ids 10-15), named in French and Dutch."""
    edges = [[(i * SEGMENT_M, 0), ((i + 1) * SEGMENT_M, 0)] for i in range(6)]
    out = line_roads(*edges)
    out["name_fr"] = [f"Rue {i}" for i in range(6)]
    out["name_nl"] = [f"Straat {i}" for i in range(6)]
    return out


def drives(days, jam_kmh=12.0, seed=0, trucks=24):
    """Each truck drives the line at several hours; segment 12 slows from 7 to 9 h local."""
    rng = np.random.default_rng(seed)
    frames = []
    for day in days:
        for truck in range(trucks):
            for hour in rng.choice(np.arange(5, 21), size=4, replace=False):
                start = pd.Timestamp(f"{day} {hour:02d}:00", tz="Europe/Brussels")
                start += pd.Timedelta(seconds=int(rng.integers(0, 3000)))
                speed = rng.uniform(45, 55, 6) / 3.6  # m/s per segment
                if 7 <= hour < 9:
                    speed[SLOW - 10] = jam_kmh / 3.6 * rng.uniform(0.9, 1.1)
                bounds = np.r_[0, np.cumsum(SEGMENT_M / speed)]
                t = np.arange(rng.uniform(0, 5), bounds[-1] - 1, 30.0)
                x = np.interp(t, bounds, np.arange(7) * SEGMENT_M)
                x = np.clip(x + rng.normal(0, 4, len(t)), 1, 6 * SEGMENT_M - 1)
                lon, lat = to_lonlat(x, rng.normal(0, 4, len(t)))
                frames.append(
                    pd.DataFrame(
                        {
                            "obu_id": f"t{truck:03d}",
                            "ts": (start + pd.to_timedelta(t, unit="s")).tz_convert("UTC"),
                            "lat": lat,
                            "lon": lon,
                        }
                    )
                )
    pings = pd.concat(frames, ignore_index=True).sort_values(["obu_id", "ts"], ignore_index=True)
    return pings.astype({"ts": "datetime64[ns, UTC]"})


@pytest.fixture(scope="module")
def matched(roads):
    return map_match(drives(["2026-11-03", "2026-11-04"]), roads=roads)


@pytest.fixture(scope="module")
def result(matched, roads):
    return bottlenecks(matched, roads=roads, n_boot=300, seed=1)


def test_the_jammed_segment_ranks_first_and_its_interval_excludes_the_others(result):
    ranking = result.ranking
    assert ranking.loc[0, "segment_id"] == SLOW
    assert (ranking.loc[0, "delay_rank_low"], ranking.loc[0, "delay_rank_high"]) == (1, 1)
    assert (ranking.loc[1:, "delay_rank_low"] > 1).all()
    assert ranking.loc[0, "worst_bin"] in (7, 8)
    assert (
        ranking.loc[0, "road_name_fr"] == "Rue 2" and ranking.loc[0, "road_name_nl"] == "Straat 2"
    )
    assert (ranking["delay_rank_low"] <= ranking["delay_rank"]).all()
    assert (ranking["delay_rank"] <= ranking["delay_rank_high"]).all()
    communes = set(cd.io.load_communes()["nis"]) | {"outside"}
    assert ranking["road_commune"].isin(communes).all()  # tells apart segments of one road


def test_the_heading_of_a_one_way_segment_is_where_its_trucks_drive():
    from cibg_ds.mobility.bottlenecks import _named

    roads = cd.mobility.default_roads()
    ones = roads[roads["oneway"].isin(["yes", "-1"])].drop_duplicates("segment_id")
    two = roads[roads["oneway"] == "no"].head(1)
    table = pd.DataFrame({"segment_id": [*ones["segment_id"], *two["segment_id"]]})
    named = _named(table, roads)
    lines = ones.geometry.to_crs(31370)
    east = np.array([g.coords[-1][0] - g.coords[0][0] for g in lines])
    east[ones["oneway"].to_numpy() == "-1"] *= -1
    heading = named["road_heading"].iloc[:-1].to_numpy()
    assert set(heading) <= {"N", "NE", "E", "SE", "S", "SW", "W", "NW"}
    clearly = np.abs(east) > 0.8 * lines.length.to_numpy()  # mostly east- or westward
    assert clearly.sum() > 100
    assert (np.char.endswith(heading[clearly].astype(str), "E") == (east[clearly] > 0)).all()
    assert named["road_heading"].iloc[-1] == ""  # two-way: no one direction


def test_indicators_per_hour(result):
    table = result.by_bin
    jam = table[table["segment_id"] == SLOW].set_index("hour")
    # free flow near 50 km/h; at the peak about four times the free-flow time
    assert 45 <= jam["free_flow_kmh"].iloc[0] <= 60
    assert jam.loc[8, "tti"] > 2.5
    assert jam.loc[13, "tti"] < 1.3
    assert jam.loc[8, "delay_veh_h"] > 5 * jam.loc[13, "delay_veh_h"]
    assert (table["reliability"] >= 1 - 1e-9).all()
    published, _ = suppress(table)
    assert check_publishable(published).ok
    assert check_publishable(result.ranking).ok


def test_before_after_shows_the_jam_gone(roads):
    pings = pd.concat(
        [drives(["2026-11-03"], seed=2), drives(["2026-11-10"], jam_kmh=48.0, seed=3)],
        ignore_index=True,
    ).sort_values(["obu_id", "ts"], ignore_index=True)
    change = bottleneck_change(map_match(pings, roads=roads), "2026-11-07", roads=roads, seed=4)
    jam = change.set_index("segment_id").loc[SLOW]
    assert jam["change_s"] < -5  # about 110 s lost on one traversal in eight before
    assert jam["change_high"] < 0  # the interval excludes no change
    others = change[change["segment_id"] != SLOW]
    assert (others["change_low"] < others["change_s"]).all()
    corridor = bottleneck_change(
        map_match(pings, roads=roads), "2026-11-07", segments=[11, 12, 13], seed=4
    )
    assert corridor["segment_id"].tolist() == [11, 12, 13, "corridor"]
    assert corridor.iloc[-1]["change_high"] < 0


def test_bad_input_is_named(matched):
    with pytest.raises(InputError, match="path"):
        bottlenecks(pd.DataFrame({"a": [1]}))
    with pytest.raises(ParameterError, match="top"):
        bottlenecks(matched, top=0)
