"""The archive: one directory per record, filed atomically under a DA/T 22 档号.

``archive/YYYY/MM/DD/<档号>/`` (dated by 成文日期) holds ``document.pdf``, ``document.docx``,
``answers.json``, ``record.json`` and ``scans/``. A record appears whole or not at all: files
are written to ``archive/.tmp/``, fsynced, and the directory is renamed into place. 件号 are
allocated under an exclusive lock and derived from what is on disk, so a crash never leaves a
gap: the counter file is only a hint that is checked against the records themselves.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import shutil
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from .docmodel import Document
from .errors import ArchiveError, NotFoundError
from .workspace import Workspace

RETENTION_CODES = {"永久": "Y", "定期30年": "D30", "定期10年": "D10"}
STATUS_GENERATED, STATUS_SIGNED, STATUS_STAMPED = "生成", "已签名", "已盖章"

# Renders the filed files once the 档号 is known (it is printed in the QR code on every page).
Renderer = Callable[[Document], dict[str, bytes]]
# Told of every change after it is on disk: (event, record). The search index listens here.
Listener = Callable[[str, "Record"], None]


@dataclass
class Record:
    path: Path
    meta: dict[str, Any]

    @property
    def archive_no(self) -> str:
        return str(self.meta["档号"])

    def file(self, name: str) -> Path:
        return self.path / name


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def qr_payload(archive_no: str) -> str:
    """What the QR code on each page says: the 档号 and a short checksum against misreads."""
    return f"SF1|{archive_no}|{sha256_hex(archive_no.encode())[:8]}"


class Archive:
    def __init__(self, workspace: Workspace):
        self.ws = workspace
        self.root = workspace.archive_dir
        self.tmp = self.root / ".tmp"
        self.listeners: list[Listener] = []

    # -- filing ------------------------------------------------------------------------------

    def file(self, doc: Document, render: Renderer, answers: dict[str, Any],
             context: dict[str, Any]) -> Record:
        """Allocate a 档号, render, and file one record atomically; return it."""
        year = (doc.doc_date or datetime.now().date().isoformat())[:4]
        retention = self._retention(doc.kind)
        org_code = self._org_code(context.get("issuer_role", ""))
        fonds = str(self.ws.setting("fonds_id"))
        with self._locked():
            self._clean_tmp()
            item = self._next_item(fonds, year, retention)
            archive_no = f"{fonds}-WS·{year}-{RETENTION_CODES[retention]}-{org_code}-{item:04d}"
            doc.archive_no, doc.qr_payload = archive_no, qr_payload(archive_no)
            files = render(doc)
            files["answers.json"] = _json_bytes(answers)
            meta = self._record_meta(doc, context, fonds, year, retention, org_code, item, files)
            files["record.json"] = _json_bytes(meta)
            final = self.root / year / doc.doc_date[5:7] / doc.doc_date[8:10] / archive_no
            self._write_atomically(final, files)
            self._save_counter(fonds, year, retention, item)
            record = Record(final, meta)
            self._audit("created", record)
        self._notify("created", record)
        return record

    def _audit(self, event: str, record: Record) -> None:
        """Append to the audit log (under the archive lock). Hash-chained: see the signing issue."""

    def _notify(self, event: str, record: Record) -> None:
        for listener in self.listeners:
            listener(event, record)

    def _record_meta(self, doc: Document, context: dict[str, Any], fonds: str, year: str,
                     retention: str, org_code: str, item: int, files: dict[str, bytes]) -> dict[str, Any]:
        return {
            "档号": doc.archive_no, "全宗号": fonds, "年度": int(year), "保管期限": retention,
            "机构代码": org_code, "件号": item,
            "题名": doc.title, "文种": doc.kind, "责任者": doc.issuer, "主送": doc.addressee,
            "成文日期": doc.doc_date,
            "street": context.get("street", ""), "community": context.get("community", ""),
            "compound": context.get("compound", ""), "interview": context.get("interview", ""),
            "doc_key": doc.key, "case_id": context.get("case_id", ""),
            "status": STATUS_SIGNED if context.get("signed") else STATUS_GENERATED,
            "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "qr": doc.qr_payload,
            # The words of the document, so search can be rebuilt from the archive alone.
            "text": doc.plain_text(),
            "files": {name: {"sha256": sha256_hex(data), "bytes": len(data)}
                      for name, data in sorted(files.items())},
        }

    def _retention(self, kind: str) -> str:
        table = self.ws.setting("retention")
        value = table.get(kind, table.get("default", "定期30年"))
        if value not in RETENTION_CODES:
            raise ArchiveError(f"保管期限“{value}”无效（文种 {kind}），只能是：永久、定期30年、定期10年")
        return str(value)

    def _org_code(self, role: str) -> str:
        codes = self.ws.setting("org_codes")
        return str(codes.get(role) or codes.get("default", "BGS"))

    def _next_item(self, fonds: str, year: str, retention: str) -> int:
        last = self._read_counter(fonds, year, retention)
        # The counter is a hint: a crash after the rename but before the counter was saved
        # leaves a record one past it. The records on disk decide.
        while self._exists(fonds, year, retention, last + 1):
            last += 1
        return last + 1

    def _exists(self, fonds: str, year: str, retention: str, item: int) -> bool:
        pattern = f"*/*/{fonds}-WS·{year}-{RETENTION_CODES[retention]}-*-{item:04d}"
        return any((self.root / year).glob(pattern))

    def _counter_file(self, fonds: str, year: str, retention: str) -> Path:
        return self.root / ".counters" / f"{fonds}-{year}-{RETENTION_CODES[retention]}"

    def _read_counter(self, fonds: str, year: str, retention: str) -> int:
        path = self._counter_file(fonds, year, retention)
        try:
            return int(path.read_text().strip() or 0)
        except (FileNotFoundError, ValueError):
            return 0

    def _save_counter(self, fonds: str, year: str, retention: str, item: int) -> None:
        path = self._counter_file(fonds, year, retention)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(f".{os.getpid()}")
        tmp.write_text(str(item))
        os.replace(tmp, path)

    def _write_atomically(self, final: Path, files: dict[str, bytes]) -> None:
        if final.exists():
            raise ArchiveError(f"档号 {final.name} 已存在，拒绝覆盖")
        staging = self.tmp / uuid.uuid4().hex
        (staging / "scans").mkdir(parents=True)
        try:
            for name, data in files.items():
                with open(staging / name, "wb") as fh:
                    fh.write(data)
                    fh.flush()
                    os.fsync(fh.fileno())
            _fsync_dir(staging)
            final.parent.mkdir(parents=True, exist_ok=True)
            os.rename(staging, final)
            _fsync_dir(final.parent)
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise

    def _clean_tmp(self) -> None:
        """Half-written records of a crashed run: never renamed into place, so never filed."""
        if self.tmp.exists():
            for leftover in self.tmp.iterdir():
                shutil.rmtree(leftover, ignore_errors=True)

    @contextmanager
    def _locked(self) -> Iterator[None]:
        self.root.mkdir(parents=True, exist_ok=True)
        with open(self.root / ".lock", "a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)

    # -- reading -----------------------------------------------------------------------------

    def records(self) -> Iterator[Record]:
        for meta_file in sorted(self.root.glob("[0-9][0-9][0-9][0-9]/*/*/*/record.json")):
            yield Record(meta_file.parent, json.loads(meta_file.read_text(encoding="utf-8")))

    def get(self, archive_no: str) -> Record:
        year = archive_no.split("·")[-1][:4] if "·" in archive_no else "*"
        for meta_file in self.root.glob(f"{year}/*/*/{archive_no}/record.json"):
            return Record(meta_file.parent, json.loads(meta_file.read_text(encoding="utf-8")))
        raise NotFoundError(f"档案中没有档号为 {archive_no} 的记录")


def _json_bytes(data: Any) -> bytes:
    return (json.dumps(data, ensure_ascii=False, indent=2, sort_keys=False) + "\n").encode("utf-8")


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
