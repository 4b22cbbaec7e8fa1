"""Client HTML of an executed notebook: no code, no log lines, nothing fetched from a network.

An executed notebook carries more than its results: the Dask cluster's address, logging,
warnings and progress bars all arrive as ``stderr`` streams. :func:`split_streams` moves
them out (the runner writes them to the task's log in the run record) and
:func:`notebook_html` renders what is left with a template that loads no script from a CDN
(no require.js, MathJax, mermaid or widget manager), titled and in the language that the
report's header block declares (:func:`cibg_ds.reports.header.header`); widgets, which need
a kernel, give way to their HTML version (:func:`drop_widgets`).
"""

from __future__ import annotations

import copy
import functools
import html
import re
from pathlib import Path

TEMPLATES = Path(__file__).with_name("templates")
TEMPLATE = "cibg"
HIDE = "report-hide"
"""Tag of the cells left out of the client HTML."""
_TITLE = re.compile(r'data-cibg-title="([^"]*)"')
_LANG = re.compile(r"data-cibg-lang=['\"]([a-z]{2})['\"]")


def split_streams(nb) -> tuple[object, list[str]]:
    """Return a copy of ``nb`` without its ``stderr`` outputs, and those outputs as lines.

    Parameters
    ----------
    nb : nbformat.NotebookNode
        An executed notebook.

    Returns
    -------
    (nbformat.NotebookNode, list of str)
        The notebook as a reader should see it, and ``[cell N] <line>`` for every line that
        went to stderr (logging, warnings, tqdm bars, the cluster's dashboard link).
    """
    clean = copy.deepcopy(nb)
    lines = []
    number = 0
    for cell in clean.cells:
        if cell.get("cell_type") != "code":
            continue
        number += 1
        kept = []
        for output in cell.get("outputs", []):
            if output.get("output_type") == "stream" and output.get("name") == "stderr":
                text = output.get("text", "")
                text = "".join(text) if isinstance(text, list) else text
                # a progress bar redraws itself with carriage returns: keep its last state
                for line in text.splitlines():
                    line = line.rsplit("\r", 1)[-1].strip()
                    if line:
                        lines.append(f"[cell {number}] {line}")
            else:
                kept.append(output)
        cell["outputs"] = kept
    return clean, lines


WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"


def drop_widgets(nb):
    """Return a copy of ``nb`` whose widget outputs are replaced by their HTML version.

    A widget's view needs a live kernel, or a widget manager fetched from a CDN, and a
    client page has neither: an output that carries ``text/html`` besides the view (the
    index explorer, :class:`cibg_ds.viz.IndexExplorer`) keeps that HTML alone, one without
    (a progress bar) is left out, and the widgets' saved state goes from the metadata.

    Parameters
    ----------
    nb : nbformat.NotebookNode
        An executed notebook.

    Returns
    -------
    nbformat.NotebookNode
        The copy, without widget views or widget state.
    """
    clean = copy.deepcopy(nb)
    clean.metadata.pop("widgets", None)
    for cell in clean.cells:
        kept = []
        for output in cell.get("outputs", []):
            data = output.get("data", {})
            if WIDGET_VIEW in data:
                if "text/html" not in data:
                    continue
                output["data"] = {"text/html": data["text/html"]}
            kept.append(output)
        if cell.get("cell_type") == "code":
            cell["outputs"] = kept
    return clean


def scrub(text: str, roots) -> str:
    """Replace every absolute ``root`` in ``text`` by a relative reference (a safety net).

    Longer roots first, so the run directory wins over the project it lies in.
    """
    for root in sorted({str(r).rstrip("/") for r in roots if r}, key=len, reverse=True):
        text = text.replace(root + "/", "").replace(root, ".")
    return text


def report_facts(nb) -> dict:
    """Return the ``title`` and ``lang`` that the header block of ``nb`` declared, if any."""
    found = {}
    for cell in nb.cells:
        for output in cell.get("outputs", []):
            markup = output.get("data", {}).get("text/html", "")
            markup = "".join(markup) if isinstance(markup, list) else markup
            title, lang = _TITLE.search(markup), _LANG.search(markup)
            if title and "title" not in found:
                found["title"] = html.unescape(title.group(1))
            if lang and "lang" not in found:
                found["lang"] = lang.group(1)
    return found


def notebook_html(nb, *, title: str | None = None, lang: str | None = None) -> str:
    """Render an executed notebook as a self-contained HTML page without its code.

    Parameters
    ----------
    nb : nbformat.NotebookNode
        Preferably cleaned by :func:`split_streams`.
    title, lang : str, optional
        ``<title>`` and ``<html lang>``; default what the report's header block declared,
        else the first heading and ``en``.

    Returns
    -------
    str
        The page: images embedded, styles inline, no ``<script src>`` and no stylesheet link.
    """
    from nbconvert import HTMLExporter

    facts = report_facts(nb)
    nb = drop_widgets(nb)
    # cells for notebook users only (the title a JupyterLab reader sees above the parameters)
    nb.cells = [c for c in nb.cells if HIDE not in c.get("metadata", {}).get("tags", [])]
    nb.metadata["title"] = title or facts.get("title") or _first_heading(nb) or "Report"
    exporter = HTMLExporter(
        template_name=TEMPLATE,
        extra_template_basedirs=[str(TEMPLATES)],
        exclude_input=True,
        exclude_input_prompt=True,
        exclude_output_prompt=True,
        language_code=lang or facts.get("lang") or "en",
    )
    body, _ = exporter.from_notebook_node(nb)
    return prune_css(body)


_STYLE_BLOCK = re.compile(r"(<style[^>]*>)(.*?)(</style>)", re.S)
_CLASS_ATTR = re.compile(r"""class=["']([^"']*)["']""")
_CLASS_SEL = re.compile(r"\.(-?[_a-zA-Z][\w-]*)")


def _css_rules(css: str):
    """Yield ``(prelude, body)`` of the top-level rules of a style sheet."""
    i, n = 0, len(css)
    while i < n:
        j = css.find("{", i)
        if j < 0:
            return
        depth, k = 1, j + 1
        while k < n and depth:
            depth += {"{": 1, "}": -1}.get(css[k], 0)
            k += 1
        yield css[i:j].strip(), css[j + 1 : k - 1]
        i = k


@functools.lru_cache(maxsize=8)
def _parsed(css: str) -> tuple:
    """Return the rules of a style sheet as ``(prelude, kind, content)``, parsed once.

    ``kind`` is ``group`` (``@media`` and the like: ``content`` holds its rules), ``at``
    (another at-rule, kept whole) or ``style`` (``content``: each selector with the classes
    it names, and the body). Every page of a run inlines the same sheets.
    """
    rules = []
    for prelude, body in _css_rules(css):
        if prelude.startswith(("@media", "@supports", "@layer")):
            rules.append((prelude, "group", _parsed(body)))
        elif prelude.startswith("@"):
            rules.append((prelude, "at", body))
        else:
            selectors = tuple((s, frozenset(_CLASS_SEL.findall(s))) for s in prelude.split(","))
            rules.append((prelude, "style", (selectors, body)))
    return tuple(rules)


def _prune(rules: tuple, classes: set[str]) -> str:
    out = []
    for prelude, kind, content in rules:
        if kind == "group":
            inner = _prune(content, classes)
            if inner:
                out.append(f"{prelude}{{{inner}}}")
        elif kind == "at":
            out.append(f"{prelude}{{{content}}}")
        else:
            selectors, body = content
            kept = [sel for sel, names in selectors if names <= classes]
            if kept:
                out.append(f"{','.join(kept)}{{{body}}}")
    return "".join(out)


def prune_css(page: str, at_least: int = 20_000) -> str:
    """Drop the rules of large style sheets that no element of ``page`` can match.

    The lab template inlines all of JupyterLab's CSS (240 kB) in every page; a report uses
    a small part of it. A rule stays when every class its selector names occurs in the page
    (rules on elements, ids, attributes and variables always stay).
    """
    css_free = _STYLE_BLOCK.sub("", page)
    classes = {c for attr in _CLASS_ATTR.findall(css_free) for c in attr.split()}

    def shrink(match):
        css = re.sub(r"/\*.*?\*/", "", match.group(2), flags=re.S)
        if len(css) < at_least:
            return match.group(0)
        return match.group(1) + _prune(_parsed(css), classes) + match.group(3)

    return _STYLE_BLOCK.sub(shrink, page)


def _first_heading(nb) -> str | None:
    for cell in nb.cells:
        if cell.get("cell_type") == "markdown":
            for line in "".join(cell.get("source", "")).splitlines():
                if line.startswith("#"):
                    return line.lstrip("#").strip()
    return None
