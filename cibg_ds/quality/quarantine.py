"""Keep bad rows aside with their reasons: rows in = rows clean + rows rejected, always.

Rejected rows carry ``_rejected_by`` (the expectations they failed) and, when the data was
read with ``read_pings(keep_raw=True)`` (as ``cibg-ds validate`` reads), ``_raw_values``:
the original text of every cell that did not parse, as a JSON object
(``{"euro_class":"EURO6"}``), since the canonical column holds null there. Clean rows
keep exactly the columns of the data, without either.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

import numpy as np
import pandas as pd

from cibg_ds import checks
from cibg_ds.errors import InputError
from cibg_ds.frames import is_dask
from cibg_ds.quality import distributed, native
from cibg_ds.quality.checks import order_violations
from cibg_ds.quality.gx_pandas import run_gx, subset_spec
from cibg_ds.quality.kinds import REJECTED_BY, ROW_WISE, UNIQUE, default_parameters
from cibg_ds.quality.suites import load_suite
from cibg_ds.quality.validate import check_columns, validate
from cibg_ds.schema import RAW_VALUES


def _reasons(
    df: pd.DataFrame, suite, params, duplicates: dict, previous: dict, unique_flags=None
) -> pd.Series:
    """Return, per row, the ``;``-joined names of the row-level expectations it fails.

    ``unique_flags`` (expectation name -> flags per row) stands for the look-up of the
    rows' keys in ``duplicates`` when the duplicated rows are known already.
    """
    frame = df.reset_index(drop=True)
    flags: dict[str, np.ndarray] = {}
    row_wise = [e for e in suite.expectations if e.type in ROW_WISE]
    for e in row_wise:  # vectorised, as the validation evaluates them
        flagged = native.unexpected_rows(frame, e, params)
        if flagged is not None:
            flags[e.name] = flagged
    by_gx = [e for e in row_wise if e.name not in flags]
    if by_gx:
        results = run_gx(frame, subset_spec(suite.spec, by_gx), params, complete=True)
        for e, r in zip(by_gx, results, strict=True):
            mask = np.zeros(len(frame), dtype=bool)
            mask[np.asarray(r["result"].get("unexpected_index_list") or [], dtype=int)] = True
            flags[e.name] = mask
    flags = {e.name: flags[e.name] for e in row_wise}  # the suite's order, in the reasons
    for e in suite.expectations:
        if e.type in UNIQUE and unique_flags is not None:
            flags[e.name] = unique_flags[e.name]
        elif e.type in UNIQUE:
            flags[e.name] = distributed.duplicated_rows(frame, e, duplicates[e.name])
    for c in suite.checks:
        flags[c.name] = order_violations(frame, c.kwargs["unit"], c.kwargs["column"],
                                         previous.get(c.name))  # fmt: skip
    if not flags:
        return pd.Series("", index=df.index, dtype="string")
    names = np.array(list(flags))
    matrix = np.column_stack([flags[n] for n in names])
    bad = np.flatnonzero(matrix.any(axis=1))
    joined = np.full(len(frame), "", dtype=object)
    if len(bad):  # join the names once per distinct pattern of failures, not once per row
        patterns, which = np.unique(matrix[bad], axis=0, return_inverse=True)
        labels = np.array([";".join(names[p]) for p in patterns], dtype=object)
        joined[bad] = labels[which.ravel()]
    return pd.Series(joined, index=df.index, dtype="string")


def _plan(ddf, suite, params, progress):
    """Scan the data and find its duplicated keys (two reads) when no plan is at hand."""
    return validate(ddf, suite, parameters=params, progress=progress).plan


def annotate(data, suite, parameters: dict | None = None, plan=None, progress=None):
    """Return ``data`` with a column ``_rejected_by`` (empty for clean rows).

    Parameters
    ----------
    data : pandas.DataFrame or dask.dataframe.DataFrame
    suite : str, path-like or Suite
    parameters : dict, optional
        As in :func:`cibg_ds.quality.validate`.
    plan : Plan, optional
        ``ValidationResult.plan`` of a validation of the same data (saves two reads).
    progress : bool, optional

    Returns
    -------
    Same type as ``data``.
    """
    import dask

    suite = load_suite(suite)
    params = {**default_parameters(), **(parameters or {})}
    check_columns(data.columns, suite)
    unique = [e for e in suite.expectations if e.type in UNIQUE]
    if not is_dask(data):
        dups = {}
        for e in unique:
            hashes = distributed.key_hashes(distributed.key_frame(data, e))
            dups[e.name] = hashes[distributed.repeated(hashes)].drop_duplicates()
        return data.assign(**{REJECTED_BY: _reasons(data, suite, params, dups, {})})
    import dask.dataframe as dd

    plan = plan or _plan(data, suite, params, progress)
    meta = data._meta.assign(**{REJECTED_BY: pd.Series(dtype="string")})
    dups = dask.delayed(plan.duplicates, traverse=False)

    def one(part, duplicates, prev):
        return part.assign(**{REJECTED_BY: _reasons(part, suite, params, duplicates, prev)})

    parts = [
        dask.delayed(one)(p, dups, prev)
        for p, prev in zip(data.to_delayed(), plan.previous, strict=True)
    ]
    return dd.from_delayed(parts, meta=meta, verify_meta=False)


def _clean_rows(annotated, bad):
    """Return the rows not rejected, without the quarantine's own columns."""
    drop = [c for c in (REJECTED_BY, RAW_VALUES) if c in annotated.columns]
    return annotated[~bad].drop(columns=drop)


def split_valid(data, suite, *, parameters: dict | None = None, plan=None):
    """Split rows into (clean, rejected); rejected rows carry ``_rejected_by``.

    A row is rejected when it fails a row-level expectation (null, out of range, unknown
    value, duplicate key: every copy, as GX counts them) or a cibg_ds check (out of time
    order), even when the expectation as a whole passes thanks to ``mostly``.

    Parameters
    ----------
    data : pandas.DataFrame or dask.dataframe.DataFrame
    suite : str, path-like or Suite
    parameters : dict, optional
    plan : Plan, optional
        As in :func:`annotate`.

    Returns
    -------
    clean, rejected
        Same type as ``data``; on Dask both are lazy (use :func:`write_quarantine` to
        compute them in one pass). ``len(clean) + len(rejected) == len(data)``. A
        ``_raw_values`` column of ``data`` (``read_pings(keep_raw=True)``) stays on the
        rejected rows and is dropped from the clean ones.

    Examples
    --------
    >>> from cibg_ds.io import load_commune_facts
    >>> facts = load_commune_facts()
    >>> facts.loc[0, "share_65plus_pct"] = 140.0
    >>> clean, rejected = split_valid(facts, "communes")
    >>> len(clean), rejected["_rejected_by"].tolist()
    (18, ['share_65plus_pct'])
    """
    checks.frame("data", data), checks.mapping("parameters", parameters)
    annotated = annotate(data, suite, parameters, plan)
    bad = annotated[REJECTED_BY] != ""
    return _clean_rows(annotated, bad), annotated[bad]


def _is_part(path: Path, folder: Path) -> bool:
    """Tell whether a file is a quarantine's part (or the temporary file of a write)."""
    name = path.name
    ours = (name.startswith("part-") and name.endswith(".parquet")) or name.startswith(".part-")
    return path.is_file() and path.parent == folder and ours


def _check_replaceable(out: Path) -> None:
    """Refuse to replace ``clean/`` or ``rejected/`` folders holding files we did not write."""
    if out.exists() and not out.is_dir():
        raise InputError(f"{out}: exists and is not a folder; choose another --quarantine")
    for name in ("clean", "rejected"):
        folder = out / name
        if folder.exists() and not folder.is_dir():
            raise InputError(f"{folder}: exists and is not a folder; move it away")
        if folder.is_dir():
            foreign = sorted(
                str(p.relative_to(folder)) for p in folder.rglob("*") if not _is_part(p, folder)
            )
            if foreign:
                raise InputError(
                    f"{folder}: holds files a quarantine does not write ({', '.join(foreign[:5])})"
                    "; nothing was replaced. Move them away or choose another --quarantine"
                )


def _swap_in(stage: Path, out: Path) -> None:
    """Put the new ``clean/`` and ``rejected/`` in place of the old ones, in two renames."""
    import shutil

    for name in ("clean", "rejected"):
        (stage / name).mkdir(parents=True, exist_ok=True)
        if (out / name).exists():
            os.replace(out / name, stage / f"old-{name}")
        os.replace(stage / name, out / name)
    shutil.rmtree(stage, ignore_errors=True)


def _write_part(part: pd.DataFrame, stage: Path, i: int) -> tuple[int, int, int]:
    """Write an annotated partition's clean and rejected rows (files of no row are removed)."""
    from cibg_ds.io.atomic import write_parquet_atomic

    bad = (part[REJECTED_BY] != "").to_numpy()
    for rows, name in ((~bad, "clean"), (bad, "rejected")):
        file = stage / name / f"part-{i:05d}.parquet"
        if rows.any():
            write_parquet_atomic(_clean_rows(part, bad) if name == "clean" else part[bad], file)
        else:
            file.unlink(missing_ok=True)  # a partition written again with no such row
    return len(part), int((~bad).sum()), int(bad.sum())


def write_quarantine(
    data, suite, out: str | os.PathLike, *, parameters: dict | None = None, plan=None, progress=None
) -> dict:
    """Split and write ``out/clean/`` and ``out/rejected/`` Parquet in one pass.

    Each batch is written atomically as it is validated, so memory stays bounded; the
    batches go to a hidden staging folder that replaces an earlier quarantine at the end,
    so an interrupted run leaves the earlier one whole and no stale part file survives. A
    batch with no clean (or no rejected) row writes no file there: every part file holds
    rows, and reads back with :func:`cibg_ds.io.read_pings`. Rejected rows keep
    ``_rejected_by`` and, when ``data`` has it, ``_raw_values`` (see :func:`split_valid`);
    ``pandas.read_parquet(out / "rejected")`` shows both.

    Returns
    -------
    dict
        ``rows``, ``clean``, ``rejected`` counts and the two folders.

    Raises
    ------
    InputError
        When ``out/clean`` or ``out/rejected`` holds files other than a quarantine's parts.
    """
    checks.frame("data", data), checks.mapping("parameters", parameters)
    checks.path("out", out), checks.boolean("progress", progress, optional=True)
    import dask

    from cibg_ds.cluster import compute

    out = Path(out)
    _check_replaceable(out)
    annotated = annotate(data, suite, parameters, plan, progress)
    with _staged(out) as stage:
        if is_dask(annotated):
            tasks = [
                dask.delayed(_write_part)(p, stage, i) for i, p in enumerate(annotated.to_delayed())
            ]
            counts = compute(tasks, "quarantine", progress)
        else:
            counts = [_write_part(annotated, stage, 0)]
    return _summary(counts, out)


@contextlib.contextmanager
def _staged(out: Path):
    """Yield a hidden staging folder in ``out`` that replaces the quarantine when all is written.

    An error while writing (read-only, full disk, permissions: on the staging folder) leaves
    the earlier quarantine whole and is an :class:`InputError` naming ``out``.
    """
    import shutil
    import uuid

    stage = out / f".quarantine-{uuid.uuid4().hex[:8]}.tmp"
    try:
        stage.mkdir(parents=True)
        yield stage
        _swap_in(stage, out)
    except OSError as exc:
        raise InputError(
            f"{out}: cannot write the quarantine ({exc.strerror or exc}); the earlier one, if "
            "any, is unchanged. Free space or choose another --quarantine"
        ) from None
    finally:
        shutil.rmtree(stage, ignore_errors=True)


def _summary(counts, out: Path) -> dict:
    """Sum the parts' (rows, clean, rejected) counts and name the two folders."""
    rows, clean, rejected = (sum(c[k] for c in counts) for k in range(3))
    return {"rows": rows, "clean": clean, "rejected": rejected,
            "clean_dir": str(out / "clean"), "rejected_dir": str(out / "rejected")}  # fmt: skip


def _stage_part(part, duplicated, i, *, suite, params, stage):
    """Annotate a partition as it is validated and write it (duplicates known within it)."""
    reasons = _reasons(part, suite, params, {}, {}, unique_flags=duplicated)
    return _write_part(part.assign(**{REJECTED_BY: reasons}), stage, i)


def _redo_part(part, suite, params, duplicates, previous, stage, i):
    """Annotate a partition knowing every partition's duplicates and last times; write it."""
    reasons = _reasons(part, suite, params, duplicates, previous)
    return _write_part(part.assign(**{REJECTED_BY: reasons}), stage, i)


def validate_and_quarantine(
    data, suite, out: str | os.PathLike, *, parameters=None, source=None, progress=None
):
    """Validate Dask ``data`` and write its quarantine, reading each partition once.

    The same result as :func:`cibg_ds.quality.validate` of ``data`` without
    ``_raw_values`` followed by :func:`write_quarantine` of ``data``, the same files: each
    partition is annotated and written where it is validated, with the duplicates found
    within it and no earlier partition's last times; the few partitions that the merge
    shows to hold a key duplicated in another partition, or a fix out of order against an
    earlier one, are read again and written with what every partition told.

    Parameters
    ----------
    data : dask.dataframe.DataFrame
        As read by :func:`cibg_ds.io.read_pings` (with ``keep_raw=True`` or not).
    suite : str, path-like or Suite
    out : path-like
        As in :func:`write_quarantine`.
    parameters : dict, optional
    source : str, optional
        Where the data came from, recorded in the provenance.
    progress : bool, optional

    Returns
    -------
    result : ValidationResult
    counts : dict
        As :func:`write_quarantine` returns, with ``reread``: the partitions read again.
    """
    checks.frame("data", data), checks.mapping("parameters", parameters)
    checks.path("out", out), checks.boolean("progress", progress, optional=True)
    import datetime as dt
    import functools

    import dask

    from cibg_ds.cluster import compute
    from cibg_ds.quality.validate import _validate_dask, build_result

    suite = load_suite(suite)
    params = {**default_parameters(), **(parameters or {})}
    check_columns(data.columns, suite)
    out = Path(out)
    _check_replaceable(out)
    started = dt.datetime.now(dt.UTC)
    with _staged(out) as stage:
        after = functools.partial(_stage_part, suite=suite, params=params, stage=stage)
        outcomes, rows, plan, parts = _validate_dask(data, suite, params, progress, "cibg_ds",
                                                     after)  # fmt: skip
        result = build_result(suite, outcomes, rows, "dask", data.npartitions, params, source,
                              started, "cibg_ds", plan)  # fmt: skip
        counts = [p["after"] for p in parts]
        again = [
            i
            for i, p in enumerate(parts)
            if any(p.get("boundary", {}).values())
            or p.get("duplicates", {}) != p["local_duplicates"]
        ]
        if again:
            dups = dask.delayed(plan.duplicates, traverse=False)
            delayed = data.to_delayed()
            redo, prev = dask.delayed(_redo_part), plan.previous
            tasks = [redo(delayed[i], suite, params, dups, prev[i], stage, i) for i in again]
            for i, c in zip(again, compute(tasks, "quarantine", progress), strict=True):
                counts[i] = c
    return result, {**_summary(counts, out), "reread": len(again)}
