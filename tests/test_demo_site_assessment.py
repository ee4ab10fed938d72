"""示范文本13 (demo-site-assessment): 18 indicators met / not met with notes and 档号 evidence,
业主委员会 vs 物业管理委员会, 社区自评 vs 街道评估, the rules and their messages."""

from __future__ import annotations

import json
from functools import partial
from pathlib import Path
from typing import Any

import pytest

from sanfang_docs.api import Sanfang
from sanfang_docs.documents import render_docx, render_pdf
from sanfang_docs.documents.model import Document
from sanfang_docs.interview import load
from sanfang_docs.interview.drive import run
from sanfang_docs.rules import scoring as rules_scoring
from tests import kit
from tests.conftest import example
from tests.test_rules_documents import all_files, assert_prints, write_answers

INTERVIEW = KEY = "demo-site-assessment"
OWNERS, PMC = "owners-committee-all-met", "property-management-committee-unmet"
BRANCHES = [OWNERS, PMC]


def build(answers: dict[str, Any]) -> Document:
    return run(load(INTERVIEW), answers, preset={"doc_key": KEY}).documents[0]


problems_of = partial(kit.problems, INTERVIEW)


def changed(branch: str, **changes: Any) -> dict[str, Any]:
    return {**example(INTERVIEW, branch), **changes}


def indicator_table(doc: Document) -> list[list[str]]:
    return next(b.rows for b in doc.blocks if b.kind == "table")


def test_eighteen_indicators_in_six_types() -> None:
    inds = rules_scoring.demo_site_indicators()
    assert [int(i["number"]) for i in inds] == list(range(1, 19))
    types = list(dict.fromkeys(i["type"] for i in inds))
    assert types == ["组织体系", "联动机制", "工作制度", "解决问题", "议事平台", "工作成效"]
    assert inds[17]["text"] == "市级以上主流媒体对小区治理工作进行正面宣传，无负面新闻报道。"


def test_one_screen_per_indicator_type() -> None:
    outcome = run(load(INTERVIEW), example(INTERVIEW, OWNERS), preset={"doc_key": KEY})
    indicator_screens = [s for s in outcome.screens if s[0].startswith("indicator_")]
    assert [len(s) for s in indicator_screens] == [12, 9, 9, 9, 9, 6]  # 3 answers per indicator
    assert sorted(v for s in indicator_screens for v in s if v.startswith("indicator_") and v[10:].isdigit()) \
        == sorted(f"indicator_{n}" for n in range(1, 19))


def test_all_met_community_self_assessment() -> None:
    doc = build(example(INTERVIEW, OWNERS))
    text = doc.plain_text()
    assert doc.title == "江南花山郡小区“三方联动”示范点创建评估表"
    assert (doc.kind, doc.style, doc.issuer, doc.issuer_role) == ("评估表", "scoresheet", "中共文化路社区委员会", "community")
    assert "小区业主组织：江南花山郡小区业主委员会" in text
    assert "评估结论：18项指标全部达标，江南花山郡小区达到“三方联动”示范点创建评估参考标准。" in text
    rows = indicator_table(doc)
    assert rows[0] == ["序号", "指标类型", "具体要求", "评估结果", "情况说明及佐证材料"]
    assert len(rows) == 19 and all(r[3] == "达标" for r in rows[1:])
    assert rows[3][2] == "业主委员会组织健全，遵守相关法律法规及制度，切实发挥作用。"
    assert "物业管理委员会" not in rows[3][2] and "物管会" not in text


def test_pmc_street_assessment_with_unmet_indicators() -> None:
    doc = build(example(INTERVIEW, PMC))
    text = doc.plain_text()
    assert (doc.issuer, doc.issuer_role) == ("中共藏龙岛开发区工作委员会", "street")
    assert "小区业主组织：联投龙湾小区物业管理委员会（暂不具备成立业主委员会条件，代行业主委员会职责）" in text
    rows = indicator_table(doc)
    assert rows[3][2].startswith("小区物业管理委员会由社区居民委员会、开发建设单位和业主代表组成")
    assert "代行业主委员会职责" in rows[3][2] and not rows[3][2].startswith("业主委员会组织健全")
    assert [int(r[0]) for r in rows[1:] if r[3] == "未达标"] == [1, 7, 10, 18]
    assert ("评估结论：18项指标中达标14项，未达标4项（第1、7、10、18项），联投龙湾小区暂未达到“三方联动”示范点创建评估参考标准，"
            "请对照未达标指标整改后申请复评。") in text


def test_indicator_types_printed_once_per_group() -> None:
    rows = indicator_table(build(example(INTERVIEW, OWNERS)))
    assert [r[1] for r in rows[1:]] == ["组织体系", "", "", "", "联动机制", "", "", "工作制度", "", "",
                                        "解决问题", "", "", "议事平台", "", "", "工作成效", ""]


def test_evidence_archive_numbers_are_printed() -> None:
    rows = indicator_table(build(changed(PMC, indicator_evidence_1="J001-WS·2026-Y-YZWYH-0027、J001-WS·2026-Y-SQDW-0028",
                                         indicator_evidence_10="J001-WS·2026-Y-SQDW-0018")))
    assert rows[1][4].endswith("；佐证材料档号：J001-WS·2026-Y-YZWYH-0027、J001-WS·2026-Y-SQDW-0028")
    assert rows[10][4].startswith("评议监督考核制度已印发，但本年度尚未组织评议") \
        and rows[10][4].endswith("；佐证材料档号：J001-WS·2026-Y-SQDW-0018")
    assert rows[7][4] == "2026年仅召开联席会议4次，未按月召开；请自2027年1月起每月最后一周召开并留存纪要"


def test_archive_number_format() -> None:
    parse = rules_scoring.parse_archive_nos
    assert parse("J001-WS·2026-Y-SQDW-0003") == ["J001-WS·2026-Y-SQDW-0003"]
    # the middle dot as clerks type it, lower case, and the usual separators
    assert parse("j001-ws・2026-d30-sqdw-0004，J001-WS.2026-D10-JWH-0012\nJ001-WS•2026-Y-JDDGW-0001") == [
        "J001-WS·2026-D30-SQDW-0004", "J001-WS·2026-D10-JWH-0012", "J001-WS·2026-Y-JDDGW-0001"]
    assert parse("") == [] and parse("  ") == []
    for wrong in ("J001-WS·26-Y-SQDW-0003", "J001-WS·2026-D20-SQDW-0003", "J001-WS·2026-Y-SQDW-3", "第3号"):
        with pytest.raises(ValueError, match="不是有效的档号"):
            parse(wrong)


def test_normalised_evidence_in_the_table() -> None:
    doc = build(changed(OWNERS, indicator_evidence_3="j001-ws・2026-d30-yzwyh-0004"))
    assert indicator_table(doc)[3][4] == "佐证材料档号：J001-WS·2026-D30-YZWYH-0004"


# -- rules and their messages ------------------------------------------------------------------

WRONG = [
    ({"indicator_evidence_6": "J001-WS·2026-D30-SQDW-5"},
     "【第6项 佐证材料档号】第6项指标：“J001-WS·2026-D30-SQDW-5”不是有效的档号。档号格式为“全宗号-WS·年度-保管期限-机构代码-件号”，"
     "例如 J001-WS·2026-Y-SQDW-0003；多个档号用顿号分隔"),
    ({"indicator_12": "unmet", "indicator_note_12": ""},
     "【第12项 情况说明】第12项指标未达标，请在“情况说明”中写明存在的问题和整改措施"),
    ({"indicator_9": "met", "indicator_note_9": "", "indicator_evidence_9": ""},
     "【第9项 佐证材料档号】第9项指标评为达标，请填写佐证材料的档号，或在“情况说明”中写明核查方式（如实地查看、查阅台账）"),
    ({"indicator_16": "基本达标"}, "【16. 参与主体多元，覆盖面较大。】只能从以下选项中选择：达标、未达标；收到“基本达标”"),
    ({"indicator_2": None}, "【2. 社区环境和物业管理委员会机构健全，人员配备合理，运行有序。】必须填写"),
    ({"assessor": "区委社会工作部"},
     "【这次评估以谁的名义出具？】只能从以下选项中选择：中共文化路社区委员会（社区自评）、中共纸坊街道工作委员会（街道评估）；"
     "收到“区委社会工作部”"),
    ({"assessors_text": "李建国 文化路社区党委副书记\n张伟\n"}, "【评估人员】第 2 行“张伟”应写成“姓名 单位及职务”"),
]


@pytest.mark.parametrize(("changes", "message"), WRONG, ids=[next(iter(c)) for c, _ in WRONG])
def test_wrong_answer_gets_its_message(changes: dict[str, Any], message: str) -> None:
    answers = {k: v for k, v in changed(OWNERS, **changes).items() if v is not None}
    assert problems_of(answers) == [message]


def test_pmc_indicator_three_label() -> None:
    answers = {k: v for k, v in changed(PMC, indicator_3=None).items() if v is not None}
    (msg,) = problems_of(answers)
    assert msg.startswith("【3. 小区物业管理委员会由社区居民委员会、开发建设单位和业主代表组成") and msg.endswith("】必须填写")


def test_make_with_a_bad_archive_number_writes_nothing(cli, home: Path, tmp_path: Path) -> None:  # noqa: ANN001
    bad = write_answers(tmp_path, changed(PMC, indicator_evidence_1="档案室第21号"))
    result = cli("make", KEY, "--answers", bad, "--out", tmp_path / "out")
    assert result.exit_code == 2, result.output
    assert "【第1项 佐证材料档号】（indicator_evidence_1）第1项指标：“档案室第21号”不是有效的档号" in result.output
    assert all_files(home) == [] and not (tmp_path / "out").exists()


# -- rendering ---------------------------------------------------------------------------------


@pytest.mark.parametrize("branch", BRANCHES)
def test_pdf_and_docx_print_the_form(branch: str) -> None:
    doc = build(example(INTERVIEW, branch))
    assert_prints(doc, render_pdf(doc), render_docx(doc))


# -- cited 档号 are checked against the archive (hook presets archive_index) ---------------------


def test_cited_archive_numbers_must_exist_be_in_scope_and_belong_to_the_compound(app) -> None:  # noqa: ANN001
    """15 cited 档号 once passed though 14 were not in the archive; now each one is looked up."""
    ours = app.make("branch-founding-reply", example("branch-founding", "secretary-only")).record.archive_no
    other = app.make("branch-founding-reply", example("branch-founding", "with-committee")).record.archive_no
    blank = {f"indicator_evidence_{n}": "" for n in range(1, 19)}
    notes = {f"indicator_note_{n}": "实地查看" for n in range(1, 19)}
    base = {**example(INTERVIEW, OWNERS), **blank, **notes}

    def refusal(evidence: str) -> str:
        with pytest.raises(kit.ValidationError) as info:
            app.run_interview(INTERVIEW, {**base, "indicator_evidence_1": evidence}, KEY)
        (problem,) = info.value.problems
        return problem.as_text()

    outcome = app.run_interview(INTERVIEW, {**base, "indicator_evidence_1": ours}, KEY)
    assert ours in outcome.documents[0].plain_text()
    # Looked up one by one, not copied whole: the answers keep the facts of what was cited.
    kept = outcome.session.answers_json()["archive_index"]
    assert kept == {ours: {"street": "纸坊街道", "community": "文化路社区", "compound": "江南花山郡",
                           "title": app.archive.get(ours).meta["题名"]}}
    assert "J001-WS·2030-Y-SQDW-9999 在档案中不存在" in refusal("J001-WS·2030-Y-SQDW-9999")
    assert "属于锦绣社区，不在文化路社区的范围内" in refusal(other)
    base["community_name"] = "锦绣社区"  # in scope now, but 藏龙御景's record is not 江南花山郡's
    assert "是藏龙御景小区的档案，不是江南花山郡小区的" in refusal(other)


def test_evidence_problem_rules() -> None:
    index = {"A": {"street": "纸坊街道", "community": "文化路社区", "compound": "江南花山郡", "title": "批复"},
             "B": {"street": "纸坊街道", "community": "文化路社区", "compound": "金色港湾三期", "title": "通知"},
             "C": {"street": "五里界街道", "community": "锦绣社区", "compound": "", "title": "制度"}}
    check = partial(rules_scoring.evidence_problem, index=index, compound="江南花山郡", community="文化路社区",
                    street="纸坊街道")
    assert check(["A"], assessor="community") is None
    assert "是金色港湾三期小区的档案，不是江南花山郡小区的" in check(["B"], assessor="community")
    assert "不在纸坊街道的范围内" in check(["C"], assessor="street")
    assert "在档案中不存在" in check(["D"], assessor="street")
    assert rules_scoring.evidence_problem(["D"], None, "江南花山郡", "文化路社区", "纸坊街道", "community") is None


# -- evidence named by document key (文件:doc-key), resolved to the 档号 when filed ---------------------


def _cited(answers: dict[str, Any]) -> dict[str, list[str]]:
    return {k: rules_scoring.parse_archive_nos(v) for k, v in answers.items()
            if k.startswith("indicator_evidence_") and v}


@pytest.mark.parametrize("branch", BRANCHES)
def test_examples_cite_evidence_by_document_key_not_by_number(branch: str, app) -> None:  # noqa: ANN001
    """A 档号 in an example shifts when examples are added or reordered; a document key does not."""
    cited = _cited(example(INTERVIEW, branch))
    known = {k for e in app.catalog() for k in e.documents}
    assert cited and all(ref.startswith("文件:") and ref[3:] in known for refs in cited.values() for ref in refs), cited


def test_references_resolve_in_any_filing_order_and_refuse_clearly(app) -> None:  # noqa: ANN001
    blank = {f"indicator_evidence_{n}": "" for n in range(1, 19)}
    notes = {f"indicator_note_{n}": "实地查看" for n in range(1, 19)}
    base = {**example(INTERVIEW, PMC), **blank, **notes}
    reply = app.make("instructor-reply", example("party-instructor", "property-management-committee")).record
    other = app.make("branch-founding-reply", example("branch-founding", "secretary-only")).record  # 江南花山郡
    outcome = app.run_interview(INTERVIEW, {**base, "indicator_evidence_1": "文件:instructor-reply"}, KEY)
    assert outcome.session.answers["indicator_evidence_1"] == reply.archive_no  # the record keeps the 档号
    assert indicator_table(outcome.documents[0])[1][4].endswith("佐证材料档号：" + reply.archive_no)
    with pytest.raises(kit.ValidationError) as info:  # another compound's record is not this one's
        app.run_interview(INTERVIEW, {**base, "indicator_evidence_6": "文件:branch-founding-reply"}, KEY)
    assert [p.as_text() for p in info.value.problems] == [
        "【第6项 佐证材料档号】（indicator_evidence_6）第6项指标：“文件:branch-founding-reply”：本小区没有这类已归档的文件，或不止一份，请直接填写档号"]
    assert other.archive_no not in info.value.message
    app.make("instructor-reply", example("party-instructor", "property-management-committee"))
    with pytest.raises(kit.ValidationError) as info:  # two of a kind: the clerk picks
        app.run_interview(INTERVIEW, {**base, "indicator_evidence_1": "文件:instructor-reply"}, KEY)
    assert "“文件:instructor-reply”：本小区没有这类已归档的文件，或不止一份" in info.value.message
    # Without an archive (a docassemble server) the reference is printed as written, not refused.
    assert build({**base, "indicator_evidence_1": "文件:instructor-reply"})


def test_demo_files_every_assessment_with_its_evidence_resolved(cli, home: Path) -> None:  # noqa: ANN001
    """`sanfang demo` whole: each 评估表 is filed, and every piece of evidence it cites is a 档号 of
    the archive, of its compound, of the kind its example names."""
    result = cli("demo")
    assert result.exit_code == 0, result.output
    app = Sanfang(home)
    filed = [r for r in app.archive.records() if r.meta.get("doc_key") == KEY]
    assert sorted(r.meta["compound"] for r in filed) == sorted(example(INTERVIEW, b)["compound_name"] for b in BRANCHES)
    for record in filed:
        branch = next(b for b in BRANCHES if example(INTERVIEW, b)["compound_name"] == record.meta["compound"])
        kept = json.loads(record.file("answers.json").read_text(encoding="utf-8"))
        wanted, got = _cited(example(INTERVIEW, branch)), _cited(kept)
        assert wanted.keys() == got.keys()
        for key, refs in wanted.items():
            cited = [app.archive.get(no).meta for no in got[key]]
            assert [f"文件:{m['doc_key']}" for m in cited] == refs
            assert {m["compound"] for m in cited} == {record.meta["compound"]}
            assert all(no in record.meta["text"] for no in got[key])
