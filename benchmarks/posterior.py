"""Time the posterior of the default parameter set (8 parameters, each series' noise
integrated out) on this machine.

    python benchmarks/posterior.py [--steps 8000] [--walkers 32] [--seed 0] [--until 2024]

Prints the wall time, the steps and model runs, the effective sample size of the worst-mixed
parameter and the effective samples a minute. The issue's goal: under 15 minutes on a
2-core machine. Other work on the same cores slows it: say so when quoting the figures.
"""
import argparse
import time
import warnings

from sdecon import engine
from sdecon.posteriors import PosteriorWarning, posterior


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=8000)
    parser.add_argument("--walkers", type=int, default=None)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--until", type=int, default=2024)
    args = parser.parse_args()
    started = time.perf_counter()
    engine.program().prepare()
    compiled = time.perf_counter() - started
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", PosteriorWarning)
        result = posterior(steps=args.steps, walkers=args.walkers, seed=args.seed, until=args.until, progress=False)
    total = time.perf_counter() - started
    d = result.diagnostics
    ess = min(d["ess"].values())
    print(f"{'engine compile':<28}{compiled:8.2f} s")
    print(f"{'posterior':<28}{total:8.2f} s   {d['walkers']} walkers x {d['steps']} steps   "
          f"{d['runs']:,} model runs   {d['runs'] / (total - compiled):,.0f} runs/s")
    print(f"{'acceptance':<28}{d['acceptance']:8.3f}")
    print(f"{'longest tau':<28}{max(d['tau'].values()):8.1f} steps   converged (50 tau): {d['converged']}")
    print(f"{'smallest ESS':<28}{ess:8.0f}     {ess / (total / 60):,.1f} a minute")
    for warning in caught:
        print(f"warning: {warning.message}")
    print()
    print(result.summary().to_string(float_format=lambda x: f"{x:.4g}"))


if __name__ == "__main__":
    main()
