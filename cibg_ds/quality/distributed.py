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

import numpy as np
import pandas as pd

from cibg_ds.quality.checks import first_last_times, order_violations
from cibg_ds.quality.gx_pandas import SAMPLE_SIZE, run_gx, subset_spec
from cibg_ds.quality.kinds import AGGREGATE, ROW_WISE, SCHEMA, UNIQUE
from cibg_ds.quality.merge import aggregate_part
from cibg_ds.quality.suites import Expectation, Suite


def key_frame(df: pd.DataFrame, e: Expectation) -> pd.DataFrame:
    """Return the key columns of a uniqueness expectation, without the rows GX ignores."""
    cols = e.kwargs.get("column_list") or [e.kwargs["column"]]
    keys = df[cols]
    how = e.kwargs.get("ignore_row_if", "all_values_are_missing")
    if len(cols) == 1 or how == "any_value_is_missing":
        return keys[keys.notna().all(axis=1)]
    if how == "all_values_are_missing":
        return keys[keys.notna().any(axis=1)]
    return keys


_HASH_KEYS = ("cibg_ds_unique_1", "cibg_ds_unique_2")  # 16 characters each, as pandas wants


def key_hashes(keys: pd.DataFrame) -> pd.DataFrame:
    """Return a 128-bit hash per key row as two uint64 columns ``h1``, ``h2``."""
    return pd.DataFrame(
        {
            name: pd.util.hash_pandas_object(keys, index=False, hash_key=key).to_numpy()
            for name, key in zip(("h1", "h2"), _HASH_KEYS, strict=True)
        },
        index=keys.index,
    )


def repeated(hashes: pd.DataFrame) -> np.ndarray:
    """Flag the rows whose 128-bit hash occurs more than once (all copies).

    The first 64 bits pick the few candidates quickly; the full pair decides.
    """
    flags = pd.Series(hashes["h1"].to_numpy()).duplicated(keep=False).to_numpy().copy()
    if flags.any():
        candidates = np.flatnonzero(flags)
        flags[candidates] = hashes.iloc[candidates].duplicated(keep=False).to_numpy()
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
    bucket = hashes["h1"].to_numpy() % n
    return [hashes[bucket == b].reset_index(drop=True) for b in range(n)]


def _validate_part(df, spec, suite: Suite, parameters, n_buckets) -> tuple[dict, dict]:
    """Validate one partition; return its summary and its key buckets (kept on workers)."""
    gx_part = [e for e in suite.expectations if e.type in ROW_WISE | SCHEMA]
    results = run_gx(df, subset_spec(spec, gx_part), parameters) if gx_part else []
    uniques = [e for e in suite.expectations if e.type in UNIQUE]
    keys = {e.name: key_frame(df, e) for e in uniques}
    hashes = {name: key_hashes(k) for name, k in keys.items()}
    summary = {
        "rows": len(df),
        "gx": dict(zip([e.name for e in gx_part], results, strict=True)),
        "aggregates": {
            e.name: aggregate_part(df, e) for e in suite.expectations if e.type in AGGREGATE
        },
        "missing": {name: len(df) - len(k) for name, k in keys.items()},
        "sample": {name: k[repeated(hashes[name])].head(SAMPLE_SIZE) for name, k in keys.items()},
        "order": {
            c.name: int(order_violations(df, c.kwargs["unit"], c.kwargs["column"]).sum())
            for c in suite.checks
        },
        "bounds": {
            c.name: first_last_times(df, c.kwargs["unit"], c.kwargs["column"]) for c in suite.checks
        },
    }
    return summary, {name: _buckets(h, n_buckets) for name, h in hashes.items()}


def _reduce_bucket(*pieces: pd.DataFrame) -> dict:
    """Count the rows whose hash occurs more than once in this bucket; return those hashes."""
    hashes = pd.concat(pieces, ignore_index=True)
    flags = repeated(hashes)
    return {"rows": int(flags.sum()), "pairs": hashes[flags].drop_duplicates()}


def _look_up(ddf, e: Expectation, pairs: pd.DataFrame) -> pd.DataFrame:
    """Read the key values of a few duplicated hashes (one more read, rarely needed)."""
    import dask

    def find(df):
        keys = key_frame(df, e)
        return keys.reset_index(drop=True)[duplicated_rows(keys, e, pairs)]

    found = dask.compute(*[dask.delayed(find)(p) for p in ddf.to_delayed()])
    return pd.concat(found, ignore_index=True)


def _boundaries(summaries: list[dict], checks) -> tuple[dict, tuple]:
    """Count fixes earlier than their unit's last fix in earlier partitions.

    Returns the violations per check and, per partition, the last times before it.
    """
    violations = {c.name: 0 for c in checks}
    previous = []
    carried = {c.name: pd.Series(dtype="int64") for c in checks}
    for summary in summaries:
        previous.append({name: series.copy() for name, series in carried.items()})
        for c in checks:
            bounds = summary["bounds"][c.name]
            first = bounds["first"]
            before = pd.Series(first.index.map(carried[c.name]), dtype="Int64").to_numpy()
            late = pd.array(first.to_numpy(), dtype="Int64") < before
            violations[c.name] += int(late.fillna(False).sum())
            merged = pd.concat([carried[c.name], bounds["last"]])
            carried[c.name] = merged[~merged.index.duplicated(keep="last")]
    return violations, tuple(previous)


def validate_partitions(ddf, suite: Suite, parameters: dict, progress=None):
    """Validate every partition on the workers (one read).

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
        dask.delayed(_validate_part, nout=2)(p, suite.spec, suite, parameters, n_buckets)
        for p in ddf.to_delayed()
    ]
    summaries = [s for s, _ in outputs]
    reducers = [
        dask.delayed(_reduce_bucket)(*[b[e.name][i] for _, b in outputs])
        for e in uniques
        for i in range(n_buckets)
    ]
    results = compute(summaries + reducers, f"validate {suite.name}", progress)
    summaries, reduced = results[: len(summaries)], results[len(summaries) :]
    duplicated, pairs = {}, {}
    for k, e in enumerate(uniques):
        mine = reduced[k * n_buckets : (k + 1) * n_buckets]
        pairs[e.name] = pd.concat([r["pairs"] for r in mine], ignore_index=True)
        sample = pd.concat([s["sample"][e.name] for s in summaries], ignore_index=True)
        rows = sum(r["rows"] for r in mine)
        if rows and sample.empty:  # every copy sits in a different partition
            sample = _look_up(ddf, e, pairs[e.name].head(SAMPLE_SIZE))
        duplicated[e.name] = (rows, sample.head(SAMPLE_SIZE))
    violations, previous = _boundaries(summaries, suite.checks)
    return summaries, duplicated, violations, Plan(previous, pairs)
