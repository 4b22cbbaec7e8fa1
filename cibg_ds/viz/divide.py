"""Charts of the digital-divide analysis: rank intervals, skill estimates, sensitivity."""

from __future__ import annotations

import numpy as np


def plot_rank_intervals(result, ax=None):
    """Each commune's rank (dot), median simulated rank (tick) and 90 % interval (bar).

    ``result`` is :func:`cibg_ds.divide.exclusion_index`'s :class:`IndexResult`.
    """
    import matplotlib.pyplot as plt

    t = result.table.sort_values("rank_median", ascending=False)
    if ax is None:
        _, ax = plt.subplots(figsize=(7, 0.32 * len(t) + 1.2))
    y = np.arange(len(t))
    labels = t["name_fr"] if t["name_fr"].notna().all() else t["nis"]
    ax.hlines(y, t["rank_lo"], t["rank_hi"], color="#9ecae1", linewidth=6, label="90 % interval")
    ax.plot(t["rank_median"], y, "|", color="#08519c", markersize=14, label="median rank")
    ax.plot(t["rank"], y, "o", color="#b00020", markersize=5, label="rank (base choices)")
    ax.set_yticks(y, labels, fontsize=8)
    ax.set_xlim(0.5, len(t) + 0.5)
    ax.set_xticks(range(1, len(t) + 1, 2))
    ax.invert_xaxis()
    ax.set_xlabel("rank (1 = highest risk of digital exclusion)")
    s = result.settings
    ax.set_title(
        f"Exclusion-risk rank and its uncertainty ({s['n_sim']} runs varying "
        f"{' and '.join(s['vary']) or 'nothing'})",
        fontsize=10,
    )
    ax.legend(fontsize=7, loc="lower left")
    ax.grid(axis="x", alpha=0.3)
    return ax


def plot_skills(estimates, ax=None):
    """Bars of residents with limited (of whom none) skills per commune, with intervals."""
    import matplotlib.pyplot as plt

    t = estimates.sort_values("limited")
    if ax is None:
        _, ax = plt.subplots(figsize=(7, 0.32 * len(t) + 1.2))
    y = np.arange(len(t))
    labels = t["name_fr"] if "name_fr" in t.columns else t["nis"]
    ax.barh(y, t["limited"], color="#fdae6b", label="limited skills")
    ax.barh(y, t["none"], color="#d94801", label="of whom no skills")
    err = [t["limited"] - t["limited_lo"], t["limited_hi"] - t["limited"]]
    ax.errorbar(t["limited"], y, xerr=err, fmt="none", ecolor="#333333", capsize=2, lw=0.8)
    ax.set_yticks(y, labels, fontsize=8)
    ax.set_xlabel("residents (estimate, 90 % interval)")
    total, none = int(t["limited"].sum()), int(t["none"].sum())
    ax.set_title(f"Residents with limited digital skills: {total:,} in all, {none:,} with none",
                 fontsize=10)  # fmt: skip
    ax.legend(fontsize=8, loc="lower right")
    return ax


def plot_sensitivity(result, ax=None):
    """Mean rank shift when one choice is switched, largest first."""
    import matplotlib.pyplot as plt

    s = result.sensitivity.iloc[::-1]
    if ax is None:
        _, ax = plt.subplots(figsize=(7, 0.3 * len(s) + 1.2))
    labels = [f"{c}: {a}" for c, a in zip(s["choice"], s["alternative"], strict=True)]
    ax.barh(labels, s["mean_abs_shift"], color="#6a51a3")
    ax.set_xlabel("mean shift of a commune's rank (places)")
    ax.set_title("What moves the ranking most", fontsize=10)
    ax.tick_params(axis="y", labelsize=8)
    return ax


def plot_profile(comparison, title: str = "", ax=None):
    """Plot a commune's indicators in standard deviations from the regional mean.

    Bars point right where the commune is at higher risk than average (the indicator's
    direction is applied), so longer red bars mean more risk. ``comparison`` is the
    ``comparison`` table of :meth:`cibg_ds.reports.DivideReport.profile`.
    """
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=(7, 0.45 * len(comparison) + 1.2))
    risk = comparison["z"] * comparison["direction"]
    colours = np.where(risk > 0, "#d7301f", "#2b8cbe")
    ax.barh(comparison["indicator"], risk, color=colours)
    ax.axvline(0, color="#333333", linewidth=0.8)
    for y, (value, median) in enumerate(zip(comparison["commune"], comparison["region_median"],
                                            strict=True)):  # fmt: skip
        ax.annotate(f"{value:,.1f} (region {median:,.1f})", (0, y), xytext=(4, 8),
                    textcoords="offset points", fontsize=7, color="#333333")  # fmt: skip
    ax.set_xlabel("standard deviations from the regional mean, towards more risk (right)")
    ax.set_title(title or "Indicators compared with the region", fontsize=10)
    ax.invert_yaxis()
    return ax
