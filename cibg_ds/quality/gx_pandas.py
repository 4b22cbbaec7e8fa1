"""Run Great Expectations on one pandas frame (in this process or inside a Dask worker)."""

from __future__ import annotations

import functools
import json
import logging
import threading
import warnings

import pandas as pd

_LOCK = threading.Lock()  # a GX context is not thread-safe; Dask may run partitions in threads
SAMPLE_SIZE = 20
"""Unexpected values kept per expectation (GX's ``partial_unexpected_count``)."""


@functools.cache
def _batch_definition():
    import great_expectations as gx
    from great_expectations.data_context.types.base import ProgressBarsConfig

    logging.getLogger("great_expectations").setLevel(logging.CRITICAL)
    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = ProgressBarsConfig(globally=False)
    source = context.data_sources.add_pandas("cibg_ds")
    return source.add_dataframe_asset("frame").add_batch_definition_whole_dataframe("whole")


@functools.lru_cache(maxsize=32)
def _suite(spec_json: str):
    import great_expectations as gx

    return gx.ExpectationSuite(**json.loads(spec_json))


def subset_spec(spec: dict, expectations) -> dict:
    """Return the suite JSON restricted to ``expectations`` (matched by ``meta.name``)."""
    from cibg_ds.quality.suites import expectation_name

    names = {e.name for e in expectations}
    keep = [x for x in spec["expectations"] if expectation_name(x) in names]
    return {"name": spec["name"], "expectations": keep, "meta": spec.get("meta", {})}


def run_gx(df: pd.DataFrame, spec: dict, parameters: dict, complete: bool = False) -> list[dict]:
    """Validate ``df`` with the suite JSON ``spec``; return one plain dict per expectation.

    Parameters
    ----------
    df : pandas.DataFrame
    spec : dict
        GX suite JSON (possibly a subset of a suite).
    parameters : dict
        Values of the suite's ``$PARAMETER`` references.
    complete : bool
        Also return the index labels of unexpected rows (``unexpected_index_list``).

    Returns
    -------
    list of dict
        In suite order: ``type``, ``kwargs``, ``success``, ``result`` (GX's result dict),
        ``exception`` (message or None).
    """
    if not spec.get("expectations"):
        return []
    fmt = {
        "result_format": "COMPLETE" if complete else "SUMMARY",
        "partial_unexpected_count": SAMPLE_SIZE,
    }
    with _LOCK, warnings.catch_warnings():
        batch = _batch_definition().get_batch(batch_parameters={"dataframe": df})
        warnings.simplefilter("ignore")
        report = batch.validate(
            _suite(json.dumps(spec, sort_keys=True, default=str)),
            result_format=fmt,
            expectation_parameters=parameters,
        )
    by_config = []
    for r in report.results:
        info = r.exception_info or {}
        failed = info.get("raised_exception") or any(
            isinstance(v, dict) and v.get("raised_exception") for v in info.values()
        )
        message = info.get("exception_message") or next(
            (v.get("exception_message") for v in info.values() if isinstance(v, dict)), None
        )
        by_config.append(
            {
                "type": r.expectation_config.type,
                "kwargs": dict(r.expectation_config.kwargs),
                "success": bool(r.success),
                "result": dict(r.result),
                "exception": message if failed else None,
            }
        )
    return _in_suite_order(by_config, spec)


def _key(kind: str, kwargs: dict) -> str:
    clean = {k: v for k, v in kwargs.items() if k not in ("result_format", "batch_id")}
    return kind + json.dumps(clean, sort_keys=True, default=str)


def _in_suite_order(results: list[dict], spec: dict) -> list[dict]:
    """GX may reorder results; put them back in the order of the suite's expectations."""
    pool: dict[str, list[dict]] = {}
    for r in results:
        pool.setdefault(_key(r["type"], r["kwargs"]), []).append(r)
    ordered = []
    for e in spec["expectations"]:
        kwargs = e.get("kwargs", {})
        candidates = pool.get(_key(e["type"], kwargs))
        if not candidates:  # parameters were substituted: match on type and column
            candidates = next(
                v for k, v in pool.items()
                if v and v[0]["type"] == e["type"]
                and v[0]["kwargs"].get("column") == kwargs.get("column")
            )  # fmt: skip
        ordered.append(candidates.pop(0))
    return ordered
