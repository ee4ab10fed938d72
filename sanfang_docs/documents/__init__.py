"""Documents: the document model and its two renderings (DESIGN.md "Documents").

A :class:`Document` (model.py) is painted from one layout (layout.py) as a GB/T 9704 PDF/A with
Typst (pdf.py) and as an editable DOCX with python-docx (docx.py, tables in docx_tables.py, OOXML
helpers in docx_parts.py), both at once for filing (pair.py); tables.py lays out tables,
linebreak.py finds where justified lines break (a line the 禁则 would cut short is set a little
tighter) and gives a tall table row its lines; fonts.py finds the faces (and measures text in them), titles.py breaks long titles between
words (jieba's words, read piece by piece from a cached copy of its dictionary by lexicon.py),
measure.py estimates widths, geometry.py holds the page's measures (A4, 版心, grid), qr.py
draws the code on every page, imprint.py gives a 公文 its 版记 from the office's settings,
preview.py draws page images, and kept.py keeps what a cold process would otherwise rebuild (in
the user's cache). May import: ``errors`` and ``usercache`` only.
"""

from __future__ import annotations

from .layout import CHAR_PT, GEOMETRY, MM, expected_text, layout_items
from .model import Block, Document


def render_pdf(doc: Document) -> bytes:
    """The document as a PDF/A-3b file, laid out to GB/T 9704 (Typst loads on first use)."""
    from .pdf import render_pdf as _render

    return _render(doc)


def warm_up() -> None:
    """Start Typst's compiler on another thread, for a PDF this process is about to make: its
    fonts and first compile (~85 ms, native code that releases the GIL) then overlap the
    interview and the imports instead of following them."""
    from .pdf import warm_up as _warm_up

    _warm_up()


def render_docx(doc: Document) -> bytes:
    """The document as an editable DOCX with the same layout."""
    from .docx import render_docx as _render

    return _render(doc)


def render_pair(doc: Document) -> tuple[bytes, bytes]:
    """(PDF, DOCX), the same as the two calls above, the PDF's compile beside the DOCX's build."""
    from .pair import render_pair as _render

    return _render(doc)


__all__ = ["CHAR_PT", "GEOMETRY", "MM", "Block", "Document", "expected_text", "layout_items",
           "render_docx", "render_pair", "render_pdf", "warm_up"]
