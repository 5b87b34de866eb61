"""`sdecon validate`: the Python function, the calibration file, and the command line."""
import json
import math
import os

import pandas as pd
import pytest

import sdecon
from sdecon import calibration, cli, data
from sdecon.errors import SdeconError
from sdecon.calibration import load_calibration
from sdecon import validate

import shipped


def main(argv):
    return cli.main(["validate", *argv])

HEADER = "year,series,value,unit,source,confidence\n"
ROWS = (
    "2022,global_datacenter_capex_delloro,241,USD billion (+15% YoY),Dell'Oro,high\n"
    "2025,global_datacenter_capex_delloro,600,USD billion,Dell'Oro (made up),medium\n"
    "2026,nvidia_datacenter_revenue_fiscal_year,150,\"USD billion nominal; NVIDIA FY ends late Jan of stated "
    "year (FY2025 = Feb 2024-Jan 2025)\",made up,high\n"
    "2025,capex_alphabet_calendar_year,90,USD billion nominal (purchases of P&E; calendar year),made up,high\n"
    "2025,brand_new_series,1,x,made up,whatever\n"
    "2051,world_gdp_nominal,400,\"USD trillion (current US$, market exchange rates)\",made up,low\n"
)


@pytest.fixture
def observations(tmp_path):
    path = tmp_path / "new.csv"
    path.write_text(HEADER + ROWS, encoding="utf-8")
    return path


def _calibration(tmp_path, content) -> str:
    path = tmp_path / "fit.json"
    path.write_text(content if isinstance(content, str) else json.dumps(content), encoding="utf-8")
    return str(path)


def test_validate_compares_the_file_with_the_scenario(observations):
    result = validate(observations)
    levels = load_calibration(calibration.BASELINE).levels
    expected = sdecon.observations.compare(sdecon.run("baseline"), data.add_derived(data.read_observations(observations)),
                                           fitted_levels=levels)
    pd.testing.assert_frame_equal(result.table, expected.table)
    assert list(result.table["year"]) == [2022, 2025, 2026]
    assert set(result.unknown["series"]) == {"capex_alphabet_calendar_year", "brand_new_series"}
    assert list(result.outside["series"]) == ["world_gdp_nominal"]  # 2051.5 is after the run


def test_a_calibration_overrides_the_scenario(tmp_path, observations):
    share = 0.004
    path = _calibration(tmp_path, {"parameters": {"Conventional Datacenter Capex Share of GDP": share},
                                   "objective": 1.23, "fitted_on": ["global_datacenter_capex_delloro"]})
    assert load_calibration(path).parameters == {"Conventional Datacenter Capex Share of GDP": share}
    result = validate(observations, calibration=path, scenario="baseline")
    row = result.table.iloc[0]
    assert row["series"] == "global_datacenter_capex_delloro" and row["year"] == 2022
    calibrated = sdecon.run("baseline", {"Conventional Datacenter Capex Share of GDP": share})
    expected = (calibrated.loc[2022, "Datacenter Capex"] * calibrated.loc[2023, "Datacenter Capex"]) ** 0.5
    assert row["modelled"] == pytest.approx(expected)
    default = validate(observations).table.iloc[0]["modelled"]
    assert row["modelled"] > default * 1.1  # conventional capex doubled from 0.2% of GDP


BAD_CALIBRATIONS = {
    "unknown_name": ({"parameters": {"Hardware Growth Rte": 0.3}},
                     ["unknown parameter 'Hardware Growth Rte'", "did you mean 'Hardware Growth Rate'"]),
    "out_of_bounds": ({"parameters": {"Hardware Growth Rate": 7}}, ["Hardware Growth Rate = 7 is out of bounds"]),
    "no_parameters": ({"params": {}}, ['has no "parameters" object']),
    "not_an_object": ({"parameters": [1, 2]}, ['"parameters" is a list, not an object']),
    "malformed": ('{"parameters": {"Hardware Growth Rate": 0.3,}}', ["is not valid JSON", "line 1"]),
}


@pytest.mark.parametrize("case", sorted(BAD_CALIBRATIONS))
def test_bad_calibrations_are_one_line_errors(tmp_path, case):
    content, expected = BAD_CALIBRATIONS[case]
    path = _calibration(tmp_path, content)
    with pytest.raises(SdeconError) as error:
        load_calibration(path)
    message = str(error.value)
    assert "\n" not in message and path in message
    for part in expected:
        assert part in message
    with pytest.raises(SdeconError, match="not found"):
        load_calibration(tmp_path / "missing.json")


def test_the_command_prints_the_comparison_and_writes_its_table(tmp_path, observations, capsys):
    output = tmp_path / "validation.csv"
    code = main(["--data", str(observations), "--output", str(output), "--scenario", "baseline"])
    out, err = capsys.readouterr()
    assert code == 0, err
    written = pd.read_csv(output, keep_default_na=False)
    assert list(written.columns[:6]) == ["series", "label", "year", "observed", "modelled", "log_error"]
    assert list(written["year"]) == [2022, 2025, 2026]
    assert written["log_error"].round(6).tolist() == validate(observations).table["log_error"].round(6).tolist()
    assert sorted(os.listdir(tmp_path)) == sorted(["new.csv", "validation.csv"])  # no temporary file
    assert "weighted RMS log error" in out and "summary by series" in out
    assert "brand_new_series (2025): not in the mapping" in out
    assert "capex_alphabet_calendar_year (2025): left out of the mapping" in out
    assert "world_gdp_nominal (2051): model time (year +0.5) is outside the run's years 2015-2050" in out
    assert f"wrote {output}" in err


BAD_COMMANDS = {
    "bad_data": (["--data", "{tmp}/bad.csv"], "lacks column 'confidence'"),
    "missing_data": (["--data", "{tmp}/nowhere.csv"], "not found"),
    "no_data_option": ([], "the following arguments are required: --data"),
    "bad_calibration": (["--data", "{obs}", "--calibration", "{tmp}/bad.json"], "unknown parameter 'Nope'"),
    "missing_calibration": (["--data", "{obs}", "--calibration", "{tmp}/nowhere.json"], "not found"),
    "bad_scenario": (["--data", "{obs}", "--scenario", "baselin"], "unknown scenario 'baselin'"),
    "bad_extension": (["--data", "{obs}"], "has extension '.txt'"),
    "missing_folder": (["--data", "{obs}"], "does not exist"),
}


@pytest.mark.parametrize("case", sorted(BAD_COMMANDS))
def test_bad_input_exits_2_with_one_line_and_no_file(tmp_path, observations, capsys, case):
    (tmp_path / "bad.csv").write_text("year,series,value,unit,source\n2020,x,1,y,z\n", encoding="utf-8")
    (tmp_path / "bad.json").write_text('{"parameters": {"Nope": 1}}', encoding="utf-8")
    argv, expected = BAD_COMMANDS[case]
    argv = [a.format(tmp=tmp_path, obs=observations) for a in argv]
    output = {"bad_extension": tmp_path / "out.txt", "missing_folder": tmp_path / "no" / "out.csv"}.get(
        case, tmp_path / "out.csv")
    before = sorted(os.listdir(tmp_path))
    code = main([*argv, "--output", str(output)])
    out, err = capsys.readouterr()
    assert code == 2
    assert err.startswith("sdecon: error: ") and err.count("\n") == 1 and "Traceback" not in err
    assert expected in err
    assert sorted(os.listdir(tmp_path)) == before and not output.exists()


def _file(tmp_path, rows: str):
    path = tmp_path / "rows.csv"
    path.write_text(HEADER + rows, encoding="utf-8")
    return path


def test_units_are_matched_by_meaning_and_nvidia_quarters_by_pattern(tmp_path):
    path = _file(tmp_path,
                 '2024,capex_big4_total_calendar_year,416,"USD billion nominal (incl. finance leases; ""over $416 '
                 'billion"")",made up,high\n'
                 "2026,nvidia_datacenter_revenue_quarter_FY26Q2,41000,USD million (year = calendar year of quarter "
                 "end),made up,high\n"
                 "2024,hyperscaler_capex_big4_calendar_year,250,USD billion nominal (incl. finance leases),made up,high\n")
    result = validate(path)
    table = result.table.set_index("series")
    assert table.loc["capex_big4_total_calendar_year", "observed"] == 416
    quarter = table.loc["nvidia_datacenter_revenue_quarter_FY26Q2"]
    assert quarter["observed"] == 41.0 and quarter["time"] == 2026.45  # FY*Q2: mid-June, in USD billion
    run = shipped.run("baseline")
    june = run.loc[2026, "AI Datacenter Capex"] ** 0.55 * run.loc[2027, "AI Datacenter Capex"] ** 0.45
    assert quarter["modelled"] == pytest.approx(0.0805 * june)
    skipped = result.skipped.set_index("series")
    assert "includes finance leases; expected excluding them" in skipped.loc["hyperscaler_capex_big4_calendar_year",
                                                                              "reason"]


def test_a_trend_only_row_is_judged_at_the_calibrations_level_not_its_own(tmp_path):
    # Alone, a row that set its own level would match with a log error of zero: a check that cannot fail.
    path = _file(tmp_path, "2024,training_cost_amortized_hw_energy:New Model,50,USD million (2024 dollars),x,high\n")
    row = validate(path).table.iloc[0]
    level = load_calibration(calibration.BASELINE).levels["training_cost_amortized_hw_energy"]
    run = shipped.run("baseline")
    raw = (run.loc[2024, "Frontier Training Run Cost"] * run.loc[2025, "Frontier Training Run Cost"]) ** 0.5
    assert row["log_error"] == pytest.approx(math.log(raw / 50) - level)
    assert abs(row["log_error"]) > 0.1


def test_duplicated_rows_are_counted_once_and_reported(tmp_path, capsys):
    line = "2022,global_datacenter_capex_delloro,241,USD billion,Dell'Oro,high\n"
    path = _file(tmp_path, line + line)
    assert main(["--data", str(path)]) == 0
    out = capsys.readouterr().out
    assert "1 rows compared" in out
    assert "global_datacenter_capex_delloro (2022): duplicate of an earlier row" in out


@pytest.mark.parametrize("rows, expected", [
    ("2022,global_datacenter_capex_dellor,241,USD billion,Dell'Oro,high\n",
     "global_datacenter_capex_dellor: not in the mapping (sdecon.data.mapping()) (did you mean "
     "'global_datacenter_capex_delloro'"),
    ("2060,global_datacenter_capex_delloro,241,USD billion,Dell'Oro,high\n", "outside the run's years 2015-2050"),
])
def test_nothing_compared_exits_2_saying_why(tmp_path, capsys, rows, expected):
    path = _file(tmp_path, rows)
    assert main(["--data", str(path)]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"sdecon: error: no row of '{path}' could be compared with the model") and expected in err
    assert err.count("\n") == 1
