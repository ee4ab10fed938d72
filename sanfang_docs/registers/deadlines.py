"""待办: what is due, from the manual's rules and what the archive and the 实事登记簿 hold.

Each item says what to do, by when, why (the rule), and where it is settled — a record (whose
page offers the document that follows), a matter of the register, or an interview to start:

- a 请示 whose 批复 is not filed yet (the 批复 is the next document of kind 批复 in its matter);
- a meeting whose result report is due within 3 days (rules.general.report_deadline);
- a 公示 running or just ended, and the day it may be taken down;
- a 实事 registered and not accepted: 3 working days (rules.matters.accept_deadline);
- the quarterly 实事公示 of every compound with matters, after each quarter ends;
- the December 评议 of every community (示范文本11 第一条：一般每年12月份进行).

Only records the caller may see are read, so nothing outside their scope is counted.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from ..archive import Record
from ..errors import SanfangError
from ..interview import load
from ..rules import general
from ..rules import matters as rm
from .matters import Matter

SOON_DAYS = 3


@dataclass
class Due:
    title: str
    detail: str  # the rule, in the manual's words
    due: date | None
    target: tuple[str, str]  # ("record", 档号) | ("matter", 编号) | ("start", interview)
    urgency: str = "later"  # overdue | soon | later

    @property
    def when(self) -> str:
        return f"{general.cn_date(self.due)}前" if self.due else ""


def _urgency(due: date | None, today: date) -> str:
    if due is None:
        return "later"
    if due < today:
        return "overdue"
    return "soon" if due <= today + timedelta(days=SOON_DAYS) else "later"


def _answers(record: Record) -> dict[str, Any]:
    try:
        return json.loads(record.file("answers.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


def _day(value: Any) -> date | None:
    try:
        return general.to_date(str(value)) if value else None
    except (ValueError, SanfangError):
        return None


def _kinds(interview: str) -> dict[str, str]:
    """Document key → its 文种 (the attachment's ``kind``), in the matter's order."""
    try:
        iv = load(interview)
    except SanfangError:
        return {}
    order = list(iv.metadata.get("documents") or {})
    kinds = {str(a.get("filename", "")): str((a.get("metadata") or {}).get("kind", "")) for a in iv.attachments()}
    return {k: kinds.get(k, "") for k in order}


def due_items(records: Iterable[Record], matters: Iterable[Matter], today: date | None = None,
              sees: Callable[[dict[str, Any]], bool] = lambda meta: True) -> list[Due]:
    today = today or date.today()
    records = list(records)
    items: list[Due] = []
    cases: dict[str, list[Record]] = defaultdict(list)
    for r in records:
        cases[str(r.meta.get("case_id", ""))].append(r)
    kinds_of: dict[str, dict[str, str]] = {}
    for r in records:
        meta, name = r.meta, str(r.meta.get("interview", ""))
        kinds = kinds_of.setdefault(name, _kinds(name))
        keys = list(kinds)
        filed = {str(x.meta.get("doc_key", "")) for x in cases[str(meta.get("case_id", ""))]}
        key = str(meta.get("doc_key", ""))
        later = keys[keys.index(key) + 1:] if key in keys else []
        if meta.get("文种") == "请示":
            reply = next((k for k in later if kinds[k] == "批复"), None)
            if reply and reply not in filed:
                sent = _day(meta.get("成文日期"))
                items.append(Due(f"待批复：{meta.get('题名', '')}", f"{meta.get('责任者', '')}已于"
                                 f"{general.cn_date(sent) if sent else '（日期不明）'}报送，街道党工委尚未批复。",
                                 None, ("record", r.archive_no)))
        answers = _answers(r) if meta.get("文种") in ("议程", "公示") else {}  # only these need them
        report = next((k for k in later if kinds[k] == "报告"), None)
        meeting = _day(answers.get("meeting_date"))
        if report and report not in filed and meeting and meta.get("文种") == "议程":
            deadline = general.report_deadline(meeting)
            items.append(Due(f"报送选举结果：{meta.get('compound', '')}", f"党员大会于{general.cn_date(meeting)}召开，"
                             f"选举结果须在会后 {general.REPORT_WITHIN_DAYS} 日内报街道党工委。",
                             deadline, ("record", r.archive_no)))
        end = _day(answers.get("notice_end_date"))
        if meta.get("文种") == "公示" and end and end >= today - timedelta(days=7):
            running = end >= today
            items.append(Due(f"{'公示中' if running else '公示已结束'}：{meta.get('题名', '')}",
                             f"公示至{general.cn_date(end)}，{general.cn_date(end + timedelta(days=1))}起可撤下。",
                             end + timedelta(days=1), ("record", r.archive_no)))
    matters = [m for m in matters if sees({"street": m.street, "community": m.community})]
    for m in matters:
        if m.on(today).stage == "registered":
            deadline = rm.accept_deadline(m.registered)
            items.append(Due(f"受理实事 {m.no}：{m.title}", f"{general.cn_date(m.registered)}登记，须在 "
                             f"{rm.ACCEPT_WITHIN_WORKDAYS} 个工作日内反馈受理情况。", deadline, ("matter", m.no)))
    items += _quarterly(records, matters, today)
    items += _december(records, today)
    for item in items:
        item.urgency = _urgency(item.due, today)
    order = {"overdue": 0, "soon": 1, "later": 2}
    return sorted(items, key=lambda i: (order[i.urgency], i.due or date.max, i.title))


def _quarter_before(today: date) -> tuple[int, int]:
    q = (today.month - 1) // 3  # the quarter that ended last (0 = Q4 of last year)
    return (today.year, q) if q else (today.year - 1, 4)


def _quarterly(records: list[Record], matters: list[Matter], today: date) -> list[Due]:
    """The 实事公示 of the quarter just ended, for every compound with matters then, until one
    of that quarter is filed (resident-matter-register)."""
    year, quarter = _quarter_before(today)
    start, end = rm.quarter_bounds(year, quarter)
    compounds = {m.compound for m in matters if m.registered <= end}
    done = {str(r.meta.get("compound", "")) for r in records if r.meta.get("doc_key") == "resident-matter-register"
            and (_day(_answers(r).get("notice_start_date")) or date.min) > end}
    due = general.add_workdays(end + timedelta(days=1), 5)
    return [Due(f"季度实事公示：{c}小区{rm.quarter_title(year, quarter)}", "以季度为单位开展实事登记并在社区内公示"
                "（示范文本9），公示在季度结束后发布。", due, ("start", "resident-matter"))
            for c in sorted(compounds - done) if c]


def _december(records: list[Record], today: date) -> list[Due]:
    """From 15 November: the year's 评议 of each community, unless a 评定 of this year is filed."""
    if (today.month, today.day) < (11, 15):
        return []
    communities = {str(r.meta.get("community", "")) for r in records} - {""}
    done = {str(r.meta.get("community", "")) for r in records
            if r.meta.get("interview") in ("red-property-rating", "demo-site-assessment")
            and str(r.meta.get("成文日期", ""))[:4] == str(today.year)}
    return [Due(f"年度评议监督考核：{c}", "评议监督考核工作由社区党组织负责，一般每年12月份进行（示范文本11第一条）。",
                date(today.year, 12, 31), ("start", "red-property-rating")) for c in sorted(communities - done)]
