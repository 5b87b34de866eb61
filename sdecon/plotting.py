"""Figures of the key outputs, with titles, axis labels and units."""
from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # files only; never needs a display
import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402

from . import model  # noqa: E402
from .output import check_writable  # noqa: E402

FIGURE_FORMATS = (".png", ".svg", ".pdf")

#: Readable forms of the model's unit strings.
UNIT_LABELS = {
    "Dmnl": "dimensionless",
    "BUSD/Year": "USD billion per year",
    "USD/EFLOP": "USD per effective exaFLOP",
    "USD/BTokens": "USD per billion tokens",
    "FLOP/Second": "FLOP/s",
}

#: Panels of the key-output figure: title, variables, y-axis label (None: the unit).
KEY_PANELS = (
    ("Efficiency multipliers", ("Hardware Efficiency Multiplier", "Software Efficiency Multiplier",
                                "Combined Efficiency Multiplier"), "multiplier, 1 in 2025"),
    ("Price of AI compute", ("Price of AI Compute",), None),
    ("Compute spending", ("Training Compute Spending", "Inference Compute Spending", "Compute Spending"), None),
    ("Spending as a share of GDP", ("AI Spending Share", "Compute Spending Share of GDP"), "fraction of GDP"),
    ("Datacenter capex", ("Datacenter Capex",), None),
    ("Installed compute", ("Installed Compute",), None),
)


def unit_label(variable: str) -> str:
    unit = str(model.documentation().loc[variable, "Units"])
    return UNIT_LABELS.get(unit, unit)


def plot_key_outputs(runs: pd.DataFrame | dict[str, pd.DataFrame], title: str = "") -> plt.Figure:
    """A 2x3 grid of the key outputs for one run, or for several runs keyed by scenario."""
    runs = runs if isinstance(runs, dict) else {"": runs}
    fig, axes = plt.subplots(2, 3, figsize=(15, 8.5), constrained_layout=True)
    for ax, (panel, variables, ylabel) in zip(axes.flat, KEY_PANELS):
        for scenario, frame in runs.items():
            for variable in variables:
                label = " / ".join(x for x in (scenario, variable if len(variables) > 1 else "") if x)
                ax.plot(frame.index, frame[variable], label=label or None)
        ax.set_title(panel)
        ax.set_xlabel("year")
        ax.set_ylabel(ylabel or unit_label(variables[-1]))
        ax.set_yscale("log")  # every key output spans orders of magnitude over 2015-2050
        ax.grid(True, which="major", alpha=0.3)
        if ax.get_legend_handles_labels()[1]:
            ax.legend(fontsize=8)
    if title:
        fig.suptitle(title)
    return fig


def figure_writer(fig: plt.Figure, path: str | Path):
    """A function saving `fig` to a file in the format `path` names (.png, .svg or .pdf)."""
    check_writable(path, FIGURE_FORMATS)
    return lambda tmp: fig.savefig(tmp, dpi=110)


def plot_history(residuals: pd.DataFrame, title: str = "") -> plt.Figure:
    """Model against history: one panel a series, observations as dots, the model as a line.

    `residuals` is a calibration's table (series, year, observed, modelled, unit, ...).
    """
    groups = list(residuals.groupby("series", sort=False))
    columns = 2 if len(groups) > 1 else 1
    rows = -(-len(groups) // columns)
    fig, axes = plt.subplots(rows, columns, figsize=(6.4 * columns, 3.2 * rows), squeeze=False)
    for ax, (series, table) in zip(axes.flat, groups):
        table = table.sort_values("year")
        ax.scatter(table["year"], table["observed"], s=12, color="black", label="observed")
        ax.plot(table["year"], table["modelled"], color="tab:blue", label="model")
        ax.set_yscale("log")
        ax.set_title(series.replace("_", " "), fontsize=9)
        ax.set_xlabel("year")
        ax.set_ylabel(str(table["unit"].iloc[0])[:40], fontsize=7)
        ax.legend(fontsize=7)
    for ax in list(axes.flat)[len(groups):]:
        ax.set_visible(False)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig
