"""Fitting parameters to the historical data by weighted least squares on log residuals.

    fit = sdecon.calibrate("baseline", until=2021)     # a sdecon.Calibration

Residuals, weights and the levels of trend-only series are those of the one observation
operator (`sdecon.observations`): a residual is ln(modelled / observed), weighted by its
confidence over its series' row count; a trend-only series has its weighted mean removed,
and the fit records that level for every trend-only series in the data through `until`.

The search is global, then local, and all of it runs on the batch engine:
1. scipy's differential evolution, a whole population per engine call (`vectorized`);
2. scipy's `least_squares` (trust-region reflective, within bounds) from the best point so
   far, with each Jacobian computed as one batch.
The best point evaluated is the answer, never merely the last one tried. Parameters whose
bounds span more than two orders of magnitude are searched in log space.

Standard errors come from the Jacobian at the best point, cov = s^2 (J'J)^-1 with
s^2 = sum of squared weighted residuals / (observations - parameters), as lmfit reports
them; a parameter the data cannot pin down (relative standard error above 1, or residuals
that do not depend on it) is named in a warning. Strong correlations (above 0.8) are listed
in the report.
"""
from __future__ import annotations

import math
import time
import warnings

import numpy as np
import pandas as pd
from scipy import optimize

from . import engine, model, observations, parameter, scenarios
from .calibration import Calibration, load_calibration
from .errors import SdeconError, check_seed, closest

#: Parameters fitted by default: those the 2015-2024 history speaks to. Left out because
#: the history cannot tell them apart from these (the fit drove them to a bound with no
#: standard error to speak of): Initial AI Spending Growth, the Bass coefficients of
#: generative-AI adoption, Coverage Slope, Capability Midpoint, Model Generation Time,
#: Capacity Adjustment Time and Demand Trend Time keep their sourced defaults.
DEFAULT_PARAMETERS = (
    "AI Share of Addressable Spending at Base Year",  # level of AI demand
    "Historical Elasticity of Substitution",
    "Conventional Datacenter Capex Share of GDP",
    "Cloud Shift Rate",                  # conventional capex growing faster than GDP
    "Generative AI Demand Shift",        # how far generative AI raised demand
    "Largest Run Share at Base Year",
    "Frontier Concentration Rate",       # the largest run's growing share of training
    "Historical Max AI Capex Growth Rate",  # how fast the build-out followed demand
)
#: Series fitted by default: one of each group of overlapping series (the fiscal-year
#: NVIDIA rows, not also the quarters that sum to them; the derived big-4 total, not also
#: the partial one with finance leases).
FIT_SERIES = (
    "hyperscaler_capex_big4_calendar_year",
    "global_datacenter_capex_delloro",
    "nvidia_datacenter_revenue_fiscal_year",
    "training_cost_amortized_hw_energy",
    "max_training_compute_of_year",
    "cheapest_price_at_or_above_GPT-3.5_level_on_MMLU",
    "world_gdp_nominal",
)
#: The project's calibration, fitted on the data through 2024; the baseline scenario uses it.
IDENTIFIED_RELATIVE_ERROR = 1.0




class CalibrationWarning(UserWarning):
    """The data cannot identify some fitted parameters."""


def select(until: int | None = 2024, since: int | None = None, table: pd.DataFrame | None = None,
           series=FIT_SERIES) -> observations.Observations:
    """The mapped data rows the fit compares: within the model's years, through `until`
    (model time before until + 1), from `since`; `series` None for every mapped series."""
    defaults = model.defaults()
    obs = observations.select(table, first=defaults["INITIAL TIME"], last=defaults["FINAL TIME"],
                              since=since, until=until, series=series)
    if obs.table.empty:
        raise SdeconError(f"no mapped observations between {since or defaults['INITIAL TIME']:g} and {until}")
    return obs


def _raw(values: dict[str, float] | dict[str, np.ndarray], obs, runs: int = 1) -> np.ndarray:
    """Model values at the observations (observation, run), trend-only levels not applied."""
    batch = engine.run(values, runs=runs, final_time=math.ceil(obs.arrays.time.max()) + 1,
                       variables=obs.variables)
    return observations.modelled(batch.values, batch.years, obs)


# --- the fit ----------------------------------------------------------------------------

def synthetic(values: dict[str, float], *, until: int | None = 2024, table: pd.DataFrame | None = None,
              series=FIT_SERIES) -> pd.DataFrame:
    """The data rows a fit through `until` sees, with their values replaced by what the model
    says at `values` (in the data's format): data for recovering known parameters."""
    obs = select(until=until, table=table, series=series)
    rows = obs.table[[c for c in ("year", "series", "label", "value", "unit", "source", "confidence", "file")
                      if c in obs.table]].copy()
    rows["value"] = _raw(values, obs)[:, 0] * rows["value"].to_numpy() / obs.table["observed"].to_numpy()
    return rows


class _Problem:
    """Parameters in search space (log where the bounds are wide), residuals for a batch."""

    def __init__(self, scenario: scenarios.Scenario, names: list[str], obs: observations.Observations,
                 fixed: dict[str, float] | None = None):
        bounds = parameter.parameters()
        self.names, self.obs = names, obs
        self.base = {**scenario.values, **(fixed or {})}
        self.final_time = math.ceil(obs.table["time"].max()) + 1
        self.log = np.array([bounds[n].log_scale for n in names])
        lower = np.array([bounds[n].lower for n in names], dtype=float)
        upper = np.array([bounds[n].upper for n in names], dtype=float)
        self.lower, self.upper = self.encode(lower), self.encode(upper)
        self.sqrt_weight = np.sqrt(obs.table["weight"].to_numpy())[:, None]
        self.nfev = 0
        self.best_x, self.best_cost = None, math.inf

    def encode(self, values: np.ndarray) -> np.ndarray:
        values = np.asarray(values, dtype=float)
        return np.where(self.log, np.log(np.where(self.log, values, 1.0)), values)

    def decode(self, x: np.ndarray) -> np.ndarray:
        x = np.asarray(x, dtype=float)
        shape = (-1,) + (1,) * (x.ndim - 1)
        return np.where(self.log.reshape(shape), np.exp(x), x)

    def residuals(self, x: np.ndarray) -> np.ndarray:
        """Weighted log residuals, (observation, point), for points x shaped (parameter, point)."""
        x = np.clip(x, self.lower[:, None], self.upper[:, None])
        values = dict(self.base)
        values.update(zip(self.names, self.decode(x)))
        batch = engine.run(values, runs=x.shape[1], final_time=self.final_time,
                           variables=self.obs.variables)
        self.nfev += x.shape[1]
        raw = observations.modelled(batch.values, batch.years, self.obs)
        r = observations.log_errors(raw, self.obs) * self.sqrt_weight
        r = np.where(np.isfinite(r), r, 10.0)  # a run with no positive value: a large miss
        cost = 0.5 * (r ** 2).sum(0)
        best = int(np.argmin(cost))
        if cost[best] < self.best_cost:
            self.best_cost, self.best_x = float(cost[best]), x[:, best].copy()
        return r

    def cost(self, x: np.ndarray) -> np.ndarray:
        return 0.5 * (self.residuals(x) ** 2).sum(0)

    def jacobian(self, x: np.ndarray, step: float = 1e-6) -> np.ndarray:
        """Central differences in search space, all 2p points as one batch."""
        h = step * np.maximum(1.0, np.abs(x))
        up = np.minimum(x + h, self.upper)
        down = np.maximum(x - h, self.lower)
        points = np.concatenate([x[:, None] + np.diag(up - x), x[:, None] + np.diag(down - x)], axis=1)
        r = self.residuals(points)
        p = len(x)
        return (r[:, :p] - r[:, p:]) / (up - down)


def calibrate(scenario: str | scenarios.Scenario = "baseline", *, until: int = 2024,
              params: list[str] | tuple[str, ...] | None = None, seed: int = 0,
              maxiter: int = 40, popsize: int = 8, observations_table: pd.DataFrame | None = None
              ) -> Calibration:
    """Fit parameters to the historical data through `until`.

    Parameters
    ----------
    scenario : str or Scenario
        The scenario whose values the fit starts from and holds for the other parameters.
    until : int
        The last calendar year of data the fit sees (model times before until + 1).
    params : sequence of str, optional
        The parameters fitted (default `DEFAULT_PARAMETERS`), each with a range.
    seed : int
        Seed of the global search (differential evolution), 0 to 2**32 - 1.
    maxiter, popsize : int
        Generations and population size factor of the global search.
    observations_table : DataFrame, optional
        Rows in the data's format (`sdecon.data.load()`) instead of the shipped data.

    Returns
    -------
    Calibration
        The best point, standard errors, correlations, residuals and the levels of every
        trend-only series; `save` writes it, `sdecon.load_calibration` reads it back.

    Warns
    -----
    CalibrationWarning
        Naming the parameters the data cannot identify.
    """
    started = time.perf_counter()
    seed = check_seed(seed)
    chosen = scenario if isinstance(scenario, scenarios.Scenario) else scenarios.load(scenario)
    names = list(params or DEFAULT_PARAMETERS)
    free = {n: p for n, p in parameter.parameters().items() if not p.fixed}
    for name in names:
        if name not in free:
            raise SdeconError(f"cannot fit {name!r}{closest(name, list(free))}: "
                              "expected a parameter with a range ('sdecon params')")
    if len(set(names)) != len(names):
        raise SdeconError(f"params names a parameter more than once; give each once: {names}", argument="params")
    obs = select(until=until, table=observations_table)
    if len(obs.table) <= len(names):
        raise SdeconError(f"{len(obs.table)} observations cannot fit {len(names)} parameters")
    # A previous calibration the scenario carries must not leak into this fit through the
    # parameters it set and this fit does not: those go back to their defaults.
    stale = load_calibration(chosen.calibration).parameters if chosen.calibration else {}
    defaults = {n: free[n].default for n in stale if n not in names}
    problem = _Problem(chosen, names, obs, fixed=defaults)
    start = problem.encode([chosen.values.get(n, free[n].default) for n in names])

    # 1. global: differential evolution over the bounds, a population per engine call
    found = optimize.differential_evolution(
        problem.cost, list(zip(problem.lower, problem.upper)), vectorized=True,
        updating="deferred", popsize=popsize, maxiter=maxiter, seed=seed, polish=False,
        init="latinhypercube", x0=np.clip(start, problem.lower, problem.upper),
        tol=1e-8)
    # 2. local: least squares from the best point found (the scenario's values were in
    #    the first generation, so the global search started from them too)
    local = optimize.least_squares(
        lambda x: problem.residuals(x[:, None])[:, 0], problem.best_x.copy(),
        jac=lambda x: problem.jacobian(x), bounds=(problem.lower, problem.upper),
        method="trf", x_scale="jac", max_nfev=50)
    converged = local.status > 0
    best = problem.best_x
    r = problem.residuals(best[:, None])[:, 0]
    cost = float(0.5 * r @ r)
    jac = problem.jacobian(best)
    stderr, corr, unidentified = _uncertainty(jac, r, names, problem, best)

    fitted = {**problem.base, **dict(zip(names, problem.decode(best)))}
    raw = _raw(fitted, obs)
    errors = observations.log_errors(raw, obs)[:, 0]
    modelled = obs.table["observed"].to_numpy() * np.exp(errors)  # with the fitted levels
    # Every trend-only series in the data through `until` gets its level, fitted or not, so
    # that validate and backtests compare later rows of it with a level from the past.
    everything = select(until=until, table=observations_table, series=None)
    levels = observations.levels(_raw(fitted, everything)[:, 0], everything)
    residuals = obs.table[["series", "label", "year", "observed", "unit", "variable", "weight"]]
    residuals.insert(5, "modelled", modelled)
    residuals.insert(6, "log_error", errors)
    at_bounds = [n for n, x, lo, hi in zip(names, best, problem.lower, problem.upper)
                 if x <= lo or x >= hi]
    success = bool(converged and np.isfinite(cost))
    message = (f"differential evolution: {found.message.rstrip('.')}; "
               f"least squares: {local.message.rstrip('.')}")
    if at_bounds:
        message += f"; at a bound: {', '.join(at_bounds)}"
    if unidentified:
        warnings.warn(f"the data cannot identify {', '.join(unidentified)}; their values "
                      "rest on the others and on the bounds", CalibrationWarning, stacklevel=2)
    return Calibration(
        parameters=dict(zip(names, map(float, problem.decode(best)))), stderr=stderr,
        correlation=corr, cost=cost, residuals=residuals.reset_index(drop=True), levels=levels,
        success=success, message=message, nfev=problem.nfev, until=until,
        scenario=chosen.name, unidentified=unidentified, seconds=time.perf_counter() - started,
        fixed=dict(problem.base))


def _uncertainty(jac, r, names, problem, best):
    """Standard errors and correlations from J at the best point (natural units)."""
    m, p = jac.shape
    nan = pd.DataFrame(np.nan, index=names, columns=names)
    if m <= p:
        return {n: math.nan for n in names}, nan, list(names)
    s2 = float(r @ r) / (m - p)
    jtj = jac.T @ jac
    try:
        cov = np.linalg.pinv(jtj) * s2
        # Directions in which the residuals do not change at all: the parameters with a
        # share in them cannot be identified, however small the residuals are.
        _, singular_values, vt = np.linalg.svd(jac, full_matrices=False)
    except np.linalg.LinAlgError:
        return {n: math.nan for n in names}, nan, list(names)
    null = vt[singular_values <= 1e-10 * max(singular_values.max(), 1e-300)]
    in_null = (np.abs(null) > 0.1).any(axis=0) if len(null) else np.zeros(p, bool)
    se_search = np.sqrt(np.clip(np.diag(cov), 0, None))
    value = problem.decode(best)
    # Delta method: a log-space standard error is a relative one.
    se = np.where(problem.log, se_search * value, se_search)
    relative = np.where(problem.log, se_search, se / np.maximum(np.abs(value), 1e-300))
    with np.errstate(all="ignore"):
        corr = cov / np.outer(se_search, se_search)
    corr = pd.DataFrame(corr, index=names, columns=names)
    unidentified = []
    for i, name in enumerate(names):
        if in_null[i] or not np.isfinite(relative[i]) or relative[i] > IDENTIFIED_RELATIVE_ERROR:
            unidentified.append(name)
    return dict(zip(names, map(float, se))), corr, unidentified


def out_of_sample(fit: Calibration, *, since: int, until: int = 2024, table: pd.DataFrame | None = None,
                  series=FIT_SERIES) -> pd.DataFrame:
    """The fitted model's errors on the data from `since` to `until`, which the fit did not see:
    the rows with `time`, `observed`, `modelled` and the log error ln(modelled / observed).

    A series compared on its trend only keeps the level the fit gave it in sample; one with
    no row in sample has no level to keep and is left out.
    """
    obs = select(until=until, since=since, table=table, series=series)
    raw = _raw({**fit.fixed, **fit.parameters}, obs)
    errors = observations.log_errors(raw, obs, fit.levels)[:, 0]
    result = obs.table[["series", "label", "year", "time", "observed", "unit"]].copy()
    result.insert(5, "modelled", result["observed"].to_numpy() * np.exp(errors))
    result["log_error"] = errors
    result["weight"] = obs.table["weight"].to_numpy()
    return result[np.isfinite(errors)].reset_index(drop=True)
