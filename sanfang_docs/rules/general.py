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


# Where the manual and the 《中国共产党基层组织选举工作条例》 read differently, each threshold is a
# named setting (workspace settings "election"); the default is the stricter reading.
QUORUM_MORE_THAN, QUORUM_AT_LEAST = "more_than", "at_least"
MAJORITY_OF_EXPECTED, MAJORITY_OF_PRESENT = "expected", "present"
DEFAULT_ELECTION = {"quorum": QUORUM_MORE_THAN, "majority_of": MAJORITY_OF_EXPECTED}
QUORUM_SOURCES = {
    QUORUM_MORE_THAN: "《中国共产党基层组织选举工作条例》“有选举权的到会人数超过应到会人数的五分之四，会议有效”",
    QUORUM_AT_LEAST: "手册示范文本1“党员大会须有应到会有选举权党员五分之四以上到会方可进行”",
}
MAJORITY_SOURCES = {
    MAJORITY_OF_EXPECTED: "《中国共产党基层组织选举工作条例》“被选举人获得的赞成票超过应到会有选举权的人数的一半，始得当选”",
    MAJORITY_OF_PRESENT: "本单位设置：被选举人获得的赞成票超过实到会有选举权的人数的一半即当选",
}
# The 批复's sentence on the quorum, by setting: the manual's words, or the 条例's.
QUORUM_SENTENCES = {
    QUORUM_AT_LEAST: "党员大会须有应到会有选举权党员五分之四以上到会方可进行",
    QUORUM_MORE_THAN: "党员大会须有超过应到会有选举权党员五分之四的党员到会方可进行",
}
def election_rules(settings: dict | None = None) -> dict[str, str]:
    """The election thresholds in force: the office's settings over the stricter defaults."""
    rules = dict(DEFAULT_ELECTION)
    rules.update({k: v for k, v in ((settings or {}).get("election") or {}).items() if k in rules})
    if rules["quorum"] not in QUORUM_SOURCES:
        raise ValueError(f"设置 election.quorum 只能是 {QUORUM_MORE_THAN} 或 {QUORUM_AT_LEAST}，现为“{rules['quorum']}”")
    if rules["majority_of"] not in MAJORITY_SOURCES:
        raise ValueError(f"设置 election.majority_of 只能是 {MAJORITY_OF_EXPECTED} 或 {MAJORITY_OF_PRESENT}，"
                         f"现为“{rules['majority_of']}”")
    return rules


def quorum_met(expected: int, present: int, rule: str = QUORUM_MORE_THAN) -> bool:
    """到会 > (or ≥, the manual's reading) 应到会有选举权党员的五分之四 (integer arithmetic)."""
    return present * 5 > expected * 4 if rule == QUORUM_MORE_THAN else present * 5 >= expected * 4


def quorum_needed(expected: int, rule: str = QUORUM_MORE_THAN) -> int:
    """The fewest members present for the meeting to elect."""
    return expected * 4 // 5 + 1 if rule == QUORUM_MORE_THAN else math.ceil(expected * 4 / 5)


def quorum_problem(expected: int, present: int, rule: str = QUORUM_MORE_THAN) -> str | None:
    if quorum_met(expected, present, rule):
        return None
    return (f"到会人数不足：应到会有选举权党员 {expected} 名，实到 {present} 名；按{QUORUM_SOURCES[rule]}，"
            f"须至少 {quorum_needed(expected, rule)} 名到会方可选举")


def majority_base(expected: int, present: int, rule: str = MAJORITY_OF_EXPECTED) -> int:
    """The number whose half a winner's votes must exceed: 应到 (the 条例) or 实到."""
    return expected if rule == MAJORITY_OF_EXPECTED else present


def majority_met(votes: int, base: int) -> bool:
    """当选须获得超过 ``base``（应到或实到会有选举权党员）半数的赞成票."""
    return votes * 2 > base


def majority_problem(name: str, votes: int, expected: int, present: int,
                     rule: str = MAJORITY_OF_EXPECTED) -> str | None:
    base = majority_base(expected, present, rule)
    if majority_met(votes, base):
        return None
    what = "应到会" if rule == MAJORITY_OF_EXPECTED else "实到会"
    return (f"{name} 同志得票 {votes} 票，未超过{what}有选举权党员 {base} 名的半数，不能当选（{MAJORITY_SOURCES[rule]}）；"
            "对不足的名额应另行选举")


def expected_voters(full_members: int, without_rights: int, excused: int) -> int:
    """应到会有选举权党员 = 正式党员 − 无选举权的（受留党察看处分等）− 经批准不计入应到的（因病、出国等）."""
    return full_members - without_rights - excused


def is_party_committee(org_name: str) -> bool:
    """社区党委 (中共××社区委员会 / ××社区党委), not a 党总支 or 党支部 (…总支部委员会, …支部委员会)."""
    name = (org_name or "").strip()
    if "支部" in name or "总支" in name:
        return False
    return name.endswith(("委员会", "党委"))


def candidate_list_problem(people: list[tuple[str, date]], seats: int, members: int, on: date) -> str | None:
    """Why a list of 委员候选人 cannot stand (差额, no repeats, no more than the branch has, 党龄)."""
    names = [name for name, _ in people]
    for name in names:
        if names.count(name) > 1:
            return f"{name} 在候选人名单中重复列出"
    need = min_differential_candidates(seats)
    if len(names) < need:
        return f"差额选举：应选 {seats} 名委员，候选人至少 {need} 名（差额不少于 20%），现有 {len(names)} 名"
    if len(names) > members:
        return f"候选人 {len(names)} 名，多于本支部正式党员 {members} 名：候选人须是本支部的正式党员"
    for name, joined in people:
        if not party_age_ok(joined, on):
            return f"{name} 同志党龄不满 1 年（{cn_date(joined)} 入党），不能作为候选人"
    return None


def election_outcome(results: list[tuple[str, int]], candidates: list[str], seats: int, expected: int,
                     present: int, rule: str = MAJORITY_OF_EXPECTED) -> tuple[list[tuple[str, int]], str | None]:
    """The winners of a 差额 election from every candidate's votes (losers' too), by votes; or a
    problem: a name twice or unknown, a candidate without votes, more votes than ballots, fewer
    winners than seats (另行选举) or a tie at the last seat (再次投票)."""
    names = [name for name, _ in results]
    for name in names:
        if names.count(name) > 1:
            return [], f"{name} 重复列出"
        if name not in candidates:
            return [], f"{name} 不在委员候选人名单中"
    missing = [c for c in candidates if c not in names]
    if missing:
        return [], f"请写出每一名候选人的得票（含未当选的），缺少：{cn_list(missing)}"
    for name, votes in results:
        if votes > present:
            return [], f"{name} 得票（{votes}）不能多于实到人数（{present}）"
    if sum(v for _, v in results) > present * seats:
        return [], (f"得票合计 {sum(v for _, v in results)} 票，多于实到 {present} 名 × 应选 {seats} 名："
                    f"每张选票最多选 {seats} 人")
    base = majority_base(expected, present, rule)
    passing = sorted(((n, v) for n, v in results if majority_met(v, base)), key=lambda r: -r[1])
    if len(passing) < seats:
        what = "应到会" if rule == MAJORITY_OF_EXPECTED else "实到会"
        return [], (f"获得超过{what}有选举权党员 {base} 名半数赞成票的只有 {len(passing)} 名，少于应选的 {seats} 名"
                    f"（{MAJORITY_SOURCES[rule]}）；对不足的名额应另行选举，另行选举后再起草")
    if len(passing) > seats and passing[seats - 1][1] == passing[seats][1]:
        tied = [n for n, v in passing if v == passing[seats][1]]
        return [], (f"{cn_list(tied)} 同志票数相等（各 {passing[seats][1]} 票），不能确定第 {seats} 名当选人；"
                    "按《中国共产党基层组织选举工作条例》应就票数相等的被选举人再次投票，得票多的当选")
    return passing[:seats], None


def min_differential_candidates(seats: int) -> int:
    """差额选举：候选人应多于应选人数，差额不少于 20%（《基层组织选举工作条例》第十二条）."""
    return seats + max(1, math.ceil(seats * 0.2))


# 《中国共产党支部工作条例（试行）》：村、社区党支部委员会每届任期5年。
BRANCH_TERM_YEARS = 5


def term_end_problem(term_end: date, approved: date) -> str | None:
    """A term that ends before the approval, or runs past one 5-year term."""
    if term_end <= approved:
        return f"任期截止日期（{cn_date(term_end)}）应晚于批复日期（{cn_date(approved)}）"
    try:
        limit = approved.replace(year=approved.year + BRANCH_TERM_YEARS)
    except ValueError:
        limit = approved.replace(year=approved.year + BRANCH_TERM_YEARS, day=28)
    if term_end > limit:
        return (f"任期截止日期（{cn_date(term_end)}）超过一届任期：社区党支部委员会每届任期5年"
                f"（《中国共产党支部工作条例（试行）》），最晚 {cn_date(limit)}")
    return None


def future_date_note(doc_date: date, today: date) -> str:
    """One sentence for the document's screen when its 成文日期 lies in the future."""
    # On a docassemble server dates are DADateTime (a datetime): compare calendar days.
    doc_date, today = (d.date() if hasattr(d, "hour") else d for d in (doc_date, today))
    if doc_date and today and doc_date > today:
        return f"注意：成文日期 {cn_date(doc_date)} 晚于今天（{cn_date(today)}），请确认日期无误再签发归档。"
    return ""


def report_deadline(meeting: date) -> date:
    return meeting + timedelta(days=REPORT_WITHIN_DAYS)


def party_age_ok(joined: date, on: date) -> bool:
    """党龄满 1 年 (counted to the meeting date)."""
    try:
        anniversary = joined.replace(year=joined.year + MIN_PARTY_AGE_YEARS)
    except ValueError:  # joined on 29 February
        anniversary = joined.replace(year=joined.year + MIN_PARTY_AGE_YEARS, day=28)
    return anniversary <= on


def _office_calendar(year: int, holidays: dict | None) -> tuple[set[date], set[date]] | None:
    """The office's own entry for ``year`` (settings "holidays"): its days off and 调休 workdays.

    Format (keys may be ints or strings, dates ISO or ranges "2027-02-05~2027-02-11")::

        holidays:
          2027:
            source: 国务院办公厅关于2027年部分节假日安排的通知
            days_off: [2027-01-01, 2027-02-05~2027-02-11]
            workdays: [2027-02-14]
    """
    entry = (holidays or {}).get(year) or (holidays or {}).get(str(year))
    if not entry:
        return None

    def days(items: list | None) -> set[date]:
        out: set[date] = set()
        for item in items or []:
            if isinstance(item, date):  # YAML reads 2027-02-05 as a date already
                out.add(item)
                continue
            first, _, last = str(item).partition("~")
            start = to_date(first)
            end = to_date(last) if last else start
            out.update(start + timedelta(days=i) for i in range((end - start).days + 1))
        return out

    return days(entry.get("days_off")), days(entry.get("workdays"))


def calendar_knows(year: int, holidays: dict | None = None) -> bool:
    """Whether the official holiday calendar of ``year`` is known (office entry or chinese_calendar)."""
    if _office_calendar(year, holidays) is not None:
        return True
    try:
        import chinese_calendar

        chinese_calendar.is_workday(date(year, 6, 1))
        return True
    except (ImportError, NotImplementedError):
        return False


def is_workday(day: date, holidays: dict | None = None) -> bool:
    """Chinese working day: the office's entry for the year (settings "holidays"), else the State
    Council calendar where chinese_calendar knows the year, else Monday–Friday (and
    :func:`calendar_note` tells the clerk so)."""
    office = _office_calendar(day.year, holidays)
    if office is not None:
        off, work = office
        return day in work or (day not in off and day.weekday() < 5)
    try:
        import chinese_calendar

        return bool(chinese_calendar.is_workday(day))
    except (ImportError, NotImplementedError):
        return day.weekday() < 5


def add_workdays(start: date, days: int, holidays: dict | None = None) -> date:
    """The last day of a period of ``days`` working days that starts on ``start``."""
    day, counted = start, 0
    while True:
        if is_workday(day, holidays):
            counted += 1
            if counted >= days:
                return day
        day += timedelta(days=1)


def workdays_between(start: date, end: date, holidays: dict | None = None) -> int:
    """Working days from ``start`` to ``end``, both included."""
    return sum(1 for i in range((end - start).days + 1) if is_workday(start + timedelta(days=i), holidays))


def calendar_note(start: date, end: date, holidays: dict | None = None) -> str:
    """One sentence for the document's screen when the period runs into a year whose official
    holidays are not known (then weekends only are skipped); empty otherwise."""
    unknown = [y for y in range(start.year, end.year + 1) if not calendar_knows(y, holidays)]
    if not unknown:
        return ""
    years = "、".join(f"{y}年" for y in unknown)
    return (f"注意：{years}的法定节假日安排系统尚不知道，{cn_date(start)}至{cn_date(end)}的工作日只扣除了周六、周日；"
            f"请在本单位设置的 holidays 中录入国务院办公厅{years}部分节假日安排的通知后重新生成。")


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
