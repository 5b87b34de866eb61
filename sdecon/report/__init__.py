"""Reports for people who read rather than run the model: HTML, PDF, Excel and figures.

    sdecon report --scenarios baseline,jevons --output reports/example
    sdecon.write_report(["baseline", "jevons"], "reports/example")

One report is a directory: `report.html` (one self-contained file: CSS inline, figures as
inline SVG, no network request), `report.pdf` (the same sections as pages, the summary on
page 1), `results.xlsx` (a sheet per scenario, parameters, data sources, seed 004, manifest),
`figures/` (each figure as PNG and SVG) and `manifest.json` (what produced it). With a
calibration (`--calibration FILE.json`) the runs take its fitted values and the report sets
the model against history; with a sweep (`--sweep DIR`) it shows fan and tornado charts, and
with `--discover "VARIABLE@YEAR > VALUE"` too, the box of parameters where its runs meet that.

The report is first built as a list of sections made of paragraphs, tables and figures;
the HTML and the PDF are two renderings of that one list, so they say the same things.
The PDF is laid out with matplotlib (already a dependency): a user who installs with pip
alone gets it, with no browser or TeX.

Writing is all or nothing: everything is built in a temporary directory beside the output
and moved into place at the end. An existing output directory is replaced only when it
is empty or a previous sdecon report holding no file the report did not write; anything
else is refused, so a user's own files are never deleted.

The modules, in the order a report is made: `content` is the model of a report (sections of
blocks) and its number formats; `sections`, `history`, `sensitivity`, `discovery` and
`forecast` write the sections from the runs, a `Calibration`, a `SweepResult` (and the
conditions on it) and a `Posterior`, drawing every chart with
`sdecon.plotting`; `figures`, `html`, `pdf` and `excel` render them; `bundle` checks the
inputs and writes the directory (`write_report`). `sdecon report` is in `sdecon.cli`.
"""
from .bundle import write_report

__all__ = ["write_report"]
