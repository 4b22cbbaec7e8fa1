"""Static charts and maps (matplotlib); interactive maps (folium) where they earn their place."""

from cibg_ds.viz.divide import plot_profile, plot_rank_intervals, plot_sensitivity, plot_skills
from cibg_ds.viz.maps import interactive_map, sector_map, static_map
from cibg_ds.viz.mobility import plot_euro, plot_hourly, plot_od, plot_through
from cibg_ds.viz.quality import plot_unexpected
from cibg_ds.viz.text import notes

__all__ = [
    "interactive_map",
    "notes",
    "plot_euro",
    "plot_hourly",
    "plot_od",
    "plot_profile",
    "plot_rank_intervals",
    "plot_sensitivity",
    "plot_skills",
    "plot_through",
    "plot_unexpected",
    "sector_map",
    "static_map",
]
