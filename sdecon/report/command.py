"""`sdecon report`: the command line's parser and handler over `write_report`."""
from __future__ import annotations

import argparse
import shlex
import sys

from .bundle import write_report


def _split(text: str) -> list[str]:
    return [item.strip() for item in text.split(",") if item.strip()]


def _handle(args: argparse.Namespace) -> None:
    names = [name for item in args.scenario_names or ["baseline"] for name in _split(item)]
    command = ["sdecon", "report", "--scenarios", ",".join(names), "--output", args.output_dir]
    if args.calibration:
        command += ["--calibration", args.calibration]
    if args.sweep:
        command += ["--sweep", args.sweep]
    path = write_report(names, args.output_dir, calibration=args.calibration, sweep=args.sweep,
                        command_line=shlex.join(command))
    print(f"wrote {args.output_dir}: report.html, report.pdf, results.xlsx, figures/ "
          f"({len(names)} scenario{'s' if len(names) > 1 else ''}; open {path / 'report.html'})",
          file=sys.stderr)


def add_parser(commands) -> argparse.ArgumentParser:
    """Add the `report` subcommand to an argparse subparsers object; its handler is
    `args.handler`, as for the other sdecon commands."""
    parser = commands.add_parser(
        "report", help="write an HTML, PDF and Excel report on one or more scenarios",
        description="Write report.html, report.pdf, results.xlsx, figures/ and manifest.json into "
                    "a directory. An existing directory is replaced only if it is empty or holds a "
                    "previous sdecon report.")
    # Each option's dest is the argument of write_report it feeds, so that an error naming
    # that argument names the option instead (sdecon.cli.main).
    parser.add_argument("--scenarios", action="append", dest="scenario_names", metavar="NAME[,NAME...]",
                        help="shipped scenario names ('sdecon scenarios') or .toml files, comma-separated "
                             "(default: baseline)")
    parser.add_argument("--output", required=True, dest="output_dir", metavar="DIR",
                        help="directory to write the report into")
    parser.add_argument("--calibration", metavar="FILE.json", help="add the model against history")
    parser.add_argument("--sweep", metavar="DIR", help="add the sensitivity section from a sweep")
    parser.set_defaults(handler=_handle, scenario_names=None)
    return parser


def main(argv: list[str] | None = None) -> int:
    """`python -m sdecon.report ...`: the `report` subcommand on its own, as `sdecon.cli.main`."""
    from ..cli import main as cli_main

    return cli_main(["report", *(sys.argv[1:] if argv is None else argv)])
