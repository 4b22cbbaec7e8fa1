"""Every ```python block of README.md and notebooks/README.md runs, in order, on demo data.

The blocks of a file share one namespace, as in a notebook (later blocks use ``pings``,
``kept``, ``communes`` of earlier ones). A block fenced ```` ```python no-run ```` shows
infrastructure this machine does not have (dask-gateway, a SLURM queue); the test names
those blocks and checks there are no others, so a block cannot silently drop out.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
FENCE = re.compile(r"^```python(?P<flags>[^\n]*)\n(?P<code>.*?)^```", re.DOTALL | re.MULTILINE)
NOT_RUN = {"README.md": 1}  # the "Bigger clusters" block: dask-gateway and dask-jobqueue

pytestmark = pytest.mark.cluster


def blocks(name: str) -> list[tuple[int, bool, str]]:
    """(line, runs, code) of each python block of a Markdown file."""
    text = (ROOT / name).read_text(encoding="utf-8")
    return [
        (text[: m.start()].count("\n") + 1, "no-run" not in m["flags"], m["code"])
        for m in FENCE.finditer(text)
    ]


@pytest.fixture(scope="module")
def demo_folder(tmp_path_factory, dask_client):
    """A folder holding ``data/demo/pings``: one day of 60 simulated trucks."""
    from cibg_ds.synthetic import simulate

    root = tmp_path_factory.mktemp("readme")
    simulate(root / "data" / "demo" / "pings", trucks=60, days=1, start="2026-11-03", seed=5,
             client=dask_client, progress=False)  # fmt: skip
    return root


@pytest.mark.parametrize("name", ["README.md", "notebooks/README.md"])
def test_every_python_block_runs(name, demo_folder, dask_scheduler, monkeypatch):
    found = blocks(name)
    assert sum(not runs for _, runs, _ in found) == NOT_RUN.get(name, 0)
    monkeypatch.chdir(demo_folder)
    monkeypatch.setenv("DASK_SCHEDULER_ADDRESS", dask_scheduler)
    namespace: dict = {"__name__": "__readme__"}
    for line, runs, code in found:
        if not runs:
            continue
        try:
            exec(compile(code, f"{name}:{line}", "exec"), namespace)
        except Exception as exc:
            pytest.fail(f"{name}, block at line {line}: {type(exc).__name__}: {exc}")
    if name == "README.md":  # what the blocks promise
        assert namespace["pings"].npartitions >= 1
        assert namespace["result"].rows == len(namespace["clean"]) + len(namespace["rejected"])
        assert len(namespace["trips"]) > 0 and namespace["table"].shape[0] == 19
        namespace["client"].close()
