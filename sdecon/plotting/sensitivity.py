"""Sensitivity indices: their units, the order of a tornado, the tornado chart."""
from __future__ import annotations

import numpy as np
import pandas as pd

from ..errors import SdeconError
from .. import model
from .base import Index, INDEX_SHOWN, PRICE, TORNADO_TOP, UNIT_LABELS, reader_values, unit_label, _axes


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
    return _index(method).unit or ("change in ln(output)" if log_outputs else _effect_unit(variable))


def _effect_unit(variable: str) -> str:
    """The unit of a change in `variable` (mu*): the reader's, but the price in USD (a change
    of an index has no meaning without its base)."""
    if variable == PRICE:
        return UNIT_LABELS[str(model.documentation().loc[variable, "Units"])]
    return unit_label(variable)


def _effect_factor(method: str, variable: str, log_outputs: bool) -> float:
    """What a method's index is multiplied by to be in `index_unit`: 100 for mu* of a share."""
    if _index(method).unit or log_outputs or variable == PRICE:
        return 1.0
    return float(reader_values(variable, pd.Series([1.0])).factor)


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


def tornado_data(indices: pd.DataFrame, method: str, variable: str, year=None, top: int = TORNADO_TOP, *,
                 log_outputs: bool = False) -> pd.DataFrame:
    """The numbers a tornado chart draws (`plot_tornado`), in its unit (`index_unit`).

    Parameters are as for `plot_tornado`.

    Returns
    -------
    DataFrame
        Indexed by parameter, the largest first; for each index year a column of the index
        ("2030") and one of its 95% confidence half-width ("2030 ±").
    """
    shown = _index(method)
    order = tornado_order(indices, method, variable, year, top)
    rows = _index_rows(indices, variable, year)
    factor = _effect_factor(method, variable, log_outputs)
    value, conf = (_wide(rows, c).reindex(order) * factor for c in (shown.column, shown.conf))
    columns = {}
    for y in value.columns:
        columns[f"{y:g}" if isinstance(y, float) else str(y)] = value[y]
        columns[f"{y:g} ±" if isinstance(y, float) else f"{y} ±"] = conf[y]
    return pd.DataFrame(columns, index=pd.Index(order, name="parameter"))


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
    from matplotlib import colormaps

    shown = _index(method)
    order = tornado_order(indices, method, variable, year, top)
    rows = _index_rows(indices, variable, year)
    columns = [shown.column, shown.conf, *(["S1"] if method == "sobol" and "S1" in rows else []),
               *(["converged"] if "converged" in rows else [])]
    wide = {c: _wide(rows, c).reindex(order) for c in dict.fromkeys(columns)}
    factor = _effect_factor(method, variable, log_outputs)      # mu* of a share in percentage points
    for c in {shown.column, shown.conf, "S1"} & set(wide):
        wide[c] = wide[c] * factor
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
