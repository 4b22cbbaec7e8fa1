"""Our vectorised evaluation gives GX's results, field for field, on pandas and on Dask.

GX (``evaluator="gx"``, GX validating the whole frame in one process) is the oracle: every
case validates the same rows three ways and compares every field ``to_frame()`` reports,
``missing_count`` and the partial unexpected list (same values, same order, same length).
"""

import json

import dask.dataframe as dd
import numpy as np
import pandas as pd
import pytest

from cibg_ds.quality import validate
from cibg_ds.quality.native import GX_DTYPES, GX_ROWS, NATIVE_ROW_WISE, OURS

N = 400
FIELDS = ("success", "element_count", "unexpected_count", "unexpected_percent", "missing_count")


def _frame() -> pd.DataFrame:
    rng = np.random.default_rng(7)
    f32 = rng.uniform(-10, 160, N).astype("float32")
    f32[::37] = np.nan
    f32[5] = np.float32(49.49)  # a bound that float32 cannot hold exactly
    f32[6], f32[7] = 0.0, 150.0  # values on the bounds
    f64 = rng.normal(50.5, 1.0, N)
    f64[::41] = np.nan
    f64[8], f64[9] = 49.49, 51.51
    ids = [f"{k:016x}" for k in rng.integers(0, 2**60, N)]
    ids[3], ids[4], ids[10] = "0123456789abcdeF", "0123456789abcdef\n", None
    ids[11] = "ééééééééééééééé0"
    units = [f"u{k % 17}" for k in range(N)]
    units[20] = None
    times = pd.Timestamp("2026-11-02", tz="UTC") + pd.to_timedelta(
        rng.integers(0, 3600 * 24, N), unit="s"
    )
    ts = pd.Series(times)
    ts[15] = pd.NaT
    ts[N - 1], units[N - 1] = ts[1], units[1]  # a duplicate key far from its copy
    ts[N - 2], units[N - 2] = ts[2], units[2]
    ts[30], units[30] = ts[31], units[31]  # and one next to it
    return pd.DataFrame(
        {
            "f32": f32,
            "f64": f64,
            "i8": rng.integers(-2, 9, N).astype("int8"),
            "i64": rng.integers(-5, 200, N),
            "n8": pd.array(rng.integers(0, 9, N), dtype="Int8"),
            "id": pd.array(ids, dtype="string"),
            "obj": pd.Series(ids, dtype=object),
            "cat": pd.Categorical(rng.choice(["a", "b", ">c", None], N)),
            "unit": pd.array(units, dtype="string"),
            "ts": ts,
        }
    )


def _with_nulls(df: pd.DataFrame) -> pd.DataFrame:
    out = df.copy()
    out.loc[::53, "n8"] = pd.NA
    out.loc[::29, "i64"] = np.nan  # becomes float64 with NaN
    return out


CASES = {
    "not_null_f32": ("expect_column_values_to_not_be_null", {"column": "f32"}),
    "not_null_id_mostly": ("expect_column_values_to_not_be_null", {"column": "id", "mostly": 0.99}),
    "not_null_ts": ("expect_column_values_to_not_be_null", {"column": "ts"}),
    "not_null_cat": ("expect_column_values_to_not_be_null", {"column": "cat"}),
    "between_f32": (
        "expect_column_values_to_be_between",
        {"column": "f32", "min_value": 0, "max_value": 150},
    ),
    "between_f32_strict": (
        "expect_column_values_to_be_between",
        {"column": "f32", "min_value": 0, "max_value": 150, "strict_min": True, "strict_max": True},
    ),
    "between_f32_lossy_bound": (
        "expect_column_values_to_be_between",
        {"column": "f32", "min_value": 49.49, "mostly": 0.5},
    ),
    "between_f64": (
        "expect_column_values_to_be_between",
        {"column": "f64", "min_value": 49.49, "max_value": 51.51},
    ),
    "between_f64_strict_max_mostly": (
        "expect_column_values_to_be_between",
        {"column": "f64", "max_value": 51.51, "strict_max": True, "mostly": 0.95},
    ),
    "between_i8": ("expect_column_values_to_be_between", {"column": "i8", "min_value": 0}),
    "between_i64": (
        "expect_column_values_to_be_between",
        {"column": "i64", "min_value": 0, "max_value": 150.5},
    ),
    "between_n8": ("expect_column_values_to_be_between", {"column": "n8", "max_value": 6}),
    "between_ts": (
        "expect_column_values_to_be_between",
        {
            "column": "ts",
            "min_value": {"$PARAMETER": "earliest"},
            "max_value": {"$PARAMETER": "noon"},
        },
    ),
    "in_set_cat": ("expect_column_values_to_be_in_set", {"column": "cat", "value_set": ["a", "b"]}),
    "in_set_i8": ("expect_column_values_to_be_in_set", {"column": "i8", "value_set": [0, 1, 2, 3]}),
    "in_set_n8": ("expect_column_values_to_be_in_set", {"column": "n8", "value_set": [1, 2, 3]}),
    "in_set_unit_mostly": (
        "expect_column_values_to_be_in_set",
        {"column": "unit", "value_set": [f"u{k}" for k in range(15)], "mostly": 0.8},
    ),
    "not_in_set_f64": (
        "expect_column_values_to_not_be_in_set",
        {"column": "f64", "value_set": [49.49]},
    ),
    "not_in_set_id": (
        "expect_column_values_to_not_be_in_set",
        {"column": "id", "value_set": ["0123456789abcdeF"]},
    ),
    "regex_id": (
        "expect_column_values_to_match_regex",
        {"column": "id", "regex": "^[0-9a-f]{16}$"},
    ),
    "regex_obj": (
        "expect_column_values_to_match_regex",
        {"column": "obj", "regex": "^[0-9a-f]{16}$"},
    ),
    "regex_cat": ("expect_column_values_to_match_regex", {"column": "cat", "regex": "[a-z]"}),
    "regex_unicode": (
        "expect_column_values_to_match_regex",
        {"column": "id", "regex": r"^\w{15}0$"},
    ),
    "not_regex_id": ("expect_column_values_to_not_match_regex", {"column": "id", "regex": "F$"}),
    "unique_unit": ("expect_column_values_to_be_unique", {"column": "unit", "mostly": 0.01}),
    "unique_f64": ("expect_column_values_to_be_unique", {"column": "f64"}),
    "compound_any": (
        "expect_compound_columns_to_be_unique",
        {"column_list": ["unit", "ts"], "ignore_row_if": "any_value_is_missing"},
    ),
    "compound_all": (
        "expect_compound_columns_to_be_unique",
        {"column_list": ["unit", "ts"], "mostly": 0.9},
    ),
    "compound_never": (
        "expect_compound_columns_to_be_unique",
        {"column_list": ["unit", "ts"], "ignore_row_if": "never"},
    ),
    "min_ts": (
        "expect_column_min_to_be_between",
        {"column": "ts", "min_value": {"$PARAMETER": "earliest"}},
    ),
    "max_f32_strict": (
        "expect_column_max_to_be_between",
        {"column": "f32", "max_value": 150, "strict_max": True},
    ),
    "mean_f32": (
        "expect_column_mean_to_be_between",
        {"column": "f32", "min_value": 5, "max_value": 90},
    ),
    "rows": ("expect_table_row_count_to_be_between", {"min_value": N, "max_value": N}),
    "distinct_cat": (
        "expect_column_distinct_values_to_be_in_set",
        {"column": "cat", "value_set": ["a"]},
    ),
    "distinct_i8": (
        "expect_column_distinct_values_to_be_in_set",
        {"column": "i8", "value_set": [0, 1, 2]},
    ),
    "type_f32": ("expect_column_values_to_be_of_type", {"column": "f32", "type_": "float32"}),
    "type_cat": ("expect_column_values_to_be_of_type", {"column": "cat", "type_": "int8"}),
    "columns": (
        "expect_table_columns_to_match_set",
        {"column_set": ["f32", "id", "nope"], "exact_match": False},
    ),
}
PARAMS = {
    "earliest": pd.Timestamp("2026-11-02 00:30", tz="UTC"),
    "noon": pd.Timestamp("2026-11-02 12:00", tz="UTC"),
}


def _suite(tmp_path, name, kind, kwargs):
    spec = {"name": "t", "expectations": [{"type": kind, "kwargs": kwargs, "meta": {"name": name}}]}
    path = tmp_path / f"{name}.json"
    path.write_text(json.dumps(spec))
    return path


def _text(values) -> list[str]:
    """Values as text, every kind of null alike (Dask may store text as string[pyarrow])."""

    def one(v):
        if isinstance(v, dict):
            return str({k: one(x) for k, x in v.items()})
        return "null" if pd.api.types.is_scalar(v) and pd.isna(v) else str(v)

    return [one(v) for v in values]


def _observed(value):
    return None if value is None else str(value)


@pytest.mark.parametrize("nulls", [False, True], ids=["plain", "more-nulls"])
@pytest.mark.parametrize("name", sorted(CASES))
def test_ours_equals_gx_on_pandas_and_dask(tmp_path, name, nulls):
    df = _with_nulls(_frame()) if nulls else _frame()
    kind, kwargs = CASES[name]
    path = _suite(tmp_path, name, kind, kwargs)
    gx = validate(df, path, parameters=PARAMS, evaluator="gx").outcomes[0]
    ours = validate(df, path, parameters=PARAMS).outcomes[0]
    on_dask = validate(
        dd.from_pandas(df, npartitions=4, sort=False), path, parameters=PARAMS, progress=False
    ).outcomes[0]
    assert gx.exception is None, gx.exception
    assert gx.evaluated_by == GX_ROWS
    for field in FIELDS:
        assert getattr(ours, field) == getattr(gx, field), (field, "pandas")
        assert getattr(on_dask, field) == getattr(gx, field), (field, "dask")
    # on one frame, the values themselves (types included) are GX's
    assert repr(ours.observed_value) == repr(gx.observed_value)
    assert repr(list(ours.unexpected_sample)) == repr(list(gx.unexpected_sample))
    # Dask merges partial results: same values in the same order
    assert _text(on_dask.unexpected_sample) == _text(gx.unexpected_sample)
    if kind == "expect_column_mean_to_be_between":  # summed in float64 across partitions
        assert float(on_dask.observed_value) == pytest.approx(float(gx.observed_value), rel=1e-6)
    else:
        assert _observed(on_dask.observed_value) == _observed(gx.observed_value)
    expected = GX_DTYPES if "type" in name or name == "columns" else OURS
    assert ours.evaluated_by == expected and on_dask.evaluated_by == expected


def test_cases_cover_every_type_the_suites_use():
    from cibg_ds.quality import load_suite

    used = {
        e.type
        for s in ("pings", "communes", "commune_indicators")
        for e in load_suite(s).expectations
    }
    assert used <= {kind for kind, _ in CASES.values()}


def test_an_expectation_we_do_not_implement_falls_back_to_gx_and_says_so(tmp_path):
    df = _frame()
    path = _suite(
        tmp_path, "median", "expect_column_median_to_be_between", {"column": "f64", "min_value": 50}
    )
    result = validate(df, path)
    gx = validate(df, path, evaluator="gx")
    assert result.outcomes[0].evaluated_by == GX_ROWS
    assert result.provenance["gx_fallback"] == ["median"]
    assert result.outcomes[0].success == gx.outcomes[0].success
    assert result.outcomes[0].observed_value == gx.outcomes[0].observed_value
    text_bounds = _suite(
        tmp_path,
        "text",
        "expect_column_values_to_be_between",
        {"column": "obj", "min_value": "0", "max_value": "9"},
    )
    ours = validate(df, text_bounds).outcomes[0]
    assert ours.evaluated_by == GX_ROWS  # GX compares Python strings: left to GX
    assert (
        ours.unexpected_count
        == validate(df, text_bounds, evaluator="gx").outcomes[0].unexpected_count
    )


def test_the_pings_suite_evaluates_everything_itself(dirty_frame):
    result = validate(
        dirty_frame.head(5000), "pings", parameters={"now": pd.Timestamp("2026-12-01", tz="UTC")}
    )
    assert result.provenance["gx_fallback"] == []
    assert {o.evaluated_by for o in result.outcomes} == {OURS, GX_DTYPES}


def test_unknown_evaluator_is_named():
    from cibg_ds.errors import ParameterError
    from cibg_ds.io import load_commune_facts

    with pytest.raises(ParameterError, match="evaluator"):
        validate(load_commune_facts(), "communes", evaluator="fast")


def test_types_of_an_object_column_are_left_to_gx_which_checks_every_value(tmp_path):
    df = _frame()
    path = _suite(
        tmp_path,
        "type_obj",
        "expect_column_values_to_be_of_type",
        {"column": "obj", "type_": "str"},
    )
    gx, ours = (validate(df, path, evaluator=how).outcomes[0] for how in ("gx", "cibg_ds"))
    assert ours.evaluated_by == GX_ROWS and gx.element_count == N
    assert [getattr(ours, f) for f in FIELDS] == [getattr(gx, f) for f in FIELDS]
    # Dask stores object text as strings: there the dtype decides, as GX on the partitions
    ddf = dd.from_pandas(df, npartitions=4, sort=False)
    gx, ours = (
        validate(ddf, path, progress=False, evaluator=how).outcomes[0] for how in ("gx", "cibg_ds")
    )
    assert ours.evaluated_by == GX_DTYPES and ours.observed_value == gx.observed_value
    assert [getattr(ours, f) for f in FIELDS] == [getattr(gx, f) for f in FIELDS]


@pytest.mark.parametrize("nulls", [False, True], ids=["plain", "more-nulls"])
@pytest.mark.parametrize("name", sorted(n for n, c in CASES.items() if c[0] in NATIVE_ROW_WISE))
def test_rows_flagged_are_gx_unexpected_index_list(tmp_path, name, nulls):
    """The quarantine flags rows with our evaluation: the rows GX lists, no more, no fewer."""
    from cibg_ds.quality import load_suite
    from cibg_ds.quality.gx_pandas import run_gx
    from cibg_ds.quality.native import evaluate, unexpected_rows

    df = _with_nulls(_frame()) if nulls else _frame()
    suite = load_suite(_suite(tmp_path, name, *CASES[name]))
    (e,) = suite.expectations
    flags = unexpected_rows(df, e, PARAMS)
    if flags is None:  # left to GX: by the quarantine as by the validation
        assert evaluate(df, e, PARAMS) is None
        return
    (gx,) = run_gx(df, suite.spec, PARAMS, complete=True)
    listed = gx["result"].get("unexpected_index_list") or []
    assert np.flatnonzero(flags).tolist() == sorted(int(i) for i in listed)
