"""What every chart shares: units and titles, the log-scale rule, styles, axes, grids of panels and
writing a figure to a file."""
from __future__ import annotations

import functools
import itertools
import math
import re
from collections.abc import Sequence
from pathlib import Path
from typing import NamedTuple

import pandas as pd

from .. import model
from ..errors import SdeconError
from .._version import __version__
from ..output import check_writable

FIGURE_FORMATS = (".png", ".svg", ".pdf")
SOURCE_DATA = "data and parameter sources: sdecon/data"   # what a figure's source line says of its data
SOURCE_HEIGHT = 0.2       # inches at the bottom of a figure kept for its source line (0.1 more a line)
LOG_SPAN = 100.0          # log scale when a variable's positive values span more than this
TORNADO_TOP = 10          # parameters a tornado chart shows

#: Readable forms of the model's unit strings; "Dmnl" is never shown (a share, a ratio or a multiplier).
UNIT_LABELS = {
    "Dmnl": "ratio",
    "BUSD/Year": "USD billion per year",
    "USD/EFLOP": "USD per exaFLOP of work at base-year algorithmic efficiency",
    "USD/BTokens": "USD per billion tokens",
    "FLOP/Second": "FLOP/s",
}

PERCENT_OF_GDP = "% of GDP"                 # a share of GDP, as drawn and printed
BILLION, TRILLION = "USD billion per year", "USD trillion per year"   # the model's; the reader's
PRICE = "Price of AI Compute"
PRICE_YEAR = 2024     # the price index's base: the last year of the data (the model's Base Year is 2025)
#: The price index in words, wherever the report shows it; on a chart's axis in three lines.
PRICE_WORDS = (f"price of a fixed amount of AI work, hardware and algorithmic efficiency included, "
               f"index {PRICE_YEAR} = 1")
PRICE_INDEX = ("price of a fixed amount of AI work,\nhardware and algorithmic efficiency\n"
               f"included, index {PRICE_YEAR} = 1")


class Reader(NamedTuple):
    """A variable's values as a reader sees them (`reader_values`)."""
    values: object        # Series or DataFrame, in the reader's unit
    label: str            # the axis label: the reader's unit
    percent: bool         # the values are percent (ticks "1%", "2%")
    factor: object        # what the model values were multiplied by: a number, or a Series by column


#: Panels of the key-output figure: title and variables.
KEY_PANELS = (
    ("Efficiency multipliers", ("Hardware Efficiency Multiplier", "Software Efficiency Multiplier",
                                "Combined Efficiency Multiplier")),
    ("Price of AI compute", ("Price of AI Compute",)),
    ("Compute spending", ("Training Compute Spending", "Inference Compute Spending", "Compute Spending")),
    ("Spending as a share of GDP", ("AI Spending Share", "Compute Spending Share of GDP")),
    ("Datacenter capex", ("Datacenter Capex",)),
    ("Installed compute", ("Installed Compute",)),
)

#: Readable names of the series a calibration fits (sdecon.calibration.FIT_SERIES); others
#: are shown by their identifiers.
SERIES_TITLES = {
    "hyperscaler_capex_big4_calendar_year": "Big-four hyperscaler capex",
    "capex_big4_total_calendar_year": "Big-four capex with finance leases",
    "global_datacenter_capex_delloro": "Worldwide datacenter capex (Dell'Oro)",
    "nvidia_datacenter_revenue_fiscal_year": "NVIDIA data-center revenue",
    "training_cost_amortized_hw_energy": "Frontier training cost",
    "max_training_compute_of_year": "Largest training run's compute",
    "cheapest_price_at_or_above_GPT-3.5_level_on_MMLU": "Cheapest price at GPT-3.5's level",
    "world_gdp_nominal": "World GDP",
}


class Index(NamedTuple):
    """How a sweep method's sensitivity index is shown."""
    method: str           # the method, for readers
    column: str           # the index's column in a sweep's indices
    conf: str             # its 95% confidence half-width
    label: str            # the axis label
    unit: str | None      # None: the output's own unit


#: The index a tornado chart shows for each sweep method.
INDEX_SHOWN = {
    "sobol": Index("Saltelli's Sobol' scheme", "ST", "ST_conf", "total-order Sobol' index ST",
                   "fraction of variance"),
    "morris": Index("Morris elementary effects", "mu_star", "mu_star_conf", "mu*, mean absolute elementary effect",
                    None),
    "mc": Index("Monte Carlo", "S1", "S1_conf", "first-order index S1, RBD-FAST", "fraction of variance"),
    "lhs": Index("Latin hypercube", "S1", "S1_conf", "first-order index S1, RBD-FAST", "fraction of variance"),
}

#: Dash patterns, one for each of tab10's ten colours: the first ten line styles differ in
#: colour and in dash, so in grey print too.
DASHES = ("-", "--", ":", "-.", (0, (10, 3)), (0, (3, 1, 1, 1, 1, 1)), (0, (1, 3)), (0, (8, 2, 2, 2)),
          (0, (5, 5)), (0, (12, 2, 1, 2, 1, 2)))

#: The line style (an index of `_style`) of each shipped scenario, whatever the order a chart
#: draws them in; the four of the example report keep the first four.
SCENARIO_STYLES = {"baseline": 0, "jevons": 1, "saturation": 2, "efficiency-shock": 3, "infrastructure-limits": 4,
                   "seed004-base": 5, "seed004-aggressive": 6, "seed004-conservative": 7, "seed004-theoretical": 8}
_SUPERSCRIPT = str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹")


@functools.cache
def _pyplot():
    """pyplot on the Agg backend (files only; never needs a display)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    return plt


# --------------------------------------------------------------------------------------
# Units and scales
# --------------------------------------------------------------------------------------


def _base_year() -> int:
    return int(model.defaults()["Base Year"])


def unit_label(variable: str) -> str:
    """A reader's unit for a model variable, as the report prints it in text and tables.

    Parameters
    ----------
    variable : str
        A model variable, e.g. ``"Compute Spending"``.

    Returns
    -------
    str
        ``"% of GDP"`` for a share of GDP; ``"USD trillion per year"`` for an amount the model
        keeps in USD billion a year (every chart of one draws trillions, one rule for all; the
        text prints `sdecon.report.content.money`, "$780 billion"); ``PRICE_WORDS`` for the
        price of AI compute (drawn and printed as an index, ``PRICE_YEAR`` = 1);
        ``"multiplier, 1 in <Base Year>"`` for a dimensionless multiplier; else
        ``UNIT_LABELS`` of its unit (never ``"Dmnl"``).
    """
    doc = model.documentation().loc[variable]
    unit = str(doc["Units"])
    if variable == PRICE:
        return PRICE_WORDS
    if unit == "BUSD/Year":
        return TRILLION
    if unit == "Dmnl":
        if variable.endswith("Multiplier"):
            return f"multiplier, 1 in {_base_year()}"
        if "of GDP" in doc["Comment"]:
            return PERCENT_OF_GDP
    return UNIT_LABELS.get(unit, unit)


def reader_values(variable: str, values, base=None) -> Reader:
    """A variable's model values converted to the reader's, with the axis label.

    One rule for every chart, table of figure data and Excel figure sheet: a share of GDP in
    percent; an amount in USD billion a year in USD trillion a year (whatever its size, so
    that every chart and caption of it says the same unit); the price of AI compute as an
    index, each line divided by its value in ``PRICE_YEAR``; any other variable unchanged.

    Parameters
    ----------
    variable : str
        A model variable.
    values : Series or DataFrame
        Its values indexed by year (a DataFrame: a column a line).
    base : Series, optional
        For the price: the line whose ``PRICE_YEAR`` value divides every line (a fan's
        median), instead of each line its own.

    Returns
    -------
    Reader
        The converted values, the axis label, whether they are percent and the factor applied.
    """
    unit = unit_label(variable)
    if unit == PERCENT_OF_GDP:
        return Reader(values * 100.0, PERCENT_OF_GDP, True, 100.0)
    if unit == TRILLION:
        return Reader(values / 1000.0, TRILLION, False, 1e-3)
    if variable == PRICE:
        reference = values if base is None else base
        if PRICE_YEAR not in reference.index:
            raise SdeconError(f"the price index needs the year {PRICE_YEAR}; the values have "
                              f"{reference.index.min()} to {reference.index.max()}", argument="values")
        base_value = reference.loc[PRICE_YEAR]
        return Reader(values / base_value, PRICE_INDEX, False, 1.0 / base_value)
    return Reader(values, unit, False, 1.0)


def _short_unit(text: str) -> str:
    """The unit before its qualifications: 'USD billion nominal (purchases ...; ...)' -> 'USD billion nominal'."""
    return re.split(r"\s*[(;]", str(text), maxsplit=1)[0].strip() or str(text)


def series_title(series: str) -> str:
    """A readable name for a fitted data series (``SERIES_TITLES``, else its identifier spaced out)."""
    return SERIES_TITLES.get(series, series.replace("_", " "))


def uses_log_scale(values) -> bool:
    """True when the positive values span more than LOG_SPAN (and none is zero or negative).

    Parameters
    ----------
    values : array-like
        The values a chart draws; NaN is ignored.
    """
    series = pd.Series(values, dtype=float).dropna()
    if series.empty or (series <= 0).any():
        return False
    return series.max() / series.min() > LOG_SPAN


def percentile_pairs(bands: pd.DataFrame) -> list[tuple[int, int]]:
    """(low, high) percentile pairs of a sweep's bands (columns p5, p10, ...), the widest first:
    (5, 95), (10, 90), (25, 75)."""
    found = sorted(int(c[1:]) for c in bands.columns if re.fullmatch(r"p\d+", c))
    return [(lo, hi) for lo in found for hi in found if lo < 50 and hi == 100 - lo]


# --------------------------------------------------------------------------------------
# What every chart over years shares
# --------------------------------------------------------------------------------------


def _axes(ax, size: tuple[float, float] = (8, 4.2)):
    """`ax`, or the axes of a new figure (the size of a report figure by default)."""
    if ax is None:
        _, ax = _pyplot().subplots(figsize=size, layout="constrained")
    return ax


def _style(index: int) -> dict:
    """The index-th line style: tab10's colours each with its own dash; past ten, the dashes
    shift by one every ten, so that no pair of colour and dash repeats within a hundred."""
    from matplotlib import colormaps
    return {"color": colormaps["tab10"](index % 10), "linestyle": DASHES[(index + index // 10) % len(DASHES)]}


def scenario_styles(names: Sequence[str]) -> dict[str, dict]:
    """The colour and dash of each scenario's line, the same in every chart and report.

    Parameters
    ----------
    names : sequence of str
        The scenarios a chart draws, in its order.

    Returns
    -------
    dict of str to dict
        For each name, ``color`` and ``linestyle`` keywords of ``Axes.plot``. A shipped
        scenario has its own style (``SCENARIO_STYLES``) whatever the order; any other name
        takes, in the order given, the first style that no shipped scenario in `names` has.
        The styles of different names differ.
    """
    taken = {SCENARIO_STYLES[name] for name in names if name in SCENARIO_STYLES}
    free = (index for index in itertools.count() if index not in taken)
    return {name: _style(SCENARIO_STYLES[name] if name in SCENARIO_STYLES else next(free))
            for name in dict.fromkeys(names)}


def _power_of_ten(value: float, _position=None) -> str:
    if value <= 0:
        return ""
    exponent = round(math.log10(value))
    if abs(value / 10.0 ** exponent - 1) < 1e-9:
        return f"10{str(exponent).translate(_SUPERSCRIPT)}"
    return f"{value:g}"   # only when a log axis is narrowed below two decades


def _percent_tick(value: float, _position=None) -> str:
    return f"{value:.3g}%"


def _y_scale(ax, log: bool, values, percent: bool = False) -> None:
    """A log axis with powers of ten, or a linear one with thousands separators for large values;
    percent ticks ("1%", "2%", on a log axis "0.1%", "1%") for a share."""
    from matplotlib.ticker import FuncFormatter, NullFormatter, StrMethodFormatter
    if log:
        ax.set_yscale("log")
        # Powers of ten in Unicode, not mathtext: the same look at a fraction of the time.
        ax.yaxis.set_major_formatter(FuncFormatter(_percent_tick if percent else _power_of_ten))
        ax.yaxis.set_minor_formatter(NullFormatter())
    elif percent:
        ax.yaxis.set_major_formatter(FuncFormatter(_percent_tick))
    elif pd.Series(values, dtype=float).abs().max() >= 10_000:
        ax.yaxis.set_major_formatter(StrMethodFormatter("{x:,.0f}"))


def _year_axis(ax) -> None:
    """Ticks at whole years only (never "2023.5"); a span shorter than two whole years is widened
    to the years around it, so that at least two are marked."""
    from matplotlib.ticker import MaxNLocator
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    low, high = ax.get_xlim()
    if math.floor(high) - math.ceil(low) < 1:
        ax.set_xlim(math.floor(low), math.ceil(high))


def _label_time_axes(ax, scale: float, title: str, ylabel: str, values, legend_title: str | None,
                     percent: bool = False) -> None:
    """Title (saying when the scale is logarithmic), axis labels, whole-year ticks, y scale
    (percent ticks when `percent`), grid and a legend beside the plot."""
    _year_axis(ax)
    log = uses_log_scale(values)
    ax.set_title(title + (" (log scale)" if log else ""), fontsize=11 * scale, pad=12 * scale)
    ax.set_xlabel("year", fontsize=9 * scale)
    ax.set_ylabel(ylabel, fontsize=9 * scale)
    ax.tick_params(labelsize=8 * scale)
    _y_scale(ax, log, values, percent)
    ax.grid(True, which="major", alpha=0.3)
    if ax.get_legend_handles_labels()[0]:
        ax.legend(title=legend_title, loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False,
                  fontsize=8 * scale, title_fontsize=8 * scale)


def _base_year_line(ax, scale: float) -> None:
    year = _base_year()
    ax.axvline(year, color="0.55", linewidth=0.8, linestyle=(0, (2, 2)))
    ax.text(year, 1.0, f" base year {year}", transform=ax.get_xaxis_transform(),
            fontsize=7 * scale, color="0.4", va="bottom", ha="left")


def _legend_inside(ax, fontsize: float) -> None:
    """The legend moved into the plot: panels of a grid leave no room beside them."""
    if ax.get_legend() is not None:
        ax.legend(fontsize=fontsize)


def _grid(draws: list, columns: int, panel: tuple[float, float], legend: float, title: str):
    """A figure of panels, `columns` a row, each drawn by draws[i](ax=...), legends inside."""
    columns = min(columns, max(1, len(draws)))
    rows = -(-len(draws) // columns)
    fig, axes = _pyplot().subplots(rows, columns, figsize=(panel[0] * columns, panel[1] * rows), squeeze=False,
                                   layout="constrained")
    for ax, draw in zip(axes.flat, draws):
        draw(ax=ax)
        _legend_inside(ax, legend)
    for ax in list(axes.flat)[len(draws):]:
        ax.set_visible(False)
    if title:
        fig.suptitle(title)
    return fig


def source_line(data: str = SOURCE_DATA) -> str:
    """The line naming where an exported figure comes from.

    Parameters
    ----------
    data : str
        Where its data and parameters come from.

    Returns
    -------
    str
        ``"Source: sdecon <version> (model SHA-256 <first 12 hex digits>); <data>"``.
    """
    return f"Source: sdecon {__version__} (model SHA-256 {model.model_hash()[:12]}); {data}"


def add_source(fig, text: str | None = None):
    """Write a source line in small grey type at the bottom left of `fig`.

    A line wider than the figure is broken after each "; ". A constrained or tight layout
    keeps the bottom ``SOURCE_HEIGHT`` inches free for it (0.1 more for each further line); a
    figure without a layout engine must leave that room itself. Called again, it replaces the
    line rather than adding another.

    Parameters
    ----------
    fig : matplotlib Figure
        The figure to export.
    text : str, optional
        The line (default: ``source_line()``).

    Returns
    -------
    matplotlib Text
        The line.
    """
    from matplotlib.font_manager import FontProperties
    from matplotlib.layout_engine import ConstrainedLayoutEngine, TightLayoutEngine
    from matplotlib.textpath import TextToPath

    text = source_line() if text is None else text
    points, *_ = TextToPath().get_text_width_height_descent(text, FontProperties(size=6), ismath=False)
    if points / 72 > fig.get_figwidth() - 0.12:
        text = text.replace("; ", ";\n")
    room = (SOURCE_HEIGHT + 0.1 * text.count("\n")) / fig.get_figheight()
    engine = fig.get_layout_engine()
    if isinstance(engine, ConstrainedLayoutEngine):
        engine.set(rect=(0, room, 1, 1 - room))        # left, bottom, width, height
    elif isinstance(engine, TightLayoutEngine):
        engine.set(rect=(0, room, 1, 1))               # left, bottom, right, top
    for old in [t for t in fig.texts if t.get_label() == "source"]:
        old.remove()
    return fig.text(0.06 / fig.get_figwidth(), 0.05 / fig.get_figheight(), text, fontsize=6, color="0.4",
                    ha="left", va="bottom", label="source")


def figure_writer(fig, path: str | Path):
    """A function saving `fig`, with its source line (`add_source`), to a file in the format
    `path` names (.png, .svg or .pdf).

    The figure is drawn in memory and written in one piece: drawn straight to a full disk,
    the PDF backend fails inside zlib, an error that names no file. An SVG keeps its text as
    text (small and searchable)."""
    import io

    import matplotlib

    fmt = check_writable(path, FIGURE_FORMATS).suffix.lstrip(".").lower()
    add_source(fig)

    def write(tmp: Path) -> None:
        buffer = io.BytesIO()
        with matplotlib.rc_context({"svg.fonttype": "none"}):
            fig.savefig(buffer, format=fmt, dpi=110)
        Path(tmp).write_bytes(buffer.getvalue())

    return write
