"""Maps: static choropleths (matplotlib, PNG) and interactive ones (folium), one style for all.

Every map says where its geometry comes from: the attribution of official boundaries and
roads (``attrs["attribution"]``), and loudly when the geometry is schematic.
"""

from __future__ import annotations

import pandas as pd

SCHEMES = ("quantiles", "fisherjenks", "equalinterval", "naturalbreaks")


def _schematic(*frames) -> bool:
    return any(f is not None and f.attrs.get("schematic") for f in frames)


def _note(*frames) -> str:
    if _schematic(*frames):
        return "Schematic geometry (not official boundaries or roads)"
    return ""


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
    missing_label="suppressed / no data",
    ax=None,
):
    """Draw a choropleth (polygons) or a coloured line map of ``column``.

    Parameters
    ----------
    gdf : geopandas.GeoDataFrame
        Polygons or lines; rows with a missing value (suppressed) are drawn in grey.
    column : str
    title : str
    communes : geopandas.GeoDataFrame, optional
        Commune outlines drawn on top, for orientation.
    scheme : str, optional
        Classification by mapclassify (``quantiles``, ``fisherjenks``, ...), stated in the
        legend; default a continuous colour bar.
    k : int
        Number of classes of ``scheme``.
    highlight : str, optional
        NIS code of a commune to outline in red (commune profiles).
    missing_label : str
        Legend entry of rows without a value (grey).
    ax : matplotlib.axes.Axes, optional

    Returns
    -------
    matplotlib.axes.Axes
    """
    import matplotlib.pyplot as plt

    if scheme is not None and scheme.lower() not in SCHEMES:
        from cibg_ds.errors import ParameterError

        raise ParameterError(f"scheme must be one of {list(SCHEMES)}, got {scheme!r}")
    if ax is None:
        _, ax = plt.subplots(figsize=(7, 6.5))
    crs = communes.crs if communes is not None else gdf.crs
    data = gdf.to_crs(crs)
    lines = data.geom_type.isin(["LineString", "MultiLineString"]).all()
    style = {"linewidth": 2.2} if lines else {"edgecolor": "none"}
    categorical = not pd.api.types.is_numeric_dtype(data[column])
    if scheme or categorical:  # a legend beside the map, never over it
        heading = f"{column} ({scheme}, {k} classes)" if scheme else column
        legend = {"title": heading, "fontsize": 8, "loc": "upper left", "bbox_to_anchor": (1, 1)}
    else:
        legend = {"label": column}
    data.plot(
        column=column,
        ax=ax,
        cmap=cmap,
        scheme=scheme,
        k=k,
        categorical=categorical,
        legend=True,
        legend_kwds=legend,
        missing_kwds={"color": "#dddddd", "label": missing_label},
        **style,
    )
    if communes is not None:
        communes.boundary.plot(ax=ax, color="#333333", linewidth=0.6)
    if highlight is not None:
        outline = (communes if communes is not None else data).to_crs(crs)
        outline[outline["nis"] == highlight].boundary.plot(ax=ax, color="#e31a1c", linewidth=2.5)
    ax.set_title(title)
    ax.set_axis_off()
    note = _note(gdf, communes)
    if note:
        ax.annotate(note, (0.01, 0.01), xycoords="axes fraction", fontsize=8, color="#b00020")
    credits = _credits(gdf, communes)
    if credits:
        ax.annotate(credits, (0.01, -0.02), xycoords="axes fraction", fontsize=7, color="#555555")
    return ax


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
               ax=None):  # fmt: skip
    """Map an indicator per statistical sector, communes outlined, suppressed sectors grey.

    Parameters
    ----------
    sectors : geopandas.GeoDataFrame
        From :func:`cibg_ds.divide.sector_car_indicators` (or any sector table).
    column, title, scheme, k, cmap, ax
        As in :func:`static_map`.
    communes : geopandas.GeoDataFrame, optional
        Commune outlines on top, so that one sees where within each commune a value sits.

    Returns
    -------
    matplotlib.axes.Axes
    """
    threshold = sectors.attrs.get("min_households")
    label = f"suppressed (< {threshold} households) / no data" if threshold else "no data"
    return static_map(sectors, column, title, communes=communes, scheme=scheme, k=k, cmap=cmap,
                      missing_label=label, ax=ax)  # fmt: skip
