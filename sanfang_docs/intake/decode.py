"""Decode a scan: its pages as images (PDF via pypdfium2, JPEG/PNG/TIFF via Pillow) and the QR
code of every page (zxing-cpp), checked against our payload format (documents/qr.py).

Anything that is not a readable document raises :class:`Unreadable` with the reason in Chinese.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from io import BytesIO

from PIL import Image, ImageOps

from ..documents.qr import Payload, parse_payload

DPI = 200  # zxing-cpp reads our 18 mm code from 150 dpi up; 200 leaves room for blur
KINDS = {b"%PDF": "pdf", b"\xff\xd8\xff": "jpg", b"\x89PNG": "png", b"II*\x00": "tif", b"MM\x00*": "tif"}


class Unreadable(Exception):
    """Not a document we can read (empty, corrupt, encrypted, not a scan); ``args[0]`` says why."""


@dataclass
class Page:
    number: int  # 1-based, in the scan
    image: Image.Image
    payload: Payload | None  # our code, checksum verified
    foreign: str = ""  # a QR code that is not ours (or fails its checksum)


def kind_of(data: bytes) -> str:
    """pdf, jpg, png or tif by the file's first bytes (never by its name)."""
    if not data:
        raise Unreadable("文件为空（0 字节）")
    for magic, kind in KINDS.items():
        if data.startswith(magic):
            return kind
    raise Unreadable("不是 PDF、JPEG、PNG 或 TIFF 文件，无法识别为扫描件")


def images(data: bytes, dpi: int = DPI, *, drop_red: bool = False) -> Iterator[Image.Image]:
    """Every page of the scan as a greyscale image. ``drop_red``: the red channel alone, in which
    a red seal is nearly white and black text stays black (for OCR of the words under a seal)."""
    kind = kind_of(data)
    if kind == "pdf":
        yield from _pdf_images(data, dpi, drop_red)
        return
    try:
        image = Image.open(BytesIO(data))
        image.load()
    except Exception as exc:  # noqa: BLE001 - Pillow raises many kinds for damaged files
        raise Unreadable(f"图片文件已损坏，无法打开（{type(exc).__name__}）") from None
    for n in range(getattr(image, "n_frames", 1)):
        image.seek(n)
        yield ImageOps.exif_transpose(_grey(image, drop_red))


def _grey(image: Image.Image, drop_red: bool) -> Image.Image:
    if drop_red and image.mode in ("RGB", "RGBA", "P", "CMYK"):
        return image.convert("RGB").getchannel("R")
    return image.convert("L")


def _pdf_images(data: bytes, dpi: int, drop_red: bool = False) -> Iterator[Image.Image]:
    import pypdfium2 as pdfium

    try:
        document = pdfium.PdfDocument(data)
    except pdfium.PdfiumError as exc:
        text = str(exc)
        if "password" in text.lower() or "security" in text.lower():
            raise Unreadable("PDF 已加密（需要密码），无法读取") from None
        raise Unreadable(f"PDF 已损坏，无法打开（{text}）") from None
    try:
        if len(document) == 0:
            raise Unreadable("PDF 没有任何页面")
        for i in range(len(document)):
            yield _grey(document[i].render(scale=dpi / 72, grayscale=not drop_red).to_pil(), drop_red)
    finally:
        document.close()


def read_codes(image: Image.Image) -> tuple[Payload | None, str]:
    """Our code on a page (or None) and the text of a QR code that is not ours."""
    import zxingcpp

    foreign = ""
    for attempt in _variants(image):
        for code in zxingcpp.read_barcodes(attempt, formats=zxingcpp.BarcodeFormat.QRCode):
            payload = parse_payload(code.text)
            if payload is not None:
                return payload, ""
            foreign = foreign or code.text
    return None, foreign


def deskew(image: Image.Image) -> Image.Image:
    """The page turned straight by the angle of its QR code (zxing-cpp measures it): OCR reads
    a page skewed by a few degrees far worse (measured: most line ends lost at 4°)."""
    import zxingcpp

    for code in zxingcpp.read_barcodes(image, formats=zxingcpp.BarcodeFormat.QRCode):
        if parse_payload(code.text) is not None and 0 < abs(code.orientation) <= 45:
            return image.rotate(code.orientation, resample=Image.Resampling.BICUBIC, expand=True, fillcolor=255)
    return image


def _variants(image: Image.Image) -> Iterator[Image.Image]:
    """The page as scanned, then the code's corner enlarged and thresholded (a blurred or
    low-dpi scan): the QR sits bottom-left (documents/layout.py GEOMETRY)."""
    yield image
    w, h = image.size
    corner = image.crop((0, int(h * 0.75), int(w * 0.45), h))
    yield corner.resize((corner.width * 2, corner.height * 2), Image.Resampling.LANCZOS)
    yield corner.point(lambda v: 255 if v > 140 else 0)


def decode(data: bytes, dpi: int = DPI) -> list[Page]:
    """Every page with its code; raises Unreadable for a file that is no document."""
    pages = []
    for n, image in enumerate(images(data, dpi), start=1):
        payload, foreign = read_codes(image)
        pages.append(Page(n, image, payload, foreign))
    return pages
