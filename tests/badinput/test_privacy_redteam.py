"""Red team of the privacy gate: every way tried to smuggle ids, fixes or small counts out.

Each case builds a complete run record whose shipped product tries one trick, and asserts
that ``deliver`` refuses it, names the file and the reason, and writes nothing.
"""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
from shapely.geometry import Point

import cibg_ds
from cibg_ds.pipelines import BundleRefused, deliver
from cibg_ds.privacy import suppress
from tests.badinput.conftest import make_run, nothing_in

SPACES = Path(cibg_ds.__file__).parent / "data" / "computer_spaces_sample.csv"
IDS = ["3f9a0c1d2b4e5f60", "a1b2c3d4e5f60718", "00112233445566aa", "ffeeddccbbaa9988"]
TIMES = pd.date_range("2026-11-03 07:00", periods=8, freq="30s", tz="UTC")


def _csv(frame):
    return lambda path: frame.to_csv(path, index=False)


def _parquet(frame):
    return lambda path: frame.to_parquet(path, index=False)


def _geojson(frame):
    def write(path):
        points = [Point(4.35 + i / 100, 50.85) for i in range(len(frame))]
        gpd.GeoDataFrame(frame, geometry=points, crs=4326).to_file(path, driver="GeoJSON")

    return write


def _fixes(**names):
    """Eight fixes of two units, under whatever column names."""
    frame = pd.DataFrame(
        {
            "who": [1, 1, 1, 1, 2, 2, 2, 2],
            "y": [50.8412 + i / 997 for i in range(8)],
            "x": [4.3521 + i / 991 for i in range(8)],
            "when": TIMES.astype(str),
        }
    )
    return frame.rename(columns=names)


def _notebook(text):
    cell = {"cell_type": "code", "source": "show()", "metadata": {}, "execution_count": 1,
            "outputs": [{"output_type": "stream", "name": "stdout", "text": text}]}  # fmt: skip
    return json.dumps({"cells": [cell], "metadata": {}, "nbformat": 4, "nbformat_minor": 5})


SMALL = pd.DataFrame({"cell": ["a", "b"], "n_vehicles": [12, 2], "vkm": [5.0, 1.0]})

TRICKS = {
    "upper-case id column": ({"t.csv": _csv(pd.DataFrame({"OBU_ID": IDS, "n_vehicles": 9}))},
                             "unit id column"),
    "dashed id column in parquet": (
        {"t.parquet": _parquet(pd.DataFrame({"Unit-Id": IDS, "n_vehicles": 9}))}, "unit id"),
    "pseudonyms under an innocent name": (
        {"t.csv": _csv(pd.DataFrame({"ref": IDS, "n_vehicles": 9}))}, "look like unit ids"),
    "raw OBU ids as labels": (
        {"t.csv": _csv(pd.DataFrame({"label": ["OBU0000012", "OBU0000013"], "n_vehicles": 9}))},
        "look like unit ids"),
    "a json list of ids": ({"units.json": json.dumps(IDS)}, "look like unit ids"),
    "json records with an id field": (
        {"t.json": json.dumps([{"obu_id": "x1", "n_vehicles": 9}])}, "unit id field"),
    "json columns with small counts": (
        {"t.json": json.dumps({"cell": ["a", "b"], "n_vehicles": [12, 2]})},
        "fewer than 5 distinct vehicles"),
    "json split orient with small counts": (
        {"t.json": SMALL.to_json(orient="split", index=False)}, "fewer than 5"),
    "suppressed rows whose values are still there": (
        {"t.csv": _csv(SMALL.assign(suppressed=[False, True]))}, "still show their values"),
    "suppressed flag as text": (
        {"t.csv": _csv(SMALL.assign(suppressed=["no", "true"]))}, "still show their values"),
    "fixes under other names with a time": ({"t.csv": _csv(_fixes())}, "individual fixes"),
    "fixes with the issue's names": (
        {"t.csv": _csv(_fixes(who="unit", y="lat", x="lon", when="time"))}, "individual fixes"),
    "fixes with epoch seconds": (
        {"t.parquet": _parquet(_fixes().assign(when=TIMES.astype("int64") // 10**9))},
        "individual fixes"),
    "fixes without time, many rows per key": (
        {"t.csv": _csv(_fixes().drop(columns="when"))}, "individual fixes"),
    "upper-case LAT LON TS": (
        {"t.csv": _csv(_fixes(y="LAT", x="LON", when="TS").drop(columns="who"))},
        "individual fixes"),
    "upper-case count column": ({"t.csv": _csv(SMALL.rename(columns={"n_vehicles": "N_VEHICLES"}))},
                                "fewer than 5"),
    "count under another name": ({"t.csv": _csv(SMALL.rename(columns={"n_vehicles": "n_trucks"}))},
                                 "fewer than 5"),
    "count as text": ({"t.csv": _csv(SMALL.assign(n_vehicles=["12", "few"]))}, "non-number"),
    "small counts in parquet": ({"t.parquet": _parquet(SMALL)}, "fewer than 5"),
    "small counts in geojson": ({"t.geojson": _geojson(SMALL)}, "fewer than 5"),
    "ids in geojson properties": (
        {"t.geojson": _geojson(pd.DataFrame({"vehicle": IDS, "n_vehicles": 9}))}, "unit id"),
    "ids in a tab-separated file": (
        {"t.tsv": lambda p: pd.DataFrame({"k": IDS}).to_csv(p, sep="\t", index=False)},
        "look like unit ids"),
    "ids in a text file": ({"notes.txt": "checked " + ", ".join(IDS)}, "look like unit ids"),
    "ids in a markdown file": ({"README.md": f"| unit |\n|---|\n| {IDS[0]} |"}, "unit ids"),
    "ids in notebook outputs": ({"t.ipynb": _notebook(f"unit {IDS[1]} stopped")}, "unit ids"),
    "ids in an svg": ({"t.svg": f"<svg><text>{IDS[2]}</text></svg>"}, "unit ids"),
    "a spreadsheet the gate cannot check": ({"t.xlsx": b"PK\x03\x04 not really"}, "cannot check"),
    "a file without suffix": ({"units": "\n".join(IDS)}, "cannot check"),
    "a csv renamed png": ({"t.png": "obu_id\nx1\n"}, "is not a png image"),
    "a truncated parquet": ({"t.parquet": b"PAR1\x00\x01\x02"}, "cannot be read"),
    "broken json": ({"t.json": '{"obu_id": ['}, "cannot be read"),
    "a csv that is not utf-8": ({"t.csv": b"cell,n_vehicles\n\xe9t\xe9,9\n"}, "cannot be read"),
    "ids in a parquet text column with other words": (
        {"t.parquet": _parquet(pd.DataFrame({"note": [f"seen {IDS[0]}", "ok"], "n_vehicles": 9}))},
        "unit ids"),
    "ids in a nested folder": ({"deep/er/t.csv": _csv(pd.DataFrame({"code": IDS}))}, "unit ids"),
    "an id as a product's file name": ({f"{IDS[0]}.csv": _csv(suppress(SMALL)[0])},
                                       "name looks like a unit id"),
    "an id as a folder name": ({f"{IDS[1]}/t.csv": _csv(suppress(SMALL)[0])},
                               "name looks like a unit id"),
}  # fmt: skip

HTML_TRICKS = {
    "html showing id values": (f"<table><tr><td>{IDS[0]}</td></tr></table>", "unit ids"),
    "html with an upper-case id header": ("<table><tr><th>OBU_ID</th></tr></table>", "OBU_ID"),
    "html with a spaced id header": ("<table><tr><th> unit id </th></tr></table>", "unit id"),
    "html with raw ids in text": ("<p>see OBU0001234 and OBU0001235</p>", "OBU0001234"),
}


@pytest.mark.parametrize("trick", sorted(TRICKS))
def test_each_way_to_smuggle_data_out_is_refused(tmp_path, trick):
    files, reason = TRICKS[trick]
    run = make_run(tmp_path, files)
    name = next(iter(files)).rsplit("/", 1)[-1]
    with pytest.raises(BundleRefused) as caught:
        deliver(run, tmp_path / "out")
    message = str(caught.value)
    assert "nothing written" in message and f"{name}:" in message and reason in message
    assert nothing_in(tmp_path / "out")


@pytest.mark.parametrize("trick", sorted(HTML_TRICKS))
def test_reports_showing_ids_are_refused(tmp_path, trick):
    html, reason = HTML_TRICKS[trick]
    run = make_run(tmp_path, {"ok.csv": _csv(suppress(SMALL)[0])}, html=f"<html>{html}</html>")
    with pytest.raises(BundleRefused, match=r"t\.html: ") as caught:
        deliver(run, tmp_path / "out", agency="mobility")
    assert reason in str(caught.value) and nothing_in(tmp_path / "out")


def test_an_unknown_agency_is_an_error_listing_the_known_ones(tmp_path, cli):
    run = make_run(tmp_path, {"ok.csv": _csv(suppress(SMALL)[0])}, agencies=("brussels-mobility",))
    code, _, err = cli("deliver", run, "--to", tmp_path / "out", "--agency", "brussels-mobilty")
    assert code == 2 and "unknown agency 'brussels-mobilty'" in err
    assert "brussels-mobility" in err.split("ships to")[1] and nothing_in(tmp_path / "out")


def test_what_may_leave_does_leave_and_hidden_files_stay(tmp_path):
    """No false alarm: suppressed tables, maps, pictures, summaries, a clean report."""
    published = suppress(SMALL)[0]
    png = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
    files = {
        "t.csv": _csv(published),
        "t.parquet": _parquet(published),
        "t.geojson": _geojson(published.drop(columns="suppressed").iloc[:1]),
        "map.png": png,
        "summary.json": json.dumps({"rows": 2, "suppressed": 1, "k": 5}),
        "communes.csv": _csv(pd.DataFrame({"nis": [21001, 21004], "lat": [50.8363, 50.8466],
                                           "lon": [4.3101, 4.3514], "score": [0.3, 0.7]})),
        "spaces.csv": lambda p: p.write_bytes(SPACES.read_bytes()),  # public places
        "_internal/units.csv": _csv(pd.DataFrame({"obu_id": IDS})),
        ".hidden.csv": _csv(pd.DataFrame({"obu_id": IDS})),
    }  # fmt: skip
    html = '<html><img src="data:image/png;base64,3f9a0c1d2b4e5f60aa"><th>cell</th></html>'
    run = make_run(tmp_path, files, html=html)
    bundle = deliver(run, tmp_path / "out", agency="mobility")
    names = set(zipfile.ZipFile(bundle).namelist())
    assert {"products/t.csv", "products/map.png", "html/t.html", "manifest.json"} <= names
    assert "products/_internal/units.csv" not in names and "products/.hidden.csv" not in names
