"""The small QR code printed on every page, so a stamped scan finds its record (see intake).

Payloads (``SF`` + version, fields split by ``|``, the last a checksum against misreads and
forgeries by hand):

- ``SF1|<档号>|<sha8>`` — records filed before page numbers; the same code on every page.
- ``SF2|<档号>|<n>/<N>|<sha8>`` — page ``n`` of ``N`` of the filed PDF, a different code per
  page, so a scan with a missing, repeated or foreign page is told exactly which.
- ``SF2|<档号>|*/<N>|<sha8>`` — the DOCX: Word repeats one footer picture on every page, so its
  code cannot carry the page number. ``N`` is the page count of the filed PDF (LibreOffice
  and Word lay our DOCX out to the same pages, tested in test_render). A printed DOCX is
  checked by count: a scan with fewer pages of the record than ``N`` is reported as missing
  pages; which ones is read from the page number printed in the footer (OCR), not the code.

``<sha8>`` is the first 8 hex digits of SHA-256 over everything before it (``SF1``: the 档号).
"""

from __future__ import annotations

import functools
import hashlib
import re
import struct
import zlib
from dataclasses import dataclass

# The page margin around the code is white, so a 2-module quiet zone inside the image suffices
# (zxing-cpp reads it from whole-page scans at 150 dpi and up).
_BORDER = 2
ANY_PAGE = "*"


def _check(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:8]


def record_payload(archive_no: str, pages: int = 0) -> str:
    """The code of a record as a whole (the DOCX's, on every page; ``pages`` 0 = not known)."""
    body = f"SF2|{archive_no}|{ANY_PAGE}/{pages}"
    return f"{body}|{_check(body)}"


def page_payload(archive_no: str, page: int, pages: int) -> str:
    """The code printed on page ``page`` of ``pages`` of the filed PDF."""
    body = f"SF2|{archive_no}|{page}/{pages}"
    return f"{body}|{_check(body)}"


@dataclass(frozen=True)
class Payload:
    """A decoded, checksum-verified code: ``page`` 0 means "any page" (SF1 or a DOCX)."""

    archive_no: str
    page: int
    pages: int
    version: int


def parse_payload(text: str) -> Payload | None:
    """The code's content, or None when it is not ours or its checksum does not match."""
    parts = text.strip().split("|")
    if len(parts) == 3 and parts[0] == "SF1":
        return Payload(parts[1], 0, 0, 1) if _check(parts[1]) == parts[2] else None
    if len(parts) == 4 and parts[0] == "SF2" and _check("|".join(parts[:3])) == parts[3]:
        page, _, pages = parts[2].partition("/")
        if not pages.isdigit() or not (page == ANY_PAGE or page.isdigit()):
            return None
        return Payload(parts[1], 0 if page == ANY_PAGE else int(page), int(pages), 2)
    return None


Matrix = tuple[str, ...]  # the code's modules, row by row: "1" dark, "0" light

_DARK = bytes.maketrans(bytes(range(256)), b"1" + b"0" * 255)  # zxing's grey: 0 = dark


@functools.lru_cache(maxsize=256)
def _code(payload: str) -> Matrix:
    """The modules of the code (QR, level M), made by zxing-cpp, the library intake reads them
    with (its encoder is C++ with the ISO/IEC 18004 mask choice: ~0.2 ms a code, where segno
    took ~1 ms even with the mask fixed per series)."""
    import zxingcpp  # with the first code drawn: a 档号 is parsed and checked without it

    try:
        # UTF-8, said so in the code (ECI 26): the 档号's "·" (and any Chinese) then reads back
        # the same whatever the reader would guess for bytes without a character set.
        code = zxingcpp.create_barcode(payload, zxingcpp.BarcodeFormat.QRCode, ec_level="M", eci=26)
    except (ValueError, RuntimeError) as exc:  # content that does not fit a QR code
        raise ValueError(f"二维码无法生成：{exc}") from exc
    grey = memoryview(code.to_image(scale=1, add_quiet_zones=False))
    size = grey.shape[1]
    modules = grey.tobytes().translate(_DARK).decode("ascii")
    return tuple(modules[i:i + size] for i in range(0, len(modules), size))


def qr_svg(payload: str) -> str:
    """SVG text of the code, one unit per module with a quiet zone of ``_BORDER`` (the layout,
    Typst, scales it): one path of the dark runs, row by row."""
    matrix = _code(payload)
    size = len(matrix) + 2 * _BORDER
    runs = [f"M{m.start() + _BORDER} {y}h{len(m[0])}v1h-{len(m[0])}z"
            for y, row in enumerate(matrix, start=_BORDER) for m in re.finditer("1+", row)]
    return (f'<svg xmlns="http://www.w3.org/2000/svg" width="{size}" height="{size}" '
            f'viewBox="0 0 {size} {size}"><path fill="#000" d="{"".join(runs)}"/></svg>')


def qr_png(payload: str, px: int = 200) -> bytes:
    """PNG bytes of the code, about ``px`` pixels wide (DOCX; 18 mm at ~280 dpi, exact modules):
    1-bit greyscale, written here from the code's matrix."""
    matrix = _code(payload)
    size = len(matrix) + 2 * _BORDER
    scale = max(1, px // size)
    width = size * scale
    pad = -width % 8
    pixels = str.maketrans({"1": "0" * scale, "0": "1" * scale})  # a module → its pixels, 1 = white

    def line(modules: str) -> bytes:  # one pixel row: filter 0, then the bits
        bits = modules.translate(pixels) + "0" * pad
        return b"\0" + int(bits, 2).to_bytes((width + pad) // 8, "big")

    quiet = "0" * _BORDER
    raw = line("0" * size) * (_BORDER * scale)
    for row in matrix:
        raw += line(quiet + row + quiet) * scale
    raw += line("0" * size) * (_BORDER * scale)

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, width, 1, 0, 0, 0, 0)  # 1 bit, greyscale
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b"")
