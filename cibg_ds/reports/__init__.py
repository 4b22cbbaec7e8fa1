"""Reports built on the analysis modules: every table in them is suppressed and checked."""

from cibg_ds.reports.mobility import MobilityReport, mobility_report, select_period

__all__ = ["MobilityReport", "mobility_report", "select_period"]
