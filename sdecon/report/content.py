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
HEADLINE_YEAR = 2040         # the year the summary speaks of: far enough for the mechanisms to show
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


#: The smallest magnitude the report shows in a reader's unit (`plotting.unit_label`), as
#: (factor to the shown unit, suffix, smallest shown): a share of GDP as a percent down to
#: 0.001%, USD billion down to 0.001 (a million dollars). Other units span orders of magnitude
#: by nature (prices, multipliers, FLOP/s) and keep `fmt`'s powers of ten.
SMALLEST_SHOWN = {"fraction of GDP": (100.0, "%", 0.001), "USD billion per year": (1.0, "", 0.001)}


def number(x: float, unit: str = "") -> str:
    """A value as the report prints it in `unit` (a `plotting.unit_label`).

    Parameters
    ----------
    x : float
        The value, in the model's unit (a share of GDP as a fraction).
    unit : str
        Its reader's unit: one of `SMALLEST_SHOWN` is shown to three significant figures
        down to its smallest shown magnitude, and below that as a bound, never as a power of
        ten; any other as `fmt`.

    Returns
    -------
    str
        E.g. for "fraction of GDP": 0.0439 -> "4.39%", 9.06e-39 -> "< 0.001%", 0 -> "0%";
        for "USD billion per year": 2e-7 -> "< 0.001"; NaN -> "".
    """
    if unit not in SMALLEST_SHOWN:
        return fmt(x)
    factor, suffix, smallest = SMALLEST_SHOWN[unit]
    if x is None or math.isnan(x):
        return ""
    shown = factor * float(x)
    if 0 < abs(shown) < smallest:
        return f"< {smallest:g}{suffix}" if shown > 0 else f"> -{smallest:g}{suffix}"
    return f"{fmt(shown)}{suffix}"


def _percent(x: float) -> str:
    """A share of GDP (a fraction) as a percent: `number` in "fraction of GDP"."""
    return number(x, "fraction of GDP")


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


def _key_unit(variable: str) -> str:
    return "% of GDP" if variable == SHARE else plotting.unit_label(variable)


def _key_value(variable: str, value: float) -> str:
    return number(value, plotting.unit_label(variable))


def _not_converged(indices: pd.DataFrame) -> pd.Series:
    """True for each of a sweep's indices that is not converged (`sdecon.sweeps.converged`)."""
    if "converged" not in indices:
        return pd.Series(False, index=indices.index)
    return ~indices["converged"].fillna(True).astype(bool)


def _key_numbers(runs: dict[str, pd.DataFrame]) -> pd.DataFrame:
    rows = []
    for variable in KEY_VARIABLES:
        for name, frame in runs.items():
            rows.append({"variable": variable, "unit": plotting.unit_label(variable), "scenario": name,
                         **{year: float(frame.loc[year, variable]) for year in KEY_YEARS}})
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
