"""The observation operator: what the model says each data row should be, and how far off it is.

One operator serves the fit (`sdecon.calibrate`), `sdecon.validate`, `sdecon.backtest` and
the report, so all of them mean the same by "modelled" and "log error":

- **Modelled value.** A row of series s at year y compares with scale x V(y + offset)^power,
  V the model variable `sdecon.data.mapping()` names for s. Between two saved years V is
  interpolated geometrically (linearly where a neighbour is not positive); a modelled value
  that is not positive has no log error (NaN).
- **Log error.** ln(modelled / observed). A series whose mapping scale is `fit` compares on
  its trend only: its level ln(1 / scale) is the weighted mean log error of the rows a fit saw,
  and a calibration carries it (`Calibration.levels`); rows being validated never set it.
- **Weight.** A row's confidence weight (`sdecon.data.weights`) divided by the number of rows
  its series has among those compared, so each series counts by its confidence, not by how
  many rows it has. The fit's cost and validate's weighted RMS use these same weights.
- **Rows not compared** are kept with the reason, never dropped silently: a series the
  mapping does not know, a model time outside the run, a unit of another meaning
  (`sdecon.units`), a value that is not positive, an exact duplicate of an earlier row, a
  trend-only series with no level.
"""
from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property

import numpy as np
import pandas as pd

from . import data, units
from .errors import SdeconError, closest

#: Columns of `Observations.table` and of a comparison's table.
COLUMNS = ["series", "label", "year", "observed", "modelled", "log_error", "weight", "unit",
           "variable", "time", "scale", "fit"]


@dataclass(frozen=True)
class Observations:
    """Data rows ready to compare: `table` (one row a compared observation: the data's
    columns, `observed` in the mapping's unit, variable, scale (NaN when fitted), power,
    time, fit, weight) and `skipped` (the rows not compared, with `reason`)."""
    table: pd.DataFrame
    skipped: pd.DataFrame

    @cached_property
    def variables(self) -> list[str]:
        """The model variables the rows need."""
        return sorted(self.table["variable"].unique())

    @cached_property
    def arrays(self) -> _Arrays:
        """The table's columns as arrays and its groups as row indices, computed once: the
        operator runs once per batch of a fit or a posterior, thousands of times."""
        table = self.table
        fit = table["fit"].to_numpy(bool)
        return _Arrays(
            time=table["time"].to_numpy(float), log_observed=np.log(table["observed"].to_numpy(float)),
            weight=table["weight"].to_numpy(float),
            scale=np.where(fit, 1.0, table["scale"].to_numpy(float))[:, None],
            power=table["power"].to_numpy(float)[:, None],
            variables={v: np.asarray(i) for v, i in table.groupby("variable").indices.items()},
            trend_only={s: np.flatnonzero(fit)[i] for s, i in table[fit].groupby("series").indices.items()})


@dataclass(frozen=True)
class _Arrays:
    time: np.ndarray
    log_observed: np.ndarray
    weight: np.ndarray
    scale: np.ndarray           # (row, 1): 1 for a trend-only row
    power: np.ndarray           # (row, 1)
    variables: dict             # variable -> its rows
    trend_only: dict            # trend-only series -> its rows


def select(table: pd.DataFrame | None = None, *, first: float, last: float,
           since: float | None = None, until: int | None = None,
           series: Sequence[str] | None = None) -> Observations:
    """The rows of `table` (default: the package data) that can be compared with a run over
    model times `first`-`last`, and the rest with the reason.

    `since`/`until` keep rows whose model time is in [since, until + 1): NVIDIA's fiscal 2025
    is mostly calendar 2024. `series` keeps only those series (rows of others are left out
    without a reason: they were not asked for).
    """
    rows = data.load() if table is None else table
    missing = [c for c in ("year", "series", "value", "unit", "confidence") if c not in rows]
    if missing:
        raise SdeconError(f"observations lack column{'s' if len(missing) > 1 else ''} "
                          f"{', '.join(missing)}; required: {', '.join(data.REQUIRED_COLUMNS)}")
    rows = rows.reset_index(drop=True).copy()
    if "label" not in rows:
        rows["label"] = ""
    if series is not None:
        rows = rows[rows["series"].isin(series)].reset_index(drop=True)
    mapping = data.mapping().set_index("series")
    rows["key"] = data.mapping_keys(rows["series"])
    reasons = pd.Series("", index=rows.index, dtype=object)
    kinds = pd.Series("", index=rows.index, dtype=object)

    unknown = rows["key"].isna()
    left_out = data.left_out().set_index("series")["why"]
    known = list(mapping.index) + list(left_out.index)
    for i in rows.index[unknown]:
        name = rows.at[i, "series"]
        reasons[i] = (f"left out of the mapping: {left_out[name]}" if name in left_out.index else
                      f"not in the mapping (sdecon.data.mapping()){closest(name, known)}")
    kinds[unknown] = "unknown"
    mapped = ~unknown
    joined = mapping.loc[rows.loc[mapped, "key"], ["variable", "scale", "fit", "power", "time_offset", "unit"]]
    joined.index = rows.index[mapped]
    rows = rows.join(joined.rename(columns={"unit": "unit_mapping"}))
    rows["time"] = rows["year"] + rows["time_offset"].astype(float)
    rows["observed"] = rows["value"].astype(float)

    for i in rows.index[mapped]:
        try:
            rows.at[i, "observed"] *= _factor(rows.at[i, "unit"], rows.at[i, "unit_mapping"])
        except units.UnitMismatch as error:
            reasons[i], kinds[i] = f"{error} (sdecon.data.mapping())", "unit"
    pending = mapped & (reasons == "")
    duplicate = pending & rows.duplicated(["series", "label", "year", "value"])
    reasons[duplicate] = "duplicate of an earlier row (same series, label, year and value): counted once"
    kinds[duplicate] = "duplicate"
    pending &= ~duplicate
    outside = pending & ~((rows["time"] >= first - 1e-9) & (rows["time"] <= last + 1e-9))
    for i in rows.index[outside]:
        reasons[i] = (f"model time (year {rows.at[i, 'time_offset']:+g}) is outside the run's "
                      f"years {first:g}-{last:g}")
    kinds[outside] = "outside"
    pending &= ~outside
    window = pd.Series(True, index=rows.index)
    if since is not None:
        window &= rows["time"] >= since
    if until is not None:
        window &= rows["time"] < until + 1
    pending &= window
    negative = pending & ~(rows["observed"] > 0)
    reasons[negative] = "value is not positive; rows are compared on a log scale"
    kinds[negative] = "not positive"
    pending &= ~negative

    compared = rows[pending].copy()
    compared["weight"] = _weights(compared)
    compared["fit"] = compared["fit"].astype(bool)
    chosen = (reasons != "") & window
    skipped = rows[chosen].assign(kind=kinds[chosen], reason=reasons[chosen])
    keep = [c for c in rows.columns if c not in ("key", "unit_mapping", "scale", "fit", "power", "time_offset",
                                                 "observed")]
    return Observations(
        table=compared[["series", "label", "year", "observed", "unit", "variable", "time", "scale", "fit",
                        "power", "weight", "value", "confidence"]
                       + [c for c in ("source", "file") if c in compared]].reset_index(drop=True),
        skipped=skipped[keep + ["kind", "reason"]].reset_index(drop=True))


def _factor(unit: str, allowed: str) -> float:
    """The factor from a row's unit to the first of the mapping's units it means."""
    mismatch = None
    for expected in allowed.split(" | "):
        try:
            return units.factor(unit, expected.strip())
        except units.UnitMismatch as error:
            mismatch = mismatch or error
    raise mismatch


def _weights(rows: pd.DataFrame) -> np.ndarray:
    confidence = np.asarray(data.weights(rows["confidence"]), dtype=float) if len(rows) else np.zeros(0)
    return confidence / rows.groupby("series")["series"].transform("size").to_numpy(float)


def modelled(values: Mapping[str, np.ndarray], years: np.ndarray, obs: Observations) -> np.ndarray:
    """Model values at the observations, shaped (observation, run), without the fitted
    levels: `values` maps each variable to its saved values shaped (year, run) or (year,)."""
    plan = obs.arrays
    years = np.asarray(years, dtype=float)
    times = np.clip(plan.time, years[0], years[-1])
    right = np.clip(np.searchsorted(years, times, side="right"), 1, len(years) - 1)
    left = right - 1
    share = ((times - years[left]) / (years[right] - years[left]))[:, None]
    runs = max((np.atleast_2d(np.asarray(v).T).shape[0] for v in values.values()), default=1)
    result = np.full((len(plan.time), runs), np.nan)
    for variable, index in plan.variables.items():
        series = np.asarray(values[variable], dtype=float)
        series = series[:, None] if series.ndim == 1 else series
        y0, y1, s = series[left[index]], series[right[index]], share[index]
        positive = (y0 > 0) & (y1 > 0)
        with np.errstate(all="ignore"):
            geometric = np.exp((1 - s) * np.log(np.where(positive, y0, 1.0)) + s * np.log(np.where(positive, y1, 1.0)))
        result[index] = np.where(s == 0, y0, np.where(s == 1, y1, np.where(positive, geometric, y0 + s * (y1 - y0))))
    with np.errstate(all="ignore"):
        return plan.scale * np.where(result > 0, result, np.nan) ** plan.power


def levels(raw: np.ndarray, obs: Observations) -> dict[str, float] | dict[str, np.ndarray]:
    """The level ln(modelled / observed) of each trend-only series: its weighted mean log
    error over `obs`; a float for one run (`raw` from `modelled` shaped (observation,)), an
    array a run for `raw` shaped (observation, run)."""
    raw = np.asarray(raw, dtype=float)
    with np.errstate(all="ignore"):
        errors = np.log(raw if raw.ndim == 2 else raw[:, None]) - obs.arrays.log_observed[:, None]
    means = _means(errors, obs)
    return {s: float(m[0]) for s, m in means.items()} if raw.ndim == 1 else means


def _means(errors: np.ndarray, obs: Observations) -> dict[str, np.ndarray]:
    plan = obs.arrays
    result = {}
    for series, rows in plan.trend_only.items():
        e, w = errors[rows], plan.weight[rows][:, None]
        usable = np.isfinite(e)
        with np.errstate(all="ignore"):
            result[series] = np.where(usable, e * w, 0).sum(0) / np.where(usable, w, 0).sum(0)
    return result


def log_errors(raw: np.ndarray, obs: Observations, fitted_levels: Mapping[str, float] | None = None
               ) -> np.ndarray:
    """ln(modelled / observed) for `raw` shaped (observation, run), a trend-only series'
    level taken out: its own weighted mean per run when `fitted_levels` is None (what a fit
    does), else the level given (NaN for a series the mapping gives none)."""
    with np.errstate(all="ignore"):
        errors = np.log(raw) - obs.arrays.log_observed[:, None]
    own = _means(errors, obs) if fitted_levels is None else {}
    for series, rows in obs.arrays.trend_only.items():
        errors[rows] -= own[series] if fitted_levels is None else fitted_levels.get(series, math.nan)
    return errors


@dataclass(frozen=True)
class Comparison:
    """Observations set against one run (`compare`).

    table: one row a compared observation (`COLUMNS`): `observed` in the mapping's unit,
        `modelled` with the trend-only level applied, `log_error` ln(modelled / observed),
        `scale` the one used (for a trend-only series, exp(-level)).
    skipped: the rows not compared, each with its `kind` ("unknown" series, "unit" of another
        meaning, "duplicate", "outside" the run, "not positive", "no level") and `reason`.
    """
    table: pd.DataFrame
    skipped: pd.DataFrame

    @property
    def unknown(self) -> pd.DataFrame:
        """Rows of series the mapping does not know."""
        return self._skipped("unknown")

    @property
    def outside(self) -> pd.DataFrame:
        """Rows whose model time is outside the run."""
        return self._skipped("outside")

    def _skipped(self, kind: str) -> pd.DataFrame:
        return self.skipped[self.skipped["kind"] == kind].reset_index(drop=True)

    def summary(self) -> pd.DataFrame:
        """Per series (`summary`)."""
        return summary(self.table)

    @property
    def rms(self) -> float:
        """Weighted root-mean-square log error over every compared row (NaN if none)."""
        return weighted_rms(self.table)


def compare(frame: pd.DataFrame, observations: pd.DataFrame | None = None, *,
            fitted_levels: Mapping[str, float] | None = None) -> Comparison:
    """Observations (default: the package data) against a run (`sdecon.run`'s frame: indexed
    by year, a column a variable).

    A trend-only series takes its level from `fitted_levels` (a calibration's `levels`); its
    rows are skipped, with the reason, when none is given for it.
    """
    first, last = float(frame.index.min()), float(frame.index.max())
    obs = select(observations, first=first, last=last)
    absent = sorted(set(obs.table["variable"]) - set(frame.columns))
    if absent:
        raise SdeconError(f"the run has no column {absent[0]!r}; compare needs a frame from sdecon.run")
    given = dict(fitted_levels or {})
    table = obs.table
    no_level = table["fit"].to_numpy() & ~table["series"].isin(list(given)).to_numpy()
    skipped = table[no_level].drop(columns=["observed", "variable", "time", "scale", "fit", "power", "weight"])
    skipped = skipped.assign(kind="no level", reason="compared on its trend only, and no calibration gives its level "
                                    "(give one fitted on this series)")
    if no_level.any():
        obs = Observations(table[~no_level].reset_index(drop=True), obs.skipped)
        obs.table["weight"] = _weights(obs.table)
    years = frame.index.to_numpy(float)
    order = np.argsort(years)
    raw = modelled({v: frame[v].to_numpy(float)[order] for v in obs.variables}, years[order], obs)
    errors = log_errors(raw, obs, given)[:, 0]
    table = obs.table.copy()
    table["log_error"] = errors
    table["modelled"] = table["observed"].to_numpy() * np.exp(errors)
    fitted = table["fit"].to_numpy()
    table.loc[fitted, "scale"] = np.exp(-table.loc[fitted, "series"].map(given).to_numpy(float))
    table.loc[~np.isfinite(errors), "modelled"] = raw[~np.isfinite(errors), 0]
    order = {name: i for i, name in enumerate(data.mapping()["series"])}
    table = table.assign(_order=data.mapping_keys(table["series"]).map(order)).sort_values(
        ["_order", "year", "label"], kind="stable")
    return Comparison(table[COLUMNS].reset_index(drop=True),
                      pd.concat([obs.skipped, skipped], ignore_index=True))


def summary(table: pd.DataFrame) -> pd.DataFrame:
    """Per series of a table with `series`, `log_error` and `weight`: rows, mean and largest
    absolute log error, RMS log error (every row alike) and total weight; rows with no log
    error (NaN) are not counted."""
    table = table.dropna(subset=["log_error"])
    grouped = table.assign(abs_error=table["log_error"].abs()).groupby("series", sort=True)
    return pd.DataFrame({
        "rows": grouped.size(),
        "mean_abs_log_error": grouped["abs_error"].mean(),
        "max_abs_log_error": grouped["abs_error"].max(),
        "rms_log_error": grouped["log_error"].apply(lambda e: float(np.sqrt(np.mean(e ** 2)))),
        "weight": grouped["weight"].sum(),
    })


def weighted_rms(table: pd.DataFrame) -> float:
    """sqrt(sum w e^2 / sum w) over the rows with a log error e (NaN if none)."""
    table = table.dropna(subset=["log_error"])
    if table.empty:
        return math.nan
    w = table["weight"].to_numpy()
    return float(np.sqrt(np.sum(w * table["log_error"].to_numpy() ** 2) / np.sum(w)))
