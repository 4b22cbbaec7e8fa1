"""Client bundles: the HTML reports, products and manifest of one run, for one agency.

Only tasks that name their ``agencies`` in the pipeline are shipped (default: internal).

Every zip explains itself: ``index.html`` (opens offline, links every report with a line on
what it is), ``README.txt``, a ``data_dictionary.csv`` in every product folder and a client
``manifest.json`` (that agency's tasks only, relative paths, the data-quality verdict in
words, a SHA-256 checksum of every other file of the zip).

Nothing leaves unless every table in the bundle passes
:func:`cibg_ds.privacy.check_publishable`: tables describing vehicles need their distinct
vehicle counts at or above k (or suppressed), and no table may hold unit ids or individual
fixes. HTML reports are searched for unit ids too.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import re
import zipfile
from pathlib import Path

import pandas as pd

from cibg_ds.errors import CibgDsError
from cibg_ds.io.atomic import atomic_path
from cibg_ds.privacy import COUNT, ID_COLUMNS, check_publishable

TABLES = (".csv", ".geojson", ".parquet")
SHIPPED = (*TABLES, ".html", ".png", ".json")


class BundleRefused(CibgDsError):
    """A bundle that would let unpublishable data out; nothing was written."""


def _read(path: Path) -> pd.DataFrame:
    if path.suffix == ".csv":
        return pd.read_csv(path)
    if path.suffix == ".parquet":
        return pd.read_parquet(path)
    import geopandas as gpd

    return pd.DataFrame(gpd.read_file(path).drop(columns="geometry"))


def _files(run_dir: Path, manifest: dict, agency: str | None) -> list[Path]:
    """Return the HTML reports and products of the tasks meant for ``agency``.

    A task ships only to the agencies it lists; a task that lists none is internal (the
    raw feed, the quarantine) and never leaves.
    """
    chosen = []
    for name, record in _tasks_for(manifest, agency).items():
        if record.get("html"):
            chosen.append(run_dir / record["html"])
        for product in manifest.get("products", {}).get(name, []):
            path = run_dir / product
            files = sorted(path.rglob("*")) if path.is_dir() else [path]
            chosen += [f for f in files if f.is_file() and f.suffix in SHIPPED]
    return sorted(set(chosen))


def _tasks_for(manifest: dict, agency: str | None) -> dict:
    """Return the task records meant for ``agency`` (any agency when None), in run order."""
    out = {}
    for name, record in manifest["tasks"].items():
        agencies = manifest.get("agencies", {}).get(name, [])
        if agencies and (agency is None or agency in agencies):
            out[name] = record
    return out


def check_bundle(files: list[Path], k: int | None = None) -> list[str]:
    """Return the privacy problems of the files, in words (empty: publishable)."""
    problems = []
    for path in files:
        if path.suffix in TABLES:
            table = _read(path)
            count = COUNT if COUNT in table.columns else None
            verdict = check_publishable(table, k, count=count)
            problems += [f"{path.name}: {p}" for p in verdict.problems]
        elif path.suffix == ".html":
            text = path.read_text(errors="ignore")
            found = sorted(c for c in ID_COLUMNS if f">{c}<" in text)
            if found:
                problems.append(f"{path.name}: shows unit id column(s) {found}")
    return problems


def _explain(run_dir: Path, manifest: dict, files: list[Path], agency, k) -> dict[str, bytes]:
    """Return the members that explain the bundle: index, README, dictionaries, manifest."""
    from cibg_ds import __version__
    from cibg_ds.reports.bundle import data_dictionary, index_html, quality_verdicts, readme_text

    members = {str(p.relative_to(run_dir)): p.read_bytes() for p in files}
    htmls = [p for p in files if p.suffix == ".html"]
    first = htmls[0].read_text(errors="ignore")[:2000] if htmls else ""
    lang = (re.search(r'<html lang="([a-z]{2})"', first) or [None, "en"])[1]
    tasks = _tasks_for(manifest, agency)
    reports = [(n, r["html"], run_dir / r["html"]) for n, r in tasks.items() if r.get("html")]
    folders = sorted({str(Path(m).parent) for m in members if m.startswith("products/")})
    for folder in folders:
        table = data_dictionary(run_dir / folder, k)
        if len(table):
            members[f"{folder}/data_dictionary.csv"] = table.to_csv(index=False).encode()
    products = [(f, sorted(m for m in members if str(Path(m).parent) == f)) for f in folders]
    facts = {
        "pipeline": manifest["pipeline"],
        "run_id": manifest["run_id"],
        "agency": agency or "",
        "created": dt.datetime.now(dt.UTC).date().isoformat(),
        "quality": quality_verdicts(_relevant_quality(manifest, tasks), lang),
    }
    members["index.html"] = index_html(reports=reports, products=products, facts=facts,
                                       lang=lang).encode()  # fmt: skip
    members["README.txt"] = readme_text(facts=facts, reports=reports, lang=lang).encode()
    client = {
        **{k: facts[k] for k in ("pipeline", "run_id", "agency", "created")},
        "status": manifest["status"],
        "language": lang,
        "workbench": {"cibg_ds": __version__, "git": (manifest.get("git") or {}).get("commit")},
        "data_quality": facts["quality"],
        "tasks": {
            n: {
                "status": r["status"],
                "started": r.get("started"),
                "ended": r.get("ended"),
                "report": r.get("html"),
                "products": manifest["products"][n],
            }
            for n, r in tasks.items()
        },
        "files": {m: hashlib.sha256(b).hexdigest() for m, b in sorted(members.items())},
    }
    members["manifest.json"] = json.dumps(client, indent=2).encode()
    return members


def _relevant_quality(manifest: dict, tasks: dict) -> dict:
    """Return the data-quality summaries of the data these tasks read (same folder)."""
    values = [f"{v}/" for t in tasks for v in manifest["task_parameters"].get(t, {}).values()]
    out = {}
    for path, summary in manifest.get("data_quality", {}).items():
        folder = f"{manifest['run_id']}/{Path(path).parent}/"
        if any(folder in v for v in values):
            out[path] = summary
    return out


def deliver(run: str | os.PathLike, to: str | os.PathLike, agency: str | None = None, k=None):
    """Write ``<pipeline>-<run-id>[-<agency>].zip`` into ``to``, or refuse with the reasons.

    Parameters
    ----------
    run : path-like
        A run directory (``reports/<pipeline>/<run-id>`` or ``.../latest``).
    to : path-like
        Folder for the zip.
    agency : str, optional
        Only the tasks meant for this agency (their ``agencies`` in the pipeline); default
        every task meant for some agency. Tasks without ``agencies`` are internal.
    k : int, optional
        Threshold for the check (default the ``k_anonymity`` setting).

    Returns
    -------
    pathlib.Path
        The zip file.

    Raises
    ------
    BundleRefused
        When a table or report fails the privacy check (nothing is written).
    """
    run_dir = Path(run).resolve()
    manifest_path = run_dir / "manifest.json"
    if not manifest_path.exists():
        raise CibgDsError(f"{run}: not a run directory (no manifest.json)")
    manifest = json.loads(manifest_path.read_text())
    if manifest["status"] != "complete":
        raise BundleRefused(
            f"{run}: run {manifest['run_id']} is {manifest['status']}, not complete"
        )
    files = _files(run_dir, manifest, agency)
    problems = check_bundle(files, k)
    if problems:
        raise BundleRefused("bundle refused, nothing written:\n- " + "\n- ".join(problems))
    out_dir = Path(to)
    out_dir.mkdir(parents=True, exist_ok=True)
    name = f"{manifest['pipeline']}-{manifest['run_id']}" + (f"-{agency}" if agency else "")
    target = out_dir / f"{name}.zip"
    with (
        atomic_path(target) as tmp,
        zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED) as bundle,
    ):
        for member, data in _explain(run_dir, manifest, files, agency, k).items():
            bundle.writestr(member, data)
    return target
