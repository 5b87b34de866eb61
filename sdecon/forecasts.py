"""Forecast bands: the range of futures consistent with the history, from the posterior.

    fc = sdecon.forecast("baseline")               # the shipped posterior, 400 draws
    fc.bands                                       # percentiles of every public variable, 2015-2050
    fc.coverage()                                  # share of the 2015-2024 data inside the 50% and 90% bands
    fc.save("forecasts/baseline"); sdecon.load_forecast("forecasts/baseline") == fc
    sdecon.plotting.plot_forecast(fc, "Datacenter Capex")

Each draw takes a parameter set and its noise scale from the posterior of the history-fitted
parameters (`sdecon.posterior`); the scenario sets everything else (its assumptions about the
future). `bands` are percentiles over the draws of each public variable: the uncertainty the
history leaves in the model, not the spread of assumptions about the future (that is what a
sweep varies). `history` holds the data rows the posterior saw, each with its posterior-
predictive interval (the model at the draws, the likelihood's noise added,
`sdecon.posteriors.predictive`): the check that the bands respect the history.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from . import engine, model, posteriors, scenarios
from ._version import __version__
from .errors import SdeconError, check_seed, whole
from .sweeps.sketch import PERCENTILES

#: The posterior the package ships: the baseline's, given the data through 2024.
SHIPPED_POSTERIOR = Path(__file__).parent / "calibrations" / "baseline-2024-posterior.json"
#: Columns of `Forecast.history`.
HISTORY_COLUMNS = ["series", "label", "year", "time", "variable", "unit", "observed", "as_variable", "median",
                   "low_50", "high_50", "inside_50", "low_90", "high_90", "inside_90"]
_FILES = ("forecast.json", "bands.csv", "history.csv")
#: `forecast`'s draws from the posterior by default, and their seed.
SAMPLES, SEED = 400, 0


@dataclass
class Forecast:
    """The result of `forecast`.

    Attributes
    ----------
    scenario : str
        The scenario whose assumptions about the future the draws share.
    bands : DataFrame
        One row a variable and year: ``variable``, ``unit``, ``year``, ``runs``, ``p5`` ...
        ``p95`` (percentiles over the draws, in the variable's units).
    history : DataFrame
        One row a data row the posterior saw (`HISTORY_COLUMNS`): ``observed`` in its unit,
        ``as_variable`` the same in the model variable's units (its scale and level taken
        out, at the draws' median), the predictive ``median``, ``low_50``/``high_50`` and
        ``low_90``/``high_90`` bounds, and whether the observation is inside each.
    samples : int
        Draws from the posterior.
    seed : int
        Seed of the draws.
    posterior : dict
        Where the posterior came from: ``path``, ``scenario``, ``until``.
    """
    scenario: str
    bands: pd.DataFrame
    history: pd.DataFrame
    samples: int
    seed: int
    posterior: dict = field(default_factory=dict)

    def __eq__(self, other) -> bool:
        if not isinstance(other, Forecast):
            return NotImplemented
        return (self._meta() == other._meta()
                and _same(self.bands, other.bands) and _same(self.history, other.history))

    def coverage(self) -> pd.DataFrame:
        """Share of the data rows inside their 50% and 90% predictive intervals, by series and
        over all rows (the last row, ``all``).

        Returns
        -------
        DataFrame
            Indexed by series: ``rows``, ``inside_50``, ``inside_90`` (shares, 0 to 1).
        """
        return posteriors.coverage(self.history)

    def report(self, years=(2024, 2030, 2040, 2050)) -> str:
        """The median and 90% band of the key variables in a few years, and the coverage, as text."""
        from .report.content import KEY_VARIABLES, _band_scale, _key_value

        table = {}
        for variable in KEY_VARIABLES:
            rows = self.bands[self.bands["variable"] == variable].set_index("year")
            factor, unit = _band_scale(self.bands, variable)      # the price as its index
            value = {y: {c: _key_value(variable, factor * rows.at[y, c]) for c in ("p50", "p5", "p95")}
                     for y in years if y in rows.index}
            table[f"{variable} ({unit})"] = {str(y): f"{v['p50']} ({v['p5']} to {v['p95']})" for y, v in value.items()}
        lines = [f"Forecast of scenario {self.scenario!r}: {self.samples} draws from the posterior given data "
                 f"through {self.posterior.get('until')} ({self.posterior.get('path') or 'in memory'})", "",
                 "Median (90% band):", pd.DataFrame(table).T.to_string(), "",
                 "Data the posterior saw, inside the predictive intervals:",
                 self.coverage().to_string(float_format=lambda x: f"{x:.0%}")]
        return "\n".join(lines)

    def _meta(self) -> dict:
        return {"scenario": self.scenario, "samples": self.samples, "seed": self.seed,
                "posterior": self.posterior}

    def save(self, directory: str | Path) -> list[Path]:
        """forecast.json (the settings), bands.csv and history.csv into `directory`, all or none.

        Parameters
        ----------
        directory : str or Path
            A directory, or a new one in an existing folder.

        Returns
        -------
        list of Path
            The files written.
        """
        from .backtesting import output_directory
        from .output import write_directory

        directory = output_directory(directory)
        meta = json.dumps({"sdecon_version": __version__, "model_hash": model.model_hash(), **self._meta()},
                          indent=1) + "\n"
        return write_directory(directory, [
            (directory / "forecast.json", lambda tmp: Path(tmp).write_text(meta, encoding="utf-8")),
            (directory / "bands.csv", lambda tmp: self.bands.to_csv(tmp, index=False)),
            (directory / "history.csv", lambda tmp: self.history.to_csv(tmp, index=False))])


def _same(a: pd.DataFrame, b: pd.DataFrame) -> bool:
    try:
        pd.testing.assert_frame_equal(a.reset_index(drop=True), b.reset_index(drop=True), check_dtype=False,
                                      rtol=1e-12)
    except AssertionError:
        return False
    return True


def load_forecast(directory: str | Path) -> Forecast:
    """The forecast `Forecast.save` (or ``sdecon forecast --output``) wrote to `directory`.

    Parameters
    ----------
    directory : str or Path
        The directory.

    Returns
    -------
    Forecast
        Equal to the one saved.
    """
    directory = Path(directory)
    missing = [name for name in _FILES if not (directory / name).is_file()]
    if missing:
        raise SdeconError(f"forecast directory {str(directory)!r} lacks {', '.join(missing)}; "
                          "expected what 'sdecon forecast --output' writes")
    try:
        meta = json.loads((directory / "forecast.json").read_text(encoding="utf-8"))
        history = pd.read_csv(directory / "history.csv")
        for column in ("inside_50", "inside_90"):
            history[column] = history[column].astype(bool)
        history["label"] = history["label"].fillna("")  # CSV reads an empty label as missing
        return Forecast(scenario=meta["scenario"], bands=pd.read_csv(directory / "bands.csv"), history=history,
                        samples=int(meta["samples"]), seed=int(meta["seed"]), posterior=meta["posterior"])
    except (ValueError, KeyError, TypeError, pd.errors.ParserError) as error:  # a damaged file
        text = " ".join(str(error).split())[:200]
        raise SdeconError(f"forecast directory {str(directory)!r} cannot be read: {text}; expected what "
                          "'sdecon forecast --output' writes") from None


def forecast(scenario: str | scenarios.Scenario = "baseline",
             posterior: str | Path | posteriors.Posterior | None = None, *, samples: int = SAMPLES,
             seed: int = SEED) -> Forecast:
    """Posterior-predictive bands of every public variable, and their check against the history.

    Parameters
    ----------
    scenario : str or Scenario
        The assumptions about the future every draw shares.
    posterior : str, Path or Posterior, optional
        The posterior of the history-fitted parameters (``sdecon posterior --output``);
        default the one the package ships, the baseline's given the data through 2024.
    samples : int
        Draws from the posterior (with replacement), at least 20.
    seed : int
        Seed of the draws and of the predictive noise.

    Returns
    -------
    Forecast
        ``bands`` per variable and year, ``history`` with each data row's predictive
        intervals, ``coverage()``.
    """
    samples = whole(samples, "samples", 20)  # percentiles of fewer draws mean little
    seed = check_seed(seed)
    if posterior is None:
        posterior = SHIPPED_POSTERIOR
    post = posterior if isinstance(posterior, posteriors.Posterior) else posteriors.load_posterior(posterior)
    chosen = scenario if isinstance(scenario, scenarios.Scenario) else scenarios.load(scenario)

    values, picks = posteriors._drawn(post, chosen, samples, seed)
    batch = engine.run(values, runs=samples, variables=model.PUBLIC_VARIABLES)
    units = model.documentation()["Units"]
    rows = []
    for variable in model.PUBLIC_VARIABLES:
        quantiles = np.percentile(batch.values[variable], PERCENTILES, axis=1)
        for j, year in enumerate(batch.years):
            rows.append([variable, str(units[variable]), int(round(year)), samples, *quantiles[:, j]])
    bands = pd.DataFrame(rows, columns=["variable", "unit", "year", "runs", *(f"p{p}" for p in PERCENTILES)])

    predicted, factor, seen = posteriors._predictions(post, None, values, picks, seed, None)
    table = seen.table
    scored = posteriors.intervals(predicted, table["observed"].to_numpy())
    with np.errstate(all="ignore"):
        as_variable = (table["observed"].to_numpy()[:, None] / factor) ** (1 / table["power"].to_numpy()[:, None])
    history = table[["series", "label", "year", "time", "variable", "unit", "observed"]].assign(
        label=table["label"].fillna("").astype(str), as_variable=np.nanmedian(as_variable, axis=1),
        **{c: scored[c].to_numpy() for c in scored})
    return Forecast(scenario=chosen.name, bands=bands, history=history[HISTORY_COLUMNS], samples=samples,
                    seed=seed, posterior={"path": str(post.path) if post.path else None,
                                          "scenario": post.scenario, "until": post.until})
