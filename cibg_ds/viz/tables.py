"""Tables for readers: names instead of codes, units in headers, integers as integers, % for shares.

:func:`readable` turns an analysis table into one a reader understands, in French, Dutch or
English: communes by name (``nis``/``commune``/``origin``/``destination`` codes), grid cells
by the commune they lie in, road segments by their name where the network has one, counts
as integers (``Int64``), shares as percentages, dates with their weekday, and a header per
column with its unit. :func:`show` returns the same table styled for a notebook or an HTML
report: no index column, numbers in the language's format, blanks explained in a caption.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd

from cibg_ds.errors import ParameterError
from cibg_ds.i18n import check_lang, gettext, name_column


def _(message: str) -> str:
    """Mark a message for the catalogue; it is translated when a table is shown."""
    return message


@dataclasses.dataclass(frozen=True)
class Column:
    """How one column is shown: its header (English message), kind, unit and decimals.

    ``kind`` is ``int`` (a count), ``num`` (a measure), ``share`` (a fraction shown in %),
    ``pct`` (already in %), ``commune`` (a NIS code or ``outside``), ``cell`` (a grid cell
    id, shown as the commune it lies in), ``segment`` (a road segment id), ``date``,
    ``daytype``, ``weight`` (a weight class), ``bool`` or ``text``.
    """

    label: str
    kind: str = "text"
    unit: str = ""
    decimals: int = 1


#: Every column the reports show, by name. Headers are English messages (see ``locale/``).
COLUMNS = {
    # places and times
    "nis": Column(_("Commune"), "commune"),
    "commune": Column(_("Commune"), "commune"),
    "origin": Column(_("From"), "commune"),
    "destination": Column(_("To"), "commune"),
    "cell_id": Column(_("Grid cell in"), "cell"),
    "segment_id": Column(_("Road"), "segment"),
    "road_class": Column(_("Road class"), "text"),
    "date": Column(_("Day"), "date"),
    "daytype": Column(_("Day type"), "daytype"),
    "weekday": Column(_("Weekday"), "text"),
    "hour": Column(_("Hour of day"), "int"),
    "hour_of_day": Column(_("Hour of day"), "int"),
    "weight_class": Column(_("Weight class"), "weight"),
    # traffic
    "n_fixes": Column(_("Positions"), "int"),
    "n_vehicles": Column(_("Distinct trucks"), "int"),
    "n_trips": Column(_("Trips"), "int"),
    "n_through": Column(_("Through trips"), "int"),
    "share_through": Column(_("Through trips"), "share"),
    "vkm": Column(_("Vehicle-kilometres"), "num", _("km"), 0),
    "usual_vkm": Column(_("Usual level for this day type"), "num", _("km"), 0),
    "robust_z": Column(_("Robust z-score"), "num", "", 1),
    "speed_mean": Column(_("Mean speed"), "num", _("km/h"), 1),
    "speed_p85": Column(_("85th percentile speed"), "num", _("km/h"), 1),
    "free_flow_kmh": Column(_("Free-flow speed"), "num", _("km/h"), 0),
    "tti_am": Column(_("Travel Time Index, morning peak (1 = free flow)"), "num", "", 2),
    "tti_pm": Column(_("Travel Time Index, evening peak (1 = free flow)"), "num", "", 2),
    "reliability": Column(_("Buffer time index (0 = reliable)"), "num", "", 2),
    "share_euro_le5": Column(_("Euro 5 and older"), "share"),
    "euro_le5": Column(_("Euro 5 and older"), "share"),
    "fixes": Column(_("Positions"), "int"),
    "reason": Column(_("Reason"), "text"),
    # digital divide
    "population": Column(_("Residents"), "int"),
    "share_65plus_pct": Column(_("Residents aged 65+"), "pct"),
    "share_75plus_pct": Column(_("Residents aged 75+"), "pct"),
    "low_education_pct": Column(_("Adults with low education"), "pct"),
    "income_eur": Column(_("Average net taxable income per return"), "num", _("EUR"), 0),
    "unemployment_pct": Column(_("Unemployment rate"), "pct"),
    "single_parent_pct": Column(_("Single-parent families"), "pct"),
    "one_person_households_pct": Column(_("One-person households"), "pct"),
    "non_eu_nationals_pct": Column(_("Non-EU nationals"), "pct"),
    "density_per_km2": Column(_("Residents per km²"), "num", "", 0),
    "computers_per_10k": Column(_("Public computers per 10,000 residents"), "num", "", 1),
    "area_km2": Column(_("Area"), "num", _("km²"), 2),
    "score": Column(_("Exclusion-risk index (0-10, higher: more risk)"), "num", "", 2),
    "rank": Column(_("Rank (1 = highest risk)"), "int"),
    "rank_median": Column(_("Median simulated rank"), "num", "", 0),
    "rank_lo": Column(_("Rank, 90 % interval from"), "int"),
    "rank_hi": Column(_("Rank, 90 % interval to"), "int"),
    "limited": Column(_("Residents with limited digital skills"), "int"),
    "limited_lo": Column(_("Limited skills, 90 % interval from"), "int"),
    "limited_hi": Column(_("Limited skills, 90 % interval to"), "int"),
    "none": Column(_("Residents with no digital skills"), "int"),
    "limited_pct": Column(_("Residents with limited digital skills"), "pct"),
    "group": Column(_("Group"), "int"),
    "description": Column(_("Description"), "text"),
    "Ii": Column(_("Local Moran's I"), "num", "", 2),
    "quadrant": Column(_("Quadrant"), "text"),
    "p_sim": Column(_("p-value (permutations)"), "num", "", 3),
    "significant": Column(_("Significant"), "bool"),
    "I": Column(_("Moran's I"), "num", "", 3),
    "EI": Column(_("Expected I without autocorrelation"), "num", "", 3),
    "z": Column(_("z-score"), "num", "", 2),
    "region_mean": Column(_("Mean of the 19 communes"), "num", "", 1),
    "region_median": Column(_("Median of the 19 communes"), "num", "", 1),
    "column": Column(_("Indicator"), "text"),
    "indicator": Column(_("Indicator"), "text"),
    "residents_per_computer": Column(_("Residents per public computer"), "int"),
    "distance_m": Column(_("Distance to the nearest space"), "num", _("m"), 0),
    "at_risk_beyond": Column(_("Residents at risk beyond the reach distance"), "int"),
    "nearest_space": Column(_("Nearest public computer space"), "text"),
    "choice": Column(_("Choice"), "text"),
    # data quality
    "expectation": Column(_("Expectation"), "text"),
    "element_count": Column(_("Rows considered"), "int"),
    "unexpected_count": Column(_("Unexpected rows"), "int"),
    "unexpected_percent": Column(_("Unexpected rows"), "pct", "", 2),
    "alert": Column(_("Above the alert threshold"), "bool"),
    "alternative": Column(_("Alternative"), "text"),
    "mean_abs_shift": Column(_("Mean rank shift"), "num", _("places"), 2),
    "max_abs_shift": Column(_("Largest rank shift"), "num", _("places"), 0),
}

DAYTYPES = {"weekday": _("weekday"), "weekend": _("weekend")}
OUTSIDE = _("outside the region")
CLEAN_REASONS = {
    "missing_values": _("missing values"),
    "duplicate": _("duplicate position"),
    "outside_region": _("outside the region"),
    "spike": _("position jump (GPS spike)"),
    "impossible_speed": _("impossible speed"),
    "kept": _("kept"),
}
METHODS = {
    "minmax": _("min-max scaling"),
    "zscore": _("z-scores"),
    "rank": _("ranks"),
    "arithmetic": _("arithmetic mean"),
    "geometric": _("geometric mean"),
    "equal": _("equal weights"),
    "pca": _("PCA weights"),
    "kmeans": _("k-means"),
    "hierarchical": _("hierarchical"),
    "custom": _("weights set by the user"),
}
CHOICES = {
    "weights": _("weights"),
    "normalisation": _("normalisation"),
    "aggregation": _("aggregation"),
    "weighting": _("weighting"),
    "indicator left out": _("indicator left out"),
}


def label(column: str, lang: str = "en") -> str:
    """Return the header of ``column`` in ``lang``, with its unit (``%`` for shares).

    Examples
    --------
    >>> label("vkm", "fr")
    'Véhicules-kilomètres (km)'
    """
    tr = gettext(lang)
    spec = COLUMNS.get(column)
    if spec is None:
        return column
    unit = "%" if spec.kind in ("share", "pct") else tr(spec.unit) if spec.unit else ""
    return f"{tr(spec.label)} ({unit})" if unit else tr(spec.label)


def indicator_label(column: str, lang: str = "en") -> str:
    """Return an indicator's (or a method's) name in ``lang``, or ``column`` if unknown."""
    from cibg_ds.divide.indicators import BY_COLUMN

    if (column in BY_COLUMN or column == "score") and column in COLUMNS:
        return label(column, lang)
    if column in METHODS:
        return gettext(lang)(METHODS[column])
    return column


def typology_table(typology, lang: str = "en") -> pd.DataFrame:
    """Return the groups of a typology: size, member communes in ``lang``, profile in sd.

    The profile lists the indicators on which the group departs most from the mean of the
    communes (group centroid, in standard deviations), largest first.
    """
    tr = gettext(lang)
    names = commune_names(lang)
    members = typology.labels.groupby("group")["nis"].apply(
        lambda s: ", ".join(sorted(names.get(str(n), str(n)) for n in s))
    )
    rows = []
    for _i, g in typology.groups.iterrows():
        z = pd.Series({c[2:]: g[c] for c in typology.groups.columns if c.startswith("z_")})
        top = z.reindex(z.abs().sort_values(ascending=False).index[:3])
        profile = "; ".join(f"{indicator_label(c, lang)} {number(v, 1, lang, sign=True)}"
                            for c, v in top.items())  # fmt: skip
        rows.append((int(g["group"]), int(g["n"]), members.get(g["group"], ""), profile))
    columns = [
        tr(_("Group")),
        tr(_("Communes")),
        tr(_("Members")),
        tr(_("Profile: standard deviations from the mean of the communes")),
    ]
    out = pd.DataFrame(rows, columns=columns)
    out[columns[0]] = out[columns[0]].astype("Int64")
    out[columns[1]] = out[columns[1]].astype("Int64")
    return out


def commune_names(lang: str = "en", communes=None) -> dict:
    """Return ``{nis: name}`` in ``lang``, with ``outside`` for the rest of the country."""
    from cibg_ds.io import load_commune_facts

    table = load_commune_facts() if communes is None else communes
    column = name_column(lang)
    names = dict(zip(table["nis"].astype(str), table[column], strict=True))
    names["outside"] = gettext(lang)(OUTSIDE)
    return names


def cell_communes(cell_ids, lang: str = "en", communes=None) -> pd.Series:
    """Name the commune each grid cell's centre lies in (``outside the region`` if none)."""
    import geopandas as gpd

    from cibg_ds.io import load_communes
    from cibg_ds.mobility.grid import cell_polygons

    communes = load_communes() if communes is None else communes
    ids = pd.Series(cell_ids).astype(str)
    unique = ids.drop_duplicates()
    centres = gpd.GeoSeries(cell_polygons(unique), crs=3035).centroid.to_crs(communes.crs)
    joined = gpd.sjoin(
        gpd.GeoDataFrame(
            {"cell_id": unique.to_numpy()}, geometry=centres.to_numpy(), crs=communes.crs
        ),
        communes[[name_column(lang), "geometry"]],
        how="left",
        predicate="within",
    ).drop_duplicates("cell_id")
    where = dict(zip(joined["cell_id"], joined[name_column(lang)], strict=True))
    outside = gettext(lang)(OUTSIDE)
    return ids.map(lambda c: where.get(c) if isinstance(where.get(c), str) else outside)


ROAD_KINDS = {
    "motorway": _("motorway"),
    "motorway_link": _("motorway slip road"),
    "trunk": _("expressway"),
    "trunk_link": _("expressway slip road"),
    "primary": _("main road"),
    "primary_link": _("main road slip road"),
    "secondary": _("secondary road"),
    "secondary_link": _("secondary road slip road"),
    "tertiary": _("local road"),
    "tertiary_link": _("local road slip road"),
    "unclassified": _("minor road"),
    "residential": _("residential street"),
    "service": _("service road"),
    "road": _("road"),
}
"""OpenStreetMap ``highway`` classes, as a reader names an unnamed road of that kind."""


def road_names(segments: pd.DataFrame, lang: str = "en", *, communes=None) -> pd.Series:
    """Name road segments as a reader would, never by a bare code where more is known.

    In order: the name in ``lang`` (French for English readers), the name in the other
    language, the road number (``ref``: ``R0``, ``A12``), then the kind of road and the
    commune it lies in (``motorway slip road, Anderlecht``: a third of the OSM segments
    are unnamed ramps, tunnels and service roads); the segment id only when none is known.

    Parameters
    ----------
    segments : pandas.DataFrame
        ``segment_id`` and any of ``name_fr``, ``name_nl``, ``name``, ``ref``, ``highway``
        and a (projected or not) ``geometry``, as :func:`cibg_ds.io.load_roads` gives them.
    lang : str
        ``en``, ``fr`` or ``nl``.
    communes : geopandas.GeoDataFrame, optional
        Commune shapes (default the embedded ones), for the commune of an unnamed road.

    Returns
    -------
    pandas.Series
        One name per row (``string``), same index.

    Examples
    --------
    >>> from cibg_ds.io import load_roads
    >>> roads = load_roads()
    >>> ramps = roads[(roads["highway"] == "motorway_link") & roads["name_fr"].isna()
    ...               & roads["ref"].isna()]
    >>> road_names(ramps.head(1), "fr").iloc[0].split(", ")[0]
    "bretelle d'autoroute"
    """
    tr = gettext(check_lang(lang))
    other = "name_nl" if name_column(lang) == "name_fr" else "name_fr"
    label = pd.Series(pd.NA, index=segments.index, dtype="string")
    for column in (name_column(lang), other, "name", "ref"):
        if column in segments.columns:
            label = label.fillna(segments[column].astype("string").replace("", pd.NA))
    unnamed = label.isna().to_numpy()
    if unnamed.any() and "highway" in segments.columns:
        rows = segments[unnamed]
        kind = rows["highway"].map(lambda h: tr(ROAD_KINDS[h]) if h in ROAD_KINDS else pd.NA)
        if "geometry" in rows.columns and getattr(rows, "crs", None) is not None:
            kind = kind + ", " + _road_communes(rows, lang, communes)
        label[unnamed] = kind.astype("string")
    fallback = segments["segment_id"].map(lambda s: tr(_("segment {id}")).format(id=s))
    return label.fillna(fallback.astype("string"))


def _road_communes(roads, lang: str, communes=None) -> pd.Series:
    """Name the commune holding each road's midpoint (``outside the region`` if none)."""
    import geopandas as gpd

    from cibg_ds.io import load_communes

    communes = load_communes() if communes is None else communes
    middle = roads.geometry.interpolate(0.5, normalized=True).to_crs(communes.crs)
    points = gpd.GeoDataFrame({"row": np.arange(len(roads))}, geometry=middle.to_numpy(),
                              crs=communes.crs)  # fmt: skip
    joined = gpd.sjoin(points, communes[[name_column(lang), "geometry"]], how="left",
                       predicate="within").drop_duplicates("row").sort_values("row")  # fmt: skip
    outside = gettext(lang)(OUTSIDE)
    names = joined[name_column(lang)].to_numpy(dtype=object)
    return pd.Series([n if isinstance(n, str) else outside for n in names], index=roads.index)


def _segment_names(ids, roads, lang) -> pd.Series:
    """Name the segments ``ids`` from the ``roads`` table (:func:`road_names`)."""
    tr = gettext(lang)
    ids = pd.Series(ids)
    if roads is None:
        return ids.map(lambda s: tr(_("segment {id}")).format(id=s))
    roads = roads.drop_duplicates("segment_id")
    roads = roads[roads["segment_id"].isin(ids)]
    names = dict(zip(roads["segment_id"], road_names(roads, lang), strict=True))
    return ids.map(lambda s: names.get(s) or tr(_("segment {id}")).format(id=s))


def _date_text(values: pd.Series, lang: str) -> pd.Series:
    from babel.dates import format_date

    days = pd.to_datetime(values, errors="coerce")
    return pd.Series(
        [format_date(d.date(), "EEE d MMM y", locale=lang) if pd.notna(d) else pd.NA for d in days],
        index=values.index,
        dtype="string",
    )


def readable(
    table: pd.DataFrame,
    lang: str = "en",
    columns=None,
    *,
    communes=None,
    roads=None,
) -> pd.DataFrame:
    """Return ``table`` as a reader sees it: named places, integer counts, % shares, headers.

    Parameters
    ----------
    table : pandas.DataFrame
        An analysis table (geometry and the ``suppressed`` flag are left out).
    lang : str
        ``en``, ``fr`` or ``nl``: headers, commune names, day names and words.
    columns : list of str or dict, optional
        The columns to show, in order (default: every column of :data:`COLUMNS` in the
        table). A dict maps a column to its own header (an already translated text).
    communes : geopandas.GeoDataFrame, optional
        Commune shapes naming the grid cells, and names of the communes (default the
        embedded ones).
    roads : pandas.DataFrame, optional
        Road segments (``segment_id`` and ``name``/``name_fr``/``name_nl`` where known).

    Returns
    -------
    pandas.DataFrame
        A fresh 0..n-1 index (hidden by :func:`show`); counts ``Int64``; shares and
        percentages as floats in %; places and days as text.

    Raises
    ------
    ParameterError
        If a requested column is not in the table.
    """
    lang = check_lang(lang)
    tr = gettext(lang)
    if columns is None:
        columns = [c for c in table.columns if c in COLUMNS]
        if "nis" in columns and "commune" in columns:
            columns.remove("commune")
    headers = dict(columns) if isinstance(columns, dict) else {c: None for c in columns}
    missing = [c for c in headers if c not in table.columns]
    if missing:
        raise ParameterError(
            f"columns {missing} are not in the table; it has {list(table.columns)}"
        )
    kinds = {COLUMNS.get(c, Column(c)).kind for c in headers}
    names = commune_names(lang) if "commune" in kinds else {}
    row_decimals = _row_decimals(table)
    out, by_row = {}, {}
    for column, header in headers.items():
        values = pd.Series(table[column].to_numpy(), name=column)
        if row_decimals is not None and column in IN_ROW_UNIT:
            numbers = pd.to_numeric(values, errors="coerce").astype(float)
            values = pd.Series(
                [round(v, d) for v, d in zip(numbers, row_decimals, strict=True)], dtype="Float64"
            )
            out[header or label(column, lang)] = values
            by_row[header or label(column, lang)] = row_decimals
            continue
        numeric = pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values)
        spec = COLUMNS.get(column, Column(column, "num" if numeric else "text"))
        if spec.kind == "int":
            numbers = pd.to_numeric(values, errors="coerce").astype("Float64").round(0)
            values = numbers.astype("Int64")
        elif spec.kind in ("num", "pct", "share"):
            numbers = pd.to_numeric(values, errors="coerce").astype("Float64")
            numbers = 100 * numbers if spec.kind == "share" else numbers
            values = numbers.round(spec.decimals)
        elif spec.kind == "commune":
            values = values.astype(str).map(lambda c: names.get(c, c)).astype("string")
        elif spec.kind == "cell":
            values = cell_communes(values, lang, communes).astype("string")
        elif spec.kind == "segment":
            values = _segment_names(values, roads, lang).astype("string")
        elif spec.kind == "date":
            values = _date_text(values, lang)
        elif spec.kind == "weight":
            values = values.map(lambda w: weight_class_label(w, lang) if pd.notna(w) else pd.NA)
        elif spec.kind == "daytype":
            values = values.map(lambda d: tr(DAYTYPES.get(d, d)) if pd.notna(d) else pd.NA)
        elif spec.kind == "bool":
            values = values.map(
                lambda b: pd.NA if pd.isna(b) else tr(_("yes")) if b else tr(_("no"))
            )
        elif column in ("column", "alternative", "indicator"):
            values = values.map(lambda c: indicator_label(c, lang))
        elif column == "choice":
            values = values.map(lambda c: tr(CHOICES.get(c, c)))
        elif column == "reason":
            values = values.map(lambda r: tr(CLEAN_REASONS[r]) if r in CLEAN_REASONS else r)
        out[header or label(column, lang)] = values.reset_index(drop=True)
    frame = pd.DataFrame(out)
    frame.attrs["decimals_by_row"] = by_row  # read by show()
    return frame


IN_ROW_UNIT = ("value", "region_mean", "region_median")
"""Columns of a long table (one indicator a row) that hold values in the row's unit."""


def _row_decimals(table: pd.DataFrame) -> list[int] | None:
    """Return each row's decimals where the rows name their indicator, else None.

    A long table (a commune's profile: income in EUR beside shares in %) shows each row
    with its own indicator's decimals; a column's single format would write 38 349,0 EUR.
    """
    key = next((c for c in ("column", "indicator") if c in table.columns), None)
    if key is None or not any(c in table.columns for c in IN_ROW_UNIT):
        return None
    specs = [COLUMNS.get(name) for name in table[key]]
    if not any(specs):
        return None
    return [spec.decimals if spec else Column("").decimals for spec in specs]


def weight_class_label(weight_class: str, lang: str = "en") -> str:
    """Write a weight class (``3.5-12t``, ``>32t``) with the decimal mark of ``lang``.

    >>> weight_class_label("3.5-12t", "fr"), weight_class_label(">32t", "nl")
    ('3,5-12 t', '> 32 t')
    """
    import re

    text = re.sub(r"^>\s*", "> ", str(weight_class))
    text = re.sub(r"\s*t$", " t", text)
    return text.replace(".", "," if check_lang(lang) in ("fr", "nl") else ".")


def number(value, decimals: int = 0, lang: str = "en", sign: bool = False) -> str:
    """Write a number as ``lang`` does (thousands separator, decimal mark).

    >>> number(129600, 0, "nl"), number(0.5, 1, "fr")
    ('129.600', '0,5')
    """
    from babel.numbers import format_decimal

    pattern = "#,##0" + ("." + "0" * decimals if decimals else "")
    text = format_decimal(value, format=pattern, locale=lang)
    return f"+{text}" if sign and value > 0 else text


def show(frame: pd.DataFrame, lang: str = "en", caption: str = "", *, na: str = "–"):
    """Return a :func:`readable` table styled for display: no index, numbers as ``lang`` writes.

    Parameters
    ----------
    frame : pandas.DataFrame
        The output of :func:`readable` (its headers are used as they are).
    lang : str
    caption : str, optional
        Shown above the table: say what a blank means and which thresholds apply.
    na : str
        How a blank cell is written.

    Returns
    -------
    pandas.io.formats.style.Styler
    """
    lang = check_lang(lang)
    formats = {}
    for column in frame.columns:
        values = frame[column]
        if pd.api.types.is_integer_dtype(values):
            formats[column] = lambda v: na if pd.isna(v) else number(v, 0, lang)
        elif pd.api.types.is_float_dtype(values):
            finite = values.dropna().to_numpy(float)
            decimals = _decimals(finite)
            formats[column] = lambda v, d=decimals: na if pd.isna(v) else number(v, d, lang)
    text = [c for c in frame.columns if not pd.api.types.is_numeric_dtype(frame[c])]
    styler = frame.style.hide(axis="index").format(formats, na_rep=na)
    for column, decimals in frame.attrs.get("decimals_by_row", {}).items():
        if column not in frame.columns:
            continue
        for row, d in enumerate(decimals):  # a long table: each row in its indicator's unit
            styler = styler.format(
                lambda v, d=d: na if pd.isna(v) else number(v, d, lang),
                subset=pd.IndexSlice[frame.index[row], [column]],
            )
    styler = styler.set_table_attributes('class="dataframe"')  # notebook and report styling
    blank = frame.isna().to_numpy().any()
    if blank and na not in caption:  # say what a blank cell means
        note = gettext(lang)(_("{na}: suppressed (too few trucks) or no data")).format(na=na)
        caption = f"{caption} ({note})" if caption else note
    if caption:
        styler = styler.set_caption(caption)
    styler = styler.set_table_styles(
        [
            {"selector": "caption", "props": "caption-side: top; text-align: left; color: #444"},
            {"selector": "th", "props": "text-align: left; vertical-align: bottom"},
        ]
    )
    numbers = [c for c in frame.columns if c not in text]
    return styler.set_properties(subset=text, **{"text-align": "left"}).set_properties(
        subset=numbers, **{"text-align": "right"}
    )


def _decimals(values: np.ndarray) -> int:
    """Return the decimals the rounded values of a column actually use (at most 3)."""
    for d in range(4):
        if np.allclose(values, np.round(values, d), atol=1e-9, rtol=0):
            return d
    return 3
