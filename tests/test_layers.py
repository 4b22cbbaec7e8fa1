"""Imports go one way: io -> quality -> analysis -> privacy -> viz/reports.

Neutral core modules (``checks``, ``config``, ``crs``, ``errors``, ``frames``, ``schema``,
``i18n``...) may be imported from anywhere; the simulator (``synthetic``) makes data for
the layers and is imported by none of them.
"""

from __future__ import annotations

import ast

from tests.conftest import ROOT

LAYER = {"io": 0, "quality": 1, "mobility": 2, "divide": 2, "privacy": 3, "viz": 4,
         "reports": 4}  # fmt: skip


def _imports(path):
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("cibg_ds."):
            yield node.lineno, node.module
        elif isinstance(node, ast.Import):
            yield from ((node.lineno, a.name) for a in node.names if a.name.startswith("cibg_ds."))


def test_no_layer_imports_a_later_one_or_the_simulator():
    package = ROOT / "cibg_ds"
    wrong = []
    for path in sorted(package.rglob("*.py")):
        here = path.relative_to(package).parts[0].removesuffix(".py")
        if here not in LAYER:
            continue
        for line, module in _imports(path):
            there = module.split(".")[1]
            if there == "synthetic" or LAYER.get(there, -1) > LAYER[here]:
                wrong.append(f"{path.relative_to(ROOT)}:{line} imports {module}")
    assert not wrong, "\n".join(wrong)
