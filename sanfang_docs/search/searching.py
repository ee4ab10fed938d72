"""Running a search: scope, filters, ranking, snippets.

The searcher and its caches live as long as the index is unchanged (index.py); queries are
evaluated by engine.py over decoded posting lists, so nothing walks the matches in Python;
scope and filters are cached per-document masks; snippets are cut only for the hits shown,
from the archive's own text.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from whoosh import query as wq

from ..errors import SanfangError
from .engine import Engine
from .index import SearchIndex, damaged_index
from .query import (
    STAGES,
    STRICT,
    SUGGEST,
    Context,
    QueryError,
    build,
    date_bounds,
    highlight_terms,
    parse,
    resolve_name,
)
from .snippets import make_snippet

MAX_LIMIT = 500


@dataclass(frozen=True)
class Scope:
    """Whose records a caller may see: everything, one 街道 (sub-district), or one 社区."""

    level: str = "all"  # all | street | community
    name: str = ""

    @classmethod
    def everything(cls) -> Scope:
        return cls()

    @classmethod
    def street(cls, name: str) -> Scope:
        return cls("street", name)

    @classmethod
    def community(cls, name: str) -> Scope:
        return cls("community", name)

    def __post_init__(self) -> None:
        if self.level not in ("all", "street", "community"):
            raise SanfangError(f"检索范围“{self.level}”无效，只能是：all、street、community")
        if self.level != "all" and not self.name:
            raise SanfangError("检索范围须写明街道或社区名称")

    def allows(self, meta: dict[str, Any]) -> bool:
        return self.level == "all" or str(meta.get(self.level, "")) == self.name

    def clause(self) -> wq.Query | None:
        return None if self.level == "all" else wq.Term(self.level, self.name)


@dataclass
class Filters:
    community: str | None = None
    compound: str | None = None
    street: str | None = None
    kind: str | None = None  # 文种
    status: str | None = None
    case_id: str | None = None
    date_from: str | None = None
    date_to: str | None = None


@dataclass
class Hit:
    archive_no: str
    title: str
    kind: str
    date: str
    issuer: str
    addressee: str
    street: str
    community: str
    compound: str
    status: str
    case_id: str
    score: float
    snippet: str  # matches marked 【…】
    parts: list[tuple[str, bool]]  # the snippet as (text, is_match) pieces, for styled output
    path: str
    partial: bool = False  # matched only a relaxed reading of the query (not every word)

    def as_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["parts"] = [list(p) for p in self.parts]
        return out


@dataclass
class SearchResult:
    query: str
    hits: list[Hit]
    more: bool  # there are hits beyond the limit
    stage: str  # strict / relaxed / loose / list (no query: newest first)
    notes: list[str] = field(default_factory=list)
    elapsed_ms: float = 0.0
    total: int = 0  # documents that matched (within scope and filters)

    def as_dict(self) -> dict[str, Any]:
        return {"query": self.query, "stage": self.stage, "total": self.total, "more": self.more,
                "notes": self.notes,
                "elapsed_ms": round(self.elapsed_ms, 1), "hits": [h.as_dict() for h in self.hits]}


def search(index: SearchIndex, text: str = "", filters: Filters | None = None,
           scope: Scope | None = None, limit: int | str = 10, snippets: bool = True) -> SearchResult:
    """Ranked hits within ``scope`` (see the module docstring). A damaged index is a
    SearchIndexError (exit 9: run ``sanfang reindex``), a bad query or limit a QueryError."""
    with damaged_index():
        return _search(index, text, filters, scope, limit, snippets)


def _search(index: SearchIndex, text: str, filters: Filters | None, scope: Scope | None,
            limit: int | str, snippets: bool) -> SearchResult:
    started = time.perf_counter()
    filters = filters or Filters()
    scope = scope or Scope.everything()
    limit, limit_note = checked_limit(limit)
    searcher = index.searcher()
    engine = index.engine()
    parsed = parse(text, searcher.schema)
    ctx = Context(searcher, index.vocabulary(index.current() or ""), index.cache,
                  matches=lambda q: engine.evaluate(q)[0])
    ctx.notes += parsed.notes + limit_note
    if parsed.text and parsed.query is None and not parsed.archive_nos:
        if not parsed.notes:
            ctx.notes.append(f"“{text.strip()}”中没有可检索的词（标点和“的”“和”等常用字不参与检索）")
        return SearchResult(text, [], False, STRICT, _notes(index, ctx), _ms(started))
    clause = scope.clause()
    ctx.visible = engine.mask(("scope", scope), clause) if clause is not None else None
    allow = _restrictions(filters, scope, parsed.date_range, ctx, engine)
    if allow is not None and not allow.any():  # a filter names nothing, or nothing passes
        return SearchResult(text, [], False, STRICT, _notes(index, ctx), _ms(started))
    ctx.visible = allow  # names are suggested only from records this search may return

    final: wq.Query | None = None
    stage = "list"
    found: list[tuple[int, float, bool]] = []  # docnum, score, partial (from a relaxed stage)
    total = 0
    tried: set[str] = set()
    for stage in STAGES:
        q = build(parsed, ctx, stage)
        if q is None:
            stage = "list"
            newest, total = engine.newest(allow, limit)
            found = [(d, 0.0, False) for d in newest]
            break
        if repr(q) in tried:
            continue  # relaxing changed nothing
        tried.add(repr(q))
        final = q
        best, matched = engine.top(q, limit - len(found), allow, [d for d, _, _ in found])
        total = len(found) + matched
        # After the suggest stage, hits are partial: a relaxed reading of the query.
        found += [(d, score, stage not in (STRICT, SUGGEST)) for d, score in best]
        if len(found) >= limit:
            break

    terms = highlight_terms(final)
    hits = []
    for docnum, score, partial in found[:limit]:
        meta = searcher.stored_fields(docnum)["meta"]
        if not scope.allows(meta):
            continue  # cannot happen (the scope is a mask on every query); a second lock
        hit = _hit(index.archive_root, meta, score, terms if snippets else None)
        hit.partial = partial
        hits.append(hit)
    return SearchResult(text, hits, total > len(hits), stage, _notes(index, ctx), _ms(started), total)


def checked_limit(limit: object) -> tuple[int, list[str]]:
    """--limit as a number of hits: 1 to MAX_LIMIT; more is shown as MAX_LIMIT, and said."""
    try:
        value = int(str(limit).strip()) if not isinstance(limit, int) else limit
    except ValueError:
        raise QueryError(f"显示条数（--limit）须为 1 到 {MAX_LIMIT} 之间的整数，收到“{limit}”") from None
    if value < 1:
        raise QueryError(f"显示条数（--limit）须为 1 到 {MAX_LIMIT} 之间的整数，收到 {value}")
    if value > MAX_LIMIT:
        return MAX_LIMIT, [f"一次最多显示 {MAX_LIMIT} 条，已按 {MAX_LIMIT} 条显示；可增加筛选条件缩小范围"]
    return value, []


def _notes(index: SearchIndex, ctx: Context) -> list[str]:
    queued = index.pending()
    if queued:
        ctx.notes.append(f"有 {len(queued)} 条记录的变更尚未进入检索索引，请运行 `sanfang reindex`")
    return list(dict.fromkeys(ctx.notes))


def _ms(started: float) -> float:
    return (time.perf_counter() - started) * 1000


def _restrictions(filters: Filters, scope: Scope, query_dates: tuple[int, int] | None,
                  ctx: Context, engine: Engine) -> np.ndarray | None:
    """Scope and filters as one mask of allowed documents (None: everything)."""
    masks: list[np.ndarray] = []
    clause = scope.clause()
    if clause is not None:
        masks.append(engine.mask(("scope", scope), clause))
    for fieldname in ("community", "compound", "street"):
        value = getattr(filters, fieldname)
        if value:
            names = resolve_name(fieldname, value.strip(), ctx)
            q = wq.Or([wq.Term(fieldname, n) for n in names]) if names else wq.NullQuery
            masks.append(engine.mask((fieldname, tuple(names)), q))
    for fieldname in ("kind", "status", "case_id"):
        value = getattr(filters, fieldname)
        if value:
            masks.append(engine.mask((fieldname, value.strip()), wq.Term(fieldname, value.strip())))
    for bounds in (date_bounds(filters.date_from, filters.date_to), query_dates):
        if bounds:
            masks.append(engine.date_mask(*bounds))
    if not masks:
        return None
    allow = masks[0].copy()
    for m in masks[1:]:
        allow &= m
    return allow


def _hit(archive_root: Path, meta: dict[str, Any], score: float, terms: list[str] | None) -> Hit:
    path = archive_root / meta.get("path", "")
    snippet, parts = "", []
    if terms is not None:
        snippet, parts = make_snippet(_record_text(path, meta), terms)
    return Hit(
        archive_no=meta.get("档号", ""), title=meta.get("题名", ""), kind=meta.get("文种", ""),
        date=meta.get("成文日期", ""), issuer=meta.get("责任者", ""), addressee=meta.get("主送", ""),
        street=meta.get("street", ""), community=meta.get("community", ""),
        compound=meta.get("compound", ""), status=meta.get("status", ""), case_id=meta.get("case_id", ""),
        score=round(score, 4), snippet=snippet, parts=parts, path=str(path),
    )


def _record_text(path: Path, meta: dict[str, Any]) -> str:
    """The words to cut a snippet from, read from the archive (the index stores no text)."""
    try:
        data = json.loads((path / "record.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return ""
    text = str(data.get("text") or "") if isinstance(data, dict) else ""  # damaged since indexed
    title = meta.get("题名", "")
    if title and text.startswith(title):
        text = text[len(title):].lstrip("\n")  # the title is shown above the snippet
    scans = path / "scans"
    if scans.is_dir():
        for p in sorted(scans.glob("*.txt")):
            text += "\n" + p.read_text(encoding="utf-8", errors="replace")
    return text


def format_hit(n: int, hit: Hit, mark: Callable[[str], str]) -> str:
    """Three lines for a terminal: title, where it is filed, and the snippet (``mark`` styles
    the matched words)."""
    where = " ".join(x for x in (hit.street, hit.community, hit.compound) if x)
    snippet = "".join(mark(text) if is_match else text for text, is_match in hit.parts)
    lines = [f"{n:>2}. {hit.title}",
             f"    {hit.archive_no} · {hit.kind} · {hit.date} · {where} · {hit.status}"]
    if snippet:
        lines.append(f"    {snippet}")
    return "\n".join(lines)
