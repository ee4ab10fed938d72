"""示范文本8 (service-pledges): the three pledges for a compound with an owners' committee
and with a property management committee; the manual's figures as defaults; nonsense refused."""

from __future__ import annotations

from functools import partial
from pathlib import Path
from typing import Any

import pytest
import yaml

from sanfang_docs.interview import load
from sanfang_docs.interview.drive import run
from tests import kit
from tests.conftest import example

INTERVIEW = "service-pledges"
DOC_KEYS = list(load(INTERVIEW).metadata["documents"])
BRANCHES = ["owners-committee", "property-management-committee"]

build = partial(kit.build, INTERVIEW)
problems_of = partial(kit.problems, INTERVIEW)
with_changes = partial(kit.changed, INTERVIEW)


# The manual's figures: what a pledge says when the clerk keeps every default.
MANUAL = {
    "pledge-party-org": [
        "每月至少召开1次党组织、业委会、物业三方联席会议", "48小时内响应业主诉求，7个工作日内反馈处理进展",
        "每季度参与1次志愿服务", "每年开展2次业委会、物业专题培训", "限期3日内整改", "每年组织4次以上邻里活动"],
    "pledge-owners-body": [
        "常规问题48小时内答复，复杂问题7日内明确解决方案", "满意度低于60%的委员主动辞职", "上任3个月内推动解决1-2项",
        "每季度组织1次业主恳谈会，每年开展2次社区文化活动", "问题整改率达90%以上", "连续3次无故缺席工作会议",
        "（工作日 9:00-18:00）"],
    "pledge-property-company": [
        "一般故障24小时内修复", "每日清洁1次", "绿化养护每周不少于2次", "每月开展1次消防演练", "每季度首月10日前公示",
        "提前15日公示预算", "紧急报修（如漏水、断电）30分钟内到场，普通报修12小时内响应", "办妥3项实事",
        "提前48小时发布预警", "30分钟内启动应急预案", "满意度低于70%立即整改，连续两年低于60%自愿退出小区服务"],
}

EXPECTED = {
    ("owners-committee", "pledge-party-org"): [
        "在中共文化路社区委员会领导下，中共江南花山郡小区支部现向江南花山郡小区全体业主郑重承诺如下：",
        "督促落实业主大会决议", "不干预业委会合法决策", "建议业主大会启动解聘程序",
        "监督电话：027-87951234", "线上反馈渠道：微信号 jnhsj-dzb"],
    ("owners-committee", "pledge-owners-body"): [
        "为切实履行业主委员会职责，践行参选承诺", "按照业委会党组织指导，接受全体业主监督", "1.严格执行业主大会决议",
        "必须经业主大会表决", "参加“红色业委会”评星定级评定工作", "业委会成员主动辞职", "违反参选承诺",
        "设立24小时业主服务专线（电话：027-87956688）", "监督电话：027-87956688（工作日 9:00-18:00）",
        "意见箱：小区业委会办公室门口"],
    ("owners-committee", "pledge-property-company"): [
        "我司郑重向江南花山郡小区全体业主承诺如下", "配合业主委员会或社区居民委员会提前15日公示预算",
        "服从社区、小区党组织、业主委员会的领导、指导、监督管理", "服务监督电话：027-81234567（24小时）",
        "线上平台：金碧物业微信公众号"],
    ("property-management-committee", "pledge-party-org"): [
        "每月至少召开2次党组织、物管会、物业三方联席会议", "督促落实联席会议议定事项", "不干预物管会依法履职",
        "每年开展2次物管会、物业专题培训", "推动及时召开会议、选举产生业主委员会",
        "建议物管会组织业主依法共同决定解聘事宜", "24小时内响应业主诉求，5个工作日内反馈处理进展"],
    # The manual's sentences; only what a 物管会 cannot do (参选承诺, 业主大会) is said otherwise.
    ("property-management-committee", "pledge-owners-body"): [
        "为切实履行物业管理委员会职责，在社区党组织领导下，由小区党组织牵头，按照物业管理委员会党组织指导",
        "1.严格执行业主共同决定", "满意度低于60%的委员主动辞职，主动接受社区、小区党组织指导",
        "必须经业主共同决定，杜绝擅自决策。", "上任3个月内推动解决",
        "出现以下情形，物业管理委员会成员主动辞职：",
        "检查物业保洁、安保、设施维护情况2次，问题整改率达95%以上", "（工作日 8:30-17:30）"],
    ("property-management-committee", "pledge-property-company"): [
        "配合物业管理委员会或社区居民委员会提前15日公示预算",
        "服从社区、小区党组织的领导，接受物业管理委员会和杨桥湖社区居民委员会的指导、监督管理",
        "20分钟内到场，普通报修8小时内响应", "满意度低于75%立即整改"],
}
# A 物管会 was not elected, has no 业主大会 behind it and no party organisation of its own.
NOT_EXPECTED_PMC = ["业委会", "业主大会决议", "业主大会表决", "参选承诺", "红色业委会", "业委会党组织", "业主大会启动"]


@pytest.mark.parametrize("branch", BRANCHES)
@pytest.mark.parametrize("key", DOC_KEYS)
def test_pledge_reads_right(branch: str, key: str) -> None:
    doc = build(example(INTERVIEW, branch), key)
    text = doc.plain_text()
    for phrase in EXPECTED[(branch, key)]:
        assert phrase in text, phrase
    if branch == "owners-committee":
        assert "物业管理委员会" not in text and "物管会" not in text
        for phrase in MANUAL[key]:
            assert phrase in text, phrase
    else:
        for phrase in NOT_EXPECTED_PMC:
            assert phrase not in text, f"{key} should not say {phrase}"


@pytest.mark.parametrize(("branch", "key", "title", "issuer"), [
    ("owners-committee", "pledge-party-org", "江南花山郡小区党组织服务承诺", "中共江南花山郡小区支部"),
    ("owners-committee", "pledge-owners-body", "江南花山郡小区业主委员会服务承诺", "江南花山郡小区第二届业主委员会"),
    ("owners-committee", "pledge-property-company", "江南花山郡小区物业服务企业承诺", "武汉金碧物业服务有限公司"),
    ("property-management-committee", "pledge-owners-body", "光谷来福城小区物业管理委员会服务承诺",
     "光谷来福城小区物业管理委员会"),
])
def test_titles_and_signatures(branch: str, key: str, title: str, issuer: str) -> None:
    doc = build(example(INTERVIEW, branch), key)
    assert (doc.title, doc.issuer, doc.kind, doc.style) == (title, issuer, "承诺", "pledge")


def test_pmc_is_asked_no_term() -> None:
    outcome = run(load(INTERVIEW), example(INTERVIEW, "property-management-committee"),
                  preset={"doc_key": "pledge-owners-body"})
    assert ["owners_term_no"] not in outcome.screens


@pytest.mark.parametrize("key", DOC_KEYS)
def test_manual_figures_are_the_defaults(key: str) -> None:
    answers = {k: v for k, v in example(INTERVIEW, "owners-committee").items()
               if k == "owners_body" or not k.startswith(("party_", "owners_", "pc_")) or k.endswith(("_phone", "_wechat"))}
    text = build(answers, key).plain_text()
    for phrase in MANUAL[key]:
        assert phrase in text, phrase



# -- figures that make no sense ----------------------------------------------------------------


@pytest.mark.parametrize(("key", "changes", "label", "message"), [
    ("pledge-owners-body", {"owners_satisfaction_pct": 120}, "年度述职满意度低于（%）的委员辞职或调整",
     "述职满意度标准是百分比，应在 1%～100% 之间，现为 120%"),
    ("pledge-owners-body", {"owners_fix_rate_pct": 0}, "问题整改率达到（%以上）",
     "问题整改率是百分比，应在 1%～100% 之间，现为 0%"),
    ("pledge-property-company", {"pc_fix_pct": 101}, "满意度低于（%）立即整改",
     "立即整改的满意度标准是百分比，应在 1%～100% 之间，现为 101%"),
    ("pledge-owners-body", {"owners_routine_hours": 0}, "常规问题答复（小时内）", "常规问题的答复时限应至少为 1 小时，不能为 0 小时"),
    ("pledge-party-org", {"party_response_hours": 0}, "响应业主诉求（小时内）", "响应业主诉求的时限应至少为 1 小时，不能为 0 小时"),
    ("pledge-property-company", {"pc_repair_hours": 0}, "一般故障修复（小时内）", "一般故障的修复时限应至少为 1 小时，不能为 0 小时"),
    ("pledge-property-company", {"pc_urgent_minutes": -5}, "紧急报修到场（分钟内）", "紧急报修到场时限应至少为 1 分钟，不能为 -5 分钟"),
    ("pledge-party-org", {"party_meetings_per_month": 0}, "三方联席会议（每月至少，次）", "三方联席会议次数应至少为 1 次，不能为 0 次"),
    ("pledge-property-company", {"pc_exit_pct": 80}, "连续两年满意度低于（%）自愿退出",
     "自愿退出的满意度标准（80%）不能高于立即整改的标准（70%）：先整改，整改无效才退出"),
    ("pledge-property-company", {"pc_urgent_minutes": 900}, "紧急报修到场（分钟内）",
     "紧急报修到场时限（900 分钟）不能长于普通报修响应时限（12 小时）"),
    ("pledge-property-company", {"pc_income_day": 31}, "公共收益公示（每季度首月几日前）",
     "公共收益应在每季度首月 31 日前公示：日期最晚为 28 日（每个月都有这一天）"),
    ("pledge-party-org", {"party_response_hours": 200}, "响应业主诉求（小时内）",
     "响应时限（200 小时）不能晚于反馈处理进展的时限（7 个工作日）：先响应，再反馈"),
    ("pledge-owners-body", {"owners_office_hours": "工作日 18:00-9:00"}, "监督电话的接听时间（不限时的留空）",
     "办公时间“工作日 18:00-9:00”的结束时间应晚于开始时间"),
    ("pledge-owners-body", {"owners_office_hours": "全天"}, "监督电话的接听时间（不限时的留空）",
     "办公时间“全天”应写成“工作日 9:00-18:00”"),
    ("pledge-property-company", {"pc_hotline_phone": "八七九五"}, "24 小时服务热线（服务监督电话）",
     "电话“八七九五”无效：只能包含数字和连字符，7～20 位，例如：027-87951234"),
    ("pledge-party-org", {"party_phone": "12"}, "监督电话", "电话“12”无效"),
])
def test_nonsense_is_refused(key: str, changes: dict[str, Any], label: str, message: str) -> None:
    (msg,) = problems_of(with_changes("owners-committee", **changes), key)
    assert msg.startswith(f"【{label}】") and message in msg, msg


@pytest.mark.parametrize(("key", "changes", "says"), [
    ("pledge-owners-body", {"owners_satisfaction_pct": 150}, "应在 1%～100% 之间，现为 150%"),
    ("pledge-property-company", {"pc_normal_hours": 0}, "普通报修响应时限应至少为 1 小时，不能为 0 小时"),
    ("pledge-party-org", {"party_feedback_workdays": 0}, "反馈处理进展的时限应至少为 1 个工作日"),
    ("pledge-owners-body", {"owners_office_hours": "工作日 9:00-9:00"}, "结束时间应晚于开始时间"),
])
def test_cli_refusal_writes_nothing(cli, home: Path, tmp_path: Path, key: str, changes: dict[str, Any],  # noqa: ANN001
                                    says: str) -> None:
    answers = tmp_path / "answers.yaml"
    answers.write_text(yaml.safe_dump(with_changes("property-management-committee", **changes), allow_unicode=True),
                       encoding="utf-8")
    result = cli("make", key, "--answers", answers)
    assert result.exit_code == 2
    assert says in result.output and "Traceback" not in result.output
    assert not home.exists() or not list(home.rglob("record.json"))


def test_the_owners_line_is_a_24_hour_line_and_its_hours_are_optional() -> None:
    """示范文本8: 设立 24 小时业主服务专线; only the 监督电话 at the end may name office hours."""
    text = build(with_changes("owners-committee", owners_office_hours=""), "pledge-owners-body").plain_text()
    assert "设立24小时业主服务专线（电话：027-87956688）" in text and "监督电话：027-87956688\n" in text + "\n"
