"""The search benchmark's archive, fast: the same records as the one-process generator, made
with the interviews running on worker processes and the records written in bulk.

    /work/main/.venv/bin/python bench/bench_search_fast.py --size 100000 --home /tmp/sanfang-100k --jobs 2

Every draw from the district's RNG stays in this process and in the same order, so the cases
(and the records) are those ``corpus(size, seed)`` makes in one process; only the interview
runs, which draw nothing, go to the workers. A real case is planned ahead (``plan_case``) while
earlier ones run; if another interview's example makes no document (the one-process generator
then falls back to 示范文本1 with the RNG where it stood), the plans made after it are dropped
and made again from there. ``tests/test_search.py`` checks the two generators agree.

Writes ``<home>/.bench-complete`` (the record count) when done, which ``bench_search.py``
takes as "already built", and with ``--ready FILE`` that file too (for other jobs waiting on it).
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import resource
import shutil
import sys
import time
from collections import deque
from collections.abc import Iterator
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
import bench_search_corpus as generated  # noqa: E402
from bench_search_archive import BulkFiler  # noqa: E402
from bench_search_corpus import Case, corpus, fallback_plan, plan_case, usable_interviews  # noqa: E402
from bench_search_names import Names  # noqa: E402

from sanfang_docs.archive import Archive  # noqa: E402
from sanfang_docs.workspace import Workspace  # noqa: E402


def run_all(name: str, answers: dict[str, Any]) -> list[Any]:
    """The corpus's own ``run_all``, looked up when called (so a test can stand in for it)."""
    return generated.run_all(name, answers)


class InterviewPool:
    """Worker processes running interviews for ``corpus``, in the order the cases are taken."""

    def __init__(self, jobs: int, ahead: int = 0):
        usable_interviews()  # decided before the fork: every worker sees the same interviews
        self.pool = multiprocessing.get_context("fork").Pool(jobs)
        self.ahead = ahead or 8 * jobs  # cases planned and queued ahead of the one taken
        self.fallbacks = 0
        self._names: Names | None = None
        self._taken: Any = None

    def __enter__(self) -> InterviewPool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.pool.terminate()  # queued runs past the last case taken are not needed
        self.pool.join()

    def run_many(self, runs: list[tuple[str, dict[str, Any]]]) -> list[list[Any]]:
        return self.pool.starmap(run_all, runs, chunksize=1)

    def real_cases(self, names: Names) -> Iterator[Case]:
        """Case 0, 1, … exactly as ``real_case(names, n)`` gives them in one process."""
        self._names = names
        self._taken = names.rng.getstate()
        pending: deque[tuple[Any, Any, Any]] = deque()
        n = 0
        while True:
            while len(pending) < self.ahead:
                plan = plan_case(names, n)
                n += 1
                job = None if plan.docs is not None else self.pool.apply_async(run_all, (plan.interview, plan.answers))
                pending.append((plan, names.rng.getstate(), job))
            plan, after, job = pending.popleft()
            docs = plan.docs if job is None else job.get()
            if not docs and plan.fallible:
                # The sequence falls back to 示范文本1 here, from the RNG as this plan left it:
                # every plan made after this one drew from a state that never happens.
                self.fallbacks += 1
                pending.clear()
                names.rng.setstate(after)
                plan = fallback_plan(names, plan.n, plan.place, plan.year)
                docs = run_all(plan.interview, plan.answers)
                after = names.rng.getstate()
                n = plan.n + 1
            self._taken = after
            yield plan.case(docs)

    def settle(self) -> None:
        """Put the RNG where the cases taken so far left it (the plans ahead are dropped)."""
        if self._names is not None:
            self._names.rng.setstate(self._taken)


def cases(total_docs: int, seed: int = 7, real_docs: int | None = None, names: Names | None = None,
          jobs: int = 2) -> Iterator[Case]:
    """``corpus``'s cases, with the interviews on ``jobs`` worker processes when more than one."""
    if jobs <= 1:
        yield from corpus(total_docs, seed, real_docs, names)
        return
    generated.speed_up_interviews()  # before the fork: the workers run the same interviews
    with InterviewPool(jobs) as pool:
        yield from corpus(total_docs, seed, real_docs, names, pool=pool)


def build(home: Path, size: int, seed: int = 7, real_docs: int = 12000, jobs: int = 2,
          progress: bool = False) -> dict[str, Any]:
    """A fresh workspace at ``home`` with ``size`` generated records; returns timings."""
    shutil.rmtree(home, ignore_errors=True)
    started, cpu = time.perf_counter(), time.process_time()
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    children_cpu = before.ru_utime + before.ru_stime
    filer = BulkFiler(Archive(Workspace.open(home)), seed=seed)
    n, real_seconds, step = 0, 0.0, max(1000, size // 20)
    real_docs = min(real_docs, size)
    for case in cases(size, seed=seed, real_docs=real_docs, jobs=jobs):
        n += filer.file(case)
        if not real_seconds and n >= real_docs:
            real_seconds = time.perf_counter() - started
        if progress and n // step != (n - len(case.documents)) // step:
            print(f"  {n} records, {time.perf_counter() - started:.0f} s", flush=True)
    filer.finish()
    seconds = time.perf_counter() - started
    _write_order(home, filer.order)
    (home / ".bench-complete").write_text(str(n))
    workers = resource.getrusage(resource.RUSAGE_CHILDREN)
    return {"records": n, "seconds": seconds, "records_per_s": n / seconds, "jobs": jobs,
            "interview_phase_s": real_seconds, "main_cpu_s": time.process_time() - cpu,
            "workers_cpu_s": workers.ru_utime + workers.ru_stime - children_cpu,
            "load_average": os.getloadavg()}


ORDER = ".bench-order"  # one line per case, its record folders (archive-relative), as filed


def _write_order(home: Path, cases: list[list[str]]) -> None:
    (home / ORDER).write_text("".join("\t".join(c) + "\n" for c in cases), encoding="utf-8")


def prefix(big: Path, home: Path, size: int) -> int:
    """``home`` as ``build(home, size)`` would make it, from a bigger archive built with the
    same seed: ``corpus`` makes the same cases up to ``size`` documents, the bulk filer the
    same records, so the first cases' record folders are hard-linked (no interview runs).
    Returns the record count; ValueError if ``big`` has no filing order or too few records."""
    order_file = big / ORDER
    if not order_file.exists():
        raise ValueError(f"{big} has no {ORDER}: build it with this version")
    taken: list[list[str]] = []
    n = 0
    for line in order_file.read_text(encoding="utf-8").splitlines():
        if n >= size:
            break
        taken.append(line.split("\t") if line else [])
        n += len(taken[-1])
    if n < size:
        raise ValueError(f"{big} has {n} records, fewer than {size}")
    shutil.rmtree(home, ignore_errors=True)
    archive = Archive(Workspace.open(home))
    items: dict[tuple[str, str, str], list[int]] = {}
    for rel in (r for case in taken for r in case):
        _link_tree(big / "archive" / rel, archive.root / rel)
        meta = json.loads((archive.root / rel / "record.json").read_text(encoding="utf-8"))
        items.setdefault((meta["全宗号"], str(meta["年度"]), meta["保管期限"]), []).append(meta["件号"])
    for (fonds, year, retention), numbers in items.items():
        # Each register numbered 1, 2, … with no gap: the first records filed, nothing else.
        if sorted(numbers) != list(range(1, len(numbers) + 1)):
            raise ValueError(f"{big}: the first {n} records are not a prefix ({fonds}-{year}-{retention})")
        archive.numbers.save(fonds, year, retention, len(numbers))
    _write_order(home, taken)
    (home / ".bench-complete").write_text(str(n))
    return n


def _link_tree(src: Path, dst: Path) -> None:
    dst.parent.mkdir(parents=True, exist_ok=True)
    for here, dirs, files in os.walk(src):
        target = dst / Path(here).relative_to(src)
        target.mkdir()
        for name in files:
            os.link(Path(here) / name, target / name)
        dirs.sort()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--size", type=int, default=100000)
    ap.add_argument("--home", type=Path, required=True, help="workspace to (re)create")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--real-docs", type=int, default=12000)
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--ready", type=Path, help="also write this file when complete")
    args = ap.parse_args()
    if args.ready:
        args.ready.unlink(missing_ok=True)
    result = build(args.home, args.size, args.seed, args.real_docs, args.jobs, progress=True)
    print(result, flush=True)
    if args.ready:
        args.ready.write_text(f"{result['records']}\n")


if __name__ == "__main__":
    main()
