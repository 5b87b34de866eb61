"""The calibration and the sweep a report is given, read back and checked before any run."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from .. import plotting
from ..errors import SdeconError


@dataclass
class CalibrationInput:
    """A calibration file read for the report (written by `sdecon calibrate --output FILE.json`)."""
    path: Path
    values: dict[str, float]      # the fitted values, checked against the bounds; the runs take them
    content: dict                 # the whole file: stderr, cost, success, message, until, unidentified, ...
    residuals: pd.DataFrame       # series, label, year, observed, unit, variable, weight, modelled, log_error


@dataclass
class SweepInput:
    """A finished sweep read for the report (written by `sdecon sweep --output DIR`)."""
    path: Path
    manifest: dict
    bands: pd.DataFrame           # summary_bands.parquet
    indices: pd.DataFrame         # indices.parquet


_RESIDUAL_COLUMNS = ("series", "year", "observed", "unit", "modelled", "log_error")
_FROM_CALIBRATE = "expected a file written by 'sdecon calibrate --output FILE.json'"
_FROM_SWEEP = "expected a directory written by 'sdecon sweep'"


def _one_line(error) -> str:
    return " ".join(str(error).split())[:300]


def _load_calibration(path: Path) -> CalibrationInput:
    """Read a calibration for the 'Model against history' section and the runs; SdeconError
    (one line) when the file is missing, not JSON, its values unknown or out of bounds, or it
    lacks the residuals the section draws."""
    from .. import calibration as fitting

    path = Path(path)
    content = fitting.read(path)       # values checked: what `sdecon run --calibration` uses
    values = content["parameters"]
    records = content.get("residuals")
    if not isinstance(records, list) or not records or not all(isinstance(r, dict) for r in records):
        raise SdeconError(f"calibration file {str(path)!r} has no \"residuals\" records to set the model "
                          f"against history; {_FROM_CALIBRATE}")
    residuals = pd.DataFrame.from_records(records)
    missing = [c for c in _RESIDUAL_COLUMNS if c not in residuals]
    if missing:
        raise SdeconError(f"calibration file {str(path)!r}: its residuals lack {', '.join(missing)}; "
                          f"{_FROM_CALIBRATE}")
    for column in ("year", "observed", "modelled", "log_error"):
        residuals[column] = pd.to_numeric(residuals[column], errors="coerce")
    if residuals[["year", "observed"]].isna().any().any() or not (residuals["observed"] > 0).all():
        raise SdeconError(f"calibration file {str(path)!r}: every residual needs a year and a positive "
                          f"observed value; {_FROM_CALIBRATE}")
    for key, kind in (("stderr", dict), ("correlation", dict), ("levels", dict), ("unidentified", list)):
        if content.get(key) is not None and not isinstance(content[key], kind):
            raise SdeconError(f"calibration file {str(path)!r}: \"{key}\" is not a "
                              f"{'JSON object' if kind is dict else 'list'}; {_FROM_CALIBRATE}")
    residuals["series"] = residuals["series"].astype(str)
    residuals["unit"] = residuals["unit"].astype(str)
    return CalibrationInput(path, values, content, residuals)


def _load_sweep(path: Path) -> SweepInput:
    """Read a finished sweep for the 'Sensitivity' section (`sdecon.sweep.load`); SdeconError
    (one line) when it is not a sweep, is unfinished or its summaries cannot be read."""
    from .. import sweep as sweeps

    path = Path(path)
    try:
        result = sweeps.load(path)
        manifest, bands, indices = result.manifest, result.bands, result.indices
        method = manifest.get("method")
    except SdeconError:
        raise
    except (OSError, ValueError, TypeError, KeyError, AttributeError) as error:  # a damaged file
        raise SdeconError(f"sweep directory {str(path)!r} cannot be read: {_one_line(error)}") from None
    missing = [k for k in ("scenario", "method", "samples", "runs", "seed", "vary") if k not in manifest]
    if missing:
        raise SdeconError(f"sweep directory {str(path)!r}: its manifest lacks {', '.join(missing)}; {_FROM_SWEEP}")
    if method not in plotting.INDEX_SHOWN:
        raise SdeconError(f"sweep directory {str(path)!r}: unknown method {method!r}; "
                          f"allowed: {', '.join(plotting.INDEX_SHOWN)}")
    column, conf = plotting.INDEX_SHOWN[method].column, plotting.INDEX_SHOWN[method].conf
    for name, frame, needed in (("summary_bands", bands, ["variable", "unit", "year", "runs", "p50"]),
                                ("indices", indices, ["variable", "year", "parameter", column, conf])):
        lacking = [c for c in needed if c not in frame]
        if lacking:
            raise SdeconError(f"sweep directory {str(path)!r}: {name} lacks {', '.join(lacking)}; {_FROM_SWEEP}")
    return SweepInput(path, manifest, bands, indices)

