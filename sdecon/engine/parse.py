"""A Vensim `.mdl` read by PySD's own parser into the elements the batch engine compiles.

PySD turns the file into an abstract syntax tree (`pysd.translators.structures`). Here every
element becomes one `Element`: a constant (a number a user may set), an auxiliary, a lookup
table, or a stateful: a stock or one of Vensim's delays, smooths, trends and samples, which
PySD implements as objects in `pysd.py_backend.statefuls`. A stateful written inside a
larger expression (`2 * SMOOTH(x, 3)`, `Stock / INITIAL(Stock)`) is lifted into a hidden
element of its own, as PySD's builder does, so that it keeps its state between steps.

What the engine cannot compile (subscripts, external data, a few functions) is
refused here with one line naming the Vensim construct and the variable that uses it.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import SdeconError

#: The control variables, by the names PySD's references use.
CONTROLS = ("initial_time", "final_time", "time_step", "saveper")

# Vensim names of the constructs PySD parses but the engine refuses.
_REFUSED = {
    "DataStructure": "data variables (:=)",
    "GetDataStructure": "GET XLS DATA / GET DIRECT DATA",
    "GetLookupsStructure": "GET XLS LOOKUPS / GET DIRECT LOOKUPS",
    "GetConstantsStructure": "GET XLS CONSTANTS / GET DIRECT CONSTANTS",
    "AllocateAvailableStructure": "ALLOCATE AVAILABLE",
    "AllocateByPriorityStructure": "ALLOCATE BY PRIORITY",
    "SubscriptsReferenceStructure": "subscripts",
}

#: Vensim functions the engine compiles, by PySD's reference name.
FUNCTIONS = frozenset({
    "abs", "min", "max", "exp", "ln", "log", "sqrt", "sin", "cos", "tan", "arcsin", "arccos",
    "arctan", "sinh", "cosh", "tanh", "power", "pi", "integer", "modulo", "quantum",
    "if_then_else", "zidz", "xidz", "step", "pulse", "pulse_train", "ramp", "active_initial",
})
#: Functions that read the clock without naming Time.
TIME_FUNCTIONS = frozenset({"step", "pulse", "pulse_train", "ramp"})

# Statefuls: PySD structure -> (engine kind, the fields that are expressions).
_STATEFULS = {
    "IntegStructure": ("integ", ("flow", "initial")),
    "DelayStructure": ("delay", ("input", "delay_time", "initial", "order")),
    "DelayNStructure": ("delay_n", ("input", "delay_time", "initial", "order")),
    "DelayFixedStructure": ("delay_fixed", ("input", "delay_time", "initial")),
    "SmoothStructure": ("smooth", ("input", "smooth_time", "initial", "order")),
    "SmoothNStructure": ("smooth", ("input", "smooth_time", "initial", "order")),
    "TrendStructure": ("trend", ("input", "average_time", "initial_trend")),
    "ForecastStructure": ("forecast", ("input", "average_time", "horizon", "initial_trend")),
    "SampleIfTrueStructure": ("sample_if_true", ("condition", "input", "initial")),
    "InitialStructure": ("initial", ("initial",)),
}
#: Vensim's name for each stateful kind, for messages.
VENSIM_NAMES = {
    "integ": "INTEG", "delay": "DELAY1/DELAY3", "delay_n": "DELAY N",
    "delay_fixed": "DELAY FIXED", "smooth": "SMOOTH", "trend": "TREND", "forecast": "FORECAST",
    "sample_if_true": "SAMPLE IF TRUE", "initial": "INITIAL",
}


class Unsupported(SdeconError):
    """The batch engine cannot compile a construct of the model; PySD may still run it."""


@dataclass
class Element:
    """One variable of the model, as the engine compiles it.

    `kind` is "constant", "aux", "lookup" or a stateful kind (see `_STATEFULS`); `args`
    holds the stateful's expressions by PySD's field names, or `{"expr": ...}` for an
    auxiliary. A hidden element is one lifted out of a larger expression: it has no name of
    its own in the `.mdl` and is not saved.
    """
    key: str
    name: str
    kind: str
    args: dict = field(default_factory=dict)
    units: str = ""
    hidden: bool = False


@dataclass
class Model:
    """The elements of one `.mdl`, by PySD's reference names, in the file's order."""
    path: Path
    elements: dict[str, Element]

    def names(self) -> dict[str, str]:
        return {key: el.name for key, el in self.elements.items()}


def parse(path: str | Path) -> Model:
    """Parse a Vensim `.mdl` with PySD and lower it to `Element`s, or refuse in one line."""
    path = Path(path)
    if not path.is_file():
        raise SdeconError(f"model file {str(path)!r} not found")
    if path.suffix.lower() != ".mdl":
        raise SdeconError(f"model file {str(path)!r}: expected a Vensim .mdl file")
    from ..model import _quiet
    with _quiet():
        from pysd.translators.vensim.vensim_file import VensimFile
        try:
            parsed = VensimFile(str(path))
            parsed.parse()
            abstract = parsed.get_abstract_model()
        except Exception as error:  # PySD's parser raises many kinds; one line is enough
            message = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
            raise SdeconError(f"PySD cannot parse {path.name}: {message}") from None
    main = next(s for s in abstract.sections if s.type == "main")
    lowering = _Lowering({s.name: s for s in abstract.sections if s.type == "macro"})
    for element in main.elements:
        lowering.add(element)
    elements = lowering.elements
    if "saveper" not in elements and "time_step" in elements:  # Vensim's default
        from pysd.translators.structures.abstract_expressions import ReferenceStructure
        elements["saveper"] = Element("saveper", "SAVEPER", "aux",
                                      {"expr": ReferenceStructure("time_step")})
    model = Model(path, elements)
    _check_references(model)
    return model


def refuse(variable: str, construct: str) -> Unsupported:
    return Unsupported(f"{variable}: the batch engine does not support {construct}; "
                       "sdecon.run (PySD) can still run this model")


class _Lowering:
    """Turns PySD's elements into `Element`s, lifting nested statefuls and lookups and
    inlining macros."""

    def __init__(self, macros: dict | None = None):
        self.elements: dict[str, Element] = {}
        self.macros = macros or {}  # PySD's macro sections, by reference name
        self.instances = 0

    def add(self, element) -> None:
        name = element.name
        key = name.lower().replace(" ", "_")
        if len(element.components) != 1 or any(element.components[0].subscripts):
            raise refuse(name, "subscripts")
        component = element.components[0]
        ast = component.ast
        units = (element.units or "").strip()
        kind = type(ast).__name__
        if kind in _REFUSED:
            raise refuse(name, _REFUSED[kind])
        if component.type == "Data":
            raise refuse(name, _REFUSED["DataStructure"])
        if kind == "LookupsStructure":
            self.elements[key] = Element(key, name, "lookup", {"table": self._table(name, ast)}, units)
        elif _is_number(ast):
            self.elements[key] = Element(key, name, "constant", {"expr": float(ast)}, units)
        elif kind in _STATEFULS:
            self._stateful(key, name, ast, units, hidden=False)
        else:
            self.elements[key] = Element(key, name, "aux", {"expr": self._lower(name, ast)}, units)

    def _stateful(self, key: str, name: str, ast, units: str = "", hidden: bool = True) -> None:
        kind, fields = _STATEFULS[type(ast).__name__]
        args = {f: self._lower(name, getattr(ast, f)) for f in fields}
        if kind == "smooth" and type(ast).__name__ == "SmoothStructure":
            args["order"] = float(ast.order)
        if getattr(ast, "non_negative", False):  # PySD's Vensim parser never sets it; XMILE does
            raise refuse(name, "non-negative stocks")
        self.elements[key] = Element(key, name, kind, args, units, hidden)

    def _hidden_key(self, prefix: str, name: str) -> str:
        base = f"_{prefix}_{name.lower().replace(' ', '_')}"
        index = sum(1 for k in self.elements if k.startswith(base))
        return f"{base}_{index}"

    def _lower(self, name: str, node):
        """The expression with nested statefuls and inline lookups replaced by references."""
        from pysd.translators.structures import abstract_expressions as ae
        if node is None or _is_number(node) or isinstance(node, str):
            return node
        kind = type(node).__name__
        if kind in _REFUSED:
            raise refuse(name, _REFUSED[kind])
        if kind == "ReferenceStructure":
            if node.subscripts:
                raise refuse(name, "subscripts")
            return node
        if kind == "GameStructure":  # PySD, like Vensim outside gaming mode, ignores GAME
            return self._lower(name, node.expression)
        if kind in _STATEFULS:
            key = self._hidden_key(_STATEFULS[kind][0], name)
            self._stateful(key, name, node)
            return ae.ReferenceStructure(key)
        if kind == "InlineLookupsStructure":
            key = self._hidden_key("lookup", name)
            self.elements[key] = Element(key, name, "lookup",
                                         {"table": self._table(name, node.lookups)}, hidden=True)
            return ae.CallStructure(ae.ReferenceStructure(key), (self._lower(name, node.argument),))
        if kind == "CallStructure" and node.function.reference in self.macros:
            return self._inline(name, node)
        if kind == "CallStructure":
            arguments = tuple(self._lower(name, a) for a in node.arguments)
            return dataclasses.replace(node, arguments=arguments)
        if kind in ("ArithmeticStructure", "LogicStructure"):
            arguments = [self._lower(name, a) for a in node.arguments]
            return dataclasses.replace(node, arguments=arguments)
        raise refuse(name, kind.replace("Structure", "").upper())

    def _inline(self, name: str, call):
        """A macro call as elements of its own: one instance a call, its arguments and
        every element of the macro under a prefix, so that a macro's local names (its
        `factor = 2`) never meet the model's (its `factor = 5`), and a macro's stock keeps
        its own state at each call. The call becomes a reference to the instance's output,
        the element named like the macro."""
        from pysd.translators.structures import abstract_expressions as ae
        section = self.macros[call.function.reference]
        if section.returns:
            raise refuse(name, f"macros with more than one output (:MACRO: {section.name})")
        if len(call.arguments) != len(section.params):
            raise SdeconError(f"{name}: macro {section.name} takes {len(section.params)} arguments "
                              f"({', '.join(section.params)}); got {len(call.arguments)}")
        self.instances += 1
        prefix = f"_macro{self.instances}_{section.name}__"
        keys = [el.name.lower().replace(" ", "_") for el in section.elements]
        local = {key: prefix + key for key in [*section.params, *keys]}
        for parameter, argument in zip(section.params, call.arguments):
            self.elements[prefix + parameter] = Element(
                prefix + parameter, f"{name} ({section.name} argument {parameter})", "aux",
                {"expr": self._lower(name, argument)}, hidden=True)
        for element, key in zip(section.elements, keys):
            label = f"{name} ({section.name}: {element.name})"
            if len(element.components) != 1 or any(element.components[0].subscripts):
                raise refuse(label, "subscripts")
            ast = _rename(element.components[0].ast, local)
            kind = type(ast).__name__
            if kind == "LookupsStructure":
                self.elements[prefix + key] = Element(prefix + key, label, "lookup",
                                                      {"table": self._table(label, ast)}, hidden=True)
            elif kind in _STATEFULS:
                self._stateful(prefix + key, label, ast)
            else:  # a macro's constants are its own, not parameters of the model
                self.elements[prefix + key] = Element(prefix + key, label, "aux",
                                                      {"expr": self._lower(label, ast)}, hidden=True)
        if prefix + section.name not in self.elements:
            raise SdeconError(f"{name}: macro {section.name} defines no variable named like it, "
                              "its output")
        return ae.ReferenceStructure(prefix + section.name)

    @staticmethod
    def _table(name: str, lookup) -> tuple:
        if lookup.type != "interpolate":  # graphical lookups are; data tables may not be
            raise refuse(name, f"lookups of type {lookup.type!r} (only interpolated tables)")
        xs = tuple(float(x) for x in lookup.x)
        if len(set(xs)) != len(xs):
            raise SdeconError(f"{name}: the lookup's x values repeat")
        return xs, tuple(float(y) for y in lookup.y)


def _rename(node, names: dict[str, str]):
    """A PySD syntax tree with references (and calls of local lookups) renamed."""
    if isinstance(node, (tuple, list)):
        return type(node)(_rename(child, names) for child in node)
    if not dataclasses.is_dataclass(node):
        return node
    if type(node).__name__ == "ReferenceStructure":
        return dataclasses.replace(node, reference=names.get(node.reference, node.reference))
    changes = {f.name: _rename(getattr(node, f.name), names) for f in dataclasses.fields(node)}
    return dataclasses.replace(node, **changes)


def _is_number(node) -> bool:
    return isinstance(node, (int, float)) and not isinstance(node, bool)


def references(node, initial: bool = False) -> set[str]:
    """Keys of the elements (and `time`) an expression refers to; with `initial`, while
    initial values are computed (ACTIVE INITIAL's second argument instead of its first)."""
    if node is None or _is_number(node) or isinstance(node, str):
        return set()
    kind = type(node).__name__
    if kind == "ReferenceStructure":
        return {node.reference}
    arguments = node.arguments
    implicit = set()
    if kind == "CallStructure":
        function = node.function.reference
        if function == "active_initial":
            arguments = arguments[1:] if initial else arguments[:1]
        implicit = {"time"} if function in TIME_FUNCTIONS else set()
        if function not in FUNCTIONS:
            implicit.add(function)  # a lookup table
    return implicit.union(*(references(a, initial) for a in arguments))


def _check_references(model: Model) -> None:
    known = set(model.elements) | {"time"}
    for element in model.elements.values():
        if element.kind == "lookup":
            continue
        for expr in element.args.values():
            for call in _calls(expr):
                if call not in FUNCTIONS and call not in model.elements:
                    raise refuse(element.name, f"the Vensim function {call.upper().replace('_', ' ')}")
                if call in model.elements and model.elements[call].kind != "lookup":
                    raise SdeconError(f"{element.name}: calls {model.elements[call].name}, "
                                      "which is not a lookup")
            missing = references(expr) - known
            if missing:
                raise SdeconError(f"{element.name}: refers to {sorted(missing)[0]!r}, "
                                  "which the model does not define")
    for control in CONTROLS:
        if control not in model.elements:
            raise SdeconError(f"{model.path.name}: the model does not define "
                              f"{control.upper().replace('_', ' ')}")


def _calls(node) -> set[str]:
    """Names of the functions an expression calls, at any depth of any PySD structure."""
    if node is None or _is_number(node) or isinstance(node, str):
        return set()
    if isinstance(node, (tuple, list)):
        return set().union(set(), *(_calls(a) for a in node))
    if not dataclasses.is_dataclass(node) or type(node).__name__ == "ReferenceStructure":
        return set()
    own = {node.function.reference} if type(node).__name__ == "CallStructure" else set()
    children = [getattr(node, f.name) for f in dataclasses.fields(node) if f.name != "function"]
    return own.union(*(_calls(child) for child in children))
