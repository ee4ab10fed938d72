"""The small QR code printed on every page, so a stamped scan finds its record (see intake)."""

from __future__ import annotations

import functools
import io

import segno

# The page margin around the code is white, so a 2-module quiet zone inside the image suffices
# (zxing-cpp reads it from whole-page scans at 150 dpi and up).
_BORDER = 2


@functools.lru_cache(maxsize=64)
def _code(payload: str) -> segno.QRCode:
    return segno.make(payload, error="m", micro=False)


def qr_svg(payload: str) -> str:
    """SVG text of the code, scaled by the layout (Typst)."""
    buf = io.BytesIO()
    _code(payload).save(buf, kind="svg", scale=1, border=_BORDER, xmldecl=False, svgns=True)
    return buf.getvalue().decode("ascii")


def qr_png(payload: str, px: int = 200) -> bytes:
    """PNG bytes of the code, about ``px`` pixels wide (DOCX; 18 mm at ~280 dpi, exact modules)."""
    code = _code(payload)
    modules = code.symbol_size(scale=1, border=_BORDER)[0]
    buf = io.BytesIO()
    code.save(buf, kind="png", scale=max(1, px // modules), border=_BORDER)
    return buf.getvalue()
