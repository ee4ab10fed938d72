"""Scope: what a :class:`~sanfang_docs.registers.accounts.Caller` may read, file and issue.

The library API asks these for every call that takes a caller, so a record outside the
caller's organisations is "not found" — the same words as a 档号 that does not exist — and a
file name never reaches a path outside its record's folder.
"""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import Any

from ..archive import Archive, Record, cases
from ..archive.numbers import canonical_archive_no
from ..errors import NotFoundError, SanfangError
from ..interview import Interview, load
from .accounts import Caller

DOWNLOADS = ("document.pdf", "document.docx")  # with scans/…; answers.json and record.json stay inside


def issuer_role(iv: Interview, doc_key: str) -> str:
    """Which kind of body issues a document of the interview (its ``org``), '' when unknown."""
    for att in iv.attachments():
        if str(att.get("filename", "")) == doc_key:
            return str((att.get("metadata") or {}).get("org", ""))
    return ""


def may_issue(caller: Caller | None, iv: Interview, doc_key: str) -> bool:
    """A street's own document (a 批复) is drafted by the street's staff, not a clerk."""
    return caller is None or caller.role != "clerk" or issuer_role(iv, doc_key) != "street"


def check_may_start(caller: Caller | None, iv: Interview, doc_key: str) -> None:
    if doc_key and not may_issue(caller, iv, doc_key):
        assert caller is not None
        raise SanfangError(f"《{cases.documents(iv).get(doc_key, doc_key)}》由街道党工委签发，"
                           f"{caller.role_label}不能起草；请由街道工作人员从请示的页面起草。")


def check_may_file(caller: Caller, answers: dict[str, Any], role: str) -> None:
    if not caller.may_write(answers, role):
        where = answers.get("community_name") or answers.get("street_name") or "（未写明）"
        what = "签发街道的文件" if role == "street" and caller.role == "clerk" else "归档文件"
        raise SanfangError(f"{caller.display or caller.user}（{caller.role_label}）无权为“{where}”{what}")


def starting_answers(caller: Caller | None, iv: Interview) -> dict[str, str]:
    """A caller's own street and community, for the interview's fields of those names."""
    if caller is None:
        return {}
    known = {"street_name": caller.street, "community_name": caller.community}
    return {k: v for k, v in known.items() if v and k in iv.definers}


def find_record(archive: Archive, typed: str, caller: Caller | None) -> Record:
    """The record a 档号 (any spelling) names, if the caller may see it."""
    typed = str(typed).strip()
    number = canonical_archive_no(typed)  # nothing but a well-formed 档号 reaches a path
    if number is None:
        raise NotFoundError(f"档案中没有档号为 {typed} 的记录")
    record = archive.get(number)
    if caller is not None and not caller.sees(record.meta):
        raise NotFoundError(f"档案中没有档号为 {typed} 的记录")
    return record


def record_path(record: Record, name: str) -> Path:
    """A downloadable file of a record by its listed name, never a path outside its folder."""
    listed = {n for n in record.meta.get("files") or {} if n in DOWNLOADS or n.startswith("scans/")}
    path = (record.path / name).resolve()
    if name not in listed or not path.is_relative_to(record.path.resolve()) or not path.is_file():
        raise NotFoundError(f"档号 {record.archive_no} 下没有文件“{name}”")
    return path


def followers(record: Record, caller: Caller | None) -> list[tuple[str, str]]:
    """(document key, title) of what may start from the record and the caller may issue."""
    try:
        iv = load(str(record.meta.get("interview", "")))
    except SanfangError:
        return []
    titles = cases.documents(iv)
    return [(k, titles[k]) for k in cases.followers(iv, str(record.meta.get("doc_key", "")))
            if may_issue(caller, iv, k)]


def case_in_scope(found: cases.Case, ref: str, caller: Caller) -> cases.Case:
    """The caller's records of a case (none: not found) and only what they may issue next."""
    found.records = [r for r in found.records if caller.sees(r.meta)]
    if not found.records:
        raise NotFoundError(f"没有案卷“{ref.strip()}”（可用案卷号或其中任一份文件的档号）")
    with contextlib.suppress(SanfangError):
        iv = load(found.interview)
        found.following = {k: v for k, v in found.following.items() if may_issue(caller, iv, k)}
    return found
