"""Answers → PDF + DOCX + archived record, per document, against the LibreOffice route.

The conventional route of docassemble-style systems makes a DOCX and converts it to PDF with
LibreOffice (`soffice --headless --convert-to pdf`, a new process each time). We measure both in
the same run, warm process, and print medians and the ratio.

    .venv/bin/python bench/bench_make.py [--runs 30] [--lo-runs 5]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

import yaml

from sanfang_docs.api import Sanfang
from sanfang_docs.documents import render_docx, render_pdf
from sanfang_docs.interview import load
from sanfang_docs.interview.drive import run

REPO = Path(__file__).resolve().parent.parent
CASES = [("branch-founding", "with-committee", "branch-founding-request"),
         ("branch-founding", "with-committee", "branch-election-report"),
         ("branch-founding", "secretary-only", "branch-election-notice")]


def median_ms(fn, runs: int) -> float:  # noqa: ANN001
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t) * 1000)
    return statistics.median(times)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=30)
    ap.add_argument("--lo-runs", type=int, default=5)
    args = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="bench-make-"))
    app = Sanfang(work / "ws")
    print(f"{'document':<28} {'interview':>9} {'pdf':>7} {'docx':>7} {'make+file':>10} {'soffice':>9} {'ratio':>7}")
    for interview, branch, key in CASES:
        answers = yaml.safe_load((REPO / "examples" / interview / f"{branch}.yaml").read_text(encoding="utf-8"))
        iv = load(interview)
        app.make(key, answers)  # warm: Typst compiler, fonts, imports
        doc = run(iv, answers, preset={"doc_key": key}).documents[0]
        t_iv = median_ms(lambda: run(iv, answers, preset={"doc_key": key}), args.runs)  # noqa: B023
        t_pdf = median_ms(lambda: render_pdf(doc), args.runs)  # noqa: B023
        t_docx = median_ms(lambda: render_docx(doc), args.runs)  # noqa: B023
        t_make = median_ms(lambda: app.make(key, answers), args.runs)  # noqa: B023
        docx_path = work / f"{key}.docx"
        docx_path.write_bytes(render_docx(doc))
        profile = f"file://{work}/lo-profile"

        def soffice(docx_path: Path = docx_path, profile: str = profile) -> None:
            subprocess.run(["soffice", f"-env:UserInstallation={profile}", "--headless", "--convert-to", "pdf",
                            "--outdir", str(work / "lo"), str(docx_path)], check=True, capture_output=True)

        soffice()  # first start creates the profile; not counted
        t_lo = median_ms(soffice, args.lo_runs)
        print(f"{key:<28} {t_iv:>7.1f}ms {t_pdf:>5.1f}ms {t_docx:>5.1f}ms {t_make:>8.1f}ms "
              f"{t_lo:>7.0f}ms {t_lo / t_make:>6.1f}×")
    print(f"(medians; make+file = interview + PDF + DOCX + signing + atomic archive write; runs={args.runs}, "
          f"soffice runs={args.lo_runs})")


if __name__ == "__main__":
    main()
