"""Parameter text written once and shared by several docstrings.

A docstring names a shared parameter with its type only (``lang : str``, no description
below it); :func:`share` adds the one description, indented as numpydoc wants, at import
time. The source stays readable (name and type in place) and the text cannot drift.
"""

from __future__ import annotations

import re

LANG = "Language of the text: ``en``, ``fr`` or ``nl`` (default ``en``)."
AX = "Axes to draw on; default a new figure."
K = "The threshold the table was suppressed with, named in the legend (default: ``k``)."


def share(*functions, **descriptions: str) -> None:
    """Give the parameters named in ``descriptions`` their text in each function's docstring.

    Parameters
    ----------
    *functions : callable
        Functions whose docstrings list some of the parameters without a description.
    **descriptions : str
        Parameter name -> its description (one paragraph).

    Raises
    ------
    ValueError
        When a function's docstring lists none of the parameters (a stale call).

    Examples
    --------
    >>> def f(lang="en"):
    ...     '''Say hello.
    ...
    ...     Parameters
    ...     ----------
    ...     lang : str
    ...     '''
    >>> share(f, lang=LANG)
    >>> f.__doc__.splitlines()[-2].strip()
    'Language of the text: ``en``, ``fr`` or ``nl`` (default ``en``).'
    """
    for function in functions:
        doc, done = function.__doc__ or "", False
        for name, text in descriptions.items():
            # "    name : type" followed by a line that is not more indented (no description)
            pattern = re.compile(rf"^( *)({re.escape(name)} : [^\n]*)\n(?!\1 )", re.MULTILINE)
            match = pattern.search(doc)
            if match:
                indent = match.group(1)
                doc = doc[: match.end()] + f"{indent}    {text}\n" + doc[match.end() :]
                done = True
        if not done:
            raise ValueError(f"{function.__qualname__}: no parameter of {sorted(descriptions)}")
        function.__doc__ = doc
