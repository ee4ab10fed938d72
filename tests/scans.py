"""Realistic scans of our own documents for the intake tests and bench: pages rasterised from
a PDF (Typst's, or LibreOffice's rendering of our DOCX), a red stamp-like ring over the text,
a small rotation, blur, noise and JPEG compression, at a given dpi."""

from __future__ import annotations

import io
import random
from pathlib import Path

import pypdfium2 as pdfium
from PIL import Image, ImageDraw, ImageFilter


def pages(pdf: bytes | Path, dpi: int = 150) -> list[Image.Image]:
    doc = pdfium.PdfDocument(pdf if isinstance(pdf, bytes) else str(pdf))
    try:
        return [doc[i].render(scale=dpi / 72).to_pil().convert("RGB") for i in range(len(doc))]
    finally:
        doc.close()


def scanned(page: Image.Image, *, seed: int = 0, angle: float = 2.0, blur: float = 0.6,
            noise: int = 12, stamp: bool = True) -> Image.Image:
    """One page as an office scanner returns it: stamped, a little skewed, soft and noisy."""
    rnd = random.Random(seed)
    img = page.copy()
    if stamp:
        w, h = img.size
        r = int(w * 0.1)
        cx, cy = int(w * 0.62), int(h * 0.55)
        ImageDraw.Draw(img).ellipse((cx - r, cy - r, cx + r, cy + r), outline=(215, 30, 35), width=max(3, r // 14))
    img = img.rotate(angle, resample=Image.Resampling.BICUBIC, expand=True, fillcolor=(255, 255, 255))
    if blur:
        img = img.filter(ImageFilter.GaussianBlur(blur))
    if noise:
        px = img.load()
        w, h = img.size
        for _ in range(w * h // 40):
            x, y = rnd.randrange(w), rnd.randrange(h)
            v = px[x, y]
            d = rnd.randint(-noise, noise)
            px[x, y] = tuple(max(0, min(255, c + d)) for c in v)
    return img


def jpeg(img: Image.Image, quality: int = 70, dpi: int = 150) -> bytes:
    buf = io.BytesIO()
    img.save(buf, format="JPEG", quality=quality, dpi=(dpi, dpi))
    return buf.getvalue()


def _fresh(images: list[Image.Image]) -> list[Image.Image]:
    """Copies without Pillow's leftovers: an image saved once keeps ``encoderinfo`` (its
    ``append_images`` too) and a later save_all would add those pages again."""
    out = [i.copy() for i in images]
    for i in out:
        i.info = {}
    return out


def pdf_of(images: list[Image.Image], dpi: int = 150) -> bytes:
    """A scanner's PDF: one JPEG image per page."""
    images = _fresh(images)
    buf = io.BytesIO()
    images[0].save(buf, format="PDF", save_all=True, append_images=images[1:], resolution=dpi, quality=70)
    return buf.getvalue()


def tiff_of(images: list[Image.Image]) -> bytes:
    images = _fresh(images)
    buf = io.BytesIO()
    images[0].save(buf, format="TIFF", save_all=True, append_images=images[1:], compression="tiff_deflate")
    return buf.getvalue()
