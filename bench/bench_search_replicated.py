"""Query latency at k times an archive's size, when the bigger archive cannot be indexed in
the time there is: the index's segment is read k times over as one index of k × n documents.

    /work/main/.venv/bin/python bench/bench_search_replicated.py --home /tmp/sanfang-bench-search/10000/ws-10000 --times 10

A stand-in, not the bigger archive: every posting list is k times as long and every vector
of the engine k times as wide (what grows with size), term statistics keep their ratios, the
snippets read the same record.json files. But each copy of a document scores alike, so the
hits repeat (no P@5 here), and a posting list is decoded once for all k copies (the first,
cold pass is cheaper than on a real index of that size). Same queries as bench_search.py.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from whoosh.reading import MultiReader
from whoosh.searching import Searcher

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_search import FILTERED, clocked, latencies, percentile, timed  # noqa: E402
from bench_search_labels import load  # noqa: E402

from sanfang_docs.api import Sanfang  # noqa: E402
from sanfang_docs.search.index import SearchIndex  # noqa: E402
from sanfang_docs.search.scoring import FastBM25F  # noqa: E402


def replicate(index: SearchIndex, times: int) -> int:
    """Make ``index`` search its one segment ``times`` over; returns the document count."""
    real = index.searcher()
    leaves = [leaf for leaf, _ in real.reader().leaf_readers()]
    wide = Searcher(MultiReader(leaves * times), weighting=FastBM25F())
    wide.up_to_date = lambda: True  # type: ignore[method-assign] - nothing changes while measuring
    index._searcher, index.cache = wide, {}  # the engine is made over it on first use
    return int(wide.doc_count_all())


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--home", type=Path, required=True, help="a workspace with its index built")
    ap.add_argument("--times", type=int, default=10)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    app = Sanfang(args.home)
    labelled, _ = load(r.meta for r in app.archive.records())
    out: dict[str, Any] = {"documents": replicate(app.index, args.times), "queries": len(labelled)}
    _, out["open_ms"] = timed(app.index.warm, 0)
    first = [timed(app.search, item.query, limit=10)[1] for item in labelled]
    _, out["prewarm_ms"] = timed(app.index.warm, 300)
    runs = [clocked(app.search, item.query, limit=10) for _ in range(args.repeat) for item in labelled]
    filtered = [clocked(app.search, q, limit=10, **f) for _ in range(args.repeat) for q, f in FILTERED]
    out.update({"first_pass_p95_ms": percentile(first, 0.95), **latencies("", runs),
                **latencies("filtered_", filtered),
                "slowest_cpu": sorted(((round(clocked(app.search, i.query, limit=10)[2], 1), i.query)
                                       for i in labelled), reverse=True)[:6]})
    print(json.dumps(out, ensure_ascii=False, indent=1))


if __name__ == "__main__":
    main()
