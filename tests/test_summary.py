"""Page one of the report (sdecon/report/summary.py) and what it rests on: the headline and
takeaway computed from the runs, the key numbers against 2024, the reality-check box, the
hero chart, the figures' numbering, the data on the projection charts, the small multiples of
coinciding lines, and drawing on several processes."""
from __future__ import annotations

import functools
import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import sdecon
from sdecon import checks, cli, plotting
from sdecon.report import content, render, sections, summary
from sdecon.report.content import SHARE, Callout, Figure, Section
from sdecon.scenarios import Scenario

SIGMA = "Elasticity of Substitution"


@pytest.fixture(scope="module")
def shipped_runs():
    """The four scenarios of the example report, on the batch engine (as the report runs them)."""
    return {name: sdecon.run(name, engine=True) for name in ("baseline", "jevons", "saturation", "efficiency-shock")}


YEAR = content.HEADLINE_YEAR


def _frame(share_2024: float, share_then: float, rationed_from: int | None = None) -> pd.DataFrame:
    """A run with the columns page one reads: the share rises linearly from 2024 to `YEAR` and
    stays; buyers get all the compute they want, or from `rationed_from` on half of it."""
    years = np.arange(2015, 2051)
    share = np.interp(years, [2015, 2024, YEAR, 2050], [share_2024 / 10, share_2024, share_then, share_then])
    gdp = np.full(len(years), 100_000.0)
    supply = np.where(years >= (rationed_from or 9999), 0.5, 1.0)
    return pd.DataFrame({SHARE: share, "Compute Spending": share * gdp, "GDP": gdp, "Compute Supply Ratio": supply,
                         "Datacenter Capex": 0.01 * gdp, "Price of AI Compute": np.geomspace(1, 1e-4, len(years))},
                        index=pd.Index(years, name="year"))


def _scenario(name: str, sigma: float) -> Scenario:
    return Scenario(name=name, title=name, story="", values={SIGMA: sigma})


def test_headline_ties_the_outcome_to_the_side_of_the_threshold():
    runs = {"high": _frame(0.001, 0.04), "higher": _frame(0.001, 0.05), "low": _frame(0.001, 0.0005)}
    chosen = [_scenario("high", 1.3), _scenario("higher", 1.6), _scenario("low", 0.9)]
    assert summary.headline(runs, chosen) == (
        f"Cheaper, more capable AI raises compute's share of GDP from 0.1% in 2024 to 4-5% by {YEAR} where AI "
        "substitutes for other spending (σ above 1), but lowers it to 0.05% where it complements other spending "
        "(σ below 1).")
    takeaway = summary.takeaway(runs, chosen)
    assert takeaway[0].startswith("In 2024 the world spent about $100 billion on AI compute in use")
    assert takeaway[0].endswith("0.1% of GDP, in the model fitted to the data to 2024.")
    assert "above it (high 1.3, higher 1.6) the share reaches 4-5%" in takeaway[1]
    assert "below it (low 0.9) the share reaches 0.05%" in takeaway[1]
    assert len(takeaway) == 2, "no rationing, no third sentence"


def test_takeaway_says_when_compute_is_rationed_and_one_side_reads_as_one_clause():
    runs = {"a": _frame(0.001, 0.03, rationed_from=YEAR - 3), "b": _frame(0.001, 0.012, rationed_from=YEAR + 5)}
    chosen = [_scenario("a", 1.3), _scenario("b", 1.3)]
    assert summary.headline(runs, chosen) == (f"Cheaper, more capable AI raises compute's share of GDP from 0.1% "
                                              f"in 2024 to 1.2-3% by {YEAR} where AI substitutes for other "
                                              "spending (σ above 1).")
    assert summary.limit_year(runs) == (YEAR - 3, ["a"])
    assert summary.takeaway(runs, chosen)[2].startswith(
        f"By {YEAR - 3} the compute buyers want under a outruns what the grid can power")
    runs["b"] = _frame(0.001, 0.012, rationed_from=YEAR - 1)
    assert summary.limit_year(runs) == (YEAR - 1, ["a", "b"]), "the year by which every rationed one is"


@pytest.mark.parametrize("after, before, shown", [(1.352, 1, "+35.2%"), (0.826, 1, "-17.4%"), (1, 1, "0%"),
                                                   (47.4, 1, "47.4 times"), (1e-5, 1, "< -99.9%"), (1, 0, "")])
def test_changes_read_as_percentages(after, before, shown):
    assert summary.percent_change(after, before) == shown


def test_key_table_has_2024_and_each_scenario_in_the_headline_year(shipped_runs):
    table = summary.key_table(shipped_runs)
    first = next(iter(shipped_runs.values()))
    assert [row[0] for row in table.rows] == ["2024, every scenario"] + [f"{n}, {YEAR}" for n in shipped_runs]
    column = {label: i for i, label in enumerate(table.columns)}
    assert table.rows[0][column["compute spending, % of GDP"]] == content._percent(first.loc[2024, SHARE])
    assert table.rows[0][column["price of AI compute, index (2024 = 1)"]] == "1"
    for row, frame in zip(table.rows[1:], shipped_runs.values()):
        capex_share = frame.loc[YEAR, "Datacenter Capex"] / frame.loc[YEAR, "GDP"]
        assert row[column["datacenter capex, % of GDP"]] == content._percent(capex_share)
        assert row[column["datacenter capex a year"]] == content.money(frame.loc[YEAR, "Datacenter Capex"])
        assert row[column["share of GDP against 2024"]] == summary.percent_change(frame.loc[YEAR, SHARE],
                                                                                   frame.loc[2024, SHARE])


def test_a_failed_reality_check_gets_a_box_naming_it(shipped_runs):
    values = [sdecon.load_scenario("baseline")]
    total, failures = summary.reality(values)
    assert total == len(checks.load()) and failures.empty     # the shipped baseline passes every check
    assert "hold in every year of every scenario" in summary.reality_block(total, failures, ["baseline"])
    tight = [checks.Check("share below a millionth", "{Compute Spending Share of GDP}", "<=", "1e-6", "economic",
                          why="A check no run can pass.")]
    total, failures = summary.reality(values, tight)
    box = summary.reality_block(total, failures, ["baseline"])
    assert isinstance(box, Callout)
    assert box.title.startswith("Implausible: 1 of 1 reality checks fail in 1 of 1 scenarios")
    first = int(failures["first_year"].iloc[0])
    assert box.items[0].startswith(f"baseline: share below a millionth fails in {first}-2050, at worst ")
    assert box.items[0].endswith("A check no run can pass.")


def test_figures_are_numbered_in_reading_order():
    def figure(key, caption):
        return Figure(key, key, caption, draw=lambda **_: None)
    report = [Section("a", "A", [figure("x", "Figure 7. First."), "text"]),
              Section("b", "B", [figure("y", "Second, unnumbered."), figure("z", "Figure 1. Third.")])]
    from sdecon.report import figures
    figures.number_figures(report)
    assert [b.caption for s in report for b in s.blocks if isinstance(b, Figure)] == [
        "Figure 1. First.", "Figure 2. Second, unnumbered.", "Figure 3. Third."]


def test_projection_charts_carry_the_data_that_measure_them():
    from sdecon import data as shipped
    data = shipped.load()
    points = sections.observed_points("Datacenter Capex")
    delloro = points["data: Worldwide datacenter capex (Dell'Oro), at mid-year"]
    rows = data[data["series"] == "global_datacenter_capex_delloro"]
    assert dict(delloro) == pytest.approx({y + 0.5: v for y, v in zip(rows["year"], rows["value"])})
    big4 = points["data: Big-four hyperscaler capex, ÷ 0.586, at mid-year"]
    rows = data[data["series"] == "hyperscaler_capex_big4_calendar_year"].drop_duplicates("year")
    assert big4[2023.5] == pytest.approx(float(rows.set_index("year").loc[2023, "value"]) / 0.586)
    gdp = sections.observed_points("GDP")["data: World GDP, × 1,000, at mid-year"]
    assert gdp[2024.5] == pytest.approx(1000 * float(data[(data["series"] == "world_gdp_nominal")
                                                          & (data["year"] == 2024)]["value"].iloc[0]))
    assert sections.observed_points("Price of AI Compute") == {}, "a level the fit sets is not drawn"


def test_coinciding_lines_get_a_panel_a_group(shipped_runs):
    runs = {name: shipped_runs[name] for name in ("baseline", "jevons", "saturation")}
    # jevons and saturation set only the elasticity, which acts from the base year on
    assert plotting.coinciding(runs, "Hardware Efficiency Multiplier") == [["baseline", "jevons", "saturation"]]
    twin = {**runs, "twin": runs["jevons"].copy()}
    groups = plotting.coinciding(twin, SHARE)
    assert ["jevons", "twin"] in groups and len(groups) == 3
    panels = plotting.plot_panels(twin, SHARE)
    try:
        assert len(panels) == 3
        assert [p.get_legend().get_texts()[0].get_text() for p in panels] == [" = ".join(g) for g in groups]
    finally:
        plotting.plt.close(panels[0].figure)
    section = sections.coinciding_section(twin)
    assert [b.key for b in section.blocks if isinstance(b, Figure)][0] == f"panels-{content._slug(SHARE)}"


def test_hero_chart_is_linear_in_percent_with_the_history_and_a_band(shipped_runs):
    runs = {name: shipped_runs[name] for name in ("baseline", "saturation")}
    band = pd.DataFrame({"variable": SHARE, "year": range(2015, 2051), "p5": 0.001, "p95": 0.002})
    ax = plotting.plot_headline(runs, band=band, band_of="baseline")
    try:
        assert ax.get_yscale() == "linear" and ax.get_ylabel() == "% of GDP"
        labels = [t.get_text() for t in ax.get_legend().get_texts()]
        assert labels[0] == "history (fitted)"
        assert "baseline, 90% band" in labels
        history, = [line for line in ax.get_lines() if line.get_label().startswith("history")]
        assert history.get_xdata()[-1] == 2024
        assert history.get_ydata()[-1] == pytest.approx(100 * runs["baseline"].loc[2024, SHARE])
    finally:
        plotting.plt.close(ax.figure)
    data = plotting.headline_data(runs, 2024, band, "baseline")
    assert list(data.columns) == ["history", "baseline", "saturation", "baseline p5", "baseline p95"]
    assert data.loc[2040, "saturation"] == pytest.approx(100 * runs["saturation"].loc[2040, SHARE])


def test_runs_of_pages_cover_every_page_once_in_order():
    pages = [[("text",)] * n + [("axes",)] * a for n, a in [(80, 0), (10, 1), (5, 1), (60, 0), (0, 2), (3, 1)]]
    runs = render._runs(pages, 4)
    assert [page for _, chunk in runs for page in chunk] == pages
    assert [first for first, _ in runs] == [1 + sum(len(c) for _, c in runs[:i]) for i in range(len(runs))]
    assert 2 <= len(runs) <= 4


# ------------------------------------------------------------------------------ the written report


def _pdftotext(path: Path, page: int) -> str:
    if not shutil.which("pdftotext"):
        pytest.skip("pdftotext (Debian package poppler-utils) is not installed")
    return subprocess.run(["pdftotext", "-f", str(page), "-l", str(page), "-layout", str(path), "-"],
                          capture_output=True, text=True, check=True).stdout


@pytest.fixture(scope="module")
def five(tmp_path_factory):
    """Five shipped scenarios with the shipped posterior: the longest page one."""
    out = tmp_path_factory.mktemp("five") / "report"
    names = "baseline,jevons,saturation,efficiency-shock,infrastructure-limits"
    assert cli.main(["report", "--scenarios", names, "--posterior",
                     "sdecon/calibrations/baseline-2024-posterior.json", "--output", str(out)]) == 0
    return out


def test_page_one_is_one_page_with_the_hero_chart_and_the_answer(five):
    manifest = json.loads((five / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["pdf_pages"]["summary"] == [1, 1], "page one fits one page"
    first = " ".join(_pdftotext(five / "report.pdf", 1).split())
    assert "Compute spending, share of world GDP: history, then scenarios" in first    # the hero chart's title
    assert "Figure 1. Compute spending (training and inference) as a share of world GDP" in first
    assert "data end 2024" in first and "% of GDP" in first
    assert "baseline, 90% band" in first and "90% band given the history" in first
    assert "Cheaper, more capable AI raises compute's share of GDP from" in first
    assert "read with care" in first, "the years the model does not price are marked"
    assert "σ* = 1" in first and "scenarios, not forecasts" in first
    assert "2024, every scenario" in first and "infrastructure-limits," in first      # the key numbers
    page = (five / "report.html").read_text(encoding="utf-8")
    assert f"<td>infrastructure-limits, {YEAR}</td>" in page
    hero = page.index('<figure id="figure-headline">')
    assert page.index('<section id="summary">') < hero < page.index('<section id="findings">')


def test_a_failed_check_shows_on_page_one(tmp_path, monkeypatch):
    tight = [checks.Check("capex below a billion", "{Datacenter Capex}", "<=", "1", "economic",
                          why="No run can pass it.")]
    monkeypatch.setattr(summary, "reality", functools.partial(summary.reality, constraints=tight))
    out = sdecon.write_report(["saturation"], tmp_path / "report")
    page = (out / "report.html").read_text(encoding="utf-8")
    summary_html = page[page.index('<section id="summary">'):page.index('<section id="findings">')]
    assert re.search(r'<aside class="callout" role="note"><p>Implausible: 1 of 1 reality checks fail', summary_html)
    assert "saturation: capex below a billion fails in 2015-2050" in summary_html
    assert "Implausible: 1 of 1 reality checks fail" in " ".join(_pdftotext(out / "report.pdf", 1).split())


def _children() -> set[int]:
    """This process's child processes, by /proc (Linux)."""
    found = set()
    for status in Path("/proc").glob("[0-9]*/status"):
        try:
            fields = dict(line.split(":\t", 1) for line in status.read_text().splitlines() if ":\t" in line)
        except OSError:
            continue
        if int(fields.get("PPid", "0").strip()) == os.getpid():
            found.add(int(status.parent.name))
    return found


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="reads child processes from /proc")
def test_a_workers_failure_ends_the_pool_and_leaves_nothing(tmp_path):
    """A figure that cannot be drawn, drawn by the pool: the error reaches the caller, the
    workers are gone and no part of the PDF or staging directory is left."""
    broken = Figure("broken", "Broken", "Figure 1. Broken.",
                    functools.partial(plotting.plot_scenarios, {}, "Compute Spending"),
                    data=pd.DataFrame({"a": [1.0]}))
    report = [Section("summary", "Summary", ["text", broken]), Section("more", "More", ["text"] * 3)]
    before = _children()
    manifest = {"created_utc": "2026-12-01T00:00:00+00:00", "scenarios": [{"name": "x"}]}
    (tmp_path / "figures").mkdir()
    with pytest.raises(Exception) as caught:
        render.render(report, tmp_path / "figures", tmp_path / "report.pdf", manifest, "footer", "meta",
                      processes=2)
    assert not isinstance(caught.value, AssertionError)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["figures"], "no part of the PDF is left"
    assert _children() <= before | _forkserver(), "the pool's workers are gone"


def _forkserver() -> set[int]:
    """The fork server and multiprocessing's resource tracker: they stay for the life of this
    process, to start the next pool."""
    from multiprocessing import forkserver, resource_tracker
    pids = {getattr(forkserver._forkserver, "_forkserver_pid", None), getattr(resource_tracker._resource_tracker, "_pid", None)}
    return pids - {None}


def test_the_pool_draws_what_one_process_draws(tmp_path, shipped_runs):
    runs = {name: shipped_runs[name] for name in ("baseline", "saturation")}
    report = [summary.summary_section(runs, [sdecon.load_scenario(n) for n in runs]),
              Section("comparison", "Comparison", sections.comparison_figures(runs)[:3])]
    from sdecon.report import figures
    figures.number_figures(report)
    manifest = {"created_utc": "2026-12-01T00:00:00+00:00", "scenarios": [{"name": n} for n in runs]}
    drawn = {}
    for processes in (1, 2):
        folder = tmp_path / str(processes)
        (folder / "figures").mkdir(parents=True)
        drawn[processes] = render.render(report, folder / "figures", folder / "report.pdf", manifest, "footer",
                                         "meta", processes=processes)
    assert drawn[1] == drawn[2], "the same SVGs and page plan"
    for name in ("headline.png", "compute-spending-share-of-gdp.png"):
        assert (tmp_path / "1" / "figures" / name).read_bytes() == (tmp_path / "2" / "figures" / name).read_bytes()
    texts = [[_pdftotext(tmp_path / str(p) / "report.pdf", page) for page in (1, 2)] for p in (1, 2)]
    assert texts[0] == texts[1]


def test_a_script_that_draws_at_its_top_level_runs_once(tmp_path):
    """The pool's workers do not run the calling script again (a fork-server worker would, as
    `__mp_main__`, were `__main__` not hidden while the pool starts)."""
    script = tmp_path / "draw.py"
    script.write_text(f"""
import pathlib
from sdecon.report import render
from sdecon.report.content import Section
print("the script runs", flush=True)
out = pathlib.Path({str(tmp_path)!r})
(out / "figures").mkdir(exist_ok=True)
manifest = {{"created_utc": "2026-12-01T00:00:00+00:00", "scenarios": [{{"name": "x"}}]}}
render.render([Section("a", "A", ["text"]), Section("b", "B", ["text"])], out / "figures", out / "r.pdf",
              manifest, "footer", "meta", processes=2)
""", encoding="utf-8")
    import sys
    done = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.count("the script runs") == 1
    assert (tmp_path / "r.pdf").stat().st_size > 1000


def test_compacted_svgs_keep_their_text_and_their_classes_apart(tmp_path, shipped_runs):
    """Coordinates to 0.01 pt, styles as classes named after the figure, no indentation: the
    same text and hover titles, a valid SVG, and two figures' classes never clash in one page."""
    import xml.etree.ElementTree as ElementTree
    from sdecon.report import figures
    runs = {name: shipped_runs[name] for name in ("baseline", "saturation")}
    drawn = sections.comparison_figures(runs)[:2]
    svgs = [figures.save_figure(f, tmp_path) for f in drawn]

    def texts(svg):
        root = ElementTree.fromstring(svg.encode())
        return [e.text for e in root.iter() if e.tag.endswith(("text", "title")) and e.text]

    for svg in svgs:
        assert not re.search(r'\s(?:d|x|y)="[^"]*\d\.\d{3}', svg), "coordinates to two decimals"
        assert "style=" not in svg.split("</defs>", 1)[1] and "\n " not in svg
        assert any("baseline: 2030" in t for t in texts(svg)), "the hover titles are kept"
    first, second = (set(re.findall(r'class="([^"]+)"', svg)) for svg in svgs)
    assert first and second and not first & second
    assert "Compute Spending Share of GDP" in texts(svgs[0])
