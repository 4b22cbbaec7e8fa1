import pytest

from cibg_ds.pipelines import PipelineError, load_pipeline
from tests.conftest import ROOT
from tests.pipelines.conftest import write_pipeline

GOOD = """
name: small
parameters: {who: "x", count: 2}
tasks:
  first:
    notebook: step.ipynb
    parameters: {label: "${who}", n: "${count}", out: "${run}/first.csv"}
    products: [first.csv]
  second:
    notebook: step.ipynb
    inputs: ["${run}/first.csv"]
    parameters: {out: "${run}/second-${item.label}.csv"}
    foreach: {label: [a, b]}
    products: ["second-${item.label}.csv"]
  grid:
    notebook: step.ipynb
    grid: {label: [x, y], n: [1, 2]}
    parameters: {out: "${run}/g-${item.label}-${item.n}.csv"}
    after: [first]
"""


def test_a_good_pipeline_expands_and_orders_its_tasks(workdir):
    p = load_pipeline(write_pipeline(workdir, GOOD))
    assert p.name == "small"
    assert next(iter(p.tasks)) == "first"
    assert {"second[a]", "second[b]", "grid[x,1]", "grid[y,2]"} <= set(p.tasks)
    assert p.upstream["second[a]"] == {"first"} and p.upstream["grid[x,2]"] == {"first"}
    assert p.tasks["first"].parameters == {"label": "x", "n": 2, "out": "${run}/first.csv"}
    assert p.tasks["second[b]"].parameters["label"] == "b"
    assert p.downstream("first") >= {"second[a]", "grid[y,1]"}
    assert (
        load_pipeline(write_pipeline(workdir, GOOD), {"count": "5"}).tasks["first"].parameters["n"]
        == 5
    )


@pytest.mark.parametrize(
    "change, message",
    [
        (
            (
                "notebook: step.ipynb\n    parameters: {label",
                "notebook: nope.ipynb\n    parameters: {label",
            ),
            "notebook nope.ipynb not found",
        ),
        (("after: [first]", "after: [zeroth]"), "runs after unknown task 'zeroth'"),
        (('n: "${count}"', 'n: "${who}"'), "parameter 'n' must be int, got str"),
        (('{label: "${who}"', '{colour: red, label: "${who}"'), "has no parameter 'colour'"),
        (
            ('inputs: ["${run}/first.csv"]', 'inputs: ["${run}/zeroth.csv"]'),
            "is in the run but no task produces it",
        ),
        (
            ('inputs: ["${run}/first.csv"]', 'inputs: ["/nowhere/data.csv"]'),
            "/nowhere/data.csv does not exist",
        ),
        (('${who}", n', '${whom}", n'), "unknown reference"),
        (
            ("    products: [first.csv]", "    products: [first.csv]\n    colour: red"),
            "unknown keys",
        ),
    ],
)
def test_broken_pipelines_are_refused_with_the_reason(workdir, change, message):
    text = GOOD.replace(*change)
    assert text != GOOD
    with pytest.raises(PipelineError, match=message):
        load_pipeline(write_pipeline(workdir, text))


def test_a_cycle_is_named(workdir):
    text = GOOD.replace("    after: [first]", "    after: [first]").replace(
        "    products: [first.csv]", "    products: [first.csv]\n    after: [grid]"
    )
    with pytest.raises(PipelineError, match=r"cycle: .*first"):
        load_pipeline(write_pipeline(workdir, text))


def test_overrides_and_unsafe_yaml(workdir):
    path = write_pipeline(workdir, GOOD)
    with pytest.raises(PipelineError, match=r"unknown pipeline parameter\(s\) \['colour'\]"):
        load_pipeline(path, {"colour": "red"})
    with pytest.raises(PipelineError, match="'count' must be int, got 'many'"):
        load_pipeline(path, {"count": "many"})
    evil = write_pipeline(workdir, "tasks: !!python/object/apply:os.system ['true']", "evil.yaml")
    with pytest.raises(PipelineError, match="not valid YAML"):
        load_pipeline(evil)


def test_the_shipped_pipelines_are_valid():
    for path in sorted((ROOT / "pipelines").glob("*.yaml")):
        pipeline = load_pipeline(path)
        assert pipeline.tasks, path
    demo = load_pipeline(ROOT / "pipelines" / "demo.yaml")
    assert sum(t.group == "profile" for t in demo.tasks.values()) == 19
