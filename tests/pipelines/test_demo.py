"""The demo pipeline end to end on the real notebooks, small enough for CI."""

import json
import zipfile

from cibg_ds.cli import main
from cibg_ds.pipelines import deliver, run_pipeline
from tests.conftest import ROOT

COMMUNES = 19


def test_demo_pipeline_runs_every_notebook_and_bundles_for_each_agency(demo_run, capsys):
    tmp_path = demo_run.root
    bundles = demo_run.bundles
    assert {b.name.rsplit("-", 2)[-1] for b in bundles} == {"inclusion.zip", "mobility.zip"}
    assert all(str(b) in demo_run.printed for b in bundles)
    assert "reports (HTML, no code)" in demo_run.printed
    d = demo_run.run_dir
    manifest = json.loads((d / "manifest.json").read_text())
    assert manifest["data_quality"]  # the validation summary is carried into the record
    assert all(q["success"] for q in manifest["data_quality"].values())
    assert manifest["tasks"]["mobility"]["dask_dashboard"].startswith("http://127.0.0.1:")
    # profiles are named after their commune, not its NIS code
    profiles = sorted(p.name for p in (d / "html").glob("profile_*.html"))
    assert len(profiles) == COMMUNES and "profile_Uccle.html" in profiles
    assert not [p for p in profiles if any(ch.isdigit() for ch in p)]
    assert (d / "products" / "profiles" / "profile_Uccle.png").exists()
    assert (d / "products" / "mobility" / "summary.json").exists()
    assert (d / "products" / "divide" / "communes.geojson").exists()
    mobility = deliver(d, tmp_path / "out", "brussels-mobility")
    names = zipfile.ZipFile(mobility).namelist()
    assert "html/mobility.html" in names and "products/mobility/od.csv" in names
    assert not [n for n in names if n.startswith("html/profile")]  # not for this agency
    small = {"trucks": 80, "days": 2, "n_sim": 20}
    result = run_pipeline(ROOT / "pipelines" / "demo.yaml", small, jobs=2, reports=tmp_path)
    assert result.status == "complete", result.summary()
    assert {r.status for r in result.tasks.values()} == {"cached"}  # nothing changed
    # simulate, validate, history, mobility, divide and one profile per commune
    assert len(result.tasks) == 5 + COMMUNES
    again = main(["run", str(ROOT / "pipelines" / "demo.yaml"), "--reports", str(tmp_path),
                  "-p", "trucks=80", "-p", "days=2", "-p", "n_sim=20", "--force",
                  "--only", "divide"])  # fmt: skip
    out = capsys.readouterr().out
    assert again == 0 and out.count("cached") == len(result.tasks) - 1
    assert "ok       divide" in out
