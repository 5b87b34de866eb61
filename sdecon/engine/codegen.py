"""Python source for one model: a kernel that simulates each run of a batch, step by step.

The kernel is plain Python over floats, one run at a time, so that numba can compile it
into a loop in machine code (the default) and the same text can also run uncompiled (the
"python" backend, for small models and for reading). It reproduces PySD's semantics:

- expressions are written with PySD's own operator precedence (its builder's `lower_order`
  rule), so `-2^2` is `-2.0**2.0` = -4 as in PySD and Vensim;
- initial values are computed first, in dependency order, with ACTIVE INITIAL's initial
  branch; INITIAL is computed once then;
- each step computes the auxiliaries, saves a row at the saving times (before the step),
  computes every stateful's derivative, then updates them all: Euler, as `Model._euler_step`;
- delays, smooths, trends, forecasts and samples follow `pysd.py_backend.statefuls`
  operation for operation, including the delay order's reduction when order x TIME STEP
  exceeds the delay time and DELAY FIXED's pipeline of round(delay / TIME STEP) steps;
- functions follow `pysd.py_backend.functions` (STEP switches half a step early; ZIDZ and
  XIDZ treat |x| < 1e-6 as zero; lookups hold their end values).
"""
from __future__ import annotations

import math

from .parse import CONTROLS, FUNCTIONS, VENSIM_NAMES, Model, references, refuse

SMALL_VENSIM = 1e-6

# PySD's OperationBuilder: operator -> (template, order); order 0 binds like an atom.
_OPERATORS = {
    "^": ("{left}**{right}", 1),
    "*": ("{left}*{right}", 2),
    "/": ("{left}/{right}", 2),
    "+": ("{left} + {right}", 3),
    "-": ("{left} - {right}", 3),
    "=": ("{left} == {right}", 4),
    "<>": ("{left} != {right}", 4),
    ">=": ("{left} >= {right}", 4),
    ">": ("{left} > {right}", 4),
    "<=": ("{left} <= {right}", 4),
    "<": ("{left} < {right}", 4),
    ":AND:": ("np.logical_and({left}, {right})", 0),
    ":OR:": ("np.logical_or({left}, {right})", 0),
}

_BOOLEAN = {"=", "<>", ">=", ">", "<=", "<", ":AND:", ":OR:", ":NOT:"}

_CALLS = {  # Vensim function -> template over the arguments
    "abs": "np.abs({0})", "min": "np.minimum({0}, {1})", "max": "np.maximum({0}, {1})",
    "exp": "np.exp({0})", "ln": "np.log({0})", "log": "(np.log({0})/np.log({1}))",
    "sqrt": "np.sqrt({0})", "sin": "np.sin({0})", "cos": "np.cos({0})", "tan": "np.tan({0})",
    "arcsin": "np.arcsin({0})", "arccos": "np.arccos({0})", "arctan": "np.arctan({0})",
    "sinh": "np.sinh({0})", "cosh": "np.cosh({0})", "tanh": "np.tanh({0})",
    "power": "np.power({0}, {1})", "pi": "np.pi",
    "integer": "_integer({0})", "quantum": "_quantum({0}, {1})", "modulo": "_modulo({0}, {1})",
    "if_then_else": "({1} if {0} else {2})",  # only the branch taken, as PySD
    "zidz": "_zidz({0}, {1})", "xidz": "_xidz({0}, {1}, {2})",
    "step": "_step(t, dt, {0}, {1})", "pulse": "_pulse(t, {0}, {1})",
    "pulse_train": "_pulse_train(t, {0}, {1}, {2}, {3})",
    "ramp": "_ramp(t, {0}, {1}, {2})",
}

# parse.FUNCTIONS says what the parser accepts; every one of them is generated here.
assert FUNCTIONS == {*_CALLS, "active_initial"}, "parse.FUNCTIONS and codegen._CALLS disagree"

HELPERS = '''
@_jit
def _zidz(n, d):
    if abs(d) < SMALL_VENSIM:
        return 0.0
    return n / d


@_jit
def _xidz(n, d, x):
    if abs(d) < SMALL_VENSIM:
        return x
    return n / d


@_jit
def _integer(x):
    return np.trunc(x)


@_jit
def _quantum(a, b):
    if b < SMALL_VENSIM:
        return a
    return b * np.trunc(a / b)


@_jit
def _modulo(x, m):
    return x - _quantum(x, m)


@_jit
def _step(t, dt, value, tstep):
    return value * (1.0 if t + dt / 2 > tstep else 0.0)


@_jit
def _pulse(t, start, width):
    return 1.0 if start - SMALL_VENSIM <= t and t < start + width else 0.0


@_jit
def _pulse_train(t, start, repeat, width, end):
    if repeat == 0:
        return 1.0 if start - SMALL_VENSIM <= t and t < start + width else 0.0
    if start <= t and t < end:
        return 1.0 if (t - start + SMALL_VENSIM) % repeat < width else 0.0
    return 0.0


@_jit
def _ramp(t, slope, start, finish):
    final = np.minimum(finish, t)
    return (1.0 if t + SMALL_VENSIM > start else 0.0) * slope * (final - start)


@_jit
def _lookup(x, xs, ys):
    # PySD's lookups: held at their ends, linear in between.
    n = len(xs)
    if x != x:
        return np.nan
    if x >= xs[n - 1]:
        return ys[n - 1]
    if x <= xs[0]:
        return ys[0]
    i = np.searchsorted(xs, x)
    if xs[i] == x:
        return ys[i]
    return (ys[i] - ys[i - 1]) / (xs[i] - xs[i - 1]) * (x - xs[i - 1]) + ys[i - 1]
'''


class _Src:
    """A piece of generated source and its PySD precedence order (0: an atom)."""
    __slots__ = ("text", "order")

    def __init__(self, text: str, order: int = 0):
        self.text, self.order = text, order

    def lower(self, order: int) -> "_Src":
        if self.order >= order and self.order != 0 and order != 0:
            return _Src(f"({self.text})", 0)
        return self


class Kernel:
    """The generated source of one model and what the caller needs to drive it.

    The language's spelling of literals, operators and calls is in the class attributes
    and the small methods after `expr`, so that `javascript.JavaScript` writes the same
    kernel, in the same order, in JavaScript."""

    OPERATORS = _OPERATORS
    CALLS = _CALLS
    INFINITY = "np.inf"

    def __init__(self, model: Model):
        self.model = model
        els = model.elements
        self.elements = els
        self.ident = {"time": "t", "initial_time": "t0", "final_time": "final",
                      "time_step": "dt", "saveper": "saveper"}
        for i, key in enumerate(els):
            if key not in CONTROLS:
                self.ident[key] = f"v{i}"
        self.constants = [k for k, el in els.items() if el.kind == "constant" and k not in CONTROLS]
        self.statefuls = [k for k, el in els.items() if el.kind not in ("constant", "aux", "lookup")]
        self.saved = [k for k, el in els.items()
                      if el.kind not in ("constant", "lookup") and not el.hidden and k not in CONTROLS]
        self._dependencies()
        self.source = self._generate()

    # -- dependencies -------------------------------------------------------------------------
    def _refs(self, *exprs) -> set[str]:
        return set().union(*(references(e) for e in exprs))

    def _dependencies(self) -> None:
        els = self.elements
        value, init, update = {}, {}, {}
        for key, el in els.items():
            a = el.args
            if el.kind == "aux":
                value[key] = self._refs(a["expr"])
                init[key] = references(a["expr"], initial=True)
                update[key] = set()
            elif el.kind in ("constant", "lookup"):
                value[key] = init[key] = update[key] = set()
            else:
                value[key] = self._refs(*(a[f] for f in _VALUE_ARGS[el.kind]))
                init[key] = self._refs(*(a[f] for f in _INIT_ARGS[el.kind]))
                update[key] = self._refs(*(a[f] for f in _UPDATE_ARGS[el.kind]))
        for key in CONTROLS:  # set by the caller before the run
            value[key] = init[key] = update[key] = set()
        self.value_deps, self.update_deps = value, update
        self.init_order = _topological(init, "initial value")
        run_order = _topological(value, "equation")
        varying = {"time"}
        for key in run_order:
            el = els[key]
            if key in CONTROLS:
                continue
            if el.kind in _DYNAMIC_STATE or (value[key] & varying):
                varying.add(key)
        self.static = [k for k in run_order if k not in varying and k not in CONTROLS
                       and els[k].kind not in ("constant", "lookup")]
        dynamic = [k for k in run_order if k in varying and k != "time"]
        needed = set()
        for key in self.statefuls:
            needed |= _closure(update[key], value)
        self.per_step = [k for k in dynamic if k in needed]
        self.per_save = [k for k in dynamic if k not in needed]
        self.varying = varying
        # The initial phase needs only what the statefuls' initial values need.
        need_init = set()
        for key in self.statefuls:
            need_init |= _closure({key}, init)
        self.init_order = [k for k in self.init_order if k in need_init and k not in CONTROLS
                           and els[k].kind not in ("constant", "lookup")]
        self.saveper_sensitive = self._order_sensitive()

    def _order_sensitive(self) -> list[str]:
        """Statefuls whose PySD result depends on its evaluation order, refused here or
        (the returned names) whenever SAVEPER differs from TIME STEP.

        PySD reads the input and condition of SAMPLE IF TRUE and DELAY FIXED while it
        updates its statefuls one by one, and DELAY N rolls its delay times while it computes
        derivatives. A named variable computed earlier in the step is cached, so it keeps the
        step's value: every variable at a saved step, and those the other statefuls'
        derivatives need. Anything else, including a stateful nested directly in another,
        is read after some statefuls have moved. The engine computes a whole step from one
        state, which agrees with PySD exactly when nothing is read that way.
        """
        els, value = self.elements, self.value_deps
        moving = {k for k in self.statefuls if els[k].kind != "initial"}
        in_ddt = set()
        for key in self.statefuls:
            args = _DDT_ARGS.get(els[key].kind, ())
            in_ddt |= _closure(self._refs(*(els[key].args[a] for a in args)), value)
        sensitive = []
        for key in self.statefuls:
            el = els[key]
            construct = VENSIM_NAMES[el.kind]
            if el.kind in ("sample_if_true", "delay_fixed"):
                names = ("input", "condition") if el.kind == "sample_if_true" else ("input",)
                for ref in sorted(self._refs(*(el.args[n] for n in names)) - {"time"}):
                    if ref in moving and els[ref].hidden:
                        raise refuse(el.name, f"{construct} reading a stateful nested in it "
                                              f"({VENSIM_NAMES[els[ref].kind]}): PySD reads it after "
                                              "updating it")
                    if ref not in in_ddt and _closure({ref}, value) & moving:
                        sensitive.append(el.name)
            elif el.kind == "delay_n" and self._refs(el.args["delay_time"]) & self.varying:
                parent = els.get(el.name.lower().replace(" ", "_"))
                if el.hidden and parent is not None and parent.kind in _DYNAMIC_STATE:
                    raise refuse(el.name, "DELAY N with a delay time that changes, nested in "
                                          f"{VENSIM_NAMES[parent.kind]}: PySD reads it after "
                                          "rolling its delay times")
                sensitive.append(el.name)
        return sorted(set(sensitive))

    # -- expressions ---------------------------------------------------------------------------
    def expr(self, node, phase: str = "run", hoist: dict | None = None) -> str:
        return self._emit(node, phase, hoist).text


    def _emit(self, node, phase: str, hoist: dict | None) -> _Src:
        if node is None:
            raise ValueError("missing expression")
        if isinstance(node, (int, float)) and not isinstance(node, bool):
            return _Src(self.literal(float(node)))
        kind = type(node).__name__
        if kind == "ReferenceStructure":
            return _Src(self.ident[node.reference])
        if hoist is not None and not (references(node) & self.varying) and "time" not in references(node):
            text = self._emit(node, phase, None).text
            if text not in hoist:
                hoist[text] = f"h{len(hoist)}"
            return _Src(hoist[text])
        if kind == "CallStructure":
            function = node.function.reference
            args = [self._emit(a, phase, hoist).text for a in node.arguments]
            if function == "active_initial":
                return _Src(f"({args[1] if phase == 'init' else args[0]})")
            if function in self.elements:  # a lookup table
                return _Src(f"_lookup({args[0]}, X_{self.ident[function]}, Y_{self.ident[function]})")
            if function == "ramp" and len(args) == 2:
                args.append(self.INFINITY)
            if function in ("if_then_else",):
                args = [a if _atomic(a) else f"({a})" for a in args]
            return _Src(self.CALLS[function].format(*args))
        if kind in ("ArithmeticStructure", "LogicStructure"):
            return self._operation(node, phase, hoist)
        raise refuse(str(node)[:40], kind)

    def _operation(self, node, phase, hoist) -> _Src:
        operators = list(node.operators)
        arguments = [self._emit(a, phase, hoist) for a in node.arguments]
        if operators[0] == ":NOT:":
            return _Src(self.negation(arguments[0].text))
        if operators[0] == "negative":
            return self.minus(arguments[0])
        order = self.OPERATORS[operators[-1]][1]
        arguments[-1] = arguments[-1].lower(2 if operators[-1] == "^" else order)
        right = arguments.pop().text
        while arguments or operators:
            operator = operators.pop()
            left = arguments.pop().lower(order).text
            right = self.binary(operator, left, right)
        if set(node.operators) & _BOOLEAN:
            # A comparison or logical is 1.0 or 0.0, as in Vensim: numba needs one type a
            # variable, and numpy's booleans would add as a logical OR.
            return _Src(self.truth(right))
        return _Src(right, order)

    # -- the language's spelling (Python here; javascript.JavaScript overrides) --------------
    @staticmethod
    def literal(value: float) -> str:
        return _number(value)

    def binary(self, operator: str, left: str, right: str) -> str:
        return self.OPERATORS[operator][0].format(left=left, right=right)

    @staticmethod
    def minus(argument: _Src) -> _Src:
        return _Src(f"-{argument.lower(3).text}", 1)

    @staticmethod
    def negation(text: str) -> str:
        return f"(0.0 if ({text}) else 1.0)"

    @staticmethod
    def truth(text: str) -> str:
        return f"(1.0 if ({text}) else 0.0)"

    # -- the kernel ----------------------------------------------------------------------------
    def _generate(self) -> str:
        els, ident = self.elements, self.ident
        lines = ["import numpy as np", "", f"SMALL_VENSIM = {SMALL_VENSIM!r}", ""]
        for key, el in els.items():
            if el.kind == "lookup":
                xs, ys = el.args["table"]
                lines.append(f"X_{ident[key]} = np.array({list(xs)!r})")
                lines.append(f"Y_{ident[key]} = np.array({list(ys)!r})")
        lines.append(HELPERS)
        body = ["    n = P.shape[0]", "    nsave = len(save_steps)", "    for r in range(n):"]
        b = []  # the per-run body, indented by 8
        b += [f"{ident[k]} = P[r, {i}]" for i, k in enumerate(self.constants)]
        b += ["t = t0", "# initial values, in dependency order"]
        for key in self.init_order:
            b += self._initialise(key)
        b += ["# values that do not change in a run (ACTIVE INITIAL takes its running value)"]
        b += [f"{ident[k]} = {self._value(k, 'run', None)}" for k in self.static]
        hoist: dict[str, str] = {}
        loop = ["saved = 0", "for step in range(n_steps + 1):"]
        loop += [f"    {ident[k]} = {self._value(k, 'run', hoist)}" for k in self.per_step]
        loop += ["    if saved < nsave and step == save_steps[saved]:"]
        loop += [f"        {ident[k]} = {self._value(k, 'run', hoist)}" for k in self.per_save]
        loop += [f"        if keep[{i}] >= 0:\n                out[r, keep[{i}], saved] = {ident[k]}"
                 for i, k in enumerate(self.saved)]
        loop += ["        saved += 1", "    if step == n_steps:", "        break"]
        derivatives, updates = [], []
        for key in self.statefuls:
            d, u = self._step(key, hoist)
            derivatives += d
            updates += u
        loop += ["    " + line for line in derivatives + updates]
        loop += ["    t = t + dt"]
        b += ["# subexpressions of constants inside time-varying equations, computed once"]
        b += [f"{name} = {text}" for text, name in hoist.items()]
        b += loop
        body += ["        " + line.replace("\n", "\n        ") for line in b]
        signature = "(P, t0, dt, final, saveper, n_steps, save_steps, keep, out):"
        lines += ["", "@_jit", "def kernel" + signature, "\n".join(body), ""]
        return "\n".join(lines)

    def _value(self, key: str, phase: str, hoist) -> str:
        """A variable's value during the run, from its expression or its state."""
        el, v = self.elements[key], self.ident[key]
        a = el.args
        e = lambda name: self.expr(a[name], phase, hoist)  # noqa: E731
        kind = el.kind
        if kind == "aux":
            return self.expr(a["expr"], phase, hoist)
        if kind in ("integ", "delay_fixed", "initial"):
            return f"s{v}" if kind != "initial" else v
        if kind == "delay":
            return f"s{v}[o{v} - 1] / ({e('delay_time')})"
        if kind == "delay_n":
            return f"s{v}[o{v} - 1] / T{v}[0]"
        if kind == "smooth":
            return f"s{v}[o{v} - 1]"
        if kind == "trend":
            return f"_zidz({_paren(e('input'))} - s{v}, {_paren(e('average_time'))} * np.abs(s{v}))"
        if kind == "forecast":
            return (f"{_paren(e('input'))} * (1 + _zidz({_paren(e('input'))} - s{v}, "
                    f"{_paren(e('average_time'))} * s{v})*{_paren(e('horizon'))})")
        if kind == "sample_if_true":
            return f"(({self.expr(a['input'], phase, hoist)}) if ({e('condition')}) else s{v})"
        raise AssertionError(kind)

    def _initialise(self, key: str) -> list[str]:
        el, v = self.elements[key], self.ident[key]
        a = el.args
        e = lambda name: _paren(self.expr(a[name], "init"))  # noqa: E731
        kind = el.kind
        if kind == "aux":
            return [f"{v} = {self.expr(a['expr'], 'init')}"]
        if kind == "initial":
            return [f"{v} = {self.expr(a['initial'], 'init')}"]
        if kind == "integ":
            return [f"s{v} = {self.expr(a['initial'], 'init')}", f"{v} = s{v}"]
        if kind in ("delay", "delay_n"):
            order = _number(a["order"]) if kind == "delay" else e("order")
            lines = [f"D{v} = float({e('delay_time')})", f"o{v} = int({order})",
                     f"if o{v} < 1:",
                     f"    raise ValueError({el.name + ': the order of DELAY N must be at least 1'!r})",
                     f"while o{v} > 1 and o{v} * dt > D{v}:", f"    o{v} -= 1",
                     f"s{v} = np.full(o{v}, {e('initial')} * D{v})", f"d{v} = np.empty(o{v})"]
            if kind == "delay_n":
                lines += [f"T{v} = np.full(o{v}, D{v})", f"{v} = s{v}[o{v} - 1] / T{v}[0]"]
            else:
                lines += [f"{v} = s{v}[o{v} - 1] / D{v}"]
            return lines
        if kind == "delay_fixed":
            return [f"o{v} = round(max({e('delay_time')} / dt, 1) + SMALL_VENSIM)",
                    f"s{v} = {self.expr(a['initial'], 'init')}",
                    f"pipe{v} = np.full(o{v}, s{v})", f"p{v} = 0", f"{v} = s{v}"]
        if kind == "smooth":
            order = _number(a["order"]) if isinstance(a["order"], float) else e("order")
            return [f"of{v} = float({order})", f"o{v} = int(of{v})",
                    f"if o{v} < 1 or of{v} != o{v}:",
                    f"    raise ValueError({el.name + ': the order of SMOOTH N must be a whole number of at least 1'!r})",
                    f"s{v} = np.full(o{v}, {self.expr(a['initial'], 'init')})",
                    f"d{v} = np.empty(o{v})", f"{v} = s{v}[o{v} - 1]"]
        if kind == "trend":
            return [f"s{v} = {e('input')} / (1 + {e('initial_trend')}*{e('average_time')})",
                    f"{v} = {self._value(key, 'init', None)}"]
        if kind == "forecast":
            return [f"s{v} = {e('input')} / (1 + {e('initial_trend')})",
                    f"{v} = {self._value(key, 'init', None)}"]
        if kind == "sample_if_true":
            return [f"s{v} = {self.expr(a['initial'], 'init')}",
                    f"{v} = {self._value(key, 'init', None)}"]
        raise AssertionError(kind)

    def _step(self, key: str, hoist) -> tuple[list[str], list[str]]:
        """Lines that compute a stateful's derivative, and lines that update its state."""
        el, v = self.elements[key], self.ident[key]
        a = el.args
        e = lambda name: _paren(self.expr(a[name], "run", hoist))  # noqa: E731
        kind = el.kind
        if kind == "integ":
            return [f"d{v} = {self.expr(a['flow'], 'run', hoist)}"], [f"s{v} = s{v} + d{v} * dt"]
        if kind == "delay":
            return ([f"D{v} = {e('delay_time')}",
                     f"d{v}[0] = ({e('input')} - s{v}[0] / D{v}) * o{v}",
                     f"for i in range(1, o{v}):",
                     f"    d{v}[i] = (s{v}[i - 1] / D{v} - s{v}[i] / D{v}) * o{v}"],
                    [f"for i in range(o{v}):", f"    s{v}[i] = s{v}[i] + d{v}[i] * dt"])
        if kind == "delay_n":
            return ([f"for i in range(o{v} - 1, 0, -1):", f"    T{v}[i] = T{v}[i - 1]",
                     f"T{v}[0] = {e('delay_time')}",
                     f"d{v}[0] = ({e('input')} - s{v}[0] / T{v}[0]) * o{v}",
                     f"for i in range(1, o{v}):",
                     f"    d{v}[i] = (s{v}[i - 1] / T{v}[i - 1] - s{v}[i] / T{v}[i]) * o{v}"],
                    [f"for i in range(o{v}):", f"    s{v}[i] = s{v}[i] + d{v}[i] * dt"])
        if kind == "smooth":
            return ([f"T{v} = {e('smooth_time')}",
                     f"d{v}[0] = ({e('input')} - s{v}[0]) * of{v} / T{v}",
                     f"for i in range(1, o{v}):",
                     f"    d{v}[i] = (s{v}[i - 1] - s{v}[i]) * of{v} / T{v}"],
                    [f"for i in range(o{v}):", f"    s{v}[i] = s{v}[i] + d{v}[i] * dt"])
        if kind in ("trend", "forecast"):
            return ([f"d{v} = ({e('input')} - s{v}) / {e('average_time')}"],
                    [f"s{v} = s{v} + d{v} * dt"])
        if kind == "delay_fixed":
            return ([f"i{v} = {self.expr(a['input'], 'run', hoist)}"],
                    [f"pipe{v}[p{v}] = i{v}", f"p{v} = (p{v} + 1) % o{v}", f"s{v} = pipe{v}[p{v}]"])
        if kind == "sample_if_true":
            return ([f"n{v} = ({self.expr(a['input'], 'run', hoist)}) if ({e('condition')}) else s{v}"],
                    [f"s{v} = s{v} * 0 + n{v}"])
        if kind == "initial":
            return [], []
        raise AssertionError(kind)


# Which arguments each stateful's value, initial value and update read.
_VALUE_ARGS = {"integ": (), "delay": ("delay_time",), "delay_n": (), "delay_fixed": (),
               "smooth": (), "trend": ("input", "average_time"),
               "forecast": ("input", "average_time", "horizon"),
               "sample_if_true": ("input", "condition"), "initial": ()}
_INIT_ARGS = {"integ": ("initial",), "delay": ("initial", "delay_time"),
              "delay_n": ("initial", "delay_time", "order"),
              "delay_fixed": ("initial", "delay_time"), "smooth": ("initial", "order"),
              "trend": ("input", "average_time", "initial_trend"),
              "forecast": ("input", "average_time", "horizon", "initial_trend"),
              "sample_if_true": ("initial", "input", "condition"), "initial": ("initial",)}
_UPDATE_ARGS = {"integ": ("flow",), "delay": ("input", "delay_time"),
                "delay_n": ("input", "delay_time"), "delay_fixed": ("input",),
                "smooth": ("input", "smooth_time"), "trend": ("input", "average_time"),
                "forecast": ("input", "average_time"),
                "sample_if_true": ("input", "condition"), "initial": ()}
# What PySD reads when it computes each stateful's derivative (`ddt`).
_DDT_ARGS = {"integ": ("flow",), "delay": ("input", "delay_time"),
             "delay_n": ("input", "delay_time"), "smooth": ("input", "smooth_time"),
             "trend": ("input", "average_time"), "forecast": ("input", "average_time")}
# Statefuls whose value changes during a run (INITIAL's does not).
_DYNAMIC_STATE = {"integ", "delay", "delay_n", "delay_fixed", "smooth", "trend", "forecast",
                  "sample_if_true"}


def _number(value: float) -> str:
    if math.isnan(value):
        return "np.nan"
    if math.isinf(value):
        return "np.inf" if value > 0 else "-np.inf"
    return repr(float(value))


def _atomic(text: str) -> bool:
    return text.replace("_", "").replace(".", "").isalnum()


def _paren(text: str) -> str:
    return text if _atomic(text) else f"({text})"


def _topological(deps: dict[str, set[str]], what: str) -> list[str]:
    from ..errors import SdeconError
    order, done, active = [], set(), []

    def visit(key):
        if key in done or key == "time":
            return
        if key in active:
            cycle = active[active.index(key):] + [key]
            raise SdeconError(f"the model's {what}s form a loop without a stock: {' -> '.join(cycle)}")
        active.append(key)
        for dep in sorted(deps.get(key, ())):
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
            todo.extend(deps.get(key, ()))
    return seen
