"""Maps: static choropleths (matplotlib, PNG) and interactive ones (inline SVG), one style.

Every map says where its geometry comes from: the attribution of official boundaries and
roads (``attrs["attribution"]``), and loudly when the geometry is schematic.
"""

from __future__ import annotations

import functools

import numpy as np
import pandas as pd

SCHEMES = ("quantiles", "fisherjenks", "equalinterval", "naturalbreaks")


def _schematic(*frames) -> bool:
    return any(f is not None and f.attrs.get("schematic") for f in frames)


def _note(*frames, tr=str) -> str:
    """Return the warning a map of schematic geometry carries (in ``tr``'s language)."""
    if _schematic(*frames):
        return tr(_("Schematic geometry (not official boundaries or roads)"))
    return ""


def _(message: str) -> str:
    """Mark a message for the catalogue; translated where the map is drawn."""
    return message


SCHEME_NAMES = {
    "quantiles": _("quantiles"),
    "fisherjenks": _("natural breaks (Fisher-Jenks)"),
    "naturalbreaks": _("natural breaks"),
    "equalinterval": _("equal intervals"),
}
#: LISA categories in the usual colours (GeoDa): HH red, LL blue, HL/LH light, rest grey.
LISA_COLOURS = {
    "HH": "#d7191c",
    "HL": "#fdae61",
    "LH": "#abd9e9",
    "LL": "#2c7bb6",
    "ns": "#d9d9d9",
}
LISA_LABELS = {
    "HH": _("high among high (hot spot)"),
    "HL": _("high among low"),
    "LH": _("low among high"),
    "LL": _("low among low (cold spot)"),
    "ns": _("not significant"),
}
SEQUENTIAL = {
    "Blues", "BuGn", "BuPu", "GnBu", "Greens", "Greys", "OrRd", "Oranges", "PuBu", "PuBuGn",
    "PuRd", "Purples", "RdPu", "Reds", "YlGn", "YlGnBu", "YlOrBr", "YlOrRd",
}  # fmt: skip


@functools.cache
def _mapclassify():
    """Import mapclassify with its numba kernel kept in numba's disk cache.

    mapclassify compiles its Fisher-Jenks kernel when it is imported (an explicit numba
    signature, no disk cache): about 2 s of CPU in every process that draws a classed map.
    Imported through here, the same kernel is compiled once and loaded from the cache after
    (the same machine code, so the same classes). geopandas' ``scheme=`` then finds it
    imported.
    """
    import sys

    if "mapclassify" in sys.modules:
        return sys.modules["mapclassify"]
    import numba

    njit = numba.njit

    def cached(*args, **kwargs):
        kwargs.setdefault("cache", True)
        return njit(*args, **kwargs)

    numba.njit = cached  # mapclassify takes ``from numba import njit`` at its import
    try:
        import mapclassify
    finally:
        numba.njit = njit
    return mapclassify


def _visible(cmap):
    """Return a sequential colour map without its near-white end (lowest class stays visible)."""
    import matplotlib as mpl
    from matplotlib.colors import ListedColormap

    if isinstance(cmap, str) and cmap in SEQUENTIAL:
        base = mpl.colormaps[cmap]
        return ListedColormap(base(np.linspace(0.3, 1.0, 256)), name=f"{cmap}_visible")
    return cmap


def label_communes(ax, communes, lang: str = "en", fontsize: float = 6.5):
    """Write each commune's name (in ``lang``) at a point inside it, with a white halo."""
    import matplotlib.patheffects as pe

    from cibg_ds.i18n import name_column

    column = name_column(lang)
    if column not in communes.columns:
        return ax
    halo = [pe.withStroke(linewidth=2.2, foreground="white")]
    for point, name in zip(communes.geometry.representative_point(), communes[column],
                           strict=True):  # fmt: skip
        ax.annotate(
            str(name).replace("-", "-\n", 1) if len(str(name)) > 16 else str(name),
            (point.x, point.y),
            ha="center",
            va="center",
            fontsize=fontsize,
            color="#222222",
            path_effects=halo,
        )
    return ax


EMBEDDED_CREDITS = (
    _("Roads © OpenStreetMap contributors, ODbL 1.0"),
    _("Boundaries: Statbel (Statistics Belgium), statistical sectors 2026"),
    _("Sectors: Statbel (Statistics Belgium), statistical sectors"),
)
"""The attributions of the embedded layers (``cibg_ds.io``), translated where drawn."""


def _credits(*frames, tr=str) -> str:
    """Return the attributions of the frames' sources (``attrs["attribution"]``), once each.

    ``tr`` translates those of the embedded layers; a user's own text is shown as given.
    """
    seen = [f.attrs.get("attribution") for f in frames if f is not None]
    shown = (tr(a) if a in EMBEDDED_CREDITS else a for a in seen if a)
    return "; ".join(dict.fromkeys(shown))


def static_map(
    gdf,
    column,
    title,
    *,
    communes=None,
    scheme=None,
    k=5,
    cmap="viridis",
    highlight=None,
    missing_label=None,
    legend_title=None,
    decimals=1,
    lang="en",
    names=True,
    ax=None,
):
    """Draw a choropleth (polygons) or a coloured line map of ``column``, communes named.

    Parameters
    ----------
    gdf : geopandas.GeoDataFrame
        Polygons or lines; rows with a missing value (suppressed) are drawn in grey.
    column : str
    title : str
    communes : geopandas.GeoDataFrame, optional
        Commune outlines drawn on top, for orientation (default: ``gdf`` itself when it
        holds communes, i.e. has a ``nis`` column).
    scheme : str, optional
        Classification by mapclassify (``quantiles``, ``fisherjenks``, ...), stated in the
        legend; default a continuous colour bar.
    k : int
        Number of classes of ``scheme``.
    cmap : str
        Colour map; sequential ones lose their near-white end so the lowest class shows.
    highlight : str, optional
        NIS code of a commune to outline in red (commune profiles).
    missing_label : str, optional
        Legend entry of rows without a value (grey); default "suppressed / no data".
    legend_title : str, optional
        What the colours show, with its unit (default ``column``).
    decimals : int
        Decimals of the class bounds in the legend (written as ``lang`` writes numbers).
    lang : str
        Language of the legend and of the commune names.
    names : bool
        Write the commune names on the map.
    ax : matplotlib.axes.Axes, optional

    Returns
    -------
    matplotlib.axes.Axes
    """
    from cibg_ds.i18n import gettext
    from cibg_ds.viz.figures import axes, describe, layers

    tr = gettext(lang)
    missing_label = missing_label or tr(_("suppressed / no data"))
    if scheme is not None and scheme.lower() not in SCHEMES:
        from cibg_ds.errors import ParameterError

        raise ParameterError(f"scheme must be one of {list(SCHEMES)}, got {scheme!r}")
    ax = axes(ax, (7.5, 6.5))
    if communes is None and "nis" in gdf.columns:
        communes = gdf
    crs = communes.crs if communes is not None else gdf.crs
    data = gdf.to_crs(crs)
    lines = data.geom_type.isin(["LineString", "MultiLineString"]).all()
    style = {"linewidth": 2.2} if lines else {"edgecolor": "none"}
    categorical = not pd.api.types.is_numeric_dtype(data[column])
    heading = legend_title or column
    if scheme or categorical:  # a legend beside the map, never over it
        if scheme:
            heading = tr(_("{what}\n{scheme}, {k} classes")).format(
                what=heading, scheme=tr(SCHEME_NAMES[scheme.lower()]), k=k
            )
        legend = {"title": heading, "fontsize": 8, "loc": "upper left", "bbox_to_anchor": (1, 1)}
        if scheme:
            legend["fmt"] = f"{{:.{decimals}f}}"
    else:
        legend = {"label": heading, "shrink": 0.7}
    if scheme:
        _mapclassify()  # before geopandas imports it
    with layers(ax.figure):
        data.plot(
            column=column,
            ax=ax,
            cmap=_visible(cmap),
            scheme=scheme,
            k=k,
            categorical=categorical,
            legend=True,
            legend_kwds=legend,
            missing_kwds=_missing_style("nis" in data.columns, missing_label),
            **style,
        )
        if scheme:
            _localise_legend(ax, decimals, lang)
        if communes is not None:
            communes.to_crs(crs).boundary.plot(ax=ax, color="#333333", linewidth=0.6)
            if names:
                label_communes(ax, communes.to_crs(crs), lang)
        if highlight is not None:
            outline = (communes if communes is not None else data).to_crs(crs)
            outline[outline["nis"] == highlight].boundary.plot(
                ax=ax, color="#e31a1c", linewidth=2.5
            )
    ax.set_title(title)
    ax.set_axis_off()
    note = _note(gdf, communes, tr=tr)
    if note:
        ax.annotate(note, (0.01, 0.01), xycoords="axes fraction", fontsize=8, color="#b00020")
    describe(ax, _map_description(data, column, title, communes, lang), lang=lang)
    credits = _credits(gdf, communes, tr=tr)
    if credits:
        ax.annotate(credits, (0.01, -0.02), xycoords="axes fraction", fontsize=7, color="#555555")
    return ax


def _missing_style(polygons_of_communes: bool, label: str) -> dict:
    """Blank communes are hatched (unlike any class colour); blank cells and roads grey."""
    if polygons_of_communes:
        return {"facecolor": "white", "edgecolor": "#888888", "hatch": "///", "label": label}
    return {"color": "#dddddd", "label": label}


def _localise_legend(ax, decimals: int, lang: str) -> None:
    """Rewrite the class bounds "a, b" of a classified legend as "a – b" in ``lang``'s numbers."""
    from cibg_ds.viz.tables import number

    legend = ax.get_legend()
    if legend is None:
        return
    for text in legend.get_texts():
        parts = text.get_text().split(", ")
        try:
            bounds = [float(p) for p in parts]
        except ValueError:
            continue
        text.set_text(" – ".join(number(b, decimals, lang) for b in bounds))


def _map_description(data, column, title, communes, lang) -> str:
    """Say in words what a map shows: its title and where the highest values are."""
    from cibg_ds.i18n import gettext, label_value, name_column

    tr = gettext(lang)
    text = tr(_("Map: {title}.")).format(title=title)
    name = name_column(lang)
    if not pd.api.types.is_numeric_dtype(data[column]):  # classes: who is in which
        parts = [
            label_value(str(key), ", ".join(map(str, part[name])), lang)
            if name in part.columns
            else str(key)
            for key, part in data.groupby(column, sort=True)
        ]
        return text + " " + "; ".join(parts) + "."
    values = pd.to_numeric(data[column], errors="coerce")
    if values is not None and values.notna().any() and name in data.columns:
        top = data.assign(_v=values).dropna(subset="_v").nlargest(3, "_v")[name]
        text += " " + tr(_("Highest: {names}.")).format(names=", ".join(map(str, top)))
    elif values is not None and values.notna().any() and communes is not None:
        import geopandas as gpd

        top = data.assign(_v=values).dropna(subset="_v").nlargest(20, "_v")
        inside = gpd.sjoin(
            gpd.GeoDataFrame(geometry=top.geometry.representative_point().to_numpy(), crs=data.crs),
            communes.to_crs(data.crs)[[name, "geometry"]],
            predicate="within",
        )[name]
        if len(inside):
            common = inside.value_counts().index[:3]
            text += " " + tr(_("Highest values in {names}.")).format(names=", ".join(common))
    return text


def lisa_map(gdf, *, alpha: float = 0.05, what: str = "", lang: str = "en", ax=None):
    """Map Local Moran (LISA) clusters in the usual colours, non-significant communes grey.

    Parameters
    ----------
    gdf : geopandas.GeoDataFrame
        Communes with ``quadrant`` (HH, HL, LH, LL) and ``p_sim``
        (:func:`cibg_ds.divide.local_moran`).
    alpha : float
        Significance level: a commune with ``p_sim >= alpha`` is drawn grey.
    what : str
        What was tested (e.g. "exclusion-risk index"), for the title.
    lang : str
    ax : matplotlib.axes.Axes, optional

    Returns
    -------
    matplotlib.axes.Axes
        One patch per commune in ``gdf`` order, coloured from :data:`LISA_COLOURS`.
    """
    from matplotlib.patches import Patch

    from cibg_ds.i18n import gettext, name_column
    from cibg_ds.viz.figures import axes, describe, layers
    from cibg_ds.viz.tables import number

    tr = gettext(lang)
    ax = axes(ax, (7.5, 6.5))
    category = lisa_categories(gdf, alpha)
    with layers(ax.figure):
        gdf.plot(color=category.map(LISA_COLOURS).tolist(), edgecolor="#333333", linewidth=0.6,
                 ax=ax)  # fmt: skip
    label_communes(ax, gdf, lang)
    counts = category.value_counts()
    handles = [
        Patch(
            facecolor=LISA_COLOURS[c],
            edgecolor="#333333",
            label=f"{tr(LISA_LABELS[c])} ({counts.get(c, 0)})",
        )
        for c in LISA_COLOURS
    ]
    ax.legend(
        handles=handles,
        title=tr(_("Local Moran, p < {alpha}")).format(alpha=number(alpha, 2, lang)),
        fontsize=8,
        loc="upper left",
        bbox_to_anchor=(1, 1),
    )
    title = (
        tr(_("Spatial clusters of the {what}")).format(what=what)
        if what
        else tr(_("Spatial clusters (Local Moran)"))
    )
    ax.set_title(title)
    ax.set_axis_off()
    name = name_column(lang)
    significant = gdf.loc[category != "ns", name] if name in gdf.columns else []
    describe(
        ax,
        tr(_("Map: {title}. {n} of {total} communes significant at p < {alpha}: {names}.")).format(
            title=title,
            n=int((category != "ns").sum()),
            total=len(gdf),
            alpha=number(alpha, 2, lang),
            names=", ".join(map(str, significant)) or "-",
        ),
        lang=lang,
    )
    return ax


def lisa_categories(gdf, alpha: float = 0.05) -> pd.Series:
    """Return each commune's LISA quadrant, or ``ns`` where ``p_sim >= alpha``."""
    quadrant = gdf["quadrant"].astype(str).reset_index(drop=True)
    significant = (gdf["p_sim"].astype(float) < alpha).reset_index(drop=True)
    return quadrant.where(significant, "ns")


_MAP_IDS = iter(range(1, 1 << 30))
_JS = """(function(){var f=document.getElementById('%(id)s');if(!f||f.dataset.ready)return;
f.dataset.ready='1';var s=f.querySelector('svg'),v=s.viewBox.baseVal,d=null,
o=[v.x,v.y,v.width,v.height];
function pt(e){var r=s.getBoundingClientRect();return[v.x+(e.clientX-r.left)/r.width*v.width,
v.y+(e.clientY-r.top)/r.height*v.height];}
s.addEventListener('wheel',function(e){e.preventDefault();var p=pt(e),z=e.deltaY<0?0.8:1.25;
v.x=p[0]-(p[0]-v.x)*z;v.y=p[1]-(p[1]-v.y)*z;v.width*=z;v.height*=z;},{passive:false});
s.addEventListener('mousedown',function(e){d=pt(e);});
window.addEventListener('mouseup',function(){d=null;});
s.addEventListener('mousemove',function(e){if(!d)return;var p=pt(e);
v.x-=p[0]-d[0];v.y-=p[1]-d[1];});
f.querySelectorAll('input[data-layer]').forEach(function(c){c.addEventListener('change',function(){
f.querySelector('g[data-layer="'+c.dataset.layer+'"]').style.display=c.checked?'':'none';});});
var r=f.querySelector('button');if(r)r.addEventListener('click',function(){
v.x=o[0];v.y=o[1];v.width=o[2];v.height=o[3];});})();"""


class SvgMap:
    """An interactive map drawn as inline SVG: works offline, loads nothing, hovers and zooms.

    Displayed as HTML in a notebook (``_repr_html_``); :meth:`save` writes a standalone page.
    """

    def __init__(self, markup: str, title: str = "", lang: str = "en"):
        self.html, self.title, self.lang = markup, title, lang

    def _repr_html_(self) -> str:
        return self.html

    def save(self, path) -> None:
        """Write the map as a standalone HTML page."""
        from html import escape
        from pathlib import Path

        Path(path).write_text(
            f"<!DOCTYPE html><html lang='{self.lang}'><head><meta charset='utf-8'>"
            f"<title>{escape(self.title)}</title></head><body>{self.html}</body></html>",
            encoding="utf-8",
        )


def _fmt(value, lang: str = "en") -> str:
    """Write a legend bound or a tooltip value as ``lang`` writes numbers.

    >>> _fmt(2.2149, "fr"), _fmt(1586.4, "fr").replace("\u202f", " "), _fmt(3, "nl"), _fmt(None)
    ('2,21', '1 586', '3', '–')
    """
    import numbers

    from cibg_ds.viz.tables import number

    if value is None or value is pd.NA or (isinstance(value, float) and value != value):
        return "–"
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        return str(value)
    if isinstance(value, numbers.Integral) or abs(value) >= 100:
        return number(round(float(value)), 0, lang)
    decimals = len(f"{value:.2f}".rstrip("0").partition(".")[2])
    return number(float(value), decimals, lang)


def _svg_path(geom, origin, scale) -> str:
    """Return the SVG path data of a (multi)polygon or (multi)line, y flipped, rounded."""
    x0, y1 = origin

    def ring(coords, close):
        pts = [f"{(x - x0) * scale:.0f} {(y1 - y) * scale:.0f}" for x, y, *_ in coords]
        return "M" + "L".join(pts) + ("Z" if close else "")

    kind = geom.geom_type
    if kind == "Polygon":
        return ring(geom.exterior.coords, True) + "".join(
            ring(i.coords, True) for i in geom.interiors
        )
    if kind == "LineString":
        return ring(geom.coords, False)
    if kind.startswith("Multi") or kind == "GeometryCollection":
        return "".join(_svg_path(g, origin, scale) for g in geom.geoms)
    return ""


def _colours(values: pd.Series, scheme, k, cmap, lang: str = "en"):
    """Return a hex colour per value and the legend entries ``[(colour, label)]``."""
    import matplotlib as mpl
    import numpy as np

    colours = pd.Series("#bbbbbb", index=values.index)
    present = values.dropna()
    legend = []
    if present.empty:
        return colours, legend
    palette = mpl.colormaps[cmap]
    if not pd.api.types.is_numeric_dtype(values):
        cats = sorted(present.astype(str).unique())
        for i, cat in enumerate(cats):
            colour = mpl.colors.to_hex(palette(i / max(len(cats) - 1, 1)))
            colours[present.index[present.astype(str) == cat]] = colour
            legend.append((colour, cat))
        return colours, legend
    numbers = present.astype(float)
    if scheme and numbers.min() < numbers.max():
        classifier = _mapclassify().classify(
            numbers.to_numpy(), scheme, k=min(k, numbers.nunique())
        )
        bins = classifier.bins
        cls = classifier.yb
        lo = numbers.min()
        for i, hi in enumerate(bins):
            colour = mpl.colors.to_hex(palette(0.15 + 0.85 * i / max(len(bins) - 1, 1)))
            legend.append((colour, f"{_fmt(float(lo), lang)} – {_fmt(float(hi), lang)}"))
            lo = hi
        colours[numbers.index] = [legend[c][0] for c in cls]
        return colours, legend
    lo, hi = float(numbers.min()), float(numbers.max())
    scaled = (numbers - lo) / (hi - lo) if hi > lo else numbers * 0 + 0.5
    colours[numbers.index] = [mpl.colors.to_hex(palette(0.15 + 0.85 * t)) for t in scaled]
    for t in np.linspace(0, 1, 5):
        legend.append((mpl.colors.to_hex(palette(0.15 + 0.85 * t)), _fmt(lo + t * (hi - lo), lang)))
    return colours, legend


def interactive_map(
    gdf,
    column,
    *,
    tooltip=None,
    scheme=None,
    k=5,
    communes=None,
    name=None,
    roads=None,
    cmap="viridis",
    title="",
    lang="en",
    width=760,
):
    """Return an interactive map of ``column`` (polygons or lines) that works offline.

    Drawn as inline SVG from our own layers (the data, commune boundaries with their names,
    main roads): no tiles, no script or style from a network, a few kB of inline script for
    zoom (mouse wheel), pan (drag) and layer switches; hovering a shape shows its values.

    Parameters
    ----------
    gdf : geopandas.GeoDataFrame
    column : str
    tooltip : list of str or dict, optional
        Columns shown on hover, or ``{column: label}`` (default: ``column``).
    scheme, k : optional
        As in :func:`static_map`.
    communes : geopandas.GeoDataFrame, optional
        Commune outlines and names as a layer (default: ``gdf`` itself when it holds
        ``name_fr``/``name_nl``).
    name : str, optional
        Name of the data layer (default ``column``).
    roads : geopandas.GeoDataFrame, optional
        Main roads as a grey layer.
    cmap : str
        Matplotlib colour map.
    title : str
        Caption above the map.
    lang : str
        Language of the map's own words and of the commune names.
    width : int
        Width in CSS pixels (the map scales down on narrow screens).

    Returns
    -------
    SvgMap
    """
    from html import escape

    from cibg_ds.i18n import gettext, label_value

    _ = gettext(lang)
    crs = 31370
    data = gdf.to_crs(crs)
    if communes is None and {"name_fr", "name_nl"} <= set(gdf.columns):
        communes = gdf
    layers = [data] + [f.to_crs(crs) for f in (communes, roads) if f is not None]
    minx = min(f.total_bounds[0] for f in layers)
    miny = min(f.total_bounds[1] for f in layers)
    maxx = max(f.total_bounds[2] for f in layers)
    maxy = max(f.total_bounds[3] for f in layers)
    scale = 1000 / max(maxx - minx, maxy - miny, 1)  # a 1000-unit view box
    origin = (minx, maxy)
    vw, vh = (maxx - minx) * scale, (maxy - miny) * scale
    tol = 2 / scale  # two view-box units: invisible at any sane zoom
    lines = data.geom_type.str.contains("Line").all()
    colours, legend = _colours(data[column], scheme, k, cmap, lang)
    fields = tooltip if isinstance(tooltip, dict) else {c: c for c in (tooltip or [column])}
    map_id = f"cibg-map-{next(_MAP_IDS)}"
    shapes = []
    geoms = data.geometry.simplify(tol)
    for i, (idx, geom) in enumerate(zip(data.index, geoms, strict=True)):
        if geom is None or geom.is_empty:
            continue
        tip = "&#10;".join(escape(label_value(str(label), _fmt(data[c].iloc[i], lang), lang))
                           for c, label in fields.items() if c in data.columns)  # fmt: skip
        paint = (f"fill='none' stroke='{colours[idx]}' stroke-width='3'" if lines
                 else f"fill='{colours[idx]}'")  # fmt: skip
        shapes.append(
            f"<path d='{_svg_path(geom, origin, scale)}' {paint}><title>{tip}</title></path>"
        )
    stroke = "" if lines else " stroke='#fff' stroke-width='0.3'"
    groups = [("data", name or column, f"<g data-layer='data'{stroke}>{''.join(shapes)}</g>")]
    if roads is not None:
        r = roads.to_crs(crs).geometry.simplify(tol)
        paths = "".join(f"<path d='{_svg_path(g, origin, scale)}'/>" for g in r if g is not None)
        road_layer = f"<g data-layer='roads' fill='none' stroke='#888' stroke-width='1'>{paths}</g>"
        groups.insert(0, ("roads", _("Roads"), road_layer))
    if communes is not None:
        groups.append(
            ("communes", _("Communes"), _commune_layer(communes, origin, scale, tol, lang))
        )
    switches = "".join(
        f"<label style='margin-right:1em'><input type='checkbox' checked data-layer='{key}'> "
        f"{escape(str(label))}</label>"
        for key, label, _g in groups
    )
    legend = (
        [*legend, ("#bbbbbb", _("suppressed / no data"))] if data[column].isna().any() else legend
    )
    keys = "".join(
        f"<span style='margin-right:.8em;white-space:nowrap'><span style='display:inline-block;"
        f"width:12px;height:12px;background:{c};margin-right:3px'></span>{escape(label)}</span>"
        for c, label in legend
    )
    note = _note(gdf, communes, roads, tr=_)
    credits = _credits(gdf, communes, roads, tr=_)
    help_text = _(
        "Hover a shape for its values; wheel to zoom, drag to pan. "
        "Drawn from the report's own layers, no map tiles."
    )
    caption = escape(title or str(name or column))
    heading = f"<b>{escape(str(name or column))}</b>"  # of the legend
    markup = (
        f"<figure id='{map_id}' class='cibg-map' style='max-width:{width}px;margin:1em 0'>"
        f"<figcaption style='font-weight:600'>{caption}</figcaption>"
        f"<div style='font-size:12px'>{switches}"
        f"<button type='button'>{escape(_('Reset view'))}</button></div>"
        f"<svg viewBox='0 0 {vw:.0f} {vh:.0f}' width='100%' role='img' aria-label='{caption}' "
        f"style='border:1px solid #ccc;background:#f8f8f6;cursor:grab'>"
        f"{''.join(g for _k, _l, g in groups)}</svg>"
        f"<div style='font-size:12px'>{label_value(heading, keys, lang)}</div>"
        + (f"<div style='font-size:12px;color:#b00020'>{escape(note)}</div>" if note else "")
        + (f"<div style='font-size:11px;color:#555'>{escape(credits)}</div>" if credits else "")
        + f"<div style='font-size:11px;color:#555'>{escape(help_text)}</div>"
        f"<script>{_JS % {'id': map_id}}</script></figure>"
    )
    return SvgMap(markup, caption, lang)


def _commune_layer(communes, origin, scale, tol, lang) -> str:
    """Return the commune outlines and their names (in ``lang``) as an SVG group."""
    from html import escape

    from cibg_ds.i18n import name_column

    c = communes.to_crs(31370)
    x0, y1 = origin
    outline = "".join(
        f"<path d='{_svg_path(g, origin, scale)}'/>"
        for g in c.geometry.simplify(tol)
        if g is not None
    )
    texts = ""
    label = name_column(lang)
    if label in c.columns:
        points = c.geometry.representative_point()
        texts = "".join(
            f"<text x='{(p.x - x0) * scale:.0f}' y='{(y1 - p.y) * scale:.0f}'>"
            f"{escape(str(n))}</text>"
            for p, n in zip(points, c[label], strict=True)
        )
    return (
        "<g data-layer='communes'><g fill='none' stroke='#333' stroke-width='1.2'>"
        f"{outline}</g><g font-size='13' text-anchor='middle' fill='#111' stroke='#fff' "
        "stroke-width='3' paint-order='stroke' style='pointer-events:none'>"
        f"{texts}</g></g>"
    )


def sector_map(sectors, column, title, *, communes=None, scheme="quantiles", k=5, cmap="OrRd",
               legend_title=None, lang="en", ax=None):  # fmt: skip
    """Map an indicator per statistical sector, communes outlined, suppressed sectors grey.

    Parameters
    ----------
    sectors : geopandas.GeoDataFrame
        From :func:`cibg_ds.divide.sector_car_indicators` (or any sector table).
    column, title, scheme, k, cmap, legend_title, lang, ax
        As in :func:`static_map`.
    communes : geopandas.GeoDataFrame, optional
        Commune outlines on top, so that one sees where within each commune a value sits.

    Returns
    -------
    matplotlib.axes.Axes
    """
    from cibg_ds.i18n import gettext

    tr = gettext(lang)
    threshold = sectors.attrs.get("min_households")
    label = (
        tr(_("suppressed (fewer than {n} households) or no data")).format(n=threshold)
        if threshold
        else tr(_("no data"))
    )
    return static_map(sectors, column, title, communes=communes, scheme=scheme, k=k, cmap=cmap,
                      missing_label=label, legend_title=legend_title, lang=lang,
                      ax=ax)  # fmt: skip
