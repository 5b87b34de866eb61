"""A report's figures as files: each drawn on its own page-width figure, saved to figures/ as
PNG (for slides) and SVG (for print, and inlined in the HTML)."""
from __future__ import annotations

from pathlib import Path

from .. import plotting
from .content import Figure

FIGURE_DPI = 120          # PNG: 960 x 504 pixels, enough for a slide; the SVG is for print
SOURCE_DATA = "data and parameter sources: the report's Data sources and Assumptions"


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
        meta = {"Title": figure.title, "Type": None, "Format": None, "Creator": None, "Date": None}
        # Text stays text in the SVG (small, searchable; a short font list); ids are salted
        # per figure so that several SVGs inlined in one HTML page never share an id.
        with matplotlib.rc_context({"svg.fonttype": "none", "svg.hashsalt": figure.key,
                                    "font.sans-serif": ["DejaVu Sans", "Helvetica", "Arial"]}):
            fig.savefig(folder / f"{figure.key}.svg", metadata=meta)
        _save_png(fig, folder / f"{figure.key}.png")
    finally:
        plotting.plt.close(fig)
    return (folder / f"{figure.key}.svg").read_text(encoding="utf-8")
