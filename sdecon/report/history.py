"""'Model against history', the section a calibration adds: the fitted values, how well the
fit went, the errors by series and a chart of each series against the model."""
from __future__ import annotations

import functools
import math

import pandas as pd

from .. import model, observations, parameter, plotting
from ..scenarios import Scenario
from .content import (Bullets, Figure, Heading, Section, Table, _display_path, _sha256, _slug, exact, fmt,
                      parameter_unit)
from ..calibration import Calibration


def history_figures(calibration: Calibration, first: int = 1) -> list[Figure]:
    """One figure per fitted series: the observations as dots, the calibrated model at the same
    dates as a line (`sdecon.plotting.plot_series_history`)."""
    levels = calibration.levels
    figures = []
    for number, (series, table) in enumerate(calibration.residuals.groupby("series", sort=False), start=first):
        table = table.sort_values("year", kind="stable")
        title = plotting.series_title(series)
        full_unit = table["unit"].iloc[0]
        log = plotting.uses_log_scale(pd.concat([table["observed"], table["modelled"].dropna()]))
        variable = str(table["variable"].iloc[0]) if "variable" in table else "value"
        caption = (f"Figure {number}. {title} (series {series}; {full_unit}): observed values as dots, the "
                   f"calibrated model's {variable} at the same dates as a line"
                   f"{', logarithmic scale' if log else ''}.")
        if series in levels and levels[series] is not None:
            caption += (f" Compared on its trend only: the model's values are divided by "
                        f"{fmt(math.exp(levels[series]))}, the constant factor the fit found between them "
                        "and the data.")
        figures.append(Figure(f"history-{_slug(series)}", title, caption,
                              functools.partial(plotting.plot_series_history, table, trend=series in levels,
                                                level=levels.get(series)),
                              data=table.set_index("year")[["observed", "modelled"]]))
    return figures


def _history_section(calibration: Calibration, chosen: list[Scenario], figures: list[Figure]) -> Section:
    residuals = calibration.residuals
    params = parameter.parameters()
    stderr = {n: v for n, v in calibration.stderr.items() if math.isfinite(v)}
    unidentified = set(calibration.unidentified)
    until = calibration.until if calibration.until is not None else "not recorded"
    path = _display_path(calibration.path)
    provenance = calibration.provenance
    blocks: list = [
        f"The model against the historical data, with the values fitted in {path}. Every scenario in "
        "this report takes these values on top of its own (as 'sdecon run --calibration' does). The "
        f"fit compared the model with the data through {until}: below are the fitted values, how well "
        "the fit went, the errors by series and each series against the model."]
    if provenance.get("model_hash") and provenance["model_hash"] != model.model_hash():
        blocks.append(f"Caution: the calibration was fitted to another version of the model file "
                      f"(SHA-256 {str(provenance['model_hash'])[:12]}, this report's is {model.model_hash()[:12]}); "
                      "the errors below are that model's, not this one's.")
    replaced = []
    for s in chosen:
        changed = [f"{n} {exact(s.values[n])} becomes {exact(v)}" for n, v in calibration.parameters.items()
                   if n in s.values and s.values[n] != v]
        if changed:
            replaced.append(f"{s.name}: {'; '.join(changed)}")
    if replaced:
        blocks.append("The calibration replaces values the scenarios set:")
        blocks.append(Bullets(replaced))

    blocks.append(Heading("Fitted parameters"))
    rows, marked = [], set()
    for r, (name, value) in enumerate(calibration.parameters.items()):
        p = params[name]
        se = stderr.get(name)
        note = []
        if name in unidentified:
            note.append("not identified")
            marked.add((r, 6))
        if value <= p.lower or value >= p.upper:
            note.append("at a bound")
            marked.add((r, 6))
        rows.append([name, fmt(value), "" if se is None else fmt(se),
                     "fixed" if p.lower == p.upper else f"{exact(p.lower)} to {exact(p.upper)}",
                     exact(p.default), parameter_unit(p.unit), ", ".join(note)])
    blocks.append(Table(["parameter", "fitted value", "standard error", "bounds", "default", "unit", "note"],
                        rows, numeric={1, 2, 4}, marked=marked,
                        caption="Standard errors from the Jacobian at the best point. Not identified: the data "
                                "cannot pin the value down (relative standard error above 1), so it rests on "
                                "the others and on the bounds."))
    correlation = calibration.correlation
    names = [n for n in calibration.parameters if n in correlation.index and n in correlation.columns]
    strong = [f"{a} and {b}: {correlation.loc[a, b]:+.2f}" for i, a in enumerate(names) for b in names[i + 1:]
              if math.isfinite(correlation.loc[a, b]) and abs(correlation.loc[a, b]) > 0.8]
    if strong:
        blocks.append("Estimates correlated above 0.8 (the data tell their combination better than each):")
        blocks.append(Bullets(strong))

    blocks.append(Heading("The fit"))
    success = calibration.success
    facts = [["file", f"{path} (SHA-256 {_sha256(calibration.path)[:12]})"],
             ["scenario the fit started from", calibration.scenario],
             ["data through", str(until)],
             ["observations", f"{len(residuals)} in {residuals['series'].nunique()} series"],
             ["cost", "not recorded" if not math.isfinite(calibration.cost)
              else f"{fmt(calibration.cost)} (half the sum of squared weighted log errors)"],
             ["converged", "yes" if success else "no"],
             ["optimisers' message", calibration.message or "not recorded"]]
    if calibration.nfev:
        facts.append(["model runs", f"{calibration.nfev:,}"])
    if provenance.get("created"):
        facts.append(["written", f"{provenance['created']} by sdecon {provenance.get('sdecon_version', '?')}"])
    blocks.append(Table(["item", "value"], facts, size=7.5))
    if success is False:
        blocks.append("The fit did not report convergence (see the message): its values are the best point "
                      "the search found, not a proven optimum.")

    blocks.append(Heading("Errors by series"))
    summary = observations.summary(residuals)
    order = list(dict.fromkeys(residuals["series"]))
    blocks.append(Table(
        ["series", "rows", "mean |log error|", "largest |log error|", "RMS log error", "typical factor"],
        [[plotting.series_title(s), str(int(summary.loc[s, "rows"])), fmt(summary.loc[s, "mean_abs_log_error"]),
          fmt(summary.loc[s, "max_abs_log_error"]), fmt(summary.loc[s, "rms_log_error"]),
          f"×{fmt(math.exp(summary.loc[s, 'rms_log_error']))}"] for s in order],
        numeric={1, 2, 3, 4, 5},
        caption="log error = ln(modelled / observed): 0.1 is about 10% too high, -0.69 half the observed value; "
                "typical factor = exp(RMS log error). Every row of the fitted series counts, whatever its weight."))
    blocks.append(Heading("Each series against the model"))
    blocks += figures
    return Section("history", "Model against history", blocks)

