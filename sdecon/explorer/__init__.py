"""An interactive explorer in one HTML file: the model runs in the browser as you move a slider.

    sdecon.explore(["baseline", "jevons"], posterior="posterior.json", output="explorer.html")

The page holds everything it needs (it opens from disk, makes no network request and can be
e-mailed): the `.mdl` compiled to JavaScript from the same PySD syntax tree as the batch engine
(`sdecon.engine.javascript`), so there is still one copy of the equations; the parameters' units,
bounds and sources (`sdecon.parameter_table`); the chosen scenarios as presets; the data that
measure the public variables; the posterior's 90% band of each preset when a posterior is given;
and uPlot, a small chart library vendored from npm with its licence (`vendor/uplot`).

The page's state (preset, comparison, every value that differs from the preset) lives in the
URL's fragment, so a link reproduces a view; "Download CSV" saves the current run in the
model's units, as `sdecon run --output` writes one.
"""
from __future__ import annotations

import html
import json
import re
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from .. import model, parameter, scenarios
from .._version import __version__
from ..errors import SdeconError
from ..output import check_writable, write_all
from ..report.content import DATA_END, HEADLINE_YEAR, KEY_VARIABLES

HERE = Path(__file__).resolve().parent

#: The assumptions people argue about, shown first (docs/model.md says where each comes from).
KEY_ASSUMPTIONS = (
    "Elasticity of Substitution",
    "Algorithmic Growth Rate",
    "Hardware Growth Rate",
    "Remaining Waste at Base Year",
    "Performance Share of Algorithmic Progress",
    "Efficiency Shock Multiplier",
    "Efficiency Shock Year",
    "Adoption Delay",
    "Max AI Capex Growth Rate",
    "Datacenter Grid Power Ceiling",
    "Outside Finance Share of Saving",
    "Maximum AI Investment Share of GDP",
)

#: The five policy levers of MODEL.md: a title, the parameters that carry the effect with the
#: value a switch turns on (the user then moves it), and the start year's parameter.
LEVERS = (
    ("Fundamental efficiency research funding", {"Policy Research Funding Effect": 0.5},
     "Policy Research Funding Start Year"),
    ("Open release of efficiency advances", {"Policy Open Release Effect": 0.5},
     "Policy Open Release Start Year"),
    ("Power and grid build-out", {"Policy Power Buildout Effect": 1.0}, "Policy Power Buildout Start Year"),
    ("Energy or carbon price", {"Policy Energy Price Multiplier": 2.0}, "Policy Energy Price Start Year"),
    ("Hardware supply restriction", {"Policy Hardware Progress Slowdown": 0.5,
                                     "Policy Hardware Supply Restriction": 0.25},
     "Policy Hardware Restriction Start Year"),
)

#: Years after this are drawn shaded, "read with care" (docs/model.md, Limits), as the
#: report's page one reads the model to its headline year.
READ_TO = HEADLINE_YEAR
#: Significant digits of what the page shows but does not compute (data, bands).
DIGITS = 4


def explore(scenario_names: Sequence[str | scenarios.Scenario] | None = None, posterior=None,
            output: str | Path = "explorer.html") -> Path:
    """Write the explorer, one self-contained HTML file, and return its path.

    Parameters
    ----------
    scenario_names : sequence of str or Scenario, optional
        The presets: shipped scenario names, scenario files (.toml) or Scenarios; all shipped
        scenarios by default. The first is the one the page opens on.
    posterior : str, Path or Posterior, optional
        A posterior (`sdecon posterior`): each preset is drawn with its 90% band, the
        uncertainty the history leaves in the fitted parameters (`sdecon.forecast`).
    output : str or Path
        The `.html` file to write, whole or not at all.

    Returns
    -------
    Path
        The file written.

    Raises
    ------
    SdeconError
        An unknown or repeated scenario, an unreadable posterior or an output that is not a
        writable .html file: one line, before anything is written.
    """
    path = check_writable(output, (".html", ".htm"))
    if isinstance(scenario_names, str):
        scenario_names = [scenario_names]
    text = page(scenario_names, posterior)
    write_all([(path, lambda tmp: tmp.write_text(text, encoding="utf-8"))])
    return path


def page(scenario_names: Sequence[str | scenarios.Scenario] | None = None, posterior=None,
         forecasts: dict | None = None) -> str:
    """The explorer's HTML text (`explore` writes it); `forecasts`, the presets' `Forecast`s by
    name when the caller has them (a report does), spare computing their bands again."""
    from ..engine.javascript import javascript
    data = payload(scenario_names, posterior, forecasts)
    template = (HERE / "page.html").read_text(encoding="utf-8")
    vendor = HERE / "vendor" / "uplot"
    parts = {
        "TITLE": html.escape(f"sdecon explorer {__version__}"),
        "STYLE": (vendor / "uPlot.min.css").read_text() + "\n" + (HERE / "explorer.css").read_text(),
        "UPLOT": _licensed(vendor),
        "MODEL": javascript(),
        "DATA": "var SDECON_DATA = " + _script_json(data) + ";",
        "APP": (HERE / "explorer.js").read_text(encoding="utf-8"),
    }
    return re.sub(r"/\*@(\w+)@\*/", lambda m: parts[m[1]], template)


def payload(scenario_names: Sequence[str | scenarios.Scenario] | None = None, posterior=None,
            forecasts: dict | None = None) -> dict:
    """What the page knows besides the model: parameters, levers, presets, charts, data, bands."""
    from ..posteriors import Posterior, load_posterior
    if posterior is not None and not isinstance(posterior, Posterior):
        posterior = load_posterior(posterior)  # before any run: a bad file costs nothing
    if scenario_names is not None and not list(scenario_names):
        raise SdeconError("scenario_names: no scenario given; name one or more, such as baseline and jevons, "
                          "or none for every shipped scenario", argument="scenario_names")
    chosen = [n if isinstance(n, scenarios.Scenario) else scenarios.load(n)
              for n in (scenario_names if scenario_names is not None else scenarios.names())]
    names = [s.name for s in chosen]
    if len(set(names)) < len(names):
        repeated = next(n for n in names if names.count(n) > 1)
        raise SdeconError(f"scenario_names: {repeated!r} is given twice; name each scenario once",
                          argument="scenario_names")
    sectors = _sectors()
    levered = {name for _, effects, start in LEVERS for name in [*effects, start]}
    params = []
    for p in parameter.parameters().values():
        if p.fixed:
            continue
        params.append({"name": p.name, "unit": p.unit, "display": _display_unit(p), "default": p.default,
                       "lower": p.lower, "upper": p.upper, "log": p.log_scale, "source": p.source,
                       "switch": p.name.endswith("Switch") and (p.lower, p.upper) == (0, 1),
                       "group": ("Key assumptions" if p.name in KEY_ASSUMPTIONS
                                 else "Policy levers" if p.name in levered else sectors.get(p.name, "Other"))})
    # the key assumptions in the order the argument runs (KEY_ASSUMPTIONS), the rest as the table
    params.sort(key=lambda p: KEY_ASSUMPTIONS.index(p["name"]) if p["name"] in KEY_ASSUMPTIONS else len(KEY_ASSUMPTIONS))
    known = {p["name"] for p in params}
    missing = [n for n in [*KEY_ASSUMPTIONS, *levered] if n not in known]
    if missing:  # the model lost a parameter the page names
        raise SdeconError(f"the explorer names {missing[0]!r}, which is not a parameter of the model")
    data = {
        "version": __version__,
        "model": {"file": model.model_path().name, "sha256": model.model_hash()},
        "readTo": READ_TO,
        "headlineYear": HEADLINE_YEAR,
        "dataEnd": DATA_END,
        "parameters": params,
        "levers": [{"title": t, "effects": e, "start": s} for t, e, s in LEVERS],
        "presets": [{"name": s.name, "title": s.title, "values": dict(s.values)} for s in chosen],
        "charts": _charts(),
        "csvColumns": list(_engine_variables()),
        "observed": _observed(),
        "bands": _bands(chosen, posterior, forecasts or {}) if posterior is not None else {},
        "posterior": _draws(chosen, posterior) if posterior is not None else None,
    }
    return data


#: Units as the controls print them after the value ("Dmnl" never).
_UNITS = {"Dmnl": "", "1/Year": "per year", "Year": "years", "BUSD/Year": "USD billion per year",
          "OOM": "orders of magnitude", "1/OOM": "per order of magnitude"}


def _display_unit(p: parameter.Parameter) -> str:
    if p.unit == "Year" and p.lower >= 1900:  # a calendar year: the value says it
        return ""
    return _UNITS.get(p.unit, p.unit)


def _sectors() -> dict[str, str]:
    """Each element's Vensim group (`.Efficiency`, `.Capex`, ...), from the `.mdl`'s text."""
    found, group = {}, "Other"
    for line in model.model_path().read_text(encoding="utf-8", errors="replace").splitlines():
        marker = re.fullmatch(r"\s+\.(\w+)\s*", line)
        if marker:
            group = marker[1]
            continue
        element = re.match(r"([A-Za-z][^=~\t]*?)\s*=", line)
        if element:
            found[element[1].strip()] = group
    return found


def _engine_variables() -> list[str]:
    from .. import engine
    return engine.program().variables


def _charts() -> list[dict]:
    """The public variables as the report draws them: the reader's unit and the factor that
    gets it (`plotting.reader_values`, the one rule; the price index divides by its 2024 value
    of each line, in the page)."""
    import pandas as pd

    from .. import plotting
    from ..plotting import base
    charts = []
    for variable in [*KEY_VARIABLES, *(v for v in model.PUBLIC_VARIABLES if v not in KEY_VARIABLES)]:
        reader = plotting.reader_values(variable, pd.Series([1.0], index=[base.PRICE_YEAR]))
        kind = ("index" if variable == base.PRICE else "percent" if reader.percent
                else "trillion" if reader.label == base.TRILLION else "plain")
        log = kind in ("index", "plain") and variable != "GDP"  # these span orders of magnitude
        charts.append({"variable": variable, "unit": plotting.unit_label(variable), "kind": kind,
                       "factor": 1.0 if kind == "index" else float(reader.factor),
                       "indexYear": base.PRICE_YEAR if kind == "index" else None, "log": log})
    return charts


def _observed() -> dict:
    """The shipped data that measure a public variable at a known level, in its model units
    (as the report's comparison figures draw them)."""
    from ..report.sections import observed_points
    found = {}
    for variable in model.PUBLIC_VARIABLES:
        points = observed_points(variable)
        if points:
            found[variable] = [{"label": label.removeprefix("data: "),
                                "times": [float(t) for t in series.index],
                                "values": _rounded(series.to_numpy())} for label, series in points.items()]
    return found


def _bands(chosen, posterior, known: dict) -> dict:
    """Each preset's 5th, 50th and 95th percentiles over the posterior's draws (its forecast
    from `known` when there, else computed)."""
    from ..forecasts import forecast
    bands = {}
    for s in chosen:
        table = (known[s.name] if s.name in known else forecast(s, posterior)).bands
        bands[s.name] = {
            variable: {"years": rows["year"].astype(float).tolist(),
                       **{c: _rounded(rows[c].to_numpy()) for c in ("p5", "p50", "p95")}}
            for variable, rows in table.groupby("variable", sort=False)}
    return bands


def _draws(chosen, posterior) -> dict:
    """The posterior's draws of its fitted parameters, the same `forecast` takes (its default
    samples and seed), for the band of the page's current settings; and, per preset, the
    values its calibration set that the posterior does not sample, back at their defaults."""
    from ..forecasts import SAMPLES, SEED
    from ..posteriors import _stale
    picks = posterior._rows(SAMPLES, SEED)
    draws = np.column_stack([posterior.samples[n].to_numpy()[picks] for n in posterior.names])
    return {"names": list(posterior.names), "draws": draws.tolist(),
            "stale": {s.name: _stale(s, posterior.names) for s in chosen}}


def _rounded(values) -> list:
    return [None if not np.isfinite(v) else float(f"{v:.{DIGITS}g}") for v in np.asarray(values, dtype=float)]


def _script_json(data) -> str:
    """JSON safe inside a <script> element."""
    return json.dumps(data, separators=(",", ":"), allow_nan=False).replace("</", "<\\/")


def _licensed(vendor: Path) -> str:
    """The vendored library with its licence, as its licence asks."""
    notice = (vendor / "LICENSE").read_text(encoding="utf-8").strip()
    return "/*\n" + notice.replace("*/", "* /") + "\n*/\n" + (vendor / "uPlot.iife.min.js").read_text(encoding="utf-8")


__all__ = ["explore", "page", "payload"]
