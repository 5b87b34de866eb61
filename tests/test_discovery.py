"""Scenario discovery: PRIM (EMA Workbench) recovers a known box, its statistics agree with
counting the runs of a real sweep, and the command line refuses bad conditions in one line
and writes its files all or none."""
import re

import numpy as np
import pandas as pd
import pytest

import sdecon
from sdecon import cli, sweeps
from sdecon.discovery import FILES, discover, discover_frame, parse_where
from sdecon.plotting import plot_box_limits, plot_trajectory
from sdecon.plotting import plt

VARY = ["Max AI Capex Growth Rate=0.3:1.2", "Elasticity of Substitution=0.5:2", "Max Grid Growth Rate=0.1:0.4"]
OUTPUT = "Compute Spending Share of GDP@2040"


@pytest.fixture(scope="module")
def small_sweep(tmp_path_factory):
    """64 Latin-hypercube runs over three parameters, on one process."""
    with sweeps.LocalExecutor(1) as local:
        return sdecon.sweep("baseline", method="lhs", samples=64, vary=VARY, seed=5, figures=False,
                            progress=False, executor=local,
                            output=tmp_path_factory.mktemp("discovery") / "sweep")


@pytest.fixture(scope="module")
def condition(small_sweep):
    """A condition about a third of the runs meet: their median split at the 2/3 quantile."""
    values = small_sweep.runs([OUTPUT])[OUTPUT]
    return f"{OUTPUT} > {values.quantile(2 / 3):.6g}"


def test_prim_recovers_a_known_box_in_the_unit_square():
    rng = np.random.default_rng(13)
    x = pd.DataFrame(rng.random((2000, 2)), columns=["a", "b"])
    y = x["a"].between(0.2, 0.5) & x["b"].between(0.6, 0.9)
    found = discover_frame(x, y.to_numpy())
    assert found.meets_threshold and found.density >= 0.8
    assert list(found.box.index) == ["a", "b"]
    edges = found.box[["lower", "upper"]].to_numpy()
    np.testing.assert_allclose(edges, [[0.2, 0.5], [0.6, 0.9]], atol=0.05)
    # the trajectory starts from the box of all runs and the chosen box is on it
    first = found.trajectory.iloc[0]
    assert (first["coverage"], first["mass"], first["restricted"]) == (1.0, 1.0, 0)
    assert first["density"] == pytest.approx(y.mean())
    assert found.trajectory["density"].is_monotonic_increasing
    # CART's densest leaf is the same square, within a slice
    leaf = found.cart.iloc[0]
    assert leaf["density"] > 0.9 and leaf["coverage"] > 0.6
    assert set(re.findall(r"\b[ab]\b", leaf["rule"])) == {"a", "b"}
    # the charts draw into the axes given, and return them
    figure, (left, right) = plt.subplots(1, 2)
    try:
        assert plot_trajectory(found, ax=left) is left and len(left.collections) >= 2
        assert plot_box_limits(found, ax=right) is right and len(right.patches) == 2 * len(found.box)
    finally:
        plt.close(figure)


def test_a_box_of_nothing_is_refused():
    x = pd.DataFrame({"a": np.linspace(0, 1, 50)})
    with pytest.raises(sdecon.SdeconError, match=r"^y is 0 in every row"):
        discover_frame(x, np.zeros(50))
    with pytest.raises(sdecon.SdeconError, match=r"^threshold 1.5 is out of range; allowed: \(0, 1\]"):
        discover_frame(x, np.arange(50) % 2, threshold=1.5)


def _inside(runs, box):
    inside = np.ones(len(runs), dtype=bool)
    for name, limit in box.iterrows():
        inside &= (runs[name] >= limit["lower"]).to_numpy() & (runs[name] <= limit["upper"]).to_numpy()
    return inside


def test_the_box_of_a_real_sweep_agrees_with_counting_its_runs(small_sweep, condition):
    found = discover(small_sweep.directory, condition)
    runs = small_sweep.runs()
    meets = parse_where(condition, [OUTPUT]).holds(runs[OUTPUT])
    assert found.runs == 64 and found.of_interest == meets.sum() > 0
    assert not found.box.empty and set(found.box.index) <= {v.split("=")[0] for v in VARY}
    assert (found.box["unit"] == [sdecon.parameters()[n].unit for n in found.box.index]).all()
    inside = _inside(runs, found.box)
    assert found.coverage == pytest.approx((inside & meets).sum() / meets.sum())
    assert found.density == pytest.approx((inside & meets).sum() / inside.sum())
    assert found.mass == pytest.approx(inside.mean())
    assert found.trajectory.iloc[found.step]["runs"] == inside.sum()
    # each CART leaf counted again from its rule
    for _, leaf in found.cart.iterrows():
        mask = np.ones(len(runs), dtype=bool)
        for clause in leaf["rule"].split(" and ") if leaf["rule"] != "all runs" else []:
            name, operator, value = re.fullmatch(r"(.+) (>|<=) (\S+)", clause).groups()
            mask &= (runs[name] > float(value)) if operator == ">" else (runs[name] <= float(value))
        # the rule prints thresholds to 4 digits: count within one run of the leaf's own
        assert abs(mask.sum() - leaf["runs"]) <= 1
    assert found.cart["runs"].sum() == 64  # the leaves split the runs


def test_discovery_on_some_parameters_uses_only_those(small_sweep, condition):
    found = discover(small_sweep, condition, parameters=["Max Grid Growth Rate"])
    assert list(found.ranges.index) == ["Max Grid Growth Rate"]
    assert set(found.box.index) <= {"Max Grid Growth Rate"}
    assert all(dims in ("", "Max Grid Growth Rate") for dims in found.trajectory["dimensions"])


def _refused(capsys, argv, message):
    code = cli.main(["discover", *argv])
    err = capsys.readouterr().err
    assert code == 2 and err.startswith("sdecon: error: ") and err.count("\n") == 1, err
    assert "Traceback" not in err
    assert re.search(message, err), err


def test_bad_conditions_are_one_line_and_exit_2(small_sweep, capsys, tmp_path):
    sweep = str(small_sweep.directory)
    output = tmp_path / "out"
    _refused(capsys, ["--sweep", sweep, "--where", "Compute Spending Shar of GDP@2040 > 0.01",
                      "--output", str(output)],
             r"--where names the output 'Compute Spending Shar of GDP@2040', not one of the sweep's "
             r"\(did you mean 'Compute Spending Share of GDP@2040'")
    _refused(capsys, ["--sweep", sweep, "--where", f"{OUTPUT} == 0.01"],
             r"--where .* compares with '=='; allowed: >, >=, <, <=")
    _refused(capsys, ["--sweep", sweep, "--where", f"{OUTPUT} 0.01"], r"--where .* is not a condition")
    _refused(capsys, ["--sweep", sweep, "--where", f"{OUTPUT} > 1e9", "--output", str(output)],
             r"--where 'Compute Spending Share of GDP@2040 > 1e\+09' holds in no run of the 64")
    _refused(capsys, ["--sweep", sweep, "--where", f"{OUTPUT} >= 0"], r"holds in every run of the 64")
    _refused(capsys, ["--sweep", str(tmp_path), "--where", f"{OUTPUT} > 0.01"], r"holds no sweep")
    _refused(capsys, ["--sweep", sweep, "--where", f"{OUTPUT} > 0.01", "--param", "Max AI Capex Growth Rat"],
             r"--param: 'Max AI Capex Growth Rat' is not varied in the sweep \(did you mean 'Max AI Capex Growth Rate'")
    _refused(capsys, ["--sweep", sweep, "--where", f"{OUTPUT} > 0.01", "--threshold", "0"],
             r"--threshold 0.0 is out of range")
    assert not output.exists()


def test_the_command_line_prints_the_box_and_writes_its_files(small_sweep, condition, capsys, tmp_path):
    output = tmp_path / "found"
    assert cli.main(["discover", "--sweep", str(small_sweep.directory), "--where", condition,
                     "--output", str(output)]) == 0
    out, err = capsys.readouterr()
    found = discover(small_sweep, condition)
    assert out.startswith(f"PRIM: {condition}: {found.of_interest} of 64 runs meet it")
    assert f"coverage {found.coverage:.3f}, density {found.density:.3f}" in out
    assert "CART:" in out and all(name in out for name in found.box.index)
    assert sorted(p.name for p in output.iterdir()) == sorted(FILES)
    assert err == f"wrote {output}: {', '.join(FILES)}\n"
    box = pd.read_csv(output / "box.csv")
    pd.testing.assert_frame_equal(box.set_index("parameter"), found.box, check_dtype=False)
    summary = pd.read_csv(output / "summary.csv").iloc[0]
    assert summary["coverage"] == pytest.approx(found.coverage) and summary["where"] == condition
    assert len(pd.read_csv(output / "trajectory.csv")) == len(found.trajectory)
    assert (output / "trajectory.png").read_bytes()[:4] == b"\x89PNG"


def test_a_failed_save_leaves_no_file(small_sweep, condition, tmp_path, monkeypatch):
    found = discover(small_sweep, condition)
    output = tmp_path / "found"

    def broken(tmp):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr("sdecon.discovery._csv_writer", lambda table: broken)
    with pytest.raises(sdecon.SdeconError, match="No space left on device"):
        found.save(output)
    assert not output.exists()
