"""The posterior of the history-fitted parameters, sampled with emcee.

    post = sdecon.posterior("baseline", steps=8000)      # a Posterior
    post.summary()                                       # median, 5%, 95%, ESS per parameter
    post.save("posterior.json"); sdecon.load_posterior("posterior.json") == post
    sdecon.run("baseline", post.median())

Likelihood: the log residuals r = ln(modelled / observed) of the one observation operator
(`sdecon.observations.log_errors`, each trend-only series' weighted mean removed per run)
are Gaussian and independent, with a noise scale per series: a row of series s and
confidence weight c (`sdecon.data.weights`) has sigma_s / sqrt(c). Each sigma_s has
Jeffreys' prior 1/sigma_s and is integrated out analytically, so the chain samples only the
model's parameters and the likelihood is prod_s S_s^(-n_s / 2), S_s = sum of c r^2 over the
series' rows, n_s their count less one for a trend-only series (its level is fitted).
A series thus counts by how well the model can follow it, not by a weight set by hand.
After sampling, each kept draw gets sigma_s drawn from its conditional posterior,
S_s / sigma_s^2 ~ chi-squared(n_s) (`Posterior.noise`), for predictions.

Priors: uniform within each parameter's bounds, log-uniform where `Parameter.log_scale`
(bounds spanning more than a factor of 100); those are sampled in log space.

Sampling: `emcee.EnsembleSampler(..., vectorize=True)`; emcee's stretch move updates the
ensemble in two halves, each half one engine batch. Walkers start in a small ball around the
committed calibration (the scenario's, when it carries one fitted on the same data and
parameters), else around a quick `sdecon.calibrate`.

Diagnostics: the integrated autocorrelation time per parameter (emcee's estimate, tol=0),
the effective sample size (walkers x kept steps / tau) and the acceptance fraction; a
`PosteriorWarning` when the chain is shorter than 50 autocorrelation times.
"""
from __future__ import annotations

import datetime as _dt
import json
import math
import sys
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from . import data, fit, model, observations, parameter, scenarios
from ._version import __version__
from .calibration import load_calibration
from .errors import SdeconError, check_seed, closest, whole
from .output import check_writable, read_json, write_all

#: A chain shorter than this many autocorrelation times draws a warning.
MIN_TAU_LENGTHS = 50
#: Relative size of the ball the walkers start in (of each parameter's search range).
BALL = 1e-3


class PosteriorWarning(UserWarning):
    """The chain is too short for its autocorrelation time to be trusted."""


@dataclass
class Posterior:
    """Samples of the posterior of the fitted parameters (`posterior`).

    Attributes
    ----------
    samples : DataFrame
        One row a draw (after burn-in and thinning), one column a parameter, in its units.
    log_probability : ndarray
        The log posterior density of each draw.
    noise : DataFrame
        One row a draw, one column a series: its noise scale sigma_s, the log error of a row
        of confidence weight 1 (a row of weight c has sigma_s / sqrt(c)).
    diagnostics : dict
        ``tau`` and ``ess`` (per parameter), ``acceptance`` (mean fraction),
        ``walkers``, ``steps``, ``burn``, ``thin``, ``seconds``, ``converged``.
    scenario : str
        The scenario whose values the runs used for the parameters not sampled.
    until : int
        The last year of data the likelihood saw.
    seed : int
        The seed of the walkers' start and of the sampler.
    fixed : dict
        The other values the runs used (not saved; `load_posterior` leaves it empty).
    """
    samples: pd.DataFrame
    log_probability: np.ndarray
    noise: pd.DataFrame
    diagnostics: dict
    scenario: str = "baseline"
    until: int = 2024
    seed: int = 0
    fixed: dict = field(default_factory=dict)
    provenance: dict = field(default_factory=dict)
    path: Path | None = None

    def __eq__(self, other) -> bool:
        """Equal when their saved content is (provenance apart)."""
        if not isinstance(other, Posterior):
            return NotImplemented
        return self.fingerprint() == other.fingerprint()

    def fingerprint(self) -> str:
        """SHA-256 of the saved content, provenance apart: the same draws, the same text."""
        import hashlib

        content = self.to_dict()
        for key in ("created", "sdecon_version", "model_hash"):
            content.pop(key)
        return hashlib.sha256(json.dumps(content, sort_keys=True).encode()).hexdigest()

    @property
    def names(self) -> list[str]:
        """The sampled parameters."""
        return list(self.samples.columns)

    def median(self) -> dict[str, float]:
        """The posterior median of each parameter, ready for `sdecon.run`.

        Returns
        -------
        dict
            Parameter name to its median, in its units.
        """
        return {n: float(v) for n, v in self.samples.median().items()}

    def draws(self, n: int, seed: int = 0) -> list[dict[str, float]]:
        """`n` parameter sets drawn (with replacement) from the samples, for predictive runs.

        Parameters
        ----------
        n : int
            How many parameter sets.
        seed : int
            Seed of the draw.

        Returns
        -------
        list of dict
            Each a parameter set: name to value.
        """
        rows = self._rows(n, seed)
        return [{k: float(v) for k, v in self.samples.iloc[i].items()} for i in rows]

    def _rows(self, n: int, seed: int) -> np.ndarray:
        """Which draws `n` seeded picks (with replacement) take."""
        return np.random.default_rng(seed).integers(0, len(self.samples), size=whole(n, "n"))

    def summary(self) -> pd.DataFrame:
        """Median, 5% and 95% quantiles and effective sample size per parameter, and the
        quantiles of each series' noise scale (rows "noise: <series>").

        Returns
        -------
        DataFrame
            Indexed by parameter: ``median``, ``q05``, ``q95``, ``tau``, ``ess``.
        """
        frame = pd.concat([self.samples, self.noise.add_prefix("noise: ")], axis=1)
        table = pd.DataFrame({"median": frame.median(), "q05": frame.quantile(0.05),
                              "q95": frame.quantile(0.95)})
        table["tau"] = [self.diagnostics["tau"].get(n, math.nan) for n in table.index]
        table["ess"] = [self.diagnostics["ess"].get(n, math.nan) for n in table.index]
        return table

    def report(self) -> str:
        """The summary and diagnostics as text."""
        d = self.diagnostics
        lines = [f"Posterior of scenario {self.scenario!r} given data through {self.until} (seed {self.seed})",
                 f"  walkers: {d['walkers']}   steps: {d['steps']}   burn-in: {d['burn']}   "
                 f"thin: {d['thin']}   draws kept: {len(self.samples)}   time: {d['seconds']:.1f} s",
                 f"  mean acceptance fraction: {d['acceptance']:.3f}   "
                 f"longest autocorrelation time: {max(d['tau'].values()):.1f} steps   "
                 f"kept steps / tau: {(d['steps'] - d['burn']) / max(d['tau'].values()):.1f}"
                 + ("" if d["converged"] else f" (below {MIN_TAU_LENGTHS}: NOT CONVERGED)"),
                 "", self.summary().to_string(float_format=lambda x: f"{x:.4g}", na_rep="")]
        return "\n".join(lines)

    def to_dict(self) -> dict:
        """The content `save` writes, as JSON-ready Python objects."""
        return {
            "sdecon_version": __version__, "model_hash": model.model_hash(),
            "created": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
            **self.provenance,
            "scenario": self.scenario, "until": self.until, "seed": self.seed,
            "parameters": list(self.samples.columns),
            "samples": self.samples.to_numpy().tolist(),
            "log_probability": [float(x) for x in self.log_probability],
            "noise_series": list(self.noise.columns),
            "noise": self.noise.to_numpy().tolist(),
            "diagnostics": _jsonable(self.diagnostics),
        }

    def writer(self, path: str | Path):
        """A function writing the posterior as JSON (for `output.write_all`)."""
        check_writable(path, (".json",))
        text = json.dumps(self.to_dict(), allow_nan=False) + "\n"
        return lambda tmp: Path(tmp).write_text(text, encoding="utf-8")

    def save(self, path: str | Path) -> None:
        """Write the posterior as JSON, atomically.

        Parameters
        ----------
        path : str or Path
            A ``.json`` file.
        """
        write_all([(path, self.writer(path))])


def _digits(values) -> np.ndarray:
    """Values to 8 significant figures, as saved: a file a third the size, and a posterior
    equal to the one it loads back as."""
    values = np.asarray(values, dtype=float)
    return np.vectorize(lambda x: float(f"{x:.8g}"), otypes=[float])(values) if values.size else values


def _jsonable(value):
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        return float(value) if math.isfinite(value) else None
    return value


def _restore(value):
    if isinstance(value, dict):
        return {k: _restore(v) for k, v in value.items()}
    return math.nan if value is None else value


def load_posterior(path: str | Path) -> Posterior:
    """The posterior saved in `path` (`Posterior.save`, `sdecon posterior --output`).

    Parameters
    ----------
    path : str or Path
        A JSON file `Posterior.save` wrote.

    Returns
    -------
    Posterior
        Equal to the one saved.

    Raises
    ------
    SdeconError
        One line naming the file when it is missing, not JSON, or not a posterior.
    """
    name = f"posterior file {str(path)!r}"
    path = Path(path)
    content = read_json(path, name)
    try:
        names = list(content["parameters"])
        parameter.validate({n: parameter.parameters()[n].default for n in names}, name) if names else None
        samples = pd.DataFrame(np.asarray(content["samples"], dtype=float).reshape(-1, len(names)),
                               columns=names)
        return Posterior(
            samples=samples, log_probability=np.asarray(content["log_probability"], dtype=float),
            noise=pd.DataFrame(np.asarray(content["noise"], dtype=float).reshape(len(samples), -1),
                               columns=list(content["noise_series"])),
            diagnostics=_restore(content["diagnostics"]),
            scenario=str(content["scenario"]), until=int(content["until"]), seed=int(content["seed"]),
            provenance={k: content[k] for k in ("sdecon_version", "model_hash", "created") if k in content},
            path=path)
    except (KeyError, TypeError, ValueError) as error:
        raise SdeconError(f"{name} is not a posterior sdecon wrote: {error!r}") from None


# --- predictions ------------------------------------------------------------------------

#: The central intervals `intervals` scores, as shares of the predictive distribution.
INTERVALS = (0.5, 0.9)


def predictive(post: Posterior, rows: observations.Observations, *, draws: int = 400, seed: int = 0,
               scenario: str | scenarios.Scenario | None = None, table: pd.DataFrame | None = None
               ) -> np.ndarray:
    """Posterior-predictive draws of data rows: what the model, at parameters drawn from the
    posterior, says each row would be observed as, its noise included.

    A draw takes a parameter set and its series' noise scales from the posterior; the model's
    value at the row (the observation operator, `sdecon.observations.modelled`) has a
    trend-only series' level set, as the likelihood set it, from that draw's errors on the
    rows the posterior saw; and the row gets the likelihood's noise, a log-normal error of
    sigma_s / sqrt(c), c the row's confidence weight. A row of a series the posterior saw no
    row of has no noise scale (NaN).

    Parameters
    ----------
    post : Posterior
        The posterior (its `until` says which rows set the levels).
    rows : Observations
        The rows to predict (`sdecon.fit.select`), seen or not by the posterior.
    draws : int
        Predictive draws.
    seed : int
        Seed of the parameter picks and of the noise.
    scenario : str or Scenario, optional
        Values of the parameters the posterior does not sample (default: the posterior's).
    table : DataFrame, optional
        The data the posterior saw, when not the shipped data.

    Returns
    -------
    ndarray
        Shaped (row, draw), in the rows' units; NaN where the model has no positive value or
        a trend-only series no level.
    """
    values, picks = _drawn(post, scenario, draws, seed)
    return _predictions(post, rows, values, picks, seed, table)[0]


def _drawn(post, scenario, draws: int, seed: int) -> tuple[dict, np.ndarray]:
    """The values of `draws` seeded picks of the posterior's draws (each sampled parameter an
    array, a value a run; the others the scenario's), and the picks."""
    picks = post._rows(draws, seed)
    values = base_values(scenario or post.scenario, post.names)
    values.update({n: post.samples[n].to_numpy()[picks] for n in post.names})
    return values, picks


def _predictions(post, rows, values, picks, seed, table):
    """`predictive`'s draws at `rows` (None: the rows the posterior saw), the factor s of each
    (modelled = s x variable^power), both shaped (row, draw), and the rows."""
    seen = fit.select(until=post.until, table=table)
    raw = fit._raw(values, seen, runs=len(picks))
    levels = observations.levels(raw, seen)
    modelled, rows = (raw, seen) if rows is None else (fit._raw(values, rows, runs=len(picks)), rows)
    factor = np.repeat(rows.table["scale"].to_numpy(float)[:, None], len(picks), axis=1)
    trend_only = rows.table["fit"].to_numpy(bool)
    for series in rows.table.loc[trend_only, "series"].unique():
        at = (rows.table["series"] == series).to_numpy()
        factor[at] = np.exp(-levels[series]) if series in levels else np.nan
        modelled[at] *= factor[at]
    confidence = np.asarray(data.weights(rows.table["confidence"]), dtype=float)
    scale = np.stack([post.noise[name].to_numpy()[picks] if name in post.noise else np.full(len(picks), np.nan)
                      for name in rows.table["series"]])
    sigma = scale / np.sqrt(confidence)[:, None]
    noise = np.random.default_rng([seed, 1]).standard_normal(modelled.shape)
    return modelled * np.exp(sigma * noise), factor, rows


def intervals(predicted: np.ndarray, observed: np.ndarray) -> pd.DataFrame:
    """Each row's central predictive intervals (`INTERVALS`) and whether the observation is inside.

    Parameters
    ----------
    predicted : ndarray
        Draws shaped (row, draw), as `predictive` returns.
    observed : ndarray
        The observed value of each row, in the same units.

    Returns
    -------
    DataFrame
        One row a data row: ``median``, and for each interval p (in percent) ``low_p``,
        ``high_p`` and ``inside_p`` (NaN bounds, and not inside, where the draws are NaN).
    """
    some = np.isfinite(predicted).any(axis=1)
    quantiles = np.full((2 * len(INTERVALS) + 1, len(predicted)), np.nan)
    levels = [0.5] + [q for share in INTERVALS for q in ((1 - share) / 2, (1 + share) / 2)]
    quantiles[:, some] = np.nanquantile(predicted[some], levels, axis=1)
    result = {"median": quantiles[0]}
    for k, share in enumerate(INTERVALS):
        p = round(100 * share)
        low, high = quantiles[1 + 2 * k], quantiles[2 + 2 * k]
        result[f"low_{p}"], result[f"high_{p}"] = low, high
        result[f"inside_{p}"] = (observed >= low) & (observed <= high)
    return pd.DataFrame(result)


def coverage(table: pd.DataFrame) -> pd.DataFrame:
    """Share of the rows of `table` (with `intervals`' ``inside_50``/``inside_90`` and a
    ``series`` column) inside each interval, by series and over all (the last row, ``all``).

    Returns
    -------
    DataFrame
        Indexed by series: ``rows``, ``inside_50``, ``inside_90`` (shares, 0 to 1).
    """
    grouped = table.groupby("series", sort=False)
    result = pd.DataFrame({"rows": grouped.size(), "inside_50": grouped["inside_50"].mean(),
                           "inside_90": grouped["inside_90"].mean()})
    result.loc["all"] = [len(table), table["inside_50"].mean(), table["inside_90"].mean()]
    result["rows"] = result["rows"].astype(int)
    return result


# --- the sampler ------------------------------------------------------------------------

class _Target:
    """Log posterior of points in sample space (the parameters, log where wide), a batch a call."""

    def __init__(self, chosen: scenarios.Scenario, names: list[str], obs: observations.Observations,
                 fixed: dict[str, float]):
        self.problem = fit._Problem(chosen, names, obs, fixed=fixed)
        self.lower, self.upper = self.problem.lower, self.problem.upper
        table = obs.table
        self.confidence = np.asarray(data.weights(table["confidence"]), dtype=float)[:, None]
        # a series' degrees of freedom: its rows, less the level a trend-only series fits
        counts = table.groupby("series", sort=False).agg(rows=("series", "size"), trend=("fit", "any"))
        counts["free"] = counts["rows"] - counts["trend"].astype(int)
        self.series = [s for s in counts.index if counts.at[s, "free"] >= 1]
        self.free = counts.loc[self.series, "free"].to_numpy(float)
        self.rows = [(table["series"] == s).to_numpy() for s in self.series]
        self.runs = 0

    def squares(self, x: np.ndarray) -> np.ndarray:
        """S_s = sum of c r^2 per series (series, point) for parameters x shaped (parameter,
        point); inf where a run fails."""
        values = dict(self.problem.base)
        values.update(zip(self.problem.names, self.problem.decode(x)))
        raw = fit._raw(values, self.problem.obs, runs=x.shape[1])
        self.runs += x.shape[1]
        r = observations.log_errors(raw, self.problem.obs)
        weighted = self.confidence * r ** 2
        squares = np.stack([weighted[rows].sum(0) for rows in self.rows])
        return np.where(np.isfinite(r).all(0)[None, :], squares, np.inf)

    def __call__(self, coords: np.ndarray) -> np.ndarray:
        coords = np.atleast_2d(coords)
        inside = ((coords >= self.lower) & (coords <= self.upper)).all(1)
        result = np.full(len(coords), -np.inf)
        if inside.any():
            with np.errstate(divide="ignore", invalid="ignore"):
                ll = -0.5 * (self.free[:, None] * np.log(self.squares(coords[inside].T))).sum(0)
            result[inside] = np.where(np.isfinite(ll), ll, -np.inf)
        return result  # flat prior in sample space: the log prior is a constant inside

    def noise(self, x: np.ndarray, seed: int) -> pd.DataFrame:
        """sigma_s for each point, drawn from its conditional posterior: S_s / chi2(n_s)."""
        squares = self.squares(x)
        chi2 = np.random.default_rng([seed, 2]).chisquare(self.free[:, None], size=squares.shape)
        return pd.DataFrame(np.sqrt(squares / chi2).T, columns=self.series)


def _stale(chosen: scenarios.Scenario, names) -> dict[str, float]:
    """The parameters a previous calibration of the scenario set and this posterior does not
    sample, back at their defaults (as `sdecon.calibrate` does): that fit must not leak in."""
    free = parameter.parameters()
    stale = load_calibration(chosen.calibration).parameters if chosen.calibration else {}
    return {n: free[n].default for n in stale if n not in names}


def base_values(scenario: str | scenarios.Scenario = "baseline", params=None) -> dict[str, float]:
    """The values a posterior's runs use for the parameters it does not sample: the
    scenario's, with those its calibration set back at their defaults.

    Parameters
    ----------
    scenario : str or Scenario
        The scenario.
    params : sequence of str, optional
        The sampled parameters (default `sdecon.fit.DEFAULT_PARAMETERS`).

    Returns
    -------
    dict
        Every value the scenario sets, as the posterior's runs see them.
    """
    chosen = scenario if isinstance(scenario, scenarios.Scenario) else scenarios.load(scenario)
    return {**chosen.values, **_stale(chosen, list(params or fit.DEFAULT_PARAMETERS))}


def _start(chosen, names, until, seed, observations_table):
    """The point the walkers start around: the scenario's calibration when it was fitted on
    these data and covers these parameters, else a quick fit."""
    if chosen.calibration and observations_table is None:
        committed = load_calibration(chosen.calibration)
        if committed.until == until and all(n in committed.parameters for n in names):
            return {n: committed.parameters[n] for n in names}, "calibration " + Path(chosen.calibration).name
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", fit.CalibrationWarning)
        quick = fit.calibrate(chosen, until=until, params=names, seed=seed, maxiter=15, popsize=5,
                              observations_table=observations_table)
    return dict(quick.parameters), "a quick fit"


def posterior(scenario: str | scenarios.Scenario = "baseline", *, until: int = 2024,
              params: list[str] | tuple[str, ...] | None = None, walkers: int | None = None,
              steps: int = 8000, burn: int | None = None, seed: int = 0, progress: bool | None = None,
              observations_table: pd.DataFrame | None = None, start: dict[str, float] | None = None
              ) -> Posterior:
    """Sample the posterior of the fitted parameters given the historical data through `until`.

    Parameters
    ----------
    scenario : str or Scenario
        The scenario giving the values of the parameters not sampled.
    until : int
        The last calendar year of data the likelihood sees.
    params : sequence of str, optional
        The parameters sampled (default `sdecon.fit.DEFAULT_PARAMETERS`), each with a range.
    walkers : int, optional
        Walkers of the ensemble, at least 2 x parameters (default 4 x parameters, at least 8).
    steps : int
        Steps of each walker, burn-in included.
    burn : int, optional
        Steps discarded at the start (default a quarter of `steps`).
    seed : int
        Seed of the walkers' start and of the sampler, 0 to 2**32 - 1.
    progress : bool, optional
        Show emcee's progress bar (default: when stderr is a terminal).
    observations_table : DataFrame, optional
        Rows in the data's format (`sdecon.data.load()`) instead of the shipped data.
    start : dict, optional
        Values of the sampled parameters the walkers start around (default: the scenario's
        calibration when it was fitted on these data, else a quick `sdecon.calibrate`).

    Returns
    -------
    Posterior
        The draws after burn-in and thinning, their log probability and noise scale, and
        the diagnostics (autocorrelation times, effective sample sizes, acceptance).

    Raises
    ------
    SdeconError
        One line starting with the argument at fault.

    Warns
    -----
    PosteriorWarning
        When the chain is shorter than 50 autocorrelation times of some parameter.
    """
    import emcee

    started = time.perf_counter()
    seed = check_seed(seed)
    steps = whole(steps, "steps")
    names = list(params or fit.DEFAULT_PARAMETERS)
    free = {n: p for n, p in parameter.parameters().items() if not p.fixed}
    for n in names:
        if n not in free:
            raise SdeconError(f"params {n!r}{closest(n, list(free))} is not a parameter with a range "
                              "('sdecon params')", argument="params")
    if len(set(names)) != len(names):
        raise SdeconError(f"params names a parameter more than once; give each once: {names}", argument="params")
    ndim = len(names)
    walkers = max(8, 4 * ndim) if walkers is None else whole(walkers, "walkers", 2 * ndim)
    burn = steps // 4 if burn is None else burn
    if isinstance(burn, bool) or not isinstance(burn, (int, np.integer)) or not 0 <= burn < steps:
        raise SdeconError(f"burn {burn!r} must be a whole number from 0 to steps - 1 ({steps - 1})",
                          argument="burn")
    chosen = scenario if isinstance(scenario, scenarios.Scenario) else scenarios.load(scenario)
    obs = fit.select(until=until, table=observations_table)
    target = _Target(chosen, names, obs, _stale(chosen, names))
    if start is None:
        start, origin = _start(chosen, names, until, seed, observations_table)
    else:
        missing = [n for n in names if n not in start]
        if missing:
            raise SdeconError(f"start lacks {', '.join(map(repr, missing))}; give every sampled parameter",
                              argument="start")
        start, origin = parameter.validate({n: start[n] for n in names}, "start"), "the given start"
    centre = target.problem.encode([start[n] for n in names])
    span = target.upper - target.lower
    rng = np.random.default_rng(seed)
    inner_low, inner_high = target.lower + BALL * span, target.upper - BALL * span
    centre = np.clip(centre, inner_low, inner_high)
    p0 = np.clip(centre + BALL * span * rng.standard_normal((walkers, ndim)), target.lower, target.upper)

    if progress is None:
        progress = sys.stderr.isatty()
    sampler = emcee.EnsembleSampler(walkers, ndim, target, vectorize=True)
    sampler.random_state = np.random.RandomState(seed).get_state()  # emcee's own draws, seeded
    sampler.run_mcmc(p0, steps, progress=bool(progress))

    tau = np.asarray(sampler.get_autocorr_time(tol=0, discard=burn), dtype=float)
    finite = tau[np.isfinite(tau)]
    thin = max(1, int(0.5 * finite.max())) if len(finite) else 1  # draws about as many as the ESS
    chain = sampler.get_chain(discard=burn, thin=thin, flat=True)
    log_prob = sampler.get_log_prob(discard=burn, thin=thin, flat=True)
    kept = steps - burn
    ess = walkers * kept / tau
    labels = names
    converged = bool(len(finite) == ndim and kept >= MIN_TAU_LENGTHS * finite.max())
    values = target.problem.decode(chain.T).T
    diagnostics = {
        "tau": dict(zip(labels, map(float, tau))), "ess": dict(zip(labels, map(float, ess))),
        "acceptance": float(np.mean(sampler.acceptance_fraction)), "walkers": walkers, "steps": steps,
        "burn": int(burn), "thin": thin, "runs": target.runs, "start": origin,
        "seconds": time.perf_counter() - started, "converged": converged,
    }
    if not converged:
        warnings.warn(f"the chain of {kept} steps after burn-in is shorter than {MIN_TAU_LENGTHS} autocorrelation "
                      f"times (longest {np.nanmax(tau):.1f} steps); run more steps before trusting "
                      "the intervals", PosteriorWarning, stacklevel=2)
    return Posterior(samples=pd.DataFrame(_digits(values), columns=names), log_probability=_digits(log_prob),
                     noise=target.noise(chain.T, seed).apply(_digits), diagnostics=diagnostics, scenario=chosen.name,
                     until=until, seed=seed, fixed=dict(target.problem.base))
