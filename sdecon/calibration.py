"""Calibration: fit parameters to the historical data by weighted least squares on log residuals.

The residual of an observation is ln(modelled / observed), the modelled value read from the
variable `sdecon.data.mapping()` names for its series (times its scale, at its year plus
offset). Weights: a row's confidence weight (`sdecon.data.weights`) divided by the number of
rows its series has in the fit, so every series counts by its confidence, not by how many
rows it happens to have. A series whose scale is `fit` is compared on its trend only: its
weighted mean residual is removed.

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

import datetime as _dt
import json
import math
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import optimize

from . import data, engine, model, parameter, scenarios
from .errors import SdeconError, closest
from .output import check_writable, write_all

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
FIRST_YEAR = 2015
#: The project's calibration, fitted on the data through 2024; the baseline scenario uses it.
BASELINE = Path(__file__).resolve().parent / "calibrations" / "baseline-2024.json"  # the model's initial time: no observation before it can be compared
IDENTIFIED_RELATIVE_ERROR = 1.0


class CalibrationWarning(UserWarning):
    """The data cannot identify some fitted parameters."""


@dataclass
class Calibration:
    """A fit's result, in the manner of lmfit's MinimizerResult."""
    parameters: dict[str, float]      # best point found, natural units
    stderr: dict[str, float]          # standard errors (nan where not identified)
    correlation: pd.DataFrame         # correlation of the fitted parameters
    cost: float                       # 0.5 * sum of squared weighted residuals
    residuals: pd.DataFrame           # series, label, year, observed, unit, modelled, log_error, weight
    levels: dict[str, float]          # ln of the fitted scale of each trend-only series
    success: bool
    message: str
    nfev: int                         # model runs evaluated
    until: int
    scenario: str = "baseline"
    unidentified: list[str] = field(default_factory=list)
    seconds: float = math.nan
    fixed: dict[str, float] = field(default_factory=dict)  # the other values the runs used

    def report(self) -> str:
        """A readable report: parameters with errors and bounds, fit statistics, residuals."""
        bounds = parameter.parameters()
        lines = [f"Calibration of scenario {self.scenario!r} to data through {self.until}",
                 f"  success: {self.success} ({self.message})",
                 f"  cost: {self.cost:.6g}   model runs: {self.nfev}   "
                 f"observations: {len(self.residuals)}   time: {self.seconds:.1f} s",
                 "", "Parameters (value +/- standard error, bounds, unit):"]
        width = max(map(len, self.parameters))
        for name, value in self.parameters.items():
            p = bounds[name]
            se = self.stderr.get(name, math.nan)
            flag = "  NOT IDENTIFIED" if name in self.unidentified else ""
            at = "  AT BOUND" if value <= p.lower or value >= p.upper else ""
            lines.append(f"  {name:<{width}} = {value:.5g} +/- {se:.2g}  "
                         f"[{p.lower:g}, {p.upper:g}] {p.unit}{flag}{at}")
        strong = [(a, b, self.correlation.loc[a, b]) for i, a in enumerate(self.correlation.index)
                  for b in self.correlation.index[i + 1:] if abs(self.correlation.loc[a, b]) > 0.8]
        if strong:
            lines += ["", "Correlations above 0.8:"]
            lines += [f"  {a} ~ {b}: {c:+.3f}" for a, b, c in strong]
        lines += ["", "Residuals by series (log error = ln(modelled / observed)):"]
        lines.append(summarise(self.residuals).to_string(float_format=lambda x: f"{x:.3g}"))
        return "\n".join(lines)

    def to_dict(self) -> dict:
        return {
            "sdecon_version": _version(), "model_hash": model.model_hash(),
            "created": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
            "scenario": self.scenario, "until": self.until,
            "parameters": self.parameters, "stderr": _finite(self.stderr),
            "correlation": {a: _finite(row) for a, row in self.correlation.to_dict("index").items()},
            "cost": self.cost, "success": self.success, "message": self.message,
            "nfev": self.nfev, "unidentified": self.unidentified, "levels": self.levels,
            "residuals": json.loads(self.residuals.to_json(orient="records")),
        }

    def writer(self, path: str | Path):
        """A function writing the calibration as JSON (for `output.write_all`)."""
        check_writable(path, (".json",))
        text = json.dumps(self.to_dict(), indent=2, allow_nan=False) + "\n"
        return lambda tmp: Path(tmp).write_text(text, encoding="utf-8")

    def save(self, path: str | Path) -> None:
        """Write the calibration as JSON, atomically."""
        write_all([(path, self.writer(path))])


def _version() -> str:
    from . import __version__
    return __version__


def _finite(values: dict) -> dict:
    return {k: (float(v) if np.isfinite(v) else None) for k, v in values.items()}


def summarise(residuals: pd.DataFrame) -> pd.DataFrame:
    """Per series: rows, mean and largest absolute log error, and its weighted RMS."""
    table = residuals.assign(abs_error=residuals["log_error"].abs())
    grouped = table.groupby("series")
    return pd.DataFrame({
        "rows": grouped.size(),
        "mean_abs_log_error": grouped["abs_error"].mean(),
        "max_abs_log_error": grouped["abs_error"].max(),
        "rms_log_error": grouped["log_error"].apply(lambda e: float(np.sqrt(np.mean(e ** 2)))),
    })


def read(path: str | Path) -> dict:
    """A saved calibration's whole content, its "parameters" checked against the model's
    bounds; one-line SdeconError naming the file otherwise."""
    name = f"calibration file {str(path)!r}"
    path = Path(path)
    if not path.exists():
        raise SdeconError(f"{name} not found")
    if path.is_dir():
        raise SdeconError(f"{name} is a directory, not a JSON file")
    try:
        content = json.loads(path.read_text(encoding="utf-8-sig"))
    except json.JSONDecodeError as error:
        raise SdeconError(f"{name} is not valid JSON: {error.msg} at line {error.lineno} "
                          f"column {error.colno}") from None
    except UnicodeDecodeError:
        raise SdeconError(f"{name} is not valid JSON: not UTF-8 text") from None
    except OSError as error:
        raise SdeconError(f"{name} cannot be read: {error.strerror or error}") from None
    expected = 'expected {"parameters": {"Vensim Name": value, ...}}'
    if not isinstance(content, dict) or "parameters" not in content:
        raise SdeconError(f"{name} has no \"parameters\" object; {expected}")
    values = content["parameters"]
    if not isinstance(values, dict):
        raise SdeconError(f"{name}: \"parameters\" is a {type(values).__name__}, not an object; {expected}")
    content["parameters"] = parameter.validate(values, name)
    return content


def load(path: str | Path) -> dict[str, float]:
    """The parameter values of a saved calibration, checked against the model's bounds."""
    return read(path)["parameters"]


# --- observations ---------------------------------------------------------------------

@dataclass(frozen=True)
class _Observations:
    table: pd.DataFrame      # the rows compared, with time, weight and the mapping's columns
    variables: list[str]     # model variables needed
    fitted_scale: np.ndarray  # per row: True where the series' scale is fitted (trend only)


def observations(until: int | None = 2024, since: int | None = None,
                 table: pd.DataFrame | None = None, series=FIT_SERIES) -> _Observations:
    """The mapped data rows within the model's years, with times and weights.

    `series` limits the rows to those series (all mapped series when None)."""
    rows = data.load() if table is None else table
    mapping = data.mapping().set_index("series")
    rows = rows[rows["series"].isin(mapping.index)].copy()
    if series is not None:
        rows = rows[rows["series"].isin(series)]
    rows = rows.join(mapping[["variable", "scale", "fit", "power", "time_offset"]], on="series")
    rows["time"] = rows["year"] + rows["time_offset"].astype(float)
    last = model.defaults()["FINAL TIME"]
    keep = (rows["time"] >= FIRST_YEAR) & (rows["time"] <= last) & (rows["value"] > 0)
    # Years are those of the model time compared: NVIDIA's fiscal 2025 is mostly 2024.
    if until is not None:
        keep &= rows["time"] < until + 1
    if since is not None:
        keep &= rows["time"] >= since
    rows = rows[keep].reset_index(drop=True)
    if rows.empty:
        raise SdeconError(f"no mapped observations between {since or FIRST_YEAR} and {until}")
    confidence = np.asarray(data.weights(rows["confidence"]), dtype=float)
    rows["weight"] = confidence / rows.groupby("series")["series"].transform("size")
    fitted = rows["fit"].astype(bool).to_numpy()
    rows["factor"] = np.where(fitted, 1.0, rows["scale"].to_numpy(float))
    return _Observations(rows, sorted(rows["variable"].unique()), fitted)


def _modelled(batch: engine.Batch, obs: _Observations) -> np.ndarray:
    """Model values at the observations' times, shaped (observation, run): log-linear in time."""
    table = obs.table
    position = table["time"].to_numpy() - batch.years[0]
    low = np.clip(np.floor(position).astype(int), 0, len(batch.years) - 2)
    frac = (position - low)[:, None]
    result = np.empty((len(table), batch.runs))
    for variable, index in table.groupby("variable").indices.items():
        series = batch.values[variable]
        with np.errstate(all="ignore"):
            a, b = np.log(series[low[index]]), np.log(series[low[index] + 1])
            result[index] = np.exp(a * (1 - frac[index]) + b * frac[index])
    with np.errstate(all="ignore"):
        return table["factor"].to_numpy()[:, None] * result ** table["power"].to_numpy(float)[:, None]


def _log_errors(modelled: np.ndarray, obs: _Observations) -> np.ndarray:
    """ln(modelled / observed), with the weighted mean removed for series of fitted scale."""
    table = obs.table
    with np.errstate(all="ignore"):
        errors = np.log(modelled) - np.log(table["value"].to_numpy())[:, None]
    weight = table["weight"].to_numpy()[:, None]
    for _, index in table[obs.fitted_scale].groupby("series").indices.items():
        rows = np.flatnonzero(obs.fitted_scale)[index]
        shift = (errors[rows] * weight[rows]).sum(0) / weight[rows].sum()
        errors[rows] -= shift
    return errors


# --- the fit ----------------------------------------------------------------------------

class _Problem:
    """Parameters in search space (log where the bounds are wide), residuals for a batch."""

    def __init__(self, scenario: scenarios.Scenario, names: list[str], obs: _Observations,
                 fixed: dict[str, float] | None = None):
        bounds = parameter.parameters()
        self.names, self.obs = names, obs
        self.base = {**scenario.values, **(fixed or {})}
        self.final_time = math.ceil(obs.table["time"].max()) + 1
        self.log = np.array([bounds[n].lower > 0 and bounds[n].upper / bounds[n].lower > 100
                             for n in names])
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
        r = _log_errors(_modelled(batch, self.obs), self.obs) * self.sqrt_weight
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
    """Fit `params` (default: DEFAULT_PARAMETERS) to the data through `until`."""
    started = time.perf_counter()
    chosen = scenario if isinstance(scenario, scenarios.Scenario) else scenarios.load(scenario)
    names = list(params or DEFAULT_PARAMETERS)
    free = {n: p for n, p in parameter.parameters().items() if not p.fixed}
    for name in names:
        if name not in free:
            raise SdeconError(f"cannot fit {name!r}{closest(name, list(free))}: "
                              "expected a parameter with a range ('sdecon params')")
    if len(set(names)) != len(names):
        raise SdeconError("each parameter may be fitted once; got duplicates in --params")
    obs = observations(until=until, table=observations_table)
    if len(obs.table) <= len(names):
        raise SdeconError(f"{len(obs.table)} observations cannot fit {len(names)} parameters")
    # A previous calibration the scenario carries must not leak into this fit through the
    # parameters it set and this fit does not: those go back to their defaults.
    stale = load(chosen.calibration) if chosen.calibration else {}
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

    raw = _modelled(engine.run({**problem.base, **dict(zip(names, problem.decode(best)))},
                               final_time=problem.final_time, variables=obs.variables), obs)[:, 0]
    errors = _log_errors(raw[:, None], obs)[:, 0]
    modelled = obs.table["value"].to_numpy() * np.exp(errors)  # with the fitted levels
    shift = np.log(raw) - np.log(obs.table["value"].to_numpy()) - errors
    levels = {series: float(shift[(obs.table["series"] == series).to_numpy()][0])
              for series in obs.table.loc[obs.fitted_scale, "series"].unique()}
    residuals = obs.table[["series", "label", "year", "value", "unit", "variable", "weight"]].rename(
        columns={"value": "observed"})
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


def predict(values: dict[str, float], *, since: int | None = None, until: int | None = 2024,
            table: pd.DataFrame | None = None) -> pd.DataFrame:
    """The model's value for each mapped observation from `since` to `until`, through the
    fit's observation operator (scale x variable^power at year + offset): the rows with their
    `observed` and `modelled` values and the log error ln(modelled / observed)."""
    obs = observations(until=until, since=since, table=table)
    batch = engine.run(values, final_time=math.ceil(obs.table["time"].max()) + 1, variables=obs.variables)
    result = obs.table[["series", "label", "year", "time", "value", "unit"]].rename(columns={"value": "observed"})
    result.insert(5, "modelled", _modelled(batch, obs)[:, 0])
    result["log_error"] = np.log(result["modelled"]) - np.log(result["observed"])
    result["trend_only"] = obs.table["fit"].to_numpy(bool)
    return result


def out_of_sample(fit: Calibration, *, since: int, until: int = 2024,
                  table: pd.DataFrame | None = None) -> pd.DataFrame:
    """The fitted model's errors on the data from `since` to `until`, which the fit did not see.

    A series compared on its trend only keeps the level the fit gave it in sample; one with
    no row in sample has no level to keep and is left out.
    """
    table = predict({**fit.fixed, **fit.parameters}, since=since, until=until, table=table)
    for series in table.loc[table["trend_only"], "series"].unique():
        rows = (table["series"] == series).to_numpy()
        level = fit.levels.get(series, np.nan)
        table.loc[rows, "log_error"] -= level
        table.loc[rows, "modelled"] /= np.exp(level)
    table = table.drop(columns="trend_only")
    return table[np.isfinite(table["log_error"])].reset_index(drop=True)
