"""Reports: every file written, values equal to the runs, self-contained HTML, a PDF with the
summary first, figures with titles and units, and the report as a person sees it (PDF pages
turned into images, the HTML opened in headless Chromium).

One four-scenario report is built per session through the `report` subcommand and checked
many ways; the error tests stop before any run. The tests use the public functions only:
`sdecon.report.write_report`, `sdecon.cli.main`, `sdecon.plotting` and the report's modules'
public names.
"""
from __future__ import annotations

import collections
import functools
import hashlib
import html
import io
import json
import os
import re
import shutil
import subprocess
import sys
import urllib.parse
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from pictures import source_line_drawn

import sdecon
import sdecon.calibration
import sdecon.forecasts
import sdecon.simulation
from sdecon import cli, model, plotting
from sdecon.errors import SdeconError
from sdecon.report import content, excel, figures, render, sections, sensitivity, write_report
from sdecon.report import html as report_html

SCENARIOS = ["baseline", "jevons", "saturation", "efficiency-shock"]
# The results, then the detail in lettered appendices (the four-scenario report has no
# calibration, so its first appendix is the small multiples of coinciding lines).
SECTION_TITLES = {"summary": "Summary", "findings": "Findings", "scenarios": "Scenarios",
                  "drivers": "What drives the outcome", "comparison": "Scenario comparison",
                  "panels": "Appendix A: Lines that coincide", "seed004": "Appendix B: Seed 004 by its own method",
                  "assumptions": "Appendix C: Assumptions", "data": "Appendix D: Data sources",
                  "manifest": "Appendix E: Manifest"}


def _sha256(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def _tree_hash(folder: Path) -> str:
    """SHA-256 of a directory's files, each as its relative path, a NUL and its SHA-256, in order."""
    files = sorted(p for p in folder.rglob("*") if p.is_file())
    return hashlib.sha256(b"".join(f"{p.relative_to(folder).as_posix()}\0{_sha256(p)}".encode()
                                   for p in files)).hexdigest()


def _slug(text: str) -> str:
    """A figure's file stem: its name in lower case, runs of other characters as one '-'."""
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def _close(item) -> None:
    """Close the matplotlib figure of a figure or of an axes."""
    import matplotlib.pyplot as plt

    plt.close(getattr(item, "figure", item))


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """The four-scenario report, written by `sdecon report`."""
    out = tmp_path_factory.mktemp("report") / "example"
    assert cli.main(["report", "--scenarios", ",".join(SCENARIOS), "--output", str(out)]) == 0
    return out


@pytest.fixture(scope="module")
def manifest(built):
    return json.loads((built / "manifest.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def runs():
    long = sdecon.run_scenarios(SCENARIOS)
    return {name: frame.drop(columns="scenario").set_index("year") for name, frame in long.groupby("scenario")}


def _pdf_page_count(path: Path) -> int:
    """Pages in a PDF, as pypdf reads them."""
    from pypdf import PdfReader
    return len(PdfReader(path).pages)


def _pdftotext(path: Path, page: int) -> str:
    if not shutil.which("pdftotext"):
        pytest.skip("pdftotext (Debian package poppler-utils) is not installed")
    return subprocess.run(["pdftotext", "-f", str(page), "-l", str(page), "-layout", str(path), "-"],
                          capture_output=True, text=True, check=True).stdout


# ------------------------------------------------------------------------------ files


def test_every_file_is_written_and_listed_in_the_manifest(built, manifest, runs):
    for name in ("report.html", "report.pdf", "results.xlsx", "manifest.json"):
        assert (built / name).stat().st_size > 1000, name
    coinciding = [v for v in sdecon.PUBLIC_VARIABLES if 1 < len(plotting.coinciding(runs, v)) < len(runs)]
    stems = ({_slug(v) for v in sdecon.PUBLIC_VARIABLES} | {f"panels-{_slug(v)}" for v in coinciding}
             | {"headline"} | {f"drivers-{k}" for k in ("sigma-response", "waterfall", "jevons", "capex-share")})
    assert {p.name for p in (built / "figures").iterdir()} == {f"{s}.{ext}" for s in stems for ext in ("png", "svg")}
    written = sorted(p.relative_to(built).as_posix() for p in built.rglob("*") if p.is_file())
    assert manifest["files"] == written
    assert not [p for p in built.parent.iterdir() if p.name.startswith(".")], "temporary files left behind"


def test_the_committed_example_report_is_small_and_current():
    """reports/example stays under 2 MB and was written by this model file and sdecon version
    (regenerate it with its manifest's command line when either changes)."""
    example = Path(__file__).resolve().parent.parent / "reports" / "example"
    assert sum(p.stat().st_size for p in example.rglob("*") if p.is_file()) < 2_000_000
    written = json.loads((example / "manifest.json").read_text(encoding="utf-8"))
    assert written["model"]["sha256"] == model.model_hash()
    assert written["command_line"].startswith("sdecon report --scenarios baseline,jevons,saturation,efficiency-shock")
    assert {p.relative_to(example).as_posix() for p in example.rglob("*") if p.is_file()} == set(written["files"])


def test_manifest_says_what_produced_the_report(built, manifest):
    assert manifest["generator"] == content.GENERATOR
    assert manifest["sdecon_version"] == sdecon.__version__
    assert manifest["model"] == {"path": "models/ai_compute_economy.mdl", "sha256": model.model_hash()}
    assert [s["name"] for s in manifest["scenarios"]] == SCENARIOS
    for entry in manifest["scenarios"]:
        scenario = sdecon.load_scenario(entry["name"])
        assert entry["files"][0]["path"] == f"sdecon/scenarios/{entry['name']}.toml"
        assert entry["files"][0]["sha256"] == _sha256(scenario.path)
        calibration = getattr(scenario, "calibration", None)
        # its base's file and its calibration file too
        assert len(entry["files"]) == 1 + bool(scenario.base) + bool(calibration)
        if calibration:
            assert entry["files"][-1]["sha256"] == _sha256(calibration)
    assert manifest["calibration"] is None and manifest["sweep"] is None
    assert manifest["command_line"] == f"sdecon report --scenarios {','.join(SCENARIOS)} --output {built}"
    assert pd.Timestamp(manifest["created_utc"]).tzname() == "UTC"
    assert manifest["python"] and manifest["pysd"]


# ------------------------------------------------------------------------------ Excel


def test_excel_scenario_sheets_equal_the_runs_exactly(built, manifest, runs):
    sheets = pd.read_excel(built / "results.xlsx", sheet_name=None, engine="openpyxl")
    assert all(len(name) <= 31 for name in sheets)
    assert {"key numbers", "parameters", "data sources", "historical data", "seed 004", "manifest"} <= set(sheets)
    for entry in manifest["scenarios"]:
        sheet = sheets[entry["sheet"]].set_index("year")
        expected = runs[entry["name"]][list(sdecon.PUBLIC_VARIABLES)]
        assert list(sheet.columns) == [excel.column_header(v) for v in sdecon.PUBLIC_VARIABLES]
        assert all("[" in c and c.endswith("]") for c in sheet.columns)   # units in the header
        sheet.columns = [re.sub(r" \[.*\]$", "", c) for c in sheet.columns]
        # pandas turns whole-number floats (Installed Compute, above 2**53) into ints; back to
        # float is exact, so the comparison stays exact.
        pd.testing.assert_frame_equal(sheet.astype(float), expected, check_exact=True, check_names=False)


def test_excel_key_numbers_and_parameters(built, runs):
    sheets = pd.read_excel(built / "results.xlsx", sheet_name=None, engine="openpyxl")
    key = sheets["key numbers"]
    assert len(key) == len(content.KEY_VARIABLES) * len(SCENARIOS)
    for row in key.itertuples(index=False):
        # The price as the report shows it: its index, each run over its value in 2024
        run = runs[row.scenario][row.variable]
        run = run / run.loc[plotting.PRICE_YEAR] if row.variable == plotting.PRICE else run
        for year in content.KEY_YEARS:
            assert getattr(row, f"_{3 + content.KEY_YEARS.index(year)}") == run.loc[year]
    params = sheets["parameters"].set_index("parameter")
    table = sdecon.parameter_table()
    assert list(params.index) == list(table.index)
    assert (params[["default", "lower", "upper", "source"]].values == table.drop(columns="unit").values).all()
    assert list(params["unit"]) == [content.parameter_unit(u) for u in table["unit"]]   # no "Dmnl"
    for name in SCENARIOS:
        scenario = sdecon.load_scenario(name)
        assert params[name].to_dict() == {p: scenario.values.get(p, table.loc[p, "default"]) for p in table.index}
    sources = sheets["data sources"]
    assert {"file", "series", "unit", "years", "points", "source", "confidence"} == set(sources.columns)
    assert "seed004_published.csv" in set(sources["file"])
    history = sheets["historical data"]
    assert sources["points"].sum() == len(history) + len(sdecon.seed004.published())



def test_excel_cells_are_numbers_in_a_readers_format_one_table_a_sheet(built):
    from openpyxl import load_workbook
    book = load_workbook(built / "results.xlsx")
    for sheet in book.worksheets:
        assert sheet.freeze_panes == "A2" and sheet.auto_filter.ref == sheet.dimensions, sheet.title
        blank = [r for r in range(2, sheet.max_row + 1) if all(c.value is None for c in sheet[r])]
        assert not blank, f"{sheet.title}: a blank row, so more than one table"
    baseline = book["baseline"]
    header = [c.value for c in baseline[1]]
    for variable, wanted in (("Compute Spending Share of GDP", excel.PERCENT), ("Datacenter Capex", excel.THOUSANDS),
                             ("Price of AI Compute", excel.SCIENTIFIC)):
        column = header.index(excel.column_header(variable)) + 1
        cells = [baseline.cell(row=r, column=column) for r in range(2, baseline.max_row + 1)]
        assert all(c.data_type == "n" and c.number_format == wanted for c in cells), variable
    key = book["key numbers"]
    rows = [[c for c in row] for row in key.iter_rows(min_row=2)]
    share = [r for r in rows if r[0].value == "Compute Spending Share of GDP"]
    assert share and all(r[1].value == "% of GDP" for r in share)
    assert all(c.number_format == excel.PERCENT and c.data_type == "n" for r in share for c in r[3:])
    seed = book["seed 004"]
    published = [c.value for c in next(seed.iter_cols(min_col=5, max_col=5, min_row=2))]
    texts = list(sdecon.seed004.compare()["published"])
    numeric = [t for t in texts if re.fullmatch(r"-?\d+(\.\d+)?", t)]
    assert numeric and len(numeric) < len(texts)  # some are words, "low teens"
    assert [float(t) if t in numeric else t for t in texts] == published  # numbers as numbers, words as words


# ------------------------------------------------------------------------------ HTML


class _References(HTMLParser):
    """Every URL-bearing attribute, tag, id and CSS url()/@import in a page."""

    ATTRIBUTES = {"src", "href", "xlink:href", "srcset", "poster", "data", "action", "background", "formaction"}

    def __init__(self):
        super().__init__()
        self.urls, self.tags, self.css, self.ids = [], [], [], []
        self._in_style = False

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        self._in_style = tag == "style"
        for name, value in attrs:
            if name in self.ATTRIBUTES:
                self.urls.append(value or "")
            if name == "style":
                self.css.append(value or "")
            if name == "id":
                self.ids.append(value)
            if value and "url(#" in value:
                self.urls += re.findall(r"url\((#[^)]*)\)", value)

    handle_startendtag = handle_starttag

    def handle_endtag(self, tag):
        if tag == "style":
            self._in_style = False

    def handle_data(self, data):
        if self._in_style:
            self.css.append(data)


def _outside(urls, report: Path) -> list[str]:
    """The links that reach beyond the page: not an anchor, not a data: URL and not a file of the
    report itself (a figure's PNG or SVG, linked from its caption)."""
    return [u for u in urls if not (u.startswith("#") or u.startswith("data:")
                                    or (u.startswith("figures/") and (report / u).is_file()))]


def test_html_is_self_contained(built):
    page = (built / "report.html").read_text(encoding="utf-8")
    found = _References()
    found.feed(page)
    assert found.urls, "the parser found no link at all"
    assert not _outside(found.urls, built), "nothing but the page itself and the report's own files"
    assert not {"script", "iframe", "object", "embed", "img"} & set(found.tags)
    assert found.tags.count("svg") == len(list((built / "figures").glob("*.svg")))   # figures inline
    css = "\n".join(found.css)
    assert "@import" not in css and "@font-face" not in css
    assert all(u.strip("'\" ").startswith("data:") for u in re.findall(r"url\(([^)]*)\)", css))


def test_html_ids_are_unique_and_every_reference_finds_one(built):
    found = _References()
    found.feed((built / "report.html").read_text(encoding="utf-8"))
    repeated = [i for i, n in collections.Counter(found.ids).items() if n > 1]
    assert not repeated, sorted(repeated)[:10]
    # The SVGs keep the ids something refers to (clip paths, markers) and the hover groups, prefixed with
    # the figure's key; matplotlib's names for the other groups are dropped (figures._compact).
    hover = [i for i in found.ids if re.fullmatch(r".+-hover-\d+", i)]
    assert len(hover) >= len(sdecon.PUBLIC_VARIABLES) * len(SCENARIOS)
    assert not {u[1:] for u in found.urls if u.startswith("#")} - set(found.ids)


def _csv_links(page: str) -> dict[str, pd.DataFrame]:
    """The table in each figure's 'Data (CSV)' link, by figure key."""
    links = {}
    for key, figure in re.findall(r'<figure id="figure-([^"]+)">(.*?)</figure>', page, flags=re.S):
        match = re.search(r'<a class="data" download="([^"]+)" href="data:text/csv;charset=utf-8,([^"]*)">'
                          r"Data \(CSV\)</a>", figure)
        if match:
            assert match.group(1) == f"{key}.csv"
            table = pd.read_csv(io.StringIO(urllib.parse.unquote(match.group(2))), index_col=0)
            links[key] = table.rename(columns=lambda c: re.sub(r" \[[^]]*\]$", "", c))   # the unit apart
    return links


def test_html_figure_data_link_holds_the_data_to_four_figures():
    data = pd.DataFrame({"a b": [1234567.0, float("nan")], "c,d": [0.000123456, -2.0]},
                        index=pd.Index([2030, 2040], name="year"))
    figure = content.Figure("k", "K", "Caption.", draw=None, data=data)
    page = report_html.render([content.Section("s", "S", [figure, content.Figure("n", "N", "None.", None)])],
                              {"k": "<svg ></svg>", "n": "<svg ></svg>"}, "meta")
    links = _csv_links(page)
    assert list(links) == ["k"]         # a figure without data has no link
    pd.testing.assert_frame_equal(links["k"], data, rtol=5e-4)
    assert "1.235e%2B06" in page and "0.0001235" in page    # 4 significant figures, not 17


def test_html_comparison_figures_link_their_runs(built, runs):
    """Each comparison chart's CSV holds the runs in the units the chart shows (and the data
    drawn on it, at their own dates)."""
    links = _csv_links((built / "report.html").read_text(encoding="utf-8"))
    assert {_slug(v) for v in sdecon.PUBLIC_VARIABLES} <= set(links)
    for variable in sdecon.PUBLIC_VARIABLES:
        frame = pd.DataFrame({name: runs[name][variable] for name in SCENARIOS})
        expected = plotting.reader_values(variable, frame).values
        got = links[_slug(variable)]
        got = got.loc[got.index.isin(expected.index), SCENARIOS]
        pd.testing.assert_frame_equal(got, expected, rtol=5e-4, check_dtype=False, check_names=False,
                                      check_index_type=False)
    capex = links[_slug("Datacenter Capex")]
    delloro = capex["data: Worldwide datacenter capex (Dell'Oro), at mid-year"].dropna()
    assert delloro.loc[2023.5] == pytest.approx(0.260, rel=1e-3), "USD trillion, as the chart"


def test_html_comparison_lines_name_scenario_and_values_on_hover(built, runs):
    page = (built / "report.html").read_text(encoding="utf-8")
    for variable in (content.SHARE, "Compute Spending"):
        figure = page[page.index(f'<figure id="figure-{_slug(variable)}">'):]
        figure = figure[:figure.index("</figure>")]
        unit = plotting.unit_label(variable)
        for name in SCENARIOS:
            values = ", ".join(f"{y} {content.number(runs[name].loc[y, variable], unit)}" for y in (2030, 2040, 2050))
            assert f"<title>{name}: {values}</title>" in figure


def test_html_has_every_section_and_the_key_numbers(built, runs):
    page = (built / "report.html").read_text(encoding="utf-8")
    for section_id, title in SECTION_TITLES.items():
        assert f'<section id="{section_id}">\n<h2>{title}</h2>' in page
    assert page.index('id="summary"') < page.index('id="scenarios"')
    share = runs["jevons"].loc[2040, content.SHARE]
    assert re.search(rf'<td class="num[^"]*">{re.escape(content.fmt(100 * share))}%</td>', page)


def test_html_escapes_all_text():
    section = content.Section("x", "A <b> & \"c\"", ["<script>alert(1)</script>",
                                                    content.Table(["<th>"], [["<td>"]])])
    page = report_html.render([section], {}, "meta <i>")
    assert "<script>" not in page and "&lt;script&gt;" in page
    assert "&lt;th&gt;" in page and "&lt;td&gt;" in page and "meta &lt;i&gt;" in page


# ------------------------------------------------------------------------------ PDF


def _check_pdf_sections(pdf: Path, plan: dict, titles: dict) -> None:
    """The sections in order, tiling the pages; each starts a page with its title, and each
    further page of it says '(continued)'."""
    assert list(plan) == list(titles)
    assert plan["summary"] == [1, 1], "the summary is one page, the first"
    pages = [p for span in plan.values() for p in range(span[0], span[1] + 1)]
    assert pages == list(range(1, _pdf_page_count(pdf) + 1)), "sections tile the pages in order"
    for section_id, (start, end) in plan.items():
        title = titles[section_id]
        lines = [line.strip() for line in _pdftotext(pdf, start).splitlines() if line.strip()]
        assert title in lines[:4], (title, lines[:4])   # under the report's title on page 1
        for page in range(start + 1, end + 1):
            lines = [line.strip() for line in _pdftotext(pdf, page).splitlines() if line.strip()]
            assert lines[0] == f"{title} (continued)"


def test_pdf_summary_first_and_each_section_on_its_own_pages(built, manifest):
    pdf = built / "report.pdf"
    first, second = _pdftotext(pdf, 1), _pdftotext(pdf, 2)
    assert "Summary" in first and "Cheaper, more capable AI" in first and "scenarios, not forecasts" in first
    for text in [*SCENARIOS, "2024", str(content.HEADLINE_YEAR)]:
        assert text in first
    assert "Findings" in second and "Key numbers by year" in second and "What separates the scenarios" in second
    for text in [*SCENARIOS, *content.KEY_VARIABLES, *map(str, content.KEY_YEARS)]:
        assert text in second
    _check_pdf_sections(pdf, manifest["pdf_pages"], SECTION_TITLES)


def test_pdf_metadata(built, manifest):
    from pypdf import PdfReader
    info = PdfReader(built / "report.pdf").metadata
    assert info.title == content.TITLE and info.author == "sdecon"
    assert info.keywords == ", ".join(SCENARIOS)
    assert info.creation_date == pd.Timestamp(manifest["created_utc"]).to_pydatetime()


def _nonblank(png: Path) -> bool:
    import matplotlib.image

    pixels = matplotlib.image.imread(png)[..., :3]
    return float(pixels.std()) > 0.02 and float(pixels.min()) < 0.5


def test_pdf_pages_render_as_images(built, tmp_path, manifest):
    if not shutil.which("pdftoppm"):
        pytest.skip("pdftoppm (Debian package poppler-utils) is not installed")
    subprocess.run(["pdftoppm", "-png", "-r", "50", str(built / "report.pdf"), str(tmp_path / "page")],
                   check=True, capture_output=True)
    images = sorted(tmp_path.glob("page-*.png"))
    assert len(images) == manifest["pdf_pages"]["manifest"][1]
    assert all(_nonblank(image) for image in images)


# ------------------------------------------------------------------------------ figures


def test_figures_have_titles_axis_labels_units_and_legends(runs):
    frames = {name: runs[name] for name in SCENARIOS}
    comparison = sections.comparison_figures(frames)
    assert [f.title for f in comparison][:4] == list(content.KEY_VARIABLES)
    assert sorted(f.title for f in comparison) == sorted(sdecon.PUBLIC_VARIABLES)
    for figure in comparison:
        fig = figures.render_figure(figure)
        try:
            (ax,) = fig.axes
            assert ax.get_title().startswith(figure.title)
            assert ax.get_xlabel() == "year"
            drawn = plotting.reader_values(figure.title, figure.data)
            assert ax.get_ylabel() == drawn.label and ax.get_ylabel()
            observed = sections.observed_points(figure.title)      # the data drawn with the runs
            assert [t.get_text() for t in ax.get_legend().get_texts()] == SCENARIOS + list(observed)
            values = pd.concat([frame[figure.title] for frame in frames.values()] + list(observed.values()))
            assert (ax.get_yscale() == "log") == (values.max() / values.min() > plotting.LOG_SPAN)
        finally:
            _close(fig)
    assert plotting.unit_label("Compute Spending") == "USD trillion per year"
    assert plotting.unit_label("Compute Spending Share of GDP") == "% of GDP"
    assert plotting.unit_label("Price of AI Compute") == plotting.PRICE_WORDS


def test_figure_files_carry_their_title_and_unit(built):
    for variable in sdecon.PUBLIC_VARIABLES:
        svg = (built / "figures" / f"{_slug(variable)}.svg").read_text(encoding="utf-8")
        label = plotting.unit_label(variable) if variable != plotting.PRICE else plotting.PRICE_INDEX
        assert variable in svg and all(line in svg for line in label.split("\n")) and ">year<" in svg
        assert f"Source: sdecon {sdecon.__version__} (model SHA-256 {model.model_hash()[:12]})" in svg
        assert (built / "figures" / f"{_slug(variable)}.png").read_bytes()[:4] == b"\x89PNG"
        assert source_line_drawn(built / "figures" / f"{_slug(variable)}.png", figures.FIGURE_DPI)


# ------------------------------------------------------------------------------ Chromium


def _chromium(tmp_path: Path) -> list[str]:
    """Headless Chromium's command line, its profile in `tmp_path`; skips the test without it."""
    chromium = shutil.which("chromium") or ("/usr/bin/chromium" if os.path.exists("/usr/bin/chromium") else None)
    if not chromium:
        pytest.skip("Chromium is not installed (Debian: apt-get install chromium); .ci/run installs it")
    return [chromium, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
            f"--user-data-dir={tmp_path / 'profile'}", "--no-first-run", "--disable-extensions",
            "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def test_html_in_headless_chromium(built, tmp_path):
    chromium = _chromium(tmp_path)
    shot, netlog = tmp_path / "screenshot.png", tmp_path / "netlog.json"
    result = subprocess.run(
        [*chromium, "--enable-logging=stderr", "--v=0", f"--log-net-log={netlog}",
         f"--screenshot={shot}", "--window-size=1280,2000", (built / "report.html").as_uri()],
        capture_output=True, text=True, timeout=180)
    assert result.returncode == 0, result.stderr[-2000:]
    console = [line for line in result.stderr.splitlines() if "CONSOLE" in line or "Uncaught" in line]
    assert not console, console
    assert shot.is_file() and _nonblank(shot)
    # The page itself asks for nothing: Chromium's own calls to Google services aside,
    # no URL was requested.
    urls = set(re.findall(r'"url":"([^"]+)"', netlog.read_text(encoding="utf-8", errors="replace")))
    own = re.compile(r"^https?://([^/]+\.)?(google\.com|googleapis\.com|gvt1\.com|gstatic\.com)(/|$)")
    assert not [u for u in urls if u.startswith(("http", "ws")) and not own.match(u)]


def test_html_on_a_phone_and_a_wide_screen_in_headless_chromium(built, tmp_path):
    """The page in a 390 px frame (a phone; a window cannot be that narrow) and a 1400 px one,
    each scrolled half way: no sideways scrolling of the page on the phone, every table in a
    box of its own that scrolls, and the contents in view on the wide screen only."""
    chromium = _chromium(tmp_path)
    page = html.escape((built / "report.html").read_text(encoding="utf-8"))
    frames = "".join(f'<iframe width="{w}" height="800" srcdoc="{page}"></iframe>' for w in (390, 1400))
    probe = tmp_path / "probe.html"
    probe.write_text(f"""<!DOCTYPE html><html><body>{frames}<script>
window.onload = () => {{ document.body.dataset.probe = JSON.stringify([...document.querySelectorAll('iframe')].map(f => {{
  const doc = f.contentDocument, root = doc.documentElement;
  f.contentWindow.scrollTo(0, root.scrollHeight / 2);
  const tables = [...doc.querySelectorAll('table')];
  return {{width: root.scrollWidth, tables: tables.length, nav: doc.querySelector('nav').getBoundingClientRect().top,
           scrolling: tables.filter(t => getComputedStyle(t.parentElement).overflowX === 'auto').length}}; }})); }};
</script></body></html>""", encoding="utf-8")
    result = subprocess.run([*chromium, "--window-size=1900,1000", "--dump-dom", probe.as_uri()],
                            capture_output=True, text=True, timeout=180)
    assert result.returncode == 0, result.stderr[-2000:]
    phone, wide = json.loads(html.unescape(re.search(r'data-probe="([^"]*)"', result.stdout).group(1)))
    assert phone["width"] <= 390 and wide["width"] <= 1400
    assert phone["tables"] >= 5 and phone["scrolling"] == phone["tables"]
    assert 0 <= wide["nav"] < 100, "the contents stay in view on a wide screen"
    assert phone["nav"] < 0, "on a phone the contents are at the top, scrolled away with the page"


# ------------------------------------------------------------------------------ content


def test_summary_findings_come_from_the_numbers(runs):
    chosen = [sdecon.load_scenario(n) for n in SCENARIOS]
    frames = {name: runs[name] for name in SCENARIOS}
    sentences = sections.findings(frames, chosen)
    share = {n: f.loc[content.HEADLINE_YEAR, content.SHARE] for n, f in frames.items()}
    high, low = max(share, key=share.get), min(share, key=share.get)
    assert f"{content.fmt(100 * share[high])}% of GDP under {high}" in sentences[0]
    assert f"{content.fmt(100 * share[low])}% under {low}" in sentences[0]
    assert content.fmt(share[high] / share[low]) in sentences[0]
    assert any("Elasticity of Substitution" in s and "jevons 1.6" in s for s in sentences)
    alone = sections.findings({"saturation": frames["saturation"]}, chosen[2:3])
    assert alone[0].startswith("Under saturation compute spending is")


def test_seed004_section_marks_the_cells_that_differ(built):
    page = (built / "report.html").read_text(encoding="utf-8")
    section = page[page.index('<section id="seed004">'):page.index('<section id="assumptions">')]
    tables = re.findall(r"<table>.*?</table>", section, flags=re.S)
    compared = sdecon.seed004.compare()
    marked = sum(len(re.findall(r'<td class="[^"]*\bmark\b', t)) for t in tables[:-1])
    assert marked == (~compared["agrees"]).sum()
    rows = re.findall(r"<tr[ >]", tables[-1].split("<tbody>")[1])
    assert len(rows) == (~compared["agrees"]).sum()   # each difference with its reason


# ------------------------------------------------------------------------------ numbers as printed


def _html_text(page: str, svg: bool = True) -> str:
    """The text report.html prints, tags stripped, entities decoded, a line an element: with the
    text of its inline SVG figures (titles, ticks, legends, hover titles) unless `svg` is False.
    <style> and attribute values (the CSV data: links) are not text."""
    page = re.sub(r"<style.*?</style>", "", page, flags=re.S)
    if not svg:
        page = re.sub(r"<svg.*?</svg>", "", page, flags=re.S)
    return html.unescape(re.sub(r"<[^>]+>", "\n", page))


def _pdf_text(path: Path) -> str:
    if not shutil.which("pdftotext"):
        pytest.skip("pdftotext (Debian package poppler-utils) is not installed")
    return subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True,
                          check=True).stdout


def test_no_dmnl_is_printed(built):
    """Neither report.html (its text and the text of its SVG figures, tags stripped) nor
    report.pdf (pdftotext) nor a text cell of results.xlsx says "Dmnl", the model's unit string:
    a reader sees "dimensionless", "% of GDP", "ratio" or "multiplier, 1 in 2025"."""
    from openpyxl import load_workbook
    page = _html_text((built / "report.html").read_text(encoding="utf-8"))
    assert "Dmnl" not in page, re.findall(r".{0,60}Dmnl.{0,20}", page)[:5]
    assert "Dmnl" not in _pdf_text(built / "report.pdf")
    book = load_workbook(built / "results.xlsx", read_only=True)
    found = [(sheet.title, cell) for sheet in book.worksheets for row in sheet.iter_rows(values_only=True)
             for cell in row if isinstance(cell, str) and "Dmnl" in cell]
    assert not found, found[:5]
    assert "Dmnl" not in page.replace("dimensionless", "")   # the model's units are spelled out


#: Spans of printed text whose digits are not measured numbers (see the test's docstring).
_NOT_NUMBERS = [
    r"\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:[+-]\d{2}:\d{2}|Z)?)?",  # dates, times
    r"(?<![\d.,])(?:19\d\d|20\d\d|2100)\.\d{1,2}(?![\d.])",        # times in decimal years: 2023.5
    r"\b[0-9a-f]{12,64}\b",                                          # SHA-256 hashes, whole or cut
    r"\b\d+(?:\.\d+){2,}\w*",                                        # versions: 0.1.0, 3.12.3
    r"\b(?:Figure|Table|figure|table|fig|page|box) \d+",            # figure, table and page numbers
    r"\b\d[\d,]*\d(?= (?:of \d[\d,]* )?(?:runs?|steps|rows|data rows|draws|walkers|observations|points|"
    r"parameters|series|cells|scenarios|samples|files|boxes)\b)",   # counts
]
_NUMBER = re.compile(r"(?<![\w.,])-?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?(?![\w])")


def _too_precise(text: str) -> list[str]:
    """The printed numbers in `text` that break the rule of
    `test_printed_numbers_have_at_most_three_significant_figures`."""
    for pattern in _NOT_NUMBERS:
        text = re.sub(pattern, " ", text)
    bad = []
    for token in _NUMBER.findall(text):
        digits = token.lstrip("-").replace(",", "")
        if "." in digits:
            significant = len(digits.replace(".", "").lstrip("0"))      # 10.0: three
        else:
            if 1900 <= int(digits) <= 2100 and "," not in token:      # a year
                continue
            significant = len(digits.lstrip("0").rstrip("0")) or 1
            if len(digits) >= 5:                                      # 73,900: say "$73.9 trillion"
                significant = max(significant, 4)
        if significant > 3:
            bad.append(token)
    return bad


def _exempt_lines(page: str) -> str:
    """The parts of report.html that quote, not compute: the Manifest section (paths, the
    command line, versions, hashes, times) and the 'Source:' lines quoting the model file's and
    the data's documentation verbatim."""
    manifest = page[page.index('<section id="manifest">'):]
    page = page[:page.index('<section id="manifest">')]
    notes = re.findall(r'<tr class="note">.*?</tr>', page, flags=re.S)
    return _html_text(manifest + "\n".join(notes))


def _reasons(raw: str) -> list[str]:
    """The 'likely reason' cells of seed 004's differences (the last column of its last table):
    sentences from sdecon/data/seed004_published.csv, quoting the essay's arithmetic."""
    section = raw[raw.index('<section id="seed004">'):raw.index('<section id="assumptions">')]
    table = re.findall(r"<table>.*?</table>", section, flags=re.S)[-1]
    return [row[-1] for row in (re.findall(r"<td[^>]*>.*?</td>", tr, flags=re.S)
                                for tr in re.findall(r"<tr[ >].*?</tr>", table, flags=re.S)) if row]


def test_printed_numbers_have_at_most_three_significant_figures(built):
    """Every number report.html and report.pdf print has at most three significant figures.

    The rule: a number is a run of digits with optional thousands commas and a decimal part,
    not glued to a letter (so "seed004" and "H2" are names, not numbers). Its significant
    figures are its digits without leading zeros; an integer's trailing zeros do not count
    (780 has two), but an integer of five digits or more fails whatever its zeros (73,900:
    print "$73.9 trillion"), and a decimal's trailing zeros do count (10.0 has three).
    Powers of ten print their exponent as superscripts, which are not digits here.

    Exempt: whole years 1900-2100 written without a comma; dates and times (2026-12-01,
    19:52:03, and decimal years such as 2023.5, mid-2023, where a data point is dated); hashes (12 hex digits or more); versions (0.1.0, 3.12.3); figure, table, page
    and box numbers; counts followed by what they count (4,000 runs, 1,200 draws, 146 points);
    the Manifest section, the 'Source:' lines below Assumptions and Data sources and the
    'likely reason' column of seed 004's differences, which quote paths, command lines, the
    model's documentation and the essay's arithmetic verbatim. The HTML's text
    includes its SVG figures (ticks, legends, hover titles, source lines); in the PDF a
    number also passes when the HTML prints it in an exempt part (pdftotext does not keep a
    note apart from its table). So 0.185183, 1,658, 73,900 and 5.5e-14 ("5.5" and "14" pass,
    so the test also forbids "e-" exponents) fail.
    """
    raw = (built / "report.html").read_text(encoding="utf-8")
    manifest = raw.index('<section id="manifest">')
    checked = re.sub(r'<tr class="note">.*?</tr>', "", raw[:manifest], flags=re.S)
    for reason in _reasons(raw):
        checked = checked.replace(reason, "")
    text = _html_text(checked)
    assert not _too_precise(text), sorted(set(_too_precise(text)))[:20]
    assert not re.findall(r"\d[eE][-+]?\d", _html_text(checked, svg=False))   # no 5.5e-14
    exempt = set(_NUMBER.findall(_exempt_lines(raw) + _html_text("".join(_reasons(raw)))))
    pdf = [t for t in _too_precise(_pdf_text(built / "report.pdf")) if t not in exempt]
    assert not pdf, sorted(set(pdf))[:20]


def test_the_rule_of_three_significant_figures_catches_the_old_numbers():
    """The rule above fails the numbers the referee found and passes what the report prints now."""
    assert _too_precise("0.185183; 1,658; 73,900 USD billion; 3.31 and 0.0439") == ["0.185183", "1,658", "73,900"]
    assert not _too_precise("$73.9 trillion, 4.39%, < 0.001%, 10.0, 780, 2026, Figure 12, 4,000 runs, "
                            "sdecon 0.1.0, SHA-256 71d963d8b811, 2026-12-01T19:52:03+00:00, 1.23×10⁻⁴, "
                            "data: 2023.5 $253 billion")


def test_numbers_the_referee_found_are_printed_for_readers():
    assert content.exact(0.185183) == "0.185" and content.exact(2026) == "2026"
    assert content.number(73_900, plotting.unit_label("Compute Spending")) == "$73.9 trillion"
    assert content.difference(5.5e-14) == "< 0.001%" and content.difference(0) == "0"
    assert content.parameter_unit("Dmnl") == "dimensionless"


def test_excel_has_a_data_sheet_per_figure_its_cells_numbers_with_a_format(built):
    """Every figure of the report has a sheet "fig <number> <key>" (31 characters at most) whose
    header is frozen and filtered and whose cells below it are numbers with a number format,
    in the units the figure shows (a share of GDP as the fraction, formatted as percent)."""
    from openpyxl import load_workbook
    book = load_workbook(built / "results.xlsx")
    keys = re.findall(r'<figure id="figure-([^"]+)"', (built / "report.html").read_text(encoding="utf-8"))
    assert {_slug(v) for v in sdecon.PUBLIC_VARIABLES} <= set(keys)
    sheets = {name: book[name] for name in book.sheetnames if name.startswith("fig ")}
    assert len(sheets) == len(keys)
    assert all(any(key.startswith(name.split(" ", 2)[2]) for name in sheets) for key in keys)   # cut to 31
    for name, sheet in sheets.items():
        assert len(name) <= 31 and sheet.freeze_panes == "A2" and sheet.auto_filter.ref == sheet.dimensions
        cells = [c for row in sheet.iter_rows(min_row=2, min_col=2) for c in row if c.value is not None]
        assert cells and all(c.data_type == "n" and c.number_format != "General" for c in cells), name
    share = sheets[next(n for n in sheets if _slug(content.SHARE).startswith(n.split(" ", 2)[2]))]
    header = [c.value for c in share[1]]
    assert header[0] == "year" and header[1] == "baseline [% of GDP]"
    assert {c.number_format for row in share.iter_rows(min_row=2, min_col=2) for c in row} == {excel.PERCENT}
    price = sheets[next(n for n in sheets if n.split(" ", 2)[2] == _slug(plotting.PRICE))]
    years = [c.value for c in price["A"][1:]]
    assert price.cell(row=2 + years.index(plotting.PRICE_YEAR), column=2).value == pytest.approx(1.0)


@pytest.mark.parametrize("value, text", [(0.000123, "1.23×10⁻⁴"), (0.00428, "0.00428"), (1.5, "1.5"),
                                         (6920.4, "6,920"), (2.5e7, "2.5×10⁷"), (0, "0"), (-1234, "-1,230"),
                                         (9.996e6, "1×10⁷")])
def test_numbers_for_readers(value, text):
    assert content.fmt(value) == text


@pytest.mark.parametrize("value, unit, text", [
    (9.06e-39, "% of GDP", "< 0.001%"), (0.0439, "% of GDP", "4.39%"), (0, "% of GDP", "0%"),
    (1e-5, "% of GDP", "0.001%"), (4.28e-5, "% of GDP", "0.00428%"),
    (9.99e-6, "% of GDP", "< 0.001%"), (-3e-9, "% of GDP", "> -0.001%"),
    (float("nan"), "% of GDP", ""), (2e-7, "USD billion per year", "< $1 million"),
    (0.00428, "USD billion per year", "$4.28 million"), (1234.5, "USD billion per year", "$1.23 trillion"),
    (73_900, "USD billion per year", "$73.9 trillion"), (1.97e-8, "FLOP/s", "1.97×10⁻⁸")])
def test_values_below_the_shown_precision_print_as_a_bound(value, unit, text):
    assert content.number(value, unit) == text


def test_tiny_shares_in_the_sweep_summary_print_as_a_bound():
    bands = pd.DataFrame({"variable": content.SHARE, "unit": "Dmnl", "year": content.HEADLINE_YEAR, "runs": 64,
                          "p5": 9.06e-39, "p50": 0.0012, "p95": 0.0439}, index=[0])
    sweep = sdecon.SweepResult(Path("s"), {"runs": 64, "scenario": "baseline", "method": "mc", "vary": []},
                               bands, pd.DataFrame(columns=["variable", "year", "parameter", "S1", "converged"]))
    assert f"at < 0.001% to 4.39% of GDP in {content.HEADLINE_YEAR} (5th to 95th percentile; median 0.12%)" in \
        sensitivity._sweep_summary(sweep)


def _small_sweep(converged, log_outputs=False):
    """A SweepResult in memory: lhs indices of the headline share in 2030 and 2040 for two
    parameters, 'Max Grid Growth Rate' in the summary's year with the given `converged`."""
    year = content.HEADLINE_YEAR
    indices = pd.DataFrame({"output": [f"{content.SHARE}@{y}" for y in (2030, 2030, year, year)],
                            "variable": content.SHARE, "year": [2030, 2030, year, year], "unit": "Dmnl",
                            "parameter": ["Elasticity of Substitution", "Max Grid Growth Rate"] * 2,
                            "S1": [0.61, 0.2, 0.55, 0.3], "S1_conf": [0.02, 0.03, 0.02, 0.4],
                            "converged": [True, True, True, converged]})
    bands = pd.DataFrame({"variable": content.SHARE, "unit": "Dmnl", "year": year, "runs": 64,
                          "p5": 0.001, "p50": 0.01, "p95": 0.05}, index=[0])
    manifest = {"runs": 64, "scenario": "baseline", "method": "lhs", "samples": 64, "seed": 1, "vary": [],
                "log_outputs": log_outputs}
    return sdecon.SweepResult(Path("s"), manifest, bands, indices)


def _sensitivity_html(sweep):
    section = sensitivity._sensitivity_section(sweep, {}, {}, [], [])
    return report_html.render([section], {}, "")


def test_an_index_that_is_not_converged_is_marked_in_the_report_and_counted_in_the_summary():
    page = _sensitivity_html(_small_sweep(converged=False))
    body = page.split("Sensitivity indices</h3>")[1].split("<tbody>")[1].split("</tbody>")[0]
    rows = re.findall(r"<tr[^>]*>(.*?)</tr>", body)
    cells = {re.findall(r"<td[^>]*>(.*?)</td>", row)[1]: re.findall(r"<td([^>]*)>(.*?)</td>", row) for row in rows}
    grid = cells["Max Grid Growth Rate"]
    assert grid[-1][1] == f"not converged: raise --samples ({content.HEADLINE_YEAR})"
    assert grid[3][1] == "0.3 ± 0.4" and "mark" in grid[3][0] and "mark" not in grid[2][0]
    assert cells["Elasticity of Substitution"][-1][1] == ""
    assert page.count("not converged: raise --samples") == 3  # the row, the legend, the count
    assert "1 of 4 sensitivity indices is not converged: raise --samples" in page
    assert "1 of 4 sensitivity indices is not converged" in sensitivity._sweep_summary(_small_sweep(False))


def test_a_report_of_converged_indices_marks_none():
    sweep = _small_sweep(converged=True)
    page = _sensitivity_html(sweep)
    assert "Max Grid Growth Rate" in page.split("Sensitivity indices</h3>")[1]
    assert "not converged" not in page and not re.search(r'<td class="[^"]*\bmark\b', page)
    assert "not converged" not in sensitivity._sweep_summary(sweep)


def test_indices_on_ln_output_are_labelled_so_in_the_report():
    sweep = _small_sweep(converged=True, log_outputs=True)
    table = sensitivity.index_table(sweep)
    assert table.rows[0][0] == f"ln({content.SHARE}) (fraction of variance)"
    assert table.caption.startswith("First-order index S1, RBD-FAST on ln(output) with its 95%")
    assert "on ln(output) (--log-outputs)" in _sensitivity_html(sweep)
    assert f"largest S1 on ln(output) in {content.HEADLINE_YEAR}" in sensitivity._sweep_summary(sweep)
    (figure,) = sensitivity.tornado_figures(sweep)
    assert figure.title == f"Sensitivity of ln({content.SHARE})" and "S1, RBD-FAST on ln(output)" in figure.caption
    assert "ln(" not in sensitivity.index_table(_small_sweep(converged=True)).rows[0][0]


def test_sheet_names_are_short_unique_and_clear_of_the_fixed_sheets():
    names = excel.sheet_names(["parameters", "a" * 40, "a" * 40 + "b", "x/y?"], excel.RESERVED_SHEETS)
    assert names["parameters"] == "parameters (2)"
    assert len(set(names.values())) == 4 and all(len(n) <= 31 for n in names.values())
    assert names["x/y?"] == "x_y_"


# ------------------------------------------------------------------------------ bad input


def _expect_error(match, *args, **kwargs):
    with pytest.raises(SdeconError, match=match) as caught:
        write_report(*args, **kwargs)
    assert "\n" not in str(caught.value)


def test_bad_input_is_one_line_and_writes_nothing(tmp_path):
    out = tmp_path / "out"
    _expect_error("unknown scenario 'nope'", ["baseline", "nope"], out)
    _expect_error("no scenario given", [], out)
    _expect_error("given twice", ["baseline", "baseline"], out)
    _expect_error("does not exist", ["baseline"], tmp_path / "missing" / "out")
    (tmp_path / "file").write_text("mine")
    _expect_error("is a file", ["baseline"], tmp_path / "file")
    assert (tmp_path / "file").read_text() == "mine"
    _expect_error("calibration file .* does not exist", ["baseline"], out, calibration=tmp_path / "no.json")
    _expect_error("sweep directory .* does not exist", ["baseline"], out, sweep=tmp_path / "nosweep")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["file"]


def test_errors_name_the_python_argument_and_the_command_line_its_flag(tmp_path, capsys):
    (tmp_path / "file").write_text("mine")
    cases = [(["baseline"], tmp_path / "file", "output_dir", "--output", "is a file; expected a directory"),
             (["baseline"], tmp_path / "missing" / "out", "output_dir", "--output", "directory .* does not exist"),
             (["baseline", "baseline"], tmp_path / "out", "scenario_names", "--scenarios", "is given twice")]
    for names, out, argument, flag, problem in cases:
        with pytest.raises(SdeconError) as caught:
            write_report(names, out)
        assert caught.value.argument == argument
        assert re.match(rf"{argument}\b.*{problem}", str(caught.value)), str(caught.value)
        assert cli.main(["report", "--scenarios", ",".join(names), "--output", str(out)]) == 2
        error = capsys.readouterr().err
        assert re.fullmatch(rf"sdecon: error: {flag}\b.*{problem}.*\n", error), error
        assert argument not in error
    assert sorted(p.name for p in tmp_path.iterdir()) == ["file"]


@pytest.mark.parametrize("name", ["report.html", "results.XLSX", "report.pdf"])
def test_an_output_named_like_a_file_is_refused(tmp_path, capsys, name):
    out = tmp_path / name
    stem = str(out)[:-len(out.suffix)]
    _expect_error(rf"^output_dir '{re.escape(str(out))}' ends in '{re.escape(out.suffix)}' like a file, but a "
                  rf"report is a directory .*; pass '{re.escape(stem)}'$", ["baseline"], out)
    assert cli.main(["report", "--output", str(out)]) == 2
    error = capsys.readouterr().err
    assert error.startswith(f"sdecon: error: --output '{out}' ends in") and error.count("\n") == 1
    assert not out.exists() and list(tmp_path.iterdir()) == []


def test_an_existing_directory_is_replaced_only_if_it_is_a_previous_report(tmp_path, built):
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "notes.txt").write_text("keep me")
    _expect_error("exists and is not an sdecon report", ["baseline"], mine)
    previous = tmp_path / "previous"
    shutil.copytree(built, previous)
    (previous / "figures" / "extra.png").write_bytes(b"x")
    _expect_error(r"holds files the previous report did not write \(figures/extra.png\)", ["baseline"], previous)
    assert (mine / "notes.txt").read_text() == "keep me"


def test_unwritable_parent_is_refused(tmp_path):
    if os.geteuid() == 0:
        pytest.skip("running as root: permissions do not stop root")
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    try:
        _expect_error("permission denied", ["baseline"], locked / "out")
    finally:
        locked.chmod(0o700)


def test_handler_usage_errors_are_sdecon_errors(capsys):
    assert cli.main(["report", "--scenarios", "baseline"]) == 2
    error = capsys.readouterr().err
    # one line, not argparse's usage text: the parser's errors are SdeconErrors
    assert re.fullmatch(r"sdecon: error: report: .*--output\n", error)


@pytest.mark.parametrize("failure", [OSError(28, "No space left on device"), KeyboardInterrupt()])
def test_a_failure_midway_leaves_nothing_and_keeps_the_previous_report(tmp_path, built, monkeypatch, failure):
    previous = tmp_path / "report"
    shutil.copytree(built, previous)
    before = {p: p.read_bytes() for p in previous.rglob("*") if p.is_file()}
    from matplotlib.figure import Figure

    calls = []

    def failing_save(self, *args, **kwargs):     # the second figure file fails
        calls.append(args[0])
        if len(calls) == 2:
            raise failure
        return real_save(self, *args, **kwargs)

    real_save = Figure.savefig
    monkeypatch.setattr(Figure, "savefig", failing_save)
    # Drawn in this process, where the patch is (a pool's worker is a clean process):
    # test_a_workers_failure_ends_the_pool_and_leaves_nothing has the pool.
    monkeypatch.setattr(render, "workers", lambda: 1)
    expected = SdeconError if isinstance(failure, OSError) else KeyboardInterrupt
    with pytest.raises(expected) as caught:
        write_report(["saturation"], previous)
    if expected is SdeconError:
        assert "No space left on device" in str(caught.value)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report"], "a temporary directory was left"
    assert {p: p.read_bytes() for p in previous.rglob("*") if p.is_file()} == before


def test_python_api_replaces_a_previous_report(tmp_path, built, monkeypatch):
    previous = tmp_path / "report"
    shutil.copytree(built, previous)
    # The fixture checks the full content; here two figures are enough to check the swap.
    every = sections.comparison_figures
    monkeypatch.setattr(sections, "comparison_figures", lambda runs: every(runs)[:2])
    path = write_report("saturation", previous)
    assert path == previous
    manifest = json.loads((previous / "manifest.json").read_text(encoding="utf-8"))
    assert [s["name"] for s in manifest["scenarios"]] == ["saturation"]
    assert manifest["command_line"].startswith("sdecon.write_report(['saturation']")
    sheets = pd.read_excel(previous / "results.xlsx", sheet_name=None, engine="openpyxl")
    assert "saturation" in sheets and "jevons" not in sheets
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report"]
    assert {f"figures/{p.name}" for p in (previous / "figures").iterdir()} == {
        f for f in manifest["files"] if f.startswith("figures/")}, "the old figures are gone"
    assert np.isclose(sheets["saturation"].set_index("year").iloc[:, 0].iloc[0],
                      sdecon.run("saturation")[sdecon.PUBLIC_VARIABLES[0]].iloc[0], rtol=0, atol=0)


def test_a_killed_writers_staging_directories_go_and_a_running_ones_stay(tmp_path, monkeypatch):
    """SIGKILL leaves the staging directories beside the output; the next write removes those
    of a process that is gone, and only those."""
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()                  # its PID now names no process
    running = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)"])
    try:
        stale = [tmp_path / f".report.tmp-{gone.pid}-k1ll3d00", tmp_path / f".report.old-{gone.pid}-k1ll3d00"]
        kept = [tmp_path / f".report.tmp-{running.pid}-w0rk1ng0",   # another process still writing
                tmp_path / f".report.tmp-{os.getpid()}-w0rk1ng1",   # this one
                tmp_path / ".report.tmp-n0p1d000",                  # no PID: its owner is unknown
                tmp_path / f".other.tmp-{gone.pid}-k1ll3d00"]       # another output's
        for folder in stale + kept:
            folder.mkdir()
            (folder / "report.html").write_text("half written")
        every = sections.comparison_figures
        monkeypatch.setattr(sections, "comparison_figures", lambda runs: every(runs)[:2])
        write_report(["saturation"], tmp_path / "report")
    finally:
        running.kill()
        running.wait()
    assert (tmp_path / "report" / "manifest.json").is_file()
    assert not [p for p in stale if p.exists()]
    assert all((p / "report.html").read_text() == "half written" for p in kept)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(["report", *(p.name for p in kept)])


def test_sdecon_report_on_the_command_line(tmp_path, capsys):
    assert cli.main(["report", "--scenarios", "baseline,nope", "--output", str(tmp_path / "out")]) == 2
    error = capsys.readouterr().err
    assert error.startswith("sdecon: error: unknown scenario 'nope'") and error.count("\n") == 1
    assert not (tmp_path / "out").exists()


# ------------------------------------------------------------------------------ calibration and sweep
#
# A second report, given the committed calibration and a small sweep: on baseline (which
# takes that calibration in its file already) and on a scenario that takes none, so that the
# calibration's effect on the runs shows. Two comparison figures are enough here (the first
# report checks them all); the new sections are built in full.

CALIBRATION = sdecon.calibration.BASELINE
POSTERIOR = sdecon.forecasts.SHIPPED_POSTERIOR
FULL_TITLES = {**{k: v for k, v in SECTION_TITLES.items() if k in ("summary", "findings", "scenarios", "drivers",
                                                                   "comparison")},
               "forecast": "Forecast given the history", "sensitivity": "Sensitivity",
               "discovery": "Scenario discovery", "history": "Appendix A: Model against history",
               "seed004": "Appendix B: Seed 004 by its own method", "assumptions": "Appendix C: Assumptions",
               "data": "Appendix D: Data sources", "manifest": "Appendix E: Manifest"}


@pytest.fixture(scope="module")
def sweep_dir(tmp_path_factory):
    """A small Monte Carlo sweep of the baseline over the default uncertainty set (a few seconds)."""
    out = tmp_path_factory.mktemp("sweep") / "mc"
    sdecon.sweep("baseline", method="mc", samples=64, seed=1, output=out, figures=False, progress=False)
    return out


@pytest.fixture(scope="module")
def uncalibrated(tmp_path_factory):
    """A scenario that takes no calibration of its own."""
    path = tmp_path_factory.mktemp("scenario") / "plain.toml"
    path.write_text('name = "plain"\ntitle = "Documented defaults, no calibration"\n'
                    'story = "Every parameter at its documented default but one."\n\n'
                    '[parameters]\n"Elasticity of Substitution" = 1.4\n', encoding="utf-8")
    return path


#: A condition no run of the sweep meets (a share of GDP above 1).
NOBODY = f"{content.SHARE}@2040 > 1"


@pytest.fixture(scope="module")
def half(sweep_dir):
    """A condition half the sweep's runs meet: the headline share in 2040 above its median."""
    values = sdecon.load_sweep(sweep_dir).runs([f"{content.SHARE}@2040"])[f"{content.SHARE}@2040"]
    return f"{content.SHARE}@2040 > {float(np.median(values))!r}"


@pytest.fixture(scope="module")
def full(tmp_path_factory, sweep_dir, uncalibrated, half):
    """The report with --calibration, --sweep, --posterior and two --discover, written by `sdecon report`."""
    out = tmp_path_factory.mktemp("full") / "report"
    with pytest.MonkeyPatch.context() as patch:
        every = sections.comparison_figures
        patch.setattr(sections, "comparison_figures", lambda runs: every(runs)[:2])
        assert cli.main(["report", "--scenarios", f"baseline,{uncalibrated}", "--calibration", str(CALIBRATION),
                         "--sweep", str(sweep_dir), "--posterior", str(POSTERIOR), "--discover", half,
                         "--discover", NOBODY, "--output", str(out)]) == 0
    return out


@pytest.fixture(scope="module")
def full_manifest(full):
    return json.loads((full / "manifest.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def fit():
    return json.loads(CALIBRATION.read_text(encoding="utf-8"))


def _sheets(path: Path, *names: str) -> list[pd.DataFrame]:
    """The tables of the named sheets, one a sheet, as the workbook holds them."""
    return [pd.read_excel(path, sheet_name=name, engine="openpyxl") for name in names]


def test_full_report_sections_in_the_html(full, fit):
    page = (full / "report.html").read_text(encoding="utf-8")
    for section_id, title in FULL_TITLES.items():
        assert f'<section id="{section_id}">\n<h2>{title}</h2>' in page
    positions = [page.index(f'<section id="{s}">') for s in FULL_TITLES]
    assert positions == sorted(positions), "the results, the optional sections, then the appendices"
    history = page[page.index('<section id="history">'):page.index('<section id="seed004">')]
    for name in fit["parameters"]:
        assert html.escape(name) in history
    assert "not identified" in history and fit["unidentified"]
    assert "Errors by series" in history and "data through" in history
    sensitivity = page[page.index('<section id="sensitivity">'):page.index('<section id="discovery">')]
    assert "64 runs of scenario baseline by Monte Carlo" in sensitivity and "seed 1" in sensitivity
    assert "Varied parameters" in sensitivity and "What drives the outcomes" in sensitivity
    summary = page[:page.index('<section id="scenarios">')]
    assert "Calibration: every scenario takes the 8 values fitted in sdecon/calibrations/baseline-2024.json" in summary
    assert "Sensitivity: 64 runs of baseline" in summary
    # Still self-contained: every figure inline, nothing fetched.
    found = _References()
    found.feed(page)
    assert not _outside(found.urls, full)
    assert not {"script", "iframe", "object", "embed", "img"} & set(found.tags)
    assert found.tags.count("svg") == len(list((full / "figures").glob("*.svg")))


def test_full_report_forecast_is_the_posteriors(full, full_manifest):
    page = (full / "report.html").read_text(encoding="utf-8")
    section = page[page.index('<section id="forecast">'):page.index('<section id="assumptions">')]
    post = sdecon.load_posterior(POSTERIOR)
    assert f"{len(post.names)} history-fitted parameters from their posterior given the data through 2024" in section
    assert "The bands against the data" in section and "noise: world_gdp_nominal" in section
    assert full_manifest["posterior"] == {"path": "sdecon/calibrations/baseline-2024-posterior.json",
                                          "sha256": post.fingerprint()}
    sheet = pd.read_excel(full / "results.xlsx", sheet_name="forecast", engine="openpyxl")
    expected = sdecon.forecast("baseline", POSTERIOR).bands
    got = sheet[sheet["scenario"] == "baseline"].drop(columns="scenario").reset_index(drop=True)
    pd.testing.assert_frame_equal(got, expected, check_dtype=False, check_exact=True)
    assert set(sheet["scenario"]) == {"baseline", "plain"}
    # The first scenario's bands are drawn; every scenario's are in the table and the sheet.
    assert {p.stem for p in (full / "figures").glob("forecast-*.svg")} == {
        f"forecast-baseline-{_slug(v)}" for v in ("Compute Spending Share of GDP", "Datacenter Capex")}
    summary = page[:page.index('<section id="scenarios">')]
    assert "Given the history (the posterior of the fitted parameters)" in summary


def test_full_report_history_fan_and_forecast_figures_link_their_data(full, sweep_dir):
    page = (full / "report.html").read_text(encoding="utf-8")
    links = _csv_links(page)
    keys = re.findall(r'<figure id="figure-((?:history|fan|forecast)-[^"]+)">', page)
    assert keys and set(keys) <= set(links)
    share = _slug(content.SHARE)

    def same(got: pd.DataFrame, expected: pd.DataFrame) -> None:
        pd.testing.assert_frame_equal(got[list(expected.columns)], expected, rtol=5e-4, check_dtype=False,
                                      check_names=False)

    bands = sdecon.load_sweep(sweep_dir).bands
    # In the chart's units: a share of GDP in percent.
    same(links[f"fan-{share}"], 100 * bands[bands["variable"] == content.SHARE].set_index("year")[["p5", "p50", "p95"]])
    sheet = pd.read_excel(full / "results.xlsx", sheet_name="forecast", engine="openpyxl")
    rows = sheet[(sheet["scenario"] == "baseline") & (sheet["variable"] == content.SHARE)]
    same(links[f"forecast-baseline-{share}"], 100 * rows.set_index("year")[["p5", "p25", "p50", "p75", "p95"]])
    residuals = sdecon.load_calibration(CALIBRATION).residuals
    for series, table in residuals.groupby("series"):
        same(links[f"history-{_slug(series)}"], table.sort_values("year", kind="stable").set_index("year")[
            ["observed", "modelled"]])


def test_full_report_pdf_sections_each_start_a_page(full, full_manifest):
    _check_pdf_sections(full / "report.pdf", full_manifest["pdf_pages"], FULL_TITLES)
    start = full_manifest["pdf_pages"]["history"][0]
    assert "Fitted parameters" in _pdftotext(full / "report.pdf", start)


def test_full_report_manifest_records_the_calibration_and_the_sweep(full, full_manifest, sweep_dir):
    assert full_manifest["calibration"] == {"path": "sdecon/calibrations/baseline-2024.json",
                                            "sha256": _sha256(CALIBRATION)}
    assert full_manifest["sweep"]["sha256"] == _tree_hash(sweep_dir)
    assert "--calibration" in full_manifest["command_line"] and "--sweep" in full_manifest["command_line"]
    written = sorted(p.relative_to(full).as_posix() for p in full.rglob("*") if p.is_file())
    assert full_manifest["files"] == written


def test_full_report_every_figure_has_its_data_sheet(full):
    """History, tornado, fan, discovery and forecast figures too: one "fig <number> <key>"
    sheet a figure of the HTML, its cells below the header numbers with a number format."""
    from openpyxl import load_workbook
    page = (full / "report.html").read_text(encoding="utf-8")
    keys = re.findall(r'<figure id="figure-([^"]+)"', page)
    book = load_workbook(full / "results.xlsx", read_only=True)
    names = [n for n in book.sheetnames if n.startswith("fig ")]
    assert len(names) == len(keys) and any(k.startswith("tornado-") for k in keys) and \
        any(k.startswith("discovery-") for k in keys)
    assert all(any(key.startswith(n.split(" ", 2)[2]) for n in names) for key in keys)
    for name in names:
        cells = [c for row in book[name].iter_rows(min_row=2, min_col=2) for c in row if c.value is not None]
        assert cells and all(c.data_type == "n" and c.number_format != "General" for c in cells), name


def test_excel_calibration_sheet_equals_the_file(full, fit):
    parameters, facts, residuals = _sheets(full / "results.xlsx", "calibration", "calibration fit",
                                          "calibration residuals")
    assert list(parameters["parameter"]) == list(fit["parameters"])
    assert [float(v) for v in parameters["value"]] == list(fit["parameters"].values())      # exactly
    assert [float(v) for v in parameters["standard error"]] == [fit["stderr"][n] for n in fit["parameters"]]
    assert dict(zip(parameters["parameter"], parameters["identified"])) == {
        n: "no" if n in fit["unidentified"] else "yes" for n in fit["parameters"]}
    assert dict(zip(facts["item"], facts["value"]))["until"] == fit["until"]
    expected = pd.DataFrame(fit["residuals"])
    assert list(residuals.columns) == list(expected.columns)
    for column in ("year", "observed", "modelled", "log_error", "weight"):
        assert [float(v) for v in residuals[column]] == list(expected[column].astype(float)), column
    assert list(residuals["series"]) == list(expected["series"])


def test_excel_sensitivity_sheet_equals_the_sweep_files(full, sweep_dir):
    bands, indices, vary, facts = _sheets(full / "results.xlsx", "sensitivity bands", "sensitivity indices",
                                          "sensitivity inputs", "sensitivity sweep")
    expected = pd.read_parquet(sweep_dir / "summary_bands.parquet")
    assert list(bands.columns) == list(expected.columns) and len(bands) == len(expected)
    bands = bands.astype({c: float for c in expected.columns if c.startswith("p")})
    pd.testing.assert_frame_equal(bands[[c for c in expected if c.startswith("p")]],
                                  expected[[c for c in expected if c.startswith("p")]], check_exact=True,
                                  check_dtype=False)
    assert list(bands["variable"]) == list(expected["variable"])
    assert [int(y) for y in bands["year"]] == list(expected["year"])
    on_disk = pd.read_csv(sweep_dir / "summary_bands.csv")
    assert np.allclose(bands["p50"].astype(float), on_disk["p50"], rtol=1e-12, atol=0)
    index_file = pd.read_parquet(sweep_dir / "indices.parquet")
    assert list(indices.columns) == [*index_file.columns, "note"] and len(indices) == len(index_file)
    assert list(indices["note"].isna()) == list(index_file["converged"])   # the others: "not converged: ..."
    assert set(indices["note"].dropna()) <= {"not converged: raise --samples"}
    for column in ("S1", "S1_conf"):
        got, want = indices[column].astype(float).to_numpy(), index_file[column].to_numpy()
        assert np.array_equal(got, want, equal_nan=True), column
    manifest = json.loads((sweep_dir / "manifest.json").read_text(encoding="utf-8"))
    assert list(vary["parameter"]) == [v["name"] for v in manifest["vary"]]
    assert dict(zip(facts["item"], facts["value"]))["method"] == "mc"
    assert dict(zip(facts["item"], facts["value"]))["log_outputs"] in (False, "FALSE")


def _discovery_html(full) -> str:
    page = (full / "report.html").read_text(encoding="utf-8")
    return page[page.index('<section id="discovery">'):page.index('<section id="history">')]


def test_full_report_scenario_discovery_is_prims_box(full, sweep_dir, half):
    section = _discovery_html(full)
    found = sdecon.discover(sweep_dir, half)
    first, nobody = section.split("<h3>")[1:]
    assert "32 of the sweep&#x27;s 64 runs (50%) meet it." in first      # above the median of 64
    assert found.of_interest == 32
    assert (f"coverage {content.fmt(100 * found.coverage)}% " in first
            and f"density {content.fmt(100 * found.density)}% " in first)
    assert f"box {found.step} of the {len(found.trajectory)} on the peeling trajectory" in first
    rows = re.findall(r"<tr[^>]*>(.*?)</tr>", first.split("<tbody>")[1].split("</tbody>")[0], flags=re.S)
    shown = [re.findall(r"<td[^>]*>(.*?)</td>", row)[0] for row in rows]
    assert shown == [html.escape(n) for n in found.box.index] and shown
    assert "CART, a second view: a classification tree of" in first and found.cart.iloc[0]["rule"] in html.unescape(first)
    for kind in ("trajectory", "box"):
        assert (full / "figures" / f"discovery-1-{kind}.svg").is_file()
        assert f"figures/discovery-1-{kind}.svg" in first
    assert nobody.startswith(f"{html.escape(content.SHARE)}@2040 &gt; 1</h3>")
    assert "None of the sweep&#x27;s 64 runs meets it (the output ranges" in nobody and "<svg" not in nobody
    assert not list((full / "figures").glob("discovery-2-*"))


def test_excel_discovery_sheet_equals_discover(full, full_manifest, sweep_dir, half):
    box, summary = _sheets(full / "results.xlsx", "discovery boxes", "discovery summary")
    found = sdecon.discover(sweep_dir, half)
    assert set(box["condition"]) == {half}
    assert list(box["parameter"]) == list(found.box.index)
    for column in ("lower", "upper", "low", "high"):
        assert [float(v) for v in box[column]] == list(found.box[column]), column   # exactly
    drawn = {v["name"]: v["distribution"] for v in sdecon.load_sweep(sweep_dir).manifest["vary"]}
    for name, row in found.box.iterrows():
        scale = np.log if drawn[name] == "loguniform" else float
        kept = (scale(row.upper) - scale(row.lower)) / (scale(row.high) - scale(row.low))
        assert float(box.set_index("parameter").loc[name, "kept"]) == pytest.approx(kept, rel=1e-12)
    rows = summary.set_index("condition")
    assert [float(rows.loc[half, c]) for c in ("coverage", "density", "mass")] == [
        found.coverage, found.density, found.mass]
    assert int(rows.loc[half, "of_interest"]) == 32 and int(rows.loc[NOBODY, "of_interest"]) == 0
    assert pd.isna(rows.loc[NOBODY, "coverage"])
    assert full_manifest["discover"] == [half, NOBODY]
    assert f"--discover '{half}' --discover '{NOBODY}'" in full_manifest["command_line"]


def test_a_condition_every_run_meets_is_said_plainly(sweep_dir):
    from sdecon.report import discovery

    sweep = sdecon.load_sweep(sweep_dir)
    (finding,) = discovery.find(sweep, discovery.check_conditions(sweep, f"{content.SHARE}@2040 >= 0"))
    assert finding.found is None and finding.of_interest == finding.runs == 64
    page = report_html.render([discovery.discovery_section([finding])], {}, "")
    assert "Every one of the sweep&#x27;s 64 runs meets it" in page and "<svg" not in page


def test_discover_without_a_sweep_or_with_a_bad_condition_is_one_line_and_runs_nothing(
        tmp_path, sweep_dir, capsys, monkeypatch):
    def no_run(*args, **kwargs):
        raise AssertionError("a run before the conditions were checked")

    monkeypatch.setattr(sdecon.simulation, "run", no_run)
    out = tmp_path / "out"
    where = f"{content.SHARE}@2040 > 0.05"
    with pytest.raises(SdeconError, match=f"^discover '{re.escape(where)}' needs a sweep") as caught:
        write_report(["baseline"], out, discover=where)
    assert caught.value.argument == "discover" and "\n" not in str(caught.value)
    for condition, problem in [(f"{content.SHARE}@2041 > 0.05", "names the output .*years 2030, 2040, 2050"),
                               (f"{content.SHARE}@2040 = 0.05", "compares with '='; allowed: >, >=, <, <="),
                               (f"{content.SHARE}@2040 > lots", "'lots' is not a number")]:
        with pytest.raises(SdeconError, match=f"^discover .*{problem}") as caught:
            write_report(["baseline"], out, sweep=sweep_dir, discover=[where, condition])
        assert caught.value.argument == "discover" and "\n" not in str(caught.value)
    _expect_error("^discover .* is given twice", ["baseline"], out, sweep=sweep_dir,
                  discover=[where, where.replace(" > ", ">")])
    assert cli.main(["report", "--discover", where, "--output", str(out)]) == 2
    error = capsys.readouterr().err
    assert error == f"sdecon: error: --discover '{where}' needs a sweep, whose runs it splits; allowed only " \
                    "with sweep (--sweep DIR)\n"
    assert cli.main(["report", "--sweep", str(sweep_dir), "--discover", "Nope@2040 > 1", "--output", str(out)]) == 2
    error = capsys.readouterr().err
    assert error.startswith("sdecon: error: --discover names the output 'Nope@2040'") and error.count("\n") == 1
    assert list(tmp_path.iterdir()) == []


def test_runs_take_the_calibrated_values(full, full_manifest, uncalibrated):
    values = sdecon.load_calibration(CALIBRATION).parameters
    sheets = pd.read_excel(full / "results.xlsx", sheet_name=None, engine="openpyxl")
    entry = next(e for e in full_manifest["scenarios"] if e["name"] == "plain")
    sheet = sheets[entry["sheet"]].set_index("year")
    sheet.columns = [re.sub(r" \[.*\]$", "", c) for c in sheet.columns]
    calibrated = sdecon.run(str(uncalibrated), values)[list(sdecon.PUBLIC_VARIABLES)]
    pd.testing.assert_frame_equal(sheet.astype(float), calibrated, check_exact=True, check_names=False)
    plain = sdecon.run(str(uncalibrated))
    assert sheet.loc[2040, "Compute Spending"] != plain.loc[2040, "Compute Spending"]
    params = sheets["parameters"].set_index("parameter")
    for name, value in values.items():
        assert params.loc[name, "plain"] == value


def _short_unit(text: str) -> str:
    """A data series' unit before its qualifications: 'USD billion nominal (purchases; ...)' ->
    'USD billion nominal'."""
    return re.split(r"\s*[(;]", text, maxsplit=1)[0].strip()


def test_new_figures_have_titles_axis_labels_and_units(full, sweep_dir, fit):
    """The report's history, tornado and fan figures, as files, and the charts they are drawn
    with (`sdecon.plotting`, given the calibration's residuals and the sweep's tables)."""
    residuals = pd.DataFrame(fit["residuals"])
    swept = sdecon.load_sweep(sweep_dir)
    series = list(dict.fromkeys(residuals["series"]))
    stems = {p.stem for p in (full / "figures").glob("*.svg")}
    assert {s for s in stems if s.startswith("history-")} == {f"history-{_slug(s)}" for s in series}
    assert len(series) == residuals["series"].nunique()
    # A fan for each key variable; the others' bands are in the 'sensitivity bands' sheet.
    assert {s for s in stems if s.startswith("fan-")} == {f"fan-{_slug(v)}" for v in content.KEY_VARIABLES}
    page = (full / "report.html").read_text(encoding="utf-8")
    assert re.findall(r'<figure id="figure-(tornado-[^"]+)"', page) == [
        f"tornado-{_slug(v)}" for v in content.KEY_VARIABLES]
    charts = ([(f"history-{_slug(s)}", plotting.series_title(s),
                functools.partial(plotting.plot_series_history, residuals[residuals["series"] == s]))
               for s in series]
              + [(f"fan-{_slug(v)}", f"{v}: range over the sweep", functools.partial(plotting.plot_fan, swept.bands, v))
                 for v in content.KEY_VARIABLES]
              + [(f"tornado-{_slug(v)}", f"Sensitivity of {v}",
                  functools.partial(plotting.plot_tornado, swept.indices, "mc", v)) for v in content.KEY_VARIABLES])
    for key, title, draw in charts:
        tornado = key.startswith("tornado-")
        ax = draw()
        try:
            assert ax.get_title().startswith(title)
            assert ax.get_legend() is not None
            if tornado:
                assert ax.get_xlabel() == "first-order index S1, RBD-FAST (fraction of variance)"
                assert ax.get_ylabel() == "parameter"
                assert len(ax.get_yticklabels()) == plotting.TORNADO_TOP
            else:
                assert ax.get_xlabel() == "year" and ax.get_ylabel()
        finally:
            _close(ax)
        for ext in ("png", "svg"):
            assert (full / "figures" / f"{key}.{ext}").stat().st_size > 1000, key
        svg = html.unescape((full / "figures" / f"{key}.svg").read_text(encoding="utf-8"))
        assert title in svg
        assert (">parameter<" if tornado else ">year<") in svg
    for variable in content.KEY_VARIABLES:
        svg = (full / "figures" / f"fan-{_slug(variable)}.svg").read_text(encoding="utf-8")
        label = plotting.unit_label(variable) if variable != plotting.PRICE else plotting.PRICE_INDEX
        assert all(f">{line}<" in svg for line in label.split("\n")), variable
    units = dict(zip(residuals["series"], residuals["unit"]))
    for name in series:
        ax = plotting.plot_series_history(residuals[residuals["series"] == name])
        try:
            assert ax.get_ylabel() == _short_unit(units[name])
        finally:
            _close(ax)
        svg = html.unescape((full / "figures" / f"history-{_slug(name)}.svg").read_text(encoding="utf-8"))
        assert f">{_short_unit(units[name])}<" in svg


@pytest.mark.parametrize("method", ["sobol", "morris"])
def test_tornado_shows_each_methods_index(method):
    """Synthetic indices: sobol draws ST with S1 marked, morris mu* in the output's unit."""
    columns = {"sobol": ["S1", "S1_conf", "ST", "ST_conf"],
               "morris": ["mu_star", "mu_star_conf", "sigma", "mu"]}[method]
    rows = [{"output": f"{content.SHARE}@{y}", "variable": content.SHARE, "year": y, "unit": "Dmnl",
             "parameter": p, **{c: 0.1 * (k + 1) for c in columns}}
            for y in (2030, 2050) for k, p in enumerate(["Hardware Growth Rate", "Elasticity of Substitution"])]
    ax = plotting.plot_tornado(pd.DataFrame(rows), method, content.SHARE)
    try:
        labels = [t.get_text() for t in ax.get_legend().get_texts()]
        assert labels[:2] == ["2030", "2050"]
        if method == "sobol":
            assert ax.get_xlabel() == "total-order Sobol' index ST (fraction of variance)"
            assert labels[-1].startswith("S1")
        else:
            assert ax.get_xlabel() == f"mu*, mean absolute elementary effect ({plotting.unit_label(content.SHARE)})"
        assert [t.get_text() for t in ax.get_yticklabels()] == ["Elasticity of Substitution", "Hardware Growth Rate"]
    finally:
        _close(ax)


def _charts(runs, fit, sweep_dir):
    """Each chart function of sdecon.plotting with its data: name, and f(ax) drawing it."""
    residuals = pd.DataFrame(fit["residuals"])
    swept = sdecon.load_sweep(sweep_dir)
    one = residuals[residuals["series"] == residuals["series"].iloc[0]]
    return {"plot_scenarios": lambda ax: plotting.plot_scenarios(runs, content.SHARE, ax=ax),
            "plot_series_history": lambda ax: plotting.plot_series_history(one, ax=ax),
            "plot_fan": lambda ax: plotting.plot_fan(swept.bands, content.SHARE, ax=ax,
                                                     run=runs["baseline"][content.SHARE], run_name="baseline"),
            "plot_tornado": lambda ax: plotting.plot_tornado(swept.indices, "mc", content.SHARE, ax=ax)}


def test_each_chart_draws_into_the_axes_it_is_given_or_a_new_one(runs, fit, sweep_dir):
    from matplotlib.axes import Axes
    import matplotlib.pyplot as plt

    for name, draw in _charts(runs, fit, sweep_dir).items():
        ax = draw(None)
        try:
            assert isinstance(ax, Axes) and ax.lines, name
        finally:
            _close(ax)
        fig, (left, right) = plt.subplots(1, 2)
        try:
            assert draw(right) is right, name
            assert right.lines and not left.lines, name
            assert len(fig.axes) == 2, name      # no axes added
        finally:
            _close(fig)


def test_the_base_year_line_is_the_models(runs):
    ax = plotting.plot_scenarios(runs, "Combined Efficiency Multiplier")
    try:
        base_year = model.defaults()["Base Year"]
        assert any(list(line.get_xdata()) == [base_year, base_year] for line in ax.lines)
        assert f"base year {int(base_year)}" in [t.get_text().strip() for t in ax.texts]
        assert ax.get_ylabel() == f"multiplier, 1 in {int(base_year)}"
    finally:
        _close(ax)


def test_an_unknown_method_names_the_argument():
    with pytest.raises(SdeconError, match="^method 'nope' is not a sweep method; allowed: sobol, morris, mc, lhs$") \
            as caught:
        plotting.plot_tornado(pd.DataFrame(columns=["variable", "year", "parameter"]), "nope", content.SHARE)
    assert caught.value.argument == "method"


def test_the_figures_of_the_command_line_are_built_from_the_charts(runs, fit):
    key = plotting.plot_key_outputs({"baseline": runs["baseline"], "jevons": runs["jevons"]}, "two")
    history = plotting.plot_history(pd.DataFrame(fit["residuals"]), "history")
    try:
        assert [ax.get_title().removesuffix(" (log scale)") for ax in key.axes] == [p for p, _ in plotting.KEY_PANELS]
        assert all(ax.get_legend() is not None and ax.get_xlabel() == "year" for ax in key.axes)
        assert key.axes[2].get_ylabel() == "USD trillion per year"   # the reader's unit (plotting.reader_values)
        shown = [ax for ax in history.axes if ax.get_visible()]
        assert len(shown) == pd.DataFrame(fit["residuals"])["series"].nunique()
        assert all(ax.get_legend() is not None and ax.get_ylabel() for ax in shown)
    finally:
        _close(key)
        _close(history)


def test_bad_calibration_or_sweep_is_one_line_and_writes_nothing(tmp_path, sweep_dir, capsys):
    out = tmp_path / "out"
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "notjson.json").write_text("{oops", encoding="utf-8")
    _expect_error("is not valid JSON", ["baseline"], out, calibration=bad / "notjson.json")
    (bad / "empty.json").write_text("{}", encoding="utf-8")
    _expect_error("has no \"parameters\" object", ["baseline"], out, calibration=bad / "empty.json")
    (bad / "bounds.json").write_text(json.dumps({"parameters": {"Cloud Shift Rate": 99}}), encoding="utf-8")
    _expect_error("Cloud Shift Rate = 99 is out of bounds", ["baseline"], out, calibration=bad / "bounds.json")
    (bad / "bare.json").write_text(json.dumps({"parameters": {"Cloud Shift Rate": 0.1}}), encoding="utf-8")
    _expect_error("has no \"residuals\" records", ["baseline"], out, calibration=bad / "bare.json")
    _expect_error("holds no sweep", ["baseline"], out, sweep=bad)
    broken = tmp_path / "broken"
    shutil.copytree(sweep_dir, broken)
    (broken / "summary_bands.parquet").write_bytes(b"not parquet")
    _expect_error("sweep directory .* cannot be read", ["baseline"], out, sweep=broken)
    # The command line: one line on stderr, exit code 2, no output
    assert cli.main(["report", "--scenarios", "baseline", "--calibration", str(bad / "bare.json"),
                     "--output", str(out)]) == 2
    error = capsys.readouterr().err
    assert error.startswith("sdecon: error: calibration file") and error.count("\n") == 1
    assert cli.main(["report", "--scenarios", "baseline", "--sweep", str(tmp_path / "none"), "--output", str(out)]) == 2
    error = capsys.readouterr().err
    assert error.startswith("sdecon: error: sweep directory") and error.count("\n") == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad", "broken"]
