"""The batch engine against PySD: the same `.mdl`, the same numbers, many runs at once."""
import os
import shutil
import subprocess
import sys
import textwrap
import warnings
from pathlib import Path

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


def test_a_large_batch_split_over_threads_equals_each_run_alone():
    rng = np.random.default_rng(11)
    runs = 2 * engine.PARALLEL_RUNS + 3  # two threads on a 2-core machine
    values = _random_values(sdecon.load_scenario("baseline"), rng, runs=runs, varied=20)
    batch = engine.run(values, variables=sdecon.PUBLIC_VARIABLES)
    for run in (0, runs // 2, runs - 1):
        alone = engine.run({k: v[run] for k, v in values.items()}, variables=sdecon.PUBLIC_VARIABLES)
        for name, array in batch.values.items():
            np.testing.assert_array_equal(array[:, run], alone.values[name][:, 0], err_msg=name)


def test_constants_outside_the_time_loop_are_computed_once():
    program = engine.program()
    # No equation in the loop takes the logarithm of a constant such as LN(10).
    assert "np.log(10.0)" not in program.source.split("for step in range")[1]
    # The stocks' flows need only a subset of the variables; the rest wait for saved rows.
    kernel = program.kernel
    assert "Datacenter Capex" in {kernel.elements[k].name for k in kernel.per_save}


def test_bad_batches_are_refused_with_one_line():
    with pytest.raises(SdeconError, match=r"unknown model constant 'Hardware Growth'"):
        engine.run({"Hardware Growth": 0.3})
    with pytest.raises(SdeconError, match=r"different lengths \[2, 3\]"):
        engine.run({"Hardware Growth Rate": [0.3, 0.4], "Cost of Capital": [0.1, 0.1, 0.1]})
    with pytest.raises(SdeconError, match=r"time step 0.3 does not divide SAVEPER 1: PySD's rule "
                                          r"would save 12 of the 36 times from 2015 to 2050"):
        engine.run(time_step=0.3)
    with pytest.raises(SdeconError, match="FINAL TIME is a control variable: pass time_step= or final_time="):
        engine.run({"FINAL TIME": 2030})


def _model(tmp_path, equations: str, controls="INITIAL TIME = 0 ~~| FINAL TIME = 4 ~~| TIME STEP = 1 ~~|",
           name="model"):
    path = tmp_path / f"{name}.mdl"
    text = "{UTF-8}\n" + textwrap.dedent(equations) + "\n" + controls.replace("|", "|\n") + "\n"
    path.write_text(text)
    return path


def test_unsupported_vensim_functions_are_named_with_their_variable(tmp_path):
    path = _model(tmp_path, "Noise = RANDOM UNIFORM(0, 1, 3) ~~|")
    with pytest.raises(engine.Unsupported, match=r"^Noise: the batch engine does not support the "
                       r"Vensim function RANDOM UNIFORM; sdecon.run \(PySD\) can still run this model$"):
        engine.compile(path)


def test_a_macro_is_inlined_with_its_own_names(tmp_path):
    # Merged into the model, the macro's local `factor = 2` would replace the model's 5.
    path = _model(tmp_path, """
        :MACRO: DOUBLE(input)
        DOUBLE = input * factor ~~|
        factor = 2 ~~|
        :END OF MACRO:
        factor = 5 ~~|
        Result = DOUBLE(3) + DOUBLE(Time) ~~|
        Scaled = factor * Time ~~|
        """, "INITIAL TIME = 0 ~~| FINAL TIME = 4 ~~| TIME STEP = 1 ~~| SAVEPER = 1 ~~|")
    program = engine.compile(path)
    frame = program.run().frame()
    assert program.defaults["factor"] == 5
    np.testing.assert_array_equal(frame["Result"], 6 + 2 * frame.index.to_numpy())
    np.testing.assert_array_equal(frame["Scaled"], 5 * frame.index.to_numpy())
    reference = _pysd(path, tmp_path, program.variables)
    for name in program.variables:
        np.testing.assert_allclose(frame[name], reference[name].to_numpy(dtype=float), rtol=1e-9, err_msg=name)


CONSTRUCTS = Path(__file__).parent / "engine_models" / "constructs.mdl"


def _pysd(path, tmp_path, columns):
    (tmp_path / "pysd").mkdir(exist_ok=True)  # PySD writes its translation beside the copy
    copy = tmp_path / "pysd" / path.name
    shutil.copy(path, copy)
    with warnings.catch_warnings():  # PySD and pandas warn on import and run
        warnings.simplefilter("ignore")
        import pysd
        return pysd.read_vensim(str(copy)).run(return_columns=columns)


@pytest.mark.parametrize("backend", engine.BACKENDS)
def test_every_construct_equals_pysd(backend, tmp_path):
    """Delays, smooths, trend, forecast, sample, lookups, INITIAL and ACTIVE INITIAL, logicals
    on numbers, :NA:, -2^2 and the time functions, compiled (numba) and not (python)."""
    program = engine.compile(CONSTRUCTS, backend=backend)
    batch = program.run()
    reference = _pysd(CONSTRUCTS, tmp_path, program.variables)
    np.testing.assert_allclose(batch.years, reference.index.to_numpy(dtype=float), atol=1e-9)
    assert len(program.variables) == 27
    for name in program.variables:
        ours, theirs = batch.values[name][:, 0], reference[name].to_numpy(dtype=float)
        np.testing.assert_allclose(ours, theirs, rtol=1e-9, atol=0, equal_nan=True, err_msg=name)


def test_the_three_silent_wrong_numbers_are_right():
    program = engine.compile(CONSTRUCTS)
    frame = program.run().frame()
    assert (frame["Negative Square"] == -4).all()  # -2^2: the power binds before the sign
    # INITIAL inside an expression is computed once: the ratio starts at 1 and moves.
    assert frame["Ratio"].iloc[0] == 1 and abs(frame["Ratio"].iloc[-1] - 1) > 0.05
    # A flow of 0.1 x INITIAL(Stock) = 10 a month: the stock grows linearly from 50.
    np.testing.assert_allclose(frame["Fixed Growth Stock"], 50 + 10 * frame.index.to_numpy(), rtol=1e-12)
    assert frame["Seeded"].iloc[0] == 7  # ACTIVE INITIAL's initial value
    assert np.isnan(program.defaults["Missing"])  # :NA: is a constant, NaN as in PySD


def test_saveper_defaults_to_the_time_step_and_controls_may_be_expressions(tmp_path):
    path = _model(tmp_path, "Clock = Time * 2 ~~|", "INITIAL TIME = 1 ~~| FINAL TIME = 1 + 1 ~~| TIME STEP = 1/4 ~~|")
    batch = engine.compile(path).run()
    np.testing.assert_array_equal(batch.years, [1, 1.25, 1.5, 1.75, 2])
    np.testing.assert_array_equal(batch.values["Clock"][:, 0], 2 * batch.years)


def test_a_control_variable_that_moves_in_time_is_refused(tmp_path):
    path = _model(tmp_path, "Clock = Time ~~|",
                  "INITIAL TIME = 0 ~~| FINAL TIME = IF THEN ELSE(Clock > 2, Time, 10) ~~| TIME STEP = 1 ~~|")
    with pytest.raises(engine.Unsupported, match="FINAL TIME: the batch engine does not support a "
                                                 "control variable that depends on 'clock'"):
        engine.compile(path).run()


def test_the_compiled_kernel_is_cached_on_disk_for_the_next_process(tmp_path):
    env = {**os.environ, "SDECON_CACHE_DIR": str(tmp_path / "cache")}
    script = ("from sdecon import engine; p = engine.compile({path!r}); p.run(); "
              "print(len(p._module.kernel.stats.cache_hits))").format(path=str(CONSTRUCTS))
    first = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, check=True)
    second = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, check=True)
    assert (first.stdout.strip(), second.stdout.strip()) == ("0", "1")


def test_only_the_variables_asked_for_are_kept():
    batch = engine.run({"Hardware Growth Rate": [0.3, 0.5]}, variables=["GDP", "Compute Spending"])
    assert set(batch.values) == {"GDP", "Compute Spending"}
    full = engine.run({"Hardware Growth Rate": [0.3, 0.5]})
    np.testing.assert_array_equal(batch.values["Compute Spending"], full.values["Compute Spending"])
    with pytest.raises(SdeconError, match="unknown model variable 'Compute Spend'"):
        engine.run(variables=["Compute Spend"])


# Found by review: where PySD's own result depends on its evaluation order, the engine refuses.
ORDER_SENSITIVE = """
Stock = INTEG(1 + Time, 0) ~~|
Sampled = SAMPLE IF TRUE(Time > 1, Stock, 0) ~~|
Fixed = DELAY FIXED(Stock, 1, 0) ~~|
Input = 10 + Time ~~|
Delay Time Now = 2 + Time / 2 ~~|
Out = DELAY N(Input, Delay Time Now, 5, 3) ~~|
Acc = INTEG(Out, 0) ~~|
"""


def test_a_stateful_nested_in_a_sample_or_a_delay_is_refused(tmp_path):
    for equation, construct in [("SAMPLE IF TRUE(Time > 1, INTEG(1, 0), 0)", "SAMPLE IF TRUE"),
                                ("DELAY FIXED(DELAY1(Time, 1), 1, 0)", "DELAY FIXED"),
                                ("INTEG(DELAY N(Time, 2 + Time, 0, 3), 0)", "DELAY N")]:
        path = _model(tmp_path, f"Probe = {equation} ~~|")
        with pytest.raises(engine.Unsupported, match=rf"^Probe: the batch engine does not support {construct}"):
            engine.compile(path)


def test_order_sensitive_statefuls_run_only_when_every_step_is_saved(tmp_path):
    clock = "INITIAL TIME = 0 ~~| FINAL TIME = 4 ~~| TIME STEP = 0.25 ~~| SAVEPER = {} ~~|"
    every = _model(tmp_path, ORDER_SENSITIVE, clock.format(0.25), name="every")
    yearly = _model(tmp_path, ORDER_SENSITIVE, clock.format(1), name="yearly")
    program = engine.compile(every, backend="python")
    batch = program.run()
    reference = _pysd(every, tmp_path, program.variables)
    for name in program.variables:
        np.testing.assert_allclose(batch.values[name][:, 0], reference[name].to_numpy(dtype=float),
                                   rtol=1e-9, atol=0, err_msg=name)
    with pytest.raises(engine.Unsupported, match=r"^Fixed: .* when SAVEPER \(1\) differs from TIME STEP \(0.25\)"):
        engine.compile(yearly, backend="python").run()


def test_comparisons_are_numbers_and_a_bad_smooth_order_is_refused(tmp_path):
    path = _model(tmp_path, """
        C = 3 ~~|
        Stock = INTEG(1, 3) ~~|
        Sum = (C > 1) + (Stock > 2) ~~|
        Tr = TREND(Time > 1, 2, 0) ~~|
        Fc = FORECAST(Time >= 1, 2, 3) ~~|
        """, "INITIAL TIME = 0 ~~| FINAL TIME = 4 ~~| TIME STEP = 1 ~~| SAVEPER = 1 ~~|")
    program = engine.compile(path, backend="python")
    frame = program.run().frame()
    assert (frame["Sum"] == 2).all()  # 1 + 1, as Vensim counts: not a logical OR
    reference = _pysd(path, tmp_path, program.variables)
    for name in ("Tr", "Fc"):
        np.testing.assert_allclose(frame[name], reference[name].to_numpy(dtype=float), rtol=1e-9, err_msg=name)
    bad = _model(tmp_path, "Order = 0 ~~| Smoothed = SMOOTH N(Time, 2, 1, Order) ~~|", name="bad")
    with pytest.raises(SdeconError, match=r"^Smoothed: the order of SMOOTH N must be a whole number of at least 1$"):
        engine.compile(bad).run()


def test_control_variables_are_computed_in_the_order_they_use_each_other(tmp_path):
    path = _model(tmp_path, "Clock = Time ~~|", "INITIAL TIME = FINAL TIME - 2 ~~| FINAL TIME = 5 ~~| "
                                                "TIME STEP = SAVEPER / 2 ~~| SAVEPER = 1 ~~|")
    batch = engine.compile(path).run()
    np.testing.assert_array_equal(batch.years, [3, 4, 5])
