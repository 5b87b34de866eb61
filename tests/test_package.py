"""The package as a maintainer and a user meet it: its import graph, its public API, its
one-line errors naming Python arguments (and the CLI's naming flags), and commands that
survive SIGTERM and leave no stale temporary files."""
import ast
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

import sdecon
from sdecon.cli import main

PACKAGE = Path(sdecon.__file__).resolve().parent


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports() -> dict[str, set[str]]:
    """Every sdecon module and the sdecon modules it imports, at any depth of its code."""
    modules = {_module_name(p): p for p in PACKAGE.rglob("*.py")}
    graph = {}
    for name, path in modules.items():
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        found = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                found |= {a.name for a in node.names if a.name.startswith("sdecon")}
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    anchor = package.split(".")[:len(package.split(".")) - node.level + 1]
                    base = ".".join(anchor + ([base] if base else []))
                if not base.startswith("sdecon"):
                    continue
                for alias in node.names:  # `from . import x` imports the module x when there is one
                    found.add(f"{base}.{alias.name}" if f"{base}.{alias.name}" in modules else base)
        graph[name] = {m for m in found if m in modules and m != name}
    return graph


def test_no_module_imports_one_that_imports_it_back():
    graph = _imports()
    assert len(graph) > 15 and "sdecon.cli" in graph
    cycles = []

    def visit(node, path):
        for child in graph[node]:
            if child == path[0]:
                cycles.append(" -> ".join(path + [child]))
            elif child not in path and len(path) < 12:
                visit(child, path + [child])

    for name in graph:
        if name != "sdecon":  # the package's lazy attributes import on use, from outside
            visit(name, [name])
    assert cycles == []


def test_only_the_command_line_imports_the_command_line():
    importers = sorted(name for name, imported in _imports().items() if "sdecon.cli" in imported
                       and name not in ("sdecon.cli", "sdecon.__main__"))
    assert importers == []


PUBLIC = ("run", "run_scenarios", "calibrate", "backtest", "check", "validate", "sweep", "write_report",
          "discover", "posterior", "load_calibration", "load_sweep", "load_posterior", "SweepResult",
          "Posterior", "Scenario", "Parameter", "SdeconError", "explore")


@pytest.mark.parametrize("name", PUBLIC)
def test_the_public_api_has_numpydoc_docstrings(name):
    item = getattr(sdecon, name)
    assert name in sdecon.__all__
    doc = item.__doc__ or ""
    assert any(f"{section}\n    {'-' * len(section)}" in doc
               for section in ("Parameters", "Returns", "Attributes")), name


def test_python_errors_name_the_argument_and_the_command_line_its_flag(capsys):
    with pytest.raises(sdecon.SdeconError, match=r"^seed -1 must be a whole number") as error:
        sdecon.calibrate(seed=-1)
    assert error.value.argument == "seed"
    assert main(["calibrate", "--seed", "-1"]) == 2
    assert capsys.readouterr().err == ("sdecon: error: --seed -1 must be a whole number from 0 to 2**32 - 1 "
                                       "(numpy's seeds)\n")
    with pytest.raises(sdecon.SdeconError, match=r"^origins: 2024 is outside"):
        sdecon.backtest(origins=(2024,))
    assert main(["backtest", "--origins", "2024"]) == 2
    assert capsys.readouterr().err.startswith("sdecon: error: --origins: 2024 is outside")


@pytest.mark.parametrize("names, message", [
    ("jevons", "names 'jevons' is one scenario; expected a list of them, such as ['jevons']"),
    ([], "names is empty; expected at least one scenario"),
])
def test_run_scenarios_refuses_a_string_or_nothing(names, message):
    with pytest.raises(sdecon.SdeconError, match=message.replace("[", r"\[").replace("]", r"\]")):
        sdecon.run_scenarios(names)


def test_a_number_written_as_text_is_refused(tmp_path, capsys):
    with pytest.raises(sdecon.SdeconError, match=r"Hardware Growth Rate = '0.3' is text, not a number; write "
                                                 r"it without quotes"):
        sdecon.run("baseline", {"Hardware Growth Rate": "0.3"})
    path = tmp_path / "mine.toml"
    path.write_text('name = "mine"\ntitle = "t"\nstory = "s"\n[parameters]\n"Hardware Growth Rate" = "0.3"\n')
    assert main(["run", "--scenario", str(path)]) == 2
    assert "is text, not a number" in capsys.readouterr().err


def test_a_parameter_set_twice_is_refused(capsys):
    assert main(["run", "--set", "Hardware Growth Rate=0.3", "--set", "Hardware Growth Rate =0.4"]) == 2
    assert capsys.readouterr().err == ("sdecon: error: --set names 'Hardware Growth Rate' twice; "
                                       "give each parameter once\n")


def _dead_pid() -> int:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def test_temporaries_a_killed_writer_left_are_removed_by_the_next_write(tmp_path, capsys):
    target = tmp_path / "run.csv"
    stale = tmp_path / f".run.csv.sdecon-{_dead_pid()}-abc123.csv"
    live = tmp_path / f".run.csv.sdecon-{os.getpid()}-def456.csv"  # a writer still at work
    stale.write_text("half")
    live.write_text("half")
    assert main(["run", "--output", str(target)]) == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([target.name, live.name])


def test_sigterm_prints_one_line_exits_143_and_leaves_nothing_behind(tmp_path):
    target = tmp_path / "fit.json"
    env = {**os.environ, "MPLBACKEND": "Agg"}
    child = subprocess.Popen([sys.executable, "-m", "sdecon", "calibrate", "--output", str(target)],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, text=True)
    time.sleep(4)  # inside the fit
    assert child.poll() is None
    child.send_signal(signal.SIGTERM)
    out, err = child.communicate(timeout=60)
    assert child.returncode == 143
    assert err == "sdecon: terminated (SIGTERM); files being written were removed\n"
    assert list(tmp_path.iterdir()) == []


def test_a_saved_calibration_loads_back_equal(tmp_path):
    fit = sdecon.load_calibration(sdecon.calibration.BASELINE)
    assert isinstance(fit, sdecon.Calibration) and fit.until == 2024
    path = tmp_path / "copy.json"
    fit.save(path)
    again = sdecon.load_calibration(path)
    assert again == fit
    assert again.parameters == fit.parameters and again.levels == fit.levels
    np.testing.assert_allclose(again.correlation.to_numpy(), fit.correlation.to_numpy())
    assert list(again.residuals.columns) == list(fit.residuals.columns) and len(again.residuals) == 111
    changed = json.loads(path.read_text())
    changed["levels"]["world_gdp_nominal"] = 0.1
    path.write_text(json.dumps(changed))
    assert sdecon.load_calibration(path) != fit
