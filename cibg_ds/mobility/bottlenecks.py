"""Truck bottlenecks from map-matched paths: delay, reliability and a ranking with intervals.

Per road segment, the free-flow speed is the 85th percentile of the off-peak traversal
speeds (local hours outside :data:`PEAK_HOURS`); a traversal's delay is its travel time
minus the time at free flow (never below zero). Per segment and time bin: truck delay in
vehicle-hours, travel-time index (mean travel time / free-flow time), planning-time index
(95th percentile / free-flow time) and reliability (95th / 50th percentile), as in FHWA's
truck travel-time reliability measures. Bottlenecks are ranked by total delay, that is
delay per traversal x volume (ATRI's measure); each rank has a bootstrap interval from
resampling the vehicles (seeded), the free-flow speeds held at their full-sample values.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd

from cibg_ds import checks
from cibg_ds import schema as s
from cibg_ds.errors import InputError, ParameterError
from cibg_ds.io.roads import SEGMENT
from cibg_ds.mobility.aggregate import distinct_by_group, quantile_by_group, quantiles_by_group
from cibg_ds.mobility.grid import BINS, time_bins
from cibg_ds.mobility.matched_roads import traversals

PEAK_HOURS = (7, 8, 9, 16, 17, 18)
"""Local hours of the weekday peaks (free flow is measured outside them)."""
NAME_COLUMNS = {"name_fr": "road_name_fr", "name_nl": "road_name_nl", "ref": "road_ref",
                "highway": "highway"}  # fmt: skip
"""Columns of the roads shown with each bottleneck, and their names in the ranking."""
_PATH = (s.OBU_ID, SEGMENT, "entry_ts", "exit_ts", "length_m", "edge_length_m")


@dataclasses.dataclass(frozen=True)
class Bottlenecks:
    """What :func:`bottlenecks` returns.

    Attributes
    ----------
    by_bin : pandas.DataFrame
        Per segment and time bin: ``n_vehicles``, ``n_traversals``, ``free_flow_kmh``,
        ``speed_median_kmh``, ``delay_veh_h``, ``tti``, ``pti``, ``reliability``.
    ranking : pandas.DataFrame
        The ``top`` segments by total delay: ``delay_rank``, ``delay_rank_low``,
        ``delay_rank_high`` (the bootstrap interval), ``segment_id``, ``road_name_fr``,
        ``road_name_nl``, ``road_ref``, ``highway`` (where the roads have them),
        ``delay_veh_h``, ``n_vehicles``,
        ``n_traversals``, ``delay_per_traversal_s``, ``free_flow_kmh``, ``tti``, ``pti``,
        ``reliability``, ``worst_bin`` (the bin with the most delay).
    """

    by_bin: pd.DataFrame
    ranking: pd.DataFrame


def _path_of(matched) -> pd.DataFrame:
    path = getattr(matched, "path", matched)
    if not isinstance(path, pd.DataFrame):
        raise InputError(
            f"bottlenecks: matched must be the result of map_match() or its path table, "
            f"got {type(matched).__name__}"
        )
    missing = [c for c in _PATH if c not in path.columns]
    if missing:
        raise InputError(
            f"bottlenecks: the path table has no column(s) {missing}; pass map_match(...).path"
        )
    return path


def _measured(path: pd.DataFrame, tz: str) -> pd.DataFrame:
    """Traversals with a speed, their local hour, free-flow time and delay."""
    rows = traversals(path)
    rows = rows[np.isfinite(rows["speed_kmh"].to_numpy())].reset_index(drop=True)
    local = rows["entry_ts"].dt.tz_convert(tz)
    peak = local.dt.hour.isin(PEAK_HOURS).to_numpy() & (local.dt.day_of_week < 5).to_numpy()
    seg, segments = pd.factorize(rows[SEGMENT], sort=True)
    speed = rows["speed_kmh"].to_numpy(float)
    free = quantile_by_group(seg, np.where(peak, np.nan, speed), len(segments), 0.85)
    fallback = quantile_by_group(seg, speed, len(segments), 0.85)  # never seen off-peak
    free = np.where(np.isnan(free), fallback, free)
    rows["free_flow_kmh"] = free[seg]
    rows["free_s"] = rows["length_m"] / (rows["free_flow_kmh"] / 3.6)
    rows["delay_s"] = np.maximum(rows["seconds"] - rows["free_s"], 0.0)
    rows["ratio"] = rows["seconds"] / rows["free_s"]
    return rows


def _indicators(rows: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    grouped = rows.groupby(keys, sort=True, observed=True)
    out = grouped.agg(
        n_traversals=("delay_s", "size"),
        free_flow_kmh=("free_flow_kmh", "first"),
        delay_veh_h=("delay_s", "sum"),
        tti=("ratio", "mean"),
    ).reset_index()
    codes = grouped.ngroup().to_numpy()
    out["delay_veh_h"] /= 3600
    out["n_vehicles"] = distinct_by_group(codes, rows[s.OBU_ID].to_numpy(), len(out))
    ratio, speed = rows["ratio"].to_numpy(float), rows["speed_kmh"].to_numpy(float)
    p95, p50 = quantiles_by_group(codes, ratio, len(out), (0.95, 0.5))
    out["speed_median_kmh"] = quantile_by_group(codes, speed, len(out), 0.5)
    out["pti"] = p95
    out["reliability"] = p95 / p50
    first = [*keys, "n_vehicles", "n_traversals", "free_flow_kmh", "speed_median_kmh"]
    return out[[*first, "delay_veh_h", "tti", "pti", "reliability"]]


def _bootstrap_ranks(rows: pd.DataFrame, segments: np.ndarray, n_boot: int, seed: int):
    """Rank of each of ``segments`` by total delay in ``n_boot`` resamples of vehicles."""
    from scipy.sparse import csr_matrix

    unit, _ = pd.factorize(rows[s.OBU_ID])
    position = pd.Index(segments).get_indexer(rows[SEGMENT])
    keep = position >= 0
    n_units = int(unit.max()) + 1 if len(unit) else 0
    delay = csr_matrix(
        (rows["delay_s"].to_numpy()[keep], (unit[keep], position[keep])),
        shape=(n_units, len(segments)),
    )
    rng = np.random.default_rng(seed)
    weights = rng.multinomial(n_units, np.full(n_units, 1 / n_units), size=n_boot)
    totals = np.asarray((delay.T @ weights.T).T)  # (n_boot, n_segments)
    order = np.argsort(-totals, axis=1, kind="stable")
    ranks = np.empty_like(order)
    np.put_along_axis(ranks, order, np.arange(1, len(segments) + 1)[None, :], axis=1)
    return ranks


def bottlenecks(
    matched,
    *,
    by="hour",
    roads=None,
    tz: str | None = None,
    top: int = 10,
    n_boot: int = 200,
    seed: int = 0,
    k: int | None = None,
    level: float = 0.95,
) -> Bottlenecks:
    """Rank the road segments where trucks lose the most time (see the module docstring).

    Parameters
    ----------
    matched : MatchResult or pandas.DataFrame
        :func:`cibg_ds.mobility.map_match` output or its ``path`` table.
    by : str
        Time bin of the per-bin table, as in :func:`cibg_ds.mobility.aggregate`
        (default ``"hour"``, local).
    roads : geopandas.GeoDataFrame, optional
        For the road names (``name_fr``, ``name_nl``, ``ref``, ``highway`` where present);
        default: the embedded OSM truck network.
    tz : str, optional
        Local time zone; default: the ``timezone`` setting.
    top : int
        Segments in the ranking (default 10).
    n_boot : int
        Bootstrap resamples of the vehicles (default 200).
    seed : int
        Seed of the resampling.
    k : int, optional
        Only segments driven by at least ``k`` distinct vehicles are ranked (default: the
        ``k_anonymity`` setting, 5), so the ranking is publishable as it is.
    level : float
        Coverage of the rank intervals (default 0.95).

    Returns
    -------
    Bottlenecks
        ``by_bin`` (per segment and bin; pass it to :func:`cibg_ds.privacy.suppress`
        before publishing) and ``ranking``.

    Raises
    ------
    InputError
        When ``matched`` is not a matched path.
    ParameterError
        When ``top``, ``n_boot`` or ``level`` is out of range.
    """
    from cibg_ds.config import get_settings, resolve_k

    _check_common(roads, tz, n_boot, seed, level)
    checks.integer("top", top, 1), checks.choice("by", by, BINS)
    tz = tz or get_settings().timezone
    k = resolve_k(k)
    rows = _measured(_path_of(matched), tz)
    bins = time_bins(rows["entry_ts"], by, tz)
    keys = [SEGMENT, *bins.columns]
    by_bin = _indicators(rows.join(bins), keys)
    total = _indicators(rows, [SEGMENT])
    total = total[total["n_vehicles"] >= k].sort_values(
        ["delay_veh_h", SEGMENT], ascending=[False, True], ignore_index=True
    )
    total["delay_per_traversal_s"] = total["delay_veh_h"] * 3600 / total["n_traversals"]
    ranks = _bootstrap_ranks(rows, total[SEGMENT].to_numpy(), n_boot, seed)
    alpha = (1 - level) / 2
    total.insert(0, "delay_rank", np.arange(1, len(total) + 1))
    low = np.quantile(ranks, alpha, axis=0, method="lower").astype(int)
    total.insert(1, "delay_rank_low", low)
    high = np.quantile(ranks, 1 - alpha, axis=0, method="higher").astype(int)
    total.insert(2, "delay_rank_high", high)
    worst = by_bin.sort_values("delay_veh_h", ascending=False).drop_duplicates(SEGMENT)
    bin_col = bins.columns[-1]
    total["worst_bin"] = total[SEGMENT].map(worst.set_index(SEGMENT)[bin_col])
    ranking = _named(total.head(top), roads)
    return Bottlenecks(by_bin=by_bin, ranking=ranking.reset_index(drop=True))


def _named(table: pd.DataFrame, roads) -> pd.DataFrame:
    """Insert the roads' names (French, Dutch), number, class and commune after ``segment_id``.

    The commune (``road_commune``: NIS code of the commune holding the segment's midpoint,
    or ``outside``) tells apart two ranked segments of one long road; the compass point
    trucks drive towards on a one-way segment (``road_heading``: ``N``, ``NE``... ``NW``,
    empty when two-way, present when the roads have ``oneway``) tells apart the two
    carriageways of one avenue.
    """
    from cibg_ds.mobility.roads import default_roads

    roads = default_roads() if roads is None else roads
    columns = [c for c in NAME_COLUMNS if c in roads.columns]
    if not columns:
        return table
    named = roads.drop_duplicates(SEGMENT).set_index(SEGMENT)
    names = pd.DataFrame(named[columns])
    at = table.columns.get_loc(SEGMENT) + 1
    out = table.copy()
    for i, column in enumerate(columns):
        out.insert(at + i, NAME_COLUMNS[column], out[SEGMENT].map(names[column]))
    if getattr(named, "crs", None) is not None and len(out):
        out.insert(at + len(columns), "road_commune", _commune_of_segments(named, out[SEGMENT]))
        if "oneway" in named.columns:
            heading = _heading_of_segments(named, out[SEGMENT])
            out.insert(at + len(columns) + 1, "road_heading", heading)
    return out


#: Compass points, clockwise from north, of a heading in eighths of a turn.
COMPASS = ("N", "NE", "E", "SE", "S", "SW", "W", "NW")


def _heading_of_segments(roads, segments: pd.Series) -> np.ndarray:
    """Return the compass point trucks drive towards on each one-way segment ("" if two-way).

    From the segment's first to its last point (its last to first for OSM's ``oneway=-1``):
    the two carriageways of one avenue, ranked apart, are told apart by it.
    """
    from cibg_ds.crs import METRIC_CRS

    rows = roads.loc[segments.to_numpy()]
    oneway = rows["oneway"].astype("string").fillna("no").to_numpy()
    lines = rows.geometry.to_crs(METRIC_CRS)
    start, end = lines.interpolate(0.0), lines.interpolate(1.0, normalized=True)
    dx, dy = np.array(end.x - start.x), np.array(end.y - start.y)
    backwards = oneway == "-1"
    dx[backwards], dy[backwards] = -dx[backwards], -dy[backwards]
    eighth = np.round(np.degrees(np.arctan2(dx, dy)) % 360 / 45).astype(int) % 8
    return np.where(np.isin(oneway, ("yes", "-1")), np.asarray(COMPASS)[eighth], "")


def _commune_of_segments(roads, segments: pd.Series) -> np.ndarray:
    """Return the NIS code of the commune holding each segment's midpoint (or ``outside``)."""
    from cibg_ds.crs import METRIC_CRS
    from cibg_ds.mobility.geo import commune_of

    lines = roads.loc[segments.to_numpy()].geometry.to_crs(METRIC_CRS)
    middle = lines.interpolate(0.5, normalized=True)
    return commune_of(middle.x.to_numpy(), middle.y.to_numpy())


def bottleneck_change(
    matched,
    split,
    *,
    segments=None,
    roads=None,
    tz: str | None = None,
    n_boot: int = 200,
    seed: int = 0,
    k: int | None = None,
    level: float = 0.95,
) -> pd.DataFrame:
    """Compare the delay on segments before and after a date (did a change reduce it?).

    Parameters
    ----------
    matched : MatchResult or pandas.DataFrame
        :func:`cibg_ds.mobility.map_match` output or its ``path`` table, both periods.
    split : str or pandas.Timestamp
        First instant of the "after" period (local time when naive).
    segments : list, optional
        Segments to compare (a corridor); default: every segment driven by at least
        ``k`` vehicles in each period.
    roads, tz, n_boot, seed, k, level
        As in :func:`bottlenecks`.

    Returns
    -------
    pandas.DataFrame
        Per segment: ``n_vehicles_before``, ``n_vehicles_after``,
        ``delay_per_traversal_s_before`` and ``_after`` (mean delay of a traversal, so
        that volumes may differ), ``change_s`` (after minus before) and its bootstrap
        interval ``change_low``, ``change_high`` (vehicles resampled within each period),
        plus a ``corridor`` row (all the segments together) when ``segments`` is given.
    """
    from cibg_ds.config import get_settings, resolve_k

    _check_common(roads, tz, n_boot, seed, level)
    tz = tz or get_settings().timezone
    k = resolve_k(k)
    try:
        when = pd.Timestamp(split)
    except (TypeError, ValueError):
        when = pd.NaT
    if pd.isna(when):
        raise ParameterError(f"split must be a date or time such as '2026-11-16', got {split!r}")
    when = when.tz_localize(tz) if when.tzinfo is None else when
    rows = _measured(_path_of(matched), tz)  # one free flow for both periods
    after = (rows["entry_ts"] >= when).to_numpy()
    if segments is not None:
        rows = rows[rows[SEGMENT].isin(list(segments)).to_numpy()]
        after = (rows["entry_ts"] >= when).to_numpy()
    if not after.any() or after.all():
        raise ParameterError(f"bottleneck_change: no traversals on one side of split={split!r}")
    parts = {name: rows[mask] for name, mask in (("before", ~after), ("after", after))}
    stats = []
    for name, part in parts.items():
        table = _indicators(part, [SEGMENT])[[SEGMENT, "n_vehicles", "n_traversals", "delay_veh_h"]]
        table[f"delay_per_traversal_s_{name}"] = table["delay_veh_h"] * 3600 / table["n_traversals"]
        stats.append(
            table.rename(columns={"n_vehicles": f"n_vehicles_{name}"})[
                [SEGMENT, f"n_vehicles_{name}", f"delay_per_traversal_s_{name}"]
            ]
        )
    out = stats[0].merge(stats[1], on=SEGMENT)
    out = out[(out["n_vehicles_before"] >= k) & (out["n_vehicles_after"] >= k)]
    out = out.reset_index(drop=True)
    groups = {seg: [seg] for seg in out[SEGMENT]}
    if segments is not None and len(out):
        corridor = pd.DataFrame(
            {
                SEGMENT: ["corridor"],
                "n_vehicles_before": [parts["before"][s.OBU_ID].nunique()],
                "delay_per_traversal_s_before": [parts["before"]["delay_s"].mean()],
                "n_vehicles_after": [parts["after"][s.OBU_ID].nunique()],
                "delay_per_traversal_s_after": [parts["after"]["delay_s"].mean()],
            }
        )
        groups["corridor"] = list(out[SEGMENT])
        out = pd.concat([out.astype({SEGMENT: object}), corridor], ignore_index=True)
    out["change_s"] = out["delay_per_traversal_s_after"] - out["delay_per_traversal_s_before"]
    rng = np.random.default_rng(seed)
    draws = _mean_delay_draws(parts["after"], groups, n_boot, rng) - _mean_delay_draws(
        parts["before"], groups, n_boot, rng
    )
    alpha = (1 - level) / 2
    out["change_low"] = np.quantile(draws, alpha, axis=0) if len(out) else []
    out["change_high"] = np.quantile(draws, 1 - alpha, axis=0) if len(out) else []
    return _named(out, roads) if segments is None else out


def _mean_delay_draws(rows: pd.DataFrame, groups: dict, n_boot: int, rng) -> np.ndarray:
    """Mean delay per traversal of each group of segments in resamples of the vehicles."""
    from scipy.sparse import csr_matrix

    unit, _ = pd.factorize(rows[s.OBU_ID])
    n_units = int(unit.max()) + 1 if len(unit) else 1
    members = pd.DataFrame(
        [(j, seg) for j, group in enumerate(groups.values()) for seg in group],
        columns=["group", SEGMENT],
    )
    pairs = rows[[SEGMENT]].assign(unit=unit, delay=rows["delay_s"].to_numpy())
    pairs = pairs.merge(members, on=SEGMENT)  # a traversal counts in each of its groups
    shape = (n_units, len(groups))
    index = (pairs["unit"].to_numpy(), pairs["group"].to_numpy())
    delay = csr_matrix((pairs["delay"].to_numpy(), index), shape=shape)
    count = csr_matrix((np.ones(len(pairs)), index), shape=shape)
    weights = rng.multinomial(n_units, np.full(n_units, 1 / n_units), size=n_boot)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.asarray((delay.T @ weights.T).T) / np.asarray((count.T @ weights.T).T)


def _check_common(roads, tz, n_boot, seed, level) -> None:
    """Check the parameters :func:`bottlenecks` and :func:`bottleneck_change` share."""
    checks.frame("roads", roads, geo=True, optional=True), checks.time_zone("tz", tz)
    checks.integer("n_boot", n_boot, 1), checks.integer("seed", seed, 0)
    checks.number("level", level, 0, 1, low_open=True, high_open=True)
