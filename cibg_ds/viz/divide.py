"""Charts of the digital-divide analysis: rank intervals, skill estimates, sensitivity, profiles.

Every chart takes ``lang`` (``en``, ``fr``, ``nl``) for its labels and commune names, and
attaches a description for its alt text (:func:`cibg_ds.viz.figures.show`).
"""

from __future__ import annotations

import numpy as np

from cibg_ds import _docs
from cibg_ds.i18n import gettext, name_column
from cibg_ds.viz.figures import axes, describe
from cibg_ds.viz.tables import CHOICES, commune_names, indicator_label, number


def _names(table, lang):
    """Return the communes' names in ``lang`` (from the table, else the reference names)."""
    column = name_column(lang)
    if column in table.columns and table[column].notna().all():
        return table[column]
    names = commune_names(lang)
    return table["nis"].astype(str).map(lambda n: names.get(n, n))


def plot_rank_intervals(result, lang: str = "en", ax=None):
    """Each commune's rank (dot), median simulated rank (tick) and 90 % interval (bar).

    ``result`` is :func:`cibg_ds.divide.exclusion_index`'s :class:`IndexResult`.

    Parameters
    ----------
    result : cibg_ds.divide.IndexResult
    lang : str
    ax : matplotlib.axes.Axes, optional

    Returns
    -------
    matplotlib.axes.Axes
        The axes drawn on.
    """
    _ = gettext(lang)
    t = result.table.sort_values("rank_median", ascending=False)
    ax = axes(ax, (7, 0.32 * len(t) + 1.2))
    y = np.arange(len(t))
    labels = _names(t, lang)
    ax.hlines(y, t["rank_lo"], t["rank_hi"], color="#9ecae1", linewidth=6,
              label=_("90 % interval"))  # fmt: skip
    ax.plot(t["rank_median"], y, "|", color="#08519c", markersize=14, label=_("median rank"))
    ax.plot(t["rank"], y, "o", color="#b00020", markersize=5, label=_("rank (base choices)"))
    ax.set_yticks(y, labels, fontsize=8)
    ax.set_xlim(0.5, len(t) + 0.5)
    ax.set_xticks(range(1, len(t) + 1, 2))
    ax.invert_xaxis()
    ax.set_xlabel(_("rank (1 = highest risk of digital exclusion)"))
    s = result.settings
    varied = _(" and ").join(_(CHOICES.get(v, v)) for v in s["vary"]) or _("nothing")
    ax.set_title(
        _("Exclusion-risk rank and its uncertainty ({n} runs varying {what})").format(
            n=s["n_sim"], what=varied
        ),
        fontsize=10,
    )
    ax.legend(fontsize=7, loc="lower right")  # the corner the ranks leave empty
    ax.grid(axis="x", alpha=0.3)
    first = t.sort_values("rank").iloc[0]
    describe(
        ax,
        _("Chart of each commune's exclusion-risk rank with its 90 % interval; rank 1 is "
          "{name} (interval {lo:.0f} to {hi:.0f}).").format(
            name=_names(first.to_frame().T, lang).iloc[0], lo=first["rank_lo"], hi=first["rank_hi"]
        ),
        lang=lang,
    )  # fmt: skip
    return ax


def index_map(gdf, *, normalisation: str = "minmax", lang: str = "en", ax=None):
    """Map the exclusion-risk index of the communes in five natural-breaks classes.

    Parameters
    ----------
    gdf : geopandas.GeoDataFrame
        Communes with the ``score`` of :func:`cibg_ds.divide.exclusion_index` (for example
        :meth:`cibg_ds.reports.DivideReport.map_table`).
    normalisation : str
        The index's normalisation (``minmax``, ``zscore`` or ``rank``), named in the legend.
    lang : str
    ax : matplotlib.axes.Axes, optional

    Returns
    -------
    matplotlib.axes.Axes
        The axes drawn on.
    """
    from cibg_ds.checks import choice
    from cibg_ds.viz.maps import static_map

    _ = gettext(lang)
    legends = {  # what the index's values are under each normalisation
        "minmax": _("index (0-10)"),
        "zscore": _("index (mean of z-scores)"),
        "rank": _("index (mean rank)"),
    }
    choice("normalisation", normalisation, legends)
    return static_map(
        gdf,
        "score",
        _("Exclusion-risk index (higher: more risk)"),
        scheme="fisherjenks",
        k=5,
        cmap="OrRd",
        legend_title=legends[normalisation],
        decimals=1,
        lang=lang,
        ax=ax,
    )


def plot_skills(estimates, lang: str = "en", ax=None):
    """Bars of residents with limited (of whom none) skills per commune, with intervals.

    Parameters
    ----------
    estimates : pandas.DataFrame
        Per commune skill estimates with their intervals (:mod:`cibg_ds.divide.skills`).
    lang : str
    ax : matplotlib.axes.Axes, optional

    Returns
    -------
    matplotlib.axes.Axes
        The axes drawn on.
    """
    _ = gettext(lang)
    t = estimates.sort_values("limited")
    ax = axes(ax, (7, 0.32 * len(t) + 1.2))
    y = np.arange(len(t))
    labels = _names(t, lang)
    ax.barh(y, t["limited"], color="#fdae6b", label=_("limited skills"))
    ax.barh(y, t["none"], color="#d94801", label=_("of whom no skills"))
    err = [t["limited"] - t["limited_lo"], t["limited_hi"] - t["limited"]]
    ax.errorbar(t["limited"], y, xerr=err, fmt="none", ecolor="#333333", capsize=2, lw=0.8)
    ax.set_yticks(y, labels, fontsize=8)
    ax.set_xlabel(_("residents (estimate, 90 % interval)"))
    total, none = int(t["limited"].sum()), int(t["none"].sum())
    from babel.numbers import format_decimal

    title = _("Residents with limited digital skills: {total} in all, {none} with none").format(
        total=format_decimal(total, locale=lang), none=format_decimal(none, locale=lang)
    )
    ax.set_title(title, fontsize=10)
    ax.legend(fontsize=8, loc="lower right")
    top = labels.iloc[-1] if len(t) else "-"
    describe(ax, _("Bar chart: {title}; most in {name}.").format(title=title, name=top), lang=lang)
    return ax


def plot_sensitivity(result, lang: str = "en", ax=None):
    """Mean rank shift when one choice is switched, largest first.

    Parameters
    ----------
    result : cibg_ds.divide.IndexResult
    lang : str
    ax : matplotlib.axes.Axes, optional

    Returns
    -------
    matplotlib.axes.Axes
        The axes drawn on.
    """
    _ = gettext(lang)
    s = result.sensitivity.iloc[::-1]
    ax = axes(ax, (7, 0.3 * len(s) + 1.2))
    labels = [
        _("{choice}: {alternative}").format(
            choice=_(CHOICES.get(c, c)), alternative=indicator_label(a, lang)
        )
        for c, a in zip(s["choice"], s["alternative"], strict=True)
    ]
    ax.barh(labels, s["mean_abs_shift"], color="#6a51a3")
    ax.set_xlabel(_("mean shift of a commune's rank (places)"))
    ax.set_title(_("What moves the ranking most"), fontsize=10)
    ax.tick_params(axis="y", labelsize=8)
    describe(
        ax,
        _("Bar chart of how far each change of method moves the ranking; the largest is "
          "{what} ({shift} places on average).").format(
            what=labels[-1] if labels else "-",
            shift=number(float(s["mean_abs_shift"].iloc[-1]) if len(s) else 0.0, 1, lang),
        ),
        lang=lang,
    )  # fmt: skip
    return ax


def plot_profile(comparison, title: str = "", lang: str = "en", ax=None):
    """Plot a commune's indicators in standard deviations from the regional mean.

    Bars point right where the commune is at higher risk than the mean of the communes
    (the indicator's direction is applied), so red bars mean more risk; each bar's label
    gives the commune's value and that same mean, the reference of the bar.
    ``comparison`` is the ``comparison`` table of
    :meth:`cibg_ds.reports.DivideReport.profile` (``region_mean``, ``z``, ``direction``).

    Parameters
    ----------
    comparison : pandas.DataFrame
        The ``comparison`` table of a commune profile.
    title : str
        Title of the axes; default none.
    lang : str
    ax : matplotlib.axes.Axes, optional

    Returns
    -------
    matplotlib.axes.Axes
        The axes drawn on.
    """
    _ = gettext(lang)
    ax = axes(ax, (7.5, 0.45 * len(comparison) + 1.4))
    risk = comparison["z"] * comparison["direction"]
    colours = np.where(risk > 0, "#d7301f", "#2b8cbe")
    if "column" in comparison.columns:
        labels = [indicator_label(c, lang) for c in comparison["column"]]
    else:
        labels = list(comparison["indicator"])
    y = np.arange(len(comparison))
    ax.barh(y, risk, color=colours)
    ax.set_yticks(y, labels, fontsize=8)
    ax.axvline(0, color="#333333", linewidth=0.8)
    from babel.numbers import format_decimal

    reference = comparison["region_mean"] if "region_mean" in comparison else None
    for i, value in enumerate(comparison["commune"]):
        pattern = "#,##0" if abs(value) >= 1000 else "#,##0.0"
        text = format_decimal(round(value, 1), format=pattern, locale=lang)
        if reference is not None:
            text = _("{value} (mean of the communes {mean})").format(
                value=text,
                mean=format_decimal(round(reference.iloc[i], 1), format=pattern, locale=lang),
            )
        ax.annotate(text, (0, i), xytext=(4, 8), textcoords="offset points", fontsize=7,
                    color="#333333")  # fmt: skip
    ax.set_xlabel(_("standard deviations from the mean of the communes, towards more risk (right)"))
    ax.set_title(title or _("Indicators compared with the region"), fontsize=10)
    ax.invert_yaxis()
    higher = [lab for lab, r in zip(labels, risk, strict=True) if r > 0]
    describe(
        ax,
        _("Bar chart: {title}. Higher risk than the mean of the communes for: {names}.").format(
            title=ax.get_title(), names=", ".join(higher) or "-"
        ),
        lang=lang,
    )
    return ax


_docs.share(
    plot_rank_intervals, plot_skills, plot_sensitivity, plot_profile, index_map,
    lang=_docs.LANG, ax=_docs.AX,
    result="The :class:`~cibg_ds.divide.IndexResult` of :func:`cibg_ds.divide.exclusion_index`.",
)  # fmt: skip
