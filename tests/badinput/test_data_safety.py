"""Nothing the tool did not write is deleted: ``simulate --overwrite`` on foreign data."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from cibg_ds.errors import InputError
from cibg_ds.synthetic import simulate


def _snapshot(folder):
    return {str(p.relative_to(folder)): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


@pytest.fixture
def tiny(tmp_path, dask_client):
    """A tiny simulated dataset (5 trucks, one day, in 3 tasks)."""
    return simulate(tmp_path / "sim", trucks=5, trucks_per_task=2, client=dask_client,
                    progress=False).out  # fmt: skip


def _real_feed(folder):
    part = folder / "date=2026-10-01" / "obu_export_1.parquet"
    part.parent.mkdir(parents=True)
    pd.DataFrame({"obu_id": ["a"], "ts": ["2026-10-01T08:00:00Z"]}).to_parquet(part)
    return folder


def test_a_real_hive_feed_without_meta_survives(tmp_path, cli, dask_scheduler):
    feed = _real_feed(tmp_path / "feed")
    before = _snapshot(feed)
    code, _, err = cli("simulate", "--out", feed, "--trucks", 3, "--overwrite",
                       "--scheduler", dask_scheduler)  # fmt: skip
    assert code == 1 and "refusing to overwrite" in err and "obu_export_1.parquet" in err
    assert "nothing was deleted" in err and _snapshot(feed) == before


def test_a_user_file_inside_a_simulated_date_folder_survives(tiny, cli, dask_scheduler):
    day = next(tiny.glob("date=*"))
    (day / "my_notes.csv").write_text("keep,me\n")
    before = _snapshot(tiny)
    code, _, err = cli("simulate", "--out", tiny, "--trucks", 3, "--overwrite",
                       "--scheduler", dask_scheduler)  # fmt: skip
    assert code == 1 and f"{day.name}/my_notes.csv" in err and "did not write" in err
    assert _snapshot(tiny) == before


@pytest.mark.parametrize("where", ["_meta/notes.txt", "extra/x.parquet", ".hidden"])
def test_a_user_file_anywhere_else_survives(tiny, where):
    (tiny / where).parent.mkdir(exist_ok=True)
    (tiny / where).write_text("mine")
    before = _snapshot(tiny)
    with pytest.raises(InputError, match="nothing was deleted"):
        simulate(tiny, trucks=3, overwrite=True, progress=False)
    assert _snapshot(tiny) == before


def test_a_broken_manifest_means_not_ours(tiny):
    (tiny / "_meta" / "manifest.json").write_text("{not json")
    before = _snapshot(tiny)
    with pytest.raises(InputError, match=r"no readable _meta/manifest\.json"):
        simulate(tiny, trucks=3, overwrite=True, progress=False)
    assert _snapshot(tiny) == before


def test_overwriting_our_own_dataset_leaves_no_stale_part(tiny, dask_client):
    old = set(json.loads((tiny / "_meta" / "manifest.json").read_text())["files"])
    again = simulate(tiny, trucks=5, trucks_per_task=5, seed=3, overwrite=True,
                     client=dask_client, progress=False)  # fmt: skip
    files = {str(p.relative_to(tiny)) for p in tiny.glob("date=*/*")}
    assert files == {str(f.relative_to(tiny)) for f in again.files} and files != old
    assert sum(len(pd.read_parquet(tiny / f)) for f in files) == again.rows


def test_without_overwrite_a_dataset_is_never_touched(tiny, cli, dask_scheduler):
    before = _snapshot(tiny)
    code, _, err = cli("simulate", "--out", tiny, "--trucks", 3, "--scheduler", dask_scheduler)
    assert code == 1 and "--overwrite" in err and _snapshot(tiny) == before


def _interrupted(tiny):
    """The state an interrupted simulation leaves: parts written, no manifest, the marker."""
    (tiny / "_meta" / "manifest.json").unlink()
    (tiny / "_meta" / "INCOMPLETE").write_text("interrupted")
    return tiny


def test_an_interrupted_simulation_cannot_be_read_as_if_complete(tiny):
    from cibg_ds.io import read_pings

    with pytest.raises(InputError, match="incomplete simulated dataset"):
        read_pings(_interrupted(tiny))


def test_an_interrupted_simulation_can_be_overwritten(tiny, dask_client):
    again = simulate(_interrupted(tiny), trucks=4, overwrite=True, client=dask_client,
                     progress=False)  # fmt: skip
    meta = tiny / "_meta"
    assert not (meta / "INCOMPLETE").exists() and (meta / "manifest.json").exists()
    assert {p for p in tiny.glob("date=*/*")} == set(again.files)


def test_a_user_file_in_an_interrupted_simulation_survives(tiny):
    notes = _interrupted(tiny) / "date=2026-11-02" / "notes.txt"
    notes.parent.mkdir(exist_ok=True)
    notes.write_text("mine")
    with pytest.raises(InputError, match=r"interrupted simulation does not write.*notes\.txt"):
        simulate(tiny, trucks=3, overwrite=True, progress=False)
    assert notes.read_text() == "mine"
