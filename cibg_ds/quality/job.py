"""Validate a dataset on disk end to end: read, validate, quarantine, report."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pandas as pd

from cibg_ds.errors import InputError
from cibg_ds.frames import is_dask
from cibg_ds.quality.quarantine import validate_and_quarantine, write_quarantine
from cibg_ds.quality.report import write_report
from cibg_ds.quality.suites import load_suite
from cibg_ds.quality.validate import default_parameters, validate
from cibg_ds.schema import RAW_VALUES

DELIMITERS = (",", ";", "|", "\t")


def read_table(path: str | os.PathLike) -> pd.DataFrame:
    """Read a small table (CSV with any delimiter, Statbel's ``|`` with a BOM, or Parquet).

    Raises
    ------
    InputError
        Naming the file: missing, empty, not UTF-8, or not readable.
    """
    path = Path(path)
    if not path.exists():
        raise InputError(f"{path}: no such file")
    try:
        if path.suffix in (".parquet", ".pq"):
            return pd.read_parquet(path)
        with path.open(encoding="utf-8-sig") as handle:
            header = handle.readline()
        sep = max(DELIMITERS, key=header.count)
        return pd.read_csv(path, sep=sep, encoding="utf-8-sig",
                           dtype={"nis": str, "NIS": str, "cd_munty_refnis": str})  # fmt: skip
    except pd.errors.EmptyDataError:
        raise InputError(f"{path}: the file is empty") from None
    except UnicodeDecodeError as exc:
        raise InputError(
            f"{path}: not UTF-8 text ({exc.reason} at byte {exc.start}); re-export it as UTF-8"
        ) from None
    except (OSError, ValueError, pd.errors.ParserError) as exc:
        raise InputError(f"{path}: cannot read the table ({exc})") from None


def _read(path, suite, assume_tz=None):
    if (suite.spec.get("meta") or {}).get("reader") == "pings":
        from cibg_ds.io import read_pings
        from cibg_ds.schema import PING_COLUMNS

        # the suite checks every column; the quarantine shows the text of cells that did
        # not parse (the column is dropped for the validation itself)
        return read_pings(path, assume_tz=assume_tz, require=PING_COLUMNS, keep_raw=True)
    return read_table(path)


def validate_path(
    path: str | os.PathLike,
    suite,
    quarantine: str | os.PathLike | None = None,
    report: str | os.PathLike | None = None,
    progress: bool | None = None,
    assume_tz: str | None = None,
    history: str | os.PathLike | None = None,
    dataset: str | None = None,
):
    """Read ``path``, validate it with ``suite`` and write the quarantine and the report.

    Parameters
    ----------
    path : path-like
        Pings (file, folder, glob) for the ``pings`` suite; a CSV or Parquet table otherwise.
    suite : str or path-like
    quarantine : path-like, optional
        Folder that receives ``clean/`` and ``rejected/`` Parquet.
    report : path-like, optional
        HTML report; a JSON summary is written beside it.
    progress : bool, optional
    assume_tz : str, optional
        Time zone of ping times written without an offset (see :func:`cibg_ds.io.read_pings`).
    history : path-like, optional
        Quality history folder (default the ``history_dir`` setting, empty for none):
        only new or changed day partitions are read, and drift alerts are computed
        (:func:`cibg_ds.quality.history.validate_history`).
    dataset : str, optional
        Name of the dataset in the history (default: the folder's name).

    Returns
    -------
    result : ValidationResult
    extra : dict
        Quarantine counts and the files written.
    """
    suite = load_suite(suite)
    data = _read(path, suite, assume_tz)
    say = (lambda *a: print(*a, file=sys.stderr)) if progress is not False else (lambda *a: None)
    parts = getattr(data, "npartitions", 1)
    say(f"validating {path} with suite {suite.name!r} ({parts} partition(s)) ...")
    params = default_parameters()  # the same "now" for the validation and the quarantine
    if history is None:
        from cibg_ds.config import get_settings

        history = get_settings().history_dir or None
    if history is not None:
        from cibg_ds.quality.history import validate_history

        result = validate_history(path, suite, history, dataset, params, progress, assume_tz)
        done = result.provenance["history"]
        say(f"history {history}: {done['validated']} day(s) validated, {done['reused']} reused")
    elif quarantine is not None and is_dask(data):  # validated and split in one read
        say(f"validating and writing quarantine to {quarantine} ...")
        result, counts = validate_and_quarantine(
            data, suite, quarantine, parameters=params, source=os.fspath(path), progress=progress
        )
        say(f"{counts.pop('reread')} partition(s) read again for keys or times across them")
    else:
        canonical = data.drop(columns=[RAW_VALUES]) if RAW_VALUES in data.columns else data
        result = validate(
            canonical, suite, parameters=params, source=os.fspath(path), progress=progress
        )
    extra: dict = {}
    if quarantine is not None:
        if history is not None or not is_dask(data):
            say(f"writing quarantine to {quarantine} ...")
            counts = write_quarantine(data, suite, quarantine, parameters=params,
                                      plan=result.plan, progress=progress)  # fmt: skip
        if counts["rows"] != counts["clean"] + counts["rejected"]:  # an invariant, not input
            raise AssertionError(f"rows in {counts['rows']} != clean + rejected: {counts}")
        extra["quarantine"] = counts
    if report is not None:
        try:
            html_path, json_path = write_report(result, report, extra)
        except OSError as exc:  # a file where a folder should be, read-only, full
            raise InputError(
                f"{report}: cannot write the report ({exc.strerror or exc}); choose another "
                "--report"
            ) from None
        extra["report"] = str(html_path)
        extra["summary"] = str(json_path)
    return result, extra
