"""Exceptions a user can cause, each with a message that names the culprit and the fix."""

from __future__ import annotations


class CibgDsError(Exception):
    """Base class of every error raised on purpose by cibg_ds."""


class InputError(CibgDsError, ValueError):
    """Bad input data: a missing file, a misspelt column, an unreadable or empty file."""


class ParameterError(CibgDsError, ValueError):
    """A parameter with a wrong value or type."""


class ClusterError(CibgDsError, RuntimeError):
    """The Dask cluster could not be reached or started."""
