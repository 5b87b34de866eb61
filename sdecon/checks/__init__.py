"""Reality checks: constraints any run must satisfy, evaluated over runs of the batch engine.

The constraints live in `reality.toml` beside this file (or a file of the same form): a name,
`LEFT OP RIGHT` over model variables in braces, a scope ("any": structural, must hold for
every parameter set within the bounds; "economic": a run that breaks it tells an impossible
story), why, and a source. `check()` runs them over the shipped scenarios, a saved sweep or a
Latin hypercube of the parameter box, and lists each violation: the constraint, the run, the
year, and both sides' values.

    from sdecon import checks
    checks.check(scenarios=["baseline"])          # violations as a frame (empty: all hold)
    checks.check(samples=1000, seed=0)            # over a Latin hypercube of the bounds
"""
from __future__ import annotations

import ast
import itertools
import re
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from .. import engine
from ..errors import SdeconError, closest

REALITY = Path(__file__).with_name("reality.toml")
SCOPES = ("any", "economic")
_OPERATORS = {"<=": np.less_equal, ">=": np.greater_equal, "<": np.less, ">": np.greater}
_ALLOWED = (ast.Expression, ast.BinOp, ast.UnaryOp, ast.Constant, ast.Name, ast.Load,
            ast.Add, ast.Sub, ast.Mult, ast.Div, ast.USub, ast.UAdd)
#: Relative slack for rounding: a value 1e-9 past its bound is not a violation.
TOLERANCE = 1e-9
STOCKS = "stocks"


@dataclass(frozen=True)
class Check:
    """One constraint: `left op right` over model variables."""
    name: str
    left: str
    operator: str
    right: str
    scope: str
    why: str = ""
    source: str = ""
    years: tuple[int, int] | None = None

    @property
    def constraint(self) -> str:
        return f"{self.left} {self.operator} {self.right}"

    def variables(self) -> set[str]:
        return set(re.findall(r"\{([^}]*)\}", self.constraint))


def load(path: str | Path | None = None, scope: str | None = None) -> list[Check]:
    """The checks in `path` (default: the shipped reality.toml), optionally of one scope."""
    path = Path(path) if path is not None else REALITY
    if scope is not None and scope not in SCOPES:
        raise SdeconError(f"scope {scope!r} is not known; allowed: {', '.join(SCOPES)}")
    try:
        table = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise SdeconError(f"checks file {str(path)!r} not found") from None
    except tomllib.TOMLDecodeError as error:
        raise SdeconError(f"checks file {str(path)!r} is not valid TOML: {error}") from None
    found = []
    names = set(engine.program().variables)
    for entry in table.get("check", []):
        name = entry.get("name")
        if not name or not entry.get("constraint"):
            raise SdeconError(f"{path.name}: every [[check]] needs a name and a constraint; got {entry}")
        left, operator, right = _split(name, entry["constraint"])
        found_scope = entry.get("scope", "economic")
        if found_scope not in SCOPES:
            raise SdeconError(f"check {name!r}: scope {found_scope!r} is not known; allowed: {', '.join(SCOPES)}")
        years = entry.get("years")
        item = Check(name, left, operator, right, found_scope, entry.get("why", ""),
                     entry.get("source", ""), tuple(years) if years else None)
        for variable in item.variables() - {STOCKS}:
            if variable not in names:
                raise SdeconError(f"check {name!r} names {variable!r}, which is not a model "
                                  f"variable{closest(variable, names)}")
        if scope is None or item.scope == scope:
            found.append(item)
    if not found:
        raise SdeconError(f"{path.name}: no checks{'' if scope is None else f' of scope {scope!r}'}")
    return found


def _split(name: str, constraint: str) -> tuple[str, str, str]:
    parts = re.split(r"(<=|>=|<|>)", constraint)
    if len(parts) != 3:
        raise SdeconError(f"check {name!r}: constraint {constraint!r} must be LEFT OP RIGHT with one "
                          "of <=, >=, <, >")
    left, operator, right = (p.strip() for p in parts)
    for side in (left, right):
        source = re.sub(r"\{[^}]*\}", "x", side)
        try:
            tree = ast.parse(source, mode="eval")
        except SyntaxError:
            raise SdeconError(f"check {name!r}: {side!r} is not an expression of variables in braces, "
                              "numbers and + - * / ( )") from None
        if not all(isinstance(node, _ALLOWED) for node in ast.walk(tree)):
            raise SdeconError(f"check {name!r}: {side!r} may use only variables in braces, numbers "
                              "and + - * / ( )")
    return left, operator, right


def _side(text: str, values: Mapping[str, np.ndarray]) -> np.ndarray:
    names, index = {}, itertools.count()

    def swap(match):
        key = f"v{next(index)}"
        names[key] = values[match.group(1)]
        return key

    source = re.sub(r"\{([^}]*)\}", swap, text)
    return np.asarray(eval(compile(source, "<check>", "eval"), {"__builtins__": {}}, names), dtype=float)


def evaluate(checks: Sequence[Check], batch: engine.Batch, runs: Sequence | None = None) -> pd.DataFrame:
    """Violations of `checks` in a batch: one row a check, run and year, with both sides."""
    labels = list(range(batch.runs)) if runs is None else list(runs)
    years = np.round(batch.years).astype(int)
    rows = []
    for item in checks:
        if STOCKS in item.variables():
            pairs = [(s, {STOCKS: batch.values[s]}) for s in _quantity_stocks()]
        else:
            pairs = [("", batch.values)]
        for stock, values in pairs:
            with np.errstate(all="ignore"):
                left = np.broadcast_to(_side(item.left, values), (len(years), batch.runs))
                right = np.broadcast_to(_side(item.right, values), (len(years), batch.runs))
                slack = TOLERANCE * np.maximum(np.abs(left), np.abs(right))
                shifted = right + slack if item.operator in ("<=", "<") else right - slack
                held = _OPERATORS[item.operator](left, shifted)
            if item.years is not None:
                held = held | ((years < item.years[0]) | (years > item.years[1]))[:, None]
            for t, r in zip(*np.nonzero(~held)):
                rows.append((item.name, labels[r], int(years[t]), stock, float(left[t, r]),
                             float(right[t, r]), item.scope))
    return pd.DataFrame(rows, columns=["check", "run", "year", "stock", "left", "right", "scope"])


def _quantity_stocks() -> list[str]:
    """The stocks "{stocks}" stands for: all but those holding a logarithm ("Log ...")."""
    return [s for s in engine.program().stocks if not s.startswith("Log ")]


def check(*, scenarios: Sequence[str] | None = None, sweep: str | Path | None = None,
          samples: int | None = None, seed: int = 0, path: str | Path | None = None,
          scope: str | None = None, constraints: Sequence[Check] | None = None) -> pd.DataFrame:
    """Evaluate the reality checks over one source of runs.

    Parameters
    ----------
    scenarios : sequence of str or Scenario, optional
        Shipped scenario names, scenario files or Scenarios, e.g. with a calibration's values
        over their own (default: every shipped scenario).
    sweep : str or Path, optional
        A saved sweep directory: its runs are simulated again.
    samples : int, optional
        Runs of a Latin hypercube over every free parameter's bounds.
    seed : int
        Seed of the Latin hypercube.
    path, scope
        The checks: `load(path, scope)` (default: the shipped `reality.toml`, all scopes).
    constraints : sequence of Check, optional
        The checks themselves, instead of `path` and `scope`.

    Returns
    -------
    DataFrame
        One row a violation: check, run, year, left and right sides; empty when all hold.
    """
    from .. import scenarios as scenario_module
    from .. import sweeps as sweep_module
    given = [x is not None for x in (scenarios, sweep, samples)]
    if sum(given) > 1:
        raise SdeconError("give one of scenarios, sweep and samples, not several", argument="scenarios")
    items = list(constraints) if constraints is not None else load(path, scope)
    wanted = sorted({v for c in items for v in c.variables()} - {STOCKS} | set(_quantity_stocks()))
    if sweep is not None:
        result = sweep_module.load_sweep(sweep)
        names = [u["name"] for u in result.manifest["vary"]]
        frame = result.runs(columns=names)
        values = {**result.manifest["scenario_values"], **{n: frame[n].to_numpy() for n in names}}
        batch = engine.run(values, variables=wanted)
        return evaluate(items, batch, runs=frame["run"].tolist())
    if samples is not None:
        if isinstance(samples, bool) or not isinstance(samples, int) or samples < 1:
            raise SdeconError(f"samples {samples!r} must be a whole number of at least 1", argument="samples")
        uncertain = sweep_module.box_uncertainty()
        design = sweep_module.sample("lhs", uncertain, samples, seed=seed)
        base = scenario_module.load("baseline").values
        batch = engine.run({**base, **design}, variables=wanted)
        return evaluate(items, batch)
    names = list(scenarios) if scenarios is not None else scenario_module.names()
    frames = []
    for name in names:
        chosen = name if isinstance(name, scenario_module.Scenario) else scenario_module.load(name)
        batch = engine.run(chosen.values, variables=wanted)
        frames.append(evaluate(items, batch, runs=[chosen.name if chosen is name else name]))
    return pd.concat(frames, ignore_index=True)


def summarise(violations: pd.DataFrame) -> pd.DataFrame:
    """One row a check and run: the years it fails (first, last, how many) and the worst
    ratio of its left side to its right."""
    if violations.empty:
        return pd.DataFrame(columns=["check", "run", "first_year", "last_year", "years", "worst_ratio"])
    table = violations.assign(ratio=violations["left"] / violations["right"])
    grouped = table.groupby(["check", "run"], sort=False)
    return grouped.agg(first_year=("year", "min"), last_year=("year", "max"),
                       years=("year", "nunique"), worst_ratio=("ratio", "max")).reset_index()
