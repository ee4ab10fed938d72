"""待办 from the manual's rules and the archive (registers/deadlines.py through Sanfang.todo):
each item appears when its rule says, names its deadline, links to where it is settled,
disappears once settled, and is never shown outside the caller's scope."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pytest

from sanfang_docs.api import Sanfang
from tests.conftest import example
from tests.webkit import PASSWORD, login, make_site, text

pytestmark = pytest.mark.xdist_group("web")


def titles(items: list) -> list[str]:  # noqa: ANN001
    return [i.title for i in items]


def test_a_request_awaits_its_reply_in_the_right_scopes_until_filed(tmp_path: Path) -> None:
    site = make_site(tmp_path / "ws")
    api, no = site.api, site.own.record.archive_no
    clerk, street, street_x = (api.accounts.get(u) for u in ("clerk", "street", "street_x"))
    waiting = [i for i in api.todo(street) if i.title.startswith("待批复")]
    assert len(waiting) == 1 and waiting[0].target == ("record", no)
    assert "尚未批复" in waiting[0].detail
    assert [i.target for i in api.todo(clerk) if i.title.startswith("待批复")] == [("record", no)]
    # The other street sees its own request only, never this one.
    assert [i.target for i in api.todo(street_x) if i.title.startswith("待批复")] == [
        ("record", site.other.record.archive_no)]
    assert login(site.app, "clerk_x").get("/").status_code == 200
    assert "待批复" not in text(login(site.app, "clerk_x").get("/"))
    # The home page links the item to the 请示's page, where the 批复 is drafted.
    assert f'href="/record/{no}"' in text(login(site.app, "street").get("/")).replace("%C2%B7", "·")
    api.make("branch-founding-reply", example("branch-founding", "with-committee"), from_record=no)
    assert not [i for i in api.todo(street) if i.title.startswith("待批复")]
    # December (from 15 November): the year's 评议 of each community of the caller's scope.
    assert not [i for i in api.todo(clerk, today=date(2026, 11, 1)) if "评议" in i.title]
    december = [i for i in api.todo(clerk, today=date(2026, 12, 1)) if "评议" in i.title]
    assert titles(december) == ["年度评议监督考核：锦绣社区"] and december[0].due == date(2026, 12, 31)
    assert titles([i for i in api.todo(street_x, today=date(2026, 12, 1)) if "评议" in i.title]) == [
        "年度评议监督考核：青龙社区"]


def test_the_election_report_is_due_three_days_after_the_meeting(tmp_path: Path) -> None:
    api = Sanfang(tmp_path / "ws")
    answers = example("branch-founding", "with-committee")
    made = api.make("branch-founding-request", answers)
    for key in ("branch-founding-reply", "branch-meeting-request", "branch-meeting-reply", "branch-meeting-agenda"):
        made = api.make(key, answers, from_record=made.record.archive_no)
    meeting = date.fromisoformat(str(answers["meeting_date"]))
    [item] = [i for i in api.todo(today=meeting) if i.title.startswith("报送选举结果")]
    assert item.due == meeting + timedelta(days=3) and item.urgency == "soon"
    assert "3 日内" in item.detail
    [late] = [i for i in api.todo(today=meeting + timedelta(days=5)) if i.title.startswith("报送选举结果")]
    assert late.urgency == "overdue"
    api.make("branch-election-report", answers, from_record=made.record.archive_no)
    assert not [i for i in api.todo(today=meeting) if i.title.startswith("报送选举结果")]


def test_a_matter_to_accept_the_quarterly_notice_and_the_december_evaluation(tmp_path: Path) -> None:
    api = Sanfang(tmp_path / "ws")
    matter = api.matter_add(example("resident-matter", "registered"))
    api.accounts.add("wen", PASSWORD, "clerk", "纸坊街道", "文化路社区")
    api.accounts.add("other", PASSWORD, "clerk", "五里界街道", "锦绣社区")
    wen, other = api.accounts.get("wen"), api.accounts.get("other")
    [item] = [i for i in api.todo(wen, today=matter.registered) if i.target == ("matter", matter.no)]
    assert item.due == date(2026, 10, 8)  # 9-29, 9-30, then 10-8 after the National Day holiday
    assert not [i for i in api.todo(other, today=matter.registered) if i.target[0] == "matter"]
    # After the quarter ends, its 实事公示 is due for the compound.
    notice = [i for i in api.todo(wen, today=date(2026, 10, 8)) if i.title.startswith("季度实事公示")]
    assert [i.title for i in notice] == ["季度实事公示：文化佳园小区2026年第三季度"]
    assert notice[0].target == ("start", "resident-matter")
    api.matter_accept(matter.no, "2026-10-08")
    assert not [i for i in api.todo(wen, today=date(2026, 10, 8)) if i.target[0] == "matter"]


def test_the_matter_page_settles_its_item_in_scope_only(tmp_path: Path) -> None:
    from sanfang_docs.web import create_app
    from tests.webkit import csrf_of, token

    api = Sanfang(tmp_path / "ws")
    matter = api.matter_add(example("resident-matter", "registered"))
    api.accounts.add("wen", PASSWORD, "clerk", "纸坊街道", "文化路社区")
    api.accounts.add("other", PASSWORD, "clerk", "五里界街道", "锦绣社区")
    app = create_app(app_api=api)
    assert login(app, "other").get(f"/matter/{matter.no}").status_code == 404
    wen = login(app, "wen")
    page = text(wen.get(f"/matter/{matter.no}"))
    assert "记录受理" in page and "电梯" in page
    assert matter.no in text(wen.get("/matters")) and matter.no not in text(login(app, "other").get("/matters"))
    r = wen.post(f"/matter/{matter.no}", data={"csrf": csrf_of(page), "step": "accept", "day": "2026-10-20"})
    assert r.status_code == 400 and "逾期受理原因" in text(r)  # the rule, named; nothing recorded
    steps = [("accept", {"day": "2026-10-08"}), ("assign", {"day": "2026-10-09", "person": "张师傅"}),
             ("resolve", {"day": "2026-10-15", "outcome": "更换电梯控制板"}),
             ("rate", {"day": "2026-10-16", "satisfaction": "满意"})]
    for step, data in steps:
        r = wen.post(f"/matter/{matter.no}", data={"csrf": csrf_of(page), "step": step, **data})
        assert r.status_code == 302, text(r)
    assert api.matter_get(matter.no).on().stage == "rated"
    assert [(u, a) for _, u, a, d in api.accounts.changes() if d == matter.no][::-1] == [
        ("wen", "实事 accept"), ("wen", "实事 assign"), ("wen", "实事 resolve"), ("wen", "实事 rate")]
    other = login(app, "other")
    r = other.post(f"/matter/{matter.no}", data={"csrf": token(other), "step": "accept"})
    assert r.status_code == 404
