"""Page one: what a policy reader needs in two minutes. A headline and a takeaway computed from
the runs (what happens to compute's share of GDP, under which assumption, with its threshold),
the chart of that share from history to 2050, the key numbers against 2024, the reality checks,
and "scenarios, not forecasts" said plainly."""
from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence

import pandas as pd

from .. import checks, parameter, plotting
from ..scenarios import Scenario
from .content import DATA_END, SHARE, Callout, Figure, Heading, Section, Table, _percent, fmt, joined, money
from .content import HEADLINE_YEAR as YEAR
SIGMA = "Elasticity of Substitution"
THRESHOLD = 1.0              # sigma* (models/ai_compute_economy.mdl, AI Demand Odds): CES share rises as price falls above it


def _sigma(s: Scenario) -> float:
    return float(s.values.get(SIGMA, parameter.parameters()[SIGMA].default))


def _range(values: Sequence[float]) -> str:
    low, high = _percent(min(values)), _percent(max(values))
    return low if low == high else f"{low.rstrip('%')}-{high}"


def _verb(after: float, before: float) -> str:
    ratio = after / before if before else float("inf")
    return "raises" if ratio > 1.1 else "lowers" if ratio < 1 / 1.1 else "keeps"


def percent_change(after: float, before: float) -> str:
    """A change as a reader says it: "+35.2%", "-17.4%", and for rises beyond tenfold "47.4 times"
    (a percentage in the thousands reads as noise); "" when `before` is zero."""
    if not before:
        return ""
    ratio = after / before
    if ratio >= 10:
        return f"{fmt(ratio)} times"
    if ratio < 0.001:
        return "< -99.9%"
    percent = 100 * (ratio - 1)
    return "0%" if abs(percent) < 0.05 else f"{'+' if percent > 0 else '-'}{fmt(abs(percent))}%"


def _groups(chosen: Sequence[Scenario]) -> dict[str, list[Scenario]]:
    """The scenarios by their side of the threshold: "above", "below", "at"."""
    groups: dict[str, list[Scenario]] = {}
    for s in chosen:
        sigma = _sigma(s)
        groups.setdefault("above" if sigma > THRESHOLD else "below" if sigma < THRESHOLD else "at", []).append(s)
    return groups


def headline(runs: Mapping[str, pd.DataFrame], chosen: Sequence[Scenario]) -> str:
    """One sentence: what cheaper AI does to compute's share of GDP by `YEAR`, by the side of the
    threshold each scenario's elasticity of substitution is on."""
    start = float(next(iter(runs.values())).loc[DATA_END, SHARE])
    groups = _groups(chosen)
    words = {"above": "where AI substitutes for other spending (σ above 1)",
             "below": "where it complements other spending (σ below 1)", "at": "at the threshold σ = 1"}
    parts = []
    for side in ("above", "below", "at"):
        if side in groups:
            ends = [float(runs[s.name].loc[YEAR, SHARE]) for s in groups[side]]
            parts.append((_verb(sum(ends) / len(ends), start), _range(ends), words[side]))
    (verb, shown, where), *others = parts
    text = (f"Cheaper, more capable AI {verb} compute's share of GDP from {_percent(start)} in {DATA_END} "
            f"{'at' if verb == 'keeps' else 'to'} {shown} by {YEAR} {where}")
    for other_verb, other_shown, other_where in others:
        prep = "at" if other_verb == "keeps" else "to"
        text += f", and {prep} {other_shown} {other_where}" if other_verb == verb else \
            f", but {other_verb} it {prep} {other_shown} {other_where}"
    return text + "."


def takeaway(runs: Mapping[str, pd.DataFrame], chosen: Sequence[Scenario]) -> list[str]:
    """Two or three sentences computed from the runs: the 2024 anchor; the deciding assumption
    tied to where the scenarios on each side of its threshold end in `YEAR`; the peak, when the
    share turns."""
    first = next(iter(runs.values()))
    sentences = [
        f"In {DATA_END} the world spent about {money(first.loc[DATA_END, 'Compute Spending'])} on AI compute in use "
        f"(not on chips), {_percent(first.loc[DATA_END, SHARE])} of GDP, in the model fitted to the data to {DATA_END}."]
    groups = _groups(chosen)
    sides = []
    for side, words in (("above", "above it"), ("below", "below it"), ("at", "at it")):
        if side in groups:
            members = ", ".join(f"{s.name} {fmt(_sigma(s))}" for s in groups[side])
            ends = [float(runs[s.name].loc[YEAR, SHARE]) for s in groups[side]]
            sides.append(f"{words} ({members}) the share reaches {_range(ends)}")
    sentences.append(
        "The deciding assumption is the elasticity of substitution σ between AI and other spending: above "
        "σ* = 1 each fall in AI's price raises AI's share of the spending it can serve, below 1 it lowers it "
        "(AI taking on more tasks can still raise its share of GDP); " + "; ".join(sides) + ".")
    rationed = limit_year(runs)
    if rationed is not None:
        year, names = rationed
        sentences.append(f"By {year} the compute buyers want under {joined(names)} outruns what the grid can "
                         f"power and the model caps its price: after {YEAR} the shares follow the grid's limit, "
                         "not demand (docs/model.md, Limits).")
    return sentences


RATIONED = 0.9       # a Compute Supply Ratio below this: buyers get less than nine tenths of what they want


def limit_year(runs: Mapping[str, pd.DataFrame]) -> tuple[int, list[str]] | None:
    """The scenarios whose buyers get less than `RATIONED` of the compute they want (`Compute
    Supply Ratio`) by `YEAR`, and the year by which all of them do; None when none does by then."""
    found = {}
    for name, frame in runs.items():
        short = frame.loc[DATA_END + 1:YEAR, "Compute Supply Ratio"] < RATIONED
        if short.any():
            found[name] = int(short.idxmax())
    if not found:
        return None
    return max(found.values()), list(found)


def key_table(runs: Mapping[str, pd.DataFrame]) -> Table:
    """The key numbers: a row for 2024 and one for each scenario in `YEAR`, a column a quantity."""
    first = next(iter(runs.values()))
    quantities = (
        ("compute spending, % of GDP", lambda f, y: _percent(f.loc[y, SHARE])),
        ("compute spending a year", lambda f, y: money(f.loc[y, "Compute Spending"])),
        ("datacenter capex a year", lambda f, y: money(f.loc[y, "Datacenter Capex"])),
        ("datacenter capex, % of GDP", lambda f, y: _percent(f.loc[y, "Datacenter Capex"] / f.loc[y, "GDP"])),
        (f"price of AI compute, index ({DATA_END} = 1)",
         lambda f, y: fmt(f.loc[y, "Price of AI Compute"] / f.loc[DATA_END, "Price of AI Compute"])),
        (f"share of GDP against {DATA_END}",
         lambda f, y: "" if y == DATA_END else percent_change(f.loc[y, SHARE], f.loc[DATA_END, SHARE])),
    )
    rows = [[f"{DATA_END}, every scenario"] + [value(first, DATA_END) for _, value in quantities]]
    rows += [[f"{name}, {YEAR}"] + [value(frame, YEAR) for _, value in quantities] for name, frame in runs.items()]
    return Table([""] + [label for label, _ in quantities], rows, numeric=set(range(1, len(quantities) + 1)),
                 size=7.5,
                 caption=f"{DATA_END}: the fitted model, the same in every scenario. Price index: a fixed amount of "
                         f"AI work, hardware and algorithms included, {DATA_END} = 1. By year: Findings.")


def reality(chosen: Sequence[Scenario], constraints: Sequence[checks.Check] | None = None
            ) -> tuple[int, pd.DataFrame]:
    """The number of reality checks (default: the shipped ones, `sdecon.checks.load`) and their
    failures in the scenarios' runs: one row a check and scenario (`checks.summarise`, with the
    check's `why`)."""
    constraints = checks.load() if constraints is None else list(constraints)
    failures = checks.summarise(checks.check(scenarios=chosen, constraints=constraints))
    why = {c.name: c.why for c in constraints}
    return len(constraints), failures.assign(why=[why[name] for name in failures["check"]])


def reality_block(total: int, failures: pd.DataFrame, names: Sequence[str]):
    """A box naming each failed check, or a sentence that all hold."""
    if failures.empty:
        return (f"All {total} reality checks hold in every year of every scenario (spending within what AI earns, "
                "capex within what economies invest, power within what grids supply).")
    items = [f"{row.run}: {row.check} fails in {row.first_year}"
             + (f"-{row.last_year}" if row.last_year != row.first_year else "")
             + f", at worst {fmt(row.worst_ratio)} times its limit. {row.why}".rstrip()
             for row in failures.itertuples(index=False)]
    failed = failures["run"].nunique()
    return Callout(f"Implausible: {failures['check'].nunique()} of {total} reality checks fail in {failed} of "
                   f"{len(names)} scenarios; read their numbers after those years with care.", items)


def summary_section(runs: Mapping[str, pd.DataFrame], chosen: Sequence[Scenario], *, forecasts=None,
                    reality_checks: tuple[int, pd.DataFrame] | None = None) -> Section:
    """Page one (`Section` id "summary"). `forecasts` ({scenario: Forecast}) adds the first
    scenario's band to the chart and a sentence; `reality_checks` is `reality(...)`'s result."""
    names = list(runs)
    band_of = names[0] if forecasts and names[0] in forecasts else None
    band = forecasts[band_of].bands if band_of else None
    data = plotting.headline_data(dict(runs), DATA_END, band, band_of)
    title = "Compute spending, share of world GDP: history, then scenarios"
    horizon = YEAR if limit_year(runs) else None        # the years after it are shaded
    hero = Figure("headline", title,
                  f"Figure 1. Compute spending (training and inference) as a share of world GDP, percent; black: "
                  f"the model fitted to data up to {DATA_END}; then each scenario to {data.index[-1]}"
                  + (f"; shaded grey after {YEAR}: compute rationed by the grid, its price capped, the years to "
                     "read with care" if horizon else "")
                  + (f"; shaded: {band_of}'s 90% band given the history (the posterior of the fitted "
                     "parameters)" if band_of else "") + ".",
                  functools.partial(plotting.plot_headline, dict(runs), last_data_year=DATA_END, band=band,
                                    band_of=band_of, title=title, horizon=horizon),
                  data=data, height=3.0)
    blocks: list = [Heading(headline(runs, chosen)), " ".join(takeaway(runs, chosen)), hero, key_table(runs)]
    if reality_checks is not None:
        blocks.append(reality_block(*reality_checks, names))
    closing = "These are scenarios, not forecasts: each shows what follows from its assumptions."
    if band_of:
        row = band[(band["variable"] == SHARE) & (band["year"] == YEAR)].iloc[0]
        closing += (f" Given the history and the model as it stands, {band_of}'s {YEAR} share lies between "
                    f"{_percent(row.p5)} and {_percent(row.p95)} in 90% of the posterior's draws, which vary the "
                    "fitted parameters only (Forecast given the history).")
    blocks.append(closing)
    return Section("summary", "Summary", blocks, compact=True)
