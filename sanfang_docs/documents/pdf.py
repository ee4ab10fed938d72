"""PDF renderer: Typst (``typst`` binding), PDF/A-3b, layout in ``templates/layout/gbt9704.typ``.

The layout gets the document only as JSON in ``sys.inputs.data``; Typst never parses content
as markup, so no answer can change the layout. One compiler lives per process (a new one costs
~20 ms with fonts.font_dirs' folder, the first compile ~50 ms, one of a new record ~12–16 ms; a command
that is about to make a PDF starts both on a thread with :func:`warm_up`). It reads the layout
file itself (again whenever the file changes), so that after a compile ``Compiler.query`` reads
back what the layout measured: the page count and the 版记's blank lines (metadata ``<sanfang>``).
"""

from __future__ import annotations

import json
import re
import threading
from importlib import resources
from pathlib import Path
from typing import Any

import typst

from ..errors import RenderError
from .fonts import Face, faces, fallbacks, font_dirs
from .layout import GEOMETRY, layout_items
from .linebreak import CLOSING, OPENING
from .model import Document
from .qr import page_payload, parse_payload, qr_svg, record_payload

LAYOUT = "gbt9704.typ"

# Word, WPS and LibreOffice put a fixed small space (0.2 em, measured in LibreOffice) between
# Chinese and Latin letters or digits; Typst's own version of it shrinks to squeeze one more
# character onto a line, so the layout gets the text cut there and adds fixed spaces itself.
_HAN = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003ffff"
# (A word joiner between them, linebreak.WJ, is no such place: LibreOffice puts no space there.)
_BOUNDARY = re.compile(f"(?<=[{_HAN}])(?=[A-Za-z0-9])|(?<=[A-Za-z0-9])(?=[{_HAN}])")
_MARKS = re.compile(f"([{re.escape(CLOSING + OPENING)}]+)")  # full-width punctuation, kept whole

_lock = threading.Lock()  # the compiler is not safe to share between threads
_state: dict[str, Any] = {}


def template_path(name: str = LAYOUT) -> Path:
    """The Typst layout shipped as package data (falls back to the source tree)."""
    packaged = resources.files("sanfang_docs") / "content" / "templates" / "layout" / name
    if packaged.is_file():
        return Path(str(packaged))
    source = Path(__file__).resolve().parents[2] / "templates" / "layout" / name
    if source.is_file():
        return source
    raise RenderError(f"找不到版式文件 {name}（应在 templates/layout/ 下）。")


def _compiler() -> tuple[typst.Compiler, dict[str, dict[str, Any]]]:
    """The process's compiler and the Typst family name of every role's face."""
    if "compiler" not in _state:
        resolved = faces()
        fonts = typst.Fonts(
            include_system_fonts=False, include_embedded_fonts=True, font_paths=font_dirs(resolved)
        )
        # Typst takes a list of families and falls back glyph by glyph: 生僻字 come from the
        # fallback faces (fonts.fallbacks(): the rare-character face, then fonts.FALLBACKS) in every role.
        extra = [_typst_face(fonts, f)["family"] for f in fallbacks()]
        families = {}
        for role, face in resolved.items():
            own = _typst_face(fonts, face)
            families[role] = {**own, "family": [own["family"], *extra]}
        _state["families"] = families
        _state["layout"] = str(template_path())
        _state["compiler"] = typst.Compiler(input=_state["layout"], font_paths=fonts, ignore_system_fonts=True)
    return _state["compiler"], _state["families"]


def warm_up() -> None:
    """The compiler made, and a small document compiled (the layout parsed, the faces read),
    on a thread of its own; render_pdf waits for it on the compiler's lock. Once per process."""
    if "compiler" in _state or _state.get("warming"):
        return
    _state["warming"] = True
    threading.Thread(target=_warm, name="typst-warm-up", daemon=True).start()


def _warm() -> None:
    sample = Document(key="warm-up", title="关于成立党支部的请示", kind="warm-up", issuer="中共某某委员会",
                      doc_date="2026-01-01", doc_no="某发〔2026〕1号", signer="某某")
    try:
        with _lock:
            compiler, families = _compiler()
            _compile(compiler, {"data": json.dumps(layout_data(sample, families), ensure_ascii=False)})
    except Exception:  # noqa: BLE001, S110 - only a head start: the real render reports any error
        pass


def _typst_face(fonts: typst.Fonts, face: Face) -> dict[str, Any]:
    # Typst names families from the font's own name table, which can differ from fontconfig's
    # (e.g. "AR PL UKai" vs "AR PL UKai CN"), so look the file up in Typst's own view.
    for info in fonts.fonts():
        if info.path and Path(info.path).resolve() == Path(face.path).resolve() and info.index == face.index:
            return {"family": info.family, "weight": info.weight}
    raise RenderError(f"排版程序无法读取字体文件 {face.path}（{face.family}），请检查字体安装。")


def segments(text: str) -> list[str | list[str | dict[str, str]]]:
    """``text`` cut where Chinese meets Latin letters or digits (the layout spaces the cuts);
    a piece with full-width marks becomes a list in which each run of marks is ``{"m": run}``
    (the layout sets each mark in a box of its own width, see ``marks`` there)."""
    out: list[str | list[str | dict[str, str]]] = []
    for part in _BOUNDARY.split(text):
        pieces = _MARKS.split(part)
        out.append(part if len(pieces) == 1 else
                   [p if i % 2 == 0 else {"m": p} for i, p in enumerate(pieces) if p])
    return out


def _segment_item(item: dict[str, Any]) -> dict[str, Any]:
    item = dict(item)
    if item["t"] == "par":
        item["runs"] = [dict(r, parts=segments(r["text"])) for r in _last_char_apart(item)]
    elif item["t"] == "table":
        item["rows"] = [[segments(c) for c in row] for row in item["rows"]]
    elif item["t"] == "attachments":
        item["label"], item["items"] = segments(item["label"]), [segments(a) for a in item["items"]]
    elif item["t"] == "docno":
        item["no"], item["signer"] = segments(item["no"]), segments(item["signer"])
    elif item["t"] == "imprint":
        item.update({k: segments(item[k]) for k in ("cc", "printer", "date")})
    return item


def _last_char_apart(item: dict[str, Any]) -> list[dict[str, Any]]:
    """A line set tighter (linebreak.py) keeps the paragraph's tracking on its last character in
    Typst, as LibreOffice sets no spacing after a run's last character: so the two fit alike, and
    that character's box (a closing mark's above all) does not reach past the 版心."""
    out = []
    for r in item["runs"]:
        if "track" in r and len(r["text"]) > 1:
            out += [dict(r, text=r["text"][:-1]), dict(r, text=r["text"][-1], track=item["track"])]
        else:
            out.append(r)
    return out


def layout_data(doc: Document, families: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """Everything the Typst layout reads, as plain JSON-able data."""
    return {
        "title": doc.title,
        "author": doc.issuer.replace("\n", " "),
        "style": doc.style,
        "geometry": GEOMETRY,
        "fonts": families,
        "marks": {"closing": CLOSING},
        "items": [_segment_item(it) for it in layout_items(doc)],
    }


def _inputs(doc: Document, families: dict[str, dict[str, Any]], foot: bool) -> dict[str, str]:
    data = layout_data(doc, families)
    if foot:  # the layout puts the 版记 at the page's foot itself (no blank lines from us)
        data["items"] = [dict(it, foot=True) if it["t"] == "imprint" else it for it in data["items"]]
    return {"data": json.dumps(data, ensure_ascii=False)}


def render_pdf(doc: Document) -> bytes:
    """The PDF. A record's code (``SF2``, see qr.py) becomes one code per page, "page n of N":
    the layout gets the codes for a few likely page counts and prints those of the count it
    comes to (the codes sit in the foreground, so they never move the text); only a count
    outside them takes another compile. ``doc.qr_payload`` learns N for the DOCX. A 版记 not
    yet placed is put at the foot by the layout in the same compile, and ``doc.imprint_gap``
    learns the blank lines that stand above it, for the DOCX (see imprint.py)."""
    job = PdfJob(doc)
    job.compile()
    return job.finish()


class PdfJob:
    """:func:`render_pdf` in three steps, so that the compile, native code that lets go of the
    GIL, can run on a thread of its own (pair.py) while only it runs there: the inputs are made
    here, then :meth:`compile`, then :meth:`finish` (both this object's only writers of ``doc``)."""

    def __init__(self, doc: Document):
        self.doc = doc
        with _lock:
            _, families = _compiler()
        self.foot = bool(doc.printer) and doc.imprint_gap < 0
        if self.foot:
            doc.imprint_gap = 0
        self.inputs = _inputs(doc, families, self.foot)
        self.record = parse_payload(doc.qr_payload) if doc.qr_payload.startswith("SF2|") else None
        self.totals: list[int] = []
        if self.record is not None:
            self.totals = _likely_pages(doc.key)
            self.inputs["qrsets"] = json.dumps({str(t): _page_codes(self.record.archive_no, t) for t in self.totals})
        elif doc.qr_payload:
            self.inputs["qr"] = json.dumps([qr_svg(doc.qr_payload)])
        self.pdf, self.facts = b"", {}

    def compile(self) -> None:
        with _lock:
            compiler, _ = _compiler()
            self.pdf = _compile(compiler, self.inputs)
            self.facts = _measured(compiler)

    def finish(self) -> bytes:
        doc, record = self.doc, self.record
        if self.foot:
            doc.imprint_gap = int(self.facts["imprint_gap"])
        if record is None:
            return self.pdf
        pages = int(self.facts["pages"])
        if pages not in self.totals:
            del self.inputs["qrsets"]
            self.inputs["qr"] = json.dumps(_page_codes(record.archive_no, pages))
            with _lock:
                self.pdf = _compile(_compiler()[0], self.inputs)
        _seen_pages.setdefault(doc.key, set()).add(pages)
        doc.qr_payload = record_payload(record.archive_no, pages)
        return self.pdf


_seen_pages: dict[str, set[int]] = {}  # document key → the page counts it came to, in this process


def _likely_pages(key: str) -> list[int]:
    """The counts this document came to before in this process; one to three pages (most
    documents) until it has been laid out once. (Each count's codes cost ~0.2 ms apiece to make;
    a count outside them costs a compile.)"""
    return sorted(_seen_pages.get(key) or {1, 2, 3})


def _page_codes(archive_no: str, pages: int) -> list[str]:
    return [qr_svg(page_payload(archive_no, n, pages)) for n in range(1, pages + 1)]


def _compile(compiler: typst.Compiler, inputs: dict[str, str]) -> bytes:
    try:
        # (The file named every time: a compile of other bytes, the bundle's, sets the input.)
        pdf = compiler.compile(_state["layout"], format="pdf", sys_inputs=inputs, pdf_standards="a-3b")
    except typst.TypstError as exc:  # a layout bug, not a clerk's mistake
        raise RenderError(f"PDF 排版失败：{exc.message}") from exc
    if not isinstance(pdf, bytes):
        raise RenderError("PDF 排版失败：排版程序没有返回单个 PDF 文件。")
    return pdf


def imprint_gap(doc: Document) -> int:
    """The blank lines between the signature and the 版记 that put the 版记's last line on the
    last line of the 版心 (GB/T 9704 7.4.1: the closing rule on its lower edge); the DOCX uses
    the same number, and LibreOffice, paginating alike, puts the 版记 in the same place."""
    with _lock:
        compiler, families = _compiler()
        doc.imprint_gap = 0
        _compile(compiler, _inputs(doc, families, foot=True))
        return int(_measured(compiler)["imprint_gap"])


def _measured(compiler: typst.Compiler) -> dict[str, Any]:
    """What the last compile's layout measured (its metadata ``<sanfang>``): ``pages``, and
    ``imprint_gap`` — the blank grid lines between the text and a 版记 put at the foot (the
    layout leaves the rest of the last page above the 版记 empty, GB/T 9704 7.4.1)."""
    try:
        found = json.loads(compiler.query("<sanfang>", field="value"))
    except (typst.TypstError, RuntimeError, ValueError) as exc:  # a layout bug, not a clerk's mistake
        raise RenderError(f"PDF 排版失败：读不回版式的度量（{exc}）。") from exc
    facts: dict[str, Any] = {}
    for part in found:
        facts.update(part)
    return facts
