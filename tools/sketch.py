"""Regenerate the Vensim sketch of models/ai_compute_economy.mdl: one view per sector.

Run after adding, renaming or removing a variable: `python tools/sketch.py`. It rewrites
only the sketch section (below the equations), laying each sector out on a grid: stocks
with their inflow and outflow valves and clouds on top, the other variables below, and
variables of other sectors as grey shadow variables on the left. Arrows follow the
equations. Vensim users can then tidy the layout by hand; PySD ignores the sketch.
"""
from __future__ import annotations

import re
import sys
from pathlib import Path

MDL = Path(__file__).resolve().parents[1] / "models" / "ai_compute_economy.mdl"
SKETCH_HEAD = "\\\\\\---/// Sketch information - do not modify anything except names\nV300  Do not put anything below this section - it will be ignored\n"
VIEW_STYLE = "$192-192-192,0,Times New Roman|12||0-0-0|0-0-0|0-0-255|-1--1--1|-1--1--1|96,96,100,0\n"
SHADOW_STYLE = "128-128-128,0-0-0,|12||128-128-128"


def parse(text: str):
    """Sectors in order, each with its variables: name -> (equation, is_stock)."""
    equations = text.split("\\\\\\---///")[0]
    sectors, current = {}, None
    for block in equations.split("|"):
        group = re.search(r"\*{10,}\s*\n\s*\.(\w+)", block)
        if group:
            current = group.group(1)
            sectors[current] = {}
            continue
        match = re.match(r"\s*([^=~{}]+?)\s*=\s*(.*?)\s*~", block, re.S)
        if match and current:
            name, equation = match.group(1).strip(), match.group(2)
            sectors[current][name] = (equation, equation.lstrip().startswith("INTEG"))
    sectors.pop("Control", None)
    return sectors


def dependencies(sectors):
    names = sorted({n for s in sectors.values() for n in s}, key=len, reverse=True)
    pattern = re.compile("|".join(r"(?<![\w ])" + re.escape(n) + r"(?![\w])" for n in names))
    deps = {}
    for variables in sectors.values():
        for name, (equation, _) in variables.items():
            deps[name] = sorted({m.group(0) for m in pattern.finditer(equation)} - {name})
    return deps


def stock_flows(equation: str):
    rate = re.match(r"\s*INTEG\s*\(\s*(.*?),", equation, re.S).group(1)
    return [(sign or "+", term.strip()) for sign, term in re.findall(r"([+-]?)\s*([^+-]+)", rate)]


def view(number, sector, variables, deps, home):
    lines = [f"*{sector}\n", VIEW_STYLE]
    ids, next_id = {}, [1]

    def new_id():
        next_id[0] += 1
        return next_id[0] - 1

    def var(name, x, y, shape=8, shadow=False):
        ids[name] = new_id()
        extra = f",{SHADOW_STYLE}" if shadow else ""
        bits = 2 if shadow else 3
        lines.append(f"10,{ids[name]},{name},{x},{y},{max(40, 3 * len(name))},11,{shape},{bits},0,0,0,0,0,0{extra}\n")

    stocks = [n for n, (_, is_stock) in variables.items() if is_stock]
    flows = {f for s in stocks for _, f in stock_flows(variables[s][0]) if f in variables}
    x = 200
    for stock in stocks:
        var(stock, x + 150, 120, shape=3)
        for side, (sign, flow) in zip((-1, 1), sorted(stock_flows(variables[stock][0]), key=lambda t: t[0] == "-")):
            if flow in ids or flow not in variables:
                continue
            cloud, valve = new_id(), new_id()
            vx = x + 150 + side * 110
            lines.append(f"12,{cloud},48,{x + 150 + side * 200},120,10,8,0,3,0,0,-1,0,0,0\n")
            lines.append(f"11,{valve},48,{vx},120,6,8,34,3,0,0,1,0,0,0\n")
            ids[flow] = new_id()
            lines.append(f"10,{ids[flow]},{flow},{vx},145,{max(40, 3 * len(flow))},11,40,3,0,0,-1,0,0,0\n")
            into, outof = (ids[stock], cloud) if sign == "+" else (cloud, ids[stock])
            lines.append(f"1,{new_id()},{valve},{into},4,0,0,22,0,0,0,-1--1--1,,1|({vx},120)|\n")
            lines.append(f"1,{new_id()},{valve},{outof},100,0,0,22,0,0,0,-1--1--1,,1|({vx},120)|\n")
        x += 450
    others = [n for n in variables if n not in ids and n not in stocks]
    for i, name in enumerate(others):
        var(name, 200 + (i % 5) * 260, 260 + (i // 5) * 70)
    inputs = sorted({d for n in variables for d in deps[n] if home[d] != sector})
    for i, name in enumerate(inputs):
        var(name, 40, 260 + i * 40, shadow=True)
    for name in variables:
        for cause in deps[name]:
            if cause in ids and name in ids and not (name in stocks and cause in flows):
                lines.append(f"1,{new_id()},{ids[cause]},{ids[name]},0,0,0,0,0,64,0,-1--1--1,,1|(0,0)|\n")
    return "".join(lines)


def main() -> int:
    text = MDL.read_text(encoding="utf-8")
    sectors = parse(text)
    home = {n: s for s, variables in sectors.items() for n in variables}
    deps = dependencies(sectors)
    views = "".join(view(i + 1, sector, variables, deps, home) for i, (sector, variables) in enumerate(sectors.items()))
    settings = text.split("///---\\\\\\")[1] if "///---\\\\\\" in text else "\n"
    body = text.split("\\\\\\---///")[0].rstrip("\n") + "\n\n"
    MDL.write_text(body + SKETCH_HEAD + views + "///---\\\\\\" + settings, encoding="utf-8")
    print(f"wrote {len(sectors)} views to {MDL}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
