"""The batch engine: a Vensim `.mdl` compiled to machine code, many parameter sets in one call.

PySD spends most of a run on Python overhead per variable and step. Here PySD's own parser
reads the `.mdl` into its abstract syntax tree (`parse`), we generate one Python kernel from
it that simulates each run of a batch step by step (`codegen`), and numba compiles that
kernel into a loop in machine code, cached on disk so that a second process loads it
instead of compiling again. There is no second copy of the equations to drift: change the
`.mdl` and the engine follows.

    from sdecon import engine
    program = engine.compile("my_model.mdl")          # any Vensim model; default: the shipped one
    batch = program.run({"Delay Time": [2, 4, 8]})    # three runs at once
    batch.frame(1)                                    # run 1 as a frame indexed by time

The kernel reproduces PySD's semantics (see `codegen`) and is tested against PySD on the
SDXorg test-models suite and on every shipped scenario. What it cannot compile
(subscripts, external data, a few functions) it refuses in one line naming the
construct and the variable; `sdecon.run` (PySD) can still run such a model.
"""
from __future__ import annotations

import functools
import hashlib
import importlib.util
import json
import math
import os
import sys
import tempfile
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from .. import model as _model
from ..errors import SdeconError, closest
from .codegen import SMALL_VENSIM, Kernel
from .parse import CONTROLS, Unsupported, parse, references

__all__ = ["Batch", "Program", "Unsupported", "compile", "program", "run", "SMALL_VENSIM"]

# PySD's relative precision for the final and saving times (pysd Time.rprec).
RPREC = 1e-5
#: A batch uses one thread for each this many runs, up to `THREADS`.
PARALLEL_RUNS = 16
#: Threads a batch may use: one a core by default; a sweep's worker processes set 1.
THREADS: int | None = None
BACKENDS = ("numba", "python")


@dataclass(frozen=True)
class Batch:
    """The result of a run: one array a variable, shaped (saved time, run)."""
    years: np.ndarray
    values: dict[str, np.ndarray]

    @property
    def runs(self) -> int:
        return next(iter(self.values.values())).shape[1]

    def frame(self, run: int = 0) -> pd.DataFrame:
        """Run number `run` as a frame shaped like `sdecon.run`'s: indexed by time ("year"),
        as integers when every saved time is a whole number."""
        times = self.years
        whole = np.all(np.abs(times - np.round(times)) < 1e-9)
        index = pd.Index(np.round(times).astype(int) if whole else times, name="year")
        return pd.DataFrame({name: array[:, run] for name, array in self.values.items()},
                            index=index)


class Program:
    """One compiled model: its constants and their defaults, its variables, and `run`."""

    def __init__(self, path: Path, backend: str, spec: dict):
        self.path = Path(path)
        self.backend = backend
        self._spec = spec
        self.constants: list[str] = spec["constants"]
        self.defaults: dict[str, float] = dict(zip(spec["constants"], spec["defaults"]))
        self.variables: list[str] = _ordered(spec["saved"])
        self._saved_index = {name: i for i, name in enumerate(spec["saved"])}
        self._module = _load(spec["source"], backend)

    @functools.cached_property
    def kernel(self) -> Kernel:
        """The code generator's view of the model (parsed again on first use: a program
        loaded from the cache does not need it to run)."""
        return Kernel(parse(self.path))

    def prepare(self) -> "Program":
        """Compile the kernel now rather than at the first run (numba compiles on first
        call, or loads its cache from disk), e.g. before forking worker processes."""
        c = self.controls()
        self.run(final_time=c["initial_time"] + c["saveper"])
        return self

    @property
    def stocks(self) -> list[str]:
        """The model's named stocks (INTEG), in the file's order."""
        return list(self._spec["stocks"])

    @property
    def source(self) -> str:
        """The generated kernel, as Python source."""
        return self._spec["source"]

    def controls(self, values: Mapping[str, float] | None = None, *, time_step: float | None = None,
                 final_time: float | None = None) -> dict[str, float]:
        """INITIAL TIME, FINAL TIME, TIME STEP and SAVEPER for these constants: a control
        may be an expression of constants, and SAVEPER defaults to TIME STEP."""
        scalars = {**self.defaults, **(values or {})}
        env = {**vars(self._module), **{ident: float(scalars[name])  # with the kernel's helpers
                                        for name, ident in zip(self.constants, self._spec["idents"])}}
        given = {"time_step": time_step, "final_time": final_time}
        for key, control in self._spec["controls"].items():  # each after those it uses
            if given.get(key) is not None:
                env[control["ident"]] = float(given[key])
            elif "value" in control:
                env[control["ident"]] = control["value"]
            else:
                env[control["ident"]] = float(eval(control["source"], env))  # generated by us
        return {key: env[self._spec["controls"][key]["ident"]] for key in CONTROLS}

    def run(self, values: Mapping[str, float | np.ndarray] | None = None, runs: int | None = None,
            *, time_step: float | None = None, final_time: float | None = None,
            variables: Collection[str] | None = None) -> Batch:
        """Simulate a batch: each value a number (shared) or an array with one element per run.

        Values not given are the `.mdl`'s defaults. `variables` limits what is kept (all
        time-varying variables by default), which bounds the memory of large batches;
        `final_time` ends the runs early (a calibration to 2024 needs no 2050). Values are not
        checked against the parameters' bounds here: callers that take user input
        (`sdecon.sweep`, `calibrate`) do.
        """
        scalars, arrays = {}, {}
        controls = {c["name"] for c in self._spec["controls"].values()}
        for name, value in (values or {}).items():
            if name not in self.defaults:
                if name in controls:
                    raise SdeconError(f"{name} is a control variable: pass time_step= or "
                                      "final_time= instead")
                raise SdeconError(f"unknown model constant {name!r}{closest(name, self.defaults)}; "
                                  "see 'sdecon params'")
            array = np.asarray(value, dtype=float)
            if array.ndim == 0:
                scalars[name] = float(array)
            elif array.ndim == 1:
                arrays[name] = array
            else:
                raise SdeconError(f"{name}: expected a number or a 1-D array, got shape {array.shape}")
        sizes = {a.shape[0] for a in arrays.values()} | ({runs} if runs is not None else set())
        if len(sizes) > 1:
            raise SdeconError(f"the arrays of values have different lengths {sorted(sizes)}; "
                              "expected one length, the number of runs")
        n = sizes.pop() if sizes else 1
        if n < 1:
            raise SdeconError(f"runs must be at least 1, got {n}")
        for name in set(self._spec["control_inputs"]) & set(arrays):
            if np.any(arrays[name] != arrays[name][0]):
                raise SdeconError(f"{name}: the control variables depend on it, so it must be the "
                                  "same in every run of a batch")
            scalars[name] = float(arrays.pop(name)[0])
        c = self.controls(scalars, time_step=time_step, final_time=final_time)
        t0, final, dt, saveper = c["initial_time"], c["final_time"], c["time_step"], c["saveper"]
        for label, number in (("time step", dt), ("SAVEPER", saveper)):
            if not (number > 0 and math.isfinite(number)):
                raise SdeconError(f"{label} {number!r} must be a positive number")
        if not (math.isfinite(t0) and math.isfinite(final) and final >= t0):
            raise SdeconError(f"FINAL TIME {final!r} must be a number no earlier than "
                              f"INITIAL TIME {t0!r}")
        if self._spec["saveper_sensitive"] and abs(saveper - dt) > RPREC * dt:
            name = self._spec["saveper_sensitive"][0]
            raise Unsupported(f"{name}: the batch engine does not support this stateful when "
                              f"SAVEPER ({saveper:g}) differs from TIME STEP ({dt:g}): it reads a "
                              "variable that PySD computes after updating some stocks except at "
                              "saved steps, so PySD's result depends on SAVEPER; save every step "
                              "or use sdecon.run (PySD)")
        n_steps, save_steps, save_times = _schedule(t0, final, dt, saveper)
        # Fresh arrays: the schedule is cached, and a Batch's years belong to its caller.
        save_steps, save_times = np.array(save_steps, dtype=np.int64), np.array(save_times)
        expected = math.floor((final - t0) / saveper + RPREC) + 1
        if len(save_steps) != expected:
            raise SdeconError(f"time step {dt:g} does not divide SAVEPER {saveper:g}: PySD's rule "
                              f"would save {len(save_steps)} of the {expected} times from {t0:g} "
                              f"to {final:g}; choose a step that divides SAVEPER")

        names = self.variables
        keep = list(names) if variables is None else list(dict.fromkeys(variables))
        for name in keep:
            if name not in self._saved_index:
                raise SdeconError(f"unknown model variable {name!r}{closest(name, names)}")
        keep_index = np.full(len(self._saved_index), -1, dtype=np.int64)
        for i, name in enumerate(keep):
            keep_index[self._saved_index[name]] = i

        P = np.empty((n, len(self.constants)))
        for i, name in enumerate(self.constants):
            P[:, i] = arrays[name] if name in arrays else scalars.get(name, self.defaults[name])
        out = np.empty((n, len(keep), len(save_steps)))
        arguments = (t0, dt, final, saveper, n_steps, save_steps, keep_index)
        with np.errstate(all="ignore"):
            try:
                self._simulate(P, arguments, out)
            except ValueError as error:  # the kernel's own checks, e.g. a delay's order
                raise SdeconError(str(error)) from None
        return Batch(save_times, {name: out[:, i, :].T for i, name in enumerate(keep)})

    def _simulate(self, P: np.ndarray, arguments: tuple, out: np.ndarray) -> None:
        """The kernel over the batch: a large batch in one thread a core (the compiled
        kernel releases the GIL), each thread a contiguous block of runs."""
        kernel, n = self._module.kernel, P.shape[0]
        cores = THREADS or len(os.sched_getaffinity(0))
        threads = min(cores, n // PARALLEL_RUNS) if self.backend == "numba" else 1
        if threads <= 1:
            kernel(P, *arguments, out)
            return
        from concurrent.futures import ThreadPoolExecutor
        bounds = np.linspace(0, n, threads + 1).astype(int)
        with ThreadPoolExecutor(threads) as pool:
            futures = [pool.submit(kernel, P[a:b], *arguments, out[a:b])
                       for a, b in zip(bounds[:-1], bounds[1:])]
            for future in futures:
                future.result()


def _ordered(names: list[str]) -> list[str]:
    """The shipped model's public variables first, then the rest sorted, as
    `sdecon.model.variable_names()`; another model's variables in its file's order."""
    public = [n for n in _model.PUBLIC_VARIABLES if n in names]
    if len(public) < len(_model.PUBLIC_VARIABLES):
        return list(names)
    return public + sorted(set(names) - set(public))


def _specification(path: Path) -> dict:
    """What a `Program` needs to run, from the parsed model: the kernel's source, its
    constants and saved variables in the kernel's order, and the control variables as
    values or expressions (in an order that computes each after those it uses)."""
    kernel = Kernel(parse(path))
    els = kernel.elements
    controls, inputs, order = {}, set(), []

    def visit(key: str, trail: tuple = ()) -> None:
        if key in order:
            return
        el = els[key]
        if key in trail:
            raise SdeconError(f"{el.name}: the control variables refer to each other in a loop")
        entry = {"name": el.name, "ident": kernel.ident[key]}
        if el.kind == "constant":
            entry["value"] = float(el.args["expr"])
        elif el.kind == "aux":
            refs = references(el.args["expr"])
            moving = sorted(r for r in refs if r not in CONTROLS and (r == "time" or els[r].kind != "constant"))
            if moving:
                raise Unsupported(f"{el.name}: the batch engine does not support a control variable "
                                  f"that depends on {moving[0]!r} (it must be a constant); "
                                  "sdecon.run (PySD) can still run this model")
            for r in sorted(refs & set(CONTROLS)):
                visit(r, trail + (key,))
            inputs.update(els[r].name for r in refs - set(CONTROLS))
            entry["source"] = kernel.expr(el.args["expr"])
        else:
            raise Unsupported(f"{el.name}: the batch engine does not support a control variable "
                              f"defined as {el.kind}; sdecon.run (PySD) can still run this model")
        controls[key] = entry
        order.append(key)

    for key in CONTROLS:
        visit(key)
    return {
        "source": kernel.source,
        "constants": [els[k].name for k in kernel.constants],
        "idents": [kernel.ident[k] for k in kernel.constants],
        "defaults": [float(els[k].args["expr"]) for k in kernel.constants],
        "saved": [els[k].name for k in kernel.saved],
        "controls": {key: controls[key] for key in order},
        "control_inputs": sorted(inputs),
        "saveper_sensitive": kernel.saveper_sensitive,
        "stocks": [els[k].name for k in kernel.statefuls if els[k].kind == "integ" and not els[k].hidden],
    }


@functools.lru_cache(maxsize=64)  # a Python loop over every step: once per clock, not per batch
def _schedule(t0: float, final: float, dt: float, saveper: float):
    """The number of Euler steps and the steps whose values are saved, by PySD's rules
    (`Time.in_bounds`, `Time.in_return`), with the saved times rounded as PySD rounds them."""
    prec = dt * RPREC
    t, step, steps, times = t0, 0, [], []
    while True:
        delay = t - t0
        if delay % saveper < prec or -delay % saveper < prec:
            steps.append(step)
            times.append(t)
        if not t + dt * RPREC < final:
            break
        t, step = t + dt, step + 1
    digits = -int(np.log10(dt * RPREC))
    return step, tuple(steps), tuple(np.round(times, digits).tolist())


_PRELUDE = {  # nogil: the threads of a large batch run the kernel side by side
    "numba": "import numba\n_jit = numba.njit(cache=True, error_model='numpy', nogil=True)\n",
    "python": "_jit = lambda function: function  # noqa: E731\n",
}


def _load(source: str, backend: str):
    """The generated module: for numba, written once into the cache directory (keyed by
    its text and numba's version) so that numba's on-disk cache serves later processes."""
    text = _PRELUDE[backend] + source
    if backend == "python":
        module = type(sys)("sdecon_kernel")
        exec(_compile(text, "<sdecon kernel>", "exec"), module.__dict__)
        return module
    import numba
    digest = hashlib.sha256(f"{numba.__version__}\n{text}".encode()).hexdigest()[:20]
    folder = _model.cache_dir() / "engine"
    target = folder / f"kernel_{digest}.py"
    if not target.is_file():
        _write_atomically(target, text)
    name = f"sdecon_kernel_{digest}"
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, target)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    sys.modules[name] = module
    return module


_compile = compile  # the builtin, before `compile` below shadows it


def _write_atomically(target: Path, text: str) -> None:
    """Write a cache file whole or not at all: a concurrent process sees one or the other."""
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        handle, scratch = tempfile.mkstemp(prefix=".tmp-", suffix=target.suffix, dir=target.parent)
        with os.fdopen(handle, "w") as stream:
            stream.write(text)
        os.replace(scratch, target)
    except OSError as error:
        raise SdeconError(f"cannot write the engine's cache {str(target.parent)!r}: "
                          f"{error.strerror or error}; set SDECON_CACHE_DIR to a writable "
                          "directory") from None


@functools.cache
def _engine_digest() -> str:
    """Of the engine's own code and PySD's version: a change to either regenerates."""
    from importlib.metadata import version
    here = Path(__file__).parent
    text = "".join((here / f).read_text() for f in ("__init__.py", "parse.py", "codegen.py"))
    return hashlib.sha256(f"{version('pysd')}\n{text}".encode()).hexdigest()


@functools.cache
def _compiled(path: str, digest: str, backend: str) -> Program:
    """The program for a file's content, its specification read from the cache directory
    when an earlier process wrote it (parsing with PySD takes about two seconds)."""
    key = hashlib.sha256(f"{digest}{_engine_digest()}".encode()).hexdigest()[:20]
    cached = _model.cache_dir() / "engine" / f"program_{key}.json"
    try:
        spec = json.loads(cached.read_text())
    except (OSError, ValueError):
        spec = _specification(Path(path))
        _write_atomically(cached, json.dumps(spec))
    return Program(Path(path), backend, spec)


def compile(path: str | os.PathLike | None = None, *, backend: str = "numba") -> Program:  # noqa: A001
    """Compile a Vensim `.mdl` (the shipped model by default), once per file content and process.

    `backend="python"` runs the same generated kernel uncompiled: slower for large models,
    but with no compile time, for small models and for reading what the engine does.
    Raises `Unsupported` (an `SdeconError`) naming the construct and the variable when the
    model uses something the engine does not compile.
    """
    if backend not in BACKENDS:
        raise SdeconError(f"backend {backend!r} is not known; allowed: {', '.join(BACKENDS)}")
    path = Path(path) if path is not None else _model.model_path()
    if not path.is_file():
        raise SdeconError(f"model file {str(path)!r} not found")
    resolved = path.resolve()
    stat = resolved.stat()
    return _compiled(str(resolved), _file_digest(str(resolved), stat.st_mtime_ns, stat.st_size), backend)


@functools.lru_cache(maxsize=64)
def _file_digest(path: str, mtime_ns: int, size: int) -> str:
    """SHA-256 of a file, read again only when its time or size changes: a fit or a posterior
    asks for the program thousands of times."""
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def program() -> Program:
    """The engine for the shipped `.mdl`."""
    return compile()


def run(values: Mapping[str, float | np.ndarray] | None = None, runs: int | None = None, *,
        time_step: float | None = None, final_time: float | None = None,
        variables: Collection[str] | None = None) -> Batch:
    """`Program.run` on the shipped model."""
    return program().run(values, runs, time_step=time_step, final_time=final_time,
                         variables=variables)
