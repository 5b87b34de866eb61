"""`sdecon sweep`: its parser and handler."""
from __future__ import annotations

import argparse
import math
import sys

from ..errors import SdeconError
from .design import BATCH_SIZE, INDEX_YEARS, METHODS
from .executors import DaskExecutor, LocalExecutor


def add_parser(commands) -> argparse.ArgumentParser:
    """Add `sdecon sweep` to an argparse subparsers object (its handler: `handle`)."""
    sweep_parser = commands.add_parser(
        "sweep", help="many runs over uncertain parameters: percentile bands and sensitivity indices",
        description="Run a sweep: sample the uncertain parameters (SALib), run the batch engine "
                    "on this machine's cores or a Dask cluster, write runs, percentile bands, "
                    "sensitivity indices and figures to DIR. See docs/sweep.md.")
    sweep_parser.add_argument("--scenario", default="baseline",
                              help="scenario giving the parameters not varied (default: baseline)")
    sweep_parser.add_argument("--method", required=True, choices=METHODS,
                              help="mc (Monte Carlo), lhs (Latin hypercube), sobol (Sobol' indices), "
                                   "morris (elementary effects)")
    sweep_parser.add_argument("--samples", required=True, type=_whole, metavar="N",
                              help="runs for mc and lhs; base samples for sobol (a power of 2; "
                                   "N (D+2) runs); trajectories for morris (N (D+1) runs)")
    sweep_parser.add_argument("--vary", action="append", metavar='"NAME=LOW:HIGH[:DIST]"',
                              help="vary a parameter; DIST uniform (default), loguniform, normal or "
                                   "triangular; repeatable; without it, the default uncertainty set")
    sweep_parser.add_argument("--seed", type=int, default=0, help="random seed (default: 0)")
    sweep_parser.add_argument("--year", type=int, action="append", dest="years", metavar="YEAR",
                              help="a year for the sensitivity indices; repeatable "
                                   f"(default: {' '.join(map(str, INDEX_YEARS))})")
    sweep_parser.add_argument("--batch-size", type=_whole, default=BATCH_SIZE, metavar="RUNS",
                              help=f"runs a batch (default: {BATCH_SIZE})")
    sweep_parser.add_argument("--workers", type=int, metavar="N",
                              help="local worker processes (default: one a core)")
    sweep_parser.add_argument("--cluster", metavar="ADDRESS",
                              help="a Dask scheduler, e.g. tcp://HOST:8786 (default: this machine)")
    sweep_parser.add_argument("--resume", action="store_true",
                              help="finish an interrupted sweep in DIR without recomputing its batches")
    sweep_parser.add_argument("--no-figures", action="store_false", dest="figures",
                              help="skip the PNG figures")
    sweep_parser.add_argument("--output", required=True, metavar="DIR",
                              help="directory to write (new or empty, unless --resume)")
    sweep_parser.set_defaults(handler=handle)
    return sweep_parser


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


def handle(args) -> None:
    """Run `sdecon sweep` from parsed arguments; errors are SdeconError (one line)."""
    from . import _plural, sweep

    def log(message: str) -> None:
        print(message, file=sys.stderr)

    if args.cluster is not None and args.workers is not None:
        raise SdeconError("workers is for local runs; a cluster has its own workers", argument="workers")
    executor = DaskExecutor(args.cluster) if args.cluster is not None else LocalExecutor(args.workers)
    with executor:
        result = sweep(args.scenario, method=args.method, samples=args.samples, vary=args.vary,
                       seed=args.seed, years=args.years or INDEX_YEARS, batch_size=args.batch_size,
                       output=args.output, resume=args.resume, figures=args.figures,
                       executor=executor, log=log)
    done = f"computed {_plural(result.computed, 'batch')}" + (f", {result.skipped} on disk" if result.skipped else "")
    log(f"wrote {args.output}: {result.manifest['runs']:,} runs ({done}); summary_bands.csv, "
        f"indices.csv" + (", figures/" if args.figures else ""))
