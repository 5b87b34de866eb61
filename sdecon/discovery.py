"""Scenario discovery: which corner of the uncertain parameters gives a chosen outcome.

    sdecon discover --sweep sweeps/lhs --where "Compute Spending Share of GDP@2040 > 0.05"
    found = sdecon.discover("sweeps/lhs", "Compute Spending Share of GDP@2040 > 0.05")
    found.box            # the chosen box: lower and upper limit per restricted parameter
    found.coverage, found.density
    found.trajectory     # PRIM's peeling trajectory, one row a box
    found.cart           # the CART tree's leaves as rules, with coverage and density
    found.save("discovery/")

A condition on one output of a sweep (``VARIABLE@YEAR > VALUE``) splits its runs into those
of interest (1) and the rest (0). PRIM (the Patient Rule Induction Method of Friedman and
Fisher, 1999, as implemented in the EMA Workbench, `ema_workbench.analysis.prim.Prim`) peels
thin slices off the box of all runs, one parameter's edge at a time, keeping the slice whose
removal raises the share of runs of interest most, and then pastes back what helps; every
box on the way is a point on the peeling trajectory. For each box:

- coverage: the runs of interest inside the box / all runs of interest;
- density: the runs of interest inside the box / all runs inside it;
- mass: the runs inside the box / all runs.

Along the trajectory the density only rises (a peel or a paste is kept only when it raises
the share of runs of interest) and the coverage only falls while peeling. The box reported
is, by default (``select="last"``), the last box on the trajectory whose density reaches
`threshold`: since the density rises, that is the trajectory's end, the box EMA selects,
whenever it reaches the threshold. ``select="coverage"`` reports instead the box with the
highest coverage among those reaching the threshold (ties: fewer restricted parameters,
then the earlier box), the loosest box that is still dense enough. When no box reaches the
threshold, the densest (the last) is reported and `Discovery.meets_threshold` is False.
CART (a classification tree, scikit-learn's
`DecisionTreeClassifier` through the EMA Workbench's `CART`) gives a second view: its leaves
as boxes, each a rule with its coverage and density.

A run whose output is NaN does not meet the condition. Box limits are values of the
parameters (in their units); a box includes its limits.
"""
from __future__ import annotations

import contextlib
import logging
import math
import re
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from .errors import SdeconError, closest

__all__ = ["OPERATORS", "Condition", "Discovery", "discover", "discover_frame", "describe", "parse_where",
           "sweep_condition"]

#: The comparisons a condition may use.
OPERATORS = {">": np.greater, ">=": np.greater_equal, "<": np.less, "<=": np.less_equal}

_WHERE_FORM = "'VARIABLE@YEAR > VALUE' (operators >, >=, <, <=)"
_CONDITION = re.compile(r"^(?P<output>[^<>=!]*?)\s*(?P<operator>[<>=!]+)\s*(?P<value>[^<>=!]*)$")

# EMA's Prim takes a threshold for two things: y >= threshold marks the cases of interest,
# and a final box whose density is below it is replaced by the box of all runs (a "dump
# box"), which would throw the trajectory away. y is 0 or 1 here, so any value in (0, 1]
# marks the 1s; this one never dumps a box. The density threshold chooses the box instead.
_MARK_ONES = 1e-9

#: Files `Discovery.save` writes.
FILES = ("summary.csv", "box.csv", "trajectory.csv", "cart.csv", "trajectory.png", "box.png")


@dataclass(frozen=True)
class Condition:
    """A condition on one output: ``output operator value``.

    Attributes
    ----------
    output : str
        ``VARIABLE@YEAR``, a column of the sweep's runs.
    operator : {">", ">=", "<", "<="}
    value : float
    """
    output: str
    operator: str
    value: float

    def __str__(self) -> str:
        return f"{self.output} {self.operator} {self.value:g}"

    def holds(self, values) -> np.ndarray:
        """True where `values` meet the condition (never where they are NaN)."""
        with np.errstate(invalid="ignore"):
            return OPERATORS[self.operator](np.asarray(values, dtype=float), self.value)


def parse_where(text: str, outputs) -> Condition:
    """The condition `text` (``"VARIABLE@YEAR > VALUE"``) checked against `outputs`.

    Parameters
    ----------
    text : str
        The condition.
    outputs : iterable of str
        The outputs it may name (a sweep's ``VARIABLE@YEAR`` columns).

    Returns
    -------
    Condition

    Raises
    ------
    SdeconError
        One line starting ``where``: no comparison, an operator not allowed, a value that is
        not a number, or an output not among `outputs` (naming the nearest).
    """
    outputs = list(outputs)
    found = _CONDITION.match(str(text).strip())
    if found is None or not found["output"] or not found["value"].strip():
        raise SdeconError(f"where {text!r} is not a condition; expected {_WHERE_FORM}", argument="where")
    name, operator, value = found["output"].strip(), found["operator"], found["value"].strip()
    if operator not in OPERATORS:
        raise SdeconError(f"where {text!r} compares with {operator!r}; allowed: {', '.join(OPERATORS)}",
                          argument="where")
    try:
        number = float(value)
    except ValueError:
        number = math.nan
    if not math.isfinite(number):
        raise SdeconError(f"where {text!r}: {value!r} is not a number; expected {_WHERE_FORM}",
                          argument="where")
    if name not in outputs:
        hint = closest(name, outputs)
        if not hint and "@" not in name:
            hint = closest(name, {o.rsplit("@", 1)[0] for o in outputs})
        years = sorted({o.rsplit("@", 1)[1] for o in outputs if "@" in o})
        raise SdeconError(f"where names the output {name!r}, not one of the sweep's{hint}; expected "
                          f"VARIABLE@YEAR, years {', '.join(years)}", argument="where")
    return Condition(name, operator, number)


@dataclass(frozen=True, eq=False)
class Discovery:
    """The result of `discover`: PRIM's chosen box, its peeling trajectory, and CART's leaves.

    Attributes
    ----------
    where : str
        The condition, as text ("" when `discover_frame` was given none).
    threshold : float
        The density the chosen box had to reach.
    select : {"last", "coverage"}
        How the box was chosen among those reaching `threshold`.
    mass_min : float
        The smallest share of the runs a box or a CART leaf could hold.
    box : DataFrame
        The chosen box, indexed by restricted parameter: ``unit``, ``lower``, ``upper`` (the
        box's limits, inclusive), ``low``, ``high`` (the range of the runs), ``qp_lower``,
        ``qp_upper`` (EMA's quasi p-values of each limit, NaN for a side not restricted: the
        chance that the density gain of that limit is luck).
    trajectory : DataFrame
        One row a box on the peeling trajectory, in order: ``step``, ``coverage``,
        ``density``, ``mass``, ``runs`` (inside the box), ``of_interest`` (inside and
        meeting the condition), ``restricted`` (how many parameters), ``dimensions`` (their
        names, joined by "; ").
    cart : DataFrame
        One row a leaf of the CART tree, the densest first: ``rule`` (e.g. ``"A <= 0.3 and
        B > 2"``; "all runs" for a tree of one leaf), ``coverage``, ``density``, ``mass``,
        ``runs``, ``of_interest``, ``restricted``.
    step : int
        The chosen box's row in `trajectory`.
    meets_threshold : bool
        Whether the chosen box's density reaches `threshold` (if no box does, the densest).
    coverage, density, mass : float
        The chosen box's.
    runs, of_interest : int
        All runs, and those meeting the condition.
    ranges : DataFrame
        ``low`` and ``high`` of every parameter over the runs (the box of all runs).
    limits : list of DataFrame
        Each trajectory box's ``lower`` and ``upper`` per parameter (every parameter).
    """
    where: str
    threshold: float
    select: str
    mass_min: float
    box: pd.DataFrame
    trajectory: pd.DataFrame
    cart: pd.DataFrame
    step: int
    meets_threshold: bool
    runs: int
    of_interest: int
    ranges: pd.DataFrame
    limits: list

    @property
    def coverage(self) -> float:
        """Share of the runs of interest inside the chosen box."""
        return float(self.trajectory["coverage"].iloc[self.step])

    @property
    def density(self) -> float:
        """Share of the runs inside the chosen box that are of interest."""
        return float(self.trajectory["density"].iloc[self.step])

    @property
    def mass(self) -> float:
        """Share of all runs inside the chosen box."""
        return float(self.trajectory["mass"].iloc[self.step])

    def summary(self) -> pd.DataFrame:
        """One row: where, threshold, select, runs, of_interest, step, coverage, density,
        mass, meets_threshold."""
        return pd.DataFrame([{"where": self.where, "threshold": self.threshold, "select": self.select,
                              "runs": self.runs,
                              "of_interest": self.of_interest, "step": self.step,
                              "coverage": self.coverage, "density": self.density, "mass": self.mass,
                              "meets_threshold": self.meets_threshold}])

    def save(self, directory: str | Path) -> list[Path]:
        """Write the tables and figures (`FILES`) into `directory`, all or none.

        Parameters
        ----------
        directory : str or Path
            Created if missing (its parent must exist); files of an earlier discovery in it
            are replaced.

        Returns
        -------
        list of Path
            The files written.
        """
        from .output import write_all
        from .plotting import _pyplot, figure_writer

        directory = check_output(directory)
        created = not directory.exists()
        figures = []
        try:
            directory.mkdir(exist_ok=True)
            from .plotting import plot_box_limits, plot_trajectory
            figures = [plot_trajectory(self).figure, plot_box_limits(self).figure]
            tables = {"summary.csv": self.summary(), "box.csv": self.box.reset_index(),
                      "trajectory.csv": self.trajectory, "cart.csv": self.cart}
            outputs = [(directory / name, _csv_writer(table)) for name, table in tables.items()]
            outputs += [(directory / name, figure_writer(figure, directory / name))
                        for name, figure in zip(("trajectory.png", "box.png"), figures)]
            return write_all(outputs)
        except BaseException:
            if created and directory.is_dir() and not any(directory.iterdir()):
                directory.rmdir()
            raise
        finally:
            for figure in figures:
                _pyplot().close(figure)


def _csv_writer(table: pd.DataFrame):
    def write(tmp: Path) -> None:
        table.to_csv(tmp, index=False)
    return write


def check_output(directory: str | Path) -> Path:
    """`directory` as a Path if a discovery can be written there: a directory, or a new one
    whose parent exists and is writable; else SdeconError starting ``output``."""
    import os

    directory = Path(directory)
    if directory.exists() and not directory.is_dir():
        raise SdeconError(f"output {str(directory)!r} is a file; expected a directory", argument="output")
    parent = directory if directory.is_dir() else directory.parent
    if not parent.is_dir():
        raise SdeconError(f"output {str(directory)!r}: directory {str(parent)!r} does not exist",
                          argument="output")
    if not os.access(parent, os.W_OK):
        raise SdeconError(f"output {str(directory)!r}: permission denied", argument="output")
    return directory


def discover(sweep, where: str, *, threshold: float = 0.8, peel_alpha: float = 0.05,
             paste_alpha: float = 0.05, mass_min: float = 0.05, select: str = "last",
             parameters=None) -> Discovery:
    """Find the box of varied parameters where a sweep's runs meet `where` (PRIM), and CART's rules.

    Parameters
    ----------
    sweep : str, Path or SweepResult
        A finished sweep (its directory, or `sdecon.load_sweep`'s result).
    where : str
        A condition on one output, ``"VARIABLE@YEAR OP VALUE"`` with OP one of >, >=, <, <=,
        e.g. ``"Compute Spending Share of GDP@2040 > 0.05"``.
    threshold : float
        The density, in (0, 1], the chosen box must reach (default 0.8).
    peel_alpha : float
        The share of the runs in the box that one peel removes, in (0, 0.5) (default 0.05).
    paste_alpha : float
        The share one paste adds back, in (0, 0.5) (default 0.05).
    mass_min : float
        The smallest share of all runs a box (and a CART leaf) may hold, in (0, 1)
        (default 0.05).
    select : {"last", "coverage"}
        Which box to report among those whose density reaches `threshold`: the last on the
        peeling trajectory (default), or the one with the highest coverage.
    parameters : iterable of str, optional
        Only these of the sweep's varied parameters (default: all): with many parameters
        and few runs of interest PRIM restricts many on little evidence, and a second pass
        on the few whose limits are significant (small quasi p-values) gives a box to read.

    Returns
    -------
    Discovery

    Raises
    ------
    SdeconError
        One line naming the argument: a parameter the sweep did not vary; a condition that does not parse, names an output the
        sweep does not have (with the nearest), or that no run or every run meets; a value
        out of range; a directory that holds no finished sweep.
    """
    from .sweeps import SweepResult, load_sweep

    _check_settings(threshold, peel_alpha, paste_alpha, mass_min, select)
    result = sweep if isinstance(sweep, SweepResult) else load_sweep(sweep)
    names = [item["name"] for item in result.manifest["vary"]]
    if parameters is not None:
        chosen = list(dict.fromkeys(parameters))
        for name in chosen:
            if name not in names:
                raise SdeconError(f"parameters: {name!r} is not varied in the sweep{closest(name, names)}; "
                                  f"it varies {len(names)}", argument="parameters")
        if not chosen:
            raise SdeconError("parameters is empty; expected at least one varied parameter",
                              argument="parameters")
        names = chosen
    condition = sweep_condition(result, where)
    runs = result.runs([*names, condition.output])
    meets = condition.holds(runs[condition.output])
    if meets.all() or not meets.any():
        raise SdeconError(f"where {str(condition)!r} holds in {'every' if meets.all() else 'no'} run of the "
                          f"{len(runs):,} (the output ranges {value_range(runs[condition.output])}); expected "
                          "a condition some runs meet and some do not", argument="where")
    return discover_frame(runs[names], meets, threshold=threshold, peel_alpha=peel_alpha,
                          paste_alpha=paste_alpha, mass_min=mass_min, select=select, where=str(condition))


def sweep_condition(sweep, where: str) -> Condition:
    """The condition `where` checked against a sweep's outputs (`parse_where`).

    Parameters
    ----------
    sweep : SweepResult
        A finished sweep: its outputs are each of its variables at each of its index years.
    where : str
        ``"VARIABLE@YEAR OP VALUE"``.

    Returns
    -------
    Condition

    Raises
    ------
    SdeconError
        As `parse_where`: one line starting ``where``.
    """
    manifest = sweep.manifest
    return parse_where(where, [f"{v}@{y}" for v in manifest["variables"] for y in manifest["index_years"]])


def value_range(values) -> str:
    """The range of `values` as text, "LOW to HIGH" (4 significant figures), or "NaN in
    every run" when none is a number."""
    values = np.asarray(values, dtype=float)
    if not np.isfinite(values).any():
        return "NaN in every run"
    return f"{np.nanmin(values):.4g} to {np.nanmax(values):.4g}"


def discover_frame(x: pd.DataFrame, y, *, threshold: float = 0.8, peel_alpha: float = 0.05,
                   paste_alpha: float = 0.05, mass_min: float = 0.05, select: str = "last",
                   where: str = "") -> Discovery:
    """PRIM and CART on any table of inputs and a 0/1 outcome (what `discover` does for a sweep).

    Parameters
    ----------
    x : DataFrame
        One row a run, one numeric column an input.
    y : array-like of bool or 0/1
        One value a row of `x`: 1 (True) for the runs of interest.
    threshold, peel_alpha, paste_alpha, mass_min : float
        As for `discover`.
    select : {"last", "coverage"}
        As for `discover`.
    where : str
        The condition's text, kept in the result.

    Returns
    -------
    Discovery
        Units of inputs that are model parameters come from `sdecon.parameters()`; others
        get "".

    Raises
    ------
    SdeconError
        A setting out of range, `y` not of the length of `x` or not 0/1, a non-numeric or
        non-finite input, or an outcome that is all 0 or all 1.
    """
    _check_settings(threshold, peel_alpha, paste_alpha, mass_min, select)
    x = pd.DataFrame(x).reset_index(drop=True)
    y = np.asarray(y)
    if y.ndim != 1 or len(y) != len(x):
        raise SdeconError(f"y has shape {y.shape}; expected one value a row of x ({len(x)})", argument="y")
    if not np.isin(y, (0, 1)).all():
        raise SdeconError("y holds values other than 0 and 1 (or False and True); expected a 0/1 outcome",
                          argument="y")
    y = y.astype(int)
    if y.min() == y.max():
        raise SdeconError(f"y is {y[0]} in every row; expected some runs of interest and some not",
                          argument="y")
    bad = [c for c in x.columns if not pd.api.types.is_numeric_dtype(x[c])
           or not np.isfinite(x[c].to_numpy(dtype=float)).all()]
    if bad or x.shape[1] == 0:
        raise SdeconError(f"x has no inputs or non-numeric or non-finite ones ({', '.join(map(str, bad))}); "
                          "expected finite numbers", argument="x")
    x = x.astype(float)
    prim_module, cart_module, sdutil = _ema()
    with _quiet():
        prim = prim_module.Prim(x, y, threshold=_MARK_ONES, peel_alpha=peel_alpha, paste_alpha=paste_alpha,
                                mass_min=mass_min)
        box = prim.find_box()
    init = prim.box_init
    trajectory, limits = _trajectory(box, init)
    step, meets = _choose(trajectory, threshold, select)
    ranges = pd.DataFrame({"low": init.loc[0], "high": init.loc[1]})
    ranges.index.name = "parameter"
    return Discovery(where=where, threshold=float(threshold), select=select, mass_min=float(mass_min),
                     box=_box_table(limits[step], box.qp[step], init, ranges),
                     trajectory=trajectory, cart=_cart(cart_module, sdutil, x, y, mass_min), step=step,
                     meets_threshold=meets, runs=len(y), of_interest=int(y.sum()), ranges=ranges,
                     limits=limits)


SELECTIONS = ("last", "coverage")


def _check_settings(threshold, peel_alpha, paste_alpha, mass_min, select) -> None:
    if select not in SELECTIONS:
        raise SdeconError(f"select {select!r} is not a way to choose a box; allowed: {', '.join(SELECTIONS)}",
                          argument="select")
    for name, value, low, high, closed in (("threshold", threshold, 0, 1, True),
                                           ("peel_alpha", peel_alpha, 0, 0.5, False),
                                           ("paste_alpha", paste_alpha, 0, 0.5, False),
                                           ("mass_min", mass_min, 0, 1, False)):
        try:
            number = float(value)
        except (TypeError, ValueError):
            number = math.nan
        inside = low < number <= high if closed else low < number < high
        if isinstance(value, bool) or not inside:
            raise SdeconError(f"{name} {value!r} is out of range; allowed: ({low}, {high}"
                              f"{']' if closed else ')'}", argument=name)


def _ema():
    """EMA Workbench's prim and cart modules, imported quietly (at import it warns that two
    optional packages, ipyparallel and altair, are missing)."""
    with _quiet():
        from ema_workbench.analysis import cart, prim
        from ema_workbench.analysis import scenario_discovery_util as sdutil
    return prim, cart, sdutil


@contextlib.contextmanager
def _quiet():
    """EMA's import warnings and the deprecation warnings its pandas code raises silenced,
    and its log (the "EMA" logger) kept below warnings, for the calls inside."""
    logger = logging.getLogger("EMA")
    level = logger.level
    logger.setLevel(logging.WARNING)
    try:
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message="altair based interactive inspection not available",
                                    category=ImportWarning)
            warnings.filterwarnings("ignore", message="ipyparallel not installed", category=UserWarning)
            warnings.filterwarnings("ignore", category=FutureWarning, module=r"ema_workbench\.")
            warnings.filterwarnings("ignore", category=DeprecationWarning, module=r"ema_workbench\.")
            yield
    finally:
        logger.setLevel(level)


def _restricted(limits: pd.DataFrame, init: pd.DataFrame) -> list[str]:
    return [c for c in init.columns if limits.at[0, c] > init.at[0, c] or limits.at[1, c] < init.at[1, c]]


def _trajectory(box, init: pd.DataFrame) -> tuple[pd.DataFrame, list[pd.DataFrame]]:
    peeled = box.peeling_trajectory.reset_index(drop=True)
    limits = [lims.reset_index(drop=True).astype(float) for lims in box.box_lims]
    dimensions = [_restricted(lims, init) for lims in limits]
    table = pd.DataFrame({
        "step": np.arange(len(peeled)),
        "coverage": peeled["coverage"].astype(float), "density": peeled["density"].astype(float),
        "mass": peeled["mass"].astype(float), "runs": peeled["n"].astype(int),
        "of_interest": peeled["k"].astype(int), "restricted": [len(d) for d in dimensions],
        "dimensions": ["; ".join(d) for d in dimensions],
    })
    return table, limits


def _choose(trajectory: pd.DataFrame, threshold: float, select: str) -> tuple[int, bool]:
    """The chosen box's step and whether it reaches `threshold`: the last box whose density
    reaches it ("last"), or the one with the highest coverage (ties: fewer restricted
    parameters, then earlier; "coverage"); if none does, the densest (the latest of those)."""
    dense = trajectory[trajectory["density"] >= threshold]
    if dense.empty:
        densest = trajectory[trajectory["density"] == trajectory["density"].max()]
        return int(densest["step"].iloc[-1]), False
    if select == "last":
        return int(dense["step"].iloc[-1]), True
    order = dense.sort_values(["coverage", "restricted", "step"], ascending=[False, True, True])
    return int(order["step"].iloc[0]), True


def _units(names) -> list[str]:
    from .parameter import parameters

    known = parameters()
    return [known[n].unit if n in known else "" for n in names]


def _box_table(limits: pd.DataFrame, qp: dict, init: pd.DataFrame, ranges: pd.DataFrame) -> pd.DataFrame:
    names = _restricted(limits, init)
    rows = []
    for name, unit in zip(names, _units(names)):
        qp_lower, qp_upper = (list(qp.get(name, (-1, -1))) + [-1, -1])[:2]
        rows.append({"parameter": name, "unit": unit, "lower": limits.at[0, name], "upper": limits.at[1, name],
                     "low": ranges.at[name, "low"], "high": ranges.at[name, "high"],
                     "qp_lower": np.nan if qp_lower is None or qp_lower < 0 else float(qp_lower),
                     "qp_upper": np.nan if qp_upper is None or qp_upper < 0 else float(qp_upper)})
    columns = ["parameter", "unit", "lower", "upper", "low", "high", "qp_lower", "qp_upper"]
    return pd.DataFrame(rows, columns=columns).set_index("parameter")


def _cart(cart_module, sdutil, x: pd.DataFrame, y: np.ndarray, mass_min: float) -> pd.DataFrame:
    """CART's leaves as rules. The tree is EMA's (a scikit-learn classifier with leaves of at
    least mass_min of the runs), fitted here with a fixed random_state so that ties between
    equally good splits break the same way every time."""
    from sklearn.tree import DecisionTreeClassifier

    with _quiet():
        cart = cart_module.CART(x, y, mass_min=mass_min)
        cart.clf = DecisionTreeClassifier(min_samples_leaf=max(1, int(mass_min * len(x))), random_state=0)
        cart.clf.fit(x[cart.feature_names].to_numpy(), y)
        # EMA names every node's feature, leaves' too (-2, scikit-learn's "undefined"): with
        # one input, feature_names[-2] is out of range. A second name, never a split's, fixes it.
        cart.feature_names = [*cart.feature_names, "(leaf)"]
        boxes = cart.boxes if cart.clf.tree_.node_count > 1 else [sdutil._make_box(x)]
    init = sdutil._make_box(x)
    total = int(y.sum())
    rows = []
    for limits in boxes:
        inside = np.asarray(sdutil._in_box(x, limits))
        k, n = int(y[inside].sum()), int(inside.sum())
        names = _restricted(limits, init)
        rule = []
        for name in names:
            if limits.at[0, name] > init.at[0, name]:
                rule.append(f"{name} > {limits.at[0, name]:.4g}")
            if limits.at[1, name] < init.at[1, name]:
                rule.append(f"{name} <= {limits.at[1, name]:.4g}")
        rows.append({"rule": " and ".join(rule) or "all runs", "coverage": k / total,
                     "density": k / n if n else np.nan, "mass": n / len(y), "runs": n, "of_interest": k,
                     "restricted": len(names)})
    table = pd.DataFrame(rows, columns=["rule", "coverage", "density", "mass", "runs", "of_interest",
                                        "restricted"])
    return table.sort_values(["density", "coverage"], ascending=False, ignore_index=True)


def describe(found: Discovery) -> str:
    """The chosen box, its coverage and density, and CART's rules, as text for a terminal.

    Parameters
    ----------
    found : Discovery

    Returns
    -------
    str
    """
    head = found.where or "the outcome"
    lines = [f"PRIM: {head}: {found.of_interest:,} of {found.runs:,} runs meet it "
             f"({found.of_interest / found.runs:.1%})"]
    chosen = found.trajectory.iloc[found.step]
    if found.meets_threshold:
        why = (f"the last with density >= {found.threshold:g}" if found.select == "last" else
               f"the highest coverage with density >= {found.threshold:g}")
    else:
        why = f"no box reaches density {found.threshold:g}: the densest"
    lines.append(f"box {found.step} of the {len(found.trajectory)} on the peeling trajectory ({why}):")
    lines.append(f"  coverage {found.coverage:.3f}, density {found.density:.3f}, mass {found.mass:.3f} "
                 f"({chosen['of_interest']:,} of its {chosen['runs']:,} runs meet it)")
    if found.box.empty:
        lines.append("  no parameter restricted: the box of all runs")
    else:
        table = found.box[["lower", "upper", "low", "high", "qp_lower", "qp_upper", "unit"]].rename(
            columns={"low": "runs from", "high": "runs to"})
        lines += ["  " + line for line in table.to_string(float_format=lambda v: f"{v:.4g}", na_rep="").splitlines()]
        lines.append("  (qp: quasi p-value of a limit, the chance its density gain is luck; blank: side "
                     "not restricted)")
    wanted = found.cart[found.cart["density"] > 0.5]
    lines.append(f"\nCART: {len(found.cart)} leaves (each at least {found.mass_min:.0%} of the runs); "
                 f"{len(wanted)} where most runs meet it:")
    if wanted.empty:
        lines.append("  none")
    else:
        for _, leaf in wanted.sort_values("coverage", ascending=False).iterrows():
            lines.append(f"  coverage {leaf['coverage']:.3f}, density {leaf['density']:.3f}, "
                         f"mass {leaf['mass']:.3f}: {leaf['rule']}")
    return "\n".join(lines)
