"""版记 (GB/T 9704-2012 7.4): an office setting with a stated default (documents/imprint.py),
printed at the foot of the last page in PDF and DOCX; the layout checker
(test_gbt9704_layout.py) measures it on every filed 公文, in the PDF and in LibreOffice."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
import yaml

from sanfang_docs.api import Sanfang
from sanfang_docs.documents import layout_items, render_docx, render_pdf
from sanfang_docs.documents.imprint import apply_office
from sanfang_docs.documents.model import Block, Document
from sanfang_docs.errors import ValidationError
from sanfang_docs.workspace import DEFAULT_SETTINGS
from tests import pdfcheck
from tests.conftest import example
from tests.test_gbt9704_layout import FOOT, PITCH_MM
from tests.test_rules_documents import assert_prints

P = ("为进一步加强小区党的建设，充分发挥党组织在基层治理中的领导作用，根据《中国共产党章程》和"
     "《中国共产党支部工作条例（试行）》有关规定，结合小区实际，现就有关事项报告如下。")


def reply(paragraphs: int = 3) -> Document:
    return Document(key="branch-founding-reply", title="关于同意成立中共阳光花园小区支部委员会的批复", kind="批复",
                    addressee="阳光花园小区党支部筹备组", issuer="中共红星街道工作委员会", doc_date="2026-03-05",
                    doc_no="红工委〔2026〕4号", blocks=[Block("p", P)] * paragraphs + [Block("p", "特此批复。")])


def test_default_is_on_for_a_numbered_gongwen_and_says_so() -> None:
    assert DEFAULT_SETTINGS["gongwen"]["imprint"] is True
    doc = reply()
    apply_office(doc, {})
    assert (doc.printer, doc.print_date, doc.copy_to) == ("中共红星街道工作委员会", "2026-03-05", "")
    assert doc.imprint() == ("", "中共红星街道工作委员会", "2026年3月5日印发")
    unnumbered = replace(reply(), doc_no="")  # no 发文字号, no 文件格式: no 版记
    apply_office(unnumbered, {})
    assert unnumbered.printer == ""
    off = reply()
    apply_office(off, {"imprint": False})
    assert off.printer == ""


def test_printer_and_cc_from_the_settings_and_the_answers() -> None:
    office = {"printed_by": {"中共红星街道工作委员会": "中共红星街道工作委员会办公室"},
              "cc": {"批复": "中共红星社区委员会"}}
    doc = reply()
    apply_office(doc, office)
    assert doc.imprint() == ("抄送：中共红星社区委员会。", "中共红星街道工作委员会办公室", "2026年3月5日印发")
    typed = reply()
    apply_office(typed, office, cc="区委组织部，区民政局。")  # the answers file's cc wins
    assert typed.imprint()[0] == "抄送：区委组织部，区民政局。"  # one 句号 after the last 机关 (7.4.2)
    assert "抄送：区委组织部，区民政局。" in typed.plain_text()
    assert "中共红星街道工作委员会办公室 2026年3月5日印发" in typed.plain_text()


def imprinted(paragraphs: int, cc: str = "") -> tuple[Document, bytes, bytes]:
    doc = reply(paragraphs)
    apply_office(doc, {}, cc)
    return doc, render_pdf(doc), render_docx(doc)


def test_the_imprint_ends_on_the_last_line_of_the_last_page() -> None:
    for paragraphs in (1, 4, 7):  # a short reply, one that fills its page, one over two pages
        doc, pdf, docx = imprinted(paragraphs, cc="中共红星社区委员会，红星社区居民委员会")
        assert_prints(doc, pdf, docx)
        pages = pdfcheck.pages(pdf)
        foot = pages[-1].body_lines()[-1]
        assert pdfcheck.squash(foot.text) == "中共红星街道工作委员会2026年3月5日印发", paragraphs
        assert FOOT - PITCH_MM <= foot.top and foot.bottom <= FOOT
        # The blank lines before it are counted once and used by both renderers.
        gaps = [it for it in layout_items(doc) if it["t"] == "blank" and it.get("sticky")]
        assert len(gaps) >= doc.imprint_gap >= 0
        assert not any("印发" in ln.text for page in pages[:-1] for ln in page.lines())


def test_a_full_last_page_moves_body_lines_with_the_signature_and_the_imprint() -> None:
    """When the 版记 does not fit under the signature, the last body lines, the signature and the
    版记 go to the next page together: the last page still carries body text (7.3.5)."""
    for paragraphs in range(3, 9):
        doc, pdf, _ = imprinted(paragraphs)
        pages = pdfcheck.pages(pdf)
        last = [pdfcheck.squash(ln.text) for ln in pages[-1].body_lines()]
        allowed = {pdfcheck.squash(t) for t in (doc.issuer, doc.date_cn, "中共红星街道工作委员会2026年3月5日印发")}
        assert [t for t in last if t not in allowed], (paragraphs, last)


def test_one_compile_puts_the_imprint_where_its_counted_blank_lines_put_it(monkeypatch: pytest.MonkeyPatch) -> None:
    """The layout places the 版记 at the foot itself, in the PDF's one compile, and the blank
    lines it counts there (for the DOCX) give the same page when laid out as blank lines."""
    from sanfang_docs.documents import pdf as pdf_module

    compiles = []
    real = pdf_module._compile
    monkeypatch.setattr(pdf_module, "_compile", lambda *a: (compiles.append(1), real(*a))[1])
    for paragraphs, cc in ((1, ""), (4, "中共红星社区委员会，红星社区居民委员会"), (6, ""), (7, "区委组织部，区民政局")):
        doc = reply(paragraphs)
        apply_office(doc, {}, cc)
        doc.archive_no = "J001-WS·2026-Y-JDGW-0004"
        doc.qr_payload = pdf_module.record_payload(doc.archive_no)
        compiles.clear()
        monkeypatch.setattr(pdf_module, "_seen_pages", {})  # (a count not seen before costs its own compile)
        at_foot = render_pdf(doc)
        assert len(compiles) == 1 and doc.imprint_gap >= 0, paragraphs
        counted = render_pdf(doc)  # the same document, laid out with the counted blank lines
        assert _positions(at_foot) == _positions(counted), (paragraphs, doc.imprint_gap)


def _positions(pdf: bytes) -> list[list[tuple[str, float]]]:
    return [[(ln.text, round(ln.top, 1)) for ln in page.lines()] for page in pdfcheck.pages(pdf)]


def test_filed_gongwen_carry_the_setting(tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    settings = {"signing": {"key_bits": 2048}, "gongwen": {"imprint": False}}
    (home / "settings.yaml").write_text(yaml.safe_dump(settings, allow_unicode=True), encoding="utf-8")
    app = Sanfang(home)
    full = example("branch-founding", "with-committee")
    made = app.make("branch-founding-request", {**full, "cc": "中共五里界街道工作委员会组织部"})
    assert made.record.meta["发文字号"] and made.document.printer == ""
    assert "印发" not in made.record.meta["text"]
    (home / "settings.yaml").write_text(yaml.safe_dump({"signing": {"key_bits": 2048}}), encoding="utf-8")
    made = Sanfang(home).make("branch-founding-request", {**full, "cc": "中共五里界街道工作委员会组织部"})
    assert "抄送：中共五里界街道工作委员会组织部。" in made.record.meta["text"]
    assert "抄送：中共五里界街道工作委员会组织部。" in pdfcheck.squash(pdfcheck.text(made.record.file("document.pdf")))
    assert "抄送：中共五里界街道工作委员会组织部。" in pdfcheck.docx_text(made.record.file("document.docx"))


def test_a_cc_that_is_no_line_of_text_is_refused_naming_the_field(tmp_path: Path) -> None:
    """抄送 is asked by no screen, but it is printed: a list, a number or a page of text is refused
    before anything is written, naming 【抄送】（cc） and the rule."""
    app = Sanfang(tmp_path / "home")
    full = example("branch-founding", "with-committee")
    for value, rule, words in (([1, 2], "type", "列表"), (2026, "type", "数字"), ("江夏区民政局、" * 40, "size", "最多"),
                               ("江夏区\u200b民政局", "character", "U+200B")):
        try:
            app.make("branch-founding-request", {**full, "cc": value})
        except ValidationError as exc:
            problem = next(p for p in exc.problems if p.key == "cc")
            assert (problem.field, problem.rule) == ("抄送", rule) and words in problem.message, problem
            assert problem.as_text().startswith("【抄送】（cc）")
        else:
            raise AssertionError(f"cc {value!r} was accepted")
    assert not list(app.archive.records())
