"""Per-unit work on sorted arrays, and the same work on Dask partitioned by unit."""

from __future__ import annotations

import numpy as np
import pandas as pd

from cibg_ds import schema as s
from cibg_ds.frames import is_dask


def sort_by_unit(pings: pd.DataFrame) -> tuple[pd.DataFrame, np.ndarray]:
    """Return the pings sorted by unit then time (stable, fresh index) and unit codes.

    Pings already in that order (the output of :func:`cibg_ds.mobility.clean`) are returned
    as they are, not copied: callers must not modify the frame in place. The codes are
    integers in the order of the unit ids (missing ids: -1, first), so unit boundaries are
    found by comparing integers.
    """
    codes, order = unit_order(pings)
    if order is None:
        fresh = isinstance(pings.index, pd.RangeIndex) and pings.index.start == 0
        fresh = fresh and pings.index.step == 1
        return (pings if fresh else pings.reset_index(drop=True)), codes
    return pings.take(order).reset_index(drop=True), codes[order]


def column_values(df: pd.DataFrame, name: str):
    """Return the array of column ``name`` (``df[name].array``) without building a Series.

    NumPy values come as a read-only view, as ``df[name].to_numpy()`` gives them (copy on
    write): the caller cannot write into the frame through them.
    """
    get = getattr(df, "_get_column_array", None)
    loc = df.columns.get_loc(name) if get is not None else None
    if not isinstance(loc, (int, np.integer)):  # no such method, or a repeated name
        return df[name].array
    values = get(loc)
    if isinstance(values, np.ndarray):
        values = values.view()
        values.flags.writeable = False
    return values


def unit_codes(pings: pd.DataFrame) -> tuple[np.ndarray, object]:
    """Return the unit codes (integers in the order of the ids; missing: -1) and the ids.

    ``pd.factorize(ids, sort=True)``; for text ids done as it does them, with the few
    distinct ids sorted here (a third of its time on a small feed), or, when the feed is
    sorted by unit already (no missing id), found by comparing neighbours.
    """
    ids = column_values(pings, s.OBU_ID)
    if not isinstance(ids.dtype, pd.StringDtype):
        return pd.factorize(pings[s.OBU_ID], sort=True)
    grouped = _sorted_codes(ids)
    if grouped is not None:
        return grouped
    codes, uniques = ids.factorize()  # what pd.factorize does, then sorts the ids
    if not len(uniques):
        return codes, uniques
    sorter = uniques.argsort()
    rank = np.empty(len(sorter), dtype=codes.dtype)
    rank[sorter] = np.arange(len(sorter), dtype=codes.dtype)
    return np.where(codes >= 0, rank[np.maximum(codes, 0)], -1), uniques.take(sorter)


def _sorted_codes(ids) -> tuple[np.ndarray, object] | None:
    """Codes and ids of Arrow text ids sorted already (as Arrow sorts them), else None.

    Arrow compares text byte by byte (UTF-8), as it sorts the ids in ``factorize``.
    """
    data = getattr(ids, "_pa_array", None)
    if data is None or len(ids) < 2 or data.null_count:
        return None
    import pyarrow.compute as pc

    later, earlier = data[1:], data[:-1]
    if pc.any(pc.less(later, earlier)).as_py():
        return None
    new = np.empty(len(ids), dtype=bool)
    new[0] = True
    new[1:] = pc.not_equal(later, earlier).to_numpy()
    return np.cumsum(new) - 1, ids.take(np.flatnonzero(new))


def unit_order(pings: pd.DataFrame, t=None, codes=None) -> tuple[np.ndarray, np.ndarray | None]:
    """Return the unit codes and the order sorting rows by unit then time (None: sorted).

    ``t``: the times as int64 nanoseconds, ``codes``: the :func:`unit_codes`, when the
    caller has them already.
    """
    codes = unit_codes(pings)[0] if codes is None else codes
    t = s.to_ns(pings[s.TS]) if t is None else t
    step_unit, step_t = np.diff(codes), np.diff(t)
    if ((step_unit > 0) | ((step_unit == 0) & (step_t >= 0))).all():  # sorted already
        return codes, None
    if (step_t >= 0).all():  # feed order: a stable sort by unit suffices
        return codes, np.argsort(codes, kind="stable")
    return codes, np.lexsort((t, codes))


def unit_starts(units: np.ndarray) -> np.ndarray:
    """Flag the first row of each unit in rows sorted by unit."""
    first = np.ones(len(units), dtype=bool)
    first[1:] = units[1:] != units[:-1]
    return first


_REGROUPED: set[str] = set()
"""Names of the Dask frames known to hold each unit in one partition."""


def mark_regrouped(data):
    """Record that each unit of the Dask frame ``data`` sits in one partition; return it.

    Later :func:`regroup` and :func:`by_unit` calls on that same frame (the same Dask
    name, e.g. the output of :func:`cibg_ds.mobility.clean`, or its ``persist()`` marked
    again) skip their shuffle: one shuffle by unit per call chain.
    """
    if is_dask(data):
        if len(_REGROUPED) > 1024:  # names of a long session's frames, never unbounded
            _REGROUPED.clear()
        _REGROUPED.add(data._name)
    return data


def regroup(data, npartitions: int | None = None):
    """Return the Dask frame with each unit in one partition (shuffled once), or pandas as is.

    A frame of one partition holds each unit in it already: it is not shuffled.
    ``npartitions``: as many partitions of whole units (default: as many as ``data`` has;
    a frame known to be regrouped is then returned as it is).
    """
    if not is_dask(data):
        return data
    if npartitions is None or npartitions == data.npartitions:
        if data._name in _REGROUPED:
            return data
        if data.npartitions == 1:
            return mark_regrouped(data)
        return mark_regrouped(data.shuffle(on=s.OBU_ID))
    return mark_regrouped(data.shuffle(on=s.OBU_ID, npartitions=npartitions))


def by_unit(data, func, meta, *args, **kwargs):
    """Apply a pandas function to whole unit histories, on pandas or on Dask.

    On Dask the rows are first shuffled so that each unit sits in one partition (unless
    the frame is known to be so, see :func:`mark_regrouped`); ``func`` then sees every fix
    of the units it is given, whatever the day partitions were. ``meta`` (the empty
    result) may be a function returning it: pandas callers then never build it.
    """
    if not is_dask(data):
        return func(data, *args, **kwargs)
    meta = meta() if callable(meta) else meta  # a factory: built only for Dask
    return regroup(data).map_partitions(func, *args, meta=meta, **kwargs)


_PSEUDONYM = r"[0-9a-fA-F]{16}"


def unit_keys(ids) -> np.ndarray:
    """Return one uint64 per unit id: compact to shuffle, equal exactly when the ids are.

    Pseudonyms of :func:`cibg_ds.io.pseudonymise` (16 hex digits) are read as the 64-bit
    number they spell, which is one-to-one. Other ids are hashed (pandas' 64-bit hash:
    two ids share a key with probability about n^2 / 2^65 for n units).

    >>> unit_keys(pd.Series(["00000000000000ff", "ffffffffffffffff"])).tolist()
    [255, 18446744073709551615]
    """
    codes, uniques = pd.factorize(pd.Series(ids), use_na_sentinel=False)
    uniques = pd.Series(uniques, dtype="string")
    if uniques.str.fullmatch(_PSEUDONYM).fillna(False).all():
        keys = np.array([int(u, 16) for u in uniques], dtype=np.uint64)  # the units, not rows
    else:
        keys = pd.util.hash_array(uniques.to_numpy(dtype=object))
    return keys[codes]
