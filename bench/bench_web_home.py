"""The home page's lists and 待办 at 1,000+ records: from the records catalogue
(registers/catalogue.py, what the app does) against reading every record.json per request
(what it did before), for a 社区 clerk, a 街道 user and the admin, in the same run.

    .venv/bin/python bench/bench_web_home.py [--sizes 1000,10000] [--repeat 15]

The archive is bulk-written (bench_search_archive.BulkFiler: the generated corpus, real
record.json and answers.json); the catalogue is built on the first read (timed apart).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections import Counter
from datetime import date
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_search_archive import BulkFiler  # noqa: E402
from bench_search_corpus import corpus  # noqa: E402

from sanfang_docs.api import Sanfang  # noqa: E402
from sanfang_docs.archive import Archive  # noqa: E402
from sanfang_docs.registers.deadlines import due_items  # noqa: E402
from sanfang_docs.workspace import Workspace  # noqa: E402

TODAY = date(2026, 10, 12)


def build(home: Path, size: int, real_docs: int) -> Sanfang:
    done = home / ".bench-complete"
    if not done.exists():
        import shutil

        shutil.rmtree(home, ignore_errors=True)
        filer = BulkFiler(Archive(Workspace.open(home)))
        for case in corpus(size, seed=7, real_docs=real_docs):
            filer.file(case)
        filer.finish()
        done.write_text("ok")
    return Sanfang(home)


def by_reading(api: Sanfang, caller: Any) -> tuple[int, list[Any], dict[str, Any], list[Any]]:
    """The home page and 待办 as before: every record.json read, then sorted and filtered."""
    records = [r for r in api.archive.records() if caller is None or caller.sees(r.meta)]
    newest = sorted(records, key=lambda r: str(r.meta.get("created_at", "")), reverse=True)
    cases: dict[str, Any] = {}
    for r in newest:
        if r.meta.get("case_id") and len(cases) < 8:
            cases.setdefault(str(r.meta["case_id"]), r)
    sees = caller.sees if caller is not None else (lambda meta: True)
    return len(records), newest[:10], cases, due_items(records, api.matter_list(), TODAY, sees)


def by_catalogue(api: Sanfang, caller: Any) -> tuple[int, list[Any], dict[str, Any], list[Any]]:
    found = api.newest(caller)
    return found.count, found.newest, found.cases, api.todo(caller, TODAY)


def timed(fn: Any, *args: Any, repeat: int) -> tuple[Any, float]:
    times, out = [], None
    for _ in range(repeat):
        started = time.perf_counter()
        out = fn(*args)
        times.append(time.perf_counter() - started)
    return out, statistics.median(times) * 1000


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", default="1000")
    ap.add_argument("--out", default="/tmp/sanfang-bench-home", type=Path)
    ap.add_argument("--real-docs", type=int, default=300)
    ap.add_argument("--repeat", type=int, default=15)
    args = ap.parse_args()
    for size in (int(s) for s in args.sizes.split(",")):
        api = build(args.out / f"ws-{size}", size, min(size, args.real_docs))
        records = list(api.archive.records())
        street, community = Counter((str(r.meta.get("street")), str(r.meta.get("community")))
                                    for r in records).most_common(1)[0][0]
        if not api.accounts.users():
            api.accounts.add("clerk", "bench-password-1", "clerk", street, community)
            api.accounts.add("street", "bench-password-1", "street", street)
            api.accounts.add("admin", "bench-password-1", "admin")
        (api.workspace.home / "catalogue.sqlite").unlink(missing_ok=True)
        started = time.perf_counter()
        api.catalogue.records(None)
        built = (time.perf_counter() - started) * 1000
        print(f"{len(records)} records; catalogue built in {built:.0f} ms")
        print("| records | caller | sees | reading every record.json ms | catalogue ms | ratio |")
        print("| --- | --- | --- | --- | --- | --- |")
        for user in ("clerk", "street", "admin"):
            caller = api.accounts.get(user)
            old, t_old = timed(by_reading, api, caller, repeat=args.repeat)
            new, t_new = timed(by_catalogue, api, caller, repeat=args.repeat)
            assert old[0] == new[0] and old[3] == new[3], "different answers"
            assert [r.archive_no for r in old[1]] == [r.archive_no for r in new[1]], "different newest"
            print(f"| {len(records)} | {user} | {old[0]} | {t_old:.1f} | {t_new:.1f} | {t_old / t_new:.1f}× |",
                  flush=True)


if __name__ == "__main__":
    main()
