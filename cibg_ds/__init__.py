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

__version__ = "0.1.0"

__all__ = [
    "__version__",
    "cluster",
    "config",
    "divide",
    "get_client",
    "i18n",
    "io",
    "mobility",
    "pipelines",
    "privacy",
    "quality",
    "reports",
    "schema",
    "show_versions",
    "synthetic",
    "viz",
]

_SUBMODULES = {
    "cluster", "config", "divide", "i18n", "io", "mobility", "pipelines", "privacy", "quality",
    "reports", "schema", "synthetic", "viz",
}  # fmt: skip

if TYPE_CHECKING:  # pragma: no cover - for type checkers and IDEs only
    from cibg_ds import (
        cluster,
        config,
        divide,
        i18n,
        io,
        mobility,
        pipelines,
        privacy,
        quality,
        reports,
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


def show_versions(print_out: bool = True) -> dict[str, str]:
    """Print and return the versions of Python, this package and its key dependencies.

    Paste the output into a bug report; ``print_out=False`` only returns them (manifests).

    Returns
    -------
    dict
        Package name to version string (``"not installed"`` when absent).
    """
    import platform
    from importlib import metadata

    names = [
        "pandas", "numpy", "pyarrow", "geopandas", "shapely", "pyproj", "pyogrio",
        "dask", "distributed", "great-expectations", "papermill", "scikit-learn",
        "jupyterlab",
    ]  # fmt: skip
    versions = {"python": platform.python_version(), "platform": platform.platform()}
    versions["cibg_ds"] = __version__
    for name in names:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = "not installed"
    if print_out:
        width = max(map(len, versions))
        for name, version in versions.items():
            print(f"{name:<{width}} : {version}")
    return versions
