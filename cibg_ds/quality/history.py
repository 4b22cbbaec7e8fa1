"""Data quality over time: per-day metric states, and validation that reads only new days.

A history folder holds, per dataset (``<history>/<dataset>/``):

* ``partitions.parquet``: one row per day partition (``date=YYYY-MM-DD/`` folder) with the
  fingerprint of its files (relative path, size, mtime and SHA-256 of the content) and of
  the suite (its JSON and the parameters its row-wise expectations use);
* ``states.parquet``: the mergeable metric states of every partition
  (:mod:`cibg_ds.quality.metrics`), columns ``partition``, ``metric``, ``key``, ``value``;
* ``pieces/<date>.pkl``: the partition's validation pieces (the per-partition counts,
  samples and aggregates that :func:`cibg_ds.quality.validate.merge_parts` merges), a
  cache written and read only by this module. Unit ids in the per-unit first/last times
  are replaced by keyed hashes (:func:`cibg_ds.quality.metrics.hash_units`).

:func:`validate_history` validates only the partitions whose fingerprint changed (or that
are new), reuses the stored pieces of the others, forgets removed partitions and merges
all pieces into the result a full validation gives. Uniqueness merges over days exactly
when the key holds the time the days are cut by (``ts``), as in the pings suite: two rows
with the same time fall in the same day partition.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import pickle
import re
from pathlib import Path

import pandas as pd

from cibg_ds import schema as s
from cibg_ds.errors import InputError, ParameterError
from cibg_ds.io.atomic import atomic_path
from cibg_ds.quality import drift, metrics
from cibg_ds.quality.kinds import AGGREGATE, ROW_WISE, UNIQUE, default_parameters
from cibg_ds.quality.suites import Suite, load_suite

VERSION = 1
"""Bumped when the stored pieces change shape: older ones are then recomputed."""
_DAY = re.compile(r"^date=(\d{4}-\d{2}-\d{2})$")


def day_partitions(path: str | os.PathLike) -> dict[str, list[Path]]:
    """Return the data files of ``path`` grouped by day partition (``date=YYYY-MM-DD``).

    Raises
    ------
    InputError
        Naming a file outside any ``date=YYYY-MM-DD`` folder.
    """
    from cibg_ds.io.pings import resolve_files

    groups: dict[str, list[Path]] = {}
    for file in resolve_files(path):
        days = [m.group(1) for m in map(_DAY.match, file.parent.parts) if m]
        if not days:
            raise InputError(
                f"{file}: not in a day partition folder date=YYYY-MM-DD/; the quality "
                "history needs the feed cut by day, as `cibg-ds simulate` writes it"
            )
        groups.setdefault(days[-1], []).append(file)
    return {day: sorted(files) for day, files in sorted(groups.items())}


def fingerprint(files: list[Path], root: Path) -> str:
    """Return a SHA-256 over the files' relative paths, sizes, mtimes and contents."""
    items = []
    for file in files:
        stat = file.stat()
        with file.open("rb") as handle:
            digest = hashlib.file_digest(handle, "sha256").hexdigest()
        rel = os.path.relpath(file, root) if root.is_dir() else file.name
        items.append([rel, stat.st_size, stat.st_mtime_ns, digest])
    return hashlib.sha256(json.dumps(items).encode()).hexdigest()


def suite_key(suite: Suite, params: dict, evaluator: str, unit_key: str, tz: str) -> str:
    """Fingerprint what a partition's stored pieces depend on besides its files.

    Aggregates are judged at merge time, so only the parameters of the other expectations
    count (``now`` changes at every run and only bounds aggregates in the pings suite).
    """
    used = set()
    for e in suite.expectations:
        if e.type not in AGGREGATE:
            used |= set(re.findall(r'"\$PARAMETER": "([^"]+)"', json.dumps(e.kwargs)))
    values = {k: str(params[k]) for k in sorted(used) if k in params}
    text = json.dumps([VERSION, suite.spec, values, evaluator, unit_key, tz], sort_keys=True,
                      default=str)  # fmt: skip
    return hashlib.sha256(text.encode()).hexdigest()


def _hash_bounds(summaries: list[dict], key: str) -> None:
    """Replace the unit ids of the per-unit first/last times by keyed hashes (in place)."""
    for summary in summaries:
        for bounds in summary["bounds"].values():
            for which in ("first", "last"):
                series = bounds[which]
                series.index = pd.Index(metrics.hash_units(series.index.to_series(), key))


def _unexpected(suite: Suite, outcomes) -> dict:
    """Rows each row-wise, uniqueness or cibg_ds check flags."""
    kinds = {e.name: e.type for e in suite.expectations}
    return {
        o.name: o.unexpected_count or 0
        for o in outcomes
        if kinds.get(o.name) in ROW_WISE | UNIQUE or o.name not in kinds
    }


def _validate_day(files, suite, params, evaluator, key, tz, assume_tz):
    """Validate one day partition in one task (on a worker); return what the client finishes.

    The day is read whole (a day must fit in a worker's memory) and validated as one
    partition, exactly as :func:`cibg_ds.quality.distributed.validate_partitions` does a
    partition; its duplicated keys are counted on the day itself (the key holds ``ts``).
    As there, the schema expectations judged on dtypes alone are left to the client
    (:func:`_finish_day`), so a worker does not load GX for them.
    """
    from cibg_ds.io import read_pings
    from cibg_ds.quality import distributed
    from cibg_ds.quality.gx_pandas import SAMPLE_SIZE

    ddf = read_pings(files, assume_tz=assume_tz, require=s.PING_COLUMNS)
    frame = ddf.compute(scheduler="sync").reset_index(drop=True)
    summary, _ = distributed._validate_part(frame, suite.spec, suite, params, 1, evaluator, 0)
    duplicated = {}
    for e in suite.expectations:
        if e.type in UNIQUE:
            keys = distributed.key_frame(frame, e)
            flags = keys.duplicated(keep=False).to_numpy()
            sample = keys[flags].head(SAMPLE_SIZE).reset_index(drop=True)
            duplicated[e.name] = (int(flags.sum()), sample)
    return summary, duplicated, metrics.state(frame, key, tz)


def _finish_day(suite, params, key, summary, duplicated, frame_state):
    """Settle a validated day on the client; return its pieces and its state."""
    from cibg_ds.quality import distributed
    from cibg_ds.quality.validate import merge_parts

    distributed._schema_results(suite, [summary], params)
    violations = {c.name: 0 for c in suite.checks}  # one partition: no boundary inside
    outcomes, _ = merge_parts(suite, params, [summary], duplicated, violations)
    counts = _unexpected(suite, outcomes)
    unexpected = pd.DataFrame({"metric": "unexpected", "key": list(counts),
                               "value": [float(v) for v in counts.values()]})  # fmt: skip
    state = metrics.merge_states([frame_state, unexpected])
    _hash_bounds([summary], key)
    return {"summaries": [summary], "duplicated": duplicated, "npartitions": 1}, state


def _merge_days(suite: Suite, params: dict, days: list[dict]):
    """Merge the pieces of day partitions, in day order, into outcomes."""
    from cibg_ds.quality import distributed
    from cibg_ds.quality.gx_pandas import SAMPLE_SIZE
    from cibg_ds.quality.validate import merge_parts

    summaries = [x for d in days for x in d["summaries"]]
    duplicated = {}
    for e in suite.expectations:
        if e.type in UNIQUE:
            rows = sum(d["duplicated"][e.name][0] for d in days)
            samples = [d["duplicated"][e.name][1] for d in days]
            sample = pd.concat(samples, ignore_index=True).head(SAMPLE_SIZE)
            duplicated[e.name] = (rows, sample)
    violations, _ = distributed._boundaries(summaries, suite.checks)
    return merge_parts(suite, params, summaries, duplicated, violations)


def _check_unique_keys(suite: Suite) -> None:
    for e in suite.expectations:
        if e.type in UNIQUE and s.TS not in (e.kwargs.get("column_list") or [e.kwargs["column"]]):
            raise ParameterError(
                f"suite {suite.name!r}: uniqueness {e.name!r} has no {s.TS!r} in its key, so "
                "duplicates may sit in different days; validate without --history"
            )


def history_folder(history_dir, dataset: str) -> Path:
    """Return ``<history_dir>/<dataset>`` (the dataset name checked)."""
    if not dataset or not re.fullmatch(r"[A-Za-z0-9._-]+", dataset) or dataset.startswith("."):
        raise ParameterError(
            f"dataset name {dataset!r}: use letters, digits, '.', '_' or '-' (e.g. 'pings')"
        )
    return Path(history_dir) / dataset


def read_states(history_dir, dataset: str) -> pd.DataFrame:
    """Return the stored states of a dataset (``partition``, ``metric``, ``key``, ``value``).

    Raises
    ------
    InputError
        When the folder holds no history of ``dataset``.
    """
    path = history_folder(history_dir, dataset) / "states.parquet"
    if not path.exists():
        raise InputError(
            f"{path}: no quality history of {dataset!r}; run "
            f"`cibg-ds validate DATA --suite pings --history {history_dir}` first"
        )
    return pd.read_parquet(path)


def _load_index(folder: Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    index, states = folder / "partitions.parquet", folder / "states.parquet"
    if index.exists() and states.exists():
        return pd.read_parquet(index), pd.read_parquet(states)
    return pd.DataFrame(columns=["partition", "fingerprint", "suite_key"]), pd.DataFrame(
        columns=["partition", *metrics.STATE_COLUMNS]
    )


def validate_history(
    path: str | os.PathLike,
    suite,
    history_dir: str | os.PathLike,
    dataset: str | None = None,
    parameters: dict | None = None,
    progress: bool | None = None,
    assume_tz: str | None = None,
    evaluator: str = "cibg_ds",
):
    """Validate day-partitioned pings, reading only the partitions that changed.

    Parameters
    ----------
    path : path-like
        Folder of ``date=YYYY-MM-DD/`` partitions (as ``cibg-ds simulate`` writes).
    suite : str, path-like or Suite
    history_dir : path-like
        History folder; the dataset's states and pieces go to ``<history_dir>/<dataset>``.
    dataset : str, optional
        Name of the dataset in the history (default: the name of ``path``).
    parameters : dict, optional
        Suite parameters (default :func:`default_parameters`).
    progress : bool, optional
    assume_tz : str, optional
        See :func:`cibg_ds.io.read_pings`.
    evaluator : {"cibg_ds", "gx"}

    Returns
    -------
    ValidationResult
        Equal to a full validation; ``provenance["history"]`` says how many partitions
        were validated, reused and removed.
    """
    import dask

    from cibg_ds.cluster import compute
    from cibg_ds.config import get_settings
    from cibg_ds.quality.validate import build_result

    started = dt.datetime.now(dt.UTC)
    suite = load_suite(suite)
    _check_unique_keys(suite)
    if evaluator not in ("cibg_ds", "gx"):
        raise ParameterError(f"evaluator must be 'cibg_ds' or 'gx', not {evaluator!r}")
    params = {**default_parameters(), **(parameters or {})}
    settings = get_settings()
    key, tz = metrics.unit_key(settings.pseudonym_key), settings.timezone
    root = Path(path)
    folder = history_folder(history_dir, dataset or root.resolve().name)
    days = day_partitions(path)
    wanted = suite_key(suite, params, evaluator, hashlib.sha256(key.encode()).hexdigest(), tz)
    index, states = _load_index(folder)
    known = {r.partition: r for r in index.itertuples() if r.suite_key == wanted}
    prints = {day: fingerprint(files, root) for day, files in days.items()}
    pieces, new_states, rows = {}, {}, []
    read = [
        day
        for day in days
        if not (
            day in known
            and known[day].fingerprint == prints[day]
            and (folder / "pieces" / f"{day}.pkl").exists()
        )
    ]
    for day in days:
        if day not in read:
            with (folder / "pieces" / f"{day}.pkl").open("rb") as handle:
                pieces[day] = pickle.load(handle)
    tasks = [
        dask.delayed(_validate_day, pure=False)(days[day], suite, params, evaluator, key, tz,
                                                assume_tz)
        for day in read
    ]  # fmt: skip
    for day, done in zip(read, compute(tasks, f"validate {suite.name} by day", progress),
                         strict=True):  # fmt: skip
        piece, new_states[day] = _finish_day(suite, params, key, *done)
        pieces[day] = piece
        with atomic_path(folder / "pieces" / f"{day}.pkl") as tmp:
            tmp.write_bytes(pickle.dumps(piece))
    for day, files in days.items():
        when = started.isoformat(timespec="seconds") if day in read else known[day].validated_at
        rows.append({"partition": day, "fingerprint": prints[day], "suite_key": wanted,
                     "files": len(files), "validated_at": when})  # fmt: skip
    removed = sorted(set(index["partition"]) - set(days))
    for day in removed:
        (folder / "pieces" / f"{day}.pkl").unlink(missing_ok=True)
    kept = states[states["partition"].isin(set(days) - set(read))]
    fresh = [st.assign(partition=day) for day, st in new_states.items()]
    all_states = pd.concat([kept, *fresh], ignore_index=True)[["partition", *metrics.STATE_COLUMNS]]
    all_states = all_states.sort_values(["partition", "metric", "key"], ignore_index=True)
    _write_parquet(all_states, folder / "states.parquet")
    _write_parquet(pd.DataFrame(rows), folder / "partitions.parquet")
    outcomes, n_rows = _merge_days(suite, params, [pieces[d] for d in days])
    partitions = sum(p["npartitions"] for p in pieces.values())
    result = build_result(suite, outcomes, n_rows, "dask", partitions, params, os.fspath(path),
                          started, evaluator)  # fmt: skip
    result.provenance["history"] = {
        "folder": folder.name,
        "partitions": len(days),
        "validated": len(read),
        "reused": len(days) - len(read),
        "removed": len(removed),
        "read": read,
    }
    result.provenance["alerts"] = drift.alert_records(drift.measure_table(all_states))
    return result


def _write_parquet(df: pd.DataFrame, path: Path) -> None:
    with atomic_path(path) as tmp:
        df.to_parquet(tmp, index=False)
