"""Validate pandas or Dask data with a GX suite.

The expectation types our suites use are evaluated by cibg_ds's own vectorised code with
GX's results, field for field (:mod:`cibg_ds.quality.native`; GX stays the reference:
``evaluator="gx"``, and the fallback for any other type, which ``Outcome.evaluated_by``
and ``provenance["gx_fallback"]`` name). On Dask (GX has no Dask engine) the work is
split by what each expectation needs (see :mod:`cibg_ds.quality.kinds`):

* **row-wise** expectations (not null, between, in set, regex, ...) are evaluated per
  partition; their counts add up exactly and are judged with GX's own rule (``mostly``
  over the non-missing rows); the partial lists, concatenated in partition order, are
  GX's first unexpected values;
* **schema** expectations (types, columns) depend on the dtypes only (except types of
  ``object`` columns, checked value by value on the workers): GX judges them once per
  distinct set of dtypes, and they pass when every partition passes;
* **aggregates** (row count, min, max, mean, distinct values) are computed per batch,
  merged exactly and judged as GX judges them;
* **uniqueness** across partitions is counted exactly: key hashes are counted globally on
  the workers and only the rows whose hash collided are compared on their real values;
  the sample is GX's: the first duplicated rows in row order.

How the data is read and batched is in :mod:`cibg_ds.quality.distributed`.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import os

import pandas as pd

from cibg_ds import checks
from cibg_ds.errors import InputError, ParameterError
from cibg_ds.frames import is_dask
from cibg_ds.quality import merge, native
from cibg_ds.quality.checks import order_violations
from cibg_ds.quality.gx_pandas import run_gx
from cibg_ds.quality.kinds import (
    AGGREGATE,
    ROW_WISE,
    SCHEMA,
    SUPPORTED_ON_DASK,
    UNIQUE,
    default_parameters,
)
from cibg_ds.quality.result import ValidationResult
from cibg_ds.quality.suites import Suite, load_suite


def check_columns(columns, suite: Suite) -> None:
    """Raise :class:`InputError` naming the columns ``suite`` needs that are absent."""
    from cibg_ds.schema import closest

    needed = {e.kwargs["column"] for e in suite.expectations + suite.checks if "column" in e.kwargs}
    needed |= {c for e in suite.expectations for c in e.kwargs.get("column_list", [])}
    needed |= {e.kwargs["unit"] for e in suite.checks if "unit" in e.kwargs}
    missing = sorted(needed - set(columns))
    if missing:
        hints = ", ".join(f"{c!r}{closest(c, columns)}" for c in missing)
        raise InputError(
            f"suite {suite.name!r} needs column(s) the data lacks: {hints}; "
            f"columns found: {list(columns)}"
        )


def _validate_pandas(df: pd.DataFrame, suite: Suite, params: dict, evaluator: str) -> list:
    if evaluator == "gx":
        done = run_gx(df, suite.spec, params)
        results = dict(zip((e.name for e in suite.expectations), done, strict=True))
        by = dict.fromkeys(results, native.GX_ROWS)
    else:
        results, by = native.evaluate_frame(df, suite.expectations, suite.spec, params)
    outcomes = [
        dataclasses.replace(merge.outcome(e, results[e.name]), evaluated_by=by[e.name])
        for e in suite.expectations
    ]
    for c in suite.checks:
        flags = order_violations(df, c.kwargs["unit"], c.kwargs["column"])
        outcomes.append(merge.check_outcome(c, len(df), int(flags.sum())))
    return outcomes


def _evaluated_by(name: str, parts: list[dict]) -> str:
    labels = {p["by"][name] for p in parts}
    return native.GX_ROWS if native.GX_ROWS in labels else labels.pop()


def _validate_dask(ddf, suite: Suite, params: dict, progress, evaluator: str, after=None):
    from cibg_ds.quality import distributed

    unsupported = sorted({e.type for e in suite.expectations} - SUPPORTED_ON_DASK)
    if unsupported:
        raise ParameterError(
            f"suite {suite.name!r} uses expectation types not supported on Dask: "
            f"{unsupported}; validate a pandas frame or use one of {sorted(SUPPORTED_ON_DASK)}"
        )
    parts, duplicated, violations, plan = distributed.validate_partitions(
        ddf, suite, params, progress, evaluator, after
    )
    outcomes, rows = merge_parts(suite, params, parts, duplicated, violations)
    return outcomes, rows, plan, parts


def merge_parts(suite: Suite, params: dict, parts: list, duplicated: dict, violations: dict):
    """Merge the partitions' pieces (:func:`distributed.validate_partitions`) into outcomes.

    Returns
    -------
    outcomes : list of Outcome
    rows : int
    """
    rows = sum(p["rows"] for p in parts)
    outcomes = []
    for e in suite.expectations:
        if e.type in ROW_WISE | SCHEMA:
            how = merge.merge_row_wise if e.type in ROW_WISE else merge.merge_schema
            merged = how(e, [p["gx"][e.name] for p in parts])
            outcomes.append(dataclasses.replace(merged, evaluated_by=_evaluated_by(e.name, parts)))
        elif e.type in AGGREGATE:
            pieces = [p["aggregates"][e.name] for p in parts]
            outcomes.append(merge.merge_aggregate(e, pieces, params))
        elif e.type in UNIQUE:
            missing = sum(p["missing"][e.name] for p in parts)
            unexpected, sample = duplicated[e.name]
            outcomes.append(merge.unique_outcome(e, rows, missing, unexpected, sample))
    for c in suite.checks:
        count = sum(p["order"][c.name] for p in parts) + violations[c.name]
        outcomes.append(merge.check_outcome(c, rows, count))
    return outcomes, rows


def validate(
    data, suite, *, parameters=None, source: str | None = None, progress=None, evaluator="cibg_ds"
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
        Progress bar over the Dask tasks (default: in a terminal or a notebook).
    evaluator : {"cibg_ds", "gx"}
        ``cibg_ds`` (default) evaluates the expectation types it knows with vectorised
        code of its own, with GX's results (:mod:`cibg_ds.quality.native`), and runs GX
        for the others (``Outcome.evaluated_by`` and ``provenance["gx_fallback"]`` say
        which); ``gx`` runs GX for every expectation it can (the reference).

    Returns
    -------
    ValidationResult

    Raises
    ------
    InputError
        When the data lacks a column the suite needs.
    ParameterError
        For an expectation type the Dask path cannot merge exactly.

    Examples
    --------
    >>> from cibg_ds.io import load_commune_facts
    >>> result = validate(load_commune_facts(), "communes")
    >>> result.success, result.rows
    (True, 19)
    """
    checks.frame("data", data), checks.choice("evaluator", evaluator, ("cibg_ds", "gx"))
    checks.mapping("parameters", parameters), checks.boolean("progress", progress, optional=True)
    if source is not None and not isinstance(source, str):
        raise ParameterError(f"source must be a str (where the data came from), got {source!r}")
    suite = load_suite(suite)
    params = {**default_parameters(), **(parameters or {})}
    check_columns(data.columns, suite)
    started = dt.datetime.now(dt.UTC)
    plan = None
    if is_dask(data):
        outcomes, rows, plan, _ = _validate_dask(data, suite, params, progress, evaluator)
        engine, partitions = "dask", data.npartitions
    else:
        outcomes, rows, engine, partitions = (
            _validate_pandas(data, suite, params, evaluator),
            len(data),
            "pandas",
            1,
        )
    return build_result(suite, outcomes, rows, engine, partitions, params, source, started,
                        evaluator, plan)  # fmt: skip


def build_result(
    suite: Suite, outcomes, rows, engine, partitions, params, source, started, evaluator, plan=None
) -> ValidationResult:
    """Return the :class:`ValidationResult` of merged outcomes (severities and provenance)."""
    severity = {e.name: e.severity for e in suite.expectations + suite.checks}
    outcomes = [dataclasses.replace(o, severity=severity[o.name]) for o in outcomes]
    provenance = {
        "source": source,
        "suite_file": str(suite.path) if suite.path else None,
        "validated_at": started.isoformat(timespec="seconds"),
        "seconds": round((dt.datetime.now(dt.UTC) - started).total_seconds(), 3),
        "parameters": {k: str(v) for k, v in params.items()},
        "evaluator": evaluator,
        "gx_fallback": [o.name for o in outcomes if o.evaluated_by == native.GX_ROWS],
        "user": os.environ.get("USER") or os.environ.get("USERNAME"),
    }
    return ValidationResult(suite.name, tuple(outcomes), rows, engine, partitions, provenance,
                            plan=plan)  # fmt: skip
