"""The two renderers: same words, GB/T 9704 geometry, embedded fonts, PDF/A, and the DOCX
paginating like the PDF when LibreOffice lays it out."""

from __future__ import annotations

import io
import re
import shutil
from pathlib import Path

import docx as pydocx
import pytest
from docx.oxml.ns import qn

from sanfang_docs.documents import GEOMETRY, expected_text, fonts, pdf, render_docx, render_pdf
from sanfang_docs.documents.model import Block, Document
from sanfang_docs.errors import RenderError
from tests import pdfcheck

P = (
    "根据《中国共产党章程》和《中国共产党支部工作条例（试行）》有关规定，结合小区实际，经社区党委"
    "研究并征求小区党员意见，拟在阳光花园小区成立党支部，进一步加强党对小区治理工作的领导，推动"
    "社区党组织、居民委员会、业主委员会和物业服务企业三方联动，切实解决群众身边的急难愁盼问题。"
)
MARKUP = "#*_$[]<>\\${x}%{{}}"


def letter() -> Document:
    """A 请示 over two pages: headings, items, attachments, signature, 附注."""
    return Document(
        key="branch-founding-request",
        title="关于成立阳光花园小区党支部的请示",
        kind="请示",
        addressee="中共红星街道工作委员会",
        issuer="中共红星社区委员会",
        doc_date="2026-03-05",
        blocks=[
            Block("p", P),
            Block("h1", "基本情况"),
            Block("p", P[:120]),
            Block("h2", "党员情况"),
            Block("p", "小区现有正式党员12名，预备党员1名，均已将组织关系转入社区党委。"),
            Block("item", "1.党员大会筹备工作由社区党委负责指导；"),
            Block("item", "2.选举结果报街道党工委审批。"),
            Block("h3", "下一步安排"),
            Block("p", "妥否，请批示。"),
        ],
        attachments=["阳光花园小区党员名册", "阳光花园小区党支部委员候选人预备人选情况表"],
        note="联系人：张三，电话：027-12345678",
        qr_payload="J001-WS·2026-Y-BGS-0001|3f9a2c",
    )


def long_report() -> Document:
    """A 报告 over three pages, with a table and a two-line joint signature."""
    blocks: list[Block] = []
    for i in range(2):
        blocks += [
            Block("h1", f"第{i + 1}部分工作情况"),
            Block("p", P),
            Block("h2", "主要做法"),
            Block("p", P[:90] + "共计2026人次参与，发放问卷350份。"),
            Block("h3", "组织保障"),
            Block("p", P[30:150] + P),
            Block("li", "议题一：审议小区公共收益使用情况"),
            Block("item", "1.建立联席会议制度，每月召开1次。"),
        ]
    blocks.insert(
        5,
        Block(
            "table",
            rows=[
                ["序号", "姓名", "职务", "联系电话"],
                ["1", "张三", "党支部书记", "13800000001"],
                ["2", "李四", "业委会主任", "13800000002"],
                ["3", "王五", "物业项目经理", ""],
            ],
        ),
    )
    return Document(
        key="branch-election-report",
        title="关于阳光花园小区“三方联动”工作情况和下一步工作安排意见建议的报告",
        kind="报告",
        addressee="中共红星街道工作委员会、红星街道办事处",
        issuer="中共红星社区委员会\n红星社区居民委员会",
        doc_date="2026-11-30",
        blocks=blocks,
        attachments=["阳光花园小区联席会议记录（2026年1月至11月）"],
        qr_payload="J001-WS·2026-Y-BGS-0002|aa01",
    )


def notice() -> Document:
    """A 公示 (no 主送) whose answers are full of markup and template characters."""
    return Document(
        key="branch-election-notice",
        title="选举结果公示",
        kind="公示",
        style="notice",
        blocks=[
            Block("p", f"经{MARKUP}小区党支部党员大会选举，产生了新一届支部委员会。现将选举结果公示如下："),
            Block("p", f"书　记：{MARKUP}"),
            Block("p", "委　员：张三、李四\n王五（女）"),
            Block("table", rows=[["职务", "姓名"], ["委员", MARKUP]]),
            Block(
                "p",
                "公示期为2026年3月6日至2026年3月12日（5个工作日）。如有意见，请在公示期内向社区党委反映。",
            ),
            Block("right", "联系电话：027-12345678"),
        ],
        issuer=f"中共{MARKUP}委员会",
        doc_date="2026-03-05",
        qr_payload="J001-WS·2026-D30-BGS-0003|77",
    )


DOCS = {"letter": letter, "long": long_report, "notice": notice}


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, Path]]:
    out = tmp_path_factory.mktemp("render")
    files: dict[str, dict[str, Path]] = {}
    for name, make in DOCS.items():
        doc = make()
        (out / f"{name}.pdf").write_bytes(render_pdf(doc))
        (out / f"{name}.docx").write_bytes(render_docx(doc))
        files[name] = {"pdf": out / f"{name}.pdf", "docx": out / f"{name}.docx"}
    return files


@pytest.fixture(scope="module")
def pages(rendered: dict[str, dict[str, Path]]) -> dict[str, list[pdfcheck.Page]]:
    return {name: pdfcheck.pages(f["pdf"]) for name, f in rendered.items()}


@pytest.fixture(scope="module")
def libreoffice(
    rendered: dict[str, dict[str, Path]], tmp_path_factory: pytest.TempPathFactory
) -> dict[str, Path]:
    """Every DOCX laid out by LibreOffice, all in one soffice run."""
    if shutil.which("soffice") is None:
        pytest.skip("LibreOffice (soffice) is not installed")
    out = tmp_path_factory.mktemp("lo")
    names = list(rendered)
    pdfs = pdfcheck.soffice_to_pdf([rendered[n]["docx"] for n in names], out, out / "profile")
    return dict(zip(names, pdfs, strict=True))


# -- words --------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", DOCS)
def test_pdf_and_docx_print_the_documents_words(name: str, rendered: dict[str, dict[str, Path]]) -> None:
    doc = DOCS[name]()
    want = pdfcheck.squash(expected_text(doc))
    assert pdfcheck.squash(pdfcheck.text(rendered[name]["pdf"])) == want
    assert pdfcheck.squash(pdfcheck.docx_text(rendered[name]["docx"])) == want
    # Every line of the model's plain text is there, in order (the rest is 主送's colon,
    # 附件：1., 附注's parentheses).
    pos = 0
    for line in doc.plain_text().splitlines():
        found = want.find(pdfcheck.squash(line), pos)
        assert found >= 0, line
        pos = found + len(pdfcheck.squash(line))


def test_markup_and_template_characters_come_out_literally(rendered: dict[str, dict[str, Path]]) -> None:
    pdf_text = pdfcheck.text(rendered["notice"]["pdf"])
    docx_text = pdfcheck.docx_text(rendered["notice"]["docx"])
    for text in (pdf_text, docx_text):
        assert text.count(MARKUP) == 4  # body twice, table cell, signature
        assert f"中共{MARKUP}委员会" in text
    # A newline in an answer is a line break inside the paragraph, in both.
    assert "张三、李四\n王五（女）" in pdf_text
    paragraphs = [p.text for p in pydocx.Document(str(rendered["notice"]["docx"])).paragraphs]
    assert "委　员：张三、李四\n王五（女）" in paragraphs


def test_heading_numbers_and_decorations(rendered: dict[str, dict[str, Path]]) -> None:
    text = pdfcheck.text(rendered["letter"]["pdf"])
    lines = text.splitlines()
    assert "中共红星街道工作委员会：" in lines
    assert "一、基本情况" in lines and "（一）党员情况" in lines and "1.下一步安排" in lines
    assert "附件：1.阳光花园小区党员名册" in lines
    assert "2.阳光花园小区党支部委员候选人预备人选情况表" in lines
    assert "（联系人：张三，电话：027-12345678）" in lines
    assert "附件：阳光花园小区联席会议记录（2026年1月至11月）" in pdfcheck.text(rendered["long"]["pdf"])


# -- PDF geometry, fonts, standard ---------------------------------------------------------------


@pytest.mark.parametrize("name", DOCS)
def test_pdf_page_is_a4_with_the_gbt9704_text_block(name: str, pages: dict[str, list[pdfcheck.Page]]) -> None:
    for page in pages[name]:
        assert abs(page.width - 210) < 0.5 and abs(page.height - 297) < 0.5
        body = page.body_lines()
        assert abs(min(ln.top for ln in body) - pdfcheck.TEXT_TOP) < 2  # 天头 37 mm
        assert max(ln.x1 for ln in body) <= pdfcheck.TEXT_RIGHT + 0.2  # never right of 184 mm
        assert max(ln.bottom for ln in body) <= pdfcheck.TEXT_BOTTOM + 0.5
    left = min(ln.x0 for page in pages[name] for ln in page.body_lines())
    assert abs(left - pdfcheck.TEXT_LEFT) < 2  # 订口 28 mm


def test_pdf_lines_hold_28_characters_and_22_lines_a_page(pages: dict[str, list[pdfcheck.Page]]) -> None:
    counts = pdfcheck.full_line_counts_of(pages["long"])
    assert len(counts) > 10 and all(c in (27, 28) for c in counts), counts
    # 27 only where the 28th character may not end a line (it precedes a comma).
    assert counts.count(28) > 0.8 * len(counts)
    full_page = pages["long"][1]
    assert len([ln for ln in full_page.body_lines() if ln.size > 15]) == 22


def test_page_numbers_alternate_sides(pages: dict[str, list[pdfcheck.Page]]) -> None:
    for n, page in enumerate(pages["long"], start=1):
        folio = [ln for ln in page.lines() if pdfcheck.PAGE_NUMBER.match(ln.text)]
        assert len(folio) == 1 and folio[0].text.replace(" ", "") == f"—{n}—"
        line = folio[0]
        assert abs(line.top - 269) < 1.5  # 7 mm below the 版心
        if n % 2:
            assert abs(line.x1 - (184 - 14 * pdfcheck.PT)) < 1  # right, one 4号 character in
        else:
            assert abs(line.x0 - (28 + 14 * pdfcheck.PT)) < 1  # left, one character in


@pytest.mark.parametrize("name", DOCS)
def test_pdf_embeds_every_font(name: str, rendered: dict[str, dict[str, Path]]) -> None:
    rows = pdfcheck.fonts(rendered[name]["pdf"])
    assert rows and all(r["emb"] == "yes" for r in rows), rows


def test_pdf_is_pdfa3b_with_title(rendered: dict[str, dict[str, Path]]) -> None:
    import pikepdf

    path = rendered["letter"]["pdf"]
    check = pdfcheck.qpdf_check(path)
    assert check.returncode == 0, check.stdout + check.stderr
    assert pdfcheck.pdfa_id(path) == ("3", "B")
    with pikepdf.open(path) as p:
        assert str(p.open_metadata().get("dc:title")) == letter().title


@pytest.mark.parametrize("name", DOCS)
def test_qr_code_on_every_page(name: str, rendered: dict[str, dict[str, Path]]) -> None:
    payload = DOCS[name]().qr_payload
    assert all(codes == [payload] for codes in pdfcheck.qr_codes(rendered[name]["pdf"]))


def test_no_qr_code_without_payload() -> None:
    doc = notice()
    doc.qr_payload = ""
    assert pdfcheck.qr_codes(render_pdf(doc)) == [[]]
    assert b"word/media/" not in render_docx(doc)


# -- DOCX setup -----------------------------------------------------------------------------------


def test_docx_page_setup_and_east_asian_fonts(rendered: dict[str, dict[str, Path]]) -> None:
    d = pydocx.Document(str(rendered["letter"]["docx"]))
    s = d.sections[0]
    assert (round(s.page_width.mm), round(s.page_height.mm)) == (210, 297)
    margins = [round(m.mm, 1) for m in (s.top_margin, s.bottom_margin, s.left_margin, s.right_margin)]
    # The 版心 is raised by what LibreOffice sets lower in a line (layout.GEOMETRY docx_raise),
    # so its type stands where the PDF's does; 订口 and widths as the standard says.
    raise_mm = GEOMETRY["docx_raise"]
    assert margins == [round(37.0 - raise_mm, 1), round(35.0 + raise_mm, 1), 28.0, 26.0]
    grid = s._sectPr.find(qn("w:docGrid"))
    assert grid.get(qn("w:type")) == "lines" and grid.get(qn("w:linePitch")) == "579"
    assert d.settings.odd_and_even_pages_header_footer
    body_face = "仿宋_GB2312"  # the official name, whatever face this machine prints with
    style_fonts = d.styles["公文正文"].element.rPr.find(qn("w:rFonts"))
    assert style_fonts.get(qn("w:eastAsia")) == body_face
    run_fonts = d.paragraphs[2].runs[0]._r.rPr.find(qn("w:rFonts"))
    assert run_fonts.get(qn("w:eastAsia")) == body_face
    assert d.paragraphs[2].runs[0].font.size.pt == 16
    # Page numbers: odd footer right, even footer left, a PAGE field in each.
    for footer in (s.footer, s.even_page_footer):
        assert "PAGE" in footer._element.xml and "wp:anchor" in footer._element.xml


# -- LibreOffice lays the DOCX out like the PDF ---------------------------------------------------


@pytest.mark.parametrize("name", DOCS)
def test_docx_in_libreoffice_paginates_like_the_pdf(
    name: str,
    libreoffice: dict[str, Path],
    pages: dict[str, list[pdfcheck.Page]],
) -> None:
    lo_pages = pdfcheck.pages(libreoffice[name])
    assert len(lo_pages) == len(pages[name])
    ours, theirs = pdfcheck.full_line_counts_of(pages[name]), pdfcheck.full_line_counts_of(lo_pages)
    assert all(abs(c - 28) <= 2 for c in ours + theirs), (ours, theirs)
    assert len(ours) == len(theirs) and (ours or name == "notice")
    # The same words, and the QR code on every page of the Word document too.
    want = pdfcheck.squash(expected_text(DOCS[name]()))
    assert pdfcheck.squash(pdfcheck.text(libreoffice[name])) == want
    payload = DOCS[name]().qr_payload
    assert all(codes == [payload] for codes in pdfcheck.qr_codes(libreoffice[name]))


# -- fonts ----------------------------------------------------------------------------------------


@pytest.fixture
def missing_kai(monkeypatch: pytest.MonkeyPatch):  # noqa: ANN201 - a fixture
    """The 楷体 role pointed at a face no machine has."""
    table = dict(fonts.FACES)
    table["kai"] = ("楷体_GB2312（二级标题）", (fonts.Candidate("不存在的楷体XYZ", package="fonts-xyz-kai"),))
    monkeypatch.setattr(fonts, "FACES", table)
    fonts.faces.cache_clear()
    pdf._state.pop("compiler", None)
    yield
    monkeypatch.undo()
    fonts.faces.cache_clear()
    pdf._state.pop("compiler", None)


@pytest.mark.usefixtures("missing_kai")
def test_missing_face_is_a_clear_chinese_error() -> None:
    for render in (render_pdf, render_docx):
        with pytest.raises(RenderError) as info:
            render(letter())
        message = info.value.message
        assert "缺少字体" in message and "楷体" in message
        assert "不存在的楷体XYZ" in message and "fonts-xyz-kai" in message
        assert re.search(r"apt-get install fonts-xyz-kai", message)


def test_resolve_reports_every_candidate() -> None:
    table = {
        "body": (
            "仿宋（正文）",
            (fonts.Candidate("无此字体A"), fonts.Candidate("无此字体B", package="pkg-b")),
        )
    }
    with pytest.raises(RenderError, match="无此字体A、无此字体B.*pkg-b"):
        fonts.resolve("body", table)


def test_body_text_is_set_in_a_fangsong_face(rendered: dict[str, dict[str, Path]]) -> None:
    names = [f["name"] for f in pdfcheck.fonts(rendered["letter"]["pdf"])]
    assert any("fang" in n.lower() for n in names), names  # FandolFang, or 仿宋_GB2312 where installed
    assert fonts.faces()["body"].family in ("FandolFang", "仿宋_GB2312", "FangSong_GB2312", "仿宋", "FangSong")


def test_docx_font_table_gives_each_official_face_its_free_stand_in() -> None:
    d = pydocx.Document(io.BytesIO(render_docx(letter())))
    part = next(p for p in d.part.package.parts if str(p.partname) == "/word/fontTable.xml")
    table = part.blob.decode("utf-8")
    for role in ("title", "body", "hei", "kai"):
        face = fonts.faces()[role]
        assert f'w:name="{face.official_name}"' in table
        if not face.official:
            assert f'w:altName w:val="{face.family}"' in table


def test_fallback_faces_are_found_here() -> None:
    found = fonts.faces()
    assert set(found) == set(fonts.ROLES)
    assert all(Path(f.path).is_file() for f in found.values())


def test_docx_bytes_are_a_valid_package() -> None:
    data = render_docx(letter())
    d = pydocx.Document(io.BytesIO(data))
    assert d.core_properties.title == letter().title


def test_group_cells_are_merged_over_their_continuation_rows() -> None:
    from sanfang_docs.documents.tables import row_spans

    rows = [["序号", "考评内容", "评分要点", "分值"], ["1", "组织", "1.建立党组织；", "30"], ["", "", "2.经费有保障。", ""],
            ["", "加分", "获得表彰的加分。", "5"], ["", "合计", "", "35"]]
    assert row_spans(rows) == [[1, 1, 1, 1], [2, 2, 1, 2], [0, 0, 1, 0], [1, 1, 1, 1], [1, 1, 1, 1]]
    doc = Document(key="red-property-rating", title="评分表", kind="评分表", style="scoresheet",
                   blocks=[Block("table", rows=rows)], issuer="中共红星社区委员会", doc_date="2026-03-05")
    d = pydocx.Document(io.BytesIO(render_docx(doc)))
    merges = [tc.vMerge for tc in d.tables[0]._tbl.iter_tcs()]
    assert merges.count("restart") == 3 and merges.count("continue") == 3
    assert pdfcheck.docx_text(render_docx(doc)).count("30") == 1
    assert pdfcheck.text(render_pdf(doc)).count("30") == 1


def test_a_tall_table_row_never_leaves_one_line_alone(tmp_path: Path) -> None:
    """A row of up to tables.WHOLE_ROW_LINES lines never splits, wherever the page breaks, in the
    PDF and in LibreOffice (a taller one splits keeping two lines on each side: test_table_rows.py)."""
    from sanfang_docs.documents.tables import WHOLE_ROW_LINES

    def doc(lead: int) -> Document:
        rows = [["序号", "事项", "说明"], ["1", "事项一", "短"], ["2", "事项二", "甲" * 150], ["3", "事项三", "短"]]
        return Document(key="x", title="关于表格分页的通知", kind="通知", issuer="中共红星社区委员会",
                        doc_date="2026-03-05", blocks=[Block("p", "段落。")] * lead + [Block("table", rows=rows)])

    def split(pdf: bytes | Path) -> list[int]:
        per_page = [sum("甲甲甲" in ln.text for ln in page.lines()) for page in pdfcheck.pages(pdf)]
        return [n for n in per_page if n]

    leads = [12, 13, 16, 17]  # the page breaks after the row's 1st, 2nd, 5th and 6th of 7 lines
    docx_files = []
    for lead in leads:
        d = doc(lead)
        assert split(render_pdf(d)) == [7] and 7 <= WHOLE_ROW_LINES, lead
        (tmp_path / f"{lead}.docx").write_bytes(render_docx(d))
        docx_files.append(tmp_path / f"{lead}.docx")
    if shutil.which("soffice"):
        for lead, pdf in zip(leads, pdfcheck.soffice_to_pdf(docx_files, tmp_path, tmp_path / "profile"), strict=True):
            assert split(pdf) == [7], lead
