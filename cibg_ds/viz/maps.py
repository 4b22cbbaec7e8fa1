"""Maps: static choropleths (matplotlib, PNG) and interactive ones (folium), one style for all.

Every map says where its geometry comes from: the attribution of official boundaries and
roads (``attrs["attribution"]``), and loudly when the geometry is schematic.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

SCHEMES = ("quantiles", "fisherjenks", "equalinterval", "naturalbreaks")


def _schematic(*frames) -> bool:
    return any(f is not None and f.attrs.get("schematic") for f in frames)


def _note(*frames) -> str:
    if _schematic(*frames):
        return "Schematic geometry (not official boundaries or roads)"
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


def _credits(*frames) -> str:
    """Return the attributions of the frames' sources (``attrs["attribution"]``), once each."""
    seen = [f.attrs.get("attribution") for f in frames if f is not None]
    return "; ".join(dict.fromkeys(a for a in seen if a))


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
    import matplotlib.pyplot as plt

    from cibg_ds.i18n import gettext
    from cibg_ds.viz.figures import describe

    tr = gettext(lang)
    missing_label = missing_label or tr(_("suppressed / no data"))
    if scheme is not None and scheme.lower() not in SCHEMES:
        from cibg_ds.errors import ParameterError

        raise ParameterError(f"scheme must be one of {list(SCHEMES)}, got {scheme!r}")
    if ax is None:
        _fig, ax = plt.subplots(figsize=(7.5, 6.5))
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
        outline[outline["nis"] == highlight].boundary.plot(ax=ax, color="#e31a1c", linewidth=2.5)
    ax.set_title(title)
    ax.set_axis_off()
    note = _note(gdf, communes)
    if note:
        ax.annotate(note, (0.01, 0.01), xycoords="axes fraction", fontsize=8, color="#b00020")
    describe(ax, _map_description(data, column, title, communes, lang))
    credits = _credits(gdf, communes)
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
    from cibg_ds.i18n import gettext, name_column

    tr = gettext(lang)
    text = tr(_("Map: {title}.")).format(title=title)
    name = name_column(lang)
    if not pd.api.types.is_numeric_dtype(data[column]):  # classes: who is in which
        parts = [
            f"{key}: {', '.join(map(str, part[name]))}" if name in part.columns else str(key)
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
    import matplotlib.pyplot as plt
    from matplotlib.patches import Patch

    from cibg_ds.i18n import gettext, name_column
    from cibg_ds.viz.figures import describe
    from cibg_ds.viz.tables import number

    tr = gettext(lang)
    if ax is None:
        _fig, ax = plt.subplots(figsize=(7.5, 6.5))
    category = lisa_categories(gdf, alpha)
    gdf.plot(color=category.map(LISA_COLOURS).tolist(), edgecolor="#333333", linewidth=0.6, ax=ax)
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
    )
    return ax


def lisa_categories(gdf, alpha: float = 0.05) -> pd.Series:
    """Return each commune's LISA quadrant, or ``ns`` where ``p_sim >= alpha``."""
    quadrant = gdf["quadrant"].astype(str).reset_index(drop=True)
    significant = (gdf["p_sim"].astype(float) < alpha).reset_index(drop=True)
    return quadrant.where(significant, "ns")


def interactive_map(gdf, column, *, tooltip=None, scheme=None, k=5, communes=None, name=None):
    """Return a folium map of ``column`` (polygons or lines) with tooltips.

    Parameters
    ----------
    gdf : geopandas.GeoDataFrame
    column : str
    tooltip : list of str, optional
        Columns shown on hover (default: ``column``).
    scheme, k : optional
        As in :func:`static_map`.
    communes : geopandas.GeoDataFrame, optional
        Commune outlines as a second layer.
    name : str, optional
        Layer name.

    Returns
    -------
    folium.Map
    """
    import folium

    data = gdf.to_crs(4326)
    m = data.explore(
        column=column,
        tooltip=tooltip or [column],
        scheme=scheme,
        k=k,
        cmap="viridis",
        tiles="CartoDB positron",
        name=name or column,
        missing_kwds={"color": "#bbbbbb"},
        style_kwds={"weight": 3} if data.geom_type.str.contains("Line").all() else {},
    )
    if communes is not None:
        cols = [c for c in ("nis", "name_fr", "name_nl") if c in communes.columns]
        communes.to_crs(4326)[[*cols, "geometry"]].explore(
            m=m, name="communes", style_kwds={"fill": False, "color": "#333333", "weight": 1}
        )
    note = _note(gdf, communes)
    if note:
        html = f'<div style="position:fixed;bottom:8px;left:8px;z-index:999;background:#fff;padding:2px 6px;color:#b00020;font-size:12px">{note}</div>'  # noqa: E501
        m.get_root().html.add_child(folium.Element(html))
    credits = _credits(gdf, communes)
    if credits:
        html = f'<div style="position:fixed;bottom:8px;right:8px;z-index:999;background:#fff;padding:2px 6px;color:#555;font-size:11px">{credits}</div>'  # noqa: E501
        m.get_root().html.add_child(folium.Element(html))
    folium.LayerControl().add_to(m)
    return m


def sector_map(sectors, column, title, *, communes=None, scheme="quantiles", k=5, cmap="OrRd",
               lang="en", ax=None):  # fmt: skip
    """Map an indicator per statistical sector, communes outlined, suppressed sectors grey.

    Parameters
    ----------
    sectors : geopandas.GeoDataFrame
        From :func:`cibg_ds.divide.sector_car_indicators` (or any sector table).
    column, title, scheme, k, cmap, lang, ax
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
                      missing_label=label, lang=lang, ax=ax)  # fmt: skip
