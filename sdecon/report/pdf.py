"""report.pdf: the same sections as the HTML laid out on A4 pages with matplotlib (already a
dependency, so pip alone gives a PDF: no browser, no TeX). Text is wrapped with DejaVu Sans
metrics, tables repeat their header and never split a row, each section starts a page, and
charts are vector graphics drawn by the same functions as the PNG and SVG files."""
from __future__ import annotations

import datetime as dt
import functools
from pathlib import Path

from .. import plotting
from .._version import __version__
from .content import TITLE, Bullets, Callout, Figure, Heading, Section, Table

PAGE_W, PAGE_H = 8.27, 11.69          # A4, inches
MARGIN_X, MARGIN_TOP, MARGIN_BOTTOM = 0.8, 0.65, 0.75
CONTENT_W = PAGE_W - 2 * MARGIN_X
BODY = 9.5                            # body text, points
FIGURE_H = 4.15                       # a figure block on a page, inches (caption apart)


@functools.cache
def _glyph_width(char: str, bold: bool) -> float:
    """Advance of one character at 1 pt, in points, from DejaVu Sans's unhinted outlines."""
    from matplotlib.font_manager import FontProperties
    from matplotlib.textpath import text_to_path

    prop = FontProperties(family="DejaVu Sans", size=100, weight="bold" if bold else "normal")
    pair, _, _ = text_to_path.get_text_width_height_descent(f"x{char}", prop, ismath=False)
    x, _, _ = text_to_path.get_text_width_height_descent("x", prop, ismath=False)
    return (pair - x) / 100


def _text_width(text: str, size: float, bold: bool = False) -> float:
    """Width of `text` in inches as the PDF sets it, within a few percent (kerning aside)."""
    return 1.03 * size * sum(_glyph_width(c, bold) for c in text) / 72


def _wrap(text: str, width: float, size: float, bold: bool = False) -> list[str]:
    """Greedy word wrap to `width` inches; words longer than a line are broken."""
    lines = []
    for paragraph in str(text).split("\n"):
        line = ""
        for word in paragraph.split(" "):
            candidate = f"{line} {word}" if line else word
            if _text_width(candidate, size, bold) <= width:
                line = candidate
                continue
            if line:
                lines.append(line)
            while _text_width(word, size, bold) > width and len(word) > 1:
                cut = len(word) - 1
                while cut > 1 and _text_width(word[:cut], size, bold) > width:
                    cut -= 1
                separator = max(word.rfind(c, 0, cut) for c in "_/-.")
                if separator > cut // 2:   # break identifiers and paths after a separator
                    cut = separator + 1
                lines.append(word[:cut])
                word = word[cut:]
            line = word
        lines.append(line)
    return lines


class _Pages:
    """A list of pages, each a list of drawing operations, with a cursor `y` in inches from the top."""

    def __init__(self, footer: str):
        self.pages: list[list[tuple]] = []
        self.footer = footer
        self.section = ""
        self.body = BODY
        self.y = 0.0

    @property
    def bottom(self) -> float:
        return PAGE_H - MARGIN_BOTTOM

    def new_page(self, continued: bool = False) -> None:
        self.pages.append([])
        self.y = MARGIN_TOP
        if continued:
            self.text(MARGIN_X, self.y, f"{self.section} (continued)", 9, color="0.45")
            self.y += 0.35

    def need(self, height: float) -> None:
        if self.y + height > self.bottom:
            self.new_page(continued=True)

    def text(self, x, y, s, size, bold=False, color="black", ha="left") -> None:
        self.pages[-1].append(("text", x, y, s, size, bold, color, ha))

    def rect(self, x, y, w, h, color) -> None:
        self.pages[-1].append(("rect", x, y, w, h, color))

    def line(self, x0, x1, y, width=0.5, color="0.75") -> None:
        self.pages[-1].append(("line", x0, x1, y, width, color))

    # blocks --------------------------------------------------------------------------

    def section_start(self, section: Section, title_block: tuple[str, str] | None = None) -> int:
        """A new page with the section's title (under the report's title and meta line on page 1)."""
        self.section = section.title
        self.body = BODY - 1.1 if section.compact else BODY
        self.new_page()
        if title_block:
            title, meta = title_block
            for line in _wrap(title, CONTENT_W, 16, bold=True):
                self.text(MARGIN_X, self.y, line, 16, bold=True)
                self.y += 16 * 1.25 / 72
            self.y += 0.04
            for line in _wrap(meta, CONTENT_W, 8.5):
                self.text(MARGIN_X, self.y, line, 8.5, color="0.35")
                self.y += 8.5 * 1.35 / 72
            self.y += 0.1
            size = 13
        else:
            size = 17
        self.text(MARGIN_X, self.y, section.title, size, bold=True)
        self.y += size * 1.45 / 72
        self.line(MARGIN_X, PAGE_W - MARGIN_X, self.y, 0.8, "0.6")
        self.y += 0.16
        return len(self.pages)

    def paragraph(self, text: str, size: float | None = None, indent: float = 0.0, bullet: bool = False,
                  after: float = 0.09) -> None:
        size = size or self.body
        leading = size * 1.36 / 72
        lines = _wrap(text, CONTENT_W - indent, size)
        for i, line in enumerate(lines):
            # Never one line of a paragraph alone at the foot or the head of a page.
            self.need(leading * (2 if len(lines) > 1 and i in (0, len(lines) - 2) else 1))
            if bullet and i == 0:
                self.text(MARGIN_X + indent - 0.15, self.y, "•", size)
            self.text(MARGIN_X + indent, self.y, line, size)
            self.y += leading
        self.y += after

    def heading(self, text: str, keep: float = 0.0) -> None:
        """A heading, on the page of what follows it (`keep` inches of it, at least 0.75)."""
        size = self.body + 2.5
        self.need(max(0.75, keep + 0.06 + size * 1.3 / 72 + 0.05))
        self.y += 0.06
        for line in _wrap(text, CONTENT_W, size, bold=True):
            self.text(MARGIN_X, self.y, line, size, bold=True)
            self.y += size * 1.3 / 72
        self.y += 0.05

    def bullets(self, items: list[str]) -> None:
        for item in items:
            self.paragraph(item, indent=0.22, bullet=True, after=0.04)
        self.y += 0.06

    def figure(self, figure: Figure) -> None:
        height = figure.height or FIGURE_H
        self.need(height)
        left = 0.62 + 0.85 * figure.label_width     # the PDF draws at 0.85 of the type size
        self.pages[-1].append(("axes", MARGIN_X + left, self.y + 0.32, CONTENT_W - left - 1.45,
                               height - 1.35, figure.draw))
        self.y += height - 0.45
        self.paragraph(figure.caption, size=8, after=0.25)

    def callout(self, box: Callout) -> None:
        """A shaded box, kept on one page: its title in bold, then a line an item."""
        size, pad = self.body, 0.1
        leading = size * 1.36 / 72
        title = _wrap(box.title, CONTENT_W - 2 * pad, size, bold=True)
        items = [_wrap(item, CONTENT_W - 2 * pad - 0.2, size) for item in box.items]
        height = (len(title) + sum(map(len, items))) * leading + 2 * pad + 0.04 * len(items)
        self.need(height)
        self.rect(MARGIN_X, self.y, CONTENT_W, height, "#fff4e5")
        self.rect(MARGIN_X, self.y, 0.05, height, "#d4761a")
        y = self.y + pad
        for line in title:
            self.text(MARGIN_X + pad, y, line, size, bold=True)
            y += leading
        for lines in items:
            y += 0.04
            for i, line in enumerate(lines):
                if i == 0:
                    self.text(MARGIN_X + pad, y, "•", size)
                self.text(MARGIN_X + pad + 0.2, y, line, size)
                y += leading
        self.y += height + 0.12

    def keep_height(self, table: Table) -> float:
        """The height a table needs before it starts: all of it when it is short (a third of a
        page at most: it is kept on one page), else its header and two rows."""
        size, leading = table.size, table.size * 1.28 / 72
        pad = 0.026 if table.size >= 8 else 0.045
        widths = self._column_widths(table, size, pad)
        header_h = max(len(_wrap(c, w - 2 * pad, size, bold=True)) for c, w in zip(table.columns, widths)) \
            * leading + 2 * pad
        total = header_h + sum(
            max(len(_wrap(v, w - 2 * pad, size)) for v, w in zip(row, widths)) * leading + 2 * pad
            + (len(_wrap(table.notes[r], sum(widths) - 2 * pad, size - 0.5)) * (size - 0.5) * 1.28 / 72 + pad
               if table.notes and table.notes[r] else 0)
            for r, row in enumerate(table.rows))
        return total if total <= (PAGE_H - MARGIN_TOP - MARGIN_BOTTOM) / 3 else header_h + 2 * leading + 2 * pad

    def table(self, table: Table) -> None:
        size, leading = table.size, table.size * 1.28 / 72
        pad = 0.026 if table.size >= 8 else 0.045
        widths = self._column_widths(table, size, pad)
        header = [_wrap(c, w - 2 * pad, size, bold=True) for c, w in zip(table.columns, widths)]
        header_h = max(len(lines) for lines in header) * leading + 2 * pad

        def draw_header():
            self.rect(MARGIN_X, self.y, sum(widths), header_h, "#eef1f4")
            self._cells(header, widths, table, header=True, leading=leading, pad=pad)
            self.y += header_h
            self.line(MARGIN_X, MARGIN_X + sum(widths), self.y, 0.9, "0.45")

        self.need(self.keep_height(table))   # a short table on one page; a long one continues
        draw_header()
        previous = None
        for r, row in enumerate(table.rows):
            shown = list(row)
            if table.group_first and row[0] == previous:
                shown[0] = ""
            cells = [_wrap(v, w - 2 * pad, size) for v, w in zip(shown, widths)]
            note = _wrap(table.notes[r], sum(widths) - 2 * pad, size - 0.5) if table.notes and table.notes[r] else []
            note_h = len(note) * (size - 0.5) * 1.28 / 72
            height = max(len(lines) for lines in cells) * leading + 2 * pad
            if self.y + height + note_h > self.bottom:   # rows never split: the row moves to a new page
                self.new_page(continued=True)
                draw_header()
                cells[0] = _wrap(row[0], widths[0] - 2 * pad, size)
                height = max(len(lines) for lines in cells) * leading + 2 * pad
            x = MARGIN_X
            for c, w in enumerate(widths):
                if (r, c) in table.marked:
                    self.rect(x, self.y, w, height, "#ffe3e0")
                x += w
            if table.group_first and row[0] != previous and r:
                self.line(MARGIN_X, MARGIN_X + sum(widths), self.y, 0.9, "0.6")
            self._cells(cells, widths, table, header=False, leading=leading, pad=pad, row=r)
            self.y += height
            for i, line in enumerate(note):
                self.text(MARGIN_X + pad, self.y - pad * 0.5 + i * (size - 0.5) * 1.28 / 72, line, size - 0.5,
                          color="0.35")
            self.y += note_h + (pad * 0.5 if note else 0)
            self.line(MARGIN_X, MARGIN_X + sum(widths), self.y)
            previous = row[0]
        self.y += 0.08
        if table.caption:
            self.paragraph(table.caption, size=7.5)
        self.y += 0.1

    def _cells(self, cells, widths, table, header, leading, pad, row=None) -> None:
        x = MARGIN_X
        for c, (lines, w) in enumerate(zip(cells, widths)):
            right = c in table.numeric
            bold = header or (row, c) in table.marked
            for i, line in enumerate(lines):
                self.text(x + w - pad if right else x + pad, self.y + pad + i * leading, line,
                          table.size, bold=bold, ha="right" if right else "left")
            x += w

    @staticmethod
    def _column_widths(table: Table, size: float, pad: float) -> list[float]:
        """Each column at least its longest word (numbers unbroken); what is left goes to the
        columns that want more, the narrowest wants first (water-filling)."""
        n = len(table.columns)
        natural, least = [], []
        for c in range(n):
            texts = [row[c] for row in table.rows]
            natural.append(max([_text_width(t, size) for t in texts]
                               + [_text_width(table.columns[c], size, True)]) + 2 * pad)
            if c in table.numeric:
                words = texts
            else:
                words = [w for t in texts for w in str(t).split()]
            words_width = max([_text_width(w, size) for w in words] + [0.25])
            header_width = max(_text_width(w, size, True) for w in table.columns[c].split() or [""])
            least.append(min(max(words_width, header_width) + 2 * pad, 1.1, natural[c]))
        if sum(natural) <= CONTENT_W:
            return natural
        if sum(least) >= CONTENT_W:   # squeeze the wide columns; short ones (numbers) stay whole
            wide = [c for c in range(n) if least[c] > 0.6]
            scale = (CONTENT_W - sum(least[c] for c in range(n) if c not in wide)) / sum(least[c] for c in wide)
            return [least[c] * scale if c in wide else least[c] for c in range(n)]
        widths, left = list(least), CONTENT_W - sum(least)
        wanting = [c for c in range(n) if natural[c] > least[c]]
        while wanting:
            share = left / len(wanting)
            satisfied = [c for c in wanting if natural[c] - widths[c] <= share]
            if not satisfied:
                for c in wanting:
                    widths[c] += share
                break
            for c in satisfied:
                left -= natural[c] - widths[c]
                widths[c] = natural[c]
            wanting = [c for c in wanting if c not in satisfied]
        return widths


def _layout(sections: list[Section], footer: str, title_block: tuple[str, str]) -> tuple[_Pages, dict]:
    pages = _Pages(footer)
    plan = {}
    for number, section in enumerate(sections):
        first = pages.section_start(section, title_block if number == 0 else None)
        for index, block in enumerate(section.blocks):
            if isinstance(block, str):
                pages.paragraph(block)
            elif isinstance(block, Heading):
                after = section.blocks[index + 1] if index + 1 < len(section.blocks) else None
                pages.heading(block.text, pages.keep_height(after) if isinstance(after, Table) else 0.0)
            elif isinstance(block, Bullets):
                pages.bullets(block.items)
            elif isinstance(block, Table):
                pages.table(block)
            elif isinstance(block, Figure):
                pages.figure(block)
            elif isinstance(block, Callout):
                pages.callout(block)
        plan[section.id] = [first, len(pages.pages)]
    return pages, plan


def layout(sections: list[Section], footer: str, meta: str) -> tuple[list[list[tuple]], dict[str, list[int]]]:
    """The sections laid out on A4 pages.

    Returns
    -------
    pages : list of lists of tuples
        Each page's drawing operations, for `write_pages`.
    plan : dict of str to [int, int]
        The first and last page of each section, by its id.
    """
    pages, plan = _layout(sections, footer, (TITLE, meta))
    return pages.pages, plan


def metadata(manifest: dict, footer: str) -> dict:
    """The PDF's document information: title, author, dates from the manifest."""
    import matplotlib
    created = dt.datetime.fromisoformat(manifest["created_utc"])
    return {"Title": TITLE, "Author": "sdecon", "Subject": footer, "Creator": f"sdecon {__version__}",
            "Producer": f"matplotlib {matplotlib.__version__}", "CreationDate": created, "ModDate": created,
            "Keywords": ", ".join(s["name"] for s in manifest["scenarios"])}


def write_pages(path: Path, pages: list[list[tuple]], first: int, total: int, footer: str,
                info: dict | None = None) -> None:
    """Draw `pages` (from `layout`) to a PDF at `path`, numbering them from `first` of `total`."""
    import matplotlib
    from matplotlib.backends.backend_pdf import PdfPages
    from matplotlib.lines import Line2D
    from matplotlib.patches import Rectangle

    with matplotlib.rc_context({"pdf.fonttype": 42, "font.family": "DejaVu Sans"}), \
            PdfPages(path, metadata=info) as pdf:
        for number, operations in enumerate(pages, start=first):
            fig = plotting.plt.figure(figsize=(PAGE_W, PAGE_H))
            try:
                for op in operations:
                    kind = op[0]
                    if kind == "text":
                        _, x, y, s, size, bold, color, ha = op
                        fig.text(x / PAGE_W, 1 - y / PAGE_H, s, fontsize=size, color=color, ha=ha, va="top",
                                 fontweight="bold" if bold else "normal")
                    elif kind == "rect":
                        _, x, y, w, h, color = op
                        fig.add_artist(Rectangle((x / PAGE_W, 1 - (y + h) / PAGE_H), w / PAGE_W, h / PAGE_H,
                                                 transform=fig.transFigure, facecolor=color, edgecolor="none",
                                                 zorder=0))
                    elif kind == "line":
                        _, x0, x1, y, width, color = op
                        fig.add_artist(Line2D([x0 / PAGE_W, x1 / PAGE_W], [1 - y / PAGE_H] * 2,
                                              transform=fig.transFigure, linewidth=width, color=color))
                    elif kind == "axes":
                        _, x, y, w, h, draw = op
                        ax = fig.add_axes((x / PAGE_W, 1 - (y + h) / PAGE_H, w / PAGE_W, h / PAGE_H))
                        draw(ax=ax, fontscale=0.85)
                fig.text(MARGIN_X / PAGE_W, 0.4 / PAGE_H, footer, fontsize=7, color="0.45")
                fig.text(1 - MARGIN_X / PAGE_W, 0.4 / PAGE_H, f"page {number} of {total}",
                         fontsize=7, color="0.45", ha="right")
                pdf.savefig(fig)
            finally:
                plotting.plt.close(fig)
