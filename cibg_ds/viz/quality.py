"""Charts of validation results."""

from __future__ import annotations

from cibg_ds.quality.result import ValidationResult


def plot_unexpected(result: ValidationResult, n: int = 15, ax=None):
    """Bar chart of the share of unexpected rows of the worst failed expectations.

    Parameters
    ----------
    result : ValidationResult
    n : int
        At most this many expectations.
    ax : matplotlib.axes.Axes, optional

    Returns
    -------
    matplotlib.axes.Axes
    """
    import matplotlib.pyplot as plt

    worst = result.worst(n)
    worst = worst[worst["unexpected_count"].fillna(0) > 0].iloc[::-1]
    if ax is None:
        _, ax = plt.subplots(figsize=(7, 0.35 * max(len(worst), 3) + 1))
    if worst.empty:
        ax.text(0.5, 0.5, "no unexpected rows", ha="center", va="center")
        ax.set_axis_off()
        return ax
    shares = worst["unexpected_percent"].astype(float).fillna(0)
    bars = ax.barh(worst["expectation"], shares, color="#cf222e")
    labels = [f"{int(c):,}" for c in worst["unexpected_count"]]
    ax.bar_label(bars, labels=labels, padding=3, fontsize=8)
    ax.set_xlabel("unexpected rows (% of rows considered)")
    ax.set_title(f"{result.suite}: failed expectations on {result.rows:,} rows")
    ax.margins(x=0.15)
    return ax
