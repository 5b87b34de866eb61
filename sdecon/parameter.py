"""Parameters as data: name, unit, default, bounds and source, read from the `.mdl`.

A parameter is a model constant with declared bounds (``~ Unit [min,max]`` in Vensim);
its source is the constant's comment. Constants without bounds (unit conversions, the
simulation control) are not parameters and cannot be set.
"""
from __future__ import annotations

import functools
import math
from dataclasses import dataclass

import pandas as pd

from . import model
from .errors import SdeconError, closest


#: Bounds wider than this ratio are searched and sampled in log space.
LOG_SPAN = 100.0


@dataclass(frozen=True)
class Parameter:
    """A model constant that may be set: its Vensim name, unit, default, bounds and source.

    Attributes
    ----------
    name : str
        The Vensim name, as `sdecon.run` and scenario files take it.
    unit : str
        Its unit in the `.mdl`.
    default : float
        The `.mdl`'s value.
    lower, upper : float
        The bounds declared in the `.mdl` (``~ Unit [min,max]``); equal when fixed.
    source : str
        Where the value comes from: the constant's comment.
    """
    name: str
    unit: str
    default: float
    lower: float
    upper: float
    source: str

    @property
    def fixed(self) -> bool:
        """True when the bounds allow only the default (e.g. the base year)."""
        return self.lower == self.upper

    @property
    def log_scale(self) -> bool:
        """True when the bounds are positive and span more than `LOG_SPAN` (a factor of
        100): a fit searches, and a sweep samples, such a parameter in log space."""
        return self.lower > 0 and self.upper / self.lower > LOG_SPAN

    def check(self, value, origin: str = "") -> float:
        """`value` as a float within bounds, or SdeconError naming it and what is allowed."""
        where = f"{origin}: " if origin else ""
        allowed = f"[{_fmt(self.lower)}, {_fmt(self.upper)}] {self.unit}"
        try:
            number = math.nan if isinstance(value, (bool, str)) else float(value)
        except (TypeError, ValueError):
            number = math.nan
        if isinstance(value, str) and isinstance(from_text(value), float) and math.isfinite(from_text(value)):
            raise SdeconError(f"{where}{self.name} = {value!r} is text, not a number; write it without "
                              f"quotes, a number in {allowed}")
        if not math.isfinite(number):
            raise SdeconError(f"{where}{self.name} = {value!r} is not a number; expected a number in {allowed}")
        if not self.lower <= number <= self.upper:
            raise SdeconError(f"{where}{self.name} = {_fmt(number)} is out of bounds; allowed: {allowed}")
        return number


def from_text(text: str) -> float | str:
    """A value typed as text (on the command line): a float when it reads as one, else the
    text itself, for `Parameter.check` to refuse naming the bounds."""
    try:
        return float(text)
    except ValueError:
        return text


def _fmt(x: float) -> str:
    return f"{x:g}"


@functools.cache
def _parameters() -> dict[str, Parameter]:
    doc = model.documentation()
    values = model.defaults()
    found = {}
    for name, row in doc[doc["Type"] == "Constant"].iterrows():
        lower, upper = row["Limits"]
        if name in model.CONTROL_VARIABLES or lower is None or upper is None \
                or math.isnan(lower) or math.isnan(upper):
            continue
        found[name] = Parameter(name, str(row["Units"]), values[name], float(lower), float(upper),
                                row["Comment"])
    return found


def parameters() -> dict[str, Parameter]:
    """Every parameter of the model by name."""
    return dict(_parameters())


def get(name: str, origin: str = "") -> Parameter:
    """The parameter called `name`, or SdeconError suggesting the closest names."""
    try:
        return _parameters()[name]
    except KeyError:
        where = f"{origin}: " if origin else ""
        raise SdeconError(f"{where}unknown parameter {name!r}{closest(name, _parameters())}; "
                          f"'sdecon params' lists all {len(_parameters())}") from None


def validate(values: dict, origin: str = "") -> dict[str, float]:
    """Check names and values against the model; return them as floats."""
    checked = {}
    for name, value in values.items():
        checked[name] = get(name, origin).check(value, origin)
    return checked


def parameter_table() -> pd.DataFrame:
    """The parameters as a table indexed by name: unit, default, lower, upper, source."""
    rows = [(p.name, p.unit, p.default, p.lower, p.upper, p.source) for p in _parameters().values()]
    table = pd.DataFrame(rows, columns=["name", "unit", "default", "lower", "upper", "source"])
    return table.set_index("name").sort_index()
