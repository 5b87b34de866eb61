"""Reality checks: the constraints file parses, violations are found where they are, and the
command reports them."""
import numpy as np
import pandas as pd
import pytest

from sdecon import checks, engine
from sdecon.cli import main
from sdecon.errors import SdeconError


def _file(tmp_path, body: str):
    path = tmp_path / "checks.toml"
    path.write_text(body)
    return path


def test_the_shipped_checks_parse_and_name_model_variables():
    found = checks.load()
    assert {c.scope for c in found} == {"any", "economic"}
    assert all(c.why and c.source for c in found)
    assert "no stock negative" in {c.name for c in checks.load(scope="any")}


def test_a_violation_is_listed_with_its_run_year_and_both_sides(tmp_path):
    path = _file(tmp_path, '[[check]]\nname = "small world"\nconstraint = "{GDP} <= 100000"\n'
                           'scope = "economic"\nwhy = "x"\nsource = "y"\n')
    batch = engine.run({"Cost of Capital": [0.1, 0.1]}, variables=["GDP"])
    found = checks.evaluate(checks.load(path), batch, runs=["a", "b"])
    gdp = batch.values["GDP"][:, 0]
    years = np.round(batch.years).astype(int)[gdp > 100000]
    assert len(years) > 0 and set(found["run"]) == {"a", "b"}
    first = found[found["run"] == "a"]
    assert list(first["year"]) == list(years)
    np.testing.assert_allclose(first["left"], gdp[gdp > 100000])
    assert (first["right"] == 100000).all()


def test_bad_checks_are_refused_in_one_line(tmp_path):
    with pytest.raises(SdeconError, match=r"names 'Capex', which is not a model variable"):
        checks.load(_file(tmp_path, '[[check]]\nname = "c"\nconstraint = "{Capex} <= 1"\n'))
    with pytest.raises(SdeconError, match=r"must be LEFT OP RIGHT"):
        checks.load(_file(tmp_path, '[[check]]\nname = "c"\nconstraint = "{GDP} == 1"\n'))
    with pytest.raises(SdeconError, match=r"may use only variables in braces"):
        checks.load(_file(tmp_path, '[[check]]\nname = "c"\nconstraint = "__import__(1) <= {GDP}"\n'))
    with pytest.raises(SdeconError, match=r"scope 'always' is not known"):
        checks.load(_file(tmp_path, '[[check]]\nname = "c"\nconstraint = "{GDP} >= 0"\nscope = "always"\n'))


def test_every_check_holds_over_a_latin_hypercube_of_the_bounds():
    # The economic checks included: the bounds are narrow enough that no parameter set within
    # them tells a story an economist would reject (docs/checks.md).
    violations = checks.check(samples=1000, seed=3)
    assert violations.empty, checks.summarise(violations).to_string()


def test_the_economic_checks_hold_in_every_shipped_scenario():
    violations = checks.check()
    assert violations.empty, checks.summarise(violations).to_string()


def test_the_command_lists_violations_and_exits_one(tmp_path, capsys):
    tight = _file(tmp_path, '[[check]]\nname = "compute under a tenth of a percent"\n'
                            'constraint = "{Compute Spending Share of GDP} <= 0.001"\nyears = [2030, 2040]\n')
    out = tmp_path / "violations.csv"
    status = main(["check", "--scenario", "baseline", "--checks", str(tight), "--output", str(out)])
    printed = capsys.readouterr().out
    table = pd.read_csv(out)
    expected = checks.check(path=tight, scenarios=["baseline"])
    assert status == 1 and len(expected) == 11  # every year 2030-2040 breaks it
    assert len(table) == len(expected)
    assert "compute under a tenth of a percent" in printed
    assert main(["check", "--scenario", "baseline"]) == 0
    assert "checks hold in baseline" in capsys.readouterr().out
    assert main(["check", "--scope", "any", "--scenario", "jevons"]) == 0
    assert "checks hold in jevons" in capsys.readouterr().out
    assert main(["check", "--scenario", "nowhere"]) == 2


def test_a_scenario_object_is_checked_as_its_name_is():
    """check() takes a Scenario too (a report's, with a calibration's values over its own): the
    same violations, labelled by its name."""
    import sdecon
    from sdecon import checks as reality
    tight = [reality.Check("share below a millionth", "{Compute Spending Share of GDP}", "<=", "1e-6", "economic")]
    by_name = reality.check(scenarios=["saturation"], constraints=tight)
    by_object = reality.check(scenarios=[sdecon.load_scenario("saturation")], constraints=tight)
    assert not by_name.empty
    pd.testing.assert_frame_equal(by_object, by_name)
