"""The model's economics: known answers and directions a referee would check (issue 11).

Runs use the batch engine, which equals PySD on this model (tests/test_engine.py)."""
import math

import numpy as np
import pytest

import sdecon
from sdecon import engine, model

BASELINE = sdecon.load_scenario("baseline").values
DEFAULTS = model.defaults()


def _run(values):
    return engine.run({**BASELINE, **values}).frame()


@pytest.mark.parametrize("retirement", [0.1, 0.2, 0.4])
def test_with_a_constant_spending_share_capex_over_spending_is_the_steady_state_formula(retirement):
    # docs/model.md, "What pays for capex": with the spending share constant (sigma = 1,
    # coverage and demand fixed), compute spending grows with GDP at g and capacity at
    # gK = g + pi, and
    #   AI capex / compute spending = (delta + gK)(1 + gK L)(1 - e) u* / (u m (r + delta + pi)(1 + (r + pi) L))
    # with e the energy share of the cost of compute in use, u the utilisation and m the
    # mark-up at which the run settles.
    pi = math.log(1 + DEFAULTS["Hardware Growth Rate"])
    g = math.log(1 + DEFAULTS["Base GDP Growth Rate"])
    steady = {"Historical Elasticity of Substitution": 1, "Elasticity of Substitution": 1,
              "Coverage Slope": 0, "Generative AI Demand Shift": 1,
              "Energy Efficiency Growth Rate": pi,  # energy cost falls with capital cost
              "Initial AI Spending Growth": g,      # planners start on the steady trend
              "Datacenter Grid Power Ceiling": 3000, "Compute Retirement Rate": retirement}
    run = _run(steady)
    r, lag, target = DEFAULTS["Cost of Capital"], DEFAULTS["Construction Delay"], DEFAULTS["Target Capacity Utilisation"]
    gk = g + pi
    growth = np.log(run.loc[2045:2050, ["Compute Spending", "Installed Compute"]]).diff().dropna()
    np.testing.assert_allclose(growth["Compute Spending"], g, rtol=1e-4)
    np.testing.assert_allclose(growth["Installed Compute"], gk, rtol=1e-4)
    row = run.loc[2050]
    energy = row["Energy Cost of Compute"] / row["Cost of Compute in Use"]
    use, markup = row["Capacity Utilisation"], row["Scarcity Markup"]
    formula = ((retirement + gk) * (1 + gk * lag) * (1 - energy) * target
               / (use * markup * (r + retirement + pi) * (1 + (r + pi) * lag)))
    assert row["AI Datacenter Capex"] / row["Compute Spending"] == pytest.approx(formula, rel=0.01)
    # The mark-up settles where it clears its own rule: m = (u m / u*)^s.
    sensitivity = DEFAULTS["Scarcity Price Sensitivity"]
    assert markup == pytest.approx((use * markup / target) ** sensitivity, rel=1e-6)
    # Capex is paid for: below compute revenue net of energy, since g < r.
    assert row["AI Datacenter Capex"] < row["Compute Spending"] - row["Fleet Energy Cost"]


SIGMAS = [0.5, 0.8, 1.0, 1.2, 1.3, 1.6, 2.0]


def test_sigma_decides_the_compute_share_around_the_threshold_of_one():
    # docs/model.md, "Does sigma decide?": sigma* = 1 for AI's share of addressable spending.
    batch = engine.run({**BASELINE, "Elasticity of Substitution": np.array(SIGMAS)},
                       variables=["Compute Spending Share of GDP", "AI Share of Addressable Spending"])
    years = list(batch.years)
    share = batch.values["Compute Spending Share of GDP"]
    for year in (2030, 2035, 2040):
        row = share[years.index(year)]
        assert (np.diff(row) > 0).all(), (year, row)  # every sigma above another raises the share
    # Below the threshold AI's share of what it can serve falls as it gets cheaper; above, rises.
    addressable = batch.values["AI Share of Addressable Spending"]
    base, later = years.index(2025), years.index(2035)
    assert addressable[later, SIGMAS.index(0.8)] < addressable[base, SIGMAS.index(0.8)]
    assert addressable[later, SIGMAS.index(1.2)] > addressable[base, SIGMAS.index(1.2)]
    # Sigma still matters above 1.3: by 2035 a sigma of 2 gives well over a third more.
    row = share[later]
    assert row[SIGMAS.index(2.0)] > 1.3 * row[SIGMAS.index(1.3)]
    # ... though by 2040 the grid ceiling holds every sigma above 1.3 within a few percent.
    row = share[years.index(2040)]
    assert row[SIGMAS.index(2.0)] < 1.05 * row[SIGMAS.index(1.3)]


def test_an_efficiency_shock_cuts_spending_by_less_than_the_shock_and_strands_capacity():
    shock = sdecon.load_scenario("efficiency-shock").values
    factor, year = shock["Efficiency Shock Multiplier"], int(shock["Efficiency Shock Year"])
    run = engine.run(shock).frame()
    before, after = run.loc[year - 1], run.loc[year]
    fall = before["Compute Spending"] / after["Compute Spending"]
    elasticity = DEFAULTS["Short Run Price Elasticity of Demand"]
    assert 1 < fall < factor
    # The short-run elasticity sets the fall: the shock factor to the power (1 - elasticity),
    # give or take the year of demand growth between the two saved years.
    assert math.log(fall) == pytest.approx((1 - elasticity) * math.log(factor), rel=0.15)
    assert after["AI Datacenter Capex"] < 0.01 * before["AI Datacenter Capex"]
    assert after["Stranded Compute Share"] > 0.5 > before["Stranded Compute Share"]
    assert after["Capital Write Downs"] > 0 == before["Capital Write Downs"]
    assert after["Scarcity Markup"] < before["Scarcity Markup"]
    assert run.loc[year:, "Cumulative Capital Write Downs"].iloc[-1] > 100  # USD billion


LEVERS = {  # lever: (setting, output, year, direction), as docs/model.md states them
    "Policy Research Funding Effect": (1, "Software Efficiency Multiplier", 2030, +1),
    "Policy Open Release Effect": (1, "Software Efficiency Multiplier", 2030, +1),
    "Policy Power Buildout Effect": (1, "Installed Compute", 2035, +1),
    "Policy Energy Price Multiplier": (5, "Price of AI Compute", 2035, +1),
    "Policy Hardware Progress Slowdown": (0.5, "Hardware Efficiency Multiplier", 2040, -1),
    "Policy Hardware Supply Restriction": (0.5, "Datacenter Capex", 2035, -1),
}


@pytest.mark.parametrize("lever", LEVERS)
def test_every_policy_lever_moves_its_output_in_the_stated_direction(lever):
    setting, output, year, direction = LEVERS[lever]
    base, policy = _run({}), _run({lever: setting})
    change = policy.loc[year, output] / base.loc[year, output] - 1
    assert np.sign(change) == direction and abs(change) > 0.01, change
    # ...and nothing moves before the lever starts.
    start = {k: v for k, v in DEFAULTS.items() if k.startswith("Policy") and k.endswith("Start Year")}
    first = min(start.values())
    assert (policy.loc[:first - 1, output] == base.loc[:first - 1, output]).all()


def test_the_energy_price_and_the_power_build_out_move_electricity_the_right_way():
    base = _run({})
    dear = _run({"Policy Energy Price Multiplier": 5})
    power = _run({"Policy Power Buildout Effect": 1})
    assert (dear.loc[2030:2040, "AI Datacenter Electricity"] < base.loc[2030:2040, "AI Datacenter Electricity"]).all()
    assert (power.loc[2030:2040, "AI Datacenter Electricity"] > base.loc[2030:2040, "AI Datacenter Electricity"]).all()


BUBBLES = {"efficiency-shock", "saturation"}  # the scenarios whose stories are a bubble


@pytest.mark.parametrize("scenario", sdecon.scenario_names())
def test_compute_revenue_pays_for_capex_except_where_a_bubble_leaves_write_downs(scenario):
    # Present values over 2025-2050 at the cost of capital: compute revenue net of energy
    # against AI capex, plus the capacity in place in 2025 less what is left in 2050.
    values = sdecon.load_scenario(scenario).values
    run = engine.run(values).frame()
    r = values.get("Cost of Capital", DEFAULTS["Cost of Capital"])
    years = run.loc[2025:2050]
    discount = np.exp(-r * (years.index - 2025))
    net = float(((years["Compute Spending"] - years["Fleet Energy Cost"]) * discount).sum())

    def capital(year):
        row = run.loc[year]
        return ((row["Installed Compute"] + row["Compute Under Construction"])
                / (row["Hardware Price Performance"] * DEFAULTS["Hardware Share of AI Capex"] * 1e9))
    cost = float((years["AI Datacenter Capex"] * discount).sum()) + capital(2025) - capital(2050) * discount[-1]
    written_down = run.loc[2050, "Cumulative Capital Write Downs"] - run.loc[2025, "Cumulative Capital Write Downs"]
    if scenario in BUBBLES:
        assert written_down > 100  # USD billion
    else:
        assert net >= cost, (net, cost)


def test_faster_algorithmic_progress_raises_training_spend_through_the_performance_effect():
    # Seed 002: algorithmic progress "makes it more lucrative to do larger training runs".
    batch = engine.run({**BASELINE, "Algorithmic Growth Rate": np.array([1.0, 1.83, 3.0])},
                       variables=["Training Compute Spending", "Performance Effect",
                                  "Frontier Training Run Compute"])
    year = list(batch.years).index(2030)
    for name in ("Training Compute Spending", "Performance Effect", "Frontier Training Run Compute"):
        assert (np.diff(batch.values[name][year]) > 0).all(), name
    # The frontier run then grows about 3x a year 2024-2030 (Epoch's trend: 4-5x).
    run = _run({})
    growth = (run.loc[2030, "Frontier Training Run Compute"] / run.loc[2024, "Frontier Training Run Compute"]) ** (1 / 6)
    assert 2.5 < growth < 5
