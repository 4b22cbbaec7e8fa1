"""Figures for readers: a description (alt text) on every figure, shown as an ``<img alt>``.

nbconvert writes "No description has been provided for this image" on every PNG output, as
Jupyter has no place for alt text in an image output. :func:`show` displays a matplotlib
figure as HTML instead, an ``<img>`` with its description in ``alt`` (and the PNG as a
fallback), saving the same PNG to a product file when asked.
"""

from __future__ import annotations

import base64
import contextlib
import functools
import html
import io
import os
from pathlib import Path

ALT = "cibg_alt"


def axes(ax, size: tuple[float, float]):
    """Return ``ax``, or the axes of a new figure of ``size`` inches when it is None."""
    import matplotlib.pyplot as plt

    return plt.subplots(figsize=size)[1] if ax is None else ax


def describe(ax, text: str, lang: str | None = None):
    """Attach a description of the figure of ``ax`` (what a reader who cannot see it needs).

    With ``lang``, the figure's numeric tick labels (axes and colour bars) are written as
    that language writes numbers: ``0,25`` and ``80 000`` in French, ``80.000`` in Dutch.
    """
    setattr(ax.figure, ALT, text)
    if lang is not None:
        localise_ticks(ax.figure, lang)
    return ax


def localise_ticks(figure, lang: str) -> None:
    """Write the plain numeric tick labels of ``figure`` in ``lang`` (dates, logs, text kept)."""
    from matplotlib.ticker import ScalarFormatter

    for ax in figure.axes:
        for axis in (ax.xaxis, ax.yaxis):
            if type(axis.get_major_formatter()) is ScalarFormatter:
                axis.set_major_formatter(_number_formatter()(lang))


@functools.cache
def _number_formatter():
    """Return the tick formatter class (made on first use: matplotlib is imported lazily)."""
    import numpy as np
    from matplotlib.ticker import Formatter

    from cibg_ds.viz.tables import _decimals, number

    def decimals(values) -> int:
        finite = np.asarray(values, float)
        finite = finite[np.isfinite(finite)]
        return _decimals(finite) if finite.size else 0

    class NumberFormatter(Formatter):
        """Tick labels as ``lang`` writes numbers, all with the decimals the ticks need."""

        def __init__(self, lang: str):
            self.lang = lang

        def format_ticks(self, values):
            d = decimals(values)
            return [number(v, d, self.lang) for v in values]

        def __call__(self, x, pos=None):
            return number(x, decimals([x]), self.lang)

    return NumberFormatter


def description(figure) -> str:
    """Return the figure's description, else its axes' titles."""
    text = getattr(figure, ALT, "")
    if text:
        return text
    titles = [ax.get_title() for ax in figure.axes if ax.get_title()]
    return "; ".join(titles)


@contextlib.contextmanager
def layers(figure):
    """Add layers to ``figure`` without a full render after each one.

    geopandas' ``plot`` ends with ``figure.canvas.draw_idle()``, which on the Agg canvas of
    notebooks and scripts renders the whole figure there and then: a map of four layers
    was rendered four times before being saved once (about 0.35 s each for the 19
    communes). Inside the block such requests are dropped; the figure is rendered when it
    is saved or shown, as any other.

    Parameters
    ----------
    figure : matplotlib.figure.Figure

    Yields
    ------
    matplotlib.figure.Figure
        ``figure``.
    """
    canvas = figure.canvas
    canvas.draw_idle = lambda *args, **kwargs: None  # this canvas only, for the block
    try:
        yield figure
    finally:
        vars(canvas).pop("draw_idle", None)


def png_bytes(figure, dpi: int = 120) -> bytes:
    """Return the figure as PNG bytes (tight bounding box, white background, 256 colours).

    The full-colour rendering is reduced to a palette of 256 colours (octree, with error
    diffusion so colour bars stay smooth): charts and maps lose nothing visible and weigh
    about a quarter (the demo's mobility report: 1.2 MB of images -> 0.33 MB).
    """
    from PIL import Image

    buffer = io.BytesIO()  # read back at once: not worth compressing
    figure.savefig(buffer, format="png", dpi=dpi, bbox_inches="tight", facecolor="white",
                   pil_kwargs={"compress_level": 0})  # fmt: skip
    image = Image.open(io.BytesIO(buffer.getvalue())).convert("RGB")
    palette = image.quantize(colors=256, method=Image.Quantize.FASTOCTREE,
                             dither=Image.Dither.FLOYDSTEINBERG)  # fmt: skip
    out = io.BytesIO()
    palette.save(out, format="PNG", optimize=True)
    return out.getvalue()


def img_html(png: bytes, alt: str) -> str:
    """Return an ``<img>`` element embedding ``png`` with ``alt`` text."""
    data = base64.b64encode(png).decode("ascii")
    alt = html.escape(alt, quote=True)
    return (
        f'<img src="data:image/png;base64,{data}" alt="{alt}" title="{alt}" '
        'style="max-width:100%;height:auto">'
    )


def show(ax_or_figure, alt: str | None = None, path: str | os.PathLike | None = None):
    """Display a figure with its description as alt text; save it as PNG to ``path``.

    Parameters
    ----------
    ax_or_figure : matplotlib.axes.Axes or matplotlib.figure.Figure
    alt : str, optional
        The description; default the one :func:`describe` attached, else the titles.
    path : path-like, optional
        Also write the PNG there (the same bytes as shown).

    Nothing is returned, so a notebook cell ending with ``show(...)`` shows the figure only.
    """
    import matplotlib.pyplot as plt
    from IPython.display import display

    figure = getattr(ax_or_figure, "figure", ax_or_figure)
    text = alt or description(figure)
    png = png_bytes(figure)
    if path is not None:
        from cibg_ds.io.atomic import atomic_path

        with atomic_path(Path(path)) as tmp:
            Path(tmp).write_bytes(png)
    bundle = {"text/html": img_html(png, text), "text/plain": text}
    display(bundle, raw=True)
    plt.close(figure)  # shown once, as HTML, not again by the inline backend
