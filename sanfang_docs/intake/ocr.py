"""OCR of stored scans, off the filing path: a record is 已盖章 as soon as its code matches; its
scan's text is read afterwards from a queue (``.intake/ocr/``) and lands as ``scans/<scan>.txt``,
which search indexes, then is compared with the filed text (compare.py).

Engines (measured in bench/bench_intake.py, figures in bench/README.md): tesseract ``chi_sim``
(Debian ``tesseract-ocr-chi-sim``; the default: as accurate as RapidOCR on our pages and
faster per page) and RapidOCR (``rapidocr-onnxruntime``, models in the wheel, optional
extra ``ocr-rapid``). Setting ``intake.ocr_engine``.
"""

from __future__ import annotations

import hashlib
import re
import shutil
import subprocess
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from PIL import Image

from ..errors import SanfangError
from .files import read_json, write_json

_HAN = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\u3000-\u303f\uff00-\uffef"
_SPACE_BETWEEN_HAN = re.compile(f"(?<=[{_HAN}])[ \t\u3000]+(?=[{_HAN}])")

Engine = Callable[[Image.Image], str]


def clean(text: str) -> str:
    """No spaces between Chinese characters (both engines put some there); lines kept."""
    lines = (_SPACE_BETWEEN_HAN.sub("", line).strip() for line in text.splitlines())
    return "\n".join(line for line in lines if line)


def tesseract(image: Image.Image) -> str:
    if shutil.which("tesseract") is None:
        raise SanfangError("未安装 tesseract（Debian：tesseract-ocr tesseract-ocr-chi-sim），无法识别扫描件文字")
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "page.png"
        image.save(path)
        # --psm 6: one block of text per page reads the grid of a 公文 better than auto layout.
        done = subprocess.run(["tesseract", str(path), "-", "-l", "chi_sim", "--psm", "6"],
                              capture_output=True, text=True, timeout=300, check=False)
    if done.returncode != 0:
        raise SanfangError(f"tesseract 识别失败：{done.stderr.strip()[:200]}")
    return clean(done.stdout)


_rapid: dict[str, object] = {}


def rapidocr(image: Image.Image) -> str:
    import numpy as np

    try:
        from rapidocr_onnxruntime import RapidOCR
    except ImportError:
        raise SanfangError("未安装 rapidocr-onnxruntime（pip install 'sanfang-docs[ocr-rapid]'）") from None
    engine = _rapid.setdefault("engine", RapidOCR())
    result, _ = engine(np.array(image.convert("RGB")))  # type: ignore[operator]
    return clean("\n".join(str(line[1]) for line in result or []))


ENGINES: dict[str, Engine] = {"tesseract": tesseract, "rapidocr": rapidocr}


def engine(name: str) -> Engine:
    if name not in ENGINES:
        raise SanfangError(f"设置 intake.ocr_engine 的值“{name}”无效，只能是：{'、'.join(ENGINES)}")
    return ENGINES[name]


@dataclass
class Job:
    path: Path
    archive_no: str
    scan: str  # "scans/<name>"


class OcrQueue:
    """Scans waiting for OCR; an entry stays until its text is filed, so a crash redoes it."""

    def __init__(self, state: Path):
        self.dir = state / "ocr"

    def add(self, archive_no: str, scan: str) -> None:
        key = hashlib.sha256(f"{archive_no}|{scan}".encode()).hexdigest()[:16]
        write_json(self.dir / f"{key}.json", {"档号": archive_no, "scan": scan})

    def jobs(self) -> list[Job]:
        out = []
        for path in sorted(self.dir.glob("*.json")) if self.dir.is_dir() else []:
            meta = read_json(path)
            if meta and meta.get("档号") and meta.get("scan"):
                out.append(Job(path, str(meta["档号"]), str(meta["scan"])))
            else:
                path.unlink(missing_ok=True)
        return out

    def done(self, job: Job) -> None:
        job.path.unlink(missing_ok=True)
