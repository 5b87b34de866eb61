"""Drawing a report's figures and PDF pages on every core.

matplotlib lays out each glyph in Python, so a report's drawing (each figure as PNG and SVG, each
page of the PDF) takes most of its time and uses one core. Here a pool of processes shares it: the
PDF in a few runs of consecutive pages (joined with pypdf afterwards) and each figure's files. The
workers come from a fork server, a clean process that imported the plotting code once: forked
straight from a report's process, which runs threads (the batch engine's), a worker can inherit
a lock some thread held and wait for ever. Where there is no fork server (Windows) everything is
drawn in this process. An interrupt ends the workers before it reaches the caller, which
removes what was written.
"""
from __future__ import annotations

import contextlib
import multiprocessing
import os
import signal
import sys
import types
from pathlib import Path

from . import figures as figure_files
from . import pdf
from .content import Figure, Section

#: Runs of consecutive PDF pages per worker: enough to balance the pool, few enough that the
#: fonts each run embeds do not weigh on the file.
PARTS_PER_WORKER = 2


def workers() -> int:
    """The processes to draw with: the cores this process may use."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:      # not Linux
        return os.cpu_count() or 1


def _quiet() -> None:
    """In a worker: leave Ctrl-C to the parent (which ends the pool) and die at once on SIGTERM."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)


@contextlib.contextmanager
def _main_hidden():
    """While the pool starts, a `__main__` with no file: a fork-server worker would otherwise run
    the caller's script again (as `__mp_main__`), and a script that writes a report at its top
    level, unguarded by ``if __name__ == "__main__"``, would write it again in every worker."""
    main = sys.modules["__main__"]
    sys.modules["__main__"] = types.ModuleType("__main__")
    try:
        yield
    finally:
        sys.modules["__main__"] = main


def _cost(page: list[tuple]) -> float:
    """A page's drawing time, roughly: a line of text about 8 ms, a chart about 0.3 s."""
    return sum(0.3 if op[0] == "axes" else 0.008 if op[0] == "text" else 0.0 for op in page)


def _runs(pages: list[list[tuple]], parts: int) -> list[tuple[int, list[list[tuple]]]]:
    """`pages` cut into up to `parts` runs of consecutive pages of about equal cost, each with
    the number of its first page."""
    total = sum(map(_cost, pages)) or 1.0
    runs, current, spent, first = [], [], 0.0, 1
    for number, page in enumerate(pages, start=1):
        current.append(page)
        spent += _cost(page)
        if spent >= total * len(runs + [None]) / parts and number < len(pages):
            runs.append((first, current))
            current, first = [], number + 1
    runs.append((first, current))
    return [run for run in runs if run[1]]


def _join(parts: list[Path], path: Path, info: dict) -> None:
    """One PDF of the parts, in order, with the document's information."""
    from pypdf import PdfWriter

    writer = PdfWriter()
    for part in parts:
        writer.append(str(part))
    stamp = info["CreationDate"].strftime("D:%Y%m%d%H%M%SZ")
    writer.add_metadata({"/Title": info["Title"], "/Author": info["Author"], "/Subject": info["Subject"],
                         "/Creator": info["Creator"], "/Producer": info["Producer"], "/Keywords": info["Keywords"],
                         "/CreationDate": stamp, "/ModDate": stamp})
    with open(path, "wb") as file:
        writer.write(file)


def render(report: list[Section], folder: Path, pdf_path: Path, manifest: dict, footer: str, meta: str,
           processes: int | None = None) -> tuple[dict[str, str], dict[str, list[int]]]:
    """Write every figure of `report` to `folder` (PNG and SVG) and the report's PDF to `pdf_path`.

    Parameters
    ----------
    report : list of Section
        The report, its figures numbered.
    folder : Path
        The report's figures/ directory.
    pdf_path : Path
        Where the PDF goes.
    manifest, footer, meta
        The PDF's document information, the line at the foot of each page, the line under the title.
    processes : int, optional
        Processes to draw with (default: `workers()`); 1 draws everything in this process.

    Returns
    -------
    svgs : dict of str to str
        Each figure's SVG text, by its key, for the HTML.
    plan : dict of str to [int, int]
        The first and last PDF page of each section.
    """
    drawn = [b for section in report for b in section.blocks if isinstance(b, Figure)]
    pages, plan = pdf.layout(report, footer, meta)
    info = pdf.metadata(manifest, footer)
    processes = workers() if processes is None else processes
    if processes < 2 or "forkserver" not in multiprocessing.get_all_start_methods():
        svgs = {f.key: figure_files.save_figure(f, folder) for f in drawn}
        pdf.write_pages(pdf_path, pages, 1, len(pages), footer, info)
        return svgs, plan
    runs = _runs(pages, PARTS_PER_WORKER * processes)
    parts = [pdf_path.with_name(f".{pdf_path.stem}-{i}.pdf") for i in range(len(runs))]
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload([__name__])      # the server imports matplotlib and sdecon once
    with _main_hidden():
        pool = context.Pool(processes, initializer=_quiet)
    try:
        try:
            # The PDF's runs first: they are the longest tasks, the figures fill in around them.
            written = [pool.apply_async(pdf.write_pages, (part, chunk, first, len(pages), footer))
                       for part, (first, chunk) in zip(parts, runs)]
            files = {f.key: pool.apply_async(figure_files.save_figure, (f, folder)) for f in drawn}
            for result in written:
                result.get()
            svgs = {key: result.get() for key, result in files.items()}
            pool.close()
        except BaseException:
            pool.terminate()
            raise
        finally:
            pool.join()
        _join(parts, pdf_path, info)
    finally:
        for part in parts:
            part.unlink(missing_ok=True)
    return svgs, plan
