"""Which records go into a bundle, in which order, and as of when.

The selection is a search's (search.matching): the same words, filters and scope. Each record
is then read from the archive itself (the index may lag behind) and its scope checked again, so
a bundle never holds a record outside the caller's scope. Order: community → compound → case →
document, cases by their first document, documents by 成文日期 then 档号 — the order of the
reading copy's bookmarks and 目录.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from ..archive import Archive, Record
from ..errors import NotFoundError
from ..search import Filters, Scope, SearchIndex, matching

ASCII_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")


@dataclass
class Selection:
    records: list[Record]
    query: str
    filters: Filters
    scope: Scope
    notes: list[str] = field(default_factory=list)

    @property
    def archive_nos(self) -> list[str]:
        return [r.archive_no for r in self.records]

    def described(self) -> dict[str, str]:
        """The selection in words (bag-info.txt, manifest.json, the audit log)."""
        out = {"范围": scope_text(self.scope)}
        if self.query:
            out["检索词"] = self.query
        labels = {"street": "街道", "community": "社区", "compound": "小区", "kind": "文种", "status": "状态",
                  "case_id": "案卷", "date_from": "成文日期起", "date_to": "成文日期止"}
        for key, label in labels.items():
            value = getattr(self.filters, key)
            if value:
                out[label] = str(value)
        return out


def scope_text(scope: Scope) -> str:
    return {"all": "全部", "street": f"街道:{scope.name}", "community": f"社区:{scope.name}"}[scope.level]


def select(archive: Archive, index: SearchIndex, query: str, filters: Filters, scope: Scope) -> Selection:
    found = matching(index, query, filters, scope)
    records = []
    for meta in found.metas:
        path = archive.root / str(meta.get("path", ""))
        try:
            record = Record(path, json.loads((path / "record.json").read_text(encoding="utf-8")))
        except (OSError, ValueError):
            try:
                record = archive.get(str(meta.get("档号", "")))
            except NotFoundError:
                continue  # gone since it was indexed
        if scope.allows(record.meta):
            records.append(record)
    return Selection(ordered(records), query, filters, scope, found.notes)


def ordered(records: list[Record]) -> list[Record]:
    def doc_key(r: Record) -> tuple[str, str]:
        return (str(r.meta.get("成文日期", "")), r.archive_no)

    first: dict[tuple[str, str, str, str], tuple[str, str]] = {}
    for r in records:
        case = _case_key(r)
        first[case] = min(first.get(case, doc_key(r)), doc_key(r))

    def key(r: Record) -> tuple[Any, ...]:
        case = _case_key(r)
        return (*case[:3], first[case], case[3], doc_key(r))

    return sorted(records, key=key)


def _case_key(r: Record) -> tuple[str, str, str, str]:
    m = r.meta
    return (str(m.get("street", "")), str(m.get("community", "")), str(m.get("compound", "")),
            str(m.get("case_id", "") or r.archive_no))


def as_of(archive: Archive, records: list[Record]) -> datetime:
    """When the selected records last changed: the bag's date. Taken from the archive, not the
    clock, so the same archive and filters give the same bytes (the export's own time is in
    the audit log)."""
    wanted = {r.archive_no for r in records}
    latest = max((str(r.meta.get("created_at", "")) for r in records), default="")
    log = archive.audit.path
    if log.exists():
        with open(log, "rb") as fh:
            for raw in fh:
                if b'"exported"' in raw:
                    continue
                try:
                    entry = json.loads(raw)
                except ValueError:
                    continue
                if isinstance(entry, dict) and entry.get("档号") in wanted:
                    latest = max(latest, str(entry.get("time", "")))
    try:
        return datetime.fromisoformat(latest)
    except ValueError:
        return datetime(1980, 1, 1)


def payload_name(record: Record) -> str:
    """The record's folder in the bag: its 档号 in ASCII (the middle dot spelt ``.``)."""
    return record.archive_no.replace("·", ".")


def scan_names(record: Record) -> dict[str, str]:
    """Each registered scan (``scans/…``) → its name in the bag, ASCII: kept when it already is,
    else ``scan-N`` with its suffix (the original name is in manifest.json)."""
    scans = sorted(n for n in record.meta.get("files", {}) if n.startswith("scans/"))
    out, used = {}, set()
    for n, rel in enumerate(scans, 1):
        name = rel[len("scans/"):]
        suffix = Path(name).suffix.lower()
        if not (ASCII_NAME.fullmatch(name) and name not in used):
            name = f"scan-{n}{suffix if ASCII_NAME.fullmatch(suffix[1:] or 'x') else ''}"
        used.add(name)
        out[rel] = f"scans/{name}"
    return out
