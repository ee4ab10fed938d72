"""The page codes (documents/qr.py) read back as they were written, by the reader intake uses."""

from __future__ import annotations

import io
import json

import pytest
import zxingcpp
from PIL import Image

from sanfang_docs.documents.qr import page_payload, parse_payload, qr_png, qr_svg, record_payload

ARCHIVE_NOS = ["J001-WS·2026-Y-SQDW-0001", "J001-WS·2026-D30-BGS-0123", "江夏001-WS·2026-Y-SQDW-9999"]


def _read(image: Image.Image) -> list[str]:
    return [c.text for c in zxingcpp.read_barcodes(image, formats=zxingcpp.BarcodeFormat.QRCode)]


@pytest.mark.parametrize("archive_no", ARCHIVE_NOS)
def test_the_docx_code_reads_back_whole(archive_no: str) -> None:
    payload = record_payload(archive_no, 3)
    assert _read(Image.open(io.BytesIO(qr_png(payload))).convert("L")) == [payload]
    assert parse_payload(payload).archive_no == archive_no


@pytest.mark.parametrize("archive_no", ARCHIVE_NOS)
def test_the_pdf_codes_read_back_page_by_page(archive_no: str) -> None:
    import pypdfium2 as pdfium
    import typst

    payloads = [page_payload(archive_no, n, 3) for n in (1, 2, 3)]
    typ = b'#for s in json(bytes(sys.inputs.codes)) [#image(bytes(s), format: "svg", width: 30mm) ]'
    pdf = typst.compile(typ, format="pdf", sys_inputs={"codes": json.dumps([qr_svg(p) for p in payloads])})
    page = pdfium.PdfDocument(pdf)[0]
    read = _read(page.render(scale=150 / 72, grayscale=True).to_pil())
    assert sorted(read) == sorted(payloads)
    assert [parse_payload(p).page for p in sorted(read)] == [1, 2, 3]


def test_the_svg_keeps_a_quiet_zone_of_two_modules() -> None:
    svg = qr_svg(page_payload(ARCHIVE_NOS[0], 1, 1))
    size = int(svg.split('width="')[1].split('"')[0])
    assert 'd="M2 2h7' in svg  # the first finder pattern starts two modules in
    assert f'viewBox="0 0 {size} {size}"' in svg


@pytest.mark.parametrize("payload", ["J001-WS·2026-Y-BGS-0001|3f9a2c", "WS·1", "江夏·档案"])
def test_a_short_code_with_a_middle_dot_is_not_read_as_shift_jis(payload: str) -> None:
    # Without a character set in the code, a reader guesses one from the bytes: a lone "·"
    # (0xB7 in ISO-8859-1) came back as the katakana "ｷ". The code says UTF-8 (ECI 26).
    assert _read(Image.open(io.BytesIO(qr_png(payload))).convert("L")) == [payload]
