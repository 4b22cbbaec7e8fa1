"""The data quality trend page: every measure of a quality history over time, offline.

One small inline SVG chart per measure (no script, no CDN): the observed values, the
expected band of :mod:`cibg_ds.quality.drift` in grey and the alerts in red; the alert
sentences above the charts. Days with fewer than ``k`` distinct units are left out of
the charts (a published cell needs ``k`` vehicles, :mod:`cibg_ds.privacy`).
"""

from __future__ import annotations

import html
import os
from pathlib import Path

import numpy as np
import pandas as pd

from cibg_ds.i18n import check_lang, gettext
from cibg_ds.io.atomic import write_text_atomic
from cibg_ds.quality import drift
from cibg_ds.reports.header import caveats, header, period_text


def _groups(_) -> tuple:
    """Sections of the page: title in the reader's language, kinds of measure."""
    return (
        (_("Volume"), ("rows", "distinct_units", "fixes_per_unit")),
        (_("Faults"), ("failed_share",)),
        (_("Missing values"), ("null_share",)),
        (_("Speed"), ("speed",)),
        (_("Classes and countries"), ("share",)),
        (_("Time coverage per hour"), ("hour_share",)),
    )


_W, _H, _PAD, _AXIS = 300, 96, 4, 14
_STYLE = (
    "<style>body{font-family:system-ui,sans-serif;margin:2rem;color:#1f2328;max-width:78rem}"
    ".cibg-charts{display:flex;flex-wrap:wrap;gap:.8rem}.cibg-chart{width:300px}"
    ".cibg-chart h4{font-size:.8rem;margin:.2rem 0;font-weight:600}"
    ".cibg-chart small{color:#57606a}.cibg-alerts li{color:#b00020}</style>"
)


def _svg(table: pd.DataFrame, b: pd.DataFrame, lang: str) -> str:
    """Return one measure's chart: the band, the line and the alerts."""
    days = (table.index - table.index[0]).days.to_numpy()
    span = max(days[-1], 1)
    observed = table.to_numpy("float64")
    low, high = b["low"].to_numpy("float64"), b["high"].to_numpy("float64")
    finite = np.concatenate([v[np.isfinite(v)] for v in (observed, low, high)])
    lo, hi = (finite.min(), finite.max()) if len(finite) else (0.0, 1.0)
    hi = hi if hi > lo else lo + 1

    def x(d):
        return _PAD + (_W - 2 * _PAD) * d / span

    def y(v):
        return _H - _PAD - (_H - 2 * _PAD) * (v - lo) / (hi - lo)

    parts = []
    for d, a, z in zip(days, low, high, strict=True):
        if np.isfinite(a) and np.isfinite(z):  # the band, a bar per judged day
            parts.append(f"<rect x='{x(d) - 3:.1f}' y='{y(z):.1f}' width='6' "
                         f"height='{max(y(a) - y(z), 1):.1f}' fill='#d0d7de'/>")  # fmt: skip
    segments, current = [], []
    for d, v in zip(days, observed, strict=True):
        if np.isfinite(v):
            current.append(f"{x(d):.1f},{y(v):.1f}")
        elif current:
            segments.append(current)
            current = []
    segments.append(current)
    for seg in segments:
        if len(seg) > 1:
            parts.append(f"<polyline points='{' '.join(seg)}' fill='none' stroke='#1f4e79' "
                         "stroke-width='1.5'/>")  # fmt: skip
    for d, v, flag in zip(days, observed, b["alert"].to_numpy(bool), strict=True):
        if np.isfinite(v):
            colour, r = ("#b00020", 3.5) if flag else ("#1f4e79", 1.6)
            parts.append(f"<circle cx='{x(d):.1f}' cy='{y(v):.1f}' r='{r}' fill='{colour}'/>")
    parts.append(_time_axis(table.index, x, lang))
    measure = table.name
    scale = f"{drift.value_text(measure, lo, lang)} – {drift.value_text(measure, hi, lang)}"
    height = _H + _AXIS
    return (
        f"<svg xmlns='http://www.w3.org/2000/svg' width='{_W}' height='{height}' "
        f"viewBox='0 0 {_W} {height}' role='img'><rect width='{_W}' height='{_H}' fill='#fff' "
        f"stroke='#d0d7de'/>{''.join(parts)}</svg><br><small>{html.escape(scale)}</small>"
    )


def _time_axis(dates: pd.DatetimeIndex, x, lang: str) -> str:
    """Return the dates under a chart: a tick on each Monday, the first and last day named."""
    from babel.dates import format_date

    first = dates[0]
    ticks = [
        f"<line x1='{x(d):.1f}' y1='{_H}' x2='{x(d):.1f}' y2='{_H + 3}' stroke='#57606a'/>"
        for d in ((day - first).days for day in dates if day.weekday() == 0)
    ]
    labels = []
    for day, anchor in ((first, "start"), (dates[-1], "end")):
        text = html.escape(format_date(day.date(), "d MMM", locale=lang))
        at = x((day - first).days)
        labels.append(f"<text x='{at:.1f}' y='{_H + _AXIS - 2}' font-size='9' fill='#57606a' "
                      f"text-anchor='{anchor}'>{text}</text>")  # fmt: skip
    return "".join(ticks + labels)


def charts_html(states: pd.DataFrame, lang: str = "en", k: int | None = None) -> str:
    """Return the charts of the trend page and its method notes (HTML, for a notebook too).

    Days with fewer than ``k`` distinct units (default the ``k_anonymity`` setting) are
    left out.
    """
    from cibg_ds.privacy import resolve_k

    lang = check_lang(lang)
    _ = gettext(lang)
    k = resolve_k(k)
    table = drift.measure_table(states)
    b = drift.bands(table)
    shown = table.where(table["distinct_units"] >= k, np.nan, axis=0)
    sections = []
    for group, kinds in _groups(_):
        names = [c for c in table.columns if drift.kind(c) in kinds]
        charts = []
        for name in names:
            mine = b[b["measure"] == name].set_index("date").reindex(table.index)
            mine["alert"] = mine["alert"].fillna(False).astype(bool) & shown[name].notna()
            charts.append(f"<div class='cibg-chart'><h4>{html.escape(drift.label(name, lang))}"
                          f"</h4>{_svg(shown[name], mine, lang)}</div>")  # fmt: skip
        if charts:
            sections.append(f"<h2>{group}</h2><div class='cibg-charts'>{''.join(charts)}</div>")
    notes = caveats(
        [
            _("Days with fewer than {k} distinct units are left out of the charts.").format(k=k),
            _(
                "Days whose usual number of units is below {n} (weekends of a small fleet) "
                "are not judged."
            ).format(n=drift.MIN_UNITS),
            _("Speed quantiles are read from 1 km/h bins: within 1 km/h of the exact value."),
        ],
        lang=lang,
        method=_(
            "Expected value: the median of the same weekday (the same hour of the week "
            "for hourly shares) over the four weeks before, with at least three such "
            "days; range: the median plus or minus 3.5 scaled median absolute "
            "deviations, or a floor per kind of measure when larger."
        ),
    )
    return _STYLE + "".join(sections) + notes.html


def trend_html(
    states: pd.DataFrame,
    lang: str = "en",
    *,
    title: str | None = None,
    sources=("simulated_feed",),
    simulated: bool = False,
    k: int | None = None,
    run_date=None,
) -> str:
    """Return the trend page of a quality history as one self-contained HTML document.

    Parameters
    ----------
    states : pandas.DataFrame
        :func:`cibg_ds.quality.history.read_states`.
    lang : {"en", "fr", "nl"}
    title : str, optional
        Default "Data quality over time" in ``lang``.
    sources : iterable of str
        Keys of :data:`cibg_ds.reports.header.SOURCES` (or text).
    simulated : bool
        Show the simulated-data banner.
    k : int, optional
        Days with fewer distinct units are left out (default the ``k_anonymity`` setting).
    run_date : date, optional
    """
    from cibg_ds.privacy import resolve_k

    lang = check_lang(lang)
    _ = gettext(lang)
    k = resolve_k(k)
    table = drift.measure_table(states)
    found = drift.alerts(table, lang)
    title = title or _("Data quality over time")
    first = last = None
    if len(table):
        first, last = table.index[0].date(), table.index[-1].date()
    head = header(title, lang=lang, period=period_text(first, last, lang), run_date=run_date,
                  sources=sources, simulated=simulated, description=_(
        "Each day's measures of the feed against the same weekday of the four weeks before: "
        "the grey bars are the expected range, red dots the days outside it."))  # fmt: skip
    heading, calm = _("Alerts"), _("No day is outside its expected range.")
    if len(found):
        listed = "".join(f"<li>{html.escape(s)}</li>" for s in found["sentence"])
        alerts = f"<h2>{heading}</h2><ul class='cibg-alerts'>{listed}</ul>"
    else:
        alerts = f"<h2>{heading}</h2><p>{calm}</p>"
    charts = charts_html(states, lang, k=k)
    return (
        f"<!doctype html><html lang='{lang}'><head><meta charset='utf-8'>"
        f"<title>{html.escape(title)}</title>{_STYLE}</head><body>{head.html}{alerts}"
        f"{charts}</body></html>"
    )


def write_trend_page(states: pd.DataFrame, path: str | os.PathLike, lang: str = "en", **kw):
    """Write :func:`trend_html` to ``path`` (atomically); return the path."""
    return write_text_atomic(Path(path), trend_html(states, lang, **kw))
