"""Backtests: calibrate on the data up to an origin, forecast the years after, score the forecast.

A forecaster asks this of a model before trusting it. For each origin year, the model is
fitted (`sdecon.calibrate`) to the data through that year only, as if it were
then; its run is compared with the data of the later years it did not see
(`sdecon.fit.out_of_sample`, the same observation operator as the fit's). The errors are
reported by series and horizon (years after the origin), as log errors ln(modelled /
observed) and as the share of observations within 30% of the data.

    result = sdecon.backtest(origins=(2021, 2022, 2023), horizon=2)
    result.summary()                    # errors by series and horizon
    sdecon.plotting.plot_backtest(result, "global_datacenter_capex_delloro")  # every origin's forecast
"""
from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from . import calibration, fit, model, plotting, posteriors, scenarios
from .errors import SdeconError

#: Origins of the default backtest: each leaves at least one year of data to forecast.
DEFAULT_ORIGINS = (2019, 2020, 2021, 2022, 2023)
#: A forecast "holds" when it is within this share of the observation.
WITHIN = 0.30
LAST_DATA_YEAR = 2024


@dataclass
class Backtest:
    """The result of `backtest`: every held-out observation with its forecast, and the fits."""
    origins: tuple[int, ...]
    horizon: int | None
    errors: pd.DataFrame          # origin, horizon, series, label, year, time, observed, modelled, log_error
    fits: dict[int, calibration.Calibration] = field(default_factory=dict)
    paths: pd.DataFrame | None = None  # origin, series, time, modelled: each fit's run, all years
    posterior: str | None = None       # where the posterior came from, when the forecast is predictive

    def coverage(self) -> pd.DataFrame:
        """Share of the held-out observations inside their 50% and 90% predictive intervals,
        by series and over all (``all``); only for a backtest from a posterior.

        Returns
        -------
        DataFrame
            Indexed by series: ``rows``, ``inside_50``, ``inside_90`` (shares, 0 to 1).
        """
        if "inside_90" not in self.errors:
            raise SdeconError("coverage needs predictive intervals: run the backtest with a posterior")
        return posteriors.coverage(self.errors)

    def summary(self) -> pd.DataFrame:
        """Errors by series and horizon: observations, mean and RMS log error, median
        absolute percentage error, and the share within 30% of the data."""
        table = self.errors.assign(ratio_error=np.abs(np.exp(self.errors["log_error"]) - 1))
        grouped = table.groupby(["series", "horizon"])
        return pd.DataFrame({
            "observations": grouped.size(),
            "mean_log_error": grouped["log_error"].mean(),
            "rms_log_error": grouped["log_error"].apply(lambda e: math.sqrt((e ** 2).mean())),
            "median_abs_pct_error": grouped["ratio_error"].median() * 100,
            "share_within_30pct": grouped["ratio_error"].apply(lambda e: (e <= WITHIN).mean()),
        }).reset_index()

    def next_year(self) -> pd.DataFrame:
        """Each origin's forecast of the first year after it, by series: observed, modelled,
        and the error as a ratio (modelled / observed - 1)."""
        table = self.errors[self.errors["horizon"] == 1]
        table = table.groupby(["origin", "series"], as_index=False).agg(
            year=("year", "first"), observed=("observed", "sum"), modelled=("modelled", "sum"))
        table["error"] = table["modelled"] / table["observed"] - 1
        return table


def backtest(origins: Sequence[int] | None = None, horizon: int | None = None, *,
             scenario: str | scenarios.Scenario = "baseline", params: Sequence[str] | None = None,
             seed: int = 0, maxiter: int = 40, popsize: int = 8,
             table: pd.DataFrame | None = None, posterior=None, draws: int = 400) -> Backtest:
    """Calibrate on the data through each origin and score the forecast of the years after;
    or, given a posterior, score its predictive intervals of the years after its data.

    Parameters
    ----------
    origins : sequence of int, optional
        Years whose data end each fit, from 2017 to 2023 (default `DEFAULT_ORIGINS`).
    horizon : int, optional
        Years scored after each origin (default: all to the last data year, 2024).
    scenario, params, seed, maxiter, popsize
        As `sdecon.calibrate`'s.
    table : DataFrame, optional
        Rows in the data's format (`sdecon.data.load()`) instead of the shipped data.
    posterior : str, Path or Posterior, optional
        A posterior given the data through an origin (``sdecon posterior --until YEAR``):
        then the origin is its year, nothing is fitted, and each held-out row gets its
        posterior-predictive median and 50% and 90% intervals (`sdecon.posteriors.predictive`).
    draws : int
        Predictive draws, with a posterior.

    Returns
    -------
    Backtest
        `.errors` (one row a held-out observation), `.fits` (a Calibration per origin),
        `.summary()` by series and horizon, `.next_year()`; with a posterior, `.coverage()`.
    """
    if horizon is not None and horizon < 1:
        raise SdeconError(f"horizon {horizon} must be at least 1 year", argument="horizon")
    if posterior is not None:
        if origins is not None:
            raise SdeconError("origins: a backtest from a posterior starts where its data end; give "
                              "origins or a posterior, not both", argument="origins")
        return _predictive(posterior, horizon, scenario, draws, seed, table)
    origins = DEFAULT_ORIGINS if origins is None else origins
    origins = tuple(sorted({int(o) for o in origins}))
    if not origins:
        raise SdeconError("origins: expected at least one year, e.g. 2021,2022,2023", argument="origins")
    start = int(model.defaults()["INITIAL TIME"])  # the first year a fit can see
    first = start + 2
    for origin in origins:
        if not first <= origin < LAST_DATA_YEAR:
            raise SdeconError(f"origins: {origin} is outside the years a backtest can use: expected "
                              f"{first} to {LAST_DATA_YEAR - 1} (some data to fit before it, some "
                              f"to forecast after it)", argument="origins")
    frames, fits, paths = [], {}, []
    for origin in origins:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", fit.CalibrationWarning)
            result = fit.calibrate(scenario, until=origin, params=params, seed=seed,
                                   maxiter=maxiter, popsize=popsize, observations_table=table)
        fits[origin] = result
        # One run per origin, seen through the observation operator at every data row: the
        # rows after the origin are the held-out ones, the whole is the figure's path.
        seen = fit.out_of_sample(result, since=start, until=LAST_DATA_YEAR, table=table)
        frames.append(_held_out(seen, origin, horizon))
        paths.append(_path(seen, origin))
    errors = pd.concat(frames, ignore_index=True)
    return Backtest(origins, horizon, errors, fits, pd.concat(paths, ignore_index=True))


def _predictive(posterior, horizon, scenario, draws, seed, table) -> Backtest:
    post = posterior if isinstance(posterior, posteriors.Posterior) else posteriors.load_posterior(posterior)
    origin = post.until
    if not origin < LAST_DATA_YEAR:
        raise SdeconError(f"posterior: its data run through {origin}, leaving no later year to score; "
                          f"sample one with --until before {LAST_DATA_YEAR}", argument="posterior")
    rows = fit.select(until=LAST_DATA_YEAR, table=table)
    predicted = posteriors.predictive(post, rows, draws=draws, seed=seed, scenario=scenario, table=table)
    scored = posteriors.intervals(predicted, rows.table["observed"].to_numpy())
    frame = rows.table[["series", "label", "year", "time", "observed", "unit", "weight"]].reset_index(drop=True)
    frame.insert(5, "modelled", scored["median"])
    frame.insert(6, "log_error", np.log(scored["median"] / frame["observed"]))
    # a trend-only series with no row through the origin has no level to predict with
    frame = pd.concat([frame, scored.drop(columns="median")], axis=1)[np.isfinite(scored["median"])]
    return Backtest((origin,), horizon, _held_out(frame, origin, horizon), {}, _path(frame, origin),
                    posterior=str(post.path) if post.path else "in memory")


def _held_out(seen: pd.DataFrame, origin: int, horizon: int | None) -> pd.DataFrame:
    """The rows after `origin` (within `horizon` years, when given), with their origin and horizon."""
    until = LAST_DATA_YEAR if horizon is None else min(LAST_DATA_YEAR, origin + horizon)
    held_out = seen[(seen["time"] >= origin + 1) & (seen["time"] < until + 1)].copy()
    held_out.insert(0, "origin", origin)
    held_out.insert(1, "horizon", np.floor(held_out["time"] - origin).astype(int).clip(lower=1))
    return held_out.reset_index(drop=True)


def _path(seen: pd.DataFrame, origin: int) -> pd.DataFrame:
    """Every row's modelled value from one origin: the figure's path."""
    return seen.assign(origin=origin)[["origin", "series", "label", "time", "observed", "modelled"]]


def write(result: Backtest, directory: str | Path) -> list[Path]:
    """errors.csv, summary.csv, next_year.csv and a figure per series (PNG) into `directory`,
    all or none."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from .output import write_directory
    directory = output_directory(directory)
    outputs = [(directory / "errors.csv", lambda tmp: result.errors.to_csv(tmp, index=False)),
               (directory / "summary.csv", lambda tmp: result.summary().to_csv(tmp, index=False)),
               (directory / "next_year.csv", lambda tmp: result.next_year().to_csv(tmp, index=False))]
    if result.posterior is not None:
        outputs.append((directory / "coverage.csv", lambda tmp: result.coverage().to_csv(tmp)))
    for series in sorted(result.paths["series"].unique()):
        def draw(tmp, series=series):
            figure, ax = plt.subplots(figsize=(7, 4), layout="tight")
            try:
                plotting.plot_backtest(result, series, ax=ax)
                plotting.add_source(figure)
                figure.savefig(tmp, format="png", dpi=110)
            finally:
                plt.close(figure)
        outputs.append((directory / f"{series}.png", draw))
    return write_directory(directory, outputs)


def output_directory(directory: str | Path) -> Path:
    """`directory` if it can be written: a directory, or a new one in an existing folder."""
    directory = Path(directory)
    parent = directory.parent if str(directory.parent) else Path(".")
    if directory.exists() and not directory.is_dir():
        raise SdeconError(f"output {str(directory)!r} exists and is not a directory", argument="output")
    if not parent.is_dir():
        raise SdeconError(f"cannot write {str(directory)!r}: folder {str(parent)!r} does not exist")
    return directory
