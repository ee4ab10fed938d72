"""示范文本12 (red-property-rating): the scoring sheet — scores within 分值, bonus ≤ 5 per part,
不能评星 vetoes, part totals, stars — its rules and messages, and the printed table."""

from __future__ import annotations

from functools import partial
from pathlib import Path
from typing import Any

import pytest

from sanfang_docs.documents import render_docx, render_pdf
from sanfang_docs.documents.model import Document
from sanfang_docs.interview import load
from sanfang_docs.interview.drive import run
from sanfang_docs.rules import scoring as rules_scoring
from tests import kit, pdfcheck
from tests.conftest import example
from tests.test_rules_documents import all_files, assert_prints, write_answers

INTERVIEW = KEY = "red-property-rating"
BRANCHES = ["five-star", "vetoed"]


def build(answers: dict[str, Any]) -> Document:
    return run(load(INTERVIEW), answers, preset={"doc_key": KEY}).documents[0]


problems_of = partial(kit.problems, INTERVIEW)


def changed(branch: str, **changes: Any) -> dict[str, Any]:
    return {**example(INTERVIEW, branch), **changes}


def table_rows(doc: Document) -> list[list[list[str]]]:
    return [b.rows for b in doc.blocks if b.kind == "table"]


# -- the standard as data ----------------------------------------------------------------------


def test_standard_has_five_parts_of_fifteen_items() -> None:
    std = rules_scoring.red_property_standard()
    assert [p["name"] for p in std["parts"]] == ["组织建设好", "骨干队伍好", "服务质量好", "运营管理好", "社会形象好"]
    assert [int(i["number"]) for p in std["parts"] for i in p["items"]] == list(range(1, 16))
    assert all(p["points"] == 100 for p in std["parts"])
    assert [len(p["vetoes"]) for p in std["parts"]] == [2, 3, 1, 1, 1]
    assert "黑榜" in std["parts"][2]["vetoes"][0] and "1～5分加分" in std["parts"][2]["bonus"]


def test_interview_bounds_match_the_standard() -> None:
    """Each score field's max (checked in the browser) is its item's 分值 in the data file."""
    fields = {f.name: f for b in load(INTERVIEW).blocks for f in b.fields}
    for part in rules_scoring.red_property_standard()["parts"]:
        for item in part["items"]:
            spec = fields[f"score_{item['number']}"]
            assert (spec.min, spec.max, spec.datatype) == (0, int(item["points"]), "integer")
    for n in range(1, 6):
        assert (fields[f"bonus_{n}"].min, fields[f"bonus_{n}"].max) == (0, rules_scoring.MAX_BONUS)


# -- branches ----------------------------------------------------------------------------------


def test_five_star_company() -> None:
    doc = build(example(INTERVIEW, "five-star"))
    text = doc.plain_text()
    assert doc.title == "武汉金碧物业服务有限公司“红色物业五星级企业”评定评分表"
    assert (doc.kind, doc.style, doc.issuer, doc.issuer_role) == ("评分表", "scoresheet", "中共文化路社区委员会", "community")
    assert "本项目得分91分，加分3分，合计94分，达到80分，且无不能评星情形，评为一星。" in text
    assert "评定结论：武汉金碧物业服务有限公司五个项目均评星，共5星，达到“红色物业五星级企业”评定标准。" in text
    assert any(r[1] == "情况说明" and r[2].startswith("党员大学生仅1名") for r in table_rows(doc)[1])
    assert "未达到" not in text and "不能评星。" not in text


def test_vetoed_company() -> None:
    doc = build(example(INTERVIEW, "vetoed"))
    text = doc.plain_text()
    assert ("本项目得分82分，加分0分，合计82分；存在不能评星情形（企业在承接的物业项目服务质量考评结果进入“黑榜”的），"
            "不能评星。") in text
    assert "本项目得分74分，加分0分，合计74分，未达到80分，不评星。" in text
    assert ("评定结论：武汉锦程物业管理有限公司共评得3星，未达到“红色物业五星级企业”评定标准。未评星的项目："
            "“服务质量好”存在不能评星情形；“社会形象好”合计74分，未达到80分。") in text
    assert any(r[1] == "情况说明" and r[2].startswith("2026年第二季度武汉市物业服务质量考评中") for r in table_rows(doc)[2])


@pytest.mark.parametrize("branch", BRANCHES)
def test_table_mirrors_the_manual(branch: str) -> None:
    answers = example(INTERVIEW, branch)
    tables = table_rows(build(answers))
    assert len(tables) == 7  # five parts, the result, the raters
    parts = rules_scoring.red_property_standard()["parts"]
    for part, rows in zip(parts, tables[:5], strict=True):
        assert rows[0] == ["序号", "考评内容", "评分要点", "分值", "得分"]
        for item in part["items"]:
            first = next(r for r in rows if r[0] == str(item["number"]))
            assert first[1:2] == [item["name"]] and first[3:] == [str(item["points"]), str(answers[f"score_{item['number']}"])]
            assert first[2] == "1." + item["criteria"][0]
        for k, veto in enumerate(part["vetoes"]):
            assert any(r[2].startswith(f"{k + 1}.{veto}：") for r in rows)
        assert any(r[1] == "加分" and r[2] == part["bonus"] for r in rows)
        total = rows[-1]
        assert total[1] == "合计" and total[3] == "100"
    summary = tables[5]
    assert summary[0] == ["项目", "得分", "加分", "合计", "不能评星情形", "评星"]
    assert [r[0] for r in summary[1:6]] == [p["name"] for p in parts]
    raters = tables[6]
    assert raters[0] == ["序号", "姓名", "单位及职务", "签名"]
    assert len(raters) - 1 == len(answers["raters_text"].strip().splitlines())


def test_vetoed_rows_and_totals() -> None:
    tables = table_rows(build(example(INTERVIEW, "vetoed")))
    service = tables[2]
    assert ["", "不能评星情形", "1.企业在承接的物业项目服务质量考评结果进入“黑榜”的：有", "", ""] in service
    # The part's result stands in its 合计 row (not a 3号 paragraph under the table: 4 pages, not 5).
    assert service[-1] == ["", "合计", "本项目得分82分，加分0分，合计82分；存在不能评星情形（企业在承接的物业项目服务质量"
                           "考评结果进入“黑榜”的），不能评星。", "100", "82"]
    assert ["服务质量好", "82", "0", "82", "有", "不评星"] in tables[5]
    assert ["运营管理好", "85", "4", "89", "无", "一星"] in tables[5]
    assert tables[5][-1] == ["合计", "410", "5", "415", "", "3星"]
    assert ["", "", "加分依据：2026年7月防汛抢险中配合街道转移群众，获五里界街道通报表扬", "", ""] in tables[3]


# -- the star rule -----------------------------------------------------------------------------


def rate(scores: list[int], bonuses: list[int] | None = None, vetoed_part: int | None = None) -> dict[str, Any]:
    vetoes = [["absent"] * len(p["vetoes"]) for p in rules_scoring.red_property_standard()["parts"]]
    if vetoed_part is not None:
        vetoes[vetoed_part][0] = "present"
    return rules_scoring.rate_red_property(scores, bonuses or [0] * 5, vetoes, 80)


def test_star_at_the_pass_mark_counts_the_bonus() -> None:
    scores = [24, 32, 24] * 5  # 80 per part
    assert rate(scores)["stars"] == 5
    below = [24, 32, 23] + [24, 32, 24] * 4  # first part 79
    assert rate(below)["stars"] == 4
    assert rate(below, [1, 0, 0, 0, 0])["parts"][0]["star"]  # 79 + 1 bonus reaches 80


def test_a_veto_removes_the_star_whatever_the_score() -> None:
    result = rate([30, 40, 30] * 5, [5] * 5, vetoed_part=4)
    assert result["parts"][4]["total"] == 105 and not result["parts"][4]["star"]
    assert result["stars"] == 4 and not result["five_star"]


def test_pass_mark_is_a_setting_in_the_interview() -> None:
    """The standard sets no pass mark: 80 is the office's setting and the table says so."""
    text = build(example(INTERVIEW, "five-star")).plain_text()
    assert "评星规则：每个项目得分与加分之和达到80分且无不能评星情形的，该项目评为一星" in text
    assert "评定标准未规定各项目的评星分数，80分为本单位确定的分数线" in text
    preset = {"doc_key": "red-property-rating", "rule_settings": {"red_property": {"pass_mark": 90}}}
    text = run(load(INTERVIEW), example(INTERVIEW, "five-star"), preset=preset).documents[0].plain_text()
    assert "90分为本单位确定的分数线" in text


def test_score_problem_checks_the_data_file_bound() -> None:
    assert rules_scoring.score_problem(2, 40) is None
    assert rules_scoring.score_problem(2, 41) == "第2项“组织活动”得分应在 0～40 分之间，现为 41 分"
    assert rules_scoring.score_problem(1, -1) is not None


# -- rules and their messages ------------------------------------------------------------------

WRONG = [
    ({"score_1": 31}, "【1. 组织覆盖（分值30分）】不能大于 30"),
    ({"score_5": 41}, "【5. 党员队伍（分值40分）】不能大于 40"),
    ({"score_9": -2}, "【9. 创新服务载体（分值30分）】不能小于 0"),
    ({"score_12": "二十"}, "【12. 服务制度完善（分值30分）】应填写整数，收到“二十”"),
    ({"bonus_2": 6}, "【“骨干队伍好”加分（不超过5分）】不能大于 5"),
    ({"bonus_4": 2, "bonus_basis_4": ""},
     "【“运营管理好”加分依据】“运营管理好”加了 2 分，请写明加分依据（表彰或宣传的名称、级别、时间）"),
    ({"veto_1_2": "present"}, "【“组织建设好”情况说明】“组织建设好”存在不能评星情形，请在情况说明中写明具体情形"),
    ({"veto_1_1": "不清楚"}, "【企业未按要求建立基层党组织或选派党建指导员的】只能从以下选项中选择：无此情形、有此情形；收到“不清楚”"),
    ({"veto_5_1": None}, "【近三年来，企业有重大违法违规行为的】必须填写"),
    ({"property_company_name": "城投物业"},
     "【企业名称（全称）】企业名称应写营业执照上的全称，以“公司”结尾，例如：武汉江夏城投物业服务有限公司"),
    ({"raters_text": "李建国\n"}, "【评定组成员】第 1 行“李建国”应写成“姓名 单位及职务”"),
    ({"rating_year": 2027}, "【评定日期】评定日期（2026年12月18日）不能早于评定年度（2027年）"),
]


@pytest.mark.parametrize(("changes", "message"), WRONG, ids=[next(iter(c)) for c, _ in WRONG])
def test_wrong_answer_gets_its_message(changes: dict[str, Any], message: str) -> None:
    answers = changed("five-star", **changes)
    answers = {k: v for k, v in answers.items() if v is not None}
    assert problems_of(answers) == [message]


def test_veto_with_a_note_is_accepted_and_prints_the_veto() -> None:
    doc = build(changed("five-star", veto_1_2="present", note_1="2026年5月项目党支部被确定为软弱涣散基层党组织"))
    assert "2.被确定为软弱涣散基层党组织的：有" in doc.plain_text()
    assert "共评得4星" in doc.plain_text()


def test_make_with_a_wrong_score_writes_nothing(cli, home: Path, tmp_path: Path) -> None:  # noqa: ANN001
    bad = write_answers(tmp_path, changed("five-star", score_8=45))
    result = cli("make", KEY, "--answers", bad, "--out", tmp_path / "out")
    assert result.exit_code == 2, result.output
    assert "【8. 提升服务质量（分值40分）】（score_8）不能大于 40" in result.output
    assert all_files(home) == [] and not (tmp_path / "out").exists()


# -- rendering ---------------------------------------------------------------------------------


@pytest.mark.parametrize("branch", BRANCHES)
def test_pdf_and_docx_print_the_sheet(branch: str) -> None:
    doc = build(example(INTERVIEW, branch))
    pdf = render_pdf(doc)
    assert_prints(doc, pdf, render_docx(doc))
    # The whole standard in at most 4 pages (issue 16): 小五 tables (tables.TABLE_TYPES), the
    # parts' results in their 合计 rows. (LibreOffice's count of the DOCX: test_gbt9704_layout.)
    assert pdfcheck.page_count(pdf) <= 4
