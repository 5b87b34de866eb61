"""A batch of runs: the task a worker gets and what it sends back, reduced to what the sweep keeps."""
from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

from .. import model
from .sketch import Sketch


@dataclass(frozen=True)
class _Task:
    index: int
    varied: dict[str, np.ndarray]
    base: dict[str, float]
    variables: tuple[str, ...]
    index_years: tuple[int, ...]


@dataclass(frozen=True)
class _Result:
    index: int
    outputs: dict[str, np.ndarray]
    sketch: Sketch
    engine_seconds: float  # simulating
    reduce_seconds: float  # sketch and index outputs
    model_hash: str        # of the .mdl the worker ran (a cluster's workers may differ)


def _output_name(variable: str, year: int) -> str:
    return f"{variable}@{year}"


def _compute_batch(task: _Task) -> _Result:
    """A worker's job: simulate the batch and reduce it to what the sweep keeps."""
    from .. import engine
    start = time.perf_counter()
    runs = len(next(iter(task.varied.values())))
    batch = engine.run({**task.base, **task.varied}, runs, variables=task.variables)
    simulated = time.perf_counter()
    years = [int(round(y)) for y in batch.years]
    outputs = {_output_name(v, y): np.array(batch.values[v][years.index(y)])
               for v in task.variables for y in task.index_years}
    sketch = Sketch.of(task.variables, years, batch.values)
    return _Result(task.index, outputs, sketch, simulated - start, time.perf_counter() - simulated,
                   model.model_hash())
