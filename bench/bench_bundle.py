"""Benchmark: ``sanfang export`` of ~1,000 records (~2,000 pages) and ``verify-bundle`` of it.

    python bench/bench_bundle.py --home /tmp/bench-bundle            # build once, then measure
    python bench/bench_bundle.py --home /tmp/bench-bundle --repeats 1

The archive is real: every example answer set filed through ``Sanfang.make`` (signed PDFs,
cases), repeated until there are ``--records`` records, and one record in ten gets a stamped
scan (a 150 dpi A4 JPEG). Each measured step runs in a fresh process, so its peak memory
(ru_maxrss) is its own. Reported: medians of ``--repeats`` runs for the export (time, peak
memory), verify-bundle (time, peak memory), and, as the slower alternative measured in the
same run, the reading copy merged naively (every source opened from memory and kept open
until the one save) against the shipped chunked merge.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("SANFANG_KEY_BITS", "2048")


def build(home: Path, count: int) -> int:
    from PIL import Image

    from sanfang_docs.api import Sanfang

    app = Sanfang(home)
    have = sum(1 for _ in app.archive.records())
    buf = io.BytesIO()
    Image.new("L", (1240, 1754), 235).save(buf, format="JPEG", quality=80, dpi=(150, 150))
    scan = buf.getvalue()
    while have < count:
        for made in app.make_examples():
            have += 1
            if have % 10 == 0 and made.record:
                app.archive.attach_scan(made.record.archive_no, "scan.jpg", scan)
            if have >= count:
                break
        print(f"  {have} records", file=sys.stderr)
    return have


CPU: dict[str, list[float]] = {}


def child(code: str, *args: str) -> tuple[float, float, str]:
    """Run ``code`` in a fresh interpreter: (seconds, peak MB of that process, its stdout).
    Its CPU seconds (with its own children) go to CPU[code]: on a shared machine, wall time
    depends on the others' load, CPU time much less."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    started = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-c", code, *args], stdout=subprocess.PIPE, env=env, text=True)
    assert proc.stdout is not None
    out = proc.stdout.read()
    _, status, usage = os.wait4(proc.pid, 0)  # this child's own peak, not every child's
    proc.returncode = os.waitstatus_to_exitcode(status)
    seconds = time.perf_counter() - started
    CPU.setdefault(code, []).append(usage.ru_utime + usage.ru_stime)
    if proc.returncode:
        raise SystemExit(f"child failed ({proc.returncode}): {code[:60]}")
    return seconds, usage.ru_maxrss / 1024, out


EXPORT = """
import sys
from sanfang_docs.api import Sanfang
r = Sanfang(sys.argv[1]).export(sys.argv[2])
print(r.records, r.pages, r.bytes)
"""
VERIFY = """
import sys
from sanfang_docs.api import Sanfang
r = Sanfang(sys.argv[1]).verify_bundle(sys.argv[2])
assert r.ok, r.lines()[:5]
print(r.records, r.signatures)
"""
MERGE = """
import io, sys, tempfile, time
from pathlib import Path
import pikepdf
from sanfang_docs.api import Sanfang
from sanfang_docs.bundle import reading, select
app = Sanfang(sys.argv[1])
records = select.ordered(list(app.archive.records()))
entries = reading.plan(records)
out = Path(sys.argv[2])
started = time.perf_counter()
if sys.argv[3] == "naive":
    srcs, final = [], pikepdf.new()
    for e in entries:
        for p in e.parts:
            src = pikepdf.open(io.BytesIO(reading.image_pdf(p.path) if p.path.suffix == ".jpg" else p.path.read_bytes()))
            srcs.append(src)
            final.pages.extend(src.pages)
    final.save(out)
else:
    from datetime import datetime
    with tempfile.TemporaryDirectory() as tmp:
        reading.build(entries, datetime(2026, 12, 1), "", out, Path(tmp))
print(time.perf_counter() - started)
"""


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--home", type=Path, default=Path("/tmp/bench-bundle"))
    ap.add_argument("--records", type=int, default=1000)
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args()
    started = time.perf_counter()
    count = build(args.home, args.records)
    print(f"archive: {count} records (built or reused in {time.perf_counter() - started:.0f} s)", file=sys.stderr)
    out_dir = args.home.parent / f"{args.home.name}-out"
    out_dir.mkdir(exist_ok=True)
    results: dict[str, list[tuple[float, float]]] = {"export": [], "verify": [], "merge-chunked": [],
                                                     "merge-naive": []}
    info = ""
    for n in range(args.repeats):
        target = out_dir / f"bundle-{n}.zip"
        target.unlink(missing_ok=True)
        secs, mb, info = child(EXPORT, str(args.home), str(target))
        results["export"].append((secs, mb))
        secs, mb, _ = child(VERIFY, str(args.home), str(target))
        results["verify"].append((secs, mb))
    # The reading copy's merge alone, both ways.
    for _ in range(args.repeats):
        _, mb, inner = child(MERGE, str(args.home), str(out_dir / "merge.pdf"), "chunked")
        results["merge-chunked"].append((float(inner), mb))
    for _ in range(args.repeats):
        _, mb, inner = child(MERGE, str(args.home), str(out_dir / "merge.pdf"), "naive")
        results["merge-naive"].append((float(inner), mb))
    records, pages, size = info.split()
    report = {"records": int(records), "pages": int(pages), "payload_mb": round(int(size) / 1e6, 1)}
    for name, runs in results.items():
        report[name] = {"median_s": round(statistics.median(s for s, _ in runs), 2),
                        "peak_mb": round(statistics.median(m for _, m in runs), 1)}
    report["export"]["cpu_s"] = round(statistics.median(CPU[EXPORT]), 1)
    report["verify"]["cpu_s"] = round(statistics.median(CPU[VERIFY]), 1)
    report["load_average"] = round(os.getloadavg()[0], 1)
    chunked, naive = report["merge-chunked"], report["merge-naive"]
    report["naive/chunked"] = {"time": round(naive["median_s"] / chunked["median_s"], 2),
                               "memory": round(naive["peak_mb"] / chunked["peak_mb"], 2)}
    print(json.dumps(report, ensure_ascii=False, indent=2))


if __name__ == "__main__":
    main()
