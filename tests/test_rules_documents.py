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
    # 【字段】说明 without the （key）: these tests are about the words; test_answers checks keys.
    return [f"【{p.field}】{p.message}" for p in info.value.problems]


# Key sentences each variant must print (the 物管会 text is written for a 物管会, not swapped).
EXPECTED: dict[str, dict[str, list[str]]] = {
    "joint-meeting-rules": {
        OWNERS: ["加强社区居民委员会、业主委员会、物业服务企业（简称“三方”）联系沟通",
                 "会议纪要分送中共文化路社区委员会、文化路社区居民委员会、江南花山郡小区业主委员会和物业服务企业",
                 "充分发挥业主委员会、物业服务企业党组织和党员作用"],
        PMC: ["联投龙湾小区暂不具备成立业主委员会的条件，经中共藏龙岛开发区工作委员会批复同意，"
              "由社区居民委员会、开发建设单位和业主代表组成联投龙湾小区物业管理委员会（简称“物管会”），代行业主委员会职责",
              "物管会成员（主任由社区居民委员会成员担任，委员包括开发建设单位代表和业主代表）",
              "充分发挥物业服务企业党组织和物管会成员中党员的作用",
              "研究推动召开首次业主大会会议、选举产生业主委员会的有关工作",
              "物管会停止代行业主委员会职责，其在本规则中的职责由业主委员会承担"],
    },
    "joint-resolution-procedure": {
        OWNERS: ["按照业主委员会党组织（未成立党组织的，为党的工作小组）提议、业主委员会全体委员商议",
                 "业主大会决议的程序进行", "社区党组织及时提请五里界街道通过“街道吹哨、部门报到”机制"],
        PMC: ["本流程所称“三方”，指社区居民委员会、物管会和物业服务企业",
              "按照小区党组织提议、物管会全体成员商议、小区和社区党组织审议、物管会依法组织业主共同决定的程序进行",
              "物管会中的开发建设单位代表应当协调本单位依法履行责任",
              "上述事项由物管会依法组织业主共同决定，不由物管会自行决定"],
    },
    "disclosure-pledge-rules": {
        OWNERS: ["业主委员会根据业主大会决定或授权管理小区公共收益",
                 "推行业主委员会候选人作出遵守选举纪律的参选承诺"],
        PMC: ["物管会成员（注明所在单位或业主代表身份）",
              "物管会组织业主共同决定事项的，将表决事项、表决方式和表决结果向全体业主公示",
              "物管会业主代表成员在推选时作出遵守推选纪律",
              "本小区筹备选举业主委员会时，推行业主委员会候选人"],
    },
    "decision-report-rules": {
        OWNERS: ["选举业主委员会或更换业主委员会成员",
                 "业主委员会应依规依程序提前向中共金口街道工作委员会、中共金水社区委员会、小区党组织、金水社区居民委员会和联席会议办公室"],
        PMC: ["物管会成员调整，筹备召开首次业主大会会议、选举业主委员会",
              "开发建设单位移交物业服务用房、共用设施设备和有关资料",
              "需要业主共同决定的事项，在组织业主表决前报告"],
    },
    "evaluation-rules": {
        OWNERS: ["中共纸坊街道工作委员会统筹组织评议监督考核工作",
                 "评议监督考核对象为文化路社区居民委员会、江南花山郡小区业主委员会和为本小区提供服务的物业服务企业",
                 "社区居民委员会和业主委员会改选调整"],
        PMC: ["评议监督考核对象为杨桥湖社区居民委员会、联投龙湾小区物管会和为本小区提供服务的物业服务企业",
              "重点评议其代行业主委员会职责、依法组织业主共同决定物业管理事项和推动成立业主委员会的情况",
              "物管会成员调整", "本制度对物管会的评议监督考核改为对业主委员会进行"],
    },
}

# Wording one variant must never print.
NOT_EXPECTED = {
    OWNERS: ["物管会", "小区物业管理委员会", "开发建设单位"],
    # No 业委会党支部, no 业主大会 decisions, no 业委会 in the list of the 三方.
    PMC: ["业委会", "业主委员会党组织", "党的工作小组", "业主大会决议", "业主大会决定",
          "社区居民委员会、业主委员会", "业主委员会成员"],
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
    assert doc.blocks[-1].text.endswith("负责解释，自印发之日起施行。")
    assert answers["community_party_org"] in doc.blocks[-1].text


def test_pmc_variant_has_one_more_article() -> None:
    """The 物管会 texts add the hand-over to a future 业主委员会; numbering follows."""
    for interview in INTERVIEWS:
        owners = build(interview, example(interview, OWNERS))
        pmc = build(interview, example(interview, PMC))
        assert len(pmc.blocks) == len(owners.blocks) + 1, interview
        assert "物管会停止代行业主委员会职责" in pmc.blocks[-2].text


def test_same_compound_both_ways_differs_only_where_it_should() -> None:
    """Only owners_body changes: titles and issuers stay, the body follows the body."""
    answers = example("joint-meeting-rules", OWNERS)
    owners = build("joint-meeting-rules", answers)
    pmc = build("joint-meeting-rules", {**answers, "owners_body": "property_management_committee"})
    assert owners.title == pmc.title == "江南花山郡小区联席会议议事规则"
    assert owners.issuer == pmc.issuer
    assert "江南花山郡小区物业管理委员会（简称“物管会”）" in pmc.plain_text()
    assert "江南花山郡小区业主委员会" in owners.plain_text()


def test_only_the_shared_answers_are_asked() -> None:
    shared = {"street_name", "street_party_org", "community_name", "community_party_org", "compound_name",
              "owners_body", "doc_date", "answers_reviewed"}
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
    ("compound_name", "联投龙湾小区", "【小区名称】小区名称不要以“小区”结尾，文件中会自动加上“小区”二字"),
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


@pytest.mark.parametrize("interview", INTERVIEWS)
def test_make_with_a_wrong_answer_writes_nothing(interview: str, cli, home: Path, tmp_path: Path) -> None:  # noqa: ANN001
    bad = write_answers(tmp_path, {**example(interview, OWNERS), "compound_name": "江南花山郡小区"})
    result = cli("make", interview, "--answers", bad, "--out", tmp_path / "out")
    assert result.exit_code == 2, result.output
    assert "【小区名称】（compound_name）小区名称不要以“小区”结尾" in result.output
    assert all_files(home) == [] and not (tmp_path / "out").exists()


def test_make_files_a_rules_record(cli, home: Path, tmp_path: Path) -> None:  # noqa: ANN001
    import json

    answers = write_answers(tmp_path, example("joint-meeting-rules", PMC))
    result = cli("make", "joint-meeting-rules", "--answers", answers, "--json")
    assert result.exit_code == 0, result.output
    made = json.loads(result.output)
    assert made["title"] == "联投龙湾小区联席会议议事规则"
    assert re.fullmatch(r"J001-WS·2026-(Y|D30|D10)-SQDW-0001", made["档号"]), made["档号"]  # 社区党组织
