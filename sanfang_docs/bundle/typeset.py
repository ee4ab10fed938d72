"""The bundle's own pages — the reading copy's 目录 and the checklist — typeset with Typst from
``templates/layout/bundle.typ``, PDF/A-2b, data in as JSON (never markup), on the process's
one Typst compiler (documents/pdf.py), with the same faces as the documents.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

import typst

from ..documents import pdf as pdf_renderer
from ..errors import RenderError

TEMPLATE = "bundle.typ"


def typeset(kind: str, title: str, when: datetime, data: dict[str, Any], *, subtitle: str = "",
            footer: str = "", numbering: str = "1") -> bytes:
    """``kind`` "toc" (``rows``) or "checklist" (``sections``); ``when`` is the PDF's date (the
    bag's, so the same archive gives the same bytes)."""
    template = pdf_renderer.template_path(TEMPLATE).read_bytes()
    with pdf_renderer._lock:  # one compiler per process, not safe to share between threads
        compiler, families = pdf_renderer._compiler()
        payload = {"kind": kind, "title": title, "subtitle": subtitle, "author": "sanfang-docs",
                   "footer": footer, "numbering": numbering, "fonts": families,
                   "date": [when.year, when.month, when.day], **data}
        try:
            out = compiler.compile(template, format="pdf", pdf_standards="a-2b",
                                   sys_inputs={"data": json.dumps(payload, ensure_ascii=False)})
        except typst.TypstError as exc:  # a layout bug, not a clerk's mistake
            raise RenderError(f"检查包排版失败：{exc.message}") from exc
    if not isinstance(out, bytes):
        raise RenderError("检查包排版失败：排版程序没有返回单个 PDF 文件。")
    return out
