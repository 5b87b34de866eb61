"""The `sdecon` command line: a thin layer over the functions a notebook user calls.

Errors print one line on stderr and exit with code 2; nothing is left half-written.
"""
from __future__ import annotations

import argparse
import os
import sys
import textwrap

import pandas as pd

from . import __version__, parameter, scenarios
from .errors import SdeconError
from .model import PUBLIC_VARIABLES

# History every five years, each year of seed 004's 2025-2030 horizon, then every five.
SUMMARY_YEARS = (2015, 2020, 2025, 2026, 2027, 2028, 2029, 2030, 2035, 2040, 2045, 2050)


class _Parser(argparse.ArgumentParser):
    def error(self, message):  # usage errors follow the same one-line, exit-2 rule
        command = self.prog.removeprefix("sdecon").strip()
        raise SdeconError(f"{command}: {message}" if command else message)


def _parse_set(items: list[str]) -> dict[str, str]:
    values = {}
    for item in items or []:
        name, sep, value = item.partition("=")
        if not sep or not name.strip():
            raise SdeconError(f"--set {item!r} is not of the form \"Parameter Name=VALUE\"")
        values[name.strip()] = value.strip()
    return values


def _summary(frame: pd.DataFrame) -> str:
    years = [y for y in SUMMARY_YEARS if y in frame.index]
    table = frame.loc[years, list(PUBLIC_VARIABLES)].T
    table.index.name = None
    return table.to_string(float_format=lambda x: f"{x:.4g}")


def _run(args) -> None:
    from . import plotting
    from .output import TABLE_FORMATS, check_writable, table_writer, write_all
    from .simulation import run

    # Check every destination before the run, so a bad path costs nothing.
    if args.output:
        check_writable(args.output, TABLE_FORMATS)
    if args.figure:
        check_writable(args.figure, plotting.FIGURE_FORMATS)
    scenario = scenarios.load(args.scenario)
    frame = run(scenario, _parse_set(args.set))
    if not args.output:
        print(f"scenario {scenario.name}: {scenario.title}\n")
        print(_summary(frame))
    outputs = [(args.output, table_writer(frame, args.output))] if args.output else []
    figure = plotting.plot_key_outputs(frame, f"sdecon: {scenario.name}") if args.figure else None
    try:
        if figure is not None:
            outputs.append((args.figure, plotting.figure_writer(figure, args.figure)))
        write_all(outputs)  # the table and the figure, both or neither
    finally:
        if figure is not None:
            plotting.plt.close(figure)
    if args.output:
        print(f"wrote {args.output} ({len(frame)} years x {frame.shape[1]} variables)", file=sys.stderr)
    if args.figure:
        print(f"wrote {args.figure}", file=sys.stderr)


def _scenarios(args) -> None:
    width = max(len(name) for name in scenarios.names())
    for name in scenarios.names():
        print(f"{name:<{width}}  {scenarios.load(name).title}")


def _params(args) -> None:
    table = parameter.parameter_table()
    if args.csv:
        table.to_csv(sys.stdout)
        return
    for name, row in table.iterrows():
        bounds = "fixed" if row.lower == row.upper else f"[{row.lower:g}, {row.upper:g}]"
        print(f"{name} = {row.default:g} {row.unit}  {bounds}")
        print(textwrap.fill(row.source, width=100, initial_indent="    ", subsequent_indent="    "))


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="sdecon", description="System-dynamics model of the economics of AI compute.")
    parser.add_argument("--version", action="version", version=f"sdecon {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    run = commands.add_parser("run", help="run a scenario")
    run.add_argument("--scenario", default="baseline",
                     help="a shipped scenario name ('sdecon scenarios') or a .toml file (default: baseline)")
    run.add_argument("--set", action="append", metavar='"NAME=VALUE"',
                     help="override a parameter ('sdecon params'); repeatable")
    run.add_argument("--output", help="write the run to FILE (.csv, .parquet or .xlsx); "
                                      "without it, print a summary")
    run.add_argument("--figure", help="write a figure of the key outputs to FILE (.png, .svg or .pdf)")
    run.set_defaults(handler=_run)

    listing = commands.add_parser("scenarios", help="list the shipped scenarios")
    listing.set_defaults(handler=_scenarios)

    params = commands.add_parser("params", help="list the parameters: unit, default, bounds, source")
    params.add_argument("--csv", action="store_true", help="print as CSV")
    params.set_defaults(handler=_params)
    return parser


def main(argv: list[str] | None = None) -> int:
    try:
        args = build_parser().parse_args(argv)
        args.handler(args)
    except SdeconError as error:
        print(f"sdecon: error: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("sdecon: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # output piped into `head` and the like: stop quietly
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    return 0


if __name__ == "__main__":
    sys.exit(main())
