"""Space-time aggregation of fixes: grid cell x time bin, with exact distinct vehicles."""

from __future__ import annotations

import functools
import itertools

import numpy as np
import pandas as pd

from cibg_ds import checks
from cibg_ds import schema as s
from cibg_ds.cluster import compute, shuffle_method
from cibg_ds.config import get_settings
from cibg_ds.frames import compute_frame, is_dask
from cibg_ds.mobility.buckets import by_key_ranges
from cibg_ds.mobility.geo import to_lonlat
from cibg_ds.mobility.grid import CELL, cell_codes, cell_label_array, cell_size, time_bins
from cibg_ds.mobility.tracks import Tracks, gap_ns, require_fixes
from cibg_ds.mobility.units import regroup, unit_keys

COUNTRIES_SHOWN = ("BE", "NL", "FR", "DE", "PL")
UNIT = "unit_key"
MEASURES = ("speed", "vkm", "shares")
"""Optional measures; ``n_fixes`` and ``n_vehicles`` are always computed."""
DEFAULT_MEASURES = ("speed", "shares")
"""What :func:`aggregate` computes unless told: ``vkm`` (which regroups every fix by
vehicle, a second shuffle) is asked for explicitly."""
WEIGHT_CODE, EURO_CODE, EURO_LE5, COUNTRY_CODE = "w_code", "euro_code", "euro_le5", "country_code"


class GridCells:
    """Places fixes in cells of the European statistical grid (``cell_id``)."""

    key = CELL
    vkm_at = "midpoint"
    """A fix-to-fix segment's km go to the cell of its midpoint."""

    def __init__(self, cell: str | int = "250m"):
        cell_size(cell)  # fail early on a bad size
        self.cell = cell

    def __call__(self, lon, lat) -> np.ndarray:
        """Return the int64 cell code of each point (labelled once, after aggregation)."""
        return cell_codes(lon, lat, self.cell)

    def label(self, codes) -> pd.api.extensions.ExtensionArray:
        """Return the standard cell ids of codes (a pandas ``str`` array)."""
        labels = cell_label_array(codes, self.cell)
        return pd.StringDtype("pyarrow", na_value=np.nan).__from_arrow__(labels)


def _keys(place, by: str) -> list[str]:
    return [place.key, *time_bins(pd.Series(pd.to_datetime([], utc=True)), by, "UTC").columns]


def _binned(pings: pd.DataFrame, place, by, tz, measures=MEASURES) -> pd.DataFrame:
    """Return the columns the statistics need, with the place and the bin of every fix.

    ``place(lon, lat)`` returns the place of each point (missing where it has none).
    """
    bins = time_bins(pings[s.TS], by, tz)
    out = pd.DataFrame({place.key: place(pings[s.LON], pings[s.LAT])}, index=pings.index)
    out = out.join(bins)
    out[UNIT] = unit_keys(pings[s.OBU_ID])  # 8 bytes a row to shuffle, not a string
    if "speed" in measures and s.SPEED in pings.columns:  # a feed without speeds: no speeds
        out[s.SPEED] = pings[s.SPEED].to_numpy(np.float32, na_value=np.nan)
    if "shares" not in measures:
        return out
    # the shares' classes as small integer codes (3 bytes a fix to shuffle, not 17 flags)
    if s.WEIGHT_CLASS in pings.columns:
        weight = pings[s.WEIGHT_CLASS].astype("string").to_numpy()
        code = np.full(len(pings), -1, dtype=np.int8)
        for k, w in enumerate(s.WEIGHT_CLASSES):
            code[weight == w] = k
        out[WEIGHT_CODE] = code
    if s.EURO_CLASS in pings.columns:
        euro = pings[s.EURO_CLASS].to_numpy(dtype="float64", na_value=np.nan)
        known = np.isin(euro, s.EURO_CLASSES)
        out[EURO_CODE] = np.where(known, np.nan_to_num(euro), -1).astype(np.int8)
        out[EURO_LE5] = euro <= 5
    if s.COUNTRY in pings.columns:
        country = pings[s.COUNTRY].astype("string").to_numpy()
        code = np.full(len(pings), len(COUNTRIES_SHOWN), dtype=np.int8)  # other
        for k, c in enumerate(COUNTRIES_SHOWN):
            code[country == c] = k
        out[COUNTRY_CODE] = code
    return out


def distinct_by_group(groups: np.ndarray, values, n_groups: int) -> np.ndarray:
    """Exact number of distinct ``values`` per group code (0 .. n_groups - 1).

    >>> distinct_by_group(np.array([0, 0, 1, 1, 1]), np.array(["a", "a", "a", "b", "c"]), 2)
    array([1, 3])
    """
    groups = np.asarray(groups)
    single, out = _alone(groups, n_groups)
    if single is not None:  # a group of one row has one value: only the rest are sorted
        out[groups[single]] = 1
        rest = ~single
        groups, values = groups[rest], np.asarray(values)[rest]
    units = pd.factorize(values)[0]
    n_units = int(units.max()) + 1 if len(units) else 1
    pairs = groups.astype(np.int64) * n_units + units
    if _few_distinct(pairs):  # a dense feed: hash the pairs, sort nothing
        distinct = pd.unique(pairs)
    else:
        pairs = np.sort(pairs)
        distinct = pairs[np.r_[True, pairs[1:] != pairs[:-1]]] if len(pairs) else pairs
    counted = np.bincount(distinct // n_units, minlength=n_groups)
    return counted if single is None else out + counted


def _few_distinct(values: np.ndarray) -> bool:
    """Tell whether a sample of ``values`` has under a quarter of distinct values.

    Then hashing them (and sorting only the distinct ones) beats sorting them all.
    """
    if len(values) < 4096:
        return False
    sample = values[:: max(1, len(values) // 65536)]
    return len(pd.unique(sample)) * 4 < len(sample)


def _alone(groups: np.ndarray, n_groups: int):
    """Flag the rows alone in their group, when they are many (else None); and zeros.

    The per-group sorts then sort only the other rows: on a sparse feed (a fix or two per
    cell-hour) most rows are alone.
    """
    counts = np.bincount(groups, minlength=n_groups)
    if len(groups) < 1024 or (counts == 1).sum() * 8 < len(groups):
        return None, None
    return counts[groups] == 1, np.zeros(n_groups, dtype=np.int64)


def _sorted_within_groups(g: np.ndarray, v: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Sort by (group, value); one integer sort when the values are float32 (speeds)."""
    narrow = v.astype(np.float32)
    if len(g) == 0 or g.max() >= 2**31 or not np.array_equal(narrow, v):
        n = len(v)
        if len(g) == 0 or float(g.max()) * n >= 2**62:
            order = np.lexsort((v, g))
            return g[order], v[order]
        # the values' ranks packed under the groups: one argsort and one integer sort
        by_value = np.argsort(v)
        rank = np.empty(n, dtype=np.int64)
        rank[by_value] = np.arange(n)
        packed = np.sort(g.astype(np.int64) * n + rank)
        return packed // n, v[by_value[packed % n]]
    bits = narrow.view(np.uint32)
    # IEEE bits as an unsigned key in the order of the values: flip negatives, set the sign
    key = np.where(bits >> 31, ~bits, bits | np.uint32(0x80000000)).astype(np.uint64)
    packed = np.sort((g.astype(np.uint64) << np.uint64(32)) | key)
    low = (packed & np.uint64(0xFFFFFFFF)).astype(np.uint32)
    bits = np.where(low >> 31, low ^ np.uint32(0x80000000), ~low)
    return (packed >> np.uint64(32)).astype(np.int64), bits.view(np.float32).astype(np.float64)


def quantile_by_group(groups: np.ndarray, values: np.ndarray, n_groups: int, q: float):
    """Per-group quantile with linear interpolation (numpy's default), NaN ignored.

    Vectorised: one sort by (group, value), then the interpolation at each group's offset.

    >>> quantile_by_group(np.array([0, 0, 0, 1]), np.array([3.0, 1.0, 2.0, 7.0]), 3, 0.5)
    array([ 2.,  7., nan])
    """
    return quantiles_by_group(groups, values, n_groups, (q,))[0]


def quantiles_by_group(groups: np.ndarray, values: np.ndarray, n_groups: int, qs) -> list:
    """:func:`quantile_by_group` for each of the quantiles ``qs``, from one sort.

    >>> quantiles_by_group(np.array([0, 0, 0]), np.array([3.0, 1.0, 2.0]), 1, (0.5, 1.0))
    [array([2.]), array([3.])]
    """
    groups = np.asarray(groups)
    single, _ = _alone(groups, n_groups)
    keep = ~np.isnan(values)
    if single is not None:  # a group of one row: its quantiles are its value
        keep &= ~single
    g, v = _sorted_within_groups(groups[keep], values[keep])
    counts = np.bincount(g, minlength=n_groups)
    starts = np.r_[0, np.cumsum(counts)[:-1]]
    has = counts > 0
    results = []
    for q in qs:
        out = np.full(n_groups, np.nan)
        h = (counts[has] - 1) * q
        lo = np.floor(h).astype(np.int64)
        hi = np.minimum(lo + 1, counts[has] - 1)
        low, high = v[starts[has] + lo], v[starts[has] + hi]
        frac, diff = h - lo, high - low
        # numpy's own lerp, so the results are equal to the last bit
        out[has] = np.where(frac >= 0.5, high - diff * (1 - frac), low + diff * frac)
        if single is not None:
            out[groups[single]] = values[single]  # NaN for a missing value, as a group's
        results.append(out)
    return results


def _group_codes(binned: pd.DataFrame, keys: list[str], wide: bool = True):
    """Return each row's group (0 .. n - 1, in the order of ``keys``) and the groups' keys.

    The keys come as a dict of arrays. Each key column becomes order-preserving integer
    codes (integers by offset, the rest factorised and sorted), mixed into one number;
    the groups are its distinct values, found by counting when their range is small and
    by one sort otherwise. Integers of a wide range (grid cell codes) are offset too when
    the mixed range fits in 62 bits (``wide``), else factorised. Returns None when a key
    is missing somewhere or the mixed codes would overflow.
    """
    parts, sizes, decode = [], [], []
    for key in keys:
        column = binned[key]
        kind = getattr(column.dtype, "kind", "O") if isinstance(column.dtype, np.dtype) else "O"
        values = column.to_numpy() if kind in "iu" else np.zeros(0, dtype=object)
        if kind in "iu" and len(values):
            low, high = int(values.min()), int(values.max())
            if high - low < 2**24 or (wide and high < 2**63):
                parts.append(values.astype(np.int64) - low)
                sizes.append(high - low + 1)
                decode.append(lambda c, low=low, dtype=values.dtype: (c + low).astype(dtype))
                continue
        if pd.api.types.is_datetime64_any_dtype(column.dtype) and not column.isna().any():
            values = column.array.asi8  # times factorise fastest as their integers
        codes, uniques = pd.factorize(values if values.dtype.kind in "iu" else column, sort=True)
        if (codes < 0).any():
            return None
        first = np.zeros(len(uniques), dtype=np.int64)
        first[codes] = np.arange(len(codes))  # a row of each value, to give it back
        parts.append(codes.astype(np.int64))
        sizes.append(max(len(uniques), 1))
        decode.append(lambda c, rows=first, array=column.array: array.take(rows[c]))
    if float(np.prod(np.array(sizes, dtype=float))) >= 2**62:
        return _group_codes(binned, keys, wide=False) if wide else None
    mixed = np.zeros(len(binned), dtype=np.int64)
    for part, size in zip(parts, sizes, strict=True):
        mixed = mixed * size + part
    span = int(np.prod(sizes))
    if span <= max(4 * len(mixed), 2**20):  # count, no sort
        present = np.flatnonzero(np.bincount(mixed, minlength=span))
        lookup = np.zeros(span, dtype=np.int64)
        lookup[present] = np.arange(len(present))
        groups = lookup[mixed]
    elif _few_distinct(mixed):  # hash, then sort the distinct keys only
        codes, uniques = pd.factorize(mixed)
        order = np.argsort(uniques)
        rank = np.empty(len(order), dtype=np.int64)
        rank[order] = np.arange(len(order))
        present, groups = uniques[order], rank[codes]
    else:
        present, groups = np.unique(mixed, return_inverse=True)
    columns, rest = {}, present
    for key, size, back in reversed(list(zip(keys, sizes, decode, strict=True))):
        columns[key] = back(rest % size)
        rest = rest // size
    return groups, {k: columns[k] for k in keys}


def _share_columns(binned: pd.DataFrame, groups, n_groups: int, fixes) -> dict:
    """Return the shares of fixes per group of each weight class, Euro class and country.

    ``fixes`` None: the fixes of each class per group (float64 counts, exact), which add up
    across pieces of fixes; dividing their sums by the fixes gives the shares to the bit.
    """
    out = {}

    def share(flags):
        counts = np.bincount(groups, weights=flags, minlength=n_groups)
        return counts if fixes is None else counts / fixes

    if WEIGHT_CODE in binned.columns:
        code = binned[WEIGHT_CODE].to_numpy()
        for k, w in enumerate(s.WEIGHT_CLASSES):
            out[f"share_w_{w}"] = share(code == k)
    if EURO_CODE in binned.columns:
        code = binned[EURO_CODE].to_numpy()
        out["share_euro_le5"] = share(binned[EURO_LE5].to_numpy())
        for e in s.EURO_CLASSES:
            out[f"share_euro_{e}"] = share(code == e)
    if COUNTRY_CODE in binned.columns:
        code = binned[COUNTRY_CODE].to_numpy()
        for k, c in enumerate((*COUNTRIES_SHOWN, "other")):
            out[f"share_country_{c}"] = share(code == k)
    return out


def _coded(binned: pd.DataFrame, keys: list[str]):
    """Return each row's group, in key order, and the groups' keys (dict of arrays)."""
    coded = _group_codes(binned, keys)
    if coded is None:
        grouped = binned.groupby(keys, sort=True, observed=True)
        index = grouped.size().index.to_frame(index=False)
        return grouped.ngroup().to_numpy(), {k: index[k].array for k in keys}
    return coded


def _placed(binned: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    missing = binned[keys[0]].isna()
    return binned[~missing] if missing.any() else binned  # fixes in no place


def _stats(binned: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """Per place and bin; every group must be whole (all its fixes in ``binned``)."""
    binned = _placed(binned, keys)
    codes, out = _coded(binned, keys)
    n = len(out[keys[0]])
    fixes = np.bincount(codes, minlength=n)
    out["n_fixes"] = fixes
    out["n_vehicles"] = distinct_by_group(codes, binned[UNIT].to_numpy(), n)
    if s.SPEED in binned.columns:
        speed = binned[s.SPEED].to_numpy(float)
        valid = ~np.isnan(speed)
        total = np.bincount(codes[valid], weights=speed[valid], minlength=n)
        counted = np.bincount(codes[valid], minlength=n)
        with np.errstate(invalid="ignore", divide="ignore"):
            out["speed_mean"] = np.where(counted > 0, total / counted, np.nan)
        out["speed_p85"] = quantile_by_group(codes, speed, n, 0.85)
    out.update(_share_columns(binned, codes, n, fixes))
    return pd.DataFrame(out)


N_SPEEDS = "n_speeds"


def partial_stats(binned: pd.DataFrame, keys: list[str]) -> dict:
    """Return what :func:`merge_partial_stats` needs of one piece of whole unit histories.

    ``table``: per group of the piece (key order), the fixes, the distinct vehicles, the
    valid speeds and the fixes of each share's class: counts that add up exactly across
    pieces of disjoint units. ``speeds``: the valid speeds in group order, each group's in
    the order of the rows (a stable sort), in their own dtype (float32: 4 bytes a fix);
    only the means (in row order) and the p85 need them. Much smaller than ``binned``.
    """
    binned = _placed(binned, keys)
    codes, out = _coded(binned, keys)
    n = len(out[keys[0]])
    out["n_fixes"] = np.bincount(codes, minlength=n)
    out["n_vehicles"] = distinct_by_group(codes, binned[UNIT].to_numpy(), n)
    speeds = None
    if s.SPEED in binned.columns:
        speed = binned[s.SPEED].to_numpy()
        valid = ~np.isnan(speed)
        out[N_SPEEDS] = np.bincount(codes[valid], minlength=n)
        speeds = speed[valid][np.argsort(codes[valid], kind="stable")]
    out.update(_share_columns(binned, codes, n, None))
    return {"table": pd.DataFrame(out), "speeds": speeds}


MERGE_CHUNK = 2**20
"""Values a merge of pieces (:func:`merged_chunks`) handles at a time."""


def merged_chunks(groups, counts, lengths, values: list[list], n: int, size: int | None = None):
    """Yield the values of the pieces' groups, a range of groups at a time.

    ``groups``: the group (0 .. n - 1) of each row of the pieces' tables concatenated;
    ``counts``: the values of each row; ``lengths``: the rows of each piece's table;
    ``values``: per piece, its arrays of values, row after row. Yields ``(a, b, codes,
    arrays)``: the values of groups ``a`` to ``b - 1`` in the order of the whole
    concatenation (piece by piece, row by row), ``codes`` their group minus ``a``; about
    ``size`` (default :data:`MERGE_CHUNK`) values a chunk, so that a merge never holds a
    copy of all the values. Groups in order within each piece (each table in key order)
    make each chunk a slice of each piece; else everything is one chunk.
    """
    size = MERGE_CHUNK if size is None else size
    counts = np.asarray(counts, dtype=np.int64)
    rows = np.cumsum([0, *lengths])
    pieces = [
        (groups[lo:hi], counts[lo:hi], v)
        for (lo, hi), v in zip(itertools.pairwise(rows), values, strict=True)
    ]
    ordered = all(len(g) < 2 or bool((g[1:] >= g[:-1]).all()) for g, _, _ in pieces)
    ends = np.cumsum(np.bincount(groups, weights=counts, minlength=n))
    cuts = np.searchsorted(ends, np.arange(size, ends[-1] if n else 0, size), side="right")
    bounds = np.unique(np.r_[0, cuts, n]) if ordered else np.array([0, n])
    for a, b in itertools.pairwise(bounds):
        codes, arrays = [], [[] for _ in values[0]]
        for g, c, v in pieces:
            lo, hi = (np.searchsorted(g, a), np.searchsorted(g, b)) if ordered else (0, len(g))
            offsets = np.r_[0, np.cumsum(c)]
            codes.append(np.repeat(g[lo:hi] - a, c[lo:hi]))
            for k, array in enumerate(v):
                arrays[k].append(array[offsets[lo] : offsets[hi]])
        yield int(a), int(b), np.concatenate(codes), [np.concatenate(x) for x in arrays]


def merge_partial_stats(parts: list[dict], keys: list[str], empty: pd.DataFrame) -> pd.DataFrame:
    """Return :func:`_stats` of all the pieces' fixes from their :func:`partial_stats`.

    Equal to the bit to ``_stats`` of the pieces' binned fixes concatenated in order: the
    counts are sums of integers, the shares those sums divided by the fixes, the speeds'
    sums add the same values in the same order (piece by piece, row by row) and the p85
    sort them anyway. ``empty``: the table when there is no fix.
    """
    from cibg_ds.cluster import release_memory

    release_memory()  # what the pieces freed on this worker
    tables = [p["table"] for p in parts if len(p["table"])]
    if not tables:
        return empty
    table = pd.concat(tables, ignore_index=True)
    groups, out = _coded(table, keys)
    n = len(out[keys[0]])

    def total(column: str) -> np.ndarray:
        return np.bincount(groups, weights=table[column].to_numpy(), minlength=n)

    fixes = total("n_fixes").astype(np.int64)
    out["n_fixes"] = fixes
    out["n_vehicles"] = total("n_vehicles").astype(np.int64)
    if N_SPEEDS in table.columns:
        mean, p85 = np.full(n, np.nan), np.full(n, np.nan)
        lengths = [len(p["table"]) for p in parts if len(p["table"])]
        values = [[p["speeds"]] for p in parts if len(p["table"])]
        chunks = merged_chunks(groups, table[N_SPEEDS].to_numpy(), lengths, values, n)
        for a, b, codes, (speed,) in chunks:
            speed = speed.astype(np.float64)
            sums = np.bincount(codes, weights=speed, minlength=b - a)
            counted = np.bincount(codes, minlength=b - a)
            with np.errstate(invalid="ignore", divide="ignore"):
                mean[a:b] = np.where(counted > 0, sums / counted, np.nan)
            p85[a:b] = quantile_by_group(codes, speed, b - a, 0.85)
        out["speed_mean"], out["speed_p85"] = mean, p85
    for column in empty.columns:
        if column.startswith("share_"):
            out[column] = total(column) / fixes
    return pd.DataFrame(out)


def _vkm(pings: pd.DataFrame, place, by, tz, gap, fix_places=None, tracks=None) -> pd.DataFrame:
    """Vehicle-km per place and bin; ``fix_places``: the place of each row of ``pings``.

    ``tracks``: the :class:`Tracks` of ``pings`` when the caller has built them already.
    """
    tracks = Tracks(pings, gap, "aggregate") if tracks is None else tracks
    fixes, seg = tracks.df, tracks.segments
    km = seg["length_m"].to_numpy() / 1000
    when = seg["mid_ts"]
    if place.vkm_at == "ends":
        # half to the place of each fix: a chord across a bend has its midpoint off the road
        ends = np.r_[seg.index.to_numpy() - 1, seg.index.to_numpy()]
        if fix_places is None or not tracks.same_rows:  # else placed once, for the stats
            fix_places = place(fixes[s.LON].to_numpy(), fixes[s.LAT].to_numpy())
        where = np.asarray(fix_places)[ends]
        km = np.r_[km, km] / 2
        when = pd.concat([when, when], ignore_index=True)
    else:
        where = place(*to_lonlat(seg["mid_x"].to_numpy(), seg["mid_y"].to_numpy()))
    frame = pd.DataFrame({place.key: where})
    frame = frame.join(time_bins(when.reset_index(drop=True), by, tz))
    frame["vkm"] = km
    return (
        frame.groupby(list(frame.columns[:-1]), sort=True, observed=True)["vkm"].sum().reset_index()
    )


def _non_decreasing(labels) -> bool:
    """Tell whether text labels are in sorted order (one vectorised comparison)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    if hasattr(labels, "__arrow_array__"):  # pandas str arrays: their arrow data, no copy
        values = pa.array(labels)
    else:
        try:
            values = pa.array(np.asarray(labels, dtype=object), type=pa.string())
        except (pa.ArrowInvalid, pa.ArrowTypeError):
            return False
    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks()
    if not pa.types.is_string(values.type) and not pa.types.is_large_string(values.type):
        return False
    return len(values) < 2 or bool(pc.all(pc.less_equal(values[:-1], values[1:])).as_py())


def aggregate(
    pings,
    *,
    cell="250m",
    by="hour",
    tz: str | None = None,
    gap="5min",
    measures=DEFAULT_MEASURES,
) -> pd.DataFrame:
    """Aggregate fixes to grid cells x time bins.

    Parameters
    ----------
    pings : pandas.DataFrame or dask.dataframe.DataFrame
        Clean canonical pings. On Dask only the columns the measures use are selected
        (:func:`used_columns`), which :func:`cibg_ds.io.read_pings` reads alone.
    cell : str or int
        ``"100m"``, ``"250m"``, ``"1km"`` (EPSG:3035 grid) or a size in metres.
    by : str
        Time bin (local time): ``hour``, ``daytype``, ``date``, ``weekday_hour`` or a
        pandas frequency (``"15min"``).
    tz : str, optional
        Default: the ``timezone`` setting (Europe/Brussels).
    gap : str
        Segments for ``vkm`` never bridge a silence longer than this (a stop).
    measures : tuple of str
        Any of ``speed`` (``speed_mean``, ``speed_p85``), ``vkm`` and ``shares``; default
        :data:`DEFAULT_MEASURES`, ``("speed", "shares")``, which cost little beside the
        counts (the shares travel as three small class codes a fix). ``vkm`` is opt-in:
        it regroups every fix by vehicle (a second shuffle on Dask) and costs several
        times the rest; ask for it with ``measures=("speed", "vkm", "shares")``.

    Returns
    -------
    pandas.DataFrame
        ``cell_id``, the bin column(s), ``n_fixes``, ``n_vehicles`` (exact distinct),
        ``speed_mean``, ``speed_p85`` (linear interpolation), ``vkm`` (when asked for;
        segments assigned by their midpoint), ``share_w_<weight class>``, ``share_euro_<0..6>``,
        ``share_euro_le5``, ``share_country_<BE, NL, FR, DE, PL, other>`` (shares of fixes).
        The speed and share columns are left out when the feed has no speed, weight,
        Euro class or country column (only ``obu_id``, ``ts``, ``lat``, ``lon`` are needed).
        A cell crossed by a segment without a fix in it has ``n_fixes == 0`` and ``vkm > 0``.
        Cells are not yet suppressed: pass the table to :func:`cibg_ds.privacy.suppress`.

    Examples
    --------
    A truck driving 2.2 km north in ten minutes crosses three 1 km cells:

    >>> import numpy as np
    >>> import pandas as pd
    >>> ts = pd.date_range("2026-11-03 08:00", periods=21, freq="30s", tz="UTC")
    >>> fixes = pd.DataFrame({"obu_id": "a", "ts": ts, "lon": 4.35,
    ...                       "lat": 50.85 + np.arange(21) * 0.001})
    >>> table = aggregate(fixes, cell="1km", by="date", measures=("speed", "vkm"))
    >>> total = table[["n_fixes", "vkm"]].sum().round(1).tolist()
    >>> total, table["n_vehicles"].tolist()
    ([21.0, 2.2], [1, 1, 1])
    """
    checks.frame("pings", pings)
    checks.time_zone("tz", tz), gap_ns(gap)
    return aggregate_places(pings, GridCells(cell), by, tz, gap, measures)


def aggregate_places(
    pings, place, by="hour", tz: str | None = None, gap="5min", measures=MEASURES
) -> pd.DataFrame:
    """Aggregate fixes to any places x time bins: the engine behind :func:`aggregate`.

    ``place`` has a ``key`` (the place column's name) and is called with longitudes and
    latitudes to return each point's place, missing (None/NaN) for a point in none; such
    fixes and segments are left out. ``place.vkm_at`` says where a fix-to-fix segment's km
    go: ``"midpoint"`` (the place of its midpoint) or ``"ends"`` (half to the place of
    each fix). ``place.label(values)``, when present, turns places into their final ids
    once the table is small. On Dask, ``place`` must pickle.
    """
    measures = checks.subset("measures", measures, MEASURES, empty=True)
    require_fixes(pings.columns, "aggregate")
    tz = tz or get_settings().timezone
    keys = _keys(place, by)
    if not is_dask(pings):
        binned = _binned(pings, place, by, tz, measures)
        stats = _stats(binned, keys)
        vkm = None
        if "vkm" in measures:
            vkm = _vkm(pings, place, by, tz, gap, binned[place.key].array)
        return finish_places(stats, vkm, place, keys)
    used = used_columns(pings.columns, measures)
    if len(used) < len(pings.columns):
        pings = pings[used]  # pushed down to the reader: the other columns are not read
    meta = _binned(pings._meta, place, by, tz, measures)
    binned = pings.map_partitions(_binned, place, by, tz, measures, meta=meta)
    vkm = None
    if "vkm" in measures:
        parts = regroup(pings).map_partitions(
            _vkm, place, by, tz, gap, meta=_vkm(pings._meta, place, by, tz, gap)
        )
        vkm = merge_place_vkm(compute_frame(parts, "vehicle-km"), keys)
    dtype = meta[place.key].dtype
    if binned.npartitions == 1 or not (isinstance(dtype, np.dtype) and dtype.kind in "iu"):
        stats = compute_frame(stats_of_binned(binned, keys), "aggregate")
        return finish_places(stats.sort_values(keys, ignore_index=True), vkm, place, keys)
    # integer places: buckets of place ranges, reduced (and labelled) on the workers
    label = place if vkm is None and hasattr(place, "label") else None
    tasks = by_key_ranges(binned, place.key, functools.partial(_bucket_stats, keys, label))
    buckets = compute(tasks, "aggregate")
    stats = pd.concat([b for b, _ in buckets if len(b)] or [buckets[0][0]], ignore_index=True)
    runs = None
    if label is not None:
        runs = pd.concat([pd.Series(r, copy=False) for _, r in buckets], ignore_index=True)
    return finish_places(stats, vkm, place, keys, runs)


def used_columns(columns, measures) -> list[str]:
    """Return the columns of a feed that :func:`aggregate_places` reads for ``measures``.

    The fix columns, ``speed_kmh`` for ``speed``, the class columns for ``shares``; every
    column with ``vkm`` (the tracks are built from the whole feed).

    >>> used_columns(["obu_id", "ts", "lat", "lon", "speed_kmh", "country"], ("speed",))
    ['obu_id', 'ts', 'lat', 'lon', 'speed_kmh']
    """
    columns = list(columns)
    if "vkm" in measures:
        return columns
    wanted = {*s.FIX_COLUMNS}
    if "speed" in measures:
        wanted.add(s.SPEED)
    if "shares" in measures:
        wanted.update((s.WEIGHT_CLASS, s.EURO_CLASS, s.COUNTRY))
    return [c for c in columns if c in wanted]


def _bucket_stats(keys: list[str], place, binned: pd.DataFrame):
    """Return the statistics of a bucket sorted by ``keys``, and the labels of its places.

    One label per run of a place; None when ``place`` is None.
    """
    stats = _stats(binned, keys)
    if place is None:
        return stats, None
    codes = stats[keys[0]].to_numpy()
    return stats, place.label(codes[_run_starts(codes)])


def _run_starts(values: np.ndarray) -> np.ndarray:
    """Return the positions where a run of equal values starts."""
    return np.flatnonzero(np.r_[True, values[1:] != values[:-1]]) if len(values) else values[:0]


def whole_groups(frame, on):
    """Return the Dask ``frame`` with every group of ``on`` in one partition.

    Shuffled (tasks or peer-to-peer, see :func:`cibg_ds.cluster.shuffle_method`), except a
    frame of one partition, which holds every group already: it is returned as it is.
    """
    if frame.npartitions == 1:
        return frame
    return frame.shuffle(on=on, method=shuffle_method(frame))


def stats_of_binned(binned, keys: list[str]):
    """Return the lazy statistics of a Dask frame of binned fixes (see :func:`_binned`)."""
    # every (place, bin) group in one partition, so distinct counts and p85 are exact
    meta = _stats(binned._meta, keys)
    return whole_groups(binned, keys).map_partitions(_stats, keys, meta=meta)


def merge_place_vkm(parts: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """Sum the vehicle-km of per-partition tables (:func:`_vkm`) over their keys."""
    return parts.groupby(keys, sort=True, observed=True)["vkm"].sum().reset_index()


def finish_places(stats: pd.DataFrame, vkm, place, keys: list[str], runs=None) -> pd.DataFrame:
    """Join the statistics and the vehicle-km (or None) of places; label and order them.

    ``runs``: the labels of the places of ``stats`` (sorted by ``keys``, no ``vkm``), one
    per run of a place, when the workers made them.
    """
    out = stats
    if vkm is not None:
        out = stats.merge(vkm, on=keys, how="outer")
        out[["n_fixes", "n_vehicles"]] = out[["n_fixes", "n_vehicles"]].fillna(0)
        out["vkm"] = out["vkm"].fillna(0.0)
    out = out.astype({"n_fixes": "int64", "n_vehicles": "int64"})
    if runs is not None:
        codes = out[place.key].to_numpy()
        lengths = np.diff(np.r_[_run_starts(codes), len(codes)])
        out[place.key] = runs.take(np.repeat(np.arange(len(runs)), lengths)).array
        if not _non_decreasing(runs.array):  # grid ids of one length sort as their codes do
            out = out.sort_values(keys, ignore_index=True)
    elif hasattr(place, "label"):
        labels = place.label(out[place.key].to_numpy())
        out[place.key] = labels
        if not _non_decreasing(labels):
            out = out.sort_values(keys, ignore_index=True)
    first = [*keys, "n_fixes", "n_vehicles", "vkm", "speed_mean", "speed_p85"]
    first = [c for c in first if c in out.columns]
    return out[first + [c for c in out.columns if c not in first]]
