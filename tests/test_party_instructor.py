"""示范文本3 (party-instructor): request and reply for a property company, an owners'
committee and a property management committee; 3 or more members found a branch instead."""

from __future__ import annotations

from datetime import date
from functools import partial
from pathlib import Path

import pytest
import yaml

from sanfang_docs.interview import load
from sanfang_docs.interview.drive import run
from tests import kit
from tests.conftest import example

INTERVIEW = "party-instructor"
DOC_KEYS = list(load(INTERVIEW).metadata["documents"])
BRANCHES = ["property-company", "owners-committee", "property-management-committee"]

build = partial(kit.build, INTERVIEW)
problems_of = partial(kit.problems, INTERVIEW)
with_changes = partial(kit.changed, INTERVIEW)


# The manual's sentences (示范文本3); the 列席 sentence and the instructor's duties are optional clauses.
EXPECTED = {
    ("property-company", "instructor-request"): [
        "关于向武汉碧桂园物业服务有限公司派遣党建指导员的请示",
        "武汉碧桂园物业服务有限公司于2017年3月15日成立，企业现有工作人员26名，其中中共党员1名，"
        "根据《中国共产党章程》、《中国共产党支部工作条例（试行）》等规定，不符合组建党支部的条件。",
        "提高物业服务水平，促进企业健康发展", "现申请中共熊廷弼社区委员会派遣党建指导员加强党建指导工作。",
        "妥否，请批示。", "物业服务企业建立党组织申请表", "党员花名册",
    ],
    ("property-company", "instructor-reply"): [
        "关于同意向武汉碧桂园物业服务有限公司派遣党建指导员的批复",
        "你们《关于向武汉碧桂园物业服务有限公司派遣党建指导员的请示》（碧桂园物业〔2026〕4号）收悉，经研究：",
        "同意你单位聘请中共熊廷弼社区委员会黄丽娟同志担任武汉碧桂园物业服务有限公司党建指导员。", "此复\n",
    ],
    ("owners-committee", "instructor-request"): [
        "中建福地星城小区业主委员会于2024年11月20日成立，业委会现有委员7名，其中中共党员2名，",
        "促进业委会健康发展", "业委会建立党组织申请表",
    ],
    ("owners-committee", "instructor-reply"): [
        "你们《关于向中建福地星城小区业主委员会派遣党建指导员的请示》收悉，经研究：",
    ],
    ("property-management-committee", "instructor-request"): [
        "联投龙湾小区物业管理委员会于2026年1月15日成立，物管会现有委员5名，其中中共党员0名，",
        "促进物管会健康发展", "物管会建立党组织申请表",
    ],
    ("property-management-committee", "instructor-reply"): [
        "同意你单位聘请中共杨桥湖社区委员会余志刚同志担任联投龙湾小区物业管理委员会党建指导员。",
    ],
}


def test_optional_clauses_add_what_the_manual_does_not_say() -> None:
    answers = {**example(INTERVIEW, "property-management-committee"), "clause_head_attends": True,
               "clause_instructor_duties": True}
    assert "联投龙湾小区物业管理委员会主任孟庆华同志将按要求接受社区党组织领导，列席参加社区党组织的相关会议和活动。" \
        in build(answers, "instructor-request").plain_text()
    reply = build(answers, "instructor-reply").plain_text()
    assert "推动物业管理委员会依法依规履职" in reply and "正式党员达到3名以上时，要及时按程序申请成立党支部" in reply
    plain = build(example(INTERVIEW, "property-management-committee"), "instructor-reply").plain_text()
    assert "列席" not in plain and "党建指导员要" not in plain


# Wording that belongs to another requester only.
NOT_EXPECTED = {
    "property-company": ["业主大会", "业主委员会", "物业管理委员会"],
    "owners-committee": ["物业管理委员会", "企业健康发展", "员工"],
    "property-management-committee": ["经业主大会选举产生", "换届选举", "企业健康发展", "党员花名册"],
}


@pytest.mark.parametrize("branch", BRANCHES)
@pytest.mark.parametrize("key", DOC_KEYS)
def test_document_reads_right(branch: str, key: str) -> None:
    doc = build(example(INTERVIEW, branch), key)
    text = doc.plain_text()
    for phrase in EXPECTED[(branch, key)]:
        assert phrase in text, phrase
    for phrase in NOT_EXPECTED[branch]:
        assert phrase not in text, f"{branch}/{key} should not say {phrase}"


@pytest.mark.parametrize(("branch", "issuer", "org"), [
    ("property-company", "武汉碧桂园物业服务有限公司", "property"),
    ("owners-committee", "中建福地星城小区业主委员会", "owners"),
    ("property-management-committee", "联投龙湾小区物业管理委员会", "owners"),
])
def test_request_goes_to_the_community_party_org(branch: str, issuer: str, org: str) -> None:
    answers = example(INTERVIEW, branch)
    request, reply = build(answers, "instructor-request"), build(answers, "instructor-reply")
    assert (request.kind, request.issuer, request.issuer_role) == ("请示", issuer, org)
    assert request.addressee == reply.issuer == answers["community_party_org"]
    assert (reply.kind, reply.addressee, reply.issuer_role) == ("批复", issuer, "community")



# -- rules -------------------------------------------------------------------------------------


@pytest.mark.parametrize(("branch", "count", "who"), [
    ("property-company", 3, "物业服务企业有 3 名以上党员员工的，应以小区为单位成立党支部"),
    ("owners-committee", 4, "业主委员会成员中有 3 名以上党员且组织关系在社区的，应成立党支部"),
    ("property-management-committee", 3, "物业管理委员会代行业主委员会职责，委员中有 3 名以上正式党员的，应相应成立党支部"),
])
@pytest.mark.parametrize("key", DOC_KEYS)
def test_three_members_found_a_branch_instead(branch: str, count: int, who: str, key: str) -> None:
    (msg,) = problems_of(with_changes(branch, party_member_count=count), key)
    assert msg.startswith(f"【其中中共正式党员（名）】现有正式党员 {count} 名，已具备成立党支部的条件")
    assert who in msg and "不需要申请派遣党建指导员" in msg and "示范文本1" in msg


def test_two_members_may_ask() -> None:
    build(with_changes("property-company", party_member_count=2), "instructor-request")


def test_members_cannot_exceed_staff() -> None:
    (msg,) = problems_of(with_changes("owners-committee", requester_size=1), "instructor-request")
    assert msg == "【其中中共正式党员（名）】正式党员人数（2）应在 0 到委员人数（1）之间"


def test_no_head_asked_when_there_are_members() -> None:
    outcome = run(load(INTERVIEW), example(INTERVIEW, "owners-committee"), preset={"doc_key": "instructor-request"})
    asked = {v for screen in outcome.screens for v in screen}
    assert "requester_head_name" not in asked and "instructor_name" not in asked


def test_dates_in_order() -> None:
    (msg,) = problems_of(with_changes("property-company", instructor_reply_date=date(2026, 4, 7)), "instructor-reply")
    assert msg == "【批复成文日期】批复日期（2026年4月7日）不能早于请示日期（2026年4月8日）"
    (msg,) = problems_of(with_changes("owners-committee", requester_formed_date=date(2026, 7, 1)), "instructor-request")
    assert "不能早于中建福地星城小区业主委员会成立的日期（2026年7月1日）" in msg


@pytest.mark.parametrize(("branch", "key", "says"), [
    ("property-company", "instructor-request", "应以小区为单位成立党支部"),
    ("owners-committee", "instructor-reply", "业主委员会成员中有 3 名以上党员"),
    ("property-management-committee", "instructor-request", "委员中有 3 名以上正式党员的，应相应成立党支部"),
])
def test_cli_refusal_writes_nothing(cli, home: Path, tmp_path: Path, branch: str, key: str,  # noqa: ANN001
                                    says: str) -> None:
    answers = tmp_path / "answers.yaml"
    answers.write_text(yaml.safe_dump(with_changes(branch, party_member_count=3, requester_size=9), allow_unicode=True),
                       encoding="utf-8")
    result = cli("make", key, "--answers", answers)
    assert result.exit_code == 2
    assert says in result.output and "Traceback" not in result.output
    assert not home.exists() or not list(home.rglob("record.json"))
