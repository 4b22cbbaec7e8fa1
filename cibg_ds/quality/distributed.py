"""Validation on Dask in one read of the data.

Each partition is validated where it is read: GX for the row-wise and schema
expectations, cibg_ds for the aggregates and its checks. What crosses partitions is
settled without reading the data again:

* **uniqueness**: every partition sends a 128-bit hash of each key row (two independent
  64-bit hashes), split into buckets, to a few reducer tasks on the workers, which count
  the repeated hashes wherever their copies sit. Two keys are taken as equal when their
  128-bit hashes are: for a billion rows the chance of a false duplicate is below 1e-20.
  The sample of duplicated keys comes from the copies found within one partition (or,
  when every copy sits in another partition, from a targeted look-up of a few keys);
* **order per unit**: every partition reports the first and last fix time of each unit;
  the client counts the fixes that are earlier than the unit's last fix in the
  partitions before.

The :class:`Plan` (duplicated keys, last times before each partition) is kept so that the
quarantine can follow with a single further read.
"""

from __future__ import annotations

import dataclasses
import json

import numpy as np
import pandas as pd

from cibg_ds.quality import native
from cibg_ds.quality.checks import carried_times, first_last_times, order_violations, units
from cibg_ds.quality.gx_pandas import SAMPLE_SIZE, run_gx, subset_spec
from cibg_ds.quality.kinds import AGGREGATE, ROW_WISE, SCHEMA, UNIQUE
from cibg_ds.quality.merge import aggregate_part
from cibg_ds.quality.suites import Expectation, Suite
from cibg_ds.schema import RAW_VALUES, to_ns


def key_frame(df: pd.DataFrame, e: Expectation) -> pd.DataFrame:
    """Return the key columns of a uniqueness expectation, without the rows GX ignores."""
    cols = e.kwargs.get("column_list") or [e.kwargs["column"]]
    keys = df[cols]
    how = e.kwargs.get("ignore_row_if", "all_values_are_missing")
    if len(cols) == 1 or how == "any_value_is_missing":
        keep = keys.notna().all(axis=1)
    elif how == "all_values_are_missing":
        keep = keys.notna().any(axis=1)
    else:
        return keys
    return keys if keep.all() else keys[keep]  # no copy of the keys when none is missing


_HASH_KEYS = ("cibg_ds_unique_1", "cibg_ds_unique_2")  # 16 characters each, as pandas wants


def _mix(x: np.ndarray, salt: int) -> np.ndarray:
    """SplitMix64's finaliser: a bijective, well-mixed 64-bit hash of each uint64."""
    with np.errstate(over="ignore"):
        z = x + np.uint64(salt)
        z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        return z ^ (z >> np.uint64(31))


def _column_hash(column: pd.Series, key: str, salt: int, factorized=None) -> np.ndarray:
    """Return a 64-bit hash of each value; nulls all hash alike (as ``duplicated`` sees them)."""
    if pd.api.types.is_datetime64_any_dtype(column.dtype):
        return _mix(to_ns(column).view("uint64"), salt)
    if pd.api.types.is_integer_dtype(column.dtype) and isinstance(column.dtype, np.dtype):
        return _mix(column.to_numpy().astype("int64").view("uint64"), salt)
    # text and the rest: hash the distinct values once, then look the codes up
    codes, uniques = factorized if factorized is not None else pd.factorize(column)
    hashed = pd.util.hash_array(np.asarray(uniques, dtype=object), hash_key=key)
    return np.append(hashed, np.uint64(salt))[codes]  # code -1 (null) -> the last one


def _numeric(column: pd.Series) -> bool:
    dtype = column.dtype
    return pd.api.types.is_datetime64_any_dtype(dtype) or (
        pd.api.types.is_integer_dtype(dtype) and isinstance(dtype, np.dtype)
    )


def key_hashes(keys: pd.DataFrame) -> pd.DataFrame:
    """Return a 128-bit hash per key row as two uint64 columns ``h1``, ``h2``.

    Each column is hashed on its own (text through its distinct values, factorised once
    for both halves; times and integers as numbers) and the column hashes are mixed; the
    two halves use independent keys.
    """
    out = {}
    salts = (0x9E3779B97F4A7C15, 0xC2B2AE3D27D4EB4F)
    factorized = {c: None if _numeric(keys[c]) else pd.factorize(keys[c]) for c in keys.columns}
    for name, key, salt in zip(("h1", "h2"), _HASH_KEYS, salts, strict=True):
        h = np.zeros(len(keys), dtype=np.uint64)
        for col in keys.columns:
            h = _mix(h ^ _column_hash(keys[col], key, salt, factorized[col]), salt)
        out[name] = h
    return pd.DataFrame(out, index=keys.index)


def repeated(hashes: pd.DataFrame) -> np.ndarray:
    """Flag the rows whose 128-bit hash occurs more than once (all copies).

    The first 64 bits, sorted (values only, no permutation), give the few repeated ones;
    the rows holding them are the candidates and the full pair decides.
    """
    h1 = hashes["h1"].to_numpy()
    flags = np.zeros(len(h1), dtype=bool)
    ordered = np.sort(h1)
    same = ordered[1:] == ordered[:-1]
    if not same.any():
        return flags
    twice = np.unique(ordered[1:][same])
    candidates = np.flatnonzero(pd.Series(h1).isin(twice).to_numpy())  # a hash table
    flags[candidates] = hashes[["h1", "h2"]].iloc[candidates].duplicated(keep=False).to_numpy()
    return flags


def duplicated_rows(df: pd.DataFrame, e: Expectation, pairs: pd.DataFrame) -> np.ndarray:
    """Flag the rows of ``df`` whose key hash is one of the duplicated ``pairs``."""
    flags = np.zeros(len(df), dtype=bool)
    if len(pairs):
        keys = key_frame(df.reset_index(drop=True), e)
        hit = key_hashes(keys).merge(pairs.assign(_hit=True), on=["h1", "h2"], how="left")
        flags[keys.index.to_numpy()[hit["_hit"].notna().to_numpy()]] = True
    return flags


@dataclasses.dataclass(frozen=True)
class Plan:
    """What a validation learnt that the quarantine needs."""

    previous: tuple[dict, ...]
    """Per partition: check name -> last fix time (int64 ns) of each unit before it."""
    duplicates: dict
    """Uniqueness expectation name -> distinct duplicated key hashes (``h1``, ``h2``)."""


def _buckets(hashes: pd.DataFrame, n: int) -> list[pd.DataFrame]:
    """Split the hashes into ``n`` ranges of ``h1`` (a counting sort on the bucket number)."""
    h1 = hashes["h1"].to_numpy()
    bucket = (((h1 >> np.uint64(32)) * np.uint64(n)) >> np.uint64(32)).astype(np.uint8)
    order = np.argsort(bucket, kind="stable")  # radix sort: 8-bit keys
    ends = np.cumsum(np.bincount(bucket, minlength=n))
    return [hashes.iloc[r].reset_index(drop=True) for r in np.split(order, ends[:-1])]


def _validate_part(df, spec, suite: Suite, parameters, n_buckets, evaluator, index, after=None):
    """Validate one partition; return its summary and its key buckets (kept on workers).

    ``after(frame, duplicated, index)``, when given, runs on the partition as read (with
    ``_raw_values``, which the validation leaves out) once it is validated; ``duplicated``
    maps each uniqueness expectation to the flags of the rows whose key repeats within the
    partition. Its return value is the summary's ``"after"``.
    """
    full = df
    df = df.reset_index(drop=True)
    if after is not None and RAW_VALUES in df.columns:
        df = df.drop(columns=[RAW_VALUES])
    schema = [e for e in suite.expectations if e.type in SCHEMA]
    row_wise = [e for e in suite.expectations if e.type in ROW_WISE]
    if evaluator == "gx":
        gx_part = row_wise + schema
        done = run_gx(df, subset_spec(spec, gx_part), parameters) if gx_part else []
        results = dict(zip([e.name for e in gx_part], done, strict=True))
        by = dict.fromkeys(results, native.GX_ROWS)
    else:  # schema expectations judged on dtypes alone are settled once on the client
        on_rows = [e for e in schema if native.needs_rows(df.dtypes, e)]
        results, by = native.evaluate_frame(df, row_wise + on_rows, spec, parameters)
    uniques = [e for e in suite.expectations if e.type in UNIQUE]
    keys = {e.name: key_frame(df, e) for e in uniques}
    hashes = {name: key_hashes(k) for name, k in keys.items()}
    for name, h in hashes.items():  # where each key sits, to find GX's first duplicates
        h["at"] = (np.uint64(index) << np.uint64(32)) | keys[name].index.to_numpy(np.uint64)
    local = {name: repeated(h) for name, h in hashes.items()}
    summary = {
        "rows": len(df),
        "gx": results,
        "by": by,
        "empty": df.iloc[:0] if any(e.name not in results for e in schema) else None,
        "aggregates": {
            e.name: aggregate_part(df, e) for e in suite.expectations if e.type in AGGREGATE
        },
        "missing": {name: len(df) - len(k) for name, k in keys.items()},
        "sample": {name: k[local[name]].head(SAMPLE_SIZE) for name, k in keys.items()},
        "local_duplicates": {name: int(flags.sum()) for name, flags in local.items()},
        "order": {},
        "bounds": {},
    }
    for c in suite.checks:
        args = (df, c.kwargs["unit"], c.kwargs["column"])
        by_unit = units(*args)
        summary["order"][c.name] = int(order_violations(*args, by_unit=by_unit).sum())
        summary["bounds"][c.name] = first_last_times(*args, by_unit=by_unit)
    if after is not None:
        rows = {}
        for name, flags in local.items():
            rows[name] = np.zeros(len(df), dtype=bool)
            rows[name][keys[name].index.to_numpy()[flags]] = True
        summary["after"] = after(full, rows, index)
    return summary, {name: _buckets(h, n_buckets) for name, h in hashes.items()}


def _reduce_bucket(*pieces: pd.DataFrame) -> dict:
    """Count the rows whose hash occurs more than once in this bucket; return those hashes.

    Also returns where the first :data:`SAMPLE_SIZE` of those rows sit (``at``: partition
    in the high 32 bits, row in the low ones), so that the sample is GX's: the first
    duplicated rows in row order.
    """
    hashes = pd.concat(pieces, ignore_index=True)
    flags = repeated(hashes)
    at = hashes["at"].to_numpy()[flags]
    first = np.sort(at)[:SAMPLE_SIZE]
    pairs = hashes.loc[flags, ["h1", "h2"]].drop_duplicates()
    parts, counts = np.unique(at >> np.uint64(32), return_counts=True)
    return {"rows": int(flags.sum()), "pairs": pairs, "first": first,
            "per_partition": dict(zip(parts.tolist(), counts.tolist(), strict=True))}  # fmt: skip


def _sample(ddf, e: Expectation, summaries: list[dict], first: np.ndarray) -> pd.DataFrame:
    """Return the key values of the rows at ``first`` (positions from the reducers).

    They come from the partitions' own samples when those hold them, else are read again
    from the few partitions that do (rare: copies of a key only in different partitions).
    """
    import dask

    parts = (first >> np.uint64(32)).astype(np.int64)
    rows = (first & np.uint64(0xFFFFFFFF)).astype(np.int64)
    found = {}
    for p in np.unique(parts):
        local = summaries[p]["sample"][e.name]
        wanted = rows[parts == p]
        if np.isin(wanted, local.index.to_numpy()).all():
            found[p] = local.loc[wanted]
    missing = [int(p) for p in np.unique(parts) if p not in found]
    if missing:
        cols = e.kwargs.get("column_list") or [e.kwargs["column"]]
        frames = dask.compute(*[ddf[cols].partitions[p] for p in missing])
        for p, frame in zip(missing, frames, strict=True):
            found[p] = frame.reset_index(drop=True).iloc[rows[parts == p]]
    if not len(first):
        return summaries[0]["sample"][e.name].iloc[:0] if summaries else pd.DataFrame()
    return pd.concat([found[p] for p in sorted(found)], ignore_index=True)


_SCHEMA_CACHE: dict = {}
"""Suite and parameters -> GX's verdicts on schema expectations per distinct set of dtypes."""


def _schema_results(suite: Suite, summaries: list[dict], parameters: dict) -> None:
    """Judge the schema expectations left to the client, once per distinct set of dtypes."""
    schema = [e for e in suite.expectations if e.type in SCHEMA]
    spec = json.dumps([suite.spec, {k: str(v) for k, v in parameters.items()}], sort_keys=True,
                      default=str)  # fmt: skip
    cache = _SCHEMA_CACHE.setdefault(spec, {})  # the same dtypes in every day of a history
    for summary in summaries:
        todo = [e for e in schema if e.name not in summary["gx"]]
        if not todo:
            continue
        empty = summary["empty"]
        key = (tuple(empty.columns), tuple(map(repr, empty.dtypes)), tuple(e.name for e in todo))
        if key not in cache:  # without rows: GX's verdicts remembered on disk (gx_memo)
            cache[key] = native.evaluate_frame(empty, todo, suite.spec, parameters)
        results, _ = cache[key]
        summary["gx"].update(results)
        summary["by"].update(dict.fromkeys(results, native.GX_DTYPES))


def _boundaries(summaries: list[dict], checks) -> tuple[dict, tuple]:
    """Count fixes earlier than their unit's last fix in earlier partitions.

    Returns the violations per check and, per partition, the last times before it; each
    summary's ``"boundary"`` gets its own count per check.
    """
    violations = {c.name: 0 for c in checks}
    previous = []
    carried = {c.name: pd.Series(dtype="int64") for c in checks}
    for summary in summaries:
        previous.append({name: series.copy() for name, series in carried.items()})
        for c in checks:
            bounds = summary["bounds"][c.name]
            first = bounds["first"]
            known, before = carried_times(carried[c.name], first.index)
            late = int((known & (first.to_numpy() < before)).sum())
            summary.setdefault("boundary", {})[c.name] = late
            violations[c.name] += late
            merged = pd.concat([carried[c.name], bounds["last"]])
            carried[c.name] = merged[~merged.index.duplicated(keep="last")]
    return violations, tuple(previous)


def validate_partitions(
    ddf, suite: Suite, parameters: dict, progress=None, evaluator="cibg_ds", after=None
):
    """Validate every partition on the workers (one read).

    ``after`` runs on each partition once validated (see :func:`_validate_part`). Each
    summary gets ``"duplicates"``: per uniqueness expectation, the rows of the partition
    whose key is duplicated anywhere (beside ``"local_duplicates"``, within it), and
    ``"boundary"``: per check, its fixes out of order against earlier partitions.

    Returns
    -------
    summaries : list of dict
        One per partition, in order.
    duplicated : dict
        Uniqueness expectation name -> (rows with a duplicated key, sample of those keys).
    violations : dict
        Check name -> fixes out of order across partition boundaries.
    plan : Plan
    """
    import dask

    from cibg_ds.cluster import compute

    uniques = [e for e in suite.expectations if e.type in UNIQUE]
    n_buckets = int(np.clip(ddf.npartitions, 1, 32))
    outputs = [
        dask.delayed(_validate_part, nout=2)(
            p, suite.spec, suite, parameters, n_buckets, evaluator, i, after
        )
        for i, p in enumerate(ddf.to_delayed())
    ]
    summaries = [s for s, _ in outputs]
    reducers = [
        dask.delayed(_reduce_bucket)(*[b[e.name][i] for _, b in outputs])
        for e in uniques
        for i in range(n_buckets)
    ]
    results = compute(summaries + reducers, f"validate {suite.name}", progress)
    summaries, reduced = results[: len(summaries)], results[len(summaries) :]
    _schema_results(suite, summaries, parameters)
    duplicated, pairs = {}, {}
    for k, e in enumerate(uniques):
        mine = reduced[k * n_buckets : (k + 1) * n_buckets]
        pairs[e.name] = pd.concat([r["pairs"] for r in mine], ignore_index=True)
        first = np.sort(np.concatenate([r["first"] for r in mine]))[:SAMPLE_SIZE]
        rows = sum(r["rows"] for r in mine)
        duplicated[e.name] = (rows, _sample(ddf, e, summaries, first))
        for i, summary in enumerate(summaries):
            found = sum(r["per_partition"].get(i, 0) for r in mine)
            summary.setdefault("duplicates", {})[e.name] = found
    violations, previous = _boundaries(summaries, suite.checks)
    return summaries, duplicated, violations, Plan(previous, pairs)
