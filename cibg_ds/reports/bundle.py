"""What a client bundle says about itself: index page, README, data dictionaries, verdicts.

:func:`cibg_ds.pipelines.deliver` writes these into every zip beside the reports and the
products, so that an agency can open ``index.html`` offline, read ``README.txt`` and look
up every column of every table in ``data_dictionary.csv``.
"""

from __future__ import annotations

import html
import re
from pathlib import Path

import pandas as pd

from cibg_ds.i18n import check_lang, gettext
from cibg_ds.quality.suites import suite_title
from cibg_ds.reports.header import format_number


def _(message: str) -> str:
    """Mark a message for the catalogue; translated where the dictionary is written."""
    return message


# column -> (meaning, unit); prefixes end with "_" and match the start of a column name.
# Meanings and units that are words are marked for the catalogue; symbols (SYMBOLS) are not.
_COLUMNS = {
    "cell_id": (_("European statistical grid cell (EPSG:3035), id of its lower-left corner"), ""),
    "daytype": (_("weekday (Monday-Friday) or weekend; one row per cell and day type"), ""),
    "weekday": (_("day of the week (0 = Monday)"), ""),
    "hour_of_day": (_("hour of the day, local time"), "h"),
    "hour": (_("hour of the day, local time"), "h"),
    "date": (_("local date"), ""),
    "commune": (_("NIS code of the commune"), ""),
    "origin": (_("commune where trips start (NIS code, or outside)"), ""),
    "destination": (_("commune where trips end (NIS code, or outside)"), ""),
    "segment_id": (_("road segment of the network"), ""),
    "road_class": (_("class of the road (motorway, primary, ...)"), ""),
    "highway": (_("OpenStreetMap road class (motorway, trunk, primary, ...)"), ""),
    "weight_class": (_("maximum authorised mass class of the truck"), ""),
    "n_fixes": (_("GPS positions counted"), _("positions")),
    "n_vehicles": (
        _("distinct trucks (where a row covers several hours or days: a lower bound)"),
        _("trucks"),
    ),
    "n_trips": (_("trips counted"), _("trips")),
    "n_through": (_("trips that crossed the region without stopping in it"), _("trips")),
    "vkm": (_("truck vehicle-kilometres"), "km"),
    "usual_vkm": (_("median vehicle-km of the publishable days of the same day type"), "km"),
    "days": (_("days averaged"), _("days")),
    "speed_mean": (_("mean speed"), "km/h"),
    "speed_p85": (_("85th percentile of speeds"), "km/h"),
    "free_flow_kmh": (_("free-flow speed: 85th percentile of off-peak speeds"), "km/h"),
    "tti_am": (_("Travel Time Index, morning peak 6-9 h (1 = free flow)"), _("ratio")),
    "tti_pm": (_("Travel Time Index, evening peak 16-19 h (1 = free flow)"), _("ratio")),
    "reliability": (
        _("travel-time reliability: 95th percentile over median travel time (1 = no spread)"),
        _("ratio"),
    ),
    "n_traversals": (_("times a truck drove the road segment (map-matched)"), _("traversals")),
    "speed_median_kmh": (_("median speed of the traversals"), "km/h"),
    "delay_veh_h": (_("truck delay against free flow"), _("vehicle-hours")),
    "delay_per_traversal_s": (_("mean truck delay per traversal against free flow"), "s"),
    "tti": (_("Travel Time Index: mean travel time over free flow (1 = free flow)"), _("ratio")),
    "pti": (_("Planning Time Index: 95th percentile travel time over free flow"), _("ratio")),
    "delay_rank": (_("rank by total truck delay (1 = most delay)"), _("rank")),
    "delay_rank_low": (_("lower end of the 95 % bootstrap interval of the rank"), _("rank")),
    "delay_rank_high": (_("upper end of the 95 % bootstrap interval of the rank"), _("rank")),
    "worst_bin": (_("local hour with the most truck delay"), "h"),
    "road_name_fr": (_("name of the road in French (OpenStreetMap)"), ""),
    "road_name_nl": (_("name of the road in Dutch (OpenStreetMap)"), ""),
    "road_ref": (_("road number (OpenStreetMap ref)"), ""),
    "road_commune": (_("NIS code of the commune holding the middle of the road segment"), ""),
    "road_heading": (
        _("compass point trucks drive towards on a one-way road segment (empty: two-way)"),
        "",
    ),
    "share_through": (_("share of trips that only pass through"), _("fraction 0-1")),
    "share_euro_le5": (_("share of vehicle-km by Euro 5 and older trucks"), _("fraction 0-1")),
    "share_w_": (_("share of positions by trucks of this mass class"), _("fraction 0-1")),
    "share_euro_": (_("share of positions by trucks of this Euro class"), _("fraction 0-1")),
    "share_country_": (
        _("share of positions by trucks registered in this country"),
        _("fraction 0-1"),
    ),
    "euro_le5": (_("share of vehicle-km by Euro 5 and older trucks"), _("fraction 0-1")),
    "euro_": (_("share of vehicle-km by trucks of this Euro class"), _("fraction 0-1")),
    "robust_z": (_("robust z-score of the day against the commune's usual level"), "z"),
    "anomaly": (_("whether the day is unusual (|robust z| > 3.5)"), ""),
    "reason": (_("why a day was flagged or not judged"), ""),
    "suppressed": (_("true when the row had fewer than k distinct trucks and was blanked"), ""),
    "nis": (_("NIS code of the commune (Statbel)"), ""),
    "name_fr": (_("name of the commune in French"), ""),
    "name_nl": (_("name of the commune in Dutch"), ""),
    "population": (_("residents on 1 January"), _("residents")),
    "share_65plus_pct": (_("share of residents aged 65 and over"), "%"),
    "income_eur": (_("average net taxable income per tax return"), "EUR"),
    "unemployment_pct": (_("unemployment rate, census 2021"), "%"),
    "single_parent_pct": (
        _("single-parent family nuclei among family nuclei, census 2021"),
        "%",
    ),
    "non_eu_nationals_pct": (_("residents with a non-EU nationality"), "%"),
    "computers_per_10k": (_("public computers per 10,000 residents"), _("computers")),
    "density_per_km2": (_("residents per square kilometre"), _("residents/km2")),
    "score": (_("exclusion-risk index (higher: more risk)"), "0-10"),
    "rank": (_("rank of the index (1 = highest risk)"), _("rank")),
    "rank_median": (_("median rank over the Monte Carlo runs"), _("rank")),
    "rank_lo": (_("lower end of the 90 % rank interval"), _("rank")),
    "rank_hi": (_("upper end of the 90 % rank interval"), _("rank")),
    "limited": (_("estimated residents with limited digital skills"), _("residents")),
    "limited_lo": (_("lower end of the 90 % interval of limited"), _("residents")),
    "limited_hi": (_("upper end of the 90 % interval of limited"), _("residents")),
    "none": (_("estimated residents without digital skills"), _("residents")),
    "none_lo": (_("lower end of the 90 % interval of none"), _("residents")),
    "none_hi": (_("upper end of the 90 % interval of none"), _("residents")),
    "limited_pct": (_("residents with limited skills among all residents"), "%"),
    "group": (_("group of similar communes (typology)"), ""),
    "description": (_("what the group's communes have in common"), ""),
    "column": (_("the variable tested"), ""),
    "I": (_("Moran's I (global spatial autocorrelation)"), ""),
    "EI": (_("expected Moran's I without spatial pattern"), ""),
    "z": (_("z-score of Moran's I"), "z"),
    "p_norm": (_("p-value under normality"), "p"),
    "p_sim": (_("p-value from the permutations"), "p"),
    "n": (_("communes"), _("communes")),
    "permutations": (_("random permutations of the test"), ""),
    "note": (_("how to read the test"), ""),
    "Ii": (_("local Moran's I of the commune"), ""),
    "quadrant": (_("LISA quadrant: HH, LL (clusters), HL, LH (outliers)"), ""),
    "significant": (_("whether the local pattern is significant at 5 %"), ""),
    "computers": (_("public computers in the commune's spaces"), _("computers")),
    "residents_per_computer": (_("residents per public computer"), _("residents")),
    "at_risk": (_("residents with limited skills (estimate)"), _("residents")),
    "distance_m": (_("distance from the town centre to the nearest space"), "m"),
    "nearest_space": (_("nearest public computer space"), ""),
    "at_risk_beyond": (
        _("residents at risk farther than the threshold from every space"),
        _("residents"),
    ),
    "share_beyond_pct": (_("share of residents at risk beyond the threshold"), "%"),
    "choice": (_("method choice varied"), ""),
    "alternative": (_("the alternative tried"), ""),
    "mean_abs_shift": (_("mean absolute change of rank"), _("ranks")),
    "max_shift": (_("largest change of rank"), _("ranks")),
    "spearman": (_("Spearman correlation with the base ranking"), ""),
}
UNKNOWN = _("see the report")
SYMBOLS = frozenset({"h", "km", "km/h", "s", "m", "%", "EUR", "z", "p", "0-10"})
"""Units written as symbols: the same in every language, never looked up in a catalogue."""
_KINDS = {
    "boolean": _("boolean"),
    "integer": _("integer"),
    "decimal": _("decimal"),
    "text": _("text"),
    "geometry": _("geometry"),
    "empty": _("none: every row is blank"),
}
DICTIONARY_HEADERS = {
    "en": ("file", "column", "meaning", "unit_of_measure", "type", "suppression"),
    "fr": (
        "file",
        "column",
        "signification",
        "unité_de_mesure",
        "type",
        "règle_de_confidentialité",
    ),
    "nl": ("file", "column", "betekenis", "meeteenheid", "type", "geheimhoudingsregel"),
}
"""Header row of ``data_dictionary.csv`` per language: a fixed contract, not a catalogue entry.

``file`` and ``column`` (the keys to join the dictionary on a product's columns) are the same
in every language; the four descriptive columns are named in the reader's language, in the
same order (meaning, unit of measure, type, suppression rule), so that a script reads any
language's dictionary by ``file``, ``column`` and position. Changing a name here breaks
clients' scripts: say so in the changelog.
"""


def _unit(unit: str, tr) -> str:
    return unit if not unit or unit in SYMBOLS else tr(unit)


def describe_column(name: str, lang: str = "en") -> tuple[str, str]:
    """Return ``(meaning, unit)`` of a product column in ``lang`` (exact name, then prefixes).

    Examples
    --------
    >>> describe_column("n_trips", "nl")
    ('getelde ritten', 'ritten')
    >>> describe_column("speed_mean", "fr")
    ('vitesse moyenne', 'km/h')
    """
    tr = gettext(lang)
    if name in _COLUMNS:
        meaning, unit = _COLUMNS[name]
        return tr(meaning), _unit(unit, tr)
    prefixes = sorted((k for k in _COLUMNS if k.endswith("_") and name.startswith(k)), key=len)
    if prefixes:
        meaning, unit = _COLUMNS[prefixes[-1]]
        said = tr(_("{meaning}: {value}")).format(
            meaning=tr(meaning), value=name[len(prefixes[-1]) :]
        )
        return said, _unit(unit, tr)
    return tr(UNKNOWN), ""


def _kind(series: pd.Series) -> str:
    if series.isna().all():  # read back from CSV, a blank column has no type of its own
        return "empty"
    if pd.api.types.is_bool_dtype(series):
        return "boolean"
    if pd.api.types.is_integer_dtype(series):
        return "integer"
    if pd.api.types.is_float_dtype(series):
        whole = series.dropna()
        return "integer" if len(whole) and (whole == whole.round()).all() else "decimal"
    return "text"


def data_dictionary(folder: Path, k: int | None = None, *, lang: str = "en") -> pd.DataFrame:
    """Return one row per column of every CSV in ``folder``, in the reader's language.

    Parameters
    ----------
    folder : pathlib.Path
        A product folder; every ``*.csv`` in it is described, and a ``.geojson`` beside a
        CSV gets a ``geometry`` row.
    k : int, optional
        Threshold of the suppression rule (``k`` in words when not given).
    lang : {"en", "fr", "nl"}
        Language of the meanings, units that are words, types and suppression rule.

    Returns
    -------
    pandas.DataFrame
        Columns :data:`DICTIONARY_HEADERS` ``[lang]``: ``file``, ``column`` (the same in
        every language: the product's file and column names, untranslated), then meaning,
        unit of measure, type and suppression rule named in ``lang`` (in English
        ``meaning, unit_of_measure, type, suppression``; not "unit", which in this
        workbench means an on-board unit).
    """
    lang = check_lang(lang)
    _ = gettext(lang)
    kinds = {key: _(word) for key, word in _KINDS.items()}
    rows = []
    for path in sorted(Path(folder).glob("*.csv")):
        table = pd.read_csv(path)
        if "suppressed" in table.columns:
            rule = _(
                "blank when fewer than {k} distinct trucks are behind the row (suppressed = true)"
            ).format(k=k or "k")
        else:
            rule = _("none: public statistics by commune")
        for column in table.columns:
            meaning, unit = describe_column(column, lang)
            rows.append((path.name, column, meaning, unit, kinds[_kind(table[column])], rule))
        geojson = path.with_suffix(".geojson")
        if geojson.exists():
            shapes = _("the shapes of {file}, WGS84 (same rows and columns as the CSV)")
            row = (geojson.name, "geometry", shapes.format(file=path.name), "")
            rows.append((*row, kinds["geometry"], rule))
    return pd.DataFrame(rows, columns=list(DICTIONARY_HEADERS[lang]))


def quality_verdicts(summaries: dict, lang: str = "en") -> list[str]:
    """Return one sentence per data-quality suite: passed, or failed with rows quarantined.

    Examples
    --------
    >>> quality_verdicts({"q/report.json": {"suite": "pings", "success": False, "rejected": 12}})
    ['data quality of the truck positions: failed, 12 rows quarantined']

    Two data sets validated with the same suite are told apart by their folder (``data``,
    as :func:`cibg_ds.pipelines.record.quality_summaries` gives it, else the last part of
    ``provenance.source``):

    >>> quality_verdicts({
    ...     "a.json": {"suite": "pings", "success": True, "provenance": {"source": "/x/feed"}},
    ...     "b.json": {"suite": "pings", "success": True, "provenance": {"source": "/x/week2"}},
    ... })  # doctest: +NORMALIZE_WHITESPACE
    ['data quality of the truck positions: passed [feed]',
     'data quality of the truck positions: passed [week2]']
    """
    _ = gettext(lang)
    if not summaries:
        return [_("no data-quality suite of this run concerns these data")]
    suites = [q.get("suite") for q in summaries.values()]
    out = []
    for q in summaries.values():
        suite = q.get("suite")
        data_checked = suite_title(str(suite), lang)
        if q.get("success"):
            lines = [_("data quality of the {data}: passed").format(data=data_checked)]
        elif q.get("rejected") is not None:
            lines = [
                _("data quality of the {data}: failed, {n} rows quarantined").format(
                    n=format_number(q["rejected"], lang), data=data_checked
                )
            ]
        else:
            lines = [_("data quality of the {data}: failed").format(data=data_checked)]
        for alert in q.get("alerts") or ():
            lines.append(_("data quality of the {data}: drift alert: {alert}").format(
                data=data_checked, alert=_alert_sentence(alert, lang)))  # fmt: skip
        data = q.get("data") or Path(str((q.get("provenance") or {}).get("source") or "")).name
        if suites.count(suite) > 1 and data:  # two data sets, one suite: say which is which
            lines = [f"{line} [{data}]" for line in lines]
        out.extend(lines)
    return out


def _alert_sentence(alert, lang: str) -> str:
    """Write a drift alert of a run record in ``lang`` (a record's English text if it is all)."""
    from types import SimpleNamespace

    from cibg_ds.quality import drift

    if not isinstance(alert, dict):  # a record of an earlier version: its English sentence
        return str(alert)
    if alert.get("observed") is None or alert.get("expected") is None:
        return str(alert.get("sentence") or "")
    return drift.sentence(SimpleNamespace(**alert), lang)


def quality_sentences(path, lang: str = "en") -> list[str]:
    """Return the verdict of the data-quality summary (JSON) at ``path``; none when absent."""
    import json

    if not path or not Path(path).is_file():
        return []
    summary = json.loads(Path(path).read_text())
    quarantine = summary.get("quarantine") or {}
    if "rejected" in quarantine:
        summary = {**summary, "rejected": quarantine["rejected"]}
    return quality_verdicts({str(path): summary}, lang)


def report_description(task: str, lang: str = "en") -> str:
    """Return the one-line description of a report in a bundle's index, by its task."""
    _ = gettext(lang)
    group, _sep, item = task.partition("[")
    item = item.rstrip("]")
    lines = {
        "mobility": _(
            "Truck traffic: where and when trucks drive, on which roads, from where to "
            "where, through traffic and emission classes."
        ),
        "divide": _(
            "Digital divide: exclusion-risk index by commune, digital skills, typology, "
            "spatial clusters and reach of public computer spaces."
        ),
        "profile": _("Commune profile of {commune}: indicators, rank, skills and reach."),
    }
    return lines.get(group, task).format(commune=item)


def _title(path: Path) -> str:
    match = re.search(r"<title>(.*?)</title>", path.read_text(errors="ignore"), re.S)
    return html.unescape(match.group(1)).strip() if match else path.stem


def agency_name(agency: str | None, lang: str = "en") -> str:
    """Return an agency's name for readers (the pipeline lists short keys)."""
    _ = gettext(lang)
    names = {
        "brussels-mobility": _("Brussels Mobility"),
        "digital-inclusion": _("Digital inclusion unit"),
        "cibg": "CIBG",
    }
    return names.get(agency or "", agency or _("every agency"))


def index_html(*, reports, products, facts: dict, lang: str = "en") -> str:
    """Return the bundle's ``index.html``: one link per report and product folder, offline.

    Parameters
    ----------
    reports : list of (str, str, Path)
        ``(task, relative path, file)`` of each HTML report.
    products : list of (str, list of str)
        ``(relative folder, relative file paths)``.
    facts : dict
        ``pipeline``, ``run_id``, ``agency``, ``created``, ``quality`` (sentences).
    lang : str
    """
    lang = check_lang(lang)
    _ = gettext(lang)
    esc = html.escape
    items = "".join(
        f"<li><a href='{esc(rel)}'>{esc(_title(path))}</a> — {esc(report_description(task, lang))}"
        "</li>"
        for task, rel, path in reports
    )
    folders = "".join(
        f"<li><b>{esc(folder)}</b>: "
        + ", ".join(f"<a href='{esc(f)}'>{esc(Path(f).name)}</a>" for f in files)
        + "</li>"
        for folder, files in products
    )
    quality = "".join(f"<li>{esc(q)}</li>" for q in facts.get("quality", []))
    title = _("Reports for {agency}").format(agency=agency_name(facts.get("agency"), lang))
    run = _("Run {run} of {created}").format(run=facts["run_id"], created=facts["created"])
    offline = _("Everything here opens without an internet connection.")
    described = _(
        "Every table is described column by column in the data_dictionary.csv of its folder."
    )
    heads = [esc(h) for h in (_("Reports"), _("Data products"), _("Data quality"))]
    return (
        f"<!DOCTYPE html><html lang='{lang}'><head><meta charset='utf-8'><title>{esc(title)}"
        "</title><style>body{font-family:sans-serif;max-width:60em;margin:2em auto;"
        "line-height:1.5;padding:0 1em}li{margin:.3em 0}</style></head><body>"
        f"<h1>{esc(title)}</h1><p>{esc(run)}. {esc(offline)}</p>"
        f"<h2>{heads[0]}</h2><ul>{items}</ul>"
        f"<h2>{heads[1]}</h2><p>{esc(described)}</p><ul>{folders}</ul>"
        f"<h2>{heads[2]}</h2><ul>{quality}</ul>"
        "<p><a href='README.txt'>README.txt</a> · <a href='manifest.json'>manifest.json</a></p>"
        "</body></html>"
    )


def readme_text(*, facts: dict, reports, lang: str = "en") -> str:
    """Return the bundle's ``README.txt``."""
    _ = gettext(check_lang(lang))
    lines = [
        _("Reports for {agency}").format(agency=agency_name(facts.get("agency"), lang)),
        _("Run {run} of {created}").format(run=facts["run_id"], created=facts["created"]),
        "",
        _(
            "Open index.html in a web browser: it links every report. Everything opens "
            "without an internet connection."
        ),
        "",
        _("Contents"),
        "  index.html          " + _("the list of reports and products"),
        "  html/               " + _("the reports (one HTML page each)"),
        "  products/           " + _("tables (CSV, GeoJSON), figures (PNG) and summary.json"),
        "  products/*/data_dictionary.csv  " + _("every column: meaning, unit, type, suppression"),
        "  manifest.json       " + _("the run, the tasks and a SHA-256 checksum per file"),
        "",
        _("Reports"),
        *[f"  {rel}: {report_description(task, lang)}" for task, rel, _p in reports],
        "",
        _(
            "Privacy: no table holds a vehicle identifier or a single GPS position; cells with "
            "fewer than {k} distinct trucks are blanked and marked suppressed."
        ).format(k=facts.get("k") or "k"),
        _("Data quality"),
        *[f"  {q}" for q in facts.get("quality", [])],
    ]
    return "\n".join(lines) + "\n"
