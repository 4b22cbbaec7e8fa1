"""Client bundles: the HTML reports, products and manifest of one run, for one agency.

Only tasks that name their ``agencies`` in the pipeline are shipped (default: internal).

Every zip explains itself: ``index.html`` (opens offline, links every report with a line on
what it is), ``README.txt``, a ``data_dictionary.csv`` in every product folder and a client
``manifest.json`` (that agency's tasks only, relative paths, the data-quality verdict in
words, a SHA-256 checksum of every other file of the zip).

Nothing leaves unless every file in the bundle, the generated ones included, passes the
privacy gate (:mod:`cibg_ds.pipelines.gate`): tables describing vehicles need their distinct vehicle
counts at or above k (or suppressed), and no file may hold unit ids or individual fixes,
found by content whatever the names; a file the gate cannot read is refused.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import re
import zipfile
from pathlib import Path

from cibg_ds.errors import CibgDsError, ParameterError
from cibg_ds.io.atomic import atomic_path
from cibg_ds.pipelines.gate import SHIPPED, check_bundle, check_members, check_names
from cibg_ds.privacy import resolve_k

__all__ = ["SHIPPED", "BundleRefused", "check_bundle", "deliver"]


class BundleRefused(CibgDsError):
    """A bundle that would let unpublishable data out; nothing was written."""


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
            # every file goes to the gate, which refuses the types it cannot check; hidden
            # files and folders (``.runs``, ``_meta``) are not shipped
            chosen += [f for f in files if f.is_file() and not _hidden(f, path)]
    return sorted(set(chosen))


def _tasks_for(manifest: dict, agency: str | None) -> dict:
    """Return the task records meant for ``agency`` (any agency when None), in run order."""
    out = {}
    for name, record in manifest["tasks"].items():
        agencies = manifest.get("agencies", {}).get(name, [])
        if agencies and (agency is None or agency in agencies):
            out[name] = record
    return out


def _hidden(file: Path, root: Path) -> bool:
    parts = file.relative_to(root).parts if file != root else ()
    return any(part.startswith((".", "_")) for part in parts)


def _check_agency(manifest: dict, agency: str | None) -> None:
    known = sorted({a for names in manifest.get("agencies", {}).values() for a in names})
    if agency is not None and agency not in known:
        raise ParameterError(
            f"unknown agency {agency!r}: run {manifest.get('run_id')} ships to "
            f"{', '.join(known) or 'no agency (every task is internal)'}; check --agency"
        )


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
        table = data_dictionary(run_dir / folder, resolve_k(k), lang=lang)  # the k in force
        if len(table):
            members[f"{folder}/data_dictionary.csv"] = table.to_csv(index=False).encode("utf-8-sig")
    products = [(f, sorted(m for m in members if str(Path(m).parent) == f)) for f in folders]
    facts = {
        "pipeline": manifest["pipeline"],
        "run_id": manifest["run_id"],
        "agency": agency or "",
        "created": dt.datetime.now(dt.UTC).date().isoformat(),
        "k": resolve_k(k),  # the suppression threshold in force, named in README.txt
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
                "products": manifest.get("products", {}).get(n, []),
            }
            for n, r in tasks.items()
        },
        "files": {m: hashlib.sha256(b).hexdigest() for m, b in sorted(members.items())},
    }
    members["manifest.json"] = json.dumps(client, indent=2).encode()
    return members


def _relevant_quality(manifest: dict, tasks: dict) -> dict:
    """Return the data-quality summaries of the data these tasks read (same folder)."""
    parameters = manifest.get("task_parameters", {})
    values = [f"{v}/" for t in tasks for v in parameters.get(t, {}).values()]
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
        When a file fails the privacy check (nothing is written).
    ParameterError
        For an agency no task of the run ships to (the message lists the known ones).
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
    _check_agency(manifest, agency)
    files = _files(run_dir, manifest, agency)
    problems = check_bundle(files, k)
    if problems:
        raise BundleRefused("bundle refused, nothing written:\n- " + "\n- ".join(problems))
    members = _explain(run_dir, manifest, files, agency, k)
    shipped = {str(p.relative_to(run_dir)) for p in files}
    generated = {m: b for m, b in members.items() if m not in shipped}
    problems = check_names(shipped) + check_members(generated, k)
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
        for member, data in members.items():
            bundle.writestr(member, data)
    return target
