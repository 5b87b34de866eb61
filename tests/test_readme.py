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


def _run(name):
    import shipped

    return shipped.run(name)


def _scenario_rows():
    rows = []
    for name in ["baseline", "jevons", "saturation", "efficiency-shock", "infrastructure-limits"]:
        run = _run(name)
        share = " | ".join(f"{100 * run.loc[y, 'Compute Spending Share of GDP']:.2g}%" for y in (2024, 2030, 2040, 2050))
        capex = " | ".join(f"{float(format(run.loc[y, 'Datacenter Capex'], '.3g')):,.0f}" for y in (2030, 2050))
        rows.append(f"| {name} | {share} | {capex} |")
    return rows


def test_the_readme_scenario_table_is_what_the_model_gives():
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    missing = [row for row in _scenario_rows() if row not in text]
    assert not missing, "update the README's scenario table to:\n" + "\n".join(_scenario_rows())


def _anchor_rows():
    """The README's anchor table, model side: baseline 2030 and 2050 in a reader's units."""
    run = _run("baseline")

    def money(value):  # USD billion a year -> "$1.8 trillion"
        return f"${value / 1000:.2g} trillion"

    def share(value):
        return f"{100 * value:.2g}% of GDP"

    capex = run["Datacenter Capex"]
    cumulative = sum((capex[y] + capex[y + 1]) / 2 for y in range(2025, 2031))  # rates at 1 January
    rows = {}
    for year in (2030, 2050):
        r = run.loc[year]
        rows[year] = {
            "compute": f"{money(r['Compute Spending'])}, {share(r['Compute Spending Share of GDP'])}",
            "capex": f"{money(r['Datacenter Capex'])} a year, {share(r['Datacenter Capex'] / r['GDP'])}",
            "power": f"{float(format(r['Datacenter Electricity'], '.2g')):,.0f} TWh "
                     f"(AI {float(format(r['AI Datacenter Electricity'], '.2g')):,.0f})",
            "run": f"{r['Frontier Training Run Compute']:.2g} FLOP".replace("e+", "e"),
        }
    rows[2030]["capex"] += f"; ${cumulative / 1000:.2g} trillion over 2025-2030"
    return rows


def test_the_readme_anchor_table_is_what_the_model_gives():
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    table = re.search(r"<!-- anchors -->\n(.*?)<!-- /anchors -->", text, re.S).group(1)
    lines = {line.split("|")[1].strip(): [cell.strip() for cell in line.split("|")[2:-1]]
             for line in table.splitlines()[2:]}
    rows = _anchor_rows()
    for label, key in [("compute spending", "compute"), ("datacenter capex", "capex"),
                       ("datacenter electricity", "power"), ("largest training run", "run")]:
        model_2030, _anchor, model_2050 = lines[label]
        assert (model_2030, model_2050) == (rows[2030][key], rows[2050][key]), label


def test_the_python_example_runs_as_a_script_and_prints_its_results(capsys):
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    block = re.search(r"## Python\n\n```python\n(.*?)```", text, re.S).group(1)
    exec(compile(block, "README.md", "exec"), {})
    out = capsys.readouterr().out
    assert "Compute Spending Share of GDP" in out and "saturation" in out
    assert "default" in out and "source" in out and len(out.splitlines()) >= 10
