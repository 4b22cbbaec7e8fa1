"""Validate pandas or Dask data with a GX suite; split it into clean and rejected rows.

On pandas, GX validates the frame as it is. On Dask (GX has no Dask engine) the work is
split by what each expectation needs:

* **row-wise** expectations (not null, between, in set, regex, ...) run through GX inside
  the workers, partition by partition; their counts add up exactly and are judged with
  GX's own rule (``mostly`` over the non-missing rows);
* **schema** expectations (types, columns) run through GX on every partition and pass
  when every partition passes;
* **aggregates** (row count, min, max, mean, distinct values) are computed per partition,
  merged exactly and judged as GX judges them;
* **uniqueness** across partitions (one fix per unit and time) is computed globally: keys
  are hashed, colliding hashes counted with Dask, and the few candidate rows compared on
  their actual values, so the count is exact.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
import os
from collections.abc import Mapping

import pandas as pd

from cibg_ds.errors import InputError, ParameterError
from cibg_ds.quality.checks import last_times, order_violations
from cibg_ds.quality.gx_pandas import SAMPLE_SIZE, run_gx
from cibg_ds.quality.result import Outcome, ValidationResult
from cibg_ds.quality.suites import Expectation, Suite, load_suite

ROW_WISE = {
    "expect_column_values_to_not_be_null",
    "expect_column_values_to_be_null",
    "expect_column_values_to_be_between",
    "expect_column_values_to_be_in_set",
    "expect_column_values_to_not_be_in_set",
    "expect_column_values_to_match_regex",
    "expect_column_values_to_not_match_regex",
}
SCHEMA = {
    "expect_column_values_to_be_of_type",
    "expect_column_values_to_be_in_type_list",
    "expect_table_columns_to_match_set",
    "expect_table_columns_to_match_ordered_list",
    "expect_column_to_exist",
}
AGGREGATE = {
    "expect_table_row_count_to_be_between",
    "expect_column_min_to_be_between",
    "expect_column_max_to_be_between",
    "expect_column_mean_to_be_between",
    "expect_column_distinct_values_to_be_in_set",
}
UNIQUE = {"expect_compound_columns_to_be_unique", "expect_column_values_to_be_unique"}
REJECTED_BY = "_rejected_by"
"""Column of rejected rows: the names of the expectations they failed, ``;``-separated."""


def default_parameters() -> dict:
    """Values of the suites' ``$PARAMETER`` references: ``now`` and ``earliest``."""
    return {
        "now": pd.Timestamp.now(tz="UTC"),
        "earliest": pd.Timestamp("2016-04-01", tz="UTC"),  # start of the kilometre charge
    }


def _is_dask(data) -> bool:
    return type(data).__module__.startswith("dask")


def _resolve(value, parameters):
    if isinstance(value, Mapping) and "$PARAMETER" in value:
        name = value["$PARAMETER"]
        if name not in parameters:
            raise ParameterError(f"the suite needs parameter {name!r}; pass parameters={{...}}")
        return parameters[name]
    return value


def _check_columns(columns, suite: Suite) -> None:
    needed = {e.kwargs["column"] for e in suite.expectations + suite.checks if "column" in e.kwargs}
    needed |= {c for e in suite.expectations for c in e.kwargs.get("column_list", [])}
    needed |= {e.kwargs["unit"] for e in suite.checks if "unit" in e.kwargs}
    missing = sorted(needed - set(columns))
    if missing:
        from cibg_ds.schema import closest

        hints = ", ".join(f"{c!r}{closest(c, columns)}" for c in missing)
        raise InputError(
            f"suite {suite.name!r} needs column(s) the data lacks: {hints}; "
            f"columns found: {list(columns)}"
        )


# --- outcomes from GX results -------------------------------------------------------------
def _outcome(e: Expectation, r: dict) -> Outcome:
    res = r["result"]
    sample = tuple(res.get("partial_unexpected_list") or ())[:SAMPLE_SIZE]
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
        unexpected_sample=sample,
        exception=r["exception"],
    )


def _mostly(e: Expectation) -> float:
    return float(e.kwargs.get("mostly", 1.0))


def _judge_counts(e: Expectation, element: int, missing: int | None, unexpected: int):
    """GX's rule for map expectations: ``mostly`` over the rows considered."""
    considered = element if missing is None else element - missing
    if element == 0 or considered == 0:
        return True, None
    success = (considered - unexpected) / considered >= _mostly(e)
    return success, unexpected / considered * 100


def _between(value, kwargs: dict, parameters: dict) -> bool:
    lo, hi = (
        _resolve(kwargs.get("min_value"), parameters),
        _resolve(kwargs.get("max_value"), parameters),
    )
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return False
    ok = True
    if lo is not None:
        ok &= value > lo if kwargs.get("strict_min") else value >= lo
    if hi is not None:
        ok &= value < hi if kwargs.get("strict_max") else value <= hi
    return bool(ok)


# --- per partition -----------------------------------------------------------------------
def _aggregate_part(df: pd.DataFrame, e: Expectation) -> dict:
    if e.type == "expect_table_row_count_to_be_between":
        return {"n": len(df)}
    col = df[e.kwargs["column"]].dropna()
    if e.type == "expect_column_distinct_values_to_be_in_set":
        return {"values": set(pd.unique(col.to_numpy()).tolist())}
    if e.type == "expect_column_mean_to_be_between":
        return {"sum": float(col.astype("float64").sum()), "n": len(col)}
    if not len(col):
        return {"value": None}
    return {"value": col.min() if e.type == "expect_column_min_to_be_between" else col.max()}


def _unique_missing(df: pd.DataFrame, e: Expectation) -> int:
    cols = e.kwargs.get("column_list") or [e.kwargs["column"]]
    nulls = df[cols].isna()
    how = e.kwargs.get("ignore_row_if", "all_values_are_missing")
    if len(cols) == 1 or how == "any_value_is_missing":
        return int(nulls.any(axis=1).sum())
    if how == "all_values_are_missing":
        return int(nulls.all(axis=1).sum())
    return 0


def _summarise_partition(df, spec, expectations, checks, parameters, previous) -> dict:
    """Everything the client needs from one partition, small enough to send back."""
    gx_part = [e for e in expectations if e.type in ROW_WISE | SCHEMA]
    results = run_gx(df, _subset(spec, gx_part), parameters) if gx_part else []
    return {
        "rows": len(df),
        "gx": dict(zip([e.name for e in gx_part], results, strict=True)),
        "aggregates": {e.name: _aggregate_part(df, e) for e in expectations if e.type in AGGREGATE},
        "unique_missing": {
            e.name: _unique_missing(df, e) for e in expectations if e.type in UNIQUE
        },
        "order": {
            c.name: {
                "violations": int(
                    order_violations(
                        df, c.kwargs["unit"], c.kwargs["column"], previous.get(c.name)
                    ).sum()
                ),
            }
            for c in checks
        },
    }


def _subset(spec: dict, expectations) -> dict:
    names = {e.name for e in expectations}
    keep = [x for x in spec["expectations"] if (x.get("meta") or {}).get("name") in names]
    return {"name": spec["name"], "expectations": keep, "meta": spec.get("meta", {})}


# --- merging -----------------------------------------------------------------------------
def _merge_row_wise(e: Expectation, parts: list[dict]) -> Outcome:
    if any(p["exception"] for p in parts):
        message = next(p["exception"] for p in parts if p["exception"])
        return Outcome(e.name, e.type, e.column, False, exception=message)
    element = sum(p["result"].get("element_count") or 0 for p in parts)
    unexpected = sum(p["result"].get("unexpected_count") or 0 for p in parts)
    has_missing = any(p["result"].get("missing_count") is not None for p in parts)
    missing = sum(p["result"].get("missing_count") or 0 for p in parts) if has_missing else None
    success, percent = _judge_counts(e, element, missing, unexpected)
    sample = [v for p in parts for v in p["result"].get("partial_unexpected_list") or []]
    return Outcome(e.name, e.type, e.column, success, element, unexpected, percent, missing,
                   None, tuple(sample[:SAMPLE_SIZE]))  # fmt: skip


def _merge_schema(e: Expectation, parts: list[dict]) -> Outcome:
    first = _outcome(e, parts[0])
    failing = [p for p in parts if not p["success"] or p["exception"]]
    if failing:
        return _outcome(e, failing[0])
    return first


def _merge_aggregate(e: Expectation, parts: list[dict], parameters: dict) -> Outcome:
    if e.type == "expect_table_row_count_to_be_between":
        observed = sum(p["n"] for p in parts)
        success = _between(observed, e.kwargs, parameters)
    elif e.type == "expect_column_distinct_values_to_be_in_set":
        # GX 1.x reports the distinct values outside the set as "unexpected"
        values = set().union(*(p["values"] for p in parts))
        allowed = _resolve(e.kwargs.get("value_set"), parameters)
        outside = sorted(values - set(allowed or values), key=str)
        return Outcome(e.name, e.type, e.column, not outside, unexpected_count=len(outside),
                       unexpected_sample=tuple(outside[:SAMPLE_SIZE]))  # fmt: skip
    elif e.type == "expect_column_mean_to_be_between":
        n = sum(p["n"] for p in parts)
        observed = sum(p["sum"] for p in parts) / n if n else None
        success = _between(observed, e.kwargs, parameters)
    else:
        values = [p["value"] for p in parts if p["value"] is not None]
        pick = min if e.type == "expect_column_min_to_be_between" else max
        observed = pick(values) if values else None
        success = _between(observed, e.kwargs, parameters)
    return Outcome(e.name, e.type, e.column, success, observed_value=observed)


def _key_frame(df: pd.DataFrame, e: Expectation) -> pd.DataFrame:
    cols = e.kwargs.get("column_list") or [e.kwargs["column"]]
    keys = df[cols]
    how = e.kwargs.get("ignore_row_if", "all_values_are_missing")
    if len(cols) == 1 or how == "any_value_is_missing":
        return keys[keys.notna().all(axis=1)]
    if how == "all_values_are_missing":
        return keys[keys.notna().any(axis=1)]
    return keys


def _hashes(df: pd.DataFrame, e: Expectation) -> pd.Series:
    keys = _key_frame(df, e)
    return pd.util.hash_pandas_object(keys, index=False).rename("h")


def _duplicate_keys(ddf, e: Expectation) -> pd.DataFrame:
    """Exact duplicated keys across all partitions (hash, count, then compare values)."""
    hashes = ddf.map_partitions(_hashes, e, meta=pd.Series(dtype="uint64", name="h"))
    counts = hashes.value_counts(split_out=max(1, ddf.npartitions // 8))
    suspects = counts[counts > 1].index.compute()
    suspects = set(suspects.tolist())
    if not suspects:
        return _key_frame(ddf._meta, e)

    def candidates(df):
        keys = _key_frame(df, e)
        return keys[pd.util.hash_pandas_object(keys, index=False).isin(suspects).to_numpy()]

    found = ddf.map_partitions(candidates, meta=_key_frame(ddf._meta, e)).compute()
    return found[found.duplicated(keep=False)].drop_duplicates()


def _merge_unique(e: Expectation, rows: int, missing: int, dups: pd.DataFrame, ddf) -> Outcome:
    if len(dups):
        cols = list(dups.columns)

        def count(df):
            keys = _key_frame(df, e)
            hit = keys.merge(dups.assign(_hit=True), on=cols, how="left")["_hit"].notna()
            return pd.Series([int(hit.sum())])

        unexpected = int(ddf.map_partitions(count, meta=pd.Series(dtype="int64")).sum().compute())
        sample = [
            list(t) if len(cols) > 1 else t[0]
            for t in dups.head(SAMPLE_SIZE).itertuples(index=False)
        ]
    else:
        unexpected, sample = 0, []
    success, percent = _judge_counts(e, rows, missing, unexpected)
    return Outcome(e.name, e.type, e.column, success, rows, unexpected, percent, missing,
                   None, tuple(sample))  # fmt: skip


def _order_outcome(c: Expectation, rows: int, violations: int) -> Outcome:
    success, percent = _judge_counts(c, rows, None, violations)
    return Outcome(c.name, c.type, c.column, success, rows, violations, percent)


# --- public ------------------------------------------------------------------------------
def _previous_last_times(ddf, checks) -> list[dict]:
    """For each partition, the last time of every unit in the partitions before it."""
    import dask

    if not checks:
        return [{} for _ in range(ddf.npartitions)]
    parts = ddf.to_delayed()
    lasts = dask.compute(*[
        dask.delayed(lambda df: {c.name: last_times(df, c.kwargs["unit"], c.kwargs["column"])
                                 for c in checks})(p)
        for p in parts
    ])  # fmt: skip
    out, carried = [], {c.name: pd.Series(dtype="int64") for c in checks}
    for last in lasts:
        out.append({k: v.copy() for k, v in carried.items()})
        for name, series in last.items():
            merged = pd.concat([carried[name], series])
            carried[name] = merged[~merged.index.duplicated(keep="last")]
    return out


def validate(
    data,
    suite,
    parameters: dict | None = None,
    source: str | None = None,
    progress: bool | None = None,
):
    """Validate a pandas or Dask DataFrame with a suite.

    Parameters
    ----------
    data : pandas.DataFrame or dask.dataframe.DataFrame
    suite : str, path-like or Suite
        A suite name (``"pings"``), a GX suite JSON file, or a loaded :class:`Suite`.
    parameters : dict, optional
        Values for the suite's ``$PARAMETER`` references (default :func:`default_parameters`).
    source : str, optional
        Where the data came from, recorded in the provenance.
    progress : bool, optional
        Progress bar over partitions (default: in a terminal or notebook).

    Returns
    -------
    ValidationResult

    Raises
    ------
    InputError
        When the data lacks a column the suite needs.

    Examples
    --------
    >>> from cibg_ds.io import load_commune_facts
    >>> result = validate(load_commune_facts(), "communes")
    >>> result.success, result.rows
    (True, 19)
    """
    import dask

    from cibg_ds.cluster import compute

    suite = load_suite(suite)
    params = {**default_parameters(), **(parameters or {})}
    _check_columns(data.columns, suite)
    started = dt.datetime.now(dt.UTC)
    if not _is_dask(data):
        results = run_gx(data, suite.spec, params)
        outcomes = [_outcome(e, r) for e, r in zip(suite.expectations, results, strict=True)]
        for c in suite.checks:
            flags = order_violations(data, c.kwargs["unit"], c.kwargs["column"])
            outcomes.append(_order_outcome(c, len(data), int(flags.sum())))
        rows, engine, partitions = len(data), "pandas", 1
    else:
        unsupported = sorted(
            {e.type for e in suite.expectations} - ROW_WISE - SCHEMA - AGGREGATE - UNIQUE
        )
        if unsupported:
            raise ParameterError(
                f"suite {suite.name!r} uses expectation types not supported on Dask: "
                f"{unsupported}; validate a pandas frame or use one of "
                f"{sorted(ROW_WISE | SCHEMA | AGGREGATE | UNIQUE)}"
            )
        previous = _previous_last_times(data, suite.checks)
        tasks = [
            dask.delayed(_summarise_partition)(part, suite.spec, suite.expectations,
                                               suite.checks, params, prev)
            for part, prev in zip(data.to_delayed(), previous, strict=True)
        ]  # fmt: skip
        parts = compute(tasks, f"validate {suite.name}", progress)
        rows = sum(p["rows"] for p in parts)
        outcomes = []
        for e in suite.expectations:
            if e.type in ROW_WISE:
                outcomes.append(_merge_row_wise(e, [p["gx"][e.name] for p in parts]))
            elif e.type in SCHEMA:
                outcomes.append(_merge_schema(e, [p["gx"][e.name] for p in parts]))
            elif e.type in AGGREGATE:
                outcomes.append(
                    _merge_aggregate(e, [p["aggregates"][e.name] for p in parts], params)
                )
            else:
                missing = sum(p["unique_missing"][e.name] for p in parts)
                outcomes.append(_merge_unique(e, rows, missing, _duplicate_keys(data, e), data))
        for c in suite.checks:
            outcomes.append(
                _order_outcome(c, rows, sum(p["order"][c.name]["violations"] for p in parts))
            )
        engine, partitions = "dask", data.npartitions
    provenance = {
        "source": source,
        "suite_file": str(suite.path) if suite.path else None,
        "validated_at": started.isoformat(timespec="seconds"),
        "seconds": round((dt.datetime.now(dt.UTC) - started).total_seconds(), 3),
        "parameters": {k: str(v) for k, v in params.items()},
        "user": os.environ.get("USER") or os.environ.get("USERNAME"),
    }
    severity = {e.name: e.severity for e in suite.expectations + suite.checks}
    outcomes = [dataclasses.replace(o, severity=severity[o.name]) for o in outcomes]
    return ValidationResult(suite.name, tuple(outcomes), rows, engine, partitions, provenance)
