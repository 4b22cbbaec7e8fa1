import json

import great_expectations as gx
import pytest

from cibg_ds.errors import InputError
from cibg_ds.quality import list_suites, load_suite
from cibg_ds.quality.suites import SUITES_DIR


def test_the_three_suites_exist():
    assert set(list_suites()) >= {"pings", "communes", "commune_indicators"}


@pytest.mark.parametrize("name", ["pings", "communes", "commune_indicators"])
def test_gx_itself_loads_each_suite_and_a_file_context_keeps_it(name, tmp_path):
    spec = json.loads((SUITES_DIR / f"{name}.json").read_text())
    suite = gx.ExpectationSuite(**spec)
    assert suite.name == name
    assert len(suite.expectations) == len(spec["expectations"]) > 5
    context = gx.get_context(mode="file", project_root_dir=str(tmp_path))
    context.suites.add(suite)
    again = gx.get_context(mode="file", project_root_dir=str(tmp_path)).suites.get(name)
    assert [e.expectation_type for e in again.expectations] == [
        e["type"] for e in spec["expectations"]
    ]


def test_pings_suite_covers_what_the_data_contract_requires():
    suite = load_suite("pings")
    kinds = {(e.type, e.column) for e in suite.expectations}
    for column in (
        "obu_id",
        "ts",
        "lat",
        "lon",
        "speed_kmh",
        "weight_class",
        "euro_class",
        "country",
    ):
        assert ("expect_column_values_to_not_be_null", column) in kinds
        assert ("expect_column_values_to_be_of_type", column) in kinds
    assert ("expect_compound_columns_to_be_unique", "obu_id, ts") in kinds
    assert ("expect_column_max_to_be_between", "ts") in kinds
    names = {e.name for e in suite.expectations}
    assert {"lat_in_belgium", "lon_in_belgium", "speed_plausible", "country_iso"} <= names
    assert [c.name for c in suite.checks] == ["fixes_in_time_order"]


def test_bad_suites_get_clear_errors(tmp_path):
    with pytest.raises(InputError, match=r"unknown suite 'pingz'; known suites: .*pings"):
        load_suite("pingz")
    (tmp_path / "broken.json").write_text("{not json")
    with pytest.raises(InputError, match=r"broken.json: not a readable JSON suite"):
        load_suite(tmp_path / "broken.json")
    twice = {
        "name": "t",
        "expectations": [
            {"type": "expect_column_to_exist", "kwargs": {"column": "a"}, "meta": {"name": "x"}},
            {"type": "expect_column_to_exist", "kwargs": {"column": "b"}, "meta": {"name": "x"}},
        ],
    }
    (tmp_path / "twice.json").write_text(json.dumps(twice))
    with pytest.raises(InputError, match=r"names used twice: \['x'\]"):
        load_suite(tmp_path / "twice.json")
    bogus = {"name": "t", "expectations": [{"type": "expect_the_moon", "kwargs": {}}]}
    (tmp_path / "bogus.json").write_text(json.dumps(bogus))
    with pytest.raises(InputError, match=r"bogus.json: Great Expectations refuses this suite"):
        load_suite(tmp_path / "bogus.json")
