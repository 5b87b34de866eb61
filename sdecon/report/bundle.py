"""Writing a report directory, all or nothing: the runs, every file built in a staging
directory beside the output, the manifest (what produced the report, with hashes), and the
move into place, replacing only a previous report."""
from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json
import os
import platform
import re
import shutil
import tempfile
from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from .. import model, plotting, scenarios, simulation
from .._version import __version__
from ..calibration import Calibration, load_calibration
from ..forecasts import forecast
from ..posteriors import Posterior, load_posterior
from ..sweeps import SweepResult, load_sweep
from ..errors import SdeconError
from ..scenarios import Scenario
from . import drivers, excel, figures, html, render, sections, summary
from .content import GENERATOR, Figure, _calibration_of, _display_path, _sha256
from .discovery import check_conditions, find
from .forecast import forecast_figures, forecast_section


#: The explorer's file in a report written with one.
EXPLORER = "explorer.html"


def _scenario_files(s: Scenario) -> list[Path]:
    """The files a scenario's values come from: its own, those of the scenarios it builds on,
    and the calibration file it or a base names."""
    files, current = [], s
    while current is not None and current.path is not None:
        files.append(Path(current.path))
        if not current.base:
            break
        base = scenarios._resolve(current.base, Path(current.path).parent)
        current = scenarios.load(base)
    if _calibration_of(s) is not None:
        files.append(_calibration_of(s))
    return files


#: Endings of files a user may take a report for: a report is a directory holding them.
_FILE_SUFFIXES = (".html", ".htm", ".pdf", ".xlsx", ".xls", ".csv", ".json", ".zip", ".png", ".svg", ".txt")


def _check_output(output_dir) -> Path:
    """The output directory, absolute, if it can be written (or replaced); else SdeconError
    naming `output_dir`."""
    raw = str(output_dir)
    path = Path(os.path.abspath(raw))

    def refuse(problem: str):
        return SdeconError(f"output_dir {raw!r} {problem}", argument="output_dir")

    if path.parent == path:
        raise refuse("is the root directory; name a directory for the report")
    if path.is_symlink():
        raise refuse("is a symbolic link; give the directory it points to")
    if path.exists() and not path.is_dir():
        raise refuse("is a file; expected a directory for the report")
    if path.suffix.lower() in _FILE_SUFFIXES:
        raise refuse(f"ends in {path.suffix!r} like a file, but a report is a directory (report.html, "
                     f"report.pdf and results.xlsx go inside it); pass {str(Path(raw).with_suffix(''))!r}")
    if not path.parent.is_dir():
        raise refuse(f"cannot be written: directory {str(path.parent)!r} does not exist")
    if not os.access(path.parent, os.W_OK | os.X_OK):
        raise refuse(f"cannot be written: permission denied in {str(path.parent)!r}")
    if path.is_dir():
        present = {p.relative_to(path).as_posix() for p in path.rglob("*") if not p.is_dir()}
        if present:
            try:
                previous = json.loads((path / "manifest.json").read_text(encoding="utf-8"))
                ours = set(previous["files"]) if previous.get("generator") == GENERATOR else None
            except (OSError, ValueError, KeyError, TypeError, AttributeError):
                ours = None
            if ours is None:
                raise refuse("exists and is not an sdecon report; choose a new directory or remove it")
            foreign = sorted(present - ours)
            if foreign:
                raise refuse(f"holds files the previous report did not write ({', '.join(foreign[:3])}"
                             f"{', ...' if len(foreign) > 3 else ''}); move them or choose a new directory")
        if not os.access(path, os.W_OK | os.X_OK):
            raise refuse("cannot be replaced: permission denied")
    return path


def _staging(path: Path, kind: str) -> str:
    """The name, but for a random end, of this process's directory of `kind` ("tmp": the report
    being built, "old": the one it replaces) beside `path`; the PID in it tells a later write
    whether its owner still runs."""
    return f".{path.name}.{kind}-{os.getpid()}-"


def _running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except (ProcessLookupError, OverflowError):
        return False
    except PermissionError:      # another user's process
        return True
    return True


def _remove_stale(path: Path) -> None:
    """Remove the staging directories of earlier writes of `path` whose process is gone: killed
    (SIGKILL, SIGTERM), it could not remove them. Those of a running process, and any without
    a PID in its name, are kept."""
    stale = re.compile(rf"\.{re.escape(path.name)}\.(?:tmp|old)-(\d+)-.+")
    try:
        entries = list(path.parent.iterdir())
    except OSError:
        return
    for entry in entries:
        found = stale.fullmatch(entry.name)
        if found and entry.is_dir() and not entry.is_symlink() and not _running(int(found[1])):
            shutil.rmtree(entry, ignore_errors=True)


def _move_into_place(built: Path, path: Path) -> None:
    """Put the built directory at `path`, replacing a previous report in two renames."""
    if not path.exists():
        os.rename(built, path)
        return
    old = path.parent / f"{_staging(path, 'old')}{built.name[-8:]}"
    os.rename(path, old)
    try:
        os.rename(built, path)
    except BaseException:
        os.rename(old, path)
        raise
    shutil.rmtree(old, ignore_errors=True)


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _libraries() -> dict[str, str]:
    import matplotlib
    import openpyxl
    import pypdf
    return {"pandas": f"pandas {pd.__version__}", "matplotlib": f"matplotlib {matplotlib.__version__}",
            "openpyxl": f"openpyxl {openpyxl.__version__}", "pypdf": f"pypdf {pypdf.__version__}"}


def _manifest(chosen, calibration, sweep, command_line, sheets, posterior=None, conditions=()) -> dict:
    pysd = model._import_pysd()
    return {
        "generator": GENERATOR,
        "sdecon_version": __version__,
        "model": {"path": _display_path(model.model_path()), "sha256": model.model_hash()},
        "scenarios": [{"name": s.name, "title": s.title, "sheet": sheets[s.name],
                       "files": [{"path": _display_path(p), "sha256": _sha256(p)} for p in _scenario_files(s)]}
                      for s in chosen],
        "calibration": None if calibration is None else {"path": _display_path(calibration),
                                                         "sha256": _sha256(calibration)},
        "sweep": None if sweep is None else {"path": _display_path(sweep), "sha256": _tree_hash(sweep)},
        "posterior": None if posterior is None else {
            "path": _display_path(posterior.path) if posterior.path else None, "sha256": posterior.fingerprint()},
        "discover": [where for where, _ in conditions] or None,
        "created_utc": dt.datetime.now(dt.timezone.utc).replace(microsecond=0).isoformat(),
        "command_line": command_line,
        "python": platform.python_version(),
        "pysd": pysd.__version__,
        "libraries": _libraries(),
    }


def _tree_hash(folder: Path) -> str:
    digest = hashlib.sha256()
    for path in sorted(Path(folder).rglob("*")):
        if path.is_file():
            digest.update(path.relative_to(folder).as_posix().encode() + b"\0" + _sha256(path).encode())
    return digest.hexdigest()


def _default_command_line(names, output_dir, calibration, sweep, posterior=None, conditions=()) -> str:
    args = [repr(list(names)), repr(str(output_dir))]
    args += [f"calibration={str(calibration)!r}"] if calibration else []
    args += [f"sweep={str(sweep)!r}"] if sweep else []
    args += [f"posterior={str(posterior.path)!r}"] if posterior else []
    args += [f"discover={[where for where, _ in conditions]!r}"] if conditions else []
    return f"sdecon.write_report({', '.join(args)})"


def write_report(scenario_names: Sequence[str], output_dir, *, calibration=None, sweep=None,
                 posterior=None, discover: str | Sequence[str] | None = None,
                 explorer: bool = False, command_line: str | None = None) -> Path:
    """Write a report on one or more scenarios: HTML, PDF, Excel, figures and a manifest.

    Parameters
    ----------
    scenario_names : sequence of str
        Shipped scenario names or scenario files (.toml), each once.
    output_dir : str or Path
        The report's directory: new, empty, or a previous sdecon report (replaced). Written
        all or nothing: report.html, report.pdf, results.xlsx, figures/*.png and *.svg,
        manifest.json.
    calibration : str, Path or Calibration, optional
        A calibration (`sdecon.calibrate`, saved): every run takes its fitted values over
        the scenario's, and the report adds 'Model against history' and 'calibration' sheets.
    sweep : str, Path or SweepResult, optional
        A finished sweep (`sdecon.sweep`): adds 'Sensitivity' (fan and tornado charts) and
        'sensitivity' sheets.
    posterior : str, Path or Posterior, optional
        A posterior of the history-fitted parameters (`sdecon.posterior`, saved): adds
        'Forecast given the history' (each scenario's bands from it, their coverage of the
        data, the posterior) and a 'forecast' sheet.
    discover : str or sequence of str, optional
        With `sweep`: one or more conditions on the sweep's outputs, ``"VARIABLE@YEAR OP
        VALUE"`` (OP one of >, >=, <, <=; as `sdecon.discover`'s `where`), e.g.
        ``"Compute Spending Share of GDP@2040 > 0.05"``. Adds 'Scenario discovery' (for each,
        the runs meeting it, PRIM's box of the varied parameters with its peeling trajectory,
        CART's rules; or a sentence when no run or every run meets it) and 'discovery' sheets.
    explorer : bool
        Also write explorer.html (`sdecon.explore`: the scenarios as presets, the posterior's
        bands), linked under the report's title.
    command_line : str, optional
        Recorded in the manifest (default: this call).

    Returns
    -------
    Path
        The report's directory.

    Raises
    ------
    SdeconError
        Bad input, one line naming the argument, before anything is written.
    """
    if isinstance(scenario_names, str):
        scenario_names = [scenario_names]
    scenario_names = list(scenario_names)
    if not scenario_names:
        raise SdeconError("scenario_names: no scenario given; name one or more, such as baseline and jevons",
                          argument="scenario_names")
    if discover is not None and sweep is None:
        shown = ", ".join(map(repr, discover)) if isinstance(discover, (list, tuple)) else repr(discover)
        raise SdeconError(f"discover {shown} needs a sweep, whose runs it splits; allowed only with sweep "
                          "(--sweep DIR)", argument="discover")
    chosen = [scenarios.load(name) for name in scenario_names]
    seen = {}
    for name, s in zip(scenario_names, chosen):
        if s.name in seen:
            raise SdeconError(f"scenario_names: scenario {s.name!r} is given twice ({seen[s.name]!r} and "
                              f"{name!r}); each scenario may appear once", argument="scenario_names")
        seen[s.name] = name
    path = _check_output(output_dir)
    loaded_calibration = _calibration_for_report(calibration) if calibration is not None else None
    loaded_sweep = _sweep_for_report(sweep) if sweep is not None else None
    loaded_posterior = _posterior_for_report(posterior) if posterior is not None else None
    conditions = check_conditions(loaded_sweep, discover) if discover is not None else []
    calibration = loaded_calibration.path if loaded_calibration is not None else None
    sweep = loaded_sweep.directory if loaded_sweep is not None else None

    # With a calibration, every run takes its values over the scenario's, as `sdecon run
    # --calibration` does; `effective` are the values the runs used, for the tables.
    overrides = loaded_calibration.parameters if loaded_calibration is not None else {}
    runs = {s.name: simulation.run(s, overrides, engine=True) for s in chosen}
    effective = [dataclasses.replace(s, values={**s.values, **overrides}) for s in chosen]
    sheets = excel.sheet_names([s.name for s in chosen], excel.RESERVED_SHEETS)
    forecasts = {s.name: forecast(s, loaded_posterior) for s in chosen} if loaded_posterior else {}
    findings = find(loaded_sweep, conditions) if conditions else []
    manifest = _manifest(chosen, calibration, sweep,
                         command_line or _default_command_line(scenario_names, output_dir, calibration, sweep,
                                                          loaded_posterior, conditions),
                         sheets, loaded_posterior, conditions)
    footer = f"sdecon {__version__} report: {', '.join(runs)}; {manifest['created_utc']}"
    meta = (f"sdecon {__version__}, model SHA-256 {manifest['model']['sha256'][:12]}, "
            f"written {manifest['created_utc'].replace('+00:00', '')} UTC")

    _remove_stale(path)
    try:
        built = Path(tempfile.mkdtemp(prefix=_staging(path, "tmp"), dir=path.parent))
    except OSError as error:
        raise SdeconError(f"output_dir {str(output_dir)!r} cannot be written: {error.strerror or error}",
                          argument="output_dir") from None
    try:
        os.chmod(built, 0o777 & ~_umask())   # mkdtemp makes directories private
        (built / "figures").mkdir()
        # Looked up in `sections` when called, so that a test may draw fewer figures.
        comparison = sections.comparison_figures(runs)
        history = sections.historical_data()
        sources = sections.data_sources(history)
        optional = sections._optional_sections(loaded_calibration, loaded_sweep, runs, chosen,
                                               {s.name: s.values for s in effective}, 1, findings)
        if forecasts:
            optional.append(forecast_section(forecasts, loaded_posterior, forecast_figures(forecasts, 1)))
        by_id = {section.id: section for section in optional}
        reality_checks = summary.reality(effective)
        report = [summary.summary_section(runs, effective, forecasts=forecasts, reality_checks=reality_checks),
                  sections._findings_section(runs, effective, loaded_calibration, loaded_sweep, forecasts),
                  sections._scenarios_section(effective, loaded_calibration),
                  drivers.drivers_section(runs, {s.name: s.values for s in effective}, 1),
                  sections._comparison_section(comparison),
                  *(by_id[k] for k in ("forecast", "sensitivity", "discovery") if k in by_id),
                  *sections.appendices([by_id.get("history"), sections.coinciding_section(runs),
                                        sections._seed004_section(),
                                        sections._assumptions_section(effective, loaded_calibration),
                                        sections._data_section(sources), sections._manifest_section(manifest)])]
        figures.number_figures(report)      # in the order a reader meets them
        svgs, manifest["pdf_pages"] = render.render(report, built / "figures", built / "report.pdf", manifest,
                                                    footer, meta)
        if explorer:
            from ..explorer import page
            (built / EXPLORER).write_text(page(effective, loaded_posterior, forecasts), encoding="utf-8")
        (built / "report.html").write_text(html.render(report, svgs, meta, EXPLORER if explorer else None),
                                           encoding="utf-8")
        excel.write_excel(built / "results.xlsx", runs, effective, sheets, history, sources, manifest,
                          loaded_calibration, loaded_sweep, forecasts, findings,
                          figures=[b for s in report for b in s.blocks if isinstance(b, Figure)])
        files = sorted(p.relative_to(built).as_posix() for p in built.rglob("*") if p.is_file())
        manifest["files"] = sorted(files + ["manifest.json"])
        (built / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
        _move_into_place(built, path)
    except OSError as error:
        raise SdeconError(f"cannot write the report to {str(output_dir)!r}: "
                          f"{error.strerror or error}") from None
    finally:
        shutil.rmtree(built, ignore_errors=True)
    return path


_FROM_CALIBRATE = "expected a file written by 'sdecon calibrate --output FILE.json'"
_FROM_SWEEP = "expected a directory written by 'sdecon sweep'"


def _calibration_for_report(calibration: str | Path | Calibration) -> Calibration:
    """The calibration, read and checked before any run: it must cite a file and carry the
    residuals the 'Model against history' section draws."""
    if not isinstance(calibration, Calibration):
        if not Path(calibration).is_file():
            raise SdeconError(f"calibration file {str(calibration)!r} does not exist")
        calibration = load_calibration(calibration)
    if calibration.path is None:
        raise SdeconError("calibration has no file for the report to cite; save it first "
                          "(Calibration.save) and pass the path or load_calibration(path)", argument="calibration")
    residuals = calibration.residuals
    missing = [c for c in ("series", "year", "observed", "unit", "modelled", "log_error") if c not in residuals]
    if residuals.empty or missing:
        raise SdeconError(f"calibration file {str(calibration.path)!r} has no \"residuals\" records to set the "
                          f"model against history; {_FROM_CALIBRATE}")
    if residuals[["year", "observed"]].isna().any().any() or not (residuals["observed"] > 0).all():
        raise SdeconError(f"calibration file {str(calibration.path)!r}: every residual needs a year and a "
                          f"positive observed value; {_FROM_CALIBRATE}")
    return calibration


def _posterior_for_report(posterior) -> Posterior:
    """The posterior, read before any run; it must have a file for the report to cite."""
    if not isinstance(posterior, Posterior):
        return load_posterior(posterior)
    if posterior.path is None:
        raise SdeconError("posterior has no file for the report to cite; save it first (Posterior.save) and "
                          "pass the path or load_posterior(path)", argument="posterior")
    return posterior


def _sweep_for_report(sweep: str | Path | SweepResult) -> SweepResult:
    """The finished sweep, read and checked before any run."""
    if isinstance(sweep, SweepResult):
        return sweep
    path = Path(sweep)
    if not path.is_dir():
        raise SdeconError(f"sweep directory {str(path)!r} does not exist")
    try:
        result = load_sweep(path)
    except SdeconError:
        raise
    except (OSError, ValueError, TypeError, KeyError, AttributeError) as error:  # a damaged file
        raise SdeconError(f"sweep directory {str(path)!r} cannot be read: {' '.join(str(error).split())[:300]}") \
            from None
    method = result.manifest.get("method")
    if method not in plotting.INDEX_SHOWN:
        raise SdeconError(f"sweep directory {str(path)!r}: unknown method {method!r}; "
                          f"allowed: {', '.join(plotting.INDEX_SHOWN)}")
    return result
