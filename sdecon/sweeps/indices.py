"""Sensitivity indices with SALib, and RBD-FAST over many outputs at once."""
from __future__ import annotations

import math
import warnings
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from ..errors import SdeconError

MORRIS_LEVELS = 4
RBD_HARMONICS = 10              # SALib's default M for RBD-FAST
RESAMPLES = 100                 # bootstrap resamples for the confidence intervals


def _problem(names: Sequence[str]) -> dict:
    return {"num_vars": len(names), "names": list(names), "bounds": [[0.0, 1.0]] * len(names)}


_INDEX_COLUMNS = {"sobol": ("S1", "S1_conf", "ST", "ST_conf"),
                  "morris": ("mu_star", "mu_star_conf", "sigma", "mu"),
                  "mc": ("S1", "S1_conf"), "lhs": ("S1", "S1_conf")}


#: An index is converged when its 95% interval is narrower than this (a fraction of variance)
#: and it lies within [-0.05, 1.05], where a variance share can be given sampling noise.
CONVERGED_WIDTH = 0.1
_SHARE_RANGE = (-0.05, 1.05)


def converged(method: str, table: pd.DataFrame) -> pd.Series:
    """Per row of an indices table: False where the index is not to be trusted ("not
    converged: raise --samples"): for sobol, ST or S1 outside [-0.05, 1.05] or a 95%
    interval wider than `CONVERGED_WIDTH`; for mc and lhs the same on S1; for morris, a mu*
    interval wider than half of mu*. NaN indices (an output that does not vary) count as
    converged: there is nothing to estimate."""
    def share(column: str) -> pd.Series:
        value, conf = table[column], table[f"{column}_conf"]
        inside = value.between(*_SHARE_RANGE) & (conf <= CONVERGED_WIDTH)
        return inside | value.isna()

    if method == "sobol":
        return share("ST") & share("S1")
    if method == "morris":
        return (table["mu_star_conf"] <= 0.5 * table["mu_star"].abs()) | table["mu_star"].isna() \
            | (table["mu_star"] == 0)
    return share("S1")


def log_values(output: str, y: np.ndarray) -> np.ndarray:
    """ln of an output's values (a value a run), for indices on ln(output).

    Parameters
    ----------
    output : str
        The output's name, for the error.
    y : ndarray
        Its values; NaN (a run that gave none) stays NaN.

    Returns
    -------
    ndarray

    Raises
    ------
    SdeconError
        When a value is zero or negative, naming the output, the value and its run.
    """
    y = np.asarray(y, dtype=float)
    bad = np.flatnonzero(y <= 0)
    if bad.size:
        raise SdeconError(f"log_outputs: output {output!r} is {y[bad[0]]:.4g} in run {bad[0]} "
                          f"({bad.size:,} runs at or below 0); expected positive values, whose ln is defined; "
                          "allowed: indices on the raw outputs, without log_outputs (a sweep keeps its runs: "
                          "resume it without)",
                          argument="log_outputs")
    return np.log(y)


def indices(method: str, names: Sequence[str], unit: np.ndarray,
            outputs: Mapping[str, np.ndarray], seed: int = 0, log_outputs: bool = False) -> pd.DataFrame:
    """Sensitivity indices of each output to each parameter, with SALib.

    Parameters
    ----------
    method : {"mc", "lhs", "sobol", "morris"}
        sobol: SALib.analyze.sobol (S1, ST and their 95% confidence half-widths from 100
        bootstrap resamples); morris: SALib.analyze.morris (mu*, its confidence, sigma, mu;
        elementary effects per unit of each parameter's quantile, so in the output's unit);
        mc and lhs: RBD-FAST first-order indices (`rbd_fast`).
    names : sequence of str
        The parameters, a column of `unit` each.
    unit : ndarray
        The design from `unit_sample`.
    outputs : mapping of str to ndarray
        One array (a value a run) per output.
    seed : int
        Seed of the bootstrap resamples.
    log_outputs : bool
        Indices of ln(output) rather than of the output (`log_values`): for positive outputs
        spanning orders of magnitude, whose variance the few largest runs would dominate;
        morris's effects are then changes of ln(output).

    Returns
    -------
    DataFrame
        `output`, `parameter`, the method's index columns, then `converged` (`converged`).
        An output that does not vary has NaN Sobol and RBD-FAST indices.

    Raises
    ------
    SdeconError
        An output with the wrong number of values; with `log_outputs`, one at or below 0.
    """
    problem = _problem(names)
    columns = _INDEX_COLUMNS[method]
    if log_outputs:
        outputs = {output: log_values(output, y) for output, y in outputs.items()}
    frames = []
    if method in ("mc", "lhs"):
        ys = np.column_stack([np.asarray(y, dtype=float) for y in outputs.values()])
        s1, conf = rbd_fast(unit, ys, seed)
        for k, output in enumerate(outputs):
            frames.append(pd.DataFrame({"output": output, "parameter": list(names),
                                        "S1": s1[:, k], "S1_conf": conf[:, k]}))
        table = pd.concat(frames, ignore_index=True)
        return table.assign(converged=converged(method, table))
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
    table = pd.concat(frames, ignore_index=True)
    return table.assign(converged=converged(method, table))


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
