import json

import pandas as pd

from cibg_ds.quality import validate
from cibg_ds.quality.report import write_report

NOW = {"now": pd.Timestamp("2026-12-01", tz="UTC")}


def test_html_for_people_and_json_for_machines(tmp_path, dirty_frame):
    result = validate(dirty_frame, "pings", parameters=NOW, source="feed/2026-11-03")
    html_path, json_path = write_report(
        result, tmp_path / "out" / "pings.html", {"quarantine": {"rejected": 7}}
    )
    page = html_path.read_text()
    assert "FAILED" in page and f"{len(dirty_frame):,}" in page
    for o in result.outcomes:
        assert o.name in page
    assert "UNKNOWN" in page  # a sample of the unknown weight classes
    assert "feed/2026-11-03" in page and "Provenance" in page
    summary = json.loads(json_path.read_text())
    assert summary["success"] is False and summary["rows"] == len(dirty_frame)
    assert summary["quarantine"] == {"rejected": 7}
    by_name = {r["expectation"]: r for r in summary["expectation_results"]}
    assert (
        by_name["speed_plausible"]["unexpected_count"]
        == result.to_frame().set_index("expectation").loc["speed_plausible", "unexpected_count"]
    )
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["pings.html", "pings.json"]
