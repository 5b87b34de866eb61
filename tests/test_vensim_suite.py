"""The batch engine on the SDXorg test-models suite (tests/vensim_suite, MIT): every model it
compiles equals PySD to 1e-9 relative on every variable and saved time, and Vensim's canonical
output at PySD's CI tolerance; every model it refuses is refused in one line that names the
construct. The expected outcome of each model is listed here, so that a regression shows.

The suite's models run on the engine's "python" backend: the same generated kernel as numba's,
uncompiled, so that 145 models cost no compile time (numba's compiled kernel is held to the
same numbers in tests/test_engine.py).
"""
import shutil
import warnings
from pathlib import Path

import numpy as np
import pytest

from sdecon import engine

SUITE = Path(__file__).parent / "vensim_suite"

MATCH = [
    'macro_cross_reference', 'macro_expression', 'macro_multi_expression', 'macro_multi_macros', 'macro_stock', 'macro_trailing_definition',
    'abs', 'active_initial', 'active_initial_circular', 'arguments', 'builtin_max',
    'builtin_min', 'case_sensitive_extension', 'chained_initialization',
    'constant_expressions', 'delay_fixed', 'delay_numeric_error', 'delay_parentheses',
    'delay_pipeline', 'delays', 'euler_step_vs_saveper', 'exp', 'exponentiation',
    'fully_invalid_names', 'function_capitalization', 'game', 'if_stmt', 'initial_function',
    'input_functions', 'limits', 'line_breaks', 'line_continuation', 'ln', 'log', 'logicals',
    'lookups', 'lookups_funcnames', 'lookups_inline', 'lookups_inline_bounded',
    'lookups_inline_spaces', 'lookups_with_expr', 'lookups_without_range', 'model_doc', 'na',
    'nested_functions', 'number_handling', 'odd_number_quotes', 'parentheses',
    'reference_capitalization', 'rounding', 'smooth', 'smooth_and_stock', 'special_characters',
    'sqrt', 'time', 'trend', 'trig', 'unchangeable_constant', 'unicode_characters',
    'variable_ranges', 'xidz_zidz', 'zeroled_decimals',
]

# Refused, by the words the refusal must contain ("the batch engine does not support ...").
REFUSED = {
    'subscripts': [
    'allocate_available', 'allocate_by_priority', 'arithmetics', 'arithmetics_exp',
    'array_with_line_break', 'conditional_subscripts',
    'data_from_other_model/model_to_generate_data',
    'data_from_other_model/test_data_from_other_model', 'elm_count', 'except',
    'except_multiple', 'except_subranges', 'forecast',
    'get_constants_subranges', 'get_data_args_3d_xls', 'get_lookups_data_3d_xls',
    'get_lookups_subscripted_args', 'get_lookups_subset', 'get_mixed_definitions',
    'get_subscript_3d_arrays_xls', 'get_time_value/test_get_time_value',
    'get_time_value/test_get_time_value_simple', 'get_values_order',
    'invert_matrix', 'multiple_lines_def',
    'partial_range_definitions', 'power', 'reality_checks', 'repeated_subscript',
    'sample_if_true', 'smaller_range', 'subrange_merge', 'subscript_1d_arrays',
    'subscript_2d_arrays', 'subscript_3d_arrays', 'subscript_3d_arrays_lengthwise',
    'subscript_3d_arrays_widthwise', 'subscript_aggregation', 'subscript_constant_call',
    'subscript_copy/test_subscript_copy', 'subscript_copy/test_subscript_copy2',
    'subscript_definition', 'subscript_docs', 'subscript_element_name',
    'subscript_individually_defined_1_of_2d_arrays',
    'subscript_individually_defined_1_of_2d_arrays_from_floats',
    'subscript_individually_defined_1d_arrays', 'subscript_individually_defined_stocks',
    'subscript_logicals', 'subscript_mapping_simple', 'subscript_mapping_vensim',
    'subscript_mixed_assembly', 'subscript_multiples', 'subscript_numeric_range',
    'subscript_selection', 'subscript_subranges', 'subscript_subranges_equal',
    'subscript_switching', 'subscript_transposition', 'subscript_updimensioning',
    'subscripted_delays', 'subscripted_flows', 'subscripted_if_then_else',
    'subscripted_logicals', 'subscripted_lookups', 'subscripted_ramp_step',
    'subscripted_round', 'subscripted_smooth', 'subscripted_trend', 'subscripted_trig',
    'subscripted_xidz', 'subset_duplicated_coord', 'tabbed_arrays', 'vector_order',
    'vector_select', 'with_lookup',
    ],
    'GET XLS': [
    'get_constants_incomplete_subscript', 'get_with_missing_values_xlsx', 'get_xls_cellrange',
    'get_constants', 'get_data',
    ],
    'a control variable that depends on': [
    'control_vars', 'dynamic_final_time',
    ],
}

# PySD's CI tolerances against Vensim's canonical output (its benchmarking.assert_allclose
# defaults, and the two models its CI loosens).
CANONICAL_TOLERANCE = {"arguments": 1e-2}


def _cases():
    cases = []
    for mdl in sorted(SUITE.glob("*/*.[mM][dD][lL]")):
        siblings = list(mdl.parent.glob("*.[mM][dD][lL]"))
        name = mdl.parent.name if len(siblings) == 1 else f"{mdl.parent.name}/{mdl.stem}"
        cases.append(pytest.param(name, mdl, id=name))
    return cases


CASES = _cases()


def test_every_model_of_the_suite_has_an_expected_outcome():
    names = {case.values[0] for case in CASES}
    listed = set(MATCH).union(*REFUSED.values())
    assert names == listed
    assert len(names) == 145


def _pysd_run(mdl: Path, tmp_path: Path, columns):
    copy = tmp_path / mdl.name
    shutil.copy(mdl, copy)
    with warnings.catch_warnings():  # PySD and pandas warn on import and run
        warnings.simplefilter("ignore")
        import pysd
        return pysd.read_vensim(str(copy)).run(return_columns=columns)


def _relative(ours, theirs):
    same = (ours == theirs) | (np.isnan(ours) & np.isnan(theirs))
    with np.errstate(all="ignore"):
        return np.where(same, 0.0, np.abs(ours - theirs) / np.abs(theirs))


@pytest.mark.parametrize("name, mdl", CASES)
def test_suite_model(name, mdl, tmp_path):
    if name not in MATCH:
        construct = next(c for c, names in REFUSED.items() if name in names)
        with pytest.raises(engine.Unsupported) as refusal:
            engine.compile(mdl, backend="python").run()
        message = str(refusal.value)
        assert "\n" not in message
        assert f"does not support {construct}" in message
        assert "sdecon.run (PySD) can still run this model" in message
        return
    program = engine.compile(mdl, backend="python")
    batch = program.run()
    reference = _pysd_run(mdl, tmp_path, program.variables)
    np.testing.assert_allclose(batch.years, reference.index.to_numpy(dtype=float), rtol=0, atol=1e-9)
    for variable in program.variables:
        ours, theirs = batch.values[variable][:, 0], reference[variable].to_numpy(dtype=float)
        worst = _relative(ours, theirs).max()
        assert worst <= 1e-9, f"{name}: {variable} differs from PySD by {worst:.3g} (relative)"
    # Vensim's own output, where the suite has it, at PySD's CI tolerance.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from pysd.tools.benchmarking import detect_encoding, load_outputs
    canonical = next((mdl.parent / f for f in ("output.csv", "output.tab")
                      if (mdl.parent / f).is_file()), None)
    if canonical is None or not program.variables:  # nothing but constants to compare
        return
    vensim = load_outputs(str(canonical), encoding=detect_encoding(str(canonical)))
    rtol = CANONICAL_TOLERANCE.get(name, 1e-5)
    frame = batch.frame()
    compared = 0
    for column in vensim.columns:
        if column not in frame.columns:
            continue
        expected = vensim[column].to_numpy(dtype=float)
        times = vensim.index.to_numpy(dtype=float)
        ours = np.interp(times, batch.years, frame[column].to_numpy(dtype=float))
        keep = ~np.isnan(expected)
        np.testing.assert_allclose(ours[keep], expected[keep], rtol=rtol, atol=1e-5,
                                   err_msg=f"{name}: {column} against Vensim")
        compared += 1
    assert compared > 0, f"{name}: no variable of Vensim's output to compare"
