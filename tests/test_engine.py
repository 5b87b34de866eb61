"""The batch engine against PySD: the same `.mdl`, the same numbers, many runs at once."""
import numpy as np
import pytest

import sdecon
from sdecon import engine, model, parameter
from sdecon.errors import SdeconError


def _random_values(scenario, rng, runs, varied=12):
    """The scenario's values with `varied` random parameters drawn within their bounds."""
    free = [p for p in parameter.parameters().values() if not p.fixed]
    values = {name: np.full(runs, value) for name, value in scenario.values.items()}
    for index in rng.choice(len(free), size=varied, replace=False):
        p = free[index]
        wide = p.lower > 0 and p.upper / p.lower > 100
        draw = (np.exp(rng.uniform(np.log(p.lower), np.log(p.upper), runs)) if wide
                else rng.uniform(p.lower, p.upper, runs))
        values[p.name] = draw
    return values


@pytest.mark.parametrize("name", sdecon.scenario_names())
def test_engine_matches_pysd_for_random_draws_in_every_scenario(name):
    rng = np.random.default_rng(sum(map(ord, name)))
    values = _random_values(sdecon.load_scenario(name), rng, runs=2)
    batch = engine.run(values)
    assert batch.runs == 2
    for run in range(2):
        reference = model.simulate({k: float(v[run]) for k, v in values.items()})
        ours = batch.frame(run)
        assert list(ours.columns) == list(reference.columns)
        np.testing.assert_allclose(ours.to_numpy(), reference.to_numpy(dtype=float),
                                   rtol=1e-9, atol=0, err_msg=f"{name}, run {run}")


def test_each_run_of_a_batch_equals_the_same_run_alone():
    rng = np.random.default_rng(7)
    values = _random_values(sdecon.load_scenario("baseline"), rng, runs=5, varied=30)
    batch = engine.run(values)
    alone = engine.run({k: v[3] for k, v in values.items()})
    for name, array in batch.values.items():
        np.testing.assert_array_equal(array[:, 3], alone.values[name][:, 0], err_msg=name)


def test_a_shorter_time_step_is_honoured_and_saves_the_same_years():
    coarse = engine.run(time_step=1 / 32)
    reference = model.simulate(time_step=1 / 32)
    np.testing.assert_allclose(coarse.frame().to_numpy(), reference.to_numpy(dtype=float), rtol=1e-9)
    assert list(coarse.years) == list(range(2015, 2051))


def test_constants_outside_the_time_loop_are_computed_once():
    program = engine.program()
    # No equation in the loop takes the logarithm of a constant such as LN(10).
    assert "np.log(10.0)" not in program.source.split("while True:")[1]
    # The stocks' flows need only a subset of the variables; the rest wait for saved rows.
    assert "Datacenter Capex" in {program.elements[k].name for k in program.per_save}


def test_bad_batches_are_refused_with_one_line():
    with pytest.raises(SdeconError, match=r"unknown model constant 'Hardware Growth'"):
        engine.run({"Hardware Growth": 0.3})
    with pytest.raises(SdeconError, match=r"different lengths \[2, 3\]"):
        engine.run({"Hardware Growth Rate": [0.3, 0.4], "Cost of Capital": [0.1, 0.1, 0.1]})
    with pytest.raises(SdeconError, match="does not reach the saving times"):
        engine.run(time_step=0.3)


def test_unsupported_vensim_functions_are_named():
    from pysd.translators.structures.abstract_expressions import CallStructure, ReferenceStructure
    call = CallStructure(ReferenceStructure("delay_fixed"), (1.0, 2.0, 3.0))
    with pytest.raises(SdeconError, match="does not support the Vensim function DELAY_FIXED"):
        engine._expression(call, {})


def test_only_the_variables_asked_for_are_kept():
    batch = engine.run({"Hardware Growth Rate": [0.3, 0.5]}, variables=["GDP", "Compute Spending"])
    assert set(batch.values) == {"GDP", "Compute Spending"}
    full = engine.run({"Hardware Growth Rate": [0.3, 0.5]})
    np.testing.assert_array_equal(batch.values["Compute Spending"], full.values["Compute Spending"])
    with pytest.raises(SdeconError, match="unknown model variable 'Compute Spend'"):
        engine.run(variables=["Compute Spend"])
