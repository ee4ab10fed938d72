"""示范文本9 (resident-matter): the 登记表 for each lifecycle stage, the quarterly 公示, the
rules and their messages, the SQLite register's lifecycle, and privacy in public output.

Rendering tests are named ``test_render_*`` (deselect with ``-k "not render"``)."""

from __future__ import annotations

import json
import sqlite3
from collections import Counter
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from sanfang_docs.api import Sanfang
from sanfang_docs.documents import expected_text, layout_items, render_docx, render_pdf
from sanfang_docs.documents.model import Document
from sanfang_docs.errors import NotFoundError, ValidationError
from sanfang_docs.interview import load
from sanfang_docs.interview.drive import run
from sanfang_docs.registers.matters import DB_NAME
from sanfang_docs.rules import matters as rm
from tests import pdfcheck
from tests.conftest import EXAMPLES, example

INTERVIEW = "resident-matter"
FORM, NOTICE = "resident-matter-form", "resident-matter-register"
DOC_KEYS = list(load(INTERVIEW).metadata["documents"])
BRANCHES = sorted(p.stem for p in (EXAMPLES / INTERVIEW).glob("*.yaml"))


def build(answers: dict[str, Any], key: str, preset: dict[str, Any] | None = None) -> Document:
    return run(load(INTERVIEW), answers, preset={"doc_key": key, **(preset or {})}).documents[0]


def problem_of(answers: dict[str, Any], key: str = FORM) -> tuple[str, str]:
    """(field label, message) of the one broken rule."""
    with pytest.raises(ValidationError) as info:
        build(answers, key)
    problems = [p for p in info.value.problems if p.rule == "validation"]
    assert len(problems) == 1, info.value.problems
    return problems[0].field, problems[0].message


def changed(branch: str, **changes: Any) -> dict[str, Any]:
    return {**example(INTERVIEW, branch), **changes}


# -- every branch, every document ---------------------------------------------------------------

EXPECTED = {
    "registered": {
        FORM: ["登记编号：__________（归档时编号）", "登记日期：2026年9月28日", "3栋2单元501室", "13807151234",
               "√ 公共设施（电梯、楼道、健身器材等）", "□已受理 日期：____年__月__日", "□处理中 负责人：__________",
               "□满意　□一般　□不满意（需说明原因）：__________", "本件最晚2026年10月8日", "由物业/业委会填写",
               "提交方式 物业办公室填写"],
        NOTICE: ["江南花山郡小区2026年第三季度实事公示", "共5件（含以前季度结转未办结的1件）",
                 "已受理待指定责任人1件，待受理1件", "其中满意1件、一般1件",
                 "SS2026-0018（6月22日，上季度结转） 刘**（7栋）", "SS2026-0047（9月28日） 张**（3栋） 3栋2单元电梯频繁停运（公共设施） 待受理",
                 "公示时间：2026年10月12日至2026年10月16日（5个工作日）", "联系电话：027-81811234"],
    },
    "accepted-overdue": {
        FORM: ["√ 物业管理委员会问题", "√已受理 日期：2026年8月24日；逾期受理原因：8月17日至21日", "□处理中",
               "欧阳明远", "12栋1803室", "oymy_1985", "由物业/物管会填写", "线上提交（微信群/小程序/邮箱）"],
        NOTICE: ["欧阳**（12栋）", "物管会公共收益收支未按季度公示（物业管理委员会） 已受理，待指定责任人",
                 "社区居民委员会、物业管理委员会、物业服务企业"],
    },
    "in-progress": {
        FORM: ["√已受理 日期：2026年9月8日", "√处理中 负责人：孙海涛（物业秩序维护部）（2026年9月9日起）",
               "□已解决 日期：____年__月__日", "zhaowenjing@163.com", "联系方式（邮箱）",
               "三方联席会议（小区党组织）办公室填写"],
        NOTICE: ["处理中2件", "SS2026-0011（6月18日，上季度结转） 钱**（2号楼）", "业主回访：不满意",
                 "公示时间：2026年10月13日至2026年10月21日（7个工作日）"],
    },
    "resolved": {
        FORM: ["√ 其他：宠物管理", "其他：社区网格员上门走访登记",
               "√已解决 日期：2026年8月12日", "设置文明养犬提示牌6块", "□满意　□一般　□不满意"],
        NOTICE: ["小区内遛狗不牵绳（宠物管理） 已解决（8月12日），责任人郑国强", "；待回访", "已解决1件。"],
    },
    "closed-satisfied": {
        FORM: ["√满意　□一般　□不满意（回访日期：2026年7月15日）", "提交方式 业委会办公室填写"],
        NOTICE: ["江南花山郡小区2026年第三季度实事公示", "业主回访：满意"],
    },
    "closed-dissatisfied": {
        FORM: ["□满意　□一般　√不满意（回访日期：2026年8月25日）；不满意的原因：约谈后一周内仍有两次晚间施工",
               "√ 邻里纠纷"],
        NOTICE: ["已回访1件，其中不满意1件"],
    },
}

NOT_EXPECTED = {
    "registered": {FORM: ["√已受理", "逾期受理原因", "物业管理委员会"], NOTICE: ["张桂兰", "501", "13807151234"]},
    "accepted-overdue": {FORM: ["业主委员会问题", "业委会"], NOTICE: ["欧阳明远", "1803", "oymy_1985", "业主委员会、"]},
    "in-progress": {FORM: ["√已解决", "逾期受理原因"], NOTICE: ["赵文静", "302室", "zhaowenjing"]},
    "resolved": {FORM: ["√满意", "√不满意"], NOTICE: ["陈秀英", "602", "87803456"]},
    "closed-satisfied": {FORM: ["√不满意", "不满意的原因"], NOTICE: ["刘志华", "1102", "15927083366"]},
    "closed-dissatisfied": {FORM: ["√满意"], NOTICE: ["冯立新", "701室", "18971526688"]},
}


def test_every_branch_has_an_example() -> None:
    assert sorted(EXPECTED) == BRANCHES


@pytest.mark.parametrize("branch", BRANCHES)
@pytest.mark.parametrize("key", DOC_KEYS)
def test_every_document_reads_right_for_its_branch(branch: str, key: str) -> None:
    doc = build(example(INTERVIEW, branch), key)
    text = doc.plain_text()
    for phrase in EXPECTED[branch][key]:
        assert phrase in text, f"{branch}/{key}: {phrase}"
    for phrase in NOT_EXPECTED[branch][key]:
        assert phrase not in text, f"{branch}/{key} should not say {phrase}"
    assert doc.issuer and doc.doc_date
    assert (doc.kind, doc.style) == (("登记表", "form") if key == FORM else ("公示", "notice"))


def test_form_is_dated_by_registration_and_signed_by_the_registering_office() -> None:
    doc = build(example(INTERVIEW, "closed-satisfied"), FORM)
    assert (doc.doc_date, doc.issuer, doc.issuer_role) == ("2026-06-22", "江南花山郡小区业主委员会", "owners")
    doc = build(example(INTERVIEW, "registered"), FORM)
    assert (doc.issuer, doc.issuer_role) == ("江南花山郡小区物业服务中心", "property")
    assert build(example(INTERVIEW, "registered"), NOTICE).doc_date == "2026-10-12"


def test_empty_quarter_says_so() -> None:
    text = build(changed("registered", register_text="无"), NOTICE).plain_text()
    assert "本季度未收到居民登记的实事，以前季度登记的实事均已办结。" in text
    assert "登记编号（登记日期）" not in text


def test_preset_rows_replace_the_typed_list_and_are_masked_again() -> None:
    rows = [{"no": "X-1", "registered": "2026-07-02", "resident": "王建华", "building": "8栋3单元1201",
             "category": "公共设施", "title": "请回电 13912345678", "status": "处理中", "handler": "李建国"}]
    text = build(example(INTERVIEW, "registered"), NOTICE, {"register_rows": rows}).plain_text()
    assert "王**（8栋） 请回电 ***（公共设施） 处理中，责任人李建国" in text
    assert "王建华" not in text and "1201" not in text and "13912345678" not in text
    assert "张**" not in text  # the typed list was not used


# -- the rules and their messages ---------------------------------------------------------------

FORM_RULES = [
    ({"building": "3号"}, "楼栋", "楼栋请写成“3栋”“5号楼”或“A幢”"),
    ({"contact": "1380715123"}, "联系方式", "手机号应为 11 位数字"),
    ({"contact_kind": "wechat", "contact": "张桂兰"}, "联系方式", "微信号为 6～20 位字母"),
    ({"contact_kind": "email", "contact": "zhang@"}, "联系方式", "邮箱格式不正确"),
    ({"matter_title": "电梯停运请回电13807151234"}, "问题/建议标题", "不能包含手机号、电话、微信号、邮箱等联系方式"),
    ({"matter_title": "501室楼上漏水"}, "问题/建议标题", "不要写房间号（501）"),
]


@pytest.mark.parametrize(("change", "field", "message"), FORM_RULES, ids=[str(c) for c, _, _ in FORM_RULES])
def test_form_rules(change: dict[str, Any], field: str, message: str) -> None:
    got_field, got = problem_of(changed("registered", **change))
    assert got_field == field and message in got, got


LIFECYCLE_RULES = [
    ("in-progress", {"accept_date": "2026-09-04"}, "受理日期",
     "受理日期（2026年9月4日）不能早于登记日期（2026年9月7日）"),
    ("in-progress", {"accept_date": "2026-09-11"}, "受理日期",
     "应在登记后 3 个工作日内受理：2026年9月7日登记，最晚2026年9月10日受理，2026年9月11日受理已逾期；确已逾期的，请填写逾期受理原因"),
    ("accepted-overdue", {"overdue_reason": " "}, "受理日期", "最晚2026年8月19日受理，2026年8月24日受理已逾期"),
    ("in-progress", {"assign_date": "2026-09-07"}, "指定负责人日期",
     "指定负责人日期（2026年9月7日）不能早于受理日期（2026年9月8日）"),
    ("resolved", {"resolve_date": "2026-07-21"}, "办结日期", "办结日期（2026年7月21日）不能早于指定负责人日期（2026年7月22日）"),
    ("resolved", {"outcome": "已电话告知业主（027-87803456）"}, "处理结果反馈", "处理结果会在季度实事公示中公开，不能包含"),
    ("closed-satisfied", {"rate_date": "2026-07-09"}, "回访日期", "回访日期（2026年7月9日）不能早于办结日期（2026年7月10日）"),
    ("closed-dissatisfied", {"dissatisfaction_reason": ""}, "不满意的原因", "业主回访“不满意”的，须说明原因"),
]


@pytest.mark.parametrize(("branch", "change", "field", "message"), LIFECYCLE_RULES,
                         ids=[f"{b}-{next(iter(c))}" for b, c, _, _ in LIFECYCLE_RULES])
def test_lifecycle_rules_in_the_form(branch: str, change: dict[str, Any], field: str, message: str) -> None:
    got_field, got = problem_of(changed(branch, **change))
    assert got_field == field and message in got, got


def test_acceptance_window_skips_the_national_day_holiday() -> None:
    # Registered Monday 28 September 2026: 30 September, then 1–7 October are holidays.
    assert rm.accept_deadline(date(2026, 9, 28)) == date(2026, 10, 8)
    build(changed("registered", matter_stage="accepted", accept_date="2026-10-08"), FORM)
    field, message = problem_of(changed("registered", matter_stage="accepted", accept_date="2026-10-09"))
    assert field == "受理日期" and "最晚2026年10月8日受理" in message


ROW = "SS2026-0099｜2026-07-02｜王建华｜8栋｜公共设施｜单元门禁失灵｜{}"
NOTICE_RULES = [
    ({"register_text": "SS2026-0099｜2026-07-02｜王建华"}, "实事清单", "第 1 行应写成“登记编号｜登记日期｜反映人"),
    ({"register_text": ROW.format("办理中")}, "实事清单", "办理状态只能是：已登记、已受理、处理中、已解决；收到“办理中”"),
    ({"register_text": ROW.format("处理中")}, "实事清单", "第 1 行（SS2026-0099）：“处理中”的事项须写明责任人"),
    ({"register_text": ROW.format("已解决｜李建国")}, "实事清单", "“已解决”的事项须写明办结日期和处理结果"),
    ({"register_text": ROW.format("已受理｜｜｜｜满意")}, "实事清单", "未解决的事项不填办结日期和满意度"),
    ({"register_text": ROW.replace("2026-07-02", "2026-10-02").format("已登记")}, "实事清单",
     "登记日期（2026年10月2日）晚于本季度末（2026年9月30日），不列入本季度公示"),
    ({"register_text": ROW.replace("2026-07-02", "2026-05-06").format("已解决｜李建国｜2026-06-01｜已修复")},
     "实事清单", "该事项已于2026年6月1日办结，属于以前季度，不再列入本季度公示"),
    ({"register_text": ROW.format("已登记") + "\n" + ROW.format("已登记")}, "实事清单", "第 2 行：登记编号 SS2026-0099 重复"),
    ({"register_text": ROW.replace("单元门禁失灵", "门禁失灵 微信：wxid_abc123").format("已登记")}, "实事清单",
     "问题标题会在季度实事公示中公开"),
    ({"register_text": ROW.format("已解决｜李建国｜2026-07-20｜已修复｜基本满意")}, "实事清单", "满意度只能是：满意、一般、不满意"),
    ({"notice_start_date": "2026-09-30"}, "公示开始日期", "2026年第三季度的实事公示应在季度结束（2026年9月30日）之后发布"),
    ({"notice_days": 4}, "公示工作日数", "公示时间不少于 5 个工作日，现为 4 个"),
    ({"office_phone": "电话八七九五"}, "联系电话", "联系电话只能包含数字和连字符"),
]


@pytest.mark.parametrize(("change", "field", "message"), NOTICE_RULES, ids=[str(i) for i in range(len(NOTICE_RULES))])
def test_notice_rules(change: dict[str, Any], field: str, message: str) -> None:
    got_field, got = problem_of(changed("registered", **change), NOTICE)
    assert got_field == field and message in got, got


def test_masking() -> None:
    assert [rm.mask_name(n) for n in ("张桂兰", "欧阳明远", "王五", "张先生", "李**")] == \
        ["张**", "欧阳**", "王**", "张先生", "李**"]
    assert [rm.public_building(b) for b in ("3栋2单元501", "5号楼", "A幢", "3-2-501", "南区501")] == \
        ["3栋", "5号楼", "A幢", "3栋", ""]
    assert rm.redact_contacts("电话 027-87951234，手机13807151234，邮箱 a.b@163.com") == "电话 ***，手机***，邮箱 ***"


# -- the register (SQLite) and its lifecycle ----------------------------------------------------

def refused(call: Any, field: str, message: str) -> None:
    with pytest.raises(ValidationError) as info:
        call()
    (p,) = info.value.problems
    assert p.field == field and message in p.message, p


def events(home: Path) -> int:
    with sqlite3.connect(home / DB_NAME) as conn:
        return conn.execute("SELECT COUNT(*) FROM events").fetchone()[0]


def test_lifecycle_steps_and_refusals(app: Sanfang, home: Path) -> None:
    no = app.matter_add(example(INTERVIEW, "registered")).no
    assert no == "SS2026-0001" and app.matter_get(no).on().label == "已登记"
    steps = [
        (lambda: app.matter_resolve(no, "已修复", "2026-10-08"), "处理状态", f"实事 {no} 尚未受理，不能办结"),
        (lambda: app.matter_assign(no, "李建国", "2026-10-08"), "处理状态", f"实事 {no} 尚未受理，不能指定负责人"),
        (lambda: app.matter_rate(no, "满意", "2026-10-08"), "处理状态", f"实事 {no} 尚未解决（当前状态：已登记），不能回访评价"),
        (lambda: app.matter_accept(no, "2026-09-27"), "受理日期", "不能早于登记日期（2026年9月28日）"),
        (lambda: app.matter_accept(no, "2026-10-09"), "受理日期", "最晚2026年10月8日受理，2026年10月9日受理已逾期；确已逾期的，请写明逾期受理原因（--overdue-reason）"),
        (lambda: app.matter_accept(no, "2026年10月"), "日期", "“2026年10月”不是日期"),
    ]
    for call, field, message in steps:
        refused(call, field, message)
    assert events(home) == 0  # nothing was written by any refusal
    app.matter_accept(no, "2026-10-08")
    refused(lambda: app.matter_accept(no, "2026-10-08"), "处理状态", f"实事 {no} 已经受理（当前状态：已受理），不能重复受理")
    refused(lambda: app.matter_resolve(no, "已修复", "2026-10-09"), "处理状态", "尚未指定负责人，不能直接办结")
    refused(lambda: app.matter_assign(no, "  ", "2026-10-09"), "负责人", "转为“处理中”须指定负责人")
    refused(lambda: app.matter_assign(no, "李建国", "2026-10-07"), "指定负责人日期", "不能早于受理日期（2026年10月8日）")
    assert app.matter_assign(no, "李建国", "2026-10-09").on().label == "处理中"
    assert app.matter_assign(no, "王强（物业工程部）", "2026-10-10").on().handler == "王强（物业工程部）"
    refused(lambda: app.matter_resolve(no, "", "2026-10-20"), "处理结果", "办结（已解决）须填写处理结果")
    refused(lambda: app.matter_resolve(no, "已回电 13807151234", "2026-10-20"), "处理结果", "不能包含手机号")
    refused(lambda: app.matter_resolve(no, "已修复", "2026-10-09"), "办结日期", "不能早于指定负责人日期（2026年10月10日）")
    app.matter_resolve(no, "更换曳引机钢丝绳，电梯恢复正常运行", "2026-10-20")
    refused(lambda: app.matter_resolve(no, "再修", "2026-10-21"), "处理状态", "已于2026年10月20日解决，不能重复办结")
    refused(lambda: app.matter_assign(no, "李建国", "2026-10-21"), "处理状态", "尚待业主回访；回访不满意的，才可重新指定负责人办理")
    refused(lambda: app.matter_rate(no, "基本满意", "2026-10-22"), "满意度", "业主回访满意度只能是：满意、一般、不满意；收到“基本满意”")
    refused(lambda: app.matter_rate(no, "不满意", "2026-10-22"), "不满意的原因", "须说明原因")
    refused(lambda: app.matter_rate(no, "满意", "2026-10-19"), "回访日期", "不能早于办结日期（2026年10月20日）")
    assert app.matter_rate(no, "不满意", "2026-10-22", "仍偶有停运").on().label == "已回访（不满意）"
    refused(lambda: app.matter_rate(no, "满意", "2026-10-23"), "处理状态", "已回访（不满意），不能重复评价")
    reopened = app.matter_assign(no, "李建国", "2026-10-23")  # 回访不满意：重新办理
    assert (reopened.on().label, reopened.on().resolved) == ("处理中", None)
    assert events(home) == 6
    with pytest.raises(NotFoundError, match="没有登记编号为 SS2026-9999 的实事"):
        app.matter_accept("SS2026-9999")


def test_late_acceptance_needs_a_reason_which_is_kept(app: Sanfang) -> None:
    no = app.matter_add(example(INTERVIEW, "registered")).no
    matter = app.matter_accept(no, "2026-10-12", overdue_reason="国庆假期后积压")
    assert matter.events[0].reason == "国庆假期后积压"


def test_numbers_are_allocated_per_year_and_never_reused(app: Sanfang, home: Path) -> None:
    nos = [app.matter_add(example(INTERVIEW, b)).no for b in ("registered", "resolved", "closed-satisfied")]
    assert nos == ["SS2026-0001", "SS2026-0002", "SS2026-0003"]
    answers = changed("registered", matter_no="SS2026-0002")
    refused(lambda: app.matter_add(answers), "登记编号", "登记编号 SS2026-0002 已被占用（2026年7月20日登记：小区内遛狗不牵绳）")
    assert len(app.matter_list()) == 3
    assert app.matter_add(changed("registered", matter_no="纸坊〔2026〕7号")).no == "纸坊〔2026〕7号"


def test_register_keeps_each_step_from_the_form(app: Sanfang) -> None:
    m = app.matter_add(example(INTERVIEW, "closed-dissatisfied"))
    assert [(e.action, e.day.isoformat()) for e in m.events] == [
        ("accept", "2026-08-04"), ("assign", "2026-08-04"), ("resolve", "2026-08-18"), ("rate", "2026-08-25")]
    assert m.on().satisfaction == "不满意" and m.events[-1].reason.startswith("约谈后一周内")
    assert (m.compound, m.room_full, m.contact, m.category_public) == ("藏龙御景", "4号楼2单元701室", "18971526688", "邻里纠纷")


def test_quarter_scope_and_status_at_quarter_end(app: Sanfang) -> None:
    old = app.matter_add(changed("closed-satisfied", reg_date="2026-05-06", accept_date="2026-05-07",
                                 assign_date="2026-05-08", resolve_date="2026-06-10", rate_date="2026-06-12")).no
    carried = app.matter_add(example(INTERVIEW, "closed-satisfied")).no  # 6月22日登记，7月10日办结
    late = app.matter_add(example(INTERVIEW, "registered")).no  # 9月28日登记
    app.matter_accept(late, "2026-10-08")  # after the quarter: not in its 公示
    q3 = [m.no for m in app.matter_list("江南花山郡", "2026Q3")]
    assert q3 == [carried, late]
    assert [m.no for m in app.matter_list("江南花山郡", "2026Q2")] == [old, carried]
    assert [m.no for m in app.matter_list("江南花山郡", "2026Q4")] == [late]
    assert app.matter_list("藏龙御景") == []
    rows = app.matter_register.public_rows("江南花山郡", 2026, 3)
    assert [r["status"] for r in rows] == ["已解决", "已登记"]
    q2 = app.matter_register.public_rows("江南花山郡", 2026, 2)
    assert q2[1]["status"] == "处理中" and q2[1]["satisfaction"] == ""  # as on 30 June


def test_reading_an_empty_workspace_creates_nothing(app: Sanfang, home: Path) -> None:
    assert app.matter_list() == [] and app.matter_list(quarter="2026Q3") == []
    assert not (home / DB_NAME).exists()


# -- filing through the API and the CLI ----------------------------------------------------------

def test_filing_the_form_registers_the_matter_with_its_number(app: Sanfang) -> None:
    made = app.make(FORM, example(INTERVIEW, "registered"))
    assert made.record is not None and "登记编号：SS2026-0001" in made.document.plain_text()
    (matter,) = app.matter_list()
    assert (matter.no, matter.archive_no) == ("SS2026-0001", made.record.archive_no)
    # The 公示 now comes from the register, not from the answers' typed list.
    notice = app.make(NOTICE, example(INTERVIEW, "registered"), archive=False).document.plain_text()
    assert "SS2026-0001（9月28日） 张**（3栋）" in notice and "SS2026-0047" not in notice


def test_no_archive_writes_nothing(app: Sanfang, home: Path, tmp_path: Path) -> None:
    made = app.make(FORM, example(INTERVIEW, "registered"), out_dir=tmp_path / "out", archive=False)
    assert made.record is None and "登记编号：__________（归档时编号）" in made.document.plain_text()
    assert not home.exists()


@pytest.mark.parametrize(("key", "change", "message"), [
    (FORM, {"contact": "12345"}, "【联系方式】（contact）手机号应为 11 位数字"),
    (FORM, {"matter_stage": "accepted", "accept_date": "2026-10-12"}, "【受理日期】（accept_date）应在登记后 3 个工作日内受理"),
    (NOTICE, {"notice_days": 3}, "【公示工作日数】（notice_days）公示时间不少于 5 个工作日，现为 3 个"),
])
def test_cli_make_refuses_and_writes_nothing(cli: Any, home: Path, tmp_path: Path, key: str,
                                             change: dict[str, Any], message: str) -> None:
    answers = tmp_path / "answers.json"
    answers.write_text(json.dumps(changed("registered", **change), default=str, ensure_ascii=False), encoding="utf-8")
    result = cli("make", key, "--answers", answers)
    assert result.exit_code == 2 and message in result.output
    assert not home.exists()  # no archive, no register


def test_cli_matter_commands(cli: Any, home: Path) -> None:
    answers = EXAMPLES / INTERVIEW / "registered.yaml"
    assert "已登记：SS2026-0001 3栋2单元电梯频繁停运（已登记）" in cli("matter", "add", "--answers", answers).output
    late = cli("matter", "accept", "SS2026-0001", "--date", "2026-10-09")
    assert late.exit_code == 2 and "未受理，登记簿未改动" in late.output and "最晚2026年10月8日受理" in late.output
    assert cli("matter", "accept", "SS2026-0001", "--date", "2026-10-08").exit_code == 0
    assert cli("matter", "assign", "SS2026-0001", "--person", "李建国", "--date", "2026-10-09").exit_code == 0
    assert cli("matter", "resolve", "SS2026-0001", "--outcome", "已修复", "--date", "2026-10-15").exit_code == 0
    bad = cli("matter", "rate", "SS2026-0001", "--satisfaction", "不满意", "--date", "2026-10-16")
    assert bad.exit_code == 2 and "【不满意的原因】业主回访“不满意”的，须说明原因" in bad.output
    assert cli("matter", "rate", "SS2026-0001", "--satisfaction", "满意", "--date", "2026-10-16").exit_code == 0
    listed = cli("matter", "list", "--compound", "江南花山郡", "--quarter", "2026Q4", "--json")
    (row,) = json.loads(listed.stdout)
    assert row["状态"] == "已回访（满意）" and "13807151234" not in listed.stdout and "501" not in listed.stdout
    shown = cli("matter", "show", "SS2026-0001").output
    assert "联系方式：13807151234（手机/电话）" in shown and "2026-10-15 办结（处理结果：已修复）" in shown
    assert cli("matter", "list", "--quarter", "2026第三季度").exit_code == 1
    assert cli("matter", "accept", "SS2026-0404").exit_code == 4


def test_a_step_entered_by_mistake_is_withdrawn_with_its_reason_and_entered_again(cli: Any, home: Path) -> None:
    answers = EXAMPLES / INTERVIEW / "registered.yaml"
    added = cli("matter", "add", "--answers", answers, "--date", "2026-09-29")
    assert added.exit_code == 0, added.output
    assert cli("matter", "accept", "SS2026-0001", "--date", "2026-09-30").exit_code == 0
    assert cli("matter", "assign", "SS2026-0001", "--person", "张三", "--date", "2026-10-09").exit_code == 0
    wrong = cli("matter", "correct", "SS2026-0001", "--reason", "")
    assert wrong.exit_code == 2 and "撤销一个步骤须写明原因" in wrong.output
    fixed = cli("matter", "correct", "SS2026-0001", "--reason", "负责人录错，应为李建国")
    assert fixed.exit_code == 0 and "已撤销最近一步：SS2026-0001" in fixed.output and "（已受理）" in fixed.output
    assert cli("matter", "assign", "SS2026-0001", "--person", "李建国", "--date", "2026-10-09").exit_code == 0
    shown = cli("matter", "show", "SS2026-0001").output
    assert "登记日期：2026-09-29" in shown
    assert "2026-10-09 指定负责人（负责人：张三）  〔已撤销：负责人录错，应为李建国〕" in shown
    assert "2026-10-09 指定负责人（负责人：李建国）\n" in shown
    assert cli("matter", "correct", "SS2026-0001", "--reason", "x").exit_code == 0
    assert cli("matter", "correct", "SS2026-0001", "--reason", "x").exit_code == 0
    none_left = cli("matter", "correct", "SS2026-0001", "--reason", "x")
    assert none_left.exit_code == 2 and "还没有可撤销的步骤" in none_left.output


# -- privacy: nothing from any registered matter identifies a household in the 公示 ---------------

def test_render_notice_from_register_has_no_contact_details(app: Sanfang, tmp_path: Path) -> None:
    matters = [app.matter_add(example(INTERVIEW, b)) for b in BRANCHES]
    # One more, with a compound surname (司马**) and a four-digit room.
    matters.append(app.matter_add(changed("registered", reg_date="2026-08-03", resident_name="司马光明",
                                          contact="18607150000", room="1606")))
    secret = {m.no: [m.contact, m.room_full, m.room + "室", m.resident, m.details[:12]] for m in matters}
    answers_for = {m.compound: example(INTERVIEW, b) for m, b in zip(matters, [*BRANCHES, "registered"], strict=True)}
    for n, (compound, answers) in enumerate(sorted(answers_for.items())):
        archive = n == 0  # one filed record is enough to check what the archive keeps
        made = app.make(NOTICE, answers, out_dir=tmp_path / compound, archive=archive)
        texts = {"pdf": pdfcheck.text(made.paths["pdf"]), "docx": pdfcheck.docx_text(made.paths["docx"]),
                 "answers": json.dumps(made.answers, ensure_ascii=False), "text": made.document.plain_text()}
        if archive:
            assert made.record is not None
            for name in ("record.json", "answers.json"):
                texts[name] = (made.record.path / name).read_text(encoding="utf-8")
        listed = [m for m in matters if m.compound == compound]
        assert listed
        for m in listed:
            assert f"{m.no}（" in texts["docx"] and rm.mask_name(m.resident) in texts["docx"]
            for where, text in texts.items():
                flat = pdfcheck.squash(text).replace("-", "")
                for value in secret[m.no]:
                    assert pdfcheck.squash(value).replace("-", "") not in flat, f"{m.no}: {value} in the 公示's {where}"
    assert "司马**（3栋）" in app.make(NOTICE, answers_for["江南花山郡"], archive=False).document.plain_text()


# -- rendering: every document of every example, PDF and DOCX -----------------------------------

def assert_pdf_text(pdf: bytes, doc: Document) -> None:
    """The PDF prints the model's words. Table cells wrap over several lines and a table's header
    repeats on each page, so line-by-line extraction is compared as paragraphs in order plus the
    same characters overall (less repeated headers)."""
    got = pdfcheck.squash(pdfcheck.text(pdf))
    want = pdfcheck.squash(expected_text(doc))
    extra, missing = Counter(got) - Counter(want), Counter(want) - Counter(got)
    assert not missing, f"missing from the PDF: {missing}"
    for item in layout_items(doc):
        if item["t"] == "table":
            header = Counter(pdfcheck.squash("".join(item["rows"][0])))
            while header and not header - extra:
                extra -= header
    assert not extra, f"extra in the PDF: {extra}"
    pos = 0
    for item in layout_items(doc):
        if item["t"] == "par":
            line = pdfcheck.squash("".join(r["text"] for r in item["runs"]))
            found = got.find(line, pos)
            assert found >= 0, line
            pos = found + len(line)


@pytest.mark.parametrize("branch", BRANCHES)
def test_render_every_document(branch: str) -> None:
    for key in DOC_KEYS:
        doc = build(example(INTERVIEW, branch), key)
        pdf, docx = render_pdf(doc), render_docx(doc)
        assert pdf.startswith(b"%PDF") and pdfcheck.page_count(pdf) <= 3
        assert pdfcheck.squash(pdfcheck.docx_text(docx)) == pdfcheck.squash(expected_text(doc))
        assert_pdf_text(pdf, doc)


def test_filed_form_keeps_contact_details_out_of_search(app) -> None:  # noqa: ANN001
    """The 登记表 prints the resident's phone (the form needs it), but its archived text — what
    search indexes and shows in snippets — does not carry it."""
    answers = example("resident-matter", "registered")
    made = app.make("resident-matter-form", answers)
    assert made.record is not None
    assert "13807151234" in made.document.plain_text()
    assert made.record.meta["personal"] is True
    assert "13807151234" not in made.record.meta["text"]
    assert "13807151234" not in (made.record.path / "record.json").read_text(encoding="utf-8")
    assert app.search("13807151234").total == 0
