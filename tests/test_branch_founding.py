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
        "branch-founding-request": ["江南花山郡小区共有5名正式党员", "拟不设支委会，仅设党支部书记1名",
                                    "临时召集人李建国（社区党委副书记）"],
        "branch-founding-reply": ["（文化路社区党委〔2026〕3号）已收悉", "不设支部委员会，仅设党支部书记1名",
                                  "同意成立中共江南花山郡小区支部，隶属中共文化路社区委员会管理"],
        "branch-meeting-request": ["拟召开党员大会选举党支部书记", "党支部书记候选人：王秀兰（附简历）",
                                   "采取无记名投票方式，等额选举（书记）。"],
        "branch-meeting-reply": ["同意于2026年3月27日召开", "王秀兰同志）需符合党龄1年以上"],
        "branch-meeting-agenda": ["应到5人，实到5人", "主持人：李建国（筹备组临时负责人）"],
        "branch-election-report": ["王秀兰同志（得5票）当选为党支部书记。", "应到会党员5名，实到5名"],
        "branch-election-approval": ["批准王秀兰同志（得票5票）当选", "本届党支部任期与社区党组织同步"],
        "branch-election-notice": ["公示时间：2026年4月7日至2026年4月13日（不少于5个工作日）", "电话：027-87951234",
                                   "王秀兰同志当选为江南花山郡小区党支部书记现予以公示"],
    },
    "with-committee": {
        "branch-founding-request": ["根据党员人数，拟设立党支部委员会，委员职数5名。"],
        "branch-founding-reply": ["设立支部委员会，委员职数5名；"],
        "branch-meeting-request": ["支部委员候选人：张玉梅、王丽、赵刚、孙红霞、钱明、吴志强\n",
                                   "党支部书记候选人：张玉梅（附简历，由支部委员会第一次全体会议选举）",
                                   "差额选举（委员）；党支部书记由支部委员会第一次全体会议等额选举产生"],
        "branch-meeting-reply": ["选举采取无记名投票、差额选举方式", "由支部委员会第一次全体会议等额选举",
                                 "党员大会须有超过应到会有选举权党员五分之四的党员到会方可进行"],
        "branch-meeting-agenda": ["应到22人，实到19人", "投票选举支部委员会委员；", "新当选委员表态发言"],
        "branch-election-report": ["张玉梅同志（得18票）、王丽同志（得17票）、赵刚同志（得15票）、钱明同志（得14票）、"
                                   "孙红霞同志（得12票）当选为支部委员；2026年9月28日召开支部委员会第一次全体会议，"
                                   "张玉梅同志（得5票）当选为党支部书记。"],
        "branch-election-approval": ["本届党支部任期至2028年12月31日", "批准张玉梅同志（得票5票）当选为中共藏龙御景小区支部委员会书记"],
        "branch-election-notice": ["张玉梅同志当选为藏龙御景小区党支部书记（王丽同志、赵刚同志、钱明同志、孙红霞同志当选支委委员）现予以公示"],
    },
}

NOT_EXPECTED = {
    "secretary-only": ["支部委员候选人", "差额", "委员职数"],
    "with-committee": ["仅设党支部书记1名", "吴志强同志（得", "五分之四以上"],
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
    assert "拟设立党支部委员会，委员职数3名。" in doc.plain_text()
    (msg,) = problems_of(with_changes("secretary-only", party_member_count=7, committee_size=8),
                         "branch-founding-request")
    assert msg == "【委员职数（含书记）】不能大于 7"


def test_quorum_more_than_four_fifths_by_default() -> None:
    # 22 应到: more than 17.6 → 18 needed; with 20 应到, 16 is exactly 4/5 and not enough (the 条例).
    (msg,) = problems_of(with_changes("with-committee", present_count=17), "branch-election-report")
    assert "【实到（名）】" in msg and "超过应到会人数的五分之四" in msg and "至少 18 名" in msg
    (msg,) = problems_of(with_changes("with-committee", excused_count=3, present_count=16), "branch-election-report")
    assert "应到会有选举权党员 20 名，实到 16 名" in msg and "至少 17 名" in msg


def test_quorum_setting_can_take_the_manual_reading() -> None:
    manual = {"rule_settings": {"election": {"quorum": "at_least"}}}
    answers = with_changes("with-committee", excused_count=3, present_count=16)
    doc = run(load(INTERVIEW), answers, preset={"doc_key": "branch-meeting-reply", **manual}).documents[0]
    assert "党员大会须有应到会有选举权党员五分之四以上到会方可进行" in doc.plain_text()
    run(load(INTERVIEW), answers, preset={"doc_key": "branch-meeting-agenda", **manual})  # 16 of 20: enough
    assert problems_of(answers, "branch-meeting-agenda")  # not by default


def test_expected_is_derived_from_members_not_typed() -> None:
    """A branch of 23 cannot call 10 members 应到: 应到 = 正式党员 − 无选举权 − 不计入 (with reasons)."""
    answers = with_changes("with-committee", expected_count=10, present_count=8)
    (msg,) = problems_of(answers, "branch-election-report")
    assert "应到会有选举权党员 22 名，实到 8 名" in msg
    (msg,) = problems_of(with_changes("with-committee", excused_reasons=""), "branch-election-report")
    assert "【不计入的原因】" in msg and "须写明原因" in msg


def test_present_above_expected_is_refused() -> None:
    (msg,) = problems_of(with_changes("secretary-only", present_count=6), "branch-meeting-agenda")
    assert "实到人数（6）不能多于应到会有选举权党员（5 = 正式党员 5 − 无选举权 0 − 不计入 0）" in msg


def test_votes_above_attendance_are_refused() -> None:
    (msg,) = problems_of(with_changes("secretary-only", secretary_votes=6), "branch-election-report")
    assert "【王秀兰 同志得票】得票（6）不能多于实到人数（5）" == msg


def test_winner_needs_more_than_half_of_expected() -> None:
    # 5 应到, 4 实到: 2 votes are half of 实到 but not more than half of 应到 (the 条例's reading).
    answers = with_changes("secretary-only", present_count=5, secretary_votes=2)
    (msg,) = problems_of(answers, "branch-election-report")
    assert "未超过应到会有选举权党员 5 名的半数" in msg and "超过应到会有选举权的人数的一半" in msg
    (msg,) = problems_of(with_changes("with-committee", member_results_text="张玉梅 18\n王丽 17\n赵刚 15\n"
                                      "孙红霞 11\n钱明 14\n吴志强 6\n"), "branch-election-report")
    assert "只有 4 名，少于应选的 5 名" in msg and "另行选举" in msg


def test_member_votes_checked_per_person() -> None:
    results = "张玉梅 18\n王丽 17\n赵刚 25\n钱明 14\n孙红霞 12\n吴志强 6\n"
    (msg,) = problems_of(with_changes("with-committee", member_results_text=results), "branch-election-report")
    assert "赵刚 得票（25）不能多于实到人数（19）" in msg


def test_losers_votes_are_asked_and_ties_refused() -> None:
    (msg,) = problems_of(with_changes("with-committee", member_results_text="张玉梅 18\n王丽 17\n赵刚 15\n"
                                      "钱明 14\n孙红霞 12\n"), "branch-election-report")
    assert "含未当选的" in msg and "吴志强" in msg
    (msg,) = problems_of(with_changes("with-committee", member_results_text="张玉梅 18\n王丽 17\n赵刚 15\n"
                                      "钱明 14\n孙红霞 12\n吴志强 12\n"), "branch-election-report")
    assert "孙红霞、吴志强 同志票数相等" in msg and "再次投票" in msg


def test_secretary_is_elected_by_the_committee_from_its_members() -> None:
    (msg,) = problems_of(with_changes("with-committee", secretary_votes=2), "branch-election-report")
    assert "未超过全体委员 5 名的半数" in msg
    (msg,) = problems_of(with_changes("with-committee", secretary_candidate="李四"), "branch-meeting-request")
    assert "不在支部委员会委员候选人名单中" in msg
    doc = build(with_changes("with-committee", deputy_secretary="王丽", deputy_votes=4), "branch-election-approval")
    assert "王丽同志（得票4票）当选为副书记" in doc.plain_text()


def test_candidate_lists_are_checked() -> None:
    """7 members cannot field 9 candidates; a name twice is refused."""
    nine = "".join(f"候选{i} 2010-01-01\n" for i in range(9))
    answers = with_changes("with-committee", party_member_count=7, committee_size=5, member_candidates_text=nine)
    (msg,) = problems_of(answers, "branch-meeting-request")
    assert "候选人 9 名，多于本支部正式党员 7 名" in msg
    twice = "王丽 2012-07-01\n王丽 2012-07-01\n孙红霞 2019-11-11\n张玉梅 1998-06-18\n赵刚 2016-05-20\n钱明 2008-03-05\n"
    (msg,) = problems_of(with_changes("with-committee", member_candidates_text=twice), "branch-meeting-request")
    assert "王丽 在候选人名单中重复列出" in msg


def test_term_cannot_end_before_the_approval() -> None:
    (msg,) = problems_of(with_changes("with-committee", term_end=date(2025, 1, 1)), "branch-election-approval")
    assert "【任期至】" in msg and "应晚于批复日期（2026年10月12日）" in msg
    (msg,) = problems_of(with_changes("with-committee", term_end=date(2032, 1, 1)), "branch-election-approval")
    assert "每届任期5年" in msg


def test_branch_belongs_to_the_street_when_the_community_has_no_party_committee() -> None:
    """示范文本1：隶属 XX 社区党委管理（无社区党委隶属街道党工委管理）."""
    answers = with_changes("secretary-only", community_party_org="中共文化路社区总支部委员会")
    text = build(answers, "branch-founding-reply").plain_text()
    assert "隶属中共纸坊街道工作委员会管理" in text
    assert rules.is_party_committee("中共文化路社区委员会") and not rules.is_party_committee("中共兴新街社区支部委员会")


def test_deviations_from_the_model_are_explained_on_the_screen() -> None:
    outcome = run(load(INTERVIEW), example(INTERVIEW, "with-committee"), preset={"doc_key": "branch-meeting-reply"})
    assert any("党支部委员会会议选举产生" in n for n in outcome.notes)
    assert any("超过应到会人数的五分之四" in n for n in outcome.notes)


def test_differential_election_needs_more_candidates_than_seats() -> None:
    (msg,) = problems_of(with_changes("with-committee", member_candidates_text="张玉梅 1998-06-18\n王丽 2012-07-01\n"
                                      "赵刚 2016-05-20\n孙红霞 2019-11-11\n钱明 2008-03-05\n"), "branch-meeting-request")
    assert "差额选举" in msg and "候选人至少 6 名" in msg


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
    answers["excused_count"] = "一"
    answers["party_member_count"] = -3
    msgs = problems_of(answers, "branch-election-report")
    assert "【正式党员人数】不能小于 0" in msgs
    assert "【不计入应到会人数的正式党员（名）】应填写整数，收到“一”" in msgs
    assert "【实到（名）】必须填写" in msgs
    assert "【报告成文日期】必须填写" in msgs


def test_wrong_types_name_the_field() -> None:
    msgs = problems_of(with_changes("secretary-only", founding_request_date="三月二日", request_issuer="街道"),
                       "branch-founding-request")
    assert any(m.startswith("【成文日期】日期格式应为") for m in msgs)
    assert any(m.startswith("【成立请示以谁的名义上报？】只能从以下选项中选择") for m in msgs)


def test_dates_beyond_the_known_calendar_are_flagged_and_an_office_can_enter_the_holidays() -> None:
    """2027 is past what chinese_calendar knows: say so; with the office's entry, the 春节 counts."""
    answers = with_changes("secretary-only", approval_date=date(2027, 2, 1), notice_start_date=date(2027, 2, 5))
    outcome = run(load(INTERVIEW), answers, preset={"doc_key": "branch-election-notice"})
    assert "2027年2月5日至2027年2月11日" in outcome.documents[0].plain_text()  # Monday–Friday only
    assert any("2027年的法定节假日安排系统尚不知道" in n for n in outcome.notes)
    holidays = {2027: {"source": "国务院办公厅关于2027年部分节假日安排的通知", "days_off": ["2027-02-06~2027-02-12"],
                       "workdays": [date(2027, 2, 14)]}}
    outcome = run(load(INTERVIEW), answers, preset={"doc_key": "branch-election-notice",
                                                   "rule_settings": {"holidays": holidays}})
    assert "2027年2月5日至2027年2月17日" in outcome.documents[0].plain_text()
    assert not any("法定节假日安排" in n for n in outcome.notes)


def test_holidays_and_thresholds_come_from_the_workspace_settings(tmp_path) -> None:  # noqa: ANN001
    """An office enters the year's notice in settings.yaml; the API presets it for the rules."""
    from sanfang_docs.api import Sanfang

    (tmp_path / "settings.yaml").write_text(
        "holidays:\n  2027:\n    days_off: [2027-02-06~2027-02-12]\n    workdays: [2027-02-14]\n"
        "election:\n  quorum: at_least\n", encoding="utf-8")
    app = Sanfang(tmp_path)
    answers = with_changes("secretary-only", approval_date=date(2027, 2, 1), notice_start_date=date(2027, 2, 5))
    notice = app.run_interview(INTERVIEW, answers, "branch-election-notice")
    assert "2027年2月5日至2027年2月17日" in notice.documents[0].plain_text()
    reply = app.run_interview(INTERVIEW, example(INTERVIEW, "with-committee"), "branch-meeting-reply")
    assert "五分之四以上到会方可进行" in reply.documents[0].plain_text()
    assert not any("超过应到会人数的五分之四" in n for n in reply.notes)
