"""From what a clerk types to a Whoosh query.

Syntax (Whoosh's, with Chinese field names): words are AND-ed; ``"…"`` is a phrase; ``OR``,
``NOT``, parentheses; ``题名:选举``, ``小区:江南花山郡``, ``文种:批复``, ``日期:2026-03``; a 档号
anywhere in the query finds its record.

A plain word is looked up in the "content" field (题名, 正文, places, OCR additions: see
documents.py) with its synonyms (物管会 = 物业管理委员会); a title match adds to the score.
When fewer than the hits asked for match, the query is relaxed in two steps and what they
add is marked partial: first each typed word may match by any of its parts or by a known name
it resembles (花山郡 → 江南花山郡, a misspelt 藏龙玉景 → 藏龙御景); then the words are OR-ed
(what NOT excludes stays excluded).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from whoosh import query as wq
from whoosh.qparser import FieldAliasPlugin, QueryParser
from whoosh.searching import Searcher

from .analyzer import Vocabulary, edit_distance, synonyms

# Fields whose terms a snippet marks.
TEXT_FIELDS = ("content", "phrases", "title", "ocr")
FIELD_ALIASES = {
    "title": ["题名", "标题"], "content": ["正文", "全文"], "ocr": ["扫描件", "扫描", "OCR", "ocr"],
    "kind": ["文种"], "issuer": ["责任者", "发文机关", "发文单位"], "addressee": ["主送", "主送机关"],
    "community": ["社区"], "compound": ["小区"], "street": ["街道", "开发区"], "archive_no": ["档号"],
    "status": ["状态"], "case_id": ["案卷", "案件"],
}
NAME_FIELDS = ("community", "compound", "street")
_ALIAS_WORDS = sorted({a for names in FIELD_ALIASES.values() for a in names} | set(FIELD_ALIASES)
                      | {"日期", "成文日期", "date"}, key=len, reverse=True)
_FIELD_COLON = re.compile("(" + "|".join(map(re.escape, _ALIAS_WORDS)) + r")\s*[：:]\s*")
ARCHIVE_NO = re.compile(r"\b([A-Za-z0-9]+)-WS[·•.．‧・]?(\d{4})-(Y|D30|D10)-([A-Za-z0-9]+)-(\d{4})\b", re.I)
_DATE_TERM = re.compile(r"(?:日期|成文日期|date):(\d{4})(?:-(\d{1,2}))?(?:-(\d{1,2}))?(?=\s|$)")
_QUOTES = str.maketrans({"“": '"', "”": '"', "「": '"', "」": '"', "＂": '"', "\u3000": " ",
                         "（": "(", "）": ")"})


@dataclass
class Parsed:
    """A query string taken apart: the Whoosh part, 档号 found in it, a date range in it."""

    text: str
    query: wq.Query | None
    archive_nos: list[str] = field(default_factory=list)
    date_range: tuple[int, int] | None = None


@dataclass
class Context:
    """What building a query may look at: the searcher (term statistics), the vocabulary
    (names), per-searcher caches, and the notes for the clerk it leaves behind."""

    searcher: Searcher
    vocab: Vocabulary
    cache: dict[Any, Any]
    notes: list[str] = field(default_factory=list)

    def df(self, fieldname: str, text: str) -> int:
        return int(self.searcher.doc_frequency(fieldname, text))

    def field_values(self, fieldname: str) -> list[str]:
        key = ("values", fieldname)
        if key not in self.cache:
            self.cache[key] = [v.decode("utf-8") if isinstance(v, bytes) else str(v)
                               for v in self.searcher.lexicon(fieldname)]
        return self.cache[key]


def normalize_archive_no(m: re.Match[str]) -> str:
    fonds, year, retention, org, item = m.groups()
    return f"{fonds.upper()}-WS·{year}-{retention.upper()}-{org.upper()}-{item}"


def parse(text: str, schema: Any) -> Parsed:
    """Take the 档号 and 日期: parts out (Whoosh would mangle them), parse the rest."""
    text = (text or "").translate(_QUOTES)
    text = _FIELD_COLON.sub(lambda m: m.group(1) + ":", text)
    nos = [normalize_archive_no(m) for m in ARCHIVE_NO.finditer(text)]
    text = ARCHIVE_NO.sub(" ", text)
    date_range = None
    m = _DATE_TERM.search(text)
    if m:
        date_range = _range_of(*m.groups())
        text = _DATE_TERM.sub(" ", text)
    text = re.sub(r"\s+", " ", text).strip()
    parser = _Parser("content", schema)
    parser.add_plugin(FieldAliasPlugin(FIELD_ALIASES))
    # Not normalised yet: that would merge each Chunk into the AND around it.
    q = parser.parse(text, normalize=False) if text else None
    if q is not None and q.normalize() is wq.NullQuery:  # only stopwords or punctuation
        q = None
    return Parsed(text, q, nos, date_range)


class Chunk(wq.And):
    """The words jieba cut one typed word into (江南花山群 → 江南 / 花山 / 群): all must match,
    but unlike words the clerk separated, a chunk may be a mistyped name."""


class _Parser(QueryParser):
    def multitoken_query(self, spec: str, texts: list[str], fieldname: str, termclass: Any,
                         boost: float) -> wq.Query:
        if fieldname == "content":
            return Chunk([termclass(fieldname, t, boost=boost) for t in texts])
        return super().multitoken_query(spec, texts, fieldname, termclass, boost)


def _range_of(year: str, month: str | None, day: str | None) -> tuple[int, int]:
    y = int(year)
    if month and day:
        d = y * 10000 + int(month) * 100 + int(day)
        return d, d
    if month:
        return y * 10000 + int(month) * 100, y * 10000 + int(month) * 100 + 31
    return y * 10000, y * 10000 + 1231


def date_bounds(date_from: str | None, date_to: str | None) -> tuple[int, int] | None:
    """--from / --to as yyyymmdd bounds: 2026, 2026-03 and 2026-03-05 all work."""
    if not date_from and not date_to:
        return None
    lo = _range_of(*_date_parts(date_from))[0] if date_from else 0
    hi = _range_of(*_date_parts(date_to))[1] if date_to else 99991231
    return lo, hi


def _date_parts(value: str) -> tuple[str, str | None, str | None]:
    m = re.fullmatch(r"\s*(\d{4})(?:[-/.年](\d{1,2}))?(?:[-/.月](\d{1,2}))?日?\s*", str(value))
    if not m:
        from ..errors import SanfangError

        raise SanfangError(f"日期“{value}”无法识别，请写成 2026、2026-03 或 2026-03-05")
    return m.group(1), m.group(2), m.group(3)


# -- building ----------------------------------------------------------------------------------

STRICT, RELAXED, LOOSE = "strict", "relaxed", "loose"


def build(parsed: Parsed, ctx: Context, stage: str) -> wq.Query | None:
    """The query for one stage (strict → relaxed → loose); None when there is no text."""
    parts: list[wq.Query] = [wq.Term("archive_no", no, boost=10.0) for no in parsed.archive_nos]
    if parsed.query is not None:
        q = parsed.query
        if stage == LOOSE and isinstance(q, wq.And):
            # Any of the words — but what the clerk excluded (NOT) stays excluded.
            nots = [c for c in q.subqueries if isinstance(c, wq.Not)]
            words = [c for c in q.subqueries if not isinstance(c, wq.Not)]
            if len(words) > 1:
                q = wq.And([wq.Or(words, boost=q.boost), *nots]) if nots else wq.Or(words, boost=q.boost)
        parts.append(_expand(q, ctx, stage))
    parts = [p for p in parts if p is not wq.NullQuery]
    if not parts:
        return None if parsed.query is None and not parsed.archive_nos else wq.NullQuery
    core = (parts[0] if len(parts) == 1 else wq.Or(parts)).normalize()
    # 公文 titles say what a document is: a query word in the title adds a title-field score
    # (short field, so BM25 weighs it high). Optional: it ranks, never decides what matches,
    # and is looked up only for documents the core query already matched.
    words = sorted({str(t.text) for t in _positive_terms(core) if t.fieldname == "content"})
    if not words:
        return core
    title = [wq.Term("title", w, boost=TITLE_BOOST) for w in words]
    return wq.AndMaybe(core, title[0] if len(title) == 1 else wq.Or(title))


TITLE_BOOST = 3.0  # a word in the title counts about as much again as in the content


def _positive_terms(q: wq.Query) -> list[wq.Term]:
    if isinstance(q, wq.Not):
        return []
    if isinstance(q, wq.AndNot):
        return _positive_terms(q.a)
    if isinstance(q, wq.Term):
        return [q]
    if isinstance(q, wq.Phrase):
        return [wq.Term(q.fieldname if q.fieldname != "phrases" else "content", w) for w in q.words]
    return [t for c in q.children() for t in _positive_terms(c)]


def _expand(q: wq.Query, ctx: Context, stage: str) -> wq.Query:
    if isinstance(q, wq.Term):
        if q.fieldname == "content":
            return word_query(str(q.text), ctx, relaxed=stage != STRICT, boost=q.boost)
        if q.fieldname in ("title", "ocr", "issuer", "addressee"):
            return wq.Or([wq.Term(q.fieldname, f, boost=q.boost) for f in forms(str(q.text))])
        if q.fieldname in NAME_FIELDS:
            return name_query(q.fieldname, str(q.text), ctx, boost=q.boost)
        return q
    if isinstance(q, wq.Phrase) and q.fieldname == "content":
        # Positions live in "phrases"; the words' content scores rank the matches.
        return wq.And([wq.Phrase("phrases", q.words, slop=q.slop, boost=q.boost),
                       *[wq.Term("content", w, boost=q.boost) for w in q.words]])
    if isinstance(q, Chunk):
        whole = "".join(str(c.text) for c in q.subqueries if isinstance(c, wq.Term))
        parts = [_expand(c, ctx, stage) for c in q.subqueries]
        if stage == STRICT:
            # A stray single character is the mark of a mistyped name (群 for 郡): offer the
            # name one edit away beside the literal reading.
            typo = any(isinstance(c, wq.Term) and len(str(c.text)) == 1 for c in q.subqueries)
            names = similar_names(whole, ctx, max_dist=1) if typo else []
            strict = wq.And(parts)
            return wq.Or([strict, *[word_query(n, ctx, False, boost=3.0) for n in names]]) if names else strict
        # Relaxed: any part may match, and names it resembles count most.
        names = [word_query(n, ctx, relaxed=False, boost=3.0) for n in similar_names(whole, ctx)]
        return wq.Or(parts + names, boost=q.boost)
    if isinstance(q, wq.Not):
        return wq.Not(_expand(q.query, ctx, STRICT))
    if q.is_leaf():
        return q
    return q.apply(lambda c: _expand(c, ctx, stage))


def forms(word: str) -> list[str]:
    """The word and its synonyms (物管会 → 物管会, 物业管理委员会)."""
    table = _synonyms()
    return [word, *table.get(word, [])]


_SYN: dict[str, list[str]] | None = None


def _synonyms() -> dict[str, list[str]]:
    global _SYN
    if _SYN is None:
        _SYN = synonyms()
    return _SYN


def word_query(word: str, ctx: Context, relaxed: bool, boost: float = 1.0) -> wq.Query:
    """One analysed word, in any of its forms."""
    words = forms(word)
    if relaxed and len(word) >= 2 and ctx.df("content", word) == 0:
        words += similar_names(word, ctx)
    if len(words) == 1:
        return wq.Term("content", word, boost=boost)
    return wq.Or([wq.Term("content", w, boost=boost) for w in words])


def similar_names(text: str, ctx: Context, max_dist: int | None = None) -> list[str]:
    found = [n for n in ctx.vocab.similar(text, max_dist=max_dist) if ctx.df("content", n)]
    if found:
        ctx.notes.append(f"未找到“{text}”，按近似的“{'”“'.join(found)}”查询")
    return found


def name_query(fieldname: str, value: str, ctx: Context, boost: float = 1.0) -> wq.Query:
    """An exact 小区 / 社区 / 街道 — or, if there is no such name, the ones it resembles."""
    return wq.Or([wq.Term(fieldname, v, boost=boost) for v in resolve_name(fieldname, value, ctx)]
                 or [wq.NullQuery])


def resolve_name(fieldname: str, value: str, ctx: Context) -> list[str]:
    """The indexed names a filter value stands for: itself if known, else close ones."""
    if ctx.df(fieldname, value):
        return [value]
    known = ctx.field_values(fieldname)
    close = [v for v in known if value in v or v in value]
    if not close:
        close = [v for v in known if edit_distance(value, v) <= max(1, len(value) // 3)]
    label = {"community": "社区", "compound": "小区", "street": "街道"}[fieldname]
    if close:
        ctx.notes.append(f"没有名为“{value}”的{label}，按“{'”“'.join(close[:5])}”查询")
    else:
        ctx.notes.append(f"没有名为“{value}”的{label}")
    return close[:5]


def highlight_terms(q: wq.Query | None) -> list[str]:
    """The words to mark in a snippet: text-field terms outside NOT, longest first."""
    found: set[str] = set()

    def walk(node: wq.Query) -> None:
        if isinstance(node, wq.Not):
            return
        if isinstance(node, wq.AndNot):
            walk(node.a)
            return
        if isinstance(node, wq.Term) and node.fieldname in TEXT_FIELDS:
            found.add(str(node.text))
        elif isinstance(node, wq.Phrase) and node.fieldname in TEXT_FIELDS:
            found.update(str(w) for w in node.words)
        for child in node.children():
            walk(child)

    if q is not None:
        walk(q)
    return sorted(found, key=lambda w: (-len(w), w))
