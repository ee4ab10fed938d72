"""Small file helpers every intake stage shares: write durably (fsync before rename, and the
folder after), and cut a scan into the pages of one record."""

from __future__ import annotations

import json
from io import BytesIO
from pathlib import Path
from typing import Any

from PIL import Image

from ..archive.durable import replace_durably

EXTENSIONS = {"pdf": "pdf", "jpg": "jpg", "png": "png", "tif": "tif"}



def write_durably(path: Path, data: bytes) -> None:
    """Beside, fsync, rename over, fsync the folder: after return the bytes survive a crash."""
    path.parent.mkdir(parents=True, exist_ok=True)
    replace_durably(path, data)


def write_json(path: Path, data: Any) -> None:
    write_durably(path, (json.dumps(data, ensure_ascii=False, indent=1) + "\n").encode("utf-8"))


def read_json(path: Path) -> dict[str, Any] | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def subset(data: bytes, kind: str, pages: list[int]) -> tuple[bytes, str]:
    """The given 1-based pages of a scan as a file of their own (bytes, extension). Output is
    deterministic, so a rerun after a crash yields the same bytes (and the same SHA-256)."""
    if kind == "pdf":
        import pikepdf

        with pikepdf.open(BytesIO(data)) as src:
            out = pikepdf.new()
            for n in pages:
                out.pages.append(src.pages[n - 1])
            buf = BytesIO()
            out.save(buf, deterministic_id=True)
            return buf.getvalue(), "pdf"
    image = Image.open(BytesIO(data))
    frames = []
    for n in pages:
        image.seek(n - 1)
        frame = image.convert("RGB") if image.mode not in ("L", "RGB") else image.copy()
        frame.info = {}  # the source's encoder settings (JPEG quality…) do not apply to TIFF
        frames.append(frame)
    buf = BytesIO()
    frames[0].save(buf, format="TIFF", save_all=True, append_images=frames[1:], compression="tiff_deflate")
    return buf.getvalue(), "tif"
