"""Seed 004's method, its published table cells, and where the two differ.

The method (seed 004, Methodology): base year 2025, H(t) = (1+h)^t, S(t) = (1+s)^t times
every adoption event from its year on, T = H x S, C(t) = 378 / T(t); the theoretical
scenario uses H = 2^(t/2.5) and S = 2^(t/0.67).
"""
from __future__ import annotations

from pathlib import Path

import pandas as pd

BASE_YEAR = 2025
BASE_COST = 378.0  # USD per billion tokens, DeepSeek-V3 (seed 004)

#: Seed 004's Table 2 (and Table 1 for the theoretical scenario): annual growth of
#: hardware and software, and adoption events {year: multiplier}.
SCENARIOS = {
    "seed004-conservative": (0.25, 0.10, {}),
    "seed004-base": (0.40, 0.30, {2026: 1.5, 2027: 1.2}),
    "seed004-aggressive": (0.35, 0.45, {2026: 1.5, 2027: 1.2}),
    "seed004-theoretical": (2 ** (1 / 2.5) - 1, 2 ** (1 / 0.67) - 1, {}),
}

PUBLISHED_FILE = Path(__file__).resolve().parent / "data" / "seed004_published.csv"


def method(scenario: str, years=range(BASE_YEAR, 2031)) -> pd.DataFrame:
    """Seed 004's four quantities for `scenario`, by year, computed by its own method."""
    hardware, software, events = SCENARIOS[scenario]
    rows = []
    for year in years:
        t = year - BASE_YEAR
        h = (1 + hardware) ** t
        s = (1 + software) ** t
        for event_year, multiplier in events.items():
            if year >= event_year:
                s *= multiplier
        rows.append((year, h, s, h * s, BASE_COST / (h * s)))
    columns = ["year", "Hardware Efficiency Multiplier", "Software Efficiency Multiplier",
               "Combined Efficiency Multiplier", "Training Cost per Billion Tokens"]
    return pd.DataFrame(rows, columns=columns).set_index("year")


def published() -> pd.DataFrame:
    """The essay's published cells and text claims, with the reason where one differs."""
    cells = pd.read_csv(PUBLISHED_FILE, dtype={"published": str}, keep_default_na=False)
    for column in ("low", "high"):
        cells[column] = pd.to_numeric(cells[column].replace("", None))
    return cells


def _tolerance(text: str) -> float:
    """Half a unit in the last published digit: what rounding alone explains."""
    decimals = len(text.split(".")[1]) if "." in text else 0
    return 0.5 * 10 ** -decimals


def compare() -> pd.DataFrame:
    """Every published cell next to the method's value, the difference and its reason.

    A table cell agrees when the method rounds to it; a text claim when the method lies
    within its range.
    """
    cells = published()
    by_method = {scenario: method(scenario, range(BASE_YEAR, years.max() + 1))
                 for scenario, years in cells.groupby("scenario")["year"]}
    rows = []
    for cell in cells.itertuples(index=False):
        value = float(by_method[cell.scenario].loc[cell.year, cell.quantity])
        if pd.isna(cell.low):
            reference = float(cell.published)
            agrees = abs(value - reference) <= _tolerance(cell.published) + 1e-12
        else:
            reference = (cell.low + cell.high) / 2
            agrees = cell.low <= value <= cell.high
        rows.append({
            "table": cell.table, "scenario": cell.scenario, "year": cell.year,
            "quantity": cell.quantity, "published": cell.published, "method": value,
            "difference_pct": 100 * (float(cell.published) / value - 1) if pd.isna(cell.low) else None,
            "agrees": agrees, "reason": cell.reason,
        })
    return pd.DataFrame(rows)


def differences_markdown() -> str:
    """The cells that differ from the method, as the Markdown table in docs/seed004.md."""
    table = compare()
    lines = ["| table | scenario | year | quantity | published | method | difference | likely reason |",
             "|---|---|---|---|---|---|---|---|"]
    for row in table[~table["agrees"]].itertuples(index=False):
        difference = "outside range" if pd.isna(row.difference_pct) else f"{row.difference_pct:+.1f}%"
        lines.append(f"| {row.table} | {row.scenario} | {row.year} | {row.quantity} | {row.published} "
                     f"| {row.method:.4g} | {difference} | {row.reason} |")
    return "\n".join(lines) + "\n"
