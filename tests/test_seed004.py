"""Seed 004 by its own method: the model against the closed form, and the published cells."""
from pathlib import Path

import numpy as np
import pytest

from sdecon import seed004

import shipped

QUANTITIES = ["Hardware Efficiency Multiplier", "Software Efficiency Multiplier",
              "Combined Efficiency Multiplier", "Training Cost per Billion Tokens"]
DOC = Path(__file__).resolve().parents[1] / "docs" / "seed004.md"


@pytest.mark.parametrize("scenario", sorted(seed004.SCENARIOS))
def test_model_follows_the_method_every_year_to_2030(scenario):
    # Log-space stocks make Euler exact for constant rates and the events are one-step
    # jumps, so only rounding separates the model from the closed form.
    modelled = shipped.run(scenario).loc[2025:2030, QUANTITIES]
    expected = seed004.method(scenario)
    np.testing.assert_allclose(modelled.to_numpy(), expected.to_numpy(), rtol=1e-9)


def test_base_scenario_2026_matches_the_essays_check_values():
    row = shipped.run("seed004-base").loc[2026]
    assert row["Combined Efficiency Multiplier"] == pytest.approx(2.73, rel=0.005)
    assert row["Training Cost per Billion Tokens"] == pytest.approx(138.5, rel=0.005)


def test_theoretical_scenario_follows_the_doubling_times():
    run = shipped.run("seed004-theoretical").loc[2025:2030]
    t = run.index.to_numpy() - 2025
    np.testing.assert_allclose(run["Hardware Efficiency Multiplier"], 2 ** (t / 2.5), rtol=1e-9)
    np.testing.assert_allclose(run["Software Efficiency Multiplier"], 2 ** (t / 0.67), rtol=1e-9)


def test_published_cells_that_follow_from_the_method():
    cells = seed004.compare().set_index(["table", "year", "quantity"])
    # Cells the method reproduces to the published rounding.
    assert cells.loc[("Table 3", 2026, "Combined Efficiency Multiplier"), "agrees"]
    assert cells.loc[("Table 3", 2030, "Hardware Efficiency Multiplier"), "agrees"]
    assert cells.loc[("Table 1", 2026, "Software Efficiency Multiplier"), "agrees"]
    # Cells that do not: Table 3's 2027 software step is +15.4% (1.5/1.3) and carries forward.
    assert cells.loc[("Table 3", 2027, "Software Efficiency Multiplier"), "difference_pct"] == pytest.approx(
        100 * (1.5 / 1.3 - 1), abs=0.05)
    assert not cells.loc[("Table 3", 2026, "Training Cost per Billion Tokens"), "agrees"]  # 137 vs 138.5


def test_every_difference_has_a_reason_and_no_agreement_claims_one():
    cells = seed004.compare()
    assert (cells.loc[~cells["agrees"], "reason"].str.len() > 20).all()
    assert (cells.loc[cells["agrees"], "reason"] == "").all()


def test_the_document_lists_every_differing_cell():
    assert seed004.differences_markdown() in DOC.read_text(encoding="utf-8"), \
        "docs/seed004.md is out of date: paste seed004.differences_markdown() into it"
