"""Files: results written by extension, atomically (a failed write leaves no file), and the
JSON files sdecon wrote read back with one-line errors."""
from __future__ import annotations

import io
import json
import os
import re
import tempfile
from collections.abc import Callable
from pathlib import Path

import pandas as pd

from .errors import SdeconError

TABLE_FORMATS = (".csv", ".parquet", ".xlsx")


def check_writable(path: str | Path, allowed: tuple[str, ...]) -> Path:
    """`path` if its extension is allowed and its directory exists and is writable."""
    path = Path(path)
    if path.suffix.lower() not in allowed:
        raise SdeconError(f"output file {str(path)!r} has extension {path.suffix or '(none)'!r}; "
                          f"allowed: {', '.join(allowed)}")
    folder = path.parent if str(path.parent) else Path(".")
    if not folder.is_dir():
        raise SdeconError(f"cannot write {str(path)!r}: directory {str(folder)!r} does not exist")
    if not os.access(folder, os.W_OK) or (path.exists() and not os.access(path, os.W_OK)):
        raise SdeconError(f"cannot write {str(path)!r}: permission denied")
    if path.is_dir():
        raise SdeconError(f"cannot write {str(path)!r}: it is a directory")
    return path


def read_json(path: str | Path, name: str):
    """The JSON content of `path`; `name` ("calibration file 'x.json'") starts the one-line
    error when it is missing, a directory, unreadable or not JSON."""
    path = Path(path)
    if not path.exists():
        raise SdeconError(f"{name} not found")
    if path.is_dir():
        raise SdeconError(f"{name} is a directory, not a JSON file")
    try:
        return json.loads(path.read_text(encoding="utf-8-sig"))
    except json.JSONDecodeError as error:
        raise SdeconError(f"{name} is not valid JSON: {error.msg} at line {error.lineno} "
                          f"column {error.colno}") from None
    except UnicodeDecodeError:
        raise SdeconError(f"{name} is not valid JSON: not UTF-8 text") from None
    except OSError as error:
        raise SdeconError(f"{name} cannot be read: {error.strerror or error}") from None


def write_all(outputs: list[tuple[str | Path, Callable[[Path], None]]]) -> list[Path]:
    """Write several files all or none: each `write(tmp)` fills a temporary file beside
    its path, and only when every one has succeeded are they moved into place.

    Interrupted or failed, it leaves no file behind; a failure of the file system
    (permission, full disk) becomes an SdeconError naming the path.
    """
    temporary: list[Path] = []
    try:
        for path, write in outputs:
            path = Path(path)
            remove_stale(path)
            try:
                handle, name = tempfile.mkstemp(prefix=_prefix(path, os.getpid()), suffix=path.suffix,
                                                dir=path.parent)
                os.close(handle)
                temporary.append(Path(name))
                write(temporary[-1])
                os.chmod(name, 0o666 & ~_umask())  # mkstemp makes files private
            except OSError as error:
                raise SdeconError(f"cannot write {str(path)!r}: {error.strerror or error}") from None
        for (path, _), tmp in zip(outputs, temporary):
            os.replace(tmp, path)
    finally:
        for tmp in temporary:
            tmp.unlink(missing_ok=True)
    return [Path(path) for path, _ in outputs]


def write_directory(directory: Path, outputs: list[tuple[str | Path, Callable[[Path], None]]]) -> list[Path]:
    """`write_all` into `directory`, made if missing and removed again if the writing fails
    (a full disk, Ctrl-C, SIGTERM): the folder is left as it was."""
    created = not directory.exists()
    directory.mkdir(exist_ok=True)
    try:
        return write_all(outputs)
    except BaseException:
        if created:
            directory.rmdir()
        raise


def _prefix(path: Path, pid: int) -> str:
    return f".{path.name}.sdecon-{pid}-"


def alive(pid: int) -> bool:
    """True when process `pid` exists (whoever owns it)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


#: The name `write_all` gives a temporary file: ".NAME.sdecon-PID-RANDOM.SUFFIX".
TEMPORARY = re.compile(r"\.(?P<name>.+)\.sdecon-(?P<pid>\d+)-[A-Za-z0-9_]+(?P<suffix>\.[A-Za-z0-9]+)?")


def is_temporary(path: Path) -> bool:
    """True when `path` is a temporary file of `write_all`."""
    return path.is_file() and TEMPORARY.fullmatch(path.name) is not None


def remove_stale(path: Path) -> list[Path]:
    """Remove the temporary files an earlier, killed writer of `path` left beside it (their
    names carry the writer's process id; a live writer's are kept)."""
    removed = []
    for candidate in (path.parent if str(path.parent) else Path(".")).glob(f".{path.name}.sdecon-*"):
        found = TEMPORARY.fullmatch(candidate.name)
        if found and found["name"] == path.name and not alive(int(found["pid"])) and candidate.is_file():
            candidate.unlink(missing_ok=True)
            removed.append(candidate)
    return removed


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def table_writer(frame: pd.DataFrame, path: str | Path) -> Callable[[Path], None]:
    """A function writing a run (indexed by year) to a file in the format `path` names
    (.csv, .parquet or .xlsx), with `year` as the first column."""
    path = check_writable(path, TABLE_FORMATS)
    table = frame.reset_index()
    suffix = path.suffix.lower()

    def write(tmp: Path) -> None:
        if suffix == ".csv":
            table.to_csv(tmp, index=False)
        elif suffix == ".parquet":
            table.to_parquet(tmp, index=False)
        else:  # built in memory: openpyxl failing on a full disk leaves a zip writer that
            buffer = io.BytesIO()  # prints a traceback when it is collected
            table.to_excel(buffer, index=False, sheet_name="run", engine="openpyxl")
            tmp.write_bytes(buffer.getvalue())

    return write

