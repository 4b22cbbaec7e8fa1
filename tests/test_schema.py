import pytest

from cibg_ds import schema
from cibg_ds.errors import InputError


def test_missing_column_is_named_with_the_closest_match():
    with pytest.raises(InputError) as err:
        schema.require_columns(["obu_id", "timestamp", "latt"], ["obu_id", "ts", "lat"], "f.csv")
    text = str(err.value)
    assert text.startswith("f.csv: missing required column(s)")
    assert "'lat' (did you mean 'latt'?)" in text
    assert "'ts'" in text and "columns found" in text


def test_contract_matches_design():
    assert schema.PING_COLUMNS == (
        "obu_id",
        "ts",
        "lat",
        "lon",
        "speed_kmh",
        "heading_deg",
        "weight_class",
        "euro_class",
        "country",
    )
    assert str(schema.PING_DTYPES["ts"]) == "datetime64[ns, UTC]"
    assert schema.BRUSSELS_NIS[0] == "21001" and len(schema.BRUSSELS_NIS) == 19
