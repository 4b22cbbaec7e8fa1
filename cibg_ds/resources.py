"""Where the workbench's own files are: suites, notebooks and pipeline definitions.

They ship inside the package, in ``cibg_ds/_share/`` (``expectations/``, ``notebooks/``,
``pipelines/``), and are found with :mod:`importlib.resources`, so a wheel installed in
any environment finds them. In the repository those three folders are links to the
top-level ``expectations/``, ``notebooks/`` and ``pipelines/``, which stay the source of
truth; the wheel holds copies.

A user's own folders come first: suites in the folders given to ``--suites DIR`` (or
``dirs=``), then in the ``suites`` setting (``$CIBG_DS_SUITES``, folders separated by
``os.pathsep``, or ``suites`` in ``cibg_ds.toml``), then the shipped ones; a notebook
beside the pipeline file that names it, then the shipped ones; a pipeline given as a path
is read from there, a bare name is a shipped pipeline.

Examples
--------
>>> from cibg_ds import resources
>>> resources.find_suite("pings").name
'pings.json'
>>> resources.find_notebook("quality/validate.ipynb").parts[-2:]
('quality', 'validate.ipynb')
>>> "demo" in resources.list_names("pipeline")
True
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from importlib import resources
from pathlib import Path

#: Kind of file -> (folder in ``_share/``, file suffix).
KINDS = {
    "suite": ("expectations", ".json"),
    "notebook": ("notebooks", ".ipynb"),
    "pipeline": ("pipelines", ".yaml"),
}
SUITES_ENV = "CIBG_DS_SUITES"
"""Environment variable of the ``suites`` setting: the user's suite folders, searched first."""


def shipped(kind: str) -> Path:
    """Return the folder of the files of ``kind`` shipped with the package.

    Parameters
    ----------
    kind : {"suite", "notebook", "pipeline"}
        Which files.

    Returns
    -------
    Path
        A folder on the file system (papermill and GX need real paths; installed wheels
        are always unpacked).
    """
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {sorted(KINDS)}, got {kind!r}")
    return Path(str(resources.files("cibg_ds") / "_share" / KINDS[kind][0]))


def suite_dirs(dirs: Iterable[str | os.PathLike] = ()) -> list[Path]:
    """Return the folders searched for suites by name, in order.

    Parameters
    ----------
    dirs : iterable of path-like, optional
        The user's folders (``--suites DIR``), searched first.

    Returns
    -------
    list of Path
        ``dirs``, then the folders of the ``suites`` setting (``$CIBG_DS_SUITES`` or
        ``suites`` in ``cibg_ds.toml``), then the shipped suites.
    """
    from cibg_ds.config import get_settings

    own = [p for p in get_settings().suites.split(os.pathsep) if p.strip()]
    return [Path(d).expanduser() for d in (*dirs, *own)] + [shipped("suite")]


def find_suite(name: str, dirs: Iterable[str | os.PathLike] = ()) -> Path | None:
    """Return the file of the suite ``name`` (``pings``) in :func:`suite_dirs`.

    Parameters
    ----------
    name : str
        The suite's name: its file is ``<name>.json``.
    dirs : iterable of path-like, optional
        The user's folders, searched first.

    Returns
    -------
    Path or None
        The first such file, None when no folder has it.
    """
    return _first(f"{name}.json", suite_dirs(dirs))


def find_notebook(name: str | os.PathLike, beside: str | os.PathLike | None = None) -> Path | None:
    """Return the notebook ``name`` (``quality/validate.ipynb``): beside a file, else shipped.

    Parameters
    ----------
    name : str or path-like
        Path of the notebook relative to ``beside`` or to the shipped notebooks.
    beside : path-like, optional
        A folder searched first (that of the pipeline file naming the notebook).

    Returns
    -------
    Path or None
        The resolved notebook file, None when neither folder has it.
    """
    bases = ([Path(beside)] if beside is not None else []) + [shipped("notebook")]
    return _first(name, bases)


def find_pipeline(name: str | os.PathLike) -> Path:
    """Return the pipeline file ``name`` names: an existing or ``.yaml`` path, else a shipped one.

    Parameters
    ----------
    name : str or path-like
        A path (``my/pipeline.yaml``) or the name of a shipped pipeline (``demo``).

    Returns
    -------
    Path
        The path as given, or ``<shipped pipelines>/<name>.yaml`` (which may not exist:
        the pipeline loader says so, listing the shipped ones).
    """
    path = Path(name)
    if path.exists() or path.suffix in (".yaml", ".yml"):
        return path
    return (shipped("pipeline") / f"{path}.yaml").resolve()


def list_names(kind: str, dirs: Iterable[str | os.PathLike] = ()) -> list[str]:
    """Return the names of the files of ``kind``, the user's folders included for suites.

    Parameters
    ----------
    kind : {"suite", "notebook", "pipeline"}
        Which files; notebooks are named by their path relative to the notebooks folder.
    dirs : iterable of path-like, optional
        The user's suite folders (suites only).

    Returns
    -------
    list of str
        Sorted, without duplicates.
    """
    suffix = KINDS[kind][1] if kind in KINDS else ""
    folders = suite_dirs(dirs) if kind == "suite" else [shipped(kind)]
    names = set()
    for folder in folders:
        pattern = f"**/*{suffix}" if kind == "notebook" else f"*{suffix}"
        for path in folder.glob(pattern):
            if ".ipynb_checkpoints" not in path.parts:
                names.add(path.relative_to(folder).as_posix() if kind == "notebook" else path.stem)
    return sorted(names)


def workdir() -> Path:
    """Return the folder notebooks run in, against which their relative paths are read.

    In a source checkout (an editable install) that is the checkout, so the notebooks'
    default paths (``data/demo/pings``) land where ``make lab`` looks; for an installed
    wheel it is the current working directory.

    Returns
    -------
    Path
    """
    package = Path(str(resources.files("cibg_ds"))).resolve()
    checkout = package.parent
    if (checkout / "pyproject.toml").is_file() and (checkout / "notebooks").is_dir():
        return checkout
    return Path.cwd()


def _first(name: str | os.PathLike, bases: list[Path]) -> Path | None:
    for base in bases:
        candidate = (base / name).resolve()
        if candidate.is_file():
            return candidate
    return None
