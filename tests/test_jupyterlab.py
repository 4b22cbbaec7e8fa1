"""JupyterLab for real: a token-protected server on 127.0.0.1, Debian's headless Chromium
driven by Playwright, a shipped notebook run cell by cell on the ``cibg-ds`` kernel."""

from __future__ import annotations

import json
import os
import secrets
import shutil
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from tests.conftest import ON_CI, ROOT, _free_port

CHROMIUM = Path("/usr/bin/chromium")
# as root, on a closed network: no sandbox, no background connections (they are refused)
FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--disable-dev-shm-usage"]  # fmt: skip


SETTINGS = [
    # every cell in the page (JupyterLab 4 renders only the visible ones by default)
    ("notebook-extension", "tracker", {"windowingMode": "none"}),
    ("apputils-extension", "notification", {"fetchNews": "false", "checkForUpdates": False}),
]


@pytest.fixture
def chromium() -> Path:
    if not CHROMIUM.exists():
        if ON_CI:
            pytest.fail("/usr/bin/chromium is missing on CI: .ci/run installs Debian's chromium")
        pytest.skip("Debian's chromium is not installed (apt-get install chromium)")
    return CHROMIUM


EXECUTION_COUNTS = (
    "() => window.jupyterapp.shell.currentWidget.content.widgets"
    ".filter(c => c.model.type === 'code').map(c => c.model.executionCount)"
)
BUSY = ".jp-Notebook-ExecutionIndicator[data-status='busy']"


def _wait(page, condition, seconds: float) -> bool:
    """Poll the cells' execution counts and the busy indicator until ``condition`` holds."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition(page.evaluate(EXECUTION_COUNTS), page.locator(BUSY).count() > 0):
            return True
        time.sleep(1)
    return False


def _up(url: str, token: str, proc, timeout: float = 90) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and proc.poll() is None:
        try:
            urllib.request.urlopen(f"{url}/api/status?token={token}", timeout=2)
            return True
        except OSError:
            time.sleep(0.5)
    return False


@pytest.fixture
def lab(tmp_path):
    """``jupyter lab`` on 127.0.0.1 with a token, serving a copy of the overview notebook."""
    shutil.copy(ROOT / "notebooks" / "divide" / "overview.ipynb", tmp_path / "overview.ipynb")
    settings = tmp_path / "settings" / "@jupyterlab"
    for extension, plugin, value in SETTINGS:
        target = settings / extension / f"{plugin}.jupyterlab-settings"
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(json.dumps(value))
    port, token = _free_port(), secrets.token_hex(16)
    jupyter = Path(sys.executable).with_name("jupyter")
    log = (tmp_path / "lab.log").open("w")
    proc = subprocess.Popen(
        [
            str(jupyter),
            "lab",
            "--no-browser",
            "--ip",
            "127.0.0.1",
            f"--port={port}",
            f"--IdentityProvider.token={token}",
            f"--ServerApp.root_dir={tmp_path}",
            "--ServerApp.open_browser=False",
            f"--LabApp.user_settings_dir={tmp_path / 'settings'}",
            f"--LabApp.workspaces_dir={tmp_path / 'workspaces'}",  # no layout of an earlier run
            "--LabApp.expose_app_in_browser=True",  # window.jupyterapp, to read cell states
            *(["--allow-root"] if os.geteuid() == 0 else []),  # CI machines run as root
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    if not _up(url, token, proc):
        proc.terminate()
        pytest.fail(f"jupyter lab did not start: {(tmp_path / 'lab.log').read_text()[-2000:]}")
    try:
        # the token is required: without it the API refuses
        with pytest.raises(urllib.error.HTTPError):
            urllib.request.urlopen(f"{url}/api/contents", timeout=5)
        yield url, token, tmp_path
    finally:
        proc.terminate()
        proc.wait(30)
        log.close()


def test_the_overview_notebook_runs_in_jupyterlab_in_a_real_browser(chromium, lab):
    from playwright.sync_api import sync_playwright

    url, token, root = lab
    shot = root / "jupyterlab.png"
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(chromium), headless=True, args=FLAGS)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.goto(f"{url}/lab/tree/overview.ipynb?token={token}")
        page.wait_for_selector(".jp-Notebook .jp-Cell", timeout=120_000)
        # the notebook names its kernel: wait until cibg-ds is up and idle
        page.wait_for_selector(".jp-Notebook-ExecutionIndicator[data-status='idle']",
                               timeout=120_000)  # fmt: skip
        # the status bar says the kernel is connected and idle before anything is run
        page.get_by_text("cibg-ds | Idle").wait_for(timeout=120_000)
        assert page.locator(".jp-CodeCell").count() >= 10
        for _ in range(3):  # a click lost while the page settles is clicked again
            page.get_by_role("menuitem", name="Run", exact=True).click()  # as a user does
            page.get_by_role("menuitem", name="Run All Cells", exact=True).click()
            if _wait(page, lambda ran, busy: any(ran) or busy, seconds=20):
                break
        _wait(page, lambda ran, busy: all(c is not None for c in ran) and not busy, seconds=240)
        page.wait_for_timeout(1500)  # let the last outputs paint
        page.locator(".jp-OutputArea-output figure.cibg-map").first.scroll_into_view_if_needed()
        page.screenshot(path=str(shot), full_page=False)
        prompts = page.locator(".jp-CodeCell .jp-InputPrompt").all_inner_texts()
        errors = page.locator(
            ".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr']"
        )
        error_text = [t for t in errors.all_inner_texts() if "Traceback" in t or "Error" in t]
        tables = page.locator(".jp-OutputArea-output table.dataframe").count()
        maps = page.locator(".jp-OutputArea-output figure.cibg-map").count()
        shapes = page.locator("figure.cibg-map g[data-layer=data] path").count()
        images = page.locator(".jp-OutputArea-output img").count()
        kernel = page.locator(".jp-Notebook-toolbarKernelName, .jp-KernelName").first.inner_text()
        explorer = _explore(page, root / "explorer.png")
        # the interactive map is inline SVG: drawn on a closed network, crediting its geometry
        credit = page.locator("figure.cibg-map >> text=Statbel").count()
        browser.close()
    assert all(p.strip()[1:-2].isdigit() for p in prompts), prompts  # every cell ran
    assert not error_text, error_text[0][:2000]
    assert tables >= 3  # the indicator, index and reach tables
    assert maps >= 1 and shapes >= 19 and credit >= 1  # the interactive map, every commune
    assert images >= 5  # the static maps and charts
    assert "cibg-ds" in kernel
    assert shot.stat().st_size > 50_000
    # the index explorer: its widgets (not the static version) and a live redraw
    assert explorer["sliders"] >= 5 and explorer["buttons"] == 3, explorer
    assert explorer["static"] == 0 and explorer["images"] == 2, explorer
    import cibg_ds as cd

    table = cd.divide.indicators(validate=False)
    first = [cd.divide.reweight(table, w, n_sim=1).table["name_fr"].iloc[0]
             for w in ({}, {"share_65plus_pct": 3.0})]  # fmt: skip
    assert first[0] != first[1]  # the weight moves rank 1: the redraw can be seen
    assert f"rank 1 is {first[0]}" in explorer["before"], explorer
    assert f"rank 1 is {first[1]}" in explorer["after"], explorer
    print(f"screenshot: {shot}")


def _explore(page, shot) -> dict:
    """Count the explorer's widgets, set the first weight (65+) to 3 as a reader would."""
    box = page.locator(".jp-OutputArea-output .widget-vbox").filter(
        has=page.locator(".widget-hslider")
    )
    box.first.scroll_into_view_if_needed()
    images = box.first.locator(".widget-output img")
    found = {
        "sliders": box.first.locator(".widget-hslider").count(),
        "buttons": box.first.locator(".widget-toggle-buttons button").count(),
        "static": page.locator(".cibg-explorer-static").count(),
        "images": images.count(),
        "before": images.nth(1).get_attribute("alt") if images.count() == 2 else "",
        "after": "",
    }
    readout = box.first.locator(".widget-hslider .widget-readout").first
    readout.click()
    page.keyboard.press("Control+A")
    page.keyboard.type("3")
    page.keyboard.press("Enter")
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:  # the kernel re-ranks and sends the new charts
        alt = images.nth(1).get_attribute("alt") if images.count() == 2 else ""
        if alt and alt != found["before"]:
            found["after"] = alt
            break
        time.sleep(0.5)
    page.wait_for_timeout(500)
    box.first.screenshot(path=str(shot))
    return found


WIDGET_CHECK = [
    "import dask\nimport cibg_ds as cd\n\nclient = cd.get_client()\nclient.dashboard_link",
    # the progress bar of every cibg_ds computation (simulate, validate, aggregations)
    "parts = cd.cluster.compute([dask.delayed(sum)([i, 1]) for i in range(8)], desc='check')\n"
    "sum(parts)",
]


def test_progress_is_a_widget_and_the_dask_panel_shows_the_notebooks_cluster(chromium, lab):
    import nbformat
    from playwright.sync_api import sync_playwright

    url, token, root = lab
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "cibg-ds", "display_name": "cibg-ds", "language": "python"}
    nb.cells = [nbformat.v4.new_code_cell(code) for code in WIDGET_CHECK]
    nbformat.write(nb, root / "widgets.ipynb")
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(chromium), headless=True, args=FLAGS)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.goto(f"{url}/lab/tree/widgets.ipynb?token={token}")
        page.get_by_text("cibg-ds | Idle").wait_for(timeout=120_000)
        for _ in range(3):  # a click lost while the page settles is clicked again
            page.get_by_role("menuitem", name="Run", exact=True).click()
            page.get_by_role("menuitem", name="Run All Cells", exact=True).click()
            if _wait(page, lambda ran, busy: any(ran) or busy, seconds=20):
                break
        _wait(page, lambda ran, busy: all(c is not None for c in ran) and not busy, seconds=240)
        page.wait_for_timeout(1500)
        outputs = page.locator(".jp-OutputArea-output").all_inner_texts()
        bars = page.locator(".jp-OutputArea-output .widget-hprogress").count()
        # the Dask tab of the left sidebar finds the notebook's cluster from its kernel
        panel = page.locator("#dask-dashboard-launcher")
        if not panel.is_visible():  # a click on the open tab would close it
            page.locator(".jp-SideBar .lm-TabBar-tab[data-id='dask-dashboard-launcher']").click()
        panel.locator("jp-button[title='Auto-detect dashboard URL']").click()
        panel.locator(".dask-DashboardListing-item").first.wait_for(timeout=60_000)
        dashboard = panel.locator(".dask-URLInput input").input_value()
        panes = panel.locator(".dask-DashboardListing-item").all_inner_texts()
        panel.get_by_role("button", name="Task Stream", exact=True).click()  # opens the pane
        frame = page.locator(".dask-DaskDashboard-widget iframe").first
        frame.wait_for(timeout=60_000)
        pane = frame.get_attribute("src")
        browser.close()
    link = next(o for o in outputs if o.startswith("'http://127.0.0.1:")).strip("'")
    assert bars == 1, outputs  # a widget, not tqdm's "IProgress not found" text fallback
    assert not any("IProgress not found" in o for o in outputs)
    assert dashboard.rstrip("/") == link.removesuffix("/status"), (dashboard, link)
    assert {"TASK STREAM", "PROGRESS", "WORKERS"} <= {p.strip().upper() for p in panes}, panes
    assert pane.startswith(dashboard.rstrip("/")) and "task-stream" in pane, pane
