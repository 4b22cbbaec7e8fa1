"""cibg_ds: data quality, truck mobility and digital-divide analytics for Brussels.

The public API is small and explicit; submodules are imported on first use so that
``import cibg_ds as cd`` stays fast in a notebook.

Examples
--------
>>> import cibg_ds as cd
>>> communes = cd.io.load_communes()
>>> len(communes)
19
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

from cibg_ds.versions import __version__, show_versions

__all__ = [
    "__version__",
    "cluster",
    "config",
    "crs",
    "divide",
    "get_client",
    "i18n",
    "io",
    "mobility",
    "pipelines",
    "privacy",
    "quality",
    "reports",
    "resources",
    "schema",
    "show_versions",
    "synthetic",
    "viz",
]

_SUBMODULES = {
    "cluster", "config", "crs", "divide", "i18n", "io", "mobility", "pipelines", "privacy",
    "quality", "reports", "resources", "schema", "synthetic", "viz",
}  # fmt: skip

if TYPE_CHECKING:  # pragma: no cover - for type checkers and IDEs only
    from cibg_ds import (
        cluster,
        config,
        crs,
        divide,
        i18n,
        io,
        mobility,
        pipelines,
        privacy,
        quality,
        reports,
        resources,
        schema,
        synthetic,
        viz,
    )  # fmt: skip
    from cibg_ds.cluster import get_client


def __getattr__(name: str):
    if name in _SUBMODULES:
        return importlib.import_module(f"cibg_ds.{name}")
    if name == "get_client":
        from cibg_ds.cluster import get_client

        return get_client
    raise AttributeError(f"module 'cibg_ds' has no attribute {name!r}")


def __dir__() -> list[str]:
    """List the public API (what ``cd.<TAB>`` completes), submodules included."""
    return sorted(__all__)
