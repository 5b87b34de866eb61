"""'What drives the outcome', a section for policy readers: when AI gets cheaper, does compute's
share of GDP rise or fall, and why. The answer turns on the elasticity of substitution: the
share of GDP against sigma for each scenario, what each parameter contributes to a scenario's
difference from the base (exact Shapley values, all subsets in one engine call), the Jevons
curve and datacenter capex against the observed share of GDP."""
from __future__ import annotations

import functools
import math

import numpy as np
import pandas as pd

from .. import engine, parameter, plotting
from ..errors import SdeconError
from ..plotting.drivers import (INDEX_YEAR, JEVONS_YEARS, SIGMA_STAR, capex_share, jevons_curve, observed_capex_share, plot_capex_share,
                                plot_jevons, plot_sigma_response, plot_waterfall)
from .content import HEADLINE_YEAR, SHARE, Figure, Section, Table, _percent, exact, joined

SIGMA = "Elasticity of Substitution"
YEAR = HEADLINE_YEAR          # the summary's year
#: Points of the default sigma grid across the parameter's bounds.
GRID_POINTS = 41
#: Subsets are enumerated over at most this many players (2**10 runs in one engine call).
MOST_PLAYERS = 10
OTHER = "other parameters"
#: What sdecon/data/mapping.csv says of Dell'Oro's 2024 figure.
BROADENED = ", on a definition broadened that year, about 16% above the old one"


def effective(values: dict) -> dict[str, float]:
    """A scenario's values with every model constant it does not set at the `.mdl`'s default."""
    return {**engine.program().defaults, **{k: float(v) for k, v in values.items()}}


def _year_index(years: np.ndarray, year: float) -> int:
    found = np.flatnonzero(np.abs(years - year) < 1e-9)
    if not len(found):
        raise SdeconError(f"year {year!r} is not a saved time of the model; allowed: "
                          f"{years[0]:g} to {years[-1]:g} in steps of {years[1] - years[0]:g}", argument="year")
    return int(found[0])


def sigma_grid(points: int = GRID_POINTS) -> np.ndarray:
    """Evenly spaced sigmas across the parameter's bounds, with the threshold sigma* = 1."""
    p = parameter.get(SIGMA)
    return np.union1d(np.linspace(p.lower, p.upper, points).round(12), [SIGMA_STAR])  # 0.9, not 0.8999...


def sigma_response(values_by_scenario: dict[str, dict], *, year: int = YEAR, sigmas=None) -> pd.DataFrame:
    """Compute's share of GDP in `year` at a grid of the elasticity of substitution, per scenario.

    Parameters
    ----------
    values_by_scenario : dict of str to dict
        For each scenario, its parameter values (`Scenario.values`; constants it does not set
        take the `.mdl`'s defaults).
    year : int
        A saved year of the model.
    sigmas : array-like, optional
        The sigmas (within the parameter's bounds); default `sigma_grid()`. The threshold 1
        and every scenario's own sigma are always added.

    Returns
    -------
    DataFrame
        Indexed by ``sigma``, a column per scenario: the share of GDP as a fraction. One
        engine call runs every scenario at every sigma.
    """
    if not values_by_scenario:
        raise SdeconError("values_by_scenario is empty; expected at least one scenario's values",
                          argument="values_by_scenario")
    p = parameter.get(SIGMA)
    grid = sigma_grid() if sigmas is None else np.asarray(sigmas, dtype=float).ravel()
    for s in grid:
        if not p.lower <= s <= p.upper:
            raise SdeconError(f"sigmas {s:g} is out of bounds; allowed: [{p.lower:g}, {p.upper:g}]",
                              argument="sigmas")
    full = {name: effective(v) for name, v in values_by_scenario.items()}
    grid = np.unique(np.concatenate([grid, [SIGMA_STAR], [v[SIGMA] for v in full.values()]]).round(12))
    names, n = list(full), len(grid)
    varied = {key for v in full.values() for key, value in v.items() if value != full[names[0]][key]}
    batch_values = {**full[names[0]], **{key: np.repeat([full[s][key] for s in names], n) for key in varied},
                    SIGMA: np.tile(grid, len(names))}
    batch = engine.run(batch_values, runs=n * len(names), variables=[SHARE])
    row = batch.values[SHARE][_year_index(batch.years, year)]
    return pd.DataFrame({s: row[i * n:(i + 1) * n] for i, s in enumerate(names)},
                        index=pd.Index(grid, name="sigma"))


def _shapley(levels: np.ndarray, players: int) -> np.ndarray:
    """Exact Shapley values from the outcome of every subset (bit i of a subset's index: player
    i at the scenario's value): each player's marginal contribution averaged over the orders
    in which players join."""
    weights = [math.factorial(s) * math.factorial(players - s - 1) / math.factorial(players)
               for s in range(players)]
    values = np.zeros(players)
    for mask in range(2 ** players):
        size = bin(mask).count("1")
        for i in range(players):
            if not mask >> i & 1:
                values[i] += weights[size] * (levels[mask | 1 << i] - levels[mask])
    return values


def decompose(base_values: dict, values: dict, *, variable: str = SHARE, year: int = YEAR) -> pd.DataFrame:
    """What each parameter contributes to a scenario's difference from the base: Shapley values.

    Parameters
    ----------
    base_values, values : dict
        The base's and the scenario's parameter values (`Scenario.values`; constants not
        set take the `.mdl`'s defaults).
    variable : str
        The outcome, a model variable.
    year : int
        A saved year of the model.

    Returns
    -------
    DataFrame
        Columns ``parameter``, ``base value``, ``scenario value``, ``contribution`` (in the
        variable's units), largest contribution first; the contributions sum to the
        scenario's level minus the base's (``attrs``: ``variable``, ``year``, ``base_level``,
        ``scenario_level``, ``note``, ``groups``). With more than `MOST_PLAYERS` differing
        parameters, the 9 with the largest one-at-a-time effect are shown separately and the
        rest as one row "other parameters (m)" without values; ``note`` says so.
    """
    base, scenario = effective(base_values), effective(values)
    differing = sorted(k for k in set(base) | set(scenario) if base.get(k) != scenario.get(k))
    note = ""
    if len(differing) > MOST_PLAYERS:
        # One-at-a-time effects rank the parameters; the smallest share one group.
        alone = engine.run({**base, **{k: np.where(np.arange(len(differing)) == i, scenario[k], base[k])
                                       for i, k in enumerate(differing)}}, runs=len(differing),
                           variables=[variable])
        effect = alone.values[variable][_year_index(alone.years, year)]
        reference = engine.run(base, variables=[variable])
        effect = np.abs(effect - reference.values[variable][_year_index(reference.years, year), 0])
        order = [differing[i] for i in np.argsort(-effect, kind="stable")]
        rest = order[MOST_PLAYERS - 1:]
        groups = {k: [k] for k in order[:MOST_PLAYERS - 1]} | {f"{OTHER} ({len(rest)})": sorted(rest)}
        note = (f"{len(differing)} parameters differ: the {MOST_PLAYERS - 1} with the largest one-at-a-time "
                f"effect are shown separately, the other {len(rest)} as one group, '{OTHER}'")
    else:
        groups = {k: [k] for k in differing}
    players = list(groups)
    masks = np.arange(2 ** len(players))
    batch_values = dict(base)
    for i, label in enumerate(players):
        on = (masks >> i & 1).astype(bool)
        for k in groups[label]:
            batch_values[k] = np.where(on, scenario[k], base[k])
    batch = engine.run(batch_values, runs=len(masks), variables=[variable])
    levels = batch.values[variable][_year_index(batch.years, year)]
    contributions = _shapley(levels, len(players)) if players else np.zeros(0)
    table = pd.DataFrame({
        "parameter": players,
        "base value": [base[groups[p][0]] if len(groups[p]) == 1 else np.nan for p in players],
        "scenario value": [scenario[groups[p][0]] if len(groups[p]) == 1 else np.nan for p in players],
        "contribution": contributions})
    table = table.iloc[np.argsort(-np.abs(contributions), kind="stable")].reset_index(drop=True)
    table.attrs.update(variable=variable, year=year, base_level=float(levels[0]), scenario_level=float(levels[-1]),
                       note=note, groups=groups, unit=plotting.unit_label(variable))
    return table


# --------------------------------------------------------------------------------------
# The section
# --------------------------------------------------------------------------------------

def _pp(x: float) -> str:
    """A difference of shares of GDP (fractions) in percentage points, three significant figures."""
    shown = 100 * x
    return "0 pp" if shown == 0 else f"{'+' if shown > 0 else '−'}{abs(float(f'{shown:.3g}')):g} pp"


def _value(name: str, x: float) -> str:
    """A parameter's value as the table prints it: three significant figures, a share in percent."""
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return ""
    if "Share" in name and parameter.parameters().get(name) and parameter.get(name).unit == "Dmnl":
        return _percent(x)
    return exact(float(f"{x:.3g}"))


def _waterfall_data(tables: dict[str, pd.DataFrame]) -> pd.DataFrame:
    rows = []
    for name, table in tables.items():
        level = 100 * table.attrs["base_level"]
        for _, r in table.iterrows():
            rows.append({"scenario / parameter": f"{name} / {r['parameter']}", "from (% of GDP)": level,
                         "contribution (pp)": 100 * r["contribution"],
                         "to (% of GDP)": level + 100 * r["contribution"]})
            level += 100 * r["contribution"]
    return pd.DataFrame(rows).set_index("scenario / parameter")


def _coincide(table: pd.DataFrame) -> str:
    """A sentence naming the scenarios whose lines lie on each other (e.g. they differ only in sigma)."""
    return "".join(f" The lines of {joined(g)} coincide." for g in plotting.coinciding(table) if len(g) > 1)


def _sigma_sentences(table: pd.DataFrame, own: dict[str, float], first: str) -> str:
    above = [f"{n} (σ = {exact(float(f'{s:.3g}'))})" for n, s in own.items() if s > SIGMA_STAR]
    below = [f"{n} (σ = {exact(float(f'{s:.3g}'))})" for n, s in own.items() if s < SIGMA_STAR]
    at = [n for n, s in own.items() if s == SIGMA_STAR]
    parts = []
    if above:
        parts.append(f"{joined(above)} {'assume' if len(above) > 1 else 'assumes'} AI a gross substitute, "
                     "above the threshold")
    if below:
        parts.append(f"{joined(below)} {'assume' if len(below) > 1 else 'assumes'} a gross complement, below it")
    if at:
        parts.append(f"{joined(at)} sit{'' if len(at) > 1 else 's'} on it")
    column = table[first]
    near = [s for s in (0.9, SIGMA_STAR, 1.1) if s in column.index]
    levels = ", ".join(f"{_percent(column[s])} at σ = {s:g}" for s in near)
    ceiling = column.max()
    flat = column.index[np.argmax(column.to_numpy() >= 0.95 * ceiling)]
    return (f"{'; '.join(parts)}. How much hangs on it: in {first}, compute's share of GDP in {YEAR} would be "
            f"{levels}, and {_percent(column.iloc[-1])} at σ = {column.index[-1]:g} ({_percent(column[own[first]])} "
            f"at its own σ = {exact(float(f'{own[first]:.3g}'))}). Beyond σ = {exact(float(f'{flat:.3g}'))} the {YEAR} share stays "
            f"within 5% of its highest, {_percent(ceiling)}: there AI takes nearly all the spending it can serve, or "
            "the compute wanted outruns what the grid can power and the model caps its price, so more "
            "substitution adds little (docs/model.md, Limits).")


def _decomposition_sentences(tables: dict[str, pd.DataFrame], base: str) -> str:
    sentences = []
    for name, table in tables.items():
        total = table.attrs["scenario_level"] - table.attrs["base_level"]
        if table.empty:
            sentences.append(f"{name} sets the same parameters as {base}.")
        elif len(table) == 1:
            sentences.append(f"{name} differs from {base} only in {table['parameter'].iloc[0]}, which moves its "
                             f"{YEAR} share by {_pp(total)}.")
        else:
            top = table.iloc[0]
            sentences.append(f"Of the {_pp(total)} by which {name}'s {YEAR} share differs from {base}'s, "
                             f"{top['parameter']} contributes the most, {_pp(top['contribution'])}.")
    return " ".join(sentences)


def _turns(share: pd.Series, threshold: float = 0.05) -> list:
    """The years where a path turns (a zigzag: moves of less than `threshold`, relative, are
    wiggles, not turns), from its first year to its last."""
    years, points, trend, extreme = list(share.index), [share.index[0]], 0, share.index[0]
    for year in years[1:]:
        value, best = share[year], share[extreme]
        if trend >= 0 and value > best or trend <= 0 and value < best:
            if trend == 0 and abs(value / share[points[0]] - 1) < threshold:
                continue
            trend, extreme = trend or (1 if value > best else -1), year
        elif abs(value / best - 1) >= threshold:
            points.append(extreme)
            trend, extreme = -trend, year
    return points + [years[-1]]


def _jevons_sentence(runs: dict[str, pd.DataFrame]) -> str:
    """How each scenario's share of GDP moves along its Jevons curve from `INDEX_YEAR` on."""
    parts = []
    for name, frame in runs.items():
        _, share = jevons_curve(frame)
        share = share.loc[INDEX_YEAR:]
        points = _turns(share)
        moves = [f"{'rises' if share[b] > share[a] else 'falls'} to {_percent(share[b] / 100)} in {b}"
                 for a, b in zip(points[:-1], points[1:])]
        if not moves:
            parts.append(f"in {name} it stays near {_percent(share.iloc[0] / 100)}")
            continue
        path = moves[0] if len(moves) == 1 else f"{', '.join(moves[:-1])}, then {moves[-1]}"
        parts.append(f"in {name} it {path}" + (" (a rebound throughout)" if moves[0].startswith("rises")
                                                 and len(moves) == 1 else ""))
    return (f"Along the Jevons curve from {INDEX_YEAR} ({_percent(next(iter(runs.values())).loc[INDEX_YEAR, SHARE])} "
            f"of GDP), while the price keeps falling: {'; '.join(parts)}.")


def _capex_sentence(frame: pd.DataFrame, name: str, observed: pd.Series) -> str:
    """The latest observed capex share of GDP against the model's at the same mid-year."""
    if observed.empty:
        return ""
    when = float(observed.index[-1])
    line = capex_share(frame)
    modelled = float(np.interp(when, line.index.to_numpy(dtype=float), line.to_numpy()))
    return (f"Datacenter capex, what the build-out costs the economy, was {_percent(observed.iloc[-1] / 100)} of "
            f"world GDP in {when - 0.5:.0f} (Dell'Oro{BROADENED if when == 2024.5 else ''}), against "
            f"{_percent(modelled / 100)} in {name} at mid-{when - 0.5:.0f}; in {name} it peaks at "
            f"{_percent(line.max() / 100)} in {line.idxmax()}.")


def drivers_section(runs: dict[str, pd.DataFrame], values: dict[str, dict], first_figure: int) -> Section:
    """'What drives the outcome': the elasticity of substitution against its threshold, what
    each parameter contributes to each scenario's difference from the base, the Jevons curve
    and datacenter capex as a share of GDP.

    Parameters
    ----------
    runs : dict of str to DataFrame
        Each scenario's run indexed by year (`sdecon.run`), keyed by name.
    values : dict of str to dict
        Each scenario's parameter values (`Scenario.values`, with any overrides), by the same names.
    first_figure : int
        The number of the section's first figure.

    Returns
    -------
    Section
        Id ``"drivers"``: paragraphs computed from the numbers, four figures (three with one
        scenario: no waterfall) with their data, and the decomposition's table. The base is
        "baseline" when present, else the first scenario.
    """
    if not runs:
        raise SdeconError("runs is empty; expected at least one scenario's run", argument="runs")
    missing = [n for n in runs if n not in values]
    if missing:
        raise SdeconError(f"values has no entry for scenario {missing[0]!r}; expected one for each of "
                          f"{', '.join(runs)}", argument="values")
    names = list(runs)
    base = "baseline" if "baseline" in runs else names[0]
    own = {n: effective(values[n])[SIGMA] for n in names}
    response = sigma_response({n: values[n] for n in names}, year=YEAR, sigmas=np.union1d(sigma_grid(), [0.9, 1.1]))
    tables = {n: decompose(values[base], values[n], year=YEAR) for n in names if n != base}
    number = first_figure
    blocks: list = [
        "Whether cheaper AI raises or lowers compute's share of GDP turns on one assumption: the elasticity "
        "of substitution σ between AI and the labour and other inputs it competes with. Above σ* = 1, each "
        "fall in AI's price raises its share of the spending it can serve (spending on AI outgrows its price "
        "fall: demand is price-elastic); below 1, its share falls as it gets cheaper. "
        + _sigma_sentences(response, own, names[0])]
    figures = []
    figures.append(Figure(
        "drivers-sigma-response", f"Compute's share of GDP in {YEAR} against the elasticity of substitution",
        f"Figure {number}. Compute spending as a percent of GDP in {YEAR} (y) at each elasticity of substitution σ "
        f"from its lower to its upper bound (x), one line per scenario with its other assumptions held; a dot "
        f"marks each scenario's own σ, the dashed line the threshold σ* = 1.{_coincide(response)}",
        functools.partial(plot_sigma_response, response, year=YEAR, own=own),
        data=(100 * response).rename(columns=lambda c: f"{c} (% of GDP)")))
    number += 1
    if tables:
        blocks.append(_decomposition_sentences(tables, base))
        figures.append(Figure(
            "drivers-waterfall", f"What moves compute's share of GDP in {YEAR} away from {base}",
            f"Figure {number}. From {base}'s share of GDP in {YEAR} (top bar, % of GDP) to each scenario's "
            "(bars marked =): what each parameter that differs contributes, in percentage points (pp), as "
            "Shapley values (its effect averaged over every order of switching the parameters from "
            f"{base}'s values to the scenario's), so that the contributions add up to the difference.",
            functools.partial(plot_waterfall, tables, base=base), label_width=0.6, data=_waterfall_data(tables)))
        number += 1
    else:
        blocks.append("With one scenario there is no difference from a base to decompose, so the section "
                      "has no waterfall of contributions.")
    observed = observed_capex_share()
    blocks.append(_jevons_sentence(runs) + " " + _capex_sentence(runs[base], base, observed))
    jevons = pd.concat({n: pd.DataFrame(dict(zip(("price index", "% of GDP"), jevons_curve(f))))
                        for n, f in runs.items()}, axis=1)
    jevons.columns = [f"{n}: {c}" for n, c in jevons.columns]
    figures.append(Figure(
        "drivers-jevons", "Jevons curve: compute's share of GDP against the price of AI compute",
        f"Figure {number}. The Jevons curve, {JEVONS_YEARS[0]}-{JEVONS_YEARS[1]}: "
        f"compute spending as a percent of GDP (y) against the price of AI compute as an index, "
        f"{INDEX_YEAR} = 1 (x, logarithmic, cheaper to the right), one line per scenario with "
        "dots at 2024, 2030, 2040 and 2050; a line that rises to the right is a rebound.",
        functools.partial(plot_jevons, runs), data=jevons))
    number += 1
    capex = pd.DataFrame({f"{n} (% of GDP)": capex_share(f) for n, f in runs.items()})
    capex = capex.join(observed.rename("observed (% of GDP)"), how="outer")
    figures.append(Figure(
        "drivers-capex-share", "Datacenter capex as a share of GDP",
        f"Figure {number}. Datacenter capex as a percent of GDP by year, one line per scenario (the model's "
        "Datacenter Capex over its GDP); points: Dell'Oro's worldwide datacenter capex over world nominal GDP, "
        "at mid-year since a calendar-year total compares with the mid-year rate.",
        functools.partial(plot_capex_share, runs, observed), data=capex))
    blocks += figures
    if tables:
        rows, notes = [], []
        for name, table in tables.items():
            for _, r in table.iterrows():
                rows.append([name, r["parameter"], _value(r["parameter"], r["base value"]),
                             _value(r["parameter"], r["scenario value"]), _pp(r["contribution"])])
            rows.append([name, "total", _percent(table.attrs["base_level"]), _percent(table.attrs["scenario_level"]),
                         _pp(table.attrs["scenario_level"] - table.attrs["base_level"])])
            if table.attrs.get("note"):
                notes.append(f"{name}: {table.attrs['note']}.")
        blocks.append(Table(["scenario", "parameter", f"{base} value", "scenario value",
                             f"contribution to the {YEAR} share of GDP"], rows, numeric={2, 3, 4},
                            group_first=True, size=7,
                            caption=f"Shapley decomposition of each scenario's {YEAR} share of GDP against {base}'s "
                                    "(the total row: the shares in percent of GDP and their difference)."
                                    + (" " + " ".join(notes) if notes else "")))
    return Section("drivers", "What drives the outcome", blocks)
