"""The `sdecon` command line: a thin layer over the functions a notebook user calls.

Errors print one line on stderr and exit with code 2; nothing is left half-written.
"""
from __future__ import annotations

import argparse
import math
import os
import signal
import sys
import textwrap

import pandas as pd

from . import checks, parameter, scenarios
from .sweeps.design import BATCH_SIZE, INDEX_YEARS, METHODS
from ._version import __version__
from .errors import SdeconError
from .model import PUBLIC_VARIABLES

# History every five years, each year of seed 004's 2025-2030 horizon, then every five.
LAST_DATA_YEAR = 2024  # the shipped data run through calendar 2024
SUMMARY_YEARS = (2015, 2020, 2025, 2026, 2027, 2028, 2029, 2030, 2035, 2040, 2045, 2050)


class _Parser(argparse.ArgumentParser):
    def error(self, message):  # usage errors follow the same one-line, exit-2 rule
        command = self.prog.removeprefix("sdecon").strip()
        raise SdeconError(f"{command}: {message}" if command else message)


def _parse_set(items: list[str]) -> dict[str, float | str]:
    """--set NAME=VALUE items as {name: value}: numbers as floats, other text left for the
    parameter's check to refuse with its bounds."""
    values = {}
    for item in items or []:
        name, sep, value = item.partition("=")
        if not sep or not name.strip():
            raise SdeconError(f"--set {item!r} is not of the form \"Parameter Name=VALUE\"")
        name, value = name.strip(), value.strip()
        if name in values:
            raise SdeconError(f"--set names {name!r} twice; give each parameter once")
        values[name] = parameter.from_text(value)
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
    overrides = {}
    if args.calibration:
        from .calibration import load_calibration
        overrides.update(load_calibration(args.calibration).parameters)
    if args.posterior:
        from .posteriors import base_values, load_posterior
        sampled = load_posterior(args.posterior)
        # the values the posterior's runs held, then its median
        overrides.update({k: v for k, v in base_values(scenario, sampled.names).items()
                          if k not in scenario.values or scenario.values[k] != v})
        overrides.update(sampled.median())
    overrides.update(_parse_set(args.set))
    frame = run(scenario, overrides)
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


def _year(text: str) -> int:
    try:
        year = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a year; expected an integer such as 2021") from None
    if not 2016 <= year <= LAST_DATA_YEAR:
        raise argparse.ArgumentTypeError(f"{year} is out of range; allowed: 2016 to {LAST_DATA_YEAR}")
    return year


def _calibrate(args) -> None:
    import warnings

    from . import fit, observations, plotting
    from .output import check_writable, write_all

    if args.output:
        check_writable(args.output, (".json",))
    if args.figure:
        check_writable(args.figure, plotting.FIGURE_FORMATS)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", fit.CalibrationWarning)
        result = fit.calibrate(args.scenario, until=args.until, params=args.params, seed=args.seed)
    for warning in caught:
        if issubclass(warning.category, fit.CalibrationWarning):
            print(f"sdecon: warning: {warning.message}", file=sys.stderr)
    print(result.report())
    if args.until < LAST_DATA_YEAR:
        errors = fit.out_of_sample(result, since=args.until + 1, until=LAST_DATA_YEAR)
        print(f"\nOut of sample: {args.until + 1}-{LAST_DATA_YEAR}, data the fit did not see "
              "(log error = ln(modelled / observed))")
        print(errors[["series", "label", "year", "observed", "modelled", "log_error"]]
              .to_string(index=False, float_format=lambda x: f"{x:.4g}"))
        print("\n" + observations.summary(errors).to_string(float_format=lambda x: f"{x:.3g}"))
    outputs = [(args.output, result.writer(args.output))] if args.output else []
    figure = None
    if args.figure:
        figure = plotting.plot_history(result.residuals, f"sdecon: model against history to {args.until}",
                                       levels=result.levels)
    try:
        if figure is not None:
            outputs.append((args.figure, plotting.figure_writer(figure, args.figure)))
        write_all(outputs)
    finally:
        if figure is not None:
            plotting.plt.close(figure)
    for path, _ in outputs:
        print(f"wrote {path}", file=sys.stderr)


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


def _validate(args) -> None:
    from .output import TABLE_FORMATS, check_writable, table_writer, write_all
    from .validation import describe, validate

    if args.output:  # check the destination before the run, so a bad path costs nothing
        check_writable(args.output, TABLE_FORMATS)
    result = validate(args.data_path, args.calibration, args.scenario)
    print(describe(result))
    if args.output:
        write_all([(args.output, table_writer(result.table.set_index("series"), args.output))])
        print(f"wrote {args.output} ({len(result.table)} rows)", file=sys.stderr)


def _origins(text: str) -> tuple[int, ...]:
    try:
        return tuple(int(part) for part in text.split(",") if part.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r}: expected years separated by commas, e.g. 2021,2022,2023") \
            from None


def _backtest(args) -> None:
    from . import engine
    from .backtesting import backtest, output_directory, write

    if args.output:
        output_directory(args.output)  # before the fits, so a bad path costs nothing
    engine.program().prepare()
    result = backtest(args.origins, horizon=args.horizon, scenario=args.scenario, seed=args.seed,
                      posterior=args.posterior, draws=args.draws)
    summary = result.summary()
    kind = "the posterior's predictive median" if result.posterior else "the forecast"
    print(f"Backtest of {args.scenario!r} from origins {', '.join(map(str, result.origins))}: "
          f"errors of {kind} by series and years after the origin")
    print(summary.to_string(index=False, float_format=lambda x: f"{x:.3g}"))
    if result.posterior:
        print("\nHeld-out observations inside the posterior-predictive intervals:")
        print(result.coverage().to_string(float_format=lambda x: f"{x:.0%}"))
    print("\nNext-year forecasts (error = modelled / observed - 1):")
    print(result.next_year().to_string(index=False, float_format=lambda x: f"{x:.3g}",
                                       formatters={"year": lambda y: f"{y:g}"}))
    if args.output:
        written = write(result, args.output)
        print(f"\nwrote {len(written)} files to {args.output}")


def _check(args) -> int:
    from .output import check_writable, write_all

    if args.output:
        check_writable(args.output, (".csv",))
    items = checks.load(args.path, args.scope)
    violations = checks.check(scenarios=args.scenarios, sweep=args.sweep, samples=args.samples,
                              seed=args.seed, constraints=items)
    if args.output:
        write_all([(args.output, lambda tmp: violations.to_csv(tmp, index=False))])
    source = (f"{args.samples:,} Latin-hypercube runs" if args.samples else
              f"the sweep in {args.sweep}" if args.sweep else
              ", ".join(args.scenarios) if args.scenarios else "every shipped scenario")
    if violations.empty:
        print(f"all {len(items)} checks hold in {source}")
        return 0
    table = checks.summarise(violations)
    print(f"{table['check'].nunique()} of {len(items)} checks fail in {source} "
          f"({table['run'].nunique()} runs):")
    print(table.to_string(index=False, float_format=lambda x: f"{x:.3g}"))
    return 1


def _whole(text: str) -> int:
    """A whole number, also written as 1e6 or 1_000_000."""
    try:
        return int(text)
    except ValueError:
        pass
    try:
        number = float(text)
    except ValueError:
        number = math.nan
    if not number.is_integer():  # NaN and infinities are not
        raise argparse.ArgumentTypeError(f"invalid int value: {text!r}; expected a whole number "
                                         "such as 1024 or 1e6")
    return int(number)


def _sweep(args) -> None:
    import warnings

    from .sweeps import INDEX_YEARS, DaskExecutor, HistoryWarning, LocalExecutor, sweep

    def log(message: str) -> None:
        print(message, file=sys.stderr)

    if args.cluster is not None and args.workers is not None:
        raise SdeconError("workers is for local runs; a cluster has its own workers", argument="workers")
    executor = DaskExecutor(args.cluster) if args.cluster is not None else LocalExecutor(args.workers)
    with executor, warnings.catch_warnings():
        warnings.simplefilter("always", HistoryWarning)  # said at once, before the runs
        warnings.showwarning = lambda message, *_: log(f"sdecon: warning: {message}")
        result = sweep(args.scenario, method=args.method, samples=args.samples, vary=args.vary,
                       seed=args.seed, years=args.years or INDEX_YEARS, batch_size=args.batch_size,
                       output=args.output, resume=args.resume, figures=args.figures,
                       log_outputs=args.log_outputs, executor=executor, log=log, posterior=args.posterior)
    done = f"computed {result.computed} batch{'es' if result.computed != 1 else ''}" + (
        f", {result.skipped} on disk" if result.skipped else "")
    log(f"wrote {args.output}: {result.manifest['runs']:,} runs ({done}); summary_bands.csv, "
        f"indices.csv" + (" (on ln(output))" if result.log_outputs else "") + (", figures/" if args.figures else ""))
    unsure = int((~result.indices["converged"].astype(bool)).sum())
    if unsure:
        log(f"sdecon: warning: {unsure:,} of {len(result.indices):,} sensitivity indices are not converged "
            "(column 'converged'; hatched in the tornado): raise --samples")


def _split_commas(text: str) -> list[str]:
    return [item.strip() for item in text.split(",") if item.strip()]


def _scenario_names(given: list[str] | None) -> list[str] | None:
    """The names of repeated, comma-separated --scenarios; None when the option is not given."""
    return None if given is None else [name for item in given for name in _split_commas(item)]


def _report(args) -> None:
    import shlex

    from .report import write_report

    names = _scenario_names(args.scenario_names)
    names = ["baseline"] if names is None else names
    command = ["sdecon", "report", "--scenarios", ",".join(names), "--output", args.output_dir]
    if args.calibration:
        command += ["--calibration", args.calibration]
    if args.sweep:
        command += ["--sweep", args.sweep]
    if args.posterior:
        command += ["--posterior", args.posterior]
    for where in args.discover or []:
        command += ["--discover", where]
    if args.explorer:
        command += ["--explorer"]
    path = write_report(names, args.output_dir, calibration=args.calibration, sweep=args.sweep,
                        posterior=args.posterior, discover=args.discover, explorer=args.explorer,
                        command_line=shlex.join(command))
    print(f"wrote {args.output_dir}: report.html, report.pdf, results.xlsx, "
          f"{'explorer.html, ' if args.explorer else ''}figures/ "
          f"({len(names)} scenario{'s' if len(names) > 1 else ''}; open {path / 'report.html'})",
          file=sys.stderr)


def _explore(args) -> None:
    from .explorer import explore

    names = _scenario_names(args.scenario_names)
    path = explore(names, args.posterior, args.output)
    print(f"wrote {path} ({path.stat().st_size / 1e6:.2f} MB; open it in a browser)", file=sys.stderr)


def _discover(args) -> None:
    from .discovery import check_output, describe, discover

    if args.output:
        check_output(args.output)  # before the analysis, so a bad path costs nothing
    found = discover(args.sweep, args.where, threshold=args.threshold, peel_alpha=args.peel_alpha,
                     mass_min=args.mass_min, select=args.select, parameters=args.parameters)
    print(describe(found))
    if args.output:
        written = found.save(args.output)
        print(f"wrote {args.output}: {', '.join(p.name for p in written)}", file=sys.stderr)


def _forecast(args) -> None:
    from . import plotting
    from .backtesting import output_directory
    from .forecasts import forecast
    from .output import check_writable, write_all

    if args.output:
        output_directory(args.output)  # before the runs, so a bad path costs nothing
    if args.figure:
        check_writable(args.figure, plotting.FIGURE_FORMATS)
    result = forecast(args.scenario, args.posterior, samples=args.samples, seed=args.seed)
    print(result.report())
    if args.output:
        for path in result.save(args.output):
            print(f"wrote {path}", file=sys.stderr)
    if args.figure:
        figure = plotting.plot_forecasts(result, f"Scenario {result.scenario}: {result.samples} draws from the "
                                                 "posterior given the history")
        try:
            write_all([(args.figure, plotting.figure_writer(figure, args.figure))])
        finally:
            plotting.plt.close(figure)
        print(f"wrote {args.figure}", file=sys.stderr)


def _posterior(args) -> None:
    import warnings

    from . import plotting
    from .output import check_writable, write_all
    from .posteriors import PosteriorWarning, posterior

    check_writable(args.output, (".json",))  # before sampling, so a bad path costs nothing
    for path in (args.figure, args.trace):
        if path:
            check_writable(path, plotting.FIGURE_FORMATS)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", PosteriorWarning)
        result = posterior(args.scenario, until=args.until, params=args.params, walkers=args.walkers,
                           steps=args.steps, burn=args.burn, seed=args.seed)
    for warning in caught:
        if issubclass(warning.category, PosteriorWarning):
            print(f"sdecon: warning: {warning.message}", file=sys.stderr)
    print(result.report())
    outputs = [(args.output, result.writer(args.output))]
    figures = [(path, draw(result)) for path, draw in ((args.figure, plotting.plot_corner),
                                                       (args.trace, plotting.plot_trace)) if path]
    try:
        write_all(outputs + [(path, plotting.figure_writer(figure, path)) for path, figure in figures])
    finally:
        for _, figure in figures:
            plotting.plt.close(figure)
    for path in [args.output] + [path for path, _ in figures]:
        print(f"wrote {path}", file=sys.stderr)


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
    run.add_argument("--calibration", metavar="FILE.json",
                     help="use the fitted values of a calibration ('sdecon calibrate'); --set still overrides")
    run.add_argument("--posterior", metavar="FILE.json",
                     help="run at the posterior median ('sdecon posterior'); --set still overrides")
    run.set_defaults(handler=_run)

    fit = commands.add_parser("calibrate", help="fit parameters to the historical data")
    fit.add_argument("--scenario", default="baseline", help="scenario whose values the fit starts from")
    fit.add_argument("--until", type=_year, default=2024,
                     help="fit data through YEAR (default 2024); later years are reported out of sample")
    fit.add_argument("--params", nargs="+", metavar='"NAME"',
                     help="parameters to fit (default: the set in sdecon.fit.DEFAULT_PARAMETERS)")
    fit.add_argument("--seed", type=int, default=0, help="seed of the global search (default 0)")
    fit.add_argument("--output", metavar="FILE.json", help="write the calibration to FILE.json")
    fit.add_argument("--figure", help="write model against history to FILE (.png, .svg or .pdf)")
    fit.set_defaults(handler=_calibrate)

    listing = commands.add_parser("scenarios", help="list the shipped scenarios")
    listing.set_defaults(handler=_scenarios)

    params = commands.add_parser("params", help="list the parameters: unit, default, bounds, source")
    params.add_argument("--csv", action="store_true", help="print as CSV")
    params.set_defaults(handler=_params)

    compare = commands.add_parser(
        "validate", help="compare a run with observations (a CSV in the reference data format)",
        description="Compare a model run with observations: each row of the data file is put next "
                    "to the model variable the mapping names (sdecon.data.mapping()), and the log "
                    "errors are summarised; rows that cannot be compared are listed with the reason.")
    compare.add_argument("--data", dest="data_path", required=True, metavar="FILE.csv",
                         help="observations: columns year, series, value, unit, source, confidence")
    compare.add_argument("--calibration", metavar="FILE.json",
                         help='parameter values and fitted levels to apply (default: the scenario\'s own '
                              'calibration); a hand-written {"parameters": {"Vensim Name": value, ...}} works')
    compare.add_argument("--scenario", default="baseline",
                         help="a shipped scenario name ('sdecon scenarios') or a .toml file (default: baseline)")
    compare.add_argument("--output", metavar="FILE",
                         help="also write the comparison table to FILE (.csv, .parquet or .xlsx)")
    compare.set_defaults(handler=_validate)

    back = commands.add_parser(
        "backtest", help="calibrate up to each origin year and score the forecast of the years after",
        description="For each origin, calibrate on the data through it, forecast the later years, "
                    "and report the errors by series and horizon. With --posterior, score instead "
                    "that posterior's predictive intervals of the years after its data.")
    back.add_argument("--origins", type=_origins,
                      help="origin years, comma-separated (default 2019,2020,2021,2022,2023)")
    back.add_argument("--horizon", type=int, default=None,
                      help="years scored after each origin (default: all to 2024)")
    back.add_argument("--scenario", default="baseline", help="scenario whose values the fits start from")
    back.add_argument("--seed", type=int, default=0, help="seed of the global search (default 0)")
    back.add_argument("--posterior", metavar="FILE.json",
                      help="a posterior given the data through an origin ('sdecon posterior --until YEAR'): "
                           "score its 50%% and 90%% predictive intervals")
    back.add_argument("--draws", type=int, default=400, help="predictive draws, with --posterior (default 400)")
    back.add_argument("--output", metavar="DIR", help="write errors, summaries and a figure per series to DIR")
    back.set_defaults(handler=_backtest)

    check = commands.add_parser(
        "check", help="run the reality checks over scenarios, a saved sweep or a Latin hypercube",
        description="Evaluate the reality checks (sdecon/checks/reality.toml, or --checks FILE) and "
                    "list every violation: check, run, year, both sides. Exit 0 when all hold, 1 "
                    "when some fail, 2 on bad input.")
    source = check.add_mutually_exclusive_group()
    source.add_argument("--scenario", dest="scenarios", action="append", metavar="NAME",
                        help="a shipped scenario; repeatable (default: every shipped scenario)")
    source.add_argument("--sweep", metavar="DIR", help="a saved sweep: its runs are simulated again")
    source.add_argument("--samples", type=int, metavar="N",
                        help="N runs of a Latin hypercube over every free parameter's bounds")
    check.add_argument("--seed", type=int, default=0, help="seed of the Latin hypercube (default 0)")
    check.add_argument("--scope", choices=checks.SCOPES, help="only the checks of this scope")
    check.add_argument("--checks", dest="path", metavar="FILE.toml", help="another file of checks")
    check.add_argument("--output", metavar="FILE.csv", help="also write every violation to FILE.csv")
    check.set_defaults(handler=_check)
    sweeping = commands.add_parser(
        "sweep", help="many runs over uncertain parameters: percentile bands and sensitivity indices",
        description="Run a sweep: sample the uncertain parameters (SALib), run the batch engine "
                    "on this machine's cores or a Dask cluster, write runs, percentile bands, "
                    "sensitivity indices and figures to DIR. See docs/sweep.md.")
    sweeping.add_argument("--scenario", default="baseline",
                              help="scenario giving the parameters not varied (default: baseline)")
    sweeping.add_argument("--method", required=True, choices=METHODS,
                              help="mc (Monte Carlo), lhs (Latin hypercube), sobol (Sobol' indices), "
                                   "morris (elementary effects)")
    sweeping.add_argument("--samples", required=True, type=_whole, metavar="N",
                              help="runs for mc and lhs; base samples for sobol (a power of 2; "
                                   "N (D+2) runs); trajectories for morris (N (D+1) runs)")
    sweeping.add_argument("--vary", action="append", metavar='"NAME=LOW:HIGH[:DIST]"',
                              help="vary a parameter; DIST uniform (default), loguniform, normal or "
                                   "triangular; repeatable; without it, the default uncertainty set")
    sweeping.add_argument("--posterior", metavar="FILE.json",
                          help="draw the history-fitted parameters from a posterior ('sdecon posterior'; the "
                               "shipped one is sdecon/calibrations/baseline-2024-posterior.json)")
    sweeping.add_argument("--seed", type=int, default=0, help="random seed (default: 0)")
    sweeping.add_argument("--year", type=int, action="append", dest="years", metavar="YEAR",
                              help="a year for the sensitivity indices; repeatable "
                                   f"(default: {' '.join(map(str, INDEX_YEARS))})")
    sweeping.add_argument("--batch-size", type=_whole, default=BATCH_SIZE, metavar="RUNS",
                              help=f"runs a batch (default: {BATCH_SIZE})")
    sweeping.add_argument("--workers", type=int, metavar="N",
                              help="local worker processes (default: one a core)")
    sweeping.add_argument("--cluster", metavar="ADDRESS",
                              help="a Dask scheduler, e.g. tcp://HOST:8786 (default: this machine)")
    sweeping.add_argument("--resume", action="store_true",
                              help="finish an interrupted sweep in DIR without recomputing its batches")
    sweeping.add_argument("--log-outputs", action="store_true",
                              help="sensitivity indices of ln(output), not of the output (for positive outputs "
                                   "spanning orders of magnitude); --resume with it changed recomputes only "
                                   "the indices")
    sweeping.add_argument("--no-figures", action="store_false", dest="figures",
                              help="skip the PNG figures")
    sweeping.add_argument("--output", required=True, metavar="DIR",
                              help="directory to write (new or empty, unless --resume)")
    sweeping.set_defaults(handler=_sweep)

    reporting = commands.add_parser(
        "report", help="write an HTML, PDF and Excel report on one or more scenarios",
        description="Write report.html, report.pdf, results.xlsx, figures/ and manifest.json into "
                    "a directory. An existing directory is replaced only if it is empty or holds a "
                    "previous sdecon report.")
    # Each option's dest is the argument of write_report it feeds, so that an error naming
    # that argument names the option instead (sdecon.cli.main).
    reporting.add_argument("--scenarios", action="append", dest="scenario_names", metavar="NAME[,NAME...]",
                           help="shipped scenario names ('sdecon scenarios') or .toml files, comma-separated "
                                   "(default: baseline)")
    reporting.add_argument("--output", required=True, dest="output_dir", metavar="DIR",
                           help="directory to write the report into")
    reporting.add_argument("--calibration", metavar="FILE.json", help="add the model against history")
    reporting.add_argument("--sweep", metavar="DIR", help="add the sensitivity section from a sweep")
    reporting.add_argument("--posterior", metavar="FILE.json",
                           help="add each scenario's forecast bands from a posterior ('sdecon posterior')")
    reporting.add_argument("--discover", action="append", metavar='"VARIABLE@YEAR > VALUE"',
                           help="with --sweep, add scenario discovery (PRIM's box, CART's rules) for this "
                                "condition on the sweep's outputs; repeatable")
    reporting.add_argument("--explorer", action="store_true",
                           help="also write explorer.html, the interactive explorer of these scenarios, "
                                "linked from the report ('sdecon explore')")
    reporting.set_defaults(handler=_report, scenario_names=None)

    exploring = commands.add_parser(
        "explore", help="write the interactive explorer: one HTML file in which the model runs",
        description="Write one self-contained HTML file (no network, opens from disk) in which the "
                    "model, compiled to JavaScript, re-runs as you move its assumptions. See "
                    "docs/explorer.md.")
    exploring.add_argument("--scenarios", action="append", dest="scenario_names", metavar="NAME[,NAME...]",
                           help="the presets: shipped scenario names or .toml files, comma-separated "
                                "(default: every shipped scenario); the first opens")
    exploring.add_argument("--posterior", metavar="FILE.json",
                           help="draw each preset's 90%% band from a posterior ('sdecon posterior')")
    exploring.add_argument("--output", default="explorer.html", metavar="FILE.html",
                           help="the file to write (default: explorer.html)")
    exploring.set_defaults(handler=_explore, scenario_names=None)

    discovering = commands.add_parser(
        "discover", help="scenario discovery: the box of parameters where a sweep's runs meet a condition",
        description="PRIM (EMA Workbench) finds the box of varied parameters where a sweep's runs meet "
                    "a condition on one output; CART's rules are a second view. Prints the box, its "
                    "coverage and density, and the rules; --output writes tables and figures. "
                    "See docs/discovery.md.")
    discovering.add_argument("--sweep", required=True, metavar="DIR", help="a finished sweep ('sdecon sweep')")
    discovering.add_argument("--where", required=True, metavar='"VARIABLE@YEAR > VALUE"',
                             help="the condition on one output; operators >, >=, <, <=")
    discovering.add_argument("--threshold", type=float, default=0.8,
                             help="the density the box must reach, in (0, 1] (default: 0.8)")
    discovering.add_argument("--peel-alpha", type=float, default=0.05, dest="peel_alpha",
                             help="share of the box's runs one peel removes (default: 0.05)")
    discovering.add_argument("--mass-min", type=float, default=0.05, dest="mass_min",
                             help="smallest share of the runs a box or a CART leaf holds (default: 0.05)")
    discovering.add_argument("--select", choices=("last", "coverage"), default="last",
                             help="the box reported among those dense enough: the last on the peeling "
                                  "trajectory (default) or the one with the highest coverage")
    discovering.add_argument("--param", action="append", dest="parameters", metavar='"NAME"',
                             help="only this varied parameter; repeatable (default: every one the sweep varied)")
    discovering.add_argument("--output", metavar="DIR",
                             help="write summary, box, trajectory and CART tables (CSV) and figures to DIR")
    discovering.set_defaults(handler=_discover)

    forecasting = commands.add_parser(
        "forecast", help="forecast bands of every public variable from the posterior",
        description="Posterior-predictive bands of every public variable to the model's final year: "
                    "the history-fitted parameters drawn from a posterior ('sdecon posterior'; default "
                    "the shipped one, the baseline's given the data through 2024), the scenario's "
                    "assumptions about the future. Prints the key variables' bands and the share of "
                    "the data inside the 50% and 90% predictive intervals. See docs/posterior.md.")
    forecasting.add_argument("--scenario", default="baseline", help="scenario (default: baseline)")
    forecasting.add_argument("--posterior", metavar="FILE.json", help="posterior file (default: the shipped one)")
    forecasting.add_argument("--samples", type=int, default=400, help="draws from the posterior (default 400)")
    forecasting.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    forecasting.add_argument("--output", metavar="DIR", help="write forecast.json, bands.csv and history.csv to DIR")
    forecasting.add_argument("--figure", help="write every variable's bands with the data to FILE (.png, .svg or .pdf)")
    forecasting.set_defaults(handler=_forecast)

    sampling = commands.add_parser(
        "posterior", help="sample the posterior of the fitted parameters (emcee)",
        description="Sample the posterior of the history-fitted parameters with emcee and print "
                    "medians, 90% intervals and diagnostics. See docs/posterior.md.")
    sampling.add_argument("--scenario", default="baseline", help="scenario giving the other values")
    sampling.add_argument("--until", type=_year, default=2024, help="data through YEAR (default 2024)")
    sampling.add_argument("--params", nargs="+", metavar='"NAME"',
                          help="parameters to sample (default: sdecon.fit.DEFAULT_PARAMETERS)")
    sampling.add_argument("--walkers", type=int, help="walkers (default 4 x parameters, at least 8)")
    sampling.add_argument("--steps", type=_whole, default=8000, help="steps a walker (default 8000: about 5 minutes)")
    sampling.add_argument("--burn", type=_whole, help="steps discarded (default a quarter)")
    sampling.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    sampling.add_argument("--output", required=True, metavar="FILE.json", help="write the posterior")
    sampling.add_argument("--figure", help="write the corner plot to FILE (.png, .svg or .pdf)")
    sampling.add_argument("--trace", help="write the walkers' trace to FILE (.png, .svg or .pdf)")
    sampling.set_defaults(handler=_posterior)
    return parser


def _flags(parser: argparse.ArgumentParser, command: str | None) -> dict[str, str]:
    """Each option's destination (the Python argument it feeds) and its long flag."""
    subparsers = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    chosen = subparsers[0].choices.get(command) if subparsers and command else None
    actions = chosen._actions if chosen is not None else []
    return {a.dest: max(a.option_strings, key=len) for a in actions if a.option_strings}


def _message(error: SdeconError, flags: dict[str, str]) -> str:
    """The library names Python arguments; the command line names its flags."""
    text = str(error)
    if error.argument in flags and text.startswith(error.argument):
        text = flags[error.argument] + text[len(error.argument):]
    return text


class _Terminated(BaseException):
    """SIGTERM, raised where the program is so that every clean-up on the way out runs."""


def _terminate(signum, frame):
    raise _Terminated


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = None
    previous = signal.signal(signal.SIGTERM, _terminate)
    try:
        args = parser.parse_args(argv)
        status = args.handler(args)
    except SdeconError as error:
        flags = _flags(parser, getattr(args, "command", None))
        print(f"sdecon: error: {_message(error, flags)}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("sdecon: interrupted", file=sys.stderr)
        return 130
    except _Terminated:
        print("sdecon: terminated (SIGTERM); files being written were removed", file=sys.stderr)
        return 143
    except BrokenPipeError:  # output piped into `head` and the like: stop quietly
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    finally:
        signal.signal(signal.SIGTERM, previous)
    return status or 0  # a handler may return 1 for "ran, and found a problem" (check)


if __name__ == "__main__":
    sys.exit(main())
