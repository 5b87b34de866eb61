"""Runs per second: a plain PySD loop against the batch engine through `sdecon sweep`.

    python benchmarks/engine.py [--pysd-runs N] [--runs N] [--workers N]

In one run: N baseline runs of PySD one after another (`sdecon.run`), one batch of the
engine alone in this process (for comparison), then a Monte Carlo sweep of the default
uncertainty set (`sdecon.sweep.default_uncertainty()`) with the sweep's local executor
(forked processes, one a core, batches of 5,000 runs), written to a temporary directory
without figures. Prints runs per second for each, their ratio, and where the sweep's wall
time goes. Goal (issue 4): 10,000 runs in under 5 s on a 2-core machine, and at least 50x
the PySD loop's throughput.
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pysd-runs", type=int, default=5, help="PySD runs to time (default 5)")
    parser.add_argument("--runs", type=int, default=10_000, help="engine runs (default 10,000)")
    parser.add_argument("--workers", type=int, default=None, help="local processes (default: cores)")
    args = parser.parse_args()

    start = time.perf_counter()
    import sdecon
    from sdecon import engine, sweep
    sdecon.run("baseline")  # load PySD's model once, as any session would
    setup = time.perf_counter() - start

    times = []
    for _ in range(args.pysd_runs):
        clock = time.perf_counter()
        sdecon.run("baseline")
        times.append(time.perf_counter() - clock)
    pysd_rate = 1 / statistics.median(times)

    clock = time.perf_counter()
    engine.program()
    compile_seconds = time.perf_counter() - clock

    # The engine alone, in this process: one batch of the sweep's size, no executor around it.
    uncertain = sweep.default_uncertainty()
    values = {**sdecon.load_scenario("baseline").values,
              **sweep.sample("mc", uncertain, sweep.BATCH_SIZE, seed=1)}
    clock = time.perf_counter()
    engine.run(values, variables=sdecon.PUBLIC_VARIABLES)
    alone = time.perf_counter() - clock

    with tempfile.TemporaryDirectory() as folder:
        clock = time.perf_counter()
        result = sweep.sweep("baseline", "mc", args.runs, output=os.path.join(folder, "sweep"),
                             workers=args.workers, figures=False, progress=False)
        total = time.perf_counter() - clock
    t = result.timings
    engine_rate = args.runs / t["compute"]
    batches = result.manifest["batches"]
    workers = min(args.workers or os.cpu_count() or 1, batches)

    print(f"sdecon {sdecon.__version__}, Python {sys.version.split()[0]}, {os.cpu_count()} cores, "
          f"load average {os.getloadavg()[0]:.2f} (other work on the machine slows both)")
    print(f"import and load PySD's model: {setup:.2f} s; compile the engine: {compile_seconds:.2f} s (once a process)")
    print(f"PySD loop, baseline: {len(times)} runs, median {statistics.median(times):.3f} s a run "
          f"-> {pysd_rate:.2f} runs/s")
    print(f"engine via sweep's local executor: {args.runs:,} runs of {len(result.manifest['vary'])} "
          f"parameters, {batches} batches on {workers} processes")
    print(f"  wall time for {args.runs:,} runs (fork, simulate, reduce, write batches): {t['compute']:.2f} s "
          f"-> {engine_rate:,.0f} runs/s")
    print(f"  for comparison, the engine alone in one process: {sweep.BATCH_SIZE:,} runs in {alone:.2f} s "
          f"-> {sweep.BATCH_SIZE / alone:,.0f} runs/s")
    print(f"  inside the workers, summed over batches: simulate {t['batch_engine']:.2f} s, "
          f"reduce to sketches and index outputs {t['batch_reduce']:.2f} s; "
          f"parent writing batch files {t['batch_write']:.2f} s")
    print(f"  around it: prepare (sample, manifest) {t['prepare']:.2f} s, summaries (merge sketches, "
          f"Monte Carlo indices) {t['summaries']:.2f} s, write summaries {t['write']:.2f} s; "
          f"whole sweep() call {total:.2f} s")
    print(f"ratio engine / PySD loop: {engine_rate / pysd_rate:,.0f}x")
    goal = t["compute"] < 5 and engine_rate / pysd_rate >= 50
    print(f"goal (10,000 runs under 5 s, >= 50x): {'met' if goal else 'NOT met'}"
          + ("" if args.runs == 10_000 else " (not a 10,000-run measurement)"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
