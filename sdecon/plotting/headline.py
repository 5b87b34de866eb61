"""The report's first chart: compute spending as a share of GDP, the fitted history and then every
scenario, on a linear percent axis a policy reader can read off."""
from __future__ import annotations

import pandas as pd

from .base import _axes, _year_axis, scenario_styles

SHARE = "Compute Spending Share of GDP"


def headline_data(runs: dict[str, pd.DataFrame], last_data_year: int, band: pd.DataFrame | None = None,
                  band_of: str | None = None) -> pd.DataFrame:
    """The numbers `plot_headline` draws, in percent of GDP, indexed by year.

    Parameters
    ----------
    runs : dict of str to DataFrame
        Runs keyed by scenario name (``sdecon.run``).
    last_data_year : int
        The last year of the data the model was fitted to: the history column ends there, each
        scenario's starts there.
    band : DataFrame, optional
        A forecast's bands (``Forecast.bands``: variable, year, p5, p95, ...).
    band_of : str, optional
        The scenario the band is of (its column names say so).

    Returns
    -------
    DataFrame
        ``history`` (the first run up to `last_data_year`), one column per scenario from
        `last_data_year` on and, with a band, its 5th and 95th percentiles.
    """
    first = next(iter(runs.values()))
    columns = {"history": 100 * first.loc[:last_data_year, SHARE]}
    for name, frame in runs.items():
        columns[name] = 100 * frame.loc[last_data_year:, SHARE]
    if band is not None:
        rows = band[band["variable"] == SHARE].set_index("year").sort_index()
        for column in ("p5", "p95"):
            columns[f"{band_of} {column}"] = 100 * rows.loc[last_data_year:, column]
    frame = pd.DataFrame(columns)
    frame.index.name = "year"
    return frame


def plot_headline(runs: dict[str, pd.DataFrame], ax=None, *, last_data_year: int = 2024,
                  band: pd.DataFrame | None = None, band_of: str | None = None, title: str | None = None,
                  horizon: int | None = None, fontscale: float = 1.0):
    """Compute spending share of GDP: the model fitted to history (black, a dot a year up to
    `last_data_year`), then each scenario in its fixed style, and a forecast's 90% band.

    The axis is linear in percent of GDP, so that 1% and 4% look as far apart as they are (a
    log axis squeezes the scenarios' ends together). Every run shares the history; where a
    scenario changes it, its line starts at its own value in `last_data_year`.

    Parameters
    ----------
    runs : dict of str to DataFrame
        Runs keyed by scenario name; the first one's history is drawn.
    ax : matplotlib Axes, optional
        Where to draw; a new figure when None.
    last_data_year : int
        The last year of the data the model was fitted to.
    band : DataFrame, optional
        A forecast's bands (``Forecast.bands``) for `band_of`: the 5th to 95th percentile shaded.
    band_of : str, optional
        The scenario of the band, for its label.
    title : str, optional
        A title that says what the chart shows.
    horizon : int, optional
        The last year to read: the years after it are shaded, labelled as rationed (the
        compute wanted outruns what the grid can power and the model caps its price).
    fontscale : float
        Type size relative to a standalone 8 x 4.2 inch figure.

    Returns
    -------
    matplotlib Axes
    """
    from matplotlib.ticker import FuncFormatter

    data = headline_data(runs, last_data_year, band, band_of)
    ax = _axes(ax)
    if band is not None:
        ax.fill_between(data.index, data[f"{band_of} p5"], data[f"{band_of} p95"], color="0.6", alpha=0.25,
                        linewidth=0, label=f"{band_of}, 90% band")
    styles = scenario_styles(list(runs))
    for name in runs:
        ax.plot(data.index, data[name], label=name, linewidth=1.8, **styles[name])
    history = data["history"].dropna()
    ax.plot(history.index, history, color="black", linewidth=2.2, marker="o", markersize=3 * fontscale,
            label="history (fitted)")
    ax.axvline(last_data_year, color="0.55", linewidth=0.8, linestyle=(0, (2, 2)))
    ax.text(last_data_year, 1.0, f" data end {last_data_year}", transform=ax.get_xaxis_transform(),
            fontsize=7 * fontscale, color="0.4", va="bottom", ha="left")
    if horizon is not None:
        ax.axvspan(horizon, data.index[-1], color="0.5", alpha=0.12, linewidth=0, zorder=0)
        ax.text(horizon, 0.06, f" after {horizon}: compute rationed,\n price capped; read with care",
                transform=ax.get_xaxis_transform(), fontsize=7 * fontscale, color="0.3", va="bottom", ha="left")
    ax.set_ylim(bottom=0)
    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}%"))
    _year_axis(ax)
    ax.set_title(title or "Compute spending, share of world GDP", fontsize=11 * fontscale, pad=12 * fontscale)
    ax.set_xlabel("year", fontsize=9 * fontscale)
    ax.set_ylabel("% of GDP", fontsize=9 * fontscale)
    ax.tick_params(labelsize=8 * fontscale)
    ax.grid(True, alpha=0.3)
    ax.margins(x=0.01)
    handles, labels = ax.get_legend_handles_labels()
    order = [len(handles) - 1, *range(len(handles) - 1)]      # the history first
    ax.legend([handles[i] for i in order], [labels[i] for i in order], loc="upper left",
              bbox_to_anchor=(1.01, 1.0), frameon=False, fontsize=8 * fontscale)
    return ax
