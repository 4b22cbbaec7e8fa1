"""Every exported function is documented like the libraries it stands on (numpydoc).

``IGNORED`` lists the functions that do not pass yet. It may only shrink: a listed function
that now passes fails the test until it is taken off the list. The main entry points are
never on it, and each has an Examples section (run by ``--doctest-modules``).
"""

from __future__ import annotations

import importlib
import inspect

import pytest
from numpydoc.validate import validate

#: The checks: a summary line, every parameter documented (and no unknown one), a Returns
#: section, and a docstring at all.
CHECKS = {"GL08", "SS01", "PR01", "PR02", "RT01"}
MODULES = ["io", "quality", "mobility", "divide", "pipelines", "reports", "viz", "synthetic",
           "privacy", "cluster", "config", "schema", "i18n", "resources", "crs", "frames",
           "versions"]  # fmt: skip
MAIN = {"mobility.aggregate", "mobility.segment_trips", "mobility.detect_stops",
        "mobility.vehicle_km", "privacy.suppress", "quality.validate", "divide.exclusion_index",
        "divide.moran", "divide.local_moran", "reports.mobility_report"}  # fmt: skip
IGNORED = {
    "io.load_regional_figures", "io.read_statbel", "io.resolve_commune", "io.statbel_number",
    "quality.default_parameters", "quality.list_suites", "quality.write_quarantine",
    "mobility.default_roads", "mobility.label_trips", "mobility.od_matrix", "mobility.od_table",
    "mobility.robust_anomalies", "mobility.through_trips",
    "divide.queen_weights", "divide.risk_columns", "divide.sector_autocorrelation",
    "pipelines.check_bundle", "pipelines.load_pipeline",
    "reports.caveats", "reports.data_days", "reports.file_stem", "reports.format_number",
    "reports.geometry_text", "reports.map_sources", "reports.period_text",
    "reports.quality_sentences", "reports.reference_period", "reports.select_period",
    "reports.source_name", "reports.source_text",
    "viz.commune_names", "viz.describe", "viz.label_communes", "viz.notes", "viz.number",
    "viz.section", "viz.show", "viz.typology_table",
    "synthetic.build_network",
    "cluster.active_client", "cluster.machine_size", "cluster.shuffle_method",
    "i18n.catalogue_paths", "i18n.check_lang", "i18n.gettext", "i18n.name_column",
    "privacy.count_column", "privacy.is_id_name", "privacy.looks_like_ids",
    "schema.closest", "schema.to_ns",
}  # fmt: skip


def _exported() -> dict[str, object]:
    """``module.name`` -> function: a subpackage's ``__all__``, a module's public functions."""
    found = {}
    for name in MODULES:
        module = importlib.import_module(f"cibg_ds.{name}")
        names = getattr(module, "__all__", None)
        if names is None:
            names = [n for n, f in vars(module).items() if not n.startswith("_")
                     and inspect.isfunction(f) and f.__module__ == module.__name__]  # fmt: skip
        for attr in names:
            obj = getattr(module, attr)
            if inspect.isfunction(obj):
                found[f"{name}.{attr}"] = obj
    return found


EXPORTED = _exported()


def _errors(function) -> list[str]:
    result = validate(f"{function.__module__}.{function.__qualname__}")
    return [f"{code}: {text}" for code, text in result["errors"] if code in CHECKS]


@pytest.mark.parametrize("name", sorted(EXPORTED))
def test_exported_function_passes_numpydoc(name):
    errors = _errors(EXPORTED[name])
    if name in IGNORED:
        assert errors, f"{name} now passes numpydoc validation: take it off IGNORED"
    else:
        assert not errors, f"{name}: {errors}"


def test_the_ignore_list_names_only_exported_functions_and_no_main_entry_point():
    assert IGNORED <= set(EXPORTED), sorted(IGNORED - set(EXPORTED))
    assert not MAIN & IGNORED
    assert MAIN <= set(EXPORTED), sorted(MAIN - set(EXPORTED))


@pytest.mark.parametrize("name", sorted(MAIN))
def test_main_entry_points_have_examples(name):
    assert ">>> " in (EXPORTED[name].__doc__ or ""), f"{name} has no Examples section"
