"""Seconds to write the reports a user writes, in a fresh process as a user would, and the
drawing on one process against the pool (sdecon/report/render.py), side by side.

    python benchmarks/report.py

The report issue asks for a five-scenario report with a calibration, a posterior and a sweep
under 30 seconds on a 2-core machine. Wall time depends on what else the machine runs, so CPU
seconds are printed beside it, with the load average: those of the report's own process only,
since its drawing workers are the fork server's children, which getrusage does not reach.
"""
from __future__ import annotations

import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

FIVE = "baseline,jevons,saturation,efficiency-shock,infrastructure-limits"
EXAMPLE = "baseline,jevons,saturation,efficiency-shock"
CALIBRATION = "sdecon/calibrations/baseline-2024.json"
POSTERIOR = "sdecon/calibrations/baseline-2024-posterior.json"


def fresh_process(args: list[str]) -> tuple[float, float]:
    """Wall and CPU seconds of `python -m sdecon ARGS` in a new process (imports and workers included)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "sdecon", *args], check=True, capture_output=True)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return time.perf_counter() - start, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def _size(folder: Path) -> float:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file()) / 1e6


def main() -> int:
    import sdecon
    from sdecon.report import render, write_report

    with tempfile.TemporaryDirectory() as folder:
        folder = Path(folder)
        # The sweep a report cites: Saltelli's scheme on the default uncertainty set, drawn with the posterior.
        fresh_process(["sweep", "--method", "sobol", "--samples", "64", "--posterior", POSTERIOR,
                       "--output", str(folder / "sweep")])
        rows = []
        full = ["report", "--scenarios", FIVE, "--calibration", CALIBRATION, "--posterior", POSTERIOR,
                "--sweep", str(folder / "sweep")]
        for what, args, out in (
                ("5 scenarios + calibration, posterior, sweep", full, "full"),
                ("4 scenarios + posterior (the example report)",
                 ["report", "--scenarios", EXAMPLE, "--posterior", POSTERIOR], "example"),
                ("1 scenario, defaults (the Quickstart)", ["report", "--scenarios", "baseline"], "one")):
            wall, cpu = fresh_process([*args, "--output", str(folder / out)])
            rows.append((f"{what}, fresh process", wall, cpu, _size(folder / out)))

        # The same full report in this process, drawn on one process and on the pool.
        kwargs = dict(calibration=CALIBRATION, posterior=POSTERIOR, sweep=folder / "sweep")
        write_report(FIVE.split(","), folder / "warm", **kwargs)        # loads the model and the engine
        pool = render.workers()
        for processes in (1, pool):
            render.workers = lambda: processes          # noqa: B023 (each loop runs its own report)
            wall, cpu = time.perf_counter(), time.process_time()
            write_report(FIVE.split(","), folder / f"drawn-{processes}", **kwargs)
            rows.append((f"5 scenarios + all, same process, drawn on {processes}", time.perf_counter() - wall,
                         time.process_time() - cpu, _size(folder / f"drawn-{processes}")))

    print(f"sdecon {sdecon.__version__}, Python {sys.version.split()[0]}, {os.cpu_count()} cores, "
          f"load average {os.getloadavg()[0]:.1f}")
    print(f"{'report':62s} {'wall s':>7s} {'CPU s':>7s} {'MB':>6s}")
    for what, seconds, cpu_seconds, size in rows:
        print(f"{what:62s} {seconds:7.1f} {cpu_seconds:7.1f} {size:6.2f}")
    print("(CPU s counts the report's own process, not its drawing workers)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
