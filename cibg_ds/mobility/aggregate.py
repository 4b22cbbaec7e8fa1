"""Space-time aggregation of fixes: grid cell x time bin, with exact distinct vehicles."""

from __future__ import annotations

import numpy as np
import pandas as pd

from cibg_ds import schema as s
from cibg_ds.cluster import is_dask
from cibg_ds.config import get_settings
from cibg_ds.mobility.geo import to_lonlat
from cibg_ds.mobility.grid import CELL, cell_ids, cell_size, time_bins
from cibg_ds.mobility.trips import label_trips, segments

COUNTRIES_SHOWN = ("BE", "NL", "FR", "DE", "PL")


class GridCells:
    """Places fixes in cells of the European statistical grid (``cell_id``)."""

    key = CELL
    vkm_at = "midpoint"
    """A fix-to-fix segment's km go to the cell of its midpoint."""

    def __init__(self, cell: str | int = "250m"):
        cell_size(cell)  # fail early on a bad size
        self.cell = cell

    def __call__(self, lon, lat) -> np.ndarray:
        """Return the cell id of each point."""
        return cell_ids(lon, lat, self.cell)


def _keys(place, by: str) -> list[str]:
    return [place.key, *time_bins(pd.Series(pd.to_datetime([], utc=True)), by, "UTC").columns]


def _binned(pings: pd.DataFrame, place, by, tz) -> pd.DataFrame:
    """Return the columns the statistics need, with the place and the bin of every fix.

    ``place(lon, lat)`` returns the place of each point (missing where it has none).
    """
    bins = time_bins(pings[s.TS], by, tz)
    out = pd.DataFrame({place.key: place(pings[s.LON], pings[s.LAT])}, index=pings.index)
    out = out.join(bins)
    out[s.OBU_ID] = pings[s.OBU_ID].to_numpy()
    out[s.SPEED] = pings[s.SPEED].astype("float64").to_numpy()
    weight = pings[s.WEIGHT_CLASS].astype("string").to_numpy()
    for w in s.WEIGHT_CLASSES:
        out[f"w_{w}"] = weight == w
    euro = pings[s.EURO_CLASS].to_numpy(dtype="float64", na_value=np.nan)
    out["euro_le5"] = euro <= 5
    for e in s.EURO_CLASSES:
        out[f"euro_{e}"] = euro == e
    country = pings[s.COUNTRY].astype("string").to_numpy()
    for c in COUNTRIES_SHOWN:
        out[f"country_{c}"] = country == c
    out["country_other"] = ~np.isin(country, COUNTRIES_SHOWN)
    return out


def quantile_by_group(groups: np.ndarray, values: np.ndarray, n_groups: int, q: float):
    """Per-group quantile with linear interpolation (numpy's default), NaN ignored.

    Vectorised: one sort by (group, value), then the interpolation at each group's offset.
    """
    keep = ~np.isnan(values)
    g, v = groups[keep], values[keep]
    order = np.lexsort((v, g))
    g, v = g[order], v[order]
    counts = np.bincount(g, minlength=n_groups)
    starts = np.r_[0, np.cumsum(counts)[:-1]]
    out = np.full(n_groups, np.nan)
    has = counts > 0
    h = (counts[has] - 1) * q
    lo = np.floor(h).astype(np.int64)
    hi = np.minimum(lo + 1, counts[has] - 1)
    low, high = v[starts[has] + lo], v[starts[has] + hi]
    out[has] = low + (h - lo) * (high - low)
    return out


def _stats(binned: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """Per cell and bin; every group must be whole (all its fixes in ``binned``)."""
    flags = [c for c in binned.columns if c.startswith(("w_", "euro_", "country_"))]
    binned = binned[binned[keys[0]].notna()]  # fixes in no place
    grouped = binned.groupby(keys, sort=True, observed=True)
    out = grouped.agg(
        n_fixes=(s.SPEED, "size"),
        n_vehicles=(s.OBU_ID, "nunique"),
        speed_mean=(s.SPEED, "mean"),
    )
    codes = grouped.ngroup().to_numpy()
    out["speed_p85"] = quantile_by_group(codes, binned[s.SPEED].to_numpy(float), len(out), 0.85)
    shares = grouped[flags].mean().rename(columns=lambda c: f"share_{c}")
    return out.join(shares).reset_index()


def _vkm(pings: pd.DataFrame, place, by, tz, gap) -> pd.DataFrame:
    fixes = label_trips(pings, gap)
    seg = segments(fixes)
    km = seg["length_m"].to_numpy() / 1000
    when = seg["mid_ts"]
    if place.vkm_at == "ends":
        # half to the place of each fix: a chord across a bend has its midpoint off the road
        ends = np.r_[seg.index.to_numpy() - 1, seg.index.to_numpy()]
        lon, lat = fixes[s.LON].to_numpy()[ends], fixes[s.LAT].to_numpy()[ends]
        km = np.r_[km, km] / 2
        when = pd.concat([when, when], ignore_index=True)
    else:
        lon, lat = to_lonlat(seg["mid_x"].to_numpy(), seg["mid_y"].to_numpy())
    frame = pd.DataFrame({place.key: place(lon, lat)})
    frame = frame.join(time_bins(when.reset_index(drop=True), by, tz))
    frame["vkm"] = km
    return (
        frame.groupby(list(frame.columns[:-1]), sort=True, observed=True)["vkm"].sum().reset_index()
    )


def aggregate(pings, cell="250m", by="hour", tz: str | None = None, gap="5min") -> pd.DataFrame:
    """Aggregate fixes to grid cells x time bins.

    Parameters
    ----------
    pings : pandas.DataFrame or dask.dataframe.DataFrame
        Clean canonical pings.
    cell : str or int
        ``"100m"``, ``"250m"``, ``"1km"`` (EPSG:3035 grid) or a size in metres.
    by : str
        Time bin (local time): ``hour``, ``daytype``, ``date``, ``weekday_hour`` or a
        pandas frequency (``"15min"``).
    tz : str, optional
        Default: the ``timezone`` setting (Europe/Brussels).
    gap : str
        Segments for ``vkm`` never bridge a silence longer than this (a stop).

    Returns
    -------
    pandas.DataFrame
        ``cell_id``, the bin column(s), ``n_fixes``, ``n_vehicles`` (exact distinct),
        ``speed_mean``, ``speed_p85`` (linear interpolation), ``vkm`` (segments assigned
        by their midpoint), ``share_w_<weight class>``, ``share_euro_<0..6>``,
        ``share_euro_le5``, ``share_country_<BE, NL, FR, DE, PL, other>`` (shares of fixes).
        A cell crossed by a segment without a fix in it has ``n_fixes == 0`` and ``vkm > 0``.
        Cells are not yet suppressed: pass the table to :func:`cibg_ds.privacy.suppress`.
    """
    return aggregate_places(pings, GridCells(cell), by, tz, gap)


def aggregate_places(pings, place, by="hour", tz: str | None = None, gap="5min") -> pd.DataFrame:
    """Aggregate fixes to any places x time bins: the engine behind :func:`aggregate`.

    ``place`` has a ``key`` (the place column's name) and is called with longitudes and
    latitudes to return each point's place, missing (None/NaN) for a point in none; such
    fixes and segments are left out. ``place.vkm_at`` says where a fix-to-fix segment's km
    go: ``"midpoint"`` (the place of its midpoint) or ``"ends"`` (half to the place of
    each fix). On Dask, ``place`` must pickle.
    """
    tz = tz or get_settings().timezone
    keys = _keys(place, by)
    if not is_dask(pings):
        stats = _stats(_binned(pings, place, by, tz), keys)
        vkm = _vkm(pings, place, by, tz, gap)
    else:
        meta = _binned(pings._meta, place, by, tz)
        binned = pings.map_partitions(_binned, place, by, tz, meta=meta)
        # every (cell, bin) group in one partition, so distinct counts and p85 are exact
        grouped = binned.shuffle(on=keys)
        stats = grouped.map_partitions(_stats, keys, meta=_stats(meta, keys)).compute()
        stats = stats.sort_values(keys, ignore_index=True)
        parts = pings.shuffle(on=s.OBU_ID).map_partitions(
            _vkm, place, by, tz, gap, meta=_vkm(pings._meta, place, by, tz, gap)
        )
        vkm = parts.compute().groupby(keys, sort=True, observed=True)["vkm"].sum().reset_index()
    out = stats.merge(vkm, on=keys, how="outer")
    out[["n_fixes", "n_vehicles"]] = out[["n_fixes", "n_vehicles"]].fillna(0).astype("int64")
    out["vkm"] = out["vkm"].fillna(0.0)
    first = [*keys, "n_fixes", "n_vehicles", "vkm", "speed_mean", "speed_p85"]
    return out[first + [c for c in out.columns if c not in first]]
