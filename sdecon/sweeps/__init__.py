"""Sensitivity sweeps: thousands to millions of runs over uncertain parameters.

    sdecon sweep --scenario baseline --method sobol --samples 1024 --output sweeps/baseline
    sdecon.sweep("baseline", method="sobol", samples=1024, output="sweeps/baseline")
    sdecon.load_sweep("sweeps/baseline")          # a finished sweep: bands, indices, runs

Samples come from SALib (Monte Carlo from numpy), in the unit hypercube; each parameter's
distribution turns them into values by its inverse CDF, so every method supports every
distribution. The batch engine (`sdecon.engine`) runs them batch by batch, on this
machine's cores (forked processes, `LocalExecutor`) or on a Dask cluster (`DaskExecutor`).
Each finished batch is written at once, so an interrupted sweep resumes where it stopped,
and the summaries stream: percentile bands come from mergeable histograms, never from all
runs' time series held at once.

Output directory (all writes atomic: a temporary file moved into place; the temporaries of a
killed sweep are removed by the next one; a directory holding no manifest and nothing but
what a sweep that failed early leaves, empty folders, temporaries and the lock, counts as empty):

    manifest.json          what the sweep is: scenario and its values, method, samples, runs,
                           seed, the distributions varied, the posterior the history-fitted
                           parameters are drawn from (path, SHA-256, parameters), batch size,
                           index years, sdecon version, model hash, `log_outputs` (indices on
                           ln(output)). Written first; resume checks it (a resume may change
                           `log_outputs` only: the runs do not depend on it, the indices are
                           computed again).
    sweep.lock             empty; locked (flock) while a sweep writes the directory, so that
                           a second sweep is refused rather than mixed in.
    runs/batch-NNNNN.parquet
                           one row a run: `run` (0-based run number), one column a varied
                           parameter (its value, in the parameter's unit), then one column
                           `VARIABLE@YEAR` a public variable at an index year (in its unit).
                           Read them all with `pandas.read_parquet(DIR / "runs")`.
    sketches/batch-NNNNN.parquet
                           the batch's histogram of every public variable in every year:
                           `variable`, `year`, `bin`, `count` (see `Sketch`).
    summary_bands.csv, summary_bands.parquet
                           `variable`, `unit` (the .mdl's), `year`, `runs` (values counted),
                           `p5`, `p10`, `p25`, `p50`, `p75`, `p90`, `p95`: percentiles over the
                           runs, in the variable's unit, within RELATIVE_ACCURACY (0.5%).
    indices.csv, indices.parquet
                           `output` (VARIABLE@YEAR), `variable`, `year`, `unit`, `parameter`,
                           then by method: sobol `S1`, `S1_conf`, `ST`, `ST_conf`; morris
                           `mu_star`, `mu_star_conf`, `sigma`, `mu`; mc and lhs `S1`, `S1_conf`
                           (RBD-FAST), of the output or, with `log_outputs`, of ln(output).
                           Confidence intervals are 95% half-widths. Last,
                           `converged` (`converged`): False where an index is not to be
                           trusted; raise samples.
    figures/fan-<variable>.png   a fan chart per public variable
    figures/tornado.png          the indices of Compute Spending Share of GDP, a bar an index year

docs/sweep.md describes methods, distributions, the default uncertainty set and the files.
"""
from __future__ import annotations

import sys
import time
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from .. import model, scenarios
from ..errors import SdeconError
from ..model import PUBLIC_VARIABLES
from .batches import _compute_batch, _output_name, _Result, _Task
from .design import (BATCH_SIZE, DISTRIBUTIONS, HISTORY_TOLERANCE, INDEX_YEARS, METHODS, OUTPUT_VALUES, SWITCHES,
                     HistoryWarning, Uncertain, _check_design, _check_memory, _index_years, _positive, _saved_years,
                     _uncertainty, box_uncertainty, default_uncertainty, history_effect, parse_vary,
                     posterior_picks, run_count, sample, shapes_history, transform, unit_sample)
from .executors import DaskExecutor, LocalExecutor
from .indices import (CONVERGED_WIDTH, MORRIS_LEVELS, RBD_HARMONICS, RBD_RESAMPLE_CAP, RBD_RESAMPLES, RESAMPLES,
                      converged, indices, log_values, rbd_fast)
from .sketch import GAMMA, PERCENTILES, RELATIVE_ACCURACY, Sketch, _bands_frame
from .storage import (_FORMAT, SweepResult, _batch_files, _digest, _write_batch, _write_summaries,
                      _writing, load_sweep)


__all__ = [
    "BATCH_SIZE", "CONVERGED_WIDTH", "DISTRIBUTIONS", "GAMMA", "HISTORY_TOLERANCE", "INDEX_YEARS",
    "METHODS", "MORRIS_LEVELS", "PERCENTILES", "RBD_HARMONICS", "RBD_RESAMPLES", "RBD_RESAMPLE_CAP",
    "RELATIVE_ACCURACY", "RESAMPLES", "SWITCHES", "DaskExecutor", "HistoryWarning", "LocalExecutor",
    "Sketch", "SweepResult", "Uncertain", "box_uncertainty", "converged", "default_uncertainty",
    "history_effect", "indices", "load_sweep", "log_values", "parse_vary", "rbd_fast", "run_count", "sample",
    "shapes_history", "sweep", "transform", "unit_sample",
]


def sweep(scenario: str | scenarios.Scenario = "baseline", *, method: str = "sobol", samples: int = 1024,
          vary: Iterable[str | Uncertain] | None = None, seed: int = 0, years: Iterable[int] = INDEX_YEARS,
          batch_size: int = BATCH_SIZE, output: str | Path, resume: bool = False, figures: bool = True,
          log_outputs: bool = False, executor=None, progress: bool | None = None,
          log: Callable[[str], None] | None = None, posterior=None) -> SweepResult:
    """Run `samples` of `method` over the uncertain parameters and write the sweep to `output`.

    Parameters
    ----------
    scenario : str or Scenario
        Gives every parameter not varied.
    method : {"mc", "lhs", "sobol", "morris"}
    samples : int
        SALib's N: runs for mc and lhs, N (D + 2) runs for sobol (N a power of 2), N (D + 1)
        for morris (N trajectories), D the parameters varied.
    vary : iterable of str or Uncertain, optional
        "Name=LOW:HIGH[:distribution]" strings (see `parse_vary`); none: the default
        uncertainty set (`default_uncertainty`).
    seed : int
    years : iterable of int
        The years whose public variables get sensitivity indices.
    batch_size : int
        Runs a batch: the unit of work of an executor and of a file.
    output : str or Path
        The directory to write: new or empty, or with `resume` an earlier sweep's.
    resume : bool
        Finish the sweep in `output`, computing only the batches not on disk.
    figures : bool
        Draw the fan charts and the tornado.
    log_outputs : bool
        Compute the sensitivity indices of ln(output) rather than of each output (bands stay
        in the outputs' units). For positive outputs spanning orders of magnitude, such as a
        share of GDP, whose variance a few extreme runs would otherwise dominate. An output at
        or below 0 in some run is refused. The runs do not depend on it: `resume` with
        another `log_outputs` recomputes only the indices.
    executor : object with ``map(fn, iterable)``, optional
        Runs the batches: a `LocalExecutor` (default: one on every core, closed at the end),
        a `DaskExecutor`, or any pool whose map yields results (in any order).
    progress : bool, optional
        A bar on stderr (None: when stderr is a terminal).
    log : callable, optional
        Called with a line of text on what the sweep does.
    posterior : str, Path or Posterior, optional
        Draw the history-fitted parameters from this posterior (``sdecon posterior``), so the
        runs span what the history leaves uncertain as well as the assumptions varied; the
        draws are an input the indices do not score (`posterior_picks`). Default: they keep
        the scenario's calibrated values.

    Returns
    -------
    SweepResult
        The same arguments give the same files, whatever the executor.

    Raises
    ------
    SdeconError
        One line naming the argument, before any work: a bad value, a design that needs more
        memory than the machine has available, an output directory that is not empty (or,
        with `resume`, holds another sweep) or that another sweep is writing. After the runs:
        with `log_outputs`, an output at or below 0 (the runs are kept).
    """
    timings: dict[str, float] = {}
    clock = time.perf_counter()
    log = log or (lambda message: None)
    chosen = scenario if isinstance(scenario, scenarios.Scenario) else scenarios.load(scenario)
    uncertain = _uncertainty(vary, chosen)
    drawn = _posterior(posterior, uncertain)
    _check_design(method, samples, seed)
    batch_size = _positive(batch_size, "batch_size")
    if not isinstance(log_outputs, (bool, np.bool_)):
        raise SdeconError(f"log_outputs {log_outputs!r} is not a bool; expected True (indices on ln(output)) "
                          "or False (on the outputs)", argument="log_outputs")
    index_years = _index_years(list(years))
    _check_memory(method, len(uncertain), samples, len(PUBLIC_VARIABLES) * len(index_years))
    if executor is not None and not callable(getattr(executor, "map", None)):
        raise SdeconError(f"executor {executor!r} has no map(fn, iterable); expected a LocalExecutor, "
                          "a DaskExecutor or a pool", argument="executor")
    if output is None or not str(output):
        raise SdeconError("output is required: a sweep is written to a directory", argument="output")
    directory = Path(output)
    from .._version import __version__
    runs = run_count(method, len(uncertain), int(samples))
    batches = -(-runs // batch_size)
    manifest = {
        "format": _FORMAT, "sdecon_version": __version__, "model_hash": model.model_hash(),
        "scenario": chosen.name, "scenario_values": dict(sorted(chosen.values.items())),
        "method": method, "samples": int(samples), "runs": runs, "seed": int(seed),
        "vary": [u.describe() for u in uncertain], "default_set": not vary,
        "posterior": drawn[1] if drawn else None,
        "batch_size": batch_size, "batches": batches, "index_years": list(index_years),
        "variables": list(PUBLIC_VARIABLES), "years": _saved_years(), "percentiles": list(PERCENTILES),
        "relative_accuracy": RELATIVE_ACCURACY, "log_outputs": bool(log_outputs),
    }
    digest = _digest(manifest)
    owned = executor is None
    executor = LocalExecutor() if owned else executor
    try:
        with _writing(directory, manifest, digest, resume) as on_disk:
            return _sweep(directory, manifest, digest, on_disk, chosen, uncertain, executor, figures,
                          progress, log, timings, clock, drawn[0] if drawn else None)
    finally:
        if owned:
            executor.close()


def _posterior(posterior, uncertain) -> tuple | None:
    """The posterior and its manifest entry, checked against what the design varies."""
    if posterior is None:
        return None
    from ..posteriors import Posterior, load_posterior
    post = posterior if isinstance(posterior, Posterior) else load_posterior(posterior)
    both = [u.name for u in uncertain if u.name in post.names]
    if both:
        raise SdeconError(f"vary: {', '.join(map(repr, both))} {'is' if len(both) == 1 else 'are'} drawn from the "
                          "posterior; vary it by hand or draw it, not both", argument="vary")
    return post, {"path": str(post.path) if post.path else None, "sha256": post.fingerprint(), "parameters": post.names,
                  "until": post.until, "draws": len(post.samples)}


def _sweep(directory, manifest, digest, on_disk, chosen, uncertain, executor, figures, progress, log,
           timings, clock, post=None) -> SweepResult:
    method, samples, seed = manifest["method"], manifest["samples"], manifest["seed"]
    runs, batches, batch_size = manifest["runs"], manifest["batches"], manifest["batch_size"]
    index_years = tuple(manifest["index_years"])
    resuming, done = on_disk is not None, on_disk or set()
    todo = [i for i in range(batches) if i not in done]
    log(f"sweep: {runs:,} runs ({method}, {_plural(len(uncertain), 'parameter')}, seed {seed}) in "
        f"{_plural(batches, 'batch')} of up to {batch_size:,}"
        + (f"; {len(done)} already on disk" if resuming else ""))
    unit = unit_sample(method, len(uncertain), samples, seed)  # after the log: a large one takes a while
    names = [u.name for u in uncertain]
    base = {k: v for k, v in chosen.values.items() if k not in names}
    drawn = {}
    if post is not None:
        from ..posteriors import base_values
        base = {k: v for k, v in base_values(chosen, post.names).items() if k not in names}
        picks = posterior_picks(method, len(uncertain), runs, len(post.samples), seed)
        drawn = {n: post.samples[n].to_numpy()[picks] for n in post.names}
    timings["prepare"] = time.perf_counter() - clock

    def tasks():
        for index in todo:
            rows = slice(index * batch_size, min(runs, (index + 1) * batch_size))
            varied = {**transform(uncertain, unit[rows]), **{n: v[rows] for n, v in drawn.items()}}
            yield _Task(index, varied, base, PUBLIC_VARIABLES, index_years)

    bar = _bar()(total=runs, initial=runs - sum(_batch_rows(i, batch_size, runs) for i in todo),
               unit="run", desc="sweep", file=sys.stderr, disable=None if progress is None else not progress,
               smoothing=0.1)
    for key in ("batch_engine", "batch_reduce", "batch_write"):
        timings[key] = 0.0

    def on_result(result: _Result) -> None:
        if result.model_hash != manifest["model_hash"]:
            raise SdeconError(f"a worker ran another model (hash {result.model_hash[:12]}, here "
                              f"{manifest['model_hash'][:12]}); expected the same sdecon and .mdl on "
                              "every worker of the cluster")
        written = time.perf_counter()
        rows = slice(result.index * batch_size, min(runs, (result.index + 1) * batch_size))
        _write_batch(directory, batches, result, rows, names, transform(uncertain, unit[rows]), digest)
        timings["batch_engine"] += result.engine_seconds
        timings["batch_reduce"] += result.reduce_seconds
        timings["batch_write"] += time.perf_counter() - written
        bar.update(rows.stop - rows.start)

    if todo and isinstance(executor, LocalExecutor):
        from .. import engine
        clock = time.perf_counter()
        engine.program().prepare()  # once a process; forked workers inherit it
        timings["compile"] = time.perf_counter() - clock
    clock = time.perf_counter()
    results = executor.map(_compute_batch, tasks()) if todo else ()
    try:
        for result in results:  # written as each arrives
            on_result(result)
    finally:
        getattr(results, "close", lambda: None)()  # a streaming map stops its workers
        bar.close()
    timings["compute"] = time.perf_counter() - clock

    clock = time.perf_counter()
    bands, index_table = _summaries(directory, manifest, uncertain, unit, digest)
    timings["summaries"] = time.perf_counter() - clock
    clock = time.perf_counter()
    _write_summaries(directory, manifest, bands, index_table, digest, figures)
    timings["write"] = time.perf_counter() - clock
    return SweepResult(directory, manifest, bands, index_table, len(todo), len(done), timings)


def _bar():
    from tqdm import tqdm

    class Bar(tqdm):
        monitor_interval = 0  # no monitor thread: the local executor forks after this

    return Bar


def _plural(n: int, noun: str) -> str:
    return f"{n:,} {noun}" + ("" if n == 1 else "es" if noun.endswith("ch") else "s")


def _batch_rows(index: int, batch_size: int, runs: int) -> int:
    return min(runs, (index + 1) * batch_size) - index * batch_size


def _summaries(directory: Path, manifest: dict, uncertain: Sequence[Uncertain], unit: np.ndarray,
               digest: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Percentile bands from the batches' sketches (merged a few at a time) and indices
    from the index outputs (read one output at a time)."""
    batches = manifest["batches"]
    variables, years = tuple(manifest["variables"]), manifest["years"]
    merged = None
    for path in _batch_files(directory, "sketches", batches):  # one batch at a time
        sketch = Sketch.from_frame(pd.read_parquet(path), variables, years)
        merged = sketch if merged is None else merged.merge(sketch)
    bands = _bands_frame(merged)

    files = _batch_files(directory, "runs", batches)
    outputs = [_output_name(v, y) for v in variables for y in manifest["index_years"]]
    names = [u.name for u in uncertain]
    frames = []
    group = max(1, OUTPUT_VALUES // manifest["runs"])  # outputs read at once: memory bounded
    for first in range(0, len(outputs), group):
        chosen = outputs[first:first + group]
        parts = [pd.read_parquet(f, columns=chosen) for f in files]
        ys = {output: np.concatenate([part[output].to_numpy() for part in parts]) for output in chosen}
        del parts
        frames.append(indices(manifest["method"], names, unit, ys, manifest["seed"],
                              log_outputs=manifest.get("log_outputs", False)))
    table = pd.concat(frames, ignore_index=True)
    variable = [output.rsplit("@", 1)[0] for output in table["output"]]
    year = [int(output.rsplit("@", 1)[1]) for output in table["output"]]
    units = model.documentation()["Units"]
    table.insert(1, "variable", variable)
    table.insert(2, "year", np.asarray(year, dtype=np.int64))
    table.insert(3, "unit", [str(units[v]) for v in variable])
    return bands, table
