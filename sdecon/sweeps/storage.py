"""The sweep's directory: manifest, batch files, resume, and reading a finished sweep back."""
from __future__ import annotations

import fcntl
import hashlib
import json
import os
import re
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import SdeconError
from ..output import is_temporary
from .batches import _Result

_MANIFEST = "manifest.json"
_FORMAT = 1                          # version of the directory layout
_LOCK = "sweep.lock"                 # flock-ed while a sweep writes the directory
_FOLDERS = ("runs", "sketches", "figures")
HEADLINE = "Compute Spending Share of GDP"  # the variable of the tornado figure
#: Settings of the indices only: the runs do not depend on them, so they are left out of the
#: digest the batch files carry, and a resume may change them (the indices are computed again).
_INDEX_SETTINGS = {"log_outputs": False}   # each with the value a manifest without it means
_INDEX_FILES = ("indices.parquet", "indices.csv", "figures/tornado.png")  # what they change
# output.write_all's temporary files: ".NAME.XXXXXXXX.SUFFIX" (mkstemp's 8 random characters)


@dataclass
class SweepResult:
    """A finished sweep.

    Attributes
    ----------
    directory : Path
    manifest : dict
        The contents of manifest.json.
    bands, indices : DataFrame
        summary_bands and indices, as in their files.
    computed, skipped : int
        Batches computed by this call, and found on disk (resume).
    timings : dict
        Seconds spent by step, for the call that computed the sweep.
    log_outputs : bool
        The indices are of ln(output) (manifest key `log_outputs`), not of the outputs.
    """
    directory: Path
    manifest: dict
    bands: pd.DataFrame
    indices: pd.DataFrame
    computed: int = 0
    skipped: int = 0
    timings: dict[str, float] = field(default_factory=dict)

    def runs(self, columns: Sequence[str] | None = None) -> pd.DataFrame:
        """Every run's row (sample and index outputs), in run order. Holds all runs in
        memory: pass `columns` for large sweeps."""
        files = _batch_files(self.directory, "runs", self.manifest["batches"])
        wanted = None if columns is None else ["run", *[c for c in columns if c != "run"]]
        frame = pd.concat([pd.read_parquet(f, columns=wanted) for f in files], ignore_index=True)
        return frame.sort_values("run", ignore_index=True)

    @property
    def log_outputs(self) -> bool:
        return bool(_index_settings(self.manifest)["log_outputs"])

    @property
    def figures(self) -> list[Path]:
        return sorted((self.directory / "figures").glob("*.png"))


def _batch_files(directory: Path, kind: str, batches: int) -> list[Path]:
    return [directory / kind / f"batch-{i:05d}.parquet" for i in range(batches)]


def _digest(manifest: dict) -> str:
    """What the runs depend on: the manifest without `_INDEX_SETTINGS`."""
    return hashlib.sha256(json.dumps(_runs_settings(manifest), sort_keys=True).encode()).hexdigest()


def _runs_settings(manifest: dict) -> dict:
    return {k: v for k, v in manifest.items() if k not in _INDEX_SETTINGS}


def _index_settings(manifest: dict) -> dict:
    return {k: manifest.get(k, default) for k, default in _INDEX_SETTINGS.items()}


def _check_directory(directory: Path, manifest: dict, resume: bool) -> dict | None:
    """Refuse an output directory this sweep may not write; its manifest when it holds this
    sweep already (the same but for `_INDEX_SETTINGS`), else None. What a sweep leaves when it
    fails before its manifest (the lock, empty folders, temporaries: a full disk does) counts
    as nothing."""
    if directory.exists() and not directory.is_dir():
        raise SdeconError(f"output {str(directory)!r} is a file; expected a directory", argument="output")
    path = directory / _MANIFEST
    if not path.is_file():
        if not directory.is_dir() or all(_is_scaffolding(p) for p in directory.iterdir()):
            return None
        if resume:
            raise SdeconError(f"resume: {str(directory)!r} is not empty and holds no sweep "
                              f"({_MANIFEST} is missing); expected a directory of an earlier sweep",
                              argument="resume")
        raise SdeconError(f"output {str(directory)!r} is not empty; expected an empty or new directory",
                          argument="output")
    if not resume:
        raise SdeconError(f"output {str(directory)!r} is not empty; expected an empty or new directory "
                          "(it holds a sweep: add resume=True, or --resume, to finish it)", argument="output")
    try:
        found = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise SdeconError(f"resume: cannot read {str(path)!r}: {error}", argument="resume") from None
    runs, here = _runs_settings(found), _runs_settings(manifest)
    if runs != here:
        keys = [k for k in here if runs.get(k) != here[k]] + [k for k in runs if k not in here]
        key = keys[0]
        raise SdeconError(f"resume: {str(directory)!r} holds a different sweep ({key}: "
                          f"{_short(found.get(key))} there, {_short(manifest.get(key))} here); "
                          "expected the same settings, or another output", argument="resume")
    return found


@contextmanager
def _writing(directory: Path, manifest: dict, digest: str, resume: bool) -> Iterator[set[int] | None]:
    """The output directory held for this sweep: checked, locked until the sweep ends (two
    sweeps writing one directory would mix their batches), cleared of temporaries, its
    manifest written. Yields the batches on disk already, or None for a new sweep. A resume
    that changes an index setting (`_INDEX_SETTINGS`) first removes the indices, then writes
    its manifest: a sweep cut short meanwhile reads as unfinished, never as indices of the
    other setting."""
    from ..output import write_all
    _check_directory(directory, manifest, resume)  # before writing anything
    try:
        directory.mkdir(parents=True, exist_ok=True)
        lock = os.open(directory / _LOCK, os.O_RDWR | os.O_CREAT, 0o666)
    except OSError as error:
        raise _cannot_write(directory, error) from None
    try:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise SdeconError(f"output {str(directory)!r} is being written by another sweep (it holds "
                              f"{_LOCK}); wait for that one to end, or choose another output",
                              argument="output") from None
        found = _check_directory(directory, manifest, resume)  # the other may have written meanwhile
        _remove_temporaries(directory)
        try:
            for folder in ("runs", "sketches"):
                (directory / folder).mkdir(exist_ok=True)
        except OSError as error:
            raise _cannot_write(directory, error) from None
        done = None if found is None else _finished_batches(directory, manifest["batches"], digest)
        if found is not None and _index_settings(found) != _index_settings(manifest):
            for name in _INDEX_FILES:
                (directory / name).unlink(missing_ok=True)
        if found != manifest:
            text = json.dumps(manifest, indent=2) + "\n"
            write_all([(directory / _MANIFEST, lambda tmp: tmp.write_text(text, encoding="utf-8"))])
        yield done
    finally:
        fcntl.flock(lock, fcntl.LOCK_UN)  # also for the workers forked meanwhile, which share it
        os.close(lock)


def _cannot_write(directory: Path, error: OSError) -> SdeconError:
    return SdeconError(f"cannot write {str(directory)!r}: {error.strerror or error}")


def _short(value) -> str:
    text = json.dumps(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _finished_batches(directory: Path, batches: int, digest: str) -> set[int]:
    """Batches whose runs file exists and belongs to this sweep (its metadata says so)."""
    import pyarrow.parquet as pq
    done = set()
    for index, path in enumerate(_batch_files(directory, "runs", batches)):
        if not path.is_file():
            continue
        sketch = _batch_files(directory, "sketches", batches)[index]
        try:
            metadata = pq.read_schema(path).metadata or {}
        except (OSError, ValueError):
            continue  # unreadable: compute it again
        if metadata.get(b"sdecon.sweep") != digest.encode():
            raise SdeconError(f"resume: {str(path)!r} belongs to a different sweep; "
                              "expected only this sweep's batches in the directory", argument="resume")
        if sketch.is_file():
            done.add(index)
    return done


def _is_scaffolding(path: Path) -> bool:
    """sdecon's own and holding no result: the lock, a temporary, a folder of temporaries."""
    if path.is_dir():
        return path.name in _FOLDERS and all(is_temporary(p) for p in path.iterdir())
    return path.name == _LOCK or is_temporary(path)


def _remove_temporaries(directory: Path) -> None:
    """Temporary files of writes cut short (a killed sweep leaves them)."""
    for folder in (directory, *(directory / name for name in _FOLDERS)):
        if folder.is_dir():
            for path in folder.iterdir():
                if is_temporary(path):
                    path.unlink(missing_ok=True)


def _parquet_writer(frame: pd.DataFrame, digest: str):
    def write(tmp: Path) -> None:
        import pyarrow as pa
        import pyarrow.parquet as pq
        table = pa.Table.from_pandas(frame, preserve_index=False)
        metadata = dict(table.schema.metadata or {})
        metadata[b"sdecon.sweep"] = digest.encode()
        pq.write_table(table.replace_schema_metadata(metadata), tmp)
    return write


def _png_writer(figure):
    return lambda tmp: figure.savefig(tmp, dpi=110, format="png", metadata={"Software": None})


def _csv_writer(frame: pd.DataFrame):
    return lambda tmp: frame.to_csv(tmp, index=False)


def _write_batch(directory: Path, batches: int, result: _Result, rows: slice, names: Sequence[str],
                 values: Mapping[str, np.ndarray], digest: str) -> None:
    """The batch's sketch, then its runs file: a batch is done when its runs file exists."""
    from ..output import write_all
    table = {"run": np.arange(rows.start, rows.stop, dtype=np.int64)}
    table.update({name: values[name] for name in names})
    table.update(result.outputs)
    runs_path = _batch_files(directory, "runs", batches)[result.index]
    sketch_path = _batch_files(directory, "sketches", batches)[result.index]
    write_all([(sketch_path, _parquet_writer(result.sketch.to_frame(), digest)),
               (runs_path, _parquet_writer(pd.DataFrame(table), digest))])


def _slug(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")


def _write_summaries(directory: Path, manifest: dict, bands: pd.DataFrame, index_table: pd.DataFrame,
                     digest: str, figures: bool) -> None:
    """The summary tables and figures, all or none."""
    from .. import plotting
    from ..output import write_all
    outputs = [(directory / "summary_bands.csv", _csv_writer(bands)),
               (directory / "summary_bands.parquet", _parquet_writer(bands, digest)),
               (directory / "indices.csv", _csv_writer(index_table)),
               (directory / "indices.parquet", _parquet_writer(index_table, digest))]
    drawn = []
    try:
        if figures:
            (directory / "figures").mkdir(exist_ok=True)
            title = f"{manifest['scenario']}, {manifest['method']}, {manifest['runs']:,} runs"
            for variable in manifest["variables"]:
                drawn.append(plotting.plot_fan(bands, variable).figure)
                outputs.append((directory / "figures" / f"fan-{_slug(variable)}.png", _png_writer(drawn[-1])))
            drawn.append(plotting.plot_tornado(index_table, manifest["method"], HEADLINE,
                                               log_outputs=_index_settings(manifest)["log_outputs"]).figure)
            outputs.append((directory / "figures" / "tornado.png", _png_writer(drawn[-1])))
            for figure in drawn:
                figure.suptitle(title, fontsize=9)
                plotting.add_source(figure)
        write_all(outputs)
    finally:
        for figure in drawn:
            plotting.plt.close(figure)


def load_sweep(directory: str | Path) -> SweepResult:
    """A finished sweep read from its directory.

    Parameters
    ----------
    directory : str or Path
        Written by `sweep` (or ``sdecon sweep``).

    Returns
    -------
    SweepResult
        Its manifest, bands and indices; the runs are read on demand (`SweepResult.runs`).
    """
    directory = Path(directory)
    path = directory / _MANIFEST
    if not path.is_file():
        raise SdeconError(f"{str(directory)!r} holds no sweep ({_MANIFEST} is missing); "
                          "expected a directory written by 'sdecon sweep'")
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise SdeconError(f"cannot read {str(path)!r}: {error}") from None
    if manifest.get("format") != _FORMAT:
        raise SdeconError(f"{str(path)!r} is of sweep format {manifest.get('format')!r}; this sdecon "
                          f"reads format {_FORMAT}")
    summaries = [directory / "summary_bands.parquet", directory / "indices.parquet"]
    if not all(p.is_file() for p in summaries):
        on_disk = sum(p.is_file() for p in _batch_files(directory, "runs", manifest.get("batches", 0)))
        raise SdeconError(f"the sweep in {str(directory)!r} is not finished ({on_disk} of "
                          f"{manifest.get('batches')} batches on disk); finish it by running the "
                          "same sweep again with resume=True (or --resume)")
    return SweepResult(directory, manifest, pd.read_parquet(summaries[0]), pd.read_parquet(summaries[1]))
