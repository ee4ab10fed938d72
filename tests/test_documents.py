"""Every document of every example answer set (one per branch) renders, and the words in its PDF
and its DOCX are exactly the words the document model holds."""

from __future__ import annotations

from collections import Counter

import pytest

from sanfang_docs.documents import expected_text, render_docx, render_pdf
from sanfang_docs.interview import load
from sanfang_docs.interview.drive import run
from tests import pdfcheck
from tests.conftest import example, example_sets

A4 = (210.0, 297.0)  # mm, as pdfcheck.page_sizes reports


def cases() -> list[tuple[str, str, str]]:
    out = []
    for interview, branch in example_sets():
        for key in load(interview).metadata.get("documents") or {}:
            out.append((interview, branch, key))
    return out


@pytest.mark.parametrize(("interview", "branch", "key"), cases())
def test_document_renders_with_the_expected_text(interview: str, branch: str, key: str) -> None:
    doc = run(load(interview), example(interview, branch), preset={"doc_key": key}).documents[0]
    doc.archive_no = "J001-WS·2026-Y-SQDW-0001"
    doc.qr_payload = "SF1|J001-WS·2026-Y-SQDW-0001|00000000"
    pdf, docx = render_pdf(doc), render_docx(doc)
    want = pdfcheck.squash(expected_text(doc))
    got = pdfcheck.squash(pdfcheck.text(pdf))
    headers = ["".join(b.rows[0]) for b in doc.blocks if b.kind == "table" and b.rows]
    if headers:
        # A table's header row repeats on every page it runs on to: drop the repeats.
        for header in set(headers):
            repeats = got.count(header) - headers.count(header)
            if repeats > 0:
                got = "".join(got.rsplit(header, repeats))
        # Cells that wrap interleave when a PDF is read line by line: every character must be
        # there exactly as often as the model has it, in whatever order the lines come out.
        assert Counter(got) == Counter(want)
    else:
        assert got == want
    assert pdfcheck.squash(pdfcheck.docx_text(docx)) == want
    assert all(f["emb"] == "yes" for f in pdfcheck.fonts(pdf))
    for width, height in pdfcheck.page_sizes(pdf):
        assert abs(width - A4[0]) < 1 and abs(height - A4[1]) < 1
