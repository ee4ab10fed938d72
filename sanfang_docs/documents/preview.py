"""Page images of a PDF for a preview on screen (pypdfium2, the renderer verify already uses)."""

from __future__ import annotations

import io
import threading

from ..errors import NotFoundError

_lock = threading.Lock()  # pdfium is not thread-safe; a page takes ~30 ms, so one at a time


def page_count(pdf: bytes) -> int:
    import pypdfium2

    with _lock:
        doc = pypdfium2.PdfDocument(pdf)
        try:
            return len(doc)
        finally:
            doc.close()


def page_png(pdf: bytes, page: int, width: int = 900) -> bytes:
    """Page ``page`` (1-based) as a PNG ``width`` pixels wide."""
    import pypdfium2

    with _lock:
        doc = pypdfium2.PdfDocument(pdf)
        try:
            if not 1 <= page <= len(doc):
                raise NotFoundError(f"没有第 {page} 页（共 {len(doc)} 页）")
            p = doc[page - 1]
            image = p.render(scale=width / p.get_width()).to_pil()
        finally:
            doc.close()
    out = io.BytesIO()
    image.convert("RGB").save(out, "PNG", optimize=True)
    return out.getvalue()
