"""Seconds to write the four-scenario report, as a user would (a fresh process) and again in
the same process, with the time each part takes.

    python benchmarks/report.py

The issue asks for under 30 seconds on a 2-core machine. Wall time depends on what else the
machine runs, so CPU seconds are printed beside it.
"""
from __future__ import annotations

import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

SCENARIOS = ["baseline", "jevons", "saturation", "efficiency-shock"]


def fresh_process(out: Path) -> tuple[float, float]:
    """Wall and CPU seconds of `python -m sdecon report` in a new process (imports included)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "sdecon", "report", "--scenarios", ",".join(SCENARIOS),
                    "--output", str(out)], check=True, capture_output=True)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return time.perf_counter() - start, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def timed(what: str, rows: list, function, *args):
    wall, cpu = time.perf_counter(), time.process_time()
    result = function(*args)
    rows.append((what, time.perf_counter() - wall, time.process_time() - cpu))
    return result


def main() -> int:
    import sdecon
    from sdecon import scenarios, simulation
    from sdecon.report import figures as report_figures
    from sdecon.report import sections, write_report

    with tempfile.TemporaryDirectory() as folder:
        folder = Path(folder)
        wall, cpu = fresh_process(folder / "fresh")
        size = sum(p.stat().st_size for p in (folder / "fresh").rglob("*") if p.is_file())

        rows: list = []
        chosen = [scenarios.load(name) for name in SCENARIOS]
        runs = timed("4 scenario runs (PySD, first loads the model)", rows,
                     lambda: {s.name: simulation.run(s) for s in chosen})
        figures = sections.comparison_figures(runs)
        (folder / "figures").mkdir()
        timed(f"{len(figures)} figures, PNG and SVG", rows,
              lambda: [report_figures.save_figure(f, folder / "figures") for f in figures])
        sections._seed004_model_check.cache_clear()
        timed("seed 004 section (4 seed004-* runs)", rows, sections._seed004_section)
        timed("whole report, same process (runs again)", rows,
              write_report, SCENARIOS, folder / "again")

    print(f"sdecon {sdecon.__version__}, Python {sys.version.split()[0]}, {os.cpu_count()} cores, "
          f"load average {os.getloadavg()[0]:.1f}")
    print(f"{'what':52s} {'wall s':>8s} {'CPU s':>8s}")
    print(f"{'report, 4 scenarios, fresh process':52s} {wall:8.1f} {cpu:8.1f}")
    for what, seconds, cpu_seconds in rows:
        print(f"{what:52s} {seconds:8.1f} {cpu_seconds:8.1f}")
    print(f"report size: {size / 1e6:.2f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
