"""Scenario discovery: PRIM's peeling trajectory and the limits of its box."""
from __future__ import annotations

import numpy as np

from .base import _axes


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
        unit = f" {limit['unit']}" if limit["unit"] and limit["unit"] != "Dmnl" else ""   # never "Dmnl"
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
