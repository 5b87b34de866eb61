"""The posterior (emcee): recovering known parameters with calibrated intervals, files, errors."""
import dataclasses
import json
import time
import warnings

import numpy as np
import pandas as pd
import pytest
from pictures import source_line_drawn

import sdecon
from sdecon import cli, fit, forecasts, posteriors
from sdecon.posteriors import Posterior, PosteriorWarning, load_posterior, posterior

import shipped

DEFAULTS = sdecon.Scenario("defaults", "The .mdl's values, no calibration", "")
TRUTH = {  # away from the defaults; both spoken to by the data
    "AI Share of Addressable Spending at Base Year": 0.03,
    "Conventional Datacenter Capex Share of GDP": 0.0015,
}
SIGMA = 0.05          # each series' noise: a row of confidence weight c has SIGMA / sqrt(c)
REPLICATIONS = 20
WALKERS, STEPS, BURN = 12, 80, 20  # short chains, many walkers: a step is two engine batches of 6 runs


@pytest.fixture(scope="module")
def clean_rows():
    return fit.synthetic({**DEFAULTS.values, **TRUTH})


def _noisy(rows, seed):
    """The synthetic rows with the likelihood's own Gaussian noise on their log values."""
    obs = fit.select(table=rows)
    assert len(obs.table) == len(rows)
    assert list(obs.table["series"]) == list(rows["series"])
    sigma = SIGMA / np.sqrt(sdecon.data.weights(obs.table["confidence"]))
    noisy = rows.copy()
    noisy["value"] = rows["value"].to_numpy() * np.exp(sigma * np.random.default_rng(seed).standard_normal(len(rows)))
    return noisy


@pytest.fixture(scope="module")
def recovery(clean_rows):
    """20 seeded replications: noisy data, a short chain each from a start 10% off the truth."""
    start = {n: 1.1 * v for n, v in TRUTH.items()}
    results, started = [], time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PosteriorWarning)  # short chains, on purpose
        for seed in range(REPLICATIONS):
            results.append(posterior(DEFAULTS, params=list(TRUTH), walkers=WALKERS, steps=STEPS, burn=BURN,
                                     seed=seed, observations_table=_noisy(clean_rows, 100 + seed),
                                     start=start, progress=False))
    print(f"\nrecovery: {REPLICATIONS} posteriors in {time.perf_counter() - started:.1f} s")
    return results


def test_the_90_percent_intervals_contain_the_truth_at_least_80_percent_of_the_time(recovery):
    for name, value in TRUTH.items():
        inside = [bool(r.samples[name].quantile(0.05) <= value <= r.samples[name].quantile(0.95))
                  for r in recovery]
        print(f"{name}: 90% interval covers the truth in {sum(inside)} of {len(inside)}")
        assert sum(inside) >= 0.8 * len(inside), name
    # and the intervals are informative, not the whole prior range
    for name in TRUTH:
        bounds = sdecon.parameters()[name]
        width = np.median([r.samples[name].quantile(0.95) - r.samples[name].quantile(0.05) for r in recovery])
        assert width < 0.5 * (bounds.upper - bounds.lower), name
    for series in recovery[0].noise.columns:  # each series' noise scale, recovered
        noise = np.median([r.noise[series].median() for r in recovery])
        assert 0.5 * SIGMA < noise < 2 * SIGMA, series


def test_a_posterior_reports_its_diagnostics(recovery):
    result = recovery[0]
    d = result.diagnostics
    assert set(d["tau"]) == set(TRUTH)
    assert 0.1 < d["acceptance"] < 0.9
    for name, tau in d["tau"].items():
        assert d["ess"][name] == pytest.approx(WALKERS * (STEPS - BURN) / tau)
    assert d["runs"] >= WALKERS * STEPS
    table = result.summary()
    assert list(table.columns) == ["median", "q05", "q95", "tau", "ess"]
    assert list(table.index) == list(TRUTH) + [f"noise: {s}" for s in result.noise.columns]
    assert len(result.noise) == len(result.samples) and (result.noise > 0).all().all()
    assert (table["q05"] <= table["median"]).all() and (table["median"] <= table["q95"]).all()
    assert result.median() == pytest.approx(dict(result.samples.median()))
    draws = result.draws(5, seed=1)
    assert len(draws) == 5 and all(set(d) == set(TRUTH) for d in draws)
    assert draws == result.draws(5, seed=1)
    assert "autocorrelation" in result.report()


def test_a_short_chain_warns_and_a_seed_repeats_its_chain(clean_rows):
    rows = _noisy(clean_rows, 1)
    results = []
    for seed in (0, 0, 1):
        with pytest.warns(PosteriorWarning, match="shorter than 50 autocorrelation times"):
            results.append(posterior(DEFAULTS, params=list(TRUTH), walkers=6, steps=30, seed=seed,
                                     observations_table=rows, start=TRUTH, progress=False))
    assert results[0].samples.equals(results[1].samples)
    assert not results[0].samples.equals(results[2].samples)


def test_save_and_load_round_trip(recovery, tmp_path):
    result = recovery[1]
    path = tmp_path / "posterior.json"
    result.save(path)
    loaded = load_posterior(path)
    assert loaded == result
    assert loaded.samples.equals(result.samples)
    pd.testing.assert_frame_equal(loaded.noise, result.noise)
    np.testing.assert_array_equal(loaded.log_probability, result.log_probability)
    assert loaded.diagnostics == result.diagnostics
    assert (loaded.scenario, loaded.until, loaded.seed) == ("defaults", 2024, 1)
    assert [p.name for p in tmp_path.iterdir()] == ["posterior.json"]  # no temporary left
    with pytest.raises(sdecon.SdeconError, match="not found"):
        load_posterior(tmp_path / "missing.json")
    (tmp_path / "bad.json").write_text(json.dumps({"parameters": []}))
    with pytest.raises(sdecon.SdeconError, match="is not a posterior sdecon wrote"):
        load_posterior(tmp_path / "bad.json")


@pytest.mark.parametrize("kwargs, argument, message", [
    ({"steps": 0}, "steps", r"^steps 0 must be a whole number of at least 1$"),
    ({"params": ["Cloud Shift Rat"]}, "params",
     r"^params 'Cloud Shift Rat' \(did you mean 'Cloud Shift Rate'.*\?\) is not a parameter with a range"),
    ({"params": ["Cloud Shift Rate"], "walkers": 1}, "walkers", r"^walkers 1 must be a whole number of at least 2$"),
    ({"steps": 10, "burn": 10}, "burn", r"^burn 10 must be a whole number from 0 to steps - 1"),
])
def test_bad_inputs_are_refused_in_one_line(kwargs, argument, message):
    with pytest.raises(sdecon.SdeconError, match=message) as error:
        posterior(**kwargs)
    assert "\n" not in str(error.value)
    assert error.value.argument == argument


@pytest.mark.parametrize("argv, flag", [
    (["--steps", "0"], "--steps 0 must be"),
    (["--params", "Cloud Shift Rat"], "--params 'Cloud Shift Rat'"),
    (["--params", "Cloud Shift Rate", "--walkers", "1"], "--walkers 1 must be"),
])
def test_the_command_line_names_the_flag(argv, flag, capsys, tmp_path):
    assert cli.main(["posterior", *argv, "--output", str(tmp_path / "p.json")]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"sdecon: error: {flag}") and err.count("\n") == 1
    assert not list(tmp_path.iterdir())


def test_run_posterior_runs_at_the_median(recovery, tmp_path, capsys):
    result = recovery[2]
    path = tmp_path / "posterior.json"
    result.save(path)
    out = tmp_path / "run.csv"
    assert cli.main(["run", "--scenario", "baseline", "--posterior", str(path), "--output", str(out)]) == 0
    written = pd.read_csv(out).set_index("year")
    expected = sdecon.run("baseline", {**posteriors.base_values("baseline", result.names), **result.median()})
    pd.testing.assert_frame_equal(written, expected.reset_index().set_index("year"), check_dtype=False,
                                  check_exact=False, rtol=1e-9)
    other = shipped.run("baseline")
    assert not np.allclose(written.to_numpy(), other.reset_index().set_index("year").to_numpy())


def test_the_cli_samples_writes_and_prints_the_summary(tmp_path, capsys):
    path = tmp_path / "p.json"
    assert cli.main(["posterior", "--params", "Cloud Shift Rate", "--walkers", "4", "--steps", "20",
                     "--output", str(path), "--figure", str(tmp_path / "p.png"),
                     "--trace", str(tmp_path / "t.svg")]) == 0
    captured = capsys.readouterr()
    assert "Cloud Shift Rate" in captured.out and "acceptance" in captured.out
    assert "warning" in captured.err  # 20 steps cannot be 50 autocorrelation times
    assert isinstance(load_posterior(path), Posterior)
    assert source_line_drawn(tmp_path / "p.png", 110)        # a narrow figure: the line in two
    assert "Source: sdecon" in (tmp_path / "t.svg").read_text(encoding="utf-8")


def test_corner_and_trace_draw_every_parameter_and_walker(recovery):
    from sdecon import plotting
    result = recovery[0]
    corner = plotting.plot_corner(result)
    shown = [ax for ax in corner.axes if ax.get_visible()]
    assert len(shown) == 3  # two histograms and one pair
    labels = [ax.get_xlabel() for ax in shown if ax.get_xlabel()]
    assert labels == [("log10 " if sdecon.parameters()[n].log_scale else "") + n for n in TRUTH]
    trace = plotting.plot_trace(result)
    assert [ax.get_ylabel() for ax in trace.axes] == list(TRUTH)
    assert all(len(ax.lines) == WALKERS for ax in trace.axes)
    assert trace.get_suptitle().startswith(f"Trace of {WALKERS} walkers")
    plotting.plt.close(corner)
    plotting.plt.close(trace)


# --- the posterior in sweeps --------------------------------------------------------------

@pytest.mark.parametrize("method, block", [("sobol", 3 + 2), ("morris", 3 + 1), ("mc", 1)])
def test_a_sweep_draws_the_posterior_so_that_indices_stay_the_whole_models(method, block):
    from sdecon.sweeps import posterior_picks
    picks = posterior_picks(method, 3, 40 * block, 1000, seed=5)
    assert len(picks) == 40 * block and picks.min() >= 0 and picks.max() < 1000
    if method == "mc":
        assert len(set(picks)) > 30
        return
    blocks = picks.reshape(40, block)
    last = block - 1 if method == "sobol" else block
    assert (blocks[:, :last] == blocks[:, :1]).all()  # A and each AB_i (or a trajectory): one draw
    if method == "sobol":
        assert (blocks[:, -1] != blocks[:, 0]).mean() > 0.9  # B: its own draw
    np.testing.assert_array_equal(picks, posterior_picks(method, 3, 40 * block, 1000, seed=5))


def test_a_sweep_with_a_one_draw_posterior_is_the_sweep_at_that_draw(tmp_path):
    from sdecon import sweeps
    shipped = load_posterior(forecasts.SHIPPED_POSTERIOR)
    draw = shipped.samples.iloc[[7]].reset_index(drop=True)
    one = dataclasses.replace(shipped, samples=draw, log_probability=np.zeros(1), noise=shipped.noise.iloc[[7]])
    vary = ["Elasticity of Substitution=0.5:2"]
    options = dict(method="mc", samples=24, vary=vary, figures=False, progress=False)
    with sweeps.LocalExecutor(1) as local:
        drawn = sdecon.sweep("baseline", output=tmp_path / "drawn", posterior=one, executor=local, **options)
        at = sdecon.Scenario("at", "baseline at the draw", "", values={
            **posteriors.base_values("baseline", one.names), **{n: float(draw.at[0, n]) for n in one.names}})
        fixed = sdecon.sweep(at, output=tmp_path / "fixed", executor=local, **options)
    pd.testing.assert_frame_equal(drawn.bands, fixed.bands)
    assert drawn.manifest["posterior"]["sha256"] == one.fingerprint()
    assert drawn.manifest["posterior"]["parameters"] == one.names
    with pytest.warns(sweeps.HistoryWarning), \
            pytest.raises(sdecon.SdeconError, match=r"^vary: 'Cloud Shift Rate' is drawn from the posterior"):
        sdecon.sweep("baseline", output=tmp_path / "both", posterior=one, vary=["Cloud Shift Rate=0.05:0.2"],
                     method="mc", samples=8)
    assert not (tmp_path / "both").exists()
