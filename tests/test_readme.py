"""The README's Quickstart is what CI runs."""
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _quickstart():
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    block = re.search(r"<!-- quickstart -->\s*```bash\n(.*?)```\s*<!-- /quickstart -->", text, re.S).group(1)
    return [line for line in block.splitlines() if line.strip()]


def test_the_quickstart_has_exactly_two_commands_run_and_test():
    commands = _quickstart()
    assert len(commands) == 2
    assert "sdecon report --scenarios baseline" in commands[0] and "reports/" in commands[0]
    assert "pytest" in commands[1]


def test_ci_runs_the_quickstart_commands_verbatim():
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8").splitlines()
    for command in _quickstart():
        assert command in ci


def _scenario_rows():
    import sdecon

    rows = []
    for name in ["baseline", "jevons", "saturation", "efficiency-shock", "infrastructure-limits"]:
        run = sdecon.run(name)
        share = " | ".join(f"{100 * run.loc[y, 'Compute Spending Share of GDP']:.2g}%" for y in (2024, 2030, 2040, 2050))
        capex = " | ".join(f"{float(format(run.loc[y, 'Datacenter Capex'], '.3g')):,.0f}" for y in (2030, 2050))
        rows.append(f"| {name} | {share} | {capex} |")
    return rows


def test_the_readme_scenario_table_is_what_the_model_gives():
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    missing = [row for row in _scenario_rows() if row not in text]
    assert not missing, "update the README's scenario table to:\n" + "\n".join(_scenario_rows())
