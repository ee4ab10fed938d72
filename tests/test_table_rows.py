"""A table row taller than a page's leftover room keeps at least two lines on each side of the
page break, in the PDF and in the DOCX as LibreOffice lays it out (documents/tables.py,
docx_tables.py): a long answer in a table cell, with the page breaking before each of its lines.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import docx as pydocx
import pytest

from sanfang_docs.documents import render_docx, render_pdf
from sanfang_docs.documents.docx_tables import KEPT_LINES
from sanfang_docs.documents.model import Block, Document
from sanfang_docs.documents.tables import WHOLE_ROW_LINES, table_item, table_type
from tests import pdfcheck

pytestmark = pytest.mark.xdist_group("table-rows")

ANSWER = ("物业服务企业应于每月5日前公示上月公共收益收支明细（含停车费、广告费、场地租赁费等），"
          "业主可通过物业服务中心、业主微信群或“阳光码”平台查询原始凭证；对公示内容有异议的，"
          "可在公示之日起7日内向业主委员会书面反映，业主委员会应在10个工作日内组织核查并答复。"
          "电梯、消防、监控等专业设施设备的日常维修保养单位名称、资质和联系方式同时公示，"
          "维修保养记录每季度更新1次；住宅专项维修资金的使用方案经业主表决通过后公示不少于7日，"
          "工程完工后再公示决算和验收结果，接受全体业主监督。")
ROWS = [["序号", "事项", "说明"], ["1", "事项一", "按月公示"], ["2", "公示内容", ANSWER], ["3", "事项三", "按季公示"]]
# The same answer as the next 评分要点 of a group: its 序号, 考评内容 and 分值 merged over both rows.
GROUPED = [["序号", "考评内容", "评分要点", "分值"], ["1", "信息公开", "按月公示收支", "10"],
           ["", "", ANSWER, ""], ["2", "设施维护", "按季保养", "5"]]
# Or as the group's first 评分要点: the merged cells start on the row that splits.
OWNER = [["序号", "考评内容", "评分要点", "分值"], ["1", "信息公开", ANSWER, "10"],
         ["", "", "按月公示收支", ""], ["2", "设施维护", "按季保养", "5"]]
# The table, the answer's row, and whether a paragraph follows the table (else its last row goes
# with the signature).
TABLES = {"plain": (ROWS, 2, True), "grouped": (GROUPED, 2, True), "owner": (OWNER, 1, True),
          "last": (ROWS, 2, False)}


def document(lead: int, rows: list[list[str]] = ROWS, after: bool = True) -> Document:
    return Document(key="x", title="关于物业服务公示事项的通知", kind="通知", issuer="中共红星社区委员会",
                    doc_date="2026-03-05", blocks=[Block("p", "段落。")] * lead
                    + [Block("table", rows=rows)] + ([Block("p", "特此通知。")] if after else []))


def answer_lines(pdf: bytes | Path, column: tuple[float, float]) -> list[int]:
    """Lines of the answer's cell on each page that holds some (the cell's column only, mm)."""
    counts = []
    for page in pdfcheck.pages(pdf):
        chars = [c for c in page.chars if column[0] - 0.5 <= c.x0 < column[1] and c.bottom <= pdfcheck.TEXT_BOTTOM]
        lines = [ln for ln in pdfcheck.group_lines(chars)
                 if len(ln.chars) >= 2 and pdfcheck.squash(ln.text) in pdfcheck.squash(ANSWER)]
        if lines:
            counts.append(len(lines))
    return counts


@pytest.mark.parametrize("name", list(TABLES))
def test_a_row_that_splits_keeps_two_lines_on_each_side(tmp_path: Path, name: str) -> None:
    rows, r, after = TABLES[name]
    item = table_item(rows, *table_type(document(0, rows), rows))
    column = rows[r].index(ANSWER)
    lines = item["rows"][r][column].count("\n") + 1
    assert lines > WHOLE_ROW_LINES and item["split"][r] and not item["whole"][r]
    assert (name == "grouped") == (item["spans"][r - 1][0] == 2)
    left = pdfcheck.TEXT_LEFT + sum(item["widths"][:column]) * 156
    edges = (left, left + item["widths"][column] * 156)
    leads = list(range(2, 20))  # the page breaks before each line of the row, and before the row
    ours, docx_files = {}, []
    for lead in leads:
        ours[lead] = answer_lines(render_pdf(document(lead, rows, after)), edges)
        (tmp_path / f"{lead}.docx").write_bytes(render_docx(document(lead, rows, after)))
        docx_files.append(tmp_path / f"{lead}.docx")
    splits = [lead for lead in leads if len(ours[lead]) > 1]
    assert len(splits) >= lines - 2 * KEPT_LINES + 1, ours  # it does split, at every allowed place
    for lead in leads:
        assert sum(ours[lead]) == lines and min(ours[lead]) >= KEPT_LINES, (lead, ours[lead])
    if not shutil.which("soffice"):
        pytest.skip("LibreOffice (soffice) is not installed")
    for lead, pdf in zip(leads, pdfcheck.soffice_to_pdf(docx_files, tmp_path, tmp_path / "profile"), strict=True):
        assert answer_lines(pdf, edges) == ours[lead], lead  # the same lines on the same pages
        assert pdfcheck.page_count(pdf) == pdfcheck.page_count(render_pdf(document(lead, rows, after))), lead
    if name in ("grouped", "owner"):  # the group's cells stay merged over the answer's three parts
        merges = [tc.vMerge for tc in pydocx.Document(str(docx_files[0])).tables[0]._tbl.iter_tcs()]
        assert merges.count("restart") == 3 and merges.count("continue") == 3 * 3


def test_a_table_that_ends_the_body_goes_with_the_signature_by_its_last_row(tmp_path: Path) -> None:
    """Not the whole table (the PDF moved it all, LibreOffice only the last row): the last row,
    under the repeated header, and the signature on the next page, alike in both."""
    rows = [["序号", "事项", "说明"]] + [[str(i), f"事项{i}", "按月公示"] for i in range(1, 6)]
    leads = list(range(10, 18))
    docs = [document(lead, rows, after=False) for lead in leads]
    for lead, doc in zip(leads, docs, strict=True):
        (tmp_path / f"{lead}.docx").write_bytes(render_docx(doc))

    def pages(pdf: bytes | Path) -> list[list[str]]:
        return [[pdfcheck.squash(ln.text) for ln in p.body_lines()] for p in pdfcheck.pages(pdf)]

    moved = 0
    files = [tmp_path / f"{lead}.docx" for lead in leads]
    lo = pdfcheck.soffice_to_pdf(files, tmp_path, tmp_path / "profile") if shutil.which("soffice") else [None] * len(leads)
    for lead, doc, theirs in zip(leads, docs, lo, strict=True):
        ours = pages(render_pdf(doc))
        if len(ours) > 1 and ours[-1][:2] == ["序号事项说明", "5事项5按月公示"]:
            moved += 1  # the last row alone, under the header, before the signature
            assert not any("5事项5" in ln for ln in ours[0]), lead
        if theirs is not None:
            assert pages(theirs) == ours, lead
    assert moved >= 2
