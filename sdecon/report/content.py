"""What a report says, before it is rendered: sections made of paragraphs, headings, bullet
lists, tables and figures (HTML and PDF are two renderings of one list of sections), and the
numbers and names every section writes the same way.
"""
from __future__ import annotations

import hashlib
import math
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from .. import model, plotting
from ..scenarios import Scenario

GENERATOR = "sdecon report"
TITLE = "The economics of AI compute: scenario report"
KEY_VARIABLES = ("Compute Spending Share of GDP", "Compute Spending", "Datacenter Capex",
                 "Price of AI Compute")
KEY_YEARS = (2024, 2030, 2040, 2050)   # the key numbers' years: the last of the data, then the model's
DATA_END = 2024              # the shipped data end here (sdecon/data); later years are the model's
HEADLINE_YEAR = 2035         # the year the summary speaks of: the last the model answers clearly (docs/model.md, Limits)
SHARE = "Compute Spending Share of GDP"
PACKAGE = Path(__file__).resolve().parent.parent      # sdecon/

# --------------------------------------------------------------------------------------
# Blocks
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
class Callout:
    """A framed box: a title that says what is wrong, and a line an item."""
    title: str
    items: list[str]


@dataclass
class Figure:
    key: str                      # file stem in figures/
    title: str
    caption: str
    draw: Callable                # draw(ax=, fontscale=): an sdecon.plotting function, its data bound
    label_width: float = 0.0      # extra room left of the axes for long tick labels, inches
    data: pd.DataFrame | None = None  # the numbers drawn, indexed by year: the HTML's CSV link
    height: float | None = None   # PDF: inches on the page, caption apart (None: the usual)


@dataclass
class Section:
    id: str
    title: str
    blocks: list = field(default_factory=list)   # str (paragraph) | Heading | Bullets | Table | Figure | Callout
    compact: bool = False                        # PDF: smaller type, to keep the summary on one page


# --------------------------------------------------------------------------------------
# Numbers, units and names
# --------------------------------------------------------------------------------------

_SUPERSCRIPT = str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹")


def fmt(x: float) -> str:
    """Three significant figures; powers of ten from 10,000 up ("2.26×10⁴": five digits would
    read as five significant figures) and below 0.001; a thousands separator from 1,000."""
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return ""
    x = float(x)
    if x == 0:
        return "0"
    exponent = math.floor(math.log10(abs(x)))
    if exponent >= 4 or exponent < -3:
        mantissa = x / 10 ** exponent
        if round(abs(mantissa), 2) >= 10:
            mantissa, exponent = mantissa / 10, exponent + 1
        return f"{mantissa:.3g}×10{str(exponent).translate(_SUPERSCRIPT)}"
    rounded = float(f"{x:.3g}")
    return f"{rounded:,.0f}" if abs(rounded) >= 100 else f"{rounded:.3g}"


def exact(x: float) -> str:
    """A parameter value as the report prints it: three significant figures (`fmt`), so "0.185"
    for 0.185183, "1.23×10⁻⁴" for 0.000123; a whole year 1900-2100 as the year ("2026").
    results.xlsx keeps the value in full."""
    x = float(x)
    if x.is_integer() and 1900 <= x <= 2100:
        return str(int(x))
    return fmt(x)


#: Readable forms of a parameter's unit in the .mdl (`Parameter.unit`); "Dmnl" is never printed.
PARAMETER_UNITS = {"Dmnl": "dimensionless", "1/Year": "per year", "Year": "years", "OOM": "orders of magnitude",
                   "1/OOM": "per order of magnitude", "BUSD/Year": "USD billion per year",
                   "USD/BTokens": "USD per billion tokens"}


def parameter_value(x: float, unit: str) -> str:
    """A parameter value as printed: an amount in USD billion a year as `money` ("$75.2
    trillion"), any other as `exact`."""
    return money(float(x)) if str(unit) == "BUSD/Year" else exact(x)


def parameter_unit(unit: str) -> str:
    """A parameter's unit as the report prints it: `PARAMETER_UNITS` ("Dmnl" is
    "dimensionless"), any other as the model writes it."""
    return PARAMETER_UNITS.get(str(unit), str(unit))


#: The smallest magnitude the report shows in a reader's unit (`plotting.unit_label`), as
#: (factor to the shown unit, suffix, smallest shown): a share of GDP as a percent down to
#: 0.001%. Amounts in USD are printed by `money` (down to $1 million). Other units span
#: orders of magnitude by nature (multipliers, FLOP/s) and keep `fmt`'s powers of ten.
SMALLEST_SHOWN = {plotting.PERCENT_OF_GDP: (100.0, "%", 0.001)}


def _bounded(shown: float, suffix: str, smallest: float) -> str:
    if 0 < abs(shown) < smallest:
        return f"< {smallest:g}{suffix}" if shown > 0 else f"> -{smallest:g}{suffix}"
    return f"{fmt(shown)}{suffix}"


def number(x: float, unit: str = "") -> str:
    """A value as the report prints it in `unit` (a `plotting.unit_label`).

    Parameters
    ----------
    x : float
        The value, in the model's unit (a share of GDP as a fraction, an amount in USD
        billion).
    unit : str
        Its reader's unit: a share of GDP is shown in percent to three significant figures
        down to 0.001%, and below that as a bound, never as a power of ten; an amount (USD
        billion or trillion per year, the value in the model's billions) as `money`; any
        other as `fmt`.

    Returns
    -------
    str
        E.g. for "% of GDP": 0.0439 -> "4.39%", 9.06e-39 -> "< 0.001%", 0 -> "0%";
        for "USD trillion per year": 73900 -> "$73.9 trillion", 2e-7 -> "< $1 million"; NaN -> "".
    """
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return ""
    if unit in (plotting.BILLION, plotting.TRILLION):
        return money(x)
    if unit not in SMALLEST_SHOWN:
        return fmt(x)
    factor, suffix, smallest = SMALLEST_SHOWN[unit]
    return _bounded(factor * float(x), suffix, smallest)


def shown(value: float, label: str) -> str:
    """A value already in a chart's unit (`plotting.reader_values`) as the report prints it:
    percent for "% of GDP", `money` for USD billion or trillion per year, else `fmt`."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    if label.startswith(plotting.PERCENT_OF_GDP):
        return _bounded(float(value), "%", 0.001)
    if label.startswith(plotting.TRILLION):
        return money(1000.0 * float(value))
    if label.startswith(plotting.BILLION):
        return money(float(value))
    return fmt(value)


def difference(x: float, smallest: float = 1e-5) -> str:
    """A relative difference as a percent, rounding noise as a bound: 5.5e-14 -> "< 0.001%",
    0 -> "0", 0.0123 -> "1.23%"."""
    if x == 0:
        return "0"
    return _bounded(100.0 * float(x), "%", 100.0 * smallest)


def _percent(x: float) -> str:
    """A share of GDP (a fraction) as a percent: `number` in "% of GDP"."""
    return number(x, plotting.PERCENT_OF_GDP)


def _three(x: float) -> str:
    """A positive number to three significant figures, trailing zeros kept: 9.996 -> "10.0"."""
    text = f"{float(f'{x:.3g}'):#.3g}".rstrip(".")
    return f"{float(text):,.0f}" if float(text) >= 1000 else text


def money(billions: float) -> str:
    """An amount in USD billion as a reader says it, to three significant figures: "$780 billion",
    "$73.9 trillion", "$12.0 million"; "< $1 million" below that; "" for NaN."""
    if billions is None or math.isnan(billions):
        return ""
    x = abs(float(billions))
    sign = "-" if billions < 0 else ""
    if x == 0:
        return "$0"
    if float(f"{x:.3g}") < 1e-3:
        return f"{'> -' if sign else '< '}$1 million"
    for size, word in ((1e3, "trillion"), (1.0, "billion"), (1e-3, "million")):
        if float(f"{x / size:.3g}") >= 1 or size == 1e-3:
            return f"{sign}${_three(x / size)} {word}"


def joined(items) -> str:
    """Names as a sentence lists them: "a", "a and b", "a, b and c"."""
    items = list(items)
    return items[0] if len(items) == 1 else f"{', '.join(items[:-1])} and {items[-1]}"


def _key_unit(variable: str) -> str:
    """The unit a table of key numbers names: the price as its index in words, USD amounts
    per year (the cells say $ and billion or trillion)."""
    unit = plotting.unit_label(variable)
    return "per year" if unit == plotting.TRILLION else unit


def _key_value(variable: str, value: float) -> str:
    """A key number as printed: the value of `_key_numbers` (the price already an index)."""
    return number(value, plotting.unit_label(variable))


def _band_scale(bands: pd.DataFrame, variable: str) -> tuple[float, str]:
    """What a variable's percentile bands are multiplied by to be printed, and the unit then
    named: the price as an index over the median's value in PRICE_YEAR (the model's USD when
    the bands lack that year); any other variable 1 and `_key_unit`."""
    if variable != plotting.PRICE:
        return 1.0, _key_unit(variable)
    base = bands[(bands["variable"] == variable) & (bands["year"] == plotting.PRICE_YEAR)]
    if base.empty or not float(base["p50"].iloc[0]) > 0:
        return 1.0, plotting.UNIT_LABELS["USD/EFLOP"]
    return 1.0 / float(base["p50"].iloc[0]), f"{plotting.PRICE_WORDS}, the median's"


def _not_converged(indices: pd.DataFrame) -> pd.Series:
    """True for each of a sweep's indices that is not converged (`sdecon.sweeps.converged`)."""
    if "converged" not in indices:
        return pd.Series(False, index=indices.index)
    return ~indices["converged"].fillna(True).astype(bool)


def _key_numbers(runs: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """The key variables in KEY_YEARS by scenario: the model's values, the price of AI compute
    as its index (`plotting.reader_values`: each run over its value in PRICE_YEAR)."""
    rows = []
    for variable in KEY_VARIABLES:
        for name, frame in runs.items():
            values = frame[variable]
            if variable == plotting.PRICE:
                values = plotting.reader_values(variable, values).values
            rows.append({"variable": variable, "unit": plotting.unit_label(variable), "scenario": name,
                         **{year: float(values.loc[year]) for year in KEY_YEARS}})
    return pd.DataFrame(rows)


def _band_table(bands: pd.DataFrame, variable: str) -> pd.DataFrame:
    """A variable's percentile bands (columns p5 ... p95) by year: the data of its fan chart."""
    rows = bands[bands["variable"] == variable].set_index("year").sort_index()
    return rows[sorted((c for c in rows.columns if re.fullmatch(r"p\d+", c)), key=lambda c: int(c[1:]))]


def _sha256(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def _display_path(path: Path) -> str:
    """Paths inside the package as `sdecon/...`, the model as `models/...`, others relative
    to the working directory where they lie below it."""
    path = Path(path).resolve()
    if path == model.model_path().resolve():
        return f"models/{path.name}"
    if path.is_relative_to(PACKAGE):
        return f"sdecon/{path.relative_to(PACKAGE).as_posix()}"
    if path.is_relative_to(Path.cwd()):
        return path.relative_to(Path.cwd()).as_posix()
    return str(path)


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def _calibration_of(s: Scenario) -> Path | None:
    """The calibration file whose fitted values the scenario takes, if any."""
    path = getattr(s, "calibration", None)
    return Path(path) if path else None
