"""Sensitivity sweeps: thousands to millions of runs over uncertain parameters.

    sdecon sweep --scenario baseline --method sobol --samples 1024 --output sweeps/baseline
    sdecon.sweep.sweep("baseline", "sobol", 1024, output="sweeps/baseline")
    sdecon.sweep.load("sweeps/baseline")          # a finished sweep: bands, indices, runs

Samples come from SALib (Monte Carlo from numpy), in the unit hypercube; each parameter's
distribution turns them into values by its inverse CDF, so every method supports every
distribution. The batch engine (`sdecon.engine`) runs them batch by batch, on this
machine's cores (forked processes) or on a Dask cluster (`cluster="tcp://HOST:PORT"`).
Each finished batch is written at once, so an interrupted sweep resumes where it stopped,
and the summaries stream: percentile bands come from mergeable histograms, never from all
runs' time series held at once.

Output directory (all writes atomic: a temporary file moved into place):

    manifest.json          what the sweep is: scenario and its values, method, samples, runs,
                           seed, the distributions varied, batch size, index years, sdecon
                           version, model hash. Written first; --resume checks it.
    runs/batch-NNNNN.parquet
                           one row a run: `run` (0-based run number), one column a varied
                           parameter (its value, in the parameter's unit), then one column
                           `VARIABLE@YEAR` a public variable at an index year (in its unit).
                           Read them all with `pandas.read_parquet(DIR / "runs")`.
    sketches/batch-NNNNN.parquet
                           the batch's histogram of every public variable in every year:
                           `variable`, `year`, `bin`, `count` (see `Sketch`).
    summary_bands.csv, summary_bands.parquet
                           `variable`, `unit` (the .mdl's), `year`, `runs` (values counted),
                           `p5`, `p10`, `p25`, `p50`, `p75`, `p90`, `p95`: percentiles over the
                           runs, in the variable's unit, within RELATIVE_ACCURACY (0.5%).
    indices.csv, indices.parquet
                           `output` (VARIABLE@YEAR), `variable`, `year`, `unit`, `parameter`,
                           then by method: sobol `S1`, `S1_conf`, `ST`, `ST_conf`; morris
                           `mu_star`, `mu_star_conf`, `sigma`, `mu`; mc and lhs `S1`, `S1_conf`
                           (RBD-FAST). Confidence intervals are 95% half-widths.
    figures/fan-<variable>.png   a fan chart per public variable
    figures/tornado.png          the indices of Compute Spending Share of GDP, a panel a year

docs/sweep.md describes methods, distributions, the default uncertainty set and the files.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import math
import multiprocessing
import os
import re
import signal
import sys
import time
import warnings
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from . import model, parameter, scenarios
from .errors import SdeconError, closest
from .model import PUBLIC_VARIABLES

METHODS = ("mc", "lhs", "sobol", "morris")
DISTRIBUTIONS = ("uniform", "loguniform", "normal", "triangular")
BATCH_SIZE = 5000               # runs a batch: efficient for the engine, ~20 MB of series
INDEX_YEARS = (2030, 2040, 2050)
PERCENTILES = (5, 10, 25, 50, 75, 90, 95)
MORRIS_LEVELS = 4
RBD_HARMONICS = 10              # SALib's default M for RBD-FAST
RESAMPLES = 100                 # bootstrap resamples for the confidence intervals
HEADLINE = "Compute Spending Share of GDP"  # the tornado's variable

# Histogram bins: bin k holds magnitudes in (GAMMA**(k-1), GAMMA**k]; its representative
# value 2 GAMMA**k / (GAMMA + 1) is within RELATIVE_ACCURACY of every value in it.
RELATIVE_ACCURACY = 0.005
GAMMA = (1 + RELATIVE_ACCURACY) / (1 - RELATIVE_ACCURACY)
_LOG_GAMMA = math.log(GAMMA)
_KEY_MIN = math.floor(math.log(np.finfo(float).tiny) / _LOG_GAMMA)
_KEY_MAX = math.ceil(math.log(np.finfo(float).max) / _LOG_GAMMA)
_WIDTH = _KEY_MAX - _KEY_MIN + 1     # bins per sign
_STRIDE = 2 * _WIDTH + 1             # negative bins, zero, positive bins

_OUTPUT_VALUES = 8_000_000  # index outputs held at once for the analysis (64 MB)
_MANIFEST = "manifest.json"
_FORMAT = 1                          # version of the directory layout


# --------------------------------------------------------------------------------------
# What varies: distributions over parameters
# --------------------------------------------------------------------------------------


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


def _excluded_from_default(name: str) -> bool:
    return (name.startswith(("Policy ", "Adoption Event ", "Efficiency Shock "))
            or name == "Waste Ceiling Switch")


def default_uncertainty() -> list[Uncertain]:
    """The uncertainty set used when nothing is named: every free parameter that is an
    uncertain quantity, over its whole bounds.

    Left out: fixed parameters, policy levers ("Policy ..."), events ("Adoption Event ...",
    "Efficiency Shock ...") and switches ("Waste Ceiling Switch"); those are scenario
    choices, not uncertainties. Uniform, or loguniform where the lower bound is positive and
    the bounds span more than a factor of 100.
    """
    found = []
    for p in parameter.parameters().values():
        if p.fixed or _excluded_from_default(p.name):
            continue
        wide = p.lower > 0 and p.upper / p.lower > 100
        found.append(Uncertain(p.name, p.lower, p.upper, "loguniform" if wide else "uniform",
                               lower=p.lower, upper=p.upper))
    return found


_VARY_FORM = '"Name=LOW:HIGH[:uniform|loguniform|normal|triangular]"'


def parse_vary(item: str, scenario_values: Mapping[str, float] | None = None) -> Uncertain:
    """`"Name=LOW:HIGH[:DISTRIBUTION]"` as an Uncertain, checked against the parameter's bounds.

    `scenario_values` give the triangular mode (the scenario's value when inside LOW:HIGH).
    """
    name, sep, spec = item.partition("=")
    name = name.strip()
    parts = [part.strip() for part in spec.split(":")]
    if not sep or not name or len(parts) not in (2, 3):
        raise SdeconError(f"--vary {item!r} is not of the form {_VARY_FORM}")
    p = parameter.get(name, "--vary")
    if p.fixed:
        raise SdeconError(f"--vary {item!r}: {p.name} is fixed at {p.default:g} {p.unit}; "
                          "it cannot be varied")
    low = p.check(parts[0], f"--vary {item!r}: LOW")
    high = p.check(parts[1], f"--vary {item!r}: HIGH")
    if not low < high:
        raise SdeconError(f"--vary {item!r}: LOW {low:g} must be below HIGH {high:g}")
    distribution = parts[2].lower() if len(parts) == 3 else "uniform"
    if distribution not in DISTRIBUTIONS:
        raise SdeconError(f"--vary {item!r}: unknown distribution {parts[2]!r}"
                          f"{closest(distribution, DISTRIBUTIONS)}; allowed: {', '.join(DISTRIBUTIONS)}")
    if distribution == "loguniform" and low <= 0:
        raise SdeconError(f"--vary {item!r}: loguniform needs LOW > 0, got {low:g}")
    mode = None
    if distribution == "triangular":
        value = (scenario_values or {}).get(p.name, p.default)
        mode = value if low < value < high else (low + high) / 2
    return Uncertain(p.name, low, high, distribution, mode, p.lower, p.upper)


def _uncertainty(vary, scenario) -> list[Uncertain]:
    if not vary:
        return default_uncertainty()
    found, seen = [], set()
    for item in vary:
        uncertain = item if isinstance(item, Uncertain) else parse_vary(str(item), scenario.values)
        if uncertain.name in seen:
            raise SdeconError(f"--vary names {uncertain.name!r} twice; give each parameter once")
        seen.add(uncertain.name)
        found.append(uncertain)
    return found


# --------------------------------------------------------------------------------------
# Sampling and indices (SALib)
# --------------------------------------------------------------------------------------


def run_count(method: str, dimensions: int, samples: int) -> int:
    """Runs a design needs: N for mc and lhs, N (D + 2) for sobol, N (D + 1) for morris."""
    return {"mc": samples, "lhs": samples, "sobol": samples * (dimensions + 2),
            "morris": samples * (dimensions + 1)}[method]


def _problem(names: Sequence[str]) -> dict:
    return {"num_vars": len(names), "names": list(names), "bounds": [[0.0, 1.0]] * len(names)}


def _check_design(method: str, samples, seed) -> None:
    if method not in METHODS:
        raise SdeconError(f"unknown method {method!r}{closest(str(method), METHODS)}; "
                          f"allowed: {', '.join(METHODS)}")
    if isinstance(samples, bool) or not isinstance(samples, (int, np.integer)) or samples < 2:
        raise SdeconError(f"--samples {samples!r} must be a whole number of at least 2")
    if method == "sobol" and samples & (samples - 1):
        below = 1 << (int(samples).bit_length() - 1)
        raise SdeconError(f"--samples {samples} for sobol must be a power of 2 (the Sobol' "
                          f"sequence is balanced only then); try {below} or {2 * below}")
    if method in ("mc", "lhs") and samples <= 2 * RBD_HARMONICS:
        raise SdeconError(f"--samples {samples} is too few for {method}: its first-order indices "
                          f"(RBD-FAST) need at least {2 * RBD_HARMONICS + 1} runs")
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or not 0 <= seed < 2**63:
        raise SdeconError(f"--seed {seed!r} must be a whole number from 0 to 2**63 - 1")


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


def transform(uncertain: Sequence[Uncertain], unit: np.ndarray) -> dict[str, np.ndarray]:
    """Parameter values for the unit design, by each parameter's inverse CDF."""
    return {u.name: u.ppf(unit[:, i]) for i, u in enumerate(uncertain)}


def sample(method: str, uncertain: Sequence[Uncertain], samples: int, seed: int = 0) -> dict[str, np.ndarray]:
    """The design's parameter values, one array (a value a run) per parameter."""
    return transform(uncertain, unit_sample(method, len(uncertain), samples, seed))


_INDEX_COLUMNS = {"sobol": ("S1", "S1_conf", "ST", "ST_conf"),
                  "morris": ("mu_star", "mu_star_conf", "sigma", "mu"),
                  "mc": ("S1", "S1_conf"), "lhs": ("S1", "S1_conf")}


def indices(method: str, names: Sequence[str], unit: np.ndarray,
            outputs: Mapping[str, np.ndarray], seed: int = 0) -> pd.DataFrame:
    """Sensitivity indices of each output to each parameter, with SALib.

    `unit` is the design from `unit_sample`, `outputs` one array (a value a run) per output.
    sobol: SALib.analyze.sobol (S1, ST and their 95% confidence half-widths from 100
    bootstrap resamples); morris: SALib.analyze.morris (mu*, its confidence, sigma, mu;
    elementary effects per unit of each parameter's quantile, so in the output's unit);
    mc and lhs: RBD-FAST first-order indices (`rbd_fast`). An output that does not vary
    has NaN Sobol and RBD-FAST indices.
    """
    problem = _problem(names)
    columns = _INDEX_COLUMNS[method]
    frames = []
    if method in ("mc", "lhs"):
        ys = np.column_stack([np.asarray(y, dtype=float) for y in outputs.values()])
        s1, conf = rbd_fast(unit, ys, seed)
        for k, output in enumerate(outputs):
            frames.append(pd.DataFrame({"output": output, "parameter": list(names),
                                        "S1": s1[:, k], "S1_conf": conf[:, k]}))
        return pd.concat(frames, ignore_index=True)
    from SALib.analyze import morris, sobol  # here: they import scipy.stats, 1.4 s
    for output, y in outputs.items():
        y = np.asarray(y, dtype=float)
        if y.shape != (unit.shape[0],):
            raise SdeconError(f"output {output!r} has {y.shape} values; expected one a run ({unit.shape[0]})")
        with np.errstate(all="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            if method == "sobol" and not np.ptp(y) > 0:
                found = {c: np.full(len(names), np.nan) for c in columns}
            elif method == "sobol":
                found = sobol.analyze(problem, y, calc_second_order=False, num_resamples=RESAMPLES,
                                      conf_level=0.95, seed=seed)
            else:
                found = morris.analyze(problem, unit, y, num_resamples=RESAMPLES, conf_level=0.95,
                                       num_levels=MORRIS_LEVELS, seed=seed)
        frame = pd.DataFrame({c: np.ma.filled(np.ma.asarray(found[c], dtype=float), np.nan)
                              for c in columns})
        frame.insert(0, "parameter", list(names))
        frame.insert(0, "output", output)
        frames.append(frame)
    return pd.concat(frames, ignore_index=True)


RBD_RESAMPLES = 20        # bootstrap resamples for the RBD-FAST confidence
RBD_RESAMPLE_CAP = 20_000  # runs a resample at most (the spread is rescaled to half the runs)


def _rbd_first_order(x: np.ndarray, ys: np.ndarray, variance: np.ndarray) -> np.ndarray:
    """RBD-FAST S1 of each output column of `ys` to the input `x`, as SALib.analyze.rbd_fast
    computes it: outputs reordered along x (up, then down), the power of the first
    RBD_HARMONICS frequencies over the total (`variance`, the sum of squared deviations, by
    Parseval), Tissot and Prieur's bias correction."""
    from SALib.analyze.rbd_fast import permute_outputs, unskew_S1
    spectrum = np.fft.rfft(permute_outputs(x, ys), axis=0)[1:RBD_HARMONICS + 1]
    with np.errstate(all="ignore"):
        s1 = 2 * (np.abs(spectrum) ** 2).sum(axis=0) / (len(x) * variance)
    return unskew_S1(s1, RBD_HARMONICS, len(x))


def rbd_fast(unit: np.ndarray, ys: np.ndarray, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """First-order indices S1 (parameter, output) and their 95% confidence half-widths, by
    RBD-FAST (SALib.analyze.rbd_fast's estimator, here over all outputs at once).

    The confidence comes from RBD_RESAMPLES bootstrap resamples, as SALib's of half the runs
    but at most RBD_RESAMPLE_CAP, their spread scaled by sqrt(resample / half the runs).
    """
    from statistics import NormalDist  # scipy.stats's norm costs 1.4 s to import
    runs, dimensions = unit.shape
    if ys.shape[0] != runs:
        raise SdeconError(f"outputs have {ys.shape[0]} values; expected one a run ({runs})")
    def variance(y):
        return ((y - y.mean(axis=0)) ** 2).sum(axis=0)

    s1 = np.stack([_rbd_first_order(unit[:, i], ys, variance(ys)) for i in range(dimensions)])
    rng = np.random.default_rng(seed)
    half = runs // 2
    size = min(half, RBD_RESAMPLE_CAP)
    draws = np.empty((RBD_RESAMPLES, dimensions, ys.shape[1]))
    for r in range(RBD_RESAMPLES):
        rows = rng.choice(runs, size=size, replace=True)
        sub = ys[rows]
        total = variance(sub)
        draws[r] = [_rbd_first_order(unit[rows, i], sub, total) for i in range(dimensions)]
    with np.errstate(all="ignore"):
        conf = NormalDist().inv_cdf(0.975) * draws.std(axis=0, ddof=1) * math.sqrt(size / half)
    constant = ~(np.ptp(ys, axis=0) > 0)
    s1[:, constant] = conf[:, constant] = np.nan
    return s1, conf


# --------------------------------------------------------------------------------------
# Streaming percentiles: a mergeable histogram
# --------------------------------------------------------------------------------------


def _bins(x: np.ndarray) -> np.ndarray:
    """Signed bin numbers: 0 for zero, +-(k - KEY_MIN + 1) for magnitudes in bin k."""
    with np.errstate(all="ignore"):
        k = np.ceil(np.log(np.abs(x)) / _LOG_GAMMA)
    k = np.clip(np.nan_to_num(k, nan=_KEY_MIN, neginf=_KEY_MIN, posinf=_KEY_MAX), _KEY_MIN, _KEY_MAX)
    return (k.astype(np.int64) - _KEY_MIN + 1) * np.sign(x).astype(np.int64)


def _representative(b: np.ndarray) -> np.ndarray:
    """The value standing for bin `b`: within RELATIVE_ACCURACY of every value in it."""
    k = np.abs(b) + _KEY_MIN - 1
    with np.errstate(over="ignore"):
        magnitude = np.exp(k * _LOG_GAMMA + math.log(2 / (GAMMA + 1)))
    return np.where(b == 0, 0.0, np.sign(b) * magnitude)


@dataclass(frozen=True)
class Sketch:
    """Counts of values in fixed log-spaced bins, per (variable, year): percentiles within
    RELATIVE_ACCURACY of the exact ones, mergeable batch by batch.

    Bin `b` > 0 holds positive values in (GAMMA**(k-1), GAMMA**k] with k = b + KEY_MIN - 1,
    b < 0 the same for negative values, b = 0 zeros; NaN is not counted. Only bins holding
    a value are stored, so the size is bounded by the bins the values span (about 230 a
    decade of magnitude), whatever the number of runs.
    """
    variables: tuple[str, ...]
    years: tuple[int, ...]
    ids: np.ndarray      # sorted: cell * _STRIDE + b + _WIDTH, cell = variable * len(years) + year
    counts: np.ndarray   # int64, one a stored bin

    @classmethod
    def of(cls, variables: Sequence[str], years: Sequence[int], values: Mapping[str, np.ndarray]) -> Sketch:
        """The sketch of `values`: an array shaped (year, run) a variable."""
        stack = np.stack([np.asarray(values[v], dtype=float) for v in variables])
        cells = np.arange(len(variables) * len(years), dtype=np.int64).reshape(len(variables), len(years), 1)
        ids = cells * _STRIDE + _bins(np.nan_to_num(stack)) + _WIDTH
        counted = ~np.isnan(stack)
        ids, counts = np.unique(ids if counted.all() else ids[counted], return_counts=True)
        return cls(tuple(variables), tuple(int(y) for y in years), ids, counts.astype(np.int64))

    @property
    def nbytes(self) -> int:
        return self.ids.nbytes + self.counts.nbytes

    def merge(self, *others: Sketch) -> Sketch:
        """One sketch of all values in `self` and `others` (counts are exact integers, so
        the order of merging does not matter)."""
        for other in others:
            if (other.variables, other.years) != (self.variables, self.years):
                raise SdeconError("cannot merge sketches of different variables or years")
        ids = np.concatenate([self.ids, *(o.ids for o in others)])
        counts = np.concatenate([self.counts, *(o.counts for o in others)])
        order = np.argsort(ids, kind="stable")  # sorted runs: timsort merges them in linear time
        ids, counts = ids[order], counts[order]
        starts = np.flatnonzero(np.r_[True, ids[1:] != ids[:-1]]) if len(ids) else np.zeros(0, int)
        return Sketch(self.variables, self.years, ids[starts], np.add.reduceat(counts, starts)
                      if len(ids) else counts)

    def runs(self) -> np.ndarray:
        """Values counted, shaped (variable, year)."""
        cells = len(self.variables) * len(self.years)
        n = np.bincount(self.ids // _STRIDE, weights=self.counts, minlength=cells)
        return np.rint(n).astype(np.int64).reshape(len(self.variables), len(self.years))

    def percentiles(self, q: Sequence[float]) -> np.ndarray:
        """Percentiles `q` (0-100), shaped (variable, year, q), by numpy's default (linear)
        rule on the bins' representative values; NaN where nothing was counted."""
        q = np.asarray(q, dtype=float) / 100
        n = self.runs().ravel()
        start = np.concatenate([[0], np.cumsum(n)[:-1]])
        cumulative = np.cumsum(self.counts)
        value = _representative(self.ids % _STRIDE - _WIDTH)
        rank = q[None, :] * np.maximum(n - 1, 0)[:, None]          # (cell, q)
        lo, hi = np.floor(rank), np.ceil(rank)

        def at(r):
            index = np.searchsorted(cumulative, start[:, None] + r.astype(np.int64), side="right")
            return value[np.minimum(index, len(value) - 1)] if len(value) else np.full(r.shape, np.nan)

        with np.errstate(invalid="ignore"):
            a, b = at(lo), at(hi)
            found = np.where(lo == hi, a, a + (rank - lo) * (b - a))
        found[n == 0] = np.nan
        return found.reshape(len(self.variables), len(self.years), len(q))

    def to_frame(self) -> pd.DataFrame:
        """Columns variable, year, bin, count (one row a stored bin)."""
        cell, position = np.divmod(self.ids, _STRIDE)
        per_variable = len(self.years)
        return pd.DataFrame({
            "variable": pd.Categorical.from_codes(cell // per_variable, self.variables),
            "year": np.asarray(self.years, dtype=np.int64)[cell % per_variable],
            "bin": position - _WIDTH,
            "count": self.counts,
        })

    @classmethod
    def from_frame(cls, frame: pd.DataFrame, variables: Sequence[str], years: Sequence[int]) -> Sketch:
        v = pd.Categorical(frame["variable"], categories=list(variables)).codes.astype(np.int64)
        y = pd.Index(list(years)).get_indexer(frame["year"])
        if (v < 0).any() or (y < 0).any():
            raise SdeconError("a sketch holds a variable or year that the sweep does not")
        ids = (v * len(years) + y) * _STRIDE + frame["bin"].to_numpy(np.int64) + _WIDTH
        order = np.argsort(ids, kind="stable")
        return cls(tuple(variables), tuple(int(x) for x in years), ids[order],
                   frame["count"].to_numpy(np.int64)[order])


# --------------------------------------------------------------------------------------
# Batches: computed by workers, written by the parent
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Task:
    index: int
    varied: dict[str, np.ndarray]
    base: dict[str, float]
    variables: tuple[str, ...]
    index_years: tuple[int, ...]


@dataclass(frozen=True)
class _Result:
    index: int
    outputs: dict[str, np.ndarray]
    sketch: Sketch
    engine_seconds: float  # simulating
    reduce_seconds: float  # sketch and index outputs
    model_hash: str        # of the .mdl the worker ran (a cluster's workers may differ)


def _output_name(variable: str, year: int) -> str:
    return f"{variable}@{year}"


def _compute_batch(task: _Task) -> _Result:
    """A worker's job: simulate the batch and reduce it to what the sweep keeps."""
    from . import engine
    start = time.perf_counter()
    runs = len(next(iter(task.varied.values())))
    batch = engine.run({**task.base, **task.varied}, runs, variables=task.variables)
    simulated = time.perf_counter()
    years = [int(round(y)) for y in batch.years]
    outputs = {_output_name(v, y): np.array(batch.values[v][years.index(y)])
               for v in task.variables for y in task.index_years}
    sketch = Sketch.of(task.variables, years, batch.values)
    return _Result(task.index, outputs, sketch, simulated - start, time.perf_counter() - simulated,
                   model.model_hash())


def _worker_init() -> None:
    from . import engine
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent handles Ctrl-C and ends us
    engine.THREADS = 1  # the processes already use every core


def _run_in_process(tasks: Iterable[_Task], on_result) -> None:
    for task in tasks:
        on_result(_compute_batch(task))


def _run_local(tasks: Iterable[_Task], on_result, workers: int) -> None:
    """Forked processes inheriting the compiled engine; at most two batches in flight a
    worker, so the samples waiting to be computed stay bounded."""
    from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
    from concurrent.futures.process import BrokenProcessPool

    from . import engine
    engine.program().prepare()  # compile once, before forking: the children inherit it
    methods = multiprocessing.get_all_start_methods()
    context = multiprocessing.get_context("fork" if "fork" in methods else None)
    executor = ProcessPoolExecutor(workers, mp_context=context, initializer=_worker_init)
    pending: set = set()
    try:
        tasks = iter(tasks)
        while True:
            while len(pending) < 2 * workers and (task := next(tasks, None)) is not None:
                pending.add(executor.submit(_compute_batch, task))
            if not pending:
                break
            finished, pending = wait(pending, return_when=FIRST_COMPLETED)
            for future in finished:
                on_result(future.result())
    except BrokenProcessPool:
        raise SdeconError("a worker process died (out of memory?); the finished batches are "
                          "kept: lower --batch-size or --workers and run again with --resume") from None
    except BaseException:
        for future in pending:
            future.cancel()
        for process in list(getattr(executor, "_processes", {}).values()):
            process.terminate()  # do not wait for batches nobody will write
        raise
    finally:
        executor.shutdown(wait=True, cancel_futures=True)


def _connect(address: str):
    """A Dask client of the scheduler at `address`, or a one-line SdeconError."""
    try:
        from dask.distributed import Client
        from distributed.comm import parse_address
        from distributed.comm.addressing import parse_host_port
    except ImportError:
        raise SdeconError("--cluster needs dask.distributed: pip install 'dask[distributed]'") from None
    try:
        scheme, location = parse_address(address)
        if scheme in ("tcp", "tls"):
            parse_host_port(location)  # a Client built on a bad address hangs when collected
    except (ValueError, TypeError) as error:
        raise SdeconError(f"--cluster {address!r} is not a scheduler address ({error}); expected "
                          "one such as tcp://HOST:8786") from None
    try:
        return Client(address, timeout="20s", set_as_default=False)
    except (OSError, TimeoutError, ValueError, TypeError) as error:
        raise SdeconError(f"--cluster {address!r}: cannot connect to a Dask scheduler there "
                          f"({error}); expected an address such as tcp://HOST:8786") from None


def _run_dask(tasks: Iterable[_Task], on_result, client) -> None:
    """Batches sent to a Dask cluster, at most two in flight a worker; its workers need
    sdecon installed (they compile the engine once each)."""
    from dask.distributed import as_completed
    workers = max(1, len(client.scheduler_info().get("workers", {})))
    tasks = iter(tasks)
    running = as_completed(loop=client.loop)
    for task in tasks:
        running.add(client.submit(_compute_batch, task, pure=False))
        if running.count() >= 2 * workers:
            break
    for future in running:
        result = future.result()
        future.release()
        on_result(result)
        task = next(tasks, None)
        if task is not None:
            running.add(client.submit(_compute_batch, task, pure=False))


# --------------------------------------------------------------------------------------
# The sweep
# --------------------------------------------------------------------------------------


@dataclass
class SweepResult:
    """A finished sweep: its directory, manifest, percentile bands and indices."""
    directory: Path
    manifest: dict
    bands: pd.DataFrame
    indices: pd.DataFrame
    computed: int = 0                       # batches computed by this call
    skipped: int = 0                        # batches found on disk (--resume)
    timings: dict[str, float] = field(default_factory=dict)

    def runs(self, columns: Sequence[str] | None = None) -> pd.DataFrame:
        """Every run's row (sample and index outputs), in run order. Holds all runs in
        memory: pass `columns` for large sweeps."""
        files = _batch_files(self.directory, "runs", self.manifest["batches"])
        wanted = None if columns is None else ["run", *[c for c in columns if c != "run"]]
        frame = pd.concat([pd.read_parquet(f, columns=wanted) for f in files], ignore_index=True)
        return frame.sort_values("run", ignore_index=True)

    @property
    def figures(self) -> list[Path]:
        return sorted((self.directory / "figures").glob("*.png"))


def _batch_files(directory: Path, kind: str, batches: int) -> list[Path]:
    return [directory / kind / f"batch-{i:05d}.parquet" for i in range(batches)]


def _digest(manifest: dict) -> str:
    return hashlib.sha256(json.dumps(manifest, sort_keys=True).encode()).hexdigest()


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
            raise SdeconError(f"--year {year!r} is not a saved year of the model; allowed: "
                              f"whole years {saved[0]} to {saved[-1]}")
        if int(year) not in chosen:
            chosen.append(int(year))
    if not chosen:
        raise SdeconError("--year: give at least one year for the indices")
    return tuple(sorted(chosen))


def _positive(value, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise SdeconError(f"{what} {value!r} must be a whole number of at least 1")
    return int(value)


def _prepare_directory(directory: Path, manifest: dict, resume: bool) -> bool:
    """Check the output directory; True when it holds this sweep's manifest already."""
    if directory.exists() and not directory.is_dir():
        raise SdeconError(f"--output {str(directory)!r} is a file; expected a directory")
    entries = list(directory.iterdir()) if directory.is_dir() else []
    if not entries:
        return False
    path = directory / _MANIFEST
    if not resume:
        hint = " (it holds a sweep: add --resume to finish it)" if path.is_file() else ""
        raise SdeconError(f"--output {str(directory)!r} is not empty; expected an empty or new "
                          f"directory{hint}")
    if not path.is_file():
        raise SdeconError(f"--resume: {str(directory)!r} is not empty and holds no sweep "
                          f"({_MANIFEST} is missing); expected a directory of an earlier sweep")
    try:
        found = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise SdeconError(f"--resume: cannot read {str(path)!r}: {error}") from None
    if found != manifest:
        keys = [k for k in manifest if found.get(k) != manifest[k]] + \
               [k for k in found if k not in manifest]
        key = keys[0]
        raise SdeconError(f"--resume: {str(directory)!r} holds a different sweep ({key}: "
                          f"{_short(found.get(key))} there, {_short(manifest.get(key))} here); "
                          "expected the same settings, or use another --output")
    return True


def _short(value) -> str:
    text = json.dumps(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _finished_batches(directory: Path, batches: int, digest: str) -> set[int]:
    """Batches whose runs file exists and belongs to this sweep (its metadata says so)."""
    import pyarrow.parquet as pq
    done = set()
    for index, path in enumerate(_batch_files(directory, "runs", batches)):
        if not path.is_file():
            continue
        sketch = _batch_files(directory, "sketches", batches)[index]
        try:
            metadata = pq.read_schema(path).metadata or {}
        except (OSError, ValueError):
            continue  # unreadable: compute it again
        if metadata.get(b"sdecon.sweep") != digest.encode():
            raise SdeconError(f"--resume: {str(path)!r} belongs to a different sweep; "
                              "expected only this sweep's batches in the directory")
        if sketch.is_file():
            done.add(index)
    return done


def _remove_temporaries(directory: Path) -> None:
    """Temporary files of writes cut short (a killed sweep leaves them)."""
    for folder in (directory, directory / "runs", directory / "sketches", directory / "figures"):
        if folder.is_dir():
            for path in folder.glob(".*"):
                if path.is_file():
                    path.unlink(missing_ok=True)


def _parquet_writer(frame: pd.DataFrame, digest: str):
    def write(tmp: Path) -> None:
        import pyarrow as pa
        import pyarrow.parquet as pq
        table = pa.Table.from_pandas(frame, preserve_index=False)
        metadata = dict(table.schema.metadata or {})
        metadata[b"sdecon.sweep"] = digest.encode()
        pq.write_table(table.replace_schema_metadata(metadata), tmp)
    return write


def _png_writer(figure):
    return lambda tmp: figure.savefig(tmp, dpi=110, format="png", metadata={"Software": None})


def _csv_writer(frame: pd.DataFrame):
    return lambda tmp: frame.to_csv(tmp, index=False)


def sweep(scenario: str | scenarios.Scenario = "baseline", method: str = "sobol", samples: int = 1024,
          vary: Iterable[str | Uncertain] | None = None, seed: int = 0, cluster: str | None = None,
          resume: bool = False, *, output: str | Path, batch_size: int = BATCH_SIZE,
          years: Iterable[int] = INDEX_YEARS, workers: int | None = None, figures: bool = True,
          progress: bool | None = None, log: Callable[[str], None] | None = None) -> SweepResult:
    """Run `samples` of `method` over the uncertain parameters and write the sweep to `output`.

    `vary`: "Name=LOW:HIGH[:distribution]" strings (or Uncertain); none: the default
    uncertainty set (`default_uncertainty`). The scenario gives every other parameter.
    `samples` is SALib's N: runs for mc and lhs, N (D + 2) runs for sobol (N a power of 2),
    N (D + 1) for morris (N trajectories). `years`: the years whose public variables get
    sensitivity indices. `cluster`: a Dask scheduler address; else `workers` local
    processes (default: every core). `resume`: finish a sweep in `output`, computing only
    the batches not on disk. `progress`: a bar on stderr (None: when stderr is a terminal).
    The same arguments give the same files, whatever the executor.
    """
    timings: dict[str, float] = {}
    clock = time.perf_counter()
    log = log or (lambda message: None)
    chosen = scenario if isinstance(scenario, scenarios.Scenario) else scenarios.load(scenario)
    uncertain = _uncertainty(vary, chosen)
    _check_design(method, samples, seed)
    batch_size = _positive(batch_size, "--batch-size")
    index_years = _index_years(list(years))
    if cluster is not None and workers is not None:
        raise SdeconError("--workers is for local runs; a --cluster has its own workers")
    workers = _positive(workers, "--workers") if workers is not None else (os.cpu_count() or 1)
    if output is None or not str(output):
        raise SdeconError("--output DIR is required: a sweep is written to a directory")
    directory = Path(output)
    from . import __version__
    runs = run_count(method, len(uncertain), int(samples))
    batches = -(-runs // batch_size)
    manifest = {
        "format": _FORMAT, "sdecon_version": __version__, "model_hash": model.model_hash(),
        "scenario": chosen.name, "scenario_values": dict(sorted(chosen.values.items())),
        "method": method, "samples": int(samples), "runs": runs, "seed": int(seed),
        "vary": [u.describe() for u in uncertain], "default_set": not vary,
        "batch_size": batch_size, "batches": batches, "index_years": list(index_years),
        "variables": list(PUBLIC_VARIABLES), "years": _saved_years(), "percentiles": list(PERCENTILES),
        "relative_accuracy": RELATIVE_ACCURACY,
    }
    digest = _digest(manifest)
    resuming = _prepare_directory(directory, manifest, resume)
    client = _connect(cluster) if cluster is not None else None  # before anything is written
    try:
        return _sweep(directory, manifest, digest, resuming, chosen, uncertain, client, workers,
                      figures, progress, log, timings, clock)
    finally:
        if client is not None:
            client.close()


def _sweep(directory, manifest, digest, resuming, chosen, uncertain, client, workers, figures,
           progress, log, timings, clock) -> SweepResult:
    method, samples, seed = manifest["method"], manifest["samples"], manifest["seed"]
    runs, batches, batch_size = manifest["runs"], manifest["batches"], manifest["batch_size"]
    index_years = tuple(manifest["index_years"])
    unit = unit_sample(method, len(uncertain), samples, seed)
    names = [u.name for u in uncertain]
    try:
        for folder in (directory, directory / "runs", directory / "sketches"):
            folder.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise SdeconError(f"cannot write {str(directory)!r}: {error.strerror or error}") from None
    if resuming:
        _remove_temporaries(directory)
        done = _finished_batches(directory, batches, digest)
    else:
        from .output import write_all
        text = json.dumps(manifest, indent=2) + "\n"
        write_all([(directory / _MANIFEST, lambda tmp: tmp.write_text(text, encoding="utf-8"))])
        done = set()
    todo = [i for i in range(batches) if i not in done]
    log(f"sweep: {runs:,} runs ({method}, {_plural(len(uncertain), 'parameter')}, seed {seed}) in "
        f"{_plural(batches, 'batch')} of up to {batch_size:,}"
        + (f"; {len(done)} already on disk" if resuming else ""))
    base = {k: v for k, v in chosen.values.items() if k not in names}
    timings["prepare"] = time.perf_counter() - clock

    def tasks():
        for index in todo:
            rows = slice(index * batch_size, min(runs, (index + 1) * batch_size))
            yield _Task(index, transform(uncertain, unit[rows]), base, PUBLIC_VARIABLES, index_years)

    bar = _bar()(total=runs, initial=runs - sum(_batch_rows(i, batch_size, runs) for i in todo),
               unit="run", desc="sweep", file=sys.stderr, disable=None if progress is None else not progress,
               smoothing=0.1)
    for key in ("batch_engine", "batch_reduce", "batch_write"):
        timings[key] = 0.0

    def on_result(result: _Result) -> None:
        if result.model_hash != manifest["model_hash"]:
            raise SdeconError(f"a worker ran another model (hash {result.model_hash[:12]}, here "
                              f"{manifest['model_hash'][:12]}); expected the same sdecon and .mdl on "
                              "every worker of the cluster")
        written = time.perf_counter()
        rows = slice(result.index * batch_size, min(runs, (result.index + 1) * batch_size))
        _write_batch(directory, batches, result, rows, names, transform(uncertain, unit[rows]), digest)
        timings["batch_engine"] += result.engine_seconds
        timings["batch_reduce"] += result.reduce_seconds
        timings["batch_write"] += time.perf_counter() - written
        bar.update(rows.stop - rows.start)

    if todo and client is None:
        from . import engine
        clock = time.perf_counter()
        engine.program().prepare()  # once a process; forked workers inherit it
        timings["compile"] = time.perf_counter() - clock
    clock = time.perf_counter()
    try:
        if not todo:
            pass
        elif client is not None:
            _run_dask(tasks(), on_result, client)
        elif workers == 1 or len(todo) == 1:
            _run_in_process(tasks(), on_result)
        else:
            _run_local(tasks(), on_result, min(workers, len(todo)))
    finally:
        bar.close()
    timings["compute"] = time.perf_counter() - clock

    clock = time.perf_counter()
    bands, index_table = _summaries(directory, manifest, uncertain, unit, digest)
    timings["summaries"] = time.perf_counter() - clock
    clock = time.perf_counter()
    _write_summaries(directory, manifest, bands, index_table, digest, figures)
    timings["write"] = time.perf_counter() - clock
    return SweepResult(directory, manifest, bands, index_table, len(todo), len(done), timings)


def _bar():
    from tqdm import tqdm

    class Bar(tqdm):
        monitor_interval = 0  # no monitor thread: the local executor forks after this

    return Bar


def _plural(n: int, noun: str) -> str:
    return f"{n:,} {noun}" + ("" if n == 1 else "es" if noun.endswith("ch") else "s")


def _batch_rows(index: int, batch_size: int, runs: int) -> int:
    return min(runs, (index + 1) * batch_size) - index * batch_size


def _write_batch(directory: Path, batches: int, result: _Result, rows: slice, names: Sequence[str],
                 values: Mapping[str, np.ndarray], digest: str) -> None:
    """The batch's sketch, then its runs file: a batch is done when its runs file exists."""
    from .output import write_all
    table = {"run": np.arange(rows.start, rows.stop, dtype=np.int64)}
    table.update({name: values[name] for name in names})
    table.update(result.outputs)
    runs_path = _batch_files(directory, "runs", batches)[result.index]
    sketch_path = _batch_files(directory, "sketches", batches)[result.index]
    write_all([(sketch_path, _parquet_writer(result.sketch.to_frame(), digest)),
               (runs_path, _parquet_writer(pd.DataFrame(table), digest))])


def _summaries(directory: Path, manifest: dict, uncertain: Sequence[Uncertain], unit: np.ndarray,
               digest: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Percentile bands from the batches' sketches (merged a few at a time) and indices
    from the index outputs (read one output at a time)."""
    batches = manifest["batches"]
    variables, years = tuple(manifest["variables"]), manifest["years"]
    merged = None
    for path in _batch_files(directory, "sketches", batches):  # one batch at a time
        sketch = Sketch.from_frame(pd.read_parquet(path), variables, years)
        merged = sketch if merged is None else merged.merge(sketch)
    bands = _bands_frame(merged)

    files = _batch_files(directory, "runs", batches)
    outputs = [_output_name(v, y) for v in variables for y in manifest["index_years"]]
    names = [u.name for u in uncertain]
    frames = []
    group = max(1, _OUTPUT_VALUES // manifest["runs"])  # outputs read at once: memory bounded
    for first in range(0, len(outputs), group):
        chosen = outputs[first:first + group]
        parts = [pd.read_parquet(f, columns=chosen) for f in files]
        ys = {output: np.concatenate([part[output].to_numpy() for part in parts]) for output in chosen}
        del parts
        frames.append(indices(manifest["method"], names, unit, ys, manifest["seed"]))
    table = pd.concat(frames, ignore_index=True)
    variable = [output.rsplit("@", 1)[0] for output in table["output"]]
    year = [int(output.rsplit("@", 1)[1]) for output in table["output"]]
    units = model.documentation()["Units"]
    table.insert(1, "variable", variable)
    table.insert(2, "year", np.asarray(year, dtype=np.int64))
    table.insert(3, "unit", [str(units[v]) for v in variable])
    return bands, table


def _bands_frame(sketch: Sketch) -> pd.DataFrame:
    units = model.documentation()["Units"]
    values = sketch.percentiles(PERCENTILES)
    n = sketch.runs()
    rows = []
    for i, variable in enumerate(sketch.variables):
        for j, year in enumerate(sketch.years):
            rows.append([variable, str(units[variable]), year, int(n[i, j]), *values[i, j]])
    return pd.DataFrame(rows, columns=["variable", "unit", "year", "runs", *(f"p{p}" for p in PERCENTILES)])


def _slug(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")


def _write_summaries(directory: Path, manifest: dict, bands: pd.DataFrame, index_table: pd.DataFrame,
                     digest: str, figures: bool) -> None:
    """The summary tables and figures, all or none."""
    from . import plotting
    from .output import write_all
    outputs = [(directory / "summary_bands.csv", _csv_writer(bands)),
               (directory / "summary_bands.parquet", _parquet_writer(bands, digest)),
               (directory / "indices.csv", _csv_writer(index_table)),
               (directory / "indices.parquet", _parquet_writer(index_table, digest))]
    drawn = []
    try:
        if figures:
            (directory / "figures").mkdir(exist_ok=True)
            title = f"{manifest['scenario']}, {manifest['method']}, {manifest['runs']:,} runs"
            for variable in manifest["variables"]:
                drawn.append(fan_chart(bands, variable, title))
                outputs.append((directory / "figures" / f"fan-{_slug(variable)}.png", _png_writer(drawn[-1])))
            drawn.append(tornado(index_table, manifest["method"], HEADLINE, title))
            outputs.append((directory / "figures" / "tornado.png", _png_writer(drawn[-1])))
        write_all(outputs)
    finally:
        for figure in drawn:
            plotting.plt.close(figure)


# --------------------------------------------------------------------------------------
# Figures
# --------------------------------------------------------------------------------------


def fan_chart(bands: pd.DataFrame, variable: str, title: str = ""):
    """The percentile bands of one variable over time: 5-95, 10-90 and 25-75 shaded, the
    median as a line; a log axis when the bands are positive and span over 100x."""
    from . import plotting
    plt = plotting.plt
    rows = bands[bands["variable"] == variable].sort_values("year")
    fig, ax = plt.subplots(figsize=(8, 4.8), constrained_layout=True)
    for lo, hi, alpha in ((5, 95, 0.18), (10, 90, 0.28), (25, 75, 0.45)):
        ax.fill_between(rows["year"], rows[f"p{lo}"], rows[f"p{hi}"], color="C0", alpha=alpha,
                        linewidth=0, label=f"{lo}-{hi}th percentile")
    ax.plot(rows["year"], rows["p50"], color="C0", linewidth=2, label="median")
    low, high = rows["p5"].min(), rows["p95"].max()
    if low > 0 and high / low > 100:
        ax.set_yscale("log")
    ax.set_title(f"{variable}" + (f"\n{title}" if title else ""))
    ax.set_xlabel("year")
    ax.set_ylabel(plotting.unit_label(variable))
    ax.grid(True, which="major", alpha=0.3)
    ax.legend(fontsize=8, loc="best")
    return fig


def tornado(index_table: pd.DataFrame, method: str, variable: str = HEADLINE, title: str = "", top: int = 15):
    """The parameters that matter most for `variable`, a panel an index year: ST beside S1
    (sobol), mu* (morris) or S1 (mc, lhs), largest on top, with 95% confidence half-widths."""
    from . import plotting
    plt = plotting.plt
    shown = {"sobol": (("ST", "ST_conf"), ("S1", "S1_conf")), "morris": (("mu_star", "mu_star_conf"),),
             "mc": (("S1", "S1_conf"),), "lhs": (("S1", "S1_conf"),)}[method]
    main = shown[0][0]
    rows = index_table[index_table["variable"] == variable]
    years = sorted(rows["year"].unique())
    count = min(top, rows["parameter"].nunique())
    fig, axes = plt.subplots(1, len(years), figsize=(5.2 * len(years), 0.4 * count + 1.8),
                             constrained_layout=True, squeeze=False)
    height = 0.8 / len(shown)
    for ax, year in zip(axes[0], years):
        part = rows[rows["year"] == year].sort_values(main, na_position="first").tail(top)
        y = np.arange(len(part))
        for k, (column, conf) in enumerate(shown):
            offset = (len(shown) - 1) / 2 * height - k * height
            ax.barh(y + offset, part[column].fillna(0), height=height, xerr=part[conf].fillna(0),
                    color=f"C{k}", label=column.replace("mu_star", "mu*"),
                    error_kw={"elinewidth": 0.8, "capsize": 2})
        ax.set_yticks(y, part["parameter"], fontsize=7)
        ax.set_title(f"{year}")
        ax.set_xlabel(f"mu* ({plotting.unit_label(variable)})" if method == "morris"
                      else "index (share of variance)")
        ax.axvline(0, color="black", linewidth=0.6)
        ax.grid(True, axis="x", alpha=0.3)
        ax.legend(fontsize=7, loc="lower right")
    fig.suptitle(f"Sensitivity of {variable}" + (f": {title}" if title else ""))
    return fig


# --------------------------------------------------------------------------------------
# Reading a sweep back
# --------------------------------------------------------------------------------------


def load(directory: str | Path) -> SweepResult:
    """A finished sweep read from its directory: manifest, bands, indices (runs on demand)."""
    directory = Path(directory)
    path = directory / _MANIFEST
    if not path.is_file():
        raise SdeconError(f"{str(directory)!r} holds no sweep ({_MANIFEST} is missing); "
                          "expected a directory written by 'sdecon sweep'")
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise SdeconError(f"cannot read {str(path)!r}: {error}") from None
    if manifest.get("format") != _FORMAT:
        raise SdeconError(f"{str(path)!r} is of sweep format {manifest.get('format')!r}; this sdecon "
                          f"reads format {_FORMAT}")
    summaries = [directory / "summary_bands.parquet", directory / "indices.parquet"]
    if not all(p.is_file() for p in summaries):
        on_disk = sum(p.is_file() for p in _batch_files(directory, "runs", manifest.get("batches", 0)))
        raise SdeconError(f"the sweep in {str(directory)!r} is not finished ({on_disk} of "
                          f"{manifest.get('batches')} batches on disk); finish it by running the "
                          "same 'sdecon sweep' command with --resume")
    return SweepResult(directory, manifest, pd.read_parquet(summaries[0]), pd.read_parquet(summaries[1]))


# --------------------------------------------------------------------------------------
# Command line
# --------------------------------------------------------------------------------------


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
    sweep_parser.add_argument("--samples", required=True, type=int, metavar="N",
                              help="runs for mc and lhs; base samples for sobol (a power of 2; "
                                   "N (D+2) runs); trajectories for morris (N (D+1) runs)")
    sweep_parser.add_argument("--vary", action="append", metavar='"NAME=LOW:HIGH[:DIST]"',
                              help="vary a parameter; DIST uniform (default), loguniform, normal or "
                                   "triangular; repeatable; without it, the default uncertainty set")
    sweep_parser.add_argument("--seed", type=int, default=0, help="random seed (default: 0)")
    sweep_parser.add_argument("--year", type=int, action="append", dest="years", metavar="YEAR",
                              help="a year for the sensitivity indices; repeatable "
                                   f"(default: {' '.join(map(str, INDEX_YEARS))})")
    sweep_parser.add_argument("--batch-size", type=int, default=BATCH_SIZE, metavar="RUNS",
                              help=f"runs a batch (default: {BATCH_SIZE})")
    sweep_parser.add_argument("--workers", type=int, metavar="N",
                              help="local worker processes (default: one a core)")
    sweep_parser.add_argument("--cluster", metavar="ADDRESS",
                              help="a Dask scheduler, e.g. tcp://HOST:8786 (default: this machine)")
    sweep_parser.add_argument("--resume", action="store_true",
                              help="finish an interrupted sweep in DIR without recomputing its batches")
    sweep_parser.add_argument("--no-figures", action="store_true", help="skip the PNG figures")
    sweep_parser.add_argument("--output", required=True, metavar="DIR",
                              help="directory to write (new or empty, unless --resume)")
    sweep_parser.set_defaults(handler=handle)
    return sweep_parser


def handle(args) -> None:
    """Run `sdecon sweep` from parsed arguments; errors are SdeconError (one line)."""
    def log(message: str) -> None:
        print(message, file=sys.stderr)

    result = sweep(args.scenario, args.method, args.samples, args.vary, args.seed, args.cluster,
                   args.resume, output=args.output, batch_size=args.batch_size,
                   years=args.years or INDEX_YEARS, workers=args.workers, figures=not args.no_figures,
                   log=log)
    done = f"computed {_plural(result.computed, 'batch')}" + (f", {result.skipped} on disk" if result.skipped else "")
    log(f"wrote {args.output}: {result.manifest['runs']:,} runs ({done}); summary_bands.csv, "
        f"indices.csv" + (", figures/" if not args.no_figures else ""))
