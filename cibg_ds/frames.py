"""Neutral helpers for code that takes pandas or Dask frames alike.

Any layer may import this module: it needs neither a cluster nor a Dask import to tell a
Dask collection from a pandas one.
"""

from __future__ import annotations


def is_dask(data) -> bool:
    """Tell whether ``data`` is a Dask collection (rather than pandas).

    Parameters
    ----------
    data : object
        A frame, series or anything else.

    Returns
    -------
    bool
        True for a Dask collection (``dask.dataframe``, ``dask.array``, ...).

    Examples
    --------
    >>> import pandas as pd
    >>> is_dask(pd.DataFrame())
    False
    """
    return type(data).__module__.startswith("dask")


def compute_frame(frame, desc: str = "compute", progress: bool | None = None):
    """Compute a Dask DataFrame to pandas with a progress bar over its partitions.

    The partitions come back in order and are concatenated (an empty frame keeps the
    meta's columns and dtypes). The work runs on the current Dask client as
    :func:`cibg_ds.cluster.compute` runs it (waiting for workers, with a timeout).

    Parameters
    ----------
    frame : dask.dataframe.DataFrame
        The frame to compute.
    desc : str
        Label of the progress bar.
    progress : bool, optional
        Show a progress bar; default when the terminal or notebook can show one.

    Returns
    -------
    pandas.DataFrame
        The partitions, in order, with a fresh ``RangeIndex``.
    """
    import pandas as pd

    from cibg_ds.cluster import compute

    parts = compute(frame.to_delayed(), desc=desc, progress=progress)
    parts = [p for p in parts if len(p)] or [frame._meta]
    return pd.concat(parts, ignore_index=True)
