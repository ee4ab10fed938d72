"""The bundle's own pages — the reading copy's 目录 and the checklist — typeset with Typst from
``templates/layout/bundle.typ``, PDF/A-2b, data in as JSON (never markup), with the same faces
as the documents.

A process that has a Typst compiler already (it made documents) uses it (documents/pdf.py, one
per process). One that has not — ``sanfang export`` — compiles in a forked child instead: the
compiler and its fonts cost ~200 MB that would otherwise stay for the rest of the export, on
top of the reading copy's merge.
"""

from __future__ import annotations

import json
import multiprocessing
from datetime import datetime
from multiprocessing.connection import Connection
from typing import Any

import typst

from ..documents import pdf as pdf_renderer
from ..errors import RenderError, SanfangError

TEMPLATE = "bundle.typ"


def typeset(kind: str, title: str, when: datetime, data: dict[str, Any], *, subtitle: str = "",
            footer: str = "", numbering: str = "1") -> bytes:
    """``kind`` "toc" (``rows``) or "checklist" (``sections``); ``when`` is the PDF's date (the
    bag's, so the same archive gives the same bytes)."""
    payload = {"kind": kind, "title": title, "subtitle": subtitle, "author": "sanfang-docs", "footer": footer,
               "numbering": numbering, "date": [when.year, when.month, when.day], **data}
    if "compiler" in pdf_renderer._state:
        return _compile(payload)
    ctx = multiprocessing.get_context("fork")
    recv, send = ctx.Pipe(duplex=False)
    proc = ctx.Process(target=_child, args=(payload, send))
    proc.start()
    send.close()
    try:
        ok, value = recv.recv()
    except EOFError:
        ok, value = False, "排版进程意外退出"
    finally:
        recv.close()
        proc.join()
    if not ok:
        raise RenderError(value)
    return value


def _child(payload: dict[str, Any], send: Connection) -> None:
    try:
        send.send((True, _compile(payload)))
    except SanfangError as exc:
        send.send((False, exc.message))
    except Exception as exc:  # noqa: BLE001 - reported by the parent
        send.send((False, f"检查包排版失败：{type(exc).__name__}: {exc}"))
    finally:
        send.close()


def _compile(payload: dict[str, Any]) -> bytes:
    template = pdf_renderer.template_path(TEMPLATE).read_bytes()
    with pdf_renderer._lock:  # one compiler per process, not safe to share between threads
        compiler, families = pdf_renderer._compiler()
        data = json.dumps({**payload, "fonts": families}, ensure_ascii=False)
        try:
            out = compiler.compile(template, format="pdf", pdf_standards="a-2b", sys_inputs={"data": data})
        except typst.TypstError as exc:  # a layout bug, not a clerk's mistake
            raise RenderError(f"检查包排版失败：{exc.message}") from exc
    if not isinstance(out, bytes):
        raise RenderError("检查包排版失败：排版程序没有返回单个 PDF 文件。")
    return out
