"""Both renderings of one document, for filing: the PDF's inputs, the compile, then the DOCX
(built all but the 版记's blank lines and the footers' code, which wait for what the PDF's
layout measured). With ``SANFANG_RENDER_THREAD=1`` Typst compiles on a thread (native code
that lets go of the GIL) while python-docx builds the DOCX here: ~5 ms sooner with a core to
spare. Same files as :func:`render_pdf` then :func:`render_docx` (tests/test_render_pair.py)."""

from __future__ import annotations

import os
import threading

from .model import Document


def render_pair(doc: Document) -> tuple[bytes, bytes]:
    """(PDF, DOCX) of ``doc``."""
    from .docx import draft_items, finish_docx, start_docx
    from .pdf import PdfJob

    items = draft_items(doc)  # before the PDF's layout sets the 版记's gap
    job = PdfJob(doc)  # the PDF's inputs here: the thread then runs only the compile
    failed: list[BaseException] = []

    def compile_pdf() -> None:
        try:
            job.compile()
        except BaseException as exc:  # noqa: BLE001 - handed to the caller's thread below
            failed.append(exc)

    if not _beside():
        compile_pdf()
        draft = start_docx(doc, items)
    else:
        typst = threading.Thread(target=compile_pdf, name="sanfang-typst", daemon=True)
        typst.start()
        try:
            draft = start_docx(doc, items)  # reads only what the PDF's layout does not set
        finally:
            typst.join()
    if failed:
        raise failed[0]
    pdf = job.finish()
    return pdf, finish_docx(draft, doc)


def _beside() -> bool:
    """Whether the compile gets a thread: only with ``SANFANG_RENDER_THREAD=1`` and a second
    core. Off by default: a filing then takes ~0–6 ms longer with a core to spare, but several
    filers at once scale 1.6× on two cores instead of 1.3–1.4× (their total is the same; one
    filer alone takes part of the second core). bench/README.md has both."""
    return os.environ.get("SANFANG_RENDER_THREAD", "0") == "1" and len(os.sched_getaffinity(0)) > 1
