"""From what a clerk types to a Whoosh query.

Syntax (Whoosh's, with Chinese field names): words are AND-ed; ``"…"`` is a phrase; ``OR``,
``NOT``, parentheses; ``题名:选举``, ``小区:江南花山郡``, ``文种:批复``, ``日期:2026-03``; a 档号
anywhere in the query finds its record.

A plain word is looked up in the "content" field (题名, 正文, places, OCR additions: see
documents.py) with its synonyms (物管会 = 物业管理委员会); a title match adds to the score.
A word also finds the places it is part of (天玺湾 → 融侨天玺湾, below a whole-name match) and
the family of documents the manual calls by it (交叉任职 → 示范文本4: families.txt).

When fewer than the hits asked for match, the query is widened step by step: first a typed
word that finds nothing in the caller's scope is read as the name it most likely stands for
(a same-sound slip 恒大明都 → 恒大名都, a near miss 藏龙玉景 → 藏龙御景; the clerk is told
"您要找的是不是：…"); what the next two steps add is marked partial: each typed word may match
by any of its parts, then the words are OR-ed (what NOT excludes stays excluded). Names are
only ever suggested from records the caller may see.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from whoosh import query as wq
from whoosh.qparser import FieldAliasPlugin, QueryParser
from whoosh.searching import Searcher

from ..errors import SanfangError
from .analyzer import Vocabulary, family_names, synonyms
from .numbers import ARCHIVE_NO, archive_key, normalise_archive_no  # noqa: F401 - public here too
from .similar import closest

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
# Any other "名称:" a clerk may type (颜色:红): not a field; read as words, and said so.
_OTHER_COLON = re.compile(r"(?<![0-9A-Za-z\u3400-\u9fff])([A-Za-z\u3400-\u9fff]{1,8})\s*:\s*")
_OPERATORS = {"AND", "OR", "NOT", "ANDNOT", "ANDMAYBE"}
MAX_QUERY_CHARS = 200  # a title or a sentence fits; a pasted page is refused (issue 11)
MAX_QUERY_WORDS = 64  # words after cutting: each costs a posting list, a suggestion lookup
_DATE_TERM = re.compile(r"(?:日期|成文日期|date):(\d{4})(?:-(\d{1,2}))?(?:-(\d{1,2}))?(?=\s|$)")
_QUOTES = str.maketrans({"“": '"', "”": '"', "「": '"', "」": '"', "＂": '"', "\u3000": " ",
                         "（": "(", "）": ")"})


class QueryError(SanfangError):
    """A query that cannot be run as typed (too long, a bad --limit): exit 2, as bad input."""

    exit_code = 2


@dataclass
class Parsed:
    """A query string taken apart: the Whoosh part, 档号 found in it (as archive keys), a date
    range in it, and what the clerk should be told about how it was read."""

    text: str
    query: wq.Query | None
    archive_nos: list[str] = field(default_factory=list)
    date_range: tuple[int, int] | None = None
    notes: list[str] = field(default_factory=list)


@dataclass
class Context:
    """What building a query may look at: the searcher (term statistics), the vocabulary
    (names), per-searcher caches, which documents the caller may see (``visible``: a mask
    of documents, None for all) and the notes for the clerk it leaves behind."""

    searcher: Searcher
    vocab: Vocabulary
    cache: dict[Any, Any]
    notes: list[str] = field(default_factory=list)
    suggested: set[str] = field(default_factory=set)
    matches: Callable[[wq.Query], np.ndarray] | None = None  # the engine: documents of a query
    visible: np.ndarray | None = None

    def df(self, fieldname: str, text: str) -> int:
        return int(self.searcher.doc_frequency(fieldname, text))

    def finds(self, q: wq.Query) -> bool:
        """Does ``q`` match a document the caller may see?"""
        if self.matches is None:
            return True
        found = self.matches(q)
        return bool((found & self.visible).any() if self.visible is not None else found.any())

    def seen(self, fieldname: str, value: str) -> bool:
        """Is there a record the caller may see with this term (a name to suggest)?"""
        if not self.df(fieldname, value):
            return False
        return self.visible is None or self.finds(wq.Term(fieldname, value))

    def field_values(self, fieldname: str) -> list[str]:
        key = ("values", fieldname)
        if key not in self.cache:
            self.cache[key] = [v.decode("utf-8") if isinstance(v, bytes) else str(v)
                               for v in self.searcher.lexicon(fieldname)]
        return self.cache[key]


def parse(text: str, schema: Any) -> Parsed:
    """Take the 档号 and 日期: parts out (Whoosh would mangle them), parse the rest."""
    text = unicodedata.normalize("NFKC", text or "").translate(_QUOTES)
    if len(text.strip()) > MAX_QUERY_CHARS:
        raise QueryError(f"查询过长：最多 {MAX_QUERY_CHARS} 个字，现有 {len(text.strip())} 个字；请只保留要找的关键词")
    notes: list[str] = []
    text = _FIELD_COLON.sub(lambda m: m.group(1) + ":", text)
    nos = [archive_key(m) for m in ARCHIVE_NO.finditer(text)]
    text = ARCHIVE_NO.sub(" ", text)
    unknown = [m.group(1) for m in _OTHER_COLON.finditer(text) if m.group(1) not in _ALIAS_WORDS]
    if unknown:
        usable = "、".join([aliases[0] for aliases in FIELD_ALIASES.values()] + ["日期"])
        notes.append(f"没有“{'”“'.join(dict.fromkeys(unknown))}”这个检索字段，已按普通检索词查询；可用字段：{usable}")
        text = _OTHER_COLON.sub(lambda m: m.group(0) if m.group(1) in _ALIAS_WORDS else m.group(1) + " ", text)
    date_range = None
    m = _DATE_TERM.search(text)
    if m:
        _, month, day = m.groups()
        if (month and not 1 <= int(month) <= 12) or (day and not 1 <= int(day) <= 31):
            notes.append(f"日期“{m.group(0).split(':', 1)[1]}”无法识别，未按日期筛选；请写成 2026、2026-03 或 2026-03-05")
        else:
            date_range = _range_of(*m.groups())
        text = _DATE_TERM.sub(" ", text)
    text = re.sub(r"\s+", " ", text).strip()
    words = text.split(" ") if text else []
    if words and all(w.upper() in _OPERATORS for w in words):
        notes.append(f"“{text}”只有连接词：OR（或）、NOT（排除）须写在检索词之间，如“请示 OR 申请”“物管会 NOT 批复”")
        return Parsed(text, None, nos, date_range, notes)
    parser = _Parser("content", schema)
    parser.add_plugin(FieldAliasPlugin(FIELD_ALIASES))
    # Not normalised yet: that would merge each Chunk into the AND around it.
    q = parser.parse(text, normalize=False) if text else None
    if q is not None and isinstance(q.normalize(), type(wq.NullQuery)):  # only stopwords or punctuation
        q = None
    if q is not None and len(list(q.leaves())) > MAX_QUERY_WORDS:
        raise QueryError(f"查询词过多：最多 {MAX_QUERY_WORDS} 个词；请只保留要找的关键词")
    return Parsed(text, q, nos, date_range, notes)


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

STRICT, SUGGEST, RELAXED, LOOSE = "strict", "suggest", "relaxed", "loose"
STAGES = (STRICT, SUGGEST, RELAXED, LOOSE)
NAME_BOOST = 1.0  # the record's own place, named whole
PART_BOOST = 0.5  # a part of a name (天玺湾 of 融侨天玺湾) counts below the whole name
FAMILY_BOOST = 3.0  # the manual's name for a family (交叉任职) puts that family first
SUGGEST_BOOST = 3.0  # the name a typo stands for, against what the typo itself matched


def build(parsed: Parsed, ctx: Context, stage: str) -> wq.Query | None:
    """The query for one stage (strict → suggest → relaxed → loose); None when there is no text."""
    parts: list[wq.Query] = [wq.Term("archive_key", no, boost=10.0) for no in parsed.archive_nos]
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
            literal = word_query(str(q.text), ctx, relaxed=stage in (RELAXED, LOOSE), boost=q.boost)
            return _or_suggested(literal, str(q.text), ctx, stage)
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
        parts = [_expand(c, ctx, STRICT) for c in q.subqueries]
        extra = extras(whole, ctx, q.boost)
        if stage in (STRICT, SUGGEST):
            # The words jieba cut it into, all of them; or a place it is part of (天玺 / 湾
            # for 融侨天玺湾), or the family the manual calls by it.
            literal = wq.Or([wq.And(parts), *extra]) if extra else wq.And(parts)
            typo = not extra and any(isinstance(c, wq.Term) and len(str(c.text)) == 1 for c in q.subqueries)
            if typo:
                # A stray single character is the mark of a mistyped name (金港万 for 金港湾):
                # the name it stands for ranks beside the literal reading, which may match
                # by chance (金港 / 万 in a budget line).
                names = similar_names(whole, ctx, suggest=True)
                return wq.Or([literal, *[word_query(n, ctx, False, boost=SUGGEST_BOOST) for n in names]])
            return _or_suggested(literal, whole, ctx, stage)
        # Relaxed: any part may match, and names it resembles count most.
        names = [word_query(n, ctx, relaxed=False, boost=SUGGEST_BOOST) for n in similar_names(whole, ctx)]
        return wq.Or(parts + extra + names, boost=q.boost)
    if isinstance(q, wq.Not):
        return wq.Not(_expand(q.query, ctx, STRICT))
    if q.is_leaf():
        return q
    return q.apply(lambda c: _expand(c, ctx, stage))


def _or_suggested(literal: wq.Query, typed: str, ctx: Context, stage: str) -> wq.Query:
    """In the suggest stage, a typed word that finds nothing the caller may see is also read
    as the name it most likely stands for (恒大明都 → 恒大名都)."""
    if stage != SUGGEST or ctx.finds(literal):
        return literal
    names = similar_names(typed, ctx, suggest=True)
    return wq.Or([literal, *[word_query(n, ctx, False, boost=SUGGEST_BOOST) for n in names]]) if names else literal


def forms(word: str) -> list[str]:
    """The word and its synonyms (物管会 → 物管会, 物业管理委员会)."""
    table = _synonyms()
    return [word, *table.get(word, [])]


_SYN: dict[str, list[str]] | None = None
_FAMILY_NAMES: frozenset[str] | None = None


def _synonyms() -> dict[str, list[str]]:
    global _SYN
    if _SYN is None:
        _SYN = synonyms()
    return _SYN


def _families() -> frozenset[str]:
    global _FAMILY_NAMES
    if _FAMILY_NAMES is None:
        _FAMILY_NAMES = family_names()
    return _FAMILY_NAMES


def extras(word: str, ctx: Context, boost: float = 1.0) -> list[wq.Query]:
    """What else a word finds: the place it names, the places it is a part of, the family."""
    word = word.lower()
    out: list[wq.Query] = []
    if ctx.df("names", word):
        out.append(wq.Term("names", word, boost=boost * NAME_BOOST))
    if len(word) >= 2 and ctx.df("nameparts", word):
        out.append(wq.Term("nameparts", word, boost=boost * PART_BOOST))
    if word in _families() and ctx.df("family", word):
        out.append(wq.Term("family", word, boost=boost * FAMILY_BOOST))
    return out


def word_query(word: str, ctx: Context, relaxed: bool, boost: float = 1.0) -> wq.Query:
    """One analysed word, in any of its forms, and what else it finds (:func:`extras`)."""
    words = forms(word)
    extra = extras(word, ctx, boost)
    if relaxed and len(word) >= 2 and not extra and ctx.df("content", word) == 0:
        words += similar_names(word, ctx)
    terms: list[wq.Query] = [wq.Term("content", w, boost=boost) for w in words] + extra
    return terms[0] if len(terms) == 1 else wq.Or(terms)


def similar_names(text: str, ctx: Context, suggest: bool = False) -> list[str]:
    """Names the caller may see that ``text`` may stand for (the vocabulary's, similar.py)."""
    found = ctx.vocab.similar(text, keep=lambda n: ctx.seen("content", n))
    if found and not set(found) <= ctx.suggested:  # said once, in the stage that used it first
        ctx.suggested.update(found)
        shown = "、".join(found)
        ctx.notes.append(f"您要找的是不是：{shown}" if suggest else f"未找到“{text}”，也按近似的“{shown}”查询")
    return found


def name_query(fieldname: str, value: str, ctx: Context, boost: float = 1.0) -> wq.Query:
    """An exact 小区 / 社区 / 街道 — or, if there is no such name, the ones it resembles."""
    return wq.Or([wq.Term(fieldname, v, boost=boost) for v in resolve_name(fieldname, value, ctx)]
                 or [wq.NullQuery])


def resolve_name(fieldname: str, value: str, ctx: Context) -> list[str]:
    """The indexed names a filter value stands for: itself if known, else close ones (only
    names of records the caller may see: a suggestion must not reveal another community's)."""
    if ctx.seen(fieldname, value):
        return [value]
    known = [v for v in ctx.field_values(fieldname) if v != value]
    close = [v for v in known if (value in v or v in value) and ctx.seen(fieldname, v)]
    if not close:
        close = closest(value, known, limit=5, keep=lambda v: ctx.seen(fieldname, v))
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
