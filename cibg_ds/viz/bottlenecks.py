"""Truck bottlenecks for readers: the ranked table with its intervals, hourly delay profiles."""

from __future__ import annotations

import pandas as pd

from cibg_ds.i18n import gettext
from cibg_ds.viz.figures import describe
from cibg_ds.viz.tables import number


def road_label(ranking: pd.DataFrame, lang: str = "en") -> pd.Series:
    """Return each segment's road name in ``lang`` (Dutch for ``nl``, else French).

    Falls back on the other language, the road number (``ref``), the kind of road
    (``highway``), then the segment id (:func:`cibg_ds.viz.tables.road_names`). A name
    that two rows share is followed by the commune of each (``road_commune``): two ranked
    segments of one long road are told apart; one they still share, by the direction trucks
    drive on each (``road_heading``): the two carriageways of one avenue.

    Parameters
    ----------
    ranking : pandas.DataFrame
        Rows with ``segment_id`` and any of ``road_name_fr``, ``road_name_nl``,
        ``road_ref``, ``highway``, ``road_commune``, ``road_heading``.
    lang : str
        ``en``, ``fr`` or ``nl``.

    Returns
    -------
    pandas.Series
        One name per row (string).
    """
    from cibg_ds.viz.tables import road_names

    names = {"road_name_fr": "name_fr", "road_name_nl": "name_nl", "road_ref": "ref",
             "highway": "highway"}  # fmt: skip
    columns = ["segment_id", *(c for c in names if c in ranking.columns)]
    label = road_names(pd.DataFrame(ranking[columns]).rename(columns=names), lang)
    shared = label.duplicated(keep=False).to_numpy()
    if shared.any() and "road_commune" in ranking.columns:
        from cibg_ds.viz.tables import commune_names

        places = commune_names(lang)
        where = ranking["road_commune"].map(lambda c: places.get(c, c)).astype("string")
        label = label.where(~shared, label + ", " + where)
    shared = label.duplicated(keep=False).to_numpy()
    if shared.any() and "road_heading" in ranking.columns:  # two carriageways of one road
        towards = _headings(lang)
        heading = ranking["road_heading"].map(lambda h: towards.get(h, "")).astype("string")
        label = label.where(~shared | (heading == ""), label + ", " + heading)
    return label


def _headings(lang: str) -> dict[str, str]:
    """Return the words of a direction of travel, by compass point, in ``lang``."""
    _ = gettext(lang)
    return {
        "N": _("northbound"), "NE": _("north-eastbound"), "E": _("eastbound"),
        "SE": _("south-eastbound"), "S": _("southbound"), "SW": _("south-westbound"),
        "W": _("westbound"), "NW": _("north-westbound"),
    }  # fmt: skip


def bottleneck_table(ranking: pd.DataFrame, lang: str = "en") -> pd.DataFrame:
    """Return the ranking as readers read it: rank and interval, road, delay, indices.

    Parameters
    ----------
    ranking : pandas.DataFrame
        ``Bottlenecks.ranking`` (or the report's published ``bottlenecks`` table).
    lang : str
        ``en``, ``fr`` or ``nl``: headers, names and numbers.

    Returns
    -------
    pandas.DataFrame
        One row per bottleneck, columns named in ``lang``.
    """
    _ = gettext(lang)
    columns = ("delay_rank", "delay_rank_low", "delay_rank_high")
    rank, low, high = (ranking[c].astype("Int64") for c in columns)
    interval = [f"{r} ({lo}–{hi})" for r, lo, hi in zip(rank, low, high, strict=True)]
    return pd.DataFrame(
        {
            _("Rank (95% interval)"): interval,
            _("Road"): road_label(ranking, lang).to_numpy(),
            _("Truck delay (vehicle-hours)"): [number(v, 1, lang) for v in ranking["delay_veh_h"]],
            _("Distinct trucks"): ranking["n_vehicles"].astype("Int64").to_numpy(),
            _("Free-flow speed (km/h)"): [number(v, 0, lang) for v in ranking["free_flow_kmh"]],
            _("Travel Time Index"): [number(v, 2, lang) for v in ranking["tti"]],
            _("Planning Time Index"): [number(v, 2, lang) for v in ranking["pti"]],
            _("Worst hour"): [f"{int(h)}:00" if pd.notna(h) else "–" for h in ranking["worst_bin"]],
        }
    )


def plot_delay_profiles(hours: pd.DataFrame, ranking: pd.DataFrame, lang: str = "en", ax=None):
    """One line per ranked segment: truck delay (vehicle-hours) per local hour of day.

    Parameters
    ----------
    hours : pandas.DataFrame
        The report's ``bottleneck_hours`` (after suppression: a suppressed hour is a gap).
    ranking : pandas.DataFrame
        Its ``bottlenecks``, which give the order and the names.
    lang : str
        ``en``, ``fr`` or ``nl``.
    ax : matplotlib.axes.Axes, optional
        Where to draw; default a new figure.

    Returns
    -------
    matplotlib.axes.Axes
        With its description for the alt text.
    """
    from cibg_ds.viz.figures import axes
    from cibg_ds.viz.mobility import _hour_axis

    _ = gettext(lang)
    ax = axes(ax, (8, 4))
    names = dict(zip(ranking["segment_id"], road_label(ranking, lang), strict=True))
    for rank, segment in zip(ranking["delay_rank"], ranking["segment_id"], strict=True):
        part = hours[hours["segment_id"] == segment].set_index("hour")
        values = part["delay_veh_h"].astype(float).reindex(range(24))
        ax.plot(values.index, values.to_numpy(), marker="o", markersize=3,
                label=f"{int(rank)}. {names[segment]}")  # fmt: skip
    _hour_axis(ax, _)
    ax.set_ylabel(_("truck delay (vehicle-hours)"))
    ax.set_title(_("Truck delay by hour on the worst bottlenecks"))
    ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.0, 1.0))
    ax.grid(alpha=0.3)
    total = hours.groupby("hour")["delay_veh_h"].sum().astype(float)
    peak = int(total.idxmax()) if total.notna().any() and len(total) else None
    describe(
        ax,
        _("Line chart of truck delay per hour of day on the {n} worst bottlenecks; the most "
          "delay is lost in the hour starting at {hour}:00.").format(n=len(ranking), hour=peak),
        lang=lang,
    )  # fmt: skip
    return ax


__all__ = ["bottleneck_table", "plot_delay_profiles", "road_label"]
