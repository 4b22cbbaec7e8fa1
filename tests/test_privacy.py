import pandas as pd
import pytest

from cibg_ds.errors import ParameterError
from cibg_ds.privacy import PrivacyError, check_publishable, resolve_k, suppress


def _table():
    return pd.DataFrame(
        {
            "commune": ["21001", "21004", "21009"],
            "hour": [7, 7, 8],
            "n_vehicles": [12, 4, 5],
            "vkm": [120.5, 3.2, 9.9],
            "anomaly": [False, True, False],
        }
    )


def test_cells_under_k_are_blanked_and_counted():
    published, report = suppress(_table())
    assert report.k == 5 and report.cells == 1 and report.rows == 3
    row = published.iloc[1]
    assert pd.isna(row["vkm"]) and pd.isna(row["n_vehicles"]) and row["suppressed"]
    assert published["commune"].tolist() == ["21001", "21004", "21009"]  # keys stay
    assert published["hour"].tolist() == [7, 7, 8]  # numeric keys too
    assert published["anomaly"].dtype == "boolean" and pd.isna(row["anomaly"])
    assert published.loc[2, "vkm"] == 9.9  # exactly k is published
    assert suppress(_table(), k=3)[1].cells == 0


def test_k_is_never_below_three_and_follows_the_setting(monkeypatch):
    with pytest.raises(ParameterError, match=">= 3"):
        suppress(_table(), k=2)
    monkeypatch.setenv("CIBG_DS_K_ANONYMITY", "10")
    assert resolve_k() == 10 and suppress(_table())[1].cells == 2  # 4 and 5 < 10 <= 12


def test_check_publishable_names_every_problem():
    raw = _table().assign(obu_id="x", lat=50.8, lon=4.3, ts=pd.Timestamp("2026-11-03", tz="UTC"))
    verdict = check_publishable(raw)
    assert not verdict.ok and len(verdict.problems) == 3
    text = " ".join(verdict.problems)
    assert "obu_id" in text and "individual fixes" in text and "fewer than 5" in text
    with pytest.raises(PrivacyError, match="vkm table is not publishable"):
        verdict.raise_if_not("vkm table")
    assert check_publishable(suppress(_table())[0]).ok
    assert not check_publishable(_table().drop(columns="n_vehicles")).ok
    assert check_publishable(pd.DataFrame({"nis": ["21001"], "score": [3.2]}), count=None).ok


def test_blanked_counts_stay_integers_in_the_published_csv():
    table = pd.DataFrame(
        {"cell_id": ["c1", "c2"], "n_vehicles": [2, 8], "n_trips": [3, 12], "share": [0.5, 0.25]}
    )
    published, _ = suppress(table)
    assert str(published["n_trips"].dtype) == "Int64" and str(published["share"].dtype) == "Float64"
    lines = published.to_csv(index=False).splitlines()
    assert lines[1:] == ["c1,,,,True", "c2,8,12,0.25,False"]  # "12", never "12.0"
