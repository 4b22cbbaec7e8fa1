"""What each expectation type needs on Dask, and the suites' ``$PARAMETER`` values."""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

from cibg_ds.errors import ParameterError

ROW_WISE = frozenset({
    "expect_column_values_to_not_be_null",
    "expect_column_values_to_be_null",
    "expect_column_values_to_be_between",
    "expect_column_values_to_be_in_set",
    "expect_column_values_to_not_be_in_set",
    "expect_column_values_to_match_regex",
    "expect_column_values_to_not_match_regex",
})  # fmt: skip
"""GX per partition; counts add up."""
SCHEMA = frozenset({
    "expect_column_values_to_be_of_type",
    "expect_column_values_to_be_in_type_list",
    "expect_table_columns_to_match_set",
    "expect_table_columns_to_match_ordered_list",
    "expect_column_to_exist",
})  # fmt: skip
"""GX per partition; passes when every partition passes."""
AGGREGATE = frozenset({
    "expect_table_row_count_to_be_between",
    "expect_column_min_to_be_between",
    "expect_column_max_to_be_between",
    "expect_column_mean_to_be_between",
    "expect_column_distinct_values_to_be_in_set",
})  # fmt: skip
"""Computed per partition by cibg_ds, merged exactly, judged like GX."""
UNIQUE = frozenset({"expect_compound_columns_to_be_unique", "expect_column_values_to_be_unique"})
"""Global: duplicates may sit in different partitions."""
SUPPORTED_ON_DASK = ROW_WISE | SCHEMA | AGGREGATE | UNIQUE

REJECTED_BY = "_rejected_by"
"""Column of rejected rows: the names of the expectations they failed, ``;``-separated."""


def default_parameters() -> dict:
    """Values of the suites' ``$PARAMETER`` references: ``now`` and ``earliest``."""
    return {
        "now": pd.Timestamp.now(tz="UTC"),
        "earliest": pd.Timestamp("2016-04-01", tz="UTC"),  # start of the kilometre charge
    }


def resolve(value, parameters: dict):
    """Replace a ``{"$PARAMETER": name}`` reference by its value."""
    if isinstance(value, Mapping) and "$PARAMETER" in value:
        name = value["$PARAMETER"]
        if name not in parameters:
            raise ParameterError(f"the suite needs parameter {name!r}; pass parameters={{...}}")
        return parameters[name]
    return value
