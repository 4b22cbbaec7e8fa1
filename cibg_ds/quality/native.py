"""Vectorised evaluation of the suites' expectation types, result for result equal to GX's.

GX Core's pandas engine evaluates some expectations value by value in Python (a float32
column between two bounds, for instance) and sets up a validation context per batch. The
functions here compute the same conditions with whole-column numpy/pandas operations and
build the same result fields GX reports (``element_count``, ``unexpected_count``,
``unexpected_percent``, ``missing_count``, ``partial_unexpected_list`` in GX's row order),
following GX 1.x's pandas code:

* map expectations are judged on the non-null rows (``not_be_null`` on all rows), with
  ``mostly`` as ``(considered - unexpected) / considered >= mostly`` and vacuous success
  when no row is considered; the partial list holds the first unexpected values in row
  order, as GX's ``list(values[:20])`` gives them;
* ``between``: GX compares int64/float64 and datetime columns vectorised and every other
  numeric dtype one Python value at a time (float32 widened to a Python float); both
  are reproduced exactly (float32 is widened to float64 before comparing);
* regexes: GX runs ``column.astype(str).str.contains(regex)``; the same pandas call is
  made on the distinct values of a text column and mapped back to the rows;
* uniqueness: ``duplicated(keep=False)`` on the rows left after ``ignore_row_if``.

An expectation this module does not handle (another type, or a configuration whose GX
result depends on Python-object semantics, such as bounds given as text) returns None
from :func:`evaluate`; the caller then runs GX for it and says so in the result.
"""

from __future__ import annotations

import functools
import numbers

import numpy as np
import pandas as pd

from cibg_ds.quality.gx_pandas import SAMPLE_SIZE
from cibg_ds.quality.kinds import resolve

NATIVE_ROW_WISE = frozenset({
    "expect_column_values_to_not_be_null",
    "expect_column_values_to_be_between",
    "expect_column_values_to_be_in_set",
    "expect_column_values_to_not_be_in_set",
    "expect_column_values_to_match_regex",
    "expect_column_values_to_not_match_regex",
})  # fmt: skip
"""Map expectations evaluated here, per row, whose counts add up over partitions."""
NATIVE_UNIQUE = frozenset(
    {"expect_column_values_to_be_unique", "expect_compound_columns_to_be_unique"}
)
"""Uniqueness, evaluated here on one frame (on Dask, :mod:`cibg_ds.quality.distributed`)."""

_KNOWN_KWARGS = frozenset({
    "column", "column_list", "mostly", "min_value", "max_value", "strict_min", "strict_max",
    "value_set", "regex", "ignore_row_if",
})  # fmt: skip


def handles(e) -> bool:
    """Return True when :func:`evaluate` computes ``e`` itself (before looking at the data)."""
    return e.type in NATIVE_ROW_WISE | NATIVE_UNIQUE and set(e.kwargs) <= _KNOWN_KWARGS


def _result(e, element: int, missing: int | None, unexpected: int, sample: list) -> dict:
    """Return a GX-like result dict (see :func:`cibg_ds.quality.gx_pandas.run_gx`)."""
    from cibg_ds.quality.merge import judge_counts

    success, percent = judge_counts(e, element, missing, unexpected)
    result = {
        "element_count": element,
        "unexpected_count": unexpected,
        "unexpected_percent": percent,
        "partial_unexpected_list": sample,
    }
    if missing is not None:
        result["missing_count"] = missing
    return {"type": e.type, "kwargs": dict(e.kwargs), "success": success, "result": result,
            "exception": None}  # fmt: skip


def _first(values: pd.Series, flags: np.ndarray) -> list:
    """Return the first unexpected values in row order, as GX lists them."""
    return list(values.iloc[np.flatnonzero(flags)[:SAMPLE_SIZE]])


def _number(value) -> bool:
    return isinstance(value, numbers.Real) and not isinstance(value, bool | np.bool_)


def _between(column: pd.Series, e, parameters: dict) -> np.ndarray | None:
    """Rows outside the bounds (nulls count as inside), or None when GX must judge."""
    lo = resolve(e.kwargs.get("min_value"), parameters)
    hi = resolve(e.kwargs.get("max_value"), parameters)
    if lo is None and hi is None:
        return None  # GX raises
    dtype = column.dtype
    if pd.api.types.is_datetime64_any_dtype(dtype):
        bounds_ok = all(b is None or isinstance(b, pd.Timestamp) for b in (lo, hi))
        values = column
    elif pd.api.types.is_float_dtype(dtype) or (
        pd.api.types.is_integer_dtype(dtype) and dtype != np.uint64
    ):
        bounds_ok = all(b is None or _number(b) for b in (lo, hi))
        kind = "float64" if pd.api.types.is_float_dtype(dtype) else "int64"
        values = column.to_numpy(dtype=kind, na_value=0)  # nulls are masked below
    else:
        return None
    if not bounds_ok or (lo is not None and hi is not None and lo > hi):
        return None  # GX raises or compares Python objects
    inside = np.ones(len(column), dtype=bool)
    if lo is not None:
        inside &= np.asarray(lo < values if e.kwargs.get("strict_min") else lo <= values)
    if hi is not None:
        inside &= np.asarray(values < hi if e.kwargs.get("strict_max") else values <= hi)
    return ~inside


def _regex(column: pd.Series, regex: str) -> np.ndarray:
    """GX's ``column.astype(str).str.contains(regex)``, on the distinct values of text."""
    if isinstance(column.dtype, pd.CategoricalDtype | pd.StringDtype):
        codes, uniques = pd.factorize(column)
        hit = pd.Series(uniques).astype(str).str.contains(regex).to_numpy(dtype=bool)
        return np.where(codes >= 0, hit[np.maximum(codes, 0)], False)
    return column.astype(str).str.contains(regex).to_numpy(dtype=bool, na_value=False)


def _condition(column: pd.Series, e, parameters: dict) -> np.ndarray | None:
    """Flag the unexpected rows of a map expectation (nulls unflagged), or None."""
    kind = e.type
    if kind == "expect_column_values_to_be_between":
        return _between(column, e, parameters)
    if kind in ("expect_column_values_to_be_in_set", "expect_column_values_to_not_be_in_set"):
        if pd.api.types.is_datetime64_any_dtype(column.dtype):
            return None  # GX parses the set as dates
        value_set = resolve(e.kwargs.get("value_set"), parameters)
        if value_set is None:
            return np.zeros(len(column), dtype=bool)
        inside = column.isin(value_set).to_numpy(dtype=bool)
        return ~inside if kind == "expect_column_values_to_be_in_set" else inside
    if kind in ("expect_column_values_to_match_regex", "expect_column_values_to_not_match_regex"):
        regex = resolve(e.kwargs.get("regex"), parameters)
        if not isinstance(regex, str):
            return None
        hit = _regex(column, regex)
        return ~hit if kind == "expect_column_values_to_match_regex" else hit
    return None


def evaluate(df: pd.DataFrame, e, parameters: dict) -> dict | None:
    """Evaluate ``e`` on ``df`` as GX would; None when GX must do it.

    Parameters
    ----------
    df : pandas.DataFrame
    e : Expectation
    parameters : dict
        Values of the suite's ``$PARAMETER`` references.

    Returns
    -------
    dict or None
        ``type``, ``kwargs``, ``success``, ``result`` (GX's fields), ``exception``.
    """
    if not handles(e):
        return None
    if e.type in NATIVE_UNIQUE:
        return unique(df, e)
    flags = unexpected_rows(df, e, parameters)
    if flags is None:
        return None
    column = df[e.kwargs["column"]]
    if e.type == "expect_column_values_to_not_be_null":
        return _result(e, len(df), None, int(flags.sum()), _first(column, flags))
    missing = int(column.isna().sum())
    return _result(e, len(df), missing, int(flags.sum()), _first(column, flags))


def unexpected_rows(df: pd.DataFrame, e, parameters: dict) -> np.ndarray | None:
    """Flag the rows a map expectation finds unexpected, as GX's unexpected index list does.

    Parameters
    ----------
    df : pandas.DataFrame
    e : Expectation
        A map expectation (:data:`NATIVE_ROW_WISE`).
    parameters : dict
        Values of the suite's ``$PARAMETER`` references.

    Returns
    -------
    numpy.ndarray or None
        Boolean, one per row: nulls for ``not_be_null``, otherwise the non-null rows that
        fail the condition; None when GX must judge (see :func:`evaluate`).
    """
    if e.type not in NATIVE_ROW_WISE or not handles(e):
        return None
    column = df[e.kwargs["column"]]
    null = column.isna().to_numpy()
    if e.type == "expect_column_values_to_not_be_null":
        return null
    flags = _condition(column, e, parameters)
    return None if flags is None else flags & ~null


def unique(df: pd.DataFrame, e) -> dict:
    """Uniqueness of one column or of a compound key on one frame, as GX judges it."""
    from cibg_ds.quality.distributed import key_frame

    keys = key_frame(df, e)
    flags = keys.duplicated(keep=False).to_numpy()
    head = keys.iloc[np.flatnonzero(flags)[:SAMPLE_SIZE]]
    sample = head.to_dict("records") if "column_list" in e.kwargs else list(head.iloc[:, 0])
    return _result(e, len(df), len(df) - len(keys), int(flags.sum()), sample)


def aggregate(df: pd.DataFrame, e, parameters: dict) -> dict | None:
    """Evaluate an aggregate expectation as GX's pandas metrics do; None when GX must."""
    from cibg_ds.quality.merge import between, distinct_outside

    if not set(e.kwargs) <= _KNOWN_KWARGS | {"strict_min", "strict_max"}:
        return None
    bounds = [resolve(e.kwargs.get(k), parameters) for k in ("min_value", "max_value")]
    if any(isinstance(b, str) for b in bounds):
        return None  # GX parses text bounds as dates
    if e.type == "expect_table_row_count_to_be_between":
        value = len(df)
    elif e.type == "expect_column_distinct_values_to_be_in_set":
        values = set(df[e.kwargs["column"]].dropna().unique())
        allowed = resolve(e.kwargs.get("value_set"), parameters)
        sample = next(iter(values), None)
        if not allowed or isinstance(sample, np.datetime64 | pd.Timestamp):
            return None  # GX refuses an empty set; dates are coerced
        outside = distinct_outside(values, allowed)
        return {"type": e.type, "kwargs": dict(e.kwargs), "success": not outside,
                "result": {"observed_value": None, "unexpected_count": len(outside),
                           "partial_unexpected_list": outside[:SAMPLE_SIZE]},
                "exception": None}  # fmt: skip
    else:
        column = df[e.kwargs["column"]].dropna()
        pick = {"expect_column_min_to_be_between": "min", "expect_column_max_to_be_between": "max",
                "expect_column_mean_to_be_between": "mean"}.get(e.type)  # fmt: skip
        if pick is None:
            return None
        value = getattr(column, pick)()
        if value is not None and not isinstance(value, pd.Timestamp) and pd.isna(value):
            value = None
    success = between(value, e.kwargs, parameters)
    return {"type": e.type, "kwargs": dict(e.kwargs), "success": success,
            "result": {"observed_value": value}, "exception": None}  # fmt: skip


_OBJECT_NAMES = ("object", "object_", "O", None)


def needs_rows(dtypes: pd.Series, e) -> bool:
    """Return True when GX's verdict on a schema expectation depends on the values, not the dtypes.

    GX checks the type of every value of an ``object`` column; any other column is judged
    by its dtype alone, so a frame with no rows and the same dtypes gives the same result.
    """
    if e.type not in (
        "expect_column_values_to_be_of_type",
        "expect_column_values_to_be_in_type_list",
    ):
        return False
    column = e.kwargs.get("column")
    wanted = e.kwargs.get("type_", e.kwargs.get("type_list"))
    return (
        column in dtypes.index
        and dtypes[column] == np.dtype(object)
        and wanted not in _OBJECT_NAMES
    )


GX_ROWS, GX_DTYPES, OURS = "gx", "gx (dtypes)", "cibg_ds"
"""Who evaluated an expectation: GX on the rows (fallback), GX on the dtypes, cibg_ds."""


def evaluate_frame(df: pd.DataFrame, expectations, spec: dict, parameters: dict):
    """Evaluate ``expectations`` on one frame: ours where we can, GX for the rest.

    Schema expectations judged on dtypes alone are run through GX on the frame's empty
    head (the same verdict in a fraction of the time).

    Returns
    -------
    results : dict
        Expectation name -> GX-like result dict.
    evaluated_by : dict
        Expectation name -> :data:`OURS`, :data:`GX_ROWS` or :data:`GX_DTYPES`.
    """
    from cibg_ds.quality.gx_memo import on_no_rows
    from cibg_ds.quality.gx_pandas import run_gx, subset_spec
    from cibg_ds.quality.kinds import AGGREGATE, SCHEMA

    results, by, gx_rows, gx_dtypes = {}, {}, [], []
    for e in expectations:
        if e.type in SCHEMA:
            (gx_rows if needs_rows(df.dtypes, e) else gx_dtypes).append(e)
            continue
        r = aggregate(df, e, parameters) if e.type in AGGREGATE else evaluate(df, e, parameters)
        if r is None:
            gx_rows.append(e)
        else:
            results[e.name], by[e.name] = r, OURS
    for group, frame, label in ((gx_rows, df, GX_ROWS), (gx_dtypes, df.iloc[:0], GX_DTYPES)):
        if group:
            subset = subset_spec(spec, group)
            done = on_no_rows(frame, subset, parameters,
                              functools.partial(run_gx, frame, subset, parameters))  # fmt: skip
            results.update(
                {e.name: r for e, r in zip(_in_spec_order(spec, group), done, strict=True)}
            )
            by.update(dict.fromkeys((e.name for e in group), label))
    return results, by


def _in_spec_order(spec: dict, group) -> list:
    """``group`` in the order of the suite JSON (the order :func:`run_gx` returns)."""
    from cibg_ds.quality.suites import expectation_name

    names = [expectation_name(x) for x in spec["expectations"]]
    return sorted(group, key=lambda e: names.index(e.name))
