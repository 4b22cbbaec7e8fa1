"""The simulator end to end on a real Dask cluster (scheduler and workers as processes)."""

import json

import geopandas as gpd
import pandas as pd
import pytest

from cibg_ds import schema
from cibg_ds.errors import InputError, ParameterError
from cibg_ds.io import read_pings
from cibg_ds.synthetic import simulate
from cibg_ds.synthetic.dirty import FAULT_KINDS, UNKNOWN_WEIGHT_CLASSES
from cibg_ds.synthetic.network import build_network

pytestmark = pytest.mark.cluster


def test_dataset_is_partitioned_by_local_day_with_a_manifest(sim_clean):
    out = sim_clean.out
    manifest = json.loads((out / "_meta" / "manifest.json").read_text())
    assert manifest["rows"] == sim_clean.rows
    assert set(manifest["rows_by_date"]) >= {"2026-11-06", "2026-11-07", "2026-11-08"}
    pings = read_pings(out).compute()
    assert len(pings) == sim_clean.rows
    local_day = pings["ts"].dt.tz_convert("Europe/Brussels").dt.strftime("%Y-%m-%d")
    assert local_day.value_counts().to_dict() == manifest["rows_by_date"]
    for file in sim_clean.files:  # every file holds only its own day
        day = file.parent.name.removeprefix("date=")
        ts = pd.read_parquet(file, columns=["ts"])["ts"].dt.tz_convert("Europe/Brussels")
        assert (ts.dt.strftime("%Y-%m-%d") == day).all()
    days = manifest["rows_by_date"]
    assert days["2026-11-08"] < 0.15 * days["2026-11-06"]  # Sunday vs Friday
    roads = gpd.read_file(out / "_meta" / "roads.gpkg", layer="roads")  # the roads driven on
    driven = build_network().to_geodataframe()
    columns = ["segment_id", "osm_id", "highway", "maxspeed", "tunnel", "length_m"]
    pd.testing.assert_frame_equal(roads[columns], driven[columns], check_dtype=False)
    assert roads.geometry.geom_equals_exact(driven.geometry, 0.01).all()
    routes = pd.read_parquet(out / "_meta" / "truth_routes.parquet")
    assert set(routes["obu_id"]) >= set(pings["obu_id"])
    assert routes["segment_ids"].map(len).min() >= 1
    assert not list(out.rglob("*.tmp*"))


def test_same_seed_same_data_whatever_the_task_size(tmp_path, dask_client, sim_clean):
    again = simulate(
        tmp_path / "again",
        trucks=300,
        days=3,
        start="2026-11-06",
        seed=11,
        trucks_per_task=70,
        client=dask_client,
        progress=False,
    )
    assert len(again.files) != len(sim_clean.files)
    key = ["obu_id", "ts"]
    a = read_pings(sim_clean.out).compute().sort_values(key, ignore_index=True)
    b = read_pings(again.out).compute().sort_values(key, ignore_index=True)
    pd.testing.assert_frame_equal(a, b, check_categorical=False)


def test_refuses_to_clobber(tmp_path, dask_client, sim_clean):
    with pytest.raises(InputError, match=r"not empty.*--overwrite"):
        simulate(sim_clean.out, trucks=5, client=dask_client, progress=False)
    (tmp_path / "home").mkdir()
    (tmp_path / "home" / "thesis.docx").write_text("precious")
    with pytest.raises(InputError, match=r"refusing to overwrite.*thesis.docx"):
        simulate(tmp_path / "home", trucks=5, overwrite=True, client=dask_client, progress=False)
    assert (tmp_path / "home" / "thesis.docx").exists()
    with pytest.raises(ParameterError, match=r"trucks"):
        simulate(tmp_path / "x", trucks=0, client=dask_client)
    with pytest.raises(ParameterError, match=r"start"):
        simulate(tmp_path / "x", start="02/11/2026", client=dask_client)


def test_dirty_manifest_counts_exactly_what_is_in_the_data(sim_dirty):
    manifest = json.loads((sim_dirty.out / "_meta" / "dirty_manifest.json").read_text())
    faults = manifest["faults"]
    assert set(faults) == set(FAULT_KINDS) and min(faults.values()) > 0
    raw = pd.concat([pd.read_parquet(f) for f in sim_dirty.files], ignore_index=True)
    assert len(raw) == manifest["rows"] == sim_dirty.rows
    found = {
        "duplicate_fix": int(raw.duplicated().sum()),
        "null_coordinates": int(raw["lat"].isna().sum()),
        "zero_coordinates": int(((raw["lat"] == 0) & (raw["lon"] == 0)).sum()),
        "jump_out_of_belgium": int((raw["lat"].between(43, 47.5) & (raw["lat"] != 0)).sum()),
        "impossible_speed": int(((raw["speed_kmh"] < 0) | (raw["speed_kmh"] > 150)).sum()),
        "unknown_weight_class": int(raw["weight_class"].isin(UNKNOWN_WEIGHT_CLASSES).sum()),
        "unknown_euro_class": int((~raw["euro_class"].between(0, 6)).sum()),
        "naive_timestamp": int((~raw["ts"].str.endswith("Z")).sum()),
    }
    order = 0
    for file in sim_dirty.files:  # in file order: a fix earlier than its unit's previous fix
        df = pd.read_parquet(file).drop_duplicates()
        df = df[df["ts"].str.endswith("Z")]  # naive local stamps would add false steps back
        ts = pd.to_datetime(df["ts"], utc=True)
        order += int((ts.groupby(df["obu_id"]).diff() < pd.Timedelta(0)).sum())
    found["out_of_time_order"] = order
    assert found == faults
    # through the reader, naive times become null and unknown labels stay visible
    pings = read_pings(sim_dirty.out).compute()
    assert int(pings["ts"].isna().sum()) == faults["naive_timestamp"]
    unknown = ~pings["weight_class"].isin(schema.WEIGHT_CLASSES)
    assert int(unknown.sum()) == faults["unknown_weight_class"]
