"""The index explorer: sliders for the indicator weights and a normalisation switch.

In JupyterLab (a live kernel with ipywidgets) every change re-ranks the communes with
:func:`cibg_ds.divide.reweight` and redraws the map (:func:`~cibg_ds.viz.divide.index_map`)
and the rank intervals (:func:`~cibg_ds.viz.divide.plot_rank_intervals`). Widgets need a
kernel, which an exported HTML page has not: the explorer's display carries an HTML
version besides the widget, the ranks under a few preset weightings
(:func:`cibg_ds.divide.weighting_scenarios`), which the client page shows instead
(:func:`cibg_ds.reports.export.notebook_html`).
"""

from __future__ import annotations

import html
import warnings

from cibg_ds import _docs, checks
from cibg_ds.divide.explore import reweight, weighting_scenarios
from cibg_ds.divide.indicators import risk_columns
from cibg_ds.errors import ParameterError
from cibg_ds.i18n import check_lang, gettext
from cibg_ds.schema import NIS
from cibg_ds.viz.divide import index_map, plot_rank_intervals
from cibg_ds.viz.figures import description, img_html, png_bytes
from cibg_ds.viz.tables import METHODS, commune_names, indicator_label, number
from cibg_ds.viz.tables import show as show_table

NORMALISATIONS = ("minmax", "zscore", "rank")
STATIC_CLASS = "cibg-explorer-static"
"""Class of the static version's block (what a test of the client page looks for)."""


def _figure_html(ax) -> str:
    """Return a figure as an ``<img>`` with its description, and close it."""
    import matplotlib.pyplot as plt

    figure = ax.figure
    markup = img_html(png_bytes(figure), description(figure))
    plt.close(figure)
    return markup


def result_html(result, communes, *, normalisation: str = "minmax", lang: str = "en") -> str:
    """Return the map and the rank intervals of an index result side by side, as HTML.

    Parameters
    ----------
    result : cibg_ds.divide.IndexResult
    communes : geopandas.GeoDataFrame
        Commune shapes with ``nis`` (the index's columns, if any, are replaced).
    normalisation : str
        The normalisation of ``result``, named in the map's legend.
    lang : str

    Returns
    -------
    str
        Two ``<img>`` elements with their descriptions as alt text.
    """
    columns = [NIS, "score", "rank", "rank_lo", "rank_hi"]
    shapes = communes.drop(columns=[c for c in columns[1:] if c in communes.columns])
    gdf = shapes.merge(result.table[columns], on=NIS)
    gdf.attrs = dict(communes.attrs)  # the geometry's source and credits
    parts = [
        _figure_html(index_map(gdf, normalisation=normalisation, lang=lang)),
        _figure_html(plot_rank_intervals(result, lang=lang)),
    ]
    cells = "".join(f'<div style="flex:1 1 380px;min-width:0">{p}</div>' for p in parts)
    return f'<div style="display:flex;flex-wrap:wrap;gap:8px;align-items:flex-start">{cells}</div>'


def static_html(
    table, *, normalisation: str = "minmax", factor: float = 2.0, lang: str = "en"
) -> str:
    """Return the static version of the explorer: ranks under a few preset weightings.

    Parameters
    ----------
    table : pandas.DataFrame
        From :func:`cibg_ds.divide.indicators`.
    normalisation : str
        ``minmax``, ``zscore`` or ``rank``.
    factor : float
        Each preset multiplies one indicator's weight by this.
    lang : str

    Returns
    -------
    str
        A labelled ``<div>`` (class :data:`STATIC_CLASS`) with a sentence and the table.
    """
    lang = check_lang(lang)
    _ = gettext(lang)
    ranks = weighting_scenarios(table, normalisation=normalisation, factor=factor)
    shown = number(factor, next(d for d in (0, 1, 2) if round(factor, d) == factor or d == 2), lang)
    names = commune_names(lang)
    headers = {"equal": _(METHODS["equal"])}
    for column in risk_columns(table):
        headers[column] = _("{indicator}, weight ×{factor}").format(
            indicator=indicator_label(column, lang), factor=shown
        )
    frame = ranks[list(headers)].rename(columns=headers)
    frame.insert(0, _("commune"), ranks[NIS].astype(str).map(lambda n: names.get(n, n)))
    base = frame.columns[1]

    def shade(row):
        return ["" if i < 2 or v == row[base] else "background-color:#fde0c5"
                for i, v in enumerate(row)]  # fmt: skip

    styler = show_table(frame, lang, _(
        "Rank of each commune (1 = highest risk) under a few weightings; shaded: a rank that "
        "differs from the one under equal weights"))  # fmt: skip
    styler = styler.apply(shade, axis=1).set_uuid("explorer")  # the same page every run
    title = html.escape(_("Index explorer (static version)"))
    text = html.escape(
        _(
            "In JupyterLab, sliders for the weights of the indicators and a switch of "
            "normalisation re-rank the communes and redraw the map and the rank intervals "
            "live. This page shows the ranks under equal weights and with each indicator's "
            "weight multiplied by {factor} ({normalisation})."
        ).format(factor=shown, normalisation=_(METHODS[normalisation]))
    )
    return f'<div class="{STATIC_CLASS}"><p><b>{title}</b></p><p>{text}</p>{styler.to_html()}</div>'


class _Static:
    """An HTML block for display (``_repr_html_``)."""

    def __init__(self, markup: str):
        self.markup = markup

    def _repr_html_(self) -> str:
        return self.markup


class IndexExplorer:
    """Sliders for the weights of the indicators and a normalisation switch, live.

    Build it with :func:`explore_index`. The widgets are made on first display (or on
    first use of :attr:`widget`), so an explorer shown only as :meth:`static` opens none.

    Attributes
    ----------
    result : cibg_ds.divide.IndexResult or None
        The index at the current weights (None while the weights are all zero).
    message : str
        What the output area says instead of the charts (all weights at zero), or "".
    """

    def __init__(self, table, communes, *, normalisation, n_sim, seed, lang):
        self.table, self.communes = table, communes
        self.n_sim, self.seed, self.lang = n_sim, seed, lang
        self.columns = risk_columns(table)
        self._normalisation = normalisation
        self._widget = None
        self.result, self.message = None, ""

    # -- the widgets ------------------------------------------------------------------------
    @property
    def widget(self):
        """The ``ipywidgets.VBox``: a slider per indicator, the switch, the output area."""
        self._built()
        return self._widget

    def _built(self) -> None:
        if self._widget is None:
            self._build()

    def _build(self) -> None:
        import ipywidgets as w

        _ = gettext(self.lang)
        style = {"description_width": "26em"}
        self._sliders = {
            c: w.FloatSlider(
                value=1.0,
                min=0.0,
                max=3.0,
                step=0.1,
                readout_format=".1f",
                continuous_update=False,  # redrawn when the slider is let go, not while it moves
                description=indicator_label(c, self.lang),
                style=style,
                layout=w.Layout(width="50em"),
            )
            for c in self.columns
        }
        self._switch = w.ToggleButtons(
            options=[(_(METHODS[n]), n) for n in NORMALISATIONS],
            value=self._normalisation,
            description=_("normalisation"),
            style={"description_width": "26em", "button_width": "13em"},
        )
        self._output = w.Output()
        heading = w.HTML(
            "<b>{}</b> {}".format(
                html.escape(_("Index explorer")),
                html.escape(_("Weights of the indicators (1 = as in equal weights):")),
            )
        )
        controls = [*self._sliders.values(), self._switch]
        for control in controls:
            control.observe(self.redraw, names="value")
        self._widget = w.VBox([heading, *controls, self._output])
        self.redraw()

    @property
    def sliders(self) -> dict:
        """One ``FloatSlider`` per risk indicator, by column."""
        self._built()
        return self._sliders

    @property
    def normalisation(self):
        """The ``ToggleButtons`` of the normalisation."""
        self._built()
        return self._switch

    @property
    def output(self):
        """The ``Output`` area holding the map and the rank intervals."""
        self._built()
        return self._output

    def weights(self) -> dict[str, float]:
        """Return the sliders' weights by indicator."""
        return {c: float(s.value) for c, s in self.sliders.items()}

    def redraw(self, change=None) -> None:
        """Re-rank the communes at the current weights and redraw the output area."""
        _ = gettext(self.lang)
        normalisation = self.normalisation.value
        try:
            self.result = reweight(self.table, self.weights(), normalisation=normalisation,
                                   n_sim=self.n_sim, seed=self.seed)  # fmt: skip
        except ParameterError:
            if any(self.weights().values()):
                raise  # not the sliders' doing: a bad table or setting
            self.result = None
            self.message = _("Give at least one indicator a weight above 0.")
            markup = f'<p style="color:#b00020">{html.escape(self.message)}</p>'
        else:
            self.message = ""
            with warnings.catch_warnings():  # said once by the notebook's own map, not per redraw
                warnings.filterwarnings("ignore", "Numba not installed", UserWarning)
                markup = result_html(
                    self.result, self.communes, normalisation=normalisation, lang=self.lang
                )
        text = self.message or _first_rank(self.result, self.lang)
        self.output.outputs = (
            {"output_type": "display_data", "data": {"text/html": markup, "text/plain": text},
             "metadata": {}},
        )  # fmt: skip

    # -- display ----------------------------------------------------------------------------
    def static(self) -> _Static:
        """Return the static version alone (for a page without a kernel)."""
        return _Static(static_html(self.table, normalisation=self._current(), lang=self.lang))

    def _current(self) -> str:
        return self._switch.value if self._widget is not None else self._normalisation

    def _repr_mimebundle_(self, include=None, exclude=None):
        """Return the widget (JupyterLab) and its static version (HTML exports) as one display."""
        bundle = self.widget._repr_mimebundle_(include=include, exclude=exclude)
        bundle["text/html"] = self.static().markup
        _ = gettext(self.lang)
        bundle["text/plain"] = _("Index explorer (static version)")
        return bundle


def _first_rank(result, lang: str = "en") -> str:
    """Return which commune ranks first in ``result`` (the output area's plain text)."""
    from cibg_ds.viz.tables import commune_names

    first = result.table.iloc[0]
    name = commune_names(lang).get(str(first[NIS]), str(first[NIS]))
    _ = gettext(lang)
    return _("Rank 1: {name}").format(name=name)


def explore_index(
    table,
    communes,
    *,
    normalisation: str = "minmax",
    n_sim: int = 200,
    seed: int = 0,
    lang: str = "en",
) -> IndexExplorer:
    """Return an explorer of the exclusion-risk index: weights and normalisation, live.

    Displayed in JupyterLab it shows one slider per risk indicator (weight 0 to 3, 1 as
    under equal weights), a normalisation switch and the map and rank intervals, redrawn on
    every change; an exported page shows its static version (:func:`static_html`).

    Parameters
    ----------
    table : pandas.DataFrame
        From :func:`cibg_ds.divide.indicators`.
    communes : geopandas.GeoDataFrame
        Commune shapes with ``nis`` (:func:`cibg_ds.io.load_communes`).
    normalisation : str
        The switch's first position: ``minmax``, ``zscore`` or ``rank``.
    n_sim : int
        Monte Carlo runs of the rank intervals at each redraw (a few hundred stay live).
    seed : int
        Seed of the runs.
    lang : str

    Returns
    -------
    IndexExplorer
        Display it (last line of a cell); its ``sliders``, ``normalisation`` and ``output``
        widgets can be set from code.

    Examples
    --------
    >>> from cibg_ds.divide import indicators
    >>> from cibg_ds.io import load_communes
    >>> explorer = explore_index(indicators(validate=False), load_communes(), n_sim=50)
    >>> explorer.sliders["share_65plus_pct"].value = 3.0
    >>> explorer.result.table["name_fr"].iloc[0]
    'Watermael-Boitsfort'
    """
    checks.frame("table", table, dask=False)
    checks.frame("communes", communes, geo=True)
    checks.choice("normalisation", normalisation, NORMALISATIONS)
    checks.integer("n_sim", n_sim, 1), checks.integer("seed", seed, 0)
    lang = check_lang(lang)
    return IndexExplorer(table, communes, normalisation=normalisation, n_sim=n_sim, seed=seed,
                         lang=lang)  # fmt: skip


_docs.share(
    result_html, static_html, explore_index,
    lang=_docs.LANG, result="An index from :func:`cibg_ds.divide.exclusion_index`.",
)  # fmt: skip
