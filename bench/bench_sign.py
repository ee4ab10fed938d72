"""Signing and verification cost.

1. Per-document signing: the record's XMP + attached answers and the PAdES B-B signature, one
   incremental update by pyHanko with the visible note, on real rendered PDFs, warm process; and
   the one-off costs of a fresh workspace (CA, a key per organisation, the stamp's font subset).
2. ``verify --all`` over 1,000 real records (rendered, signed, filed through ``Sanfang``),
   with one and with two worker processes. The archive is built once into bench/out/ and
   reused (``--rebuild`` to make it again; it takes a few minutes).

    /work/venv/bin/python bench/bench_sign.py [--runs 40] [--records 1000] [--rebuild]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

import yaml

from sanfang_docs.api import Sanfang
from sanfang_docs.documents import render_pdf
from sanfang_docs.signing.keys import KeyStore
from sanfang_docs.signing.pades import Signer, embed_record
from sanfang_docs.signing.pdfmeta import record_fields
from sanfang_docs.verify import Verifier

REPO = Path(__file__).resolve().parent.parent
OUT = REPO / "bench" / "out"
KEYS = ("branch-founding-request", "branch-founding-reply", "branch-meeting-request", "branch-meeting-reply",
        "branch-election-report", "branch-meeting-agenda", "branch-election-approval", "branch-election-notice")
BRANCHES = ("secretary-only", "with-committee")


def answers(branch: str) -> dict[str, Any]:
    return yaml.safe_load((REPO / "examples" / "branch-founding" / f"{branch}.yaml").read_text(encoding="utf-8"))


def stats(times: list[float]) -> dict[str, float]:
    times = sorted(times)
    return {"median_ms": round(statistics.median(times), 1), "p95_ms": round(times[int(len(times) * 0.95) - 1], 1),
            "min_ms": round(times[0], 1)}


def timed(fn: Any) -> tuple[float, float, Any]:
    wall, cpu = time.perf_counter(), time.process_time()
    result = fn()
    return (time.perf_counter() - wall) * 1000, (time.process_time() - cpu) * 1000, result


def bench_signing(runs: int) -> dict[str, Any]:
    home = Path(tempfile.mkdtemp(prefix="bench-sign-"))
    cache = Path(tempfile.mkdtemp(prefix="bench-fonts-"))
    saved = os.environ.get("XDG_CACHE_HOME")
    os.environ["XDG_CACHE_HOME"] = str(cache)  # a cold stamp-font cache: first-use cost is measured
    try:
        app = Sanfang(home)
        docs = []
        for branch in BRANCHES:
            for key in KEYS:
                doc = app.run_interview("branch-founding", answers(branch), key).documents[0]
                doc.archive_no = "J001-WS·2026-Y-SQDW-0001"
                docs.append((doc, render_pdf(doc)))
        keys, signer = KeyStore(app.workspace), Signer(app.workspace)
        first: dict[str, float] = {}
        first["ca_ms"] = timed(keys.ca_cert)[0]
        orgs = sorted({d.issuer for d, _ in docs})
        first["key_per_org_ms"] = statistics.median([timed(lambda o=o: keys.signing_key(o))[0] for o in orgs])
        first["first_signature_per_org_ms"] = statistics.median(
            [timed(lambda d=d, p=p: signer.sign_document(p, d, {}))[0]
             for d, p in {d.issuer: (d, p) for d, p in docs}.values()])
        wall, cpu, embed, visible, invisible = [], [], [], [], []
        for i in range(runs):
            doc, pdf = docs[i % len(docs)]
            w, c, _ = timed(lambda doc=doc, pdf=pdf, i=i: signer.sign_document(pdf, doc, {"n": i}))
            wall.append(w)
            cpu.append(c)
            embed.append(timed(lambda doc=doc, pdf=pdf, i=i: embed_record(pdf, record_fields(doc), {"n": i}))[0])
            # The reference in the same run: pyHanko's plain invisible signature, same key and file.
            key, ready = keys.signing_key(doc.issuer, doc.issuer_role), embed_record(pdf, record_fields(doc), {"n": i})
            visible.append(timed(lambda ready=ready, key=key: signer.sign(ready, key))[1])
            invisible.append(timed(lambda ready=ready, key=key: _invisible(signer, ready, key))[1])
        return {"documents": len(docs), "runs": runs, "sign_document_wall": stats(wall), "sign_document_cpu": stats(cpu),
                "xmp_and_attachment_alone": stats(embed), "signature_with_visible_note_cpu": stats(visible),
                "pyhanko_invisible_reference_cpu": stats(invisible),
                "first_use": {k: round(v, 1) for k, v in first.items()},
                "pdf_kib": round(statistics.mean(len(p) for _, p in docs) / 1024, 1)}
    finally:
        if saved is None:
            os.environ.pop("XDG_CACHE_HOME", None)
        else:
            os.environ["XDG_CACHE_HOME"] = saved
        shutil.rmtree(home, ignore_errors=True)
        shutil.rmtree(cache, ignore_errors=True)


def _invisible(signer: Signer, pdf: bytes, key: Any) -> bytes:
    """pyHanko's invisible PAdES signature with the same loaded key: the reference."""
    import io

    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign import fields, signers

    from sanfang_docs.signing.pades import _LoadedKeySigner

    loaded = signer._signers.setdefault(key.fingerprint, _LoadedKeySigner(key))  # noqa: SLF001
    meta = signers.PdfSignatureMetadata(field_name="Reference", subfilter=fields.SigSeedSubFilter.PADES,
                                        md_algorithm="sha256")
    return signers.PdfSigner(meta, signer=loaded).sign_pdf(IncrementalPdfFileWriter(io.BytesIO(pdf)),
                                                           bytes_reserved=16384).getvalue()


def build_archive(home: Path, count: int) -> float:
    app = Sanfang(home)
    have = sum(1 for _ in (home / "archive").glob("[0-9]*/*/*/*")) if home.exists() else 0
    started = time.perf_counter()
    sets = [(b, k) for b in BRANCHES for k in KEYS]
    prepared = {b: answers(b) for b in BRANCHES}
    for n in range(have, count):
        branch, key = sets[n % len(sets)]
        app.produce(app.run_interview("branch-founding", prepared[branch], key))
        if (n + 1) % 100 == 0:
            print(f"  filed {n + 1}/{count}", flush=True)
    return (time.perf_counter() - started) / max(count - have, 1) * 1000


def bench_verify(count: int, rebuild: bool) -> dict[str, Any]:
    home = OUT / f"verify-{count}" / "ws"
    if rebuild:
        shutil.rmtree(home.parent, ignore_errors=True)
    per_filing = build_archive(home, count)
    out: dict[str, Any] = {"records": count, "filing_ms_per_record_when_built": round(per_filing, 1)}
    for jobs in (1, 2):
        app = Sanfang(home)
        report = Verifier(app.workspace, app.archive, jobs=jobs).run()
        assert report.records == count and report.ok, [p.as_text() for p in report.problems[:5]]
        out[f"jobs_{jobs}_s"] = round(report.seconds, 1)
        out[f"jobs_{jobs}_ms_per_record"] = round(report.seconds / count * 1000, 1)
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=40)
    ap.add_argument("--records", type=int, default=1000)
    ap.add_argument("--rebuild", action="store_true")
    ap.add_argument("--skip-verify", action="store_true")
    args = ap.parse_args()
    result = {"signing": bench_signing(args.runs)}
    print(json.dumps(result, ensure_ascii=False, indent=2), flush=True)
    if not args.skip_verify:
        result["verify_all"] = bench_verify(args.records, args.rebuild)
        print(json.dumps(result["verify_all"], ensure_ascii=False, indent=2))
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "bench_sign.json").write_text(json.dumps(result, ensure_ascii=False, indent=2), encoding="utf-8")


if __name__ == "__main__":
    main()
