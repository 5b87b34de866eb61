"""A report's figures as files: each drawn on its own page-width figure, saved to figures/ as
PNG (for slides) and SVG (for print, and inlined in the HTML)."""
from __future__ import annotations

import hashlib
import html
import re
from pathlib import Path

import numpy as np

from .. import plotting
from .content import Figure, shown

FIGURE_DPI = 120          # PNG: 960 x 504 pixels, enough for a slide; the SVG is for print
HOVER_YEARS = (2030, 2040, 2050)   # the values a line's tooltip names
SOURCE_DATA = "data and parameter sources: the report's Data sources and Assumptions"


def number_figures(sections) -> None:
    """Number the figures of `sections` in the order they appear: each caption starts
    "Figure N." (replacing the number a section gave it)."""
    count = 0
    for section in sections:
        for block in section.blocks:
            if isinstance(block, Figure):
                count += 1
                block.caption = f"Figure {count}. " + re.sub(r"^Figure \d+\.\s*", "", block.caption)


def render_figure(figure: Figure):
    """A standalone matplotlib figure (the one saved to figures/ and shown in the HTML).

    Parameters
    ----------
    figure : Figure
        A figure block of a report section.

    Returns
    -------
    matplotlib Figure
        8 x 4.2 inches, its one axes placed so that the legend fits beside it and the source
        line (`sdecon.plotting.add_source`) below the axis label.
    """
    fig = plotting.plt.figure(figsize=(8, 4.2), dpi=FIGURE_DPI)
    left = 0.95 + figure.label_width
    ax = fig.add_axes((left / 8, 0.6 / 4.2, (8 - left - 1.75) / 8, (4.2 - 0.6 - 0.5) / 4.2))
    figure.draw(ax=ax, fontscale=1.0)
    plotting.add_source(fig, plotting.source_line(SOURCE_DATA))
    return fig


def _save_png(fig, path: Path) -> None:
    """PNG in a 128-colour palette: a third of the bytes of full colour, no visible loss for
    line charts (keeps the committed example report small)."""
    from PIL import Image   # a dependency of matplotlib

    fig.canvas.draw()         # at the figure's dpi, FIGURE_DPI
    image = Image.frombuffer("RGBA", fig.canvas.get_width_height(), fig.canvas.buffer_rgba(), "raw", "RGBA", 0, 1)
    palette = image.convert("RGB").quantize(colors=128, method=Image.Quantize.FASTOCTREE,
                                            dither=Image.Dither.NONE)
    palette.save(path, format="PNG", optimize=True)


def _hover_titles(fig) -> dict[str, str]:
    """Give each line of data in a legend an SVG id and say, by id, what hovering over it shows:
    its label and its values in `HOVER_YEARS` (its last point when it has none of them), in
    the axis' unit as the report prints it (the chart draws the reader's values,
    `sdecon.plotting.reader_values`: "4.39%", "$73.9 trillion")."""
    titles = {}
    for ax in fig.axes:
        for line in ax.get_lines():
            label = line.get_label()
            # Not in the legend (the base year's line), or not in data coordinates (a threshold)
            if label.startswith("_") or line.get_transform() != ax.transData:
                continue
            x, y = np.asarray(line.get_xdata(), float), np.asarray(line.get_ydata(), float)
            points = [(year, y[x == year][0]) for year in HOVER_YEARS if (x == year).any()] or [(x[-1], y[-1])]
            line.set_gid(f"hover-{len(titles) + 1}")
            titles[line.get_gid()] = f"{label}: " + ", ".join(
                f"{year:g} {shown(value, ax.get_ylabel())}" for year, value in points)
    return titles


#: Attributes that hold coordinates (in points): kept to 0.01 pt, a thousandth of a pixel's width at 120 dpi.
_COORDINATES = re.compile(r'(\s(?:d|x|y|x1|x2|y1|y2|width|height|transform|points)=")([^"]*)"')
_DIGITS = re.compile(r"(\d+\.\d\d)\d+")


def _compact(svg: str, key: str) -> str:
    """The SVG with coordinates to two decimals, each repeated style a class of its own (named
    after the figure, `key`, so that classes stay apart where the HTML inlines several figures)
    and no indentation: about half the bytes, the same picture (text, titles, data untouched)."""
    svg = _COORDINATES.sub(lambda m: m.group(1) + _DIGITS.sub(r"\1", m.group(2)) + '"', svg)
    styles: dict[str, str] = {}
    prefix = "s" + hashlib.sha256(key.encode()).hexdigest()[:6]    # short: it is on every element

    def classed(match: re.Match) -> str:
        name = styles.setdefault(match.group(1), f"{prefix}-{len(styles)}")
        return f'class="{name}"'

    svg = re.sub(r'style="([^"]*)"', classed, svg)
    rules = "".join(f".{name}{{{style}}}" for style, name in styles.items())
    svg = svg.replace("</style>", rules + "</style>", 1)
    # matplotlib names every group (figure_1, xtick_2, line2d_3, ...); only the hover groups are looked up
    svg = re.sub(r'<g id="(?!hover-)[^"]*">', "<g>", svg)
    svg = re.sub(r' transform="rotate\(-0 [^"]*\)"', "", svg)     # a turn by nothing
    return re.sub(r"\n[ \t]+", "\n", svg)


def _with_titles(path: Path, titles: dict[str, str], key: str) -> str:
    """The SVG at `path` with each titled group's <title> (a browser shows it on hover),
    compacted (`_compact`) and written back."""
    svg = path.read_text(encoding="utf-8")
    for gid, title in titles.items():
        svg = svg.replace(f'<g id="{gid}">', f'<g id="{gid}">\n<title>{html.escape(title)}</title>', 1)
    svg = _compact(svg, key)
    path.write_text(svg, encoding="utf-8")
    return svg


def save_figure(figure: Figure, folder: Path) -> str:
    """Write `folder`/KEY.png and KEY.svg of a figure block.

    Returns
    -------
    str
        The SVG's text, for the HTML.
    """
    import matplotlib

    fig = render_figure(figure)
    try:
        titles = _hover_titles(fig)
        meta = {"Title": figure.title, "Type": None, "Format": None, "Creator": None, "Date": None}
        # Text stays text in the SVG (small, searchable; a short font list); ids are salted
        # per figure, so that a figure's file is the same at every run.
        with matplotlib.rc_context({"svg.fonttype": "none", "svg.hashsalt": figure.key,
                                    "font.sans-serif": ["DejaVu Sans", "Helvetica", "Arial"]}):
            fig.savefig(folder / f"{figure.key}.svg", metadata=meta)
        _save_png(fig, folder / f"{figure.key}.png")
    finally:
        plotting.plt.close(fig)
    return _with_titles(folder / f"{figure.key}.svg", titles, figure.key)
