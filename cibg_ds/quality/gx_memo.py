"""What GX said once about a suite, remembered on disk so that a process need not import GX.

Importing Great Expectations takes about 4 s of CPU. A validation on our own evaluator
needs GX only for verdicts that depend on nothing but the suite and the columns' types:
whether GX accepts the suite, and its schema expectations on an empty frame. Those are kept
in the user's cache folder (``$XDG_CACHE_HOME/cibg_ds``, else ``~/.cache/cibg_ds``) under a
hash of what they depend on and GX's version; another GX version, suite or set of types asks
GX again. Where the folder cannot be read or written, GX is asked every time.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import pickle
from collections.abc import Callable
from importlib.metadata import version
from pathlib import Path

from cibg_ds.io.atomic import atomic_path


def cache_dir() -> Path:
    """Return the folder of the remembered verdicts."""
    root = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(root) / "cibg_ds" / "gx"


def remembered(kind: str, key: str, ask_gx: Callable[[], object]):
    """Return what ``ask_gx()`` returned for ``key`` under this GX version, asking it once.

    Parameters
    ----------
    kind : str
        What is remembered (a sub-folder): ``suite``, ``schema``.
    key : str
        Everything the answer depends on, as text (GX's version is added).
    ask_gx : callable
        Computes the answer with GX; what it raises is raised and nothing is remembered.

    Returns
    -------
    object
        The answer, as ``ask_gx`` returned it (kept with :mod:`pickle`).
    """
    digest = hashlib.sha256(f"{version('great_expectations')}\n{key}".encode()).hexdigest()
    memo = cache_dir() / kind / f"{digest}.pkl"
    with contextlib.suppress(OSError, pickle.UnpicklingError, EOFError, AttributeError):
        return pickle.loads(memo.read_bytes())
    answer = ask_gx()
    with contextlib.suppress(OSError):  # nowhere to keep it: GX is asked next time again
        with atomic_path(memo) as tmp:
            tmp.write_bytes(pickle.dumps(answer))
    return answer


def on_no_rows(frame, spec: dict, parameters: dict, ask_gx: Callable[[], list]) -> list:
    """Return GX's results on ``frame`` when it has no rows: remembered by its column types.

    Without rows, what GX says depends only on the columns and their types, the suite JSON
    ``spec`` and the parameters it names; a frame with rows is always GX's to judge.

    Parameters
    ----------
    frame : pandas.DataFrame
    spec : dict
        The suite JSON GX validates ``frame`` with.
    parameters : dict
        The suite parameters (only those ``spec`` names are part of the key).
    ask_gx : callable
        Runs GX on ``frame``.

    Returns
    -------
    list
        What ``ask_gx`` returns.
    """
    if len(frame):
        return ask_gx()
    import pandas as pd

    text = json.dumps(spec, sort_keys=True)
    used = sorted((k, str(v)) for k, v in parameters.items() if f'"$PARAMETER": "{k}"' in text)
    types = [(str(c), repr(t)) for c, t in frame.dtypes.items()]
    return remembered("schema", repr((pd.__version__, text, used, types)), ask_gx)
