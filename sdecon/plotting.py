"""Charts of the model's outputs, one function a chart, with titles, axis labels and units.

Each `plot_*` function that takes `ax` draws into that matplotlib Axes (into a new figure when
it is None) and returns it, as SALib's `plot(Si, ax=None)` does; `plot_key_outputs` and
`plot_history` build whole figures from them, and the report draws every chart with them.
One rule chooses a log scale (`uses_log_scale`), one function labels units (`unit_label`).

pyplot is imported on first use (`plotting.plt` too), so importing this module stays quick.
"""
from __future__ import annotations

import functools
import math
import re
from collections.abc import Sequence
from pathlib import Path
from typing import NamedTuple

import numpy as np
import pandas as pd

from . import model
from .errors import SdeconError
from .output import check_writable

FIGURE_FORMATS = (".png", ".svg", ".pdf")
LOG_SPAN = 100.0          # log scale when a variable's positive values span more than this
TORNADO_TOP = 10          # parameters a tornado chart shows

#: Readable forms of the model's unit strings.
UNIT_LABELS = {
    "Dmnl": "dimensionless",
    "BUSD/Year": "USD billion per year",
    "USD/EFLOP": "USD per effective exaFLOP",
    "USD/BTokens": "USD per billion tokens",
    "FLOP/Second": "FLOP/s",
}

#: Panels of the key-output figure: title and variables.
KEY_PANELS = (
    ("Efficiency multipliers", ("Hardware Efficiency Multiplier", "Software Efficiency Multiplier",
                                "Combined Efficiency Multiplier")),
    ("Price of AI compute", ("Price of AI Compute",)),
    ("Compute spending", ("Training Compute Spending", "Inference Compute Spending", "Compute Spending")),
    ("Spending as a share of GDP", ("AI Spending Share", "Compute Spending Share of GDP")),
    ("Datacenter capex", ("Datacenter Capex",)),
    ("Installed compute", ("Installed Compute",)),
)

#: Readable names of the series a calibration fits (sdecon.calibration.FIT_SERIES); others
#: are shown by their identifiers.
SERIES_TITLES = {
    "hyperscaler_capex_big4_calendar_year": "Big-four hyperscaler capex",
    "capex_big4_total_calendar_year": "Big-four capex with finance leases",
    "global_datacenter_capex_delloro": "Worldwide datacenter capex (Dell'Oro)",
    "nvidia_datacenter_revenue_fiscal_year": "NVIDIA data-center revenue",
    "training_cost_amortized_hw_energy": "Frontier training cost",
    "max_training_compute_of_year": "Largest training run's compute",
    "cheapest_price_at_or_above_GPT-3.5_level_on_MMLU": "Cheapest price at GPT-3.5's level",
    "world_gdp_nominal": "World GDP",
}


class Index(NamedTuple):
    """How a sweep method's sensitivity index is shown."""
    method: str           # the method, for readers
    column: str           # the index's column in a sweep's indices
    conf: str             # its 95% confidence half-width
    label: str            # the axis label
    unit: str | None      # None: the output's own unit


#: The index a tornado chart shows for each sweep method.
INDEX_SHOWN = {
    "sobol": Index("Saltelli's Sobol' scheme", "ST", "ST_conf", "total-order Sobol' index ST",
                   "fraction of variance"),
    "morris": Index("Morris elementary effects", "mu_star", "mu_star_conf", "mu*, mean absolute elementary effect",
                    None),
    "mc": Index("Monte Carlo", "S1", "S1_conf", "first-order index S1, RBD-FAST", "fraction of variance"),
    "lhs": Index("Latin hypercube", "S1", "S1_conf", "first-order index S1, RBD-FAST", "fraction of variance"),
}

_STYLES = ("-", "--", ":", "-.")
_SUPERSCRIPT = str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹")


@functools.cache
def _pyplot():
    """pyplot on the Agg backend (files only; never needs a display)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    return plt


def __getattr__(name: str):
    if name == "plt":       # `plotting.plt`, imported when first asked for
        return _pyplot()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


# --------------------------------------------------------------------------------------
# Units and scales
# --------------------------------------------------------------------------------------


def _base_year() -> int:
    return int(model.defaults()["Base Year"])


def unit_label(variable: str) -> str:
    """A reader's unit for a model variable: its `.mdl` unit spelled out.

    Parameters
    ----------
    variable : str
        A model variable, e.g. ``"Compute Spending"``.

    Returns
    -------
    str
        ``UNIT_LABELS`` of its unit; a dimensionless multiplier is ``"multiplier, 1 in
        <Base Year>"`` and a share of GDP ``"fraction of GDP"``.
    """
    doc = model.documentation().loc[variable]
    unit = str(doc["Units"])
    if unit == "Dmnl":
        if variable.endswith("Multiplier"):
            return f"multiplier, 1 in {_base_year()}"
        if "of GDP" in doc["Comment"]:
            return "fraction of GDP"
    return UNIT_LABELS.get(unit, unit)


def _short_unit(text: str) -> str:
    """The unit before its qualifications: 'USD billion nominal (purchases ...; ...)' -> 'USD billion nominal'."""
    return re.split(r"\s*[(;]", str(text), maxsplit=1)[0].strip() or str(text)


def series_title(series: str) -> str:
    """A readable name for a fitted data series (``SERIES_TITLES``, else its identifier spaced out)."""
    return SERIES_TITLES.get(series, series.replace("_", " "))


def uses_log_scale(values) -> bool:
    """True when the positive values span more than LOG_SPAN (and none is zero or negative).

    Parameters
    ----------
    values : array-like
        The values a chart draws; NaN is ignored.
    """
    series = pd.Series(values, dtype=float).dropna()
    if series.empty or (series <= 0).any():
        return False
    return series.max() / series.min() > LOG_SPAN


def percentile_pairs(bands: pd.DataFrame) -> list[tuple[int, int]]:
    """(low, high) percentile pairs of a sweep's bands (columns p5, p10, ...), the widest first:
    (5, 95), (10, 90), (25, 75)."""
    found = sorted(int(c[1:]) for c in bands.columns if re.fullmatch(r"p\d+", c))
    return [(lo, hi) for lo in found for hi in found if lo < 50 and hi == 100 - lo]


# --------------------------------------------------------------------------------------
# What every chart over years shares
# --------------------------------------------------------------------------------------


def _axes(ax, size: tuple[float, float] = (8, 4.2)):
    """`ax`, or the axes of a new figure (the size of a report figure by default)."""
    if ax is None:
        _, ax = _pyplot().subplots(figsize=size, layout="constrained")
    return ax


def _style(index: int) -> dict:
    """Colour and line style per line: distinct in colour and in grey print."""
    from matplotlib import colormaps
    return {"color": colormaps["tab10"](index % 10), "linestyle": _STYLES[index % len(_STYLES)]}


def _power_of_ten(value: float, _position=None) -> str:
    if value <= 0:
        return ""
    exponent = round(math.log10(value))
    if abs(value / 10.0 ** exponent - 1) < 1e-9:
        return f"10{str(exponent).translate(_SUPERSCRIPT)}"
    return f"{value:g}"   # only when a log axis is narrowed below two decades


def _y_scale(ax, log: bool, values) -> None:
    """A log axis with powers of ten, or a linear one with thousands separators for large values."""
    from matplotlib.ticker import FuncFormatter, NullFormatter, StrMethodFormatter
    if log:
        ax.set_yscale("log")
        # Powers of ten in Unicode, not mathtext: the same look at a fraction of the time.
        ax.yaxis.set_major_formatter(FuncFormatter(_power_of_ten))
        ax.yaxis.set_minor_formatter(NullFormatter())
    elif pd.Series(values, dtype=float).abs().max() >= 10_000:
        ax.yaxis.set_major_formatter(StrMethodFormatter("{x:,.0f}"))


def _label_time_axes(ax, scale: float, title: str, ylabel: str, values, legend_title: str | None) -> None:
    """Title (saying when the scale is logarithmic), axis labels, y scale, grid and a legend
    beside the plot."""
    log = uses_log_scale(values)
    ax.set_title(title + (" (log scale)" if log else ""), fontsize=11 * scale, pad=12 * scale)
    ax.set_xlabel("year", fontsize=9 * scale)
    ax.set_ylabel(ylabel, fontsize=9 * scale)
    ax.tick_params(labelsize=8 * scale)
    _y_scale(ax, log, values)
    ax.grid(True, which="major", alpha=0.3)
    if ax.get_legend_handles_labels()[0]:
        ax.legend(title=legend_title, loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False,
                  fontsize=8 * scale, title_fontsize=8 * scale)


def _base_year_line(ax, scale: float) -> None:
    year = _base_year()
    ax.axvline(year, color="0.55", linewidth=0.8, linestyle=(0, (2, 2)))
    ax.text(year, 1.0, f" base year {year}", transform=ax.get_xaxis_transform(),
            fontsize=7 * scale, color="0.4", va="bottom", ha="left")


def _legend_inside(ax, fontsize: float) -> None:
    """The legend moved into the plot: panels of a grid leave no room beside them."""
    if ax.get_legend() is not None:
        ax.legend(fontsize=fontsize)


# --------------------------------------------------------------------------------------
# Charts
# --------------------------------------------------------------------------------------


def plot_scenarios(runs: pd.DataFrame | dict[str, pd.DataFrame], variable: str | Sequence[str], ax=None, *,
                   title: str | None = None, fontscale: float = 1.0):
    """A variable over the years under one or several scenarios, a line each.

    Each line has its own colour and dash; the base year is dotted, the y axis carries the
    unit, and the scale is logarithmic when the values span more than ``LOG_SPAN``.

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
    fontscale : float
        Type size relative to a standalone 8 x 4.2 inch figure.

    Returns
    -------
    matplotlib Axes
    """
    runs = runs if isinstance(runs, dict) else {"": runs}
    variables = [variable] if isinstance(variable, str) else list(variable)
    ax = _axes(ax)
    lines = [(name, frame, v) for name, frame in runs.items() for v in variables]
    for index, (name, frame, v) in enumerate(lines):
        label = " / ".join(x for x in (name, v if len(variables) > 1 else "") if x)
        ax.plot(frame.index, frame[v], label=label or None, linewidth=1.6, **_style(index))
    _base_year_line(ax, fontscale)
    values = pd.concat([frame[v] for _, frame, v in lines])
    _label_time_axes(ax, fontscale, title or ", ".join(variables), unit_label(variables[-1]), values,
                     "scenario" if len(variables) == 1 else None)
    ax.margins(x=0.01)
    return ax


def plot_series_history(table: pd.DataFrame, ax=None, *, trend: bool = False, fontscale: float = 1.0):
    """One fitted data series against the model: observations as dots, the model as a line.

    Parameters
    ----------
    table : DataFrame
        The rows of one series of a calibration's residuals (columns series, year, observed,
        modelled, unit).
    ax : matplotlib Axes, optional
        Where to draw; a new figure when None.
    trend : bool
        The series is compared on its trend only (its level fitted): says so in the legend.
    fontscale : float
        Type size relative to a standalone 8 x 4.2 inch figure.

    Returns
    -------
    matplotlib Axes
    """
    from matplotlib.ticker import FormatStrFormatter, MaxNLocator, MultipleLocator

    table = table.sort_values("year", kind="stable")
    ax = _axes(ax)
    ax.plot(table["year"], table["modelled"], color=_style(0)["color"], linewidth=1.6, zorder=2,
            label="model, level fitted" if trend else "model")
    ax.plot(table["year"], table["observed"], linestyle="none", marker="o", markersize=3.8 * fontscale,
            color="black", zorder=3, label="observed")
    if table["year"].max() - table["year"].min() >= 4:
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    else:             # a short span of dates given as fractions of a year: half years
        ax.xaxis.set_major_locator(MultipleLocator(0.5))
        ax.xaxis.set_major_formatter(FormatStrFormatter("%g"))
    _label_time_axes(ax, fontscale, series_title(str(table["series"].iloc[0])),
                     _short_unit(table["unit"].iloc[0]),
                     pd.concat([table["observed"], table["modelled"].dropna()]), "history")
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
    rows = bands[bands["variable"] == variable].sort_values("year")
    pairs = percentile_pairs(rows)
    ax = _axes(ax)
    colour = _style(0)["color"]
    for k, (lo, hi) in enumerate(pairs):
        ax.fill_between(rows["year"], rows[f"p{lo}"], rows[f"p{hi}"], color=colour, linewidth=0,
                        alpha=0.16 + 0.14 * k, label=f"{lo}th-{hi}th percentile")
    ax.plot(rows["year"], rows["p50"], color=colour, linewidth=1.8, label="median")
    if run is not None:
        ax.plot(run.index, run.to_numpy(), color="black", linewidth=1.1, linestyle="--", label=f"{run_name} run")
    if observed is not None and len(observed):
        ax.plot(observed.index, observed.to_numpy(), linestyle="none", marker="o", markersize=3.5 * fontscale,
                color="black", zorder=3, label="data")
    _base_year_line(ax, fontscale)
    values = pd.concat([rows[f"p{p}"] for pair in pairs for p in pair] + [rows["p50"]]
                       + ([run] if run is not None else []) + ([observed] if observed is not None else []))
    runs = int(rows["runs"].max()) if runs is None else runs
    _label_time_axes(ax, fontscale, title or f"{variable}: range over the sweep", unit_label(variable), values,
                     f"{runs:,} runs")
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


def plot_corner(post, fig=None):
    """A posterior's corner plot: each parameter's histogram on the diagonal (median and 90%
    interval marked), each pair's draws below it.

    Parameters
    ----------
    post : Posterior
        The draws (`sdecon.posterior`).
    fig : matplotlib Figure, optional
        The figure to draw in (default a new one).

    Returns
    -------
    matplotlib Figure
    """
    from .parameter import parameters
    names = post.names
    n = len(names)
    fig = fig or _pyplot().figure(figsize=(1.9 * n + 1, 1.9 * n + 1), layout="constrained")
    axes = fig.subplots(n, n, squeeze=False)
    log = {name: parameters()[name].log_scale for name in names}
    colour = _style(0)["color"]
    for i, row in enumerate(names):
        for j, column in enumerate(names):
            ax = axes[i][j]
            if j > i:
                ax.set_visible(False)
                continue
            x = post.samples[column]
            if i == j:
                ax.hist(np.log10(x) if log[column] else x, bins=30, color=colour, alpha=0.75)
                for q, style in ((0.05, ":"), (0.5, "-"), (0.95, ":")):
                    value = x.quantile(q)
                    ax.axvline(np.log10(value) if log[column] else value, color="black", linestyle=style,
                               linewidth=0.9)
                ax.set_yticks([])
            else:
                y = post.samples[row]
                ax.plot(np.log10(x) if log[column] else x, np.log10(y) if log[row] else y, ".", color=colour,
                        markersize=1.5, alpha=0.35)
            ax.tick_params(labelsize=6)
            if i == n - 1:
                ax.set_xlabel(("log10 " if log[column] else "") + column, fontsize=6.5)
            if j == 0 and i > 0:
                ax.set_ylabel(("log10 " if log[row] else "") + row, fontsize=6.5)
    fig.suptitle(f"Posterior given the data through {post.until}: {len(post.samples):,} draws", fontsize=10)
    return fig


def plot_trace(post, fig=None):
    """A posterior's trace: each walker's kept draws of each parameter against the step, to see
    the chains mix (they should look alike and show no trend).

    Parameters
    ----------
    post : Posterior
        The draws (`sdecon.posterior`), as it saved them: thinned, step by step.
    fig : matplotlib Figure, optional
        The figure to draw in (default a new one).

    Returns
    -------
    matplotlib Figure
    """
    d = post.diagnostics
    walkers, burn, thin = int(d["walkers"]), int(d["burn"]), int(d["thin"])
    names = post.names
    fig = fig or _pyplot().figure(figsize=(9, 1.5 * len(names) + 0.6), layout="constrained")
    axes = fig.subplots(len(names), 1, sharex=True, squeeze=False)[:, 0]
    values = post.samples.to_numpy()
    steps = burn + thin * (np.arange(len(values) // walkers) + 1)
    for ax, k, name in zip(axes, range(len(names)), names):
        for w in range(walkers):
            ax.plot(steps, values[w::walkers, k][:len(steps)], linewidth=0.4, alpha=0.5)
        ax.set_ylabel(name, fontsize=6.5, rotation=0, ha="right", va="center")
        ax.tick_params(labelsize=6)
    axes[-1].set_xlabel("step (after burn-in, thinned)")
    fig.suptitle(f"Trace of {walkers} walkers: tau up to {max(d['tau'].values()):.0f} steps, "
                 f"{'converged' if d['converged'] else 'NOT converged'} by the 50-tau rule", fontsize=10)
    return fig


def _grid(draws: list, columns: int, panel: tuple[float, float], legend: float, title: str):
    """A figure of panels, `columns` a row, each drawn by draws[i](ax=...), legends inside."""
    columns = min(columns, max(1, len(draws)))
    rows = -(-len(draws) // columns)
    fig, axes = _pyplot().subplots(rows, columns, figsize=(panel[0] * columns, panel[1] * rows), squeeze=False,
                                   layout="constrained")
    for ax, draw in zip(axes.flat, draws):
        draw(ax=ax)
        _legend_inside(ax, legend)
    for ax in list(axes.flat)[len(draws):]:
        ax.set_visible(False)
    if title:
        fig.suptitle(title)
    return fig


def _index(method: str) -> Index:
    if method not in INDEX_SHOWN:
        raise SdeconError(f"method {method!r} is not a sweep method; allowed: {', '.join(INDEX_SHOWN)}",
                          argument="method")
    return INDEX_SHOWN[method]


LOG_OUTPUTS = "on ln(output)"   # what a sweep's indices are of, with its log_outputs
NOT_CONVERGED = "not converged: raise --samples"   # an index whose `converged` is False


def index_unit(method: str, variable: str, log_outputs: bool = False) -> str:
    """The unit of a sweep method's index (``INDEX_SHOWN``) of `variable`.

    Parameters
    ----------
    method : str
        The sweep's method.
    variable : str
        The output the indices are of.
    log_outputs : bool
        The indices are of ln(variable) (the sweep's `log_outputs`).

    Returns
    -------
    str
        A fraction of variance for mc, lhs and sobol; for morris the variable's unit, or
        "change in ln(output)" with `log_outputs`.
    """
    return _index(method).unit or ("change in ln(output)" if log_outputs else unit_label(variable))


def _index_rows(indices: pd.DataFrame, variable: str, year) -> pd.DataFrame:
    rows = indices[indices["variable"] == variable]
    if year is None:
        return rows
    return rows[rows["year"].isin([year] if pd.api.types.is_scalar(year) else list(year))]


def _wide(rows: pd.DataFrame, column: str) -> pd.DataFrame:
    """One index column as parameters by years."""
    return rows.pivot_table(index="parameter", columns="year", values=column, aggfunc="first", dropna=False)


def tornado_order(indices: pd.DataFrame, method: str, variable: str, year=None,
                  top: int = TORNADO_TOP) -> list[str]:
    """The parameters a tornado chart shows, the largest index (in any of the years) first.

    Parameters are as for `plot_tornado`.
    """
    rows = _index_rows(indices, variable, year)
    largest = _wide(rows, _index(method).column).abs().max(axis=1).fillna(0)
    return list(largest.sort_values(ascending=False, kind="stable").index[:top])


def plot_tornado(indices: pd.DataFrame, method: str, variable: str, year=None, ax=None,
                 top: int = TORNADO_TOP, *, fontscale: float = 1.0, log_outputs: bool = False):
    """What drives a variable: the parameters with the largest sensitivity index, largest on
    top, a bar a year with its 95% confidence half-width (``INDEX_SHOWN``: S1 for mc and lhs,
    ST with S1 ticked for sobol, mu* in the variable's unit for morris).

    Parameters
    ----------
    indices : DataFrame
        A sweep's indices (variable, year, parameter and the method's index columns).
    method : str
        The sweep's method: ``"mc"``, ``"lhs"``, ``"sobol"`` or ``"morris"``.
    variable : str
        The output the indices are of.
    year : int or sequence of int, optional
        The index years to show (default: every one).
    ax : matplotlib Axes, optional
        Where to draw; a new figure when None.
    top : int
        How many parameters to show.
    fontscale : float
        Type size relative to a standalone 8 x 4.2 inch figure.
    log_outputs : bool
        The indices are of ln(variable) (the sweep's `log_outputs`): said in the title and
        the axis label.

    Returns
    -------
    matplotlib Axes
    """
    import numpy as np
    from matplotlib import colormaps

    shown = _index(method)
    order = tornado_order(indices, method, variable, year, top)
    rows = _index_rows(indices, variable, year)
    columns = [shown.column, shown.conf, *(["S1"] if method == "sobol" and "S1" in rows else []),
               *(["converged"] if "converged" in rows else [])]
    wide = {c: _wide(rows, c).reindex(order) for c in dict.fromkeys(columns)}
    years = list(wide[shown.column].columns)
    ax = _axes(ax)
    n, k = len(order), max(len(years), 1)
    height = 0.84 / k
    positions = np.arange(n)[::-1]            # the largest on top
    for j, year in enumerate(years):
        offset = (k - 1) / 2 * height - j * height
        bars = ax.barh(positions + offset, wide[shown.column][year].fillna(0).to_numpy(), height=height * 0.92,
                       xerr=wide[shown.conf][year].fillna(0).to_numpy(), label=str(year),
                       color=colormaps["Blues"](0.4 + 0.5 * j / max(k - 1, 1)),
                       error_kw={"elinewidth": 0.7, "capsize": 1.5, "ecolor": "0.3"})
        if "converged" in wide:  # hatched: the index is not to be trusted (sdecon.sweeps.converged)
            for bar, ok in zip(bars, wide["converged"][year].fillna(True).astype(bool).to_numpy()):
                if not ok:
                    bar.set_hatch("///")
                    bar.set_edgecolor("firebrick")
        if "S1" in wide and shown.column != "S1":
            ax.plot(wide["S1"][year].to_numpy(), positions + offset, linestyle="none", marker="|",
                    markersize=14 * fontscale / k, markeredgewidth=1.3, color="black",
                    label="S1 (first order)" if j == 0 else None)
    ax.set_yticks(positions, order, fontsize=7.5 * fontscale)
    ax.set_ylim(-0.6, n - 0.4)
    ax.axvline(0, color="black", linewidth=0.6)
    ax.set_title(f"Sensitivity of ln({variable})" if log_outputs else f"Sensitivity of {variable}",
                 fontsize=11 * fontscale, pad=12 * fontscale)
    ax.set_xlabel(f"{shown.label}{' ' + LOG_OUTPUTS if log_outputs else ''} "
                  f"({index_unit(method, variable, log_outputs)})", fontsize=9 * fontscale)
    ax.set_ylabel("parameter", fontsize=9 * fontscale)
    ax.tick_params(axis="x", labelsize=8 * fontscale)
    ax.grid(True, axis="x", alpha=0.3)
    handles, labels = ax.get_legend_handles_labels()
    if "converged" in wide and not wide["converged"].fillna(True).astype(bool).to_numpy().all():
        from matplotlib.patches import Patch
        handles.append(Patch(facecolor="white", edgecolor="firebrick", hatch="///"))
        labels.append(NOT_CONVERGED)
    last = [i for i, text in enumerate(labels) if text.startswith("S1")]   # the years first
    keep = [i for i in range(len(labels)) if i not in last] + last
    ax.legend([handles[i] for i in keep], [labels[i] for i in keep], title="index year", loc="upper left",
              bbox_to_anchor=(1.01, 1.0), frameon=False, fontsize=8 * fontscale, title_fontsize=8 * fontscale)
    return ax


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
    import numpy as np

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
    ax.legend(fontsize=8)
    return ax



def plot_trajectory(found, ax=None, *, fontscale: float = 1.0):
    """PRIM's peeling trajectory: coverage against density, a point a box, coloured by how
    many parameters the box restricts; the chosen box circled, the threshold dashed.

    Parameters
    ----------
    found : sdecon.discovery.Discovery
        What `sdecon.discover` returned.
    ax : matplotlib Axes, optional
        Drawn into a new figure when None.
    fontscale : float
        Scales the text (a report's PDF draws smaller).

    Returns
    -------
    matplotlib Axes
    """
    import numpy as np
    from matplotlib import colormaps
    from matplotlib.colors import BoundaryNorm

    ax = _axes(ax, size=(7, 4.5))
    table = found.trajectory
    most = max(1, int(table["restricted"].max()))
    norm = BoundaryNorm(np.arange(-0.5, most + 1.5), colormaps["viridis"].N)
    points = ax.scatter(table["coverage"], table["density"], c=table["restricted"], cmap="viridis",
                        norm=norm, s=22, zorder=2)
    ax.plot(table["coverage"], table["density"], color="0.7", linewidth=0.8, zorder=1)
    ax.scatter([found.coverage], [found.density], s=140, facecolors="none", edgecolors="red",
               linewidths=1.5, zorder=3, label=f"chosen box (step {found.step})")
    ax.axhline(found.threshold, color="0.4", linestyle="--", linewidth=0.8,
               label=f"density threshold {found.threshold:g}")
    bar = ax.figure.colorbar(points, ax=ax, ticks=range(0, most + 1))
    bar.set_label("restricted parameters", fontsize=10 * fontscale)
    bar.ax.tick_params(labelsize=10 * fontscale)
    ax.set_xlabel("coverage (share of the runs of interest inside the box)", fontsize=10 * fontscale)
    ax.set_ylabel("density (share of the box's runs of interest)", fontsize=10 * fontscale)
    ax.tick_params(labelsize=10 * fontscale)
    ax.set_xlim(0, 1.02)
    ax.set_ylim(0, 1.02)
    ax.set_title(f"PRIM peeling trajectory: {found.where or 'outcome'}", fontsize=9 * fontscale)
    ax.legend(loc="lower left", fontsize=8 * fontscale)
    return ax


def plot_box_limits(found, ax=None, *, fontscale: float = 1.0):
    """The chosen box's limits: a bar per restricted parameter over its range in the runs
    (0 the lowest value, 1 the highest), labelled with the limits in the parameter's unit.

    Parameters
    ----------
    found : sdecon.discovery.Discovery
        What `sdecon.discover` returned.
    ax : matplotlib Axes, optional
        Drawn into a new figure when None.
    fontscale : float
        Scales the text (a report's PDF draws smaller).

    Returns
    -------
    matplotlib Axes
    """
    box = found.box
    ax = _axes(ax, size=(7, 1.2 + 0.45 * max(1, len(box))))
    for row, (name, limit) in enumerate(box.iterrows()):
        span = limit["high"] - limit["low"]
        lower = (limit["lower"] - limit["low"]) / span if span else 0.0
        upper = (limit["upper"] - limit["low"]) / span if span else 1.0
        ax.barh(row, 1, left=0, color="0.9", height=0.6)
        ax.barh(row, upper - lower, left=lower, color="tab:blue", height=0.6)
        unit = f" {limit['unit']}" if limit["unit"] else ""
        ax.text(1.02, row, f"{limit['lower']:.3g} to {limit['upper']:.3g}{unit}", va="center",
                fontsize=8 * fontscale)
    ax.set_yticks(range(len(box)), list(box.index), fontsize=8 * fontscale)
    ax.invert_yaxis()
    ax.set_xlim(0, 1)
    ax.set_xlabel("share of the parameter's range in the runs", fontsize=10 * fontscale)
    ax.tick_params(axis="x", labelsize=10 * fontscale)
    ax.set_title(f"PRIM box: coverage {found.coverage:.2f}, density {found.density:.2f}, "
                 f"mass {found.mass:.2f}" + ("" if box.size else " (no parameter restricted)"),
                 fontsize=9 * fontscale)
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


def plot_history(residuals: pd.DataFrame, title: str = ""):
    """Model against history: `plot_series_history` for each series, two panels a row.

    Parameters
    ----------
    residuals : DataFrame
        A calibration's table (series, year, observed, modelled, unit, ...).
    title : str
        The figure's title.

    Returns
    -------
    matplotlib Figure
    """
    groups = list(residuals.groupby("series", sort=False))
    return _grid([functools.partial(plot_series_history, table, fontscale=0.8) for _, table in groups], 2,
                 (6.4, 3.2), 7, title)


def figure_writer(fig, path: str | Path):
    """A function saving `fig` to a file in the format `path` names (.png, .svg or .pdf).

    The figure is drawn in memory and written in one piece: drawn straight to a full disk,
    the PDF backend fails inside zlib, an error that names no file."""
    import io

    fmt = check_writable(path, FIGURE_FORMATS).suffix.lstrip(".").lower()

    def write(tmp: Path) -> None:
        buffer = io.BytesIO()
        fig.savefig(buffer, format=fmt, dpi=110)
        Path(tmp).write_bytes(buffer.getvalue())

    return write
