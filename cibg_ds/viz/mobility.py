"""Charts of truck traffic: hourly profiles, origin-destination, through traffic, Euro classes."""

from __future__ import annotations

import numpy as np
import pandas as pd

WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


def _axes(ax, size):
    import matplotlib.pyplot as plt

    return plt.subplots(figsize=size)[1] if ax is None else ax


def plot_hourly(profile: pd.DataFrame, by: str = "weekday", ax=None):
    """Line per weekday (or commune) of mean vehicle-km per local hour.

    ``profile`` is :func:`cibg_ds.mobility.hourly_profile` (suppressed hours are gaps).
    """
    ax = _axes(ax, (8, 4))
    for key, part in profile.groupby(by, sort=True):
        label = WEEKDAYS[int(key)] if by == "weekday" else str(key)
        part = part.set_index("hour_of_day")["vkm"].astype(float).reindex(range(24))
        ax.plot(part.index, part.to_numpy(), marker="o", markersize=3, label=label)
    ax.set_xticks(range(0, 24, 2))
    ax.set_xlabel("hour of day (Europe/Brussels)")
    ax.set_ylabel("vehicle-km (mean per day)")
    ax.set_title("Truck vehicle-km by hour of day")
    ax.legend(ncols=2 if profile[by].nunique() > 7 else 1, fontsize=8)
    ax.grid(alpha=0.3)
    return ax


def plot_od(matrix: pd.DataFrame, names: dict | None = None, ax=None):
    """Heat map of an origin-destination matrix (log colour scale; blanks = suppressed)."""
    from matplotlib.colors import LogNorm

    ax = _axes(ax, (8, 7))
    values = matrix.astype(float).to_numpy()
    shown = np.where(values > 0, values, np.nan)
    finite = shown[np.isfinite(shown)]
    norm = LogNorm(vmin=finite.min(), vmax=finite.max()) if finite.size else None
    image = ax.imshow(shown, cmap="magma_r", norm=norm)
    labels = [(names or {}).get(x, x) for x in matrix.index]
    ax.set_xticks(range(len(matrix.columns)), [(names or {}).get(x, x) for x in matrix.columns],
                  rotation=90, fontsize=7)  # fmt: skip
    ax.set_yticks(range(len(matrix.index)), labels, fontsize=7)
    ax.set_xlabel("destination")
    ax.set_ylabel("origin")
    ax.set_title("Truck trips between communes (blank: none or suppressed)")
    ax.figure.colorbar(image, ax=ax, shrink=0.7, label="trips")
    return ax


def plot_through(share: pd.DataFrame, by: str = "hour", ax=None):
    """Bars of the through-traffic share (of trips) per hour or weight class."""
    ax = _axes(ax, (8, 3.5))
    labels = share[by].astype(str).to_numpy()
    ax.bar(labels, 100 * share["share_through"].astype(float).to_numpy(), color="#3b6ea5")
    ax.set_ylabel("through trips (%)")
    ax.set_xlabel(by.replace("_", " "))
    ax.set_title("Share of trips that cross the region without stopping")
    ax.grid(axis="y", alpha=0.3)
    return ax


def plot_euro(shares: pd.DataFrame, label: str = "commune", ax=None):
    """Stacked bars of vehicle-km shares by Euro class (columns ``euro_0`` ... ``euro_6``)."""
    ax = _axes(ax, (9, 4))
    cols = [c for c in shares.columns if c.startswith("euro_")]
    bottom = np.zeros(len(shares))
    colours = ["#67001f", "#b2182b", "#d6604d", "#f4a582", "#fddbc7", "#92c5de", "#2166ac"]
    for col, colour in zip(cols, colours, strict=False):
        values = 100 * shares[col].astype(float).fillna(0).to_numpy()
        ax.bar(shares[label].astype(str), values, bottom=bottom, color=colour, label=col)
        bottom += values
    ax.set_ylabel("share of vehicle-km (%)")
    ax.set_title("Euro emission class of truck vehicle-km (Euro 5 and older: red shades)")
    ax.tick_params(axis="x", rotation=90, labelsize=7)
    ax.legend(fontsize=7, ncols=7, loc="upper center", bbox_to_anchor=(0.5, -0.35))
    return ax
