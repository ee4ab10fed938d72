"""The manual's rules as plain functions, used by interview code (``modules: - sanfang_docs.rules.general``).

Every function is pure and takes plain values, so it runs the same on our runner and on a
docassemble server. Messages are for clerks.
"""

from __future__ import annotations

import math
import re
from datetime import date, timedelta

# 《中国共产党支部工作条例（试行）》第七条、第九条
MIN_BRANCH_MEMBERS = 3
MIN_COMMITTEE_MEMBERS = 7
MAX_BRANCH_MEMBERS = 50
REPORT_WITHIN_DAYS = 3  # 选举结果须在会后 3 日内报街道党工委
MIN_NOTICE_WORKDAYS = 5  # 公示不少于 5 个工作日
MIN_PARTY_AGE_YEARS = 1  # 候选人党龄 1 年以上

TOO_FEW_MEMBERS = (
    "正式党员不足 3 名，不能单独成立党支部。按手册规定：可成立党小组，纳入社区党组织管理；"
    "或与相邻小区、零散片区联合组建片区（联合）党支部，经社区党组织上报街道党工委批准。"
)
TOO_MANY_MEMBERS = (
    "党支部党员人数一般不超过 50 人（《中国共产党支部工作条例（试行）》第七条），"
    "不能按一个党支部申请；请分设党支部，或按规定成立党总支。"
)


def branch_form_for(full_members: int) -> str:
    """'secretary' (3–6 正式党员: 只设书记), 'committee' (7–50: 设支委会), or 'none' / 'too_many'."""
    if full_members < MIN_BRANCH_MEMBERS:
        return "none"
    if full_members > MAX_BRANCH_MEMBERS:
        return "too_many"
    return "committee" if full_members >= MIN_COMMITTEE_MEMBERS else "secretary"


def quorum_met(expected: int, present: int) -> bool:
    """实到 ≥ 应到会有选举权党员的五分之四 (integer arithmetic: no rounding surprises)."""
    return present * 5 >= expected * 4


def quorum_needed(expected: int) -> int:
    return math.ceil(expected * 4 / 5)


def majority_met(votes: int, present: int) -> bool:
    """当选须获得实到会有选举权党员过半数的赞成票."""
    return votes * 2 > present


def min_differential_candidates(seats: int) -> int:
    """差额选举：候选人应多于应选人数，差额不少于 20%（《基层组织选举工作条例》第十二条）."""
    return seats + max(1, math.ceil(seats * 0.2))


def report_deadline(meeting: date) -> date:
    return meeting + timedelta(days=REPORT_WITHIN_DAYS)


def party_age_ok(joined: date, on: date) -> bool:
    """党龄满 1 年 (counted to the meeting date)."""
    try:
        anniversary = joined.replace(year=joined.year + MIN_PARTY_AGE_YEARS)
    except ValueError:  # joined on 29 February
        anniversary = joined.replace(year=joined.year + MIN_PARTY_AGE_YEARS, day=28)
    return anniversary <= on


def is_workday(day: date) -> bool:
    """Chinese working day: the State Council calendar where chinese_calendar knows the year,
    weekends only beyond it (the package is updated each December for the next year)."""
    try:
        import chinese_calendar

        return bool(chinese_calendar.is_workday(day))
    except (ImportError, NotImplementedError):
        return day.weekday() < 5


def add_workdays(start: date, days: int) -> date:
    """The last day of a period of ``days`` working days that starts on ``start``."""
    day, counted = start, 0
    while True:
        if is_workday(day):
            counted += 1
            if counted >= days:
                return day
        day += timedelta(days=1)


def workdays_between(start: date, end: date) -> int:
    """Working days from ``start`` to ``end``, both included."""
    return sum(1 for i in range((end - start).days + 1) if is_workday(start + timedelta(days=i)))


_PERSON_LINE = re.compile(r"^\s*(\S+?)\s*[，,、\s]\s*(\S+)\s*$")


def parse_people(text: str, what: str) -> list[tuple[str, str]]:
    """Lines of "姓名 值" (值 = 入党日期 or 票数) → pairs; raises ValueError naming the bad line."""
    people = []
    for n, line in enumerate((text or "").splitlines(), 1):
        if not line.strip():
            continue
        m = _PERSON_LINE.match(line)
        if not m:
            raise ValueError(f"第 {n} 行“{line.strip()}”应写成“姓名 {what}”")
        people.append((m.group(1), m.group(2)))
    return people


# 2026-03-05 / 2026/3/5 / 2026.3.5 / 2026年3月5日 — the forms clerks type (fields.py uses it too).
DATE_PATTERN = re.compile(r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?")


def to_date(text: str) -> date:
    """2026-03-05 / 2026/3/5 / 2026年3月5日 → date; ValueError otherwise."""
    m = DATE_PATTERN.fullmatch(str(text).strip())
    if not m:
        raise ValueError(f"“{text}”不是日期（应写成 2015-07-01）")
    return date(int(m.group(1)), int(m.group(2)), int(m.group(3)))


def cn_date(day: date) -> str:
    """2026年3月5日"""
    return f"{day.year}年{day.month}月{day.day}日"


def cn_list(names: list[str]) -> str:
    """张三、李四、王五"""
    return "、".join(names)
