"""The explorer's file size and the time from a slider's input event to the redrawn charts, in
headless Chromium, side by side for the explorer with and without a posterior.

    python benchmarks/explorer.py [--screenshots docs]

The explorer issue's goals: under 50 ms from input to redrawn chart, under 1 MB. Each of
`MOVES` key presses on a slider fires one input event; the page records its `timeStamp` and,
in the last chart's draw hook, the time the redraw finished (`sdeconExplorer.timings`). The
first moves include V8's compilation of the kernel, so the table shows them apart.
"""
from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

MOVES = 60
POSTERIOR = "sdecon/calibrations/baseline-2024-posterior.json"
SLIDERS = ("Elasticity of Substitution", "Hardware Growth Rate", "Efficiency Shock Multiplier")


def _chromium() -> str:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if not found:
        sys.exit("benchmarks/explorer.py: Chromium is not installed (Debian: apt-get install chromium)")
    return found


def measure(browser, path: Path) -> dict:
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    start = time.perf_counter()
    page.goto(path.as_uri())
    page.wait_for_function("() => window.sdeconExplorer !== undefined")
    loaded = time.perf_counter() - start
    for name in SLIDERS:
        page.get_by_label(name, exact=True).focus()
        for _ in range(MOVES // len(SLIDERS)):
            page.keyboard.press("ArrowRight")
    page.wait_for_timeout(200)
    timings = page.evaluate("() => sdeconExplorer.timings")
    page.close()
    warm = timings[5:]
    drawn = sorted(t["drawn"] for t in warm)
    return {"size": path.stat().st_size / 1e6, "load": loaded, "first": timings[0]["drawn"],
            "run": statistics.median(t["ran"] for t in warm), "median": statistics.median(drawn),
            "p90": drawn[int(0.9 * (len(drawn) - 1))], "max": drawn[-1], "moves": len(timings)}


def screenshots(browser, path: Path, folder: Path) -> None:
    """The explorer at 1280 and 390 pixels wide, comparing jevons with the baseline."""
    view = "#preset=jevons&compare=baseline"
    for width, height, name in ((1280, 900, "explorer-1280.png"), (390, 844, "explorer-390.png")):
        page = browser.new_page(viewport={"width": width, "height": height})
        page.goto(path.as_uri() + view)
        page.wait_for_function("() => window.sdeconExplorer !== undefined")
        page.wait_for_timeout(300)
        page.screenshot(path=str(folder / name))
        page.close()
        print(f"wrote {folder / name}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--screenshots", type=Path, help="also write explorer-1280.png and explorer-390.png here")
    args = parser.parse_args()
    import sdecon
    from playwright.sync_api import sync_playwright
    with tempfile.TemporaryDirectory() as tmp, sync_playwright() as playwright:
        files = {"all nine scenarios": sdecon.explore(output=Path(tmp) / "plain.html"),
                 "all nine, with posterior bands": sdecon.explore(posterior=POSTERIOR, output=Path(tmp) / "bands.html")}
        browser = playwright.chromium.launch(executable_path=_chromium(), args=["--no-sandbox"])
        rows = {label: measure(browser, path) for label, path in files.items()}
        print(f"input event to redrawn charts, {MOVES} key presses on {len(SLIDERS)} sliders "
              f"(the first 5 apart); goals: < 50 ms, < 1 MB")
        print(f"{'explorer':32} {'MB':>5} {'load s':>7} {'1st ms':>7} {'run ms':>7} {'median':>7} {'p90':>6} {'max':>6}")
        for label, r in rows.items():
            print(f"{label:32} {r['size']:5.2f} {r['load']:7.2f} {r['first']:7.1f} {r['run']:7.1f} "
                  f"{r['median']:7.1f} {r['p90']:6.1f} {r['max']:6.1f}")
        if args.screenshots:
            screenshots(browser, files["all nine, with posterior bands"], args.screenshots)
        browser.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
