"""Every reader-facing message exists in French and Dutch; catalogues compile and load."""

from __future__ import annotations

import json

import pytest
from babel.messages.extract import extract_from_dir, extract_python
from babel.messages.pofile import read_po

import cibg_ds as cd
from cibg_ds.errors import InputError
from tests.conftest import ROOT

KEYWORDS = {"_": None, "gettext": None}


def _package_messages() -> set[str]:
    found = extract_from_dir(
        str(ROOT / "cibg_ds"), method_map=[("**.py", "python")], keywords=KEYWORDS
    )
    return {m[2] for m in found if isinstance(m[2], str) and m[2]}


def _notebook_messages() -> set[str]:
    import io

    messages = set()
    for path in (ROOT / "notebooks").rglob("*.ipynb"):
        cells = json.loads(path.read_text())["cells"]
        source = "\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "code")
        source = "\n".join(line for line in source.splitlines() if not line.startswith(("%", "!")))
        for _, _, msg, _ in extract_python(io.BytesIO(source.encode()), KEYWORDS, [], {}):
            if isinstance(msg, str) and msg:
                messages.add(msg)
    return messages


def _catalogue(lang: str) -> dict[str, str]:
    messages = {}
    for path in cd.i18n.catalogue_paths(lang):
        with path.open("rb") as handle:
            messages.update({m.id: m.string for m in read_po(handle, locale=lang) if m.id})
    return messages


@pytest.mark.parametrize("lang", ["fr", "nl"])
def test_every_message_is_translated(lang):
    catalogue = _catalogue(lang)
    used = _package_messages() | _notebook_messages()
    missing = sorted(m for m in used if not catalogue.get(m))
    assert not missing, f"cibg_ds/locale/{lang}/LC_MESSAGES/*.po lack {missing}"


@pytest.mark.parametrize("lang", ["fr", "nl"])
def test_one_translation_per_message_across_catalogues(lang):
    seen, clashes = {}, []
    for path in cd.i18n.catalogue_paths(lang):
        with path.open("rb") as handle:
            for m in read_po(handle, locale=lang):
                if m.id and seen.setdefault(m.id, m.string) != m.string:
                    clashes.append((m.id, seen[m.id], m.string, path.name))
    assert not clashes, f"one message, two {lang} translations: {clashes}"


@pytest.mark.parametrize("lang", ["fr", "nl"])
def test_translations_keep_their_placeholders(lang):
    import string

    def fields(text):
        return {f for _, f, _, _ in string.Formatter().parse(text) if f is not None}

    wrong = {m: s for m, s in _catalogue(lang).items() if s and fields(m) != fields(s)}
    assert not wrong, f"placeholders differ in {lang}: {wrong}"


def test_languages_translate_and_bad_language_is_refused():
    assert cd.i18n.gettext("fr")("Period") != cd.i18n.gettext("nl")("Period")
    assert cd.i18n.gettext("en")("Period") == "Period"
    with pytest.raises(InputError, match="lang='de'"):
        cd.i18n.gettext("de")


def test_notebooks_show_no_untranslated_markdown():
    # a Markdown cell reaches the client page as written, in English whatever `lang` says:
    # headings a reader sees go through cd.viz.section(_(...)); Markdown is for the notebook's
    # own introduction, tagged to stay out of the page
    from cibg_ds.reports.export import HIDE

    shown = []
    for path in sorted((ROOT / "notebooks").rglob("*.ipynb")):
        for cell in json.loads(path.read_text())["cells"]:
            if cell["cell_type"] == "markdown" and HIDE not in cell["metadata"].get("tags", []):
                shown.append((path.relative_to(ROOT).as_posix(), "".join(cell["source"])[:40]))
    assert not shown, f"Markdown cells in the client page, untranslated: {shown}"
