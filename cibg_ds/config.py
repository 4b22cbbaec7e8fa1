"""Settings: built-in defaults < a TOML file < environment variables ``CIBG_DS_*``.

The file is ``$CIBG_DS_CONFIG`` if set, else ``cibg_ds.toml`` in the working directory
when present. Every key of :class:`Settings` may appear in the file (flat table) or as
``CIBG_DS_<KEY>`` in the environment (upper case), e.g. ``CIBG_DS_K_ANONYMITY=10``.

Examples
--------
>>> from cibg_ds.config import get_settings
>>> get_settings(env={}).k_anonymity
5

The coordinate reference systems are properties of the data, not settings: see
:mod:`cibg_ds.crs`.
"""

from __future__ import annotations

import dataclasses
import os
import tomllib
from pathlib import Path

from cibg_ds.errors import ParameterError


@dataclasses.dataclass(frozen=True)
class Settings:
    """Project-wide settings; see the module docstring for how they are set."""

    timezone: str = "Europe/Brussels"
    """Local time for hours of day, weekdays and day partitions."""
    k_anonymity: int = 5
    """Published cells with fewer distinct vehicles than this are suppressed."""
    pseudonym_key: str = "cibg-ds-synthetic"
    """Key of the keyed hash that makes pseudonyms of unit ids (use a secret one on real data)."""
    dask_scheduler_address: str = ""
    """Address of an existing Dask scheduler; empty means a LocalCluster (see cluster.py)."""
    worker_timeout: float = 60.0
    """Seconds a job waits for a Dask worker (none yet, or all gone) before it gives up."""
    history_dir: str = ""
    """Quality history folder of ``cibg-ds validate`` (empty: none unless ``--history``)."""
    suites: str = ""
    """Folders of your own expectation suites (``os.pathsep``-separated), searched by name
    before the shipped ones (``CIBG_DS_SUITES``; see :mod:`cibg_ds.resources`)."""


def _coerce(name: str, raw: object, origin: str) -> object:
    field = {f.name: f for f in dataclasses.fields(Settings)}[name]
    kind = type(field.default)
    if isinstance(raw, kind):
        return raw
    try:
        return kind(raw)
    except (TypeError, ValueError):
        raise ParameterError(
            f"setting {name!r} from {origin} must be {kind.__name__}, got {raw!r}"
        ) from None


def get_settings(path: str | os.PathLike | None = None, env: dict | None = None) -> Settings:
    """Return the settings in force.

    Parameters
    ----------
    path : path-like, optional
        TOML file to read; default ``$CIBG_DS_CONFIG`` or ``./cibg_ds.toml`` if it exists.
    env : dict, optional
        Environment to read ``CIBG_DS_*`` variables from; default ``os.environ``.

    Returns
    -------
    Settings

    Raises
    ------
    ParameterError
        For an unknown key in the file or a value of the wrong type.
    """
    env = os.environ if env is None else env
    known = {f.name for f in dataclasses.fields(Settings)}
    values: dict[str, object] = {}
    file = Path(path or env.get("CIBG_DS_CONFIG") or "cibg_ds.toml")
    if path is not None or env.get("CIBG_DS_CONFIG") or file.exists():
        if not file.exists():
            raise ParameterError(f"config file {file} does not exist (check CIBG_DS_CONFIG)")
        try:
            with file.open("rb") as handle:
                table = tomllib.load(handle)
        except tomllib.TOMLDecodeError as exc:
            raise ParameterError(
                f"{file}: not valid TOML ({exc}); fix or remove the file"
            ) from None
        except OSError as exc:
            raise ParameterError(f"{file}: cannot read the settings ({exc.strerror})") from None
        unknown = set(table) - known
        if unknown:
            raise ParameterError(
                f"{file}: unknown setting(s) {sorted(unknown)}; known are {sorted(known)}"
            )
        values.update({k: _coerce(k, v, str(file)) for k, v in table.items()})
    for name in known:
        var = f"CIBG_DS_{name.upper()}"
        if var in env:
            values[name] = _coerce(name, env[var], var)
    return Settings(**values)


MIN_K = 3
"""The lowest threshold allowed (OECD/Eurostat practice uses 3 to 5 contributors)."""


def resolve_k(k: int | None = None) -> int:
    """Return the threshold in force: ``k`` or the ``k_anonymity`` setting, never below 3.

    Parameters
    ----------
    k : int, optional
        A threshold asked for; default the ``k_anonymity`` setting.

    Returns
    -------
    int
        The number of distinct vehicles a published cell needs at the least.
    """
    from cibg_ds import checks

    return checks.integer("k", get_settings().k_anonymity if k is None else k, MIN_K)
