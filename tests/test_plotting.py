"""Charts: a scenario's line keeps its colour and dash whatever the order, time axes tick
whole years, and every exported figure carries its source line. The runs are made up (a
chart does not care where its numbers come from), so that no test here runs the model."""
from __future__ import annotations

import functools
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from matplotlib.colors import to_rgba
from pictures import source_line_drawn

import sdecon
from sdecon import model, plotting
from sdecon.report import figures
from sdecon.report.content import Figure

VARIABLE = "Compute Spending"


def _runs(names) -> dict[str, pd.DataFrame]:
    """A made-up run per name, indexed by year, each its own level of VARIABLE."""
    years = np.arange(2020, 2041)
    return {name: pd.DataFrame({VARIABLE: 100.0 * (k + 1) * 1.05 ** (years - 2020)}, index=years)
            for k, name in enumerate(names)}


def _line_styles(ax) -> dict[str, tuple]:
    """Each labelled line's colour and dash pattern (offset, on-off sequence in points)."""
    return {line.get_label(): (to_rgba(line.get_color()), line._unscaled_dash_pattern) for line in ax.lines
            if not line.get_label().startswith("_")}


@pytest.fixture
def close():
    """Closes the figures a test opened."""
    yield
    plotting.plt.close("all")


def test_every_shipped_scenario_has_its_own_style():
    assert set(plotting.SCENARIO_STYLES) == set(sdecon.scenario_names())
    styles = plotting.scenario_styles(sdecon.scenario_names())
    assert len({s["color"] for s in styles.values()}) == len(styles)
    assert len({str(s["linestyle"]) for s in styles.values()}) == len(styles)   # distinct in grey print
    assert styles["baseline"] == {"color": to_rgba("tab:blue"), "linestyle": "-"}


def test_a_scenario_keeps_its_colour_and_dash_whatever_the_order(close):
    names = ["baseline", "jevons", "my-own", "saturation", "efficiency-shock", "seed004-base"]
    forward = _line_styles(plotting.plot_scenarios(_runs(names), VARIABLE))
    backward = _line_styles(plotting.plot_scenarios(_runs(names[::-1]), VARIABLE))
    assert set(forward) == set(names) and forward == backward
    assert len(set(forward.values())) == len(names)          # six scenarios, six styles
    # The user's scenario takes the first style no shipped scenario drawn has: jevons' is free
    # when jevons is not drawn, and taken (so another) when it is.
    assert plotting.scenario_styles(["my-own", "baseline"])["my-own"] == plotting.scenario_styles(["jevons"])["jevons"]
    assert forward["my-own"] == _line_styles(plotting.plot_scenarios(_runs(["infrastructure-limits"]), VARIABLE))[
        "infrastructure-limits"]


def test_many_lines_never_share_a_style():
    styles = plotting.scenario_styles([f"user-{k}" for k in range(40)])
    assert len({(s["color"], str(s["linestyle"])) for s in styles.values()}) == 40


def _tick_years(ax) -> list[str]:
    """The x tick labels as drawn."""
    ax.figure.canvas.draw()
    return [t.get_text() for t in ax.get_xticklabels() if t.get_visible() and t.get_text()]


def _whole_years(labels: list[str]) -> bool:
    return len(labels) >= 2 and all(label.isdigit() and len(label) == 4 for label in labels)


def test_time_axes_tick_whole_years(close):
    # A span of dates given as fractions of a year, shorter than two years: the default ticks
    # would be 2023.25, 2023.5, ...
    table = pd.DataFrame({"series": "world_gdp_nominal", "year": [2023.2, 2023.6, 2024.1],
                          "observed": [1.0, 2.0, 3.0], "modelled": [1.1, 1.9, 3.2], "unit": "USD billion"})
    ax = plotting.plot_series_history(table)
    assert _whole_years(_tick_years(ax)) and "2023" in _tick_years(ax) and "2024" in _tick_years(ax)
    two_years = _runs(["baseline"])["baseline"].loc[2023:2025]
    assert _whole_years(_tick_years(plotting.plot_scenarios(two_years, VARIABLE)))
    times = [2019.5, 2020.5, 2021.5, 2022.5]
    paths = pd.DataFrame({"series": "s", "time": times * 2, "observed": [1.0, 2.0, 4.0, 8.0] * 2,
                          "modelled": [1.0, 2.1, 3.9, 8.2, 1.0, 1.9, 4.2, 7.5], "origin": [2020] * 4 + [2021] * 4})
    backtest = type("Backtest", (), {"paths": paths, "origins": (2020, 2021)})()
    assert _whole_years(_tick_years(plotting.plot_backtest(backtest, "s")))


def _separate(fig) -> bool:
    """The source line clear of every axes and its labels (drawn)."""
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    (line,) = [t for t in fig.texts if t.get_label() == "source"]
    extent = line.get_window_extent(renderer)
    return not any(extent.overlaps(ax.get_tightbbox(renderer)) for ax in fig.axes if ax.get_visible())


def test_exported_figures_carry_the_source_line(tmp_path, close):
    expected = f"Source: sdecon {sdecon.__version__} (model SHA-256 {model.model_hash()[:12]}); "
    fig = plotting.plot_scenarios(_runs(["baseline", "jevons"]), VARIABLE).figure
    for name in ("chart.png", "chart.svg"):
        plotting.figure_writer(fig, tmp_path / name)(tmp_path / name)
        plotting.figure_writer(fig, tmp_path / name)(tmp_path / name)   # again: still one line
    svg = (tmp_path / "chart.svg").read_text(encoding="utf-8")
    assert svg.count(expected + plotting.SOURCE_DATA) == 1 and ">year<" in svg      # text kept as text
    assert source_line_drawn(tmp_path / "chart.png", 110) and _separate(fig)
    assert not source_line_drawn(_png(plotting.plot_scenarios(_runs(["baseline"]), VARIABLE).figure, tmp_path), 110)

    block = Figure("chart", VARIABLE, "", functools.partial(plotting.plot_scenarios, _runs(["baseline"]), VARIABLE))
    svg = figures.save_figure(block, tmp_path)
    assert svg.count(expected + figures.SOURCE_DATA) == 1
    assert source_line_drawn(tmp_path / "chart.png", figures.FIGURE_DPI) and _separate(figures.render_figure(block))


def _png(fig, folder) -> Path:
    """`fig` saved as PNG as it is, without a source line."""
    fig.savefig(folder / "plain.png", dpi=110)
    return folder / "plain.png"


def test_a_narrow_figure_breaks_its_source_line(close):
    narrow, wide = plotting.plt.figure(figsize=(3, 3)), plotting.plt.figure(figsize=(8, 3))
    assert plotting.add_source(narrow).get_text() == plotting.source_line().replace("; ", ";\n")
    assert plotting.add_source(wide).get_text() == plotting.source_line()


def test_a_chart_of_the_share_of_gdp_has_percent_ticks(close):
    """The share of GDP is drawn in percent: "% of GDP" on the axis, ticks "1%", "2%", a
    linear axis when it spans less than LOG_SPAN, and hover text in percent."""
    years = np.arange(2020, 2041)
    share = "Compute Spending Share of GDP"
    runs = {"baseline": pd.DataFrame({share: np.linspace(0.01, 0.04, len(years))}, index=years)}
    fig = figures.render_figure(Figure("share", share, "", functools.partial(plotting.plot_scenarios, runs, share)))
    (ax,) = fig.axes
    fig.canvas.draw()
    ticks = [t.get_text() for t in ax.get_yticklabels() if t.get_text()]
    assert ax.get_ylabel() == "% of GDP" and ax.get_yscale() == "linear"
    assert ticks and all(t.endswith("%") for t in ticks) and "2%" in ticks and "3%" in ticks, ticks
    assert ax.lines[0].get_ydata()[0] == pytest.approx(1.0)         # 0.01 of GDP drawn as 1%
    assert figures._hover_titles(fig)["hover-1"] == "baseline: 2030 2.5%, 2040 4%"


def test_reader_values_convert_the_model_units():
    years = np.arange(2020, 2031)
    price = pd.DataFrame({"a": 2.0 ** -(years - 2020.0), "b": 3.0 ** -(years - 2020.0)}, index=years)
    shown = plotting.reader_values(plotting.PRICE, price)
    assert shown.values.loc[plotting.PRICE_YEAR].tolist() == [1.0, 1.0]    # each run over its 2024 value
    assert "index 2024 = 1" in plotting.unit_label(plotting.PRICE) and "2024 = 1" in shown.label
    spending = plotting.reader_values("Compute Spending", pd.Series([780.0, 73_900.0]))
    assert spending.label == "USD trillion per year" and spending.values.tolist() == [0.78, 73.9]
    assert plotting.reader_values("Hardware Efficiency Multiplier", price).label == "multiplier, 1 in 2025"
    assert all("Dmnl" not in plotting.unit_label(v) for v in sdecon.PUBLIC_VARIABLES)


def test_history_legend_says_the_scale_and_the_time_offset(close):
    table = pd.DataFrame({"series": "hyperscaler_capex_big4_calendar_year", "year": [2021, 2022, 2023],
                          "observed": [150.0, 200.0, 258.0], "modelled": [160.0, 210.0, 332.0],
                          "unit": "USD billion nominal"})
    ax = plotting.plot_series_history(table)
    assert ax.get_legend().get_texts()[0].get_text() == "model × 0.586, at mid-year"
    assert plotting.history_label("training_cost_amortized_hw_energy", math.log(13.2)) == \
        "model ÷ 13.2 (level fitted), at mid-year"
