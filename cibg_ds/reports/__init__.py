"""Reports built on the analysis modules: every table in them is suppressed and checked.

Every report opens with a :func:`header` block and ends with :func:`caveats`; the runner
renders it with :func:`cibg_ds.reports.export.notebook_html` (offline, no code, no logs).
"""

from cibg_ds.reports.bundle import quality_sentences
from cibg_ds.reports.divide import DivideReport, divide_report, read_divide_report
from cibg_ds.reports.header import (
    caveats,
    file_stem,
    format_number,
    geometry_text,
    header,
    map_sources,
    period_text,
    reference_period,
    source_name,
    source_text,
    zone_text,
)
from cibg_ds.reports.mobility import MobilityReport, data_days, mobility_report, select_period

__all__ = [
    "DivideReport",
    "MobilityReport",
    "caveats",
    "data_days",
    "divide_report",
    "file_stem",
    "format_number",
    "geometry_text",
    "header",
    "map_sources",
    "mobility_report",
    "period_text",
    "quality_sentences",
    "read_divide_report",
    "reference_period",
    "select_period",
    "source_name",
    "source_text",
    "zone_text",
]
