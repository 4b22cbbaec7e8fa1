"""Real Papermill runs of the shipped notebooks on the registered ``cibg-ds`` kernel."""

import pytest

from tests.conftest import ROOT


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
    assert any("image/png" in o.get("data", {}) for o in outputs)  # the map was drawn
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
    assert any("image/png" in o.get("data", {}) for o in outputs)
    assert (tmp_path / "report.html").exists() and (tmp_path / "q" / "rejected").exists()
