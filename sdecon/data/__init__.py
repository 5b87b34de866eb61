"""Reference data for calibration and validation, shipped inside the package.

The CSV files here are copies, row for row, of the project's reference data (one file per
series family, columns ``year,series,value,unit,source,confidence``; docs/data.md describes
them). A series name may carry a label after a colon, as in
``max_training_compute_of_year:RNN LM``: the series is the part before, the label the part
after.

    from sdecon import data
    data.load("global_datacenter_capex_delloro")   # tidy rows: year, series, label, value, ...
    data.mapping()                                 # data series -> model variable

`sdecon.observations` compares these rows with a run.

**Derived series.** ``hyperscaler_capex_big4_calendar_year`` is the capex (cash purchases of
property and equipment, finance leases excluded) of Alphabet, Amazon, Meta and Microsoft per
calendar year. Alphabet, Amazon and Meta report calendar years. Microsoft reports fiscal
years ending 30 June, so calendar year Y is taken as 0.5 x FY(Y) + 0.5 x FY(Y+1): the first
half of Y is the second half of FY(Y), the second half of Y the first half of FY(Y+1). We
chose this over Microsoft's calendar-year figures with finance leases because those exist
only for 2022-2024 and follow another definition, which would put a break into the series
and mix definitions across the four companies. The halves are not equal when capex grows
within a fiscal year, but the two errors have opposite signs and partly cancel; against
Microsoft's calendar-year figures with finance leases the converted values are 8% (2022) and
12% (2023) lower, the finance leases plus the conversion's error. A year is derived only when all
four companies' figures are there (so 2010-2023: calendar 2024 would need FY2025). The
derived rows' confidence is the lowest of their five inputs', marked "(derived)".

**Weights.** ``weights`` maps a confidence text to a weight for least squares on log
residuals: high 1, medium-high 0.75, medium 0.5, low-medium 0.35, low 0.25. Notes in
parentheses, as in "low-medium (derived)" or "high (model input)", are ignored; a text that
gives several levels separated by '/', as in "high (data) / medium (blended-price method)",
gets the lowest. The weights halve from high to medium and again to low, a factor sqrt(2) in
the error a row is allowed.

**Mapping.** ``mapping`` names, for each series, the model variable it measures and how:
an observation compares with scale x variable ** power at model time year + time_offset.
"""
from __future__ import annotations

import csv
import fnmatch
import functools
import math
import re
from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import SdeconError, closest

DATA_DIR = Path(__file__).resolve().parent

#: The reference data files, as in the project's shared data folder.
FILES = (
    "frontier_training_compute.csv",
    "frontier_training_cost.csv",
    "global_datacenter_capex.csv",
    "gpu_price_performance.csv",
    "hyperscaler_capex.csv",
    "llm_inference_prices.csv",
    "macro_gdp_compute_investment.csv",
    "model_parameters_and_rates.csv",
    "nvidia_datacenter_revenue.csv",
)
REQUIRED_COLUMNS = ("year", "series", "value", "unit", "source", "confidence")
COLUMNS = ("year", "series", "label", "value", "unit", "source", "confidence", "file")

#: Confidence level -> weight in a fit. The order is from most to least sure.
CONFIDENCE_WEIGHTS = {"high": 1.0, "medium-high": 0.75, "medium": 0.5, "low-medium": 0.35, "low": 0.25}

BIG4 = "hyperscaler_capex_big4_calendar_year"
BIG4_CALENDAR = ("capex_alphabet_calendar_year", "capex_amazon_calendar_year", "capex_meta_calendar_year")
MICROSOFT_FISCAL = "capex_microsoft_fiscal_year_ending_June"
BIG4_UNIT = ("USD billion nominal (purchases of P&E, finance leases excluded; calendar year; "
             "Microsoft converted from fiscal years ending June)")
BIG4_SOURCE = ("Derived by sdecon.data: capex_alphabet_calendar_year + capex_amazon_calendar_year + "
               "capex_meta_calendar_year + 0.5 x (capex_microsoft_fiscal_year_ending_June FY{y} + FY{y1})")

_MAPPING_COLUMNS = ("series", "variable", "scale", "power", "time_offset", "unit", "overlaps", "why")


# ---------------------------------------------------------------- reading


def _read(path: Path, what: str) -> pd.DataFrame:
    """Rows of a data file as strings, checked for shape, with their line numbers."""
    name = f"{what} {str(path)!r}"
    if not path.exists():
        raise SdeconError(f"{name} not found")
    if path.is_dir():
        raise SdeconError(f"{name} is a directory, not a CSV file")
    try:
        raw = path.read_bytes()
    except OSError as error:
        raise SdeconError(f"{name} cannot be read: {error.strerror or error}") from None
    if not raw.strip():
        raise SdeconError(f"{name} is empty; expected a CSV file with columns {', '.join(REQUIRED_COLUMNS)}")
    try:
        if b"\x00" in raw[:4096]:
            raise UnicodeDecodeError("utf-8", raw, 0, 1, "binary")
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise SdeconError(f"{name} is not a CSV file (not UTF-8 text); expected columns "
                          f"{', '.join(REQUIRED_COLUMNS)}") from None
    reader = csv.reader(text.splitlines(keepends=True))
    rows, lines = [], []
    try:
        header = [column.strip() for column in next(reader)]
        for row in reader:
            if not any(cell.strip() for cell in row):
                continue
            rows.append(row)
            lines.append(reader.line_num)
    except csv.Error as error:
        raise SdeconError(f"{name} is not a valid CSV file: line {reader.line_num}: {error}") from None
    missing = [column for column in REQUIRED_COLUMNS if column not in header]
    twice = [column for column in REQUIRED_COLUMNS if header.count(column) > 1]
    if twice:
        raise SdeconError(f"{name} has column {twice[0]!r} more than once")
    if len(missing) == len(REQUIRED_COLUMNS):
        raise SdeconError(f"{name} is not a data CSV: its first line names none of the required "
                          f"columns {', '.join(REQUIRED_COLUMNS)}")
    if missing:
        raise SdeconError(f"{name} lacks column{'s' if len(missing) > 1 else ''} "
                          f"{', '.join(repr(c) for c in missing)}; "
                          f"required: {', '.join(REQUIRED_COLUMNS)}")
    for row, line in zip(rows, lines):
        if len(row) != len(header):
            raise SdeconError(f"{name} line {line} has {len(row)} fields; the header has {len(header)}")
    if not rows:
        raise SdeconError(f"{name} has a header but no rows")
    table = pd.DataFrame(rows, columns=header)[list(REQUIRED_COLUMNS)]
    table = table.apply(lambda column: column.str.strip())
    table["line"] = lines
    return table


def _numbers(table: pd.DataFrame, column: str, name: str) -> pd.Series:
    """`column` as floats, or SdeconError naming the first bad row's line and value."""
    numbers = pd.to_numeric(table[column], errors="coerce").astype(float)
    bad = ~np.isfinite(numbers.to_numpy())
    if bad.any():
        first = np.flatnonzero(bad)[0]
        text = table[column].iloc[first]
        more = f" (and {bad.sum() - 1} more rows)" if bad.sum() > 1 else ""
        if not text:
            problem = "is empty"
        elif pd.isna(pd.to_numeric(text, errors="coerce")):
            problem = f"{text!r} is not a number"
        else:
            problem = f"{text!r} is not finite"
        raise SdeconError(f"{name} line {table['line'].iloc[first]}: {column} {problem}{more}")
    return numbers


def _tidy(table: pd.DataFrame, path: Path, what: str) -> pd.DataFrame:
    name = f"{what} {str(path)!r}"
    year = _numbers(table, "year", name)
    value = _numbers(table, "value", name)
    empty = table["series"].str.partition(":")[0].str.strip() == ""
    if empty.any():
        raise SdeconError(f"{name} line {table['line'][empty].iloc[0]}: series is empty")
    parts = table["series"].str.partition(":")
    tidy = pd.DataFrame({
        "year": year, "series": parts[0].str.strip(), "label": parts[2].str.strip(), "value": value,
        "unit": table["unit"], "source": table["source"], "confidence": table["confidence"],
        "file": path.name,
    })
    return tidy.reset_index(drop=True)


def read_observations(path: str | Path) -> pd.DataFrame:
    """A user's CSV of observations in the reference format, as a tidy frame (columns as
    `load`'s, `file` the file's name).

    Checked: the required columns, numeric years and values, and for every series the
    mapping knows, a unit it allows, a positive value and a confidence `weights` reads.
    Any problem raises SdeconError with one line naming the file, the line and the value.
    """
    path = Path(path)
    table = _read(path, "data file")
    tidy = _tidy(table, path, "data file")
    _check_mapped_rows(tidy, table["line"].to_numpy(), f"data file {str(path)!r}")
    return tidy


def _check_mapped_rows(tidy: pd.DataFrame, lines, name: str) -> None:
    """A mapped row's confidence must be readable: it sets the row's weight. Its unit and
    value are judged when compared (`sdecon.observations`), row by row."""
    keys = mapping_keys(tidy["series"])
    for i, row in enumerate(tidy.itertuples(index=False)):
        if keys.iloc[i] is None:
            continue
        try:
            weights(row.confidence)
        except SdeconError as error:
            raise SdeconError(f"{name} line {lines[i]}: {error}") from None


@functools.cache
def _package() -> pd.DataFrame:
    frames = []
    for name in FILES:
        path = DATA_DIR / name
        frames.append(_tidy(_read(path, "package data file"), path, "package data file"))
    return add_derived(pd.concat(frames, ignore_index=True))


def series_names() -> list[str]:
    """Every series in the package data, derived ones included, sorted."""
    return sorted(_package()["series"].unique())


def load(series: str | list[str] | None = None) -> pd.DataFrame:
    """The package's reference data as a tidy frame: year (float), series, label, value
    (float), unit, source, confidence, file; all series, one, or a list of them.

    Includes the derived series `hyperscaler_capex_big4_calendar_year` (file ends in
    "(derived)"). An unknown name raises SdeconError suggesting the closest.
    """
    frame = _package()
    if series is None:
        return frame.copy()
    wanted = [series] if isinstance(series, str) else list(series)
    known = set(frame["series"])
    for name in wanted:
        if name not in known:
            raise SdeconError(f"unknown data series {name!r}{closest(str(name), known)}; "
                              f"sdecon.data.series_names() lists all {len(known)}")
    return frame[frame["series"].isin(wanted)].reset_index(drop=True)


# ---------------------------------------------------------------- derived series


def add_derived(observations: pd.DataFrame) -> pd.DataFrame:
    """`observations` with rows of `hyperscaler_capex_big4_calendar_year` appended for every
    calendar year Y that has exactly one row each of Alphabet, Amazon and Meta for Y and of
    Microsoft for fiscal years Y and Y+1, and no big-4 row of its own yet.

    Value: Alphabet + Amazon + Meta + 0.5 x (Microsoft FY Y + FY Y+1); confidence: the
    lowest of the five inputs', with the note "(derived)".
    """
    rows = observations[observations["series"].isin(BIG4_CALENDAR + (MICROSOFT_FISCAL,))]
    have = set(observations.loc[observations["series"] == BIG4, "year"])
    by = {key: group for key, group in rows.groupby(["series", "year"])}

    def one(series, year):
        group = by.get((series, float(year)))
        return None if group is None or len(group) != 1 else group.iloc[0]

    derived = []
    years = sorted(set(rows.loc[rows["series"] == BIG4_CALENDAR[0], "year"]))
    for year in years:
        if year != int(year) or year in have:
            continue
        parts = [one(series, year) for series in BIG4_CALENDAR]
        parts += [one(MICROSOFT_FISCAL, year), one(MICROSOFT_FISCAL, year + 1)]
        if any(part is None for part in parts):
            continue
        value = sum(part["value"] for part in parts[:3]) + 0.5 * (parts[3]["value"] + parts[4]["value"])
        lowest = min((_level(part["confidence"]) for part in parts), key=CONFIDENCE_WEIGHTS.get)
        files = sorted({part["file"] for part in parts})
        derived.append({
            "year": float(year), "series": BIG4, "label": "", "value": value, "unit": BIG4_UNIT,
            "source": BIG4_SOURCE.format(y=int(year), y1=int(year) + 1),
            "confidence": f"{lowest} (derived)", "file": f"{', '.join(files)} (derived)",
        })
    if not derived:
        return observations.reset_index(drop=True)
    return pd.concat([observations, pd.DataFrame(derived)], ignore_index=True)


# ---------------------------------------------------------------- weights


def _level(confidence) -> str:
    """The confidence level a text states: its level words outside parentheses; when it
    gives several separated by '/' ("high (data) / medium (method)"), the lowest."""
    text = confidence if isinstance(confidence, str) else ""
    bare = text
    while True:
        stripped = re.sub(r"\([^()]*\)", " ", bare)
        if stripped == bare:
            break
        bare = stripped
    levels = [part.strip().lower() for part in bare.split("/")]
    if not all(level in CONFIDENCE_WEIGHTS for level in levels):
        raise SdeconError(f"confidence {confidence!r} is not recognised: it must be one of "
                          f"{', '.join(CONFIDENCE_WEIGHTS)}, optionally with a note in parentheses "
                          "as in 'medium (derived)'")
    return min(levels, key=CONFIDENCE_WEIGHTS.get)


def weights(confidence):
    """Weight of a confidence text ('high' 1, 'medium-high' 0.75, 'medium' 0.5,
    'low-medium' 0.35, 'low' 0.25), or of each text in a list or Series (returned as a float
    array or Series). Notes in parentheses are ignored ("low-medium (derived)"); a text
    giving several levels separated by '/' gets the lowest ("high (data) / medium
    (method)" is medium). Unrecognised text raises SdeconError."""
    if confidence is None or isinstance(confidence, (str, int, float)):
        return CONFIDENCE_WEIGHTS[_level(confidence)]
    if isinstance(confidence, pd.Series):
        return confidence.map(lambda text: CONFIDENCE_WEIGHTS[_level(text)]).astype(float)
    return np.array([CONFIDENCE_WEIGHTS[_level(text)] for text in confidence], dtype=float)


# ---------------------------------------------------------------- mapping


def _units(text: str) -> list[str]:
    return [unit.strip() for unit in text.split("|")]


@functools.cache
def _mapping() -> pd.DataFrame:
    path = DATA_DIR / "mapping.csv"
    table = pd.read_csv(path, dtype=str, keep_default_na=False)
    if tuple(table.columns) != _MAPPING_COLUMNS:
        raise SdeconError(f"{path}: columns must be {', '.join(_MAPPING_COLUMNS)}")
    fit = table["scale"].str.strip() == "fit"
    table["scale"] = [math.nan if fitted else float(text) for fitted, text in zip(fit, table["scale"])]
    table.insert(table.columns.get_loc("scale") + 1, "fit", fit)
    table["power"] = pd.to_numeric(table["power"]).astype(float)
    table["time_offset"] = pd.to_numeric(table["time_offset"]).astype(float)
    if table["series"].duplicated().any():
        raise SdeconError(f"{path}: series {table['series'][table['series'].duplicated()].iloc[0]!r} "
                          "is mapped twice")
    return table


def mapping() -> pd.DataFrame:
    """Data series -> model variable, one row a series: series, variable (Vensim name),
    scale (float; NaN when fitted), fit (True when only the trend is compared), power,
    time_offset (years added to a row's year to get the model time), unit (allowed unit
    texts separated by ' | '), overlaps (series measuring the same thing), why.

    A series name holding `*` is a pattern matching every series it fits (`mapping_keys`).
    An observation compares with scale x variable ** power at time year + time_offset
    (`sdecon.observations`).
    """
    return _mapping().copy()


@functools.cache
def _left_out() -> pd.DataFrame:
    return pd.read_csv(DATA_DIR / "left_out.csv", dtype=str, keep_default_na=False)


def left_out() -> pd.DataFrame:
    """The reference series deliberately not in the mapping, with the reason: series, why."""
    return _left_out().copy()


def mapping_keys(series: pd.Series) -> pd.Series:
    """For each series name, the `mapping()` row that maps it: the row of that name, else
    the first whose name is a pattern (``nvidia_datacenter_revenue_quarter_FY*Q1``) that
    matches it; None when no row does."""
    table = _mapping()
    names = set(table["series"])
    patterns = [name for name in table["series"] if "*" in name]

    def key(name):
        if name in names:
            return name
        return next((p for p in patterns if fnmatch.fnmatchcase(name, p)), None)

    return pd.Series([key(name) for name in series], index=series.index, dtype=object)
