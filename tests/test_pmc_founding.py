"""示范文本2 (pmc-founding): the 物业管理委员会 request and reply, the three conditions of
《湖北省物业管理条例》第二十条, the members, and both documents in PDF and DOCX."""

from __future__ import annotations

from datetime import date
from functools import partial
from pathlib import Path
from typing import Any

import pytest
import yaml

from sanfang_docs.interview import load
from sanfang_docs.interview.drive import run
from sanfang_docs.rules.owners import first_assembly_grounds
from tests import kit
from tests.conftest import example

INTERVIEW = "pmc-founding"
DOC_KEYS = list(load(INTERVIEW).metadata["documents"])
BRANCHES = ["pmc", "slow-occupancy"]

build = partial(kit.build, INTERVIEW)
problems_of = partial(kit.problems, INTERVIEW)
with_changes = partial(kit.changed, INTERVIEW)


# -- documents --------------------------------------------------------------------------------

# The manual's sentences (示范文本2); the occupancy figures and the 物管会's duties are optional clauses.
EXPECTED = {
    ("pmc", "pmc-founding-request"): [
        "《湖北省物业管理条例》第二十条", "等其他法律法规，本小区暂未达到成立业主委员会的条件。",
        "武组文〔2013〕110号", "为此，我社区现申请成立金色港湾三期小区物业管理委员会代行业主委员会职责。",
        "金色港湾三期小区物业管理委员会成员名单：",
        "主任：社区居委会副主任胡雪梅同志；委员：开发建设单位武汉金港置业有限公司彭志华同志；"
        "业主代表陈国栋同志、业主代表刘春燕同志、业主代表万金平同志。",
        "妥否，请批示！",
    ],
    ("pmc", "pmc-founding-reply"): [
        "你们《关于成立金色港湾三期小区物业管理委员会的请示》（文化路社区党委〔2026〕9号）收悉，经研究：",
        "同意中共文化路社区委员会指导文化路社区居委会成立金色港湾三期小区物业管理委员会，成员如下：",
        "主任：社区居委会副主任胡雪梅同志；", "业主代表万金平同志。", "此复",
    ],
    ("slow-occupancy", "pmc-founding-request"): [
        "业主代表王德明同志、业主代表程玉兰同志、业主代表柯建新同志、业主代表夏国强同志、业主代表严晓梅同志。",
    ],
    ("slow-occupancy", "pmc-founding-reply"): ["（童周岭社区党委〔2026〕17号）收悉", "主任：社区居委会主任叶春华同志"],
}


def test_optional_clauses_print_the_figures_and_the_duties() -> None:
    answers = {**example(INTERVIEW, "pmc"), "clause_occupancy_facts": True, "clause_pmc_duties": True}
    request = build(answers, "pmc-founding-request").plain_text()
    assert "金色港湾三期小区位于文化路社区辖区，建筑物总面积186400平方米，房屋1620套。" in request
    assert "已交付房屋专有部分面积61500.5平方米，占建筑物总面积的33%" in request and "已入住312户，占总套数的19.3%" in request
    assert "配合街道办事处及时组织召开首次业主大会会议" in build(answers, "pmc-founding-reply").plain_text()
    assert "186400" not in build(example(INTERVIEW, "pmc"), "pmc-founding-request").plain_text()


@pytest.mark.parametrize("branch", BRANCHES)
@pytest.mark.parametrize("key", DOC_KEYS)
def test_document_reads_right(branch: str, key: str) -> None:
    doc = build(example(INTERVIEW, branch), key)
    text = doc.plain_text()
    for phrase in EXPECTED[(branch, key)]:
        assert phrase in text, phrase
    assert doc.doc_date and doc.issuer and doc.addressee


def test_request_and_reply_addressing() -> None:
    answers = example(INTERVIEW, "pmc")
    request, reply = build(answers, "pmc-founding-request"), build(answers, "pmc-founding-reply")
    assert request.title == "关于成立金色港湾三期小区物业管理委员会的请示"
    assert (request.kind, request.addressee, request.issuer, request.doc_date) == (
        "请示", "中共纸坊街道工作委员会", "中共文化路社区委员会", "2026-05-11")
    assert reply.title == "关于同意成立金色港湾三期小区物业管理委员会的批复"
    assert (reply.kind, reply.addressee, reply.issuer, reply.doc_date) == (
        "批复", "中共文化路社区委员会", "中共纸坊街道工作委员会", "2026-05-20")
    assert request.attachments == []  # the manual's 请示 has none: an optional clause adds them
    with_attachments = build({**answers, "clause_request_attachments": True}, "pmc-founding-request")
    assert with_attachments.attachments == ["金色港湾三期小区房屋交付及入住情况统计表", "金色港湾三期小区物业管理委员会成员基本情况"]


def test_reply_without_request_number() -> None:
    text = build(with_changes("pmc", pmc_request_no=""), "pmc-founding-reply").plain_text()
    assert "你们《关于成立金色港湾三期小区物业管理委员会的请示》收悉，经研究：" in text


def test_request_asks_nothing_about_the_reply() -> None:
    outcome = run(load(INTERVIEW), example(INTERVIEW, "pmc"), preset={"doc_key": "pmc-founding-request"})
    asked = {v for screen in outcome.screens for v in screen}
    assert "delivered_floor_area" in asked and not asked & {"pmc_reply_date", "pmc_request_no"}



# -- 第二十条: any condition met means the first owners' assembly, not a 物管会 -------------------


# The refusal names the answer that met the condition (it once named 已交付面积 for all three).
@pytest.mark.parametrize(("changes", "label", "condition"), [
    ({"delivered_floor_area": 93200}, "已交付的房屋专有部分面积（平方米）", "交付的房屋专有部分面积已达建筑物总面积的 50%（条件一"),
    ({"delivered_units": 810}, "已交付套数", "交付的房屋套数已达总套数的 50%（条件二"),
    ({"first_move_in_date": date(2024, 5, 11), "occupied_units": 324}, "已入住户数",
     "首位业主入住已满两年且已入住户数比例达 20%（条件三"),
])
@pytest.mark.parametrize("key", DOC_KEYS)
def test_article_20_condition_stops_the_request(changes: dict[str, Any], label: str, condition: str, key: str) -> None:
    (msg,) = problems_of(with_changes("pmc", **changes), key)
    assert msg.startswith(f"【{label}】本小区已符合《湖北省物业管理条例》第二十条")
    assert condition in msg
    assert "应由街道办事处组织召开首次业主大会会议、选举产生业主委员会，不能成立物业管理委员会，本请示不予起草" in msg


def test_each_condition_on_its_edge() -> None:
    move_in, on = date(2024, 5, 12), date(2026, 5, 11)
    # one day short of two years, or one household short of 20%: no condition holds
    assert first_assembly_grounds(1000, 499.9, 100, 49, move_in, 99, on) == []
    assert first_assembly_grounds(1000, 100, 100, 40, date(2024, 5, 11), 19, on) == []
    assert len(first_assembly_grounds(1000, 500, 100, 50, date(2024, 5, 11), 20, on)) == 3


def test_several_conditions_are_all_named() -> None:
    (msg,) = problems_of(with_changes("pmc", delivered_floor_area=100000, delivered_units=900), "pmc-founding-request")
    assert "条件一" in msg and "条件二" in msg and "条件三" not in msg


@pytest.mark.parametrize(("changes", "field", "message"), [
    ({"delivered_floor_area": 200000}, "已交付的房屋专有部分面积（平方米）",
     "已交付面积（200000 平方米）应在 0 到建筑物总面积（186400 平方米）之间"),
    ({"delivered_units": 1700}, "已交付套数", "已交付套数（1700）应在 0 到总套数（1620）之间"),
    ({"occupied_units": 541}, "已入住户数", "已入住户数（541）应在 1 到已交付套数（540）之间"),
    ({"first_move_in_date": date(2026, 6, 1)}, "首位业主入住日期",
     "首位业主入住日期（2026年6月1日）不能晚于请示日期（2026年5月11日）"),
])
def test_impossible_figures_are_refused(changes: dict[str, Any], field: str, message: str) -> None:
    assert problems_of(with_changes("pmc", **changes), "pmc-founding-request") == [f"【{field}】{message}"]


# -- members -----------------------------------------------------------------------------------


def test_at_least_one_owner_representative() -> None:
    msgs = problems_of(with_changes("pmc", owner_reps_text="  \n"), "pmc-founding-request")
    assert "【业主代表（每行一名）】必须填写" in msgs


def test_owner_representatives_are_names_without_repeats() -> None:
    (msg,) = problems_of(with_changes("pmc", owner_reps_text="陈国栋\n陈国栋\n"), "pmc-founding-request")
    assert msg == "【业主代表（每行一名）】陈国栋 重复列出"
    (msg,) = problems_of(with_changes("pmc", owner_reps_text="陈国栋\n彭志华\n"), "pmc-founding-request")
    assert msg == "【业主代表（每行一名）】彭志华 已列为主任或开发建设单位代表，不能同时作为业主代表"


def test_one_owner_representative_is_enough() -> None:
    text = build(with_changes("pmc", owner_reps_text="陈国栋"), "pmc-founding-reply").plain_text()
    assert "武汉金港置业有限公司彭志华同志；业主代表陈国栋同志。" in text


def test_reply_before_request_is_refused() -> None:
    (msg,) = problems_of(with_changes("pmc", pmc_reply_date=date(2026, 5, 10)), "pmc-founding-reply")
    assert msg == "【批复成文日期】批复日期（2026年5月10日）不能早于请示日期（2026年5月11日）"


@pytest.mark.parametrize(("key", "changes", "says"), [
    ("pmc-founding-request", {"delivered_floor_area": 100000}, "（条件一：百分之五十）"),
    ("pmc-founding-request", {"delivered_units": 900}, "（条件二：百分之五十）"),
    ("pmc-founding-reply", {"first_move_in_date": date(2024, 1, 2), "occupied_units": 400}, "（条件三：满两年且百分之二十）"),
    ("pmc-founding-request", {"owner_reps_text": "陈国栋、陈国栋"}, "陈国栋 重复列出"),
    ("pmc-founding-reply", {"pmc_reply_date": date(2026, 5, 1)}, "不能早于请示日期"),
])
def test_cli_refusal_writes_nothing(cli, home: Path, tmp_path: Path, key: str, changes: dict[str, Any],  # noqa: ANN001
                                    says: str) -> None:
    answers = tmp_path / "answers.yaml"
    answers.write_text(yaml.safe_dump(with_changes("pmc", **changes), allow_unicode=True), encoding="utf-8")
    result = cli("make", key, "--answers", answers)
    assert result.exit_code == 2
    assert says in result.output and "Traceback" not in result.output
    assert not home.exists() or not list(home.rglob("record.json"))
