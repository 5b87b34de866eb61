"""Charts of what drives the outcome: compute's share of GDP against the elasticity of
substitution, a waterfall of what each parameter contributes to a scenario's difference from
the base, the Jevons curve (share against price) and datacenter capex as a share of GDP."""
from __future__ import annotations

import textwrap

import numpy as np
import pandas as pd

from .base import _axes, _base_year_line, _label_time_axes, _power_of_ten, scenario_styles

SHARE = "Compute Spending Share of GDP"
PRICE = "Price of AI Compute"
#: The threshold of the elasticity of substitution (the model's "AI Demand Odds").
SIGMA_STAR = 1.0
THRESHOLD_LABEL = "σ* = 1: below, cheaper AI takes a smaller share of spending; above, a larger"
JEVONS_YEARS = (2015, 2050)
LABELLED_YEARS = (2024, 2030, 2040, 2050)
RAISES, LOWERS = "#2a9d8f", "#a6611a"     # a waterfall's steps: colours no scenario has
#: The price index's year (= 1): the last year of observed prices, before the scenarios part.
INDEX_YEAR = 2024


def _legend_beside(ax, scale: float, title: str | None = None) -> None:
    ax.legend(title=title, loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False, fontsize=8 * scale,
              title_fontsize=8 * scale)


def plot_sigma_response(table: pd.DataFrame, *, year: int, own: dict[str, float] | None = None, ax=None,
                        fontscale: float = 1.0):
    """Compute's share of GDP in one year against the elasticity of substitution, a line per scenario.

    Parameters
    ----------
    table : DataFrame
        Indexed by sigma, a column per scenario, the share of GDP as a fraction
        (`sdecon.report.drivers.sigma_response`).
    year : int
        The year the shares are of (for the title).
    own : dict of str to float, optional
        Each scenario's own sigma, marked with a dot on its line.
    ax : matplotlib Axes, optional
        Where to draw; a new figure when None.
    fontscale : float
        Type size relative to a standalone 8 x 4.2 inch figure.

    Returns
    -------
    matplotlib Axes
        The y axis in percent of GDP (linear), the threshold sigma* = 1 a vertical line.
    """
    ax = _axes(ax)
    styles = scenario_styles(list(table.columns))
    sigma = table.index.to_numpy(dtype=float)
    for name in table.columns:
        ax.plot(sigma, 100 * table[name].to_numpy(dtype=float), linewidth=1.6, label=name, **styles[name])
    for name, value in (own or {}).items():
        if name in table.columns:
            # The scenario's own point, read off its line (the table holds its own sigma).
            y = 100 * float(np.interp(value, sigma, table[name].to_numpy(dtype=float)))
            ax.plot([value], [y], marker="o", markersize=5 * fontscale, color=styles[name]["color"],
                    linestyle="none", zorder=3)
    ax.axvline(SIGMA_STAR, color="0.3", linewidth=1.0, linestyle=(0, (4, 2)), label="\n".join(
        textwrap.wrap(THRESHOLD_LABEL, 19)))
    ax.text(SIGMA_STAR, 1.0, " σ* = 1", transform=ax.get_xaxis_transform(), fontsize=7.5 * fontscale,
            color="0.3", va="bottom", ha="left")
    ax.set_title(f"Compute's share of GDP in {year} depends on whether\nAI substitutes for other spending",
                 fontsize=11 * fontscale, pad=12 * fontscale)
    ax.set_xlabel("elasticity of substitution σ between AI and other spending", fontsize=9 * fontscale)
    ax.set_ylabel(f"compute spending, % of GDP in {year}", fontsize=9 * fontscale)
    ax.tick_params(labelsize=8 * fontscale)
    ax.set_ylim(bottom=0)
    ax.margins(x=0.01)
    ax.grid(True, alpha=0.3)
    handles, labels = ax.get_legend_handles_labels()
    if own:
        # A legend entry only: an empty line in the axes would have no point for the report's hover text.
        from matplotlib.lines import Line2D
        handles.insert(-1, Line2D([], [], marker="o", color="0.3", linestyle="none"))
        labels.insert(-1, "scenario's own σ")
    ax.legend(handles, labels, title="scenario", loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False,
              fontsize=8 * fontscale, title_fontsize=8 * fontscale)
    return ax


def _points(table: pd.DataFrame) -> float:
    """The factor to a reader's unit: percentage points for a share of GDP."""
    return 100.0 if table.attrs.get("variable", SHARE) == SHARE else 1.0


def plot_waterfall(tables: pd.DataFrame | dict[str, pd.DataFrame], *, base: str | None = None, ax=None,
                   fontscale: float = 1.0):
    """What each parameter contributes to scenarios' differences from the base, as a waterfall.

    Horizontal bars, top to bottom: the base's level, then for each scenario its
    contributions (Shapley values) floating from the base's level to the scenario's, and the
    scenario's level. Horizontal because the parameters' names are long.

    Parameters
    ----------
    tables : DataFrame or dict of str to DataFrame
        `sdecon.report.drivers.decompose` of one scenario, or of several keyed by name; each
        carries its levels in ``attrs`` (``base_level``, ``scenario_level``, ``variable``, ``year``).
    base : str, optional
        The base's name in the chart (default "base").
    ax : matplotlib Axes, optional
        Where to draw; a new figure when None.
    fontscale : float
        Type size relative to a standalone 8 x 4.2 inch figure.

    Returns
    -------
    matplotlib Axes
        In percentage points of GDP for a share of GDP, else in the variable's units.
    """
    tables = tables if isinstance(tables, dict) else {tables.attrs.get("scenario", "scenario"): tables}
    ax = _axes(ax)
    first = next(iter(tables.values()))
    factor = _points(first)
    unit = "pp" if factor == 100 else ""
    level_text = (lambda v: f"{v:.3g}%") if factor == 100 else (lambda v: f"{v:.3g}")
    styles = scenario_styles(list(tables))
    base_level = factor * float(first.attrs["base_level"])
    year = first.attrs.get("year", "")
    rows = [(f"{base or 'base'}, {year}", 0.0, base_level, "0.55", level_text(base_level))]
    for name, table in tables.items():
        level = base_level
        for _, r in table.iterrows():
            step = factor * float(r["contribution"])
            colour = RAISES if step >= 0 else LOWERS
            rows.append((f"{r['parameter']}", level, level + step, colour, f"{step:+.3g} {unit}".strip()))
            level += step
        end = factor * float(table.attrs["scenario_level"])
        rows.append((f"= {name}, {year}", 0.0, end, styles[name]["color"], level_text(end)))
    y = np.arange(len(rows))[::-1]
    for position, (label, start, end, colour, text) in zip(y, rows):
        total = label.startswith("=") or position == y[0]
        ax.barh(position, end - start, left=start, height=0.62, color=colour, alpha=0.9 if total else 0.8,
                edgecolor="0.25" if total else "none", linewidth=0.6)
        ax.text(max(start, end), position, f" {text}", va="center", ha="left", fontsize=7.5 * fontscale)
    ax.axvline(base_level, color="0.4", linewidth=0.8, linestyle=(0, (2, 2)))
    ax.set_yticks(y, ["\n".join(textwrap.wrap(r[0], 34)) for r in rows], fontsize=7.5 * fontscale)
    right = max(max(r[1], r[2]) for r in rows)
    ax.set_xlim(min(0.0, min(min(r[1], r[2]) for r in rows)), right * 1.22 if right > 0 else 1)
    what = "compute's share of GDP" if factor == 100 else first.attrs.get("variable", "the outcome")
    ax.set_title(f"What moves {what} in {year} away from the {base or 'base'}", fontsize=11 * fontscale,
                 pad=12 * fontscale)
    ax.set_xlabel("% of GDP; contributions in percentage points (pp)" if factor == 100
                  else str(first.attrs.get("unit", "")), fontsize=9 * fontscale)
    ax.tick_params(axis="x", labelsize=8 * fontscale)
    ax.grid(True, axis="x", alpha=0.3)
    from matplotlib.patches import Patch
    ax.legend([Patch(color=RAISES), Patch(color=LOWERS), Patch(facecolor="white", edgecolor="0.25")],
              ["raises it", "lowers it", "level (the\nscenario's colour)"], loc="upper left",
              bbox_to_anchor=(1.01, 1.0), frameon=False, fontsize=8 * fontscale)
    return ax


def plot_jevons(runs: dict[str, pd.DataFrame], ax=None, *, fontscale: float = 1.0):
    """The Jevons curve: compute's share of GDP against the price of AI compute, 2015-2050.

    The y axis is the share of GDP in percent rather than compute spending in dollars: GDP
    grows in every scenario, so spending in dollars would rise even with no rebound, while
    the share rises only when spending on compute outgrows the economy. The x axis is the
    price as an index (each run over its own value in `INDEX_YEAR`, 2024 = 1) on a log scale,
    reversed so that time runs left to right: a line that rises to the right is a rebound.

    Parameters
    ----------
    runs : dict of str to DataFrame
        Runs indexed by year (`sdecon.run`), keyed by scenario name.
    ax : matplotlib Axes, optional
        Where to draw; a new figure when None.
    fontscale : float
        Type size relative to a standalone 8 x 4.2 inch figure.

    Returns
    -------
    matplotlib Axes
    """
    from matplotlib.ticker import FuncFormatter, NullFormatter

    ax = _axes(ax)
    styles = scenario_styles(list(runs))
    marks = []
    for name, frame in runs.items():
        index, share = jevons_curve(frame)
        ax.plot(index, share, linewidth=1.6, label=name, **styles[name])
        for year in LABELLED_YEARS:
            if year in index.index:
                x, y = float(index[year]), float(share[year])
                ax.plot([x], [y], marker="o", markersize=3.5 * fontscale, color=styles[name]["color"], zorder=3)
                marks.append((x, y, year))
    ax.set_xscale("log")
    ax.xaxis.set_major_formatter(FuncFormatter(_power_of_ten))
    ax.xaxis.set_minor_formatter(NullFormatter())
    ax.invert_xaxis()
    ax.set_ylim(bottom=0)
    # A year's label once where points crowd (every scenario shares the history to 2024), judged
    # on the page in points, now that the scales and limits are set.
    placed = []
    to_points = ax.transData + ax.figure.dpi_scale_trans.inverted()
    for x, y, year in marks:
        at = to_points.transform((x, y)) * 72
        if all(np.hypot(*(at - other)) > 16 * fontscale for other in placed):
            placed.append(at)
            ax.annotate(str(year), (x, y), xytext=(3, 4), textcoords="offset points", fontsize=7 * fontscale,
                        color="0.25")
    ax.set_title("Jevons curve: a line that rises as AI compute gets cheaper is a rebound",
                 fontsize=11 * fontscale, pad=12 * fontscale)
    ax.set_xlabel(f"price of AI compute, index {INDEX_YEAR} = 1 (log scale, cheaper to the right)",
                  fontsize=9 * fontscale)
    ax.set_ylabel("compute spending, % of GDP", fontsize=9 * fontscale)
    ax.tick_params(labelsize=8 * fontscale)
    ax.grid(True, which="major", alpha=0.3)
    _legend_beside(ax, fontscale, "scenario")
    return ax


def jevons_curve(frame: pd.DataFrame) -> tuple[pd.Series, pd.Series]:
    """A run's Jevons curve over `JEVONS_YEARS`: the price index (its `INDEX_YEAR` value = 1) and
    the share of GDP in percent, both indexed by year."""
    years = frame.loc[JEVONS_YEARS[0]:JEVONS_YEARS[1]]
    return years[PRICE] / float(frame.loc[INDEX_YEAR, PRICE]), 100 * years[SHARE]


def observed_capex_share() -> pd.Series:
    """Dell'Oro's worldwide datacenter capex over world nominal GDP, in percent, indexed by
    mid-year (year + 0.5): a calendar-year total compares with the model's rate at mid-year
    (sdecon/data/mapping.csv). Only years with both series."""
    from .. import data

    capex = data.load("global_datacenter_capex_delloro").groupby("year")["value"].mean()   # USD billion
    gdp = data.load("world_gdp_nominal").groupby("year")["value"].mean() * 1000           # USD trillion -> billion
    share = (100 * capex / gdp).dropna()
    share.index = share.index.astype(float) + 0.5
    share.index.name = "year"
    return share.rename("observed (Dell'Oro capex / world GDP)")


def plot_capex_share(runs: dict[str, pd.DataFrame], observed: pd.Series | None = None, ax=None, *,
                     fontscale: float = 1.0):
    """Datacenter capex as a share of GDP under each scenario, with the observed share as points.

    Parameters
    ----------
    runs : dict of str to DataFrame
        Runs indexed by year (`sdecon.run`), keyed by scenario name.
    observed : Series, optional
        Observed shares in percent of GDP indexed by (fractional) year; default
        `observed_capex_share()` (Dell'Oro over world GDP, at mid-year). An empty Series draws none.
    ax : matplotlib Axes, optional
        Where to draw; a new figure when None.
    fontscale : float
        Type size relative to a standalone 8 x 4.2 inch figure.

    Returns
    -------
    matplotlib Axes
    """
    observed = observed_capex_share() if observed is None else observed
    ax = _axes(ax)
    styles = scenario_styles(list(runs))
    lines = {name: capex_share(frame) for name, frame in runs.items()}
    for name, line in lines.items():
        ax.plot(line.index, line.to_numpy(), linewidth=1.6, label=name, **styles[name])
    if len(observed):
        ax.plot(observed.index, observed.to_numpy(), linestyle="none", marker="o", markersize=4 * fontscale,
                color="black", zorder=3, label="observed: Dell'Oro\ncapex / world GDP,\nat mid-year")
    _base_year_line(ax, fontscale)
    _label_time_axes(ax, fontscale, "Datacenter capex as a share of GDP", "datacenter capex, % of GDP",
                     pd.concat(list(lines.values()) + [observed]), "scenario")
    ax.margins(x=0.01)
    return ax


def capex_share(frame: pd.DataFrame) -> pd.Series:
    """A run's Datacenter Capex over GDP, in percent, indexed by year."""
    return (100 * frame["Datacenter Capex"] / frame["GDP"]).rename("datacenter capex, % of GDP")
