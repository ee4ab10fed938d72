"""The reading copy (阅读本): every selected record in one PDF/A, for reading front to back.

A 目录 (typeset with Typst) comes first, then each record: its stamped scans first, then the
generated document. Bookmarks go community → compound → case → document; page labels are
i, ii … on the 目录 and 1, 2 … through the records, and the 目录's 页码 column is the label of
the page each record starts on. Merging breaks signatures, so this copy is never the evidence
(the originals are in data/records/): signature fields are dropped from the copied pages.

Memory stays flat: pikepdf copies a page's streams lazily from its source, so sources are
merged in chunks that are written to disk and closed, and the final merge reads the chunks
from their files (a few open files instead of one per record).
"""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import pikepdf
from PIL import Image

from ..archive import Record
from ..errors import SanfangError
from .typeset import typeset

PDF_SUFFIXES = (".pdf",)
IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".tif", ".tiff")
CHUNK = 150  # source files merged into one temporary chunk
SCAN_LABEL, DOC_LABEL = "盖章扫描件", "生成文件"

Progress = Callable[[int], None]  # called with how many parts were just done


@dataclass
class Part:
    label: str  # 盖章扫描件 / 生成文件
    path: Path
    pages: int = 0


@dataclass
class Entry:
    record: Record
    parts: list[Part] = field(default_factory=list)
    start: int = 0  # label of its first page (1-based, after the 目录)
    skipped: list[str] = field(default_factory=list)  # files that do not open (the report says why)

    @property
    def pages(self) -> int:
        return sum(p.pages for p in self.parts)


def plan(records: list[Record]) -> list[Entry]:
    """What each record shows and on which page it starts (opens each file once, to count)."""
    entries, page = [], 1
    for record in records:
        entry = Entry(record, start=page)
        # Scans in the order they were filed (record.json keeps it): page order, as scanned.
        for rel in (n for n in record.meta.get("files", {}) if n.startswith("scans/")):
            if Path(rel).suffix.lower() in PDF_SUFFIXES + IMAGE_SUFFIXES:
                entry.parts.append(Part(SCAN_LABEL, record.path / rel))
        entry.parts.append(Part(DOC_LABEL, record.file("document.pdf")))
        for part in list(entry.parts):
            try:
                part.pages = _count(part.path)
            except SanfangError as exc:
                # The original is still in the bag, and the transfer report names the file
                # as unusable; one damaged scan must not keep the inspector from the rest.
                entry.parts.remove(part)
                entry.skipped.append(f"{record.archive_no} 的 {part.path.relative_to(record.path)} "
                                     f"无法打开，未编入阅读本：{exc.message}")
        page += entry.pages
        entries.append(entry)
    return entries


def toc_rows(entries: list[Entry]) -> list[list[str]]:
    return [[str(n), e.record.archive_no, str(e.record.meta.get("题名", "")),
             str(e.record.meta.get("责任者", "")).replace("\n", " "), str(e.record.meta.get("成文日期", "")),
             str(e.pages), str(e.record.meta.get("status", "")), str(e.start)]
            for n, e in enumerate(entries, 1)]


def build(entries: list[Entry], when: datetime, subtitle: str, out: Path, work: Path,
          progress: Progress | None = None) -> int:
    """Write the reading copy to ``out`` (``work``: a folder for chunks); returns its pages."""
    toc = typeset("toc", "阅读本目录", when, {"rows": toc_rows(entries)}, subtitle=subtitle,
                  footer="目录", numbering="i")
    chunks = _chunks(entries, work, progress)
    opened: list[pikepdf.Pdf] = []
    with pikepdf.open(io.BytesIO(toc)) as final:
        toc_pages = len(final.pages)
        try:
            for chunk in chunks:
                src = pikepdf.open(chunk)
                opened.append(src)
                final.pages.extend(src.pages)
            _outline(final, entries, toc_pages)
            final.Root.PageLabels = pikepdf.Dictionary(Nums=pikepdf.Array([
                0, pikepdf.Dictionary(S=pikepdf.Name.r),
                toc_pages, pikepdf.Dictionary(S=pikepdf.Name.D, St=1)]))
            final.Root.PageMode = pikepdf.Name.UseOutlines
            final.save(out, deterministic_id=True, compress_streams=True)
            return len(final.pages)
        finally:
            for src in opened:
                src.close()
            for chunk in chunks:
                chunk.unlink(missing_ok=True)


def _chunks(entries: list[Entry], work: Path, progress: Progress | None) -> list[Path]:
    parts = [p for e in entries for p in e.parts]
    paths = []
    for start in range(0, len(parts), CHUNK):
        sources: list[pikepdf.Pdf] = []
        with pikepdf.new() as chunk:
            try:
                for part in parts[start:start + CHUNK]:
                    src = _open(part.path)
                    sources.append(src)
                    for page in src.pages:
                        _strip(page)
                    chunk.pages.extend(src.pages)
                    if progress:
                        progress(1)
                path = work / f"chunk-{start // CHUNK:05d}.pdf"
                chunk.save(path, deterministic_id=True)
                paths.append(path)
            finally:
                for src in sources:
                    src.close()
    return paths


def _strip(page: pikepdf.Page) -> None:
    """No signature fields (the signature belongs to the original file) and no pointers into
    the source's structure tree, which does not come along."""
    annots = page.obj.get("/Annots")
    if annots is not None:
        kept = [a for a in annots if a.get("/Subtype") != pikepdf.Name.Widget]
        if kept:
            page.obj.Annots = pikepdf.Array(kept)
        else:
            del page.obj["/Annots"]
    if "/StructParents" in page.obj:
        del page.obj["/StructParents"]


def _outline(pdf: pikepdf.Pdf, entries: list[Entry], offset: int) -> None:
    with pdf.open_outline() as outline:
        outline.root.append(pikepdf.OutlineItem("目录", 0))
        nodes: dict[tuple[str, ...], Any] = {}

        def node(key: tuple[str, ...], title: str, page: int, parent: list[Any]) -> Any:
            if key not in nodes:
                nodes[key] = pikepdf.OutlineItem(title, page)
                parent.append(nodes[key])
            return nodes[key]

        for e in entries:
            m = e.record.meta
            index = min(offset + e.start - 1, len(pdf.pages) - 1)  # a record with no page left
            community = node(("c", str(m.get("street", "")), str(m.get("community", ""))), str(m.get("community") or "（未注明社区）"),
                             index, outline.root)
            compound = node(("p", str(m.get("street", "")), str(m.get("community", "")), str(m.get("compound", ""))),
                            str(m.get("compound") or "（未注明小区）"), index, community.children)
            case_id = str(m.get("case_id") or e.record.archive_no)
            case = node(("k", case_id), f"案卷：{m.get('题名', '')}", index, compound.children)
            doc = pikepdf.OutlineItem(f"{e.record.archive_no} {m.get('题名', '')}", index)
            case.children.append(doc)
            if len(e.parts) > 1:
                page = index
                for part in e.parts:
                    doc.children.append(pikepdf.OutlineItem(part.label, page))
                    page += part.pages


def _open(path: Path) -> pikepdf.Pdf:
    try:
        if path.suffix.lower() in IMAGE_SUFFIXES:
            return pikepdf.open(io.BytesIO(image_pdf(path)))
        return pikepdf.open(path)
    except (pikepdf.PdfError, OSError, ValueError) as exc:
        raise SanfangError(f"无法读取 {path.name}：{exc}") from None


def _count(path: Path) -> int:
    if path.suffix.lower() in IMAGE_SUFFIXES:
        try:
            with Image.open(path) as img:
                return int(getattr(img, "n_frames", 1))
        except OSError as exc:
            raise SanfangError(f"无法读取扫描件 {path.parent.parent.name}/{path.name}：{exc}") from None
    with _open(path) as pdf:
        count = len(pdf.pages)
    if not count:
        raise SanfangError(f"{path.name} 没有页面")
    return count


def image_pdf(path: Path) -> bytes:
    """A scanned image as PDF pages at its own resolution (200 dpi when it does not say)."""
    with Image.open(path) as img:
        dpi = float((img.info.get("dpi") or (200, 200))[0]) or 200.0
        frames = []
        for n in range(int(getattr(img, "n_frames", 1))):
            img.seek(n)
            frame = img.convert("RGB") if img.mode not in ("RGB", "L") else img.copy()
            frames.append(frame)
        buf = io.BytesIO()
        frames[0].save(buf, format="PDF", resolution=dpi, save_all=True, append_images=frames[1:])
        return buf.getvalue()
