"""Write generated cases into an archive: through ``Archive.file`` (tests), or in bulk with the
same record.json (benchmarks: 100,000 locked, globbed and fsynced filings take too long).

Statuses are mixed (生成 / 已签名 / 已盖章); a stamped record gets a scan and an OCR-like
``scans/scan-1.txt`` (the document's words with a few misread characters and the stamp's
text): the contract with intake is that OCR text lives in ``scans/*.txt``.
"""

from __future__ import annotations

import json
import os
import random
from collections.abc import Iterable
from typing import Any

from bench_search_corpus import Case

from sanfang_docs.archive import (
    RETENTION_CODES,
    STATUS_GENERATED,
    STATUS_SIGNED,
    STATUS_STAMPED,
    Archive,
    Record,
    qr_payload,
)
from sanfang_docs.documents.model import Document

# Characters OCR confuses in 仿宋 scans (a few per page).
_MISREADS = {"党": "觉", "区": "医", "会": "合", "员": "贝", "议": "以", "日": "曰", "书": "韦", "理": "埋",
             "管": "菅", "业": "亚", "委": "姿", "建": "健", "报": "极", "告": "吉", "批": "比"}


def status_for(rng: random.Random) -> str:
    roll = rng.random()
    return STATUS_GENERATED if roll < 0.3 else STATUS_SIGNED if roll < 0.75 else STATUS_STAMPED


def ocr_of(text: str, issuer: str, rng: random.Random) -> str:
    chars = [(_MISREADS.get(c, c) if rng.random() < 0.03 else c) for c in text]
    return "".join(chars) + f"\n{issuer}（盖章）"


def context_for(case: Case) -> dict[str, Any]:
    return {"interview": case.interview, "street": case.place.street, "community": case.place.community,
            "compound": case.place.compound, "case_id": case.case_id}


def file_cases(archive: Archive, cases: Iterable[Case], seed: int = 11) -> list[Record]:
    """Through the real archive (lock, 档号, atomic write, listeners); placeholder PDF bytes."""
    rng = random.Random(seed)
    records = []
    for case in cases:
        for doc in case.documents:
            status = status_for(rng)
            ctx = {**context_for(case), "issuer_role": doc.issuer_role, "signed": status != STATUS_GENERATED}
            record = archive.file(doc, _placeholder, plain(case.answers), ctx)
            if status == STATUS_STAMPED:
                record = stamp(archive, record, ocr_of(record.meta["text"], doc.issuer, rng))
            records.append(record)
    return records


def stamp(archive: Archive, record: Record, ocr: str) -> Record:
    """What intake will do: the stamped scan, then its OCR text beside it (status 已盖章)."""
    archive.attach_scan(record.archive_no, "scan-1.pdf", b"%PDF-1.7 stamped scan placeholder\n")
    return archive.attach_scan(record.archive_no, "scan-1.txt", ocr.encode("utf-8"), status=None)


def plain(answers: dict[str, Any]) -> dict[str, Any]:
    """Answers as answers.json holds them (dates as ISO text)."""
    return json.loads(json.dumps(answers, ensure_ascii=False, default=str))


def _placeholder(doc: Document) -> dict[str, bytes]:
    return {"document.pdf": b"%PDF-1.7 placeholder\n"}


class BulkFiler:
    """Files records with Archive's own metadata code, but without the per-record lock, glob
    for 件号 and fsyncs (a fresh archive, one writer: the benchmark's own)."""

    def __init__(self, archive: Archive, seed: int = 11):
        self.archive = archive
        self.rng = random.Random(seed)
        self.items: dict[tuple[str, str, str], int] = {}
        self.fonds = str(archive.ws.setting("fonds_id"))
        self.days: set[str] = set()  # day folders made (one mkdir per record, not per level)
        self.order: list[list[str]] = []  # each case's record folders, in filing order

    def file(self, case: Case) -> int:
        self.order.append([self._file_one(doc, case) for doc in case.documents])
        return len(case.documents)

    def _file_one(self, doc: Document, case: Case) -> str:
        a = self.archive
        year = doc.doc_date[:4]
        retention = a.numbers.retention(doc.kind)
        org = a.numbers.org_code(doc.issuer_role)
        key = (self.fonds, year, retention)
        item = self.items[key] = self.items.get(key, 0) + 1
        doc.archive_no = f"{self.fonds}-WS·{year}-{RETENTION_CODES[retention]}-{org}-{item:04d}"
        doc.qr_payload = qr_payload(doc.archive_no)
        status = status_for(self.rng)
        ctx = {**context_for(case), "issuer_role": doc.issuer_role, "signed": status != STATUS_GENERATED}
        files = {"answers.json": _json_bytes(case.answers)}
        meta = a._record_meta(doc, ctx, self.fonds, year, retention, org, item, files)
        meta["status"] = status
        day = f"{a.root}/{year}/{doc.doc_date[5:7]}/{doc.doc_date[8:10]}"
        if day not in self.days:
            os.makedirs(day, exist_ok=True)
            self.days.add(day)
        final = f"{day}/{doc.archive_no}"
        os.mkdir(final)
        os.mkdir(f"{final}/scans")
        _write(f"{final}/answers.json", files["answers.json"])
        _write(f"{final}/record.json", _json_bytes(meta))
        if status == STATUS_STAMPED:
            _write(f"{final}/scans/scan-1.txt", ocr_of(meta["text"], doc.issuer, self.rng).encode("utf-8"))
        return final[len(str(a.root)) + 1:]

    def finish(self) -> None:
        """Counters as Archive.file leaves them, so filing can continue after the bulk load."""
        for (fonds, year, retention), item in self.items.items():
            self.archive.numbers.save(fonds, year, retention, item)


def _write(path: str, data: bytes) -> None:
    with open(path, "wb") as fh:
        fh.write(data)


def _json_bytes(data: Any) -> bytes:
    return (json.dumps(data, ensure_ascii=False, indent=2, default=str) + "\n").encode("utf-8")
