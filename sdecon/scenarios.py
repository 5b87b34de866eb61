"""Scenarios as data: TOML files with a name, a one-line title, a story and parameter values.

A scenario may name a `base` scenario whose values it starts from, and a `calibration`
file (JSON, from `sdecon calibrate`) whose fitted values override the base's; its own
`parameters` override both. Relative paths are relative to the scenario file. The shipped scenarios
live in `sdecon/scenarios/`; users pass the path of their own file wherever a scenario name
is accepted.
"""
from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from . import parameter
from .calibration import load_calibration
from .errors import SdeconError, closest

SCENARIO_DIR = Path(__file__).resolve().parent / "scenarios"
_KEYS = {"name": str, "title": str, "story": str, "base": str, "calibration": str, "parameters": dict}
_REQUIRED = ("name", "title", "story", "parameters")


@dataclass(frozen=True)
class Scenario:
    """A named set of parameter values, already merged with its base's and calibration's.

    Attributes
    ----------
    name, title, story : str
        The scenario's name, its one-line title and its story.
    values : dict
        {Vensim name: value} for every parameter it sets (its base's and its
        calibration's included).
    base : str, optional
        The scenario it starts from.
    path : Path, optional
        The file it was read from.
    calibration : Path, optional
        The calibration file it (or its base) uses.
    """
    name: str
    title: str
    story: str
    values: dict[str, float] = field(default_factory=dict)
    base: str | None = None
    path: Path | None = None
    calibration: Path | None = None  # the calibration file this scenario or its base uses


def names() -> list[str]:
    """Names of the shipped scenarios."""
    return sorted(p.stem for p in SCENARIO_DIR.glob("*.toml"))


def load(name_or_path: str | Path) -> Scenario:
    """A shipped scenario by name, or a scenario file by path, validated against the model."""
    return _load(str(name_or_path), ())


def _resolve(reference: str, folder: Path = Path(".")) -> Path:
    """The file a scenario reference names; relative paths are relative to `folder`."""
    path = folder / reference
    if Path(reference).suffix == ".toml" or Path(reference).parent != Path("."):
        if not path.is_file():
            raise SdeconError(f"scenario file {reference!r} does not exist")
        return path
    shipped = SCENARIO_DIR / f"{reference}.toml"
    if not shipped.is_file():
        raise SdeconError(f"unknown scenario {reference!r}{closest(reference, names())}; "
                          f"allowed: {', '.join(names())} or the path of a .toml file")
    return shipped


def _load(reference: str, chain: tuple[Path, ...]) -> Scenario:
    path = _resolve(reference)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as error:
        raise SdeconError(f"{path}: not valid TOML: {error}") from None
    except (OSError, UnicodeDecodeError) as error:
        raise SdeconError(f"{path}: cannot be read: {error}") from None
    for key, value in data.items():
        if key not in _KEYS:
            raise SdeconError(f"{path}: key {key!r} is not allowed{closest(key, _KEYS)}; "
                              f"allowed keys: {', '.join(_KEYS)}")
        if not isinstance(value, _KEYS[key]):
            raise SdeconError(f"{path}: key {key!r} must be a {_KEYS[key].__name__}, "
                              f"not {type(value).__name__}")
    for key in _REQUIRED:
        if key not in data:
            raise SdeconError(f"{path}: key {key!r} is missing; required keys: {', '.join(_REQUIRED)}")
    if "\n" in data["title"].strip():
        raise SdeconError(f"{path}: key 'title' must be one line")
    own = parameter.validate(data["parameters"], f"{path}: key 'parameters'")
    values = {}
    base = data.get("base")
    if base is not None:
        here = chain + (path.resolve(),)
        base_path = _resolve(base, path.parent)
        if base_path.resolve() in here:
            raise SdeconError(f"{path}: key 'base': scenario {base!r} is its own ancestor")
        parent = _load(str(base_path), here)
        values.update(parent.values)
        calibration_path = parent.calibration
    else:
        calibration_path = None
    if "calibration" in data:
        calibration_path = (path.parent / data["calibration"]).resolve()
        values.update(load_calibration(calibration_path).parameters)  # its errors name the file
    values.update(own)
    return Scenario(data["name"], data["title"].strip(), " ".join(data["story"].split()),
                    values, base, path, calibration_path)
