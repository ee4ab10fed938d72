"""The naive setup, measured beside ours: what a first Whoosh + jieba integration looks like.

* jieba's stock ``ChineseAnalyzer`` (search-mode cut) on every text field, at index and query
  time alike — a query for 物业管理委员会 becomes five AND-ed terms;
* ``MultifieldParser`` over 题名 and 正文, stored body text for Whoosh's highlighter;
* a fresh ``open_dir().searcher()`` per query, ``len(results)`` for the hit count (which
  makes Whoosh score and count every match), and ``hit.highlights()`` on the top hits.
"""

from __future__ import annotations

import shutil
import time
from pathlib import Path
from typing import Any

from jieba.analyse import ChineseAnalyzer
from whoosh import index as windex
from whoosh.fields import ID, STORED, TEXT, Schema
from whoosh.qparser import MultifieldParser

from sanfang_docs.archive import Archive


def build(archive: Archive, index_dir: Path) -> dict[str, Any]:
    if index_dir.exists():
        shutil.rmtree(index_dir)
    index_dir.mkdir(parents=True)
    ana = ChineseAnalyzer()
    schema = Schema(archive_no=ID(stored=True, unique=True), title=TEXT(analyzer=ana, stored=True),
                    body=TEXT(analyzer=ana, stored=True), meta=STORED)
    ix = windex.create_in(str(index_dir), schema)
    started = time.perf_counter()
    writer = ix.writer(limitmb=128)
    n = 0
    for record in archive.records():
        m = record.meta
        writer.add_document(archive_no=m["档号"], title=m.get("题名", ""), body=m.get("text", ""),
                            meta={"成文日期": m.get("成文日期", "")})
        n += 1
    writer.commit()
    seconds = time.perf_counter() - started
    size = sum(p.stat().st_size for p in index_dir.iterdir())
    return {"docs": n, "seconds": seconds, "docs_per_s": n / seconds, "bytes": size}


def search(index_dir: Path, text: str, limit: int = 10) -> tuple[list[str], int]:
    """One query the naive way: fresh searcher, full count, Whoosh highlights."""
    ix = windex.open_dir(str(index_dir))
    with ix.searcher() as searcher:
        q = MultifieldParser(["title", "body"], schema=ix.schema).parse(text)
        results = searcher.search(q, limit=limit)
        total = len(results)  # counts every match
        found = []
        for hit in results:
            hit.highlights("body")
            found.append(str(hit["archive_no"]))
        return found, total
