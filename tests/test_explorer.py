"""The explorer (`sdecon explore`): the model compiled to JavaScript equals the batch engine, and
the page works in headless Chromium: no console error, no network request, a slider moves the
chart, the URL round-trips, the CSV download is the engine's run."""
import json
import re

import numpy as np
import pandas as pd
import pytest

import sdecon
from sdecon import cli, engine, parameter, scenarios
from sdecon.engine.javascript import javascript
from sdecon.engine.parse import parse
from sdecon.errors import SdeconError
from sdecon.forecasts import SHIPPED_POSTERIOR

from test_engine import CONSTRUCTS
from test_vensim_suite import CASES, MATCH

TOLERANCE = 1e-9
SHARE = "Compute Spending Share of GDP"


#: The presets of the explorer under test: the ones the tests use (each costs a forecast).
PRESETS = ["baseline", "jevons", "saturation", "efficiency-shock"]


@pytest.fixture(scope="module")
def explorer(tmp_path_factory):
    """Four shipped scenarios as presets, with the shipped posterior's bands."""
    path = tmp_path_factory.mktemp("explorer") / "explorer.html"
    assert cli.main(["explore", "--scenarios", ",".join(PRESETS), "--posterior", str(SHIPPED_POSTERIOR),
                     "--output", str(path)]) == 0
    return path


@pytest.fixture()
def page(browser, explorer):
    from browser import Page
    opened = Page(browser, explorer.as_uri(), viewport={"width": 1280, "height": 900})
    opened.wait_for_function("() => window.sdeconExplorer !== undefined")
    yield opened
    opened.close()


def assert_equal_runs(ours: dict, theirs: dict, label: str) -> None:
    """Every variable at every saved time within TOLERANCE of the engine's, relative to the
    engine's value (exactly equal where that is zero); NaN and infinities where it has them."""
    assert set(ours) == set(theirs), label
    for name, expected in theirs.items():
        expected = np.asarray(expected, dtype=float)
        got = np.array([np.nan if v is None else v for v in ours[name]], dtype=float)
        np.testing.assert_allclose(got, expected, rtol=TOLERANCE, atol=0, equal_nan=True,
                                   err_msg=f"{label}: {name}")


def _run_in_page(page, values_list):
    return page.evaluate("""(sets) => sets.map(values => {
        const r = SDECON_MODEL.run(values);
        const out = {};
        for (const k in r.values) out[k] = Array.from(r.values[k]);
        return {years: Array.from(r.years), values: out};
    })""", values_list)


def _random_sets(count: int, seed: int) -> list[dict]:
    """Every free parameter drawn within its bounds (log-uniform over wide ones), on the baseline."""
    rng = np.random.default_rng(seed)
    base = scenarios.load("baseline").values
    sets = []
    for _ in range(count):
        values = dict(base)
        for p in parameter.parameters().values():
            if not p.fixed:
                values[p.name] = float(np.exp(rng.uniform(np.log(p.lower), np.log(p.upper))) if p.log_scale
                                       else rng.uniform(p.lower, p.upper))
        sets.append(values)
    return sets


def test_javascript_equals_the_engine_on_every_scenario_and_random_parameter_sets(page):
    sets = {name: dict(scenarios.load(name).values) for name in scenarios.names()}
    sets.update({f"random set {i}": values for i, values in enumerate(_random_sets(20, seed=2026))})
    results = _run_in_page(page, list(sets.values()))
    program = engine.program()
    for (label, values), result in zip(sets.items(), results):
        batch = program.run(values)
        assert result["years"] == batch.years.tolist(), label
        assert_equal_runs(result["values"], {k: v[:, 0] for k, v in batch.values.items()}, label)


def test_javascript_equals_the_engine_on_every_construct_and_the_vensim_suite(browser):
    """The constructs model (delays, smooths, trend, forecast, sample, lookups, INITIAL, ACTIVE
    INITIAL, logicals, -2^2, the time functions) and every suite model the engine compiles."""
    from browser import Page
    models = [CONSTRUCTS, *(case.values[1] for case in CASES if case.values[0] in MATCH)]
    assert len(models) == 1 + len(MATCH)
    opened = Page(browser)
    opened.set_content("<!DOCTYPE html><title>models</title>")
    try:
        for path in models:
            program = engine.compile(path, backend="python")
            source = javascript(parse(path))
            result = opened.evaluate("""(source) => {
                const model = new Function(source + "\\nreturn SDECON_MODEL;")();
                const r = model.run({});
                const out = {};
                for (const k in r.values) out[k] = Array.from(r.values[k]);
                return {years: Array.from(r.years), values: out};
            }""", source)
            batch = program.run()
            np.testing.assert_allclose(result["years"], batch.years, rtol=0, atol=0, err_msg=path.name)
            assert_equal_runs(result["values"], {k: v[:, 0] for k, v in batch.values.items()}, path.name)
        assert opened.errors == []
    finally:
        opened.close()


def test_the_page_loads_with_no_console_error_and_no_network_request(page, explorer):
    assert page.errors == []
    assert page.requests == [explorer.as_uri()], "the page asked for something besides itself"
    assert page.evaluate("() => sdeconExplorer.charts.length") == len(sdecon.PUBLIC_VARIABLES)
    # the report's question in one line, from the run: the share of GDP in 2035 and in 2024
    share = sdecon.run("baseline", engine=True)[SHARE] * 100
    assert page.text_content("#headline") == (f"Compute spending is {share[2035]:.3g}% of GDP in 2035 with these "
                                              f"settings, from {share[2024]:.3g}% in 2024.")
    # and each chart to a screen reader, in words, once the page rests
    page.wait_for_function("() => sdeconExplorer.charts[0].holder.getAttribute('aria-label').includes('2035')")
    assert page.evaluate("() => sdeconExplorer.charts[0].holder.getAttribute('aria-label')") == (
        f"{SHARE}, % of GDP, your settings: " + "; ".join(f"{y} {share[y]:.3g}%" for y in (2024, 2030, 2035, 2050)))
    # every preset is offered, and the controls are labelled
    assert page.evaluate("() => [...document.querySelectorAll('#preset option')].map(o => o.value)") == PRESETS
    unlabelled = page.evaluate("""() => [...document.querySelectorAll('input, select')]
        .filter(i => !(i.labels && i.labels.length)).map(i => i.id)""")
    assert unlabelled == []
    free = [p.name for p in parameter.parameters().values() if not p.fixed]
    assert page.evaluate("() => document.querySelectorAll('input[id^=p-]').length") == len(free)
    # a 0/1 switch of the model is a switch, not a slider with a 0.999 in it
    assert page.get_by_label("Waste Ceiling Switch", exact=True).get_attribute("type") == "checkbox"


def test_moving_a_slider_by_keyboard_changes_the_chart_and_the_link(page):
    before = page.evaluate("() => sdeconExplorer.charts[0].data[1].slice()")
    slider = page.get_by_label("Elasticity of Substitution", exact=True)
    slider.focus()
    for _ in range(20):
        page.keyboard.press("ArrowRight")
    value = page.evaluate("() => sdeconExplorer.state.values['Elasticity of Substitution']")
    assert value > scenarios.load("baseline").values.get("Elasticity of Substitution", 1.3)
    after = page.evaluate("() => sdeconExplorer.charts[0].data[1].slice()")
    assert after != before
    assert "Elasticity+of+Substitution=" in page.url
    # the chart draws the run: the share of GDP in percent of the engine's at the same value
    batch = engine.run({**scenarios.load("baseline").values, "Elasticity of Substitution": value})
    years = page.evaluate("() => sdeconExplorer.charts[0].data[0]")
    drawn = dict(zip(years, after))
    expected = 100 * batch.values[SHARE][:, 0]
    got = np.array([drawn[float(y)] for y in batch.years])
    np.testing.assert_allclose(got, expected, rtol=1e-9)
    timings = page.evaluate("() => sdeconExplorer.timings")
    assert len(timings) == 20 and all(t["drawn"] > 0 for t in timings), "each input is drawn"


def test_a_lever_stays_on_with_its_effect_at_zero_and_a_slider_returns_to_the_presets_value(page):
    lever = page.get_by_role("switch", name="Power and grid build-out")
    lever.check()
    effect = page.get_by_label("Policy Power Buildout Effect", exact=True)
    effect.focus()
    page.keyboard.press("Home")
    assert page.evaluate("() => sdeconExplorer.state.values['Policy Power Buildout Effect']") == 0
    assert lever.is_checked() and effect.is_enabled()
    assert page.evaluate("() => document.activeElement.id") == effect.get_attribute("id"), "focus kept"
    page.keyboard.press("End")
    lever.uncheck()
    assert page.evaluate("() => sdeconExplorer.state.values['Policy Power Buildout Effect']") == 0
    lever.check()  # back on at the value it had, not the suggested one
    assert page.evaluate("() => sdeconExplorer.state.values['Policy Power Buildout Effect']") == 2
    # a calibrated value is off the slider's grid: one step there and back gives it back exactly
    rate = page.get_by_label("Cloud Shift Rate", exact=True)
    rate.focus()
    page.keyboard.press("ArrowRight")
    page.keyboard.press("ArrowLeft")
    assert page.evaluate("() => sdeconExplorer.state.values['Cloud Shift Rate']") == \
        scenarios.load("baseline").values["Cloud Shift Rate"]
    assert "Cloud+Shift+Rate" not in page.url


def test_the_javascript_run_refuses_a_clock_it_cannot_run(page):
    message = page.evaluate("""() => { try { SDECON_MODEL.run({}, {finalTime: 2000}); return "ran"; }
                                       catch (error) { return error.message; } }""")
    assert message == "FINAL TIME 2000 must be a number no earlier than INITIAL TIME 2015"


def test_the_link_reproduces_the_view_and_a_bad_link_is_explained(page, browser, explorer):
    from browser import Page
    page.get_by_label("Adoption Delay", exact=True).press("End")
    page.select_option("#preset", "jevons")
    page.go_back()  # a change of preset is a step Back undoes, edits included
    page.wait_for_function("() => sdeconExplorer.state.preset === 'baseline'")
    assert page.evaluate("() => sdeconExplorer.state.values['Adoption Delay']") == 5
    page.select_option("#preset", "jevons")
    page.select_option("#compare", "saturation")
    page.get_by_label("Hardware Growth Rate", exact=True).fill("140")
    page.get_by_role("switch", name="Power and grid build-out").check()
    state = page.evaluate("() => JSON.stringify(sdeconExplorer.state)")
    data = page.evaluate("() => sdeconExplorer.data()")
    fragment = page.url.split("#", 1)[1]
    assert "preset=jevons" in fragment and "compare=saturation" in fragment
    again = Page(browser, f"{explorer.as_uri()}#{fragment}")
    try:
        again.wait_for_function("() => window.sdeconExplorer !== undefined")
        assert again.evaluate("() => JSON.stringify(sdeconExplorer.state)") == state
        assert again.evaluate("() => sdeconExplorer.data()") == data
        assert again.evaluate("() => sdeconExplorer.charts[0].data") == data[0], "and draws it"
        assert again.evaluate("() => document.getElementById('notice').hidden")
        assert again.errors == []
    finally:
        again.close()
    bad = Page(browser, f"{explorer.as_uri()}#preset=nope&Elasticity+of+Substitution=9&Nonsense=1")
    try:
        bad.wait_for_function("() => window.sdeconExplorer !== undefined")
        notice = bad.evaluate("() => document.getElementById('notice').textContent")
        assert 'preset "nope" is not in this explorer' in notice
        assert "Elasticity of Substitution = 9 is not a number in [0.2, 3]" in notice
        assert '"Nonsense" is not a parameter' in notice
        assert bad.evaluate("() => sdeconExplorer.state.preset") == PRESETS[0]
        assert bad.errors == []
    finally:
        bad.close()


def test_the_csv_download_is_the_engines_run_for_the_same_settings(page, tmp_path):
    page.select_option("#preset", "efficiency-shock")
    page.get_by_label("Efficiency Shock Year", exact=True).fill("2030")
    page.get_by_label("Adoption Delay", exact=True).press("End")
    with page.expect_download() as download:
        page.click("#download")
    path = tmp_path / download.value.suggested_filename
    download.value.save_as(path)
    assert path.name == "sdecon-efficiency-shock-custom.csv"
    table = pd.read_csv(path, index_col="year")
    settings = page.evaluate("() => sdeconExplorer.state.values")
    assert settings["Efficiency Shock Year"] == 2030 and settings["Adoption Delay"] == 5
    expected = sdecon.run("efficiency-shock", settings, engine=True)
    assert list(table.columns) == list(expected.columns)
    assert table.index.tolist() == expected.index.tolist()
    assert_equal_runs({c: table[c].tolist() for c in table}, {c: expected[c].to_numpy() for c in expected}, "csv")


def test_the_band_is_the_presets_posterior_band(page):
    page.select_option("#preset", "jevons")
    data = page.evaluate("() => sdeconExplorer.charts[0].data")
    years, low, high = data[0], data[3], data[4]
    bands = sdecon.forecast("jevons", SHIPPED_POSTERIOR).bands
    rows = bands[bands["variable"] == SHARE].set_index("year")
    for year, lo, hi in zip(years, low, high):
        assert lo == pytest.approx(100 * rows.loc[int(year), "p5"], rel=1e-3)
        assert hi == pytest.approx(100 * rows.loc[int(year), "p95"], rel=1e-3)


def test_the_band_for_your_settings_is_the_forecast_of_those_settings(page):
    import dataclasses
    page.select_option("#preset", "jevons")
    page.get_by_label("Elasticity of Substitution", exact=True).fill("150")  # position 150 of 200
    value = page.evaluate("() => sdeconExplorer.state.values['Elasticity of Substitution']")
    page.click("#band")
    page.wait_for_function("() => sdeconExplorer.ownBand", timeout=60_000)
    assert "your settings: 90% band over 400 posterior draws" in page.text_content("#key")
    jevons = scenarios.load("jevons")
    mine = dataclasses.replace(jevons, values={**jevons.values, "Elasticity of Substitution": value})
    bands = sdecon.forecast(mine, SHIPPED_POSTERIOR).bands
    for index, variable, factor in ((0, SHARE, 100), (2, "Datacenter Capex", 1e-3)):
        data = page.evaluate(f"() => sdeconExplorer.charts[{index}].data")
        assert page.evaluate(f"() => sdeconExplorer.charts[{index}].chartSpec.variable") == variable
        rows = bands[bands["variable"] == variable].set_index("year")
        drawn = {year: (lo, hi) for year, lo, hi in zip(data[0], data[3], data[4])}
        for column, k in (("p5", 0), ("p95", 1)):
            expected = factor * rows[column].to_numpy()
            got = np.array([drawn[float(y)][k] for y in rows.index])
            np.testing.assert_allclose(got, expected, rtol=TOLERANCE, atol=0, err_msg=f"{variable} {column}")
    # moving a slider again drops the band for the old settings, back to the preset's as shipped
    page.get_by_label("Elasticity of Substitution", exact=True).fill("100")
    assert not page.evaluate("() => sdeconExplorer.ownBand")
    assert "jevons as shipped: 90% band" in page.text_content("#key")


def test_the_explorer_is_one_file_with_its_librarys_licence(explorer):
    text = explorer.read_text(encoding="utf-8")
    assert "Copyright (c) 2022 Leon Sorokin" in text and "uPlot (v1.6.32)" in text
    assert not re.search(r"""(src|href)=["']https?:""", text), "nothing is fetched"
    payload = json.loads(re.search(r"var SDECON_DATA = (\{.*?\});\n", text).group(1))
    assert [p["name"] for p in payload["presets"]] == PRESETS
    assert {p["group"] for p in payload["parameters"]} >= {"Key assumptions", "Policy levers", "Capex"}


def test_by_default_every_shipped_scenario_is_a_preset_and_without_a_posterior_no_band():
    from sdecon.explorer import payload
    data = payload()
    assert [p["name"] for p in data["presets"]] == scenarios.names()
    assert data["bands"] == {} and data["posterior"] is None


def test_a_forecast_the_caller_has_gives_the_band_without_computing_it_again(monkeypatch):
    import types

    import sdecon.forecasts
    from sdecon.explorer import payload
    bands = sdecon.forecast("jevons", SHIPPED_POSTERIOR).bands
    known = {"jevons": types.SimpleNamespace(bands=bands.assign(p5=bands["p5"] * 2))}
    monkeypatch.setattr(sdecon.forecasts, "forecast", lambda *a, **k: pytest.fail("computed again"))
    band = payload(["jevons"], SHIPPED_POSTERIOR, known)["bands"]["jevons"][SHARE]
    rows = bands[bands["variable"] == SHARE]
    np.testing.assert_allclose(band["p5"], 2 * rows["p5"].to_numpy(), rtol=1e-3)


def test_bad_input_is_refused_in_one_line_and_writes_nothing(tmp_path, capsys):
    target = tmp_path / "x.html"
    with pytest.raises(SdeconError, match=r"unknown scenario 'nope'; allowed: baseline"):
        sdecon.explore(["nope"], output=target)
    with pytest.raises(SdeconError, match=r"'baseline' is given twice"):
        sdecon.explore(["baseline", "baseline"], output=target)
    assert cli.main(["explore", "--scenarios", "jevons,jevons", "--output", str(target)]) == 2
    assert capsys.readouterr().err == ("sdecon: error: --scenarios: 'jevons' is given twice; "
                                       "name each scenario once\n")
    assert cli.main(["explore", "--scenarios", " ,", "--output", str(target)]) == 2
    assert "--scenarios: no scenario given" in capsys.readouterr().err
    with pytest.raises(SdeconError, match=r"has extension '\.pdf'; allowed: \.html, \.htm"):
        sdecon.explore(output=tmp_path / "x.pdf")
    assert cli.main(["explore", "--posterior", str(tmp_path / "none.json"), "--output", str(target)]) == 2
    error = capsys.readouterr().err
    assert error.count("\n") == 1 and "posterior file" in error and "not found" in error
    assert list(tmp_path.iterdir()) == []


def test_the_report_links_the_explorer_it_writes(tmp_path, monkeypatch):
    from sdecon.report import sections
    every = sections.comparison_figures
    monkeypatch.setattr(sections, "comparison_figures", lambda runs: every(runs)[:1])
    out = sdecon.write_report(["baseline", "jevons"], tmp_path / "r", explorer=True)
    html = (out / "report.html").read_text(encoding="utf-8")
    assert '<a href="explorer.html">Open the interactive explorer</a>' in html
    page = (out / "explorer.html").read_text(encoding="utf-8")
    payload = json.loads(re.search(r"var SDECON_DATA = (\{.*?\});\n", page).group(1))
    assert [p["name"] for p in payload["presets"]] == ["baseline", "jevons"]
    assert "explorer.html" in json.loads((out / "manifest.json").read_text())["files"]
