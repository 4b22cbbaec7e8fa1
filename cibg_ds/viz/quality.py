"""Charts of validation results."""

from __future__ import annotations

from cibg_ds.quality.result import ValidationResult


def plot_unexpected(result: ValidationResult, n: int = 15, lang: str = "en", ax=None):
    """Bar chart of the share of unexpected rows of the worst failed expectations.

    Parameters
    ----------
    result : ValidationResult
    n : int
        At most this many expectations.
    lang : str
        Language of the labels (``en``, ``fr``, ``nl``).
    ax : matplotlib.axes.Axes, optional

    Returns
    -------
    matplotlib.axes.Axes
    """
    import matplotlib.pyplot as plt

    from cibg_ds.i18n import gettext
    from cibg_ds.viz.figures import describe
    from cibg_ds.viz.tables import number

    _ = gettext(lang)
    worst = result.worst(n)
    worst = worst[worst["unexpected_count"].fillna(0) > 0].iloc[::-1]
    if ax is None:
        _fig, ax = plt.subplots(figsize=(7, 0.35 * max(len(worst), 3) + 1))
    if worst.empty:
        ax.text(0.5, 0.5, _("no unexpected rows"), ha="center", va="center")
        ax.set_axis_off()
        describe(
            ax,
            _("Every expectation of the suite {suite} passed.").format(suite=result.suite),
            lang=lang,
        )
        return ax
    shares = worst["unexpected_percent"].astype(float).fillna(0)
    bars = ax.barh(worst["expectation"], shares, color="#cf222e")
    labels = [number(int(c), 0, lang) for c in worst["unexpected_count"]]
    ax.bar_label(bars, labels=labels, padding=3, fontsize=8)
    ax.set_xlabel(_("unexpected rows (% of rows considered)"))
    ax.set_title(
        _("{suite}: failed expectations on {rows} rows").format(
            suite=result.suite, rows=number(result.rows, 0, lang)
        )
    )
    describe(
        ax,
        _("Bar chart of the failed expectations of the suite {suite}; the worst is {name} "
          "({share} % of rows).").format(
            suite=result.suite,
            name=worst["expectation"].iloc[-1],
            share=number(shares.iloc[-1], 2, lang),
        ),
        lang=lang,
    )  # fmt: skip
    ax.margins(x=0.15)
    return ax
