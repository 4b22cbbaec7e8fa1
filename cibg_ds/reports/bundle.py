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
from cibg_ds.reports.header import format_number

# column -> (meaning, unit); prefixes end with "_" and match the start of a column name
_COLUMNS = {
    "cell_id": ("European statistical grid cell (EPSG:3035), id of its lower-left corner", ""),
    "daytype": ("weekday (Monday-Friday) or weekend; one row per cell and day type", ""),
    "weekday": ("day of the week (0 = Monday)", ""),
    "hour_of_day": ("hour of the day, local time", "h"),
    "hour": ("hour of the day, local time", "h"),
    "date": ("local date", ""),
    "commune": ("NIS code of the commune", ""),
    "origin": ("commune where trips start (NIS code, or outside)", ""),
    "destination": ("commune where trips end (NIS code, or outside)", ""),
    "segment_id": ("road segment of the network", ""),
    "road_class": ("class of the road (motorway, primary, ...)", ""),
    "highway": ("OpenStreetMap road class (motorway, trunk, primary, ...)", ""),
    "weight_class": ("maximum authorised mass class of the truck", ""),
    "n_fixes": ("GPS positions counted", "positions"),
    "n_vehicles": ("distinct trucks (a lower bound where it is summed over hours)", "trucks"),
    "n_trips": ("trips counted", "trips"),
    "n_through": ("trips that crossed the region without stopping in it", "trips"),
    "vkm": ("truck vehicle-kilometres", "km"),
    "usual_vkm": ("median vehicle-km of the publishable days of the same day type", "km"),
    "days": ("days averaged", "days"),
    "speed_mean": ("mean speed", "km/h"),
    "speed_p85": ("85th percentile of speeds", "km/h"),
    "free_flow_kmh": ("free-flow speed: 85th percentile of off-peak speeds", "km/h"),
    "tti_am": ("Travel Time Index, morning peak 6-9 h (1 = free flow)", "ratio"),
    "tti_pm": ("Travel Time Index, evening peak 16-19 h (1 = free flow)", "ratio"),
    "reliability": ("Planning Time Index: 95th percentile travel time over free flow", "ratio"),
    "n_traversals": ("times a truck drove the road segment (map-matched)", "traversals"),
    "speed_median_kmh": ("median speed of the traversals", "km/h"),
    "delay_veh_h": ("truck delay against free flow", "vehicle-hours"),
    "delay_per_traversal_s": ("mean truck delay per traversal against free flow", "s"),
    "tti": ("Travel Time Index: mean travel time over free flow (1 = free flow)", "ratio"),
    "pti": ("Planning Time Index: 95th percentile travel time over free flow", "ratio"),
    "delay_rank": ("rank by total truck delay (1 = most delay)", "rank"),
    "delay_rank_low": ("lower end of the 95 % bootstrap interval of the rank", "rank"),
    "delay_rank_high": ("upper end of the 95 % bootstrap interval of the rank", "rank"),
    "worst_bin": ("local hour with the most truck delay", "h"),
    "road_name_fr": ("name of the road in French (OpenStreetMap)", ""),
    "road_name_nl": ("name of the road in Dutch (OpenStreetMap)", ""),
    "road_ref": ("road number (OpenStreetMap ref)", ""),
    "share_through": ("share of trips that only pass through", "fraction 0-1"),
    "share_euro_le5": ("share of vehicle-km by Euro 5 and older trucks", "fraction 0-1"),
    "share_w_": ("share of positions by trucks of this mass class", "fraction 0-1"),
    "share_euro_": ("share of positions by trucks of this Euro class", "fraction 0-1"),
    "share_country_": ("share of positions by trucks registered in this country", "fraction 0-1"),
    "euro_le5": ("share of vehicle-km by Euro 5 and older trucks", "fraction 0-1"),
    "euro_": ("share of vehicle-km by trucks of this Euro class", "fraction 0-1"),
    "robust_z": ("robust z-score of the day against the commune's usual level", "z"),
    "anomaly": ("whether the day is unusual (|robust z| > 3.5)", ""),
    "reason": ("why a day was flagged or not judged", ""),
    "suppressed": ("true when the row had fewer than k distinct trucks and was blanked", ""),
    "nis": ("NIS code of the commune (Statbel)", ""),
    "name_fr": ("name of the commune in French", ""),
    "name_nl": ("name of the commune in Dutch", ""),
    "population": ("residents on 1 January", "residents"),
    "share_65plus_pct": ("share of residents aged 65 and over", "%"),
    "income_eur": ("average net taxable income per tax return", "EUR"),
    "unemployment_pct": ("unemployment rate, census 2021", "%"),
    "single_parent_pct": ("single-parent family nuclei among family nuclei, census 2021", "%"),
    "non_eu_nationals_pct": ("residents with a non-EU nationality", "%"),
    "computers_per_10k": ("public computers per 10,000 residents", "computers"),
    "density_per_km2": ("residents per square kilometre", "residents/km2"),
    "score": ("exclusion-risk index (higher: more risk)", "0-10"),
    "rank": ("rank of the index (1 = highest risk)", "rank"),
    "rank_median": ("median rank over the Monte Carlo runs", "rank"),
    "rank_lo": ("lower end of the 90 % rank interval", "rank"),
    "rank_hi": ("upper end of the 90 % rank interval", "rank"),
    "limited": ("estimated residents with limited digital skills", "residents"),
    "limited_lo": ("lower end of the 90 % interval of limited", "residents"),
    "limited_hi": ("upper end of the 90 % interval of limited", "residents"),
    "none": ("estimated residents without digital skills", "residents"),
    "none_lo": ("lower end of the 90 % interval of none", "residents"),
    "none_hi": ("upper end of the 90 % interval of none", "residents"),
    "limited_pct": ("residents with limited skills among all residents", "%"),
    "group": ("group of similar communes (typology)", ""),
    "description": ("what the group's communes have in common", ""),
    "column": ("the variable tested", ""),
    "I": ("Moran's I (global spatial autocorrelation)", ""),
    "EI": ("expected Moran's I without spatial pattern", ""),
    "z": ("z-score of Moran's I", "z"),
    "p_norm": ("p-value under normality", "p"),
    "p_sim": ("p-value from the permutations", "p"),
    "n": ("communes", "communes"),
    "permutations": ("random permutations of the test", ""),
    "note": ("how to read the test", ""),
    "Ii": ("local Moran's I of the commune", ""),
    "quadrant": ("LISA quadrant: HH, LL (clusters), HL, LH (outliers)", ""),
    "significant": ("whether the local pattern is significant at 5 %", ""),
    "computers": ("public computers in the commune's spaces", "computers"),
    "residents_per_computer": ("residents per public computer", "residents"),
    "at_risk": ("residents with limited skills (estimate)", "residents"),
    "distance_m": ("distance from the town centre to the nearest space", "m"),
    "nearest_space": ("nearest public computer space", ""),
    "at_risk_beyond": (
        "residents at risk farther than the threshold from every space",
        "residents",
    ),
    "share_beyond_pct": ("share of residents at risk beyond the threshold", "%"),
    "choice": ("method choice varied", ""),
    "alternative": ("the alternative tried", ""),
    "mean_abs_shift": ("mean absolute change of rank", "ranks"),
    "max_shift": ("largest change of rank", "ranks"),
    "spearman": ("Spearman correlation with the base ranking", ""),
}
UNKNOWN = "see the report"


def describe_column(name: str) -> tuple[str, str]:
    """Return ``(meaning, unit)`` of a product column (exact name first, then prefixes)."""
    if name in _COLUMNS:
        return _COLUMNS[name]
    prefixes = sorted((k for k in _COLUMNS if k.endswith("_") and name.startswith(k)), key=len)
    if prefixes:
        meaning, unit = _COLUMNS[prefixes[-1]]
        return f"{meaning}: {name[len(prefixes[-1]) :]}", unit
    return UNKNOWN, ""


def _kind(series: pd.Series) -> str:
    if pd.api.types.is_bool_dtype(series):
        return "boolean"
    if pd.api.types.is_integer_dtype(series):
        return "integer"
    if pd.api.types.is_float_dtype(series):
        whole = series.dropna()
        return "integer" if len(whole) and (whole == whole.round()).all() else "decimal"
    return "text"


def data_dictionary(folder: Path, k: int | None = None) -> pd.DataFrame:
    """Return one row per column of every CSV in ``folder``.

    Columns: file, column, meaning, unit of measure, type and suppression rule
    (not "unit", which in this workbench means an on-board unit).
    """
    rows = []
    for path in sorted(Path(folder).glob("*.csv")):
        table = pd.read_csv(path)
        suppressed = "suppressed" in table.columns
        rule = (
            f"blank when fewer than {k or 'k'} distinct trucks are behind the row "
            "(suppressed = true)"
            if suppressed
            else "none: public statistics by commune"
        )
        for column in table.columns:
            meaning, unit = describe_column(column)
            rows.append((path.name, column, meaning, unit, _kind(table[column]), rule))
        geojson = path.with_suffix(".geojson")
        if geojson.exists():
            rows.append(
                (
                    geojson.name,
                    "geometry",
                    f"the shapes of {path.name}, WGS84 (same rows and columns as the CSV)",
                    "",
                    "geometry",
                    rule,
                )
            )
    return pd.DataFrame(
        rows, columns=["file", "column", "meaning", "unit_of_measure", "type", "suppression"]
    )


def quality_verdicts(summaries: dict, lang: str = "en") -> list[str]:
    """Return one sentence per data-quality suite: passed, or failed with rows quarantined.

    Examples
    --------
    >>> quality_verdicts({"q/report.json": {"suite": "pings", "success": False, "rejected": 12}})
    ['data quality: failed, 12 rows quarantined (suite pings)']

    Two data sets validated with the same suite are told apart by the name of their file
    or folder (``provenance.source``):

    >>> quality_verdicts({
    ...     "a.json": {"suite": "pings", "success": True, "provenance": {"source": "/x/feed"}},
    ...     "b.json": {"suite": "pings", "success": True, "provenance": {"source": "/x/week2"}},
    ... })
    ['data quality: passed (suite pings) [feed]', 'data quality: passed (suite pings) [week2]']
    """
    _ = gettext(lang)
    if not summaries:
        return [_("no data-quality suite of this run concerns these data")]
    suites = [q.get("suite") for q in summaries.values()]
    out = []
    for q in summaries.values():
        suite = q.get("suite")
        if q.get("success"):
            lines = [_("data quality: passed (suite {suite})").format(suite=suite)]
        elif q.get("rejected") is not None:
            lines = [
                _("data quality: failed, {n} rows quarantined (suite {suite})").format(
                    n=format_number(q["rejected"], lang), suite=suite
                )
            ]
        else:
            lines = [_("data quality: failed (suite {suite})").format(suite=suite)]
        for alert in q.get("alerts") or ():  # English, as the run record keeps them
            lines.append(_("data quality: drift alert (suite {suite}): {alert}").format(
                suite=suite, alert=alert))  # fmt: skip
        data = Path(str((q.get("provenance") or {}).get("source") or "")).name
        if suites.count(suite) > 1 and data:  # two data sets, one suite: say which is which
            lines = [f"{line} [{data}]" for line in lines]
        out.extend(lines)
    return out


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
            "fewer than k distinct trucks are blanked and marked suppressed."
        ),
        _("Data quality"),
        *[f"  {q}" for q in facts.get("quality", [])],
    ]
    return "\n".join(lines) + "\n"
