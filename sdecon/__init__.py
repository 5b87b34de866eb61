"""sdecon: a system-dynamics model of the economics of AI compute.

Does cheaper AI (better algorithms and chips) raise spending on compute (a Jevons-style
rebound) or lower it (a compute bubble)? The model lives in `models/ai_compute_economy.mdl`
and runs with PySD; this package runs its scenarios, fits it to history, tests it and
reports on it.

    import sdecon
    baseline = sdecon.run("baseline")                       # one run, indexed by year
    both = sdecon.run_scenarios(["jevons", "saturation"])   # long frame, `scenario` column
    fit = sdecon.calibrate(until=2021)                      # a Calibration; .save(), load_calibration()
    sdecon.backtest(origins=(2021, 2022))                   # fits on shorter histories, scored after
    sdecon.check()                                          # reality checks over the shipped scenarios
    sdecon.validate("new-observations.csv")                 # model against new data rows
    sdecon.sweep("baseline", method="sobol", samples=256, output="sweeps/s1")  # load_sweep() reads it back
    sdecon.write_report(["baseline", "jevons"], "reports/mine")
    sdecon.discover("sweeps/s1", "Compute Spending Share of GDP@2040 > 0.05")  # PRIM's box, CART's rules
    post = sdecon.posterior()                               # emcee draws; .save(), load_posterior()
    sdecon.forecast("baseline").coverage()                  # bands from the shipped posterior, checked on history
    sdecon.explore(["baseline", "jevons"], output="explorer.html")  # one HTML file; the model runs in it
    sdecon.parameter_table()                                # unit, default, bounds, source

Bad input raises `SdeconError` with one line naming the value, what was expected and what
is allowed. The heavier parts (scipy, SALib, Dask, matplotlib) load on first use.
"""
from importlib import import_module

from ._version import __version__
from .calibration import Calibration, load_calibration
from .errors import SdeconError
from .model import PUBLIC_VARIABLES
from .parameter import Parameter, parameter_table, parameters
from .scenarios import Scenario
from .scenarios import load as load_scenario
from .scenarios import names as scenario_names
from .simulation import run, run_scenarios

# Public functions from modules that are slow to import, loaded when first used.
_LAZY = {
    "calibrate": "fit", "backtest": "backtesting", "check": "checks", "validate": "validation",
    "sweep": "sweeps", "load_sweep": "sweeps", "SweepResult": "sweeps", "write_report": "report",
    "discover": "discovery", "posterior": "posteriors", "load_posterior": "posteriors",
    "Posterior": "posteriors", "forecast": "forecasts", "load_forecast": "forecasts", "Forecast": "forecasts",
    "explore": "explorer",
}

__all__ = [
    "Calibration", "Forecast", "PUBLIC_VARIABLES", "Parameter", "Posterior", "Scenario",
    "SdeconError", "SweepResult", "backtest", "calibrate", "check", "discover", "explore", "forecast",
    "load_calibration", "load_forecast", "load_posterior", "load_scenario", "load_sweep",
    "parameter_table", "parameters", "posterior", "run", "run_scenarios", "scenario_names", "sweep",
    "validate", "write_report",
]


def __getattr__(name: str):
    if name in _LAZY:
        value = getattr(import_module(f".{_LAZY[name]}", __name__), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'sdecon' has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(_LAZY))
