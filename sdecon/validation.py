"""Validate a model run against observations: `sdecon validate --data FILE.csv`.

    result = sdecon.validate("new_data.csv", calibration="fit.json", scenario="baseline")
    result.table      # series, label, year, observed, modelled, log_error, weight, unit, ...
    result.skipped    # rows not compared, each with its reason
    result.summary(), result.rms

The observations file has the reference data's columns (year, series, value, unit, source,
confidence); rows are compared through the one observation operator
(`sdecon.observations`): units by their meaning (`sdecon.units`), NVIDIA's quarters by
pattern, trend-only series at the level the calibration fitted on the past (never on the
rows being validated). A calibration file is JSON, ``{"parameters": {"Vensim Name": value,
...}}`` (other keys are optional); its values override the scenario's.
"""
from __future__ import annotations

import math
from pathlib import Path

from . import data, observations, scenarios
from .calibration import Calibration, load_calibration
from .errors import SdeconError
from .simulation import run


def validate(data_path: str | Path, calibration: str | Path | Calibration | None = None,
             scenario: str | scenarios.Scenario = "baseline") -> observations.Comparison:
    """Compare the observations in a CSV file with a run of `scenario`.

    Parameters
    ----------
    data_path : str or Path
        A CSV in the reference data's format. Derived series (the big-four hyperscaler
        capex) are added from their components when the file holds them.
    calibration : str, Path or Calibration, optional
        Fitted values applied on top of the scenario, and the levels of trend-only series.
        Without one, the scenario's own calibration gives the levels (the baseline's does).
    scenario : str or Scenario
        The scenario run.

    Returns
    -------
    sdecon.observations.Comparison
        `.table`, `.skipped`, `.summary()`, `.rms`.

    Raises
    ------
    SdeconError
        One line, for a bad file or calibration, or when no row can be compared (naming
        why, with the nearest series name for a misspelt one).
    """
    rows = data.add_derived(data.read_observations(data_path))
    chosen = scenario if isinstance(scenario, scenarios.Scenario) else scenarios.load(scenario)
    if calibration is not None and not isinstance(calibration, Calibration):
        calibration = load_calibration(calibration)
    if calibration is None and chosen.calibration is not None:
        calibration = load_calibration(chosen.calibration)
    overrides = calibration.parameters if calibration is not None else {}
    levels = calibration.levels if calibration is not None else {}
    result = observations.compare(run(chosen, overrides), rows, fitted_levels=levels)
    if result.table.empty:
        reasons = result.skipped.groupby("reason", sort=False)["series"].first()
        why = "; ".join(f"{series}: {reason}" for reason, series in list(reasons.items())[:3])
        raise SdeconError(f"no row of {str(data_path)!r} could be compared with the model "
                          f"({len(result.skipped)} rows not compared; {why})")
    return result


def _number(x) -> str:
    return "" if x is None or (isinstance(x, float) and math.isnan(x)) else f"{x:.4g}"


def _years(years) -> str:
    """Years as short text: runs of consecutive whole years as ranges ('2010-2014, 2016.5')."""
    parts, run = [], []
    for year in sorted(set(years)):
        if run and year == run[-1] + 1 and year == int(year):
            run.append(year)
            continue
        if run:
            parts.append(f"{run[0]:g}-{run[-1]:g}" if len(run) > 1 else f"{run[0]:g}")
        run = [year]
    if run:
        parts.append(f"{run[0]:g}-{run[-1]:g}" if len(run) > 1 else f"{run[0]:g}")
    return ", ".join(parts)


def describe(result: observations.Comparison) -> str:
    """The comparison as text: the table, a summary per series, the weighted RMS log
    error, and the rows that were not compared, with the reason."""
    table = result.table
    lines = []
    if not table.empty:
        shown = table[["series", "label", "year", "observed", "modelled", "log_error"]].rename(
            columns={"log_error": "log error"})
        lines.append(shown.to_string(index=False, float_format=_number,
                                     formatters={"year": lambda y: f"{y:g}"}))
        summary = result.summary().rename(columns={
            "mean_abs_log_error": "mean |log error|", "max_abs_log_error": "max |log error|"})
        lines += ["", "summary by series:", summary.to_string(float_format=lambda x: f"{x:.3g}"),
                  "", f"{len(table)} rows compared; weighted RMS log error {result.rms:.3g}"]
    if not result.skipped.empty:
        lines += ["", f"not compared ({len(result.skipped)} rows):"]
        for (series, reason), group in result.skipped.groupby(["series", "reason"], sort=True):
            lines.append(f"  {series} ({_years(group['year'])}): {reason}")
    return "\n".join(lines)
