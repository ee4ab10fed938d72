"""`sanfang reindex` throughput: the bulk build on every core (search/bulk.py) against one process,
and against Whoosh's own writer in one process (how the index was rebuilt before issue 17), on
the same archive, runs alternating.

    .venv/bin/python bench/bench_reindex.py --home /tmp/sanfang-bench-search/10000/ws-10000 [--runs 3]
    .venv/bin/python bench/bench_reindex.py --size 2000 --out /tmp/sanfang-bench-reindex

``--home`` reads an existing archive (bench_search.py builds them; the index is written under
``--index-home`` if given, so a shared archive is never written into: its ``archive`` is linked).
Prints docs/s (wall), CPU seconds per 1,000 documents (this process and its workers), and
the load average of the run: on a shared machine the CPU figure is the steadier one.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from whoosh import index as windex  # noqa: E402

from sanfang_docs.api import Sanfang  # noqa: E402
from sanfang_docs.search.documents import record_document, record_names  # noqa: E402


def cpu() -> float:
    a, b = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return a.ru_utime + a.ru_stime + b.ru_utime + b.ru_stime


def whoosh_writer(app: Sanfang) -> int:
    """The rebuild before issue 17: names first, then every record through Whoosh's writer in
    this process, one optimised segment (no switch: measured, then thrown away)."""
    index = app.index
    index.root.mkdir(parents=True, exist_ok=True)
    gen = index._create_generation()
    try:
        index._learn(gen, (n for r in index.records() for n in record_names(r)))
        vocab = index.vocabulary(gen)
        writer = windex.open_dir(str(index.root / gen)).writer(limitmb=128)
        n = 0
        for record in index.records():
            writer.add_document(**record_document(record, index.archive_root, vocab))
            n += 1
        writer.commit(optimize=True)
        return n
    finally:
        import shutil

        shutil.rmtree(index.root / gen, ignore_errors=True)


def run(kind: str, app: Sanfang) -> dict[str, float]:
    started, c0, load = time.perf_counter(), cpu(), os.getloadavg()[0]
    if kind == "whoosh-1":
        n = whoosh_writer(app)
    else:
        n = app.index.rebuild(jobs=int(kind.split("-")[1]))
    wall, used = time.perf_counter() - started, cpu() - c0
    return {"docs": n, "wall": wall, "cpu": used, "load": load}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--home", type=Path, help="a workspace whose archive to index")
    ap.add_argument("--index-home", type=Path, help="write the index here (the archive is linked, never written)")
    ap.add_argument("--size", type=int, default=2000, help="without --home: records to generate")
    ap.add_argument("--out", type=Path, default=Path("/tmp/sanfang-bench-reindex"))
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--kinds", default="bulk-2,bulk-1,whoosh-1")
    args = ap.parse_args()
    home = args.home
    if home is None:
        from bench_search import build_archive

        home = build_archive(args.out, args.size, seed=7, real_docs=min(args.size, 2000)).workspace.home
    if args.index_home:
        args.index_home.mkdir(parents=True, exist_ok=True)
        link = args.index_home / "archive"
        if not link.exists():
            link.symlink_to(Path(home).resolve() / "archive")
        home = args.index_home
    app = Sanfang(home)
    kinds = args.kinds.split(",")
    results: dict[str, list[dict[str, Any]]] = {k: [] for k in kinds}
    for i in range(args.runs):
        for kind in kinds:
            r = run(kind, app)
            results[kind].append(r)
            print(f"run {i + 1} {kind}: {r['docs']} docs, {r['wall']:.1f} s, {r['docs'] / r['wall']:.0f} docs/s, "
                  f"CPU {1000 * r['cpu'] / r['docs']:.2f} s per 1,000, load {r['load']:.1f}", flush=True)
    print("\n| build | docs | docs/s (median wall) | CPU s per 1,000 docs | load average |")
    print("| --- | ---: | ---: | ---: | ---: |")
    for kind, rs in results.items():
        docs = rs[0]["docs"]
        print(f"| {kind} | {docs:,} | {statistics.median(r['docs'] / r['wall'] for r in rs):.0f} | "
              f"{statistics.median(1000 * r['cpu'] / r['docs'] for r in rs):.2f} | "
              f"{statistics.median(r['load'] for r in rs):.1f} |")


if __name__ == "__main__":
    main()
