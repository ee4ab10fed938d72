"""A cold command-line search: ``sanfang search`` in a new process, each time, on a generated
archive (the same as bench_search.py's), with the query dictionary the index keeps beside it
and — in the same run, alternating — without it (jieba's whole dictionary, as before).

    .venv/bin/python bench/bench_search_cold.py --size 10000 --runs 7 --out /tmp/sanfang-bench-search

Reports per setup the median and p95 wall time of a whole process (interpreter, imports,
opening the index, the query, printing), the time to import the CLI alone, and the ratio.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_search import build_archive, percentile  # noqa: E402

from sanfang_docs.search.index import QUERY_DICT  # noqa: E402

QUERIES = ["选举结果", "物管会 批复", "江南花山郡", "藏龙玉景", "交叉任职", "J001-WS-2025-Y-SQDW-0003", "党支部 OR 业委会"]


def run(home: Path, query: str) -> float:
    cmd = [str(Path(sys.executable).parent / "sanfang"), "search", "--home", str(home), query]
    started = time.perf_counter()
    done = subprocess.run(cmd, capture_output=True, text=True, env=os.environ.copy(), timeout=120)
    elapsed = (time.perf_counter() - started) * 1000
    if done.returncode != 0:
        raise SystemExit(f"{query}: exit {done.returncode}\n{done.stderr[-1000:]}")
    return elapsed


def imports_ms() -> float:
    started = time.perf_counter()
    subprocess.run([sys.executable, "-c", "import sanfang_docs.cli"], check=True, env=os.environ.copy())
    return (time.perf_counter() - started) * 1000


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--size", type=int, default=10000)
    ap.add_argument("--out", default="/tmp/sanfang-bench-search", type=Path)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--real-docs", type=int, default=12000)
    ap.add_argument("--runs", type=int, default=7, help="processes per query and setup")
    args = ap.parse_args()
    root = args.out / str(args.size)
    root.mkdir(parents=True, exist_ok=True)
    app = build_archive(root, args.size, args.seed, min(args.real_docs, args.size))
    if not app.index.exists():
        print(f"[{args.size}] indexing …", flush=True)
        app.reindex()
    home = app.workspace.home
    cache = app.index.root / (app.index.current() or "") / QUERY_DICT
    aside = cache.with_suffix(".off")
    times: dict[str, list[float]] = {"query dictionary": [], "whole dictionary": []}
    for _ in range(args.runs):
        for query in QUERIES:
            for setup in times:  # alternating: both see the same load on a shared machine
                if setup == "whole dictionary":
                    cache.rename(aside)
                try:
                    times[setup].append(run(home, query))
                finally:
                    if aside.exists():
                        aside.rename(cache)
    imports = [imports_ms() for _ in range(args.runs)]
    print(f"\n### cold `sanfang search`, {args.size:,} records, {args.runs} × {len(QUERIES)} processes each\n")
    print("| setup | median ms | p95 ms |")
    print("| --- | --- | --- |")
    for setup, values in times.items():
        print(f"| {setup} | {statistics.median(values):.0f} | {percentile(values, 0.95):.0f} |")
    fast, slow = (statistics.median(v) for v in times.values())
    print(f"\nratio (whole / query dictionary): {slow / fast:.2f}×; "
          f"`import sanfang_docs.cli` alone (a new interpreter): median {statistics.median(imports):.0f} ms")


if __name__ == "__main__":
    main()
