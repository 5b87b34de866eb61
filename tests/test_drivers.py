"""'What drives the outcome': Shapley contributions add up and go where the difference is, the
sigma response agrees with the scenario's own run, the share rises with sigma (the mechanism),
the charts draw where they are told, and the section's figures carry their numbers."""
from __future__ import annotations

import re

import matplotlib
import numpy as np
import pytest

matplotlib.use("Agg")

import sdecon  # noqa: E402
from sdecon import engine, plotting, scenarios  # noqa: E402
from sdecon.errors import SdeconError  # noqa: E402
from sdecon.report import drivers  # noqa: E402
from sdecon.report.content import Figure, Section, Table  # noqa: E402

SHARE = "Compute Spending Share of GDP"
NAMES = ("baseline", "jevons", "saturation", "efficiency-shock")


@pytest.fixture(scope="module")
def values():
    return {n: dict(scenarios.load(n).values) for n in NAMES}


@pytest.fixture(scope="module")
def runs(values):
    """Engine runs shaped like `sdecon.run`'s (every variable, indexed by year): the section
    needs no PySD run, and the engine agrees with PySD (tests/test_engine.py)."""
    return {n: engine.run(v).frame() for n, v in values.items()}


@pytest.fixture
def close():
    yield
    plotting.plt.close("all")


def _level(values: dict, year: int = drivers.YEAR) -> float:
    batch = engine.run(values, variables=[SHARE])
    return float(batch.values[SHARE][list(batch.years).index(year), 0])


def test_shapley_values_of_a_known_game():
    # v = 1*x0 + 2*x1 + 4*x0*x1: the interaction is shared equally.
    levels = np.array([0.0, 1.0, 2.0, 7.0])
    assert np.allclose(drivers._shapley(levels, 2), [3.0, 4.0])


def test_contributions_sum_to_the_difference(values):
    base = values["baseline"]
    scenario = {**base, "Elasticity of Substitution": 1.6, "Efficiency Shock Multiplier": 1000.0,
                "Generative AI Demand Shift": 3.0}
    table = drivers.decompose(base, scenario)
    assert sorted(table["parameter"]) == ["Efficiency Shock Multiplier", "Elasticity of Substitution",
                                          "Generative AI Demand Shift"]
    total = table.attrs["scenario_level"] - table.attrs["base_level"]
    assert table["contribution"].sum() == pytest.approx(total, rel=1e-9, abs=1e-15)
    assert table.attrs["base_level"] == pytest.approx(_level(base), rel=1e-12)
    assert table.attrs["scenario_level"] == pytest.approx(_level(scenario), rel=1e-12)
    assert table.loc[table["parameter"] == "Generative AI Demand Shift", "scenario value"].item() == 3.0


def test_one_differing_parameter_takes_all_of_the_difference(values):
    table = drivers.decompose(values["baseline"], values["jevons"])
    assert list(table["parameter"]) == ["Elasticity of Substitution"]
    assert table["base value"].item() == 1.3 and table["scenario value"].item() == 1.6
    assert table["contribution"].item() == pytest.approx(_level(values["jevons"]) - _level(values["baseline"]),
                                                         rel=1e-12)


def test_more_than_ten_parameters_are_grouped_and_still_add_up(values):
    base = drivers.effective(values["baseline"])
    table = sdecon.parameter_table()
    free = [n for n, r in table.iterrows() if r.lower < r.upper and n in base and r.lower < base[n] < r.upper
            and n not in ("Efficiency Shock Year", "Generative AI Demand Shift Year")][:12]
    assert len(free) == 12
    scenario = {**base, **{n: base[n] + 0.1 * (table.loc[n, "upper"] - base[n]) for n in free}}
    result = drivers.decompose(base, scenario)
    assert len(result) == drivers.MOST_PLAYERS
    assert "3" in result.attrs["note"] and any(p.startswith(drivers.OTHER) for p in result["parameter"])
    assert result["contribution"].sum() == pytest.approx(
        result.attrs["scenario_level"] - result.attrs["base_level"], rel=1e-9, abs=1e-15)


def test_sigma_response_at_the_scenarios_own_sigma_is_its_own_run(values):
    table = drivers.sigma_response({"saturation": values["saturation"]}, year=2040)
    own = sdecon.run("saturation")     # PySD: the engine's batch against the reference
    assert table.loc[0.9, "saturation"] == pytest.approx(own.loc[2040, SHARE], rel=1e-6)
    assert 1.0 in table.index and len(table) >= 41
    with pytest.raises(SdeconError, match="sigmas 5 is out of bounds"):
        drivers.sigma_response({"saturation": values["saturation"]}, sigmas=[5])
    with pytest.raises(SdeconError, match="year 2041.5"):
        drivers.sigma_response({"saturation": values["saturation"]}, year=2041.5)


def test_the_share_rises_with_sigma_until_supply_binds(values):
    table = drivers.sigma_response({"baseline": values["baseline"]}, year=2040,
                                   sigmas=np.union1d(drivers.sigma_grid(), [0.9]))["baseline"]
    assert np.all(np.diff(table.index) > 1e-3)     # no near-duplicate sigmas (0.9 and 0.8999...)
    below = table[table.index <= 2.5]
    assert np.all(np.diff(below.to_numpy()) > 0)
    assert table[0.9] < table[1.0] < table[1.3]
    # Above about 2.5 the share is flat (wiggles of 1e-5 relative, GDP growing with automation):
    # AI takes nearly all of the addressable spending, and the installed compute caps what can
    # be spent (Compute Supply Ratio well below 1 in 2040).
    above = table[table.index >= 2.5]
    assert above.max() / above.min() - 1 < 1e-4
    batch = engine.run({**values["baseline"], "Elasticity of Substitution": 3.0},
                       variables=["AI Share of Addressable Spending", "Compute Supply Ratio"])
    at = list(batch.years).index(2040)
    assert batch.values["AI Share of Addressable Spending"][at, 0] > 0.999
    assert batch.values["Compute Supply Ratio"][at, 0] < 0.5


def _threshold_lines(ax):
    return [line for line in ax.lines if len(line.get_xdata()) == 2 and np.all(np.asarray(line.get_xdata()) == 1)
            and tuple(line.get_ydata()) == (0, 1)]


def test_each_chart_draws_into_the_given_axes(values, runs, close):
    table = drivers.sigma_response({n: values[n] for n in ("baseline", "saturation")}, year=2040)
    fig, axes = plotting.plt.subplots(2, 2, figsize=(16, 8.4))
    ax = plotting.plot_sigma_response(table, year=2040, own={"baseline": 1.3, "saturation": 0.9}, ax=axes[0, 0])
    assert ax is axes[0, 0] and len(_threshold_lines(ax)) == 1
    assert "2040" in ax.get_title() and "%" in ax.get_ylabel() and ax.get_yscale() == "linear"
    assert any("σ* = 1" in t for t in ax.get_legend_handles_labels()[1])
    tables = {n: drivers.decompose(values["baseline"], values[n]) for n in ("jevons", "saturation")}
    assert plotting.plot_waterfall(tables, base="baseline", ax=axes[0, 1]) is axes[0, 1]
    labels = [t.get_text() for t in axes[0, 1].texts]
    saturation = 100 * tables["saturation"]["contribution"].item()     # percentage points of GDP
    assert saturation < 0 and any(label.strip().startswith(f"{saturation:.3g} pp") for label in labels), labels
    assert plotting.plot_jevons(runs, ax=axes[1, 0]) is axes[1, 0] and axes[1, 0].get_xscale() == "log"
    assert {"2024", "2030", "2040", "2050"} <= {t.get_text() for t in axes[1, 0].texts}
    ax = plotting.plot_capex_share(runs, ax=axes[1, 1])
    assert ax is axes[1, 1]
    observed = [line for line in ax.lines if line.get_label().startswith("observed")]
    assert len(observed) == 1 and set(observed[0].get_xdata()) == {2020.5, 2021.5, 2022.5, 2023.5, 2024.5}


def test_the_observed_capex_share_is_delloro_over_world_gdp():
    share = plotting.drivers.observed_capex_share()
    assert share[2023.5] == pytest.approx(100 * 260 / (105.4 * 1000), rel=1e-9)


def test_the_section_numbers_its_figures_and_carries_their_data(values, runs):
    section = drivers.drivers_section(runs, values, first_figure=7)
    assert isinstance(section, Section) and section.id == "drivers" and section.title == "What drives the outcome"
    figures = [b for b in section.blocks if isinstance(b, Figure)]
    assert len(figures) == 4
    for number, figure in enumerate(figures, start=7):
        assert figure.caption.startswith(f"Figure {number}. ")
        assert figure.data is not None and len(figure.data) and figure.data.map(np.isreal).all().all()
    text = " ".join(b for b in section.blocks if isinstance(b, str))
    moved = drivers._pp(drivers.decompose(values["baseline"], values["saturation"])["contribution"].item())
    assert "saturation (σ = 0.9)" in text
    assert f"only in Elasticity of Substitution, which moves its {drivers.YEAR} share by {moved}" in text
    table, = [b for b in section.blocks if isinstance(b, Table)]
    cells = [c for row in table.rows for c in row]
    assert "Dmnl" not in " ".join(cells + [table.caption])
    # Shares are percent or percentage points, never raw fractions like 0.0365.
    assert not any(re.fullmatch(r"0\.0\d+", c) for c in cells)
    assert {"baseline"} & {row[0] for row in table.rows} == set()


def test_one_scenario_has_no_waterfall_and_says_so(values, runs):
    section = drivers.drivers_section({"jevons": runs["jevons"]}, {"jevons": values["jevons"]}, first_figure=1)
    figures = [b for b in section.blocks if isinstance(b, Figure)]
    assert [f.key for f in figures] == ["drivers-sigma-response", "drivers-jevons", "drivers-capex-share"]
    assert [f.caption.split(".")[0] for f in figures] == ["Figure 1", "Figure 2", "Figure 3"]
    assert any("no waterfall" in b for b in section.blocks if isinstance(b, str))
    with pytest.raises(SdeconError, match="values has no entry for scenario 'jevons'"):
        drivers.drivers_section({"jevons": runs["jevons"]}, {}, first_figure=1)
