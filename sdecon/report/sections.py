"""The sections every report has: summary (with the findings), scenarios, scenario
comparison, seed 004, assumptions, data sources and manifest; and where the optional ones
(model against history, sensitivity) go among them.
"""
from __future__ import annotations

import dataclasses
import functools
import math
from collections.abc import Sequence

import pandas as pd

from .. import model, parameter, plotting, scenarios, seed004, simulation
from ..model import PUBLIC_VARIABLES
from ..scenarios import Scenario
from .content import (DATA_END, HEADLINE_YEAR, KEY_VARIABLES, KEY_YEARS, PACKAGE, SHARE, Bullets, Figure,
                      Heading, Section, Table, _calibration_of, _display_path, _key_numbers, _key_unit,
                      _key_value, _percent, _sha256, _slug, difference, exact, fmt, money, parameter_unit,
                      parameter_value)
from .summary import percent_change
from .history import _history_section, history_figures
from ..calibration import Calibration
from ..sweeps import SweepResult
from .discovery import discovery_section
from .sensitivity import _sensitivity_section, _sweep_summary, fan_figures, tornado_figures


@functools.cache
def _measured() -> pd.DataFrame:
    """The shipped data rows that map to a model variable (`sdecon.observations.select`), read once."""
    from .. import observations
    return observations.select(first=1900, last=2100).table


def observed_points(variable: str) -> dict[str, pd.Series]:
    """The shipped data that measure `variable` at a known level, converted to its units: a
    series by the label a chart shows, which names the conversion ("÷ 0.586") and the time
    ("at mid-year") when there is one (sdecon/data/mapping.csv). Series whose level the fit
    sets (only their trend compares) are left out."""
    table = _measured()
    rows = table[(table["variable"] == variable) & ~table["fit"] & (table["power"] == 1)]
    points = {}
    for series, group in rows.groupby("series", sort=False):
        scale = float(group["scale"].iloc[0])
        offset = float((group["time"] - group["year"]).iloc[0])
        power = math.log10(1 / scale)
        conversion = f"× {fmt(1 / scale)}" if abs(power - round(power)) < 1e-9 else f"÷ {fmt(scale)}"  # a unit, or a share
        notes = [conversion if scale != 1 else "", "at mid-year" if abs(offset - 0.5) < 1e-9 else ""]
        label = plotting.series_title(series) + "".join(f", {n}" for n in notes if n)
        points[f"data: {label}"] = pd.Series((group["observed"] / scale).to_numpy(), index=group["time"].to_numpy())
    return points


def comparison_figures(runs: dict[str, pd.DataFrame]) -> list[Figure]:
    """One figure per public variable, the four key variables first, with the data that
    measure it (`observed_points`)."""
    order = list(KEY_VARIABLES) + [v for v in PUBLIC_VARIABLES if v not in KEY_VARIABLES]
    figures = []
    for number, variable in enumerate(order, start=1):
        observed = observed_points(variable)
        log = plotting.uses_log_scale(pd.concat([frame[variable] for frame in runs.values()]))
        caption = (f"Figure {number}. {variable} by scenario ({plotting.unit_label(variable)})"
                   f"{', logarithmic scale' if log else ''}"
                   + ("; black markers: the data that measure it, converted to the model's units as the "
                      "legend says (sdecon/data/mapping.csv)" if observed else "")
                   + f".{_agreement(runs, variable)}")
        data = pd.DataFrame({name: frame[variable] for name, frame in runs.items()})
        for label, points in observed.items():
            data = data.join(points.groupby(level=0).mean().rename(label), how="outer")
        figures.append(Figure(_slug(variable), variable, caption,
                              functools.partial(plotting.plot_scenarios, runs, variable, observed=observed),
                              data=data))
    return figures


def coinciding_section(runs: dict[str, pd.DataFrame]) -> Section | None:
    """Small multiples of each comparison chart where some scenarios' lines coincide and hide
    each other (`plotting.coinciding`): a panel per group, none hidden. None when no chart has such lines."""
    order = list(KEY_VARIABLES) + [v for v in PUBLIC_VARIABLES if v not in KEY_VARIABLES]
    blocks: list = ["Where two or more scenarios draw the same line on a comparison chart, one hides the "
                    "others. Here each such chart is drawn again as a row of panels, one for each group of "
                    "scenarios that coincide, on one scale."]
    for variable in order:
        groups = plotting.coinciding(runs, variable)
        if 1 < len(groups) < len(runs):
            shared = "; ".join(" and ".join(g) for g in groups if len(g) > 1)
            blocks.append(Figure(f"panels-{_slug(variable)}", f"{variable}: scenarios that coincide",
                                 f"Figure 1. {variable} ({plotting.unit_label(variable)}), a panel for each group "
                                 f"of scenarios whose lines coincide in every year ({shared}).",
                                 functools.partial(plotting.plot_panels, runs, variable, groups=groups),
                                 data=pd.DataFrame({" = ".join(g): runs[g[0]][variable] for g in groups})))
    return Section("panels", "Lines that coincide", blocks) if len(blocks) > 1 else None


def _same(a: pd.Series, b: pd.Series) -> pd.Series:
    return ((a - b).abs() <= 1e-9 * b.abs().clip(lower=1e-300)) | (a == b)


def _agreement(runs: dict[str, pd.DataFrame], variable: str) -> str:
    """A sentence on where the scenarios' lines coincide (so a reader knows why a line is hidden)."""
    if len(runs) < 2:
        return ""
    names = list(runs)
    first = runs[names[0]][variable]
    together = pd.concat([_same(runs[n][variable], first) for n in names[1:]], axis=1).all(axis=1)
    sentences = []
    if together.all():
        return " The scenarios coincide in every year."
    if together.iloc[0]:
        last = together.index[together.to_numpy().argmin() - 1]
        sentences.append(f" The scenarios coincide until {last}.")
    for group in plotting.coinciding(runs, variable):
        if len(group) > 1:
            sentences.append(f" {', '.join(group[:-1])} and {group[-1]} coincide in every year, so one line hides the "
                             f"other{'s' if len(group) > 2 else ''} (panels in the appendix Lines that coincide).")
    return "".join(sentences)


def _differing_parameters(chosen: list[Scenario]) -> list[tuple[str, list[float]]]:
    params = parameter.parameters()
    differing = []
    for name, p in params.items():
        values = [s.values.get(name, p.default) for s in chosen]
        if len(set(values)) > 1:
            differing.append((name, values))
    return differing


def findings(runs: dict[str, pd.DataFrame], chosen: list[Scenario]) -> list[str]:
    """Sentences, computed from the runs, on what separates the scenarios."""
    first, last = 2030, HEADLINE_YEAR
    share = {n: float(f.loc[last, SHARE]) for n, f in runs.items()}
    share0 = {n: float(f.loc[first, SHARE]) for n, f in runs.items()}
    sentences = []
    if len(runs) > 1:
        high, low = max(share, key=share.get), min(share, key=share.get)
        spread, spread0 = share[high] / share[low], max(share0.values()) / min(share0.values())
        trend = "widens" if spread > spread0 * 1.05 else "narrows" if spread < spread0 / 1.05 else "holds"
        sentences.append(
            f"In {last} compute spending is {_percent(share[high])} of GDP under {high} and "
            f"{_percent(share[low])} under {low}, a factor of {fmt(spread)} apart; in {first} the "
            f"scenarios are within a factor of {fmt(spread0)}, so the gap {trend} over the decade.")
        capex = {n: float(f.loc[last, "Datacenter Capex"]) for n, f in runs.items()}
        chigh, clow = max(capex, key=capex.get), min(capex, key=capex.get)
        sentences.append(
            f"Datacenter capex in {last} is highest under {chigh} ({money(capex[chigh])} a year, "
            f"{_percent(capex[chigh] / runs[chigh].loc[last, 'GDP'])} of GDP) and lowest under {clow} "
            f"({money(capex[clow])}, {_percent(capex[clow] / runs[clow].loc[last, 'GDP'])}).")
    else:
        (name, frame), = runs.items()
        sentences.append(
            f"Under {name} compute spending is " + ", ".join(
                f"{_percent(frame.loc[y, SHARE])} of GDP in {y}" for y in KEY_YEARS) + ".")
    # Cheaper compute, and more or less spent on it: the model's central question.
    groups: dict[str, list[str]] = {}
    for name, frame in runs.items():
        index = float(frame.loc[last, "Price of AI Compute"] / frame.loc[DATA_END, "Price of AI Compute"])
        growth = float(frame.loc[last, SHARE] / frame.loc[DATA_END, SHARE])
        if index < 1 / 1.05:
            kind = ("cheaper compute and a rising share of GDP spent on it"
                    if growth > 1.05 else "cheaper compute and a falling share of GDP spent on it"
                    if growth < 1 / 1.05 else "cheaper compute and a steady share of GDP spent on it")
        elif index > 1.05:
            kind = "dearer compute"
        else:
            kind = "a steady price of compute"
        groups.setdefault(kind, []).append(
            f"{name} (price index {fmt(index)}, share {percent_change(frame.loc[last, SHARE], frame.loc[DATA_END, SHARE])})")
    for kind, members in groups.items():
        sentences.append(f"From {DATA_END} to {last}, {kind}: {'; '.join(members)}; the price index is "
                         f"the price of a fixed amount of AI work, {DATA_END} = 1.")
    # A collapse in spending after the base year: seed 000's compute bubble.
    falls = {}
    base_year = int(model.defaults()["Base Year"])
    for name, frame in runs.items():
        after = frame.loc[base_year:, "Compute Spending"]
        change = after.pct_change().dropna()
        if not change.empty and change.min() < -0.05:
            falls[name] = (int(change.idxmin()), float(change.min()))
    if falls:
        worst = min(falls, key=lambda n: falls[n][1])
        year, change = falls[worst]
        others = [n for n in runs if n not in falls]
        sentences.append(
            f"Compute spending falls by {fmt(-100 * change)}% in one year ({year}) under {worst}, "
            "the largest one-year fall after the base year"
            + (f"; it never falls by more than 5% a year under {', '.join(others)}." if others else "."))
    differing = _differing_parameters(chosen)
    if differing:
        shown = [f"{name} ({', '.join(f'{s.name} {exact(v)}' for s, v in zip(chosen, values))})"
                 for name, values in differing[:6]]
        more = f", and {len(differing) - 6} more (see Assumptions)" if len(differing) > 6 else ""
        sentences.append(f"The scenarios set different values for {len(differing)} parameter"
                         f"{'s' if len(differing) > 1 else ''}: {'; '.join(shown)}{more}.")
    return sentences


def _findings_section(runs, chosen, calibration=None, sweep=None, forecasts=None) -> Section:
    """Page two: the key numbers by year, what separates the scenarios, and what the numbers rest on."""
    numbers = _key_numbers(runs)
    table = Table(["variable", "scenario"] + [str(y) for y in KEY_YEARS],
                  [[f"{row['variable']} ({_key_unit(row['variable'])})", row["scenario"]]
                   + [_key_value(row["variable"], row[year]) for year in KEY_YEARS]
                   for row in numbers.to_dict("records")],
                  numeric=set(range(2, 2 + len(KEY_YEARS))), group_first=True, size=8)
    blocks: list = [Heading("Key numbers by year"), table, Heading("What separates the scenarios"),
                    Bullets(findings(runs, chosen)), Heading("The scenarios"),
                    Bullets([f"{s.name}: {s.title}" for s in chosen])]
    calibrated: dict[str, list[str]] = {}
    for s in chosen:
        if _calibration_of(s) is not None:
            calibrated.setdefault(_display_path(_calibration_of(s)), []).append(s.name)
    if calibration is not None:
        blocks.append(f"Calibration: every scenario takes the {len(calibration.parameters)} values fitted in "
                      f"{_display_path(calibration.path)} over its own; other values are set by the scenario "
                      "files or are documented defaults. Model against history sets the model against the "
                      "data the values were fitted to.")
    elif not calibrated:
        blocks.append("No scenario takes a calibration: the numbers follow from the scenario files and "
                      "the documented defaults, not from a fit to historical data; read them as the "
                      "model's logic at work, not as a forecast.")
    else:
        fitted = "; ".join(f"{', '.join(names)} take{'s' if len(names) == 1 else ''} the values fitted "
                           f"in {path}" for path, names in calibrated.items())
        others = [s.name for s in chosen if _calibration_of(s) is None]
        blocks.append(f"Calibration: {fitted}{'; ' + ', '.join(others) + ' take none' if others else ''}; "
                      "other values are set by the scenario files or are documented defaults.")
    if sweep is not None:
        blocks.append(_sweep_summary(sweep))
    if forecasts:
        blocks.append(_forecast_summary(forecasts))
    return Section("findings", "Findings", blocks)


def _forecast_summary(forecasts) -> str:
    """One sentence: each scenario's 90% band of the headline share, and how much data it holds."""
    year = HEADLINE_YEAR
    parts = []
    for name, result in forecasts.items():
        row = result.bands[(result.bands["variable"] == SHARE) & (result.bands["year"] == year)].iloc[0]
        parts.append(f"{name} {_percent(row.p5)} to {_percent(row.p95)}")
    cover = next(iter(forecasts.values())).coverage().loc["all"]
    return (f"Given the history (the posterior of the fitted parameters), compute spending's 90% band in {year} "
            f"is {'; '.join(parts)} of GDP; the bands hold {cover.inside_90:.0%} of the data rows in their "
            "90% predictive interval. See Forecast given the history.")


def _unit_shown(unit: str) -> str:
    """A parameter's unit beside its value as printed (`parameter_value`): "per year" for USD
    a year, whose values say "$" and "billion" or "trillion"."""
    return "per year" if unit == "BUSD/Year" else parameter_unit(unit)


def _scenarios_section(chosen: list[Scenario], calibration=None) -> Section:
    params = parameter.parameters()
    blocks: list = ["Each scenario is a TOML file of parameter values over the model's documented "
                    "defaults; the manifest gives each file's SHA-256."]
    for s in chosen:
        blocks.append(Heading(f"{s.name}: {s.title}"))
        blocks.append(s.story)
        changed = [(n, v) for n, v in sorted(s.values.items()) if v != params[n].default]
        fitted = ([_display_path(_calibration_of(s))] if _calibration_of(s) else []) + (
            [f"{_display_path(calibration.path)} (given to the report)"] if calibration else [])
        origin = f"File {_display_path(s.path)}" + (f", built on {s.base}" if s.base else "") + (
            f", with the fitted values of {', then of '.join(fitted)}" if fitted else "")
        if changed:
            blocks.append(f"{origin}. It sets, against the defaults:")
            blocks.append(Bullets([f"{n} = {parameter_value(v, params[n].unit)} {_unit_shown(params[n].unit)} "
                                   f"(default {parameter_value(params[n].default, params[n].unit)})"
                                   for n, v in changed]))
        else:
            blocks.append(f"{origin}. It keeps every default.")
    return Section("scenarios", "Scenarios", blocks)


def _comparison_section(figures: list[Figure]) -> Section:
    return Section("comparison", "Scenario comparison", [
        "Every public variable of the model, one chart each, all scenarios together. A variable "
        f"whose values span more than a factor of {plotting.LOG_SPAN:g} is drawn on a logarithmic scale. "
        "The dotted line marks the base year, where the efficiency multipliers equal 1.", *figures])


_QUANTITY_SHORT = {"Hardware Efficiency Multiplier": "H", "Software Efficiency Multiplier": "S",
                   "Combined Efficiency Multiplier": "T", "Training Cost per Billion Tokens": "C"}


@functools.lru_cache(maxsize=2)
def _seed004_model_check(key: tuple) -> list[tuple[str, float]]:
    """Largest relative difference between each seed004-* run and the method, 2025-2030;
    cached by the model's and the scenario files' hashes (`key`)."""
    checks = []
    for name in seed004.SCENARIOS:
        run = simulation.run(name, engine=True)
        method = seed004.method(name)
        checks.append((name, float(((run.loc[method.index, method.columns] / method) - 1).abs().max().max())))
    return checks


def _published(value) -> str:
    """A published cell to three significant figures when it is a number ("1,658" -> "1,660"),
    else as published (a range, a claim in words)."""
    try:
        return fmt(float(str(value).replace(",", "")))
    except ValueError:
        return str(value)


def _seed004_section() -> Section:
    compared = seed004.compare()
    blocks: list = [
        "Seed 004 (software against hardware efficiency) states its method: base year 2025; "
        "hardware H(t) = (1+h)^t and software S(t) = (1+s)^t, with adoption events multiplying S "
        "from their year on; combined T = H × S; training cost C = 378 / T USD per billion tokens. "
        "Below, its published cells stand next to the values its own method gives. Shaded bold "
        "cells are published values the method does not round to; the table after them gives "
        "each difference and its likely reason. Both are printed to three significant figures "
        "(results.xlsx, sheet 'seed 004', has them in full)."]
    key = (model.model_hash(), *(_sha256(scenarios.SCENARIO_DIR / f"{n}.toml") for n in seed004.SCENARIOS))
    checks = [f"{name} {difference(worst)}" for name, worst in _seed004_model_check(key)]
    blocks.append("The model's seed004-* scenarios reproduce the method; the largest relative "
                  f"difference 2025-2030 is: {', '.join(checks)}.")
    for (table_name, scenario), cells in compared[compared["table"] != "Text"].groupby(
            ["table", "scenario"], sort=True):
        quantities = list(dict.fromkeys(cells["quantity"]))
        columns = ["year"]
        for q in quantities:
            columns += [f"{_QUANTITY_SHORT.get(q, q)} published", f"{_QUANTITY_SHORT.get(q, q)} method"]
        rows, marked = [], set()
        for r, (year, group) in enumerate(cells.groupby("year", sort=True)):
            row = [str(year)]
            for q in quantities:
                cell = group[group["quantity"] == q]
                if cell.empty:
                    row += ["", ""]
                    continue
                cell = cell.iloc[0]
                if not cell["agrees"]:
                    marked.add((r, len(row)))
                row += [_published(cell["published"]), fmt(cell["method"])]
            rows.append(row)
        legend = "; ".join(f"{_QUANTITY_SHORT.get(q, q)} = {q}" for q in quantities)
        blocks.append(Heading(f"{table_name}: {scenario}"))
        blocks.append(Table(columns, rows, numeric=set(range(1, len(columns))), marked=marked,
                            caption=f"{legend}. Shaded: differs from the method."))
    text = compared[compared["table"] == "Text"]
    if not text.empty:
        blocks.append(Heading("Claims in the text"))
        rows, marked = [], set()
        for r, cell in enumerate(text.itertuples(index=False)):
            if not cell.agrees:
                marked.add((r, 4))
            rows.append([cell.scenario, str(cell.year), cell.quantity, _published(cell.published),
                         fmt(cell.method), "yes" if cell.agrees else "no"])
        blocks.append(Table(["scenario", "year", "quantity", "published", "method", "agrees"], rows,
                            numeric={1, 4}, marked=marked))
    differing = compared[~compared["agrees"]]
    blocks.append(Heading(f"The {len(differing)} cells that differ, and why"))
    rows = []
    for cell in differing.itertuples(index=False):
        gap = ("outside range" if pd.isna(cell.difference_pct)
               else f"{'+' if cell.difference_pct > 0 else ''}{fmt(cell.difference_pct)}%")
        rows.append([cell.table, cell.scenario, str(cell.year), _QUANTITY_SHORT.get(cell.quantity, cell.quantity),
                     _published(cell.published), fmt(cell.method), gap, cell.reason])
    blocks.append(Table(["table", "scenario", "year", "qty", "published", "method", "difference", "likely reason"],
                        rows, numeric={2, 4, 5, 6}, size=7,
                        caption="Difference: published value over the method's, minus one."))
    return Section("seed004", "Seed 004 by its own method", blocks)


def _assumptions_section(chosen: list[Scenario], calibration=None) -> Section:
    table = parameter.parameter_table()
    rows, marked, notes = [], set(), []
    for r, (name, p) in enumerate(table.iterrows()):
        value = functools.partial(parameter_value, unit=p.unit)    # USD as "$75.2 trillion"
        bounds = "fixed" if p.lower == p.upper else f"{value(p.lower)} to {value(p.upper)}"
        changed = [f"{s.name} {value(s.values[name])}" for s in chosen
                   if name in s.values and s.values[name] != p.default]
        if changed:
            marked.add((r, 4))
        rows.append([name, _unit_shown(p.unit), value(p.default), bounds, "; ".join(changed) or "default"])
        notes.append(f"Source: {p.source}")
    return Section("assumptions", "Assumptions", [
        f"The model's {len(table)} parameters: unit, documented default, the bounds a scenario may "
        "set, the scenarios that set another value (shaded) and, below each, the source of the "
        "default as the model file states it. results.xlsx has one column per scenario."
        + (f" The scenarios' values include those of {_display_path(calibration.path)}, which every run takes."
           if calibration is not None else ""),
        Table(["parameter", "unit", "default", "bounds", "scenario values"], rows,
              numeric={2}, marked=marked, notes=notes, size=7.5)])


# --------------------------------------------------------------------------------------
# Data sources
# --------------------------------------------------------------------------------------

DATA_DIR = PACKAGE / "data"
_LONG_COLUMNS = ["year", "series", "label", "value", "unit", "source", "confidence"]
_REQUIRED = {"year", "series", "value", "unit", "source"}


def historical_data() -> pd.DataFrame:
    """Every row of the data shipped in sdecon/data, long: file, year, series, label, value,
    unit, source, confidence. From sdecon.data.load() when the package provides it in that shape,
    else read from the CSV files that have those columns."""
    try:
        from .. import data as data_package
        load = getattr(data_package, "load", None)
        loaded = load() if callable(load) else None
    except ImportError:
        loaded = None
    if isinstance(loaded, pd.DataFrame) and _REQUIRED <= set(loaded.columns):
        frame = loaded.copy()
        if "file" not in frame:
            frame.insert(0, "file", "sdecon.data.load()")
        frames = [frame]
    else:
        frames = []
        for path in sorted(DATA_DIR.glob("*.csv")):
            try:
                frame = pd.read_csv(path)
            except (OSError, ValueError):
                continue
            if _REQUIRED <= set(frame.columns):
                frame.insert(0, "file", path.name)
                frames.append(frame)
    if not frames:
        return pd.DataFrame(columns=["file"] + _LONG_COLUMNS)
    frame = pd.concat(frames, ignore_index=True)
    for column in ("label", "confidence"):
        if column not in frame:
            frame[column] = ""
    return frame[["file"] + _LONG_COLUMNS]


def _joined(values, most: int = 3) -> str:
    unique = list(dict.fromkeys(str(v) for v in values if pd.notna(v) and str(v)))
    more = f"; and {len(unique) - most} more" if len(unique) > most else ""
    return "; ".join(unique[:most]) + more


def data_sources(history: pd.DataFrame | None = None) -> pd.DataFrame:
    """One row per family of data series (the series name before any ':', which names the
    model or company a row is about): file, series, unit, years, points, source, confidence;
    and a last row for seed 004's published cells."""
    history = historical_data() if history is None else history
    rows = []
    family = history["series"].astype(str).str.split(":").str[0]
    for (file, name), group in history.groupby([history["file"], family], sort=False):
        years = pd.to_numeric(group["year"], errors="coerce").dropna()
        units = group["unit"].astype(str).value_counts()
        rows.append([file, name, units.index[0] + (f" (and {len(units) - 1} variants)" if len(units) > 1 else ""),
                     f"{int(years.min())}-{int(years.max())}" if len(years) else "", len(group),
                     _joined(group["source"]), _joined(group["confidence"])])
    published = seed004.published()
    rows.append([seed004.PUBLISHED_FILE.name, "seed 004 published table cells and text claims",
                 "as published", f"{published['year'].min()}-{published['year'].max()}", len(published),
                 "Seed 004 essay: Tables 1 and 3 and claims in its text", "published values"])
    return pd.DataFrame(rows, columns=["file", "series", "unit", "years", "points", "source", "confidence"])


def _data_section(sources: pd.DataFrame) -> Section:
    """One row per data file (results.xlsx has one per series and every row)."""
    rows, notes = [], []
    for file, group in sources.groupby("file", sort=False):
        years = [y for text in group["years"] for y in str(text).split("-") if y.strip().isdigit()]
        rows.append([file, ", ".join(group["series"]), f"{min(years)}-{max(years)}" if years else "",
                     str(int(group["points"].sum())), _joined("; ".join(group["confidence"]).split("; "))])
        notes.append(f"Source: {_joined('; '.join(group['source']).split('; '))}")
    return Section("data", "Data sources", [
        "The data shipped with sdecon (sdecon/data), one row per file: the series it holds, the "
        "years covered, the number of points, how far to trust them and, below, where they come "
        "from. results.xlsx lists each series ('data sources') and every row ('historical data'). "
        "The sources of the parameters are under Assumptions.",
        Table(["file", "series", "years", "points", "confidence"], rows, numeric={3}, notes=notes, size=7)])


def _manifest_section(manifest: dict) -> Section:
    rows = [["sdecon version", manifest["sdecon_version"]],
            ["model file", f"{manifest['model']['path']} (SHA-256 {manifest['model']['sha256']})"]]
    for s in manifest["scenarios"]:
        files = "; ".join(f"{f['path']} (SHA-256 {f['sha256']})" for f in s["files"])
        rows.append([f"scenario {s['name']}", files])
    for key in ("calibration", "sweep"):
        if manifest[key]:
            rows.append([key, f"{manifest[key]['path']} (SHA-256 {manifest[key]['sha256']})"])
    if manifest.get("discover"):
        rows.append(["scenario discovery", "; ".join(manifest["discover"])])
    rows += [["created (UTC)", manifest["created_utc"]], ["command line", manifest["command_line"]],
             ["Python", manifest["python"]], ["PySD", manifest["pysd"]],
             [", ".join(manifest["libraries"]), ", ".join(manifest["libraries"].values())],
             ["runs", "sdecon.engine, the batch engine compiled from the model file (the tests hold it to "
                      "PySD's runs of every shipped scenario)"]]
    return Section("manifest", "Manifest", [
        "What produced this report, to reproduce it: run the same command line with the same "
        "sdecon version, model file and scenario files (their hashes must match). manifest.json "
        "beside this report holds the same, and the list of files written.",
        Table(["item", "value"], rows, size=7)])


def appendices(sections: Sequence[Section | None]) -> list[Section]:
    """The detail behind the results, after them: each section (None: left out) titled
    "Appendix A: ...", "Appendix B: ...", in the order given."""
    present = [s for s in sections if s is not None]
    return [dataclasses.replace(s, title=f"Appendix {chr(ord('A') + i)}: {s.title}") for i, s in enumerate(present)]


def _optional_sections(calibration: Calibration | None, sweep: SweepResult | None,
                       runs: dict[str, pd.DataFrame], chosen: Sequence[Scenario] = (),
                       effective: dict[str, dict] | None = None, first_figure: int = 1,
                       findings: Sequence = ()) -> list[Section]:
    """'Model against history' when a calibration is given, 'Sensitivity' when a sweep is, and
    'Scenario discovery' when `findings` (`sdecon.report.discovery.find`) are; their figures are
    numbered from `first_figure` (the report numbers them again in reading order)."""
    effective = effective if effective is not None else {s.name: dict(s.values) for s in chosen}
    sections = []
    number = first_figure
    if calibration is not None:
        figures = history_figures(calibration, number)
        number += len(figures)
        sections.append(_history_section(calibration, list(chosen), figures))
    if sweep is not None:
        tornados = tornado_figures(sweep, number)
        fans = fan_figures(sweep, runs, effective, number + len(tornados))
        sections.append(_sensitivity_section(sweep, runs, effective, fans, tornados))
        number += len(tornados) + len(fans)
    if findings:
        sections.append(discovery_section(list(findings), number))
    return sections

