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
        try:
            code = main([str(a) for a in args])
        except SystemExit as exc:  # argparse refuses the arguments
            code = exc.code
        out = capsys.readouterr()
        return code, out.out, out.err

    return run


def pings_frame(times, n_units: int = 2):
    """Canonical-looking raw pings (all text, as a CSV export) at the given times."""
    import pandas as pd

    n = len(times)
    return pd.DataFrame(
        {
            "obu_id": [f"{i % n_units:016x}" for i in range(n)],
            "ts": list(times),
            "lat": [f"{50.84 + i / 1000:.5f}" for i in range(n)],
            "lon": [f"{4.35 + i / 1000:.5f}" for i in range(n)],
            "speed_kmh": "42.0",
            "heading_deg": "90",
            "weight_class": "12-32t",
            "euro_class": "6",
            "country": "BE",
        }
    )


def write_pings_csv(path: Path, times, **kw) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    pings_frame(times).to_csv(path, index=False, **kw)
    return path
