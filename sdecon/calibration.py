"""A calibration: the result of a fit (`sdecon.calibrate`), saved as JSON and loaded back.

    fit = sdecon.calibrate("baseline", until=2021)
    fit.save("fit.json")
    sdecon.load_calibration("fit.json") == fit       # the same result, fields as saved
    sdecon.run("jevons", sdecon.load_calibration("fit.json").parameters)

A file needs only ``{"parameters": {"Vensim Name": value, ...}}``: hand-written ones work
wherever a calibration is accepted; the other fields are what `sdecon calibrate` writes
(standard errors, correlations, cost, residuals, the fitted levels of trend-only series,
...). Not saved: `seconds` and `fixed` (the other values the runs used).
"""
from __future__ import annotations

import datetime as _dt
import json
import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from . import model, observations, parameter
from ._version import __version__
from .errors import SdeconError
from .output import check_writable, read_json, write_all

#: The project's calibration, fitted on the data through 2024; the baseline scenario uses it.
BASELINE = Path(__file__).resolve().parent / "calibrations" / "baseline-2024.json"
RESIDUAL_COLUMNS = ["series", "label", "year", "observed", "unit", "modelled", "log_error", "variable",
                    "weight"]


@dataclass
class Calibration:
    """A fit's result, in the manner of lmfit's MinimizerResult.

    Attributes
    ----------
    parameters : dict
        The best point found, in the parameters' units.
    stderr : dict
        Standard errors (NaN where the data cannot identify a parameter).
    correlation : DataFrame
        Correlations of the fitted parameters.
    cost : float
        0.5 x the sum of squared weighted log residuals.
    residuals : DataFrame
        One row an observation the fit saw: `RESIDUAL_COLUMNS`.
    levels : dict
        ln(modelled / observed) of each trend-only series, fitted on the data through
        `until` (`sdecon.observations`); validate and backtests use these.
    until : int or None
        The last year of data the fit saw.
    path : Path or None
        The file `load_calibration` read it from (None for a fit not yet saved).
    provenance : dict
        The file's ``sdecon_version``, ``model_hash`` and ``created``; a new fit's are those
        of this sdecon, this model and the time it is saved.
    """
    parameters: dict[str, float]
    stderr: dict[str, float] = field(default_factory=dict)
    correlation: pd.DataFrame = field(default_factory=pd.DataFrame)
    cost: float = math.nan
    residuals: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=RESIDUAL_COLUMNS))
    levels: dict[str, float] = field(default_factory=dict)
    success: bool = True
    message: str = ""
    nfev: int = 0                       # model runs evaluated
    until: int | None = None
    scenario: str = "baseline"
    unidentified: list[str] = field(default_factory=list)
    seconds: float = math.nan
    fixed: dict[str, float] = field(default_factory=dict)
    path: Path | None = None            # the file it was loaded from
    provenance: dict = field(default_factory=dict)  # sdecon_version, model_hash, created of that file

    def __eq__(self, other) -> bool:
        """Equal when their saved content is (the creation time apart)."""
        if not isinstance(other, Calibration):
            return NotImplemented
        mine, theirs = self.to_dict(), other.to_dict()
        for content in (mine, theirs):
            for key in ("created", "sdecon_version", "model_hash"):
                content.pop(key)
        return mine == theirs

    def report(self) -> str:
        """A readable report: parameters with errors and bounds, fit statistics, residuals."""
        bounds = parameter.parameters()
        lines = [f"Calibration of scenario {self.scenario!r} to data through {self.until}",
                 f"  success: {self.success} ({self.message})",
                 f"  cost: {self.cost:.6g}   model runs: {self.nfev}   "
                 f"observations: {len(self.residuals)}   time: {self.seconds:.1f} s",
                 "", "Parameters (value +/- standard error, bounds, unit):"]
        width = max(map(len, self.parameters))
        for name, value in self.parameters.items():
            p = bounds[name]
            se = self.stderr.get(name, math.nan)
            flag = "  NOT IDENTIFIED" if name in self.unidentified else ""
            at = "  AT BOUND" if value <= p.lower or value >= p.upper else ""
            lines.append(f"  {name:<{width}} = {value:.5g} +/- {se:.2g}  "
                         f"[{p.lower:g}, {p.upper:g}] {p.unit}{flag}{at}")
        strong = [(a, b, self.correlation.loc[a, b]) for i, a in enumerate(self.correlation.index)
                  for b in self.correlation.index[i + 1:] if abs(self.correlation.loc[a, b]) > 0.8]
        if strong:
            lines += ["", "Correlations above 0.8:"]
            lines += [f"  {a} ~ {b}: {c:+.3f}" for a, b, c in strong]
        lines += ["", "Residuals by series (log error = ln(modelled / observed)):"]
        lines.append(observations.summary(self.residuals).to_string(float_format=lambda x: f"{x:.3g}"))
        return "\n".join(lines)

    def to_dict(self) -> dict:
        """The content `save` writes, as JSON-ready Python objects."""
        return {
            "sdecon_version": __version__, "model_hash": model.model_hash(),
            "created": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
            **self.provenance,
            "scenario": self.scenario, "until": self.until,
            "parameters": self.parameters, "stderr": _finite(self.stderr),
            "correlation": {a: _finite(row) for a, row in self.correlation.to_dict("index").items()},
            "cost": self.cost if math.isfinite(self.cost) else None, "success": self.success,
            "message": self.message, "nfev": self.nfev, "unidentified": self.unidentified,
            "levels": self.levels, "residuals": json.loads(self.residuals.to_json(orient="records")),
        }

    def writer(self, path: str | Path):
        """A function writing the calibration as JSON (for `output.write_all`)."""
        check_writable(path, (".json",))
        text = json.dumps(self.to_dict(), indent=2, allow_nan=False) + "\n"
        return lambda tmp: Path(tmp).write_text(text, encoding="utf-8")

    def save(self, path: str | Path) -> None:
        """Write the calibration as JSON, atomically."""
        write_all([(path, self.writer(path))])


def _finite(values: dict) -> dict:
    return {k: (float(v) if np.isfinite(v) else None) for k, v in values.items()}


def _number(value) -> float:
    return math.nan if value is None else float(value)


def load_calibration(path: str | Path) -> Calibration:
    """The calibration saved in `path`, its parameters checked against the model's bounds.

    Parameters
    ----------
    path : str or Path
        A JSON file from `Calibration.save` (`sdecon calibrate --output`), or any file
        with a ``"parameters"`` object.

    Raises
    ------
    SdeconError
        One line naming the file when it is missing, not JSON, or names an unknown
        parameter or a value out of bounds.
    """
    name = f"calibration file {str(path)!r}"
    path = Path(path)
    content = read_json(path, name)
    expected = 'expected {"parameters": {"Vensim Name": value, ...}}'
    if not isinstance(content, dict) or "parameters" not in content:
        raise SdeconError(f"{name} has no \"parameters\" object; {expected}")
    values = content["parameters"]
    if not isinstance(values, dict):
        raise SdeconError(f"{name}: \"parameters\" is a {type(values).__name__}, not an object; {expected}")
    values = parameter.validate(values, name)
    try:
        correlation = pd.DataFrame.from_dict(content.get("correlation") or {}, orient="index").astype(float)
        residuals = pd.DataFrame(content["residuals"]) if content.get("residuals") else \
            pd.DataFrame(columns=RESIDUAL_COLUMNS)
        return Calibration(
            parameters=values, stderr={k: _number(v) for k, v in (content.get("stderr") or {}).items()},
            correlation=correlation.reindex(index=list(correlation.columns)) if len(correlation) else correlation,
            cost=_number(content.get("cost")), residuals=residuals,
            levels={k: float(v) for k, v in (content.get("levels") or {}).items()},
            success=bool(content.get("success", True)), message=str(content.get("message", "")),
            nfev=int(content.get("nfev", 0)), until=content.get("until"),
            scenario=str(content.get("scenario", "baseline")),
            unidentified=list(content.get("unidentified") or []), path=path,
            provenance={k: content[k] for k in ("sdecon_version", "model_hash", "created") if k in content})
    except (TypeError, ValueError, AttributeError) as error:
        raise SdeconError(f"{name} is not a calibration sdecon wrote: {error}") from None
