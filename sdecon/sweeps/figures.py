"""The sweep's figures: fan charts of the percentile bands, a tornado of the indices."""
from __future__ import annotations

import numpy as np
import pandas as pd

HEADLINE = "Compute Spending Share of GDP"  # the tornado's variable


def fan_chart(bands: pd.DataFrame, variable: str, title: str = ""):
    """The percentile bands of one variable over time: 5-95, 10-90 and 25-75 shaded, the
    median as a line; a log axis when the bands are positive and span over 100x."""
    from .. import plotting
    plt = plotting.plt
    rows = bands[bands["variable"] == variable].sort_values("year")
    fig, ax = plt.subplots(figsize=(8, 4.8), constrained_layout=True)
    for lo, hi, alpha in ((5, 95, 0.18), (10, 90, 0.28), (25, 75, 0.45)):
        ax.fill_between(rows["year"], rows[f"p{lo}"], rows[f"p{hi}"], color="C0", alpha=alpha,
                        linewidth=0, label=f"{lo}-{hi}th percentile")
    ax.plot(rows["year"], rows["p50"], color="C0", linewidth=2, label="median")
    low, high = rows["p5"].min(), rows["p95"].max()
    if low > 0 and high / low > 100:
        ax.set_yscale("log")
    ax.set_title(f"{variable}" + (f"\n{title}" if title else ""))
    ax.set_xlabel("year")
    ax.set_ylabel(plotting.unit_label(variable))
    ax.grid(True, which="major", alpha=0.3)
    ax.legend(fontsize=8, loc="best")
    return fig


def tornado(index_table: pd.DataFrame, method: str, variable: str = HEADLINE, title: str = "", top: int = 15):
    """The parameters that matter most for `variable`, a panel an index year: ST beside S1
    (sobol), mu* (morris) or S1 (mc, lhs), largest on top, with 95% confidence half-widths."""
    from .. import plotting
    plt = plotting.plt
    shown = {"sobol": (("ST", "ST_conf"), ("S1", "S1_conf")), "morris": (("mu_star", "mu_star_conf"),),
             "mc": (("S1", "S1_conf"),), "lhs": (("S1", "S1_conf"),)}[method]
    main = shown[0][0]
    rows = index_table[index_table["variable"] == variable]
    years = sorted(rows["year"].unique())
    count = min(top, rows["parameter"].nunique())
    fig, axes = plt.subplots(1, len(years), figsize=(5.2 * len(years), 0.4 * count + 1.8),
                             constrained_layout=True, squeeze=False)
    height = 0.8 / len(shown)
    for ax, year in zip(axes[0], years):
        part = rows[rows["year"] == year].sort_values(main, na_position="first").tail(top)
        y = np.arange(len(part))
        for k, (column, conf) in enumerate(shown):
            offset = (len(shown) - 1) / 2 * height - k * height
            ax.barh(y + offset, part[column].fillna(0), height=height, xerr=part[conf].fillna(0),
                    color=f"C{k}", label=column.replace("mu_star", "mu*"),
                    error_kw={"elinewidth": 0.8, "capsize": 2})
        ax.set_yticks(y, part["parameter"], fontsize=7)
        ax.set_title(f"{year}")
        ax.set_xlabel(f"mu* ({plotting.unit_label(variable)})" if method == "morris"
                      else "index (share of variance)")
        ax.axvline(0, color="black", linewidth=0.6)
        ax.grid(True, axis="x", alpha=0.3)
        ax.legend(fontsize=7, loc="lower right")
    fig.suptitle(f"Sensitivity of {variable}" + (f": {title}" if title else ""))
    return fig
