"""Charts of truck traffic: hourly profiles, origin-destination, through traffic, Euro classes.

Every chart takes ``lang`` (``en``, ``fr``, ``nl``) for its labels and attaches a
description for its alt text (:func:`cibg_ds.viz.figures.show`).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from cibg_ds import _docs
from cibg_ds.i18n import gettext
from cibg_ds.viz.figures import axes, describe
from cibg_ds.viz.tables import number, weight_class_label

#: Euro 0 to 5 in reds (darkest: oldest), Euro 6 in blue: the low-emission-zone split.
EURO_COLOURS = ["#67000d", "#a50f15", "#cb181d", "#ef3b2c", "#fc9272", "#fcbba1", "#2171b5"]
SUPPRESSED = "#bdbdbd"


def _hour_axis(ax, _) -> None:
    """Lay the x axis out as the 24 local hours of a day (``_`` translates its label)."""
    ax.set_xticks(range(24))
    ax.set_xlim(-0.5, 23.5)
    ax.set_ylim(bottom=0)
    ax.tick_params(axis="x", labelsize=8)
    ax.set_xlabel(_("hour of day (Brussels time)"))


def weekday_names(lang: str = "en") -> list[str]:
    """Return the abbreviated day names, Monday first, in ``lang``."""
    from babel.dates import get_day_names

    names = get_day_names("abbreviated", locale=lang)
    return [str(names[i]).rstrip(".") for i in range(7)]


def plot_hourly(profile: pd.DataFrame, by: str = "weekday", lang: str = "en", k=None, ax=None):
    """Line per weekday (or commune) of mean vehicle-km per local hour, all 24 hours marked.

    ``profile`` is :func:`cibg_ds.mobility.hourly_profile` after suppression: a suppressed
    hour (fewer than ``k`` distinct trucks) is a gap in its line with a cross on the axis in
    the line's colour; an hour without traffic is a gap alone, as the note says.

    Parameters
    ----------
    profile : pandas.DataFrame
        :func:`cibg_ds.mobility.hourly_profile`, suppressed.
    by : str
        The column of the lines: ``weekday`` or ``commune``.
    lang : str
    k : int, optional
    ax : matplotlib.axes.Axes, optional

    Returns
    -------
    matplotlib.axes.Axes
        The axes drawn on.
    """
    _ = gettext(lang)
    ax = axes(ax, (8, 4))
    days = weekday_names(lang)
    hidden = 0
    for key, part in profile.groupby(by, sort=True):
        label = days[int(key)] if by == "weekday" else str(key)
        part = part.set_index("hour_of_day")
        values = part["vkm"].astype(float).reindex(range(24))
        (line,) = ax.plot(values.index, values.to_numpy(), marker="o", markersize=3, label=label)
        if "suppressed" in part.columns:
            gone = part.index[part["suppressed"].fillna(False).astype(bool)]
            ax.plot(gone, np.zeros(len(gone)), "x", color=line.get_color(), markersize=6,
                    clip_on=False)  # fmt: skip
            hidden += len(gone)
    if hidden:
        ax.plot([], [], "x", color="#555555", label=_("suppressed (fewer than {k} trucks)").format(
            k=k if k is not None else "k"))  # fmt: skip
    _hour_axis(ax, _)
    ax.set_ylabel(_("vehicle-kilometres (mean per day)"))
    ax.set_title(_("Truck vehicle-kilometres by hour of day"))
    ax.legend(ncols=2 if profile[by].nunique() > 7 else 1, fontsize=8, loc="upper left",
              bbox_to_anchor=(1.0, 1.0))  # fmt: skip
    ax.grid(alpha=0.3)
    ax.annotate(
        _("Gaps: hours suppressed (fewer than {k} distinct trucks) or without traffic.").format(
            k=k if k is not None else "k"
        ),
        (0, -0.22), xycoords="axes fraction", fontsize=7, color="#555555",
    )  # fmt: skip
    busiest = profile.groupby("hour_of_day")["vkm"].mean().astype(float)
    peak = int(busiest.idxmax()) if busiest.notna().any() else None
    describe(
        ax,
        _("Line chart of truck vehicle-kilometres per hour of day, one line per day; "
          "the busiest hour on average starts at {hour}:00.").format(hour=peak),
        lang=lang,
    )  # fmt: skip
    return ax


def plot_od(matrix: pd.DataFrame, names: dict | None = None, lang: str = "en", ax=None):
    """Heat map of an origin-destination matrix (log colour scale; blanks = suppressed).

    Parameters
    ----------
    matrix : pandas.DataFrame
        :func:`cibg_ds.mobility.od_matrix`: origins x destinations.
    names : dict, optional
        Commune names by NIS code; default the names in ``lang``.
    lang : str
    ax : matplotlib.axes.Axes, optional

    Returns
    -------
    matplotlib.axes.Axes
        The axes drawn on.
    """
    from matplotlib.colors import LogNorm

    _ = gettext(lang)
    ax = axes(ax, (8, 7))
    values = matrix.astype(float).to_numpy()
    shown = np.where(values > 0, values, np.nan)
    finite = shown[np.isfinite(shown)]
    norm = LogNorm(vmin=finite.min(), vmax=finite.max()) if finite.size else None
    image = ax.imshow(shown, cmap="magma_r", norm=norm)
    labels = [(names or {}).get(x, x) for x in matrix.index]
    ax.set_xticks(range(len(matrix.columns)), [(names or {}).get(x, x) for x in matrix.columns],
                  rotation=90, fontsize=7)  # fmt: skip
    ax.set_yticks(range(len(matrix.index)), labels, fontsize=7)
    ax.set_xlabel(_("destination"))
    ax.set_ylabel(_("origin"))
    ax.set_title(_("Truck trips between communes (blank: none or suppressed)"))
    ax.figure.colorbar(image, ax=ax, shrink=0.7, label=_("trips (log scale)"))
    if finite.size:
        i, j = np.unravel_index(np.nanargmax(shown), shown.shape)
        text = _("Heat map of truck trips between communes; the largest flow is from {a} to "
                 "{b}.").format(a=labels[i], b=(names or {}).get(matrix.columns[j], matrix.columns[j]))  # fmt: skip # noqa: E501
    else:
        text = _("Heat map of truck trips between communes: every pair is suppressed.")
    describe(ax, text, lang=lang)
    return ax


def plot_through(share: pd.DataFrame, by: str = "hour", lang: str = "en", k=None, ax=None):
    """Bars of the through-traffic share (% of trips) per hour (all 24) or weight class.

    A suppressed row (fewer than ``k`` distinct trucks) is a hatched grey bar marked
    "suppressed", never a 0 % bar; an hour without any trip is marked "no trips".

    Parameters
    ----------
    share : pandas.DataFrame
        :func:`cibg_ds.mobility.through_share`, suppressed.
    by : str
        ``hour`` or ``weight_class``.
    lang : str
    k : int, optional
    ax : matplotlib.axes.Axes, optional

    Returns
    -------
    matplotlib.axes.Axes
        The axes drawn on.
    """
    _ = gettext(lang)
    ax = axes(ax, (9, 3.8))
    table = share.set_index(by)
    keys = list(range(24)) if by == "hour" else list(table.index)
    table = table.reindex(keys)
    values = 100 * pd.to_numeric(table["share_through"], errors="coerce").astype(float)
    present = pd.Series(table.index.isin(share[by]), index=table.index)
    positions = np.arange(len(keys))
    shown = values.notna().to_numpy()
    ax.bar(positions[shown], values[shown], color="#3b6ea5", label=_("through trips (%)"))
    top = float(np.nanmax(values)) * 1.15 if shown.any() else 1.0
    ax.set_ylim(0, top)
    hidden = (~shown) & present.to_numpy()
    if hidden.any():
        ax.bar(positions[hidden], top, color="#f0f0f0", edgecolor=SUPPRESSED, hatch="///",
               linewidth=0, label=_("suppressed (fewer than {k} trucks)").format(
                   k=k if k is not None else "k"))  # fmt: skip
    for x in positions[~present.to_numpy()]:
        ax.text(x, top * 0.02, _("no trips"), rotation=90, ha="center", va="bottom",
                fontsize=7, color="#555555")  # fmt: skip
    ticks = [str(x) if by == "hour" else weight_class_label(x, lang) for x in keys]
    ax.set_xticks(positions, ticks, fontsize=8)
    ax.set_xlim(-0.6, len(keys) - 0.4)
    ax.set_ylabel(_("through trips (% of trips)"))
    ax.set_xlabel(_("hour of day (Brussels time)") if by == "hour" else _("weight class"))
    ax.set_title(_("Share of trips that cross the region without stopping"))
    ax.grid(axis="y", alpha=0.3)
    ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.0, 1.0))
    best = values.idxmax() if shown.any() else None
    describe(
        ax,
        _(
            "Bar chart of the share of through trips by {by}; highest {value} % at {key}; "
            "{n} suppressed."
        ).format(
            by=ax.get_xlabel(),
            value=number(values.max(), 1, lang) if shown.any() else "-",
            key=best,
            n=int(hidden.sum()),
        ),
        lang=lang,
    )
    return ax


def plot_euro(shares: pd.DataFrame, label: str = "commune", lang: str = "en", ax=None):
    """Horizontal stacked bars of vehicle-km shares by Euro class (``euro_0`` ... ``euro_6``).

    Euro 0 to 5 (the classes the low-emission zone restricts) are shades of red, darkest
    for the oldest; Euro 6 is blue. Rows are drawn in the order given, top first.

    Parameters
    ----------
    shares : pandas.DataFrame
        Vehicle-km shares ``euro_0`` ... ``euro_6`` per row.
    label : str
        The column naming the rows.
    lang : str
    ax : matplotlib.axes.Axes, optional

    Returns
    -------
    matplotlib.axes.Axes
        The axes drawn on.
    """
    _ = gettext(lang)
    ax = axes(ax, (8.5, 0.3 * len(shares) + 1.8))
    cols = [f"euro_{e}" for e in range(7) if f"euro_{e}" in shares.columns]
    y = np.arange(len(shares))
    left = np.zeros(len(shares))
    for col in cols:
        values = 100 * shares[col].astype(float).fillna(0).to_numpy()
        number = int(col.split("_")[1])
        ax.barh(y, values, left=left, color=EURO_COLOURS[number], label=f"Euro {number}")
        left += values
    ax.set_yticks(y, shares[label].astype(str), fontsize=8)
    ax.invert_yaxis()
    ax.set_xlim(0, 100)
    ax.set_xlabel(_("share of truck vehicle-kilometres (%)"))
    ax.set_title(_("Euro emission class of truck vehicle-kilometres\n"
                   "Euro 5 and older: red shades; Euro 6: blue"), fontsize=10, pad=22)  # fmt: skip
    ax.legend(fontsize=7, ncols=7, loc="lower center", bbox_to_anchor=(0.5, 1.0), frameon=False)
    old = 100 * shares[[c for c in cols if c != "euro_6"]].astype(float).fillna(0).sum(axis=1)
    if len(shares):
        first = shares[label].astype(str).iloc[int(np.argmax(old.to_numpy()))]
        text = _("Stacked bar chart of the Euro classes of truck vehicle-kilometres per "
                 "commune; the largest share of Euro 5 and older is {value} % in {name}.")  # fmt: skip # noqa: E501
        describe(ax, text.format(value=f"{old.max():.0f}", name=first), lang=lang)
    return ax


_docs.share(
    plot_hourly, plot_od, plot_through, plot_euro,
    lang=_docs.LANG, ax=_docs.AX,
    k=_docs.K,
)  # fmt: skip
