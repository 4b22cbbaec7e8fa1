"""Bad input: clear errors naming the file, nothing half-written."""

import pandas as pd
import pytest

from cibg_ds.errors import InputError
from cibg_ds.io import load_commune_facts
from cibg_ds.quality.job import read_table, validate_path


def test_statbel_style_table_with_bom_and_pipes(tmp_path):
    facts = load_commune_facts()
    path = tmp_path / "facts.csv"
    path.write_text(facts.to_csv(sep="|", index=False), encoding="utf-8-sig")
    table = read_table(path)
    assert list(table.columns) == list(facts.columns) and table["nis"].iloc[0] == "21001"
    result, _ = validate_path(path, "communes", report=tmp_path / "r.html", progress=False)
    assert result.success and (tmp_path / "r.json").exists()


def test_bad_files_name_themselves(tmp_path, dirty_frame):
    (tmp_path / "empty.csv").write_text("")
    with pytest.raises(InputError, match=r"empty.csv: the file is empty"):
        validate_path(tmp_path / "empty.csv", "communes", progress=False)
    (tmp_path / "latin1.csv").write_bytes(
        "nis;name_fr\n21001;Molenbeek-Saint-Jean é\n".encode("latin-1")
    )
    with pytest.raises(InputError, match=r"latin1.csv: not UTF-8 text"):
        validate_path(tmp_path / "latin1.csv", "communes", progress=False)
    dirty_frame.head(500).to_parquet(tmp_path / "whole.parquet")
    data = (tmp_path / "whole.parquet").read_bytes()
    (tmp_path / "feed").mkdir()
    (tmp_path / "feed" / "cut.parquet").write_bytes(data[: len(data) // 2])
    out = tmp_path / "q"
    with pytest.raises(InputError, match=r"cut.parquet: not a readable Parquet file"):
        validate_path(tmp_path / "feed", "pings", quarantine=out, progress=False)
    assert not out.exists()  # nothing half-written
    dirty_frame.head(50).drop(columns="country").to_csv(tmp_path / "nocountry.csv", index=False)
    with pytest.raises(InputError, match=r"(?s)nocountry.csv: missing.*'country'"):
        validate_path(tmp_path / "nocountry.csv", "pings", progress=False)


def test_text_in_a_numeric_column_goes_to_quarantine_with_a_reason(tmp_path, dirty_frame):
    feed = dirty_frame.dropna().head(300).astype({"lat": "object"})
    feed.loc[feed.index[:4], "lat"] = "fifty point eight"
    feed.to_csv(tmp_path / "feed.csv", index=False)
    result, extra = validate_path(
        tmp_path / "feed.csv", "pings", quarantine=tmp_path / "q", progress=False
    )
    lat = {o.name: o for o in result.outcomes}["lat_not_null"]
    assert lat.unexpected_count == 4 and not result.success
    rejected = pd.read_parquet(tmp_path / "q" / "rejected")
    assert (rejected["_rejected_by"].str.contains("lat_not_null")).sum() == 4
    q = extra["quarantine"]
    assert q["rows"] == 300 == q["clean"] + q["rejected"]
