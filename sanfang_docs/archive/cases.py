"""Cases: a document started from an archived record of the same matter.

A reply (批复) starts from its request (请示) by the request's 档号; the later documents of a
chain (示范文本1: 请示 → 批复 → 党员大会请示 → … → 公示) start from any earlier one. The new
document takes over the record's answers (the clerk gives only the new facts), the source
document's title, date and 档号 (``source_*`` variables, for a reply's opening sentence), and
the record's case id, so every record of the matter shares it.

Which documents may follow which comes from the interview's ``metadata``: the order of
``documents`` is the order of the matter (a document starts only from an earlier one), unless
``case order: any`` says the documents are independent (any one from any other, e.g. the
three pledges of one compound).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from ..errors import ArchiveError, NotFoundError, Problem, SanfangError, ValidationError
from ..interview.loader import Interview
from .numbers import canonical_archive_no
from .store import Archive, Record

SOURCE_VARS = ("source_archive_no", "source_title", "source_date", "source_doc_key")
# Answers of the source that belong to the source document only.
NOT_CARRIED = {"doc_key", "doc_date", "case_id", *SOURCE_VARS}
FIELD = "来源档号"


@dataclass
class Start:
    """What a run started from a record needs: the document, base answers and presets."""

    doc_key: str
    answers: dict[str, Any]
    preset: dict[str, Any] = field(default_factory=dict)
    record: Record | None = None


def _refuse(message: str) -> ValidationError:
    return ValidationError([Problem(field=FIELD, rule="case", message=message)])


def documents(interview: Interview) -> dict[str, str]:
    return {str(k): str(v) for k, v in (interview.metadata.get("documents") or {}).items()}


def followers(interview: Interview, source_key: str) -> list[str]:
    """The documents that may start from a record of ``source_key``."""
    keys = list(documents(interview))
    if source_key not in keys:
        return []
    if str(interview.metadata.get("case order", "chain")) == "any":
        return [k for k in keys if k != source_key]
    return keys[keys.index(source_key) + 1:]


def start_from(archive: Archive, interview: Interview, archive_no: str, doc_key: str | None) -> Start:
    """Check that ``doc_key`` of ``interview`` may start from record ``archive_no`` and load it.

    Raises NotFoundError for an unknown 档号 and ValidationError (field 来源档号) when the
    record does not fit; nothing is written either way.
    """
    record = source_record(archive, archive_no)
    meta = record.meta
    src_key, src_title = str(meta.get("doc_key", "")), str(meta.get("题名", ""))
    src_interview = str(meta.get("interview", ""))
    docs = documents(interview)
    described = f"档号 {record.archive_no} 是《{src_title}》（{meta.get('文种', '')}）"
    if src_interview != interview.name:
        wanted = f"《{docs[doc_key]}》" if doc_key in docs else f"“{interview.title}”的文件"
        raise _refuse(f"{described}，属于另一事项（{_interview_title(src_interview)}），不能据此起草{wanted}。"
                      f"请提供“{interview.title}”中前一份文件的档号。")
    allowed = followers(interview, src_key)
    if doc_key is None:
        if len(allowed) != 1:
            choices = "；".join(f"{k}（{docs[k]}）" for k in allowed) or "无"
            raise _refuse(f"{described}，请用 --doc 指定要据此起草的文件。可选：{choices}")
        doc_key = allowed[0]
    if doc_key == src_key:
        raise _refuse(f"{described}，本身就是要起草的这份文件；重新起草请修改答案后直接生成，不要用 --from。")
    if doc_key not in allowed:
        later = "、".join(f"《{docs[k]}》" for k in allowed)
        hint = f"据此可以起草：{later}" if later else "它是本事项的最后一份文件，不能据此起草其他文件"
        raise _refuse(f"{described}，不能据此起草《{docs.get(doc_key, doc_key)}》：一份文件只能依据本事项中"
                      f"排在它前面的文件起草（如批复依据请示）。{hint}。")
    return Start(doc_key, carried_answers(record, interview), source_preset(record), record)


def source_record(archive: Archive, ref: str) -> Record:
    """The record ``ref`` names: a 档号 in any spelling search takes (J001-WS.2026-y-sqdw-0001),
    or a case id (then its latest document, the one the next document follows)."""
    number = canonical_archive_no(ref)
    if number:
        return archive.get(number)
    records = case_records(archive, ref)
    if not records:
        raise NotFoundError(f"“{ref.strip()}”既不是档案中的档号，也不是案卷号（档号形如 J001-WS·2026-Y-SQDW-0001）")
    return records[-1]


def case_records(archive: Archive, case_id: str) -> list[Record]:
    """The records of a case in the order of the matter (成文日期, then 件号)."""
    wanted = case_id.strip()
    found = [r for r in archive.records() if r.meta.get("case_id") == wanted] if wanted else []
    return sorted(found, key=lambda r: (str(r.meta.get("成文日期", "")), r.archive_no[-4:]))


@dataclass
class Case:
    case_id: str
    interview: str
    records: list[Record]
    following: dict[str, str]  # documents that can come next: key → title


def show(archive: Archive, ref: str) -> Case:
    """A case by its id or by the 档号 of any of its records."""
    number = canonical_archive_no(ref)
    case_id = str(archive.get(number).meta.get("case_id", "")) if number else ref.strip()
    records = case_records(archive, case_id)
    if not records:
        raise NotFoundError(f"没有案卷“{ref.strip()}”（可用案卷号或其中任一份文件的档号）")
    name = str(records[-1].meta.get("interview", ""))
    from ..interview import load

    try:
        interview = load(name)
    except SanfangError:
        return Case(case_id, name, records, {})
    filed = {str(r.meta.get("doc_key", "")) for r in records}
    docs = documents(interview)
    nexts = followers(interview, str(records[-1].meta.get("doc_key", "")))
    return Case(case_id, name, records, {k: docs[k] for k in nexts if k not in filed})


def _interview_title(name: str) -> str:
    from ..interview import load

    try:
        return load(name).title if name else "未知事项"
    except SanfangError:
        return name


def continue_buttons(interview: Interview) -> set[str]:
    """Variables set by passing a screen (a review's 继续): asked again, never carried."""
    names = set()
    for block in interview.blocks:
        raw = block.raw
        if isinstance(raw.get("continue button field"), str):
            names.add(raw["continue button field"])
        elif isinstance(raw.get("field"), str) and "question" in raw and not ("buttons" in raw or "choices" in raw):
            names.add(raw["field"])
    return names


def carried_answers(record: Record, interview: Interview) -> dict[str, Any]:
    """The record's answers, as an answers file would give them (the new file adds/overrides)."""
    try:
        saved = json.loads(record.file("answers.json").read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ArchiveError(f"档号 {record.archive_no} 的答案（answers.json）无法读取：{exc}") from None
    out: dict[str, Any] = {}
    skip = NOT_CARRIED | continue_buttons(interview)
    for name, value in saved.items():
        if name in skip:
            continue
        # A checkboxes answer is saved as {choice: bool}; an answers file lists the chosen ones.
        if isinstance(value, dict) and value and all(isinstance(v, bool) for v in value.values()):
            value = [k for k, v in value.items() if v]
        out[name] = value
    return out


def source_preset(record: Record) -> dict[str, Any]:
    """Variables a later document can cite: 你单位X年X月X日报来的《…》收悉."""
    meta = record.meta
    preset: dict[str, Any] = {
        "case_id": meta.get("case_id") or "",
        "source_archive_no": record.archive_no,
        "source_title": str(meta.get("题名", "")),
        "source_doc_key": str(meta.get("doc_key", "")),
    }
    if meta.get("成文日期"):
        preset["source_date"] = date.fromisoformat(str(meta["成文日期"])[:10])
    return {k: v for k, v in preset.items() if v != ""}
