"""The distributed validation agrees with GX validating the same rows as one pandas frame."""

import json
import math

import dask.dataframe as dd
import numpy as np
import pandas as pd
import pytest

from cibg_ds.errors import InputError, ParameterError
from cibg_ds.io import load_commune_facts
from cibg_ds.quality import load_suite, validate
from cibg_ds.quality.kinds import AGGREGATE, ROW_WISE, SCHEMA, UNIQUE

NOW = {"now": pd.Timestamp("2026-12-01", tz="UTC")}


def _same(a, b):
    if a is None or b is None or (isinstance(a, float) and math.isnan(a)):
        return (a is None and b is None) or (pd.isna(a) and pd.isna(b))
    if isinstance(a, (float, np.floating)):
        return b == pytest.approx(float(a), rel=1e-6)
    return str(a) == str(b)


def _text(value) -> str:
    """Compare values by text, every kind of null alike (dask may store text as string[pyarrow])."""
    return "null" if pd.api.types.is_scalar(value) and pd.isna(value) else str(value)


def _unexpected_values(frame, suite, parameters=None):
    """Every unexpected value GX finds, per expectation (COMPLETE result format)."""
    from cibg_ds.quality import default_parameters
    from cibg_ds.quality.gx_pandas import run_gx

    suite = load_suite(suite)
    params = {**default_parameters(), **(parameters or {})}
    results = run_gx(frame, suite.spec, params, complete=True)
    return {
        e.name: {
            _text(v)
            for v in (
                r["result"].get("unexpected_list")
                or r["result"].get("partial_unexpected_list")
                or []
            )
        }
        for e, r in zip(suite.expectations, results, strict=True)
    }


def assert_parity(gx_result, dask_result, unexpected=None):
    assert gx_result.engine == "pandas" and dask_result.engine == "dask"
    assert gx_result.rows == dask_result.rows
    for a, b in zip(gx_result.outcomes, dask_result.outcomes, strict=True):
        assert a.name == b.name
        for field in (
            "success",
            "element_count",
            "unexpected_count",
            "unexpected_percent",
            "missing_count",
            "observed_value",
        ):
            assert _same(getattr(a, field), getattr(b, field)), (
                a.name,
                field,
                getattr(a, field),
                getattr(b, field),
            )
        if unexpected is not None and a.name in unexpected:
            # the merged sample holds only values GX also finds unexpected
            assert {_text(v) for v in b.unexpected_sample} <= unexpected[a.name], a.name
        assert bool(b.unexpected_sample) == bool(a.unexpected_sample), a.name
    assert gx_result.success == dask_result.success


@pytest.mark.cluster
def test_pings_on_real_workers_equal_gx_on_one_frame(dirty_frame, dask_client):
    gx_result = validate(dirty_frame, "pings", parameters=NOW)
    ddf = dd.from_pandas(dirty_frame, npartitions=8, sort=False)
    with dask_client.as_current():
        dask_result = validate(ddf, "pings", parameters=NOW, progress=False)
    assert dask_result.partitions == 8
    assert_parity(gx_result, dask_result, _unexpected_values(dirty_frame, "pings", NOW))
    failed = {o.name for o in gx_result.outcomes if not o.success}
    assert {"lat_not_null", "one_fix_per_unit_and_time", "fixes_in_time_order"} <= failed


def _facts_with_faults():
    facts = load_commune_facts()
    facts.loc[2, "share_65plus_pct"] = 140.0
    facts.loc[5, "name_nl"] = None
    facts.loc[7, "nis"] = "21005"  # a duplicate code
    return facts


def _indicators():
    from cibg_ds.divide import indicators

    out = indicators(validate=False)
    out.loc[3, "income_eur"] = np.nan
    out.loc[4, "density_per_km2"] = 90_000
    out.loc[5, "computers_per_10k"] = -1.0
    return out


@pytest.mark.parametrize(
    "suite, frame",
    [
        ("communes", _facts_with_faults),
        ("communes", load_commune_facts),
        ("commune_indicators", _indicators),
    ],
)
def test_small_tables_split_in_six_partitions(suite, frame):
    df = frame()
    gx_result = validate(df, suite)
    dask_result = validate(dd.from_pandas(df, npartitions=6, sort=False), suite, progress=False)
    assert dask_result.partitions == 6
    assert_parity(gx_result, dask_result, _unexpected_values(df, suite))


def test_every_expectation_type_of_the_suites_is_merged_by_the_dask_path():
    used = {
        e.type
        for name in ("pings", "communes", "commune_indicators")
        for e in load_suite(name).expectations
    }
    assert used <= ROW_WISE | SCHEMA | AGGREGATE | UNIQUE


def test_mostly_and_boundaries_are_judged_as_gx_judges(tmp_path):
    df = pd.DataFrame({"x": [1.0] * 97 + [500.0] * 3 + [None] * 5, "k": list(range(100)) + [1] * 5})
    spec = {
        "name": "m",
        "expectations": [
            {
                "type": "expect_column_values_to_be_between",
                "kwargs": {"column": "x", "max_value": 10, "mostly": 0.97},
                "meta": {"name": "x97"},
            },
            {
                "type": "expect_column_values_to_be_between",
                "kwargs": {"column": "x", "max_value": 10, "mostly": 0.98},
                "meta": {"name": "x98"},
            },
            {
                "type": "expect_column_values_to_be_unique",
                "kwargs": {"column": "k", "mostly": 0.9},
                "meta": {"name": "k"},
            },
            {
                "type": "expect_column_mean_to_be_between",
                "kwargs": {"column": "x", "max_value": 15.97, "strict_max": True},
                "meta": {"name": "mean"},
            },
            {
                "type": "expect_table_row_count_to_be_between",
                "kwargs": {"min_value": 105, "max_value": 105},
                "meta": {"name": "rows"},
            },
        ],
    }
    path = tmp_path / "m.json"
    path.write_text(json.dumps(spec))
    gx_result = validate(df, path)
    assert [o.success for o in gx_result.outcomes] == [True, False, True, False, True]
    assert_parity(gx_result, validate(dd.from_pandas(df, npartitions=7), path, progress=False))


def test_missing_columns_and_unsupported_types_are_named(tmp_path, dirty_frame):
    with pytest.raises(
        InputError, match=r"needs column\(s\) the data lacks: 'lat' \(did you mean 'latitude'\?\)"
    ):
        validate(dirty_frame.rename(columns={"lat": "latitude"}), "pings")
    spec = {
        "name": "q",
        "expectations": [
            {
                "type": "expect_column_median_to_be_between",
                "kwargs": {"column": "lat", "min_value": 50},
            }
        ],
    }
    (tmp_path / "q.json").write_text(json.dumps(spec))
    assert validate(dirty_frame, tmp_path / "q.json").success  # pandas: GX does it all
    with pytest.raises(ParameterError, match=r"not supported on Dask.*median"):
        validate(dd.from_pandas(dirty_frame, npartitions=2), tmp_path / "q.json")


def test_result_object_for_people_and_machines(dirty_frame):
    result = validate(dirty_frame.head(3000), "pings", parameters=NOW)
    frame = result.to_frame()
    assert list(frame.columns[:6]) == [
        "expectation",
        "expectation_type",
        "column",
        "success",
        "element_count",
        "unexpected_count",
    ]
    assert len(frame) == len(result.outcomes)
    assert "unexpected_percent" in frame and "unexpected_sample" in frame
    html = result._repr_html_()
    assert "<table" in html and "pings" in html
    summary = json.loads(json.dumps(result.summary(), default=str))
    assert summary["rows"] == 3000 and summary["success"] == result.success
