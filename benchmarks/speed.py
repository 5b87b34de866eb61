"""Seconds per baseline run with PySD, side by side with the costs around it.

    python benchmarks/speed.py [--runs N]

Prints: translating the .mdl into a cold cache, loading the cached translation, and the
median and best of N baseline runs at the model's time step and at half and double it.
"""
from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time

CHILD = """
import time, sys
t = time.perf_counter()
import sdecon
sdecon.parameters()
print(time.perf_counter() - t)
"""


def fresh_process_seconds(cache: str) -> float:
    env = dict(os.environ, SDECON_CACHE_DIR=cache)
    out = subprocess.run([sys.executable, "-c", CHILD], env=env, capture_output=True, text=True, check=True)
    return float(out.stdout.strip())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as cache:
        cold = fresh_process_seconds(cache)
        warm = fresh_process_seconds(cache)

    import sdecon
    from sdecon import model

    sdecon.run("baseline")  # load in this process
    step = model.defaults()["TIME STEP"]
    rows = []
    for label, dt in [("time step / 2", step / 2), ("time step (default)", step), ("time step x 2", step * 2)]:
        times = []
        for _ in range(args.runs):
            start = time.perf_counter()
            sdecon.run("baseline", time_step=dt)
            times.append(time.perf_counter() - start)
        rows.append((f"baseline run, {label} = {dt:g} yr", statistics.median(times), min(times)))

    print(f"sdecon {sdecon.__version__}, Python {sys.version.split()[0]}, {os.cpu_count()} cores")
    print(f"{'what':50s} {'median s':>10s} {'best s':>10s}")
    print(f"{'import + translate .mdl (cold cache)':50s} {cold:10.3f} {'':>10s}")
    print(f"{'import + load cached translation':50s} {warm:10.3f} {'':>10s}")
    for what, median, best in rows:
        print(f"{what:50s} {median:10.4f} {best:10.4f}")
    print(f"runs per second at the default step: {1 / rows[1][1]:.1f}")
    print(f"peak memory of this process: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
