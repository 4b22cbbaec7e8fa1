"""Short texts for notebooks: notes a reader must not miss."""

from __future__ import annotations


def notes(lines, lang: str = "en") -> object:
    """Return the notes as a Markdown block (or a plain line when there are none).

    >>> notes([]).data
    'No caveats for these inputs.'
    """
    from IPython.display import Markdown

    from cibg_ds.i18n import gettext

    lines = list(lines)
    if not lines:
        _ = gettext(lang)
        return Markdown(_("No caveats for these inputs."))
    return Markdown("\n".join(f"- {line}" for line in lines))


def section(title: str, text: str = "") -> object:
    r"""Return a report section heading (and its lead paragraph) as Markdown.

    Notebooks write their headings through this, with ``_()`` texts, so a French or Dutch
    report has its headings in French or Dutch.

    >>> section("When", "By hour of day.").data
    '## When\n\nBy hour of day.'
    """
    from IPython.display import Markdown

    return Markdown(f"## {title}" + (f"\n\n{text}" if text else ""))
