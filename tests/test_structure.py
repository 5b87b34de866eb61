"""Structure tests in the spirit of Sterman (Business Dynamics, ch. 21): extreme
conditions, stock accounting, integration error and robustness over the parameter space."""
import math
import re

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import sdecon
from sdecon import checks, engine, model

YEARS_AFTER_2025 = slice(2025, 2050)


def test_no_algorithmic_progress_leaves_software_efficiency_at_one():
    run = sdecon.run("baseline", {"Algorithmic Growth Rate": 0})
    np.testing.assert_allclose(run["Software Efficiency Multiplier"], 1.0, rtol=1e-12)
    np.testing.assert_allclose(run["Frontier Algorithmic Efficiency Multiplier"], 1.0, rtol=1e-12)
    np.testing.assert_allclose(run["Remaining Waste"], 1e6, rtol=1e-9)
    # The training cost then falls with hardware alone.
    np.testing.assert_allclose(run["Training Cost per Billion Tokens"],
                               378 / run["Hardware Efficiency Multiplier"], rtol=1e-12)


def test_no_progress_at_all_keeps_the_cost_of_compute_constant():
    run = sdecon.run("baseline", {"Algorithmic Growth Rate": 0, "Hardware Growth Rate": 0,
                                  "Energy Efficiency Growth Rate": 0})
    np.testing.assert_allclose(run["Combined Efficiency Multiplier"], 1.0, rtol=1e-12)
    np.testing.assert_allclose(run["Price of AI Compute"] / run["Scarcity Markup"],
                               run["Reference Price of AI Compute"], rtol=1e-12)


def test_unit_elasticity_keeps_the_ai_spending_share_constant_when_nothing_else_moves():
    # Cobb-Douglas: with sigma = 1 the share spent on AI does not depend on its price.
    # Coverage is held fixed (slope 0), so only the price moves, by orders of magnitude.
    run = sdecon.run("baseline", {"Historical Elasticity of Substitution": 1, "Elasticity of Substitution": 1,
                                  "Coverage Slope": 0, "Generative AI Demand Shift": 1})
    price = run["Price of AI Compute"]
    assert price.iloc[0] / price.iloc[-1] > 1e6
    np.testing.assert_allclose(run["Desired AI Spending Share"], run["Desired AI Spending Share"].iloc[0], rtol=1e-9)


@pytest.mark.parametrize("elasticity,direction", [(1.5, 1), (0.6, -1)])
def test_substitutes_gain_and_complements_lose_share_as_ai_gets_cheaper(elasticity, direction):
    # The future elasticity (the history's is at least 1: docs/model.md), from the base year on.
    run = sdecon.run("baseline", {"Historical Elasticity of Substitution": 1,
                                  "Elasticity of Substitution": elasticity, "Coverage Slope": 0,
                                  "Generative AI Demand Shift": 1})
    change = np.sign(np.diff(run["Desired AI Spending Share"].loc[2025:].to_numpy()))
    assert (change == direction).all()


@pytest.mark.parametrize("retirement", [0.1, 0.25, 0.5])
def test_zero_capex_drains_the_supply_line_and_lets_installed_compute_decay_at_the_retirement_rate(retirement):
    dt = model.defaults()["TIME STEP"]
    values = {**sdecon.load_scenario("baseline").values, "Policy Hardware Supply Restriction": 1,
              "Policy Hardware Restriction Start Year": 2030, "Compute Retirement Rate": retirement}
    run = model.simulate(values, timestamps=np.arange(2030, 2036 + dt / 2, dt))
    assert (run["AI Datacenter Capex"] == 0).all()
    # Both flows are in exact one-step form: the supply line drains by b = exp(-dt/L) a step
    # and installed compute keeps a = exp(-rate dt) of itself plus what completes, so
    # K_n = K_0 a^n + U_0 (1 - b)(a^n - b^n) / (a - b).
    n = np.arange(len(run))
    a, b = math.exp(-retirement * dt), math.exp(-dt / model.defaults()["Construction Delay"])
    u0, k0 = run["Compute Under Construction"].iloc[0], run["Installed Compute"].iloc[0]
    np.testing.assert_allclose(run["Compute Under Construction"], u0 * b ** n, rtol=1e-9)
    np.testing.assert_allclose(run["Installed Compute"], k0 * a ** n + u0 * (1 - b) * (a ** n - b ** n) / (a - b),
                               rtol=1e-9)


def _stock_flows():
    """Each stock's flows with their signs, parsed from the INTEG equations of the .mdl."""
    text = model.model_path().read_text(encoding="utf-8")
    flows = {}
    for name, rate in re.findall(r"\n([^\n=]+?)\s*= INTEG \(\s*\n\s*(.+?),\n", text):
        terms = re.findall(r"([+-]?)\s*([^+-]+)", rate)
        flows[name.strip()] = [(-1 if sign == "-" else 1, term.strip()) for sign, term in terms]
    return flows


def test_every_stock_is_parsed_with_named_flows():
    flows = _stock_flows()
    assert set(flows) == set(model.stock_names())
    names = set(model.variable_names())
    for stock, terms in flows.items():
        for _, flow in terms:
            assert flow in names, f"{stock}: rate term {flow!r} is not a named flow"


@pytest.mark.parametrize("scenario", ["baseline", "efficiency-shock", "infrastructure-limits"])
def test_each_stock_changes_by_its_inflows_minus_outflows(scenario):
    dt = model.defaults()["TIME STEP"]
    values = sdecon.load_scenario(scenario).values
    run = model.simulate(values, timestamps=np.arange(2015, 2050 + dt / 2, dt))
    for stock, terms in _stock_flows().items():
        change = run[stock].diff().shift(-1).iloc[:-1]
        net = sum(sign * run[flow] for sign, flow in terms).iloc[:-1] * dt
        scale = run[stock].abs().iloc[:-1] + net.abs() + 1e-300
        assert ((change - net).abs() / scale).max() < 1e-9, stock


@pytest.mark.parametrize("scenario", sdecon.scenario_names())
def test_halving_the_time_step_changes_key_outputs_by_under_half_a_percent(scenario):
    # Through the batch engine, which equals PySD at any step (tests/test_engine.py): 40 ms a
    # scenario instead of 6 s.
    dt = model.defaults()["TIME STEP"]
    values = sdecon.load_scenario(scenario).values
    coarse = engine.run(values).frame()
    fine = engine.run(values, time_step=dt / 2).frame()
    for variable in sdecon.PUBLIC_VARIABLES:
        error = (fine[variable] / coarse[variable] - 1).abs().max()
        assert error < 0.005, f"{scenario}: {variable} changes by {error:.2%}"


def _in_bounds(parameter):
    low, high = parameter.lower, parameter.upper
    if low > 0 and high / low > 100:  # wide ranges: sample orders of magnitude evenly
        return st.floats(math.log10(low), math.log10(high)).map(lambda x: min(max(10 ** x, low), high))
    return st.floats(low, high, allow_nan=False, allow_infinity=False)


FREE = {name: p for name, p in sdecon.parameters().items() if not p.fixed}


@settings(max_examples=300, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(st.fixed_dictionaries({name: _in_bounds(p) for name, p in FREE.items()}))
def test_any_parameters_within_bounds_give_finite_outputs_and_pass_the_structural_checks(values):
    # The batch engine equals PySD (tests/test_engine.py), so 300 examples cost seconds.
    batch = engine.run({**sdecon.load_scenario("baseline").values, **values})
    frame = batch.frame()
    numbers = frame.to_numpy(dtype=float)
    assert np.isfinite(numbers).all(), list(frame.columns[~np.isfinite(numbers).all(axis=0)])
    # The checks every run must pass whatever its parameters (sdecon/checks/reality.toml,
    # scope "any"): no stock negative but those holding a logarithm, spending within GDP,
    # utilisation at most one.
    violations = checks.evaluate(checks.load(scope="any"), batch)
    assert violations.empty, checks.summarise(violations).to_string()
    public = frame[list(sdecon.PUBLIC_VARIABLES)]
    assert (public >= 0).all().all(), list(public.columns[(public < 0).any()])
