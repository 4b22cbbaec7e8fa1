"""Suites, notebooks and pipelines are found in the package, the user's folders first."""

import json

import pytest

from cibg_ds import resources
from cibg_ds.errors import InputError
from cibg_ds.quality import list_suites, load_suite
from tests.conftest import ROOT


def test_the_shipped_files_are_the_top_level_folders_of_the_checkout():
    assert resources.find_suite("pings") == (ROOT / "expectations" / "pings.json").resolve()
    assert (
        resources.find_notebook("mobility/freight.ipynb")
        == ROOT / "notebooks/mobility/freight.ipynb"
    )
    assert resources.find_pipeline("demo") == ROOT / "pipelines" / "demo.yaml"
    shipped = {
        p.relative_to(ROOT / "notebooks").as_posix() for p in ROOT.glob("notebooks/**/*.ipynb")
    }
    assert set(resources.list_names("notebook")) == shipped


def test_a_pipeline_path_is_taken_as_given(tmp_path):
    mine = tmp_path / "mine.yaml"
    assert resources.find_pipeline(mine) == mine  # even before it exists: the loader says so
    assert resources.find_pipeline("nosuch").name == "nosuch.yaml"


def test_a_notebook_beside_the_pipeline_comes_first(tmp_path):
    (tmp_path / "quality").mkdir()
    own = tmp_path / "quality" / "validate.ipynb"
    own.write_text("{}")
    assert resources.find_notebook("quality/validate.ipynb", tmp_path) == own
    assert resources.find_notebook("quality/validate.ipynb") != own
    assert resources.find_notebook("nosuch.ipynb", tmp_path) is None


def _own_suite(folder, name):
    folder.mkdir(exist_ok=True)
    spec = json.loads((ROOT / "expectations" / "pings.json").read_text())
    spec["name"] = name
    (folder / f"{name}.json").write_text(json.dumps(spec))


def test_user_suite_folders_come_first(tmp_path, monkeypatch):
    a, b = tmp_path / "a", tmp_path / "b"
    _own_suite(a, "pings")
    _own_suite(b, "trailers")
    assert resources.find_suite("pings", [a]) == (a / "pings.json").resolve()
    monkeypatch.setenv(resources.SUITES_ENV, f"{b}:{a}")
    assert resources.suite_dirs()[:2] == [b, a]
    assert resources.find_suite("pings") == (a / "pings.json").resolve()
    assert load_suite("trailers").path == (b / "trailers.json").resolve()
    assert {"trailers", "pings", "communes"} <= set(list_suites())


def test_an_unknown_suite_names_every_folder_searched(tmp_path, monkeypatch):
    monkeypatch.setenv(resources.SUITES_ENV, str(tmp_path))
    with pytest.raises(InputError, match=rf"unknown suite 'nosuch'.*{tmp_path}.*expectations"):
        load_suite("nosuch")


def test_an_unknown_kind_is_refused():
    with pytest.raises(ValueError, match="kind must be one of"):
        resources.shipped("report")
