"""Forecast bands and predictive backtests from a posterior: known answers, the shipped
posterior against the history, files that load back, errors."""
import dataclasses

import numpy as np
import pandas as pd
import pytest

import sdecon
from sdecon import cli, data, engine, fit, forecasts, model, posteriors
from sdecon.backtesting import backtest
from sdecon.forecasts import forecast, load_forecast

SIGMA = 0.2


@pytest.fixture(scope="module")
def shipped():
    return posteriors.load_posterior(forecasts.SHIPPED_POSTERIOR)


@pytest.fixture(scope="module")
def point(shipped):
    """A posterior with a single parameter set (the shipped median) and a known noise scale."""
    median = shipped.samples.median()
    return dataclasses.replace(
        shipped, samples=pd.DataFrame([median.to_numpy()], columns=shipped.names),
        log_probability=np.zeros(1), noise=pd.DataFrame([[SIGMA] * shipped.noise.shape[1]],
                                                        columns=shipped.noise.columns))


def test_a_point_posterior_predicts_the_model_with_the_likelihoods_noise(point):
    rows = fit.select(until=2024)
    predicted = posteriors.predictive(point, rows, draws=2000, seed=3)
    # the model at the point, each trend-only series at its level from the same rows
    values = {**posteriors.base_values(point.scenario, point.names), **point.median()}
    raw = fit._raw(values, rows)
    expected = rows.table["observed"].to_numpy() * np.exp(sdecon.observations.log_errors(raw, rows)[:, 0])
    sigma = SIGMA / np.sqrt(data.weights(rows.table["confidence"]))
    logs = np.log(predicted)
    np.testing.assert_allclose(np.median(logs, axis=1), np.log(expected), atol=0.15 * sigma.max())
    np.testing.assert_allclose(logs.std(axis=1), sigma, rtol=0.08)
    scored = posteriors.intervals(predicted, rows.table["observed"].to_numpy())
    np.testing.assert_allclose(np.log(scored["high_90"] / expected), 1.645 * sigma, rtol=0.1)
    np.testing.assert_allclose(np.log(expected / scored["low_50"]), 0.674 * sigma, rtol=0.15)


def test_the_bands_of_a_point_posterior_are_its_run(point):
    result = forecast("baseline", point, samples=20)
    values = {**posteriors.base_values("baseline", point.names), **point.median()}
    run = engine.run(values, runs=1, variables=model.PUBLIC_VARIABLES).frame()
    for variable in ("Compute Spending Share of GDP", "Datacenter Capex", "GDP"):
        rows = result.bands[result.bands["variable"] == variable].set_index("year")
        np.testing.assert_allclose(rows["p5"], run[variable].to_numpy(), rtol=1e-12)
        np.testing.assert_allclose(rows["p95"], run[variable].to_numpy(), rtol=1e-12)


def test_the_shipped_posterior_holds_the_history(shipped):
    result = forecast("baseline", samples=200)
    share = result.coverage()
    print(share)
    assert share.loc["all", "inside_90"] >= 0.8  # the bar for the 2015-2024 data
    assert share.loc["all", "rows"] == len(fit.select(until=2024).table)
    bands = result.bands[[f"p{p}" for p in forecasts.PERCENTILES]].to_numpy()
    assert (np.diff(bands, axis=1) >= -1e-12 * np.abs(bands[:, 1:])).all()
    assert set(result.bands["variable"]) == set(model.PUBLIC_VARIABLES)
    assert result.bands["year"].min() == 2015 and result.bands["year"].max() == 2050
    # a row in the variable's units: world GDP's USD trillion are the model's USD billion x 1000
    gdp = result.history[result.history["series"] == "world_gdp_nominal"]
    assert gdp["unit"].str.startswith("USD trillion").all()
    np.testing.assert_allclose(gdp["as_variable"], 1000 * gdp["observed"], rtol=1e-12)


def test_a_forecast_saves_and_loads_back_equal(point, tmp_path):
    result = forecast("jevons", point, samples=20, seed=4)
    written = result.save(tmp_path / "fc")
    assert sorted(p.name for p in written) == ["bands.csv", "forecast.json", "history.csv"]
    assert load_forecast(tmp_path / "fc") == result
    assert load_forecast(tmp_path / "fc") != forecast("jevons", point, samples=21, seed=4)
    with pytest.raises(sdecon.SdeconError, match="lacks forecast.json, bands.csv, history.csv"):
        load_forecast(tmp_path)
    (tmp_path / "fc" / "forecast.json").write_text("{\"scenario\": \"jevons\"}")
    with pytest.raises(sdecon.SdeconError, match=r"^forecast directory .* cannot be read: 'samples'"):
        load_forecast(tmp_path / "fc")


def test_a_predictive_backtest_scores_only_the_years_after_the_posteriors_data(shipped):
    until_2021 = dataclasses.replace(shipped, until=2021)
    result = backtest(posterior=until_2021, draws=200)
    assert result.origins == (2021,)
    assert result.errors["time"].min() >= 2022
    assert set(result.errors["horizon"]) == {1, 2, 3}
    # the price series has no row through 2021, so no level to predict with: left out
    assert "cheapest_price_at_or_above_GPT-3.5_level_on_MMLU" not in set(result.errors["series"])
    cover = result.coverage()
    inside = result.errors.groupby("series")["inside_90"].mean()
    for series, share in inside.items():
        assert cover.loc[series, "inside_90"] == share
    assert ((result.errors["low_90"] <= result.errors["low_50"])
            & (result.errors["low_50"] <= result.errors["modelled"])
            & (result.errors["modelled"] <= result.errors["high_50"])
            & (result.errors["high_50"] <= result.errors["high_90"])).all()
    with pytest.raises(sdecon.SdeconError, match="coverage needs predictive intervals"):
        dataclasses.replace(result, errors=result.errors.drop(columns=["inside_90"])).coverage()


@pytest.mark.parametrize("argv, message", [
    (["forecast", "--samples", "5"], "--samples 5 must be a whole number of at least 20"),
    (["forecast", "--posterior", "missing.json"], "posterior file 'missing.json' not found"),
    (["backtest", "--posterior", str(forecasts.SHIPPED_POSTERIOR)], "--posterior: its data run through 2024"),
    (["backtest", "--origins", "2021", "--posterior", str(forecasts.SHIPPED_POSTERIOR)],
     "--origins: a backtest from a posterior starts where its data end"),
])
def test_bad_input_is_one_line(argv, message, capsys, tmp_path):
    assert cli.main([*argv, "--output", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"sdecon: error: {message}") and err.count("\n") == 1
    assert not list(tmp_path.iterdir())


def test_the_command_line_prints_the_bands_and_writes_them(tmp_path, capsys):
    assert cli.main(["forecast", "--samples", "40", "--output", str(tmp_path / "fc"),
                     "--figure", str(tmp_path / "fc.png")]) == 0
    out = capsys.readouterr().out
    assert "Median (90% band):" in out and "Compute Spending Share of GDP (% of GDP)" in out and "inside_90" in out
    assert load_forecast(tmp_path / "fc").samples == 40
    assert (tmp_path / "fc.png").stat().st_size > 10_000
