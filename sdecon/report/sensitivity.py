"""'Sensitivity', the section a sweep adds: how wide the range of outcomes is (fan charts,
percentiles of the key numbers) and which parameters drive it (tornado charts)."""
from __future__ import annotations

import functools

import pandas as pd

from .. import model, parameter, plotting
from .content import (HEADLINE_YEAR, KEY_VARIABLES, KEY_YEARS, SHARE, Figure, Heading, Section, Table,
                      _band_scale, _band_table, _display_path, _key_value, _not_converged, _percent,
                      _slug, exact, fmt, parameter_unit)
from ..sweeps import SweepResult
from .pdf import _text_width


def fan_figures(sweep: SweepResult, runs: dict[str, pd.DataFrame], effective: dict[str, dict],
                first: int = 1) -> list[Figure]:
    """A fan chart per key variable the sweep kept (the others' bands are in the 'sensitivity
    bands' sheet): its percentile bands over the years and the median; the report's run of the
    sweep's scenario as a dashed line when it has the sweep's values. A log scale when the
    bands span more than a factor of `sdecon.plotting.LOG_SPAN`."""
    bands, manifest = sweep.bands, sweep.manifest
    present = list(dict.fromkeys(bands["variable"]))
    order = [v for v in KEY_VARIABLES if v in present]
    name = manifest["scenario"]
    same_values = name in runs and dict(sorted(effective[name].items())) == manifest.get("scenario_values")
    pairs = plotting.percentile_pairs(bands)
    figures = []
    for number, variable in enumerate(order, start=first):
        rows = bands[bands["variable"] == variable]
        run = runs[name][variable] if same_values and variable in runs[name] else None
        draw = functools.partial(plotting.plot_fan, bands, variable, run=run, run_name=name,
                                 runs=int(manifest["runs"]))
        log = plotting.uses_log_scale(pd.concat([rows[f"p{p}"] for pair in pairs for p in pair]))
        outer = f"{pairs[0][0]}th to {pairs[0][1]}th percentile" if pairs else "the percentiles"
        caption = (f"Figure {number}. {variable} ({plotting.unit_label(variable)}) over {int(manifest['runs']):,} "
                   f"runs of {name}: shaded from {outer} out to in, the median as a line"
                   f"{', logarithmic scale' if log else ''}."
                   + (f" Dashed: the report's run of {name}." if run is not None else ""))
        data = _band_table(bands, variable)
        if run is not None:
            data[f"{name} run"] = run
        figures.append(Figure(f"fan-{_slug(variable)}", f"{variable}: range over the sweep", caption, draw, data=data))
    return figures


def tornado_figures(sweep: SweepResult, first: int = 1, top: int = plotting.TORNADO_TOP) -> list[Figure]:
    """A tornado chart per key variable the sweep analysed: the parameters with the largest
    index in any index year, a bar a year, with 95% confidence half-widths."""
    method, indices, log = sweep.manifest["method"], sweep.indices, sweep.log_outputs
    shown = plotting.INDEX_SHOWN[method]
    analysed = list(dict.fromkeys(indices["variable"]))
    variables = [v for v in KEY_VARIABLES if v in analysed] or analysed[:1]
    orders = {v: plotting.tornado_order(indices, method, v, top=top) for v in variables}
    # One room for the parameter names in all the charts, so they line up
    width = max([_text_width(p, 7.5) for order in orders.values() for p in order] + [0.5]) + 0.3 - 0.62
    figures = []
    for number, variable in enumerate(variables, start=first):
        order = orders[variable]
        years = sorted(indices.loc[indices["variable"] == variable, "year"].unique())
        caption = (f"Figure {number}. What drives {_of(variable, log)}: the {len(order)} of "
                   f"{indices['parameter'].nunique()} varied parameters with the largest {shown.label}"
                   f"{' ' + plotting.LOG_OUTPUTS if log else ''} in any of {', '.join(map(str, years))}, in "
                   f"{plotting.index_unit(method, variable, log)}, a bar a year; whiskers are 95% confidence "
                   f"half-widths{_hatched(indices[indices['variable'] == variable])}." + (
                       " Black ticks: the first-order index S1; the gap to ST is the share of variance from "
                       "interactions." if method == "sobol" else ""))
        figures.append(Figure(f"tornado-{_slug(variable)}", f"Sensitivity of {_of(variable, log)}", caption,
                              functools.partial(plotting.plot_tornado, indices, method, variable, top=top,
                                                log_outputs=log),
                              label_width=max(width, 0.0),
                              data=plotting.tornado_data(indices, method, variable, top=top, log_outputs=log)))
    return figures


def _of(variable: str, log: bool) -> str:
    return f"ln({variable})" if log else variable


def _hatched(indices: pd.DataFrame) -> str:
    count = int(_not_converged(indices).sum())
    return f"; hatched: {plotting.NOT_CONVERGED} ({count} of {len(indices)} indices)" if count else ""


def index_table(sweep: SweepResult, top: int = plotting.TORNADO_TOP) -> Table | None:
    """The indices the tornado charts show, as numbers: for each key variable its `top`
    parameters (largest first), the index and its 95% half-width a column an index year,
    each index that is not converged shaded and named in a note column.

    Parameters
    ----------
    sweep : SweepResult
    top : int
        Parameters a variable.

    Returns
    -------
    Table or None
        None when the sweep has no index of a key variable.
    """
    method, indices, log = sweep.manifest["method"], sweep.indices, sweep.log_outputs
    shown = plotting.INDEX_SHOWN[method]
    years = sorted(indices["year"].unique())
    rows, marked = [], set()
    for variable in [v for v in KEY_VARIABLES if v in set(indices["variable"])]:
        part = indices[indices["variable"] == variable].set_index(["parameter", "year"])
        unsure = _not_converged(part)
        for name in plotting.tornado_order(indices, method, variable, top=top):
            row = [f"{_of(variable, log)} ({plotting.index_unit(method, variable, log)})", name]
            late = []
            for year in years:
                if (name, year) not in part.index:
                    row.append("")
                    continue
                value, conf = part.loc[(name, year), [shown.column, shown.conf]]
                row.append(f"{fmt(value)} ± {fmt(conf)}" if pd.notna(value) else "no variance")
                if unsure.loc[(name, year)]:
                    marked.add((len(rows), len(row) - 1))
                    late.append(str(year))
            rows.append(row + [f"{plotting.NOT_CONVERGED} ({', '.join(late)})" if late else ""])
    if not rows:
        return None
    caption = (f"{shown.label[0].upper()}{shown.label[1:]}{' ' + plotting.LOG_OUTPUTS if log else ''} with its "
               "95% confidence half-width, by index year: the numbers of the tornado charts.")
    if marked:
        caption += (f" Shaded, with '{plotting.NOT_CONVERGED}' in the note: the index is not converged (a "
                    "variance share outside [-0.05, 1.05] or a 95% interval wider than 0.1; for mu*, an interval "
                    "wider than half of mu*); run the sweep again with more samples.")
    return Table(["variable", "parameter", *map(str, years), "note"], rows, numeric=set(range(2, 2 + len(years))),
                 marked=marked, group_first=True, caption=caption, size=7)


def _vary_rows(manifest: dict) -> list[list[str]]:
    params = parameter.parameters()
    rows = []
    for item in manifest["vary"]:
        name = str(item.get("name"))
        detail = []
        if item.get("mean") is not None:
            detail.append(f"mean {exact(item['mean'])}, sd {exact(item['sd'])}")
        if item.get("truncated_to") is not None:
            detail.append(f"truncated to {' to '.join(exact(x) for x in item['truncated_to'])}")
        if item.get("mode") is not None:
            detail.append(f"mode {exact(item['mode'])}")
        rows.append([name, str(item.get("distribution", "")), f"{exact(item['low'])} to {exact(item['high'])}",
                     "; ".join(detail), parameter_unit(params[name].unit) if name in params else ""])
    return rows


def _sweep_summary(sweep: SweepResult) -> str:
    """One sentence for the summary: the spread of the headline variable and what drives it."""
    manifest, bands, indices = sweep.manifest, sweep.bands, sweep.indices
    text = (f"Sensitivity: {int(manifest['runs']):,} runs of {manifest['scenario']} "
            f"({plotting.INDEX_SHOWN[manifest['method']].method}, {len(manifest['vary'])} "
            "parameters varied)")
    year = HEADLINE_YEAR
    row = bands[(bands["variable"] == SHARE) & (bands["year"] == year)]
    pairs = plotting.percentile_pairs(bands)
    if row.empty or not pairs:
        return text + "; see Sensitivity."
    lo, hi = pairs[0]
    row = row.iloc[0]
    text += (f" put compute spending at {_percent(row[f'p{lo}'])} to {_percent(row[f'p{hi}'])} of GDP in {year} "
             f"({lo}th to {hi}th percentile; median {_percent(row['p50'])})")
    column = plotting.INDEX_SHOWN[manifest["method"]].column
    part = indices[(indices["variable"] == SHARE) & indices[column].notna()]
    if not part.empty:
        index_year = min(part["year"].unique(), key=lambda y: (abs(y - year), y))
        top = part[part["year"] == index_year].sort_values(column, ascending=False).iloc[0]
        text += (f"; the largest {column.replace('mu_star', 'mu*')}"
                 f"{' ' + plotting.LOG_OUTPUTS if sweep.log_outputs else ''} in {index_year} is that of "
                 f"{top['parameter']} ({fmt(top[column])})")
    return text + "." + _unsure_sentence(indices, "marked in Sensitivity")


def _unsure_sentence(indices: pd.DataFrame, where: str) -> str:
    """How many of the sweep's indices are not converged, as a sentence ('' when none)."""
    count = int(_not_converged(indices).sum())
    if not count:
        return ""
    return (f" {count:,} of {len(indices):,} sensitivity indices {'is' if count == 1 else 'are'} "
            f"{plotting.NOT_CONVERGED} ({where}).")


def _sensitivity_section(sweep: SweepResult, runs: dict[str, pd.DataFrame], effective: dict[str, dict],
                         fans: list[Figure], tornados: list[Figure]) -> Section:
    from .. import sweeps

    manifest, bands = sweep.manifest, sweep.bands
    method, name = manifest["method"], manifest["scenario"]
    vary = manifest["vary"]
    chosen_how = "the default uncertainty set" if manifest.get("default_set") else "chosen with --vary"
    blocks: list = [
        f"How wide the range of outcomes is, and which parameters drive it, from the sweep in "
        f"{_display_path(sweep.directory)}: {int(manifest['runs']):,} runs of scenario {name} by "
        f"{plotting.INDEX_SHOWN[method].method} (N = {manifest['samples']}, seed {manifest['seed']}), varying "
        f"{len(vary)} parameters ({chosen_how}, "
        "listed at the end) while every other parameter keeps the scenario's value. Written by sdecon "
        f"{manifest.get('sdecon_version', '?')}; 'sdecon sweep' and docs/sweep.md say how."
        + (" Its sensitivity indices are on ln(output) (--log-outputs): of the natural log of each output, "
           "so they apportion the variance of relative changes, which a few extreme runs do not dominate."
           if sweep.log_outputs else "")]
    if manifest.get("model_hash") and manifest["model_hash"] != model.model_hash():
        blocks.append(f"Caution: the sweep ran another version of the model file (SHA-256 "
                      f"{str(manifest['model_hash'])[:12]}, this report's is {model.model_hash()[:12]}).")
    if name in runs and dict(sorted(effective[name].items())) != manifest.get("scenario_values"):
        blocks.append(f"The sweep's values for {name} differ from those of this report's run of it (another "
                      "calibration, or the scenario file changed), so its run is not drawn on the fan charts.")
    elif name not in runs:
        blocks.append(f"The sweep's scenario, {name}, is not among this report's scenarios.")
    short = bands["runs"].min() if "runs" in bands and len(bands) else manifest["runs"]
    if short < manifest["runs"]:
        blocks.append(f"Some runs gave no value in some years (as few as {int(short):,} of "
                      f"{int(manifest['runs']):,} counted): the percentiles are of the runs that did.")
    pairs = plotting.percentile_pairs(bands)
    columns = [f"p{p}" for p in sorted({p for pair in pairs for p in pair} | {50})]
    rows = []
    for variable in KEY_VARIABLES:
        factor, unit = _band_scale(bands, variable)      # the price as its index
        for year in KEY_YEARS:
            found = bands[(bands["variable"] == variable) & (bands["year"] == year)]
            if not found.empty:
                rows.append([f"{variable} ({unit})", str(year)]
                            + [_key_value(variable, factor * found.iloc[0][c]) for c in columns])
    if rows:
        blocks.append(Heading("Key numbers across the sweep"))
        blocks.append(Table(["variable", "year"] + [f"{c[1:]}th" if c != "p50" else "median" for c in columns], rows,
                            numeric=set(range(1, 2 + len(columns))), group_first=True, size=8,
                            caption="Percentiles over the runs (within 0.5%: the sweep counts values in "
                                    "log-spaced bins). results.xlsx, sheet 'sensitivity', has every variable "
                                    "and year, and every index."))
    blocks.append(Heading("What drives the outcomes"))
    blocks.append(
        f"Tornado charts: for each key variable, the parameters with the largest "
        f"{plotting.INDEX_SHOWN[method].label} in the sweep's index "
        f"years. " + {"sobol": "ST is the share of the output's variance that goes with the parameter, alone "
                               "or with others; S1 the share it explains alone.",
                      "morris": "mu* is the mean absolute change of the output when the parameter moves by one "
                                "level of its range (a quarter of its quantiles), in the output's unit.",
                      "mc": "S1 is the share of the output's variance the parameter explains alone, estimated "
                            "by RBD-FAST; with few runs it is noisy: read the whiskers.",
                      "lhs": "S1 is the share of the output's variance the parameter explains alone, estimated "
                             "by RBD-FAST; with few runs it is noisy: read the whiskers."}[method]
        + (" An output whose variance is dominated by a few extreme runs needs many samples (docs/sweep.md)."
           if not sweep.log_outputs else f" Every index here is {plotting.LOG_OUTPUTS}.")
        + _unsure_sentence(sweep.indices, "hatched in the charts, shaded in the table of indices"))
    blocks += tornados
    table = index_table(sweep)
    if table is not None:
        blocks += [Heading("Sensitivity indices"), table]
    blocks.append(Heading("Range of outcomes"))
    blocks.append("Fan charts: for each public variable, the percentile bands over the runs in every year "
                  f"and the median. A variable whose bands span more than a factor of {plotting.LOG_SPAN:g} is drawn "
                  "on a logarithmic scale.")
    blocks += fans
    blocks.append(Heading("Varied parameters"))
    vary_rows = _vary_rows(manifest)
    columns = ["parameter", "distribution", "range", "detail", "unit"]
    if not any(row[3] for row in vary_rows):       # uniform and loguniform only: no detail to give
        columns, vary_rows = columns[:3] + columns[4:], [row[:3] + row[4:] for row in vary_rows]
    blocks.append(Table(columns, vary_rows, size=7,
                        caption=f"LOW to HIGH as given to --vary (docs/sweep.md, Distributions); index years "
                                f"{', '.join(map(str, manifest.get('index_years', sweeps.INDEX_YEARS)))}."))
    return Section("sensitivity", "Sensitivity", blocks)
