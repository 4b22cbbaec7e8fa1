"""Drift and outage alerts: each day's measures against the same weekday of past weeks.

For a day and a measure (:func:`cibg_ds.quality.metrics.measures`), the expected value is
the **median** of the same measure on the same weekday of the :data:`WINDOW` weeks before
(the hourly measures ``hour_share:HH`` so compare the same hour of the week); at least
:data:`MIN_HISTORY` such days are needed, otherwise the day is not judged. The band is the
median plus or minus the largest of

* ``K`` times the scaled median absolute deviation (``1.4826 * MAD``, the standard
  deviation of normal data; one odd day in the window barely moves median and MAD),
* a relative floor (a share of the median) and an absolute floor, per kind of measure
  (:data:`FLOORS`): with a handful of past days the MAD alone can be zero. Shares of
  fixes (by class, country or hour) move with the units that happen to drive (all the
  fixes of a unit share its class), so their absolute floor is at least ``K`` binomial
  standard deviations over the units, ``K * sqrt(p (1 - p) / units)``; shares of faulty
  or missing values (rows apart, rare) at least three Poisson standard deviations,
  ``3 * sqrt(p / rows)``.

A measure outside its band is an alert. Days whose expected number of distinct units is
below :data:`MIN_UNITS` (the weekends of a small fleet) are not judged: their measures
swing with every unit. The extremes (``speed_min``, ``speed_max``) are plotted but never
alert: single faulty fixes make them, and the expectations count those; nor does the
median of fixes per unit (it jumps with the mix of short and long days of a few units).
A day without any partition between the first and last day of the history counts as a
day with no rows (an outage), not as a gap.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd

from cibg_ds.i18n import check_lang, gettext
from cibg_ds.quality import metrics

WINDOW = 4
"""Trailing weeks the expected value is taken from."""
MIN_HISTORY = 3
"""Past same-weekday days needed before a day is judged."""
K = 3.5
"""Half-width of the band in scaled MADs."""
MIN_UNITS = 10
"""Fewest expected distinct units for a day to be judged."""
NOT_JUDGED = frozenset({"speed_min", "speed_max", "fixes_per_unit_median"})
MAD_SCALE = 1.4826


@dataclasses.dataclass(frozen=True)
class Floor:
    """Smallest half-width of the band of a kind of measure."""

    relative: float
    """Share of the expected value."""
    absolute: float
    """In the measure's unit."""


FLOORS = {
    "rows": Floor(0.35, 0),
    "distinct_units": Floor(0.25, 3),
    "fixes_per_unit": Floor(0.35, 5),
    "hour_share": Floor(0.5, 0.05),
    "null_share": Floor(0.5, 0.001),
    "failed_share": Floor(0.5, 0.001),
    "share": Floor(0.5, 0.05),
    "speed": Floor(0.15, 3),
}
"""Measure kind (the name before ``:``, or its first word) -> floor of the band."""


def kind(measure: str) -> str:
    """Return the kind of a measure name (``failed_share:x`` -> ``failed_share``)."""
    head = measure.split(":", 1)[0]
    if head.startswith("speed"):
        return "speed"
    if head.startswith("fixes_per_unit"):
        return "fixes_per_unit"
    return head


def measure_table(states: pd.DataFrame) -> pd.DataFrame:
    """Return the measures of every day: one row per day (a ``DatetimeIndex``), one column each.

    Days between the first and the last partition that have none get zero rows and units.
    Shares and hourly counts absent from a day's state are zero on that day.
    """
    if states.empty:
        return pd.DataFrame(index=pd.DatetimeIndex([], name="date"))
    rows = {day: metrics.measures(st) for day, st in states.groupby("partition", sort=True)}
    table = pd.DataFrame.from_dict(rows, orient="index")
    table.index = pd.DatetimeIndex(pd.to_datetime(table.index), name="date")
    table = table.reindex(pd.date_range(table.index.min(), table.index.max(), freq="D",
                                        name="date"))  # fmt: skip
    shares = [c for c in table if kind(c) in ("share", "failed_share", "hour_share")]
    has_rows = table["rows"].fillna(0) > 0
    table.loc[has_rows, shares] = table.loc[has_rows, shares].fillna(0)
    table[["rows", "distinct_units"]] = table[["rows", "distinct_units"]].fillna(0)
    return table.sort_index(axis=1)


def bands(table: pd.DataFrame) -> pd.DataFrame:
    """Return the expected value and band of every day and measure.

    Returns
    -------
    pandas.DataFrame
        Columns ``date``, ``measure``, ``observed``, ``expected``, ``low``, ``high``,
        ``history`` (past days used), ``alert`` (observed outside the band).
    """
    out = []
    values = table.to_numpy("float64")
    n = len(table)
    units_at = table.columns.get_loc("distinct_units")
    rows_at = table.columns.get_loc("rows")
    skip = table.columns.isin(list(NOT_JUDGED))
    never_negative = np.array([kind(c) != "speed" for c in table.columns])
    for lag_rows in range(n):
        past = [lag_rows - 7 * w for w in range(1, WINDOW + 1) if lag_rows - 7 * w >= 0]
        if not past:
            continue
        history = values[past]
        count = (~np.isnan(history)).sum(axis=0)
        with np.errstate(all="ignore"), _quiet():
            median = np.nanmedian(history, axis=0)
            mad = np.nanmedian(np.abs(history - median), axis=0)
        units, rows = median[units_at], median[rows_at]
        floors = np.array(
            [_floor(c, m, units, rows) for c, m in zip(table.columns, median, strict=True)]
        )
        half = np.maximum(K * MAD_SCALE * mad, floors)
        observed = values[lag_rows]
        judged = (count >= MIN_HISTORY) & ~np.isnan(observed) & ~np.isnan(median) & ~skip
        judged &= units >= MIN_UNITS
        alert = judged & (np.abs(observed - median) > half)
        low = np.where(never_negative, np.maximum(median - half, 0), median - half)
        out.append(pd.DataFrame({
            "date": table.index[lag_rows], "measure": table.columns, "observed": observed,
            "expected": np.where(judged, median, np.nan), "low": np.where(judged, low,
            np.nan), "high": np.where(judged, median + half, np.nan), "history": count,
            "alert": alert,
        }))  # fmt: skip
    if not out:  # fewer than eight days: nothing to judge yet, in the same dtypes
        number = pd.Series(dtype="float64")
        return pd.DataFrame({
            "date": pd.Series(table.index[:0]), "measure": pd.Series(dtype=object),
            "observed": number, "expected": number, "low": number, "high": number,
            "history": pd.Series(dtype="int64"), "alert": pd.Series(dtype=bool),
        })  # fmt: skip
    return pd.concat(out, ignore_index=True)


class _quiet:
    """Silence numpy's "all-NaN slice" warnings (a measure without history is not judged)."""

    def __enter__(self):
        import warnings

        self._w = warnings.catch_warnings()
        self._w.__enter__()
        warnings.simplefilter("ignore", RuntimeWarning)

    def __exit__(self, *exc):
        self._w.__exit__(*exc)


def _floor(measure: str, median: float, units: float, rows: float) -> float:
    floor = FLOORS.get(kind(measure), Floor(0.25, 0.0))
    scale = abs(median) if np.isfinite(median) else 0.0
    absolute = floor.absolute
    if kind(measure) in ("share", "hour_share") and units > 0:  # units pick their class
        p = min(max(scale, 1 / units), 1.0)
        absolute = max(absolute, K * np.sqrt(p * (1 - p) / units))
    if kind(measure) in ("null_share", "failed_share") and rows > 0:  # faults: rows apart
        absolute = max(absolute, 3 * np.sqrt(scale / rows))
    return max(floor.relative * scale, absolute)


def alerts(table: pd.DataFrame, lang: str = "en") -> pd.DataFrame:
    """Return the alerts: the days and measures outside their band, with a sentence.

    Returns
    -------
    pandas.DataFrame
        ``date`` (ISO text), ``measure``, ``observed``, ``expected``, ``change`` (relative,
        ``-0.41`` for 41 % fewer), ``sentence`` (in ``lang``).
    """
    b = bands(table)
    found = b[b["alert"]].copy()
    found["date"] = [d.date().isoformat() for d in found["date"]]
    with np.errstate(all="ignore"):
        found["change"] = (found["observed"] - found["expected"]) / found["expected"].abs()
    found["sentence"] = [sentence(r, lang) for r in found.itertuples()]
    cols = ["date", "measure", "observed", "expected", "change", "sentence"]
    return found[cols].sort_values(["date", "measure"], ignore_index=True)


def label(measure: str, lang: str = "en") -> str:
    """Return the reader's name of a measure (``distinct units``, ``null latitudes``...)."""
    _ = gettext(lang)
    head, _sep, rest = measure.partition(":")
    names = {
        "rows": _("fixes"),
        "distinct_units": _("distinct units"),
        "fixes_per_unit": _("fixes per unit"),
        "fixes_per_unit_median": _("median fixes per unit"),
        "speed_min": _("lowest speed"),
        "speed_max": _("highest speed"),
        "speed_mean": _("mean speed"),
        "speed_p50": _("median speed"),
        "speed_p90": _("90th percentile of speed"),
        "speed_p99": _("99th percentile of speed"),
    }
    if head in names:
        return names[head]
    columns = {
        "obu_id": _("unit ids"), "ts": _("times"), "lat": _("latitudes"), "lon": _("longitudes"),
        "speed_kmh": _("speeds"), "heading_deg": _("headings"), "weight_class": _("weight classes"),
        "euro_class": _("Euro classes"), "country": _("countries"),
    }  # fmt: skip
    if head == "null_share":
        return _("share of missing {column}").format(column=columns.get(rest, rest))
    if head == "failed_share":
        return _("share of fixes failing “{rule}”").format(rule=rest.replace("_", " "))
    if head == "share":
        column, _sep, value = rest.partition("=")
        return _("share of fixes, {column}: {value}").format(column=columns.get(column, column),
                                                     value=value)  # fmt: skip
    if head == "hour_share":
        hour = int(rest)
        return _("share of fixes from {start}:00 to {end}:00").format(
            start=f"{hour:02d}", end=f"{hour + 1:02d}"
        )
    return measure


COUNTS = frozenset({"rows", "distinct_units", "fixes_per_unit"})
"""Kinds of measure whose alerts say "n % fewer/more"; the others give both values."""


def value_text(measure: str, value: float, lang: str = "en") -> str:
    """Return a measure's value as a reader writes it (``0.42 %``, ``31.2 km/h``, ``1,204``)."""
    from babel.numbers import format_decimal

    def format_number(x, lang, decimals):  # reports.header's rule (quality may not import it)
        pattern = "#,##0" + ("." + "0" * decimals if decimals else "")
        return format_decimal(round(float(x), decimals), format=pattern, locale=lang)

    lang = check_lang(lang)
    if not np.isfinite(value):
        return "–"
    if "share" in kind(measure):
        return f"{format_number(value * 100, lang, decimals=2)} %"
    if kind(measure) == "speed":
        return f"{format_number(value, lang, decimals=1)} km/h"
    return format_number(value, lang, decimals=0 if float(value).is_integer() else 1)


def sentence(alert, lang: str = "en") -> str:
    """Return the sentence of one alert (a row of :func:`bands` with ``alert`` set)."""
    from babel.dates import format_date

    lang = check_lang(lang)
    _ = gettext(lang)
    day = pd.Timestamp(alert.date).date()
    weekday = format_date(day, "EEEE", locale=lang)
    what = label(alert.measure, lang)
    if kind(alert.measure) in COUNTS and alert.expected:
        change = abs(alert.observed - alert.expected) / abs(alert.expected) * 100
        template = (
            _("{day}: {change} % fewer {measure} than a usual {weekday}")
            if alert.observed < alert.expected
            else _("{day}: {change} % more {measure} than a usual {weekday}")
        )
        return template.format(day=day.isoformat(), change=f"{change:.0f}", measure=what,
                               weekday=weekday)  # fmt: skip
    text = _("{day}: {measure} {observed} instead of about {expected} on a usual {weekday}")
    return text.format(day=day.isoformat(), measure=what, weekday=weekday,
                       observed=value_text(alert.measure, alert.observed, lang),
                       expected=value_text(alert.measure, alert.expected, lang))  # fmt: skip


def alert_records(table: pd.DataFrame) -> list[dict]:
    """Return the alerts as JSON-ready dicts (English sentences), for run records."""
    found = alerts(table)
    return [
        {k: (None if isinstance(v, float) and not np.isfinite(v) else v) for k, v in r.items()}
        for r in found.to_dict("records")
    ]
