"""A posterior's draws: the corner plot and the walkers' trace."""
from __future__ import annotations

import numpy as np

from .base import _pyplot, _style


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
    from ..parameter import parameters
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
