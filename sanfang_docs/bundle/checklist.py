"""The checklist (检查清单): for each selected compound, the 18 indicators of 示范文本13 with the
records that evidence them, marked 有 / 部分 / 缺; the 示范文本12 ratings; and every 档号 a filed
示范文本13 assessment cites, checked to exist, to be in scope and to belong to that compound.

Which kinds of record evidence which indicator is content an office edits:
``interviews/data/demo-site-evidence.yml`` (its comments give the rule for 有 / 部分 / 缺).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from typing import Any

import yaml

from ..archive import Archive, Record
from ..errors import NotFoundError, SanfangError
from ..rules import scoring
from ..search import Scope

EVIDENCE_FILE = "demo-site-evidence.yml"
HAVE, PARTIAL, MISSING = "有", "部分", "缺"
ASSESSMENT, RATING = "demo-site-assessment", "red-property-rating"


@cache
def evidence_map() -> dict[int, dict[str, Any]]:
    """Indicator number → ``materials`` (each ``name`` and ``documents``) and ``site_check``."""
    path = scoring.DATA_DIR / EVIDENCE_FILE
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        out = {int(k): dict(v) for k, v in data["indicators"].items()}
        for v in out.values():
            v["materials"] = [{"name": str(m["name"]), "documents": [str(d) for d in m["documents"]]}
                              for m in v.get("materials") or []]
    except (OSError, yaml.YAMLError, KeyError, TypeError, ValueError, AttributeError) as exc:
        raise SanfangError(f"佐证对照表 {path} 无法读取：{exc}") from None
    expected = set(range(1, len(scoring.demo_site_indicators()) + 1))
    if set(out) != expected:
        raise SanfangError(f"佐证对照表 {path} 应列出第 1～{len(expected)} 项指标，"
                           f"现缺 {sorted(expected - set(out))}、多出 {sorted(set(out) - expected)}")
    return out


@dataclass
class Citation:
    assessment: str  # 档号 of the assessment
    indicator: int
    cited: str
    result: str  # 有效 / …
    valid: bool
    in_bag: bool = False


@dataclass
class Compound:
    street: str
    community: str
    name: str
    owners_body: str = ""
    indicators: list[dict[str, Any]] = field(default_factory=list)
    ratings: list[dict[str, Any]] = field(default_factory=list)
    citations: list[Citation] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {"street": self.street, "community": self.community, "compound": self.name,
                "owners_body": self.owners_body, "indicators": self.indicators, "ratings": self.ratings,
                "citations": [c.__dict__ for c in self.citations]}


def assess(archive: Archive, scope: Scope, records: list[Record], pages: dict[str, int]) -> list[Compound]:
    """Every compound of the selection (in its order), scored. ``pages``: 档号 → reading-copy page."""
    groups: dict[tuple[str, str, str], list[Record]] = {}
    for r in records:
        m = r.meta
        if m.get("compound"):
            groups.setdefault((str(m.get("street", "")), str(m.get("community", "")), str(m["compound"])), []).append(r)
    return [_compound(archive, scope, key, recs, pages) for key, recs in groups.items()]


def _answers(record: Record) -> dict[str, Any]:
    try:
        data = json.loads(record.file("answers.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _compound(archive: Archive, scope: Scope, key: tuple[str, str, str], recs: list[Record],
              pages: dict[str, int]) -> Compound:
    street, community, name = key
    answers = {r.archive_no: _answers(r) for r in recs if r.meta.get("doc_key") in (ASSESSMENT, RATING)}
    # Every interview asks owners_body; the first record that has it says which body it is.
    owners_body = next((str(a["owners_body"]) for a in (answers.get(r.archive_no) or _answers(r) for r in recs)
                        if a.get("owners_body")), "")
    c = Compound(street, community, name, owners_body)
    by_key: dict[str, list[Record]] = {}
    for r in recs:
        by_key.setdefault(str(r.meta.get("doc_key", "")), []).append(r)
    assessments = sorted(by_key.get(ASSESSMENT, []), key=lambda r: (str(r.meta.get("成文日期", "")), r.archive_no))
    in_bag = {r.archive_no for r in recs}
    for a in assessments:
        c.citations += _citations(archive, scope, a, answers[a.archive_no], key, in_bag)
    latest = answers[assessments[-1].archive_no] if assessments else {}

    def cite(no: str) -> str:
        return f"{no} · 第{pages[no]}页" if no in pages else f"{no}（未随本包导出）"

    for no, rule in evidence_map().items():
        found = [m for m in rule["materials"] if any(by_key.get(d) for d in m["documents"])]
        missing = [m["name"] for m in rule["materials"] if m not in found]
        evidence = [r.archive_no for m in found for d in m["documents"] for r in by_key.get(d, [])]
        cited = [x.cited for x in c.citations if x.indicator == no and x.valid and x.in_bag]
        evidence = list(dict.fromkeys(evidence + cited))
        if rule["materials"]:
            status = HAVE if not missing else (PARTIAL if found or cited else MISSING)
        else:
            status = HAVE if cited else MISSING
        notes = []
        if missing:
            notes.append("缺：" + "；".join(missing))
        if not rule["materials"] and not cited:
            notes.append(str(rule.get("site_check") or "须实地核查"))
        bad = [x for x in c.citations if x.indicator == no and not x.valid]
        if bad:
            notes.append("评估表引证有误：" + "、".join(x.cited for x in bad))
        met = {scoring.MET: "达标", scoring.UNMET: "未达标"}.get(str(latest.get(f"indicator_{no}", "")), "—")
        c.indicators.append({
            "number": no, "type": scoring.demo_site_indicators()[no - 1]["type"],
            "text": scoring.indicator_text(no, owners_body), "status": status, "assessed": met,
            "evidence": [{"档号": e, "page": pages.get(e, 0)} for e in evidence],
            "evidence_text": "；".join(cite(e) for e in evidence), "notes": "；".join(notes)})
    for r in by_key.get(RATING, []):
        c.ratings.append(_rating(r, _answers(r), pages))
    return c


def _citations(archive: Archive, scope: Scope, assessment: Record, answers: dict[str, Any],
               compound: tuple[str, str, str], in_bag: set[str]) -> list[Citation]:
    out = []
    for no in range(1, len(scoring.demo_site_indicators()) + 1):
        text = str(answers.get(f"indicator_evidence_{no}") or "")
        try:
            cited = scoring.parse_archive_nos(text)
        except ValueError as err:
            out.append(Citation(assessment.archive_no, no, text, f"无法识别：{err}", False))
            continue
        for x in cited:
            out.append(_check(archive, scope, assessment.archive_no, no, x, compound, in_bag))
    return out


def _check(archive: Archive, scope: Scope, assessment: str, no: int, cited: str,
           compound: tuple[str, str, str], in_bag: set[str]) -> Citation:
    try:
        record = archive.get(cited)
    except NotFoundError:
        record = None
    # A record outside the exporter's scope is not shown, not even that it exists.
    if record is None or not scope.allows(record.meta):
        return Citation(assessment, no, cited, "档案中没有该档号，或不在导出范围内", False)
    m = record.meta
    where = (str(m.get("street", "")), str(m.get("community", "")), str(m.get("compound", "")))
    if where != compound:
        return Citation(assessment, no, cited, f"不属于本小区（属于 {' '.join(x for x in where[1:] if x)}）", False)
    if cited not in in_bag:
        return Citation(assessment, no, cited, "有效，但未随本包导出（不在本次筛选条件内）", True, False)
    return Citation(assessment, no, cited, "有效", True, True)


def _rating(record: Record, a: dict[str, Any], pages: dict[str, int]) -> dict[str, Any]:
    parts = scoring.red_property_standard()["parts"]
    count = sum(len(p["items"]) for p in parts)
    try:
        rating = scoring.rate_red_property(
            [int(a[f"score_{i}"]) for i in range(1, count + 1)],
            [int(a[f"bonus_{i}"]) for i in range(1, len(parts) + 1)],
            [[str(a[f"veto_{i}_{k}"]) for k in range(1, len(p["vetoes"]) + 1)] for i, p in enumerate(parts, 1)],
            int(a.get("pass_mark") or 80))
    except (KeyError, ValueError, TypeError):
        return {"档号": record.archive_no, "company": str(a.get("property_company_name", "")), "error": "评分不全"}
    return {"档号": record.archive_no, "company": str(a.get("property_company_name", "")),
            "year": str(a.get("rating_year", "")), "total": rating["total"], "stars": rating["stars"],
            "five_star": rating["five_star"], "page": pages.get(record.archive_no, 0)}


def pdf_data(compounds: list[Compound], describe: Callable[[str], str]) -> dict[str, Any]:
    """The Typst layout's input; ``describe`` turns an owners_body key into words."""
    sections = []
    for c in compounds:
        counts = {s: sum(1 for i in c.indicators if i["status"] == s) for s in (HAVE, PARTIAL, MISSING)}
        tables = []
        if c.ratings:
            tables.append({"heading": "示范文本12 红色物业五星级企业评定", "columns": [52, 60, 14, 16, 14, 16],
                           "header": ["档号", "物业服务企业", "年度", "总分", "星级", "五星级"],
                           "rows": [[r["档号"], r["company"], r.get("year", ""), str(r.get("total", r.get("error"))),
                                     str(r.get("stars", "")), "是" if r.get("five_star") else "否"]
                                    for r in c.ratings]})
        if c.citations:
            tables.append({"heading": "示范点评估表引证的档号", "columns": [50, 12, 50, 70],
                           "header": ["评估表档号", "指标", "引证档号", "核查结果"],
                           "rows": [[x.assessment, str(x.indicator), x.cited, x.result] for x in c.citations]})
        sections.append({
            "heading": f"{c.street} {c.community} {c.name}",
            "lines": [f"业主组织：{describe(c.owners_body)}" if c.owners_body else "业主组织：未从档案中得知",
                      f"18 项指标：有 {counts[HAVE]} 项，部分 {counts[PARTIAL]} 项，缺 {counts[MISSING]} 项"],
            "rows": [[str(i["number"]), i["type"], i["text"], i["evidence_text"] or "—", i["assessed"],
                      i["status"], i["notes"]] for i in c.indicators],
            "tables": tables})
    if not sections:
        sections.append({"heading": "所选记录未注明小区", "lines": ["检查清单按小区列出，本次导出的记录均未注明小区。"],
                         "rows": [], "tables": []})
    return {"sections": sections}
