"""'Forecast given the history', the section a posterior adds: each scenario's bands from the
posterior of the history-fitted parameters, how much of the data they hold, and the
posterior itself."""
from __future__ import annotations

import functools

from .. import plotting
from ..forecasts import Forecast
from ..posteriors import Posterior
from .content import (KEY_VARIABLES, Figure, Heading, Section, Table, _band_scale, _band_table, _display_path,
                      _key_value, _slug, exact, fmt)

#: Years of the forecast table.
YEARS = (2024, 2030, 2040, 2050)
#: Variables drawn with their bands: the answer, and the one the data speak to most.
DRAWN = ("Compute Spending Share of GDP", "Datacenter Capex")


def forecast_figures(forecasts: dict[str, Forecast], first: int = 1) -> list[Figure]:
    """The first scenario's bands of `DRAWN` with the data the posterior saw as points (the
    others' are in the section's table and the 'forecast' sheet: their lines differ little
    where the data are, and a page each would bury the answer)."""
    figures = []
    number = first
    for name, result in list(forecasts.items())[:1]:
        for variable in DRAWN:
            has_data = bool((result.history["variable"] == variable).any())
            caption = (f"Figure {number}. {variable} ({plotting.unit_label(variable)}) in {name}: "
                       f"{result.samples:,} draws of the history-fitted parameters from the posterior, shaded "
                       "from the 5th-95th to the 25th-75th percentile, the median as a line"
                       + ("; the data the posterior saw as points, in the variable's units (each series' "
                          "scale and fitted level taken out)." if has_data else "."))
            figures.append(Figure(f"forecast-{_slug(name)}-{_slug(variable)}",
                                  f"{variable}: forecast given the history ({name})", caption,
                                  functools.partial(plotting.plot_forecast, result, variable),
                                  data=_band_table(result.bands, variable)))
            number += 1
    return figures


def _band(variable: str, rows, year: int) -> str:
    row = rows[rows["year"] == year]
    if row.empty:
        return ""
    row = row.iloc[0]
    factor, _ = _band_scale(rows, variable)      # the price as its index
    p50, p5, p95 = (_key_value(variable, factor * row[c]) for c in ("p50", "p5", "p95"))
    return f"{p50} ({p5} to {p95})"


def forecast_section(forecasts: dict[str, Forecast], posterior: Posterior, figures: list[Figure]) -> Section:
    """The section: what the bands are, a table of them, the coverage of the data, the posterior."""
    any_result = next(iter(forecasts.values()))
    d = posterior.diagnostics
    path = _display_path(posterior.path) if posterior.path else "a posterior in memory"
    blocks: list = [
        f"Each scenario's range of futures consistent with the history: {any_result.samples:,} draws of the "
        f"{len(posterior.names)} history-fitted parameters from their posterior given the data through "
        f"{posterior.until} ({path}; emcee, {d['walkers']} walkers x {d['steps']:,} steps, "
        f"{'converged' if d['converged'] else 'NOT converged'}: the longest autocorrelation time is "
        f"{fmt(max(d['tau'].values()))} steps). The scenario fixes the assumptions about the future, so the "
        "bands show what the history leaves uncertain, not what the assumptions about the future do "
        "(the sensitivity section varies those).",
        Heading("Median and 90% band"),
        Table(["variable", "scenario"] + [str(y) for y in YEARS],
              [[f"{v} ({_band_scale(r.bands, v)[1]})", name] + [_band(v, r.bands[r.bands["variable"] == v], y) for y in YEARS]
               for v in KEY_VARIABLES for name, r in forecasts.items()],
              numeric={2, 3, 4, 5}, group_first=True, size=7)]
    blocks += figures
    cover = any_result.coverage()
    blocks += [Heading("The bands against the data"),
               f"Share of the {int(cover.loc['all', 'rows'])} data rows the posterior saw that fall inside their "
               "50% and 90% posterior-predictive intervals (the model at the draws with the likelihood's noise "
               "of each series); near 50% and 90% means the bands are as wide as the history allows.",
               Table(["series", "rows", "inside 50%", "inside 90%"],
                     [[s, str(int(r.rows)), f"{r.inside_50:.0%}", f"{r.inside_90:.0%}"] for s, r in cover.iterrows()],
                     numeric={1, 2, 3}, size=7)]
    summary = posterior.summary()
    blocks += [Heading("The posterior"),
               "Median and 90% interval of each sampled parameter, and of each series' noise scale (the log "
               "error of a row of high confidence; a row of lower confidence has proportionally more).",
               Table(["parameter", "median", "5%", "95%", "effective samples"],
                     [[name, exact(float(f"{r['median']:.3g}")), exact(float(f"{r.q05:.3g}")),
                       exact(float(f"{r.q95:.3g}")), fmt(r.ess) if r.ess == r.ess else ""]
                      for name, r in summary.iterrows()], numeric={1, 2, 3, 4}, size=7)]
    return Section("forecast", "Forecast given the history", blocks)
