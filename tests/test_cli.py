"""The command line: outputs by extension, listings, and one-line errors with exit code 2."""
import os
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

import sdecon
from sdecon.cli import main


def _run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.parametrize("suffix", [".csv", ".parquet", ".xlsx"])
def test_run_writes_the_format_named_by_the_extension(tmp_path, capsys, suffix):
    path = tmp_path / f"run{suffix}"
    code, out, err = _run(capsys, "run", "--scenario", "jevons", "--set", "Hardware Growth Rate=0.3",
                          "--output", str(path))
    assert code == 0, err
    read = {".csv": pd.read_csv, ".parquet": pd.read_parquet,
            ".xlsx": lambda p: pd.read_excel(p, engine="openpyxl")}[suffix]
    table = read(path)
    assert table.columns[0] == "year"
    expected = sdecon.run("jevons", {"Hardware Growth Rate": 0.3})
    assert list(table.columns[1:]) == list(expected.columns)
    np.testing.assert_allclose(table.set_index("year").to_numpy(dtype=float), expected.to_numpy(), rtol=1e-12)
    assert sorted(os.listdir(tmp_path)) == [path.name]  # no temporary file left behind


def test_run_without_output_prints_a_summary_of_the_public_variables(capsys, baseline):
    code, out, err = _run(capsys, "run", "--scenario", "baseline")
    assert code == 0
    assert "Compute Spending Share of GDP" in out
    header = next(line for line in out.splitlines() if line.startswith("year")).split()[1:]
    assert header == [str(year) for year in (2015, 2020, *range(2025, 2031), 2035, 2040, 2045, 2050)]
    value = baseline.loc[2030, "Datacenter Capex"]
    line = next(line for line in out.splitlines() if line.startswith("Datacenter Capex"))
    assert f"{value:.4g}" in line


def test_run_writes_a_figure(tmp_path, capsys):
    path = tmp_path / "key.png"
    code, out, err = _run(capsys, "run", "--output", str(tmp_path / "run.csv"), "--figure", str(path))
    assert code == 0, err
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_scenarios_and_params_list_everything(capsys):
    code, out, err = _run(capsys, "scenarios")
    assert code == 0
    for name in sdecon.scenario_names():
        assert name in out
    code, out, err = _run(capsys, "params")
    assert code == 0
    for name, parameter in sdecon.parameters().items():
        assert f"{name} = {parameter.default:g} {parameter.unit}" in out
    assert "Source: Epoch AI, price-performance of ML hardware" in out


@pytest.mark.parametrize("argv,message", [
    (["run", "--scenario", "jevon"], "unknown scenario 'jevon' (did you mean 'jevons'"),
    (["run", "--set", "Hardware Growth Rat=0.3"], "unknown parameter 'Hardware Growth Rat' (did you mean"),
    (["run", "--set", "Hardware Growth Rate=fast"], "Hardware Growth Rate = 'fast' is not a number"),
    (["run", "--set", "Hardware Growth Rate=3"], "Hardware Growth Rate = 3 is out of bounds; allowed: [0, 1] 1/Year"),
    (["run", "--set", "Hardware Growth Rate"], 'is not of the form "Parameter Name=VALUE"'),
    (["run", "--output", "run.json"], "has extension '.json'; allowed: .csv, .parquet, .xlsx"),
    (["run", "--output", "no/such/dir/run.csv"], "directory 'no/such/dir' does not exist"),
    (["run", "--figure", "run.gif"], "allowed: .png, .svg, .pdf"),
    (["fly"], "invalid choice: 'fly'"),
    (["run", "--bogus"], "sdecon: error: unrecognized arguments: --bogus"),
    ([], "the following arguments are required: command"),
])
def test_bad_input_gives_one_line_and_exit_code_2(tmp_path, capsys, monkeypatch, argv, message):
    monkeypatch.chdir(tmp_path)
    code, out, err = _run(capsys, *argv)
    assert code == 2
    assert err.count("\n") == 1 and err.startswith("sdecon: error: ")
    assert message in err
    assert os.listdir(tmp_path) == []  # nothing written


def test_an_unwritable_output_gives_one_line_and_leaves_no_file(capsys):
    # /proc refuses new files even to root, so this holds for every user.
    code, out, err = _run(capsys, "run", "--output", "/proc/sdecon-run.csv")
    assert code == 2 and err.startswith("sdecon: error: cannot write '/proc/sdecon-run.csv'")
    assert not os.path.exists("/proc/sdecon-run.csv")


def test_a_failing_write_leaves_no_half_written_file(tmp_path, monkeypatch, capsys):
    def broken(self, path, **kwargs):
        with open(path, "w") as handle:
            handle.write("year,half")
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(pd.DataFrame, "to_csv", broken)
    target = tmp_path / "run.csv"
    code, out, err = _run(capsys, "run", "--output", str(target))
    assert code == 2 and "No space left on device" in err
    assert os.listdir(tmp_path) == []


@pytest.mark.parametrize("suffix", [".png", ".pdf"])
def test_a_full_disk_under_the_figure_leaves_neither_the_figure_nor_the_table(tmp_path, monkeypatch, capsys,
                                                                            suffix):
    # The figure is drawn in memory and written in one piece; the disk fills during that write.
    from pathlib import Path
    written = Path.write_bytes

    def full(self, data):
        if self.suffix == suffix:
            written(self, data[: len(data) // 2])
            raise OSError(28, "No space left on device")
        return written(self, data)

    monkeypatch.setattr(Path, "write_bytes", full)
    code, out, err = _run(capsys, "run", "--output", str(tmp_path / "run.csv"),
                          "--figure", str(tmp_path / f"run{suffix}"))
    assert code == 2
    assert err == f"sdecon: error: cannot write '{tmp_path / f'run{suffix}'}': No space left on device\n"
    assert os.listdir(tmp_path) == []


def test_a_malformed_scenario_file_names_the_file_and_key(tmp_path, capsys):
    path = tmp_path / "mine.toml"
    path.write_text('name = "mine"\ntitle = "t"\nstory = "s"\n[parameters]\n"Hardware Growth Rate" = "fast"\n')
    code, out, err = _run(capsys, "run", "--scenario", str(path))
    assert code == 2 and err.count("\n") == 1
    assert str(path) in err and "Hardware Growth Rate = 'fast' is not a number" in err


def test_an_unwritable_cache_gives_one_line_naming_the_setting(tmp_path):
    env = dict(os.environ, SDECON_CACHE_DIR="/proc/sdecon-cache")
    result = subprocess.run([sys.executable, "-m", "sdecon.cli", "run"], capture_output=True,
                            text=True, cwd=tmp_path, env=env)
    assert result.returncode == 2
    assert result.stderr.startswith("sdecon: error: cannot write the model's translation cache")
    assert result.stderr.count("\n") == 1 and "SDECON_CACHE_DIR" in result.stderr


def test_the_installed_command_exits_2_without_a_traceback(tmp_path):
    result = subprocess.run([sys.executable, "-m", "sdecon.cli", "run", "--scenario", "nope"],
                            capture_output=True, text=True, cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [result.stderr.strip()]
    assert "Traceback" not in result.stderr
