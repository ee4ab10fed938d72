"""The Session API a front end drives (interview/conversation.py): answers are the state."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pytest
import yaml

from sanfang_docs.api import Sanfang
from sanfang_docs.errors import ValidationError
from sanfang_docs.interview import available, load
from sanfang_docs.interview.conversation import Conversation
from sanfang_docs.interview.runner import Screen, Session
from tests.conftest import example, example_sets

NOTICE = {"doc_key": "branch-election-notice"}


def finish(convo: Conversation, answers: dict[str, Any]) -> None:
    """Answer every screen from ``answers`` (as a person would type them)."""
    while not convo.finished:
        step = convo.current()
        given = {f.name: answers[f.name] for f in step.screen.fields if f.name in answers}
        assert not convo.submit(given), step.screen.question


def reviewed(convo: Conversation) -> Conversation:
    """Past the review screen (a file's answers stop there: a person confirms them)."""
    assert convo.current().is_review
    assert not convo.submit({})
    return convo


# Optional fields an example leaves out (副书记, 不计入应到会人数的原因) are asked: a person may fill
# them. An answers file that gives them empty settles their screens and stops at the review.
LEFT_EMPTY = {"with-committee": {"deputy_secretary": None, "deputy_votes": None},
              "secretary-only": {"excused_reasons": None}}


def answers_file(branch: str) -> dict[str, Any]:
    """The branch-founding example ``branch`` with its optional fields answered empty."""
    return {**example("branch-founding", branch), **LEFT_EMPTY[branch]}


def fully_answered() -> dict[str, Any]:
    """The committee example, plus the answer the secretary-only form also needs (张玉梅's
    入党日期, as in the candidate list): an edit to that form meets no unanswered screen, so
    every later rule is checked again."""
    return {**answers_file("with-committee"), "secretary_candidate_joined": date(1998, 6, 18)}


def small_committee() -> dict[str, Any]:
    """7 正式党员 (the fewest with a 支委会) and a 5-member committee, with an attendance, votes
    and a 书记 vote that also fit 6 members (应到 is derived: 7 → 6, 实到 6)."""
    answers = fully_answered()
    answers.update(party_member_count=7, committee_size=5, excused_count=0, excused_reasons=None, present_count=6,
                   secretary_votes=4, member_results_text="张玉梅 6\n王丽 5\n赵刚 5\n孙红霞 4\n钱明 4\n吴志强 2\n")
    return answers


def same_screen_show_ifs() -> list[tuple[str, int, str, str, Any]]:
    """(interview, block, field, controlling variable, value) of every same-screen show if."""
    found = []
    for name in available():
        for block in load(name).blocks:
            names = {f.name for f in block.fields}
            for spec in block.fields:
                cond = spec.show_if
                if isinstance(cond, dict) and cond.get("variable") in names:
                    found.append((name, block.index, spec.name, cond["variable"], cond["is"]))
    return found


@pytest.mark.parametrize(("name", "index", "field", "var", "value"), same_screen_show_ifs())
def test_every_same_screen_show_if_follows_the_typed_choice(name: str, index: int, field: str, var: str,
                                                            value: Any) -> None:
    iv = load(name)
    block = iv.blocks[index]
    screen = Screen(block, "", fields=block.fields)
    session = Session(iv)
    control = next(f for f in block.fields if f.name == var)
    number = next(n for n, (_, v) in enumerate(control.choices, 1) if str(v) == str(value))
    other = next(n for n, (_, v) in enumerate(control.choices, 1) if str(v) != str(value))
    # Typed as the choice's number (what the terminal gets), as its value, and not chosen.
    assert field in [f.name for f in session.shown_fields(screen, {var: str(number)})]
    assert field in [f.name for f in session.shown_fields(screen, {var: value})]
    assert field not in [f.name for f in session.shown_fields(screen, {var: str(other)})]


def test_same_screen_show_ifs_are_found() -> None:
    assert {(n, f) for n, _, f, _, _ in same_screen_show_ifs()} >= {("branch-founding", "term_end"),
                                                                    ("resident-matter", "dissatisfaction_reason")}


@pytest.mark.parametrize(("interview", "branch"), example_sets())
def test_every_example_answered_screen_by_screen_reaches_its_documents(interview: str, branch: str) -> None:
    answers = example(interview, branch)
    iv = load(interview)
    last = list(iv.metadata.get("documents") or [None])[-1]
    convo = Conversation(iv, {}, {"doc_key": last} if last else None)
    finish(convo, answers)
    assert convo.outcome().documents


def test_term_follow_up_is_asked_when_its_choice_is_typed_by_number() -> None:
    answers = answers_file("with-committee")
    answers["term_mode"] = "2"  # 明确任期截止日期, as typed at the prompt
    convo = reviewed(Conversation(load("branch-founding"), answers, NOTICE))
    assert convo.finished  # no screen repeats: the date shown by the choice is taken
    assert convo.outcome().session.answers["term_end"].isoformat() == "2028-12-31"


def test_back_returns_to_the_previous_screen_with_what_was_typed() -> None:
    answers = example("branch-founding", "secretary-only")
    convo = Conversation(load("branch-founding"), {}, NOTICE)
    assert not convo.back()  # at the first screen
    for _ in range(3):
        step = convo.current()
        convo.submit({f.name: answers[f.name] for f in step.fields})
    assert convo.current().screen.question == "江南花山郡小区的正式党员"
    assert convo.back()
    step = convo.current()
    assert step.screen.question == "小区" and step.known == {"compound_name": "江南花山郡"}
    assert step.number == 3


def test_a_refused_value_is_not_offered_again_but_the_rest_of_the_screen_is() -> None:
    answers = example("branch-founding", "secretary-only")
    convo = Conversation(load("branch-founding"), {k: v for k, v in answers.items()
                                                    if k not in ("street_contact_name", "street_contact_phone")}, NOTICE)
    problems = convo.submit({"street_contact_name": "陈静", "street_contact_phone": "八一"})
    assert [p.as_text() for p in problems] == [
        "【联系电话】（street_contact_phone）联系电话只能包含数字和连字符，7～20 位，例如：027-87951234"]
    step = convo.current()
    assert step.known == {"street_contact_name": "陈静"} and step.problems == problems


def test_review_lists_every_answer_that_reaches_the_document_by_screen() -> None:
    answers = answers_file("with-committee")
    convo = Conversation(load("branch-founding"), answers, NOTICE)
    groups = convo.review()
    listed = [a.name for g in groups for a in g.answers]
    # All 40 but the 请示's 签发人 and 联系人 (issue 16), which a 公示 does not ask.
    request_only = {"signer_name", "contact_name", "contact_phone"}
    assert sorted(listed) == sorted(set(answers) - request_only) and len(listed) == 40
    assert [a.number for g in groups for a in g.answers] == list(range(1, len(listed) + 1))
    shown = {a.name: a.shown for g in groups for a in g.answers}
    assert shown["request_issuer"] == "藏龙御景小区党支部筹备组" and shown["meeting_date"] == "2026年9月28日"
    assert groups[0].question == "所属街道（开发区）"


def test_an_edit_that_breaks_a_later_rule_is_refused_and_changes_nothing() -> None:
    convo = reviewed(Conversation(load("branch-founding"), fully_answered(), NOTICE))
    before = convo.state()
    result = convo.edit("party_member_count", 6)  # 应到 is derived again: 6 − 0 − 1 = 5, 实到 19
    assert not result.accepted
    assert [p.as_text() for p in result.problems] == [
        "【实到（名）】（present_count）实到人数（19）不能多于应到会有选举权党员（5 = 正式党员 6 − 无选举权 0 − 不计入 1）"]
    assert convo.state() == before and convo.finished


def test_an_edit_recomputes_what_follows_and_drops_what_no_longer_applies() -> None:
    convo = reviewed(Conversation(load("branch-founding"), small_committee(), NOTICE))
    assert convo.finished and "当选支委委员" in "".join(b.text for b in convo.outcome().documents[0].blocks)
    assert convo.outcome().session.ns["expected_count"] == 7
    result = convo.edit("party_member_count", 6)
    assert result.accepted, result.problems
    assert result.message == ("因修改了正式党员人数，以下答案已不再需要：委员职数（含书记）、委员候选人、每名候选人的得票、"
                              "会议日期、副书记（姓名）、副书记得票")
    assert "committee_size" not in convo.answers and "committee_meeting_date" not in convo.answers and convo.finished
    assert convo.outcome().session.ns["expected_count"] == 6  # derived again from the new count
    text = "".join(b.text for b in convo.outcome().documents[0].blocks)
    assert "当选支委委员" not in text and "张玉梅同志当选为藏龙御景小区党支部书记" in text


def test_a_default_taken_follows_the_answer_it_came_from() -> None:
    answers = {k: v for k, v in example("branch-founding", "with-committee").items() if k != "meeting_place"}
    convo = Conversation(load("branch-founding"), {}, NOTICE)
    finish(convo, answers)  # the meeting place is left at its default
    assert convo.answers["meeting_place"] == "藏龙御景小区党群服务驿站"
    assert convo.edit("compound_name", "桂花苑小区").accepted  # liberal: the compound 桂花苑
    assert convo.answers["compound_name"] == "桂花苑"
    assert convo.answers["meeting_place"] == "桂花苑小区党群服务驿站"
    assert convo.outcome().documents[0].title == "中共桂花苑小区支部委员会选举结果公示"


def test_state_round_trips_through_json_and_resumes_where_it_stopped() -> None:
    answers = example("branch-founding", "secretary-only")
    convo = Conversation(load("branch-founding"), {}, NOTICE)
    for _ in range(5):
        step = convo.current()
        convo.submit({f.name: answers[f.name] for f in step.fields})
    convo.back()
    state = yaml.safe_load(yaml.safe_dump(convo.state(), allow_unicode=True))
    again = Conversation(load("branch-founding"), None, NOTICE, state=state)
    assert again.current().screen.question == convo.current().screen.question
    assert again.current().known == convo.current().known


def test_liberal_input_exact_output() -> None:
    answers = answers_file("secretary-only")
    answers.update(compound_name=" 江南花山郡小区 ", founding_request_no="文化路社区党委[2026]3号",
                   founding_reply_no="纸工委（2026）12号", founding_request_date="２０２６年３月２日",
                   founding_reply_date="2026.3.9", convener_name="  李建国 ")
    convo = reviewed(Conversation(load("branch-founding"), answers, NOTICE))
    got = convo.outcome().session.answers
    assert got["compound_name"] == "江南花山郡" and got["convener_name"] == "李建国"
    assert got["founding_request_no"] == "文化路社区党委〔2026〕3号" and got["founding_reply_no"] == "纸工委〔2026〕12号"
    assert got["founding_request_date"].isoformat() == "2026-03-02" and got["founding_reply_date"].day == 9


def test_answers_file_typos_are_named_with_a_suggestion_and_every_type_error(app: Sanfang) -> None:
    answers = example("branch-founding", "secretary-only")
    answers["founding_request_number"] = answers.pop("founding_request_no")
    answers.update(party_member_count="五", meeting_date="2026-02-30", report_date="下周一")
    with pytest.raises(ValidationError) as info:
        app.make("branch-election-notice", answers, archive=False)
    assert [p.as_text() for p in info.value.problems] == [
        "【正式党员人数】（party_member_count）应填写整数，收到“五”",
        "【召开日期】（meeting_date）不存在的日期“2026-02-30”",
        "【报告成文日期】（report_date）日期格式应为 2026-03-05 或 2026年3月5日，收到“下周一”",
        "【答案文件】（founding_request_number）“founding_request_number”不是访谈“成立小区党支部”的问题；"
        "您是不是要写：founding_request_no（请示文号）？",
    ]


def test_cli_reports_an_unknown_key(cli, tmp_path: Path) -> None:  # noqa: ANN001
    answers = example("branch-founding", "secretary-only")
    answers["compund_name"] = answers.pop("compound_name")
    path = tmp_path / "a.yaml"
    path.write_text(yaml.safe_dump(answers, allow_unicode=True), encoding="utf-8")
    result = cli("make", "branch-founding-request", "--answers", path, "--no-archive", "--out", tmp_path / "out")
    assert result.exit_code == 2
    assert "您是不是要写：compound_name（小区名称）？" in result.output
    assert not (tmp_path / "out").exists()
