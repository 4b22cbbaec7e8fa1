"""Real Papermill runs of the shipped notebooks on the registered ``cibg-ds`` kernel."""

import json

import pytest

from tests.conftest import ROOT


def _images(outputs) -> int:
    """Count figures: PNG outputs, or <img> with alt text (cibg_ds.viz.show)."""
    return sum(
        "image/png" in o.get("data", {})
        or (
            '<img src="data:image/png' in o.get("data", {}).get("text/html", "")
            and " alt=" in o.get("data", {}).get("text/html", "")
        )
        for o in outputs
    )


@pytest.mark.cluster
def test_getting_started_runs_top_to_bottom(tmp_path, dask_scheduler):
    import papermill

    out = tmp_path / "feed"
    executed = papermill.execute_notebook(
        ROOT / "notebooks" / "getting_started.ipynb",
        tmp_path / "executed.ipynb",
        parameters={"trucks": 30, "out": str(out), "scheduler_address": dask_scheduler},
        kernel_name="cibg-ds",
        cwd=str(tmp_path),
        progress_bar=False,
    )
    outputs = [o for cell in executed.cells if cell.cell_type == "code" for o in cell.outputs]
    assert not [o for o in outputs if o.output_type == "error"]
    assert _images(outputs)  # the map was drawn
    text = "".join(o.get("text", "") for o in outputs)
    assert f"under {out}" in text
    assert (out / "_meta" / "manifest.json").exists()


@pytest.mark.cluster
def test_quality_notebook_validates_quarantines_and_reports(tmp_path, dask_scheduler, sim_dirty):
    import papermill

    executed = papermill.execute_notebook(
        ROOT / "notebooks" / "quality" / "validate.ipynb",
        tmp_path / "executed.ipynb",
        parameters={
            "data_path": str(sim_dirty.out),
            "quarantine_dir": str(tmp_path / "q"),
            "report_path": str(tmp_path / "report.html"),
            "scheduler_address": dask_scheduler,
            "worst": 5,
        },
        kernel_name="cibg-ds",
        cwd=str(tmp_path),
        progress_bar=False,
    )
    outputs = [o for c in executed.cells if c.cell_type == "code" for o in c.outputs]
    assert not [o for o in outputs if o.output_type == "error"]
    html = "".join(o.get("data", {}).get("text/html", "") for o in outputs)
    assert ">failed</span>" in html  # the dirty feed fails its suite
    assert "lat_in_belgium" in html  # among the worst expectations
    assert _images(outputs)
    assert (tmp_path / "report.html").exists() and (tmp_path / "q" / "rejected").exists()


@pytest.mark.cluster
def test_mobility_notebook_maps_and_publishes_only_checked_tables(
    tmp_path, dask_scheduler, sim_clean
):
    import papermill

    products = tmp_path / "products"
    executed = papermill.execute_notebook(
        ROOT / "notebooks" / "mobility" / "freight.ipynb",
        tmp_path / "executed.ipynb",
        parameters={
            "data_path": str(sim_clean.out),
            "start": "2026-11-06",
            "end": "2026-11-07",
            "k": 4,
            "products_dir": str(products),
            "scheduler_address": dask_scheduler,
        },
        kernel_name="cibg-ds",
        cwd=str(tmp_path),
        progress_bar=False,
    )
    outputs = [o for c in executed.cells if c.cell_type == "code" for o in c.outputs]
    assert not [o for o in outputs if o.output_type == "error"]
    pngs = _images(outputs)
    assert pngs >= 7  # volumes, roads, hourly, congestion, OD, through, Euro
    html = "".join(o.get("data", {}).get("text/html", "") for o in outputs)
    assert "cibg-map" in html and "<svg" in html  # the interactive map, drawn offline
    assert "Schematic geometry" not in html and "Statbel" in html  # the boundaries' credit
    summary = json.loads((products / "summary.json").read_text())
    assert summary["k"] == 4 and summary["period"]["end"] == "2026-11-07"
    assert all(t["publishable"] for t in summary["privacy"])
    for name in ("volumes", "roads", "hourly", "congestion", "od", "through", "euro"):
        assert (products / f"{name}.png").stat().st_size > 10_000, name
    for name in ("matched_roads", "bottlenecks"):  # the map-matched section (issue 18)
        assert (products / f"{name}.png").stat().st_size > 10_000, name
    assert {"matched_roads", "bottlenecks", "bottleneck_hours"} <= {
        t["table"] for t in summary["privacy"]
    }


def _run(notebook, tmp_path, **parameters):
    import papermill

    return papermill.execute_notebook(
        ROOT / "notebooks" / notebook,
        tmp_path / "executed.ipynb",
        parameters=parameters,
        kernel_name="cibg-ds",
        cwd=str(tmp_path),
        progress_bar=False,
    )


def _outputs(executed):
    return [o for c in executed.cells if c.cell_type == "code" for o in c.outputs]


def test_divide_overview_maps_the_index_and_writes_products(tmp_path):
    products = tmp_path / "products"
    executed = _run("divide/overview.ipynb", tmp_path, n_sim=100, products_dir=str(products),
                    weighting="pca")  # fmt: skip
    outputs = _outputs(executed)
    assert not [o for o in outputs if o.output_type == "error"]
    assert _images(outputs) >= 7
    html = "".join(o.get("data", {}).get("text/html", "") for o in outputs)
    assert "cibg-map" in html and "PCA weights" in html
    text = "".join(o.get("data", {}).get("text/markdown", "") for o in outputs)
    assert "schematic" not in text and "illustrative sample" in text
    for name in ("index_map", "rank_intervals", "skills", "reach", "sectors_without_car"):
        assert (products / f"{name}.png").stat().st_size > 10_000
    assert (products / "communes.geojson").exists()
    # the index explorer: the widget for JupyterLab, its static version in the client page
    from cibg_ds.reports.export import WIDGET_VIEW, notebook_html, split_streams
    from cibg_ds.viz.explorer import STATIC_CLASS

    (shown,) = [o for o in outputs if WIDGET_VIEW in o.get("data", {})]
    assert STATIC_CLASS in shown["data"]["text/html"]
    clean, _lines = split_streams(executed)
    page = notebook_html(clean)
    (tmp_path / "overview.html").write_text(page)
    assert page.count(f'class="{STATIC_CLASS}"') == 1
    assert "Index explorer (static version)" in page and "PCA weights" in page
    for leaked in ("VBox", "FloatSlider", "widget-view", "widget-state", "Loading widget",
                   "Warning", "<script src"):  # fmt: skip
        assert leaked not in page, leaked


def test_commune_profile_by_dutch_name(tmp_path):
    executed = _run("divide/commune_profile.ipynb", tmp_path, commune="Sint-Gillis", n_sim=50,
                    products_dir=str(tmp_path))  # fmt: skip
    outputs = _outputs(executed)
    assert not [o for o in outputs if o.output_type == "error"]
    text = "".join(o.get("data", {}).get("text/markdown", "") for o in outputs)
    assert "Saint-Gilles / Sint-Gillis" in text and "Exclusion-risk rank" in text
    # products are named after the commune (its French name), not its NIS code
    assert (tmp_path / "profile_Saint-Gilles.png").exists()
    assert (tmp_path / "map_Saint-Gilles.png").exists()


def test_an_unknown_commune_stops_the_profile_with_the_valid_names(tmp_path):
    import papermill

    with pytest.raises(papermill.PapermillExecutionError, match="valid communes: Anderlecht"):
        _run("divide/commune_profile.ipynb", tmp_path, commune="Atlantis")
