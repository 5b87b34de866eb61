"""Streaming percentiles: a mergeable histogram, and the percentile bands it gives."""
from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .. import model
from ..errors import SdeconError

PERCENTILES = (5, 10, 25, 50, 75, 90, 95)

# Histogram bins: bin k holds magnitudes in (GAMMA**(k-1), GAMMA**k]; its representative
# value 2 GAMMA**k / (GAMMA + 1) is within RELATIVE_ACCURACY of every value in it.
RELATIVE_ACCURACY = 0.005
GAMMA = (1 + RELATIVE_ACCURACY) / (1 - RELATIVE_ACCURACY)
_LOG_GAMMA = math.log(GAMMA)
_KEY_MIN = math.floor(math.log(np.finfo(float).tiny) / _LOG_GAMMA)
_KEY_MAX = math.ceil(math.log(np.finfo(float).max) / _LOG_GAMMA)
_WIDTH = _KEY_MAX - _KEY_MIN + 1     # bins per sign
_STRIDE = 2 * _WIDTH + 1             # negative bins, zero, positive bins


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


def _bands_frame(sketch: Sketch) -> pd.DataFrame:
    units = model.documentation()["Units"]
    values = sketch.percentiles(PERCENTILES)
    n = sketch.runs()
    rows = []
    for i, variable in enumerate(sketch.variables):
        for j, year in enumerate(sketch.years):
            rows.append([variable, str(units[variable]), year, int(n[i, j]), *values[i, j]])
    return pd.DataFrame(rows, columns=["variable", "unit", "year", "runs", *(f"p{p}" for p in PERCENTILES)])
