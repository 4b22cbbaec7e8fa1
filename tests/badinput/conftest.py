"""Helpers of the bad-input catalogue: fake run records, tiny files, the CLI in-process."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cibg_ds.cli import main


def make_run(root: Path, files: dict, agencies=("mobility",), html: str | None = None) -> Path:
    """A complete run record whose task ``t`` ships ``files`` (name -> bytes/str/writer)."""
    run = root / "reports" / "p" / "20261101T000000"
    (run / "products").mkdir(parents=True, exist_ok=True)
    for name, content in files.items():
        path = run / "products" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if callable(content):
            content(path)
        elif isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content)
    record = {"name": "t", "status": "ok"}
    if html is not None:
        (run / "html").mkdir(exist_ok=True)
        (run / "html" / "t.html").write_text(html)
        record["html"] = "html/t.html"
    manifest = {
        "pipeline": "p",
        "run_id": run.name,
        "status": "complete",
        "tasks": {"t": record},
        "products": {"t": ["products"]},
        "agencies": {"t": list(agencies)},
    }
    (run / "manifest.json").write_text(json.dumps(manifest))
    return run


def nothing_in(folder: Path) -> bool:
    """True when the folder does not exist or holds nothing (no zip, no temporary file)."""
    return not folder.exists() or not any(folder.rglob("*"))


@pytest.fixture
def cli(capsys):
    """Run ``cibg-ds`` in-process; return (exit code, stdout, stderr)."""

    def run(*args):
        code = main([str(a) for a in args])
        out = capsys.readouterr()
        return code, out.out, out.err

    return run
