"""The ``cibg-ds`` command.

Exit codes: 0 success, 1 the job failed (bad data, cluster unreachable), 2 usage error.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from cibg_ds.errors import CibgDsError, ParameterError

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
