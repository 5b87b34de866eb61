"""Validate a model run against observations: `sdecon validate --data FILE.csv`.

    from sdecon.validate import validate
    result = validate("new_data.csv", calibration_path="fit.json", scenario="baseline")
    result.table      # series, label, year, observed, modelled, log_error, weight, unit, ...
    result.unknown    # rows whose series the mapping does not know, with the reason
    result.outside    # rows whose model time is outside the run
    result.summary(), result.rms

The observations file has the reference data's columns (year, series, value, unit, source,
confidence); rows are compared through `sdecon.data.mapping()`. A calibration file is JSON,
``{"parameters": {"Vensim Name": value, ...}}`` (other keys are ignored); its values override
the scenario's.
"""
from __future__ import annotations

import argparse
import math
import sys
from pathlib import Path

from . import data
from .output import TABLE_FORMATS, check_writable, table_writer, write_all
from .simulation import run


def validate(data_path: str | Path, calibration_path: str | Path | None = None,
             scenario: str = "baseline") -> data.Comparison:
    """Run `scenario` (with a calibration's parameter values on top, if given) and compare
    it with the observations in `data_path`, a CSV in the reference format.

    Derived series (the big-four hyperscaler capex) are added from their components when
    the file holds them. Returns `sdecon.data.Comparison`: `.table`, `.unknown`,
    `.outside`, `.summary()`, `.rms`. Bad input raises a one-line SdeconError.
    """
    observations = data.add_derived(data.read_observations(data_path))
    from .calibration import load as load_calibration  # scipy: only when a file is given

    overrides = load_calibration(calibration_path) if calibration_path is not None else {}
    return data.compare(run(scenario, overrides), observations)


# ---------------------------------------------------------------- command line


def add_parser(commands) -> argparse.ArgumentParser:
    """Add the `validate` subcommand to `commands`, the subparsers object of `sdecon`'s
    parser (the one `sdecon.cli.build_parser` fills)."""
    parser = commands.add_parser(
        "validate", help="compare a run with observations (a CSV in the reference data format)",
        description="Compare a model run with observations: each row of the data file is put next "
                    "to the model variable the mapping names (sdecon.data.mapping()), and the log "
                    "errors are summarised.")
    parser.add_argument("--data", required=True, metavar="FILE.csv",
                        help="observations: columns year, series, value, unit, source, confidence")
    parser.add_argument("--calibration", metavar="FILE.json",
                        help='parameter values to apply: {"parameters": {"Vensim Name": value, ...}}')
    parser.add_argument("--scenario", default="baseline",
                        help="a shipped scenario name ('sdecon scenarios') or a .toml file (default: baseline)")
    parser.add_argument("--output", metavar="FILE",
                        help="also write the comparison table to FILE (.csv, .parquet or .xlsx)")
    parser.set_defaults(handler=handle)
    return parser


def _number(x) -> str:
    return "" if x is None or (isinstance(x, float) and math.isnan(x)) else f"{x:.4g}"


def _years(years) -> str:
    """Years as short text: runs of consecutive whole years as ranges ('2010-2014, 2016.5')."""
    parts, run = [], []
    for year in sorted(set(years)):
        if run and year == run[-1] + 1 and year == int(year):
            run.append(year)
            continue
        if run:
            parts.append(f"{run[0]:g}-{run[-1]:g}" if len(run) > 1 else f"{run[0]:g}")
        run = [year]
    if run:
        parts.append(f"{run[0]:g}-{run[-1]:g}" if len(run) > 1 else f"{run[0]:g}")
    return ", ".join(parts)


def report(result: data.Comparison) -> str:
    """The comparison as text: the table, a summary per series, the weighted RMS log
    error, and the rows that were not compared, with the reason."""
    lines = []
    table = result.table
    if table.empty:
        lines.append("no observation could be compared with the model")
    else:
        shown = table[["series", "label", "year", "observed", "modelled", "log_error"]].rename(
            columns={"log_error": "log error"})
        lines.append(shown.to_string(index=False, float_format=_number,
                                     formatters={"year": lambda y: f"{y:g}"}))
        summary = result.summary().rename(columns={
            "mean_abs_log_error": "mean |log error|", "max_abs_log_error": "max |log error|"})
        lines += ["", "summary by series:", summary.to_string(float_format=lambda x: f"{x:.3g}"),
                  "", f"{len(table)} rows compared; weighted RMS log error {result.rms:.3g}"]
    for title, rows in (("not compared, series unknown to the mapping", result.unknown),
                        ("not compared, outside the run's years", result.outside)):
        if rows.empty:
            continue
        lines += ["", f"{title} ({len(rows)} rows):"]
        for (series, reason), group in rows.groupby(["series", "reason"], sort=True):
            years = _years(group["year"])
            lines.append(f"  {series} ({years}): {reason}")
    return "\n".join(lines)


def handle(args) -> None:
    """The `sdecon validate` command: compare, print the report, write --output."""
    if args.output:  # check the destination before the run, so a bad path costs nothing
        check_writable(args.output, TABLE_FORMATS)
    result = validate(args.data, args.calibration, args.scenario)
    print(report(result))
    if args.output:
        write_all([(args.output, table_writer(result.table.set_index("series"), args.output))])
        print(f"wrote {args.output} ({len(result.table)} rows)", file=sys.stderr)


def main(argv: list[str] | None = None) -> int:
    """`sdecon validate ARGS` on its own (argv without the word 'validate'), as `sdecon.cli.main`."""
    from .cli import main as cli_main

    return cli_main(["validate", *(sys.argv[1:] if argv is None else argv)])


if __name__ == "__main__":
    sys.exit(main())
