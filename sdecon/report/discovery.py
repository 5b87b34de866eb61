"""'Scenario discovery', the section conditions on a sweep's outputs add (``discover``): for
each, how many of the sweep's runs meet it, the box of varied parameters where they do
(PRIM, `sdecon.discover`), its peeling trajectory and limits, and CART's rules as a second
view."""
from __future__ import annotations

import functools
import math
from collections.abc import Sequence
from dataclasses import dataclass

import pandas as pd

from .. import plotting
from ..discovery import Condition, Discovery, discover, sweep_condition, value_range
from ..errors import SdeconError
from ..sweeps import SweepResult
from .content import Figure, Heading, Section, Table, exact, fmt, parameter_unit
from .pdf import _text_width

#: CART leaves the section lists at most: those where most runs meet the condition, by coverage.
CART_SHOWN = 5


@dataclass(frozen=True)
class Finding:
    """One condition of a report: its runs, those meeting it, and what PRIM and CART found.

    Attributes
    ----------
    where : str
        The condition as given.
    condition : Condition
        The condition, parsed.
    runs, of_interest : int
        The sweep's runs, and those meeting the condition.
    span : str
        The output's range over the runs, as text.
    found : Discovery or None
        `sdecon.discover`'s result; None when no run or every run meets the condition.
    log_scaled : frozenset of str
        The varied parameters the sweep drew log-uniformly: the share of their range a box
        keeps is one of their logarithm's.
    """
    where: str
    condition: Condition
    runs: int
    of_interest: int
    span: str
    found: Discovery | None
    log_scaled: frozenset = frozenset()


def check_conditions(sweep: SweepResult, conditions: str | Sequence[str]) -> list[tuple[str, Condition]]:
    """Each condition checked against the sweep's outputs, before any run.

    Parameters
    ----------
    sweep : SweepResult
    conditions : str or sequence of str
        ``"VARIABLE@YEAR OP VALUE"``, one or several.

    Returns
    -------
    list of (str, Condition)
        Each condition as given and parsed.

    Raises
    ------
    SdeconError
        One line starting ``discover`` (the argument of `write_report`): a condition that
        does not parse or names no output of the sweep (`sdecon.discovery.parse_where`'s
        message), none given, or one given twice.
    """
    texts = [conditions] if isinstance(conditions, str) else conditions
    if not isinstance(texts, Sequence) or not texts:
        raise SdeconError(f"discover {conditions!r} is not a condition; expected 'VARIABLE@YEAR > VALUE' or "
                          "a list of such", argument="discover")
    parsed: list[tuple[str, Condition]] = []
    for text in texts:
        try:
            condition = sweep_condition(sweep, text)
        except SdeconError as error:   # its message starts "where"; here the argument is discover
            raise SdeconError("discover" + str(error).removeprefix("where"), argument="discover") from None
        if condition in [c for _, c in parsed]:
            raise SdeconError(f"discover {text!r} is given twice; each condition may appear once",
                              argument="discover")
        parsed.append((str(text), condition))
    return parsed


def find(sweep: SweepResult, conditions: list[tuple[str, Condition]]) -> list[Finding]:
    """PRIM and CART (`sdecon.discover`, its default settings) for each condition some but
    not all of the sweep's runs meet; the count alone for the others."""
    log_scaled = frozenset(item["name"] for item in sweep.manifest["vary"] if item.get("distribution") == "loguniform")
    findings = []
    for where, condition in conditions:
        values = sweep.runs([condition.output])[condition.output]
        meeting = int(condition.holds(values).sum())
        found = discover(sweep, where) if 0 < meeting < len(values) else None
        findings.append(Finding(where, condition, len(values), meeting, value_range(values), found, log_scaled))
    return findings


def _share(x: float) -> str:
    return f"{fmt(100 * x)}%"


def _limit(x: float, unit: str) -> str:
    """A box limit to 3 significant figures; a calendar year (unit Year, 1000 or more) to a tenth."""
    if unit == "Year" and abs(x) >= 1000:
        return f"{x:.1f}".removesuffix(".0")
    return fmt(x)


def box_rows(finding: Finding) -> list[dict]:
    """The box, one dict a restricted parameter: ``parameter``, ``unit``, ``lower``,
    ``upper``, ``low``, ``high`` (the runs' range), ``kept`` (the share of that range in the
    box, of its logarithm's for a parameter in `Finding.log_scaled`), ``qp_lower``,
    ``qp_upper``; none when PRIM found no box."""
    if finding.found is None:
        return []
    rows = []
    for name, limit in finding.found.box.iterrows():
        scale = math.log if name in finding.log_scaled and limit["low"] > 0 else float
        lower, upper, low, high = (scale(limit[k]) for k in ("lower", "upper", "low", "high"))
        rows.append({"parameter": name, **limit[["unit", "lower", "upper", "low", "high"]].to_dict(),
                     "kept": (upper - lower) / (high - low) if high > low else 1.0,
                     "qp_lower": limit["qp_lower"], "qp_upper": limit["qp_upper"]})
    return rows


def _trajectory_data(found: Discovery) -> pd.DataFrame:
    """What the trajectory chart draws, a row a box of the peeling: coverage, density (shares)
    and how many parameters it restricts."""
    table = found.trajectory
    return pd.DataFrame({"coverage": table["coverage"].to_numpy(float), "density": table["density"].to_numpy(float),
                         "parameters restricted": table["restricted"].to_numpy(float)},
                        index=pd.RangeIndex(len(table), name="box"))


def _box_data(rows: list[dict]) -> pd.DataFrame:
    """What the box chart draws, a row a restricted parameter: the box's limits and the runs'
    range, in the parameter's unit."""
    return pd.DataFrame([{k: float(r[k]) for k in ("lower", "upper", "low", "high")} for r in rows],
                        index=pd.Index([r["parameter"] for r in rows], name="parameter"),
                        columns=["lower", "upper", "low", "high"])


def _no_box(finding: Finding) -> str:
    if finding.of_interest:
        return (f"Every one of the sweep's {finding.runs:,} runs meets it (the output ranges {finding.span}), so "
                "there is no box to find: it holds whatever the varied parameters.")
    return (f"None of the sweep's {finding.runs:,} runs meets it (the output ranges {finding.span}), so there is "
            "no box to find.")


def _prim_blocks(finding: Finding, number: int, key: str) -> list:
    found = finding.found
    chosen = found.trajectory.iloc[found.step]
    why = (f"the last whose density reaches {_share(found.threshold)}" if found.meets_threshold else
           f"no box reaches density {_share(found.threshold)}; this is the densest")
    blocks: list = [
        f"PRIM's box is box {found.step} of the {len(found.trajectory)} on the peeling trajectory ({why}). It "
        f"holds {int(chosen['runs']):,} runs ({_share(found.mass)} of all), {int(chosen['of_interest']):,} of "
        f"which meet the condition: coverage {_share(found.coverage)} (of the runs meeting it, those inside "
        f"the box) and density {_share(found.density)} (of the box's runs, those meeting it), against "
        f"{_share(found.of_interest / found.runs)} over all runs."]
    rows = box_rows(finding)
    if rows:
        blocks.append(Table(
            ["parameter", "lower", "upper", "unit", "range in the runs", "range kept"],
            [[r["parameter"], _limit(r["lower"], r["unit"]), _limit(r["upper"], r["unit"]), parameter_unit(r["unit"]),
              f"{_limit(r['low'], r['unit'])} to {_limit(r['high'], r['unit'])}", _share(r["kept"])] for r in rows],
            numeric={1, 2, 5}, size=7.5,
            caption="The box's limits (inclusive) on each parameter it restricts, in the parameter's unit; "
                    "'range kept' is the share of the runs' range inside them (of its logarithm for a "
                    f"parameter drawn log-uniformly{_drawn_log(rows, finding)}). results.xlsx, sheet "
                    "'discovery', has the limits to full precision and their quasi p-values."))
    else:
        blocks.append("PRIM restricts no parameter: no box is denser than all the runs together.")
    width = max([_text_width(str(r["parameter"]), 8) for r in rows] + [0.5]) + 0.3 - 0.62
    blocks += [
        Figure(f"{key}-trajectory", f"PRIM peeling trajectory: {found.where}",
               f"Figure {number}. PRIM's peeling trajectory for {found.where}: each box's coverage against its "
               "density, coloured by how many parameters it restricts; the reported box circled, the density "
               "threshold dashed.", functools.partial(plotting.plot_trajectory, found),
               data=_trajectory_data(found)),
        Figure(f"{key}-box", f"PRIM box: {found.where}",
               f"Figure {number + 1}. The box for {found.where}: each restricted parameter's range over the runs "
               "(grey, 0 its lowest value, 1 its highest) and the part inside the box (blue), labelled with the "
               "limits in the parameter's unit.", functools.partial(plotting.plot_box_limits, found),
               label_width=max(width, 0.0), data=_box_data(rows))]
    return blocks


def _drawn_log(rows: list[dict], finding: Finding) -> str:
    names = [r["parameter"] for r in rows if r["parameter"] in finding.log_scaled]
    return f": {', '.join(names)}" if names else ""


def _cart_blocks(found: Discovery) -> list:
    wanted = found.cart[found.cart["density"] > 0.5].sort_values("coverage", ascending=False)
    text = (f"CART, a second view: a classification tree of {len(found.cart)} leaves (each at least "
            f"{_share(found.mass_min)} of the runs), each leaf a rule on the parameters. ")
    if wanted.empty:
        return [text + "No leaf has a majority of runs meeting the condition."]
    shown = wanted.head(CART_SHOWN)
    return [text + f"The {len(shown)} with the most of the runs meeting it, of the {len(wanted)} where most runs "
                   "do:",
            Table(["rule", "coverage", "density", "runs"],
                  [[leaf.rule, _share(leaf.coverage), _share(leaf.density), f"{int(leaf.runs):,}"]
                   for leaf in shown.itertuples()], numeric={1, 2, 3}, size=7.5)]


def discovery_section(findings: list[Finding], first: int = 1) -> Section:
    """The section: what it does, then for each condition the runs meeting it, PRIM's box
    (a table and two figures, numbered from `first`) and CART's rules."""
    blocks: list = [
        "Which corner of the varied parameters gives a chosen outcome: for each condition on one of the "
        "sweep's outputs, PRIM (the Patient Rule Induction Method, as the EMA Workbench implements it) peels "
        "the box of all runs down to a few parameters' ranges inside which most runs meet the condition; "
        "CART (a classification tree) gives a second view as rules. Coverage is the share of the runs "
        "meeting the condition that a box holds, density the share of the box's runs that meet it. The "
        "settings are those of 'sdecon discover' by default, which takes others; docs/discovery.md says "
        "how to read the results."]
    number = first
    for index, finding in enumerate(findings, start=1):
        condition = finding.condition
        blocks.append(Heading(f"{condition.output} {condition.operator} {exact(condition.value)}"))
        if finding.found is None:
            blocks.append(_no_box(finding))
            continue
        blocks.append(f"{finding.of_interest:,} of the sweep's {finding.runs:,} runs "
                      f"({_share(finding.of_interest / finding.runs)}) meet it.")
        blocks += _prim_blocks(finding, number, f"discovery-{index}")
        number += 2
        blocks += _cart_blocks(finding.found)
    return Section("discovery", "Scenario discovery", blocks)
