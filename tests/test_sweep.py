"""Sweeps: SALib sampling and indices (checked on Ishigami), streamed percentile bands, batches
written one by one, resume after a kill, faults (a killed parent, two writers, too little
memory, a full disk), and a Dask cluster giving the local results."""
import errno
import fcntl
import math
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from pictures import source_line_drawn
from SALib.analyze import rbd_fast as salib_rbd_fast
from SALib.test_functions import Ishigami

import sdecon
from sdecon import cli, data, engine, fit, sweeps
from sdecon.errors import SdeconError

# Three parameters, one of each kind of distribution: sobol N=16 gives 16 x 5 = 80 runs.
VARY = ["Max AI Capex Growth Rate=0.3:1.2", "Elasticity of Substitution=0.5:2:triangular",
        "Max Grid Growth Rate=0.1:0.4:normal"]  # assumptions about the future: no HistoryWarning
SETTINGS = ["--scenario", "baseline", "--method", "sobol", "--samples", "16", "--seed", "3",
            *[arg for item in VARY for arg in ("--vary", item)]]
SUMMARIES = ("summary_bands.csv", "indices.csv")


def _command(capsys, *argv):
    """`sdecon sweep ARGV` through the command line: its exit code and stderr."""
    code = cli.main(["sweep", *argv])
    return code, capsys.readouterr().err


def _refused(capsys, argv, message):
    """The command exits 2 with one line on stderr matching `message`."""
    code, err = _command(capsys, *argv)
    assert code == 2 and err.startswith("sdecon: error: ") and err.count("\n") == 1, err
    assert re.search(message, err), err


def _sweep(output, workers=None, **options):
    """The sweep of SETTINGS in batches of 20 runs, on `workers` local processes (default:
    every core) unless another executor is given."""
    options = {"seed": 3, "batch_size": 20, "figures": False, "progress": False, **options}
    with sweeps.LocalExecutor(workers) as local:
        options.setdefault("executor", local)
        return sdecon.sweep("baseline", method="sobol", samples=16, vary=VARY, output=output, **options)


def _same_files(a, b, names=SUMMARIES):
    for name in names:
        assert (a / name).read_bytes() == (b / name).read_bytes(), name


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    """The sweep every other one is compared with: local, two processes, with figures."""
    return _sweep(tmp_path_factory.mktemp("sweeps") / "reference", workers=2, figures=True)


# --------------------------------------------------------------------------------------
# Sampling and indices through the sweep's own functions, on a function with known answers
# --------------------------------------------------------------------------------------

ISHIGAMI = [sweeps.Uncertain(f"x{i}", -math.pi, math.pi) for i in range(1, 4)]
NAMES = [u.name for u in ISHIGAMI]


def _ishigami(method, samples, seed=1):
    unit = sweeps.unit_sample(method, 3, samples, seed)
    values = sweeps.transform(ISHIGAMI, unit)
    y = Ishigami.evaluate(np.column_stack([values[name] for name in NAMES]))
    return unit, y, sweeps.indices(method, NAMES, unit, {"ishigami": y}, seed)


def test_sobol_indices_of_ishigami_match_the_analytic_values():
    unit, y, table = _ishigami("sobol", 2**13)
    assert len(y) == 2**13 * 5  # Saltelli's scheme without second order: N (D + 2)
    # The analytic values (A = 7, B = 0.1) and the tolerance of SALib's own regression test.
    np.testing.assert_allclose(table["S1"], [0.3139, 0.4424, 0.0], atol=5e-2, rtol=1e-1)
    np.testing.assert_allclose(table["ST"], [0.5576, 0.4424, 0.2437], atol=5e-2, rtol=1e-1)
    assert (table["S1_conf"] > 0).all() and (table["ST_conf"] > 0).all()


@pytest.mark.parametrize("method", ["mc", "lhs"])
def test_rbd_fast_indices_of_ishigami_match_the_analytic_values_and_salib(method):
    unit, y, table = _ishigami(method, 8000)
    np.testing.assert_allclose(table["S1"], [0.3139, 0.4424, 0.0], atol=5e-2, rtol=1e-1)
    problem = {"num_vars": 3, "names": NAMES, "bounds": [[0.0, 1.0]] * 3}
    salib = salib_rbd_fast.analyze(problem, unit, y, M=sweeps.RBD_HARMONICS, seed=1)
    np.testing.assert_allclose(table["S1"], salib["S1"], rtol=0, atol=1e-12)
    np.testing.assert_allclose(table["S1_conf"], salib["S1_conf"], rtol=0.5)  # both bootstraps


def test_morris_elementary_effects_of_ishigami_are_exact_for_x2():
    unit, y, table = _ishigami("morris", 200)
    assert len(y) == 200 * 4
    # x2 moves two of four levels (-pi <-> pi/3 or -pi/3 <-> pi): |A sin^2| = 7 * 0.75 over 2/3.
    assert table.set_index("parameter").loc["x2", "mu_star"] == pytest.approx(7 * 0.75 / (2 / 3))
    assert set(table.columns) >= {"mu_star", "mu_star_conf", "sigma", "mu"}


@pytest.mark.parametrize("method, samples", [("sobol", 2**11), ("lhs", 4000)])
def test_indices_on_ln_output_of_an_exponential_are_the_shares_of_its_exponents_variance(method, samples):
    # Y = exp(a x1 + b x2), x uniform: ln Y is additive, so S1 = ST = a^2 / (a^2 + b^2), b^2 / (...), 0.
    a, b = 2.0, 1.0
    unit = sweeps.unit_sample(method, 3, samples, 2)
    y = np.exp(a * unit[:, 0] + b * unit[:, 1])
    table = sweeps.indices(method, NAMES, unit, {"y": y}, seed=2, log_outputs=True)
    expected = [a**2 / (a**2 + b**2), b**2 / (a**2 + b**2), 0.0]
    np.testing.assert_allclose(table["S1"], expected, atol=0.03)
    if method == "sobol":
        np.testing.assert_allclose(table["ST"], expected, atol=0.03)
    raw = sweeps.indices(method, NAMES, unit, {"y": y}, seed=2)  # on Y itself x1 and x2 interact
    assert raw["S1"].iloc[:2].sum() < 0.97 * table["S1"].iloc[:2].sum()


def test_indices_on_ln_output_refuse_a_value_at_or_below_zero_naming_output_and_run():
    unit = sweeps.unit_sample("lhs", 3, 50, 0)
    y = np.exp(unit[:, 0])
    y[[7, 9]] = [0.0, -2.5]
    with pytest.raises(SdeconError, match=r"^log_outputs: output 'GDP@2030' is 0 in run 7 \(2 runs at or "
                                          r"below 0\); expected positive values.*allowed: indices on the raw") as error:
        sweeps.indices("lhs", NAMES, unit, {"GDP@2030": y}, log_outputs=True)
    assert "\n" not in str(error.value)


def test_the_same_seed_gives_the_same_design_and_another_seed_does_not():
    for method, samples in (("mc", 50), ("lhs", 50), ("sobol", 16), ("morris", 4)):
        a, b = sweeps.unit_sample(method, 3, samples, 5), sweeps.unit_sample(method, 3, samples, 5)
        np.testing.assert_array_equal(a, b)
        assert not np.array_equal(a, sweeps.unit_sample(method, 3, samples, 6)), method
        assert a.shape == (sweeps.run_count(method, 3, samples), 3)
        assert a.min() >= 0 and a.max() <= 1


def test_distributions_read_low_high_as_documented():
    u = np.array([0.0, 0.5, 1.0])
    np.testing.assert_allclose(sweeps.Uncertain("a", 2, 4).ppf(u), [2, 3, 4])
    np.testing.assert_allclose(sweeps.Uncertain("a", 1, 100, "loguniform").ppf(u), [1, 10, 100])
    from scipy.stats import norm
    # Mean at the midpoint, sd a quarter of the range, so LOW:HIGH is the central 95%...
    normal = sweeps.Uncertain("a", 0.05, 0.2, "normal", lower=0.0, upper=0.25)
    assert normal.ppf(0.5) == pytest.approx(0.125)
    assert normal.ppf(norm.cdf(2)) == pytest.approx(0.2, rel=2e-3)  # truncation at 3.3 sd
    # ...truncated to the parameter's bounds.
    truncated = sweeps.Uncertain("a", 0.05, 0.2, "normal", lower=0.03, upper=0.25)
    np.testing.assert_allclose(truncated.ppf([0, 1]), [0.03, 0.25])
    # Triangular: the peak at the scenario's value when it lies inside LOW:HIGH.
    inside = sweeps.parse_vary("Elasticity of Substitution=0.5:2:triangular", {"Elasticity of Substitution": 0.8})
    assert inside.mode == 0.8
    outside = sweeps.parse_vary("Elasticity of Substitution=0.5:1:triangular", {"Elasticity of Substitution": 1.3})
    assert outside.mode == 0.75
    draws = inside.ppf(np.linspace(0, 1, 100_001))
    histogram, edges = np.histogram(draws, bins=30)
    assert abs(edges[histogram.argmax()] - 0.8) < 0.06


def test_the_default_set_varies_the_future_and_keeps_the_history(tmp_path):
    chosen = {u.name: u for u in sweeps.default_uncertainty()}
    free = {p.name: p for p in sdecon.parameters().values() if not p.fixed}
    # The assumptions about the future the issue names, and none the history fitted.
    for name in ("Elasticity of Substitution", "Remaining Waste at Base Year", "Efficiency Shock Multiplier",
                 "Adoption Event 1 Multiplier", "Max AI Capex Growth Rate", "Datacenter Grid Power Ceiling",
                 "Policy Research Funding Effect"):
        assert name in chosen, name
    assert not set(chosen) & set(fit.DEFAULT_PARAMETERS)
    assert "Hardware Growth Rate" not in chosen and "Waste Ceiling Switch" not in chosen
    for name, u in chosen.items():
        p = free[name]
        assert (u.low, u.high) == (p.lower, p.upper)
        assert u.distribution == ("loguniform" if p.lower > 0 and p.upper / p.lower > 100 else "uniform"), name
        assert sweeps.history_effect(name) <= sweeps.HISTORY_TOLERANCE
    assert sweeps.history_effect("Hardware Growth Rate") > 0.1  # it moves the history by >10%
    # Every run of a default design reproduces what the data are compared with, before 2025.
    base = sdecon.load_scenario("baseline").values
    observed = sorted(set(data.mapping()["variable"])) + ["Compute Spending Share of GDP"]
    design = sweeps.sample("lhs", list(chosen.values()), 64, seed=2)
    runs = engine.run({**base, **design}, final_time=2025, variables=observed)
    baseline = engine.run(base, final_time=2025, variables=observed)
    before = runs.years < 2025
    for name in observed:
        moved = np.abs(np.log(runs.values[name][before] / baseline.values[name][before]))
        assert np.nanmax(moved) < 10 * sweeps.HISTORY_TOLERANCE, name
    # Varying a parameter the history fitted says so.
    with pytest.warns(sweeps.HistoryWarning, match="^Hardware Growth Rate changes the model before the base year"):
        sdecon.sweep("baseline", method="mc", samples=32, vary=["Hardware Growth Rate=0.2:0.6"],
                     output=tmp_path / "s", figures=False, progress=False, executor=sweeps.LocalExecutor(1))


def test_the_box_of_the_reality_checks_leaves_out_policies_events_and_switches():
    chosen = {u.name: u for u in sweeps.box_uncertainty()}
    free = {p.name: p for p in sdecon.parameters().values() if not p.fixed}
    left_out = set(free) - set(chosen)
    assert left_out and all(name.startswith(("Policy ", "Adoption Event ", "Efficiency Shock "))
                            or name == "Waste Ceiling Switch" for name in left_out)
    assert "Hardware Growth Rate" in chosen and "Base Year" not in chosen
    assert chosen["Remaining Waste at Base Year"].distribution == "loguniform"


# --------------------------------------------------------------------------------------
# Bad input: one line naming the value, what was expected and what is allowed
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize("item, message", [
    ("Hardware Growth Rate", r"is not of the form \"Name=LOW:HIGH\[:uniform\|loguniform"),
    ("Hardware Growth Rate=0.1", r"is not of the form"),
    ("Hardware Growth=0.1:0.5", r"unknown parameter 'Hardware Growth' \(did you mean 'Hardware Growth Rate'"),
    ("Hardware Growth Rate=0.1:7", r"HIGH: Hardware Growth Rate = 7 is out of bounds; allowed: \[0, 1\] 1/Year"),
    ("Hardware Growth Rate=-1:0.5", r"LOW: Hardware Growth Rate = -1 is out of bounds"),
    ("Hardware Growth Rate=abc:0.5", r"'abc' is not a number; expected a number in \[0, 1\]"),
    ("Hardware Growth Rate=0.5:0.1", r"LOW 0.5 must be below HIGH 0.1"),
    ("Hardware Growth Rate=0.1:0.5:logunif", r"unknown distribution 'logunif' \(did you mean 'loguniform'.*\); "
                                             r"allowed: uniform, loguniform, normal, triangular"),
    ("Hardware Growth Rate=0:0.5:loguniform", r"loguniform needs LOW > 0, got 0"),
    ("Base Year=2020:2030", r"Base Year is fixed at 2025 Year; it cannot be varied"),
])
def test_bad_vary_is_refused_with_one_line(item, message):
    with pytest.raises(SdeconError, match=message) as error:
        sweeps.parse_vary(item)
    assert "\n" not in str(error.value)


@pytest.mark.parametrize("argv, message", [
    (["--method", "sobol", "--samples", "1000"], r"--samples 1000 for sobol must be a power of 2.*try 512 or 1024"),
    (["--method", "mc", "--samples", "10"], r"--samples 10 is too few for mc"),
    (["--method", "fast", "--samples", "10"], r"argument --method: invalid choice: 'fast'"),
    (["--method", "mc", "--samples", "ten"], r"argument --samples: invalid int value: 'ten'"),
    (["--method", "mc", "--samples", "1.5"], r"argument --samples: invalid int value: '1.5'; expected a whole "
                                             r"number such as 1024 or 1e6"),
    (["--method", "sobol", "--samples", "1e3"], r"--samples 1000 for sobol must be a power of 2"),
    (["--method", "mc", "--samples", "64", "--workers", "0"], r"--workers 0 must be a whole number of at least 1"),
    (["--method", "mc", "--samples", "64", "--year", "2051"], r"--year 2051 is not a saved year.*2015 to 2050"),
    (["--method", "mc", "--samples", "64", "--batch-size", "0"], r"--batch-size 0 must be a whole number of at least 1"),
    (["--method", "mc", "--samples", "64", "--seed", "-1"], r"--seed -1 must be a whole number from 0"),
    (["--method", "mc", "--samples", "64", "--vary", "Cost of Capital=0.05:0.1",
      "--vary", "Cost of Capital=0.1:0.2"], r"names 'Cost of Capital' twice"),
    (["--method", "mc", "--samples", "64", "--workers", "2", "--cluster", "tcp://127.0.0.1:8786"],
     r"--workers is for local runs"),
    (["--method", "mc", "--samples", "64", "--cluster", "tcp://127.0.0.1"],
     r"--cluster 'tcp://127.0.0.1' is not a scheduler address \(missing port number"),
    (["--method", "mc", "--samples", "64", "--scenario", "jevon"], r"unknown scenario 'jevon' \(did you mean 'jevons'"),
])
def test_bad_arguments_are_refused_with_one_line_before_any_work(tmp_path, capsys, argv, message):
    _refused(capsys, [*argv, "--output", str(tmp_path / "out")], message)
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("options, message", [
    ({"method": "sobol", "samples": 1000}, r"^samples 1000 for sobol must be a power of 2.*try 512 or 1024"),
    ({"method": "mc", "samples": 10}, r"^samples 10 is too few for mc"),
    ({"method": "mc", "samples": 1e3}, r"^samples 1000.0 must be a whole number of at least 2$"),
    ({"method": "fast", "samples": 64}, r"^method 'fast' is unknown; allowed: mc, lhs, sobol, morris$"),
    ({"method": "mc", "samples": 64, "years": [2051]}, r"^years 2051 is not a saved year.*2015 to 2050$"),
    ({"method": "mc", "samples": 64, "years": []}, r"^years: give at least one year for the indices$"),
    ({"method": "mc", "samples": 64, "batch_size": 0}, r"^batch_size 0 must be a whole number of at least 1$"),
    ({"method": "mc", "samples": 64, "seed": -1}, r"^seed -1 must be a whole number from 0"),
    ({"method": "mc", "samples": 64, "vary": ["Cost of Capital=0.05:0.1", "Cost of Capital=0.1:0.2"]},
     r"^vary names 'Cost of Capital' twice; give each parameter once$"),
    ({"method": "mc", "samples": 64, "vary": ["Hardware Growth=0.1:0.5"]},
     r"^vary: unknown parameter 'Hardware Growth' \(did you mean 'Hardware Growth Rate'"),
    ({"method": "mc", "samples": 64, "vary": ["Hardware Growth Rate=0.1:7"]},
     r"^vary 'Hardware Growth Rate=0.1:7': HIGH: Hardware Growth Rate = 7 is out of bounds"),
    ({"method": "mc", "samples": 64, "log_outputs": "yes"},
     r"^log_outputs 'yes' is not a bool; expected True \(indices on ln\(output\)\) or False"),
    ({"method": "mc", "samples": 64, "executor": "tcp://127.0.0.1:8786"},
     r"^executor 'tcp://127.0.0.1:8786' has no map\(fn, iterable\); expected a LocalExecutor, a DaskExecutor"),
])
def test_bad_python_arguments_are_refused_naming_the_argument(tmp_path, options, message):
    with pytest.raises(SdeconError, match=message) as error:
        sdecon.sweep("baseline", output=tmp_path / "out", **options)
    assert error.value.argument == message[1:].split(" ")[0].rstrip(":")
    assert "\n" not in str(error.value) and not (tmp_path / "out").exists()


@pytest.mark.parametrize("make, message", [
    (lambda: sweeps.LocalExecutor(0), r"^workers 0 must be a whole number of at least 1$"),
    (lambda: sweeps.DaskExecutor("tcp://127.0.0.1"),
     r"^cluster 'tcp://127.0.0.1' is not a scheduler address \(missing port number"),
])
def test_bad_executor_arguments_are_refused_naming_the_argument(make, message):
    with pytest.raises(SdeconError, match=message) as error:
        make()
    assert error.value.argument == message[1:].split(" ")[0]


def test_output_is_required_and_an_existing_sweep_is_not_overwritten(tmp_path, capsys, reference):
    _refused(capsys, ["--method", "mc", "--samples", "64"], "the following arguments are required: --output")
    (tmp_path / "notes.txt").write_text("mine")
    _refused(capsys, ["--method", "mc", "--samples", "64", "--output", str(tmp_path)],
             r"is not empty; expected an empty or new directory")
    _refused(capsys, ["--method", "mc", "--samples", "64", "--output", str(tmp_path), "--resume"],
             r"holds no sweep \(manifest.json is missing\)")
    with pytest.raises(SdeconError, match=r"^output '.*' is not empty; expected an empty or new directory "
                                          r"\(it holds a sweep: add resume=True, or --resume, to finish it\)$"):
        _sweep(reference.directory)
    # Resuming with other settings would mix two sweeps: refused, naming what differs.
    with pytest.raises(SdeconError, match=r"^resume: '.*' holds a different sweep \(seed: 3 there, 4 here\)"):
        _sweep(reference.directory, seed=4, resume=True)
    assert (tmp_path / "notes.txt").read_text() == "mine"


# --------------------------------------------------------------------------------------
# Streaming percentiles
# --------------------------------------------------------------------------------------


def _assert_within_resolution(estimate, exact, lower, upper):
    """Within RELATIVE_ACCURACY of the magnitudes of the two order statistics numpy
    interpolates between (of the value itself when both have its sign)."""
    slack = sweeps.RELATIVE_ACCURACY * np.maximum(np.abs(lower), np.abs(upper)) * (1 + 1e-9) + 1e-300
    assert np.all(np.abs(estimate - exact) <= slack), np.max(np.abs(estimate - exact) / slack)


def test_sketch_percentiles_agree_with_numpy_within_the_resolution():
    rng = np.random.default_rng(11)
    years = (2020, 2021)
    batches = [{"a": rng.lognormal(0, 5, size=(2, n)), "b": rng.normal(0, 1e3, size=(2, n))}
               for n in (1, 7, 500, 3000)]
    batches[2]["b"][:, :50] = 0.0            # zeros are counted exactly
    batches[3]["a"][0, :10] = np.nan         # NaN is not counted
    sketch = sweeps.Sketch.of(("a", "b"), years, batches[0]).merge(
        *(sweeps.Sketch.of(("a", "b"), years, batch) for batch in batches[1:]))
    assert sketch.runs().tolist() == [[3498, 3508], [3508, 3508]]
    q = np.array([0, 1, 5, 25, 50, 75, 95, 99, 100])
    estimate = sketch.percentiles(q)
    for i, name in enumerate(("a", "b")):
        for j in range(2):
            values = np.concatenate([batch[name][j] for batch in batches])
            values = np.sort(values[~np.isnan(values)])
            rank = q / 100 * (len(values) - 1)
            exact = np.percentile(values, q)
            _assert_within_resolution(estimate[i, j], exact, values[np.floor(rank).astype(int)],
                                      values[np.ceil(rank).astype(int)])
    # Merging in any order gives the same counts.
    parts = [sweeps.Sketch.of(("a", "b"), years, batch) for batch in batches]
    other = parts[3].merge(parts[1]).merge(parts[0], parts[2])
    np.testing.assert_array_equal(other.ids, sketch.ids)
    np.testing.assert_array_equal(other.counts, sketch.counts)


def test_the_merged_sketch_does_not_grow_with_the_number_of_runs():
    rng = np.random.default_rng(2)
    variables, years = ("x", "y"), (2030, 2040, 2050)

    def batch():
        return {v: rng.uniform(1, 10, size=(3, 10_000)) for v in variables}

    merged = sweeps.Sketch.of(variables, years, batch())
    sizes = {}
    for count in range(2, 201):
        merged = merged.merge(sweeps.Sketch.of(variables, years, batch()))
        if count in (20, 200):
            sizes[count] = merged.nbytes
    assert merged.runs().min() == 2_000_000
    # Values in [1, 10] fill at most log(10)/log(GAMMA) + 1 bins per (variable, year).
    bound = (math.log(10) / math.log(sweeps.GAMMA) + 2) * len(variables) * len(years) * 16
    assert sizes[20] == sizes[200] <= bound


def test_bands_of_a_sweep_agree_with_numpy_on_the_same_runs(reference):
    runs = reference.runs()
    names = [item["name"] for item in reference.manifest["vary"]]
    values = {**sdecon.load_scenario("baseline").values, **{name: runs[name].to_numpy() for name in names}}
    batch = engine.run(values, variables=sdecon.PUBLIC_VARIABLES)
    bands = reference.bands.set_index(["variable", "year"])
    q = sweeps.PERCENTILES
    for variable, values in batch.values.items():
        ordered = np.sort(values, axis=1)
        rank = np.array(q) / 100 * (ordered.shape[1] - 1)
        exact = np.percentile(values, q, axis=1).T
        estimate = bands.loc[variable, [f"p{p}" for p in q]].to_numpy()
        _assert_within_resolution(estimate, exact, ordered[:, np.floor(rank).astype(int)],
                                  ordered[:, np.ceil(rank).astype(int)])
        assert (bands.loc[variable, "runs"] == 80).all()
    # Every index output is the variable in its year.
    year = list(batch.years).index(2040)
    np.testing.assert_array_equal(runs["GDP@2040"], batch.values["GDP"][year])


# --------------------------------------------------------------------------------------
# The sweep's files
# --------------------------------------------------------------------------------------


def test_a_sweep_writes_its_documented_files(reference):
    d = reference.directory
    assert reference.manifest["runs"] == 80 and reference.manifest["batches"] == 4
    assert sorted(os.listdir(d / "runs")) == [f"batch-{i:05d}.parquet" for i in range(4)]
    assert sorted(os.listdir(d / "sketches")) == [f"batch-{i:05d}.parquet" for i in range(4)]
    assert not [p for p in d.rglob(".*")]  # no temporary file left
    bands = pd.read_csv(d / "summary_bands.csv")
    assert list(bands.columns) == ["variable", "unit", "year", "runs", "p5", "p10", "p25", "p50",
                                   "p75", "p90", "p95"]
    assert set(bands["variable"]) == set(sdecon.PUBLIC_VARIABLES)
    assert bands["year"].min() == 2015 and bands["year"].max() == 2050
    assert bands.set_index("variable").loc["GDP", "unit"].iloc[0] == "BUSD/Year"
    assert (bands[["p5", "p25", "p50", "p75", "p95"]].diff(axis=1).iloc[:, 1:] >= 0).all().all()
    table = pd.read_csv(d / "indices.csv")
    assert list(table.columns) == ["output", "variable", "year", "unit", "parameter", "S1", "S1_conf",
                                   "ST", "ST_conf", "converged"]
    assert len(table) == len(sdecon.PUBLIC_VARIABLES) * 3 * 3
    # 2030: by 2050 the grid ceiling, not sigma, sets the share (docs/model.md).
    share = table[(table["output"] == "Compute Spending Share of GDP@2030")].set_index("parameter")
    assert share["ST"].idxmax() == "Elasticity of Substitution"
    runs = reference.runs()
    assert list(runs["run"]) == list(range(80))
    assert list(runs.columns[1:4]) == ["Max AI Capex Growth Rate", "Elasticity of Substitution",
                                       "Max Grid Growth Rate"]
    assert runs["Max Grid Growth Rate"].between(0.05, 1).all()  # the normal, truncated to the bounds
    pngs = {p.name for p in reference.figures}
    assert "tornado.png" in pngs and "fan-compute-spending-share-of-gdp.png" in pngs
    assert len(pngs) == len(sdecon.PUBLIC_VARIABLES) + 1
    assert all(p.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and source_line_drawn(p, 110) for p in reference.figures)
    again = sdecon.load_sweep(d)  # the old name, which sdecon.report uses
    pd.testing.assert_frame_equal(again.bands, reference.bands)
    pd.testing.assert_frame_equal(again.indices, reference.indices)


def test_a_saved_sweep_loads_back_equal_to_what_sweep_returned(reference):
    again = sdecon.load_sweep(reference.directory)
    assert isinstance(again, sdecon.SweepResult) and again.directory == reference.directory
    assert again.manifest == reference.manifest
    pd.testing.assert_frame_equal(again.bands, reference.bands, check_exact=True)
    pd.testing.assert_frame_equal(again.indices, reference.indices, check_exact=True)
    pd.testing.assert_frame_equal(again.runs(), reference.runs(), check_exact=True)
    columns = ["Max Grid Growth Rate", "GDP@2050"]
    pd.testing.assert_frame_equal(again.runs(columns), reference.runs()[["run", *columns]])
    assert again.figures == reference.figures and len(again.figures) == len(sdecon.PUBLIC_VARIABLES) + 1


def test_the_same_seed_gives_the_same_files_in_one_process_or_several(tmp_path, reference):
    alone = _sweep(tmp_path / "alone", workers=1)
    _same_files(alone.directory, reference.directory,
                [*SUMMARIES, "manifest.json", "summary_bands.parquet", "indices.parquet",
                 *(f"runs/batch-{i:05d}.parquet" for i in range(4)),
                 *(f"sketches/batch-{i:05d}.parquet" for i in range(4))])
    other = _sweep(tmp_path / "other", seed=4, workers=1)
    assert (other.directory / "indices.csv").read_bytes() != (alone.directory / "indices.csv").read_bytes()


def test_any_pool_with_map_runs_a_sweep(tmp_path, reference):
    from concurrent.futures import ThreadPoolExecutor
    with ThreadPoolExecutor(2) as pool:
        result = _sweep(tmp_path / "threads", executor=pool)
    assert result.computed == 4
    _same_files(result.directory, reference.directory,
                [*SUMMARIES, *(f"runs/batch-{i:05d}.parquet" for i in range(4))])


def test_an_index_outside_the_unit_interval_or_with_a_wide_interval_is_not_converged():
    table = pd.DataFrame({"S1": [0.3, 0.3, 1.2, np.nan, 0.3], "S1_conf": [0.05, 0.3, 0.05, np.nan, 0.05],
                          "ST": [0.5, 0.5, 0.5, np.nan, 7.0], "ST_conf": [0.05, 0.05, 0.05, np.nan, 0.05]})
    assert sweeps.converged("sobol", table).tolist() == [True, False, False, True, False]
    assert sweeps.converged("lhs", table).tolist() == [True, False, False, True, True]
    morris = pd.DataFrame({"mu_star": [2.0, 2.0, 0.0], "mu_star_conf": [0.5, 1.5, 0.0]})
    assert sweeps.converged("morris", morris).tolist() == [True, False, True]


def test_the_tornado_hatches_the_indices_that_are_not_converged():
    from sdecon import plotting
    rows = pd.DataFrame({"variable": "GDP", "year": 2030, "parameter": ["a", "b"], "S1": [0.4, 0.2],
                         "S1_conf": [0.02, 0.4], "converged": [True, False]})
    ax = plotting.plot_tornado(rows, "lhs", "GDP")
    hatched = [bar.get_hatch() for bar in ax.patches if bar.get_width() > 0]
    assert sorted(hatched, key=str) == ["///", None]
    assert "not converged: raise --samples" in [t.get_text() for t in ax.get_legend().get_texts()]
    plotting.plt.close("all")


@pytest.mark.parametrize("method, column, label", [
    ("lhs", "S1", "first-order index S1, RBD-FAST on ln(output) (fraction of variance)"),
    ("morris", "mu_star", "mu*, mean absolute elementary effect on ln(output) (change in ln(output))")])
def test_the_tornado_of_indices_on_ln_output_says_so(method, column, label):
    from sdecon import plotting
    rows = pd.DataFrame({"variable": "GDP", "year": 2030, "parameter": ["a"], column: [0.4],
                         f"{column}_conf": [0.02]})
    ax = plotting.plot_tornado(rows, method, "GDP", log_outputs=True)
    assert (ax.get_title(), ax.get_xlabel()) == ("Sensitivity of ln(GDP)", label)
    ax = plotting.plot_tornado(rows, method, "GDP")
    assert ax.get_title() == "Sensitivity of GDP" and "ln" not in ax.get_xlabel()
    plotting.plt.close("all")


def test_the_default_set_is_swept_when_nothing_is_named(tmp_path, capsys):
    code, err = _command(capsys, "--method", "mc", "--samples", "64", "--no-figures", "--year", "2050",
                         "--output", str(tmp_path / "s"))
    assert code == 0, err
    assert "sweep: 64 runs (mc" in err and "wrote" in err and "(computed 1 batch)" in err
    result = sdecon.load_sweep(tmp_path / "s")
    assert result.manifest["default_set"] is True
    assert [v["name"] for v in result.manifest["vary"]] == [u.name for u in sweeps.default_uncertainty()]
    assert list(result.indices.columns[-3:]) == ["S1", "S1_conf", "converged"]
    assert set(result.indices["year"]) == {2050}


@pytest.mark.parametrize("method, samples, runs, columns", [
    ("lhs", 32, 32, ["S1", "S1_conf", "converged"]),
    ("morris", 4, 16, ["mu_star", "mu_star_conf", "sigma", "mu", "converged"]),
])
def test_every_method_runs_the_model_end_to_end(tmp_path, method, samples, runs, columns):
    result = sdecon.sweep("jevons", method=method, samples=samples, vary=VARY, output=tmp_path / method,
                         figures=False, progress=False, years=[2040])
    assert result.manifest["runs"] == runs and result.manifest["scenario"] == "jevons"
    assert list(result.indices.columns[5:]) == columns
    assert len(result.indices) == len(sdecon.PUBLIC_VARIABLES) * 3
    assert (result.bands["runs"] == runs).all()


def test_an_unfinished_sweep_is_not_loaded(tmp_path, reference):
    import shutil
    shutil.copytree(reference.directory, tmp_path / "s")
    (tmp_path / "s" / "indices.parquet").unlink()
    with pytest.raises(SdeconError, match=r"is not finished \(4 of 4 batches on disk\).*--resume"):
        sdecon.load_sweep(tmp_path / "s")


def test_log_outputs_is_saved_and_a_resume_that_changes_it_recomputes_only_the_indices(tmp_path, reference,
                                                                                        capsys):
    import shutil
    output = tmp_path / "s"
    shutil.copytree(reference.directory, output)
    code, err = _command(capsys, *SETTINGS, "--batch-size", "20", "--no-figures", "--log-outputs",
                         "--resume", "--output", str(output))
    assert code == 0 and "(computed 0 batches, 4 on disk); summary_bands.csv, indices.csv (on ln(output))" in err, err
    logged = sdecon.load_sweep(output)
    assert logged.log_outputs and logged.manifest == {**reference.manifest, "log_outputs": True}
    assert not (output / "figures" / "tornado.png").exists()  # drawn on the outputs: gone, not stale
    assert not reference.log_outputs and reference.manifest["log_outputs"] is False
    runs = reference.runs()
    names = [u.name for u in sweeps._uncertainty(VARY, sdecon.scenarios.load("baseline"))]
    unit = sweeps.unit_sample("sobol", len(names), 16, 3)
    outputs = [c for c in reference.indices["output"].unique()]
    expected = sweeps.indices("sobol", names, unit, {o: np.log(runs[o].to_numpy()) for o in outputs}, 3)
    columns = ["output", "parameter", "S1", "S1_conf", "ST", "ST_conf", "converged"]
    pd.testing.assert_frame_equal(logged.indices[columns], expected[columns])
    pd.testing.assert_frame_equal(logged.bands, reference.bands)   # bands stay in the outputs' units
    # The same batches serve both: resumed back without it, the reference's files again.
    again = _sweep(output, resume=True)
    assert again.computed == 0 and not again.log_outputs
    _same_files(output, reference.directory, [*SUMMARIES, "manifest.json", "indices.parquet"])


def test_a_killed_sweep_resumes_without_recomputing_its_finished_batches(tmp_path, reference, capsys):
    output = tmp_path / "killed"
    # Smaller batches than the reference (8 of 10 runs), one process: batches end one by one.
    argv = ["sweep", *SETTINGS, "--batch-size", "10", "--workers", "1", "--no-figures", "--output", str(output)]
    child = subprocess.Popen([sys.executable, "-m", "sdecon.cli", *argv], stdout=subprocess.DEVNULL,
                             stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 60
        while not list((output / "runs").glob("batch-*.parquet")):
            assert child.poll() is None, "the sweep ended before it could be killed"
            assert time.monotonic() < deadline, "no batch written within 60 s"
            time.sleep(0.02)
        child.send_signal(signal.SIGKILL)
    finally:
        child.kill()
        child.wait()
    finished = {p.name: p.stat() for p in (output / "runs").glob("batch-*.parquet")}
    assert 1 <= len(finished) < 8
    with pytest.raises(SdeconError, match="is not finished"):
        sdecon.load_sweep(output)

    code, err = _command(capsys, *SETTINGS, "--batch-size", "10", "--workers", "1", "--no-figures",
                         "--resume", "--output", str(output))
    assert code == 0, err
    assert f"{len(finished)} already on disk" in err
    left = 8 - len(finished)
    assert f"(computed {left} batch{'es' if left > 1 else ''}, {len(finished)} on disk)" in err
    for name, before in finished.items():  # the same files, untouched
        after = (output / "runs" / name).stat()
        assert (after.st_ino, after.st_mtime_ns) == (before.st_ino, before.st_mtime_ns)
    assert not [p for p in output.rglob(".*")]
    # The results equal the uninterrupted sweep's (whose batches were twice as large).
    _same_files(output, reference.directory)
    pd.testing.assert_frame_equal(sdecon.load_sweep(output).runs(), reference.runs())


# --------------------------------------------------------------------------------------
# Faults: a killed parent, two writers, too little memory, a full disk, stale temporaries
# --------------------------------------------------------------------------------------


def _state(pid):
    """The process's state letter from /proc (R, S, Z, ...), or None when it is gone."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return None


def _children(pid):
    """Living processes whose parent is `pid`, from /proc/*/stat."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            state, ppid = stat.read_text().rsplit(")", 1)[1].split()[:2]
        except (OSError, IndexError, ValueError):
            continue
        if int(ppid) == pid and state not in "ZX":
            found.append(int(stat.parent.name))
    return found


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_local_workers_die_with_their_parent_even_by_sigkill(tmp_path):
    argv = ["sweep", "--method", "mc", "--samples", "4000", "--batch-size", "250", "--workers", "2",
            "--no-figures", "--output", str(tmp_path / "s")]
    parent = subprocess.Popen([sys.executable, "-m", "sdecon.cli", *argv], stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL)
    workers = []
    try:
        deadline = time.monotonic() + 120
        while len(workers) < 2:
            assert parent.poll() is None, "the sweep ended before its workers were seen"
            assert time.monotonic() < deadline, "no two workers within 120 s"
            time.sleep(0.05)
            workers = _children(parent.pid)
        parent.send_signal(signal.SIGKILL)
        parent.wait()
        deadline = time.monotonic() + 5
        while (alive := [pid for pid in workers if _state(pid) not in (None, "Z", "X")]) \
                and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not alive, f"workers {alive} outlived their parent by 5 s"
    finally:
        parent.kill()
        parent.wait()
        for pid in workers:  # only if the assertion failed: leave no orphan behind
            if _state(pid) not in (None, "Z", "X"):
                os.kill(pid, signal.SIGKILL)


def test_a_sweep_directory_is_locked_while_a_sweep_writes_it(tmp_path, capsys, reference):
    out = tmp_path / "s"
    out.mkdir()
    with open(out / "sweep.lock", "w") as held:  # another sweep writing `out`
        fcntl.flock(held, fcntl.LOCK_EX)
        message = (f"output {str(out)!r} is being written by another sweep (it holds sweep.lock); "
                   "wait for that one to end, or choose another output")
        with pytest.raises(SdeconError, match=f"^{re.escape(message)}$") as error:
            _sweep(out)
        assert error.value.argument == "output"
        _refused(capsys, [*SETTINGS, "--output", str(out)], f"^sdecon: error: --{re.escape(message)}$")
    assert os.listdir(out) == ["sweep.lock"]  # nothing written
    # Held for the whole sweep, released at its end though its forked workers live on.
    with sweeps.LocalExecutor(2) as executor:
        result = _sweep(out, executor=executor)
        with open(out / "sweep.lock") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
    _same_files(result.directory, reference.directory)


def test_a_design_larger_than_the_memory_is_refused_before_any_work(tmp_path, capsys):
    expected = (r"samples 1,000,000,000 needs about [\d,]+ GiB for the mc design over 37 parameters; this "
                r"machine has [\d.,]+ GiB available; lower samples or vary fewer parameters$")
    with pytest.raises(SdeconError, match="^" + expected) as error:
        sdecon.sweep(method="mc", samples=10**9, output=tmp_path / "a")
    assert error.value.argument == "samples"
    size = float(re.search(r"about ([\d,]+) GiB", str(error.value))[1].replace(",", ""))
    design = 10**9 * len(sweeps.default_uncertainty()) * 8 / 2**30   # runs x 37 parameters x 8 bytes
    assert design < size < 1.3 * design  # the design, and the analysis
    # "1e9" on the command line is 10**9, refused the same way (it was a traceback).
    _refused(capsys, ["--method", "mc", "--samples", "1e9", "--output", str(tmp_path / "b")],
             "^sdecon: error: --" + expected)
    # One parameter: morris's bootstrap of N trajectories is what does not fit.
    _refused(capsys, ["--method", "morris", "--samples", "1e8", "--vary", VARY[0], "--output", str(tmp_path / "c")],
             r"^sdecon: error: --samples 100,000,000 needs about [\d,]+ GiB for the morris design over 1 "
             r"parameter; this machine has [\d.,]+ GiB available; lower samples$")
    assert not any(tmp_path.iterdir())


def test_a_full_disk_leaves_a_directory_that_runs_again_or_resumes(tmp_path, monkeypatch, reference):
    def full(*args, **kwargs):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    # Full before the manifest: the folders left count as empty, for a new sweep or a resume.
    for resume in (False, True):
        out = tmp_path / f"early-{resume}"
        with monkeypatch.context() as patch:
            patch.setattr(Path, "write_text", full)
            with pytest.raises(SdeconError, match=r"cannot write '.*manifest.json': No space left on device$"):
                _sweep(out, workers=1)
        assert sorted(p.name for p in out.iterdir()) == ["runs", "sketches", "sweep.lock"]
        assert _sweep(out, workers=1, resume=resume).computed == 4
        _same_files(out, reference.directory)
    # Full after the first batch: the manifest is there, the sweep resumes.
    import pyarrow.parquet as pq
    write_table, calls = pq.write_table, []

    def fills_up(*args, **kwargs):
        calls.append(1)
        return write_table(*args, **kwargs) if len(calls) <= 2 else full()  # batch 0: sketch, runs

    out = tmp_path / "late"
    with monkeypatch.context() as patch:
        patch.setattr(pq, "write_table", fills_up)
        with pytest.raises(SdeconError, match=r"cannot write '.*batch-00001.parquet': No space left on device$"):
            _sweep(out, workers=1)
    assert os.listdir(out / "runs") == ["batch-00000.parquet"]
    with pytest.raises(SdeconError, match=r"it holds a sweep: add resume=True, or --resume, to finish it"):
        _sweep(out, workers=1)
    result = _sweep(out, workers=1, resume=True)
    assert (result.computed, result.skipped) == (3, 1)
    _same_files(out, reference.directory)


def test_stale_temporaries_are_removed_on_the_next_run_or_resume(tmp_path, reference):
    import shutil
    # A sweep killed while writing its manifest, then one killed while writing batch 2 (the
    # temporaries as sdecon.output.write_all names them).
    early = tmp_path / "early"
    (early / "runs").mkdir(parents=True)
    (early / ".manifest.json.sdecon-12345-k3x_9qa1.json").write_text("{")
    (early / "runs" / ".batch-00000.parquet.sdecon-12345-0a1b2c3d.parquet").write_bytes(b"PAR1")
    late = tmp_path / "late"
    shutil.copytree(reference.directory, late)
    for name in ("summary_bands.parquet", "indices.parquet", "runs/batch-00002.parquet"):
        (late / name).unlink()
    (late / "runs" / ".batch-00002.parquet.sdecon-12345-zz_99aa0.parquet").write_bytes(b"PAR1")
    (late / "sketches" / ".batch-00003.parquet.sdecon-12345-abcdefgh.parquet").write_bytes(b"PAR1")
    _sweep(early)
    assert _sweep(late, resume=True).computed == 1
    for out in (early, late):
        assert not [p for p in out.rglob(".*")]
        _same_files(out, reference.directory)
    # A dot file that is not sdecon's is the user's: the directory is not empty, and it stays.
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / ".notes").write_text("mine")
    with pytest.raises(SdeconError, match=r"^output '.*' is not empty; expected an empty or new directory$"):
        _sweep(mine)
    assert (mine / ".notes").read_text() == "mine"


# Last: a Dask client leaves threads behind, and the local executor forks.
def test_a_dask_cluster_gives_the_local_results(tmp_path, reference):
    from dask.distributed import LocalCluster
    with LocalCluster(host="127.0.0.1", n_workers=2, threads_per_worker=1, processes=True,
                      dashboard_address="127.0.0.1:0") as cluster:
        with sweeps.DaskExecutor(cluster.scheduler_address) as executor:
            result = _sweep(tmp_path / "dask", executor=executor)
    assert result.computed == 4
    _same_files(result.directory, reference.directory,
                [*SUMMARIES, *(f"runs/batch-{i:05d}.parquet" for i in range(4))])
