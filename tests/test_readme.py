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
    assert "sdecon run --scenario baseline" in commands[0] and "reports/" in commands[0]
    assert "pytest" in commands[1]


def test_ci_runs_the_quickstart_commands_verbatim():
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8").splitlines()
    for command in _quickstart():
        assert command in ci
