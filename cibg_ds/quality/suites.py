"""Expectation suites: GX Core 1.x JSON files in ``expectations/``, one per dataset.

Suites named by name are looked up in the user's folders (``$CIBG_DS_SUITES``, or
``cibg-ds validate --suites DIR``) before the ones shipped in the package
(:mod:`cibg_ds.resources`).

A suite file is exactly what GX writes and reads (``ExpectationSuite(**json)``). Each
expectation carries a short ``meta.name`` (``lat_in_belgium``) used in reports and in the
reasons given to quarantined rows. Checks GX has no expectation for (fixes in time order
per unit) are declared under ``meta.cibg_ds_checks`` and run by cibg_ds beside GX.
"""

from __future__ import annotations

import dataclasses
import json
import os
from pathlib import Path

from cibg_ds import resources
from cibg_ds.checks import path as path_parameter
from cibg_ds.errors import InputError
from cibg_ds.i18n import gettext
from cibg_ds.quality.gx_memo import remembered

#: Suites shipped with the package (in the repository: the top-level ``expectations/``).
SUITES_DIR = resources.shipped("suite")


def list_suites() -> list[str]:
    """Return the names of the suites found by name: the user's folders', then the shipped."""
    return resources.list_names("suite")


@dataclasses.dataclass(frozen=True)
class Expectation:
    """One expectation of a suite, as plain data."""

    name: str
    type: str
    kwargs: dict
    severity: str = "error"
    """``error`` fails the validation; ``warning`` is reported (``--fail-on warning``)."""

    @property
    def column(self) -> str | None:
        """The column it is about (``a, b`` for multi-column expectations), or None."""
        if "column" in self.kwargs:
            return self.kwargs["column"]
        if "column_list" in self.kwargs:
            return ", ".join(self.kwargs["column_list"])
        return None


@dataclasses.dataclass(frozen=True)
class Suite:
    """A loaded suite: its JSON, its expectations and cibg_ds's extra checks."""

    name: str
    spec: dict
    path: Path | None
    expectations: tuple[Expectation, ...]
    checks: tuple[Expectation, ...]

    def to_gx(self):
        """Return a fresh ``great_expectations.ExpectationSuite`` built from the JSON."""
        return _to_gx(self.spec)


def suite_title(suite: str, lang: str = "en") -> str:
    """Return what a shipped suite checks, in words, for a reader; another suite's own name.

    Examples
    --------
    >>> suite_title("pings", "fr"), suite_title("my_suite", "fr")
    ('positions des camions', 'my_suite')
    """
    _ = gettext(lang)
    titles = {
        "pings": _("truck positions"),
        "communes": _("commune boundaries"),
        "commune_indicators": _("commune indicators"),
    }
    return titles.get(suite, suite)


def expectation_name(raw: dict) -> str:
    """Return the name of an expectation of a suite JSON: ``meta.name``, else type and column."""
    kind = raw.get("type") or raw.get("expectation_type")
    kwargs = raw.get("kwargs", {})
    name = (raw.get("meta") or {}).get("name")
    if not name:
        column = kwargs.get("column") or "_".join(kwargs.get("column_list", []))
        name = f"{kind}({column})" if column else kind
    return name


def _expectation(raw: dict, where: str) -> Expectation:
    kind = raw.get("type") or raw.get("expectation_type")
    kwargs = dict(raw.get("kwargs", {}))
    name = expectation_name(raw)
    if not kind:
        raise InputError(f"{where}: an expectation has no 'type': {raw}")
    severity = (raw.get("meta") or {}).get("severity", "error")
    if severity not in ("error", "warning"):
        raise InputError(f"{where}: {name}: meta.severity must be 'error' or 'warning'")
    return Expectation(name, kind, kwargs, severity)


def load_suite(suite: str | os.PathLike | Suite) -> Suite:
    """Load a suite by name (``"pings"``) or path, checking that GX itself accepts it.

    GX builds the suite the first time it is seen; its verdict is remembered per suite JSON
    and GX version (:mod:`cibg_ds.quality.gx_memo`), so later processes need not import GX.

    Parameters
    ----------
    suite : str, path-like or Suite
        A name from :func:`list_suites` or the path of a GX suite JSON file.

    Returns
    -------
    Suite

    Raises
    ------
    InputError
        Unknown name (the message lists the known ones), unreadable JSON, a suite GX
        refuses, or two expectations with the same name.

    Examples
    --------
    >>> s = load_suite("pings")
    >>> s.name, "lat_in_belgium" in [e.name for e in s.expectations]
    ('pings', True)
    """
    if isinstance(suite, Suite):
        return suite
    text = os.fspath(path_parameter("suite", suite))
    path = Path(text)
    if not path.suffix and not path.exists():
        path = resources.find_suite(text)
        if path is None:
            folders = ", ".join(map(str, resources.suite_dirs()))
            raise InputError(
                f"unknown suite {text!r}; known suites: {', '.join(list_suites())} "
                f"(in {folders}), or give the path of a GX suite JSON file"
            )
    try:
        spec = json.loads(path.read_text())
    except FileNotFoundError:
        raise InputError(f"{path}: no such suite file") from None
    except (OSError, json.JSONDecodeError) as exc:
        raise InputError(f"{path}: not a readable JSON suite ({exc})") from None
    if not isinstance(spec, dict):
        raise InputError(
            f"{path}: a suite is a JSON object with 'name' and 'expectations', got a "
            f"{type(spec).__name__}"
        )
    name, accepted = _accepted_by_gx(spec, path)
    dropped = [e.get("type") for e in spec.get("expectations", [])]
    for kind in accepted:
        dropped.remove(kind)
    if dropped:  # GX logs and skips expectations it cannot build
        raise InputError(
            f"{path}: Great Expectations refuses this suite: unknown or invalid "
            f"expectation(s) {dropped}"
        )
    expectations = tuple(_expectation(e, str(path)) for e in spec.get("expectations", []))
    checks = tuple(
        _expectation(e, str(path)) for e in (spec.get("meta") or {}).get("cibg_ds_checks", [])
    )
    names = [e.name for e in expectations + checks]
    twice = sorted({n for n in names if names.count(n) > 1})
    if twice:
        raise InputError(f"{path}: expectation names used twice: {twice}; make meta.name unique")
    return Suite(name, spec, path, expectations, checks)


def _accepted_by_gx(spec: dict, path: Path) -> tuple[str, list[str]]:
    """Return the name GX gives the suite ``spec`` and the expectation types it built.

    Remembered per suite JSON and GX version (:mod:`cibg_ds.quality.gx_memo`); a suite GX
    refuses is never remembered: GX refuses it every time, with its own message.
    """

    def ask_gx():
        try:
            gx_suite = _to_gx(spec)
        except Exception as exc:  # GX raises many types for a malformed suite
            raise InputError(f"{path}: Great Expectations refuses this suite: {exc}") from None
        return gx_suite.name, [e.expectation_type for e in gx_suite.expectations]

    return remembered("suite", json.dumps(spec, sort_keys=True), ask_gx)


def _to_gx(spec: dict):
    import great_expectations as gx

    return gx.ExpectationSuite(**json.loads(json.dumps(spec)))
