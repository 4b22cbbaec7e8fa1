"""Data-quality validation with Great Expectations: pandas, or Dask partition by partition."""

from cibg_ds.quality.quarantine import split_valid, write_quarantine
from cibg_ds.quality.result import Outcome, ValidationResult
from cibg_ds.quality.suites import Suite, list_suites, load_suite
from cibg_ds.quality.validate import default_parameters, validate

__all__ = [
    "Outcome",
    "Suite",
    "ValidationResult",
    "default_parameters",
    "list_suites",
    "load_suite",
    "split_valid",
    "validate",
    "write_quarantine",
]
