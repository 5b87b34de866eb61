"""Calibration: recovering known parameters, the committed baseline fit, files and errors."""
import json
import math
import re

import numpy as np
import pandas as pd
import pytest

import sdecon
from sdecon import calibration, cli, data, fit, observations

import shipped

TRUTH = {  # values away from the defaults, each one the data speak to
    "AI Share of Addressable Spending at Base Year": 0.03,
    "Conventional Datacenter Capex Share of GDP": 0.0015,
    "Historical Elasticity of Substitution": 1.6,
    "Largest Run Share at Base Year": 0.02,
}
DEFAULTS = sdecon.Scenario("defaults", "The .mdl's values, no calibration", "")


def _synthetic(values, until=2024):
    """The shipped observation rows with their values replaced by the model's."""
    return fit.synthetic(values, until=until)


@pytest.fixture(scope="module")
def synthetic_fit():
    return fit.calibrate(DEFAULTS, params=list(TRUTH), observations_table=_synthetic(TRUTH),
                                 maxiter=15, popsize=6, seed=3)


def test_a_fit_to_synthetic_data_recovers_the_known_parameters_within_5_percent(synthetic_fit):
    for name, value in TRUTH.items():
        assert synthetic_fit.parameters[name] == pytest.approx(value, rel=0.05), name
    assert synthetic_fit.success
    assert synthetic_fit.cost < 1e-8
    assert synthetic_fit.unidentified == []
    # The reported cost is that of the reported parameters, not of some later point.
    r = synthetic_fit.residuals
    assert 0.5 * float((r["weight"] * r["log_error"] ** 2).sum()) == pytest.approx(synthetic_fit.cost, abs=1e-12)


def test_standard_errors_and_correlations_describe_the_fitted_parameters(synthetic_fit):
    assert set(synthetic_fit.stderr) == set(TRUTH)
    corr = synthetic_fit.correlation.to_numpy()
    np.testing.assert_allclose(np.diag(corr), 1.0, rtol=1e-9)
    np.testing.assert_allclose(corr, corr.T, atol=1e-12)
    assert "Parameters (value +/- standard error" in synthetic_fit.report()


def test_out_of_sample_errors_vanish_when_the_data_come_from_the_fitted_model(synthetic_fit):
    table = _synthetic(TRUTH)
    errors = fit.out_of_sample(synthetic_fit, since=2022, until=2024, table=table)
    assert errors["time"].min() >= 2022 and errors["time"].max() < 2025
    assert len(errors) > 10
    assert errors["log_error"].abs().max() < 0.01


def test_parameters_the_data_cannot_see_are_named_in_a_warning():
    # The scenario's elasticity acts from the base year (2025) on: no data row sees it.
    with pytest.warns(fit.CalibrationWarning, match="cannot identify Elasticity of Substitution"):
        result = fit.calibrate(DEFAULTS, params=["Elasticity of Substitution", "Cloud Shift Rate"],
                                    observations_table=_synthetic({}), maxiter=3, popsize=4)
    assert result.unidentified == ["Elasticity of Substitution"]
    assert result.parameters["Cloud Shift Rate"] == pytest.approx(0.15, rel=1e-4)


def test_the_baseline_scenario_uses_the_committed_calibration_fitted_to_2024():
    committed = json.loads(calibration.BASELINE.read_text())
    assert committed["until"] == 2024
    baseline = sdecon.load_scenario("baseline")
    assert baseline.calibration == calibration.BASELINE.resolve()
    for name, value in committed["parameters"].items():
        assert baseline.values[name] == value
    # Scenarios built on the baseline inherit it.
    assert sdecon.load_scenario("jevons").calibration == calibration.BASELINE.resolve()


def test_committed_calibration_reproduces_capex_and_nvidia_revenue_within_30_percent_every_year():
    run = shipped.run("baseline")
    misses = []
    for series in ("hyperscaler_capex_big4_calendar_year", "global_datacenter_capex_delloro",
                   "nvidia_datacenter_revenue_fiscal_year"):
        levels = calibration.load_calibration(calibration.BASELINE).levels
        table = observations.compare(run, data.load(series), fitted_levels=levels).table
        table = table[(table["time"] >= 2016) & (table["time"] < 2025)]  # calendar 2016-2024
        assert len(table) >= 5
        ratio = np.exp(table["log_error"])
        misses += [f"{series} {int(y)}: {r:.2f}" for y, r in zip(table["year"], ratio) if not 0.7 <= r <= 1.3]
    assert not misses, misses


def test_committed_calibration_grows_frontier_training_cost_within_epochs_interval():
    # Epoch AI: amortized frontier training cost grew 2.4x a year since 2016 (95% CI 2.0-3.1).
    trend = data.load("trend_growth_amortized_frontier_training_cost")
    assert trend["value"].iloc[0] == 2.4
    run = shipped.run("baseline")
    years = np.arange(2016, 2025)
    slope = np.polyfit(years, np.log(run.loc[years, "Frontier Training Run Cost"]), 1)[0]
    assert 2.0 <= math.exp(slope) <= 3.1


def test_a_calibration_file_is_used_by_run(tmp_path, capsys):
    path = tmp_path / "fit.json"
    path.write_text(json.dumps({"parameters": {"Cloud Shift Rate": 0.2}}))
    out = tmp_path / "run.csv"
    assert cli.main(["run", "--calibration", str(path), "--output", str(out)]) == 0
    expected = sdecon.run("baseline", {"Cloud Shift Rate": 0.2})
    written = pd.read_csv(out, index_col="year")
    np.testing.assert_allclose(written["Datacenter Capex"], expected["Datacenter Capex"], rtol=1e-12)


@pytest.mark.parametrize("content, message", [
    (None, "not found"),
    ("{not json", "is not valid JSON"),
    ('{"values": {}}', 'has no "parameters" object'),
    ('{"parameters": {"Cloud Shift": 0.2}}', "Cloud Shift"),
    ('{"parameters": {"Cloud Shift Rate": 7}}', r"out of bounds; allowed: \[0, 0.5\]"),
])
def test_bad_calibration_files_give_one_line_and_exit_2(tmp_path, capsys, content, message):
    path = tmp_path / "fit.json"
    if content is not None:
        path.write_text(content)
    assert cli.main(["run", "--calibration", str(path), "--output", str(tmp_path / "r.csv")]) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err
    assert re.search(message, err), err
    assert not (tmp_path / "r.csv").exists()


@pytest.mark.parametrize("argv, message", [
    (["calibrate", "--until", "2030"], "2030 is out of range; allowed: 2016 to 2024"),
    (["calibrate", "--until", "soon"], "'soon' is not a year"),
    (["calibrate", "--params", "Base Year"], "cannot fit 'Base Year'"),
    (["calibrate", "--params", "Cloud Shift"], "cannot fit 'Cloud Shift'"),
    (["calibrate", "--output", "fit.txt"], "allowed: .json"),
])
def test_bad_calibrate_arguments_give_one_line_and_exit_2(capsys, argv, message):
    assert cli.main(argv) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and message in err, err
