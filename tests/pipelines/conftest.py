"""Tiny real notebooks and pipelines for the runner's tests (each runs in a few seconds)."""

import textwrap
from pathlib import Path

import nbformat
import pytest

PARAMETERS = """\
# Parameters
label: str = "a"  # what to write
n: int = 1  # a number
out: str = ""  # file to write
fail: bool = False  # raise in a cell
die: int = 0  # kill the kernel this many times (counted in a file beside `out`)
sleep: float = 0.0  # seconds to wait before writing
"""

BODY = """\
import os
import pathlib
import time

time.sleep(sleep)
counter = pathlib.Path(out + ".deaths")
deaths = int(counter.read_text()) if counter.exists() else 0
if deaths < die:
    counter.write_text(str(deaths + 1))
    os._exit(1)  # the kernel dies, as when the OOM killer strikes
runs = pathlib.Path(out + ".runs")
runs.write_text(str(int(runs.read_text()) + 1 if runs.exists() else 1))
secret_code_marker = "this line is code and must not reach the client HTML"
"""

FAIL = """\
if fail:
    raise ValueError(f"boom in {label}")
"""

WRITE = """\
pathlib.Path(out).parent.mkdir(parents=True, exist_ok=True)
pathlib.Path(out).write_text(f"{label},{n}\\n")
print("wrote", out)
"""


def write_notebook(path: Path) -> Path:
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "cibg-ds", "display_name": "cibg-ds", "language": "python"}
    cells = [nbformat.v4.new_code_cell(PARAMETERS), nbformat.v4.new_code_cell(BODY),
             nbformat.v4.new_code_cell(FAIL), nbformat.v4.new_code_cell(WRITE)]  # fmt: skip
    cells[0].metadata["tags"] = ["parameters"]
    for i, c in enumerate(cells):
        c["id"] = f"c{i}"
    nb.cells = cells
    nbformat.write(nb, path)
    return path


@pytest.fixture
def workdir(tmp_path):
    write_notebook(tmp_path / "step.ipynb")
    return tmp_path


def write_pipeline(directory: Path, text: str, name: str = "p.yaml") -> Path:
    path = directory / name
    path.write_text(textwrap.dedent(text))
    return path


class DemoRun:
    """One small run of the demo pipeline and its two client bundles, shared by the tests."""

    def __init__(self, root: Path, printed: str, code: int):
        self.root, self.printed, self.code = root, printed, code
        runs = sorted((root / "demo").glob("2*"))
        assert code == 0 and runs, printed
        self.run_dir = runs[0]
        self.bundles = sorted((root / "demo" / "bundles").glob("*.zip"))

    def unpacked(self) -> dict[str, Path]:
        """Each bundle unpacked beside it, by agency."""
        import zipfile

        out = {}
        for bundle in self.bundles:
            agency = bundle.stem.split("-", 2)[-1]
            target = bundle.with_suffix("")
            if not target.exists():
                zipfile.ZipFile(bundle).extractall(target)
            out[agency] = target
        return out


SMALL = ["--trucks", "80", "--jobs", "2", "-p", "days=2", "-p", "n_sim=20"]
"""The demo on 80 trucks over 2 days with 20 Monte Carlo runs: every report, in minutes."""


@pytest.fixture(scope="session")
def demo_run(tmp_path_factory) -> DemoRun:
    """Run ``cibg-ds demo`` once for the session (a real Papermill run of every notebook)."""
    import contextlib
    import io

    from cibg_ds.cli import main

    root = tmp_path_factory.mktemp("demo")
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        code = main(["demo", "--reports", str(root), *SMALL])
    return DemoRun(root, printed.getvalue(), code)
