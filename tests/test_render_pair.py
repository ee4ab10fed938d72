"""Filing renders both files at once (documents/pair.py): the same files as one after the other."""

from __future__ import annotations

import copy
import io
import threading
import zipfile

import pytest

from sanfang_docs.archive.numbers import qr_payload
from sanfang_docs.documents import pdf as pdf_module
from sanfang_docs.documents import render_docx, render_pair, render_pdf
from sanfang_docs.documents.imprint import apply_office
from sanfang_docs.errors import RenderError
from sanfang_docs.interview import load
from sanfang_docs.interview.drive import run
from tests import pdfcheck
from tests.conftest import example

CASES = [("branch-founding", "with-committee", "branch-founding-request"),  # 版头, 发文字号, 版记
         ("demo-site-assessment", "owners-committee-all-met", "demo-site-assessment"),  # tables
         ("branch-founding", "secretary-only", "branch-election-notice")]  # no 版记


def _document(interview: str, branch: str, key: str, n: int):  # noqa: ANN202
    doc = run(load(interview), example(interview, branch), preset={"doc_key": key}).documents[0]
    doc.doc_no = "江社党〔2026〕7号" if doc.issuer else ""
    apply_office(doc, {}, "江夏区委组织部")
    doc.archive_no = f"J001-WS·2026-Y-SQDW-{n:04d}"
    doc.qr_payload = qr_payload(doc.archive_no)
    return doc


def _parts(docx: bytes) -> dict[str, bytes]:
    z = zipfile.ZipFile(io.BytesIO(docx))
    return {n: z.read(n) for n in z.namelist() if n != "docProps/core.xml"}  # (core: the time)


@pytest.mark.parametrize("thread", ["1", "0"])
@pytest.mark.parametrize("case", CASES, ids=[c[2] for c in CASES])
def test_both_at_once_are_the_files_one_after_the_other(case: tuple[str, str, str], thread: str,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SANFANG_RENDER_THREAD", thread)
    doc = _document(*case, n=1)
    alone = copy.deepcopy(doc)
    pdf, docx = render_pair(doc)
    pdf_alone = render_pdf(alone)
    docx_alone = render_docx(alone)
    assert (doc.imprint_gap, doc.qr_payload) == (alone.imprint_gap, alone.qr_payload)
    assert "|*/" in doc.qr_payload and not doc.qr_payload.endswith("|*/0")  # the page count learnt
    assert _parts(docx) == _parts(docx_alone)
    assert _glyphs(pdf) == _glyphs(pdf_alone)
    if doc.printer:  # the 版记's blank lines, as many as the PDF's layout left, right above it
        assert doc.imprint_gap > 0
        assert _blanks_before_imprint(_parts(docx)["word/document.xml"]) == doc.imprint_gap


def _glyphs(pdf: bytes) -> list[list[tuple[str, float, float, float]]]:
    # (Not the font names: a subset's tag may differ between two compiles of the same text;
    # sorted: Typst may write a page's text runs in another order.)
    return [sorted((c.text, round(c.x0, 2), round(c.top, 2), c.size) for c in page.chars)
            for page in pdfcheck.pages(pdf)]


def _blanks_before_imprint(document_xml: bytes) -> int:
    from lxml import etree

    w = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
    body = list(etree.fromstring(document_xml).find(f"{w}body"))
    at = max(i for i, el in enumerate(body) if el.tag == f"{w}tbl")  # the 版记 is the last table
    n = 0
    while body[at - 1 - n].tag == f"{w}p" and not "".join(body[at - 1 - n].itertext()):
        n += 1
    return n


@pytest.mark.parametrize("thread", ["1", "0"])
def test_a_failed_compile_reaches_the_caller_and_leaves_no_thread(thread: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SANFANG_RENDER_THREAD", thread)

    def broken(self: pdf_module.PdfJob) -> None:
        raise RenderError("PDF 排版失败：测试")

    monkeypatch.setattr(pdf_module.PdfJob, "compile", broken)
    before = threading.active_count()
    with pytest.raises(RenderError, match="测试"):
        render_pair(_document(*CASES[0], n=2))
    assert threading.active_count() == before
