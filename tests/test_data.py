"""The reference data in the package, the data-to-model mapping, units, weights and the
observation operator (`sdecon.observations`)."""
import math
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sdecon import calibration, data, model, observations, units
from sdecon.errors import SdeconError

ROOT = Path(__file__).resolve().parents[1]
SHARED = Path("/work/shared/data")
DOC = ROOT / "docs" / "data.md"
HEADER = "year,series,value,unit,source,confidence\n"


def _value(frame, series, year):
    rows = frame[(frame["series"] == series) & (frame["year"] == year)]
    assert len(rows) == 1, (series, year)
    return float(rows["value"].iloc[0])


# ---------------------------------------------------------------- the files


@pytest.mark.skipif(not SHARED.is_dir(), reason="the project's shared data folder is not here")
def test_package_files_are_unchanged_copies_of_the_shared_data():
    shared = sorted(p.name for p in SHARED.glob("*.csv"))
    assert shared == sorted(data.FILES)
    for name in shared:
        assert (data.DATA_DIR / name).read_bytes() == (SHARED / name).read_bytes(), name


def test_load_is_tidy_with_float_years_and_labels_split_off():
    frame = data.load()
    assert list(frame.columns) == list(data.COLUMNS)
    assert frame["year"].dtype == float and frame["value"].dtype == float
    raw_rows = sum(len(pd.read_csv(data.DATA_DIR / name)) for name in data.FILES)
    derived = frame["series"] == data.BIG4
    assert (~derived).sum() == raw_rows  # every row of every file, none lost
    row = frame[(frame["series"] == "max_training_compute_of_year") & (frame["year"] == 2010)].iloc[0]
    assert (row["label"], row["value"], row["unit"], row["confidence"]) == ("RNN LM", 5.396e16, "FLOP", "low")
    assert row["file"] == "frontier_training_compute.csv"
    gpt3 = frame[frame["series"] == "cheapest_price_at_or_above_GPT-3_level_on_MMLU"]
    assert 2021.88 in set(gpt3["year"])  # decimal years survive
    assert not frame["series"].str.contains(":").any()


def test_load_one_series_a_list_and_unknown_names():
    one = data.load("global_datacenter_capex_delloro")
    assert list(one["year"]) == [2020, 2021, 2022, 2023, 2024]
    assert list(one["value"]) == [185, 200, 241, 260, 455]
    both = data.load(["world_gdp_nominal", "us_gdp_nominal"])
    assert set(both["series"]) == {"world_gdp_nominal", "us_gdp_nominal"} and len(both) == 30
    with pytest.raises(SdeconError) as error:
        data.load(["world_gdp_nominal", "global_datacenter_capex_deloro"])
    message = str(error.value)
    assert "\n" not in message and "'global_datacenter_capex_deloro'" in message
    assert "did you mean 'global_datacenter_capex_delloro'" in message and "series_names()" in message


# ---------------------------------------------------------------- the derived big-four series


def test_big_four_sum_by_hand_with_microsofts_fiscal_years_halved():
    frame = data.load(data.BIG4)
    assert list(frame["year"]) == list(range(2010, 2024))  # 2024 would need Microsoft FY2025
    # 2020: Alphabet + Amazon + Meta + (Microsoft FY2020 + FY2021) / 2, from the rows
    assert _value(frame, data.BIG4, 2020) == pytest.approx(22.281 + 40.14 + 15.115 + 0.5 * (15.441 + 20.622))
    assert _value(frame, data.BIG4, 2023) == pytest.approx(32.251 + 52.729 + 27.045 + 0.5 * (28.107 + 44.477))
    confidence = frame.set_index("year")["confidence"]
    assert confidence[2020] == "high (derived)"  # all five inputs high
    assert confidence[2021] == "medium (derived)"  # Meta 2021 is medium
    assert confidence[2010] == "medium (derived)"
    assert "FY2020 + FY2021" in frame.set_index("year").at[2020, "source"]
    assert frame["unit"].unique().tolist() == [data.BIG4_UNIT]


def test_big_four_needs_all_four_companies():
    frame = data.load()
    without = frame[~((frame["series"] == "capex_meta_calendar_year") & (frame["year"] == 2020))]
    without = without[without["series"] != data.BIG4]
    derived = data.add_derived(without)
    years = set(derived.loc[derived["series"] == data.BIG4, "year"])
    assert 2020 not in years and {2019, 2021} <= years
    # a big-four row already there is kept, not derived again
    again = data.add_derived(frame)
    assert (again["series"] == data.BIG4).sum() == (frame["series"] == data.BIG4).sum()


# ---------------------------------------------------------------- weights


def test_weights_are_monotone_in_confidence():
    levels = ["low", "low-medium", "medium", "medium-high", "high"]
    values = [data.weights(level) for level in levels]
    assert values == [0.25, 0.35, 0.5, 0.75, 1.0]
    assert all(a < b for a, b in zip(values, values[1:]))


def test_weights_read_the_notes_in_the_files():
    assert data.weights("low-medium (derived)") == 0.35
    assert data.weights("medium-high (definition revised vs 2023 figure)") == 0.75
    assert data.weights("high (model input)") == 1.0
    assert data.weights("Medium (+-3%)") == 0.5
    assert data.weights("high (data) / medium (blended-price method)") == 0.5  # the lowest
    series = data.weights(pd.Series(["high", "low"]))
    assert list(series) == [1.0, 0.25]
    every = data.weights(data.load()["confidence"])  # every confidence in the files is readable
    assert every.between(0.25, 1).all()


@pytest.mark.parametrize("text", ["sure", "", "medium-low", "highish", "high / ", None])
def test_unrecognised_confidence_is_a_one_line_error(text):
    with pytest.raises(SdeconError) as error:
        data.weights(text)
    assert "\n" not in str(error.value) and "not recognised" in str(error.value)


# ---------------------------------------------------------------- the mapping


def _doc_left_out() -> set[str]:
    text = DOC.read_text(encoding="utf-8")
    section = text.split("## Series left out", 1)[1].split("\n## ", 1)[0]
    return set(re.findall(r"^\| `([^`]+)` \|", section, flags=re.MULTILINE))


def test_mapped_series_exist_in_the_data_and_variables_in_the_model():
    table = data.mapping()
    names = pd.Series(data.series_names())
    assert set(data.mapping_keys(names).dropna()) == set(table["series"])  # every row (or pattern) is used
    assert set(table["variable"]) <= set(model.variable_names())
    assert table["series"].is_unique
    assert (table["why"].str.len() > 40).all()
    assert set(table["power"]) <= {1.0, -1.0}
    assert (table["fit"] == table["scale"].isna()).all() and (table["scale"].dropna() > 0).all()
    for overlaps in table["overlaps"]:
        assert {s.strip() for s in overlaps.split(";") if s.strip()} <= set(table["series"])


def test_every_series_is_mapped_or_left_out_as_docs_data_md_says():
    names = pd.Series(data.series_names())
    mapped = set(names[data.mapping_keys(names).notna()])
    left = set(data.left_out()["series"])
    assert not mapped & left
    assert mapped | left == set(data.series_names())  # a new series in the data fails here
    assert _doc_left_out() == left
    text = DOC.read_text(encoding="utf-8")
    for series in data.mapping()["series"]:  # each row of the mapping, patterns as written
        assert f"`{series}`" in text, series


def test_every_data_row_of_a_mapped_series_has_a_unit_of_the_mappings_meaning():
    frame = data.load()
    keys = data.mapping_keys(frame["series"])
    units_of = data.mapping().set_index("series")["unit"]
    factors = [units.factor(row.unit, units_of[key].split(" | ")[0])
               for row, key in zip(frame.itertuples(), keys) if key is not None]
    assert len(factors) > 200 and set(factors) == {1.0}


@pytest.mark.parametrize("observed, expected, factor", [
    ("USD billion (a note)", "USD billion", 1.0),
    ("USD million", "USD billion", 1e-3),
    ("USD trillion (current US$, market exchange rates)", "USD billion nominal", 1e3),
    ('USD billion nominal (incl. finance leases; "over $416 billion")',
     "USD billion nominal (Amazon+Google+Meta+Microsoft, incl. finance leases)", 1.0),
    ("FLOP (Epoch confidence: Likely)", "FLOP", 1.0),
])
def test_units_of_one_meaning_convert(observed, expected, factor):
    assert units.factor(observed, expected) == pytest.approx(factor)


@pytest.mark.parametrize("observed, expected, message", [
    ("USD million (2023 dollars)", "USD million (2024 dollars)", "is in 2023 dollars, expected 2024 dollars"),
    ("FLOP", "USD billion", "measures 'flop', expected 'usd'"),
    ("USD billion nominal (incl. finance leases)", "USD billion nominal (purchases of P&E, finance leases "
     "excluded)", "includes finance leases; expected excluding them"),
])
def test_units_of_another_meaning_are_refused_with_the_reason(observed, expected, message):
    with pytest.raises(units.UnitMismatch, match=re.escape(message)):
        units.factor(observed, expected)


def test_nvidia_quarters_of_any_fiscal_year_are_mapped_by_pattern():
    keys = data.mapping_keys(pd.Series(["nvidia_datacenter_revenue_quarter_FY27Q3",
                                        "nvidia_datacenter_revenue_quarter_FY23Q4", "nvidia_other_FY27Q3"]))
    assert keys.tolist() == ["nvidia_datacenter_revenue_quarter_FY*Q3", "nvidia_datacenter_revenue_quarter_FY*Q4",
                             None]


def test_scales_are_the_ratios_the_data_give():
    frame = data.load()
    table = data.mapping().set_index("series")["scale"]
    big4 = frame[frame["series"] == data.BIG4].set_index("year")["value"]
    delloro = frame[frame["series"] == "global_datacenter_capex_delloro"].set_index("year")["value"]
    ratio = (big4 / delloro).dropna()
    assert list(ratio.index) == [2020, 2021, 2022, 2023]
    big4_scale = math.exp(np.log(ratio).mean())
    assert table["hyperscaler_capex_big4_calendar_year"] == round(big4_scale, 3)

    def with_leases(year):
        return (_value(frame, "capex_alphabet_calendar_year", year) + _value(frame, "capex_amazon_calendar_year", year)
                + _value(frame, "capex_meta_incl_finance_leases_calendar_year", year)
                + _value(frame, "capex_microsoft_incl_finance_leases_calendar_year", year))
    leases = math.exp(np.mean([math.log(with_leases(y) / big4[y]) for y in (2022, 2023)]))
    assert table["capex_big4_total_calendar_year"] == round(big4_scale * leases, 3)
    assert with_leases(2024) == pytest.approx(_value(frame, "capex_big4_total_calendar_year", 2024), rel=0.01)

    revenue = _value(frame, "nvidia_datacenter_revenue_fiscal_year", 2025)
    share = frame[frame["series"] == "nvidia_share_msft_of_dc_revenue"].iloc[0]
    meta_share = float(re.search(r"Meta ([0-9.]+)", share["unit"]).group(1))
    microsoft = share["value"] * revenue / _value(frame, "capex_microsoft_incl_finance_leases_calendar_year", 2024)
    meta = meta_share * revenue / _value(frame, "capex_meta_incl_finance_leases_calendar_year", 2024)
    nvidia = math.sqrt(microsoft * meta)
    assert table["nvidia_datacenter_revenue_fiscal_year"] == round(nvidia, 3)
    quarters = table[table.index.str.startswith("nvidia_datacenter_revenue_quarter_")]
    assert len(quarters) == 4 and (quarters == round(nvidia, 3) / 4).all()
    assert table["world_gdp_nominal"] == 0.001
    assert table["peak_flop_per_rental_dollar"] == model.defaults()["Seconds per Year"]


# ---------------------------------------------------------------- reading a user's file


def test_read_observations_reads_a_good_file(tmp_path):
    path = tmp_path / "new.csv"
    path.write_text(HEADER + "2025,global_datacenter_capex_delloro,600,USD billion (+30% YoY),Dell'Oro,high\n"
                    "2025.3,cheapest_price_at_or_above_GPT-3_level_on_MMLU:Some Model,0.05,"
                    "USD per 1M tokens,Epoch,medium\n"
                    "2025,not_a_known_series,-1,whatever,x,unsure\n", encoding="utf-8")
    frame = data.read_observations(path)
    assert list(frame.columns) == list(data.COLUMNS)
    assert list(frame["year"]) == [2025, 2025.3, 2025]
    assert list(frame["label"]) == ["", "Some Model", ""]
    assert list(frame["file"]) == ["new.csv"] * 3


BAD_FILES = {
    "missing_columns": (HEADER.replace(",unit", "").replace(",source", "") + "2025,x,1,high\n",
                        ["lacks columns 'unit', 'source'", "required: year, series, value, unit, source, confidence"]),
    "text_year": (HEADER + "2025,world_gdp_nominal,1,\"USD trillion (current US$, market exchange rates)\",x,high\n"
                  "twenty,world_gdp_nominal,1,\"USD trillion (current US$, market exchange rates)\",x,high\n",
                  ["line 3", "year 'twenty' is not a number"]),
    "text_value": (HEADER + "2025,world_gdp_nominal,n/a,\"USD trillion (current US$, market exchange rates)\",x,high\n",
                   ["line 2", "value 'n/a' is not a number"]),
    "empty_value": (HEADER + "2025,world_gdp_nominal,,\"USD trillion (current US$, market exchange rates)\",x,high\n",
                    ["line 2", "value is empty"]),
    "bad_confidence": (HEADER + "2025,global_datacenter_capex_delloro,600,USD billion,Dell'Oro,sure\n",
                       ["line 2", "confidence 'sure' is not recognised"]),
    "wrong_fields": (HEADER + "2025,global_datacenter_capex_delloro,600\n", ["line 2 has 3 fields"]),
    "header_only": (HEADER, ["has a header but no rows"]),
    "empty": ("", ["is empty"]),
    "not_csv": ("{\"parameters\": {}}\n", ["is not a data CSV"]),
}


@pytest.mark.parametrize("case", sorted(BAD_FILES))
def test_bad_files_are_one_line_errors_naming_file_and_problem(tmp_path, case):
    content, expected = BAD_FILES[case]
    path = tmp_path / f"{case}.csv"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(SdeconError) as error:
        data.read_observations(path)
    message = str(error.value)
    assert "\n" not in message and str(path) in message
    for part in expected:
        assert part in message


def test_missing_binary_and_directory_files_are_one_line_errors(tmp_path):
    binary = tmp_path / "figure.png"
    binary.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\xff\xfe")
    for path, expected in ((tmp_path / "nowhere.csv", "not found"), (binary, "is not a CSV file"),
                           (tmp_path, "is a directory")):
        with pytest.raises(SdeconError) as error:
            data.read_observations(path)
        assert "\n" not in str(error.value) and expected in str(error.value)


# ---------------------------------------------------------------- compare


def _observations(rows):
    return pd.DataFrame(rows, columns=["year", "series", "label", "value", "unit", "confidence"])


def _frame():
    years = np.arange(2015, 2026)
    return pd.DataFrame({
        "Datacenter Capex": 100.0 * 2.0 ** (years - 2015),
        "Price of AI Compute": 1e6 * 0.25 ** (years - 2015),
        "Cost of Peak Compute": np.full(len(years), 1e-10),
        "GDP": np.where(years <= 2020, 80000.0, 320000.0),  # a jump, to tell geometric from linear
    }, index=pd.Index(years, name="year"))


def test_compare_gives_known_log_errors_with_geometric_interpolation():
    frame = _frame()
    obs = _observations([
        (2020, "global_datacenter_capex_delloro", "", 200.0, "USD billion (+1%)", "high"),
        (2020, "world_gdp_nominal", "", 100.0, "USD trillion (current US$, market exchange rates)", "medium (+-3%)"),
        (2021, "peak_flop_per_rental_dollar", "A", 1e17, "FLOP per USD at 100% utilization (price 1 USD/GPU-hour)",
         "medium"),
    ])
    result = observations.compare(frame, obs)
    table = result.table.set_index("series")
    assert result.unknown.empty and result.outside.empty
    # Dell'Oro 2020 at model time 2020.5: 100 x 2^5.5, scale 1
    row = table.loc["global_datacenter_capex_delloro"]
    assert row["time"] == 2020.5 and row["modelled"] == pytest.approx(100 * 2 ** 5.5)
    assert row["log_error"] == pytest.approx(math.log(100 * 2 ** 5.5 / 200))
    assert row["weight"] == 1.0 and row["unit"] == "USD billion (+1%)"
    # GDP between 80,000 (2020) and 320,000 (2021): geometric mean 160,000, not 200,000
    row = table.loc["world_gdp_nominal"]
    assert row["modelled"] == pytest.approx(160.0) and row["weight"] == 0.5
    assert row["log_error"] == pytest.approx(math.log(1.6))
    # rental: seconds per year / cost of peak compute, power -1
    row = table.loc["peak_flop_per_rental_dollar"]
    assert row["modelled"] == pytest.approx(31557600 / 1e-10)
    assert row["log_error"] == pytest.approx(math.log(3.15576e17 / 1e17))
    assert row["label"] == "A"


def test_a_trend_only_series_takes_the_level_a_calibration_gives_never_its_own_rows():
    frame = _frame()
    series = "cheapest_price_at_or_above_GPT-3_level_on_MMLU"
    obs = _observations([
        (2021.5, series, "A", 60.0, "USD per 1M tokens", "high"),
        (2023.0, series, "B", 2.0, "USD per 1M tokens", "low"),
    ])
    raw = np.array([1e6 * 0.25 ** 6.5 / 60.0, 1e6 * 0.25 ** 8 / 2.0])  # model / observed, geometric in 2021-2022
    w = np.array([1.0, 0.25])
    level = np.sum(w * np.log(raw)) / np.sum(w)
    # What a fit does: the weighted mean is the level, and it is taken out.
    selected = observations.select(obs, first=2015, last=2025)
    modelled = observations.modelled({"Price of AI Compute": frame["Price of AI Compute"].to_numpy()},
                                     frame.index.to_numpy(), selected)
    assert observations.levels(modelled[:, 0], selected) == {series: pytest.approx(level)}
    np.testing.assert_allclose(observations.log_errors(modelled, selected)[:, 0], np.log(raw) - level)
    # What validate does: the level comes from the calibration, not from these rows.
    table = observations.compare(frame, obs, fitted_levels={series: 0.5}).table
    np.testing.assert_allclose(table["log_error"], np.log(raw) - 0.5)
    np.testing.assert_allclose(table["scale"], math.exp(-0.5))
    np.testing.assert_allclose(np.log(table["modelled"] / table["observed"]), table["log_error"])
    assert table["fit"].all()
    # A single new row would "match" perfectly if it set its own level; without a level it is skipped.
    alone = observations.compare(frame, obs.iloc[:1])
    assert alone.table.empty
    assert "no calibration gives its level" in alone.skipped["reason"].iloc[0]


def test_units_duplicates_and_non_positive_values_are_listed_not_fatal():
    frame = _frame()
    obs = _observations([
        (2020, "global_datacenter_capex_delloro", "", 200_000.0, "USD million", "high"),     # converted
        (2020, "global_datacenter_capex_delloro", "", 200_000.0, "USD million", "high"),     # duplicate
        (2021, "global_datacenter_capex_delloro", "", 5.0, "FLOP", "high"),                  # another quantity
        (2022, "global_datacenter_capex_delloro", "", 0.0, "USD billion", "high"),           # not positive
        (2023, "global_datacenter_capex_delloro", "", 900.0, "USD billion", "high"),
    ])
    result = observations.compare(frame, obs)
    assert result.table["year"].tolist() == [2020, 2023]
    assert result.table["observed"].tolist() == [200.0, 900.0]  # in the mapping's unit, USD billion
    reasons = result.skipped.set_index("year")["reason"]
    assert reasons[2020].startswith("duplicate of an earlier row")
    assert "measures 'flop', expected 'usd'" in reasons[2021]
    assert "not positive" in reasons[2022]
    assert result.table["weight"].tolist() == [0.5, 0.5]  # confidence over the series' compared rows


def test_compare_lists_unknown_series_and_rows_outside_the_run():
    frame = _frame()
    obs = _observations([
        (2020, "global_datacenter_capex_delloro", "", 200.0, "USD billion", "high"),
        (2025, "global_datacenter_capex_delloro", "", 600.0, "USD billion", "high"),  # 2025.5 > 2025
        (2020, "made_up_series", "", 1.0, "x", "whatever"),
        (2020, "us_gdp_nominal", "", 21354.1, "USD billion (current dollars)", "high"),
    ])
    result = observations.compare(frame, obs)
    assert list(result.table["year"]) == [2020]
    assert list(result.outside["year"]) == [2025]
    assert "outside the run's years 2015-2025" in result.outside["reason"].iloc[0]
    unknown = result.unknown.set_index("series")["reason"]
    assert unknown["made_up_series"].startswith("not in the mapping")
    assert unknown["us_gdp_nominal"].startswith("left out of the mapping: US GDP")
    assert len(result.table) + len(result.unknown) + len(result.outside) == len(obs)


def test_compare_needs_the_mapped_variables_in_the_frame():
    obs = _observations([(2020, "global_compute_stock_typo", "", 1.0, "x", "high"),
                         (2020, "global_datacenter_compute_stock", "", 4e21, "FLOP/s", "low-medium")])
    with pytest.raises(SdeconError, match="no column 'Installed Compute'"):
        observations.compare(_frame(), obs)


def test_every_reference_row_is_compared_or_accounted_for(baseline):
    rows = data.load()
    levels = calibration.load_calibration(calibration.BASELINE).levels
    result = observations.compare(baseline, rows, fitted_levels=levels)
    assert len(result.table) + len(result.skipped) == len(rows)
    assert set(data.mapping_keys(result.table["series"])) == set(data.mapping()["series"])
    assert result.table["log_error"].notna().all() and math.isfinite(result.rms)
    assert set(result.unknown["series"]) == set(data.left_out()["series"])
    assert set(result.outside["year"]) <= set(range(2010, 2015))  # before the run starts
    summary = result.summary()
    assert summary.loc["world_gdp_nominal", "rows"] == 10
    assert (summary["max_abs_log_error"] >= summary["mean_abs_log_error"]).all()
