"""Short texts for notebooks: notes a reader must not miss."""

from __future__ import annotations


def notes(lines) -> object:
    """Return the notes as a Markdown block (or a plain line when there are none).

    >>> notes([]).data
    'No caveats for these inputs.'
    """
    from IPython.display import Markdown

    lines = list(lines)
    if not lines:
        return Markdown("No caveats for these inputs.")
    return Markdown("\n".join(f"- {line}" for line in lines))
