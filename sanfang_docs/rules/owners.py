"""Rules and wording for the owners' body, the property company and cross-appointments
(示范文本 2, 3, 4 and 8), used by interview code (``modules: - sanfang_docs.rules.owners``).

Pure functions on plain values, so they run the same on our runner and on a docassemble
server. Messages are for clerks.
"""

from __future__ import annotations

import re
from datetime import date

OWNERS_COMMITTEE, PMC = "owners_committee", "property_management_committee"
OWNERS_BODY_NAMES = {OWNERS_COMMITTEE: "业主委员会", PMC: "物业管理委员会"}
OWNERS_BODY_SHORT = {OWNERS_COMMITTEE: "业委会", PMC: "物管会"}

# 《湖北省物业管理条例》第二十条：首次业主大会会议的三个条件（任一即须召开）
ARTICLE_20 = (
    "《湖北省物业管理条例》第二十条“符合下列条件之一的，街道办事处、乡镇人民政府应当组织召开"
    "物业区域内首次业主大会会议：（一）交付的房屋专有部分面积达到建筑物总面积百分之五十的；"
    "（二）交付的房屋套数达到总套数百分之五十的；（三）自首位业主入住之日起满两年且已入住户数"
    "比例达到百分之二十的。”"
)

# 党章第三十条；手册第二章第一部分（二）（三）（五）：3 名以上正式党员应成立党支部。
MIN_BRANCH_PARTY_MEMBERS = 3

_PHONE = re.compile(r"[0-9][0-9\-－ ]{5,18}[0-9]")
_HOURS = re.compile(r"^(.*?)(\d{1,2})[:：](\d{2})\s*[-－—~～至到]\s*(\d{1,2})[:：](\d{2})$")
_NAME_SPLIT = re.compile(r"[\n、，,；;\s]+")


def owners_body_name(kind: str) -> str:
    """业主委员会 / 物业管理委员会"""
    return OWNERS_BODY_NAMES[kind]


def owners_body_short(kind: str) -> str:
    """业委会 / 物管会"""
    return OWNERS_BODY_SHORT[kind]


# ---------------------------------------------------------------- 示范文本2：首次业主大会条件


def pct(part: float, whole: float) -> str:
    """37.5% / 40% (one decimal, no trailing .0)."""
    if not whole:
        return "0%"
    value = round(part * 100 / whole, 1)
    return f"{value:g}%"


def plain_number(value: float) -> str:
    """52000.0 → 52000; 52000.5 → 52000.5 (areas as a clerk writes them)."""
    return f"{value:g}" if float(value) != int(value) else str(int(value))


def years_later(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


def first_assembly_grounds(total_area: float, delivered_area: float, total_units: int,
                           delivered_units: int, first_move_in: date, occupied_units: int,
                           on: date) -> list[str]:
    """Which conditions of 第二十条 hold on ``on``: each as a phrase for the clerk; empty if none
    (then the compound may have a 物业管理委员会 instead of an owners' assembly)."""
    grounds = []
    if delivered_area * 2 >= total_area:
        grounds.append(f"交付的房屋专有部分面积已达建筑物总面积的 {pct(delivered_area, total_area)}（条件一：百分之五十）")
    if delivered_units * 2 >= total_units:
        grounds.append(f"交付的房屋套数已达总套数的 {pct(delivered_units, total_units)}（条件二：百分之五十）")
    if years_later(first_move_in, 2) <= on and occupied_units * 5 >= total_units:
        share = pct(occupied_units, total_units)
        grounds.append(f"首位业主入住已满两年且已入住户数比例达 {share}（条件三：满两年且百分之二十）")
    return grounds


# The answer each condition of 第二十条 turns on, so the refusal names the field that met it.
GROUND_FIELDS = {"条件一": "delivered_floor_area", "条件二": "delivered_units", "条件三": "occupied_units"}


def first_assembly_field(grounds: list[str]) -> str:
    """The field of the first condition met (条件一 → 已交付面积, 二 → 已交付套数, 三 → 已入住户数)."""
    for ground in grounds:
        for tag, name in GROUND_FIELDS.items():
            if tag in ground:
                return name
    return "delivered_floor_area"


def first_assembly_message(grounds: list[str]) -> str:
    return (
        "本小区已符合《湖北省物业管理条例》第二十条召开首次业主大会会议的条件："
        + "；".join(grounds)
        + "。依法应由街道办事处组织召开首次业主大会会议、选举产生业主委员会，"
        "不能成立物业管理委员会，本请示不予起草。"
    )


def parse_names(text: str) -> list[str]:
    """Names one a line (or separated by 、，；): 张三、李四 → ['张三', '李四']."""
    return [n for n in _NAME_SPLIT.split(text or "") if n]


def name_problem(names: list[str], taken: list[str]) -> str | None:
    """Why a list of owner representatives cannot stand, or None."""
    if not names:
        return "至少填写 1 名业主代表"
    for n in names:
        if len(n) > 10 or not re.fullmatch(r"[\u4e00-\u9fff·A-Za-z]+", n):
            return f"“{n}”不像姓名：每行写一名业主代表的姓名（或用顿号分隔）"
    seen = set()
    for n in names:
        if n in seen:
            return f"{n} 重复列出"
        if n in taken:
            return f"{n} 已列为主任或开发建设单位代表，不能同时作为业主代表"
        seen.add(n)
    return None


# ---------------------------------------------------------------- 示范文本3：党建指导员


def instructor_refusal(requester: str, owners_body: str | None, party_members: int) -> str | None:
    """With 3 or more 正式党员 the unit founds a branch instead of asking for a 党建指导员."""
    if party_members < MIN_BRANCH_PARTY_MEMBERS:
        return None
    if requester == "property_company":
        who = "物业服务企业有 3 名以上党员员工的，应以小区为单位成立党支部"
    elif owners_body == PMC:
        who = "物业管理委员会代行业主委员会职责，委员中有 3 名以上正式党员的，应相应成立党支部"
    else:
        who = "业主委员会成员中有 3 名以上党员且组织关系在社区的，应成立党支部"
    return (
        f"现有正式党员 {party_members} 名，已具备成立党支部的条件（《中国共产党章程》第三十条）。"
        f"按手册要求，{who}，经社区党组织上报街道党工委批准，不需要申请派遣党建指导员。"
        "请改用“成立小区党支部”（示范文本1）起草成立党支部的请示。"
    )


# ---------------------------------------------------------------- 示范文本4：交叉任职


def people_lines(text: str, what: str) -> list[tuple[str, str]]:
    """Lines of "姓名 职务" → pairs; raises ValueError naming the bad line."""
    people = []
    for n, line in enumerate((text or "").splitlines(), 1):
        line = line.strip()
        if not line:
            continue
        m = re.match(r"^(\S{1,10}?)[\s，,、：:]+(\S.*)$", line)
        if not m:
            raise ValueError(f"第 {n} 行“{line}”应写成“姓名 {what}”，例如：张伟 社区党委委员")
        people.append((m.group(1), m.group(2).strip()))
    if not people:
        raise ValueError(f"至少填写 1 人（每行一人：姓名 {what}）")
    names = [p[0] for p in people]
    for name in names:
        if names.count(name) > 1:
            raise ValueError(f"{name} 重复列出")
    return people


def post_body_problem(post: str, owners_body: str) -> str | None:
    """A post that names the owners' body the compound does not have (or a 物管会主任, who
    comes from the residents' committee and is a community cadre already)."""
    if owners_body == PMC:
        if "业主委员会" in post or "业委会" in post:
            return (f"“{post}”：本小区未成立业主委员会，由物业管理委员会代行其职责；"
                    "请写物业管理委员会中的职务（如：物业管理委员会业主代表委员）")
        if re.search(r"(物业管理委员会|物管会)主任", post):
            return (f"“{post}”：物业管理委员会主任由社区居民委员会成员担任，本身就是社区干部，"
                    "不需再兼任；可列入物管会中的业主代表委员或物业服务企业项目经理")
    elif "物业管理委员会" in post or "物管会" in post:
        return f"“{post}”：本小区由业主委员会代表业主，没有物业管理委员会；请写业主委员会中的职务"
    return None


def named_list(people: list[tuple[str, str]]) -> str:
    """Title words: 张伟同志 / 张伟等同志."""
    return f"{people[0][0]}{'等' if len(people) > 1 else ''}同志"


def term_problem(start_year: int, end_year: int, on: date) -> str | None:
    """本届居委会任期 (5 years since the 2018 amendment of the 居委会组织法) must hold ``on``."""
    if end_year <= start_year:
        return f"任期届满年份（{end_year}）应晚于本届起始年份（{start_year}）"
    if end_year - start_year > 5:
        return f"居民委员会每届任期五年，{start_year}—{end_year} 年超过五年"
    if not start_year <= on.year <= end_year:
        return f"{on.year} 年不在本届居民委员会任期（{start_year}—{end_year} 年）内，聘期无法与本届任期一致"
    return None


def street_office_for(street_name: str) -> str:
    """纸坊街道 → 纸坊街道办事处; 藏龙岛开发区 → 藏龙岛开发区管理委员会."""
    return street_name + ("办事处" if street_name.endswith("街道") else "管理委员会")


# ---------------------------------------------------------------- 示范文本8：服务承诺


def cn_ordinal(n: int) -> str:
    """届次: 1 → 一, 12 → 十二, 20 → 二十 (up to 99)."""
    digits = "〇一二三四五六七八九"
    if n < 10:
        return digits[n]
    tens, ones = divmod(n, 10)
    return (digits[tens] if tens > 1 else "") + "十" + (digits[ones] if ones else "")


def count_problem(value: int, what: str, unit: str) -> str | None:
    """A frequency or time limit must be a positive whole number."""
    if value is None or value <= 0:
        return f"{what}应至少为 1 {unit}，不能为 {value} {unit}"
    return None


def percent_problem(value: float, what: str) -> str | None:
    if value is None or value <= 0 or value > 100:
        return f"{what}是百分比，应在 1%～100% 之间，现为 {plain_number(value or 0)}%"
    return None


def phone_problem(phone: str) -> str | None:
    if not _PHONE.fullmatch((phone or "").strip()):
        return f"电话“{phone}”无效：只能包含数字和连字符，7～20 位，例如：027-87951234"
    return None


def office_hours_problem(text: str) -> str | None:
    """工作日 9:00-18:00: the end after the start, both within a day."""
    m = _HOURS.match((text or "").strip())
    if not m:
        return f"办公时间“{text}”应写成“工作日 9:00-18:00”"
    h1, m1, h2, m2 = (int(m.group(i)) for i in range(2, 6))
    if h1 > 23 or h2 > 24 or m1 > 59 or m2 > 59:
        return f"办公时间“{text}”中的钟点无效"
    if h2 * 60 + m2 <= h1 * 60 + m1:
        return f"办公时间“{text}”的结束时间应晚于开始时间"
    return None
