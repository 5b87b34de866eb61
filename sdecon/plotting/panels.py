"""Small multiples: one variable under several scenarios, a panel for each group of scenarios whose
lines coincide, so that no line hides another."""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from .base import _axes, _label_time_axes, _legend_inside, reader_values, scenario_styles, uses_log_scale


def coinciding(lines: pd.DataFrame | dict[str, pd.DataFrame], variable: str | None = None,
               rtol: float = 1e-9) -> list[list[str]]:
    """The lines grouped by where they lie: two are in one group when they agree to `rtol` at
    every point. Groups in the order of their first line.

    Parameters
    ----------
    lines : DataFrame, or dict of str to DataFrame
        A line a column; or runs keyed by scenario name, with `variable` the line each draws.
    variable : str, optional
        With runs: the variable compared.
    """
    if variable is not None:
        lines = pd.DataFrame({name: frame[variable] for name, frame in lines.items()})
    groups: list[list[str]] = []
    for name in lines.columns:
        for group in groups:
            if np.allclose(lines[name].to_numpy(float), lines[group[0]].to_numpy(float), rtol=rtol, atol=0,
                           equal_nan=True):
                group.append(name)
                break
        else:
            groups.append([name])
    return groups


def plot_panels(runs: dict[str, pd.DataFrame], variable: str, ax=None, *,
                groups: Sequence[Sequence[str]] | None = None, title: str | None = None, fontscale: float = 1.0):
    """`variable` in a row of panels inside `ax`, one for each group of coinciding scenarios
    (`coinciding`), on one shared scale; each panel names the scenarios it stands for.

    Parameters
    ----------
    runs : dict of str to DataFrame
        Runs keyed by scenario name.
    variable : str
        The variable to draw.
    ax : matplotlib Axes, optional
        The area to fill with panels (its own frame is hidden); a new figure when None.
    groups : sequence of sequences of str, optional
        The groups (default: `coinciding(runs, variable)`).
    title : str, optional
        The title over the panels (default: the variable).
    fontscale : float
        Type size relative to a standalone 8 x 4.2 inch figure.

    Returns
    -------
    list of matplotlib Axes
        The panels.
    """
    ax = _axes(ax)
    groups = [list(g) for g in (groups or coinciding(runs, variable))]
    styles = scenario_styles(list(runs))
    # The reader's values (percent of GDP, USD trillion, the price index), one unit for all panels
    shown = reader_values(variable, pd.DataFrame({name: frame[variable] for name, frame in runs.items()}))
    values = pd.concat([shown.values[name] for name in runs])
    ax.set_axis_off()
    ax.set_title(title or variable, fontsize=11 * fontscale, pad=12 * fontscale)
    gap = 0.06
    width = (1 - gap * (len(groups) - 1)) / len(groups)
    panels = []
    for number, group in enumerate(groups):
        panel = ax.inset_axes((number * (width + gap), 0, width, 1),
                              sharey=panels[0] if panels else None)
        frame = runs[group[0]]
        panel.plot(frame.index, shown.values[group[0]], linewidth=1.6, label=" = ".join(group), **styles[group[0]])
        _label_time_axes(panel, fontscale * 0.8, "", shown.label if number == 0 else "", values, None, shown.percent)
        _legend_inside(panel, 7 * fontscale)
        if number:
            panel.tick_params(labelleft=False)
        panels.append(panel)
    if uses_log_scale(values):
        panels[0].set_yscale("log")
    return panels
