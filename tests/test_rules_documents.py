"""示范文本5、6、7、10、11 (the rules documents): 业主委员会 and 物业管理委员会 texts, article
numbering, rendering, and the shared-answer rules with their messages."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
import yaml

from sanfang_docs.documents import expected_text, layout_items, render_docx, render_pdf
from sanfang_docs.documents.model import Document
from sanfang_docs.errors import ValidationError
from sanfang_docs.interview import load
from sanfang_docs.interview.drive import run
from sanfang_docs.rules.scoring import article_label
from tests import pdfcheck
from tests.conftest import example

INTERVIEWS = ["joint-meeting-rules", "joint-resolution-procedure", "disclosure-pledge-rules",
              "decision-report-rules", "evaluation-rules"]
OWNERS, PMC = "owners-committee", "property-management-committee"
BRANCHES = [OWNERS, PMC]
CASES = [(iv, b) for iv in INTERVIEWS for b in BRANCHES]


def build(interview: str, answers: dict[str, Any]) -> Document:
    return run(load(interview), answers, preset={"doc_key": interview}).documents[0]


def problems_of(interview: str, answers: dict[str, Any]) -> list[str]:
    with pytest.raises(ValidationError) as info:
        build(interview, answers)
    return [f"【{p.field}】{p.message}" for p in info.value.problems]


def keys_of(interview: str, answers: dict[str, Any]) -> list[str]:
    with pytest.raises(ValidationError) as info:
        build(interview, answers)
    return [p.key for p in info.value.problems]


# Key sentences each variant must print (the 物管会 text is written for a 物管会, not swapped).
# The manual's sentences (示范文本5、6、7、10、11); the 物管会 variant only writes 物业管理委员会 in full
# where the manual says 业主委员会/业委会. The texts once added preambles, an interpretation article
# and, for the 物管会, new articles: those are optional clauses now, off by default (issue 10).
EXPECTED: dict[str, dict[str, list[str]]] = {
    "joint-meeting-rules": {
        OWNERS: ["加强社区居民委员会、业主委员会、物业服务企业（简称“三方”）联系沟通和协调工作，制定本制度。",
                 "会议通知、会议纪要分送社区党组织、社区居民委员会、业主委员会和物业服务企业",
                 "充分发挥业主委员会、物业服务企业党组织和党员作用"],
        PMC: ["加强社区居民委员会、物业管理委员会、物业服务企业（简称“三方”）联系沟通和协调工作，制定本制度。",
              "充分发挥物业管理委员会、物业服务企业党组织和党员作用"],
    },
    "joint-resolution-procedure": {
        OWNERS: ["按照业主委员会党的工作小组提议，业主委员会全体委员商议", "业主大会决议的程序进行",
                 "社区党组织及时提请街道通过“街道吹哨、部门报到”机制"],
        PMC: ["按照物业管理委员会党的工作小组提议，物业管理委员会全体委员商议",
              "属于物业管理委员会、物业企业自行解决的转办解决"],
    },
    "disclosure-pledge-rules": {
        OWNERS: ["业主委员会根据业主大会决定或授权管理小区公共收益", "推行业委会候选人作出遵守选举纪律的参选承诺"],
        PMC: ["物业管理委员会根据业主大会决定或授权管理小区公共收益", "推行业委会候选人作出遵守选举纪律的参选承诺"],
    },
    "decision-report-rules": {
        OWNERS: ["选举业主委员会或更换业主委员会成员", "业主委员会应依规依程序提前向街道、社区、小区党组织"],
        PMC: ["选举业主委员会或更换物业管理委员会成员", "物业管理委员会应依规依程序提前向街道、社区、小区党组织"],
    },
    "evaluation-rules": {
        OWNERS: ["街道党工委统筹组织评议监督考核工作", "评议监督考核对象为社区居委会、业主委员会和物业服务企业",
                 "社会居民委员会、业主委员会改选调整"],
        PMC: ["评议监督考核对象为社区居委会、物业管理委员会和物业服务企业"],
    },
}

# Nothing the manual does not say, unless the clerk turns an optional clause on.
NOT_EXPECTED = {
    OWNERS: ["物管会", "小区物业管理委员会", "、物业管理委员会", "负责解释", "小区实际", "停止代行"],
    PMC: ["物管会", "负责解释", "小区实际", "停止代行", "暂不具备成立业主委员会的条件"],
}


@pytest.mark.parametrize(("interview", "branch"), CASES)
def test_each_variant_reads_right(interview: str, branch: str) -> None:
    doc = build(interview, example(interview, branch))
    text = doc.plain_text()
    for phrase in EXPECTED[interview][branch]:
        assert phrase in text, f"{interview}/{branch} should say: {phrase}"
    for phrase in NOT_EXPECTED[branch]:
        assert phrase not in text, f"{interview}/{branch} should not say: {phrase}"


@pytest.mark.parametrize(("interview", "branch"), CASES)
def test_rules_style_articles_numbered_without_gaps(interview: str, branch: str) -> None:
    answers = example(interview, branch)
    doc = build(interview, answers)
    assert (doc.kind, doc.style, doc.issuer_role) == ("制度", "rules", "community")
    assert doc.issuer == answers["community_party_org"] and not doc.addressee
    assert doc.doc_date == answers["doc_date"].isoformat()
    assert doc.title.startswith(answers["compound_name"] + "小区")
    labels = [m.group(1) for b in doc.blocks if (m := re.match(r"^(第[一二三四五六七八九十]+条)\u3000", b.text))]
    assert labels == [article_label(n) for n in range(1, len(labels) + 1)]
    assert len(labels) == sum(b.kind == "p" for b in doc.blocks) - 1  # every paragraph but the preamble


def test_optional_clauses_are_off_by_default_and_numbered_when_on() -> None:
    """The interpretation article, the 物管会 preamble and hand-over article: the clerk's choice."""
    for interview in INTERVIEWS:
        plain = build(interview, example(interview, PMC))
        full = build(interview, {**example(interview, PMC), "clause_interpretation": True,
                                 "clause_local_preamble": True, "clause_pmc_handover": True})
        assert len(full.blocks) == len(plain.blocks) + 3, interview
        assert full.blocks[0].text.endswith("由物业管理委员会代行业主委员会职责。")
        assert "物业管理委员会停止代行业主委员会职责" in full.blocks[-2].text
        assert full.blocks[-1].text.endswith("负责解释，自印发之日起施行。")
        n = sum(1 for b in plain.blocks if b.text.startswith("第"))
        assert full.blocks[-1].text.startswith(article_label(n + 2))
        owners = build(interview, {**example(interview, OWNERS), "clause_pmc_handover": True,
                                   "clause_local_preamble": True})
        assert "停止代行" not in owners.plain_text()  # the 物管会 clauses never reach a 业委会 text


def test_same_compound_both_ways_differs_only_where_it_should() -> None:
    """Only owners_body changes: titles and issuers stay, the body names the body in full."""
    answers = example("joint-meeting-rules", OWNERS)
    owners = build("joint-meeting-rules", answers)
    pmc = build("joint-meeting-rules", {**answers, "owners_body": "property_management_committee"})
    assert owners.title == pmc.title == "江南花山郡小区联席会议议事规则"
    assert owners.issuer == pmc.issuer
    assert owners.plain_text().replace("业主委员会", "物业管理委员会") == pmc.plain_text()


def test_only_the_shared_answers_are_asked() -> None:
    shared = {"street_name", "street_party_org", "community_name", "community_party_org", "compound_name",
              "owners_body", "doc_date", "answers_reviewed",
              "clause_interpretation", "clause_local_preamble", "clause_pmc_handover"}
    for interview in INTERVIEWS:
        outcome = run(load(interview), example(interview, PMC), preset={"doc_key": interview})
        assert {v for screen in outcome.screens for v in screen} == shared, interview


# -- rendering ---------------------------------------------------------------------------------


def assert_prints(doc: Document, pdf: bytes, docx: bytes) -> None:
    """The PDF and the DOCX print the document's words. The DOCX in order, exactly. The PDF:
    every character exactly once except table headers, which Typst repeats on every page a table
    continues on; paragraphs in order (a table cell that wraps interleaves with its row's other
    cells when a PDF is read line by line, so table text is checked as characters)."""
    want = pdfcheck.squash(expected_text(doc))
    assert pdfcheck.squash(pdfcheck.docx_text(docx)) == want
    got = pdfcheck.squash(pdfcheck.text(pdf))
    assert not Counter(want) - Counter(got), "characters missing from the PDF"
    extra = Counter(got) - Counter(want)
    for header in (Counter(pdfcheck.squash("".join(it["rows"][0]))) for it in layout_items(doc) if it["t"] == "table"):
        while header <= extra:
            extra -= header
    assert not extra, f"the PDF prints more than the document: {''.join(sorted(extra.elements()))}"
    pos = 0
    for item in layout_items(doc):
        if item["t"] == "par":
            para = pdfcheck.squash("".join(r["text"] for r in item["runs"]))
            found = got.find(para, pos)
            assert found >= 0, f"not found in order in the PDF: {para[:40]}"
            pos = found + len(para)


@pytest.fixture(scope="module")
def rendered() -> dict[tuple[str, str], tuple[Document, bytes, bytes]]:
    return {(iv, b): (doc := build(iv, example(iv, b)), render_pdf(doc), render_docx(doc)) for iv, b in CASES}


@pytest.mark.parametrize(("interview", "branch"), CASES)
def test_pdf_and_docx_print_the_text(interview: str, branch: str, rendered: dict) -> None:  # noqa: ANN001
    doc, pdf, docx = rendered[(interview, branch)]
    assert_prints(doc, pdf, docx)
    lines = pdfcheck.text(pdf).splitlines()
    assert lines[0].startswith(doc.title[:10])
    assert any(line.startswith("第一条") for line in lines)


# -- rules -------------------------------------------------------------------------------------


def write_answers(tmp_path: Path, answers: dict[str, Any]) -> Path:
    path = tmp_path / "answers.yaml"
    path.write_text(yaml.safe_dump(answers, allow_unicode=True), encoding="utf-8")
    return path


def all_files(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


WRONG = [
    ("compound_name", " 小区", "【小区名称】请写小区的名称，例如：江南花山郡"),
    ("street_name", "纸坊", "【街道（开发区）名称】街道名称应以“街道”或“开发区”结尾，例如：纸坊街道"),
    ("street_party_org", "纸坊街道", "【街道党工委名称】党工委名称应写全称，例如：中共纸坊街道工作委员会"),
    ("community_name", "杨桥湖", "【社区名称】社区名称应以“社区”结尾，例如：文化路社区"),
    ("owners_body", "业主大会", "【{compound}小区现在由哪个组织代表业主？】只能从以下选项中选择：业主委员会、物业管理委员会；收到“业主大会”"),
    ("doc_date", "2026年13月1日", "【成文日期】不存在的日期“2026年13月1日”"),
]


@pytest.mark.parametrize("interview", INTERVIEWS)
@pytest.mark.parametrize(("field", "value", "message"), WRONG, ids=[w[0] for w in WRONG])
def test_wrong_shared_answer_gets_its_message(interview: str, field: str, value: str, message: str) -> None:
    answers = {**example(interview, PMC), field: value}
    assert problems_of(interview, answers) == [message.format(compound=answers["compound_name"])]
    assert keys_of(interview, answers) == [field]


@pytest.mark.parametrize("interview", INTERVIEWS)
def test_compound_written_with_xiaoqu_is_taken_as_the_compound(interview: str) -> None:
    doc = build(interview, {**example(interview, PMC), "compound_name": "联投龙湾小区"})
    text = doc.title + "".join(b.text for b in doc.blocks)  # the manual's body names no compound
    assert doc.title.startswith("联投龙湾小区") and "小区小区" not in text


@pytest.mark.parametrize("interview", INTERVIEWS)
def test_make_with_a_wrong_answer_writes_nothing(interview: str, cli, home: Path, tmp_path: Path) -> None:  # noqa: ANN001
    bad = write_answers(tmp_path, {**example(interview, OWNERS), "street_name": "纸坊"})
    result = cli("make", interview, "--answers", bad, "--out", tmp_path / "out")
    assert result.exit_code == 2, result.output
    assert "【街道（开发区）名称】（street_name）街道名称应以“街道”或“开发区”结尾" in result.output
    assert all_files(home) == [] and not (tmp_path / "out").exists()


def test_make_files_a_rules_record(cli, home: Path, tmp_path: Path) -> None:  # noqa: ANN001
    import json

    answers = write_answers(tmp_path, example("joint-meeting-rules", PMC))
    result = cli("make", "joint-meeting-rules", "--answers", answers, "--json")
    assert result.exit_code == 0, result.output
    made = json.loads(result.output)
    assert made["title"] == "联投龙湾小区联席会议议事规则"
    assert re.fullmatch(r"J001-WS·2026-(Y|D30|D10)-SQDW-0001", made["档号"]), made["档号"]  # 社区党组织


def test_a_future_date_is_flagged_on_the_documents_screen() -> None:
    """A 成文日期 in the future once went through without a word."""
    from datetime import date, timedelta

    later = date.today() + timedelta(days=30)
    outcome = run(load("joint-meeting-rules"), {**example("joint-meeting-rules", OWNERS), "doc_date": later},
                  preset={"doc_key": "joint-meeting-rules"})
    assert any("晚于今天" in n for n in outcome.notes)
    outcome = run(load("joint-meeting-rules"), example("joint-meeting-rules", OWNERS), preset={"doc_key": "joint-meeting-rules"})
    assert outcome.notes == []
