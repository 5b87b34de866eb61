"""Backtests: each origin's fit sees only the data through it, and a model that made the
data forecasts it."""
import numpy as np
import pytest
from pictures import source_line_drawn

import sdecon
from sdecon import fit
from sdecon.cli import main
from sdecon.errors import SdeconError


@pytest.fixture(scope="module")
def synthetic():
    """The shipped rows with their values replaced by the baseline's own (committed fit)."""
    return fit.synthetic(sdecon.load_scenario("baseline").values, until=2024)


@pytest.fixture(scope="module")
def result(synthetic):
    return sdecon.backtest(origins=(2021, 2023), horizon=2, table=synthetic)


def test_each_fit_sees_only_the_data_through_its_origin(result, synthetic):
    errors = result.errors
    for origin, calibration in result.fits.items():
        assert calibration.until == origin
        seen = fit.select(until=origin, table=synthetic).table
        assert len(calibration.residuals) == len(seen) and (seen["time"] < origin + 1).all()
        fitted = set(zip(calibration.residuals["series"], calibration.residuals["year"]))
        held_out = errors[errors["origin"] == origin]
        assert len(held_out) > 0
        assert fitted.isdisjoint(zip(held_out["series"], held_out["year"]))
    assert (errors["time"] >= errors["origin"] + 1).all()
    assert set(errors["horizon"]) <= {1, 2}
    assert (errors["horizon"] <= errors["time"] - errors["origin"] + 1).all()


def test_a_model_forecasts_data_it_made_itself(result):
    # The fit reproduces the history it was made from, so its next years hold too.
    next_year = result.next_year()
    assert len(next_year) >= 8
    assert np.abs(next_year["error"]).max() < 0.05, next_year.to_string()
    summary = result.summary()
    assert set(summary.columns) >= {"series", "horizon", "rms_log_error", "share_within_30pct"}
    assert (summary["share_within_30pct"] == 1).all()


def test_origins_outside_the_data_are_refused():
    with pytest.raises(SdeconError, match="origins: 2024 is outside the years a backtest can use: "
                                          "expected 2017 to 2023"):
        sdecon.backtest(origins=(2022, 2024))
    with pytest.raises(SdeconError, match="horizon 0 must be at least 1 year"):
        sdecon.backtest(origins=(2022,), horizon=0)


def test_the_command_writes_errors_summaries_and_a_figure_per_series(tmp_path, capsys):
    out = tmp_path / "bt"
    assert main(["backtest", "--origins", "2023", "--horizon", "1", "--output", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "Next-year forecasts" in printed and "global_datacenter_capex_delloro" in printed
    names = {p.name for p in out.iterdir()}
    assert {"errors.csv", "summary.csv", "next_year.csv",
            "global_datacenter_capex_delloro.png", "nvidia_datacenter_revenue_fiscal_year.png"} <= names
    assert all(source_line_drawn(path, 110) for path in out.glob("*.png"))
    assert main(["backtest", "--origins", "20x1"]) == 2
    assert "expected years separated by commas" in capsys.readouterr().err
    assert main(["backtest", "--origins", "2023", "--output", str(tmp_path / "no" / "such")]) == 2
    assert "folder" in capsys.readouterr().err and not (tmp_path / "no").exists()
    assert main(["backtest", "--origins", "2023", "--output", str(out / "errors.csv")]) == 2
    assert "exists and is not a directory" in capsys.readouterr().err


def test_the_backtest_chart_draws_into_the_axes_it_is_given_or_a_new_one(result):
    from matplotlib.figure import Figure

    from sdecon import plotting

    series = sorted(result.paths["series"].unique())[0]
    ax = plotting.plot_backtest(result, series)
    assert len(ax.lines) == 2 * len(result.origins) and len(ax.collections) == 1  # fit and forecast; data
    given = Figure().add_subplot()
    assert plotting.plot_backtest(result, series, ax=given) is given and len(given.lines) == len(ax.lines)
    with pytest.raises(SdeconError, match="series 'nope' is not in the backtest"):
        plotting.plot_backtest(result, "nope")
    plotting.plt.close("all")
