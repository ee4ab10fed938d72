"""示范文本4 (cross-appointment): the 证明 for a 社区“两委”干部 or a 小区党组织成员, the notices
(any number of people), the 聘书 (聘期 = the residents' committee's term), party member by
通知 and non-member by 聘书, each for a compound with an owners' committee and with a 物管会."""

from __future__ import annotations

from datetime import date
from functools import partial
from pathlib import Path
from typing import Any

import pytest
import yaml

from sanfang_docs.interview import load
from sanfang_docs.interview.drive import run
from tests import kit
from tests.conftest import example

INTERVIEW = "cross-appointment"
DOC_KEYS = list(load(INTERVIEW).metadata["documents"])
BRANCHES = ["committee-cadre", "committee-member", "pmc-cadre", "pmc-member"]

build = partial(kit.build, INTERVIEW)
problems_of = partial(kit.problems, INTERVIEW)
with_changes = partial(kit.changed, INTERVIEW)


EXPECTED = {
    "committee-cadre": {
        "cross-certificate": [
            "陈小燕同志为纸坊街道文化路社区“两委”干部，经过业主大会法定程序选举，已依法兼任江南花山郡住宅小区业主委员会副主任。"],
        "owners-branch-notice": [
            "关于张伟等同志担任江南花山郡小区业主委员会党支部委员（兼职）的通知", "经中共纸坊街道工作委员会研究决定：",
            "张伟同志为文化路社区“两委”干部，现担任江南花山郡小区业主委员会党支部委员（兼职）；",
            "李芳同志为文化路社区“两委”干部，现担任江南花山郡小区业主委员会党支部委员（兼职）。"],
        "quality-supervisor-letter": [
            "兹聘请文化路社区张伟同志担任本公司江南花山郡项目义务质量总监一职。",
            "自2026年7月6日起生效，聘期与本届居委会任期一致。", "此聘\n"],
        "community-branch-notice": [
            "关于刘建华等同志担任中共文化路社区委员会委员（兼职）的通知",
            "江南花山郡小区业主委员会主任刘建华同志担任中共文化路社区委员会委员（兼职）；",
            "武汉金碧物业服务有限公司江南花山郡项目经理邓敏同志担任中共文化路社区委员会委员（兼职）。"],
        "residents-committee-letter": [
            "许志明同志", "聘请你为纸坊街道文化路社区居委会兼职委员，聘期与本届居委会任期一致。",
            "纸坊街道办事处"],
    },
    "committee-member": {
        "cross-certificate": [
            "杨文斌同志为五里界街道锦绣社区中建福地星城小区党组织成员，经过业主大会法定程序选举，"
            "已依法兼任中建福地星城住宅小区业主委员会委员。"],
        "owners-branch-notice": [
            "关于舒建军同志担任中建福地星城小区业主委员会党的工作小组成员（兼职）的通知",
            "舒建军同志为锦绣社区“两委”干部，现担任中建福地星城小区业主委员会党的工作小组成员（兼职）。"],
        "quality-supervisor-letter": ["兹聘请中共中建福地星城小区支部委员会杨文斌同志担任本公司中建福地星城项目义务质量总监一职。",
                                      "自2026年9月1日起生效"],
        "community-branch-notice": ["关于罗振宇同志担任中共锦绣社区委员会委员（兼职）的通知"],
        "residents-committee-letter": ["聘请你为五里界街道锦绣社区居委会兼职委员", "五里界街道办事处"],
    },
    "pmc-cadre": {
        "cross-certificate": [
            "胡雪梅同志为纸坊街道文化路社区“两委”干部，经过中共纸坊街道工作委员会批复同意，"
            "已依法兼任金色港湾三期住宅小区物业管理委员会主任。"],
        # 手册第二章第一部分一（二）：物管会“相应成立党支部”，通知发给物管会党支部（旧文本说物管会不单独建立党组织，与手册相反）。
        "owners-branch-notice": [
            "关于胡雪梅等同志担任金色港湾三期小区物业管理委员会党支部委员（兼职）的通知",
            "周晓峰同志为文化路社区“两委”干部，现担任金色港湾三期小区物业管理委员会党支部委员（兼职）；",
            "蔡丽同志为文化路社区“两委”干部，现担任金色港湾三期小区物业管理委员会党支部委员（兼职）。"],
        "quality-supervisor-letter": ["兹聘请文化路社区周晓峰同志担任本公司金色港湾三期项目义务质量总监一职。"],
        "community-branch-notice": ["金色港湾三期小区物业管理委员会业主代表委员陈国栋同志担任中共文化路社区委员会委员（兼职）。"],
        "residents-committee-letter": ["汪涛同志", "聘请你为纸坊街道文化路社区居委会兼职委员"],
    },
    "pmc-member": {
        "cross-certificate": [
            "郑红英同志为藏龙岛开发区杨桥湖社区光谷来福城小区党组织成员，经过中共藏龙岛开发区工作委员会批复同意，"
            "已依法兼任光谷来福城住宅小区物业管理委员会委员（业主代表）。"],
        "owners-branch-notice": ["关于余志刚同志担任光谷来福城小区物业管理委员会党支部委员（兼职）的通知"],
        "quality-supervisor-letter": ["兹聘请中共光谷来福城小区支部委员会郑红英同志担任本公司光谷来福城项目义务质量总监一职。"],
        "community-branch-notice": [
            "关于孟凡军等同志担任中共杨桥湖社区委员会委员（兼职）的通知",
            "光谷来福城小区物业管理委员会业主代表委员郑红英同志担任中共杨桥湖社区委员会委员（兼职）。"],
        "residents-committee-letter": ["闵小红同志", "藏龙岛开发区管理委员会"],
    },
}
# A 物管会 is not elected by an owners' assembly and has no 业委会党组织 of its own.
NOT_EXPECTED_PMC = ["业主大会依法定程序选举", "业主委员会党支部", "业主委员会党的工作小组", "业主委员会主任",
                    "不单独建立党组织"]


@pytest.mark.parametrize("branch", BRANCHES)
@pytest.mark.parametrize("key", DOC_KEYS)
def test_document_reads_right(branch: str, key: str) -> None:
    doc = build(example(INTERVIEW, branch), key)
    text = doc.plain_text()
    for phrase in EXPECTED[branch][key]:
        assert phrase in text, phrase
    if branch.startswith("pmc"):
        for phrase in NOT_EXPECTED_PMC:
            assert phrase not in text, f"{branch}/{key} should not say {phrase}"
    elif key != "quality-supervisor-letter":
        assert "物业管理委员会" not in text


def test_posts_are_an_optional_clause() -> None:
    """The manual's 证明 and 通知 name the 两委干部 / 小区党组织成员 only; their posts come on request."""
    answers = {**example(INTERVIEW, "committee-cadre"), "clause_posts": True}
    assert "陈小燕同志为纸坊街道文化路社区“两委”干部（社区党委委员、居委会委员），经过业主大会法定程序选举" \
        in build(answers, "cross-certificate").plain_text()
    assert "张伟同志为文化路社区“两委”干部（社区党委委员），现担任" in build(answers, "owners-branch-notice").plain_text()
    assert "（社区党委委员" not in build(example(INTERVIEW, "committee-cadre"), "cross-certificate").plain_text()


@pytest.mark.parametrize(("key", "kind", "style", "role"), [
    ("cross-certificate", "证明", "certificate", "owners"),
    ("owners-branch-notice", "通知", "letter", "street"),
    ("quality-supervisor-letter", "聘书", "appointment", "property"),
    ("community-branch-notice", "通知", "letter", "street"),
    ("residents-committee-letter", "聘书", "appointment", "street"),
])
def test_kinds_issuers_and_addressees(key: str, kind: str, style: str, role: str) -> None:
    doc = build(example(INTERVIEW, "committee-cadre"), key)
    assert (doc.kind, doc.style, doc.issuer_role, doc.doc_date) == (kind, style, role, "2026-07-06")
    assert {
        "cross-certificate": ("证明", "纸坊街道办事处", "江南花山郡小区业主委员会"),
        "owners-branch-notice": (doc.title, "江南花山郡小区业主委员会党支部", "中共纸坊街道工作委员会"),
        "quality-supervisor-letter": ("聘书", "", "武汉金碧物业服务有限公司"),
        "community-branch-notice": (doc.title, "中共文化路社区委员会", "中共纸坊街道工作委员会"),
        "residents-committee-letter": ("聘书", "许志明同志", "纸坊街道办事处"),
    }[key] == (doc.title, doc.addressee, doc.issuer)


def test_pmc_certificate_is_issued_by_the_pmc() -> None:
    doc = build(example(INTERVIEW, "pmc-member"), "cross-certificate")
    assert (doc.addressee, doc.issuer) == ("藏龙岛开发区管理委员会", "光谷来福城小区物业管理委员会")


def test_notices_list_any_number_of_people() -> None:
    cadres = "\n".join(f"{name} 社区党委委员" for name in ["张伟", "李芳", "王强", "赵敏", "孙丽", "周杰"])
    doc = build(with_changes("committee-cadre", branch_cadres_text=cadres), "owners-branch-notice")
    lines = [b.text for b in doc.blocks if "现担任" in b.text]
    assert len(lines) == 6 and all(t.endswith("；") for t in lines[:5]) and lines[5].endswith("。")
    one = build(with_changes("committee-cadre", community_appointees_text="刘建华 江南花山郡小区业主委员会主任"),
                "community-branch-notice")
    assert one.title == "关于刘建华同志担任中共文化路社区委员会委员（兼职）的通知"



# -- rules -------------------------------------------------------------------------------------


def test_party_member_goes_by_notice_not_letter() -> None:
    (msg,) = problems_of(with_changes("committee-cadre", rc_appointee_is_member=True), "residents-committee-letter")
    assert msg.startswith("【是中共党员】许志明同志是中共党员")
    assert "由街道党工委发文担任社区党组织委员（兼职），请改为起草第 4 份文件（通知）" in msg


def test_non_member_goes_by_letter_not_notice() -> None:
    (msg,) = problems_of(with_changes("pmc-cadre", community_appointees_are_members=False), "community-branch-notice")
    assert msg.startswith("【以上同志均为中共党员】担任社区党组织委员（兼职）须是中共党员")
    assert "请改为起草第 5 份文件（聘书）" in msg


def test_owners_branch_needs_party_members() -> None:
    (msg,) = problems_of(with_changes("committee-member", branch_cadres_are_members=False), "owners-branch-notice")
    assert msg == "【以上同志均为中共党员】担任党组织委员（兼职）须是中共党员；不是党员的社区“两委”干部不能列入本通知"


def test_cadre_not_living_in_the_compound_cannot_sit_on_the_owners_committee() -> None:
    (msg,) = problems_of(with_changes("committee-cadre", cert_person_is_owner=False), "cross-certificate")
    assert msg.startswith("【是本小区业主（居住在本小区）】业主委员会委员须是本小区业主、经业主大会选举产生")
    assert "请改为起草第 2 份文件（通知）" in msg


def test_pmc_cadre_need_not_be_an_owner() -> None:
    """The 物管会's 主任 comes from the residents' committee: no owner question is asked."""
    outcome = run(load(INTERVIEW), example(INTERVIEW, "pmc-cadre"), preset={"doc_key": "cross-certificate"})
    assert ["cert_person_is_owner"] not in outcome.screens


def test_pmc_party_member_must_be_an_owner() -> None:
    (msg,) = problems_of(with_changes("pmc-member", cert_person_is_owner=False), "cross-certificate")
    assert "以业主代表身份担任物业管理委员会委员，须是本小区业主" in msg


def test_pmc_party_member_is_not_its_chair() -> None:
    (msg,) = problems_of(with_changes("pmc-member", cert_role="主任"), "cross-certificate")
    assert msg == ("【在物业管理委员会的职务】物业管理委员会的主任、副主任由社区居民委员会成员担任；"
                   "小区党组织成员以业主代表身份担任委员，请选“委员”")


@pytest.mark.parametrize(("branch", "post", "says"), [
    ("pmc-cadre", "金色港湾三期小区业主委员会主任", "本小区未成立业主委员会，由物业管理委员会代行其职责"),
    ("pmc-cadre", "金色港湾三期小区物业管理委员会主任", "物业管理委员会主任由社区居民委员会成员担任，本身就是社区干部"),
    ("committee-cadre", "江南花山郡小区物管会委员", "本小区由业主委员会代表业主，没有物业管理委员会"),
])
def test_post_must_name_the_body_the_compound_has(branch: str, post: str, says: str) -> None:
    (msg,) = problems_of(with_changes(branch, community_appointees_text=f"陈国栋 {post}"), "community-branch-notice")
    assert msg.startswith("【人员（每行一人）】") and says in msg
    (msg,) = problems_of(with_changes(branch, rc_appointee_post=post), "residents-committee-letter")
    assert msg.startswith("【现任职务】") and says in msg


def test_people_lines_are_checked() -> None:
    (msg,) = problems_of(with_changes("committee-cadre", branch_cadres_text="张伟\n"), "owners-branch-notice")
    assert msg == "【人员（每行一人）】第 1 行“张伟”应写成“姓名 社区职务”，例如：张伟 社区党委委员"
    (msg,) = problems_of(with_changes("committee-cadre", branch_cadres_text="张伟 委员\n张伟 委员"),
                         "owners-branch-notice")
    assert msg == "【人员（每行一人）】张伟 重复列出"


@pytest.mark.parametrize(("changes", "message"), [
    ({"rc_term_end_year": 2032}, "居民委员会每届任期五年，2021—2032 年超过五年"),
    ({"rc_term_start_year": 2026, "rc_term_end_year": 2021}, "任期届满年份（2021）应晚于本届起始年份（2026）"),
    ({"rc_term_start_year": 2016, "rc_term_end_year": 2021}, "2026 年不在本届居民委员会任期（2016—2021 年）内"),
])
@pytest.mark.parametrize("key", ["quality-supervisor-letter", "residents-committee-letter"])
def test_term_follows_the_residents_committee(changes: dict[str, Any], message: str, key: str) -> None:
    (msg,) = problems_of(with_changes("committee-cadre", **changes), key)
    assert msg.startswith("【任期届满年份】") and message in msg


def test_supervisor_starts_within_the_term() -> None:
    (msg,) = problems_of(with_changes("committee-cadre", supervisor_start_date=date(2027, 1, 4)),
                         "quality-supervisor-letter")
    assert msg == "【任期届满年份】生效日期（2027年1月4日）已在本届居民委员会任期（至 2026 年）之后"
    (msg,) = problems_of(with_changes("committee-cadre", supervisor_start_date=date(2026, 7, 1)),
                         "quality-supervisor-letter")
    assert msg == "【聘任生效日期】生效日期（2026年7月1日）不能早于聘书日期（2026年7月6日）"


def test_election_after_the_certificate_is_refused() -> None:
    (msg,) = problems_of(with_changes("committee-cadre", cert_basis_date=date(2026, 7, 7)), "cross-certificate")
    assert msg == "【选举该同志的业主大会召开日期】业主大会日期（2026年7月7日）不能晚于证明日期（2026年7月6日）"


@pytest.mark.parametrize(("branch", "key", "changes", "says"), [
    ("committee-cadre", "residents-committee-letter", {"rc_appointee_is_member": True}, "请改为起草第 4 份文件（通知）"),
    ("pmc-member", "community-branch-notice", {"community_appointees_are_members": False}, "请改为起草第 5 份文件（聘书）"),
    ("committee-cadre", "cross-certificate", {"cert_person_is_owner": False}, "请改为起草第 2 份文件（通知）"),
    ("pmc-member", "cross-certificate", {"cert_role": "主任"}, "请选“委员”"),
    ("pmc-cadre", "residents-committee-letter", {"rc_appointee_post": "金色港湾三期小区业主委员会主任"},
     "本小区未成立业主委员会"),
    ("committee-member", "quality-supervisor-letter", {"rc_term_end_year": 2040}, "超过五年"),
])
def test_cli_refusal_writes_nothing(cli, home: Path, tmp_path: Path, branch: str, key: str,  # noqa: ANN001
                                    changes: dict[str, Any], says: str) -> None:
    answers = tmp_path / "answers.yaml"
    answers.write_text(yaml.safe_dump(with_changes(branch, **changes), allow_unicode=True), encoding="utf-8")
    result = cli("make", key, "--answers", answers)
    assert result.exit_code == 2
    assert says in result.output and "Traceback" not in result.output
    assert not home.exists() or not list(home.rglob("record.json"))
