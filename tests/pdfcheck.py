"""Reusable checks on generated PDFs: text, fonts, page size, margins, characters per line.

Positions are in millimetres from the page's top-left corner. pdfminer.six reads character
boxes; poppler (pdffonts) and qpdf answer the questions they are the reference tools for.
"""

from __future__ import annotations

import io
import re
import subprocess
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from pdfminer.high_level import extract_pages
from pdfminer.layout import LTChar, LTContainer, LTCurve, LTPage

PT = 25.4 / 72  # millimetres per point

# GB/T 9704-2012 版心 on A4.
TEXT_LEFT, TEXT_TOP, TEXT_RIGHT, TEXT_BOTTOM = 28.0, 37.0, 184.0, 262.0
PAGE_NUMBER = re.compile(r"^—\s*\d+\s*—$")


@dataclass(frozen=True)
class Char:
    text: str
    x0: float
    x1: float
    top: float
    bottom: float
    size: float  # points
    font: str


@dataclass
class Line:
    chars: list[Char]

    @property
    def text(self) -> str:
        return "".join(c.text for c in self.chars)

    @property
    def x0(self) -> float:
        return min(c.x0 for c in self.chars)

    @property
    def x1(self) -> float:
        return max(c.x1 for c in self.chars)

    @property
    def top(self) -> float:
        return min(c.top for c in self.chars)

    @property
    def bottom(self) -> float:
        return max(c.bottom for c in self.chars)

    @property
    def size(self) -> float:
        return max(c.size for c in self.chars)


@dataclass
class Page:
    width: float
    height: float
    chars: list[Char]

    def lines(self) -> list[Line]:
        return group_lines(self.chars)

    def body_lines(self) -> list[Line]:
        """Lines inside the 版心 (no page number, no QR)."""
        return [ln for ln in self.lines() if ln.bottom <= TEXT_BOTTOM + 3]


def _source(pdf: bytes | str | Path) -> io.BytesIO | str:
    return io.BytesIO(pdf) if isinstance(pdf, bytes) else str(pdf)


def _walk(obj: LTContainer) -> Iterable[LTChar]:
    for child in obj:
        if isinstance(child, LTChar):
            yield child
        elif isinstance(child, LTContainer):
            yield from _walk(child)


def pages(pdf: bytes | str | Path) -> list[Page]:
    out = []
    for lt in extract_pages(_source(pdf), laparams=None):
        assert isinstance(lt, LTPage)
        h = lt.height
        # (Zero-width break opportunities inside numbers, linebreak.ZWSP, are not characters.)
        chars = [
            Char(c.get_text().replace("\u200b", "").replace("\u2060", ""), c.x0 * PT, c.x1 * PT, (h - c.y1) * PT, (h - c.y0) * PT,
                 c.size, c.fontname)
            for c in _walk(lt)
            if c.get_text().replace("\u200b", "").replace("\u2060", "").strip()
        ]
        out.append(Page(lt.width * PT, lt.height * PT, chars))
    return out


@dataclass(frozen=True)
class Rule:
    """A horizontal rule: its ends and height on the page (mm from the top-left), its thickness."""

    x0: float
    x1: float
    y: float
    thickness: float


def rules(pdf: bytes | str | Path, min_length: float = 50.0) -> list[list[Rule]]:
    """Each page's horizontal rules at least ``min_length`` mm long (stroked lines or thin filled
    boxes, as Typst and LibreOffice draw them), top to bottom. Table grids count too."""
    out = []
    for lt in extract_pages(_source(pdf), laparams=None):
        found = []
        for obj in _walk_shapes(lt):
            height = (obj.y1 - obj.y0) * PT
            if height <= 1.0 and (obj.x1 - obj.x0) * PT >= min_length:
                thickness = max(height, (obj.linewidth or 0) * PT if obj.stroke else 0.0)
                found.append(Rule(obj.x0 * PT, obj.x1 * PT, (lt.height - (obj.y0 + obj.y1) / 2) * PT, thickness))
        out.append(sorted(found, key=lambda r: r.y))
    return out


def _walk_shapes(obj: LTContainer) -> Iterable[LTCurve]:
    for child in obj:
        if isinstance(child, LTCurve):  # LTLine and LTRect are curves too
            yield child
        elif isinstance(child, LTContainer):
            yield from _walk_shapes(child)


def group_lines(chars: list[Char], tolerance: float = 1.2) -> list[Line]:
    """Characters on one baseline (within ``tolerance`` mm), left to right, top to bottom."""
    lines: list[Line] = []
    for c in sorted(chars, key=lambda c: (round(c.bottom, 1), c.x0)):
        if lines and abs(lines[-1].chars[-1].bottom - c.bottom) <= tolerance:
            lines[-1].chars.append(c)
        else:
            lines.append(Line([c]))
    for ln in lines:
        ln.chars.sort(key=lambda c: c.x0)
    lines.sort(key=lambda ln: ln.bottom)
    return lines


def text(pdf: bytes | str | Path, page_numbers: bool = False) -> str:
    """The text line by line (page numbers left out unless asked for)."""
    out = []
    for page in pages(pdf):
        for ln in page.lines():
            if not page_numbers and PAGE_NUMBER.match(ln.text):
                continue
            out.append(ln.text)
    return "\n".join(out)


def squash(s: str) -> str:
    """Text compared without whitespace (line breaks fall in different places in each renderer)."""
    return re.sub(r"[\s\u200b\u2060]+", "", s)  # (and the zero-width break opportunities, linebreak.ZWSP)


def is_cjk(ch: str) -> bool:
    o = ord(ch)
    return 0x3000 <= o <= 0x9FFF or 0xFF00 <= o <= 0xFFEF or 0x2000 <= o <= 0x206F


def full_line_counts(pdf: bytes | str | Path, size: float = 16.0) -> list[int]:
    """Characters in each full body line: starting at the 版心's left edge (so not a paragraph's
    indented first line) and reaching its right edge (so not a paragraph's last line)."""
    return full_line_counts_of(pages(pdf), size)


def full_line_counts_of(parsed: list[Page], size: float = 16.0) -> list[int]:
    """:func:`full_line_counts` of already parsed pages."""
    counts = []
    for page in parsed:
        for ln in page.body_lines():
            if abs(ln.size - size) > 0.6 or len(ln.chars) < 10:
                continue
            if abs(ln.x0 - TEXT_LEFT) <= 1.0 and ln.x1 >= TEXT_RIGHT - 2.5:
                if all(is_cjk(c.text) for c in ln.chars):
                    counts.append(len(ln.chars))
    return counts


def text_extent(pdf: bytes | str | Path) -> tuple[float, float, float, float]:
    """Leftmost, topmost, rightmost and lowest edges (mm) of body text over all pages."""
    lines = [ln for page in pages(pdf) for ln in page.body_lines()]
    return (
        min(ln.x0 for ln in lines),
        min(ln.top for ln in lines),
        max(ln.x1 for ln in lines),
        max(ln.bottom for ln in lines),
    )


def page_count(pdf: bytes | str | Path) -> int:
    return len(pages(pdf))


def page_sizes(pdf: bytes | str | Path) -> list[tuple[float, float]]:
    return [(round(p.width, 1), round(p.height, 1)) for p in pages(pdf)]


def _tmp(pdf: bytes | str | Path) -> tuple[str, tempfile.TemporaryDirectory | None]:
    if isinstance(pdf, bytes):
        tmp = tempfile.TemporaryDirectory()
        path = Path(tmp.name) / "doc.pdf"
        path.write_bytes(pdf)
        return str(path), tmp
    return str(pdf), None


def fonts(pdf: bytes | str | Path) -> list[dict[str, str]]:
    """``pdffonts`` rows: name, type, emb (yes/no)."""
    path, tmp = _tmp(pdf)
    try:
        out = subprocess.run(["pdffonts", path], capture_output=True, text=True, check=True).stdout
    finally:
        if tmp:
            tmp.cleanup()
    rows = []
    for line in out.splitlines()[2:]:
        # Columns: name, type (may hold spaces), encoding, emb, sub, uni, object, ID.
        m = re.match(r"^(\S+)\s+(.+?)\s+(\S+)\s+(yes|no)\s+(yes|no)\s+(yes|no)\s+\d+\s+\d+$", line)
        if m:
            rows.append({"name": m.group(1), "type": m.group(2), "emb": m.group(4)})
    return rows


def qpdf_check(pdf: bytes | str | Path) -> subprocess.CompletedProcess[str]:
    path, tmp = _tmp(pdf)
    try:
        return subprocess.run(["qpdf", "--check", path], capture_output=True, text=True)
    finally:
        if tmp:
            tmp.cleanup()


def pdfa_id(pdf: bytes | str | Path) -> tuple[str, str]:
    """(pdfaid:part, pdfaid:conformance) from the XMP metadata."""
    import pikepdf

    with pikepdf.open(_source(pdf)) as p:
        meta = p.open_metadata()
        return str(meta.get("pdfaid:part", "")), str(meta.get("pdfaid:conformance", ""))


def docx_text(docx: bytes | str | Path) -> str:
    """Body paragraphs and table rows of a DOCX, in document order (python-docx)."""
    import docx as pydocx
    from docx.table import Table
    from docx.text.paragraph import Paragraph

    d = pydocx.Document(_source(docx))
    out = []
    for block in d.iter_inner_content():
        if isinstance(block, Paragraph):
            out.append(block.text)
        elif isinstance(block, Table):
            rows: list[list[str]] = []
            for row in block.rows:
                # A cell merged into the one above (w:vMerge continue) prints nothing of its own.
                cells = ["".join(Paragraph(p, block).text for p in tc.p_lst) if tc.vMerge in (None, "restart")
                         else "" for tc in row._tr.tc_lst]
                if rows and all(_open_top(tc) for tc in row._tr.tc_lst):
                    # A part of the row above (no rule between: documents/docx_tables.py).
                    rows[-1] = [a + b for a, b in zip(rows[-1], cells, strict=True)]
                else:
                    rows.append(cells)
            out += ["".join(r) for r in rows]
    return "\n".join(out)


def _open_top(tc: object) -> bool:
    from docx.oxml.ns import qn

    tcpr = tc.tcPr  # type: ignore[attr-defined]
    borders = None if tcpr is None else tcpr.find(qn("w:tcBorders"))
    top = None if borders is None else borders.find(qn("w:top"))
    return top is not None and top.get(qn("w:val")) == "nil"


def soffice_to_pdf(docx_files: list[Path], outdir: Path, profile: Path) -> list[Path]:
    """Convert DOCX files to PDF with LibreOffice in ONE process (each start costs ~1 s)."""
    subprocess.run(
        [
            "soffice",
            f"-env:UserInstallation=file://{profile}",
            "--headless",
            "--convert-to",
            "pdf",
            "--outdir",
            str(outdir),
            *map(str, docx_files),
        ],
        check=True,
        capture_output=True,
        timeout=300,
    )
    return [outdir / (f.stem + ".pdf") for f in docx_files]


def qr_codes(pdf: bytes | str | Path, dpi: int = 150) -> list[list[str]]:
    """The QR payloads decoded on each page (pypdfium2 render, zxing-cpp decode)."""
    import pypdfium2 as pdfium
    import zxingcpp

    doc = pdfium.PdfDocument(pdf if isinstance(pdf, bytes) else str(pdf))
    try:
        out = []
        for i in range(len(doc)):
            image = doc[i].render(scale=dpi / 72, grayscale=True).to_pil()
            out.append(
                [b.text for b in zxingcpp.read_barcodes(image) if b.format == zxingcpp.BarcodeFormat.QRCode]
            )
        return out
    finally:
        doc.close()
