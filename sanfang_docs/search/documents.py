"""What the index holds for a record: the schema, the names it teaches jieba, its fields."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from whoosh.fields import ID, KEYWORD, NUMERIC, STORED, TEXT, Schema

from ..archive.store import Record
from .analyzer import Vocabulary, analyzer, families

SCHEMA_VERSION = 4  # another value on disk: the index is rebuilt from the archive
# Fields a filter compares exactly (ID fields): the record.json key of each.
EXACT_FIELDS = {"kind": "文种", "community": "community", "compound": "compound", "street": "street",
                "status": "status", "case_id": "case_id"}
# Answer keys that hold people (convener_name, secretary_candidate, member_candidates_text …).
_PERSON_KEY = re.compile(r"name|candidate|member|person|host|convener|contact|director|secretary|chair")
_SHARED_KEYS = {"street_name", "street_party_org", "community_name", "community_party_org", "compound_name"}
_PERSON = re.compile(r"^[\u4e00-\u9fff]{2,4}$")


def make_schema(vocab_id: str) -> Schema:
    ana = analyzer(vocab_id)
    return Schema(
        archive_no=ID(unique=True),  # 档号
        # The 档号 as letters and digits only, with and without the 全宗号 (J001WS2025YSQDW0032,
        # WS2025YSQDW0032): what any spelling a clerk types comes down to (query.archive_key).
        archive_key=KEYWORD(lowercase=False, scorable=False),
        # The record's place names, whole (and the stems): a query word that is one of them
        # ranks the place's own records above those that only mention it or contain it.
        names=KEYWORD(lowercase=True, scorable=True),
        # Every part of the record's place names (天玺湾 and 融侨 of 融侨天玺湾): a part that
        # is no word of its own still finds the place, below the whole name (a lower boost).
        nameparts=KEYWORD(lowercase=True, scorable=True),
        # The manual's names for the record's family (families.txt): 交叉任职 finds 示范文本4.
        family=KEYWORD(lowercase=True, scorable=True),
        # What a plain query word is looked up in, as ONE field: 题名 (twice more: a title
        # word weighs three times a body word), the document's words, its street, community
        # and compound (锦绣社区 finds that community's records even where the text never
        # names it), and the OCR words of its scans that the text does not already have.
        # One field means one posting list per query word instead of four merged ones. No
        # positions: Whoosh unpickles a block's positions with its ids, so a field with
        # positions costs every query; "phrases" holds them for quoted phrases only.
        content=TEXT(analyzer=ana, phrase=False),
        phrases=TEXT(analyzer=ana, phrase=True),
        # 题名 and OCR text (scans/*.txt) for 题名: and 扫描件: queries, and the title for
        # ranking. No positions: a quoted phrase there is matched as all of its words.
        title=TEXT(analyzer=ana, phrase=False),
        ocr=TEXT(analyzer=ana, phrase=False),
        issuer=TEXT(analyzer=ana, phrase=False),  # 责任者
        addressee=TEXT(analyzer=ana, phrase=False),  # 主送
        kind=ID, community=ID, compound=ID, street=ID, status=ID, case_id=ID,
        date=NUMERIC(int, bits=32, sortable=True, signed=False),  # 成文日期 as yyyymmdd
        meta=STORED,  # what a hit shows, without reading the archive
    )


def record_names(record: Record) -> list[str]:
    """The names a record teaches the segmenter: places, organisations and people."""
    m = record.meta
    # Clerks say 文化路 for 文化路社区 and 五里界 for 五里界街道: the stems are words too.
    names = place_names(m) + [str(m.get(k) or "") for k in ("责任者", "主送")]
    try:
        answers = json.loads(record.file("answers.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        answers = {}
    for key, value in answers.items() if isinstance(answers, dict) else ():
        if key in _SHARED_KEYS or not isinstance(value, str) or not _PERSON_KEY.search(key):
            continue
        for line in value.splitlines():
            first = line.split()[0] if line.split() else ""
            if _PERSON.match(first):
                names.append(first)
    return [n for n in names if n]


def place_names(meta: dict[str, Any]) -> list[str]:
    """Street, community and compound, and the stems clerks say (文化路 for 文化路社区)."""
    names = [str(meta.get(k) or "") for k in ("street", "community", "compound")]
    return [n for n in names + _stems(meta) if n]


def _stems(meta: dict[str, Any]) -> list[str]:
    stems = []
    for key in ("street", "community"):
        value = str(meta.get(key) or "")
        for suffix in ("街道", "社区", "开发区"):
            if value.endswith(suffix) and len(value) - len(suffix) >= 2:
                stems.append(value[: -len(suffix)])
    return stems


def name_parts(names: list[str]) -> list[str]:
    """Every run of two or more characters inside a name, the name itself left out (that
    is a word of the content field): 融侨天玺湾 → 融侨, 天玺湾, 侨天 … A name jieba would cut
    badly (天玺 / 湾) is found by any part a clerk remembers."""
    whole = set(names)
    parts: dict[str, None] = {}
    for name in names:
        for size in range(2, len(name)):
            for i in range(len(name) - size + 1):
                piece = name[i:i + size]
                if piece not in whole:
                    parts[piece] = None
    return list(parts)


def archive_keys(archive_no: str) -> list[str]:
    """J001-WS·2025-Y-SQDW-0032 → J001WS2025YSQDW0032 and WS2025YSQDW0032."""
    full = re.sub(r"[^0-9A-Za-z]", "", archive_no).upper()
    at = full.find("WS")
    return [full, full[at:]] if at > 0 else [full]


_FAMILIES: dict[str, list[str]] | None = None


def family_of(meta: dict[str, Any]) -> list[str]:
    global _FAMILIES
    if _FAMILIES is None:
        _FAMILIES = families()
    found = _FAMILIES.get(str(meta.get("interview") or ""), []) + _FAMILIES.get(str(meta.get("doc_key") or ""), [])
    return list(dict.fromkeys(found))


def ocr_text(record: Record) -> str:
    scans = record.path / "scans"
    if not scans.is_dir():
        return ""
    return "\n".join(p.read_text(encoding="utf-8", errors="replace") for p in sorted(scans.glob("*.txt")))


def date_number(iso: str) -> int:
    digits = re.sub(r"\D", "", str(iso or ""))[:8]
    return int(digits) if len(digits) == 8 else 0


def record_document(record: Record, archive_root: Path, vocab: Vocabulary) -> dict[str, Any]:
    """One record as a Whoosh document (empty values left out: they are not terms)."""
    m = record.meta
    try:
        rel = str(record.path.relative_to(archive_root))
    except ValueError:
        rel = str(record.path)
    shown = {k: m.get(k, "") for k in ("档号", "题名", "文种", "责任者", "主送", "成文日期", "street",
                                         "community", "compound", "status", "case_id")}
    shown["path"] = rel
    title, text, ocr = str(m.get("题名") or ""), str(m.get("text") or ""), ocr_text(record)
    place = " ".join(str(m.get(k) or "") for k in ("street", "community", "compound"))
    # OCR of a stamped copy repeats the text: only the words it adds (handwriting, the
    # stamp) join the content, so a stamped record does not outrank its unstamped twin.
    known = set(vocab.cut(text))
    extra = " ".join(dict.fromkeys(w for w in vocab.cut(ocr) if w not in known)) if ocr else ""
    doc: dict[str, Any] = {
        "archive_no": str(m["档号"]), "archive_key": " ".join(archive_keys(str(m["档号"]))),
        "names": " ".join(dict.fromkeys(place_names(m))),
        # Parts of the compound and of the stems: 社区 and 街道 are in every record.
        "nameparts": " ".join(name_parts([str(m.get("compound") or ""), *_stems(m)])), "family": " ".join(family_of(m)),
        "content": "\n".join([title, title, text, place, extra]),
        "phrases": "\n".join([text, extra]),
        "title": title, "ocr": ocr, "issuer": str(m.get("责任者") or ""), "addressee": str(m.get("主送") or ""),
        "date": date_number(m.get("成文日期", "")), "meta": shown,
    }
    for fname, key in EXACT_FIELDS.items():
        doc[fname] = str(m.get(key) or "")
    return {k: v for k, v in doc.items() if v != ""}
