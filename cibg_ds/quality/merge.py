"""Turn GX results into outcomes, and merge per-partition results exactly as GX would judge."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from cibg_ds.quality.gx_pandas import SAMPLE_SIZE
from cibg_ds.quality.kinds import resolve
from cibg_ds.quality.result import Outcome
from cibg_ds.quality.suites import Expectation


def outcome(e: Expectation, r: dict) -> Outcome:
    """Convert one GX result dict (see :func:`run_gx`) into an :class:`Outcome`."""
    res = r["result"]
    return Outcome(
        name=e.name,
        expectation_type=e.type,
        column=e.column,
        success=r["success"] and r["exception"] is None,
        element_count=res.get("element_count"),
        unexpected_count=res.get("unexpected_count"),
        unexpected_percent=res.get("unexpected_percent"),
        missing_count=res.get("missing_count"),
        observed_value=res.get("observed_value"),
        unexpected_sample=tuple(res.get("partial_unexpected_list") or ())[:SAMPLE_SIZE],
        exception=r["exception"],
    )


def judge_counts(e: Expectation, element: int, missing: int | None, unexpected: int):
    """Apply GX's rule for map expectations: ``mostly`` over the rows considered.

    Returns
    -------
    success : bool
    percent : float or None
        Unexpected share of the rows considered (None when none is considered).
    """
    considered = element if missing is None else element - missing
    if element == 0 or considered == 0:
        return True, None
    success = (considered - unexpected) / considered >= float(e.kwargs.get("mostly", 1.0))
    return success, unexpected / considered * 100


def between(value, kwargs: dict, parameters: dict) -> bool:
    """Judge an aggregate against ``min_value``/``max_value`` (``strict_*``) like GX."""
    lo = resolve(kwargs.get("min_value"), parameters)
    hi = resolve(kwargs.get("max_value"), parameters)
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return False
    ok = True
    if lo is not None:
        ok &= value > lo if kwargs.get("strict_min") else value >= lo
    if hi is not None:
        ok &= value < hi if kwargs.get("strict_max") else value <= hi
    return bool(ok)


def distinct_outside(values: set, allowed) -> list:
    """Return the distinct values outside ``allowed``, in GX's order (sorted when they sort)."""
    outside = list(values - set(allowed))
    try:
        return sorted(outside)
    except TypeError:  # GX keeps the set's order; ours is at least stable
        return sorted(outside, key=str)


def aggregate_part(df: pd.DataFrame, e: Expectation) -> dict:
    """Return the mergeable pieces of an aggregate expectation for one partition."""
    if e.type == "expect_table_row_count_to_be_between":
        return {"n": len(df)}
    col = df[e.kwargs["column"]].dropna()
    if e.type == "expect_column_distinct_values_to_be_in_set":
        return {"values": set(col.unique())}
    if e.type == "expect_column_mean_to_be_between":
        return {"sum": float(col.astype("float64").sum()), "n": len(col), "dtype": col.dtype}
    if not len(col):
        return {"value": None}
    return {"value": col.min() if e.type == "expect_column_min_to_be_between" else col.max()}


def merge_row_wise(e: Expectation, parts: list[dict]) -> Outcome:
    """Add up the counts of a map expectation over partitions and judge with ``mostly``."""
    failed = [p["exception"] for p in parts if p["exception"]]
    if failed:
        return Outcome(e.name, e.type, e.column, False, exception=failed[0])
    results = [p["result"] for p in parts]
    element = sum(r.get("element_count") or 0 for r in results)
    unexpected = sum(r.get("unexpected_count") or 0 for r in results)
    has_missing = any(r.get("missing_count") is not None for r in results)
    missing = sum(r.get("missing_count") or 0 for r in results) if has_missing else None
    success, percent = judge_counts(e, element, missing, unexpected)
    sample = [v for r in results for v in r.get("partial_unexpected_list") or []]
    return Outcome(e.name, e.type, e.column, success, element, unexpected, percent, missing,
                   None, tuple(sample[:SAMPLE_SIZE]))  # fmt: skip


def merge_schema(e: Expectation, parts: list[dict]) -> Outcome:
    """Pass a schema expectation when it passes on every partition."""
    failing = [p for p in parts if not p["success"] or p["exception"]]
    return outcome(e, failing[0] if failing else parts[0])


def merge_aggregate(e: Expectation, parts: list[dict], parameters: dict) -> Outcome:
    """Merge per-partition pieces of an aggregate exactly and judge it."""
    if e.type == "expect_column_distinct_values_to_be_in_set":
        # GX 1.x reports the distinct values outside the set as "unexpected"
        values = set().union(*(p["values"] for p in parts))
        allowed = resolve(e.kwargs.get("value_set"), parameters)
        outside = distinct_outside(values, allowed or values)
        return Outcome(e.name, e.type, e.column, not outside, unexpected_count=len(outside),
                       unexpected_sample=tuple(outside[:SAMPLE_SIZE]))  # fmt: skip
    if e.type == "expect_table_row_count_to_be_between":
        observed = sum(p["n"] for p in parts)
    elif e.type == "expect_column_mean_to_be_between":
        n = sum(p["n"] for p in parts)
        observed = sum(p["sum"] for p in parts) / n if n else None
        if observed is not None and parts[0]["dtype"] == "float32":
            observed = np.float32(observed)  # GX's type (GX sums in float32, we in float64)
    else:
        values = [p["value"] for p in parts if p["value"] is not None]
        pick = min if e.type == "expect_column_min_to_be_between" else max
        observed = pick(values) if values else None
    return Outcome(e.name, e.type, e.column, between(observed, e.kwargs, parameters),
                   observed_value=observed)  # fmt: skip


def unique_outcome(
    e: Expectation, rows: int, missing: int, unexpected: int, sample: pd.DataFrame
) -> Outcome:
    """Judge uniqueness from the number of rows whose key occurs more than once."""
    head = sample.head(SAMPLE_SIZE)  # as GX reports them: a dict per multi-column key
    values = head.to_dict("records") if head.shape[1] > 1 else head.iloc[:, 0].tolist()
    success, percent = judge_counts(e, rows, missing, unexpected)
    return Outcome(e.name, e.type, e.column, success, rows, unexpected, percent, missing,
                   None, tuple(values))  # fmt: skip


def check_outcome(c: Expectation, rows: int, violations: int) -> Outcome:
    """Outcome of a cibg_ds check counted over all rows."""
    success, percent = judge_counts(c, rows, None, violations)
    return Outcome(c.name, c.type, c.column, success, rows, violations, percent)
