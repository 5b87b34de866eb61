"""What a data row's unit text means: its quantity, scale, price basis and definition.

The reference data's units are texts written for people ("USD billion nominal (incl.
finance leases; "over $416 billion")"), so two texts with one meaning rarely match letter
by letter. `parse` reads the parts that decide whether two values can be compared:

- quantity: the unit with scale words, price basis and notes taken out ("usd", "flop",
  "flop/s per usd", "usd per 1m tokens");
- scale: thousand, million, billion or trillion (1e3 ... 1e12), 1 when none is given;
- basis of a money amount: "nominal" (also "current dollars", "current US$", or nothing
  said) or constant dollars of a year ("2023 dollars");
- definition: what a capex figure counts, today whether finance leases are included.

Notes in parentheses or after a semicolon are otherwise commentary ("+15% YoY") and ignored.
`factor` converts between two units of one meaning (USD million to USD billion: 0.001)
and refuses, with the reason, units whose quantity, basis or definition differ.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

SCALES = {"thousand": 1e3, "million": 1e6, "billion": 1e9, "trillion": 1e12}
_SCALE = re.compile(r"\b(thousand|million|billion|trillion)\b")
_CONSTANT = re.compile(r"\b((?:19|20)\d\d) (?:us )?dollars\b")
_NOMINAL = re.compile(r"\b(nominal|current dollars|current us\$)")
#: Definition markers: (name, pattern meaning included, pattern meaning excluded).
_DEFINITIONS = (
    ("finance leases",
     re.compile(r"\b(incl\.?|including|includes|with) finance[- ]leases?"),
     re.compile(r"\b(finance[- ]leases?( principal)? excluded|(excl\.?|excluding|excludes|without) "
                r"finance[- ]lease)")),
)


@dataclass(frozen=True)
class Unit:
    """The meaning of a unit text (see the module's docstring)."""
    quantity: str
    scale: float = 1.0
    basis: str = ""                   # "nominal", "2023 dollars"; "" for a non-money unit
    definition: tuple[tuple[str, bool], ...] = ()  # (marker, included) pairs stated by the text

    def describe(self) -> str:
        parts = [self.quantity]
        if self.basis:
            parts.append(self.basis)
        parts += [("incl. " if included else "excl. ") + name for name, included in self.definition]
        return ", ".join(parts)


class UnitMismatch(ValueError):
    """Two units whose values cannot be compared; the message says why."""


def parse(text: str) -> Unit:
    """The meaning of a unit text, e.g. ``parse("USD million (2023 dollars)")`` is
    ``Unit("usd", 1e6, "2023 dollars")``."""
    whole = " ".join(str(text).lower().split())
    main = re.split(r"[(;]", whole, maxsplit=1)[0]
    scales = _SCALE.findall(main)
    constant = _CONSTANT.search(whole)
    money = main.startswith("usd") or main.startswith("$")
    basis = (f"{constant.group(1)} dollars" if constant else "nominal") if money else ""
    quantity = _NOMINAL.sub(" ", _SCALE.sub(" ", _CONSTANT.sub(" ", main)))
    definition = []
    for name, included, excluded in _DEFINITIONS:
        if excluded.search(whole):
            definition.append((name, False))
        elif included.search(whole):
            definition.append((name, True))
    return Unit(" ".join(quantity.split()), SCALES[scales[0]] if scales else 1.0, basis, tuple(definition))


def factor(observed: str, expected: str) -> float:
    """The factor turning values in unit `observed` into unit `expected`.

    Raises UnitMismatch when the two mean different things: another quantity, price basis
    or definition (a definition one text leaves unsaid is taken to agree with the other's).
    """
    a, b = parse(observed), parse(expected)
    if a.quantity != b.quantity:
        raise UnitMismatch(f"unit {observed!r} measures {a.quantity!r}, expected {b.quantity!r}")
    if a.basis != b.basis:
        raise UnitMismatch(f"unit {observed!r} is in {a.basis}, expected {b.basis}")
    stated = dict(b.definition)
    for name, included in a.definition:
        if stated.get(name, included) != included:
            raise UnitMismatch(f"unit {observed!r} {'includes' if included else 'excludes'} {name}; "
                               f"expected {'including' if stated[name] else 'excluding'} them")
    return a.scale / b.scale
