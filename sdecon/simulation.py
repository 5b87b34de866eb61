"""Run scenarios: one wide frame a run, or several runs as one long frame."""
from __future__ import annotations

from collections.abc import Iterable, Mapping

import pandas as pd

from . import model, parameter, scenarios
from .scenarios import Scenario


def run(scenario: str | Scenario = "baseline", overrides: Mapping[str, float] | None = None,
        *, time_step: float | None = None) -> pd.DataFrame:
    """Simulate a scenario, with optional parameter overrides.

    Returns a DataFrame indexed by `year` (int) with one column per model variable under
    its Vensim name, public variables first. Runs have no side effects: the same inputs
    give the same frame whatever ran before.
    """
    chosen = scenario if isinstance(scenario, Scenario) else scenarios.load(scenario)
    values = dict(chosen.values)
    values.update(parameter.validate(dict(overrides or {}), "override"))
    frame = model.simulate(values, time_step=time_step)
    frame.index = pd.Index(frame.index.round().astype(int), name="year")
    frame.columns.name = None
    return frame


def run_scenarios(names: Iterable[str | Scenario], overrides: Mapping[str, float] | None = None,
                  *, time_step: float | None = None) -> pd.DataFrame:
    """Several scenarios as one long frame: columns `scenario`, `year`, then the variables."""
    frames = []
    for item in names:
        chosen = item if isinstance(item, Scenario) else scenarios.load(item)
        frame = run(chosen, overrides, time_step=time_step).reset_index()
        frame.insert(0, "scenario", chosen.name)
        frames.append(frame)
    return pd.concat(frames, ignore_index=True)
