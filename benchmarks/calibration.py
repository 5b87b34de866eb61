"""Time a full default calibration (the one `sdecon calibrate` runs) and count its model runs.

    python benchmarks/calibration.py [--until 2024]

Prints the wall time, the model runs evaluated (each run 2015 to the last observation) and
the cost reached. The issue's goal: under two minutes on a 2-core machine.
"""
import argparse
import time
import warnings

from sdecon import engine, fit


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--until", type=int, default=2024)
    args = parser.parse_args()
    started = time.perf_counter()
    engine.program().prepare()
    compiled = time.perf_counter() - started
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", fit.CalibrationWarning)
        result = fit.calibrate(until=args.until)
    total = time.perf_counter() - started
    print(f"{'engine compile':<28}{compiled:8.2f} s")
    print(f"{'calibration (until ' + str(args.until) + ')':<28}{total:8.2f} s   "
          f"{result.nfev} model runs   {result.nfev / (total - compiled):,.0f} runs/s")
    print(f"{'cost':<28}{result.cost:8.4f}     success: {result.success}")


if __name__ == "__main__":
    main()
