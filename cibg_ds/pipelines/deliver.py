"""Client bundles: the HTML reports, products and manifest of one run, for one agency.

Only tasks that name their ``agencies`` in the pipeline are shipped (default: internal).

Nothing leaves unless every file in the bundle passes the privacy gate
(:mod:`cibg_ds.pipelines.gate`): tables describing vehicles need their distinct vehicle
counts at or above k (or suppressed), and no file may hold unit ids or individual fixes,
found by content whatever the names; a file the gate cannot read is refused.
"""

from __future__ import annotations

import json
import os
import zipfile
from pathlib import Path

from cibg_ds.errors import CibgDsError, ParameterError
from cibg_ds.io.atomic import atomic_path
from cibg_ds.pipelines.gate import SHIPPED, check_bundle

__all__ = ["SHIPPED", "BundleRefused", "check_bundle", "deliver"]


class BundleRefused(CibgDsError):
    """A bundle that would let unpublishable data out; nothing was written."""


def _files(run_dir: Path, manifest: dict, agency: str | None) -> list[Path]:
    """Return the HTML reports and products of the tasks meant for ``agency``.

    A task ships only to the agencies it lists; a task that lists none is internal (the
    raw feed, the quarantine) and never leaves.
    """
    chosen = []
    for name, record in manifest["tasks"].items():
        agencies = manifest.get("agencies", {}).get(name, [])
        if not agencies or (agency and agency not in agencies):
            continue
        if record.get("html"):
            chosen.append(run_dir / record["html"])
        for product in manifest.get("products", {}).get(name, []):
            path = run_dir / product
            files = sorted(path.rglob("*")) if path.is_dir() else [path]
            # every file goes to the gate, which refuses the types it cannot check; hidden
            # files and folders (``.runs``, ``_meta``) are not shipped
            chosen += [f for f in files if f.is_file() and not _hidden(f, path)]
    return sorted(set(chosen))


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
    out_dir = Path(to)
    out_dir.mkdir(parents=True, exist_ok=True)
    name = f"{manifest['pipeline']}-{manifest['run_id']}" + (f"-{agency}" if agency else "")
    target = out_dir / f"{name}.zip"
    with (
        atomic_path(target) as tmp,
        zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED) as bundle,
    ):
        for path in files:
            bundle.write(path, path.relative_to(run_dir))
        bundle.write(manifest_path, "manifest.json")
    return target
