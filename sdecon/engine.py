"""The batch engine: the `.mdl`'s equations compiled to numpy, many parameter sets in one pass.

PySD spends most of a run on Python overhead per variable and step. Here PySD's own parser
reads `models/ai_compute_economy.mdl` into its abstract syntax tree, and we generate one
Python function from it in which every variable is an array with one element per run. One
pass over the time steps then advances a whole batch. There is no second copy of the
equations to drift: change the `.mdl` and the engine follows.

The generated code reproduces PySD's semantics: Euler steps, time advanced by adding the
step, values saved at the SAVEPER times before the step, STEP/PULSE/ZIDZ as in
`pysd.py_backend.functions`. Variables that depend on neither time nor a stock are computed
once; variables no stock depends on are computed only when a row is saved.
"""
from __future__ import annotations

import functools
import math
from collections.abc import Collection, Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from . import model
from .errors import SdeconError, closest

# Vensim's "zero" in ZIDZ, XIDZ and PULSE, as in pysd.py_backend.functions.SMALL_VENSIM.
SMALL_VENSIM = 1e-6
# PySD's relative precision for the final and saving times (pysd Time.rprec).
RPREC = 1e-5

_FUNCTIONS = {  # Vensim function -> template over the generated arguments
    "ln": "np.log({0})",
    "exp": "np.exp({0})",
    "sqrt": "np.sqrt({0})",
    "abs": "np.abs({0})",
    "min": "np.minimum({0}, {1})",
    "max": "np.maximum({0}, {1})",
    "if_then_else": "_if_then_else({0}, lambda: {1}, lambda: {2})",
    "step": "{0} * (t + dt / 2 > {1})",  # PySD's STEP switches half a step early
    "pulse": "np.where(({0} - SMALL_VENSIM <= t) & (t < {0} + {1}), 1.0, 0.0)",
    "zidz": "np.where(np.abs({1}) < SMALL_VENSIM, 0.0, {0} / np.where({1} == 0, 1.0, {1}))",
    "xidz": "np.where(np.abs({1}) < SMALL_VENSIM, {2}, {0} / np.where({1} == 0, 1.0, {1}))",
}
_TIME_FUNCTIONS = {"step", "pulse"}  # they read the clock without naming Time
_OPERATORS = {"^": "**", "=": "==", "<>": "!=", ":AND:": "&", ":OR:": "|"}
_CLOCK = {"initial_time", "final_time", "time_step", "saveper"}


@dataclass(frozen=True)
class Batch:
    """The result of `run`: one array a variable, shaped (saved time, run)."""
    years: np.ndarray
    values: dict[str, np.ndarray]

    @property
    def runs(self) -> int:
        return next(iter(self.values.values())).shape[1]

    def frame(self, run: int = 0) -> pd.DataFrame:
        """Run number `run` as a frame shaped like `sdecon.run`'s: indexed by year."""
        index = pd.Index(np.round(self.years).astype(int), name="year")
        return pd.DataFrame({name: array[:, run] for name, array in self.values.items()},
                            index=index)


@dataclass(frozen=True)
class _Element:
    name: str       # Vensim name
    kind: str       # "constant", "aux", "stock" or "initial"
    expr: object    # PySD abstract syntax tree (the flow, for a stock)
    init: object = None  # a stock's initial value


class _Program:
    """The parsed model, its dependency order, and the generated function."""

    def __init__(self, elements: dict[str, _Element]):
        self.elements = elements
        self.names = {key: el.name for key, el in elements.items()}
        self.constants = [k for k, el in elements.items() if el.kind == "constant"]
        self.stocks = [k for k, el in elements.items() if el.kind == "stock"]
        deps = {k: _references(el.expr) for k, el in elements.items()}
        unknown = sorted(set().union(*deps.values()) - set(elements) - {"time"})
        if unknown:
            raise SdeconError(f"the model refers to {unknown}, which it does not define")
        # At the initial time a stock is its initial value; afterwards it is state.
        init_deps = {k: _references(el.init) if el.kind == "stock" else deps[k]
                     for k, el in elements.items()}
        self.init_order = _topological(init_deps, "initial value")
        step_deps = {k: (set() if el.kind in ("stock", "initial") else deps[k])
                     for k, el in elements.items()}
        order = _topological(step_deps, "equation")
        varying = {"time", *self.stocks}
        for key in order:
            if elements[key].kind == "aux" and deps[key] & varying:
                varying.add(key)
        self.dynamic = [k for k in order if k in varying and elements[k].kind == "aux"]
        needed = set()
        for stock in self.stocks:
            needed |= _closure(deps[stock], step_deps)
        self.per_step = [k for k in self.dynamic if k in needed]
        self.per_save = [k for k in self.dynamic if k not in needed]
        self.source = self._generate()
        namespace = {"np": np, "SMALL_VENSIM": SMALL_VENSIM, "_if_then_else": _if_then_else}
        exec(compile(self.source, f"<sdecon engine: {model.MODEL_NAME}>", "exec"), namespace)
        self.function = namespace["_simulate"]

    def _generate(self) -> str:
        ident = {k: f"v{i}" for i, k in enumerate(self.elements)}
        ident["time"] = "t"
        static = set(self.elements) - set(self.dynamic) - set(self.stocks)
        hoisted: dict[str, str] = {}  # source of a constant subexpression -> its name

        def plain(node) -> str:
            return _expression(node, ident)

        def in_loop(node) -> str:
            return _expression(node, ident, static, hoisted)

        lines = ["def _simulate(P, n, t0, final, dt, save_times, out):",
                 "    t = t0"]
        lines += [f"    {ident[k]} = P[{self.names[k]!r}]" for k in self.constants]
        lines += ["    # initial values, in dependency order"]
        for key in self.init_order:
            element = self.elements[key]
            if element.kind == "stock":
                lines.append(f"    {ident[key]} = np.broadcast_to({plain(element.init)}, (n,)).astype(float)")
            elif element.kind != "constant":
                lines.append(f"    {ident[key]} = {plain(element.expr)}")
        loop = ["    saved = 0",
                "    while True:"]
        loop += [f"        {ident[k]} = {in_loop(self.elements[k].expr)}" for k in self.per_step]
        loop += ["        if saved < len(save_times) and abs(t - save_times[saved]) <= "
                 f"1e-8 + dt * {RPREC!r} * abs(save_times[saved]):"]
        loop += [f"            {ident[k]} = {in_loop(self.elements[k].expr)}" for k in self.per_save]
        loop += [f"            out[{i}][saved] = {ident[k]}" for i, k in enumerate(self._saved)]
        loop += ["            saved += 1",
                 f"        if not t + dt * {RPREC!r} < final:",
                 "            return saved"]
        updates = [f"{ident[k]} + ({in_loop(self.elements[k].expr)}) * dt" for k in self.stocks]
        loop.append(f"        {', '.join(ident[k] for k in self.stocks)} = {', '.join(updates)}")
        loop.append("        t = t + dt")
        # Subexpressions of constants only are computed once, before the loop.
        lines += ["    # constant subexpressions of the time-varying equations"]
        lines += [f"    {name} = {source}" for source, name in hoisted.items()]
        return "\n".join(lines + loop) + "\n"

    @functools.cached_property
    def _saved(self) -> list[str]:
        """Keys of the time-varying variables, public ones first (as `model.variable_names()`)."""
        by_name = {el.name: key for key, el in self.elements.items() if el.kind != "constant"}
        rest = sorted(set(by_name) - set(model.PUBLIC_VARIABLES))
        return [by_name[name] for name in (*model.PUBLIC_VARIABLES, *rest)]

    @functools.cached_property
    def defaults(self) -> dict[str, float]:
        """Every constant's value as written in the `.mdl`."""
        return {el.name: float(el.expr) for el in self.elements.values() if el.kind == "constant"}


def _references(node) -> set[str]:
    """Names of the variables (and `time`) an abstract syntax tree refers to."""
    if node is None or isinstance(node, (int, float, str)):
        return set()
    kind = type(node).__name__
    if kind == "ReferenceStructure":
        return {node.reference}
    if kind == "CallStructure":
        implicit = {"time"} if node.function.reference in _TIME_FUNCTIONS else set()
        return implicit.union(*(_references(a) for a in node.arguments))
    if kind in ("ArithmeticStructure", "LogicStructure"):
        return set().union(set(), *(_references(a) for a in node.arguments))
    if kind == "InitialStructure":
        return _references(node.initial)
    raise SdeconError(f"the batch engine does not support {kind} in the model; use sdecon.run (PySD)")


def _expression(node, ident: dict[str, str], static: set[str] | None = None,
                hoisted: dict[str, str] | None = None) -> str:
    """Python source for an abstract syntax tree, over arrays named by `ident`.

    With `static` (the names that never change in a run) and `hoisted`, a compound
    subexpression of static names only is replaced by a name, and its source recorded in
    `hoisted` to be computed once before the time loop: the same operations in the same
    order, so the same numbers as PySD's.
    """
    def sub(child) -> str:
        return _expression(child, ident, static, hoisted)

    if isinstance(node, (int, float)) and not isinstance(node, bool):
        return repr(float(node))
    kind = type(node).__name__
    if kind == "ReferenceStructure":
        if node.subscripts:
            raise SdeconError("the batch engine does not support subscripts; use sdecon.run (PySD)")
        return ident[node.reference]
    if hoisted is not None and not _references(node) - static:
        source = _expression(node, ident)
        return hoisted.setdefault(source, f"h{len(hoisted)}")
    if kind == "CallStructure":
        function = node.function.reference
        if function not in _FUNCTIONS:
            raise SdeconError(f"the batch engine does not support the Vensim function "
                              f"{function.upper()}; allowed: {', '.join(f.upper() for f in _FUNCTIONS)}")
        return _FUNCTIONS[function].format(*(sub(a) for a in node.arguments))
    if kind in ("ArithmeticStructure", "LogicStructure"):
        arguments = [f"({sub(a)})" for a in node.arguments]
        if len(arguments) == 1:  # unary operators
            operator = node.operators[0]
            if operator == "negative":
                return f"-{arguments[0]}"
            if operator == ":NOT:":
                return f"np.logical_not{arguments[0]}"
        parts = [arguments[0]]
        for operator, argument in zip(node.operators, arguments[1:]):
            parts += [_OPERATORS.get(operator, operator), argument]
        return " ".join(parts)
    if kind == "InitialStructure":
        return sub(node.initial)
    raise SdeconError(f"the batch engine does not support {kind} in the model; use sdecon.run (PySD)")


def _if_then_else(condition, if_true, if_false):
    """IF THEN ELSE: only the chosen branch when the whole batch agrees, as PySD does."""
    if np.ndim(condition) == 0:
        return if_true() if condition else if_false()
    return np.where(condition, if_true(), if_false())


def _topological(deps: dict[str, set[str]], what: str) -> list[str]:
    order, done, active = [], set(), []

    def visit(key):
        if key in done or key == "time":
            return
        if key in active:
            cycle = active[active.index(key):] + [key]
            raise SdeconError(f"the model's {what}s form a loop without a stock: {' -> '.join(cycle)}")
        active.append(key)
        for dep in sorted(deps[key]):
            visit(dep)
        active.pop()
        done.add(key)
        order.append(key)

    for key in deps:
        visit(key)
    return order


def _closure(start: set[str], deps: dict[str, set[str]]) -> set[str]:
    seen, todo = set(), list(start)
    while todo:
        key = todo.pop()
        if key not in seen and key != "time":
            seen.add(key)
            todo.extend(deps[key])
    return seen


@functools.cache
def program() -> _Program:
    """The engine for the shipped `.mdl`, parsed and compiled once per process."""
    with model._quiet():
        from pysd.translators.vensim.vensim_file import VensimFile
        parsed = VensimFile(str(model.model_path()))
        parsed.parse()
        abstract = parsed.get_abstract_model()
    elements = {}
    for section in abstract.sections:
        for element in section.elements:
            if len(element.components) != 1:
                raise SdeconError(f"{element.name}: the batch engine does not support subscripts")
            ast = element.components[0].ast
            key = element.name.lower().replace(" ", "_")
            kind = type(ast).__name__
            if isinstance(ast, (int, float)):
                elements[key] = _Element(element.name, "constant", ast)
            elif kind == "IntegStructure":
                if ast.non_negative:
                    raise SdeconError(f"{element.name}: non-negative stocks are not supported")
                elements[key] = _Element(element.name, "stock", ast.flow, ast.initial)
            elif kind == "InitialStructure":
                elements[key] = _Element(element.name, "initial", ast)
            else:
                elements[key] = _Element(element.name, "aux", ast)
    return _Program(elements)


def run(values: Mapping[str, float | np.ndarray] | None = None, runs: int | None = None, *,
        time_step: float | None = None, final_time: float | None = None,
        variables: Collection[str] | None = None) -> Batch:
    """Simulate a batch: each value a number (shared) or an array with one element per run.

    Values not given are the `.mdl`'s defaults. `variables` limits what is kept (all
    time-varying variables by default), which bounds the memory of large batches;
    `final_time` ends the runs early (a calibration to 2024 needs no 2050). Values are not checked against the
    parameters' bounds here: callers that take user input (`sdecon.sweep`, `calibrate`) do.
    """
    prog = program()
    defaults = prog.defaults
    params = {name: float(value) for name, value in defaults.items()}
    arrays = {}
    for name, value in (values or {}).items():
        if name not in defaults or name in model.CONTROL_VARIABLES:
            raise SdeconError(f"unknown model constant {name!r}; see 'sdecon params'")
        array = np.asarray(value, dtype=float)
        if array.ndim == 0:
            params[name] = float(array)
        elif array.ndim == 1:
            arrays[name] = array
        else:
            raise SdeconError(f"{name}: expected a number or a 1-D array, got shape {array.shape}")
    sizes = {a.shape[0] for a in arrays.values()} | ({runs} if runs is not None else set())
    if len(sizes) > 1:
        raise SdeconError(f"the arrays of values have different lengths {sorted(sizes)}; "
                          "expected one length, the number of runs")
    n = sizes.pop() if sizes else 1
    params.update(arrays)
    dt = params["TIME STEP"] = params["TIME STEP"] if time_step is None else float(time_step)
    if final_time is not None:
        params["FINAL TIME"] = float(final_time)
    t0, final, saveper = params["INITIAL TIME"], params["FINAL TIME"], params["SAVEPER"]
    if not (dt > 0 and math.isfinite(dt)):
        raise SdeconError(f"time step {dt!r} must be a positive number")
    save_times = list(np.arange(t0, final + saveper / 2, saveper))
    names = [prog.elements[k].name for k in prog._saved]
    keep = set(names) if variables is None else set(variables)
    if keep - set(names):
        unknown = sorted(keep - set(names))[0]
        raise SdeconError(f"unknown model variable {unknown!r}{closest(unknown, names)}")
    scratch = np.empty((len(save_times), n))  # one buffer for every variable not kept
    out = [np.empty((len(save_times), n)) if name in keep else scratch for name in names]
    with np.errstate(all="ignore"):  # a batch that disagrees computes both branches
        saved = prog.function(params, n, t0, final, dt, save_times, out)
    if saved != len(save_times):
        raise SdeconError(f"time step {dt:g} does not reach the saving times every {saveper:g} "
                          "years; choose a step that divides SAVEPER")
    return Batch(np.asarray(save_times),
                 {name: array for name, array in zip(names, out) if name in keep})
