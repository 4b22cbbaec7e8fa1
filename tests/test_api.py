"""The public API is discoverable: tab completion lists the subpackages, each is reachable."""

import importlib

import pytest

import cibg_ds as cd


def test_dir_lists_the_public_api_and_nothing_else():
    names = dir(cd)
    assert names == sorted(cd.__all__)
    assert {"io", "quality", "mobility", "divide", "pipelines", "reports", "viz"} <= set(names)
    assert not {"importlib", "annotations", "TYPE_CHECKING", "_SUBMODULES"} & set(names)


@pytest.mark.parametrize("name", sorted(set(cd.__all__) - {"__version__"}))
def test_every_public_name_resolves(name):
    assert getattr(cd, name) is not None


def test_readme_quarantine_call_resolves():
    assert cd.quality.quarantine.split_valid is cd.quality.split_valid


def test_each_subpackage_exports_what_it_lists():
    for name in ("io", "quality", "mobility", "divide", "pipelines", "reports", "viz", "privacy"):
        module = importlib.import_module(f"cibg_ds.{name}")
        missing = [n for n in getattr(module, "__all__", []) if not hasattr(module, n)]
        assert not missing, f"cibg_ds.{name}.__all__ lists {missing}, which do not exist"


def test_unknown_attribute_is_a_clear_error():
    with pytest.raises(AttributeError, match="no attribute 'nosuch'"):
        cd.nosuch  # noqa: B018
