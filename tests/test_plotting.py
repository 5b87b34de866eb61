"""Charts: a scenario's line keeps its colour and dash whatever the order, time axes tick
whole years, and every exported figure carries its source line. The runs are made up (a
chart does not care where its numbers come from), so that no test here runs the model."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from matplotlib.colors import to_rgba

import sdecon
from sdecon import plotting

VARIABLE = "Compute Spending"


def _runs(names) -> dict[str, pd.DataFrame]:
    """A made-up run per name, indexed by year, each its own level of VARIABLE."""
    years = np.arange(2020, 2041)
    return {name: pd.DataFrame({VARIABLE: 100.0 * (k + 1) * 1.05 ** (years - 2020)}, index=years)
            for k, name in enumerate(names)}


def _line_styles(ax) -> dict[str, tuple]:
    """Each labelled line's colour and dash pattern (offset, on-off sequence in points)."""
    return {line.get_label(): (to_rgba(line.get_color()), line._unscaled_dash_pattern) for line in ax.lines
            if not line.get_label().startswith("_")}


@pytest.fixture
def close():
    """Closes the figures a test opened."""
    yield
    plotting.plt.close("all")


def test_every_shipped_scenario_has_its_own_style():
    assert set(plotting.SCENARIO_STYLES) == set(sdecon.scenario_names())
    styles = plotting.scenario_styles(sdecon.scenario_names())
    assert len({s["color"] for s in styles.values()}) == len(styles)
    assert len({str(s["linestyle"]) for s in styles.values()}) == len(styles)   # distinct in grey print
    assert styles["baseline"] == {"color": to_rgba("tab:blue"), "linestyle": "-"}


def test_a_scenario_keeps_its_colour_and_dash_whatever_the_order(close):
    names = ["baseline", "jevons", "my-own", "saturation", "efficiency-shock", "seed004-base"]
    forward = _line_styles(plotting.plot_scenarios(_runs(names), VARIABLE))
    backward = _line_styles(plotting.plot_scenarios(_runs(names[::-1]), VARIABLE))
    assert set(forward) == set(names) and forward == backward
    assert len(set(forward.values())) == len(names)          # six scenarios, six styles
    # The user's scenario takes the first style no shipped scenario drawn has: jevons' is free
    # when jevons is not drawn, and taken (so another) when it is.
    assert plotting.scenario_styles(["my-own", "baseline"])["my-own"] == plotting.scenario_styles(["jevons"])["jevons"]
    assert forward["my-own"] == _line_styles(plotting.plot_scenarios(_runs(["infrastructure-limits"]), VARIABLE))[
        "infrastructure-limits"]


def test_many_lines_never_share_a_style():
    styles = plotting.scenario_styles([f"user-{k}" for k in range(40)])
    assert len({(s["color"], str(s["linestyle"])) for s in styles.values()}) == 40
