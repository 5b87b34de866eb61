"""Run scenarios: one wide frame a run, or several runs as one long frame."""
from __future__ import annotations

from collections.abc import Iterable, Mapping

import pandas as pd

from . import model, parameter, scenarios
from .errors import SdeconError
from .scenarios import Scenario


def run(scenario: str | Scenario = "baseline", overrides: Mapping[str, float] | None = None,
        *, time_step: float | None = None, engine: bool = False) -> pd.DataFrame:
    """Simulate a scenario with PySD (or the batch engine), with optional parameter overrides.

    Parameters
    ----------
    scenario : str or Scenario
        A shipped scenario's name (`sdecon.scenario_names()`), the path of a scenario file
        (.toml), or a Scenario.
    overrides : mapping, optional
        {Vensim name: value} on top of the scenario's values, checked against the bounds
        (`sdecon.parameter_table()`).
    time_step : float, optional
        The Euler step in years (default: the model's).
    engine : bool
        Run on the batch engine (`sdecon.engine`) instead of PySD: the same frame (the tests
        hold the two to agree on every shipped scenario) in milliseconds once the engine is
        compiled (about half a minute, once per machine); for reports and batches.

    Returns
    -------
    DataFrame
        Indexed by `year` (int), one column per model variable under its Vensim name,
        public variables first. Runs have no side effects: the same inputs give the same
        frame whatever ran before.

    Raises
    ------
    SdeconError
        An unknown scenario or parameter (with the nearest names), or a value that is not
        a number within the parameter's bounds.
    """
    chosen = scenario if isinstance(scenario, Scenario) else scenarios.load(scenario)
    values = dict(chosen.values)
    values.update(parameter.validate(dict(overrides or {}), "override"))
    if engine:
        from . import engine as batch_engine
        frame = batch_engine.run(values, time_step=time_step).frame(0)
    else:
        frame = model.simulate(values, time_step=time_step)
    frame.index = pd.Index(frame.index.round().astype(int), name="year")
    frame.columns.name = None
    return frame


def run_scenarios(names: Iterable[str | Scenario], overrides: Mapping[str, float] | None = None,
                  *, time_step: float | None = None) -> pd.DataFrame:
    """Several scenarios as one long frame.

    Parameters
    ----------
    names : iterable of str or Scenario
        Shipped scenario names, paths of scenario files, or Scenario objects (a list, not
        one string).
    overrides, time_step
        As `run`'s, applied to every scenario.

    Returns
    -------
    DataFrame
        Columns `scenario`, `year`, then the variables, one row a scenario and year.
    """
    if isinstance(names, (str, Scenario)):
        raise SdeconError(f"names {names!r} is one scenario; expected a list of them, such as [{names!r}]",
                          argument="names")
    names = list(names)
    if not names:
        raise SdeconError("names is empty; expected at least one scenario ('sdecon scenarios' lists them)",
                          argument="names")
    frames = []
    for item in names:
        chosen = item if isinstance(item, Scenario) else scenarios.load(item)
        frame = run(chosen, overrides, time_step=time_step).reset_index()
        frame.insert(0, "scenario", chosen.name)
        frames.append(frame)
    return pd.concat(frames, ignore_index=True)
