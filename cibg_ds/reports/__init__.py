"""Reports built on the analysis modules: every table in them is suppressed and checked."""

from cibg_ds.reports.divide import DivideReport, divide_report
from cibg_ds.reports.mobility import MobilityReport, mobility_report, select_period

__all__ = [
    "DivideReport",
    "MobilityReport",
    "divide_report",
    "mobility_report",
    "select_period",
]
