"""sdecon: a system-dynamics model of the economics of AI compute.

Does cheaper AI (better algorithms and chips) raise spending on compute (a Jevons-style
rebound) or lower it (a compute bubble)? The model lives in `models/ai_compute_economy.mdl`
and runs with PySD; this package runs its scenarios and reads its parameters.

    import sdecon
    baseline = sdecon.run("baseline")                       # one run, indexed by year
    shock = sdecon.run("baseline", {"Efficiency Shock Multiplier": 100})
    both = sdecon.run_scenarios(["jevons", "saturation"])   # long frame, `scenario` column
    sdecon.parameter_table()                                # unit, default, bounds, source
"""
from .errors import SdeconError
from .model import PUBLIC_VARIABLES
from .parameter import Parameter, parameter_table, parameters
from .scenarios import Scenario
from .scenarios import load as load_scenario
from .scenarios import names as scenario_names
from .simulation import run, run_scenarios

__version__ = "0.1.0"

__all__ = [
    "PUBLIC_VARIABLES", "Parameter", "Scenario", "SdeconError", "load_scenario",
    "parameter_table", "parameters", "run", "run_scenarios", "scenario_names",
]
