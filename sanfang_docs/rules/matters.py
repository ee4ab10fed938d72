"""示范文本9 小区业主实事登记: the lifecycle rules, privacy masking and quarters, as plain functions.

Used by the interview ``resident-matter`` (``modules: - sanfang_docs.rules.matters``) and by the
register (:mod:`sanfang_docs.registers.matters`), so a rule says the same thing on a screen and on the
command line. Every function is pure and takes plain values. A ``check_*`` function returns the
clerk's message when the rule is broken, else ``None``.
"""

from __future__ import annotations

import re
from datetime import date, timedelta
from typing import Any

from .general import add_workdays, cn_date, to_date

ACCEPT_WITHIN_WORKDAYS = 3  # 使用说明1：3 个工作日内反馈受理情况

# Lifecycle states (register) and their labels on the form and in the 公示.
STAGES = ("registered", "accepted", "in_progress", "resolved", "rated")
STAGE_LABELS = {"registered": "已登记", "accepted": "已受理", "in_progress": "处理中",
                "resolved": "已解决", "rated": "已回访"}
# 示范文本9 “业主回访满意度”：满意 / 一般 / 不满意（需说明原因）.
SATISFACTION = ("满意", "一般", "不满意")

# 意见/建议类别: key → (label on the form, short name in the 公示). "owners" follows owners_body.
CATEGORIES: dict[str, tuple[str, str]] = {
    "party": ("小区党组织建设问题", "党组织建设"),
    "owners": ("业主委员会问题", "业主委员会"),
    "property_company": ("物业企业管理问题", "物业企业管理"),
    "mechanism": ("小区“三方联动”机制问题", "三方联动机制"),
    "facilities": ("公共设施（电梯、楼道、健身器材等）", "公共设施"),
    "sanitation": ("环境卫生（垃圾处理、绿化维护等）", "环境卫生"),
    "safety": ("安全管理（门禁、监控、停车等）", "安全管理"),
    "service": ("物业服务（响应速度、服务态度等）", "物业服务"),
    "neighbours": ("邻里纠纷", "邻里纠纷"),
    "other": ("其他", "其他"),
}
PMC_CATEGORY = ("物业管理委员会问题", "物业管理委员会")

_PHONE = re.compile(r"(?<!\d)(?:1[3-9]\d(?:[\s\-－]?\d){8}|0\d{2,3}[\s\-－]?\d{7,8}|\d{7,8})(?!\d)")
_EMAIL = re.compile(r"[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)+")
_WECHAT = re.compile(r"(?:微信|VX|vx|WX|wx|wechat|WeChat)[号]?\s*[:：]?\s*[A-Za-z][\w\-]{5,19}")
CONTACT_IN_PUBLIC_TEXT = "会在季度实事公示中公开，不能包含手机号、电话、微信号、邮箱等联系方式"


# ---------------------------------------------------------------------------- categories

def category_choices(owners_body: str) -> list[tuple[str, str]]:
    """(key, label on the form) in the manual's order; 业委会 or 物管会 as the compound has."""
    return [(k, category_label(k, owners_body)) for k in CATEGORIES]


def category_label(key: str, owners_body: str = "owners_committee") -> str:
    if key == "owners" and owners_body == "property_management_committee":
        return PMC_CATEGORY[0]
    return CATEGORIES[key][0]


def category_short(key: str, owners_body: str = "owners_committee", other: str = "") -> str:
    if key == "other":
        return other or "其他"
    if key == "owners" and owners_body == "property_management_committee":
        return PMC_CATEGORY[1]
    return CATEGORIES[key][1]


# ---------------------------------------------------------------------------- contacts and privacy

def check_contact(kind: str, value: str) -> str | None:
    """联系方式 by kind: phone (手机/电话), wechat (微信号), email (邮箱)."""
    text = re.sub(r"[\s\-－]", "", value or "")
    if kind == "phone" and not re.fullmatch(r"1[3-9]\d{9}|0\d{9,11}", text):
        return "手机号应为 11 位数字（例如 13807151234），固定电话请连区号写，例如 027-87951234"
    if kind == "wechat" and not (re.fullmatch(r"[A-Za-z][\w\-]{5,19}", value.strip())
                                 or re.fullmatch(r"1[3-9]\d{9}", text)):
        return "微信号为 6～20 位字母、数字、下划线或减号，以字母开头（也可填写绑定微信的手机号）"
    if kind == "email" and not _EMAIL.fullmatch(value.strip()):
        return "邮箱格式不正确，例如：zhangguilan@163.com"
    return None


def has_contact(text: str, own: tuple[str, ...] | list[str] = ()) -> bool:
    """Does ``text`` hold a phone number, e-mail, WeChat id, or one of the resident's own details?"""
    text = text or ""
    if _PHONE.search(text) or _EMAIL.search(text) or _WECHAT.search(text):
        return True
    squeezed = re.sub(r"[\s\-－]", "", text)
    return any(o and len(o) >= 5 and re.sub(r"[\s\-－]", "", o) in squeezed for o in own)


def check_public_text(what: str, text: str, own: tuple[str, ...] | list[str] = (),
                      room: str = "") -> str | None:
    """Text printed in the 公示 (问题标题, 处理结果) must not identify a household."""
    if has_contact(text, own):
        return f"{what}{CONTACT_IN_PUBLIC_TEXT}"
    if room and len(room) >= 3 and room in (text or ""):
        return f"{what}会在季度实事公示中公开，不要写房间号（{room}）；房号已单独登记，只在登记表上出现"
    return None


def redact_contacts(text: str) -> str:
    """Defence in depth for public output: any phone number, e-mail or WeChat id becomes ***."""
    for pattern in (_EMAIL, _WECHAT, _PHONE):
        text = pattern.sub("***", text or "")
    return text


COMPOUND_SURNAMES = (
    "欧阳", "司马", "上官", "诸葛", "东方", "皇甫", "尉迟", "公孙", "慕容", "长孙", "宇文", "司徒",
    "令狐", "夏侯", "轩辕", "端木", "独孤", "南宫", "西门", "百里", "呼延", "钟离", "申屠", "澹台",
)


def mask_name(name: str) -> str:
    """张桂兰 → 张**，欧阳明 → 欧阳**: the surname only. Already masked names are kept."""
    name = (name or "").strip()
    if not name:
        return "**"
    if "*" in name or name.endswith(("先生", "女士", "某某")):
        return name
    surname = next((s for s in COMPOUND_SURNAMES if name.startswith(s) and len(name) > len(s)), name[0])
    return surname + "**"


def public_building(building: str) -> str:
    """Only the 楼栋 is public: 3栋2单元501 → 3栋; 5号楼 → 5号楼; 3-2-501 → 3栋; else empty."""
    text = (building or "").strip()
    m = re.match(r"^(.*?(?:栋|幢|号楼))", text)
    if m:
        return m.group(1)
    m = re.match(r"^(\d{1,3})\s*[-－]", text)
    return f"{m.group(1)}栋" if m else ""


def check_building(building: str) -> str | None:
    if not re.fullmatch(r"\S{1,8}(?:栋|幢|号楼)", (building or "").strip()):
        return "楼栋请写成“3栋”“5号楼”或“A幢”，单元和房间号另填"
    return None


# ---------------------------------------------------------------------------- lifecycle dates

def accept_deadline(registered: date) -> date:
    """3 个工作日, counted from the day after registration (开始的当日不计入)."""
    return add_workdays(registered + timedelta(days=1), ACCEPT_WITHIN_WORKDAYS)


def check_accept(registered: date, accepted: date, overdue_reason: str = "",
                 hint: str = "请填写逾期受理原因") -> str | None:
    if accepted < registered:
        return f"受理日期（{cn_date(accepted)}）不能早于登记日期（{cn_date(registered)}）"
    deadline = accept_deadline(registered)
    if accepted > deadline and not (overdue_reason or "").strip():
        return (f"应在登记后 3 个工作日内受理：{cn_date(registered)}登记，最晚{cn_date(deadline)}受理，"
                f"{cn_date(accepted)}受理已逾期；确已逾期的，{hint}")
    return None


def check_order(earlier: date, later: date, earlier_what: str, later_what: str) -> str | None:
    if later < earlier:
        return f"{later_what}（{cn_date(later)}）不能早于{earlier_what}（{cn_date(earlier)}）"
    return None


def check_rating(satisfaction: str, reason: str = "") -> str | None:
    if satisfaction not in SATISFACTION:
        return "业主回访满意度只能是：" + "、".join(SATISFACTION) + f"；收到“{satisfaction}”"
    if satisfaction == "不满意" and not (reason or "").strip():
        return "业主回访“不满意”的，须说明原因"
    return None



def check_transition(no: str, stage: str, action: str, resolved: date | None = None,
                     satisfaction: str = "") -> str | None:
    """May ``action`` (accept / assign / resolve / rate) follow ``stage``? 已登记 → 已受理 → 处理中
    → 已解决 → 已回访; 处理中 may change its 负责人; 回访“不满意” may be assigned again."""
    label = STAGE_LABELS[stage] + (f"（{satisfaction}）" if stage == "rated" else "")
    done = cn_date(resolved) if resolved else ""
    refusals = {
        ("accept", "*"): f"实事 {no} 已经受理（当前状态：{label}），不能重复受理",
        ("assign", "registered"): f"实事 {no} 尚未受理，不能指定负责人：请先受理（登记后 3 个工作日内）",
        ("assign", "resolved"): f"实事 {no} 已于{done}解决，尚待业主回访；回访不满意的，才可重新指定负责人办理",
        ("assign", "rated"): f"实事 {no} 已办结，业主回访“{satisfaction}”，不能再指定负责人",
        ("resolve", "registered"): f"实事 {no} 尚未受理，不能办结",
        ("resolve", "accepted"): f"实事 {no} 尚未指定负责人，不能直接办结：请先指定负责人（处理中）",
        ("resolve", "resolved"): f"实事 {no} 已于{done}解决，不能重复办结",
        ("resolve", "rated"): f"实事 {no} 已于{done}解决，不能重复办结",
        ("rate", "rated"): f"实事 {no} 已回访（{satisfaction}），不能重复评价",
        ("rate", "*"): f"实事 {no} 尚未解决（当前状态：{label}），不能回访评价",
    }
    allowed = {"accept": ("registered",), "assign": ("accepted", "in_progress"), "resolve": ("in_progress",),
               "rate": ("resolved",)}[action]
    if stage in allowed or (action == "assign" and stage == "rated" and satisfaction == "不满意"):
        return None
    return refusals.get((action, stage)) or refusals[(action, "*")]


# ---------------------------------------------------------------------------- quarters

CN_QUARTERS = {1: "第一季度", 2: "第二季度", 3: "第三季度", 4: "第四季度"}


def parse_quarter(text: str) -> tuple[int, int]:
    """2026Q3 / 2026-q3 → (2026, 3); ValueError otherwise."""
    m = re.fullmatch(r"\s*(\d{4})\s*[-－]?\s*[Qq]\s*([1-4])\s*", str(text))
    if not m:
        raise ValueError(f"季度应写成 2026Q3 的形式，收到“{text}”")
    return int(m.group(1)), int(m.group(2))


def quarter_of(day: date) -> tuple[int, int]:
    return day.year, (day.month - 1) // 3 + 1


def quarter_bounds(year: int, quarter: int) -> tuple[date, date]:
    start = date(year, 3 * quarter - 2, 1)
    end = date(year + 1, 1, 1) if quarter == 4 else date(year, 3 * quarter + 1, 1)
    return start, end - timedelta(days=1)


def quarter_title(year: int, quarter: int) -> str:
    return f"{year}年{CN_QUARTERS[quarter]}"


# ---------------------------------------------------------------------------- the 公示 rows

ROW_FORMAT = "登记编号｜登记日期｜反映人｜楼栋｜类别｜问题标题｜办理状态｜责任人｜办结日期｜处理结果｜满意度"


def public_row(row: dict[str, Any]) -> dict[str, Any]:
    """A 公示 row with nothing that identifies a household: masked name, 楼栋 only, no contact."""
    return {
        "no": str(row.get("no", "")), "registered": str(row.get("registered", ""))[:10],
        "resident": mask_name(str(row.get("resident", ""))),
        "building": public_building(str(row.get("building", ""))),
        "category": str(row.get("category", "")), "title": redact_contacts(str(row.get("title", ""))),
        "status": str(row.get("status", "已登记")), "handler": str(row.get("handler", "") or ""),
        "resolved": str(row.get("resolved", "") or "")[:10],
        "outcome": redact_contacts(str(row.get("outcome", "") or "")),
        "satisfaction": str(row.get("satisfaction", "") or ""),
    }


def parse_register_text(text: str, start: date, end: date) -> list[dict[str, Any]]:
    """The 公示 list typed by hand, one matter a line (see ROW_FORMAT); “无” for none.

    Raises ValueError naming the line and the rule it breaks."""
    if (text or "").strip() in ("无", "没有"):
        return []
    rows: list[dict[str, Any]] = []
    for n, line in enumerate((text or "").splitlines(), 1):
        if not line.strip():
            continue
        cells = [c.strip() for c in re.split(r"[|｜]", line.strip().strip("|｜"))]
        cells += [""] * (11 - len(cells))
        if len([c for c in cells[:7] if c]) < 7 or len(cells) > 11:
            raise ValueError(f"第 {n} 行应写成“{ROW_FORMAT}”（后四项按办理状态填写）")
        no, reg, resident, building, category, title, status, handler, done, outcome, rating = cells[:11]
        try:
            registered = to_date(reg)
            resolved = to_date(done) if done else None
        except ValueError as err:
            raise ValueError(f"第 {n} 行：{err}") from None
        problem = _row_problem(status, handler, resolved, outcome, rating, title, registered, start, end)
        if problem:
            raise ValueError(f"第 {n} 行（{no}）：{problem}")
        if any(r["no"] == no for r in rows):
            raise ValueError(f"第 {n} 行：登记编号 {no} 重复")
        rows.append({"no": no, "registered": registered.isoformat(), "resident": resident,
                     "building": building, "category": category, "title": title, "status": status,
                     "handler": handler, "resolved": resolved.isoformat() if resolved else "",
                     "outcome": outcome, "satisfaction": rating})
    return rows


def _row_problem(status: str, handler: str, resolved: date | None, outcome: str, rating: str,
                 title: str, registered: date, start: date, end: date) -> str | None:
    labels = [STAGE_LABELS[s] for s in STAGES[:4]]
    if status not in labels:
        return "办理状态只能是：" + "、".join(labels) + f"；收到“{status}”"
    if registered > end:
        return f"登记日期（{cn_date(registered)}）晚于本季度末（{cn_date(end)}），不列入本季度公示"
    if status in ("处理中", "已解决") and not handler:
        return f"“{status}”的事项须写明责任人"
    if status == "已解决":
        if not resolved or not outcome:
            return "“已解决”的事项须写明办结日期和处理结果"
        if resolved < registered or resolved > end:
            return f"办结日期（{cn_date(resolved)}）应在登记日期之后、本季度末（{cn_date(end)}）之前"
        if registered < start and resolved < start:
            return f"该事项已于{cn_date(resolved)}办结，属于以前季度，不再列入本季度公示"
    elif resolved or rating:
        return "未解决的事项不填办结日期和满意度"
    if rating and rating not in SATISFACTION:
        return "满意度只能是：" + "、".join(SATISFACTION) + f"；收到“{rating}”"
    for what, value in (("问题标题", title), ("处理结果", outcome)):
        if has_contact(value):
            return what + CONTACT_IN_PUBLIC_TEXT
    return None


def notice_cells(row: dict[str, Any], start: date) -> dict[str, str]:
    """The 公示 table cells of one public row (see :func:`public_row`): 登记编号 and date, 反映人,
    反映事项, 办理情况 with the 回访 result."""
    reg = date.fromisoformat(row["registered"])
    when = f"{reg.month}月{reg.day}日" if reg.year == start.year else cn_date(reg)
    if reg < start:
        previous = date(start.year - 1, 10, 1) if start.month == 1 else date(start.year, start.month - 3, 1)
        when += "，上季度结转" if reg >= previous else "，以前季度结转"
    status = row["status"]
    if status == "已解决":
        done = date.fromisoformat(row["resolved"])
        outcome = row["outcome"].rstrip("。；;，, ")
        progress = f"已解决（{done.month}月{done.day}日），责任人{row['handler']}：{outcome}"
        progress += f"；业主回访：{row['satisfaction']}" if row["satisfaction"] else "；待回访"
    elif status == "处理中":
        progress = f"处理中，责任人{row['handler']}"
    elif status == "已受理":
        progress = "已受理，待指定责任人"
    else:
        progress = "待受理"
    return {
        "no": f"{row['no']}（{when}）",
        "who": row["resident"] + (f"（{row['building']}）" if row["building"] else ""),
        "matter": f"{row['title']}（{row['category']}）" if row["category"] else row["title"],
        "progress": progress,
    }


def notice_summary(rows: list[dict[str, Any]], start: date) -> dict[str, int]:
    """Counts for the 公示's opening paragraph."""
    count = {s: sum(1 for r in rows if r["status"] == s) for s in ("已登记", "已受理", "处理中", "已解决")}
    rated = [r["satisfaction"] for r in rows if r["satisfaction"]]
    return {
        "total": len(rows), "carried": sum(1 for r in rows if r["registered"] < start.isoformat()),
        "registered": count["已登记"], "accepted": count["已受理"], "in_progress": count["处理中"],
        "resolved": count["已解决"], "rated": len(rated),
        "satisfied": rated.count("满意"), "fair": rated.count("一般"), "dissatisfied": rated.count("不满意"),
    }


def summary_text(c: dict[str, int]) -> str:
    """本季度列入公示的实事共5件（含…）。截至季度末，已解决2件，…。已回访2件，其中满意1件、一般1件。"""
    text = f"本季度列入公示的实事共{c['total']}件" + (f"（含以前季度结转未办结的{c['carried']}件）" if c["carried"] else "")
    parts = [f"{label}{c[key]}件" for label, key in (("已解决", "resolved"), ("处理中", "in_progress"),
             ("已受理待指定责任人", "accepted"), ("待受理", "registered")) if c[key]]
    text += "。截至季度末，" + "，".join(parts) + "。"
    if c["rated"]:
        ratings = [f"{label}{c[key]}件" for label, key in (("满意", "satisfied"), ("一般", "fair"),
                   ("不满意", "dissatisfied")) if c[key]]
        text += f"已解决的实事已回访{c['rated']}件，其中" + "、".join(ratings) + "。"
    return text
