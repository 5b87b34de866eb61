"""Charts of the model's outputs, one function a chart, with titles, axis labels and units.

Each `plot_*` function that takes `ax` draws into that matplotlib Axes (into a new figure when
it is None) and returns it, as SALib's `plot(Si, ax=None)` does; `plot_key_outputs`,
`plot_history` and `plot_forecasts` build whole figures from them, and the report draws every
chart with them. One rule chooses a log scale (`uses_log_scale`), one function labels units
(`unit_label`), one converts a variable's values to the reader's (`reader_values`), one gives a scenario its colour and dash (`scenario_styles`), and one writes
the source line of an exported figure (`add_source`, called by `figure_writer`). The modules: `base` (what every chart shares), `runs` (charts over the years),
`sensitivity` (tornado), `discovery` (PRIM's trajectory and box), `posterior` (corner, trace), `headline` (the report's first chart), `panels` (small
multiples of coinciding lines), `drivers` (sigma response, waterfall, Jevons curve, capex share).

pyplot is imported on first use (`plotting.plt` too), so importing this package stays quick.
"""
from .base import (BILLION, DASHES, FIGURE_FORMATS, INDEX_SHOWN, KEY_PANELS, LOG_SPAN, PERCENT_OF_GDP, PRICE,
                   PRICE_INDEX, PRICE_WORDS, PRICE_YEAR, SCENARIO_STYLES, SERIES_TITLES, SOURCE_DATA, SOURCE_HEIGHT,
                   TORNADO_TOP, TRILLION, UNIT_LABELS, Index, Reader, _pyplot, add_source, figure_writer,
                   percentile_pairs, reader_values, scenario_styles, series_title, source_line, unit_label,
                   uses_log_scale)
from .runs import (history_label, plot_backtest, plot_fan, plot_forecast, plot_forecasts, plot_history,
                   plot_key_outputs, plot_scenarios, plot_series_history)
from .sensitivity import LOG_OUTPUTS, NOT_CONVERGED, index_unit, plot_tornado, tornado_data, tornado_order
from .discovery import plot_box_limits, plot_trajectory
from .posterior import plot_corner, plot_trace
from .headline import headline_data, plot_headline
from .panels import coinciding, plot_panels
from .drivers import plot_capex_share, plot_jevons, plot_sigma_response, plot_waterfall


__all__ = [
    "BILLION", "PERCENT_OF_GDP", "PRICE", "PRICE_INDEX", "PRICE_WORDS", "PRICE_YEAR", "TRILLION", "Reader",
    "reader_values", "history_label", "DASHES", "FIGURE_FORMATS", "INDEX_SHOWN", "KEY_PANELS", "LOG_SPAN", "SCENARIO_STYLES", "SERIES_TITLES",
    "SOURCE_DATA", "SOURCE_HEIGHT", "TORNADO_TOP", "UNIT_LABELS", "Index", "_pyplot", "add_source",
    "figure_writer", "percentile_pairs", "scenario_styles", "series_title", "source_line", "unit_label",
    "uses_log_scale", "plot_backtest", "plot_fan", "plot_forecast", "plot_forecasts",
    "plot_history", "plot_key_outputs", "plot_scenarios", "plot_series_history", "LOG_OUTPUTS",
    "NOT_CONVERGED", "index_unit", "plot_tornado", "tornado_data", "tornado_order", "plot_box_limits",
    "plot_trajectory", "plot_corner", "plot_trace", "headline_data", "plot_headline",
    "coinciding", "plot_panels", "plot_capex_share", "plot_jevons", "plot_sigma_response", "plot_waterfall",
]


def __getattr__(name: str):
    if name == "plt":       # `plotting.plt`, imported when first asked for
        return _pyplot()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
