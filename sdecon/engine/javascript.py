"""The batch engine's kernel written in JavaScript, for the explorer (`sdecon.explore`).

`JavaScript` is `codegen.Kernel` spelt in another language: the same PySD syntax tree
(`parse`), the same dependency orders, the same initial phase, step and saving rule, so the
page's runs equal the engine's (the tests hold them to 1e-9 relative on every saved value).
Only the spelling differs, and where the two languages differ in meaning the generated code
follows Python's: `%` is floored, `round` rounds half to even, a condition is true when it is
not zero (NaN included), `-2^2` is -4, as PySD writes it, and a power is C's `pow`, as numpy's
(1^NaN is 1).

    source = engine.javascript()            # a script defining SDECON_MODEL
    // in the page: SDECON_MODEL.run({"Elasticity of Substitution": 1.4})
    //   -> {years: Float64Array, values: {variable: Float64Array}}
"""
from __future__ import annotations

import json
import math
import re

from .codegen import SMALL_VENSIM, Kernel, _paren, _Src
from .parse import CONTROLS, Model, parse, references

# Python's operators and precedence, but for the logicals (numpy's logical_and there).
_OPERATORS = {
    **Kernel.OPERATORS,
    ":AND:": ("(({left}) != 0 && ({right}) != 0)", 0),  # != 0: true for NaN, as numpy's
    ":OR:": ("(({left}) != 0 || ({right}) != 0)", 0),
}

_CALLS = {
    "abs": "Math.abs({0})", "min": "Math.min({0}, {1})", "max": "Math.max({0}, {1})",
    "exp": "Math.exp({0})", "ln": "Math.log({0})", "log": "(Math.log({0})/Math.log({1}))",
    "sqrt": "Math.sqrt({0})", "sin": "Math.sin({0})", "cos": "Math.cos({0})", "tan": "Math.tan({0})",
    "arcsin": "Math.asin({0})", "arccos": "Math.acos({0})", "arctan": "Math.atan({0})",
    "sinh": "Math.sinh({0})", "cosh": "Math.cosh({0})", "tanh": "Math.tanh({0})",
    "power": "_pow({0}, {1})", "pi": "Math.PI",
    "integer": "Math.trunc({0})", "quantum": "_quantum({0}, {1})", "modulo": "_modulo({0}, {1})",
    "if_then_else": "({0} != 0 ? {1} : {2})",
    "zidz": "_zidz({0}, {1})", "xidz": "_xidz({0}, {1}, {2})",
    "step": "_step(t, dt, {0}, {1})", "pulse": "_pulse(t, {0}, {1})",
    "pulse_train": "_pulse_train(t, {0}, {1}, {2}, {3})",
    "ramp": "_ramp(t, {0}, {1}, {2})",
}
assert set(_CALLS) == set(Kernel.CALLS), "javascript._CALLS and codegen._CALLS disagree"

HELPERS = """
const SMALL_VENSIM = %r;
function _zidz(n, d) { return Math.abs(d) < SMALL_VENSIM ? 0.0 : n / d; }
function _xidz(n, d, x) { return Math.abs(d) < SMALL_VENSIM ? x : n / d; }
function _quantum(a, b) { return b < SMALL_VENSIM ? a : b * Math.trunc(a / b); }
function _modulo(x, m) { return x - _quantum(x, m); }
function _pow(a, b) {  // C's pow, as numpy and Python: 1^NaN and (-1)^Infinity are 1, not NaN
  return (a === 1 || (a === -1 && (b === Infinity || b === -Infinity))) ? 1 : a ** b;
}
function _pymod(a, b) {  // Python's float %%: the sign of the divisor
  let m = a %% b;
  if (m !== 0 && (b < 0) !== (m < 0)) m += b;
  return m;
}
function _pyround(x) {  // Python's round(): half to even
  const r = Math.round(x);
  return (Math.abs(x %% 1) === 0.5 && r %% 2 !== 0) ? r - 1 : r;
}
function _step(t, dt, value, tstep) { return value * (t + dt / 2 > tstep ? 1.0 : 0.0); }
function _pulse(t, start, width) {
  return (start - SMALL_VENSIM <= t && t < start + width) ? 1.0 : 0.0;
}
function _pulse_train(t, start, repeat, width, end) {
  if (repeat === 0) return (start - SMALL_VENSIM <= t && t < start + width) ? 1.0 : 0.0;
  if (start <= t && t < end) return _pymod(t - start + SMALL_VENSIM, repeat) < width ? 1.0 : 0.0;
  return 0.0;
}
function _ramp(t, slope, start, finish) {
  const last = Math.min(finish, t);
  return (t + SMALL_VENSIM > start ? 1.0 : 0.0) * slope * (last - start);
}
function _lookup(x, xs, ys) {  // PySD's lookups: held at their ends, linear in between
  const n = xs.length;
  if (x !== x) return NaN;
  if (x >= xs[n - 1]) return ys[n - 1];
  if (x <= xs[0]) return ys[0];
  let lo = 0, hi = n;  // numpy's searchsorted (left): the first i with xs[i] >= x
  while (lo < hi) { const mid = (lo + hi) >> 1; if (xs[mid] < x) lo = mid + 1; else hi = mid; }
  const i = lo;
  if (xs[i] === x) return ys[i];
  return (ys[i] - ys[i - 1]) / (xs[i] - xs[i - 1]) * (x - xs[i - 1]) + ys[i - 1];
}
""" % SMALL_VENSIM

# The clock, as sdecon.engine._schedule and PySD's Time: the steps and the saved times.
SCHEDULE = """
const RPREC = 1e-5;
function schedule(t0, final, dt, saveper) {
  const prec = dt * RPREC, steps = [], times = [];
  let t = t0, step = 0;
  for (;;) {
    const delay = t - t0;
    if (_pymod(delay, saveper) < prec || _pymod(-delay, saveper) < prec) { steps.push(step); times.push(t); }
    if (!(t + dt * RPREC < final)) break;
    t = t + dt; step = step + 1;
  }
  const scale = Math.pow(10, -Math.trunc(Math.log10(dt * RPREC)));
  return {nSteps: step, steps, times: times.map(x => Math.round(x * scale) / scale)};
}
"""


# Statefuls whose initial lines, or whose step's lines, are plain assignments of expressions:
# the Python kernel's own lines, in this dialect's expressions, with a semicolon.
_SAME_INITIAL = {"aux", "initial", "integ", "trend", "forecast", "sample_if_true"}
_SAME_STEP = {"integ", "trend", "forecast", "delay_fixed", "initial"}


class JavaScript(Kernel):
    """The kernel of one model as a JavaScript function of one run."""

    OPERATORS = _OPERATORS
    CALLS = _CALLS
    INFINITY = "Infinity"

    # -- spelling ----------------------------------------------------------------------------
    @staticmethod
    def literal(value: float) -> str:
        if math.isnan(value):
            return "NaN"
        if math.isinf(value):
            return "Infinity" if value > 0 else "(-Infinity)"
        return repr(float(value))

    def binary(self, operator: str, left: str, right: str) -> str:
        if operator == "^":
            # C's pow through _pow; Python reads -2.0**x as -(2.0**x), and PySD writes it so.
            if left.startswith("-"):
                return f"(-_pow({left[1:]}, {right}))"
            return f"_pow({left}, {right})"
        return super().binary(operator, left, right)

    def _operation(self, node, phase, hoist) -> _Src:
        # A power is written as a call (_pow), which groups its operands itself. That is right
        # when a structure holds powers alone, as PySD's parser builds them (one structure a
        # level of precedence); a structure that mixed them would be a change of the parser.
        if "^" in node.operators and set(node.operators) != {"^"}:
            raise AssertionError(f"a power mixed with {sorted(set(node.operators) - {'^'})} in one structure")
        return super()._operation(node, phase, hoist)

    @staticmethod
    def minus(argument: _Src) -> _Src:
        return _Src(f"(-{_paren(argument.text)})")

    @staticmethod
    def negation(text: str) -> str:
        return f"(({text}) != 0 ? 0.0 : 1.0)"

    @staticmethod
    def truth(text: str) -> str:
        return f"(({text}) ? 1.0 : 0.0)"

    # -- the kernel ----------------------------------------------------------------------------
    def _generate(self) -> str:
        els, ident = self.elements, self.ident
        lines = []
        for key, el in els.items():
            if el.kind == "lookup":
                xs, ys = el.args["table"]
                lines.append(f"const X_{ident[key]} = new Float64Array({json.dumps(list(xs))});")
                lines.append(f"const Y_{ident[key]} = new Float64Array({json.dumps(list(ys))});")
        b = [f"{ident[k]} = P[{i}];" for i, k in enumerate(self.constants)]
        b += ["t = t0;", "// initial values, in dependency order"]
        for key in self.init_order:
            b += self._initialise(key)
        b += ["// values that do not change in a run (ACTIVE INITIAL takes its running value)"]
        b += [f"{ident[k]} = {self._value(k, 'run', None)};" for k in self.static]
        hoist: dict[str, str] = {}
        loop = ["for (let step = 0; step <= nSteps; step++) {"]
        loop += [f"  {ident[k]} = {self._value(k, 'run', hoist)};" for k in self.per_step]
        loop += ["  if (saved < nsave && step === saveSteps[saved]) {"]
        loop += [f"    {ident[k]} = {self._value(k, 'run', hoist)};" for k in self.per_save]
        loop += [f"    out[{i}][saved] = {ident[k]};" for i, k in enumerate(self.saved)]
        loop += ["    saved++;", "  }", "  if (step === nSteps) break;"]
        derivatives, updates = [], []
        for key in self.statefuls:
            d, u = self._step(key, hoist)
            derivatives += d
            updates += u
        loop += ["  " + line for line in derivatives + updates]
        loop += ["  t = t + dt;", "}"]
        b += ["// subexpressions of constants inside time-varying equations, computed once"]
        b += [f"{name} = {text};" for text, name in hoist.items()]
        b += loop
        declared = sorted({m.group(1) for line in b for m in [re.match(r"\s*([A-Za-z_]\w*) = ", line)] if m})
        declared = [name for name in declared if name not in ("t0", "dt", "final", "saveper")]
        body = [f"let {', '.join(declared)};" if declared else "",
                "let saved = 0;", "const nsave = saveSteps.length;",
                f"const out = []; for (let i = 0; i < {len(self.saved)}; i++) out.push(new Float64Array(nsave));",
                *b, "return out;"]
        lines += ["function kernel(P, t0, dt, final, saveper, nSteps, saveSteps) {",
                  *("  " + line for line in body), "}"]
        return "\n".join(lines)

    def _value(self, key: str, phase: str, hoist) -> str:
        el, v = self.elements[key], self.ident[key]
        a = el.args
        e = lambda name: _paren(self.expr(a[name], phase, hoist))  # noqa: E731
        if el.kind == "trend":
            return f"_zidz({e('input')} - s{v}, {e('average_time')} * Math.abs(s{v}))"
        if el.kind == "sample_if_true":
            return f"({e('condition')} != 0 ? {e('input')} : s{v})"
        return super()._value(key, phase, hoist)  # the same text in both languages

    def _initialise(self, key: str) -> list[str]:
        el, v = self.elements[key], self.ident[key]
        a = el.args
        e = lambda name: _paren(self.expr(a[name], "init"))  # noqa: E731
        kind = el.kind
        if kind in _SAME_INITIAL:
            return [line + ";" for line in super()._initialise(key)]
        if kind in ("delay", "delay_n"):
            order = self.literal(a["order"]) if kind == "delay" else e("order")
            message = json.dumps(el.name + ": the order of DELAY N must be at least 1")
            lines = [f"D{v} = Number({e('delay_time')});", f"o{v} = Math.trunc({order});",
                     f"if (!(o{v} >= 1)) throw new Error({message});",
                     f"while (o{v} > 1 && o{v} * dt > D{v}) o{v} -= 1;",
                     f"s{v} = new Float64Array(o{v}).fill({e('initial')} * D{v});",
                     f"d{v} = new Float64Array(o{v});"]
            if kind == "delay_n":
                return lines + [f"T{v} = new Float64Array(o{v}).fill(D{v});", f"{v} = s{v}[o{v} - 1] / T{v}[0];"]
            return lines + [f"{v} = s{v}[o{v} - 1] / D{v};"]
        if kind == "delay_fixed":
            return [f"o{v} = _pyround(Math.max({e('delay_time')} / dt, 1) + SMALL_VENSIM);",
                    f"s{v} = {self.expr(a['initial'], 'init')};",
                    f"pipe{v} = new Float64Array(o{v}).fill(s{v});", f"p{v} = 0;", f"{v} = s{v};"]
        if kind == "smooth":
            order = self.literal(a["order"]) if isinstance(a["order"], float) else e("order")
            message = json.dumps(el.name + ": the order of SMOOTH N must be a whole number of at least 1")
            return [f"of{v} = Number({order});", f"o{v} = Math.trunc(of{v});",
                    f"if (o{v} < 1 || of{v} !== o{v}) throw new Error({message});",
                    f"s{v} = new Float64Array(o{v}).fill({self.expr(a['initial'], 'init')});",
                    f"d{v} = new Float64Array(o{v});", f"{v} = s{v}[o{v} - 1];"]
        raise AssertionError(kind)

    def _step(self, key: str, hoist) -> tuple[list[str], list[str]]:
        el, v = self.elements[key], self.ident[key]
        a = el.args
        e = lambda name: _paren(self.expr(a[name], "run", hoist))  # noqa: E731
        kind = el.kind
        if kind in _SAME_STEP:
            derivative, update = super()._step(key, hoist)
            return [line + ";" for line in derivative], [line + ";" for line in update]
        add = [f"for (let i = 0; i < o{v}; i++) s{v}[i] = s{v}[i] + d{v}[i] * dt;"]
        if kind == "delay":
            return ([f"D{v} = {e('delay_time')};",
                     f"d{v}[0] = ({e('input')} - s{v}[0] / D{v}) * o{v};",
                     f"for (let i = 1; i < o{v}; i++) d{v}[i] = (s{v}[i - 1] / D{v} - s{v}[i] / D{v}) * o{v};"],
                    add)
        if kind == "delay_n":
            return ([f"for (let i = o{v} - 1; i > 0; i--) T{v}[i] = T{v}[i - 1];",
                     f"T{v}[0] = {e('delay_time')};",
                     f"d{v}[0] = ({e('input')} - s{v}[0] / T{v}[0]) * o{v};",
                     f"for (let i = 1; i < o{v}; i++) "
                     f"d{v}[i] = (s{v}[i - 1] / T{v}[i - 1] - s{v}[i] / T{v}[i]) * o{v};"],
                    add)
        if kind == "smooth":
            return ([f"T{v} = {e('smooth_time')};",
                     f"d{v}[0] = ({e('input')} - s{v}[0]) * of{v} / T{v};",
                     f"for (let i = 1; i < o{v}; i++) d{v}[i] = (s{v}[i - 1] - s{v}[i]) * of{v} / T{v};"],
                    add)
        if kind == "sample_if_true":
            return ([f"n{v} = {e('condition')} != 0 ? {e('input')} : s{v};"], [f"s{v} = s{v} * 0 + n{v};"])
        raise AssertionError(kind)

    # -- the controls ------------------------------------------------------------------------
    def controls(self) -> str:
        """A function of the constants' array returning the clock: each control from its
        value or expression, after the controls it uses."""
        els, order = self.elements, []

        def visit(key):
            if key not in order:
                el = els[key]
                if el.kind == "aux":
                    for ref in sorted(references(el.args["expr"]) & set(CONTROLS)):
                        visit(ref)
                order.append(key)

        for key in CONTROLS:
            visit(key)
        lines = [f"const {self.ident[k]} = P[{i}];" for i, k in enumerate(self.constants)]
        for key in order:
            el = els[key]
            value = self.literal(float(el.args["expr"])) if el.kind == "constant" else self.expr(el.args["expr"])
            lines.append(f"const {self.ident[key]} = {value};")
        lines.append("return {t0, final, dt, saveper};")
        return "function controls(P) {\n" + "\n".join("  " + line for line in lines) + "\n}"


RUNNER = """
function run(values, options) {
  values = values || {};
  options = options || {};
  const P = new Float64Array(DEFAULTS);
  for (const name in values) {
    const i = CONSTANTS.indexOf(name);
    if (i < 0) throw new Error("unknown model constant " + JSON.stringify(name));
    P[i] = Number(values[name]);
  }
  const c = controls(P);
  const final = options.finalTime === undefined ? c.final : options.finalTime;
  // the engine's checks of the clock (sdecon.engine.Program.run), in its words
  for (const [label, x] of [["time step", c.dt], ["SAVEPER", c.saveper]]) {
    if (!(x > 0 && isFinite(x))) throw new Error(label + " " + x + " must be a positive number");
  }
  if (!(isFinite(c.t0) && isFinite(final) && final >= c.t0)) {
    throw new Error("FINAL TIME " + final + " must be a number no earlier than INITIAL TIME " + c.t0);
  }
  if (SAVEPER_SENSITIVE.length && Math.abs(c.saveper - c.dt) > RPREC * c.dt) {
    throw new Error(SAVEPER_SENSITIVE[0] + ": the batch engine does not support this stateful when SAVEPER differs from TIME STEP");
  }
  const clock = schedule(c.t0, final, c.dt, c.saveper);
  if (clock.steps.length !== Math.floor((final - c.t0) / c.saveper + RPREC) + 1) {
    throw new Error("time step " + c.dt + " does not divide SAVEPER " + c.saveper + "; choose a step that divides SAVEPER");
  }
  const out = kernel(P, c.t0, c.dt, final, c.saveper, clock.nSteps, clock.steps);
  const result = {};
  VARIABLES.forEach((name, i) => { result[name] = out[i]; });
  return {years: Float64Array.from(clock.times), values: result};
}
"""


def javascript(model: Model | None = None) -> str:
    """A script that defines `SDECON_MODEL` (in a page; `module.exports` under node):
    `constants`, `defaults`, `variables` and `run(values)` for the `.mdl` (the shipped one
    by default). Raises `Unsupported`, as `engine.compile` does, for what neither kernel writes."""
    from .. import model as _model
    kernel = JavaScript(model if model is not None else parse(_model.model_path()))
    constants = [kernel.elements[k].name for k in kernel.constants]
    defaults = [float(kernel.elements[k].args["expr"]) for k in kernel.constants]
    variables = [kernel.elements[k].name for k in kernel.saved]
    parts = [
        f"const CONSTANTS = {json.dumps(constants)};",
        f"const DEFAULTS = {json.dumps(defaults)};",
        f"const VARIABLES = {json.dumps(variables)};",
        f"const SAVEPER_SENSITIVE = {json.dumps(kernel.saveper_sensitive)};",
        HELPERS, SCHEDULE, kernel.controls(), kernel.source, RUNNER,
        "return {constants: CONSTANTS, defaults: DEFAULTS, variables: VARIABLES, run};",
    ]
    body = "\n".join(parts)
    return ("var SDECON_MODEL = (function () {\n\"use strict\";\n" + body + "\n})();\n"
            "if (typeof module !== 'undefined') module.exports = SDECON_MODEL;\n")


__all__ = ["JavaScript", "javascript"]
