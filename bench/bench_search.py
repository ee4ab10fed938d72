"""Search benchmark: archives of 10,000 and 100,000 documents generated from our own
interviews and templates, indexed our way and the naive way, queried with the labelled set.

    /work/venv/bin/python bench/bench_search.py --sizes 10000,100000 --out /tmp/sanfang-bench-search

Reports, per size: indexing throughput and index size; p50/p95 latency of the labelled queries
(with snippets, on a searcher kept open as the web app keeps it) plus filter-only and filtered
queries; P@5 / R@20; and the same for the naive setup (bench_search_naive.py). Results go to
``<out>/bench_search-<size>.json`` and a Markdown table on stdout (see bench/README.md).
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import resource
import statistics
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
import bench_search_naive as naive  # noqa: E402
from bench_search_fast import build, prefix  # noqa: E402
from bench_search_labels import evaluate, load  # noqa: E402

from sanfang_docs.api import Sanfang  # noqa: E402

# Filter-only and filtered searches a sub-district office runs (no labels: latency only).
FILTERED = [
    ("", {"kind": "批复"}), ("", {"compound": "江南花山郡"}), ("", {"community": "锦绣社区", "date_from": "2024"}),
    ("", {"date_from": "2025-01", "date_to": "2025-06"}), ("", {"status": "已盖章", "street": "纸坊街道"}),
    ("选举结果", {"street": "纸坊街道"}), ("物管会", {"date_from": "2023", "date_to": "2024"}),
    ("党支部", {"kind": "请示", "community": "文化路社区"}), ("业委会", {"status": "已盖章"}),
    ("议事规则", {"compound": "藏龙御景"}),
]


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


def build_archive(root: Path, size: int, seed: int, real_docs: int, jobs: int = 2,
                  bigger: Path | None = None) -> Sanfang:
    """``<root>/ws-<size>``, unless a complete one is there: generated (bench_search_fast.py),
    or the first records of a ``bigger`` archive of the same seed (the same records)."""
    home = root / f"ws-{size}"
    if not (home / ".bench-complete").exists():
        root.mkdir(parents=True, exist_ok=True)
        started = time.perf_counter()
        if bigger is not None and (bigger / ".bench-complete").exists():
            n = prefix(bigger, home, size)
            how = f"the first records of {bigger}, hard-linked"
        else:
            n = build(home, size, seed, real_docs, jobs)["records"]
            how = f"{jobs} jobs"
        seconds = time.perf_counter() - started
        print(f"[{size}] archive: {n} records in {seconds:.0f} s ({n / seconds:.0f}/s, {how})", flush=True)
    return Sanfang(home)


def timed(fn: Any, *args: Any, **kwargs: Any) -> tuple[Any, float]:
    out, wall, _ = clocked(fn, *args, **kwargs)
    return out, wall


def clocked(fn: Any, *args: Any, **kwargs: Any) -> tuple[Any, float, float]:
    """(result, wall ms, CPU ms of this process): on a shared machine the CPU time is what
    the query costs, the wall time also what other jobs took from it meanwhile."""
    started, cpu = time.perf_counter(), time.process_time()
    out = fn(*args, **kwargs)
    return out, (time.perf_counter() - started) * 1000, (time.process_time() - cpu) * 1000


def latencies(prefix: str, runs: list[tuple[Any, float, float]]) -> dict[str, float]:
    wall, cpu = [r[1] for r in runs], [r[2] for r in runs]
    return {f"{prefix}p50_ms": percentile(wall, 0.5), f"{prefix}p95_ms": percentile(wall, 0.95),
            f"{prefix}max_ms": max(wall), f"{prefix}mean_ms": statistics.mean(wall),
            f"{prefix}cpu_p50_ms": percentile(cpu, 0.5), f"{prefix}cpu_p95_ms": percentile(cpu, 0.95)}


def measure_ours(app: Sanfang, labelled: list[Any], repeat: int, reindex: bool = True,
                 before_queries: Any = None) -> dict[str, Any]:
    out: dict[str, Any] = {"bytes": app.index.size_bytes()}
    if reindex:
        started = time.perf_counter()
        n = app.reindex()
        seconds = time.perf_counter() - started
        out = {"docs": n, "index_seconds": seconds, "docs_per_s": n / seconds, "bytes": app.index.size_bytes()}
    if before_queries:  # the naive index, built beside ours: finished before anything is timed
        out["naive_built"] = before_queries()
    # The web app: open once (jieba's dictionary, the searcher), then serve. The first pass
    # decodes each word's postings on first use (cold); the web app can decode the most
    # frequent words at start instead (prewarm), reported separately.
    _, out["open_ms"] = timed(app.index.warm, 0)
    first = [timed(app.search, item.query, limit=10)[1] for item in labelled]
    _, out["prewarm_ms"] = timed(app.index.warm, 300)
    out["postings_cache_mb"] = app.index.postings.size / 1e6
    times = [clocked(app.search, item.query, limit=10) for _ in range(repeat) for item in labelled]
    filtered = [clocked(app.search, q, limit=10, **f) for _ in range(repeat) for q, f in FILTERED]
    scores = evaluate(labelled, lambda q, k: [h.archive_no for h in app.search(q, limit=k).hits])
    out.update({
        "first_pass_p50_ms": percentile(first, 0.5), "first_pass_p95_ms": percentile(first, 0.95),
        **latencies("", times), **latencies("filtered_", filtered), "p5": scores.p5, "r20": scores.r20,
        "slowest": sorted(((round(timed(app.search, i.query, limit=10)[1], 1), i.query) for i in labelled),
                          reverse=True)[:5],
        "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    })
    return out


def build_naive_aside(app: Sanfang, root: Path) -> Any:
    """The naive index built by another process while ours is built here (the two share
    nothing but the archive): half the wall time of a 100,000 run on two cores. Returns a
    function that waits for it and gives its figures."""
    ctx = multiprocessing.get_context("fork")
    mine, theirs = ctx.Pipe(duplex=False)

    def work() -> None:
        theirs.send(naive.build(app.archive, root / "naive-index"))

    proc = ctx.Process(target=work)
    proc.start()

    def result() -> dict[str, Any]:
        out = mine.recv()
        proc.join()
        return out

    return result


def measure_naive(app: Sanfang, labelled: list[Any], root: Path, built: dict[str, Any] | None = None,
                  rebuild: bool = True) -> dict[str, Any]:
    index_dir = root / "naive-index"
    out = built or (naive.build(app.archive, index_dir) if rebuild else {})
    times = [clocked(naive.search, index_dir, item.query) for item in labelled]
    scores = evaluate(labelled, lambda q, k: naive.search(index_dir, q, limit=k)[0])
    out.update({**latencies("", times), "p5": scores.p5, "r20": scores.r20})
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", default="10000,100000")
    ap.add_argument("--out", default="/tmp/sanfang-bench-search", type=Path)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--real-docs", type=int, default=12000,
                    help="documents run through the interview runner; the rest are clones")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--jobs", type=int, default=2, help="processes generating the archive (same records)")
    ap.add_argument("--skip-naive", action="store_true")
    ap.add_argument("--side-by-side", action="store_true",
                    help="build the naive index in a second process while ours is built (queries still one at a time)")
    ap.add_argument("--no-reindex", action="store_true",
                    help="query the index the last run built (latency and the memory of a warmed process)")
    args = ap.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    # The largest archive first: a smaller one is its first records (no second generation).
    largest = build_archive(args.out / str(max(sizes)), max(sizes), args.seed, min(args.real_docs, max(sizes)),
                            args.jobs).workspace.home
    for size in sizes:
        root = args.out / str(size)
        root.mkdir(parents=True, exist_ok=True)
        app = build_archive(root, size, args.seed, min(args.real_docs, size), args.jobs, bigger=largest)
        side_by_side = args.side_by_side and not (args.skip_naive or args.no_reindex)
        naive_built = build_naive_aside(app, root) if side_by_side else None
        if args.no_reindex:
            # What a web app holds: the searcher, its caches and the decoded frequent words,
            # measured before this script loads every record for the labels.
            app.index.warm(300)
            warmed_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        labelled, skipped = load(r.meta for r in app.archive.records())
        result: dict[str, Any] = {"size": size, "queries": len(labelled), "skipped": skipped}
        result["ours"] = measure_ours(app, labelled, args.repeat, reindex=not args.no_reindex,
                                      before_queries=naive_built)
        if args.no_reindex:
            result["ours"]["warmed_rss_mb"] = warmed_rss
            print(f"[{size}] queries only: {json.dumps(result['ours'], ensure_ascii=False)}", flush=True)
            if not args.skip_naive and (root / "naive-index").exists():  # the last run's, same window
                result["naive"] = measure_naive(app, labelled, root, rebuild=False)
                print(f"[{size}] naive, queries only: {json.dumps(result['naive'], ensure_ascii=False)}", flush=True)
            (args.out / f"bench_search-{size}-queries.json").write_text(json.dumps(result, ensure_ascii=False, indent=2))
            continue
        print(f"[{size}] ours: {json.dumps(result['ours'], ensure_ascii=False)}", flush=True)
        if not args.skip_naive:
            result["naive"] = measure_naive(app, labelled, root, naive_built and result["ours"].pop("naive_built"))
            print(f"[{size}] naive: {json.dumps(result['naive'], ensure_ascii=False)}", flush=True)
        (args.out / f"bench_search-{size}.json").write_text(json.dumps(result, ensure_ascii=False, indent=2))
        report(result)


def report(r: dict[str, Any]) -> None:
    o, n = r["ours"], r.get("naive")
    print(f"\n### {r['size']:,} documents ({r['queries']} labelled queries)\n")
    print("| setup | index docs/s | index MB | p50 ms | p95 ms | max ms | P@5 | R@20 |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- |")
    for name, x in (("ours", o), ("naive", n)):
        if x:
            print(f"| {name} | {x['docs_per_s']:.0f} | {x['bytes'] / 1e6:.0f} | {x['p50_ms']:.1f} | "
                  f"{x['p95_ms']:.1f} | {x['max_ms']:.0f} | {x['p5']:.3f} | {x['r20']:.3f} |")
    print(f"\nCPU per query, ours p50/p95 {o['cpu_p50_ms']:.1f}/{o['cpu_p95_ms']:.1f} ms"
          + (f", naive {n['cpu_p50_ms']:.1f}/{n['cpu_p95_ms']:.1f} ms" if n else ""))
    print(f"\nours: filtered/filter-only p50 {o['filtered_p50_ms']:.1f} ms, p95 {o['filtered_p95_ms']:.1f} ms; "
          f"first (cold) pass p50/p95 {o['first_pass_p50_ms']:.1f}/{o['first_pass_p95_ms']:.1f} ms; "
          f"open {o['open_ms']:.0f} ms, prewarm {o['prewarm_ms']:.0f} ms ({o['postings_cache_mb']:.0f} MB); "
          f"RSS {o['rss_mb']:.0f} MB; slowest {o['slowest']}")


if __name__ == "__main__":
    main()
