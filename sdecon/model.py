"""The Vensim model, translated by PySD into a user cache and run without side effects.

`models/ai_compute_economy.mdl` is the one source of truth for the equations. PySD writes
its translation beside the file it reads, so we copy the `.mdl` into a cache directory
keyed by its hash and the PySD version, and translate there.
"""
from __future__ import annotations

import contextlib
import functools
import hashlib
import os
import shutil
import tempfile
import warnings
from pathlib import Path

import pandas as pd

from .errors import SdeconError

MODEL_NAME = "ai_compute_economy.mdl"

#: The variables MODEL.md makes public: the columns users and reports rely on.
PUBLIC_VARIABLES = (
    "Hardware Efficiency Multiplier",
    "Software Efficiency Multiplier",
    "Combined Efficiency Multiplier",
    "Training Cost per Billion Tokens",
    "Price of AI Compute",
    "AI Spending Share",
    "Training Compute Spending",
    "Inference Compute Spending",
    "Compute Spending",
    "Compute Spending Share of GDP",
    "Datacenter Capex",
    "Installed Compute",
    "GDP",
)

CONTROL_VARIABLES = ("INITIAL TIME", "FINAL TIME", "TIME STEP", "SAVEPER")


def model_path() -> Path:
    """Path of the `.mdl` file: inside the installed wheel, or `models/` of a checkout."""
    here = Path(__file__).resolve().parent
    for candidate in (here / "models" / MODEL_NAME, here.parent / "models" / MODEL_NAME):
        if candidate.is_file():
            return candidate
    raise FileNotFoundError(f"{MODEL_NAME} not found beside the sdecon package")


@functools.cache
def model_hash() -> str:
    """SHA-256 of the model file, for manifests and the translation cache."""
    return hashlib.sha256(model_path().read_bytes()).hexdigest()


def cache_dir() -> Path:
    """Where translations live: $SDECON_CACHE_DIR, else $XDG_CACHE_HOME/sdecon, else ~/.cache/sdecon."""
    if os.environ.get("SDECON_CACHE_DIR"):
        return Path(os.environ["SDECON_CACHE_DIR"])
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "sdecon"


@contextlib.contextmanager
def _quiet():
    """PySD and pandas warn on every import and run about deprecations we cannot fix here."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        warnings.simplefilter("ignore", FutureWarning)
        warnings.filterwarnings("ignore", module="pysd")
        warnings.filterwarnings("ignore", message=".*inplace keyword.*")
        yield


def _import_pysd():
    with _quiet():
        import pysd
    return pysd


def _translated_model_file() -> Path:
    pysd = _import_pysd()

    key = f"{model_hash()[:16]}-pysd{pysd.__version__}"
    target = cache_dir() / key
    py_file = target / MODEL_NAME.replace(".mdl", ".py")
    if py_file.is_file():
        return py_file
    # Translate in a private directory, then move it into place in one step, so a
    # crash or a concurrent process never leaves a half-written translation.
    try:
        cache_dir().mkdir(parents=True, exist_ok=True)
        work = Path(tempfile.mkdtemp(prefix=".translate-", dir=cache_dir()))
    except OSError as error:
        raise SdeconError(f"cannot write the model's translation cache {str(cache_dir())!r}: "
                          f"{error.strerror or error}; set SDECON_CACHE_DIR to a writable "
                          "directory") from None
    try:
        shutil.copy2(model_path(), work / MODEL_NAME)
        with _quiet():
            pysd.read_vensim(str(work / MODEL_NAME))
        try:
            os.replace(work, target)
        except OSError:  # another process won the race; its translation is identical
            pass
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return py_file


@functools.cache
def _loaded():
    """The PySD model and its constants' values as written in the `.mdl`, once per process
    (a loaded model cannot be pickled, so each worker process loads its own)."""
    pysd = _import_pysd()
    with _quiet():
        model = pysd.load(str(_translated_model_file()))
    doc = model.doc
    constants = doc[doc["Type"] == "Constant"]
    defaults = {name: float(getattr(model.components, py)())
                for name, py in zip(constants["Real Name"], constants["Py Name"])}
    return model, defaults


def defaults() -> dict[str, float]:
    """Every constant's value as written in the `.mdl`."""
    return dict(_loaded()[1])


@functools.cache
def documentation() -> pd.DataFrame:
    """PySD's table of model elements: name, units, limits, type and comment."""
    doc = _loaded()[0].doc.copy()
    doc["Comment"] = doc["Comment"].fillna("").str.replace(r"\s+", " ", regex=True).str.strip()
    return doc.set_index("Real Name", drop=False)


@functools.cache
def variable_names() -> tuple[str, ...]:
    """Names of the model's time-varying variables: public ones first, then the rest."""
    doc = documentation()
    varying = doc[doc["Type"].isin(["Auxiliary", "Stateful"])].index
    rest = sorted(set(varying) - set(PUBLIC_VARIABLES))
    return PUBLIC_VARIABLES + tuple(rest)


@functools.cache
def stock_names() -> tuple[str, ...]:
    doc = documentation()
    return tuple(doc[(doc["Type"] == "Stateful") & (doc["Subtype"] == "Integ")].index)


def simulate(values: dict[str, float] | None = None, *, time_step: float | None = None,
             timestamps=None) -> pd.DataFrame:
    """Run the model with `values` over the defaults; one row a timestamp, one column a variable.

    Every call sets all constants and the time step explicitly, so no value from an
    earlier run survives into this one (PySD keeps values set through `run(params=...)`).
    """
    model, base = _loaded()
    params = {name: value for name, value in base.items() if name not in CONTROL_VARIABLES}
    params.update(values or {})
    step = base["TIME STEP"] if time_step is None else time_step
    with _quiet():
        return model.run(
            params=params,
            initial_condition="original",
            time_step=step,
            final_time=base["FINAL TIME"],
            saveper=base["SAVEPER"] if timestamps is None else step,
            return_timestamps=timestamps,
            return_columns=list(variable_names()),
        )
