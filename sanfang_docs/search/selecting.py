"""Every record a search finds, unranked and without a limit: the selection of an export.

A search shows the best few hits; an export (bundle/) needs all of them, with the same words,
filters and scope, so a clerk can try the selection with ``sanfang search`` first. Only the
strict reading of the words counts here: a bundle holds what every word matched, never the
relaxed stages a search falls back to when it finds too little.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .index import SearchIndex
from .query import STRICT, Context, build, parse
from .searching import Filters, Scope, _restrictions


@dataclass
class Matches:
    metas: list[dict[str, Any]]  # the stored fields of each record (档号, path, community…)
    notes: list[str] = field(default_factory=list)


def matching(index: SearchIndex, text: str = "", filters: Filters | None = None,
             scope: Scope | None = None) -> Matches:
    filters = filters or Filters()
    scope = scope or Scope.everything()
    searcher = index.searcher()
    engine = index.engine()
    ctx = Context(searcher, index.vocabulary(index.current() or ""), index.cache,
                  matches=lambda q: engine.evaluate(q)[0])
    parsed = parse(text, searcher.schema)
    ctx.notes += parsed.notes
    if parsed.text and parsed.query is None and not parsed.archive_nos:
        ctx.notes.append(f"“{text.strip()}”中没有可检索的词（标点和“的”“和”等常用字不参与检索）")
        return Matches([], ctx.notes)
    clause = scope.clause()
    # Names a filter is read as come only from records the caller may see, as in search().
    ctx.visible = engine.mask(("scope", scope), clause) if clause is not None else None
    allow = _restrictions(filters, scope, parsed.date_range, ctx, engine)
    mask = engine.live.copy() if allow is None else (allow & engine.live)
    q = build(parsed, ctx, STRICT)
    if q is not None:
        mask &= engine.evaluate(q)[0]
    metas = [searcher.stored_fields(int(d))["meta"] for d in np.flatnonzero(mask)]
    # The scope is a mask already; a second lock, as in search().
    return Matches([m for m in metas if scope.allows(m)], list(dict.fromkeys(ctx.notes)))
