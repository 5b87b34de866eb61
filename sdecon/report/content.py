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
KEY_YEARS = (2030, 2035, 2040)
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
class Figure:
    key: str                      # file stem in figures/
    title: str
    caption: str
    draw: Callable                # draw(ax=, fontscale=): an sdecon.plotting function, its data bound
    label_width: float = 0.0      # extra room left of the axes for long tick labels, inches


@dataclass
class Section:
    id: str
    title: str
    blocks: list = field(default_factory=list)   # str (paragraph) | Heading | Bullets | Table | Figure
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


def _percent(x: float) -> str:
    return f"{fmt(100 * x)}%"


def _factor(ratio: float) -> str:
    return f"{fmt(ratio)}-fold"


def _key_unit(variable: str) -> str:
    return "% of GDP" if variable == SHARE else plotting.unit_label(variable)


def _key_value(variable: str, value: float) -> str:
    return _percent(value) if variable == SHARE else fmt(value)


def _key_numbers(runs: dict[str, pd.DataFrame]) -> pd.DataFrame:
    rows = []
    for variable in KEY_VARIABLES:
        for name, frame in runs.items():
            rows.append({"variable": variable, "unit": plotting.unit_label(variable), "scenario": name,
                         **{year: float(frame.loc[year, variable]) for year in KEY_YEARS}})
    return pd.DataFrame(rows)


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
