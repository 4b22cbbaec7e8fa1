"""Report languages: French, Dutch and English through gettext catalogues.

The messages live in ``cibg_ds/locale/<lang>/LC_MESSAGES/*.po`` (English is the source
language, so it needs no catalogue); one language may have several ``.po`` files (one per
part of the product: ``cibg_ds.po``, ``reports.po``, ``charts.po``...), read together. The
``.po`` files are the only source: they are compiled in memory with Babel on first use, so
no binary ``.mo`` is committed.

Conventions
-----------
- Library code that produces reader-facing text takes ``lang="en"`` and does
  ``_ = gettext(lang)`` then ``_("Trucks per hour")``. Use ``_()`` with a literal string
  (Babel extracts only literals); format afterwards: ``_("{n} communes").format(n=19)``.
- Notebooks take a ``lang`` parameter and do ``_ = cd.i18n.gettext(lang)``.
- ``tests/test_i18n.py`` extracts every ``_()`` literal from the package and the notebooks
  and fails when a message lacks a French or Dutch translation.
"""

from __future__ import annotations

import functools
import gettext as _gettext
import io
from collections.abc import Callable
from pathlib import Path

from cibg_ds.errors import InputError

LANGUAGES = ("en", "fr", "nl")
"""Report languages: English (source), French, Dutch."""

DOMAIN = "cibg_ds"
LOCALE_DIR = Path(__file__).with_name("locale")


def check_lang(lang: str) -> str:
    """Return ``lang`` lower-cased if it is a report language, else raise `InputError`.

    Examples
    --------
    >>> check_lang("FR")
    'fr'
    """
    if not isinstance(lang, str) or lang.strip().lower() not in LANGUAGES:
        raise InputError(f"lang={lang!r} is not a report language; use one of {list(LANGUAGES)}")
    return lang.strip().lower()


def catalogue_paths(lang: str) -> list[Path]:
    """Return the ``.po`` files of a language, sorted by name."""
    return sorted((LOCALE_DIR / check_lang(lang) / "LC_MESSAGES").glob("*.po"))


@functools.cache
def translations(lang: str) -> _gettext.NullTranslations:
    """Return the translations of ``lang``, compiled from its ``.po`` file once per process."""
    lang = check_lang(lang)
    if lang == "en":
        return _gettext.NullTranslations()
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    merged = None
    for path in catalogue_paths(lang):
        with path.open("rb") as handle:
            catalog = read_po(handle, locale=lang, domain=DOMAIN)
        if merged is None:
            merged = catalog
        else:
            for message in catalog:
                if message.id:
                    merged[message.id] = message
    buffer = io.BytesIO()
    write_mo(buffer, merged, use_fuzzy=False)
    buffer.seek(0)
    return _gettext.GNUTranslations(buffer)


def gettext(lang: str) -> Callable[[str], str]:
    """Return a ``_()`` function translating English messages into ``lang``.

    Examples
    --------
    >>> _ = gettext("fr")
    >>> _("Period")
    'Période'
    >>> gettext("en")("Period")
    'Period'
    """
    return translations(lang).gettext


def label_value(label: str, value: str, lang: str) -> str:
    """Join a label and its value as ``lang`` writes it: French puts a space before the colon.

    Parameters
    ----------
    label, value : str
        What is shown, and its value (already written in ``lang``).
    lang : str
        Report language: ``en``, ``fr`` or ``nl``.

    Returns
    -------
    str
        ``"label: value"``, or ``"label : value"`` in French.

    Examples
    --------
    >>> label_value("Part", "12 %", "fr"), label_value("Share", "12 %", "en")
    ('Part : 12 %', 'Share: 12 %')
    """
    return f"{label} : {value}" if check_lang(lang) == "fr" else f"{label}: {value}"


def name_column(lang: str) -> str:
    """Return the name column of a commune or road table to show in ``lang``.

    French and Dutch readers get their own language; English readers get ``name_fr``
    (Brussels' English usage follows the French names; both are kept in the tables).

    Examples
    --------
    >>> name_column("nl")
    'name_nl'
    """
    return "name_nl" if check_lang(lang) == "nl" else "name_fr"
