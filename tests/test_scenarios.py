"""The shipped scenarios tell different stories; scenario files are validated on load."""
import math

import numpy as np
import pandas as pd
import pytest

import sdecon
from sdecon import SdeconError

import shipped

FUTURE_SCENARIOS = ["baseline", "jevons", "saturation", "efficiency-shock", "infrastructure-limits"]


def test_every_scenario_the_design_brief_lists_ships():
    # A superset: the README invites users to ship scenarios of their own here.
    assert set(sdecon.scenario_names()) >= {
        "baseline", "jevons", "saturation", "efficiency-shock", "infrastructure-limits",
        "seed004-conservative", "seed004-base", "seed004-aggressive", "seed004-theoretical"}
    for name in sdecon.scenario_names():
        scenario = sdecon.load_scenario(name)
        assert scenario.name == name, f"{name}.toml: its name must be its file name"
        assert scenario.title and "\n" not in scenario.title
        assert len(scenario.story.split()) >= 30, f"{name}: the story should be a paragraph"


def test_future_scenarios_share_the_history_and_then_diverge():
    runs = {name: shipped.run(name) for name in FUTURE_SCENARIOS}
    for name, run in runs.items():
        public = list(sdecon.PUBLIC_VARIABLES)
        pd.testing.assert_frame_equal(run.loc[:2024, public], runs["baseline"].loc[:2024, public], rtol=1e-12)
        if name != "baseline":
            assert not np.allclose(run.loc[2035:, "Compute Spending"], runs["baseline"].loc[2035:, "Compute Spending"])


def test_jevons_spends_many_times_more_than_saturation():
    jevons = shipped.run("jevons")["Compute Spending Share of GDP"]
    saturation = shipped.run("saturation")["Compute Spending Share of GDP"]
    assert (jevons.loc[2030:2040] > 10 * saturation.loc[2030:2040]).all()
    assert (jevons.loc[2026:] > saturation.loc[2026:]).all()
    # Saturation falls as AI gets cheaper, like computing after 2000 (seed 002), until
    # coverage widens its market again in the late 2030s.
    assert saturation.loc[2030] < 0.8 * saturation.loc[2026]


def test_efficiency_shock_makes_capex_fall_after_the_shock():
    shock = shipped.run("efficiency-shock")
    baseline = shipped.run("baseline")
    year = int(sdecon.load_scenario("efficiency-shock").values["Efficiency Shock Year"])
    capex = shock["Datacenter Capex"]
    # The shock lands at the start of its year: that year's capex has already collapsed,
    # AI capex stops, and most installed capacity is stranded (seed 000's compute bubble).
    assert capex.loc[year] < 0.5 * capex.loc[year - 1]
    assert shock.loc[year, "AI Datacenter Capex"] == 0
    assert shock.loc[year + 1, "AI Datacenter Capex"] < baseline.loc[year + 1, "AI Datacenter Capex"]
    assert shock.loc[year, "Stranded Compute Share"] > 0.5
    # Without the shock capex keeps growing through the same years.
    assert (baseline["Datacenter Capex"].loc[year - 1:year + 2].diff().dropna() > 0).all()


def test_infrastructure_limits_never_let_capex_grow_faster_than_the_bound():
    scenario = sdecon.load_scenario("infrastructure-limits")
    bound = scenario.values["Max AI Capex Growth Rate"]
    dt = sdecon.model.defaults()["TIME STEP"]
    steps = sdecon.model.simulate(scenario.values, timestamps=np.arange(2025, 2050 + dt / 2, dt))
    # Capex may return to build-out capacity left unused, but the capacity itself grows at most
    # at the bound from the base year: capex never exceeds the base year's capacity grown at it.
    years = steps.index.to_numpy() - 2025
    ceiling = steps["Buildout Capacity"].iloc[0] * np.exp(bound * years)
    assert (steps["AI Datacenter Capex"].to_numpy() <= ceiling * (1 + 1e-9)).all()
    assert (steps["Buildout Capacity"].to_numpy() <= ceiling * (1 + 1e-9)).all()
    # ... and the bound binds: the baseline grows faster.
    baseline = shipped.run("baseline")["Datacenter Capex"].loc[2025:2030]
    limited = sdecon.run(scenario)["Datacenter Capex"].loc[2025:2030]
    assert limited.iloc[-1] < baseline.iloc[-1]
    assert (steps["AI Datacenter Capex"].iloc[-1] / steps["AI Datacenter Capex"].iloc[0]) <= math.exp(25 * bound)


def _write(tmp_path, text, name="mine.toml"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_a_user_scenario_file_extends_a_shipped_one(tmp_path):
    path = _write(tmp_path, '''
name = "mine"
base = "jevons"
title = "Jevons with faster hardware"
story = "Mine."
[parameters]
"Hardware Growth Rate" = 0.5
''')
    scenario = sdecon.load_scenario(path)
    assert scenario.values["Hardware Growth Rate"] == 0.5
    assert scenario.values["Elasticity of Substitution"] == 1.6  # from jevons
    run = sdecon.run(scenario)
    expected = sdecon.run("jevons", {"Hardware Growth Rate": 0.5})
    pd.testing.assert_frame_equal(run, expected)


@pytest.mark.parametrize("text,message", [
    ('name = "x"\ntitle = "t"\nstory = "s"\n[parameters]\n"Hardware Growth Rat" = 0.3\n',
     "unknown parameter 'Hardware Growth Rat' (did you mean 'Hardware Growth Rate'"),
    ('name = "x"\ntitle = "t"\nstory = "s"\n[parameters]\n"Hardware Growth Rate" = 7\n',
     "Hardware Growth Rate = 7 is out of bounds; allowed: [0, 1] 1/Year"),
    ('name = "x"\ntitle = "t"\nstory = "s"\n[parameters]\n"Hardware Growth Rate" = "fast"\n',
     "Hardware Growth Rate = 'fast' is not a number"),
    ('name = "x"\ntitle = "t"\nstory = "s"\ncolour = "red"\n[parameters]\n',
     "key 'colour' is not allowed"),
    ('name = "x"\ntitle = "t"\n[parameters]\n', "key 'story' is missing"),
    ('name = "x"\ntitle = "t"\nstory = "s"\nparameters = 3\n', "key 'parameters' must be a dict"),
    ('name = "x"\ntitle = = "t"\n', "not valid TOML"),
    ('name = "x"\nbase = "nope"\ntitle = "t"\nstory = "s"\n[parameters]\n', "unknown scenario 'nope'"),
    ('name = "x"\ntitle = "t"\nstory = "s"\n[parameters]\n"Base Year" = 2030\n', "Base Year = 2030 is out of bounds"),
])
def test_malformed_scenario_files_name_the_file_and_key(tmp_path, text, message):
    path = _write(tmp_path, text)
    with pytest.raises(SdeconError) as error:
        sdecon.load_scenario(path)
    assert message in str(error.value)
    assert str(path) in str(error.value) or "unknown scenario" in str(error.value)
    assert "\n" not in str(error.value)


def test_a_base_file_is_found_beside_the_scenario_file(tmp_path, monkeypatch):
    _write(tmp_path, 'name = "b"\ntitle = "t"\nstory = "s"\n[parameters]\n"Hardware Growth Rate" = 0.2\n', "b.toml")
    a = _write(tmp_path, 'name = "a"\nbase = "b.toml"\ntitle = "t"\nstory = "s"\n[parameters]\n', "a.toml")
    monkeypatch.chdir("/")
    assert sdecon.load_scenario(a).values == {"Hardware Growth Rate": 0.2}


def test_a_scenario_cannot_be_its_own_base(tmp_path):
    _write(tmp_path, 'name = "b"\nbase = "a.toml"\ntitle = "t"\nstory = "s"\n[parameters]\n', "b.toml")
    a = _write(tmp_path, 'name = "a"\nbase = "b.toml"\ntitle = "t"\nstory = "s"\n[parameters]\n', "a.toml")
    with pytest.raises(SdeconError, match="its own ancestor"):
        sdecon.load_scenario(a)


def test_unknown_scenario_names_suggest_the_closest():
    with pytest.raises(SdeconError, match=r"unknown scenario 'jevon' \(did you mean 'jevons'"):
        sdecon.load_scenario("jevon")
