"""The package's version, and those of Python and the key dependencies (for bug reports)."""

from __future__ import annotations

__version__ = "0.1.0"


def show_versions(print_out: bool = True) -> dict[str, str]:
    """Print and return the versions of Python, this package and its key dependencies.

    Paste the output into a bug report; ``print_out=False`` only returns them (manifests).

    Parameters
    ----------
    print_out : bool
        Print them, one per line.

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
