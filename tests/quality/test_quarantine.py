import json

import dask.dataframe as dd
import pandas as pd
import pytest

from cibg_ds.quality.quarantine import annotate, split_valid, write_quarantine

NOW = {"now": pd.Timestamp("2026-12-01", tz="UTC")}
#: The reasons a row carrying each injected fault must be rejected with.
SIGNATURES = {
    "null_coordinates": {"lat_not_null;lon_not_null"},
    "zero_coordinates": {"lat_in_belgium;lon_in_belgium;lat_not_zero"},
    "jump_out_of_belgium": {"lat_in_belgium;lon_in_belgium", "lat_in_belgium"},
    "impossible_speed": {"speed_plausible"},
    "unknown_weight_class": {"weight_class_known"},
    "unknown_euro_class": {"euro_class_known"},
    "naive_timestamp": {"ts_not_null"},
    "out_of_time_order": {"fixes_in_time_order"},
}


def test_every_injected_fault_is_caught_with_its_count(sim_dirty, dirty_frame):
    faults = json.loads((sim_dirty.out / "_meta" / "dirty_manifest.json").read_text())["faults"]
    clean, rejected = split_valid(dirty_frame, "pings", parameters=NOW)
    assert len(clean) + len(rejected) == len(dirty_frame)
    reasons = rejected["_rejected_by"].value_counts()
    for kind, signature in SIGNATURES.items():
        assert reasons.reindex(list(signature), fill_value=0).sum() == faults[kind], kind
    # GX flags every copy of a duplicated (unit, time): the original and its duplicate
    assert reasons["one_fix_per_unit_and_time"] == 2 * faults["duplicate_fix"]
    expected = set().union(*SIGNATURES.values()) | {"one_fix_per_unit_and_time"}
    assert set(reasons.index) == expected
    assert not clean.duplicated(["obu_id", "ts"]).any()


@pytest.mark.cluster
def test_dask_quarantine_equals_pandas_row_for_row(dirty_frame, dask_client, tmp_path):
    expected = annotate(dirty_frame, "pings", NOW)["_rejected_by"]
    ddf = dd.from_pandas(dirty_frame, npartitions=6, sort=False)
    with dask_client.as_current():
        got = annotate(ddf, "pings", NOW).compute()["_rejected_by"]
        counts = write_quarantine(ddf, "pings", tmp_path / "q", parameters=NOW)
    assert got.tolist() == expected.tolist()
    assert counts["rows"] == len(dirty_frame) == counts["clean"] + counts["rejected"]
    assert counts["rejected"] == int((expected != "").sum())
    rejected = pd.read_parquet(tmp_path / "q" / "rejected")
    clean = pd.read_parquet(tmp_path / "q" / "clean")
    assert len(rejected) == counts["rejected"] and len(clean) == counts["clean"]
    assert (rejected["_rejected_by"] != "").all() and "_rejected_by" not in clean
    assert not list((tmp_path / "q").rglob(".*"))  # no temporary files left


def test_clean_data_loses_nothing(dirty_frame):
    clean, _ = split_valid(dirty_frame, "pings", parameters=NOW)
    again_clean, again_rejected = split_valid(clean.reset_index(drop=True), "pings", parameters=NOW)
    assert len(again_rejected) == 0 and len(again_clean) == len(clean)


def _parts(folder):
    return {p.name: pd.read_parquet(p) for p in sorted(folder.glob("*.parquet"))}


@pytest.mark.cluster
def test_one_read_quarantine_equals_validation_then_quarantine(sim_dirty, dask_client, tmp_path):
    from cibg_ds.io import read_pings
    from cibg_ds.quality import validate
    from cibg_ds.quality.quarantine import validate_and_quarantine

    frame = read_pings(sim_dirty.out, keep_raw=True).compute().reset_index(drop=True)
    # keys repeated in a later partition, and fixes earlier than their unit's last fix in
    # earlier partitions: those partitions are read again
    late = frame.iloc[[5, 50, 500]].copy()
    late["ts"] = late["ts"] - pd.Timedelta("1h")
    cases = {
        "as read": dd.from_pandas(frame, npartitions=6, sort=False),
        "across": dd.from_pandas(
            pd.concat([frame, frame.iloc[[3, 30, 300]], late], ignore_index=True),
            npartitions=6,
            sort=False,
        ),
    }
    with dask_client.as_current():
        for case, ddf in cases.items():
            before = validate(ddf.drop(columns=["_raw_values"]), "pings", parameters=NOW)
            counts = write_quarantine(ddf, "pings", tmp_path / case / "a", parameters=NOW,
                                      plan=before.plan)  # fmt: skip
            result, got = validate_and_quarantine(ddf, "pings", tmp_path / case / "b",
                                                  parameters=NOW)  # fmt: skip
            pd.testing.assert_frame_equal(result.to_frame(), before.to_frame())
            assert result.rows == before.rows and result.partitions == before.partitions
            assert {k: got[k] for k in ("rows", "clean", "rejected")} == {
                k: counts[k] for k in ("rows", "clean", "rejected")
            }
            for name in ("clean", "rejected"):
                a, b = _parts(tmp_path / case / "a" / name), _parts(tmp_path / case / "b" / name)
                assert list(a) == list(b), (case, name)
                for part in a:
                    pd.testing.assert_frame_equal(a[part], b[part])
            assert not list((tmp_path / case / "b").rglob(".*"))
            if case == "across":
                assert 1 <= got["reread"] < ddf.npartitions
                assert counts["rejected"] > before.rows - len(frame)
