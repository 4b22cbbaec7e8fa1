"""Static charts and maps (matplotlib); interactive maps (folium) where they earn their place.

Charts and tables take ``lang`` (``en``, ``fr``, ``nl``); :func:`show` displays a figure
with its description as alt text; :func:`readable` and :func:`show_table` make tables
readers understand (names, units, integers, %).
"""

from cibg_ds.viz.bottlenecks import bottleneck_table, plot_delay_profiles
from cibg_ds.viz.divide import (
    index_map,
    plot_profile,
    plot_rank_intervals,
    plot_sensitivity,
    plot_skills,
)
from cibg_ds.viz.explorer import IndexExplorer, explore_index
from cibg_ds.viz.figures import describe, layers, show
from cibg_ds.viz.maps import interactive_map, label_communes, lisa_map, sector_map, static_map
from cibg_ds.viz.mobility import plot_euro, plot_hourly, plot_od, plot_through
from cibg_ds.viz.quality import plot_unexpected
from cibg_ds.viz.tables import commune_names, number, readable, typology_table
from cibg_ds.viz.tables import show as show_table
from cibg_ds.viz.text import notes, section

__all__ = [
    "IndexExplorer",
    "bottleneck_table",
    "commune_names",
    "describe",
    "explore_index",
    "index_map",
    "interactive_map",
    "label_communes",
    "layers",
    "lisa_map",
    "notes",
    "number",
    "plot_delay_profiles",
    "plot_euro",
    "plot_hourly",
    "plot_od",
    "plot_profile",
    "plot_rank_intervals",
    "plot_sensitivity",
    "plot_skills",
    "plot_through",
    "plot_unexpected",
    "readable",
    "section",
    "sector_map",
    "show",
    "show_table",
    "static_map",
    "typology_table",
]
