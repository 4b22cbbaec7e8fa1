"""Static charts and maps (matplotlib); interactive maps (folium) where they earn their place."""

from cibg_ds.viz.quality import plot_unexpected

__all__ = ["plot_unexpected"]
