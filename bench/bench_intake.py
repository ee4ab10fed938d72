"""Intake: QR matching pages/s, OCR seconds per page and accuracy (tesseract chi_sim against
RapidOCR), and a 200-file drop into a watched inbox until all are filed.

Scans are our own PDFs rasterised at 150 dpi with a red ring, 3.5° skew, blur, noise and JPEG
(tests/scans.py). Matching by QR is compared, in the same run, with the alternative of reading
the page's text (OCR) to find it. Accuracy: similarity of the OCR wording to the filed text
(intake/compare.py, Chinese characters, letters and digits only).

    .venv/bin/python bench/bench_intake.py [--runs 5] [--ocr-pages 4] [--drop 200]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import threading
import time
from difflib import SequenceMatcher
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from sanfang_docs.api import Sanfang  # noqa: E402
from sanfang_docs.intake import compare, decode, ocr  # noqa: E402
from tests import scans  # noqa: E402
from tests.conftest import example  # noqa: E402

DOCS = [("branch-founding-request", "branch-founding", "with-committee"),
        ("branch-founding-reply", "branch-founding", "with-committee"),
        ("cross-certificate", "cross-appointment", "committee-member"),
        ("branch-meeting-request", "branch-founding", "with-committee")]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--ocr-pages", type=int, default=4)
    ap.add_argument("--drop", type=int, default=200)
    args = ap.parse_args()
    os.environ.setdefault("SANFANG_KEY_BITS", "2048")
    work = Path(tempfile.mkdtemp(prefix="bench-intake-"))
    app = Sanfang(work / "ws")
    pages, texts = [], []
    for key, interview, branch in DOCS:
        record = app.make(key, example(interview, branch)).record
        for i, p in enumerate(scans.pages(record.file("document.pdf").read_bytes(), 150)):
            pages.append(scans.scanned(p, seed=i, angle=3.5))
            texts.append(record.meta["text"])
    stack = scans.pdf_of(pages)
    print(f"scan stack: {len(pages)} pages, {len(stack) // 1024} KiB")

    times = []
    for _ in range(args.runs):
        t = time.perf_counter()
        found = decode.decode(stack)
        times.append(time.perf_counter() - t)
    assert all(p.payload for p in found)
    qr = statistics.median(times) / len(pages)
    print(f"QR matching (render 200 dpi + zxing-cpp): {1 / qr:.1f} pages/s ({qr * 1000:.0f} ms/page)")

    for name in ocr.ENGINES:
        try:
            read = ocr.engine(name)
            read(pages[0].convert("L"))  # warm (RapidOCR loads its models)
        except Exception as exc:  # noqa: BLE001
            print(f"OCR {name}: unavailable ({exc})")
            continue
        secs, scores = [], []
        for image, filed in zip(pages[: args.ocr_pages], texts, strict=False):
            page = decode.deskew(image.getchannel("R"))
            t = time.perf_counter()
            text = read(page)
            secs.append(time.perf_counter() - t)
            got, want = compare.wording(text), compare.wording(filed)
            # a page holds part of the text: score against the best-matching stretch of it
            m = SequenceMatcher(None, want, got, autojunk=False)
            scores.append(sum(b.size for b in m.get_matching_blocks()) / max(1, len(got)))
        s = statistics.median(secs)
        print(f"OCR {name}: {s:.2f} s/page (median of {len(secs)}), characters matching the filed text "
              f"{statistics.mean(scores) * 100:.1f}%, QR is {s / qr:.0f}× faster than finding the record by OCR")

    drop = work / "drop"
    drop.mkdir()
    for i in range(args.drop):
        # Whole records only (a stack must be complete to be filed), each file distinct.
        (drop / f"scan-{i:03d}.pdf").write_bytes(_record_pdf(pages, found, i % len(pages), i))
    inbox = work / "inbox"
    stop = threading.Event()
    watcher = threading.Thread(target=app.watch, args=(inbox, stop),
                               kwargs={"delay": 1.0, "rescan": 2.0, "ocr": False})
    inbox.mkdir()
    watcher.start()
    t = time.perf_counter()
    os.rename(drop, inbox / "batch")
    while any(p.is_file() for p in inbox.rglob("*") if not p.name.startswith(".")):
        time.sleep(0.05)
    took = time.perf_counter() - t
    stop.set()
    watcher.join()
    filed = sum(1 for r in app.archive.records() for k in r.meta["files"] if k.startswith("scans/"))
    print(f"{args.drop}-file drop → all filed: {took:.1f} s ({took / args.drop * 1000:.0f} ms/file, "
          f"1 s stability delay included); {filed} scans filed, {len(app.quarantine_list())} quarantined")


def _record_pdf(pages: list, found: list[decode.Page], i: int, salt: int) -> bytes:
    """All pages of the record page ``i`` belongs to (a stack must be whole to be filed)."""
    no = found[i].payload.archive_no  # type: ignore[union-attr]
    mine = [p.copy() for p, f in zip(pages, found, strict=True) if f.payload and f.payload.archive_no == no]
    mine[0].putpixel((salt % 100, 4), (0, 0, 0))
    return scans.pdf_of(mine)


if __name__ == "__main__":
    main()
