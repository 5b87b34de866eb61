"""Charts over the years: scenarios, a series against history, fans of a sweep or a forecast, backtests,
and the whole-figure grids built from them."""
from __future__ import annotations

import functools
import math
import re
from collections.abc import Sequence

import numpy as np
import pandas as pd

from ..errors import SdeconError
from .base import (DASHES, KEY_PANELS, percentile_pairs, reader_values, scenario_styles, series_title, _axes,
                   _base_year_line, _grid, _label_time_axes, _legend_inside, _pyplot, _short_unit, _style, _year_axis)


def plot_scenarios(runs: pd.DataFrame | dict[str, pd.DataFrame], variable: str | Sequence[str], ax=None, *,
                   title: str | None = None, observed: dict[str, pd.Series] | None = None,
                   fontscale: float = 1.0):
    """A variable over the years under one or several scenarios, a line each.

    Each scenario has its own colour and dash, the same in every chart (``scenario_styles``);
    with several variables, a scenario's lines share its colour and each variable has a dash
    (with one scenario, a style each). The base year is dotted, the y axis carries the unit,
    and the scale is logarithmic when the values span more than ``LOG_SPAN``.

    Parameters
    ----------
    runs : DataFrame or dict of str to DataFrame
        One run indexed by year (``sdecon.run``), or several keyed by scenario name.
    variable : str or sequence of str
        The variable to draw, or several (a line per scenario and variable).
    ax : matplotlib Axes, optional
        Where to draw; a new figure when None.
    title : str, optional
        The title (default: the variable names).
    observed : dict of str to Series, optional
        Data in the variable's units, indexed by (decimal) time, keyed by the label a reader
        sees (which should say how the data were converted): drawn as black markers.
    fontscale : float
        Type size relative to a standalone 8 x 4.2 inch figure.

    Returns
    -------
    matplotlib Axes
    """
    runs = runs if isinstance(runs, dict) else {"": runs}
    variables = [variable] if isinstance(variable, str) else list(variable)
    ax = _axes(ax)
    styles = scenario_styles(list(runs))
    lines = [(name, frame, v) for name, frame in runs.items() for v in variables]
    # The lines in the reader's unit, converted together (one unit for the axis; the variables
    # of a panel share the model's unit).
    shown = reader_values(variables[-1], pd.DataFrame({(name, v): frame[v] for name, frame, v in lines}))
    for name, frame, v in lines:
        label = " / ".join(x for x in (name, v if len(variables) > 1 else "") if x)
        style = styles[name]
        if len(variables) > 1:
            number = variables.index(v)
            style = _style(number) if len(runs) == 1 else {**style, "linestyle": DASHES[number % len(DASHES)]}
        ax.plot(frame.index, shown.values[(name, v)], label=label or None, linewidth=1.6, **style)
    # Data in the reader's unit too: the price over the first line's 2024 value
    factor = shown.factor.iloc[0] if isinstance(shown.factor, pd.Series) else shown.factor
    points_shown = {label: points * factor for label, points in (observed or {}).items()}
    for marker, (label, points) in zip("osD^v<>", points_shown.items()):
        ax.plot(points.index, points, linestyle="none", marker=marker, markersize=4 * fontscale, color="black",
                markerfacecolor="none" if marker != "o" else "black", label=label, zorder=5)
    _base_year_line(ax, fontscale)
    values = pd.concat([shown.values[column] for column in shown.values.columns] + list(points_shown.values()))
    _label_time_axes(ax, fontscale, title or ", ".join(variables), shown.label, values,
                     "scenario" if len(variables) == 1 else None, shown.percent)
    ax.margins(x=0.01)
    return ax


def history_label(series: str, level: float | None = None) -> str:
    """How the model's line of a fitted series was mapped to the data, for its legend.

    Parameters
    ----------
    series : str
        A data series of the mapping (`sdecon.data.mapping`).
    level : float, optional
        The level a calibration fitted for a trend-only series (`Calibration.levels`): the
        model's values are divided by exp(level).

    Returns
    -------
    str
        E.g. ``"model × 0.586, at mid-year"``, ``"model ÷ 13.2 (level fitted)"``,
        ``"model × 0.322, 0.42 year earlier"``; ``"model"`` when nothing was changed.
    """
    from .. import data
    mapping = data.mapping().set_index("series")
    row = mapping.loc[series] if series in mapping.index else None
    parts = []
    if level is not None and math.isfinite(level):
        parts.append(f" ÷ {math.exp(level):.3g} (level fitted)")
    elif row is not None and float(row["scale"]) != 1 and not bool(row["fit"]):
        parts.append(f" × {float(row['scale']):.3g}")
    offset = 0.0 if row is None else float(row["time_offset"])
    if offset == 0.5:
        parts.append(", at mid-year")
    elif offset:
        parts.append(f", {abs(offset):.3g} year {'later' if offset > 0 else 'earlier'}")
    return "model" + "".join(parts)


def plot_series_history(table: pd.DataFrame, ax=None, *, trend: bool = False, level: float | None = None,
                        fontscale: float = 1.0):
    """One fitted data series against the model: observations as dots, the model as a line.

    The legend says how the model was mapped to the data (`history_label`): its scale factor,
    or the level a fit found, and its time offset.

    Parameters
    ----------
    table : DataFrame
        The rows of one series of a calibration's residuals (columns series, year, observed,
        modelled, unit).
    ax : matplotlib Axes, optional
        Where to draw; a new figure when None.
    trend : bool
        The series is compared on its trend only (its level fitted): says so in the legend.
    level : float, optional
        That level (`Calibration.levels`), to give the factor in the legend.
    fontscale : float
        Type size relative to a standalone 8 x 4.2 inch figure.

    Returns
    -------
    matplotlib Axes
    """
    table = table.sort_values("year", kind="stable")
    series = str(table["series"].iloc[0])
    label = history_label(series, level)
    if trend and "level fitted" not in label:
        label = label.replace("model", "model, level fitted", 1)
    ax = _axes(ax)
    ax.plot(table["year"], table["modelled"], color=_style(0)["color"], linewidth=1.6, zorder=2, label=label)
    ax.plot(table["year"], table["observed"], linestyle="none", marker="o", markersize=3.8 * fontscale,
            color="black", zorder=3, label="observed")
    _label_time_axes(ax, fontscale, series_title(series), _short_unit(table["unit"].iloc[0]),
                     pd.concat([table["observed"], table["modelled"].dropna()]), "history")
    # Inside the axes: the line's label says its scale and offset, too long for the room beside it
    ax.legend(title="history", loc="best", fontsize=8 * fontscale, title_fontsize=8 * fontscale)
    return ax


def plot_fan(bands: pd.DataFrame, variable: str, ax=None, run: pd.Series | None = None, run_name: str = "scenario",
             *, runs: int | None = None, fontscale: float = 1.0, observed: pd.Series | None = None,
             title: str | None = None):
    """The range of one variable over a sweep or a forecast: percentile bands shaded, the
    median as a line, and the data as points when given.

    Parameters
    ----------
    bands : DataFrame
        A sweep's percentile bands (``summary_bands``: variable, unit, year, runs, p5 ... p95).
    variable : str
        The variable to draw.
    ax : matplotlib Axes, optional
        Where to draw; a new figure when None.
    run : Series, optional
        A run of the variable indexed by year, drawn dashed.
    run_name : str
        Its name in the legend (``"<run_name> run"``).
    runs : int, optional
        The sweep's number of runs, the legend's title (default: the most ``bands`` counts).
    fontscale : float
        Type size relative to a standalone 8 x 4.2 inch figure.
    observed : Series, optional
        Data in the variable's units, indexed by model time, drawn as points.
    title : str, optional
        The title (default "<variable>: range over the sweep").

    Returns
    -------
    matplotlib Axes
    """
    raw = bands[bands["variable"] == variable].sort_values("year")
    pairs = percentile_pairs(raw)
    columns = [c for c in raw.columns if re.fullmatch(r"p\d+", c)]
    # Every band in the reader's unit, one factor for all (the price index: the median's 2024 value).
    wide = raw.set_index("year")[columns]
    extra = {k: pd.Series(v.to_numpy(), index=v.index, dtype=float) for k, v in
             (("run", run), ("observed", observed)) if v is not None and len(v)}
    shown = reader_values(variable, pd.concat([wide.stack()] + list(extra.values())),
                          base=wide["p50"] if "p50" in wide else None)
    rows = (wide * shown.factor).rename_axis("year").reset_index()
    drawn = {k: v * shown.factor for k, v in extra.items()}
    ax = _axes(ax)
    colour = _style(0)["color"]
    for k, (lo, hi) in enumerate(pairs):
        ax.fill_between(rows["year"], rows[f"p{lo}"], rows[f"p{hi}"], color=colour, linewidth=0,
                        alpha=0.16 + 0.14 * k, label=f"{lo}th-{hi}th percentile")
    ax.plot(rows["year"], rows["p50"], color=colour, linewidth=1.8, label="median")
    if "run" in drawn:
        ax.plot(drawn["run"].index, drawn["run"].to_numpy(), color="black", linewidth=1.1, linestyle="--",
                label=f"{run_name} run")
    if "observed" in drawn:
        ax.plot(drawn["observed"].index, drawn["observed"].to_numpy(), linestyle="none", marker="o",
                markersize=3.5 * fontscale, color="black", zorder=3, label="data")
    _base_year_line(ax, fontscale)
    values = pd.concat([rows[f"p{p}"] for pair in pairs for p in pair] + [rows["p50"]] + list(drawn.values()))
    runs = int(raw["runs"].max()) if runs is None else runs
    _label_time_axes(ax, fontscale, title or f"{variable}: range over the sweep", shown.label, values,
                     f"{runs:,} runs", shown.percent)
    ax.margins(x=0.01)
    return ax


def plot_forecast(result, variable: str, ax=None, *, fontscale: float = 1.0):
    """A forecast's bands of one variable (`sdecon.forecast`) with the data the posterior saw.

    Parameters
    ----------
    result : Forecast
        The forecast.
    variable : str
        A public variable.
    ax : matplotlib Axes, optional
        Where to draw; a new figure when None.
    fontscale : float
        Type size relative to a standalone 8 x 4.2 inch figure.

    Returns
    -------
    matplotlib Axes
    """
    data = result.history[result.history["variable"] == variable]
    observed = pd.Series(data["as_variable"].to_numpy(), index=data["time"].to_numpy()).dropna()
    return plot_fan(result.bands, variable, ax, runs=result.samples, fontscale=fontscale, observed=observed,
                    title=f"{variable}: forecast given the history")


def plot_forecasts(result, title: str = ""):
    """`plot_forecast` for every public variable, three panels a row.

    Returns
    -------
    matplotlib Figure
    """
    variables = list(dict.fromkeys(result.bands["variable"]))
    return _grid([functools.partial(plot_forecast, result, v, fontscale=0.75) for v in variables], 3, (16 / 3, 3.4),
                 6, title)


def plot_backtest(result, series: str, ax=None):
    """Every origin's fit (dashed, to the origin) and forecast (solid, after it) of one
    series against the data (points), on a log scale.

    Parameters
    ----------
    result : sdecon.backtesting.Backtest
        What `sdecon.backtest` returned.
    series : str
        A data series of the backtest.
    ax : matplotlib Axes, optional
        Where to draw; a new figure when None.

    Returns
    -------
    matplotlib Axes
    """
    plt = _pyplot()
    paths = result.paths[result.paths["series"] == series]
    if paths.empty:
        known = sorted(result.paths["series"].unique())
        raise SdeconError(f"series {series!r} is not in the backtest; expected one of {', '.join(known)}",
                          argument="series")
    ax = _axes(ax)
    data = paths.drop_duplicates("time")
    ax.scatter(data["time"], data["observed"], color="black", zorder=3, s=18, label="data")
    colours = plt.get_cmap("viridis")(np.linspace(0, 0.9, len(result.origins)))
    for origin, colour in zip(result.origins, colours):
        run = paths[paths["origin"] == origin].sort_values("time")
        before, after = run[run["time"] < origin + 1], run[run["time"] >= origin]
        ax.plot(before["time"], before["modelled"], color=colour, linestyle="--", linewidth=1)
        ax.plot(after["time"], after["modelled"], color=colour, linewidth=2,
                label=f"fitted to {origin}")
    ax.set_yscale("log")
    ax.set_title(paths["label"].iloc[0] if "label" in paths and paths["label"].notna().any() else series)
    ax.set_xlabel("year")
    _year_axis(ax)
    ax.legend(fontsize=8)
    return ax


# --------------------------------------------------------------------------------------
# Whole figures
# --------------------------------------------------------------------------------------


def plot_key_outputs(runs: pd.DataFrame | dict[str, pd.DataFrame], title: str = ""):
    """A 2x3 grid of the key outputs (``KEY_PANELS``) for one run, or for several keyed by scenario.

    Returns
    -------
    matplotlib Figure
    """
    fig, axes = _pyplot().subplots(2, 3, figsize=(15, 8.5), layout="constrained")
    for ax, (panel, variables) in zip(axes.flat, KEY_PANELS):
        plot_scenarios(runs, variables, ax=ax, title=panel)
        _legend_inside(ax, 8)
    if title:
        fig.suptitle(title)
    return fig


def plot_history(residuals: pd.DataFrame, title: str = "", levels: dict[str, float] | None = None):
    """Model against history: `plot_series_history` for each series, two panels a row, each
    legend saying the model's scale factor and time offset.

    Parameters
    ----------
    residuals : DataFrame
        A calibration's table (series, year, observed, modelled, unit, ...).
    title : str
        The figure's title.
    levels : dict of str to float, optional
        The calibration's fitted levels of trend-only series (`Calibration.levels`).

    Returns
    -------
    matplotlib Figure
    """
    groups = list(residuals.groupby("series", sort=False))
    levels = levels or {}
    return _grid([functools.partial(plot_series_history, table, trend=series in levels,
                                    level=levels.get(series), fontscale=0.8) for series, table in groups], 2,
                 (6.4, 3.2), 7, title)
