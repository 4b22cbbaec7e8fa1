"""The ``cibg-ds`` command.

Exit codes: 0 success, 1 the job failed (bad data, cluster unreachable), 2 usage error.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from cibg_ds.errors import CibgDsError, InputError, ParameterError

DEMO_OUT = Path("data/demo/pings")


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be a positive integer, got {text}")
    return value


def _parser() -> argparse.ArgumentParser:
    from cibg_ds import __version__

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
    sim.add_argument("--seed", type=int, default=0, help="random seed (0)")
    sim.add_argument("--dirty", action="store_true", help="inject faults and count them")
    sim.add_argument("--overwrite", action="store_true", help="replace an existing dataset")
    sim.add_argument("--scheduler", help="Dask scheduler address (else DASK_SCHEDULER_ADDRESS)")

    demo = sub.add_parser("demo", help="the main job on embedded data: simulate a day of traffic")
    demo.add_argument("--out", type=Path, default=DEMO_OUT, help=f"output folder ({DEMO_OUT})")
    demo.add_argument("--trucks", type=_positive, default=2000, help="fleet size (2000)")

    val = sub.add_parser("validate", help="validate a dataset with a Great Expectations suite")
    val.add_argument("path", help="pings file, folder or glob; or a CSV/Parquet table")
    val.add_argument("--suite", required=True, help="suite name (pings, communes, ...) or JSON")
    val.add_argument("--quarantine", type=Path, help="folder for clean/ and rejected/ Parquet")
    val.add_argument("--report", type=Path, help="HTML report (a JSON summary goes beside it)")
    val.add_argument(
        "--fail-on",
        choices=("error", "warning"),
        default="error",
        help="exit 1 on failed expectations of this severity or worse (error)",
    )
    val.add_argument("--scheduler", help="Dask scheduler address (else DASK_SCHEDULER_ADDRESS)")

    sub.add_parser("versions", help="print the versions of Python and the key packages")
    return parser


def _simulate(args: argparse.Namespace, overwrite: bool) -> int:
    from cibg_ds.cluster import client_session
    from cibg_ds.synthetic import simulate

    with client_session(getattr(args, "scheduler", None)) as client:
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


def _validate(args: argparse.Namespace) -> int:
    from cibg_ds.cluster import client_session
    from cibg_ds.quality.job import validate_path
    from cibg_ds.quality.suites import load_suite

    try:  # a bad suite is a usage error, found before any work starts
        suite = load_suite(args.suite)
    except InputError as exc:
        raise ParameterError(str(exc)) from None
    progress = sys.stderr.isatty()
    with client_session(args.scheduler, quiet=not progress) as client, client.as_current():
        result, extra = validate_path(args.path, suite, args.quarantine, args.report, progress)
    failed = result.failed(args.fail_on)
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
    return 1 if failed else 0


def main(argv: list[str] | None = None) -> int:
    """Run the command line; return the exit code."""
    args = _parser().parse_args(argv)
    try:
        if args.command == "simulate":
            return _simulate(args, overwrite=args.overwrite)
        if args.command == "demo":
            print(f"cibg-ds demo: simulating one working day of {args.trucks} trucks ...")
            code = _simulate(args, overwrite=True)
            print(
                "\nNext: read it with\n"
                "  import cibg_ds as cd\n"
                f"  pings = cd.io.read_pings({str(args.out)!r})"
            )
            return code
        if args.command == "validate":
            return _validate(args)
        if args.command == "versions":
            from cibg_ds import show_versions

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
