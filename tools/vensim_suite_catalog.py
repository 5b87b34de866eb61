"""Catalogue the Vensim test-models suite in tests/vensim_suite: what each model uses, and
whether PySD runs it and reproduces Vensim's canonical output.

Run: `python tools/vensim_suite_catalog.py [--out FILE] [--only NAME ...] [--no-run]`.

For each .mdl (one case per file, named "<dir>" or "<dir>/<stem>" when a directory holds
several), it
  a. parses the model with PySD's Vensim translator only (VensimFile -> abstract model) and
     walks the abstract syntax trees to list the constructs used (AST class names, built-in
     calls as "call:<name>", operators as "arith:<op>" / "logic:<op>", non-default component
     kinds as "component:<type>/<subtype>") and the flags has_subscripts, has_macros and
     has_external;
  b. translates and runs a copy of the model with PySD in a temporary directory (nothing is
     written into tests/vensim_suite);
  c. compares PySD's output with Vensim's canonical output (output.csv, else output.tab, the
     order PySD's `runner` uses), loaded with `pysd.tools.benchmarking.load_outputs`, using
     `pysd.tools.benchmarking.assert_frames_close` with PySD's CI tolerances: the defaults of
     `benchmarking.assert_allclose` (rtol=1e-5, atol=1e-5) and the per-model overrides of
     PySD's tests/pytest_integration/pytest_integration_vensim_pathway.py (PYSD_CI_TOL).

It writes one JSON record per case (default tests/vensim_suite/catalog.json) and prints a
tally plus a table of the cases without subscripts, macros or external data.
"""
from __future__ import annotations

import argparse
import dataclasses
import json
import shutil
import sys
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np

SUITE = Path(__file__).resolve().parents[1] / "tests" / "vensim_suite"

# Tolerances of PySD's own CI (pysd 3.14.3, tests/pytest_integration/
# pytest_integration_vensim_pathway.py): benchmarking.assert_allclose defaults, overridden
# for two models.
DEFAULT_TOL = {"rtol": 1e-5, "atol": 1e-5}
PYSD_CI_TOL = {"allocate_available": {"rtol": 2e-2}, "arguments": {"rtol": 1e-2}}
# Data files PySD's CI passes to read_vensim (they are not named inside the .mdl).
PYSD_CI_DATA_FILES = {"data_from_other_model": ["data.tab"]}
# Directories with several models whose canonical output belongs to one of them only
# (the one PySD's CI runs; the other is a data generator / a "future" test).
CANONICAL_ONLY_FOR = {"data_from_other_model": "test_data_from_other_model.mdl",
                      "get_time_value": "test_get_time_value_simple.mdl"}
# Cases PySD's CI marks xfail ("csv files not implemented").
PYSD_CI_XFAIL = {"get_constants", "get_data"}

EXTERNAL_AST = {"DataStructure", "GetLookupsStructure", "GetDataStructure",
                "GetConstantsStructure"}
# Present in nearly every model; left out of `constructs` (subscripted references still set
# has_subscripts).
UBIQUITOUS = {"ReferenceStructure", "SubscriptsReferenceStructure"}


def python_name(name: str) -> str:
    """The reference form PySD's Vensim parser gives a name (visit_reference)."""
    return name.strip().lower().replace(" ", "_")


def discover(suite: Path) -> list[tuple[str, Path]]:
    cases = []
    for d in sorted(p for p in suite.iterdir() if p.is_dir()):
        mdls = sorted(f for f in d.iterdir() if f.suffix.lower() == ".mdl")
        for f in mdls:
            cases.append((d.name if len(mdls) == 1 else f"{d.name}/{f.stem}", f))
    return cases


# ---------------------------------------------------------------- a. static classification
def walk(node, visit):
    """Call visit on every dataclass node below node (dataclass fields, tuples, lists,
    dicts); numpy arrays and scalars are leaves."""
    if dataclasses.is_dataclass(node) and not isinstance(node, type):
        visit(node)
        for f in dataclasses.fields(node):
            walk(getattr(node, f.name), visit)
    elif isinstance(node, (tuple, list)):
        for item in node:
            walk(item, visit)
    elif isinstance(node, dict):
        for item in node.values():
            walk(item, visit)


def classify(mdl: Path) -> dict:
    from pysd.translators.vensim.vensim_file import VensimFile

    vf = VensimFile(mdl)
    vf.parse()
    am = vf.get_abstract_model()

    macros = {python_name(s.name) for s in am.sections if s.type == "macro"}
    elements = {python_name(el.name) for s in am.sections for el in s.elements}
    constructs: set[str] = set()
    flags = {"has_subscripts": False, "has_macros": len(am.sections) > 1 or bool(macros),
             "has_external": False}

    def visit(node):
        cls = type(node).__name__
        if cls not in UBIQUITOUS:
            constructs.add(cls)
        if cls in EXTERNAL_AST:
            flags["has_external"] = True
        if cls == "ReferenceStructure" and node.subscripts is not None:
            flags["has_subscripts"] = True
        elif cls == "CallStructure":
            fn = node.function.reference if hasattr(node.function, "reference") \
                else str(node.function)
            if fn in macros:
                constructs.add("macro_call")
            elif fn in elements:
                constructs.add("lookup_call")   # calling a lookup table variable
            else:
                constructs.add(f"call:{fn}")
        elif cls == "ArithmeticStructure":
            constructs.update(f"arith:{op}" for op in node.operators)
        elif cls == "LogicStructure":
            constructs.update(f"logic:{op}" for op in node.operators)

    for section in am.sections:
        if section.subscripts:
            flags["has_subscripts"] = True
        for el in section.elements:
            if len(el.components) > 1:
                flags["has_subscripts"] = True
            for comp in el.components:
                subs, exceptions = comp.subscripts
                if subs or exceptions:
                    flags["has_subscripts"] = True
                if comp.type == "Data":
                    flags["has_external"] = True
                if (comp.type, comp.subtype) != ("Auxiliary", "Normal"):
                    constructs.add(f"component:{comp.type}/{comp.subtype}")
                walk(comp.ast, visit)
    return {"constructs": sorted(constructs), "flags": flags}


# ---------------------------------------------------------------- b./c. run and compare
def one_line(exc: BaseException, limit: int = 300) -> str:
    text = " ".join(str(exc).split())
    text = f"{type(exc).__name__}: {text}" if text else type(exc).__name__
    return text if len(text) <= limit else text[:limit - 3] + "..."


def canonical_file(mdl: Path) -> Path | None:
    case_dir = mdl.parent
    if CANONICAL_ONLY_FOR.get(case_dir.name, mdl.name) != mdl.name:
        return None
    for name in ("output.csv", "output.tab"):   # PySD's runner looks in this order
        if (case_dir / name).is_file():
            return case_dir / name
    return None


def compare(actual, canon, tol: dict) -> dict:
    """assert_frames_close(assertion="return") plus the worst column, measured as
    max |expected - actual| / (atol + rtol |actual|) (> 1 fails, PySD's criterion)."""
    from pysd.tools.benchmarking import assert_frames_close

    expected = canon.astype(float)
    actual = actual[list(canon.columns)].astype(float)
    if len(expected.index) != len(actual.index) or \
            not np.all(np.equal(expected.index.values, actual.index.values)):
        # PySD's assert_frames_close requires identical times: a failure. Still say
        # whether the values agree at the times both have.
        common = expected.index.intersection(actual.index)
        rec = {"pysd_matches_canonical": False, "compare_error":
               f"time index differs: canonical {len(expected.index)} points "
               f"{expected.index.min()}..{expected.index.max()}, PySD {len(actual.index)} "
               f"points {actual.index.min()}..{actual.index.max()}"}
        if len(common):
            sub = compare(actual.loc[common], expected.loc[common], tol)
            rec["matches_on_common_times"] = sub["pysd_matches_canonical"]
        return rec
    # assert_frames_close fills Vensim's constant columns (NaN after t0) in place.
    expected, actual = expected.copy(), actual.copy()
    bad_cols, first_time, _ = assert_frames_close(actual, expected, assertion="return", **tol)
    x, y = expected.to_numpy(), actual.to_numpy()
    with np.errstate(invalid="ignore", divide="ignore"):
        ratio = np.abs(x - y) / (tol["atol"] + tol["rtol"] * np.abs(y))
    ratio = np.where(np.isnan(x) & np.isnan(y), 0.0, ratio)
    ratio = np.where(np.isnan(ratio), np.inf, ratio)   # NaN on one side only
    col_max = ratio.max(axis=0) if ratio.size else np.array([])
    rec = {"pysd_matches_canonical": not bad_cols, "n_columns_compared": len(canon.columns),
           "failing_columns": sorted(bad_cols)[:20], "n_failing_columns": len(bad_cols),
           "first_failure_time": None if not bad_cols else float(first_time)}
    if col_max.size:
        j = int(np.argmax(col_max))
        i = int(np.argmax(ratio[:, j]))
        rec.update(worst_column=str(canon.columns[j]),
                   worst_tolerance_ratio=float(col_max[j]),
                   worst_time=float(expected.index[i]),
                   worst_expected=None if np.isnan(x[i, j]) else float(x[i, j]),
                   worst_actual=None if np.isnan(y[i, j]) else float(y[i, j]))
    return rec


def run_case(dir_name: str, mdl: Path) -> dict:
    import pysd
    from pysd.tools.benchmarking import load_outputs
    from pysd.py_backend.utils import detect_encoding

    rec = {"pysd_ok": False, "pysd_error": None, "pysd_matches_canonical": None,
           "pysd_seconds": None, "canonical": None}
    canon_path = canonical_file(mdl)
    with tempfile.TemporaryDirectory(prefix="vensim_suite_") as tmp:
        work = Path(tmp) / dir_name
        shutil.copytree(mdl.parent, work)
        copy = work / mdl.name
        data_files = [str(work / f) for f in PYSD_CI_DATA_FILES.get(dir_name, [])] or None
        t0 = time.perf_counter()
        try:
            model = pysd.read_vensim(str(copy), data_files=data_files)
            t1 = time.perf_counter()
            out = model.run()
            t2 = time.perf_counter()
        except Exception as exc:  # noqa: BLE001 - record anything PySD raises
            rec["pysd_seconds"] = round(time.perf_counter() - t0, 3)
            rec["pysd_error"] = one_line(exc)
            return rec
        rec.update(pysd_ok=True, pysd_seconds=round(t2 - t0, 3),
                   translate_seconds=round(t1 - t0, 3), run_seconds=round(t2 - t1, 3))
        if canon_path is None:
            return rec

        rec["canonical"] = canon_path.name
        try:
            canon = load_outputs(canon_path, encoding=detect_encoding(canon_path))
        except Exception as exc:  # noqa: BLE001
            rec["compare_error"] = "loading canonical: " + one_line(exc)
            return rec
        missing = [c for c in canon.columns if c not in out.columns]
        rec["canonical_columns_not_in_run"] = missing
        if missing:
            # Names differ from PySD's default column names (case, spacing, subscript
            # form...): ask PySD for the canonical names, as benchmarking.runner does.
            try:
                out = model.run(return_columns=list(canon.columns))
            except Exception as exc:  # noqa: BLE001
                rec["compare_error"] = "run(return_columns=canonical): " + one_line(exc)
                rec["pysd_matches_canonical"] = False
                return rec
        tol = {**DEFAULT_TOL, **PYSD_CI_TOL.get(dir_name, {})}
        rec["tolerance"] = tol
        try:
            rec.update(compare(out, canon, tol))
        except Exception as exc:  # noqa: BLE001
            rec["compare_error"] = one_line(exc)
            rec["pysd_matches_canonical"] = False
    return rec


# ---------------------------------------------------------------- main
def plain(r: dict) -> bool:
    f = r["flags"]
    return f is not None and not (f["has_subscripts"] or f["has_macros"] or f["has_external"])


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", type=Path, default=SUITE / "catalog.json")
    ap.add_argument("--only", nargs="*", help="case names to process (default: all)")
    ap.add_argument("--no-run", action="store_true", help="classify only, do not run PySD")
    args = ap.parse_args(argv)

    if not args.no_run:
        import pysd  # noqa: F401 - import once here so the first case's time excludes it
        import pysd.tools.benchmarking  # noqa: F401

    cases = discover(SUITE)
    if args.only:
        cases = [c for c in cases if c[0] in args.only]
    records = []
    for name, mdl in cases:
        rec = {"name": name, "mdl": mdl.relative_to(SUITE).as_posix()}
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                rec.update(classify(mdl), parse_error=None)
            except Exception as exc:  # noqa: BLE001
                rec.update(constructs=[], flags=None, parse_error=one_line(exc))
            if args.no_run:
                rec.update(pysd_ok=None, pysd_error=None, pysd_matches_canonical=None,
                           pysd_seconds=None)
            else:
                rec.update(run_case(mdl.parent.name, mdl))
        rec["pysd_ci_xfail"] = mdl.parent.name in PYSD_CI_XFAIL
        records.append(rec)
        status = ("parse-error" if rec["parse_error"] else "") + \
                 ("" if args.no_run else
                  f" ok={rec['pysd_ok']} match={rec['pysd_matches_canonical']}"
                  f" {rec['pysd_seconds']}s")
        print(f"{name:45s}{status}", file=sys.stderr, flush=True)

    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(records, indent=1) + "\n")

    def count(pred, rs=records):
        return sum(1 for r in rs if pred(r))

    rest = [r for r in records if plain(r)]
    print(f"\nwrote {args.out}")
    print(f"cases: {len(records)}  (parse errors: {count(lambda r: r['parse_error'])})")
    for flag in ("has_subscripts", "has_macros", "has_external"):
        print(f"  {flag}: {count(lambda r, flag=flag: bool(r['flags'] and r['flags'][flag]))}")
    print(f"without subscripts/macros/external: {len(rest)}")
    if not args.no_run:
        for label, rs in (("all", records), ("plain", rest)):
            secs = sum(r["pysd_seconds"] or 0 for r in rs)
            print(f"  [{label}] PySD runs: {count(lambda r: r['pysd_ok'], rs)}/{len(rs)};"
                  f" with canonical: {count(lambda r: r['pysd_matches_canonical'] is not None, rs)};"
                  f" match: {count(lambda r: r['pysd_matches_canonical'] is True, rs)};"
                  f" mismatch: {count(lambda r: r['pysd_matches_canonical'] is False, rs)};"
                  f" PySD time {secs:.1f}s")
    print("\nplain cases (no subscripts, macros or external data):")
    print(f"{'name':40s} {'ok':5s} {'match':5s} constructs")
    for r in rest:
        cons = ", ".join(c for c in r["constructs"] if not c.startswith(("arith:", "logic:")))
        print(f"{r['name']:40s} {str(r['pysd_ok']):5s} {str(r['pysd_matches_canonical']):5s}"
              f" {cons}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
