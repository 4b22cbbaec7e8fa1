"""Pipeline definitions: a DAG of notebook tasks in YAML, loaded safely and checked.

A pipeline file::

    name: demo
    parameters:                 # pipeline parameters, overridable with -p key=value
      trucks: 1500
    tasks:
      simulate:
        notebook: getting_started.ipynb          # beside this file, else a shipped one
        parameters: {trucks: "${trucks}", out: "${run}/feed"}
        products: [feed/_meta/manifest.json]     # relative to the run directory
      validate:
        notebook: quality/validate.ipynb
        inputs: ["${run}/feed/_meta/manifest.json"]
        parameters: {data_path: "${run}/feed"}
      profile:
        notebook: divide/commune_profile.ipynb
        foreach: {commune: [21001, 21002]}       # or grid: {a: [..], b: [..]}
        parameters: {products_dir: "${run}/profiles"}
        after: [validate]

``${name}`` refers to a pipeline parameter, ``${run}`` to the run directory and
``${item.key}`` to the fan-out value; a value that is exactly one reference keeps its
type. Dependencies come from ``after`` and from inputs that another task produces.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import difflib
import graphlib
import itertools
import re
from pathlib import Path

import yaml

from cibg_ds import resources
from cibg_ds.errors import InputError

NOTEBOOKS = resources.shipped("notebook")
_REF = re.compile(r"\$\{([A-Za-z_][\w.]*)\}")
_TYPES = {"str": str, "int": int, "float": (int, float), "bool": bool, "list": list, "dict": dict}
_TASK_KEYS = {"notebook", "parameters", "inputs", "products", "after", "foreach", "grid",
              "retries", "agencies"}  # fmt: skip
_TOP_KEYS = {"name", "description", "parameters", "tasks", "dask"}
DASK_MODES = ("shared", "per-task")
"""``dask: shared``: the tasks use one LocalCluster started for the run; ``per-task``: each
notebook starts its own (or uses ``DASK_SCHEDULER_ADDRESS``, which both modes respect)."""
_LIST_KEYS = ("inputs", "products", "after", "agencies")


class PipelineError(InputError):
    """A pipeline definition that cannot run, with the file and the task named."""


@dataclasses.dataclass(frozen=True)
class Task:
    """One notebook run (fan-outs are expanded: ``profile[Saint-Gilles]``)."""

    name: str
    group: str
    notebook: Path
    parameters: dict
    inputs: tuple[str, ...]
    products: tuple[str, ...]
    after: tuple[str, ...]
    retries: int
    agencies: tuple[str, ...]


@dataclasses.dataclass(frozen=True)
class Pipeline:
    """Tasks in a valid order, with their dependencies."""

    name: str
    path: Path
    parameters: dict
    tasks: dict
    """Task name -> Task, in a topological order."""
    upstream: dict
    """Task name -> set of task names it needs."""
    dask: str = "per-task"
    """How the tasks get Dask workers (:data:`DASK_MODES`)."""

    def downstream(self, name: str) -> set[str]:
        """Every task that needs ``name``, directly or not."""
        out, frontier = set(), {name}
        while frontier:
            frontier = {t for t, ups in self.upstream.items() if ups & frontier} - out
            out |= frontier
        return out


def notebook_parameters(notebook: Path) -> dict:
    """Return ``{name: type name}`` of the notebook's cell tagged ``parameters``.

    Raises
    ------
    PipelineError
        For a parameter without a type annotation (``n = 1`` instead of ``n: int = 1``):
        its values could not be checked before the run.
    """
    from papermill.inspection import inspect_notebook

    found = {k: v["inferred_type_name"] for k, v in inspect_notebook(str(notebook)).items()}
    untyped = sorted(k for k, v in found.items() if v in (None, "None", ""))
    if untyped:
        raise PipelineError(
            f"notebook {notebook}: parameter(s) {untyped} of the cell tagged 'parameters' "
            "have no type; annotate each (name: int = 1  # what it is)"
        )
    return found


def substitute(value, context: dict, where: str):
    """Replace ``${...}`` references in strings (recursively in lists and dicts)."""
    if isinstance(value, dict):
        return {k: substitute(v, context, where) for k, v in value.items()}
    if isinstance(value, list):
        return [substitute(v, context, where) for v in value]
    if not isinstance(value, str):
        return value
    whole = _REF.fullmatch(value)
    if whole:
        return _lookup(whole.group(1), context, where)
    return _REF.sub(lambda m: str(_lookup(m.group(1), context, where)), value)


def _lookup(key: str, context: dict, where: str):
    if key not in context:
        known = ", ".join(sorted(context))
        raise PipelineError(f"{where}: unknown reference ${{{key}}}; known: {known}")
    return context[key]


def _expand(name: str, spec: dict, where: str) -> list[tuple[str, dict]]:
    if "foreach" in spec and "grid" in spec:
        raise PipelineError(f"{where}: task {name!r} has both foreach and grid; keep one")
    fan = spec.get("foreach") or spec.get("grid")
    if not fan:
        return [(name, {})]
    if not isinstance(fan, dict) or not all(isinstance(v, list) and v for v in fan.values()):
        raise PipelineError(f"{where}: task {name!r}: foreach/grid maps a parameter to a list")
    if "foreach" in spec and len(fan) != 1:
        raise PipelineError(f"{where}: task {name!r}: foreach takes one parameter (use grid)")
    keys = list(fan)
    out = []
    for combo in itertools.product(*fan.values()):
        item = dict(zip(keys, combo, strict=True))
        label = ",".join(str(v) for v in combo)
        out.append((f"{name}[{label}]", item))
    return out


def _check_types(task: str, parameters: dict, declared: dict, notebook: Path, where: str):
    for key, value in parameters.items():
        if key not in declared:
            raise PipelineError(
                f"{where}: task {task!r}: notebook {notebook.name} has no parameter {key!r}; "
                f"its parameters are {sorted(declared)}"
            )
        expected = _TYPES.get(declared[key])
        ok = expected is None or (isinstance(value, expected) and not (
            isinstance(value, bool) and declared[key] in ("int", "float")))  # fmt: skip
        if not ok:
            raise PipelineError(
                f"{where}: task {task!r}: parameter {key!r} must be {declared[key]}, "
                f"got {type(value).__name__} {value!r}"
            )


def _override(where: str, key: str, value, default):
    """Return the ``-p`` value ``value`` as the type of the parameter's ``default``."""
    declared = type(default)
    if declared is str and isinstance(value, dt.date):
        return value.isoformat()  # -p start=2026-11-09: YAML reads a date
    if declared is str and isinstance(value, (int, float)) and not isinstance(value, bool):
        return str(value)
    if declared in (int, float) and isinstance(value, str):
        try:
            return declared(value)
        except ValueError:
            raise PipelineError(
                f"{where}: parameter {key!r} must be {declared.__name__}, got {value!r}"
            ) from None
    if declared is float and isinstance(value, int) and not isinstance(value, bool):
        return float(value)  # -p x=1 for a float parameter
    return value


def _check_spec(where: str, group: str, spec: dict) -> None:
    """Refuse task keys of the wrong shape (a string where a list is meant, retries 1.5)."""
    for key in _LIST_KEYS:
        if key in spec and spec[key] is not None and not isinstance(spec[key], list):
            raise PipelineError(
                f"{where}: task {group!r}: {key!r} must be a list, got "
                f"{type(spec[key]).__name__} {spec[key]!r}; write {key}: [{spec[key]}]"
            )
    retries = spec.get("retries", 2)
    if isinstance(retries, bool) or not isinstance(retries, int) or retries < 0:
        raise PipelineError(
            f"{where}: task {group!r}: retries must be a whole number >= 0, got {retries!r}"
        )
    if not isinstance(spec.get("parameters") or {}, dict):
        raise PipelineError(f"{where}: task {group!r}: parameters must be a mapping")


def load_pipeline(path, overrides: dict | None = None, run_dir: str = "${run}") -> Pipeline:
    """Load and check a pipeline file.

    Parameters
    ----------
    path : path-like
        The YAML file (read with ``yaml.safe_load``).
    overrides : dict, optional
        Pipeline parameters from the command line (``-p key=value``), already typed.
    run_dir : str
        What ``${run}`` stands for (the runner passes the run directory).

    Raises
    ------
    PipelineError
        Unknown key, task, notebook or parameter; wrong parameter type; a cycle; an
        input that neither exists nor is produced upstream.
    """
    path = Path(path)
    where = str(path)
    if not path.exists():
        raise PipelineError(f"{where}: pipeline file not found")
    try:
        raw = yaml.safe_load(path.read_text())
    except yaml.YAMLError as exc:
        raise PipelineError(f"{where}: not valid YAML ({exc})") from None
    if not isinstance(raw, dict) or not isinstance(raw.get("tasks"), dict) or not raw["tasks"]:
        raise PipelineError(f"{where}: a pipeline is a mapping with a non-empty 'tasks' mapping")
    for key in sorted(set(map(str, raw)) - _TOP_KEYS):
        close = difflib.get_close_matches(key, sorted(_TOP_KEYS), n=1)
        hint = f"did you mean {close[0]!r}?" if close else f"known keys are {sorted(_TOP_KEYS)}"
        raise PipelineError(f"{where}: unknown top-level key {key!r}; {hint}")
    if not isinstance(raw.get("parameters") or {}, dict):
        raise PipelineError(f"{where}: 'parameters' must be a mapping of name: default")
    params = dict(raw.get("parameters") or {})
    dask_mode = raw.get("dask", "per-task")
    if dask_mode not in DASK_MODES:
        raise PipelineError(f"{where}: dask must be one of {list(DASK_MODES)}, got {dask_mode!r}")
    unknown = sorted(set(overrides or {}) - set(params))
    if unknown:
        raise PipelineError(
            f"{where}: unknown pipeline parameter(s) {unknown}; declared: {sorted(params)}"
        )
    for key, value in (overrides or {}).items():
        params[key] = _override(where, key, value, params[key])
    context = {**params, "run": run_dir}
    tasks, groups = {}, {}
    declared_cache = {}
    for group, spec in raw["tasks"].items():
        if not isinstance(spec, dict):
            raise PipelineError(f"{where}: task {group!r} must be a mapping")
        extra = sorted(set(spec) - _TASK_KEYS)
        if extra:
            raise PipelineError(f"{where}: task {group!r}: unknown keys {extra}")
        if "notebook" not in spec:
            raise PipelineError(f"{where}: task {group!r} has no notebook")
        _check_spec(where, group, spec)
        notebook = resources.find_notebook(spec["notebook"], path.parent)
        if notebook is None:
            raise PipelineError(
                f"{where}: task {group!r}: notebook {spec['notebook']} not found (looked beside "
                f"the pipeline file and under {NOTEBOOKS})"
            )
        if notebook not in declared_cache:
            try:
                declared_cache[notebook] = notebook_parameters(notebook)
            except PipelineError as exc:
                raise PipelineError(f"{where}: task {group!r}: {exc}") from None
        groups[group] = []
        for name, item in _expand(group, spec, where):
            ctx = {**context, **{f"item.{k}": v for k, v in item.items()}}
            parameters = substitute(dict(spec.get("parameters") or {}), ctx, where)
            parameters.update(item)
            _check_types(name, parameters, declared_cache[notebook], notebook, where)
            tasks[name] = Task(
                name=name,
                group=group,
                notebook=notebook,
                parameters=parameters,
                inputs=tuple(substitute(list(spec.get("inputs") or []), ctx, where)),
                products=tuple(substitute(list(spec.get("products") or []), ctx, where)),
                after=tuple(spec.get("after") or []),
                retries=int(spec.get("retries", 2)),
                agencies=tuple(spec.get("agencies") or []),
            )
            groups[group].append(name)
    produced = {}
    for t in tasks.values():
        for p in t.products:
            produced[str(Path(run_dir) / p) if not Path(p).is_absolute() else p] = t.name
    upstream = {}
    for t in tasks.values():
        ups = set()
        for dep in t.after:
            if dep not in groups:
                raise PipelineError(f"{where}: task {t.name!r} runs after unknown task {dep!r}")
            ups |= set(groups[dep])
        for item in t.inputs:
            if item in produced:
                ups.add(produced[item])
            elif item.startswith(str(run_dir)):
                raise PipelineError(
                    f"{where}: task {t.name!r}: input {item} is in the run but no task produces it"
                )
            elif not Path(item).exists():
                raise PipelineError(
                    f"{where}: task {t.name!r}: input {item} does not exist and no task produces it"
                )
        ups.discard(t.name)
        upstream[t.name] = ups
    try:
        order = list(graphlib.TopologicalSorter(upstream).static_order())
    except graphlib.CycleError as exc:
        cycle = " -> ".join(exc.args[1])
        raise PipelineError(f"{where}: tasks form a cycle: {cycle}") from None
    name = str(raw.get("name") or path.stem)
    return Pipeline(name, path, params, {n: tasks[n] for n in order}, upstream, dask_mode)
