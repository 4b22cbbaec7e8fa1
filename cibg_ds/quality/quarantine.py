"""Keep bad rows aside with their reasons: rows in = rows clean + rows rejected, always."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pandas as pd

from cibg_ds.quality.checks import order_violations
from cibg_ds.quality.gx_pandas import run_gx
from cibg_ds.quality.suites import load_suite
from cibg_ds.quality.validate import (
    REJECTED_BY,
    ROW_WISE,
    UNIQUE,
    _check_columns,
    _duplicate_keys,
    _is_dask,
    _key_frame,
    _previous_last_times,
    _subset,
    default_parameters,
)


def _reasons(df: pd.DataFrame, suite, params, duplicates: dict, previous: dict) -> pd.Series:
    """Return, per row, the ``;``-joined names of the row-level expectations it fails."""
    frame = df.reset_index(drop=True)
    flags: dict[str, np.ndarray] = {}
    row_wise = [e for e in suite.expectations if e.type in ROW_WISE]
    if row_wise:
        results = run_gx(frame, _subset(suite.spec, row_wise), params, complete=True)
        for e, r in zip(row_wise, results, strict=True):
            mask = np.zeros(len(frame), dtype=bool)
            mask[np.asarray(r["result"].get("unexpected_index_list") or [], dtype=int)] = True
            flags[e.name] = mask
    for e in suite.expectations:
        if e.type in UNIQUE:
            keys = _key_frame(frame, e)
            dups = duplicates[e.name]
            mask = np.zeros(len(frame), dtype=bool)
            if len(dups):
                hit = keys.merge(dups.assign(_hit=True), on=list(dups.columns), how="left")
                mask[keys.index.to_numpy()[hit["_hit"].notna().to_numpy()]] = True
            flags[e.name] = mask
    for c in suite.checks:
        flags[c.name] = order_violations(frame, c.kwargs["unit"], c.kwargs["column"],
                                         previous.get(c.name))  # fmt: skip
    if not flags:
        return pd.Series("", index=df.index, dtype="string")
    names = np.array(list(flags))
    matrix = np.column_stack([flags[n] for n in names])
    joined = [";".join(names[row]) for row in matrix] if matrix.any() else [""] * len(frame)
    return pd.Series(joined, index=df.index, dtype="string")


def _local_duplicates(df: pd.DataFrame, e) -> pd.DataFrame:
    keys = _key_frame(df, e)
    return keys[keys.duplicated(keep=False)].drop_duplicates()


def annotate(data, suite, parameters: dict | None = None):
    """Return ``data`` with a column ``_rejected_by`` (empty for clean rows).

    Parameters
    ----------
    data : pandas.DataFrame or dask.dataframe.DataFrame
    suite : str, path-like or Suite
    parameters : dict, optional
        As in :func:`cibg_ds.quality.validate`.

    Returns
    -------
    Same type as ``data``.
    """
    import dask

    suite = load_suite(suite)
    params = {**default_parameters(), **(parameters or {})}
    _check_columns(data.columns, suite)
    unique = [e for e in suite.expectations if e.type in UNIQUE]
    if not _is_dask(data):
        dups = {e.name: _local_duplicates(data, e) for e in unique}
        return data.assign(**{REJECTED_BY: _reasons(data, suite, params, dups, {})})
    import dask.dataframe as dd

    dups = {e.name: _duplicate_keys(data, e) for e in unique}
    previous = _previous_last_times(data, suite.checks)
    meta = data._meta.assign(**{REJECTED_BY: pd.Series(dtype="string")})

    def one(part, prev):
        return part.assign(**{REJECTED_BY: _reasons(part, suite, params, dups, prev)})

    parts = [
        dask.delayed(one)(p, prev) for p, prev in zip(data.to_delayed(), previous, strict=True)
    ]
    return dd.from_delayed(parts, meta=meta, verify_meta=False)


def split_valid(data, suite, parameters: dict | None = None):
    """Split rows into (clean, rejected); rejected rows carry ``_rejected_by``.

    A row is rejected when it fails a row-level expectation (null, out of range, unknown
    value, duplicate key) or a cibg_ds check (out of time order), even when the
    expectation as a whole passes thanks to ``mostly``.

    Parameters
    ----------
    data : pandas.DataFrame or dask.dataframe.DataFrame
    suite : str, path-like or Suite
    parameters : dict, optional

    Returns
    -------
    clean, rejected
        Same type as ``data``; on Dask both are lazy (use :func:`write_quarantine` to
        compute them in one pass). ``len(clean) + len(rejected) == len(data)``.

    Examples
    --------
    >>> from cibg_ds.io import load_commune_facts
    >>> facts = load_commune_facts()
    >>> facts.loc[0, "share_65plus_pct"] = 140.0
    >>> clean, rejected = split_valid(facts, "communes")
    >>> len(clean), rejected["_rejected_by"].tolist()
    (18, ['share_65plus_pct'])
    """
    annotated = annotate(data, suite, parameters)
    bad = annotated[REJECTED_BY] != ""
    return annotated[~bad].drop(columns=[REJECTED_BY]), annotated[bad]


def write_quarantine(data, suite, out: str | os.PathLike, parameters: dict | None = None) -> dict:
    """Split and write ``out/clean/`` and ``out/rejected/`` Parquet in one pass.

    Each partition is written atomically as it is validated, so memory stays bounded.

    Returns
    -------
    dict
        ``rows``, ``clean``, ``rejected`` counts and the two folders.
    """
    import dask

    from cibg_ds.io.pings import write_parquet_atomic

    out = Path(out)
    annotated = annotate(data, suite, parameters)
    parts = annotated.to_delayed() if _is_dask(annotated) else [annotated]

    def write(part, i):
        bad = part[REJECTED_BY] != ""
        clean = part[~bad].drop(columns=[REJECTED_BY])
        write_parquet_atomic(clean, out / "clean" / f"part-{i:05d}.parquet")
        write_parquet_atomic(part[bad], out / "rejected" / f"part-{i:05d}.parquet")
        return len(part), len(clean), int(bad.sum())

    if _is_dask(annotated):
        counts = dask.compute(*[dask.delayed(write)(p, i) for i, p in enumerate(parts)])
    else:
        counts = [write(annotated, 0)]
    rows, clean, rejected = (sum(c[k] for c in counts) for k in range(3))
    return {"rows": rows, "clean": clean, "rejected": rejected,
            "clean_dir": str(out / "clean"), "rejected_dir": str(out / "rejected")}  # fmt: skip
