"""The ``cibg-ds`` command.

Exit codes: 0 success, 1 the job failed (bad data, a failed task, a refused bundle,
cluster unreachable), 2 usage error (bad arguments, an invalid pipeline), 75 another run of
the pipeline holds the lock (try again later), 130 interrupted.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
from pathlib import Path

from cibg_ds import resources
from cibg_ds.errors import CibgDsError, InputError, ParameterError


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be a positive integer, got {text}")
    return value


def _non_negative(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = -1
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be an integer >= 0, got {text}")
    return value


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not value > 0:
        raise argparse.ArgumentTypeError(f"must be a number of seconds > 0, got {text}")
    return value


@contextlib.contextmanager
def _worker_timeout(seconds: float | None):
    """Make ``--timeout`` the ``worker_timeout`` setting for the command's duration."""
    name = "CIBG_DS_WORKER_TIMEOUT"
    before = os.environ.get(name)
    if seconds is not None:
        os.environ[name] = str(seconds)
    try:
        yield
    finally:
        if seconds is not None and before is None:
            os.environ.pop(name, None)
        elif seconds is not None:
            os.environ[name] = before


def _zone(text: str) -> str:
    import zoneinfo

    try:
        zoneinfo.ZoneInfo(text)
    except (ValueError, zoneinfo.ZoneInfoNotFoundError):
        raise argparse.ArgumentTypeError(
            f"unknown time zone {text!r}; use an IANA name such as Europe/Brussels or UTC"
        ) from None
    return text


def _parser() -> argparse.ArgumentParser:
    from cibg_ds.versions import __version__

    parser = argparse.ArgumentParser(
        prog="cibg-ds", description="Brussels analytics workbench (cibg_ds)."
    )
    parser.add_argument("--version", action="version", version=f"cibg_ds {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    sim = sub.add_parser("simulate", help="write a synthetic OBU truck feed (Parquet by day)")
    sim.add_argument("--trucks", type=_positive, default=2000, help="fleet size (2000)")
    sim.add_argument("--days", type=_positive, default=1, help="number of days (1)")
    sim.add_argument("--start", default="2026-11-02", help="first day, YYYY-MM-DD (2026-11-02)")
    sim.add_argument("--out", required=True, type=Path, help="output folder")
    sim.add_argument("--seed", type=_non_negative, default=0, help="random seed (0)")
    sim.add_argument("--dirty", action="store_true", help="inject faults and count them")
    sim.add_argument("--overwrite", action="store_true", help="replace an existing dataset")
    sim.add_argument("--scheduler", help="Dask scheduler address (else DASK_SCHEDULER_ADDRESS)")
    sim.add_argument("--timeout", type=_seconds, metavar="SECONDS",
                     help="seconds to wait for a Dask worker (60)")  # fmt: skip

    demo = sub.add_parser("demo", help="the whole workbench on embedded data (pipelines/demo.yaml)")
    demo.add_argument("--trucks", type=_positive, default=None, help="fleet size (the pipeline's)")
    demo.add_argument("-p", "--param", action="append", default=[], metavar="KEY=VALUE",
                      help="other demo pipeline parameter (days, n_sim, ...)")  # fmt: skip
    demo.add_argument("--jobs", type=_positive, default=None, help="tasks at once (all cores)")
    demo.add_argument("--reports", type=Path, default=Path("reports"), help="run records root")

    val = sub.add_parser("validate", help="validate a dataset with a Great Expectations suite")
    val.add_argument("path", help="pings file, folder or glob; or a CSV/Parquet table")
    val.add_argument("--suite", required=True, help="suite name (pings, communes, ...) or JSON")
    val.add_argument("--suites", action="append", type=Path, metavar="DIR", default=[],
                     help="your own suites' folder, searched first (repeatable)")  # fmt: skip
    val.add_argument("--quarantine", type=Path, help="folder for clean/ and rejected/ Parquet")
    val.add_argument("--report", type=Path, help="HTML report (a JSON summary goes beside it)")
    val.add_argument(
        "--fail-on",
        choices=("error", "warning", "drift"),
        default="error",
        help="exit 1 on failed expectations of this severity or worse (error); "
        "drift: also on drift alerts (with --history)",
    )
    val.add_argument("--history", type=Path, metavar="DIR",
                     help="quality history folder: read only new days, alert on drift")  # fmt: skip
    val.add_argument("--dataset", help="name of the dataset in the history (the folder's)")
    val.add_argument("--scheduler", help="Dask scheduler address (else DASK_SCHEDULER_ADDRESS)")
    val.add_argument("--timeout", type=_seconds, metavar="SECONDS",
                     help="seconds to wait for a Dask worker (60)")  # fmt: skip
    val.add_argument("--assume-tz", metavar="ZONE", type=_zone,
                     help="zone of ping times written without an offset")  # fmt: skip

    sug = sub.add_parser("suggest-suite", help="write a GX suite from a period you trust")
    sug.add_argument("path", help="pings file, folder or glob of the trusted period")
    sug.add_argument("--out", type=Path, required=True, help="suite JSON to write")
    sug.add_argument("--name", help="suite name (the file's name)")
    sug.add_argument("--scheduler", help="Dask scheduler address (else DASK_SCHEDULER_ADDRESS)")

    run = sub.add_parser("run", help="run a pipeline of notebooks (pipelines/*.yaml)")
    run.add_argument("pipeline", help="pipeline file, or the name of a shipped one (demo)")
    run.add_argument("-p", "--param", action="append", default=[], metavar="KEY=VALUE",
                     help="pipeline parameter (repeatable)")  # fmt: skip
    run.add_argument("--only", action="append", metavar="TASK", help="run only this task")
    run.add_argument("--force", action="store_true", help="run even unchanged tasks")
    run.add_argument("--jobs", type=_positive, default=1, help="tasks at the same time (1)")
    run.add_argument("--reports", type=Path, default=Path("reports"), help="run records root")
    run.add_argument("--log", help="log to this file instead of the terminal")
    run.add_argument("--fail-on", choices=("error", "drift"), default="error",
                     help="drift: also exit 1 on a drift alert of the run")  # fmt: skip

    dlv = sub.add_parser("deliver", help="zip one run's reports and products for a client")
    dlv.add_argument("run", type=Path, help="run directory (reports/<pipeline>/<run-id|latest>)")
    dlv.add_argument("--to", type=Path, required=True, help="folder for the zip")
    dlv.add_argument("--agency", help="only what this agency may receive")

    sub.add_parser("versions", help="print the versions of Python and the key packages")
    return parser


def _params(pairs: list[str]) -> dict:
    import yaml

    out = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise ParameterError(f"-p takes KEY=VALUE, got {pair!r}")
        try:
            out[key.strip()] = yaml.safe_load(value) if value else ""
        except (yaml.YAMLError, ValueError) as exc:  # 2026-02-30: YAML reads a date
            reason = str(exc).splitlines()[0]
            raise ParameterError(f"-p {key.strip()}: cannot read {value!r} ({reason})") from None
    return out


def _run(args: argparse.Namespace) -> int:
    from cibg_ds.pipelines import PipelineError, RunLocked, run_pipeline

    if args.log:
        try:
            with open(args.log, "a"):
                pass
        except OSError as exc:
            raise ParameterError(f"--log {args.log}: cannot write there ({exc.strerror})") from None
    try:
        result = run_pipeline(resources.find_pipeline(args.pipeline), _params(args.param),
                              args.only, args.force, args.jobs, args.reports, args.log)  # fmt: skip
    except PipelineError as exc:
        raise ParameterError(str(exc)) from None
    except RunLocked as exc:
        print(f"cibg-ds run: {exc}", file=sys.stderr)
        return 75
    print(result.summary())
    drifted = any(q.get("alerts") for q in result.quality.values())
    return 1 if args.fail_on == "drift" and drifted else result.exit_code


def _demo(args: argparse.Namespace) -> int:

    from cibg_ds.pipelines import PipelineError, deliver, run_pipeline

    jobs = args.jobs or max(os.cpu_count() or 1, 1)
    overrides = _params(args.param)
    if args.trucks:
        overrides["trucks"] = args.trucks
    print(f"cibg-ds demo: a week of synthetic truck traffic through every report ({jobs} jobs)")
    try:
        demo = resources.find_pipeline("demo")
        result = run_pipeline(demo, overrides, jobs=jobs, reports=args.reports)
    except PipelineError as exc:
        raise ParameterError(str(exc)) from None
    print(result.summary())
    if result.exit_code:
        return result.exit_code
    bundles = [deliver(result.run_dir, result.run_dir.parent / "bundles", agency)
               for agency in ("brussels-mobility", "digital-inclusion")]  # fmt: skip
    html = result.run_dir / "html"
    print(f"\nreports (HTML, no code): {html}\nrecord: {result.run_dir / 'manifest.json'}")
    print("client bundles:\n" + "\n".join(f"  {b}" for b in bundles))
    print(f"latest run: {result.run_dir.parent / 'latest'}")
    return 0


def _deliver(args: argparse.Namespace) -> int:
    from cibg_ds.pipelines import deliver

    target = deliver(args.run, args.to, args.agency)
    print(f"bundle: {target}")
    return 0


def _simulate(args: argparse.Namespace, overwrite: bool) -> int:
    from cibg_ds.cluster import client_session
    from cibg_ds.synthetic import simulate

    timeout = getattr(args, "timeout", None)
    with _worker_timeout(timeout), client_session(getattr(args, "scheduler", None)) as client:
        result = simulate(
            args.out,
            trucks=args.trucks,
            days=getattr(args, "days", 1),
            start=getattr(args, "start", "2026-11-02"),
            seed=getattr(args, "seed", 0),
            dirty=getattr(args, "dirty", False),
            overwrite=overwrite,
            client=client,
            progress=sys.stderr.isatty() or "ipykernel" in sys.modules,
        )
    print(result.summary())
    return 0


def _suite_file(name: str, dirs: list[Path]) -> str | Path:
    """Return the suite ``--suite`` names, looked up first in the ``--suites`` folders."""
    for folder in dirs:
        if not folder.is_dir():
            raise ParameterError(f"--suites {folder}: no such folder")
    if not dirs or Path(name).suffix or Path(name).exists():
        return name
    found = resources.find_suite(name, dirs)
    if found is None:
        folders = ", ".join(map(str, resources.suite_dirs(dirs)))
        raise ParameterError(
            f"--suite {name}: no {name}.json in {folders}; known suites: "
            f"{', '.join(resources.list_names('suite', dirs))}"
        )
    return found


def _validate(args: argparse.Namespace) -> int:
    from cibg_ds.cluster import client_session
    from cibg_ds.config import get_settings
    from cibg_ds.quality.job import validate_path
    from cibg_ds.quality.suites import load_suite

    if args.fail_on == "drift" and not (args.history or get_settings().history_dir):
        raise ParameterError("--fail-on drift needs --history DIR (or the history_dir setting)")
    try:  # a bad suite is a usage error, found before any work starts
        suite = load_suite(_suite_file(args.suite, args.suites))
    except InputError as exc:
        raise ParameterError(str(exc)) from None
    progress = sys.stderr.isatty()
    with (
        _worker_timeout(args.timeout),
        client_session(args.scheduler, quiet=not progress) as client,
        client.as_current(),
    ):
        result, extra = validate_path(args.path, suite, args.quarantine, args.report, progress,
                                      assume_tz=args.assume_tz, history=args.history,
                                      dataset=args.dataset)  # fmt: skip
    level = "error" if args.fail_on == "drift" else args.fail_on
    failed = result.failed(level)
    print(f"{result.suite}: {'PASSED' if not failed else 'FAILED'} on {result.rows:,} rows; "
          f"{len(failed)} expectation(s) failed at level {args.fail_on!r} or worse")  # fmt: skip
    for o in failed:
        count = f" ({o.unexpected_count:,} unexpected)" if o.unexpected_count else ""
        print(f"  - {o.name} [{o.severity}]{count}")
    if "quarantine" in extra:
        q = extra["quarantine"]
        print(f"quarantine: {q['clean']:,} clean + {q['rejected']:,} rejected = {q['rows']:,} rows "
              f"in {args.quarantine}")  # fmt: skip
    if "report" in extra:
        print(f"report: {extra['report']} (summary {extra['summary']})")
    alerts = result.provenance.get("alerts") or []
    if "history" in result.provenance:
        done = result.provenance["history"]
        print(f"history: {done['validated']} day partition(s) validated, {done['reused']} "
              f"reused, {done['removed']} removed; {len(alerts)} drift alert(s)")  # fmt: skip
        for alert in alerts:
            print(f"  - {alert['sentence']}")
    return 1 if failed or (args.fail_on == "drift" and alerts) else 0


def _suggest(args: argparse.Namespace) -> int:
    from cibg_ds.cluster import client_session
    from cibg_ds.quality.suggest import suggest_suite

    progress = sys.stderr.isatty()
    with client_session(args.scheduler, quiet=not progress) as client, client.as_current():
        suite = suggest_suite(args.path, args.out, args.name, progress)
    print(f"suite {suite['name']!r}: {len(suite['expectations'])} expectations from "
          f"{suite['meta']['suggested']['rows']:,} rows in {args.out}; check it with "
          f"`cibg-ds validate DATA --suite {args.out}`")  # fmt: skip
    return 0


def main(argv: list[str] | None = None) -> int:
    """Run the command line; return the exit code."""
    args = _parser().parse_args(argv)
    try:
        if args.command == "simulate":
            return _simulate(args, overwrite=args.overwrite)
        if args.command == "demo":
            return _demo(args)
        if args.command == "validate":
            return _validate(args)
        if args.command == "run":
            return _run(args)
        if args.command == "suggest-suite":
            return _suggest(args)
        if args.command == "deliver":
            return _deliver(args)
        if args.command == "versions":
            from cibg_ds.versions import show_versions

            show_versions()
            return 0
    except ParameterError as exc:
        print(f"cibg-ds {args.command}: error: {exc}", file=sys.stderr)
        return 2
    except CibgDsError as exc:
        print(f"cibg-ds {args.command}: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(f"cibg-ds {args.command}: interrupted", file=sys.stderr)
        return 130
    return 2  # unreachable: argparse requires a known command


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
