"""Helpers for the rules documents and the two scoring tables (示范文本5–7、10–13).

Used by interview code and templates (``modules: - sanfang_docs.rules.scoring``). Pure functions
on plain values, so they run the same on our runner and on a docassemble server. The content
of the two tables — items, 分值, 评分要点, 加分指标, 不能评星情形, the 18 indicators — is data
an office may edit: ``interviews/data/red-property-items.yml`` and
``interviews/data/demo-site-indicators.yml``.
"""

from __future__ import annotations

import re as _re
from functools import cache as _cache
from pathlib import Path as _Path
from typing import Any as _Any

import yaml as _yaml

__all__ = [
    "ArticleCounter", "article_label",
    "red_property_standard", "item_label", "bonus_label", "veto_label", "criteria_text", "part_guide",
    "score_problem", "rate_red_property", "MAX_BONUS", "VETO_YES", "VETO_NO",
    "demo_site_indicators", "indicator_label", "indicator_text", "indicator_type_label",
    "parse_archive_nos", "indicator_problem", "demo_site_result", "MET", "UNMET",
]

DATA_DIR = _Path(__file__).resolve().parent.parent / "content" / "interviews" / "data"
MAX_BONUS = 5  # 加分指标：每个项目不超过 5 分
VETO_YES, VETO_NO = "present", "absent"  # 不能评星情形：有 / 无
MET, UNMET = "met", "unmet"  # 示范点指标：达标 / 未达标

_CN_DIGITS = "〇一二三四五六七八九"


# -- 制度: 第一条、第二条… ----------------------------------------------------------------------


def article_label(n: int) -> str:
    """1 → 第一条, 12 → 第十二条 (up to 99 articles)."""
    tens, ones = divmod(n, 10)
    if tens == 0:
        text = _CN_DIGITS[ones]
    else:
        text = (_CN_DIGITS[tens] if tens > 1 else "") + "十" + (_CN_DIGITS[ones] if ones else "")
    return f"第{text}条"


class ArticleCounter:
    """Numbers the articles of a 制度 in the order they are printed, so an article that only
    one branch has (物管会 / 业委会) never leaves a gap. In a template::

        <% art = ArticleCounter() %>
        ${ art() }社区居民委员会……
    """

    def __init__(self) -> None:
        self.n = 0

    def __call__(self) -> str:
        self.n += 1
        return article_label(self.n) + "\u3000"  # 第一条 and a full-width space, as in 制度 texts


# -- 示范文本12：红色物业五星级企业评定 ---------------------------------------------------------------


@_cache
def red_property_standard() -> dict[str, _Any]:
    """The standard: ``parts`` (5), each with ``name``, ``bonus``, ``vetoes`` and ``items``
    (``number``, ``name``, ``points`` = 分值, ``criteria`` = 评分要点)."""
    data = _load("red-property-items.yml")
    for part in data["parts"]:
        part["points"] = sum(int(item["points"]) for item in part["items"])
    return data


def _item(no: int) -> dict[str, _Any]:
    for part in red_property_standard()["parts"]:
        for item in part["items"]:
            if int(item["number"]) == no:
                return item
    raise KeyError(f"评定标准中没有第 {no} 项")


def item_label(no: int) -> str:
    """Field label of an item's score: ``1. 组织覆盖（分值30分）``."""
    item = _item(no)
    return f"{no}. {item['name']}（分值{item['points']}分）"


def criteria_text(item: dict[str, _Any]) -> str:
    """评分要点 in one table cell: ``1.强化……；2.认真……``."""
    return "".join(f"{k}.{text}" for k, text in enumerate(item["criteria"], 1))


def part_guide(part: int) -> str:
    """What the scorer reads on a part's screen: each item's 评分要点, the bonus rule and the
    不能评星 conditions (Markdown, one paragraph each)."""
    p = red_property_standard()["parts"][part - 1]
    lines = [f"**{item_label(int(item['number']))}**：{criteria_text(item)}" for item in p["items"]]
    lines.append(f"**加分指标**（不超过{MAX_BONUS}分）：{p['bonus']}")
    which = "有下列情形之一的" if len(p["vetoes"]) > 1 else "有下列情形的"
    lines.append(f"**不能评星**：{which}，本项目不能评星：" + "；".join(p["vetoes"]) + "。")
    return "\n\n".join(lines)


def bonus_label(part: int) -> str:
    return f"“{red_property_standard()['parts'][part - 1]['name']}”加分（不超过{MAX_BONUS}分）"


def veto_label(part: int, k: int) -> str:
    return str(red_property_standard()["parts"][part - 1]["vetoes"][k - 1])


def score_problem(no: int, score: int) -> str | None:
    """The message for a score outside 0…分值 as the data file gives it. The interview's
    ``min``/``max`` say the same (and a browser checks them); this keeps the data file the rule
    if an office changes a 分值 there and not the field's ``max``."""
    points = int(_item(no)["points"])
    if score < 0 or score > points:
        return f"第{no}项“{_item(no)['name']}”得分应在 0～{points} 分之间，现为 {score} 分"
    return None


def rate_red_property(scores: list[int], bonuses: list[int], vetoes: list[list[str]],
                      pass_mark: int) -> dict[str, _Any]:
    """Part totals and stars. A part earns its star when its score plus bonus reaches
    ``pass_mark`` and none of its 不能评星情形 applies; five stars make a 五星级企业.

    ``scores`` are the 15 item scores in order, ``bonuses`` and ``vetoes`` one entry per part
    (vetoes as ``"present"`` / ``"absent"`` per condition, in the standard's order)."""
    parts = []
    for i, part in enumerate(red_property_standard()["parts"]):
        items = [{**item, "score": int(scores[int(item["number"]) - 1])} for item in part["items"]]
        base = sum(item["score"] for item in items)
        bonus = int(bonuses[i])
        vetoed = [str(text) for text, answer in zip(part["vetoes"], vetoes[i], strict=True) if answer == VETO_YES]
        total = base + bonus
        parts.append({
            "name": part["name"], "items": items, "points": part["points"], "base": base, "bonus": bonus,
            "total": total, "vetoed": vetoed, "reached": total >= pass_mark,
            "star": total >= pass_mark and not vetoed,
        })
    stars = sum(1 for p in parts if p["star"])
    return {"parts": parts, "stars": stars, "five_star": stars == len(parts), "pass_mark": pass_mark,
            "base": sum(p["base"] for p in parts), "bonus": sum(p["bonus"] for p in parts),
            "total": sum(p["total"] for p in parts)}


# -- 示范文本13：“三方联动”示范点创建评估 -----------------------------------------------------------


@_cache
def demo_site_indicators() -> list[dict[str, _Any]]:
    """The 18 indicators: ``number``, ``type`` (指标类型), ``text`` (具体要求) and, where a compound
    with a 物业管理委员会 is assessed differently, ``text_pmc``."""
    return list(_load("demo-site-indicators.yml")["indicators"])


def indicator_text(no: int, owners_body: str) -> str:
    ind = demo_site_indicators()[no - 1]
    if owners_body == "property_management_committee" and ind.get("text_pmc"):
        return str(ind["text_pmc"])
    return str(ind["text"])


def indicator_label(no: int, owners_body: str) -> str:
    return f"{no}. {indicator_text(no, owners_body)}"


def indicator_type_label(no: int) -> str:
    """The 指标类型 printed on the first row of its group only, as in the manual's table."""
    inds = demo_site_indicators()
    ind = inds[no - 1]
    return "" if no > 1 and inds[no - 2]["type"] == ind["type"] else str(ind["type"])


# DA/T 22-2015 档号: 全宗号-WS·年度-保管期限-机构代码-件号, e.g. J001-WS·2026-Y-SQDW-0003.
_ARCHIVE_NO = _re.compile(r"[A-Z0-9]{1,10}-WS·\d{4}-(?:Y|D30|D10)-[A-Z0-9]{1,10}-\d{4}")
_DOTS = _re.compile(r"[·•・．.]")  # how a middle dot gets typed: all mean ·
# An answers file may name evidence by document key, 文件:branch-election-approval: the compound's filed
# record of that kind, resolved to its 档号 where the archive is at hand (registers/evidence.py).
_REFERENCE = _re.compile(r"文件[:：][a-z][a-z0-9-]*")


def parse_archive_nos(text: str) -> list[str]:
    """档号 separated by 、，,；; or spaces → the list (middle dot normalised to ·); raises
    ValueError naming the first one that is not a 档号 (nor a 文件:document-key reference)."""
    out = []
    for raw in _re.split(r"[、，,；;\s]+", (text or "").strip()):
        if not raw:
            continue
        if _REFERENCE.fullmatch(raw):
            out.append(raw)
            continue
        candidate = _DOTS.sub("·", raw.upper())
        if not _ARCHIVE_NO.fullmatch(candidate):
            raise ValueError(f"“{raw}”不是有效的档号。档号格式为“全宗号-WS·年度-保管期限-机构代码-件号”，"
                             "例如 J001-WS·2026-Y-SQDW-0003；多个档号用顿号分隔")
        out.append(candidate)
    return out


def evidence_problem(nos: list[str], index: dict[str, dict[str, str]] | None, compound: str, community: str,
                     street: str, assessor: str) -> str | None:
    """Why cited 档号 cannot stand: not in the archive, outside the assessor's scope (its community,
    or for the 街道 its street), or another compound's record. ``index`` (档号 → street, community,
    compound, title) is preset from the archive; without it (no archive at hand) only the form is checked."""
    if index is None:
        return None
    for no in nos:
        if _REFERENCE.fullmatch(no):
            return f"“{no}”：本小区没有这类已归档的文件，或不止一份，请直接填写档号"
        rec = index.get(no)
        if rec is None:
            return f"档号 {no} 在档案中不存在：请核对档号，或删去它并在“情况说明”中写明核查方式"
        title = f"{no}（{rec.get('title', '')}）"
        if assessor == "street" and rec.get("street") != street:
            return f"档号 {title}属于{rec.get('street') or '其他街道'}，不在{street}的范围内，不能作为佐证"
        if assessor != "street" and rec.get("community") != community:
            return f"档号 {title}属于{rec.get('community') or '其他社区'}，不在{community}的范围内，不能作为佐证"
        if rec.get("compound") and rec.get("compound") != compound:
            return f"档号 {title}是{rec['compound']}小区的档案，不是{compound}小区的，不能作为佐证"
    return None


def indicator_problem(no: int, met: str, note: str, evidence: str, index: dict[str, dict[str, str]] | None = None,
                      compound: str = "", community: str = "", street: str = "",
                      assessor: str = "community") -> tuple[str, str] | None:
    """(message, variable) for the first broken rule of one indicator, or None.

    A 未达标 indicator needs a note (what is missing); a 达标 one needs evidence: 档号 of
    archived records (that exist, in scope, of this compound) or, for what was checked on site,
    a note saying how it was checked."""
    try:
        nos = parse_archive_nos(evidence)
    except ValueError as err:
        return f"第{no}项指标：{err}", f"indicator_evidence_{no}"
    problem = evidence_problem(nos, index, compound, community, street, assessor)
    if problem:
        return f"第{no}项指标：{problem}", f"indicator_evidence_{no}"
    if met == UNMET and not (note or "").strip():
        return f"第{no}项指标未达标，请在“情况说明”中写明存在的问题和整改措施", f"indicator_note_{no}"
    if met == MET and not (note or "").strip() and not (evidence or "").strip():
        return (f"第{no}项指标评为达标，请填写佐证材料的档号，或在“情况说明”中写明核查方式（如实地查看、查阅台账）",
                f"indicator_evidence_{no}")
    return None


def demo_site_result(results: list[str]) -> dict[str, _Any]:
    """How many of the 18 indicators are met, and which are not."""
    unmet = [i + 1 for i, r in enumerate(results) if r != MET]
    return {"met": len(results) - len(unmet), "unmet": unmet, "count": len(results), "all_met": not unmet}


def _load(name: str) -> dict[str, _Any]:
    path = DATA_DIR / name
    data = _yaml.safe_load(path.read_text(encoding="utf-8"))
    if not isinstance(data, dict):
        raise ValueError(f"{path} 应是一个映射")
    return data
