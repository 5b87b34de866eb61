"""Runs: result shape, names, freedom from side effects, overrides."""
import pandas as pd
import pytest

import sdecon
from sdecon import SdeconError, model


def test_a_run_is_indexed_by_year_with_the_models_variable_names(baseline):
    assert baseline.index.name == "year"
    assert list(baseline.index) == list(range(2015, 2051))
    assert list(baseline.columns[:len(sdecon.PUBLIC_VARIABLES)]) == list(sdecon.PUBLIC_VARIABLES)
    assert set(baseline.columns) == set(model.variable_names())
    # MODEL.md: the multipliers are 1 in the base year.
    for name in ["Hardware Efficiency Multiplier", "Software Efficiency Multiplier", "Combined Efficiency Multiplier"]:
        assert baseline.loc[2025, name] == pytest.approx(1, rel=1e-12)


def test_accounting_identities_hold(baseline):
    b = baseline
    pd.testing.assert_series_equal(b["Compute Spending"], b["Training Compute Spending"] + b["Inference Compute Spending"],
                                   check_names=False)
    pd.testing.assert_series_equal(b["Compute Spending Share of GDP"], b["Compute Spending"] / b["GDP"],
                                   check_names=False)
    pd.testing.assert_series_equal(b["Combined Efficiency Multiplier"],
                                   b["Hardware Efficiency Multiplier"] * b["Software Efficiency Multiplier"],
                                   check_names=False)


def test_runs_have_no_side_effects(baseline):
    # PySD keeps values set through run(params=...) (its issue #99); ours must not.
    shocked = sdecon.run("baseline", {"Efficiency Shock Multiplier": 100, "Hardware Growth Rate": 0.1})
    other = sdecon.run("seed004-base", time_step=1 / 64)
    again = sdecon.run("baseline")
    pd.testing.assert_frame_equal(again, baseline)
    assert not shocked.equals(baseline) and not other.equals(baseline)


def test_several_scenarios_make_one_long_frame(baseline):
    long = sdecon.run_scenarios(["baseline", "jevons"])
    assert list(long.columns[:2]) == ["scenario", "year"]
    assert list(long["scenario"].unique()) == ["baseline", "jevons"]
    back = long[long["scenario"] == "baseline"].drop(columns="scenario").set_index("year")
    pd.testing.assert_frame_equal(back, baseline)


def test_overrides_are_validated():
    with pytest.raises(SdeconError, match=r"unknown parameter 'Elasticity' \(did you mean [^)]*'Elasticity of Substitution'"):
        sdecon.run("baseline", {"Elasticity": 2})
    with pytest.raises(SdeconError, match=r"Elasticity of Substitution = 9 is out of bounds; allowed: \[0.2, 3\] Dmnl"):
        sdecon.run("baseline", {"Elasticity of Substitution": 9})
    with pytest.raises(SdeconError, match="unknown parameter 'GDP'"):  # a variable, not a parameter
        sdecon.run("baseline", {"GDP": 1})


def test_every_model_variable_has_units_and_a_comment():
    doc = model.documentation().drop(index="Time")  # PySD's own clock, not in the .mdl
    missing = doc[(doc["Units"].fillna("") == "") | (doc["Comment"] == "")]
    assert missing.empty, list(missing.index)


UNIT_CONVERSIONS = {"FLOP per EFLOP", "Seconds per Year", "USD per Billion", "MUSD per BUSD",
                    "W per GW", "GWh per TWh", "Hours per Year", "J per MWh",
                    "Training Run Accounting Period"}


def test_every_constant_but_the_clock_and_unit_conversions_is_a_bounded_parameter():
    # A constant whose [low,high] is forgotten would silently stop being a parameter.
    doc = model.documentation()
    constants = set(doc[doc["Type"] == "Constant"].index)
    assert constants - set(sdecon.parameters()) == set(model.CONTROL_VARIABLES) | UNIT_CONVERSIONS


def test_every_parameter_has_a_default_inside_its_bounds_and_says_where_it_comes_from():
    table = sdecon.parameter_table()
    assert (table["lower"] <= table["default"]).all() and (table["default"] <= table["upper"]).all()
    assert (table["unit"] != "").all()
    # Each comment names its origin: a seed essay, a data row, the design brief, a stated
    # judgement, or that the value is a scenario input (a policy lever, an event).
    origin = r"Source|seed 00\d|\(data|data [a-z_]+|MODEL\.md|Judgement|Derivation|Policy lever|Scenario input|seed 004"
    unsourced = table[~table["source"].str.contains(origin)]
    assert unsourced.empty, list(unsourced.index)


def test_events_cannot_fall_in_the_base_year_whose_multipliers_are_one():
    for name in ["Adoption Event 1 Year", "Adoption Event 2 Year", "Efficiency Shock Year"]:
        with pytest.raises(SdeconError, match=f"{name} = 2025 is out of bounds; allowed: \\[2026, 2050\\]"):
            sdecon.run("baseline", {name: 2025})


@pytest.mark.parametrize("value", [True, "nan", float("inf"), None, [1]])
def test_values_that_are_not_finite_numbers_are_refused(value):
    with pytest.raises(SdeconError, match=r"Hardware Growth Rate = .* is not a number; expected a number in \[0, 1\] 1/Year"):
        sdecon.run("baseline", {"Hardware Growth Rate": value})
