"""results.xlsx: the key numbers, a sheet per scenario with every public variable by year,
parameters, data sources, seed 004, the calibration, sweep, discovery and forecast given, and
the manifest. One table a sheet, its header frozen and filtered; numbers stored as numbers
in the format a reader uses (shares of GDP as percent, USD billion with thousands separators,
quantities spanning orders of magnitude in scientific notation); floats written so that they
read back as the same doubles."""
from __future__ import annotations

import contextlib
import json
import math
import re
from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from .. import parameter, plotting, seed004
from ..model import PUBLIC_VARIABLES
from .content import (KEY_YEARS, Figure, _display_path, _key_numbers, _not_converged, _sha256,
                      parameter_unit)
from ..errors import SdeconError
from ..calibration import Calibration
from ..sweeps import SweepResult


_SHEET_FORBIDDEN = re.compile(r"[\[\]:*?/\\]")


def sheet_names(names: Sequence[str], reserved: Sequence[str]) -> dict[str, str]:
    """An Excel sheet name for each scenario: at most 31 characters, unique, none of the reserved."""
    taken = {r.lower() for r in reserved}
    chosen = {}
    for name in names:
        base = _SHEET_FORBIDDEN.sub("_", name).strip("'")[:31] or "scenario"
        candidate, n = base, 2
        while candidate.lower() in taken:
            suffix = f" ({n})"
            candidate, n = base[:31 - len(suffix)] + suffix, n + 1
        taken.add(candidate.lower())
        chosen[name] = candidate
    return chosen


RESERVED_SHEETS = ("key numbers", "parameters", "data sources", "historical data", "seed 004", "manifest",
                   "calibration", "calibration fit", "calibration residuals", "sensitivity bands",
                   "sensitivity indices", "sensitivity inputs", "sensitivity sweep", "discovery boxes",
                   "discovery summary", "forecast")

#: Excel number formats, by what a column holds.
PERCENT, THOUSANDS, SCIENTIFIC = "0.000%", "#,##0.0", "0.00E+00"


PLAIN = "#,##0.000"    # a figure's numbers that span less than LOG_SPAN (an index, a share of variance)


def number_format(variable: str) -> str:
    """The Excel format of a model variable's values: percent for a share of GDP (the cell
    keeps the fraction), thousands for USD billion, scientific for the rest (multipliers,
    prices and FLOP/s span orders of magnitude)."""
    unit = plotting.unit_label(variable)
    if unit == plotting.PERCENT_OF_GDP:
        return PERCENT
    return THOUSANDS if unit == plotting.TRILLION else SCIENTIFIC


def column_header(variable: str) -> str:
    """Excel column header: the variable and the unit of its cells, 'Compute Spending [USD
    billion per year]': the model's values, so amounts in USD billion and the price in USD
    (the report draws trillions and an index)."""
    unit = plotting.unit_label(variable)
    if variable == plotting.PRICE:
        unit = plotting.UNIT_LABELS["USD/EFLOP"]
    elif unit == plotting.TRILLION:
        unit = plotting.BILLION
    return f"{variable} [{unit}]"


def _figure_variable(figure: Figure) -> str | None:
    """The model variable a figure draws over the years, if any: its title, or the title
    before a colon ("Compute Spending: range over the sweep")."""
    names = set(PUBLIC_VARIABLES)
    for candidate in (figure.title, figure.title.split(":")[0]):
        if candidate in names:
            return candidate
    return None


def figure_table(figure: Figure, fraction: bool = True) -> tuple[list[str], list[list], str]:
    """A figure's data (`Figure.data`) as an Excel table in the units the figure shows.

    Parameters
    ----------
    figure : Figure
        A report figure with `data`.
    fraction : bool
        Keep a share of GDP as the fraction (Excel's percent format shows it as percent); False
        gives the percent itself (for a CSV file, which has no format).

    Returns
    -------
    header : list of str
        The index's name ("year" by default), then each line with its unit,
        "baseline [% of GDP]".
    rows : list of list
        The index value then the numbers (a share of GDP as the fraction, shown as percent by
        the format).
    format : str
        The Excel number format of the numbers.
    """
    if figure.data is None:
        raise SdeconError(f"figure {figure.key!r} has no data to write", argument="figures")
    data = figure.data.astype(float)
    variable = _figure_variable(figure)
    if variable is None:
        values, label, fmt = data, "", SCIENTIFIC if plotting.uses_log_scale(data.stack()) else PLAIN
    else:
        reader = plotting.reader_values(variable, data, base=data["p50"] if "p50" in data else None)
        values, label = reader.values, reader.label.replace("\n", " ")    # the axis' lines as one
        if reader.percent:
            values, fmt = (values / 100.0 if fraction else values), PERCENT   # Excel shows a fraction as percent
        elif label == plotting.TRILLION:
            fmt = PLAIN
        else:
            fmt = SCIENTIFIC if plotting.uses_log_scale(values.stack()) else PLAIN
    header = [str(data.index.name or "year")] + [f"{c} [{label}]" if label else str(c) for c in data.columns]
    rows = [[_cell(index)] + [_cell(float(v)) for v in row]
            for index, row in zip(data.index, values.to_numpy())]
    return header, rows, fmt


def figure_sheet_name(figure: Figure) -> str:
    """A figure's sheet before it is made unique: "fig 3 datacenter-capex" (its number from the
    caption, then its key)."""
    found = re.match(r"Figure (\d+)\.", figure.caption)
    return f"fig {found.group(1)} {figure.key}" if found else f"fig {figure.key}"


@contextlib.contextmanager
def _exact_floats():
    """openpyxl writes numbers as '%.16g', which does not always give back the same double;
    while saving, write floats as repr does (the shortest text that does, at most 17 digits).
    tests/test_report.py checks the values read back equal the runs exactly."""
    from openpyxl.cell import _writer

    original = getattr(_writer, "safe_string", None)
    if original is None:
        yield
        return

    def safe_string(value):
        if isinstance(value, float) and math.isfinite(value):
            return repr(float(value))
        return original(value)

    _writer.safe_string = safe_string
    try:
        yield
    finally:
        _writer.safe_string = original


def _cell(value):
    """A value openpyxl writes as it is: None for NaN and missing, Python numbers for numpy's."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    if hasattr(value, "item") and not isinstance(value, (str, bytes)):
        value = value.item()
        return None if isinstance(value, float) and math.isnan(value) else value
    if isinstance(value, (list, dict)):
        return json.dumps(value)
    return value


def _number(text):
    """A number written as text ("1.3" in seed 004's tables) as the number; other text as it is."""
    if isinstance(text, str):
        try:
            return float(text)
        except ValueError:
            return text
    return text


def _frame_rows(frame: pd.DataFrame) -> list[list]:
    return [[_cell(v) for v in row] for row in frame.astype(object).itertuples(index=False, name=None)]


def _calibration_blocks(calibration: Calibration) -> list[tuple[list[str], list[list]]]:
    """The calibration's sheets: the fitted parameters, the fit, and every residual."""
    content = {**calibration.to_dict(), **calibration.provenance}
    params = parameter.parameters()
    stderr = content["stderr"]
    unidentified = set(calibration.unidentified)
    table = [[name, value, _cell(stderr.get(name)), params[name].lower, params[name].upper, params[name].default,
              parameter_unit(params[name].unit), "no" if name in unidentified else "yes"]
             for name, value in calibration.parameters.items()]
    facts = [["file", _display_path(calibration.path)], ["sha256", _sha256(calibration.path)]]
    facts += [[key, _cell(content.get(key))] for key in
              ("scenario", "until", "cost", "success", "message", "nfev", "levels", "created", "sdecon_version",
               "model_hash") if key in content]
    return [(["parameter", "value", "standard error", "lower", "upper", "default", "unit", "identified"], table),
            (["item", "value"], facts),
            (list(calibration.residuals.columns), _frame_rows(calibration.residuals))]


def _sensitivity_blocks(sweep: SweepResult, sha256: str) -> list[tuple[list[str], list[list]]]:
    """The sweep's sheets: the percentile bands, the indices (a `note` column saying which are
    not converged), the varied parameters, the sweep."""
    manifest = sweep.manifest
    keys = ["name", "distribution", "low", "high"]
    keys += [k for item in manifest["vary"] for k in item if k not in keys]
    keys = list(dict.fromkeys(keys))
    vary = [[_cell(item.get(k)) for k in keys] for item in manifest["vary"]]
    facts = [["directory", _display_path(sweep.directory)], ["sha256 (its files)", sha256]]
    facts += [[key, _cell(manifest.get(key))] for key in
              ("scenario", "method", "samples", "runs", "seed", "index_years", "default_set", "log_outputs",
               "sdecon_version", "model_hash") if key in manifest]
    indices = sweep.indices.assign(note=_not_converged(sweep.indices).map({True: plotting.NOT_CONVERGED, False: None}))
    return [(list(sweep.bands.columns), _frame_rows(sweep.bands)),
            (list(indices.columns), _frame_rows(indices)),
            (["parameter" if k == "name" else k for k in keys], vary),
            (["item", "value"], facts)]


def _discovery_blocks(findings) -> list[tuple[list[str], list[list]]]:
    """The discovery sheets: each condition's PRIM box, a row a restricted parameter; then a
    row a condition: its runs, those meeting it, the box's step, coverage, density and mass
    (blank when no run or every run meets it)."""
    from .discovery import box_rows

    box = ["condition", "parameter", "unit", "lower", "upper", "low", "high", "kept", "qp_lower", "qp_upper"]
    summary = ["condition", "runs", "of_interest", "step", "coverage", "density", "mass", "threshold",
               "meets_threshold"]
    boxes, rows = [], []
    for finding in findings:
        found = finding.found
        boxes += [[finding.where] + [_cell(row[k]) for k in box[1:]] for row in box_rows(finding)]
        rows.append([finding.where, finding.runs, finding.of_interest] + (
            [found.step, found.coverage, found.density, found.mass, found.threshold, found.meets_threshold]
            if found else [None] * 6))
    return [(box, boxes), (summary, rows)]


def write_excel(path: Path, runs, chosen, sheets, history, sources, manifest, calibration=None,
                sweep=None, forecasts=None, findings=(), *, figures: Sequence[Figure] = ()) -> None:
    """Write results.xlsx at `path`: a sheet per scenario of `chosen` named by `sheets`, then the
    parameters, data sources, historical data, seed 004, the calibration, sweep and scenario
    discovery (when given), a sheet per figure of `figures` with the numbers it draws in the
    units it shows (`figure_table`; "fig <number> <key>", at most 31 characters) and the
    manifest."""
    from openpyxl import Workbook
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    book = Workbook()
    bold = Font(bold=True)

    def add(title, header, rows, widths=None, formats=None):
        """A sheet of one table: a bold, frozen, filtered header; `formats` gives a cell's number
        format from its row and column index (None: General)."""
        sheet = book.create_sheet(title)
        sheet.append(header)
        for cell in sheet[1]:
            cell.font = bold
        for r, row in enumerate(rows):
            sheet.append(row)
            if formats:
                for c, cell in enumerate(sheet[sheet.max_row]):
                    chosen = formats(r, c)
                    if chosen and isinstance(cell.value, (int, float)) and not isinstance(cell.value, bool):
                        cell.number_format = chosen
        sheet.freeze_panes = "A2"
        sheet.auto_filter.ref = sheet.dimensions
        for i, width in enumerate(widths or [], start=1):
            sheet.column_dimensions[get_column_letter(i)].width = width
        return sheet

    def add_tables(titles, tables, widths):
        for title, (header, rows) in zip(titles, tables):
            add(title, header, rows, widths)

    book.remove(book.active)
    numbers = _key_numbers(runs)
    key_formats = [number_format(v) for v in numbers["variable"]]
    numbers["unit"] = ["% of GDP" if f == PERCENT else u for f, u in zip(key_formats, numbers["unit"])]
    add("key numbers", ["variable", "unit", "scenario"] + [str(y) for y in KEY_YEARS],
        numbers.values.tolist(), [32, 26, 20, 14, 14, 14], lambda r, c: key_formats[r] if c >= 3 else None)
    column_formats = [None] + [number_format(v) for v in PUBLIC_VARIABLES]
    for s in chosen:
        frame = runs[s.name]
        add(sheets[s.name], ["year"] + [column_header(v) for v in PUBLIC_VARIABLES],
            [[int(year)] + [float(x) for x in values]
             for year, values in zip(frame.index, frame[list(PUBLIC_VARIABLES)].to_numpy())],
            [8] + [22] * len(PUBLIC_VARIABLES), lambda r, c: column_formats[c])
    table = parameter.parameter_table()
    add("parameters", ["parameter", "unit", "default", "lower", "upper"] + [s.name for s in chosen] + ["source"],
        [[name, parameter_unit(p.unit), p.default, p.lower, p.upper] + [s.values.get(name, p.default) for s in chosen] + [p.source]
         for name, p in table.iterrows()], [40, 14, 10, 10, 10] + [14] * len(chosen) + [100])
    add("data sources", list(sources.columns), sources.values.tolist(), [34, 40, 30, 12, 8, 80, 20])
    add("historical data", list(history.columns), history.astype(object).where(history.notna(), None).values.tolist(),
        [30, 8, 40, 30, 12, 40, 80, 20])
    compared = seed004.compare()
    add("seed 004", list(compared.columns),
        [[None if isinstance(v, float) and math.isnan(v) else _number(v) for v in row]
         for row in compared.astype(object).values.tolist()], [10, 20, 8, 30, 10, 12, 14, 8, 80])
    if calibration is not None:
        add_tables(("calibration", "calibration fit", "calibration residuals"), _calibration_blocks(calibration),
                   [44, 22, 18, 12, 30, 12, 22, 10, 12])
    if sweep is not None:
        add_tables(("sensitivity bands", "sensitivity indices", "sensitivity inputs", "sensitivity sweep"),
                   _sensitivity_blocks(sweep, (manifest.get("sweep") or {}).get("sha256", "")),
                   [34, 36, 10, 40, 14, 14, 14, 14, 14, 14, 14])
    if findings:
        add_tables(("discovery boxes", "discovery summary"), _discovery_blocks(findings),
                   [44, 34, 14, 14, 14, 14, 14, 14, 14, 14])
    if forecasts:
        bands = pd.concat([r.bands.assign(scenario=name) for name, r in forecasts.items()], ignore_index=True)
        bands = bands[["scenario"] + [c for c in bands.columns if c != "scenario"]]
        add("forecast", list(bands.columns), _frame_rows(bands), [20, 34, 26, 8, 8] + [14] * 7)
    taken = list(RESERVED_SHEETS) + list(sheets.values())
    names = sheet_names([figure_sheet_name(f) for f in figures], taken)
    for figure in figures:
        header, rows, fmt = figure_table(figure)
        add(names[figure_sheet_name(figure)], header, rows, [12] + [18] * (len(header) - 1),
            lambda r, c, fmt=fmt: fmt if c >= 1 else None)
    add("manifest", ["item", "value"], [[k, json.dumps(v) if isinstance(v, (dict, list)) else v]
                                        for k, v in manifest.items()], [20, 120])
    with _exact_floats():
        book.save(path)

