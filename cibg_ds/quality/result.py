"""The outcome of a validation: one object, a table per expectation, HTML for notebooks."""

from __future__ import annotations

import dataclasses
import html

import pandas as pd

FRAME_COLUMNS = [
    "expectation", "expectation_type", "column", "success", "element_count",
    "unexpected_count", "unexpected_percent", "observed_value", "unexpected_sample",
    "exception",
]  # fmt: skip


@dataclasses.dataclass(frozen=True)
class Outcome:
    """How one expectation fared."""

    name: str
    expectation_type: str
    column: str | None
    success: bool
    element_count: int | None = None
    unexpected_count: int | None = None
    unexpected_percent: float | None = None
    missing_count: int | None = None
    observed_value: object = None
    unexpected_sample: tuple = ()
    exception: str | None = None
    severity: str = "error"
    evaluated_by: str = "cibg_ds"
    """``cibg_ds`` (our vectorised code), ``gx`` (GX on the rows) or ``gx (dtypes)``."""


@dataclasses.dataclass(frozen=True)
class ValidationResult:
    """Result of :func:`cibg_ds.quality.validate`.

    Attributes
    ----------
    suite : str
    outcomes : tuple of Outcome
        One per expectation, in suite order, then cibg_ds's own checks.
    rows : int
        Rows validated.
    engine : str
        ``"pandas"`` (GX on one frame) or ``"dask"`` (GX per partition, merged).
    partitions : int
    provenance : dict
        Where the data came from and when it was validated.
    """

    suite: str
    outcomes: tuple[Outcome, ...]
    rows: int
    engine: str
    partitions: int
    provenance: dict
    plan: object = dataclasses.field(default=None, repr=False, compare=False)
    """Dask only: what the scan learnt, reused by the quarantine (one read fewer)."""

    @property
    def success(self) -> bool:
        """True when every expectation of severity ``error`` passed."""
        return all(o.success for o in self.outcomes if o.severity == "error")

    def failed(self, level: str = "error") -> list[Outcome]:
        """Return the failed outcomes at ``level`` (``"error"``) or any level (``"warning"``)."""
        return [
            o
            for o in self.outcomes
            if not o.success and (level == "warning" or o.severity == level)
        ]

    def to_frame(self) -> pd.DataFrame:
        """Return one row per expectation (columns in :data:`FRAME_COLUMNS`)."""
        rows = [
            {
                "expectation": o.name,
                "expectation_type": o.expectation_type,
                "column": o.column,
                "success": o.success,
                "element_count": o.element_count,
                "unexpected_count": o.unexpected_count,
                "unexpected_percent": o.unexpected_percent,
                "observed_value": o.observed_value,
                "unexpected_sample": list(o.unexpected_sample),
                "exception": o.exception,
            }
            for o in self.outcomes
        ]
        frame = pd.DataFrame(rows, columns=FRAME_COLUMNS)
        for col in ("element_count", "unexpected_count"):
            frame[col] = frame[col].astype("Int64")
        frame["unexpected_percent"] = frame["unexpected_percent"].astype("Float64")
        return frame

    def worst(self, n: int = 10, alert_percent: float | None = None) -> pd.DataFrame:
        """Return the ``n`` failed expectations with the most unexpected rows.

        Parameters
        ----------
        n : int
        alert_percent : float, optional
            Add a column ``alert``: unexpected share above this many percent.
        """
        frame = self.to_frame()
        frame = frame[~frame["success"]].sort_values(
            ["unexpected_percent", "unexpected_count"], ascending=False, na_position="last"
        )
        frame = frame.head(n).reset_index(drop=True)
        if alert_percent is not None:
            frame["alert"] = frame["unexpected_percent"].fillna(0) > alert_percent
        return frame

    def summary(self) -> dict:
        """Return a JSON-ready summary for machines."""
        failed = self.failed("warning")
        return {
            "suite": self.suite,
            "success": self.success,
            "rows": self.rows,
            "engine": self.engine,
            "partitions": self.partitions,
            "expectations": len(self.outcomes),
            "failed": [o.name for o in failed],
            "unexpected_counts": {
                o.name: o.unexpected_count for o in self.outcomes if o.unexpected_count
            },
            "provenance": self.provenance,
        }

    def __repr__(self) -> str:
        state = "PASSED" if self.success else "FAILED"
        return (
            f"<ValidationResult {self.suite}: {state}, {self.rows:,} rows, "
            f"{len(self.failed('warning'))}/{len(self.outcomes)} expectations failed>"
        )

    def _repr_html_(self) -> str:
        state = "passed" if self.success else "failed"
        colour = "#1a7f37" if self.success else "#cf222e"
        frame = self.to_frame().drop(columns=["exception"])
        frame = frame.sort_values(["success", "unexpected_count"], ascending=[True, False])
        return (
            f"<div><b>Suite <code>{html.escape(self.suite)}</code>: "
            f"<span style='color:{colour}'>{state}</span></b> — {self.rows:,} rows, "
            f"{len(self.failed('warning'))} of {len(self.outcomes)} expectations failed "
            f"({self.engine}, {self.partitions} partition(s))</div>"
            + frame.to_html(index=False, na_rep="", max_rows=60)
        )
