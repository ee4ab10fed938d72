"""Answers → signed, filed, searchable record, per document, against the LibreOffice route;
where a filing's time goes; and filing from several processes at once.

The conventional route of docassemble-style systems makes a DOCX and converts it to PDF with
LibreOffice (`soffice --headless --convert-to pdf`, a new process each time). We measure both in
the same run, warm process, and print medians and the ratio.

    .venv/bin/python bench/bench_make.py [--runs 30] [--lo-runs 5] [--profile] [--procs 4 --per-proc 12 --rounds 5]

``--profile``: one filing's parts (wall time, medians over the runs), with the archive's writes
done both ways in the same run: one barrier per record (durable.Batch) and one fsync per file
(``SANFANG_FSYNC_EACH=1``, the way before). ``--procs N``: N processes filing ``--per-proc``
records each into one archive, against one process filing as many; throughput in records/s.
"""

from __future__ import annotations

import argparse
import collections
import functools
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import yaml

from sanfang_docs.api import Sanfang
from sanfang_docs.documents import render_docx, render_pdf
from sanfang_docs.interview import load
from sanfang_docs.interview.drive import run

REPO = Path(__file__).resolve().parent.parent
CASES = [("branch-founding", "with-committee", "branch-founding-request"),
         ("branch-founding", "with-committee", "branch-election-report"),
         ("branch-founding", "secretary-only", "branch-election-notice")]


def median_ms(fn: Callable[[], Any], runs: int) -> float:
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t) * 1000)
    return statistics.median(times)


def answers_of(interview: str, branch: str) -> dict[str, Any]:
    return yaml.safe_load((REPO / "examples" / interview / f"{branch}.yaml").read_text(encoding="utf-8"))


def per_document(app: Sanfang, work: Path, runs: int, lo_runs: int) -> None:
    print(f"{'document':<28} {'interview':>9} {'pdf':>7} {'docx':>7} {'make+file':>10} {'p95':>7} "
          f"{'soffice':>9} {'ratio':>7}")
    for interview, branch, key in CASES:
        answers = answers_of(interview, branch)
        iv = load(interview)
        app.make(key, answers)  # warm: Typst compiler, fonts, imports
        doc = run(iv, answers, preset={"doc_key": key}).documents[0]
        t_iv = median_ms(lambda: run(iv, answers, preset={"doc_key": key}), runs)  # noqa: B023
        t_pdf = median_ms(lambda: render_pdf(doc), runs)  # noqa: B023
        t_docx = median_ms(lambda: render_docx(doc), runs)  # noqa: B023
        makes, cpus = [], []
        for _ in range(runs):
            t, c = time.perf_counter(), time.process_time()
            app.make(key, answers)
            makes.append((time.perf_counter() - t) * 1000)
            cpus.append((time.process_time() - c) * 1000)
        makes.sort()
        t_make, p95 = statistics.median(makes), makes[max(0, int(len(makes) * 0.95) - 1)]
        docx_path = work / f"{key}.docx"
        docx_path.write_bytes(render_docx(doc))
        profile = f"file://{work}/lo-profile"

        def soffice(docx_path: Path = docx_path, profile: str = profile) -> None:
            subprocess.run(["soffice", f"-env:UserInstallation={profile}", "--headless", "--convert-to", "pdf",
                            "--outdir", str(work / "lo"), str(docx_path)], check=True, capture_output=True)

        soffice()  # first start creates the profile; not counted
        t_lo = median_ms(soffice, lo_runs)
        lo_cpu = []  # soffice's own CPU (its process tree), load-independent like ours
        for _ in range(lo_runs):
            before = resource.getrusage(resource.RUSAGE_CHILDREN)
            soffice()
            after = resource.getrusage(resource.RUSAGE_CHILDREN)
            lo_cpu.append((after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime) * 1000)
        cpu, lo = statistics.median(cpus), statistics.median(lo_cpu)
        print(f"{key:<28} {t_iv:>7.1f}ms {t_pdf:>5.1f}ms {t_docx:>5.1f}ms {t_make:>8.1f}ms {p95:>5.0f}ms "
              f"{t_lo:>7.0f}ms {t_lo / t_make:>6.1f}×   CPU: make {cpu:.1f}ms, soffice {lo:.0f}ms, {lo / cpu:.1f}×",
              flush=True)
    print(f"(medians; make+file = interview + PDF + DOCX + signing + durable archive write + audit; the "
          f"index follows off the filing path; runs={runs}, soffice runs={lo_runs})")


# -- where the time goes -----------------------------------------------------------------------


@contextmanager
def timers(parts: dict[str, tuple[Any, str]]) -> Iterator[collections.defaultdict[str, float]]:
    """Wrap ``obj.name`` for each label → (obj, name); yields label → seconds spent inside."""
    spent: collections.defaultdict[str, float] = collections.defaultdict(float)
    saved = []
    for label, (obj, name) in parts.items():
        original = getattr(obj, name)

        @functools.wraps(original)
        def timed(*a: Any, _f: Any = original, _label: str = label, **k: Any) -> Any:
            t, c = time.perf_counter(), time.process_time()
            try:
                return _f(*a, **k)
            finally:
                spent[_label] += time.perf_counter() - t
                spent[_label + " cpu"] += time.process_time() - c

        saved.append((obj, name, original))
        setattr(obj, name, timed)
    try:
        yield spent
    finally:
        for obj, name, original in saved:
            setattr(obj, name, original)


def profile(app: Sanfang, runs: int) -> None:
    from sanfang_docs import documents
    from sanfang_docs.api import making
    from sanfang_docs.archive import durable, store
    from sanfang_docs.documents import docx, pdf
    from sanfang_docs.signing import pades

    interview, branch, key = CASES[0]
    answers = answers_of(interview, branch)
    app.make(key, answers)
    parts = {"interview": (making, "run"), "PDF + DOCX, at once": (documents, "render_pair"),
             "… PDF (Typst, on its thread)": (pdf.PdfJob, "compile"), "… DOCX body (beside it)": (docx, "start_docx"),
             "… DOCX 版记, footers, zip": (docx, "finish_docx"),
             "signature (XMP + pyHanko)": (pades.Signer, "sign_document"),
             "fsync (barriers)": (os, "fsync"), "data waits (sync_file_range; fsync each: fsyncs)":
             (durable.Batch, "_wait_data"), "staging (files written, data waited)": (store.Archive, "_stage"),
             "publish, under the lock": (store.Archive, "_publish"), "barrier, after the lock": (store.Archive, "_barrier")}
    rows: dict[str, dict[str, list[float]]] = {}
    for mode in ("one barrier", "fsync each", "one barrier", "fsync each"):  # alternating: same load
        os.environ["SANFANG_FSYNC_EACH"] = "1" if mode == "fsync each" else "0"
        durable.group_commit.cache_clear()
        for _ in range(max(3, runs // 2)):
            with timers(parts) as spent:
                t, c = time.perf_counter(), time.process_time()
                app.make(key, answers)
                total, cpu = time.perf_counter() - t, time.process_time() - c
            row = rows.setdefault(mode, collections.defaultdict(list))
            row["whole filing"].append(total * 1000)
            row["whole filing cpu"].append(cpu * 1000)
            for label in parts:
                row[label].append(spent[label] * 1000)
                row[label + " cpu"].append(spent[label + " cpu"] * 1000)
    os.environ.pop("SANFANG_FSYNC_EACH", None)
    durable.group_commit.cache_clear()
    print(f"\nwhere a filing's time goes ({key}, median ms of {len(rows['one barrier']['whole filing'])} filings each):")
    print(f"{'part':<34} {'one barrier':>12} {'(CPU)':>8} {'fsync each':>12} {'(CPU)':>8}")
    for label in ["whole filing", *parts]:
        a, ac, b, bc = (statistics.median(rows[m][label + x]) for m in ("one barrier", "fsync each") for x in ("", " cpu"))
        print(f"{label[:34]:<34} {a:>10.1f}ms {ac:>6.1f}ms {b:>10.1f}ms {bc:>6.1f}ms")
    a = statistics.median(rows["one barrier"]["whole filing"])
    inside = sum(statistics.median(rows["one barrier"][p]) for p in ("interview", "PDF + DOCX, at once",
                                                                     "signature (XMP + pyHanko)"))
    writing = sum(statistics.median(rows["one barrier"][p]) for p in (
        "staging (files written, data waited)", "publish, under the lock", "barrier, after the lock"))
    print(f"{'rest (model, hashes, JSON, locks)':<34} {a - inside - writing:>10.1f}ms")
    counts = app.catch_up_index(), []
    for _ in range(max(3, runs // 3)):  # the index catching up after one filing (the applier's work)
        app.make(key, answers)
        t = time.perf_counter()
        app.catch_up_index()
        counts[1].append((time.perf_counter() - t) * 1000)
    print(f"{'index catch-up of one filing (off path)':<34} {statistics.median(counts[1]):>10.1f}ms")


# -- several processes at once -------------------------------------------------------------------

WORKER = """
import contextlib, sys, time, yaml
from pathlib import Path
from sanfang_docs.api import Sanfang
from sanfang_docs.archive import reservations, store
home, count, go = sys.argv[1], int(sys.argv[2]), Path(sys.argv[3])
answers = yaml.safe_load(open(sys.argv[4], encoding="utf-8"))
keys = sys.argv[5].split(",")
waits = {"lock": 0.0, "held": 0.0, "turn": 0.0}
locked = store.exclusive

@contextlib.contextmanager
def timed_lock(path, timeout=None):  # how long a filer waits for the archive lock, and holds it
    t = time.perf_counter()
    with locked(path, timeout):
        got = time.perf_counter()
        waits["lock"] += got - t
        try:
            yield
        finally:
            waits["held"] += time.perf_counter() - got

store.exclusive = timed_lock
wait_for = reservations.Reservations.wait_for

def timed_turn(self, *a):  # waiting for the filer of the number before ours to publish
    t = time.perf_counter()
    wait_for(self, *a)
    waits["turn"] += time.perf_counter() - t

reservations.Reservations.wait_for = timed_turn
app = Sanfang(home)
for key in keys:  # warm: each kind once (its first layout, its page count), in every process alike
    app.make(key, answers)
print("ready", flush=True)
while not go.exists():
    time.sleep(0.005)
for k in waits:
    waits[k] = 0.0
t = time.perf_counter()
for i in range(count):
    app.make(keys[i % len(keys)], answers)
print("done", time.perf_counter() - t, *(waits[k] / count * 1000 for k in ("lock", "held", "turn")), flush=True)
"""


def concurrency(procs: int, per_proc: int, rounds: int = 5) -> None:
    interview, branch, _ = CASES[0]
    keys = ",".join(k for i, b, k in CASES if b == branch)
    work = Path(tempfile.mkdtemp(prefix="bench-make-procs-"))
    script = work / "worker.py"
    script.write_text(WORKER, encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    answers = REPO / "examples" / interview / f"{branch}.yaml"
    Sanfang(work / "ws").make(CASES[0][2], answers_of(interview, branch))  # keys and stamp font exist
    waits: dict[int, list[list[float]]] = {1: [], procs: []}

    def round_(n: int, each: int) -> float:
        go = work / f"go-{n}-{time.monotonic_ns()}"
        ps = [subprocess.Popen([sys.executable, str(script), str(work / "ws"), str(each), str(go), str(answers), keys],
                               env=env, cwd=REPO, stdout=subprocess.PIPE, text=True) for _ in range(n)]
        for p in ps:
            assert p.stdout is not None and p.stdout.readline().strip() == "ready"
        t = time.perf_counter()
        go.touch()
        for p in ps:
            out, _ = p.communicate()
            assert p.returncode == 0
            waits[n].append([float(x) for x in out.split()[2:5]])
        return n * each / (time.perf_counter() - t)

    results: dict[int, list[float]] = {1: [], procs: []}
    spin: dict[int, list[float]] = {1: [], procs: []}
    print(f"\n{procs} processes × {per_proc} filings against 1 process × {procs * per_proc}, alternating, "
          "each round with what a pure-Python loop got from the machine just before it:")
    for r in range(rounds):
        for n in (1, procs):
            spin[n].append(_spin(n, 4_000_000))
        results[1].append(round_(1, procs * per_proc))
        results[procs].append(round_(procs, per_proc))
        print(f"  round {r + 1}: 1 process {results[1][-1]:.1f} records/s, {procs} processes "
              f"{results[procs][-1]:.1f} — {results[procs][-1] / results[1][-1]:.2f}× "
              f"(the loop: {spin[procs][-1] / spin[1][-1]:.2f}×)", flush=True)
    one, many = statistics.median(results[1]), statistics.median(results[procs])
    loop = statistics.median(spin[procs]) / statistics.median(spin[1])
    print(f"  medians: 1 process {one:.1f} records/s; {procs} processes {many:.1f} — {many / one:.2f}× "
          f"(the loop {loop:.2f}×)")
    for n in (1, procs):
        lock, held, turn = (statistics.median(w[i] for w in waits[n]) for i in range(3))
        print(f"  per filing, {n} process{'es' if n > 1 else ''}: waiting for the archive lock {lock:.1f} ms, "
              f"holding it {held:.1f} ms, waiting for the number before to publish {turn:.1f} ms")
    meta = [json.loads(p.read_text(encoding="utf-8")) for p in (work / "ws" / "archive").glob("[0-9]*/*/*/*/record.json")]
    series = collections.defaultdict(list)
    for m in meta:
        series[(m["全宗号"], m["年度"], m["保管期限"])].append(m["件号"])
    gapless = all(sorted(v) == list(range(1, len(v) + 1)) for v in series.values())
    print(f"  {len(meta)} records, 件号 unique and gapless in every series: {gapless}")


def _count(n: int) -> int:
    x = 0
    for i in range(n):
        x += i * i
    return x


def _spin(procs: int, total: int) -> float:
    """Loop iterations per second of ``procs`` processes sharing ``total`` iterations."""
    import multiprocessing

    with multiprocessing.get_context("fork").Pool(procs) as pool:
        pool.map(_count, [1] * procs)  # started: the timing is the loop's alone
        t = time.perf_counter()
        pool.map(_count, [total // procs] * procs)
        return total / (time.perf_counter() - t)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=30)
    ap.add_argument("--lo-runs", type=int, default=5)
    ap.add_argument("--profile", action="store_true")
    ap.add_argument("--skip-documents", action="store_true")
    ap.add_argument("--procs", type=int, default=0)
    ap.add_argument("--per-proc", type=int, default=12)
    ap.add_argument("--rounds", type=int, default=5, help="rounds of --procs (each: one process, then N)")
    args = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="bench-make-"))
    app = Sanfang(work / "ws")
    if not args.skip_documents:
        per_document(app, work, args.runs, args.lo_runs)
    if args.profile:
        profile(app, args.runs)
    if args.procs:
        concurrency(args.procs, args.per_proc, args.rounds)


if __name__ == "__main__":
    main()
