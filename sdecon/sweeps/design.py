"""What a sweep varies and how: distributions over parameters, SALib's designs, the checks
of a design's settings."""
from __future__ import annotations

import functools
import math
import os
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from .. import model, parameter
from ..errors import SdeconError, closest
from .indices import MORRIS_LEVELS, RBD_HARMONICS, RESAMPLES, _problem

METHODS = ("mc", "lhs", "sobol", "morris")
DISTRIBUTIONS = ("uniform", "loguniform", "normal", "triangular")
BATCH_SIZE = 5000               # runs a batch: efficient for the engine, ~20 MB of series
INDEX_YEARS = (2030, 2040, 2050)
OUTPUT_VALUES = 8_000_000       # index outputs held at once for the analysis (64 MB)


@dataclass(frozen=True)
class Uncertain:
    """A parameter and its distribution, from LOW:HIGH:

    - uniform: uniform on [LOW, HIGH];
    - loguniform: log(value) uniform on [log LOW, log HIGH] (LOW > 0);
    - normal: mean (LOW + HIGH) / 2, sd (HIGH - LOW) / 4 (so LOW:HIGH is the central 95%),
      truncated to [lower, upper], the parameter's bounds;
    - triangular: on [LOW, HIGH] with its peak at `mode` (the scenario's value when it lies
      strictly inside, else the midpoint).
    """
    name: str
    low: float
    high: float
    distribution: str = "uniform"
    mode: float | None = None
    lower: float = -math.inf
    upper: float = math.inf

    def ppf(self, u) -> np.ndarray:
        """Values at the quantiles `u` (in [0, 1]): the inverse CDF."""
        u = np.asarray(u, dtype=float)
        low, high = self.low, self.high
        if self.distribution == "uniform":
            return low + u * (high - low)
        if self.distribution == "loguniform":
            return np.exp(math.log(low) + u * (math.log(high) - math.log(low)))
        from scipy import stats
        if self.distribution == "normal":
            mean, sd = (low + high) / 2, (high - low) / 4
            return stats.truncnorm.ppf(u, (self.lower - mean) / sd, (self.upper - mean) / sd,
                                       loc=mean, scale=sd)
        if self.distribution == "triangular":
            mode = (low + high) / 2 if self.mode is None else self.mode
            return stats.triang.ppf(u, (mode - low) / (high - low), loc=low, scale=high - low)
        raise SdeconError(f"unknown distribution {self.distribution!r}; allowed: {', '.join(DISTRIBUTIONS)}")

    def describe(self) -> dict:
        """The distribution as data, for the manifest."""
        found = {"name": self.name, "distribution": self.distribution, "low": self.low, "high": self.high}
        if self.distribution == "normal":
            found.update(mean=(self.low + self.high) / 2, sd=(self.high - self.low) / 4,
                         truncated_to=[self.lower, self.upper])
        if self.distribution == "triangular":
            found["mode"] = (self.low + self.high) / 2 if self.mode is None else self.mode
        return found


#: Switches choose a method (seed 004's, say); they are not uncertain quantities.
SWITCHES = ("Waste Ceiling Switch",)


class HistoryWarning(UserWarning):
    """A sweep varies a parameter that changes the model's history: its runs leave the
    history the calibration fitted."""


#: The most a future assumption may move a variable the history is compared on, before the
#: base year: 0.01% (in log terms), far inside the best-fitted series' typical error (GDP, 4%).
HISTORY_TOLERANCE = 1e-4


@functools.cache
def _history_effects(model_hash: str) -> dict[str, float]:
    from .. import data, engine, scenarios

    base = {**model.defaults(), **scenarios.load("baseline").values}
    names = [p.name for p in parameter.parameters().values() if not p.fixed]
    values = {n: np.full(3 * len(names) + 1, base[n]) for n in names}
    for i, name in enumerate(names):
        p = parameter.get(name)
        values[name][1 + 3 * i:4 + 3 * i] = (p.lower, p.upper, (p.lower + p.upper) / 2)
    observed = sorted(set(data.mapping()["variable"]))
    first_year = base["Base Year"]
    batch = engine.run(values, final_time=first_year, variables=observed)
    before = batch.years < first_year
    effects = {}
    for i, name in enumerate(names):
        largest = 0.0
        for series in batch.values.values():
            history = series[before]
            with np.errstate(all="ignore"):
                moved = np.abs(np.log(history[:, 1 + 3 * i:4 + 3 * i] / history[:, :1]))
            largest = max(largest, float(np.nanmax(np.where(np.isfinite(moved), moved, np.inf))))
        effects[name] = largest
    return effects


def history_effect(name: str) -> float:
    """How far a parameter, at its bounds or midpoint, moves the history: the largest
    |ln(value / baseline value)| of any variable the data are compared with
    (`sdecon.data.mapping()`), in any year before the base year, the other parameters at
    the baseline's (calibrated) values. Computed once per model file."""
    return _history_effects(model.model_hash()).get(name, 0.0)


def shapes_history(name: str) -> bool:
    """True when a parameter moves the history by more than `HISTORY_TOLERANCE`."""
    return history_effect(name) > HISTORY_TOLERANCE


def box_uncertainty() -> list[Uncertain]:
    """Every free parameter that is an uncertain quantity, over its whole bounds, whether it
    shapes the history or not: the box the reality checks are tested over (`sdecon.check(
    samples=N)`). Left out: fixed parameters, policy levers, events and switches, which are
    a scenario's choices."""
    def choice(name: str) -> bool:
        return name.startswith(("Policy ", "Adoption Event ", "Efficiency Shock ")) or name in SWITCHES

    return [_over_bounds(p) for p in parameter.parameters().values() if not p.fixed and not choice(p.name)]


def _over_bounds(p) -> Uncertain:
    return Uncertain(p.name, p.lower, p.upper, "loguniform" if p.log_scale else "uniform",
                     lower=p.lower, upper=p.upper)


def default_uncertainty() -> list[Uncertain]:
    """The uncertainty set used when nothing is named: the assumptions about the future,
    each over its whole bounds.

    A parameter is in it when it is free and leaves the history as it is (`shapes_history`
    is False: what the data are compared with moves by under 0.01% before the base year):
    the future elasticity, the waste ceiling, shocks, events, adoption, build-out, grid and
    finance limits, policy levers. Every run then reproduces the history, and the
    parameters the history fixed keep the scenario's (calibrated) values.
    Left out: fixed parameters and method switches (`SWITCHES`). Uniform, or loguniform
    where the lower bound is positive and the bounds span more than a factor of 100.
    """
    return [_over_bounds(p) for p in parameter.parameters().values()
            if not p.fixed and p.name not in SWITCHES and not shapes_history(p.name)]


_VARY_FORM = '"Name=LOW:HIGH[:uniform|loguniform|normal|triangular]"'


def parse_vary(item: str, scenario_values: Mapping[str, float] | None = None) -> Uncertain:
    """`"Name=LOW:HIGH[:DISTRIBUTION]"` as an Uncertain, checked against the parameter's bounds.

    `scenario_values` give the triangular mode (the scenario's value when inside LOW:HIGH).
    """
    name, sep, spec = item.partition("=")
    name = name.strip()
    parts = [part.strip() for part in spec.split(":")]
    if not sep or not name or len(parts) not in (2, 3):
        raise SdeconError(f"vary {item!r} is not of the form {_VARY_FORM}", argument="vary")
    p = _about_vary(parameter.get, name, "vary")
    if p.fixed:
        raise SdeconError(f"vary {item!r}: {p.name} is fixed at {p.default:g} {p.unit}; "
                          "it cannot be varied", argument="vary")
    low = _about_vary(p.check, parameter.from_text(parts[0]), f"vary {item!r}: LOW")
    high = _about_vary(p.check, parameter.from_text(parts[1]), f"vary {item!r}: HIGH")
    if not low < high:
        raise SdeconError(f"vary {item!r}: LOW {low:g} must be below HIGH {high:g}", argument="vary")
    distribution = parts[2].lower() if len(parts) == 3 else "uniform"
    if distribution not in DISTRIBUTIONS:
        raise SdeconError(f"vary {item!r}: unknown distribution {parts[2]!r}"
                          f"{closest(distribution, DISTRIBUTIONS)}; allowed: {', '.join(DISTRIBUTIONS)}",
                          argument="vary")
    if distribution == "loguniform" and low <= 0:
        raise SdeconError(f"vary {item!r}: loguniform needs LOW > 0, got {low:g}", argument="vary")
    mode = None
    if distribution == "triangular":
        value = (scenario_values or {}).get(p.name, p.default)
        mode = value if low < value < high else (low + high) / 2
    return Uncertain(p.name, low, high, distribution, mode, p.lower, p.upper)


def _about_vary(check, *args):
    """`check(*args)`, its error (whose message starts with the origin in `args`) about `vary`."""
    try:
        return check(*args)
    except SdeconError as error:
        raise SdeconError(str(error), argument="vary") from None


def _uncertainty(vary, scenario) -> list[Uncertain]:
    if not vary:
        return default_uncertainty()
    found, seen = [], set()
    for item in vary:
        uncertain = item if isinstance(item, Uncertain) else parse_vary(str(item), scenario.values)
        if uncertain.name in seen:
            raise SdeconError(f"vary names {uncertain.name!r} twice; give each parameter once",
                              argument="vary")
        seen.add(uncertain.name)
        found.append(uncertain)
    leaving = [u.name for u in found if u.name in parameter.parameters() and shapes_history(u.name)]
    if leaving:
        warnings.warn(f"{', '.join(leaving)} change{'s' if len(leaving) == 1 else ''} the model before the "
                      f"base year: the runs leave the history the calibration fitted (the default set "
                      f"varies only assumptions about the future)", HistoryWarning, stacklevel=3)
    return found


def run_count(method: str, dimensions: int, samples: int) -> int:
    """Runs a design needs: N for mc and lhs, N (D + 2) for sobol, N (D + 1) for morris."""
    return {"mc": samples, "lhs": samples, "sobol": samples * (dimensions + 2),
            "morris": samples * (dimensions + 1)}[method]


def _check_design(method: str, samples, seed) -> None:
    if method not in METHODS:
        raise SdeconError(f"method {method!r} is unknown{closest(str(method), METHODS)}; "
                          f"allowed: {', '.join(METHODS)}", argument="method")
    if isinstance(samples, bool) or not isinstance(samples, (int, np.integer)) or samples < 2:
        raise SdeconError(f"samples {samples!r} must be a whole number of at least 2", argument="samples")
    if method == "sobol" and samples & (samples - 1):
        below = 1 << (int(samples).bit_length() - 1)
        raise SdeconError(f"samples {samples} for sobol must be a power of 2 (the Sobol' "
                          f"sequence is balanced only then); try {below} or {2 * below}", argument="samples")
    if method in ("mc", "lhs") and samples <= 2 * RBD_HARMONICS:
        raise SdeconError(f"samples {samples} is too few for {method}: its first-order indices "
                          f"(RBD-FAST) need at least {2 * RBD_HARMONICS + 1} runs", argument="samples")
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or not 0 <= seed < 2**63:
        raise SdeconError(f"seed {seed!r} must be a whole number from 0 to 2**63 - 1", argument="seed")


def _memory_needed(method: str, dimensions: int, samples: int, outputs: int) -> int:
    """Bytes the sweep's parent needs at its peak, about: drawing the design, or holding it
    while the index analysis holds its outputs. The coefficients are peaks measured on
    SALib 1.6 (tracemalloc and the resident size)."""
    runs = run_count(method, dimensions, samples)
    unit = 8 * runs * dimensions
    drawing = {"mc": unit,
               "lhs": 3 * unit + 200 * runs,           # SALib's latin: a small array a run
               "sobol": unit + 16 * samples * dimensions,  # and the base sequence
               "morris": 2 * unit + 170 * samples}[method]
    held = 8 * runs * min(outputs, max(1, OUTPUT_VALUES // runs))  # outputs read at once
    analysis = {"mc": 4 * held, "lhs": 4 * held,       # RBD-FAST's reordered copies
                "sobol": 2 * held + 8 * 8 * RESAMPLES * samples,   # bootstrap: N x RESAMPLES arrays
                "morris": 2 * held + 3 * 8 * RESAMPLES * samples}[method]
    return max(drawing, unit + analysis)


def _available_memory() -> int | None:
    """Bytes this machine can still give without swapping, or None when it does not say."""
    try:
        with open("/proc/meminfo", encoding="ascii") as meminfo:
            for line in meminfo:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    try:
        return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (AttributeError, ValueError, OSError):
        return None


def _check_memory(method: str, dimensions: int, samples: int, outputs: int) -> None:
    """Refuse a design larger than this machine's available memory, before any work."""
    needed, available = _memory_needed(method, dimensions, samples, outputs), _available_memory()
    if available is not None and needed > available:
        raise SdeconError(f"samples {samples:,} needs about {_gib(needed)} for the {method} design over "
                          f"{dimensions} parameter{'s' if dimensions != 1 else ''}; this machine has "
                          f"{_gib(available)} available; lower samples"
                          + (" or vary fewer parameters" if dimensions > 1 else ""), argument="samples")


def _gib(size: int) -> str:
    gib = size / 2**30
    return f"{gib:,.0f} GiB" if gib >= 10 else f"{gib:.1f} GiB"


def unit_sample(method: str, dimensions: int, samples: int, seed: int = 0) -> np.ndarray:
    """The design in the unit hypercube, shaped (runs, dimensions); the same seed gives
    the same numbers.

    mc: numpy's default Generator; lhs: SALib.sample.latin; sobol: SALib.sample.sobol
    (Saltelli's scheme on a scrambled Sobol' sequence, first and total order: N (D + 2)
    runs, N a power of 2); morris: SALib.sample.morris (N trajectories, 4 levels).
    """
    _check_design(method, samples, seed)
    names = [f"x{i}" for i in range(dimensions)]
    problem = _problem(names)
    if method == "mc":
        return np.random.default_rng(seed).random((samples, dimensions))
    if method == "lhs":
        from SALib.sample import latin
        return latin.sample(problem, samples, seed=seed)
    if method == "sobol":
        from SALib.sample import sobol
        return sobol.sample(problem, samples, calc_second_order=False, seed=seed)
    from SALib.sample import morris
    return morris.sample(problem, samples, num_levels=MORRIS_LEVELS, seed=seed)


def posterior_picks(method: str, dimensions: int, runs: int, draws: int, seed: int = 0) -> np.ndarray:
    """Which of a posterior's `draws` each run of a design takes (with replacement, seeded).

    The history-fitted parameters are one more input, drawn rather than varied by hand, and
    drawn so that every index stays that of the whole model: in Saltelli's blocks [A, AB_1,
    ..., AB_D, B], A and each AB_i (A with column i from B) take A's draw and B its own, as
    any input not in column i would; a Morris trajectory takes one draw; mc and lhs a draw a run.
    """
    rng = np.random.default_rng([seed, 7])
    if method == "sobol":
        block = dimensions + 2
        picks = np.repeat(rng.integers(0, draws, runs // block), block)
        picks[block - 1::block] = rng.integers(0, draws, runs // block)
        return picks
    if method == "morris":
        return np.repeat(rng.integers(0, draws, runs // (dimensions + 1)), dimensions + 1)
    return rng.integers(0, draws, runs)


def transform(uncertain: Sequence[Uncertain], unit: np.ndarray) -> dict[str, np.ndarray]:
    """Parameter values for the unit design, by each parameter's inverse CDF."""
    return {u.name: u.ppf(unit[:, i]) for i, u in enumerate(uncertain)}


def sample(method: str, uncertain: Sequence[Uncertain], samples: int, seed: int = 0) -> dict[str, np.ndarray]:
    """The design's parameter values, one array (a value a run) per parameter."""
    return transform(uncertain, unit_sample(method, len(uncertain), samples, seed))


def _saved_years() -> list[int]:
    """The years the model saves (its SAVEPER times), as the engine does."""
    defaults = model.defaults()
    first, last, step = defaults["INITIAL TIME"], defaults["FINAL TIME"], defaults["SAVEPER"]
    return [int(round(y)) for y in np.arange(first, last + step / 2, step)]


def _index_years(years) -> tuple[int, ...]:
    saved = _saved_years()
    chosen = []
    for year in years:
        if isinstance(year, bool) or not isinstance(year, (int, np.integer)) or int(year) not in saved:
            raise SdeconError(f"years {year!r} is not a saved year of the model; allowed: "
                              f"whole years {saved[0]} to {saved[-1]}", argument="years")
        if int(year) not in chosen:
            chosen.append(int(year))
    if not chosen:
        raise SdeconError("years: give at least one year for the indices", argument="years")
    return tuple(sorted(chosen))


def _positive(value, argument: str) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise SdeconError(f"{argument} {value!r} must be a whole number of at least 1", argument=argument)
    return int(value)
