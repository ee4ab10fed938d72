"""示范文本1 (branch-founding): branches, the manual's rules, and their messages."""

from __future__ import annotations

from datetime import date
from functools import partial

import pytest

from sanfang_docs.interview import load
from sanfang_docs.interview.drive import run
from sanfang_docs.rules import general as rules
from tests import kit
from tests.conftest import example

INTERVIEW = "branch-founding"
DOC_KEYS = list(load(INTERVIEW).metadata["documents"])

build = partial(kit.build, INTERVIEW)
problems_of = partial(kit.problems, INTERVIEW)


# -- branches ---------------------------------------------------------------------------------

EXPECTED = {
    "secretary-only": {
        "branch-founding-request": ["江南花山郡小区共有5名正式党员", "拟不设支部委员会，仅设党支部书记1名",
                                    "临时召集人李建国（社区党委委员）"],
        "branch-founding-reply": ["（文化路社区党委〔2026〕3号）已收悉", "不设支部委员会，仅设党支部书记1名"],
        "branch-meeting-request": ["拟召开党员大会选举党支部书记", "党支部书记候选人：王秀兰（附简历）",
                                   "党支部书记实行等额选举"],
        "branch-meeting-reply": ["同意于2026年3月27日召开", "王秀兰同志）需符合党龄1年以上"],
        "branch-meeting-agenda": ["应到5人，实到5人", "主持人：李建国（筹备组临时负责人）"],
        "branch-election-report": ["王秀兰同志（得5票）当选为党支部书记。", "应到会党员5名，实到5名"],
        "branch-election-approval": ["批准王秀兰同志（得票5票）当选", "本届党支部任期与社区党组织同步"],
        "branch-election-notice": ["公示时间：2026年4月7日至2026年4月13日（5个工作日）", "电话：027-87951234"],
    },
    "with-committee": {
        "branch-founding-request": ["拟设立党支部委员会，委员职数5名（含书记1名）"],
        "branch-founding-reply": ["设立支部委员会，委员职数5名（含书记1名）"],
        "branch-meeting-request": ["支部委员候选人：王丽、赵刚、孙红霞、钱明、吴志强（应选4名，附简历）",
                                   "支部委员实行差额选举，党支部书记实行等额选举"],
        "branch-meeting-reply": ["委员实行差额选举，书记实行等额选举"],
        "branch-meeting-agenda": ["应到22人，实到19人", "投票选举支部委员会委员、党支部书记"],
        "branch-election-report": ["王丽同志（得17票）、赵刚同志（得15票）、钱明同志（得14票）、孙红霞同志（得12票）当选为支部委员"],
        "branch-election-approval": ["本届党支部任期至2028年12月31日"],
        "branch-election-notice": ["王丽同志、赵刚同志、钱明同志、孙红霞同志当选为支部委员"],
    },
}

NOT_EXPECTED = {
    "secretary-only": ["支部委员候选人", "差额", "委员职数"],
    "with-committee": ["仅设党支部书记1名"],
}


@pytest.mark.parametrize("branch", sorted(EXPECTED))
@pytest.mark.parametrize("key", DOC_KEYS)
def test_every_document_reads_right_for_its_branch(branch: str, key: str) -> None:
    doc = build(example(INTERVIEW, branch), key)
    text = doc.plain_text()
    for phrase in EXPECTED[branch][key]:
        assert phrase in text
    for phrase in NOT_EXPECTED[branch]:
        assert phrase not in text, f"{branch}/{key} should not say {phrase}"
    assert doc.doc_date and doc.issuer and doc.title.startswith(("关于", "中共"))


def test_each_document_has_its_own_date_and_addressee() -> None:
    answers = example(INTERVIEW, "with-committee")
    docs = {key: build(answers, key) for key in DOC_KEYS}
    assert docs["branch-founding-request"].doc_date == "2026-09-01"
    assert docs["branch-election-report"].doc_date == "2026-09-30"
    assert docs["branch-founding-reply"].addressee == "藏龙御景小区党支部筹备组"  # request_issuer = 筹备组
    assert docs["branch-election-report"].addressee == "中共五里界街道工作委员会"
    assert docs["branch-founding-reply"].note == "联系人：刘洋，联系电话：027-81811234"


def test_request_asks_only_what_it_needs() -> None:
    """The founding request must not ask for election results that do not exist yet."""
    answers = example(INTERVIEW, "secretary-only")
    outcome = run(load(INTERVIEW), answers, preset={"doc_key": "branch-founding-request"})
    asked = {v for screen in outcome.screens for v in screen}
    assert "party_member_count" in asked
    assert not asked & {"secretary_votes", "meeting_date", "notice_start_date", "expected_count"}


# -- rules ------------------------------------------------------------------------------------


with_changes = partial(kit.changed, INTERVIEW)


@pytest.mark.parametrize("count", [0, 2])
def test_fewer_than_three_members_cannot_found_a_branch(count: int) -> None:
    (msg,) = problems_of(with_changes("secretary-only", party_member_count=count), "branch-founding-request")
    assert "【正式党员人数】" in msg and "党小组" in msg and "联合" in msg


def test_more_than_fifty_members_is_refused() -> None:
    (msg,) = problems_of(with_changes("with-committee", party_member_count=51), "branch-founding-request")
    assert "不超过 50 人" in msg


@pytest.mark.parametrize(("count", "form"), [(3, "secretary"), (6, "secretary"), (7, "committee"), (50, "committee")])
def test_branch_form_by_member_count(count: int, form: str) -> None:
    assert rules.branch_form_for(count) == form


def test_seven_members_get_a_committee_of_the_default_size() -> None:
    """An answers file that does not settle a field with a default takes the default."""
    doc = build(with_changes("secretary-only", party_member_count=7), "branch-founding-request")
    assert "拟设立党支部委员会，委员职数3名（含书记1名）" in doc.plain_text()
    (msg,) = problems_of(with_changes("secretary-only", party_member_count=7, committee_size=8),
                         "branch-founding-request")
    assert msg == "【委员职数（含书记）】不能大于 7"


def test_quorum_four_fifths() -> None:
    # 22 应到: 18 needed (4/5 = 17.6)
    (msg,) = problems_of(with_changes("with-committee", present_count=17), "branch-election-report")
    assert "【实到（名）】" in msg and "五分之四" in msg and "至少 18 名" in msg
    build(with_changes("with-committee", present_count=18, secretary_votes=10), "branch-election-report")


def test_present_above_expected_is_refused() -> None:
    (msg,) = problems_of(with_changes("secretary-only", present_count=6), "branch-meeting-agenda")
    assert "实到人数（6）不能多于应到人数（5）" in msg


def test_votes_above_attendance_are_refused() -> None:
    (msg,) = problems_of(with_changes("with-committee", secretary_votes=20), "branch-election-report")
    assert "【张玉梅 同志得票】得票（20）不能多于实到人数（19）" == msg


def test_winner_needs_more_than_half() -> None:
    (msg,) = problems_of(with_changes("with-committee", secretary_votes=9), "branch-election-report")
    assert "未超过实到人数 19 名的半数" in msg


def test_member_votes_checked_per_person() -> None:
    results = "王丽 17\n赵刚 25\n钱明 14\n孙红霞 12\n"
    (msg,) = problems_of(with_changes("with-committee", member_results_text=results), "branch-election-report")
    assert "赵刚 得票（25）不能多于实到人数（19）" in msg


def test_differential_election_needs_more_candidates_than_seats() -> None:
    (msg,) = problems_of(with_changes("with-committee", member_candidates_text="王丽 2012-07-01\n赵刚 2016-05-20\n"
                                      "孙红霞 2019-11-11\n钱明 2008-03-05\n"), "branch-meeting-request")
    assert "差额选举" in msg and "候选人至少 5 名" in msg


def test_candidates_need_one_year_party_age() -> None:
    (msg,) = problems_of(with_changes("secretary-only", secretary_candidate_joined=date(2025, 9, 1)),
                         "branch-meeting-request")
    assert "党龄不满 1 年" in msg and "【入党日期】" in msg


def test_report_within_three_days() -> None:
    (msg,) = problems_of(with_changes("secretary-only", report_date=date(2026, 3, 31)), "branch-election-report")
    assert "会后 3 日内" in msg and "2026年3月30日" in msg


def test_dates_in_wrong_order_are_refused() -> None:
    (msg,) = problems_of(with_changes("secretary-only", founding_reply_date=date(2026, 3, 1)), "branch-founding-reply")
    assert "【批复成文日期】批复日期（2026年3月1日）不能早于请示日期（2026年3月2日）" == msg
    (msg,) = problems_of(with_changes("secretary-only", meeting_date=date(2026, 3, 10)), "branch-meeting-request")
    assert "不能早于请示日期" in msg


def test_notice_at_least_five_working_days() -> None:
    (msg,) = problems_of(with_changes("secretary-only", notice_days=4), "branch-election-notice")
    assert "不少于 5 个工作日" in msg


def test_notice_end_skips_weekends_and_holidays() -> None:
    # 2026-04-10 is a Friday: five working days end on Thursday the 16th.
    assert rules.add_workdays(date(2026, 4, 10), 5) == date(2026, 4, 16)
    # National Day (1–7 October) is never a working day, whatever the year's make-up days.
    end = rules.add_workdays(date(2026, 9, 30), 2)
    assert end > date(2026, 10, 7)
    assert rules.workdays_between(date(2026, 10, 1), date(2026, 10, 7)) == 0


def test_missing_and_mistyped_answers_are_all_listed() -> None:
    answers = example(INTERVIEW, "with-committee")
    del answers["present_count"], answers["report_date"]
    answers["expected_count"] = "二十二"
    answers["party_member_count"] = -3
    msgs = problems_of(answers, "branch-election-report")
    assert "【正式党员人数】不能小于 0" in msgs
    assert "【应到会有选举权党员（名）】应填写整数，收到“二十二”" in msgs
    assert "【实到（名）】必须填写" in msgs
    assert "【报告成文日期】必须填写" in msgs


def test_wrong_types_name_the_field() -> None:
    msgs = problems_of(with_changes("secretary-only", founding_request_date="三月二日", request_issuer="街道"),
                       "branch-founding-request")
    assert any(m.startswith("【成文日期】日期格式应为") for m in msgs)
    assert any(m.startswith("【成立请示以谁的名义上报？】只能从以下选项中选择") for m in msgs)
