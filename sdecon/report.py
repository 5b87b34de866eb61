"""Reports for people who read rather than run the model: HTML, PDF, Excel and figures.

    sdecon report --scenarios baseline,jevons --output reports/example
    sdecon.report.write_report(["baseline", "jevons"], "reports/example")

One report is a directory: `report.html` (one self-contained file: CSS inline, figures as
inline SVG, no network request), `report.pdf` (the same sections as pages, the summary on
page 1), `results.xlsx` (a sheet per scenario, parameters, data sources, seed 004, manifest),
`figures/` (each figure as PNG and SVG) and `manifest.json` (what produced it). With a
calibration (`--calibration FILE.json`) the runs take its fitted values and the report sets
the model against history; with a sweep (`--sweep DIR`) it shows fan and tornado charts.

The report is first built as a list of sections made of paragraphs, tables and figures;
the HTML and the PDF are two renderings of that one list, so they say the same things.
The PDF is laid out with matplotlib (already a dependency): a user who installs with pip
alone gets it, with no browser or TeX.

Writing is all or nothing: everything is built in a temporary directory beside the output
and moved into place at the end. An existing output directory is replaced only when it
is empty or a previous sdecon report holding no file the report did not write; anything
else is refused, so a user's own files are never deleted.
"""
from __future__ import annotations

import argparse
import contextlib
import dataclasses
import datetime as dt
import functools
import hashlib
import html
import json
import math
import os
import platform
import re
import shlex
import shutil
import sys
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from . import __version__, model, parameter, scenarios, seed004, simulation
from .errors import SdeconError
from .model import PUBLIC_VARIABLES
from .scenarios import Scenario

if TYPE_CHECKING:  # pyplot is imported only when drawing, to keep the CLI quick to start
    import matplotlib.pyplot as plt

GENERATOR = "sdecon report"
KEY_VARIABLES = ("Compute Spending Share of GDP", "Compute Spending", "Datacenter Capex",
                 "Price of AI Compute")
KEY_YEARS = (2030, 2035, 2040)
SHARE = "Compute Spending Share of GDP"
FIGURE_DPI = 120          # PNG: 960 x 504 pixels, enough for a slide; the SVG is for print
LOG_SPAN = 100.0          # log scale when a variable's positive values span more than this
TITLE = "The economics of AI compute: scenario report"

# --------------------------------------------------------------------------------------
# Content: sections made of paragraphs, bullet lists, tables and figures
# --------------------------------------------------------------------------------------


@dataclass
class Table:
    columns: list[str]
    rows: list[list[str]]
    numeric: set[int] = field(default_factory=set)       # right-aligned columns
    marked: set[tuple[int, int]] = field(default_factory=set)  # (row, column) cells to shade
    group_first: bool = False    # blank the first cell when it repeats the row above
    notes: list[str] | None = None  # per row, a full-width line below it (e.g. a long source)
    caption: str = ""
    size: float = 7.5            # PDF font size


@dataclass
class Bullets:
    items: list[str]


@dataclass
class Heading:
    text: str


@dataclass
class Figure:
    key: str                      # file stem in figures/
    title: str
    caption: str
    draw: Callable                # draw(ax, fontscale) plots into one matplotlib Axes
    label_width: float = 0.0      # extra room left of the axes for long tick labels, inches


@dataclass
class Section:
    id: str
    title: str
    blocks: list = field(default_factory=list)   # str (paragraph) | Heading | Bullets | Table | Figure
    compact: bool = False                        # PDF: smaller type, to keep the summary on one page


# --------------------------------------------------------------------------------------
# Numbers and units
# --------------------------------------------------------------------------------------

_SUPERSCRIPT = str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹")


def fmt(x: float) -> str:
    """Three significant figures, thousands separators, powers of ten when very large or small."""
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return ""
    x = float(x)
    if x == 0:
        return "0"
    exponent = math.floor(math.log10(abs(x)))
    if exponent >= 6 or exponent < -3:
        mantissa = x / 10 ** exponent
        if round(abs(mantissa), 2) >= 10:
            mantissa, exponent = mantissa / 10, exponent + 1
        return f"{mantissa:.3g}×10{str(exponent).translate(_SUPERSCRIPT)}"
    rounded = float(f"{x:.3g}")
    return f"{rounded:,.0f}" if abs(rounded) >= 100 else f"{rounded:.3g}"


def exact(x: float) -> str:
    """A parameter value as written (up to 6 significant figures), powers of ten as such."""
    text = f"{float(x):g}"
    mantissa, sep, exponent = text.partition("e")
    if not sep:
        return text
    return f"{'' if mantissa == '1' else mantissa + '×'}10{str(int(exponent)).translate(_SUPERSCRIPT)}"


def _percent(x: float) -> str:
    return f"{fmt(100 * x)}%"


def _factor(ratio: float) -> str:
    return f"{fmt(ratio)}-fold"


def _pyplot():
    """matplotlib.pyplot on the Agg backend, imported when a figure is first drawn (so the
    command line starts without it)."""
    from .plotting import plt
    return plt


def unit(variable: str) -> str:
    """A reader's unit for a model variable: the `.mdl` unit, spelled out."""
    doc = model.documentation().loc[variable]
    if str(doc["Units"]) == "Dmnl":
        if variable.endswith("Multiplier"):
            return f"multiplier, 1 in {seed004.BASE_YEAR}"
        if "of GDP" in doc["Comment"]:
            return "fraction of GDP"
        return "dimensionless"
    from .plotting import unit_label
    return unit_label(variable)


def _key_unit(variable: str) -> str:
    return "% of GDP" if variable == SHARE else unit(variable)


def _key_value(variable: str, value: float) -> str:
    return _percent(value) if variable == SHARE else fmt(value)


def _sha256(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def _display_path(path: Path) -> str:
    """Paths inside the package as `sdecon/...`, the model as `models/...`, others relative
    to the working directory where they lie below it."""
    path = Path(path).resolve()
    package = Path(__file__).resolve().parent
    if path == model.model_path().resolve():
        return f"models/{path.name}"
    if path.is_relative_to(package):
        return f"sdecon/{path.relative_to(package).as_posix()}"
    if path.is_relative_to(Path.cwd()):
        return path.relative_to(Path.cwd()).as_posix()
    return str(path)


# --------------------------------------------------------------------------------------
# Figures
# --------------------------------------------------------------------------------------

_STYLES = ("-", "--", ":", "-.")


def _style(index: int) -> dict:
    """Colour and line style per scenario: distinct in colour and in grey print."""
    from matplotlib import colormaps
    return {"color": colormaps["tab10"](index % 10), "linestyle": _STYLES[index % len(_STYLES)]}


def uses_log_scale(values) -> bool:
    """True when the positive values span more than LOG_SPAN (and none is zero or negative)."""
    series = pd.Series(values, dtype=float).dropna()
    if series.empty or (series <= 0).any():
        return False
    return series.max() / series.min() > LOG_SPAN


def _draw_variable(runs: dict[str, pd.DataFrame], variable: str) -> Callable:
    values = pd.concat([frame[variable] for frame in runs.values()])
    log = uses_log_scale(values)

    def draw(ax, scale: float = 1.0) -> None:
        for index, (name, frame) in enumerate(runs.items()):
            ax.plot(frame.index, frame[variable], label=name, linewidth=1.6, **_style(index))
        _base_year_line(ax, scale)
        _label_time_axes(ax, scale, f"{variable}", unit(variable), log, values, "scenario")
        ax.margins(x=0.01)
    return draw


def _y_scale(ax, log: bool, values) -> None:
    """A log axis with powers of ten, or a linear one with thousands separators for large values."""
    from matplotlib.ticker import FuncFormatter, NullFormatter, StrMethodFormatter
    if log:
        ax.set_yscale("log")
        # Powers of ten in Unicode, not mathtext: the same look at a fraction of the time.
        ax.yaxis.set_major_formatter(FuncFormatter(_power_of_ten))
        ax.yaxis.set_minor_formatter(NullFormatter())
    elif pd.Series(values, dtype=float).abs().max() >= 10_000:
        ax.yaxis.set_major_formatter(StrMethodFormatter("{x:,.0f}"))


def _label_time_axes(ax, scale: float, title: str, ylabel: str, log: bool, values,
                     legend_title: str) -> None:
    """Title (saying when the scale is logarithmic), axis labels, y scale, grid and a legend
    beside the plot: what every chart over years shares."""
    ax.set_title(title + (" (log scale)" if log else ""), fontsize=11 * scale, pad=12 * scale)
    ax.set_xlabel("year", fontsize=9 * scale)
    ax.set_ylabel(ylabel, fontsize=9 * scale)
    ax.tick_params(labelsize=8 * scale)
    _y_scale(ax, log, values)
    ax.grid(True, which="major", alpha=0.3)
    ax.legend(title=legend_title, loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False,
              fontsize=8 * scale, title_fontsize=8 * scale)


def _base_year_line(ax, scale: float) -> None:
    ax.axvline(seed004.BASE_YEAR, color="0.55", linewidth=0.8, linestyle=(0, (2, 2)))
    ax.text(seed004.BASE_YEAR, 1.0, f" base year {seed004.BASE_YEAR}", transform=ax.get_xaxis_transform(),
            fontsize=7 * scale, color="0.4", va="bottom", ha="left")


def _power_of_ten(value: float, _position=None) -> str:
    if value <= 0:
        return ""
    exponent = round(math.log10(value))
    if abs(value / 10.0 ** exponent - 1) < 1e-9:
        return f"10{str(exponent).translate(_SUPERSCRIPT)}"
    return fmt(value)


def comparison_figures(runs: dict[str, pd.DataFrame]) -> list[Figure]:
    """One figure per public variable, the four key variables first."""
    order = list(KEY_VARIABLES) + [v for v in PUBLIC_VARIABLES if v not in KEY_VARIABLES]
    figures = []
    for number, variable in enumerate(order, start=1):
        log = uses_log_scale(pd.concat([frame[variable] for frame in runs.values()]))
        caption = (f"Figure {number}. {variable} by scenario ({unit(variable)})"
                   f"{', logarithmic scale' if log else ''}.{_agreement(runs, variable)}")
        figures.append(Figure(_slug(variable), variable, caption, _draw_variable(runs, variable)))
    return figures


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
    groups: list[list[str]] = []
    for name in names:
        for group in groups:
            if _same(runs[name][variable], runs[group[0]][variable]).all():
                group.append(name)
                break
        else:
            groups.append([name])
    for group in groups:
        if len(group) > 1:
            sentences.append(f" {', '.join(group[:-1])} and {group[-1]} coincide in every year, so one line hides the other{'s' if len(group) > 2 else ''}.")
    return "".join(sentences)


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def render_figure(figure: Figure) -> plt.Figure:
    """A standalone matplotlib figure (the one saved to figures/ and shown in the HTML)."""
    plt = _pyplot()
    fig = plt.figure(figsize=(8, 4.2), dpi=FIGURE_DPI)
    left = 0.95 + figure.label_width
    ax = fig.add_axes((left / 8, 0.6 / 4.2, (8 - left - 1.75) / 8, (4.2 - 0.6 - 0.5) / 4.2))
    figure.draw(ax, 1.0)
    return fig


def _save_png(fig: plt.Figure, path: Path) -> None:
    """PNG in a 128-colour palette: a third of the bytes of full colour, no visible loss for
    line charts (keeps the committed example report small)."""
    from PIL import Image   # a dependency of matplotlib

    fig.canvas.draw()         # at the figure's dpi, FIGURE_DPI
    image = Image.frombuffer("RGBA", fig.canvas.get_width_height(), fig.canvas.buffer_rgba(), "raw", "RGBA", 0, 1)
    palette = image.convert("RGB").quantize(colors=128, method=Image.Quantize.FASTOCTREE,
                                            dither=Image.Dither.NONE)
    palette.save(path, format="PNG", optimize=True)


def _save_figure(figure: Figure, folder: Path) -> str:
    """Write figures/KEY.png and KEY.svg; return the SVG text for the HTML."""
    import matplotlib

    fig = render_figure(figure)
    try:
        meta = {"Title": figure.title, "Type": None, "Format": None, "Creator": None, "Date": None}
        # Text stays text in the SVG (small, searchable; a short font list); ids are salted
        # per figure so that several SVGs inlined in one HTML page never share an id.
        with matplotlib.rc_context({"svg.fonttype": "none", "svg.hashsalt": figure.key,
                                    "font.sans-serif": ["DejaVu Sans", "Helvetica", "Arial"]}):
            fig.savefig(folder / f"{figure.key}.svg", metadata=meta)
        _save_png(fig, folder / f"{figure.key}.png")
    finally:
        _pyplot().close(fig)
    return (folder / f"{figure.key}.svg").read_text(encoding="utf-8")


# --------------------------------------------------------------------------------------
# Sections
# --------------------------------------------------------------------------------------


def _key_numbers(runs: dict[str, pd.DataFrame]) -> pd.DataFrame:
    rows = []
    for variable in KEY_VARIABLES:
        for name, frame in runs.items():
            rows.append({"variable": variable, "unit": unit(variable), "scenario": name,
                         **{year: float(frame.loc[year, variable]) for year in KEY_YEARS}})
    return pd.DataFrame(rows)


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
    first, last = KEY_YEARS[0], KEY_YEARS[-1]
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
            f"Datacenter capex in {last} is highest under {chigh} ({fmt(capex[chigh])} USD billion a "
            f"year) and lowest under {clow} ({fmt(capex[clow])}), a factor of {fmt(capex[chigh] / capex[clow])}.")
    else:
        (name, frame), = runs.items()
        sentences.append(
            f"Under {name} compute spending is " + ", ".join(
                f"{_percent(frame.loc[y, SHARE])} of GDP in {y}" for y in KEY_YEARS) + ".")
    # Cheaper compute, and more or less spent on it: the model's central question.
    groups: dict[str, list[str]] = {}
    for name, frame in runs.items():
        price = float(frame.loc[first, "Price of AI Compute"] / frame.loc[last, "Price of AI Compute"])
        growth = share[name] / share0[name]
        if price > 1.05:
            kind = ("cheaper compute and a rising share of GDP spent on it (a Jevons-style rebound)"
                    if growth > 1.05 else "cheaper compute and a falling share of GDP spent on it"
                    if growth < 1 / 1.05 else "cheaper compute and a steady share of GDP spent on it")
        elif price < 1 / 1.05:
            kind = "dearer compute"
        else:
            kind = "a steady price of compute"
        change = f"price {'falls ' + _factor(price) if price >= 1 else 'rises ' + _factor(1 / price)}, " \
                 f"share {'rises ' + _factor(growth) if growth >= 1 else 'falls ' + _factor(1 / growth)}"
        groups.setdefault(kind, []).append(f"{name} ({change})")
    for kind, members in groups.items():
        sentences.append(f"From {first} to {last}, {kind}: {'; '.join(members)}.")
    # A collapse in spending after the base year: seed 000's compute bubble.
    falls = {}
    for name, frame in runs.items():
        after = frame.loc[seed004.BASE_YEAR:, "Compute Spending"]
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


def _summary_section(runs, chosen, calibration=None, sweep=None) -> Section:
    numbers = _key_numbers(runs)
    table = Table(["variable", "scenario"] + [str(y) for y in KEY_YEARS],
                  [[f"{row['variable']} ({_key_unit(row['variable'])})", row["scenario"]]
                   + [_key_value(row["variable"], row[year]) for year in KEY_YEARS]
                   for row in numbers.to_dict("records")],
                  numeric={2, 3, 4}, group_first=True, size=8)
    blocks: list = [Heading("Key numbers"), table, Heading("What separates the scenarios"),
                    Bullets(findings(runs, chosen)), Heading("The scenarios"),
                    Bullets([f"{s.name}: {s.title}" for s in chosen])]
    calibrated: dict[str, list[str]] = {}
    for s in chosen:
        if _calibration_of(s) is not None:
            calibrated.setdefault(_display_path(_calibration_of(s)), []).append(s.name)
    if calibration is not None:
        blocks.append(f"Calibration: every scenario takes the {len(calibration.values)} values fitted in "
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
    return Section("summary", "Summary", blocks, compact=True)


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
            blocks.append(Bullets([f"{n} = {exact(v)} {params[n].unit} (default {exact(params[n].default)})"
                                   for n, v in changed]))
        else:
            blocks.append(f"{origin}. It keeps every default.")
    return Section("scenarios", "Scenarios", blocks)


def _comparison_section(figures: list[Figure]) -> Section:
    return Section("comparison", "Scenario comparison", [
        "Every public variable of the model, one chart each, all scenarios together. A variable "
        f"whose values span more than a factor of {LOG_SPAN:g} is drawn on a logarithmic scale. "
        "The dotted line marks the base year, where the efficiency multipliers equal 1.", *figures])


_QUANTITY_SHORT = {"Hardware Efficiency Multiplier": "H", "Software Efficiency Multiplier": "S",
                   "Combined Efficiency Multiplier": "T", "Training Cost per Billion Tokens": "C"}


@functools.lru_cache(maxsize=2)
def _seed004_model_check(key: tuple) -> list[tuple[str, float]]:
    """Largest relative difference between each seed004-* run and the method, 2025-2030;
    cached by the model's and the scenario files' hashes (`key`)."""
    checks = []
    for name in seed004.SCENARIOS:
        run = simulation.run(name)
        method = seed004.method(name)
        checks.append((name, float(((run.loc[method.index, method.columns] / method) - 1).abs().max().max())))
    return checks


def _seed004_section() -> Section:
    compared = seed004.compare()
    blocks: list = [
        "Seed 004 (software against hardware efficiency) states its method: base year 2025; "
        "hardware H(t) = (1+h)^t and software S(t) = (1+s)^t, with adoption events multiplying S "
        "from their year on; combined T = H × S; training cost C = 378 / T USD per billion tokens. "
        "Below, its published cells stand next to the values its own method gives. Shaded bold "
        "cells are published values the method does not round to; the table after them gives "
        "each difference and its likely reason."]
    key = (model.model_hash(), *(_sha256(scenarios.SCENARIO_DIR / f"{n}.toml") for n in seed004.SCENARIOS))
    checks = [f"{name} {worst:.1e}" for name, worst in _seed004_model_check(key)]
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
                row += [str(cell["published"]), f"{cell['method']:.4g}"]
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
            rows.append([cell.scenario, str(cell.year), cell.quantity, cell.published,
                         f"{cell.method:.4g}", "yes" if cell.agrees else "no"])
        blocks.append(Table(["scenario", "year", "quantity", "published", "method", "agrees"], rows,
                            numeric={1, 4}, marked=marked))
    differing = compared[~compared["agrees"]]
    blocks.append(Heading(f"The {len(differing)} cells that differ, and why"))
    rows = []
    for cell in differing.itertuples(index=False):
        difference = "outside range" if pd.isna(cell.difference_pct) else f"{cell.difference_pct:+.1f}%"
        rows.append([cell.table, cell.scenario, str(cell.year), _QUANTITY_SHORT.get(cell.quantity, cell.quantity),
                     cell.published, f"{cell.method:.4g}", difference, cell.reason])
    blocks.append(Table(["table", "scenario", "year", "qty", "published", "method", "difference", "likely reason"],
                        rows, numeric={2, 4, 5, 6}, size=7,
                        caption="Difference: published value over the method's, minus one."))
    return Section("seed004", "Seed 004 by its own method", blocks)


def _assumptions_section(chosen: list[Scenario], calibration=None) -> Section:
    table = parameter.parameter_table()
    rows, marked, notes = [], set(), []
    for r, (name, p) in enumerate(table.iterrows()):
        bounds = "fixed" if p.lower == p.upper else f"{exact(p.lower)} to {exact(p.upper)}"
        changed = [f"{s.name} {exact(s.values[name])}" for s in chosen
                   if name in s.values and s.values[name] != p.default]
        if changed:
            marked.add((r, 4))
        rows.append([name, p.unit, exact(p.default), bounds, "; ".join(changed) or "default"])
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

DATA_DIR = Path(__file__).resolve().parent / "data"
_LONG_COLUMNS = ["year", "series", "label", "value", "unit", "source", "confidence"]
_REQUIRED = {"year", "series", "value", "unit", "source"}


def historical_data() -> pd.DataFrame:
    """Every row of the data shipped in sdecon/data, long: file, year, series, label, value,
    unit, source, confidence. From sdecon.data.load() when the package provides it in that shape,
    else read from the CSV files that have those columns."""
    try:
        from . import data as data_package
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
    rows += [["created (UTC)", manifest["created_utc"]], ["command line", manifest["command_line"]],
             ["Python", manifest["python"]], ["PySD", manifest["pysd"]],
             ["pandas, matplotlib, openpyxl", ", ".join(manifest["libraries"].values())]]
    return Section("manifest", "Manifest", [
        "What produced this report, to reproduce it: run the same command line with the same "
        "sdecon version, model file and scenario files (their hashes must match). manifest.json "
        "beside this report holds the same, and the list of files written.",
        Table(["item", "value"], rows, size=7)])


# --------------------------------------------------------------------------------------
# Optional sections: model against history (calibration) and sensitivity (sweep)
# --------------------------------------------------------------------------------------


@dataclass
class CalibrationInput:
    """A calibration file read for the report (written by `sdecon calibrate --output FILE.json`)."""
    path: Path
    values: dict[str, float]      # the fitted values, checked against the bounds; the runs take them
    content: dict                 # the whole file: stderr, cost, success, message, until, unidentified, ...
    residuals: pd.DataFrame       # series, label, year, observed, unit, variable, weight, modelled, log_error


@dataclass
class SweepInput:
    """A finished sweep read for the report (written by `sdecon sweep --output DIR`)."""
    path: Path
    manifest: dict
    bands: pd.DataFrame           # summary_bands.parquet
    indices: pd.DataFrame         # indices.parquet


_RESIDUAL_COLUMNS = ("series", "year", "observed", "unit", "modelled", "log_error")
_FROM_CALIBRATE = "expected a file written by 'sdecon calibrate --output FILE.json'"
_FROM_SWEEP = "expected a directory written by 'sdecon sweep'"


def _one_line(error) -> str:
    return " ".join(str(error).split())[:300]


def _load_calibration(path: Path) -> CalibrationInput:
    """Read a calibration for the 'Model against history' section and the runs; SdeconError
    (one line) when the file is missing, not JSON, its values unknown or out of bounds, or it
    lacks the residuals the section draws."""
    from . import calibration as fitting

    path = Path(path)
    content = fitting.read(path)       # values checked: what `sdecon run --calibration` uses
    values = content["parameters"]
    records = content.get("residuals")
    if not isinstance(records, list) or not records or not all(isinstance(r, dict) for r in records):
        raise SdeconError(f"calibration file {str(path)!r} has no \"residuals\" records to set the model "
                          f"against history; {_FROM_CALIBRATE}")
    residuals = pd.DataFrame.from_records(records)
    missing = [c for c in _RESIDUAL_COLUMNS if c not in residuals]
    if missing:
        raise SdeconError(f"calibration file {str(path)!r}: its residuals lack {', '.join(missing)}; "
                          f"{_FROM_CALIBRATE}")
    for column in ("year", "observed", "modelled", "log_error"):
        residuals[column] = pd.to_numeric(residuals[column], errors="coerce")
    if residuals[["year", "observed"]].isna().any().any() or not (residuals["observed"] > 0).all():
        raise SdeconError(f"calibration file {str(path)!r}: every residual needs a year and a positive "
                          f"observed value; {_FROM_CALIBRATE}")
    for key, kind in (("stderr", dict), ("correlation", dict), ("levels", dict), ("unidentified", list)):
        if content.get(key) is not None and not isinstance(content[key], kind):
            raise SdeconError(f"calibration file {str(path)!r}: \"{key}\" is not a "
                              f"{'JSON object' if kind is dict else 'list'}; {_FROM_CALIBRATE}")
    residuals["series"] = residuals["series"].astype(str)
    residuals["unit"] = residuals["unit"].astype(str)
    return CalibrationInput(path, values, content, residuals)


def _load_sweep(path: Path) -> SweepInput:
    """Read a finished sweep for the 'Sensitivity' section (`sdecon.sweep.load`); SdeconError
    (one line) when it is not a sweep, is unfinished or its summaries cannot be read."""
    from . import sweep as sweeps

    path = Path(path)
    try:
        result = sweeps.load(path)
        manifest, bands, indices = result.manifest, result.bands, result.indices
        method = manifest.get("method")
    except SdeconError:
        raise
    except (OSError, ValueError, TypeError, KeyError, AttributeError) as error:  # a damaged file
        raise SdeconError(f"sweep directory {str(path)!r} cannot be read: {_one_line(error)}") from None
    missing = [k for k in ("scenario", "method", "samples", "runs", "seed", "vary") if k not in manifest]
    if missing:
        raise SdeconError(f"sweep directory {str(path)!r}: its manifest lacks {', '.join(missing)}; {_FROM_SWEEP}")
    if method not in _INDEX_SHOWN:
        raise SdeconError(f"sweep directory {str(path)!r}: unknown method {method!r}; "
                          f"allowed: {', '.join(_INDEX_SHOWN)}")
    column, conf = _INDEX_SHOWN[method][:2]
    for name, frame, needed in (("summary_bands", bands, ["variable", "unit", "year", "runs", "p50"]),
                                ("indices", indices, ["variable", "year", "parameter", column, conf])):
        lacking = [c for c in needed if c not in frame]
        if lacking:
            raise SdeconError(f"sweep directory {str(path)!r}: {name} lacks {', '.join(lacking)}; {_FROM_SWEEP}")
    return SweepInput(path, manifest, bands, indices)


# --- model against history -------------------------------------------------------------

#: Readable names of the series a calibration fits (sdecon.calibration.FIT_SERIES); others
#: are shown by their identifiers.
_SERIES_TITLES = {
    "hyperscaler_capex_big4_calendar_year": "Big-four hyperscaler capex",
    "capex_big4_total_calendar_year": "Big-four capex with finance leases",
    "global_datacenter_capex_delloro": "Worldwide datacenter capex (Dell'Oro)",
    "nvidia_datacenter_revenue_fiscal_year": "NVIDIA data-center revenue",
    "training_cost_amortized_hw_energy": "Frontier training cost",
    "max_training_compute_of_year": "Largest training run's compute",
    "cheapest_price_at_or_above_GPT-3.5_level_on_MMLU": "Cheapest price at GPT-3.5's level",
    "world_gdp_nominal": "World GDP",
}


def _series_title(series: str) -> str:
    return _SERIES_TITLES.get(series, series.replace("_", " "))


def _short_unit(text: str) -> str:
    """The unit before its qualifications: 'USD billion nominal (purchases ...; ...)' -> 'USD billion nominal'."""
    return re.split(r"\s*[(;]", str(text), maxsplit=1)[0].strip() or str(text)


def _draw_history(table: pd.DataFrame, title: str, ylabel: str, log: bool, trend: bool) -> Callable:
    values = pd.concat([table["observed"], table["modelled"].dropna()])

    def draw(ax, scale: float = 1.0) -> None:
        from matplotlib.ticker import FormatStrFormatter, MaxNLocator, MultipleLocator
        ax.plot(table["year"], table["modelled"], color=_style(0)["color"], linewidth=1.6, zorder=2,
                label="model, level fitted" if trend else "model")
        ax.plot(table["year"], table["observed"], linestyle="none", marker="o", markersize=3.8 * scale,
                color="black", zorder=3, label="observed")
        if table["year"].max() - table["year"].min() >= 4:
            ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        else:             # a short span of dates given as fractions of a year: half years
            ax.xaxis.set_major_locator(MultipleLocator(0.5))
            ax.xaxis.set_major_formatter(FormatStrFormatter("%g"))
        _label_time_axes(ax, scale, title, ylabel, log, values, "history")
    return draw


def history_figures(calibration: CalibrationInput, first: int = 1) -> list[Figure]:
    """One figure per fitted series: the observations as dots, the calibrated model at the same
    dates as a line (what `sdecon.plotting.plot_history` shows, a panel a figure here, with
    the report's titles, axis labels and units)."""
    levels = calibration.content.get("levels") or {}
    figures = []
    for number, (series, table) in enumerate(calibration.residuals.groupby("series", sort=False), start=first):
        table = table.sort_values("year", kind="stable")
        title = _series_title(series)
        full_unit = table["unit"].iloc[0]
        log = uses_log_scale(pd.concat([table["observed"], table["modelled"].dropna()]))
        variable = str(table["variable"].iloc[0]) if "variable" in table else "value"
        caption = (f"Figure {number}. {title} (series {series}; {full_unit}): observed values as dots, the "
                   f"calibrated model's {variable} at the same dates as a line"
                   f"{', logarithmic scale' if log else ''}.")
        if series in levels and levels[series] is not None:
            caption += (f" Compared on its trend only: the model's values are divided by "
                        f"{fmt(math.exp(levels[series]))}, the constant factor the fit found between them "
                        "and the data.")
        figures.append(Figure(f"history-{_slug(series)}", title, caption,
                              _draw_history(table, title, _short_unit(full_unit), log, series in levels)))
    return figures


def _history_section(calibration: CalibrationInput, chosen: list[Scenario], figures: list[Figure]) -> Section:
    from .calibration import summarise

    content, residuals = calibration.content, calibration.residuals
    params = parameter.parameters()
    stderr = content.get("stderr") or {}
    unidentified = set(content.get("unidentified") or [])
    until = content.get("until", "not recorded")
    path = _display_path(calibration.path)
    blocks: list = [
        f"The model against the historical data, with the values fitted in {path}. Every scenario in "
        "this report takes these values on top of its own (as 'sdecon run --calibration' does). The "
        f"fit compared the model with the data through {until}: below are the fitted values, how well "
        "the fit went, the errors by series and each series against the model."]
    if content.get("model_hash") and content["model_hash"] != model.model_hash():
        blocks.append(f"Caution: the calibration was fitted to another version of the model file "
                      f"(SHA-256 {str(content['model_hash'])[:12]}, this report's is {model.model_hash()[:12]}); "
                      "the errors below are that model's, not this one's.")
    replaced = []
    for s in chosen:
        changed = [f"{n} {exact(s.values[n])} becomes {exact(v)}" for n, v in calibration.values.items()
                   if n in s.values and s.values[n] != v]
        if changed:
            replaced.append(f"{s.name}: {'; '.join(changed)}")
    if replaced:
        blocks.append("The calibration replaces values the scenarios set:")
        blocks.append(Bullets(replaced))

    blocks.append(Heading("Fitted parameters"))
    rows, marked = [], set()
    for r, (name, value) in enumerate(calibration.values.items()):
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
                     exact(p.default), p.unit, ", ".join(note)])
    blocks.append(Table(["parameter", "fitted value", "standard error", "bounds", "default", "unit", "note"],
                        rows, numeric={1, 2, 4}, marked=marked,
                        caption="Standard errors from the Jacobian at the best point. Not identified: the data "
                                "cannot pin the value down (relative standard error above 1), so it rests on "
                                "the others and on the bounds."))
    correlation = content.get("correlation") or {}
    names = [n for n in calibration.values if isinstance(correlation.get(n), dict)]
    strong = [f"{a} and {b}: {correlation[a][b]:+.2f}" for i, a in enumerate(names) for b in names[i + 1:]
              if isinstance(correlation[a].get(b), (int, float)) and abs(correlation[a][b]) > 0.8]
    if strong:
        blocks.append("Estimates correlated above 0.8 (the data tell their combination better than each):")
        blocks.append(Bullets(strong))

    blocks.append(Heading("The fit"))
    success = content.get("success")
    facts = [["file", f"{path} (SHA-256 {_sha256(calibration.path)[:12]})"],
             ["scenario the fit started from", str(content.get("scenario", "not recorded"))],
             ["data through", str(until)],
             ["observations", f"{len(residuals)} in {residuals['series'].nunique()} series"],
             ["cost", "not recorded" if content.get("cost") is None
              else f"{fmt(content['cost'])} (half the sum of squared weighted log errors)"],
             ["converged", "not recorded" if success is None else "yes" if success else "no"],
             ["optimisers' message", str(content.get("message", "not recorded"))]]
    if content.get("nfev") is not None:
        facts.append(["model runs", f"{int(content['nfev']):,}"])
    if content.get("created"):
        facts.append(["written", f"{content['created']} by sdecon {content.get('sdecon_version', '?')}"])
    blocks.append(Table(["item", "value"], facts, size=7.5))
    if success is False:
        blocks.append("The fit did not report convergence (see the message): its values are the best point "
                      "the search found, not a proven optimum.")

    blocks.append(Heading("Errors by series"))
    summary = summarise(residuals)
    order = list(dict.fromkeys(residuals["series"]))
    blocks.append(Table(
        ["series", "rows", "mean |log error|", "largest |log error|", "RMS log error", "typical factor"],
        [[_series_title(s), str(int(summary.loc[s, "rows"])), f"{summary.loc[s, 'mean_abs_log_error']:.3f}",
          f"{summary.loc[s, 'max_abs_log_error']:.3f}", f"{summary.loc[s, 'rms_log_error']:.3f}",
          f"×{math.exp(summary.loc[s, 'rms_log_error']):.2f}"] for s in order],
        numeric={1, 2, 3, 4, 5},
        caption="log error = ln(modelled / observed): 0.1 is about 10% too high, -0.69 half the observed value; "
                "typical factor = exp(RMS log error). Every row of the fitted series counts, whatever its weight."))
    blocks.append(Heading("Each series against the model"))
    blocks += figures
    return Section("history", "Model against history", blocks)


# --- sensitivity -----------------------------------------------------------------------

#: The index a tornado shows for each method: column, confidence column, axis label, unit
#: (None: the output's own unit).
_INDEX_SHOWN = {
    "sobol": ("ST", "ST_conf", "total-order Sobol' index ST", "fraction of variance"),
    "morris": ("mu_star", "mu_star_conf", "mu*, mean absolute elementary effect", None),
    "mc": ("S1", "S1_conf", "first-order index S1, RBD-FAST", "fraction of variance"),
    "lhs": ("S1", "S1_conf", "first-order index S1, RBD-FAST", "fraction of variance"),
}
_METHOD_NAMES = {"mc": "Monte Carlo", "lhs": "Latin hypercube", "sobol": "Saltelli's Sobol' scheme",
                 "morris": "Morris elementary effects"}
TORNADO_TOP = 10          # parameters a tornado chart shows


def _percentile_pairs(bands: pd.DataFrame) -> list[tuple[int, int]]:
    """(low, high) percentile pairs, the widest first: (5, 95), (10, 90), (25, 75)."""
    found = sorted(int(c[1:]) for c in bands.columns if re.fullmatch(r"p\d+", c))
    return [(lo, hi) for lo in found for hi in found if lo < 50 and hi == 100 - lo]


def _draw_fan(rows: pd.DataFrame, variable: str, runs: int, run: pd.Series | None, run_name: str) -> Callable:
    pairs = _percentile_pairs(rows)
    values = pd.concat([rows[f"p{p}"] for pair in pairs for p in pair] + [rows["p50"]]
                       + ([run] if run is not None else []))
    log = uses_log_scale(values)

    def draw(ax, scale: float = 1.0) -> None:
        colour = _style(0)["color"]
        for k, (lo, hi) in enumerate(pairs):
            ax.fill_between(rows["year"], rows[f"p{lo}"], rows[f"p{hi}"], color=colour, linewidth=0,
                            alpha=0.16 + 0.14 * k, label=f"{lo}th-{hi}th percentile")
        ax.plot(rows["year"], rows["p50"], color=colour, linewidth=1.8, label="median")
        if run is not None:
            ax.plot(run.index, run.to_numpy(), color="black", linewidth=1.1, linestyle="--", label=f"{run_name} run")
        _base_year_line(ax, scale)
        _label_time_axes(ax, scale, f"{variable}: range over the sweep", unit(variable), log, values,
                         f"{runs:,} runs")
        ax.margins(x=0.01)
    return draw


def fan_figures(sweep: SweepInput, runs: dict[str, pd.DataFrame], effective: dict[str, dict],
                first: int = 1) -> list[Figure]:
    """A fan chart per public variable the sweep kept: its percentile bands over the years and
    the median; the report's run of the sweep's scenario as a dashed line when it has the
    sweep's values. A log scale when the bands span more than a factor of LOG_SPAN."""
    bands, manifest = sweep.bands, sweep.manifest
    present = list(dict.fromkeys(bands["variable"]))
    order = [v for v in KEY_VARIABLES if v in present] + [v for v in present if v not in KEY_VARIABLES]
    name = manifest["scenario"]
    same_values = name in runs and dict(sorted(effective[name].items())) == manifest.get("scenario_values")
    pairs = _percentile_pairs(bands)
    figures = []
    for number, variable in enumerate(order, start=first):
        rows = bands[bands["variable"] == variable].sort_values("year")
        run = runs[name][variable] if same_values and variable in runs[name] else None
        draw = _draw_fan(rows, variable, int(manifest["runs"]), run, name)
        log = uses_log_scale(pd.concat([rows[f"p{p}"] for pair in pairs for p in pair]))
        outer = f"{pairs[0][0]}th to {pairs[0][1]}th percentile" if pairs else "the percentiles"
        caption = (f"Figure {number}. {variable} ({unit(variable)}) over {int(manifest['runs']):,} runs of "
                   f"{name}: shaded from {outer} out to in, the median as a line"
                   f"{', logarithmic scale' if log else ''}."
                   + (f" Dashed: the report's run of {name}." if run is not None else ""))
        figures.append(Figure(f"fan-{_slug(variable)}", f"{variable}: range over the sweep", caption, draw))
    return figures


def _tornado_frames(indices: pd.DataFrame, method: str, variable: str, top: int = TORNADO_TOP):
    column, conf = _INDEX_SHOWN[method][:2]
    rows = indices[indices["variable"] == variable]
    main = rows.pivot_table(index="parameter", columns="year", values=column, aggfunc="first", dropna=False)
    order = list(main.abs().max(axis=1).fillna(0).sort_values(ascending=False, kind="stable").index[:top])
    wide = {c: rows.pivot_table(index="parameter", columns="year", values=c, aggfunc="first",
                                dropna=False).reindex(order)
            for c in dict.fromkeys([column, conf, *(["S1"] if method == "sobol" and "S1" in rows else [])])}
    return order, wide


def _draw_tornado(indices: pd.DataFrame, method: str, variable: str, top: int = TORNADO_TOP) -> Callable:
    column, conf, label, index_unit = _INDEX_SHOWN[method]
    order, wide = _tornado_frames(indices, method, variable, top)
    years = list(wide[column].columns)

    def draw(ax, scale: float = 1.0) -> None:
        import numpy as np
        from matplotlib import colormaps
        n, k = len(order), max(len(years), 1)
        height = 0.84 / k
        positions = np.arange(n)[::-1]            # the largest on top
        for j, year in enumerate(years):
            offset = (k - 1) / 2 * height - j * height
            ax.barh(positions + offset, wide[column][year].fillna(0).to_numpy(), height=height * 0.92,
                    xerr=wide[conf][year].fillna(0).to_numpy(), label=str(year),
                    color=colormaps["Blues"](0.4 + 0.5 * j / max(k - 1, 1)),
                    error_kw={"elinewidth": 0.7, "capsize": 1.5, "ecolor": "0.3"})
            if "S1" in wide and column != "S1":
                ax.plot(wide["S1"][year].to_numpy(), positions + offset, linestyle="none", marker="|",
                        markersize=14 * scale / k, markeredgewidth=1.3, color="black",
                        label="S1 (first order)" if j == 0 else None)
        ax.set_yticks(positions, order, fontsize=7.5 * scale)
        ax.set_ylim(-0.6, n - 0.4)
        ax.axvline(0, color="black", linewidth=0.6)
        ax.set_title(f"Sensitivity of {variable}", fontsize=11 * scale, pad=12 * scale)
        ax.set_xlabel(f"{label} ({index_unit or unit(variable)})", fontsize=9 * scale)
        ax.set_ylabel("parameter", fontsize=9 * scale)
        ax.tick_params(axis="x", labelsize=8 * scale)
        ax.grid(True, axis="x", alpha=0.3)
        handles, labels = ax.get_legend_handles_labels()
        last = [i for i, text in enumerate(labels) if text.startswith("S1")]   # the years first
        keep = [i for i in range(len(labels)) if i not in last] + last
        ax.legend([handles[i] for i in keep], [labels[i] for i in keep], title="index year", loc="upper left",
                  bbox_to_anchor=(1.01, 1.0), frameon=False, fontsize=8 * scale, title_fontsize=8 * scale)
    return draw


def tornado_figures(sweep: SweepInput, first: int = 1, top: int = TORNADO_TOP) -> list[Figure]:
    """A tornado chart per key variable the sweep analysed: the parameters with the largest
    index in any index year, a bar a year, with 95% confidence half-widths."""
    method, indices = sweep.manifest["method"], sweep.indices
    label, index_unit = _INDEX_SHOWN[method][2:]
    analysed = list(dict.fromkeys(indices["variable"]))
    variables = [v for v in KEY_VARIABLES if v in analysed] or analysed[:1]
    orders = {v: _tornado_frames(indices, method, variable=v, top=top)[0] for v in variables}
    # One room for the parameter names in all the charts, so they line up
    width = max([_text_width(p, 7.5) for order in orders.values() for p in order] + [0.5]) + 0.3 - 0.62
    figures = []
    for number, variable in enumerate(variables, start=first):
        order = orders[variable]
        years = sorted(indices.loc[indices["variable"] == variable, "year"].unique())
        caption = (f"Figure {number}. What drives {variable}: the {len(order)} of "
                   f"{indices['parameter'].nunique()} varied parameters with the largest {label} in any of "
                   f"{', '.join(map(str, years))}, in {index_unit or unit(variable)}, a bar a year; whiskers "
                   "are 95% confidence half-widths." + (" Black ticks: the first-order index S1; the gap "
                                                         "to ST is the share of variance from interactions."
                                                         if method == "sobol" else ""))
        figures.append(Figure(f"tornado-{_slug(variable)}", f"Sensitivity of {variable}", caption,
                              _draw_tornado(indices, method, variable, top), label_width=max(width, 0.0)))
    return figures


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
                     "; ".join(detail), params[name].unit if name in params else ""])
    return rows


def _sweep_summary(sweep: SweepInput) -> str:
    """One sentence for the summary: the spread of the headline variable and what drives it."""
    manifest, bands, indices = sweep.manifest, sweep.bands, sweep.indices
    text = (f"Sensitivity: {int(manifest['runs']):,} runs of {manifest['scenario']} "
            f"({_METHOD_NAMES.get(manifest['method'], manifest['method'])}, {len(manifest['vary'])} "
            "parameters varied)")
    year = KEY_YEARS[-1]
    row = bands[(bands["variable"] == SHARE) & (bands["year"] == year)]
    pairs = _percentile_pairs(bands)
    if row.empty or not pairs:
        return text + "; see Sensitivity."
    lo, hi = pairs[0]
    row = row.iloc[0]
    text += (f" put compute spending at {_percent(row[f'p{lo}'])} to {_percent(row[f'p{hi}'])} of GDP in {year} "
             f"({lo}th to {hi}th percentile; median {_percent(row['p50'])})")
    column = _INDEX_SHOWN[manifest["method"]][0]
    part = indices[(indices["variable"] == SHARE) & indices[column].notna()]
    if not part.empty:
        index_year = min(part["year"].unique(), key=lambda y: (abs(y - year), y))
        top = part[part["year"] == index_year].sort_values(column, ascending=False).iloc[0]
        text += (f"; the largest {column.replace('mu_star', 'mu*')} in {index_year} is that of "
                 f"{top['parameter']} ({fmt(top[column])})")
    return text + "."


def _sensitivity_section(sweep: SweepInput, runs: dict[str, pd.DataFrame], effective: dict[str, dict],
                         fans: list[Figure], tornados: list[Figure]) -> Section:
    from . import sweep as sweeps

    manifest, bands = sweep.manifest, sweep.bands
    method, name = manifest["method"], manifest["scenario"]
    vary = manifest["vary"]
    chosen_how = "the default uncertainty set" if manifest.get("default_set") else "chosen with --vary"
    blocks: list = [
        f"How wide the range of outcomes is, and which parameters drive it, from the sweep in "
        f"{_display_path(sweep.path)}: {int(manifest['runs']):,} runs of scenario {name} by "
        f"{_METHOD_NAMES.get(method, method)} (N = {manifest['samples']}, seed {manifest['seed']}), varying "
        f"{len(vary)} parameters ({chosen_how}, "
        "listed at the end) while every other parameter keeps the scenario's value. Written by sdecon "
        f"{manifest.get('sdecon_version', '?')}; 'sdecon sweep' and docs/sweep.md say how."]
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
    pairs = _percentile_pairs(bands)
    columns = [f"p{p}" for p in sorted({p for pair in pairs for p in pair} | {50})]
    rows = []
    for variable in KEY_VARIABLES:
        for year in KEY_YEARS:
            found = bands[(bands["variable"] == variable) & (bands["year"] == year)]
            if not found.empty:
                rows.append([f"{variable} ({_key_unit(variable)})", str(year)]
                            + [_key_value(variable, found.iloc[0][c]) for c in columns])
    if rows:
        blocks.append(Heading("Key numbers across the sweep"))
        blocks.append(Table(["variable", "year"] + [f"{c[1:]}th" if c != "p50" else "median" for c in columns], rows,
                            numeric=set(range(1, 2 + len(columns))), group_first=True, size=8,
                            caption="Percentiles over the runs (within 0.5%: the sweep counts values in "
                                    "log-spaced bins). results.xlsx, sheet 'sensitivity', has every variable "
                                    "and year, and every index."))
    blocks.append(Heading("What drives the outcomes"))
    column, _, label, _ = _INDEX_SHOWN[method]
    blocks.append(
        f"Tornado charts: for each key variable, the parameters with the largest {label} in the sweep's index "
        f"years. " + {"sobol": "ST is the share of the output's variance that goes with the parameter, alone "
                               "or with others; S1 the share it explains alone.",
                      "morris": "mu* is the mean absolute change of the output when the parameter moves by one "
                                "level of its range (a quarter of its quantiles), in the output's unit.",
                      "mc": "S1 is the share of the output's variance the parameter explains alone, estimated "
                            "by RBD-FAST; with few runs it is noisy: read the whiskers.",
                      "lhs": "S1 is the share of the output's variance the parameter explains alone, estimated "
                             "by RBD-FAST; with few runs it is noisy: read the whiskers."}[method]
        + " An output whose variance is dominated by a few extreme runs needs many samples (docs/sweep.md).")
    blocks += tornados
    blocks.append(Heading("Range of outcomes"))
    blocks.append("Fan charts: for each public variable, the percentile bands over the runs in every year "
                  f"and the median. A variable whose bands span more than a factor of {LOG_SPAN:g} is drawn on "
                  "a logarithmic scale.")
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


def _optional_sections(calibration: CalibrationInput | None, sweep: SweepInput | None,
                       runs: dict[str, pd.DataFrame], chosen: Sequence[Scenario] = (),
                       effective: dict[str, dict] | None = None, first_figure: int = 1) -> list[Section]:
    """'Model against history' when a calibration is given, 'Sensitivity' when a sweep is:
    placed between Seed 004 and Assumptions; their figures are numbered from `first_figure`."""
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
    return sections


# --------------------------------------------------------------------------------------
# Excel
# --------------------------------------------------------------------------------------

_SHEET_FORBIDDEN = re.compile(r"[\[\]:*?/\\]")


def sheet_names(names: Sequence[str], reserved: Sequence[str]) -> dict[str, str]:
    """An Excel sheet name for each scenario: at most 31 characters, unique, none of the reserved."""
    taken = {r.lower() for r in reserved}
    chosen = {}
    for name in names:
        base = _SHEET_FORBIDDEN.sub("_", name).strip("'")[:31] or "scenario"
        candidate, n = base, 2
        while candidate.lower() in taken:
            suffix = f" ({n})"
            candidate, n = base[:31 - len(suffix)] + suffix, n + 1
        taken.add(candidate.lower())
        chosen[name] = candidate
    return chosen


RESERVED_SHEETS = ("key numbers", "parameters", "data sources", "historical data", "seed 004", "manifest",
                   "calibration", "sensitivity")


def column_header(variable: str) -> str:
    """Excel column header: the variable and its unit, 'Compute Spending [USD billion per year]'."""
    return f"{variable} [{unit(variable)}]"


@contextlib.contextmanager
def _exact_floats():
    """openpyxl writes numbers as '%.16g', which does not always give back the same double;
    while saving, write floats as repr does (the shortest text that does, at most 17 digits).
    tests/test_report.py checks the values read back equal the runs exactly."""
    from openpyxl.cell import _writer

    original = getattr(_writer, "safe_string", None)
    if original is None:
        yield
        return

    def safe_string(value):
        if isinstance(value, float) and math.isfinite(value):
            return repr(float(value))
        return original(value)

    _writer.safe_string = safe_string
    try:
        yield
    finally:
        _writer.safe_string = original


def _cell(value):
    """A value openpyxl writes as it is: None for NaN and missing, Python numbers for numpy's."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    if hasattr(value, "item") and not isinstance(value, (str, bytes)):
        value = value.item()
        return None if isinstance(value, float) and math.isnan(value) else value
    if isinstance(value, (list, dict)):
        return json.dumps(value)
    return value


def _frame_rows(frame: pd.DataFrame) -> list[list]:
    return [[_cell(v) for v in row] for row in frame.astype(object).itertuples(index=False, name=None)]


def _calibration_blocks(calibration: CalibrationInput) -> list[tuple[list[str], list[list]]]:
    """The 'calibration' sheet: the fitted parameters, the fit, and every residual."""
    content = calibration.content
    params = parameter.parameters()
    stderr = content.get("stderr") or {}
    unidentified = set(content.get("unidentified") or [])
    table = [[name, value, _cell(stderr.get(name)), params[name].lower, params[name].upper, params[name].default,
              params[name].unit, "no" if name in unidentified else "yes"]
             for name, value in calibration.values.items()]
    facts = [["file", _display_path(calibration.path)], ["sha256", _sha256(calibration.path)]]
    facts += [[key, _cell(content.get(key))] for key in
              ("scenario", "until", "cost", "success", "message", "nfev", "levels", "created", "sdecon_version",
               "model_hash") if key in content]
    return [(["parameter", "value", "standard error", "lower", "upper", "default", "unit", "identified"], table),
            (["item", "value"], facts),
            (list(calibration.residuals.columns), _frame_rows(calibration.residuals))]


def _sensitivity_blocks(sweep: SweepInput, sha256: str) -> list[tuple[list[str], list[list]]]:
    """The 'sensitivity' sheet: the percentile bands, the indices, the varied parameters, the sweep."""
    manifest = sweep.manifest
    keys = ["name", "distribution", "low", "high"]
    keys += [k for item in manifest["vary"] for k in item if k not in keys]
    keys = list(dict.fromkeys(keys))
    vary = [[_cell(item.get(k)) for k in keys] for item in manifest["vary"]]
    facts = [["directory", _display_path(sweep.path)], ["sha256 (its files)", sha256]]
    facts += [[key, _cell(manifest.get(key))] for key in
              ("scenario", "method", "samples", "runs", "seed", "index_years", "default_set", "sdecon_version",
               "model_hash") if key in manifest]
    return [(list(sweep.bands.columns), _frame_rows(sweep.bands)),
            (list(sweep.indices.columns), _frame_rows(sweep.indices)),
            (["parameter" if k == "name" else k for k in keys], vary),
            (["item", "value"], facts)]


def _write_excel(path: Path, runs, chosen, sheets, history, sources, manifest, calibration=None,
                 sweep=None) -> None:
    from openpyxl import Workbook
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    book = Workbook()
    bold = Font(bold=True)

    def add(title, header, rows, widths=None):
        sheet = book.create_sheet(title)
        sheet.append(header)
        for cell in sheet[1]:
            cell.font = bold
        for row in rows:
            sheet.append(row)
        sheet.freeze_panes = "B2"
        for i, width in enumerate(widths or [], start=1):
            sheet.column_dimensions[get_column_letter(i)].width = width
        return sheet

    def add_tables(title, tables, widths):
        """Several tables on one sheet, one under the other, a blank row between; the first
        table's header is row 1, so pandas.read_excel(nrows=...) reads it as it is."""
        sheet = book.create_sheet(title)
        for number, (header, rows) in enumerate(tables):
            if number:
                sheet.append([])
            sheet.append(header)
            for cell in sheet[sheet.max_row]:
                cell.font = bold
            for row in rows:
                sheet.append(row)
        for i, width in enumerate(widths, start=1):
            sheet.column_dimensions[get_column_letter(i)].width = width
        return sheet

    book.remove(book.active)
    numbers = _key_numbers(runs)
    add("key numbers", ["variable", "unit", "scenario"] + [str(y) for y in KEY_YEARS],
        numbers.values.tolist(), [32, 26, 20, 14, 14, 14])
    for s in chosen:
        frame = runs[s.name]
        add(sheets[s.name], ["year"] + [column_header(v) for v in PUBLIC_VARIABLES],
            [[int(year)] + [float(x) for x in values]
             for year, values in zip(frame.index, frame[list(PUBLIC_VARIABLES)].to_numpy())],
            [8] + [22] * len(PUBLIC_VARIABLES))
    table = parameter.parameter_table()
    add("parameters", ["parameter", "unit", "default", "lower", "upper"] + [s.name for s in chosen] + ["source"],
        [[name, p.unit, p.default, p.lower, p.upper] + [s.values.get(name, p.default) for s in chosen] + [p.source]
         for name, p in table.iterrows()], [40, 14, 10, 10, 10] + [14] * len(chosen) + [100])
    add("data sources", list(sources.columns), sources.values.tolist(), [34, 40, 30, 12, 8, 80, 20])
    add("historical data", list(history.columns), history.astype(object).where(history.notna(), None).values.tolist(),
        [30, 8, 40, 30, 12, 40, 80, 20])
    compared = seed004.compare()
    add("seed 004", list(compared.columns),
        [[None if isinstance(v, float) and math.isnan(v) else v for v in row]
         for row in compared.astype(object).values.tolist()], [10, 20, 8, 30, 10, 12, 14, 8, 80])
    if calibration is not None:
        add_tables("calibration", _calibration_blocks(calibration), [44, 22, 18, 12, 30, 12, 22, 10, 12])
    if sweep is not None:
        add_tables("sensitivity", _sensitivity_blocks(sweep, (manifest.get("sweep") or {}).get("sha256", "")),
                   [34, 36, 10, 40, 14, 14, 14, 14, 14, 14, 14])
    add("manifest", ["item", "value"], [[k, json.dumps(v) if isinstance(v, (dict, list)) else v]
                                        for k, v in manifest.items()], [20, 120])
    with _exact_floats():
        book.save(path)


# --------------------------------------------------------------------------------------
# HTML
# --------------------------------------------------------------------------------------

_CSS = """
:root { color-scheme: light; }
body { font: 16px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", sans-serif;
       color: #1f2328; background: #fff; margin: 0; }
.page { max-width: 62rem; margin: 0 auto; padding: 1.5rem 1.25rem 4rem; }
header h1 { font-size: 1.9rem; line-height: 1.2; margin: 0.5rem 0 0.25rem; }
.meta { color: #59636e; font-size: 0.9rem; margin: 0; }
nav { background: #f6f8fa; border: 1px solid #d1d9e0; border-radius: 6px; padding: 0.5rem 1rem;
      margin: 1.25rem 0; font-size: 0.95rem; }
nav ol { margin: 0.25rem 0; padding-left: 1.5rem; columns: 2; }
a { color: #0550ae; }
section { margin-top: 2.5rem; }
h2 { font-size: 1.5rem; border-bottom: 1px solid #d1d9e0; padding-bottom: 0.3rem; }
h3 { font-size: 1.1rem; margin: 1.5rem 0 0.5rem; }
.scroll { overflow-x: auto; margin: 0.5rem 0 1rem; }
table { border-collapse: collapse; font-size: 0.85rem; }
th, td { border-bottom: 1px solid #d1d9e0; padding: 0.3rem 0.6rem; text-align: left; vertical-align: top; }
th { background: #f6f8fa; border-bottom: 2px solid #afb8c1; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
tr.group td { border-top: 2px solid #afb8c1; }
tr.note td { color: #59636e; font-size: 0.8rem; padding-top: 0; border-bottom: 1px solid #d1d9e0; }
tr:has(+ tr.note) td { border-bottom: none; }
td.mark { background: #ffe3e0; font-weight: 700; }
td.long { min-width: 22rem; }
td.short { white-space: nowrap; }
.caption, figcaption { color: #59636e; font-size: 0.85rem; }
figure { margin: 1.5rem 0; }
figure svg { width: 100%; height: auto; display: block; }
ul { padding-left: 1.4rem; }
li { margin: 0.3rem 0; }
@page { size: A4; margin: 15mm; }
@media print {
  body { font-size: 10.5pt; }
  .page { max-width: none; padding: 0; }
  nav { display: none; }
  section { break-before: page; margin-top: 0; }
  section#summary { break-before: auto; }
  h2, h3 { break-after: avoid; }
  .scroll { overflow: visible; }
  table { width: 100%; table-layout: auto; font-size: 7.5pt; }
  td, th { word-break: break-word; }
  td.long { min-width: 0; }
  thead { display: table-header-group; }
  tr, figure { break-inside: avoid; }
  a { color: inherit; text-decoration: none; }
}
"""


def _html_table(table: Table) -> str:
    e = html.escape
    head = "".join(f'<th scope="col"{" class=num" if i in table.numeric else ""}>{e(c)}</th>'
                   for i, c in enumerate(table.columns))
    body = []
    previous = None
    for r, row in enumerate(table.rows):
        cells = []
        new_group = table.group_first and row[0] != previous
        for c, value in enumerate(row):
            classes = [k for k, on in (("num", c in table.numeric), ("mark", (r, c) in table.marked),
                                       ("long", len(value) > 80), ("short", len(value) <= 12)) if on]
            text = "" if table.group_first and c == 0 and not new_group else value
            attr = f' class="{" ".join(classes)}"' if classes else ""
            cells.append(f"<td{attr}>{e(text)}</td>")
        previous = row[0]
        body.append(f"<tr{' class=group' if new_group and r else ''}>{''.join(cells)}</tr>")
        if table.notes and table.notes[r]:
            body.append(f'<tr class="note"><td colspan="{len(row)}">{e(table.notes[r])}</td></tr>')
    caption = f'<p class="caption">{e(table.caption)}</p>' if table.caption else ""
    return (f'<div class="scroll"><table><thead><tr>{head}</tr></thead>'
            f'<tbody>{"".join(body)}</tbody></table></div>{caption}')


def _inline_svg(svg: str, title: str) -> str:
    svg = re.sub(r"<\?xml[^>]*\?>|<!DOCTYPE[^>]*>|<metadata>.*?</metadata>", "", svg, flags=re.S).strip()
    return svg.replace("<svg ", f'<svg role="img" aria-label="{html.escape(title)}" ', 1)


def _html(sections: list[Section], svgs: dict[str, str], meta: str) -> str:
    e = html.escape
    parts = [f"<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
             f"<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
             f"<meta name=\"generator\" content=\"{e(GENERATOR)} {e(__version__)}\">\n"
             f"<title>{e(TITLE)}</title>\n<link rel=\"icon\" href=\"data:,\">\n<style>{_CSS}</style>\n"
             f"</head>\n<body>\n<div class=\"page\">\n<header><h1>{e(TITLE)}</h1>"
             f"<p class=\"meta\">{e(meta)}</p></header>\n<nav aria-label=\"contents\"><strong>Contents</strong><ol>"]
    parts += [f'<li><a href="#{s.id}">{e(s.title)}</a></li>' for s in sections]
    parts.append("</ol></nav>\n<main>\n")
    for section in sections:
        parts.append(f'<section id="{section.id}">\n<h2>{e(section.title)}</h2>\n')
        for block in section.blocks:
            if isinstance(block, str):
                parts.append(f"<p>{e(block)}</p>\n")
            elif isinstance(block, Heading):
                parts.append(f"<h3>{e(block.text)}</h3>\n")
            elif isinstance(block, Bullets):
                parts.append("<ul>" + "".join(f"<li>{e(item)}</li>" for item in block.items) + "</ul>\n")
            elif isinstance(block, Table):
                parts.append(_html_table(block) + "\n")
            elif isinstance(block, Figure):
                parts.append(f'<figure id="figure-{block.key}">{_inline_svg(svgs[block.key], block.title)}'
                             f"<figcaption>{e(block.caption)} Files: figures/{e(block.key)}.png, "
                             f"figures/{e(block.key)}.svg.</figcaption></figure>\n")
        parts.append("</section>\n")
    parts.append("</main>\n</div>\n</body>\n</html>\n")
    return "".join(parts)


# --------------------------------------------------------------------------------------
# PDF: the same sections laid out on A4 pages with matplotlib
# --------------------------------------------------------------------------------------

PAGE_W, PAGE_H = 8.27, 11.69          # A4, inches
MARGIN_X, MARGIN_TOP, MARGIN_BOTTOM = 0.8, 0.65, 0.75
CONTENT_W = PAGE_W - 2 * MARGIN_X
BODY = 9.5                            # body text, points
FIGURE_H = 4.15                       # a figure block on a page, inches (caption apart)


@functools.cache
def _glyph_width(char: str, bold: bool) -> float:
    """Advance of one character at 1 pt, in points, from DejaVu Sans's unhinted outlines."""
    from matplotlib.font_manager import FontProperties
    from matplotlib.textpath import text_to_path

    prop = FontProperties(family="DejaVu Sans", size=100, weight="bold" if bold else "normal")
    pair, _, _ = text_to_path.get_text_width_height_descent(f"x{char}", prop, ismath=False)
    x, _, _ = text_to_path.get_text_width_height_descent("x", prop, ismath=False)
    return (pair - x) / 100


def _text_width(text: str, size: float, bold: bool = False) -> float:
    """Width of `text` in inches as the PDF sets it, within a few percent (kerning aside)."""
    return 1.03 * size * sum(_glyph_width(c, bold) for c in text) / 72


def _wrap(text: str, width: float, size: float, bold: bool = False) -> list[str]:
    """Greedy word wrap to `width` inches; words longer than a line are broken."""
    lines = []
    for paragraph in str(text).split("\n"):
        line = ""
        for word in paragraph.split(" "):
            candidate = f"{line} {word}" if line else word
            if _text_width(candidate, size, bold) <= width:
                line = candidate
                continue
            if line:
                lines.append(line)
            while _text_width(word, size, bold) > width and len(word) > 1:
                cut = len(word) - 1
                while cut > 1 and _text_width(word[:cut], size, bold) > width:
                    cut -= 1
                separator = max(word.rfind(c, 0, cut) for c in "_/-.")
                if separator > cut // 2:   # break identifiers and paths after a separator
                    cut = separator + 1
                lines.append(word[:cut])
                word = word[cut:]
            line = word
        lines.append(line)
    return lines


class _Pages:
    """A list of pages, each a list of drawing operations, with a cursor `y` in inches from the top."""

    def __init__(self, footer: str):
        self.pages: list[list[tuple]] = []
        self.footer = footer
        self.section = ""
        self.body = BODY
        self.y = 0.0

    @property
    def bottom(self) -> float:
        return PAGE_H - MARGIN_BOTTOM

    def new_page(self, continued: bool = False) -> None:
        self.pages.append([])
        self.y = MARGIN_TOP
        if continued:
            self.text(MARGIN_X, self.y, f"{self.section} (continued)", 9, color="0.45")
            self.y += 0.35

    def need(self, height: float) -> None:
        if self.y + height > self.bottom:
            self.new_page(continued=True)

    def text(self, x, y, s, size, bold=False, color="black", ha="left") -> None:
        self.pages[-1].append(("text", x, y, s, size, bold, color, ha))

    def rect(self, x, y, w, h, color) -> None:
        self.pages[-1].append(("rect", x, y, w, h, color))

    def line(self, x0, x1, y, width=0.5, color="0.75") -> None:
        self.pages[-1].append(("line", x0, x1, y, width, color))

    # blocks --------------------------------------------------------------------------

    def section_start(self, section: Section, title_block: tuple[str, str] | None = None) -> int:
        """A new page with the section's title (under the report's title and meta line on page 1)."""
        self.section = section.title
        self.body = BODY - 1.1 if section.compact else BODY
        self.new_page()
        if title_block:
            title, meta = title_block
            for line in _wrap(title, CONTENT_W, 16, bold=True):
                self.text(MARGIN_X, self.y, line, 16, bold=True)
                self.y += 16 * 1.25 / 72
            self.y += 0.04
            for line in _wrap(meta, CONTENT_W, 8.5):
                self.text(MARGIN_X, self.y, line, 8.5, color="0.35")
                self.y += 8.5 * 1.35 / 72
            self.y += 0.1
            size = 13
        else:
            size = 17
        self.text(MARGIN_X, self.y, section.title, size, bold=True)
        self.y += size * 1.45 / 72
        self.line(MARGIN_X, PAGE_W - MARGIN_X, self.y, 0.8, "0.6")
        self.y += 0.16
        return len(self.pages)

    def paragraph(self, text: str, size: float | None = None, indent: float = 0.0, bullet: bool = False,
                  after: float = 0.09) -> None:
        size = size or self.body
        leading = size * 1.36 / 72
        lines = _wrap(text, CONTENT_W - indent, size)
        for i, line in enumerate(lines):
            self.need(leading)
            if bullet and i == 0:
                self.text(MARGIN_X + indent - 0.15, self.y, "•", size)
            self.text(MARGIN_X + indent, self.y, line, size)
            self.y += leading
        self.y += after

    def heading(self, text: str, keep: float = 0.0) -> None:
        """A heading, on the page of what follows it (`keep` inches of it, at least 0.75)."""
        size = self.body + 2.5
        self.need(max(0.75, keep + 0.06 + size * 1.3 / 72 + 0.05))
        self.y += 0.06
        for line in _wrap(text, CONTENT_W, size, bold=True):
            self.text(MARGIN_X, self.y, line, size, bold=True)
            self.y += size * 1.3 / 72
        self.y += 0.05

    def bullets(self, items: list[str]) -> None:
        for item in items:
            self.paragraph(item, indent=0.22, bullet=True, after=0.04)
        self.y += 0.06

    def figure(self, figure: Figure) -> None:
        self.need(FIGURE_H)
        left = 0.62 + 0.85 * figure.label_width     # the PDF draws at 0.85 of the type size
        self.pages[-1].append(("axes", MARGIN_X + left, self.y + 0.32, CONTENT_W - left - 1.45,
                               FIGURE_H - 1.35, figure.draw))
        self.y += FIGURE_H - 0.45
        self.paragraph(figure.caption, size=8, after=0.25)

    def keep_height(self, table: Table) -> float:
        """The height a table needs before it starts: all of it when it is short (a third of a
        page at most: it is kept on one page), else its header and two rows."""
        size, leading = table.size, table.size * 1.28 / 72
        pad = 0.026 if table.size >= 8 else 0.045
        widths = self._column_widths(table, size, pad)
        header_h = max(len(_wrap(c, w - 2 * pad, size, bold=True)) for c, w in zip(table.columns, widths)) \
            * leading + 2 * pad
        total = header_h + sum(
            max(len(_wrap(v, w - 2 * pad, size)) for v, w in zip(row, widths)) * leading + 2 * pad
            + (len(_wrap(table.notes[r], sum(widths) - 2 * pad, size - 0.5)) * (size - 0.5) * 1.28 / 72 + pad
               if table.notes and table.notes[r] else 0)
            for r, row in enumerate(table.rows))
        return total if total <= (PAGE_H - MARGIN_TOP - MARGIN_BOTTOM) / 3 else header_h + 2 * leading + 2 * pad

    def table(self, table: Table) -> None:
        size, leading = table.size, table.size * 1.28 / 72
        pad = 0.026 if table.size >= 8 else 0.045
        widths = self._column_widths(table, size, pad)
        header = [_wrap(c, w - 2 * pad, size, bold=True) for c, w in zip(table.columns, widths)]
        header_h = max(len(lines) for lines in header) * leading + 2 * pad

        def draw_header():
            self.rect(MARGIN_X, self.y, sum(widths), header_h, "#eef1f4")
            self._cells(header, widths, table, header=True, leading=leading, pad=pad)
            self.y += header_h
            self.line(MARGIN_X, MARGIN_X + sum(widths), self.y, 0.9, "0.45")

        self.need(self.keep_height(table))   # a short table on one page; a long one continues
        draw_header()
        previous = None
        for r, row in enumerate(table.rows):
            shown = list(row)
            if table.group_first and row[0] == previous:
                shown[0] = ""
            cells = [_wrap(v, w - 2 * pad, size) for v, w in zip(shown, widths)]
            note = _wrap(table.notes[r], sum(widths) - 2 * pad, size - 0.5) if table.notes and table.notes[r] else []
            note_h = len(note) * (size - 0.5) * 1.28 / 72
            height = max(len(lines) for lines in cells) * leading + 2 * pad
            if self.y + height + note_h > self.bottom:   # rows never split: the row moves to a new page
                self.new_page(continued=True)
                draw_header()
                cells[0] = _wrap(row[0], widths[0] - 2 * pad, size)
                height = max(len(lines) for lines in cells) * leading + 2 * pad
            x = MARGIN_X
            for c, w in enumerate(widths):
                if (r, c) in table.marked:
                    self.rect(x, self.y, w, height, "#ffe3e0")
                x += w
            if table.group_first and row[0] != previous and r:
                self.line(MARGIN_X, MARGIN_X + sum(widths), self.y, 0.9, "0.6")
            self._cells(cells, widths, table, header=False, leading=leading, pad=pad, row=r)
            self.y += height
            for i, line in enumerate(note):
                self.text(MARGIN_X + pad, self.y - pad * 0.5 + i * (size - 0.5) * 1.28 / 72, line, size - 0.5,
                          color="0.35")
            self.y += note_h + (pad * 0.5 if note else 0)
            self.line(MARGIN_X, MARGIN_X + sum(widths), self.y)
            previous = row[0]
        self.y += 0.08
        if table.caption:
            self.paragraph(table.caption, size=7.5)
        self.y += 0.1

    def _cells(self, cells, widths, table, header, leading, pad, row=None) -> None:
        x = MARGIN_X
        for c, (lines, w) in enumerate(zip(cells, widths)):
            right = c in table.numeric
            bold = header or (row, c) in table.marked
            for i, line in enumerate(lines):
                self.text(x + w - pad if right else x + pad, self.y + pad + i * leading, line,
                          table.size, bold=bold, ha="right" if right else "left")
            x += w

    @staticmethod
    def _column_widths(table: Table, size: float, pad: float) -> list[float]:
        """Each column at least its longest word (numbers unbroken); what is left goes to the
        columns that want more, the narrowest wants first (water-filling)."""
        n = len(table.columns)
        natural, least = [], []
        for c in range(n):
            texts = [row[c] for row in table.rows]
            natural.append(max([_text_width(t, size) for t in texts]
                               + [_text_width(table.columns[c], size, True)]) + 2 * pad)
            if c in table.numeric:
                words = texts
            else:
                words = [w for t in texts for w in str(t).split()]
            words_width = max([_text_width(w, size) for w in words] + [0.25])
            header_width = max(_text_width(w, size, True) for w in table.columns[c].split() or [""])
            least.append(min(max(words_width, header_width) + 2 * pad, 1.1, natural[c]))
        if sum(natural) <= CONTENT_W:
            return natural
        if sum(least) >= CONTENT_W:   # squeeze the wide columns; short ones (numbers) stay whole
            wide = [c for c in range(n) if least[c] > 0.6]
            scale = (CONTENT_W - sum(least[c] for c in range(n) if c not in wide)) / sum(least[c] for c in wide)
            return [least[c] * scale if c in wide else least[c] for c in range(n)]
        widths, left = list(least), CONTENT_W - sum(least)
        wanting = [c for c in range(n) if natural[c] > least[c]]
        while wanting:
            share = left / len(wanting)
            satisfied = [c for c in wanting if natural[c] - widths[c] <= share]
            if not satisfied:
                for c in wanting:
                    widths[c] += share
                break
            for c in satisfied:
                left -= natural[c] - widths[c]
                widths[c] = natural[c]
            wanting = [c for c in wanting if c not in satisfied]
        return widths


def _layout(sections: list[Section], footer: str, title_block: tuple[str, str]) -> tuple[_Pages, dict]:
    pages = _Pages(footer)
    plan = {}
    for number, section in enumerate(sections):
        first = pages.section_start(section, title_block if number == 0 else None)
        for index, block in enumerate(section.blocks):
            if isinstance(block, str):
                pages.paragraph(block)
            elif isinstance(block, Heading):
                after = section.blocks[index + 1] if index + 1 < len(section.blocks) else None
                pages.heading(block.text, pages.keep_height(after) if isinstance(after, Table) else 0.0)
            elif isinstance(block, Bullets):
                pages.bullets(block.items)
            elif isinstance(block, Table):
                pages.table(block)
            elif isinstance(block, Figure):
                pages.figure(block)
        plan[section.id] = [first, len(pages.pages)]
    return pages, plan


def _write_pdf(path: Path, sections: list[Section], manifest: dict, footer: str, meta: str) -> dict[str, list[int]]:
    """Lay the sections out on A4 pages and write them; return the first and last page of each."""
    import matplotlib
    from matplotlib.backends.backend_pdf import PdfPages
    from matplotlib.lines import Line2D
    from matplotlib.patches import Rectangle

    pages, plan = _layout(sections, footer, (TITLE, meta))
    created = dt.datetime.fromisoformat(manifest["created_utc"])
    metadata = {"Title": TITLE, "Author": "sdecon", "Subject": footer, "Creator": f"sdecon {__version__}",
                "Producer": f"matplotlib {matplotlib.__version__}", "CreationDate": created, "ModDate": created,
                "Keywords": ", ".join(s["name"] for s in manifest["scenarios"])}
    with matplotlib.rc_context({"pdf.fonttype": 42, "font.family": "DejaVu Sans"}), \
            PdfPages(path, metadata=metadata) as pdf:
        for number, operations in enumerate(pages.pages, start=1):
            fig = _pyplot().figure(figsize=(PAGE_W, PAGE_H))
            try:
                for op in operations:
                    kind = op[0]
                    if kind == "text":
                        _, x, y, s, size, bold, color, ha = op
                        fig.text(x / PAGE_W, 1 - y / PAGE_H, s, fontsize=size, color=color, ha=ha, va="top",
                                 fontweight="bold" if bold else "normal")
                    elif kind == "rect":
                        _, x, y, w, h, color = op
                        fig.add_artist(Rectangle((x / PAGE_W, 1 - (y + h) / PAGE_H), w / PAGE_W, h / PAGE_H,
                                                 transform=fig.transFigure, facecolor=color, edgecolor="none",
                                                 zorder=0))
                    elif kind == "line":
                        _, x0, x1, y, width, color = op
                        fig.add_artist(Line2D([x0 / PAGE_W, x1 / PAGE_W], [1 - y / PAGE_H] * 2,
                                              transform=fig.transFigure, linewidth=width, color=color))
                    elif kind == "axes":
                        _, x, y, w, h, draw = op
                        ax = fig.add_axes((x / PAGE_W, 1 - (y + h) / PAGE_H, w / PAGE_W, h / PAGE_H))
                        draw(ax, 0.85)
                fig.text(MARGIN_X / PAGE_W, 0.4 / PAGE_H, footer, fontsize=7, color="0.45")
                fig.text(1 - MARGIN_X / PAGE_W, 0.4 / PAGE_H, f"page {number} of {len(pages.pages)}",
                         fontsize=7, color="0.45", ha="right")
                pdf.savefig(fig)
            finally:
                _pyplot().close(fig)
    return plan


# --------------------------------------------------------------------------------------
# Runs, inputs and the output directory
# --------------------------------------------------------------------------------------


def _scenario_files(s: Scenario) -> list[Path]:
    """The files a scenario's values come from: its own, those of the scenarios it builds on,
    and the calibration file it or a base names."""
    files, current = [], s
    while current is not None and current.path is not None:
        files.append(Path(current.path))
        if not current.base:
            break
        base = scenarios._resolve(current.base, Path(current.path).parent)
        current = scenarios.load(base)
    if _calibration_of(s) is not None:
        files.append(_calibration_of(s))
    return files


def _calibration_of(s: Scenario) -> Path | None:
    """The calibration file whose fitted values the scenario takes, if any."""
    path = getattr(s, "calibration", None)
    return Path(path) if path else None


def _check_output(output_dir) -> Path:
    """The output directory, absolute, if it can be written (or replaced); else SdeconError."""
    raw = str(output_dir)
    path = Path(os.path.abspath(raw))
    if path.parent == path:
        raise SdeconError(f"output {raw!r} is the root directory; name a directory for the report")
    if path.is_symlink():
        raise SdeconError(f"output {raw!r} is a symbolic link; give the directory it points to")
    if path.exists() and not path.is_dir():
        raise SdeconError(f"output {raw!r} is a file; --output names a directory for the report")
    if not path.parent.is_dir():
        raise SdeconError(f"cannot write {raw!r}: directory {str(path.parent)!r} does not exist")
    if not os.access(path.parent, os.W_OK | os.X_OK):
        raise SdeconError(f"cannot write {raw!r}: permission denied in {str(path.parent)!r}")
    if path.is_dir():
        present = {p.relative_to(path).as_posix() for p in path.rglob("*") if not p.is_dir()}
        if present:
            try:
                previous = json.loads((path / "manifest.json").read_text(encoding="utf-8"))
                ours = set(previous["files"]) if previous.get("generator") == GENERATOR else None
            except (OSError, ValueError, KeyError, TypeError, AttributeError):
                ours = None
            if ours is None:
                raise SdeconError(f"output directory {raw!r} exists and is not an sdecon report; "
                                  "choose a new directory or remove it")
            foreign = sorted(present - ours)
            if foreign:
                raise SdeconError(f"output directory {raw!r} holds files the previous report did not "
                                  f"write ({', '.join(foreign[:3])}{', ...' if len(foreign) > 3 else ''}); "
                                  "move them or choose a new directory")
        if not os.access(path, os.W_OK | os.X_OK):
            raise SdeconError(f"cannot replace {raw!r}: permission denied")
    return path


def _move_into_place(built: Path, path: Path) -> None:
    """Put the built directory at `path`, replacing a previous report in two renames."""
    if not path.exists():
        os.rename(built, path)
        return
    old = path.parent / f".{path.name}.old-{os.getpid()}-{built.name[-8:]}"
    os.rename(path, old)
    try:
        os.rename(built, path)
    except BaseException:
        os.rename(old, path)
        raise
    shutil.rmtree(old, ignore_errors=True)


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _libraries() -> dict[str, str]:
    import matplotlib
    import openpyxl
    return {"pandas": f"pandas {pd.__version__}", "matplotlib": f"matplotlib {matplotlib.__version__}",
            "openpyxl": f"openpyxl {openpyxl.__version__}"}


def _manifest(chosen, calibration, sweep, command_line, sheets) -> dict:
    pysd = model._import_pysd()
    return {
        "generator": GENERATOR,
        "sdecon_version": __version__,
        "model": {"path": _display_path(model.model_path()), "sha256": model.model_hash()},
        "scenarios": [{"name": s.name, "title": s.title, "sheet": sheets[s.name],
                       "files": [{"path": _display_path(p), "sha256": _sha256(p)} for p in _scenario_files(s)]}
                      for s in chosen],
        "calibration": None if calibration is None else {"path": _display_path(calibration),
                                                         "sha256": _sha256(calibration)},
        "sweep": None if sweep is None else {"path": _display_path(sweep), "sha256": _tree_hash(sweep)},
        "created_utc": dt.datetime.now(dt.timezone.utc).replace(microsecond=0).isoformat(),
        "command_line": command_line,
        "python": platform.python_version(),
        "pysd": pysd.__version__,
        "libraries": _libraries(),
    }


def _tree_hash(folder: Path) -> str:
    digest = hashlib.sha256()
    for path in sorted(Path(folder).rglob("*")):
        if path.is_file():
            digest.update(path.relative_to(folder).as_posix().encode() + b"\0" + _sha256(path).encode())
    return digest.hexdigest()


def _default_command_line(names, output_dir, calibration, sweep) -> str:
    args = [repr(list(names)), repr(str(output_dir))]
    args += [f"calibration={str(calibration)!r}"] if calibration else []
    args += [f"sweep={str(sweep)!r}"] if sweep else []
    return f"sdecon.report.write_report({', '.join(args)})"


# --------------------------------------------------------------------------------------
# The entry points
# --------------------------------------------------------------------------------------


def write_report(scenario_names: Sequence[str], output_dir, *, calibration=None, sweep=None,
                 command_line: str | None = None) -> Path:
    """Write a report on `scenario_names` (shipped names or .toml paths) into `output_dir`.

    Writes report.html, report.pdf, results.xlsx, figures/*.png and *.svg and manifest.json,
    all or nothing. `output_dir` must not exist, be empty, or hold a previous sdecon report
    (which is replaced). `calibration`, a file from `sdecon calibrate --output`, gives every
    run its fitted values (over the scenario's, as `sdecon run --calibration` does) and adds
    'Model against history' and the 'calibration' sheet; `sweep`, a directory from `sdecon
    sweep --output`, adds 'Sensitivity' (fan and tornado charts) and the 'sensitivity' sheet.
    `command_line` is recorded in the manifest (default: this call). Returns the directory.
    Bad input raises SdeconError before anything is written.
    """
    if isinstance(scenario_names, str):
        scenario_names = [scenario_names]
    scenario_names = list(scenario_names)
    if not scenario_names:
        raise SdeconError("no scenario given; name one or more, e.g. baseline,jevons")
    chosen = [scenarios.load(name) for name in scenario_names]
    seen = {}
    for name, s in zip(scenario_names, chosen):
        if s.name in seen:
            raise SdeconError(f"scenario {s.name!r} is given twice ({seen[s.name]!r} and {name!r}); "
                              "each scenario may appear once")
        seen[s.name] = name
    path = _check_output(output_dir)
    loaded_calibration = loaded_sweep = None
    if calibration is not None:
        calibration = Path(calibration)
        if not calibration.is_file():
            raise SdeconError(f"calibration file {str(calibration)!r} does not exist")
        loaded_calibration = _load_calibration(calibration)
    if sweep is not None:
        sweep = Path(sweep)
        if not sweep.is_dir():
            raise SdeconError(f"sweep directory {str(sweep)!r} does not exist")
        loaded_sweep = _load_sweep(sweep)

    # With a calibration, every run takes its values over the scenario's, as `sdecon run
    # --calibration` does; `effective` are the values the runs used, for the tables.
    overrides = loaded_calibration.values if loaded_calibration is not None else {}
    runs = {s.name: simulation.run(s, overrides) for s in chosen}
    effective = [dataclasses.replace(s, values={**s.values, **overrides}) for s in chosen]
    sheets = sheet_names([s.name for s in chosen], RESERVED_SHEETS)
    manifest = _manifest(chosen, calibration, sweep,
                         command_line or _default_command_line(scenario_names, output_dir, calibration, sweep),
                         sheets)
    footer = f"sdecon {__version__} report: {', '.join(runs)}; {manifest['created_utc']}"
    meta = (f"sdecon {__version__}, model SHA-256 {manifest['model']['sha256'][:12]}, "
            f"written {manifest['created_utc'].replace('+00:00', '')} UTC")

    try:
        built = Path(tempfile.mkdtemp(prefix=f".{path.name}.tmp-", dir=path.parent))
    except OSError as error:
        raise SdeconError(f"cannot write {str(output_dir)!r}: {error.strerror or error}") from None
    try:
        os.chmod(built, 0o777 & ~_umask())   # mkdtemp makes directories private
        (built / "figures").mkdir()
        figures = comparison_figures(runs)
        svgs = {f.key: _save_figure(f, built / "figures") for f in figures}
        history = historical_data()
        sources = data_sources(history)
        optional = _optional_sections(loaded_calibration, loaded_sweep, runs, chosen,
                                      {s.name: s.values for s in effective}, len(figures) + 1)
        for section in optional:
            svgs.update({b.key: _save_figure(b, built / "figures") for b in section.blocks if isinstance(b, Figure)})
        body = [_scenarios_section(effective, loaded_calibration), _comparison_section(figures), _seed004_section(),
                *optional, _assumptions_section(effective, loaded_calibration), _data_section(sources),
                _manifest_section(manifest)]
        sections = [_summary_section(runs, effective, loaded_calibration, loaded_sweep), *body]
        (built / "report.html").write_text(_html(sections, svgs, meta), encoding="utf-8")
        _write_excel(built / "results.xlsx", runs, effective, sheets, history, sources, manifest,
                     loaded_calibration, loaded_sweep)
        manifest["pdf_pages"] = _write_pdf(built / "report.pdf", sections, manifest, footer, meta)
        files = sorted(p.relative_to(built).as_posix() for p in built.rglob("*") if p.is_file())
        manifest["files"] = sorted(files + ["manifest.json"])
        (built / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
        _move_into_place(built, path)
    except OSError as error:
        raise SdeconError(f"cannot write the report to {str(output_dir)!r}: "
                          f"{error.strerror or error}") from None
    finally:
        shutil.rmtree(built, ignore_errors=True)
    return path


def _split(text: str) -> list[str]:
    return [item.strip() for item in text.split(",") if item.strip()]


def _handle(args: argparse.Namespace) -> None:
    names = [name for item in args.scenarios or ["baseline"] for name in _split(item)]
    command = ["sdecon", "report", "--scenarios", ",".join(names), "--output", args.output]
    if args.calibration:
        command += ["--calibration", args.calibration]
    if args.sweep:
        command += ["--sweep", args.sweep]
    path = write_report(names, args.output, calibration=args.calibration, sweep=args.sweep,
                        command_line=shlex.join(command))
    print(f"wrote {args.output}: report.html, report.pdf, results.xlsx, figures/ "
          f"({len(names)} scenario{'s' if len(names) > 1 else ''}; open {path / 'report.html'})",
          file=sys.stderr)


def add_parser(commands) -> argparse.ArgumentParser:
    """Add the `report` subcommand to an argparse subparsers object; its handler is
    `args.handler`, as for the other sdecon commands."""
    parser = commands.add_parser(
        "report", help="write an HTML, PDF and Excel report on one or more scenarios",
        description="Write report.html, report.pdf, results.xlsx, figures/ and manifest.json into "
                    "a directory. An existing directory is replaced only if it is empty or holds a "
                    "previous sdecon report.")
    parser.add_argument("--scenarios", action="append", metavar="NAME[,NAME...]",
                        help="shipped scenario names ('sdecon scenarios') or .toml files, comma-separated "
                             "(default: baseline)")
    parser.add_argument("--output", required=True, metavar="DIR", help="directory to write the report into")
    parser.add_argument("--calibration", metavar="FILE.json", help="add the model against history")
    parser.add_argument("--sweep", metavar="DIR", help="add the sensitivity section from a sweep")
    parser.set_defaults(handler=_handle, scenarios=None)
    return parser


def main(argv: list[str] | None = None) -> int:
    """`python -m sdecon.report ...`: the `report` subcommand on its own, as `sdecon.cli.main`."""
    from .cli import main as cli_main

    return cli_main(["report", *(sys.argv[1:] if argv is None else argv)])


if __name__ == "__main__":
    sys.exit(main())
