"""The demo pipeline end to end on the real notebooks, small enough for CI."""

import json
import zipfile

from cibg_ds.cli import main
from cibg_ds.pipelines import deliver, run_pipeline
from tests.conftest import ROOT


def test_demo_pipeline_runs_every_notebook_and_bundles_for_each_agency(tmp_path, capsys):
    small = ["-p", "days=2", "-p", "n_sim=20"]
    assert main(["demo", "--trucks", "80", "--jobs", "2", "--reports", str(tmp_path), *small]) == 0
    printed = capsys.readouterr().out
    bundles = sorted((tmp_path / "demo" / "bundles").glob("*.zip"))
    assert {b.name.rsplit("-", 2)[-1] for b in bundles} == {"inclusion.zip", "mobility.zip"}
    assert all(str(b) in printed for b in bundles) and "reports (HTML, no code)" in printed
    result = run_pipeline(ROOT / "pipelines" / "demo.yaml", {"trucks": 80, "days": 2, "n_sim": 20},
                          jobs=2, reports=tmp_path)  # fmt: skip
    assert result.status == "complete", result.summary()
    assert {r.status for r in result.tasks.values()} == {"cached"}  # nothing changed
    assert len(result.tasks) == 4 + 19
    d = result.run_dir
    manifest = json.loads((d / "manifest.json").read_text())
    assert manifest["data_quality"]  # the validation summary is carried into the record
    assert all(q["success"] for q in manifest["data_quality"].values())
    first = json.loads((sorted((tmp_path / "demo").glob("2*"))[0] / "manifest.json").read_text())
    assert first["tasks"]["mobility"]["dask_dashboard"].startswith("http://127.0.0.1:")
    assert len(list((d / "html").glob("profile_21*.html"))) == 19
    assert (d / "products" / "mobility" / "summary.json").exists()
    assert (d / "products" / "divide" / "communes.geojson").exists()
    mobility = deliver(d, tmp_path / "out", "brussels-mobility")
    names = zipfile.ZipFile(mobility).namelist()
    assert "html/mobility.html" in names and "products/mobility/od.csv" in names
    assert not [n for n in names if n.startswith("html/profile")]  # not for this agency
    again = main(["run", str(ROOT / "pipelines" / "demo.yaml"), "--reports", str(tmp_path),
                  "-p", "trucks=80", "-p", "days=2", "-p", "n_sim=20", "--force",
                  "--only", "divide"])  # fmt: skip
    out = capsys.readouterr().out
    assert again == 0 and out.count("cached") == 22 and "ok       divide" in out
