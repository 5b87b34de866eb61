"""The batch engine against a plain PySD loop, side by side in one run.

    python benchmarks/engine.py [--pysd-runs N] [--runs N]

Prints, for the shipped model:
- PySD: one baseline run after another (`sdecon.run`), seconds a run;
- the engine: parsing, generating and compiling the kernel in a fresh process with an empty
  cache, then loading it from that cache in the next process (both timed from the import of
  `sdecon.engine`), a single run, a 32-run batch of
  2015-2025 (a calibration's or an MCMC step's size), and --runs runs of 2015-2050 in one
  process (threads over the cores);
- `sdecon sweep --method mc --samples --runs --no-figures` as a whole command, in a fresh
  process, with where its time goes.
Goals (issue 10): 32-run batch < 10 ms, single run < 20 ms, 10,000 runs < 1 s,
the 10,000-run sweep command < 2 s on the 2-core machine. Other work on the machine slows
every figure: the load average is printed.
"""
from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time


def _median(function, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        clock = time.perf_counter()
        function()
        times.append(time.perf_counter() - clock)
    return statistics.median(times)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pysd-runs", type=int, default=5, help="PySD runs to time (default 5)")
    parser.add_argument("--runs", type=int, default=10_000, help="runs of the large batch and sweep")
    args = parser.parse_args()

    import sdecon
    from sdecon import engine, sweeps
    sdecon.run("baseline")  # load PySD's model once, as any session would
    pysd = _median(lambda: sdecon.run("baseline"), args.pysd_runs)

    # A fresh process with an empty cache parses, generates and compiles; a second one
    # with the same cache loads both.
    script = ("import time; c = time.perf_counter(); from sdecon import engine; "
              "engine.program().prepare(); print(time.perf_counter() - c)")
    with tempfile.TemporaryDirectory() as cache:
        env = {**os.environ, "SDECON_CACHE_DIR": cache}
        first, second = (float(subprocess.run([sys.executable, "-c", script], env=env, check=True,
                                              capture_output=True, text=True).stdout)
                         for _ in range(2))
    engine.program().prepare()

    base = sdecon.load_scenario("baseline").values
    single = _median(lambda: engine.run(base), 7)
    uncertain = sweeps.default_uncertainty()
    small = {**base, **sweeps.sample("mc", uncertain, 32, seed=1)}
    batch32 = _median(lambda: engine.run(small, final_time=2025), 7)
    large = {**base, **sweeps.sample("mc", uncertain, args.runs, seed=1)}
    clock = time.perf_counter()
    engine.run(large, variables=sdecon.PUBLIC_VARIABLES)
    many = time.perf_counter() - clock

    with tempfile.TemporaryDirectory() as folder:
        out = os.path.join(folder, "sweep")
        command = [sys.executable, "-m", "sdecon", "sweep", "--method", "mc", "--samples",
                   str(args.runs), "--no-figures", "--output", out]
        clock = time.perf_counter()
        subprocess.run(command, check=True, capture_output=True)
        whole = time.perf_counter() - clock
        # The same sweep in this process, for where its time goes.
        timings = sweeps.sweep("baseline", method="mc", samples=args.runs, output=os.path.join(folder, "again"),
                              figures=False, progress=False).timings

    print(f"sdecon {sdecon.__version__}, Python {sys.version.split()[0]}, {os.cpu_count()} cores, "
          f"load average {os.getloadavg()[0]:.2f}")
    rows = [
        ("PySD loop, one baseline run", pysd, None),
        ("engine: parse, generate, compile (empty cache)", first, None),
        ("engine: load from the cache (next process)", second, None),
        ("engine: single run, 2015-2050", single, 0.020),
        ("engine: 32-run batch, 2015-2025", batch32, 0.010),
        (f"engine: {args.runs:,} runs, 2015-2050, one process", many, 1.0 if args.runs == 10_000 else None),
        (f"sdecon sweep --samples {args.runs:,}, whole command", whole, 2.0 if args.runs == 10_000 else None),
    ]
    print(f"{'':54}{'seconds':>10}  {'runs/s':>10}  goal")
    for label, seconds, goal in rows:
        runs = {"single": 1, "32-run": 32}.get(label.split()[1], None)
        runs = args.runs if f"{args.runs:,} runs" in label or "sweep" in label else runs
        runs = 1 if label.startswith("PySD") else runs
        rate = f"{runs / seconds:10,.0f}" if runs else " " * 10
        verdict = "" if goal is None else f"< {goal:g} s: {'met' if seconds < goal else 'NOT met'}"
        print(f"{label:54}{seconds:10.3f}  {rate}  {verdict}")
    print(f"engine {args.runs:,} runs against the PySD loop: {pysd * args.runs / many:,.0f}x")
    if timings:
        print("sweep's own timings (s): " + ", ".join(f"{k} {v:.2f}" for k, v in timings.items()
                                                      if isinstance(v, (int, float))))
    return 0


if __name__ == "__main__":
    sys.exit(main())
