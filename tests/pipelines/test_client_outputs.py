"""What a client receives, checked on one real demo run: every HTML of the run record and of
both bundles opens offline in headless Chromium (no request leaves the file, no console
error, every map drawn), every file of every bundle is free of paths, hosts, tracebacks,
warnings, progress bars and unit ids, and each bundle explains itself."""

from __future__ import annotations

import codecs
import csv
import hashlib
import io
import json
import re
import zipfile
from pathlib import Path

import pandas as pd
import pytest

from tests.conftest import ON_CI, ROOT
from tests.test_jupyterlab import CHROMIUM

FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage"]  # fmt: skip

# what no file of a bundle may hold
FORBIDDEN = {
    "absolute path": re.compile(r"(?<![\w.:/])/(?:tmp|home|root|work|usr|opt|var|srv|mnt)/"),
    "the project's path": re.compile(re.escape(str(ROOT))),
    "Windows path": re.compile(r"\b[A-Z]:\\\\"),
    "loopback host": re.compile(r"127\.0\.0\.1|localhost:\d"),
    "traceback": re.compile(r"Traceback"),
    "warning": re.compile(r"Warning"),
    "progress bar": re.compile(r"it/s\]|task/s\]|%\|"),
    "unit id": re.compile(r"obu_id"),
    "module name": re.compile(r"cibg_ds\.[a-z_]+"),
}


@pytest.fixture(scope="module")
def browser():
    if not CHROMIUM.exists():
        if ON_CI:
            pytest.fail("/usr/bin/chromium is missing on CI: .ci/run installs Debian's chromium")
        pytest.skip("Debian's chromium is not installed (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        launched = p.chromium.launch(executable_path=str(CHROMIUM), args=FLAGS)
        yield launched
        launched.close()


def _pages(demo_run) -> list[tuple[str, Path]]:
    """Every HTML of the run record and of both bundles, labelled for its screenshot."""
    record = sorted(demo_run.run_dir.glob("html/*.html"))
    record += sorted((demo_run.run_dir / "quality").glob("*.html"))
    pages = [(f"record/{p.stem}", p) for p in record]
    for agency, folder in demo_run.unpacked().items():
        pages += [(f"{agency}/{p.relative_to(folder).with_suffix('')}", p)
                  for p in sorted(folder.rglob("*.html"))]  # fmt: skip
    return pages


def _open(browser, path: Path, shot: Path) -> dict:
    """Open ``path`` with every network request refused and recorded; screenshot it."""
    page = browser.new_page(viewport={"width": 1100, "height": 900})
    requests, errors = [], []
    me = path.resolve().as_uri()

    def route(r):
        url = r.request.url
        if url == me or url.startswith("data:"):
            r.continue_()
        else:
            requests.append(url)
            r.abort()

    page.route("**/*", route)
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(me, wait_until="load")
    page.wait_for_timeout(200)
    maps = page.evaluate(
        "() => [...document.querySelectorAll('figure.cibg-map')].map(f => "
        "f.querySelectorAll('g[data-layer=data] path').length)"
    )
    names = page.evaluate(
        "() => [...document.querySelectorAll('figure.cibg-map g[data-layer=communes] text')]"
        ".map(t => t.textContent)"
    )
    facts = page.evaluate(
        "() => ({title: document.title, lang: document.documentElement.lang,"
        " header: !!document.querySelector('header.cibg-header'),"
        " caveats: !!document.querySelector('section.cibg-caveats'),"
        " banner: !!document.querySelector('.cibg-banner'),"
        " scripts: [...document.querySelectorAll('script[src], link[href]')].length})"
    )
    shot.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(shot), full_page=True)
    page.close()
    return {"requests": requests, "errors": errors, "maps": maps, "names": names, **facts}


@pytest.fixture(scope="module")
def opened(demo_run, browser) -> dict:
    shots = demo_run.run_dir / "screenshots"
    return {label: _open(browser, path, shots / f"{label}.png") for label, path in _pages(demo_run)}


def test_every_html_opens_offline_without_errors_and_draws_its_maps(demo_run, opened):
    labels = set(opened)
    assert {"record/mobility", "record/divide", "brussels-mobility/index",
            "digital-inclusion/html/profile_Uccle"} <= labels  # fmt: skip
    for label, seen in opened.items():
        assert seen["requests"] == [], f"{label} asked the network for {seen['requests']}"
        assert seen["errors"] == [], f"{label}: console errors {seen['errors']}"
        assert seen["scripts"] == 0, f"{label} links external scripts or styles"
        assert all(n > 0 for n in seen["maps"]), f"{label}: a map drew nothing {seen['maps']}"
    # the interactive maps: the cells of the mobility report, the communes of the overview
    for label in ("record/mobility", "brussels-mobility/html/mobility"):
        assert opened[label]["maps"] and opened[label]["maps"][0] > 50
    for label in ("record/divide", "digital-inclusion/html/divide"):
        assert opened[label]["maps"] == [19]
        assert "Uccle" in opened[label]["names"] and len(opened[label]["names"]) == 19
    shots = sorted((demo_run.run_dir / "screenshots").rglob("*.png"))
    assert len(shots) == len(opened) and all(s.stat().st_size > 5000 for s in shots)


def test_every_report_says_what_it_is(opened):
    reports = {k: v for k, v in opened.items() if "/index" not in k}
    for label, seen in reports.items():
        if label.startswith("record/") and label not in ("record/report",):
            assert seen["header"] and seen["title"] not in ("", "Notebook"), label
            assert seen["lang"] == "en", label
    for label in ("record/mobility", "record/divide", "record/profile_Uccle"):
        assert opened[label]["caveats"], label
    assert opened["record/mobility"]["banner"]  # simulated data says so
    assert not opened["record/divide"]["banner"]  # real statistics do not
    assert opened["record/profile_Uccle"]["title"].endswith("Uccle / Ukkel")
    assert opened["digital-inclusion/index"]["lang"] == "en"


def _text_of(path: Path) -> str:
    """The text a reader could find in a file (PNG: its metadata chunks)."""
    if path.suffix == ".png":
        from PIL import Image

        with Image.open(path) as image:
            return json.dumps(getattr(image, "text", {}))
    return path.read_text(encoding="utf-8")


def test_no_bundle_file_holds_a_path_host_traceback_warning_progress_bar_or_unit_id(demo_run):
    unpacked = demo_run.unpacked()
    assert len(unpacked) == 2
    found = []
    checked = 0
    for folder in unpacked.values():
        for path in sorted(p for p in folder.rglob("*") if p.is_file()):
            text = _text_of(path)
            checked += 1
            for what, pattern in FORBIDDEN.items():
                for match in pattern.finditer(text):
                    around = text[max(0, match.start() - 60) : match.end() + 60]
                    found.append(f"{path.relative_to(folder.parent)}: {what}: ...{around}...")
    assert checked > 40
    assert not found, "\n".join(found[:20])


def test_executed_notebooks_keep_logs_out_and_in_the_task_log(demo_run):
    run = demo_run.run_dir
    manifest = json.loads((run / "manifest.json").read_text())
    for name, record in manifest["tasks"].items():
        nb = json.loads((run / record["notebook"]).read_text())
        streams = [o for c in nb["cells"] for o in c.get("outputs", [])
                   if o.get("name") == "stderr"]  # fmt: skip
        assert not streams, f"{name}: stderr left in the executed notebook"
        assert (run / record["log"]).exists(), name
    log = (run / manifest["tasks"]["mobility"]["log"]).read_text()
    assert "Dask: " in log and "dashboard" in log  # the cluster's line went here
    html = (run / "html" / "mobility.html").read_text()
    assert "Dask: " not in html and "%|" not in html


def test_run_record_tells_the_truth(demo_run):
    run = demo_run.run_dir
    manifest = json.loads((run / "manifest.json").read_text())
    text = json.dumps(manifest["task_parameters"])
    assert "${run}" not in text and str(run) in text
    prints = manifest["input_fingerprints"]
    assert {"feed", "quality/quarantine/clean"} <= set(prints)
    assert all(re.fullmatch(r"[0-9a-f]{64}", v) for v in prints.values())
    if (ROOT / ".git").exists():
        assert re.fullmatch(r"[0-9a-f]{40}", manifest["git"]["commit"])
    log = (run / "run.log").read_text()
    assert "data quality of the truck positions: passed" in log


def test_products_carry_the_period_of_the_data(demo_run):
    run = demo_run.run_dir
    summary = json.loads((run / "products" / "mobility" / "summary.json").read_text())
    clean = pd.read_parquet(run / "quality" / "quarantine" / "clean", columns=["ts"])
    local = clean["ts"].dt.tz_convert(summary["period"]["timezone"]).dt.date
    assert summary["period"]["start"] <= str(local.min())  # cleaning may drop the edges
    assert summary["period"]["start"] >= "2026-11-02" and summary["period"]["end"] >= "2026-11-03"
    assert summary["period"]["end"] <= str(local.max())
    assert summary["report"]["simulated"] is True and summary["report"]["period"]
    divide = json.loads((run / "products" / "divide" / "summary.json").read_text())
    assert "2026" in divide["report"]["period"] and divide["report"]["sources"]
    assert "/" not in str(divide["geometry_source"])


def test_bundles_explain_themselves(demo_run):
    for bundle in demo_run.bundles:
        agency = bundle.stem.split("-", 2)[-1]
        with zipfile.ZipFile(bundle) as z:
            names = set(z.namelist())
            assert {"index.html", "README.txt", "manifest.json"} <= names, bundle.name
            manifest = json.loads(z.read("manifest.json"))
            # a checksum of every other file, and they match
            assert set(manifest["files"]) == names - {"manifest.json"}
            for member, digest in manifest["files"].items():
                assert hashlib.sha256(z.read(member)).hexdigest() == digest, member
            assert manifest["agency"] == agency
            # the verdict of the suites on the data this agency gets, in words
            expected = {"brussels-mobility": ["data quality of the truck positions: passed"],
                        "digital-inclusion": ["no data-quality suite of this run concerns "
                                              "these data"]}  # fmt: skip
            assert manifest["data_quality"] == expected[agency]
            assert "dask_dashboard" not in json.dumps(manifest)
            for task in manifest["tasks"].values():
                assert not Path(task["report"]).is_absolute()
            index = z.read("index.html").decode()
            reports = sorted(n for n in names if n.startswith("html/"))
            assert reports and all(f"href='{r}'" in index for r in reports)
            # every table is described, column by column
            for folder in {str(Path(n).parent) for n in names if n.endswith(".csv")}:
                if folder.endswith("profiles"):
                    continue
                raw = z.read(f"{folder}/data_dictionary.csv")
                assert raw.startswith(codecs.BOM_UTF8), "Excel needs the BOM for accents"
                rows = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"))))
                described = {(r["file"], r["column"]) for r in rows}
                assert not [r for r in rows if r["meaning"] == "see the report"], folder
                for name in names:
                    if name.startswith(folder + "/") and name.endswith(".csv") and (
                        not name.endswith("data_dictionary.csv")):  # fmt: skip
                        header = next(csv.reader(io.StringIO(z.read(name).decode("utf-8-sig"))))
                        assert {(Path(name).name, c) for c in header} <= described, name
        if agency == "brussels-mobility":
            assert set(manifest["tasks"]) == {"mobility"}  # that agency's tasks only
            with zipfile.ZipFile(bundle) as z:
                layer = json.loads(z.read("products/mobility/cells.geojson"))["name"]
            assert layer == "cells"
        else:
            assert "profile[Uccle]" in manifest["tasks"] and "mobility" not in manifest["tasks"]
            assert "Uccle" in index


def test_html_sizes_stay_sane(demo_run):
    sizes = {p.name: p.stat().st_size for p in (demo_run.run_dir / "html").glob("*.html")}
    assert sizes and max(sizes.values()) < 2_500_000, sizes
