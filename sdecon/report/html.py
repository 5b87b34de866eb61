"""report.html: one self-contained page (CSS inline, figures as inline SVG, each with its data
as a CSV in a data: link; no script, no request to the network), readable on a laptop and a
phone, and printable."""
from __future__ import annotations

import html
import re
import urllib.parse


from .._version import __version__
from .content import GENERATOR, TITLE, Bullets, Callout, Figure, Heading, Section, Table

_CSS = """
:root { color-scheme: light; }
body { font: 16px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", sans-serif;
       color: #1f2328; background: #fff; margin: 0; }
.page { max-width: 62rem; margin: 0 auto; padding: 1.5rem 1.25rem 4rem; }
header h1 { font-size: 1.9rem; line-height: 1.2; margin: 0.5rem 0 0.25rem; }
.meta { color: #59636e; font-size: 0.9rem; margin: 0; }
h1, h2, h3, p, li, figcaption, .meta { overflow-wrap: break-word; }   /* long paths and hashes */
nav { background: #f6f8fa; border: 1px solid #d1d9e0; border-radius: 6px; padding: 0.5rem 1rem;
      margin: 1.25rem 0; font-size: 0.95rem; }
nav ol { margin: 0.25rem 0; padding-left: 1.5rem; columns: 2; }
main { min-width: 0; }
/* A wide screen: the contents in a column of their own, in view while the page scrolls. */
@media screen and (min-width: 75rem) {
  .page { max-width: 80rem; display: grid; grid-template-columns: 14rem minmax(0, 1fr); column-gap: 2rem; }
  header { grid-column: 1 / -1; }
  nav { position: sticky; top: 1rem; align-self: start; max-height: calc(100vh - 2rem); overflow-y: auto;
        margin-top: 2.5rem; }
  nav ol { columns: 1; }
}
/* A phone: the contents in one column at the top. */
@media (max-width: 40rem) {
  .page { padding: 1rem 0.75rem 3rem; }
  header h1 { font-size: 1.5rem; }
  nav ol { columns: 1; }
}
a { color: #0550ae; }
section { margin-top: 2.5rem; }
h2 { font-size: 1.5rem; border-bottom: 1px solid #d1d9e0; padding-bottom: 0.3rem; }
h3 { font-size: 1.1rem; margin: 1.5rem 0 0.5rem; }
.scroll { overflow-x: auto; margin: 0.5rem 0 1rem; }
table { border-collapse: collapse; font-size: 0.85rem; }
th, td { border-bottom: 1px solid #d1d9e0; padding: 0.3rem 0.6rem; text-align: left; vertical-align: top; }
th { background: #f6f8fa; border-bottom: 2px solid #afb8c1; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
th.num { white-space: normal; }   /* a long header wraps; the numbers below it do not */
tr.group td { border-top: 2px solid #afb8c1; }
tr.note td { color: #59636e; font-size: 0.8rem; padding-top: 0; border-bottom: 1px solid #d1d9e0; }
tr:has(+ tr.note) td { border-bottom: none; }
td.mark { background: #ffe3e0; font-weight: 700; }
td.long { min-width: 22rem; }
td.short { white-space: nowrap; }
.caption, figcaption { color: #59636e; font-size: 0.85rem; }
figure { margin: 1.5rem 0; }
figure svg { width: 100%; height: auto; display: block; }
a.data { white-space: nowrap; }
aside.callout { background: #fff4e5; border-left: 0.3rem solid #d4761a; padding: 0.5rem 1rem; margin: 1rem 0; }
aside.callout p { font-weight: 700; margin: 0.25rem 0; }
section#summary > h3:first-of-type { font-size: 1.3rem; line-height: 1.35; }
ul { padding-left: 1.4rem; }
li { margin: 0.3rem 0; }
@page { size: A4; margin: 15mm; }
@media print {
  body { font-size: 10.5pt; }
  .page { max-width: none; padding: 0; }
  nav { display: none; }
  section { break-before: page; margin-top: 0; }
  section#summary { break-before: auto; }
  h2, h3 { break-after: avoid; }
  .scroll { overflow: visible; }
  table { width: 100%; table-layout: auto; font-size: 7.5pt; }
  td, th { word-break: break-word; }
  td.long { min-width: 0; }
  thead { display: table-header-group; }
  tr, figure { break-inside: avoid; }
  a { color: inherit; text-decoration: none; }
}
"""


def _html_table(table: Table) -> str:
    e = html.escape
    head = "".join(f'<th scope="col"{" class=num" if i in table.numeric else ""}>{e(c)}</th>'
                   for i, c in enumerate(table.columns))
    body = []
    previous = None
    for r, row in enumerate(table.rows):
        cells = []
        new_group = table.group_first and row[0] != previous
        for c, value in enumerate(row):
            classes = [k for k, on in (("num", c in table.numeric), ("mark", (r, c) in table.marked),
                                       ("long", len(value) > 80), ("short", len(value) <= 12)) if on]
            text = "" if table.group_first and c == 0 and not new_group else value
            attr = f' class="{" ".join(classes)}"' if classes else ""
            cells.append(f"<td{attr}>{e(text)}</td>")
        previous = row[0]
        body.append(f"<tr{' class=group' if new_group and r else ''}>{''.join(cells)}</tr>")
        if table.notes and table.notes[r]:
            body.append(f'<tr class="note"><td colspan="{len(row)}">{e(table.notes[r])}</td></tr>')
    caption = f'<p class="caption">{e(table.caption)}</p>' if table.caption else ""
    return (f'<div class="scroll"><table><thead><tr>{head}</tr></thead>'
            f'<tbody>{"".join(body)}</tbody></table></div>{caption}')


def _inline_svg(svg: str, title: str, key: str) -> str:
    """The SVG for the page, every id in it (and every reference to one) prefixed with the
    figure's key: matplotlib numbers the groups of every figure alike (figure_1, axes_1, ...)."""
    svg = re.sub(r"<\?xml[^>]*\?>|<!DOCTYPE[^>]*>|<metadata>.*?</metadata>", "", svg, flags=re.S).strip()
    svg = re.sub(r'(?<=\s)(id="|(?:xlink:)?href="#)|url\(#', lambda m: f"{m.group(0)}{key}-", svg)
    return svg.replace("<svg ", f'<svg role="img" aria-label="{html.escape(title)}" ', 1)


def _csv_link(figure: Figure) -> str:
    """A link holding the figure's data as a CSV in the units it shows (`excel.figure_table`,
    values to 4 significant figures), percent-encoded in a data: URL: the page stays one file."""
    from .excel import figure_table

    header, rows, _ = figure_table(figure, fraction=False)
    lines = [",".join(f'"{h}"' if "," in h else h for h in header)]
    lines += [",".join([str(row[0])] + ["" if v is None or v != v else f"{v:.4g}" for v in row[1:]]) for row in rows]
    href = "data:text/csv;charset=utf-8," + urllib.parse.quote("\n".join(lines) + "\n", safe=",")
    return f'<a class="data" download="{html.escape(figure.key)}.csv" href="{href}">Data (CSV)</a>'


def render(sections: list[Section], svgs: dict[str, str], meta: str, explorer: str | None = None) -> str:
    """The report as one HTML page, every text escaped.

    Parameters
    ----------
    sections : list of Section
        The report's sections, in order.
    svgs : dict of str to str
        The SVG text of each figure, by its key.
    meta : str
        The line under the title (version, model hash, date).
    explorer : str, optional
        The file name of the interactive explorer written beside the report, linked under
        the title.

    Returns
    -------
    str
    """
    e = html.escape
    parts = [f"<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
             f"<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
             f"<meta name=\"generator\" content=\"{e(GENERATOR)} {e(__version__)}\">\n"
             f"<title>{e(TITLE)}</title>\n<link rel=\"icon\" href=\"data:,\">\n<style>{_CSS}</style>\n"
             f"</head>\n<body>\n<div class=\"page\">\n<header><h1>{e(TITLE)}</h1>"
             f"<p class=\"meta\">{e(meta)}</p>"
             + (f'<p class="explorer"><a href="{e(explorer)}">Open the interactive explorer</a>: move the '
                'assumptions and the model runs again in your browser.</p>' if explorer else "")
             + "</header>\n"
             "<nav aria-label=\"contents\"><strong>Contents</strong><ol>"]
    parts += [f'<li><a href="#{s.id}">{e(s.title)}</a></li>' for s in sections]
    parts.append("</ol></nav>\n<main>\n")
    for section in sections:
        parts.append(f'<section id="{section.id}">\n<h2>{e(section.title)}</h2>\n')
        for block in section.blocks:
            if isinstance(block, str):
                parts.append(f"<p>{e(block)}</p>\n")
            elif isinstance(block, Heading):
                parts.append(f"<h3>{e(block.text)}</h3>\n")
            elif isinstance(block, Bullets):
                parts.append("<ul>" + "".join(f"<li>{e(item)}</li>" for item in block.items) + "</ul>\n")
            elif isinstance(block, Table):
                parts.append(_html_table(block) + "\n")
            elif isinstance(block, Callout):
                parts.append(f'<aside class="callout" role="note"><p>{e(block.title)}</p><ul>'
                             + "".join(f"<li>{e(item)}</li>" for item in block.items) + "</ul></aside>\n")
            elif isinstance(block, Figure):
                link = "" if block.data is None else " " + _csv_link(block)
                files = ", ".join(f'<a href="figures/{e(block.key)}.{kind}">{kind.upper()}</a>' for kind in ("png", "svg"))
                parts.append(f'<figure id="figure-{block.key}">{_inline_svg(svgs[block.key], block.title, block.key)}'
                             f"<figcaption>{e(block.caption)} Files: {files}.{link}</figcaption></figure>\n")
        parts.append("</section>\n")
    parts.append("</main>\n</div>\n</body>\n</html>\n")
    return "".join(parts)

