"""The archive store: one directory per record, filed atomically under a DA/T 22 档号.
Longer than 400 lines: filing (its four steps: reserve, render and stage, publish in turn,
barrier), its journal and recovery, and the changes after filing (scans, status, notes) share
one lock and one journal, and are read together.

``archive/YYYY/MM/DD/<档号>/`` (dated by 成文日期) holds ``document.pdf``, ``document.docx``,
``answers.json``, ``record.json`` and ``scans/``. A record appears whole or not at all: files
are written to ``archive/.tmp/`` (outside the lock, their data waited for) and the directory
is renamed into place under the lock, all made durable by one barrier (durable.Batch), taken
after the lock where the file system keeps the order of changes. 件号 are allocated under an
exclusive lock and records are published in 件号 order, so a crash never leaves a gap: the
series' counter moves with each record put in place (recovery moves it for one a killed filer
placed), and after a restart the records on disk decide (archive/numbers.py).

Every change is also written to the hash-chained audit log (:mod:`sanfang_docs.archive.audit`). A
change touches several files (the record, the log, its head), so it is first described in a
journal, ``archive/.pending``; the next process to take the lock finishes it (the record
made it into place) or drops it (it did not). So a crash at any point leaves the archive, log
included, as if the change had happened whole or not at all.
"""

from __future__ import annotations

import errno
import hashlib
import json
import logging
import os
import shutil
import uuid
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ..documents.model import Document
from ..errors import ArchiveError, os_reason
from ..rules.matters import redact_contacts
from ..workspace import Workspace
from .audit import AuditLog, crash_point, new_event
from .doc_numbers import DocNumbers
from .durable import Batch, fsync_dir, replace_durably
from .locks import exclusive
from .numbers import RETENTION_CODES, ItemNumbers, format_archive_no, qr_payload, record_dir
from .reservations import Reservations, Slot

FILE_MODE, DIR_MODE = 0o644, 0o755
JOURNAL = ".journal"  # a staged record's journal, renamed to archive/.pending when it is published
READ_ONLY_ERRNOS = {errno.EROFS, errno.EACCES, errno.EPERM}
STATUS_GENERATED, STATUS_SIGNED, STATUS_STAMPED = "生成", "已签名", "已盖章"

# Renders the filed files once the 档号 is known (it is printed in the QR code on every page).
Renderer = Callable[[Document], dict[str, bytes]]
# Told of every change after it is on disk: (event, record). The search index listens here.
Listener = Callable[[str, "Record"], None]


@dataclass
class Prepared:
    """A record rendered for one 件号, not yet written."""

    final: Path
    files: dict[str, bytes]
    meta: dict[str, Any]
    events: list[dict[str, Any]]


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


class Archive:
    def __init__(self, workspace: Workspace):
        self.ws = workspace
        self.root = workspace.archive_dir
        self.tmp = self.root / ".tmp"
        self.journal = self.root / ".pending"
        self.audit = AuditLog(self.root)
        self.numbers = ItemNumbers(workspace, self.root)
        self.doc_numbers = DocNumbers(workspace, self.root)  # 发文字号 (doc_numbers.py)
        self.reserved = Reservations(self.root)  # 件号 being rendered (reservations.py)
        self.listeners: list[Listener] = []

    # -- filing ------------------------------------------------------------------------------

    def file(self, doc: Document, render: Renderer, answers: dict[str, Any],
             context: dict[str, Any]) -> Record:
        """Allocate a 档号, render, and file one record atomically; return it.

        Four steps, so that several filers work at once (reservations.py) and the lock is
        held only for what must be serial: under the lock, the 发文字号 and a reserved 件号;
        without it, the rendering, signing and staging (the files' data on the device); under
        it again, the publish, in 件号 order (journal, rename, audit lines); without it, the
        barrier that makes the publish durable (durable.Batch)."""
        year = (doc.doc_date or datetime.now().date().isoformat())[:4]
        retention = self.numbers.retention(doc.kind)
        org_code = self.numbers.org_code(context.get("issuer_role", ""))
        fonds = str(self.ws.setting("fonds_id"))
        where = (fonds, year, retention, org_code)
        series = f"{fonds}-{year}-{RETENTION_CODES[retention]}"
        with self._locked():
            recovered = self._recover()
            state = self.doc_numbers.settle(self._filed_doc_numbers, self.reserved.live_doc_numbers())
            taken = None
            if self.doc_numbers.takes_number(doc.style, doc.kind):
                taken = self.doc_numbers.assign(doc.issuer, int(year), str(answers.get("doc_no") or "").strip(),
                                                sync=False, state=state)
                doc.doc_no = taken.doc_no
                office = self.ws.setting("gongwen") or {}
                if office.get("letterhead", True) and doc.issuer:
                    doc.letterhead = doc.issuer.split("\n")[0].strip() + str(office.get("letterhead_suffix", "文件"))
            slot = self.reserved.take(series, lambda: self.numbers.next_item(fonds, year, retention),
                                      taken.doc_no if taken else "")
        published: Record | None = None
        staged: tuple[Path, Batch] | None = None
        try:
            if taken is not None:
                with self._io_errors():  # the register's line on disk before the number is printed
                    self.doc_numbers.sync()
            crash_point("after-reserve")
            prepared = self._prepare(doc, render, answers, context, where, slot.item)
            crash_point("after-render")
            with self._io_errors():
                staged = self._stage(prepared, slot)
            crash_point("after-stage")
            published, batch, undo = self._publish_in_turn(doc, render, answers, context, where, slot, prepared,
                                                           staged, taken, recovered)
            crash_point("after-publish")
            if batch is not None:
                self._barrier(published, batch, undo)
        except BaseException as exc:
            if staged is not None:
                staged[1].close()  # (after a flush, nothing is left open)
            with self._locked():
                stays = published is not None and published.path.exists()
                # The number stays used up: a recorded gap, never reissued. (With a journal
                # left, the next process may still finish the record: settle() decides then.)
                if taken is not None and not stays and not self.journal.exists():
                    reason = getattr(exc, "message", "") or f"{type(exc).__name__}: {exc}"
                    self.doc_numbers.gap(taken, f"归档失败：{reason}")
                self.reserved.release(slot)  # the 件号 goes to the next filer
            raise
        for old in recovered:
            self._notify("created", old)
        self._notify("created", published)
        return published

    def _publish_in_turn(self, doc: Document, render: Renderer, answers: dict[str, Any], context: dict[str, Any],
                         where: tuple[str, str, str, str], slot: Slot, prepared: Prepared,
                         staged: tuple[Path, Batch], taken: Any,
                         recovered: list[Record]) -> tuple[Record, Batch | None, tuple[Any, ...]]:
        """Publish the staged record once every lower 件号 of its series is published (or
        free): a filer waits only for its predecessor's publish, never for its barrier.
        Records recovery finishes meanwhile join ``recovered``. Returns the record, the batch
        whose barrier is still owed (None: paid under the lock) and what taking it back needs."""
        fonds, year, retention, _ = where
        while True:
            with self._locked():
                recovered += self._recover()
                first_free = self.numbers.next_item(fonds, year, retention)
                if first_free > slot.item:  # cannot happen while we hold the reservation
                    raise ArchiveError(f"件号 {slot.item} 的预留已失效，请重新归档")
                if first_free < slot.item and self.reserved.holder_alive(slot.series, first_free):
                    waiting_for = first_free  # a filer before us has not published yet
                else:
                    if first_free < slot.item:  # its filer died or gave up: its number is ours
                        staged[1].close()
                        shutil.rmtree(staged[0], ignore_errors=True)
                        slot.move(first_free)
                        prepared = self._prepare(doc, render, answers, context, where, slot.item)
                        staged = self._stage(prepared, slot)
                    record, batch, undo = self._publish(prepared, staged, where, slot.item)
                    if taken is not None:
                        self.doc_numbers.used(taken, record.archive_no)
                    self.reserved.release(slot)  # the next filer may publish now
                    return record, batch, undo
            self.reserved.wait_for(slot.series, waiting_for)

    def _prepare(self, doc: Document, render: Renderer, answers: dict[str, Any], context: dict[str, Any],
                 where: tuple[str, str, str, str], item: int) -> Prepared:
        """The record's files, metadata and log events for 件号 ``item`` (no lock needed)."""
        fonds, year, retention, org_code = where
        archive_no = format_archive_no(fonds, year, retention, org_code, item)
        doc.archive_no, doc.qr_payload = archive_no, qr_payload(archive_no)
        files = render(doc)
        files["answers.json"] = _json_bytes(answers)
        meta = self._record_meta(doc, context, fonds, year, retention, org_code, item, files)
        final = self.root / year / doc.doc_date[5:7] / doc.doc_date[8:10] / archive_no
        events = self._creation_events(meta, files)
        # record.json names the log entry that wrote it, so verify can tell an edited
        # record.json (entry intact, hash differs) from a lost entry (entry gone).
        meta["audit_event"] = events[-1]["id"]
        files["record.json"] = _json_bytes(meta)
        where_ = {"record": self._rel(final), "record_sha256": sha256_hex(files["record.json"])}
        return Prepared(final, files, meta, [{**e, **where_} for e in events])

    def _publish(self, prepared: Prepared, staged: tuple[Path, Batch], where: tuple[str, str, str, str],
                 item: int) -> tuple[Record, Batch | None, tuple[Any, ...]]:
        """Put a staged record in place (caller holds the lock; ``item`` is the series' next).

        One barrier (durable.Batch) covers the staged files, the journal, the rename and the
        log lines; a power cut keeps a prefix of these steps, which recovery finishes (the
        record is in place) or drops (it is not). Where the file system keeps that order the
        barrier is the caller's, after the lock; elsewhere it is paid here."""
        final, meta, events = prepared.final, prepared.meta, prepared.events
        staging, batch = staged
        if final.exists():
            raise ArchiveError(f"档号 {final.name} 已存在，拒绝覆盖")
        # The journal was staged with the files (its bytes on the device): here only its name.
        batch.rename(staging / JOURNAL, self.journal)
        batch.order()  # the journal is on disk before the record can be
        crash_point("after-journal")
        log_size, head = self.audit.size(), self.audit.head()
        self._place(staging, final, batch)
        crash_point("after-rename")  # (killed here: recovery finds the journal and moves the counter)
        self.numbers.save(where[0], where[1], where[2], item)  # before the journal goes
        record = Record(final, meta)
        if not batch.ordered:
            try:
                self._commit(events, batch)
            except OSError:
                self._undo_create(final, log_size, head, where, item)
                raise
            return record, None, ()
        self.audit.append(events, batch)
        crash_point("after-audit")
        # No barrier needed for the journal's removal: a power cut that keeps it keeps the
        # rename and the log lines before it (recovery then finds its work done).
        self.journal.unlink()
        return record, batch, (log_size, head, self.audit.size(), where, item)

    def _barrier(self, record: Record, batch: Batch, undo: tuple[Any, ...]) -> None:
        """The published record made durable, outside the lock. If the barrier fails (a full
        disk, an I/O error) what is in place may not be on disk: taken back while no later
        change follows it in the log, so that a filing reported as failed left nothing."""
        try:
            batch.flush()
        except OSError as exc:
            log_size, head, log_end, where, item = undo
            with self._locked():
                if self.audit.size() == log_end:
                    self._undo_create(record.path, log_size, head, where, item)
                    raise
            raise ArchiveError(f"档号 {record.archive_no} 已归入档案库，但磁盘报告写入错误（{os_reason(exc)}），"
                               "无法确认已落盘：请检查磁盘并运行 sanfang verify") from exc

    def _undo_create(self, final: Path, log_size: int, head: tuple[int, str] | None,
                     where: tuple[str, str, str, str], item: int) -> None:
        try:
            self.numbers.save(where[0], where[1], where[2], item - 1)  # the hint must not skip it
            if final.exists():
                away = self.tmp / f"undo-{uuid.uuid4().hex}"
                os.rename(final, away)
                shutil.rmtree(away, ignore_errors=True)
            self.audit.truncate(log_size, head)
        finally:
            self.journal.unlink(missing_ok=True)

    def _filed_doc_numbers(self) -> Iterator[tuple[str, str]]:
        for record in self.records():
            if record.meta.get("发文字号"):
                yield str(record.meta["发文字号"]), record.archive_no

    def _creation_events(self, meta: dict[str, Any], files: dict[str, bytes]) -> list[dict[str, Any]]:
        digests = {name: sha256_hex(data) for name, data in sorted(files.items()) if name != "record.json"}
        events = [new_event("created", meta["档号"], status=meta["status"], files=digests)]
        signature = meta.get("signature")
        if signature:
            events.append(new_event("signed", meta["档号"], file="document.pdf",
                                    sha256=digests.get("document.pdf", ""), **signature))
        return events

    def _audit(self, event: str, record: Record, **fields: Any) -> None:
        """Append one event about ``record`` to the audit log (caller holds the archive lock).

        The entry carries the SHA-256 of the record's record.json as it is now, which is how
        verify ties each record.json to the log.
        """
        digest = sha256_hex(record.file("record.json").read_bytes())
        self.audit.append([new_event(event, record.archive_no, record=self._rel(record.path),
                                     record_sha256=digest, **fields)])

    def _notify(self, event: str, record: Record) -> None:
        for listener in self.listeners:
            listener(event, record)

    def _record_meta(self, doc: Document, context: dict[str, Any], fonds: str, year: str,
                     retention: str, org_code: str, item: int, files: dict[str, bytes]) -> dict[str, Any]:
        return {
            "档号": doc.archive_no, "全宗号": fonds, "年度": int(year), "保管期限": retention,
            "机构代码": org_code, "件号": item,
            "题名": doc.title, "文种": doc.kind, **({"发文字号": doc.doc_no} if doc.doc_no else {}), "责任者": doc.issuer, "主送": doc.addressee,
            "成文日期": doc.doc_date,
            "street": context.get("street", ""), "community": context.get("community", ""),
            "compound": context.get("compound", ""), "interview": context.get("interview", ""),
            "doc_key": doc.key, "case_id": context.get("case_id", ""),
            "status": STATUS_SIGNED if context.get("signed") else STATUS_GENERATED,
            "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "qr": doc.qr_payload,
            # Who signed, with which certificate (signing/); verify checks the PDF against it.
            **({"signature": context["signature"]} if context.get("signature") else {}),
            # The words of the document, so search can be rebuilt from the archive alone. A form
            # with residents' contact details keeps them in its PDF, not in what search shows.
            "text": redact_contacts(doc.plain_text()) if doc.personal else doc.plain_text(),
            **({"personal": True} if doc.personal else {}),
            # The 版头's 发文机关标志, printed red (GB/T 9704 7.2.3): intake's OCR drops red ink.
            **({"发文机关标志": doc.letterhead} if doc.letterhead else {}),
            "files": {name: {"sha256": sha256_hex(data), "bytes": len(data)}
                      for name, data in sorted(files.items())},
        }

    def _stage(self, prepared: Prepared, slot: Slot) -> tuple[Path, Batch]:
        """The record's files and its journal in a fresh folder under ``.tmp/`` (named after
        its reservation, so recovery leaves a live filer's alone), their data on the device:
        no lock needed."""
        final, files = prepared.final, prepared.files
        if final.exists():
            raise ArchiveError(f"档号 {final.name} 已存在，拒绝覆盖")
        staging = self.tmp / f"{slot.path.name}.{uuid.uuid4().hex}"
        (staging / "scans").mkdir(parents=True)
        batch = Batch(self.root)
        try:
            os.chmod(staging, DIR_MODE)
            os.chmod(staging / "scans", DIR_MODE)
            batch.folder(self.tmp)
            batch.folder(staging / "scans")
            for name, data in files.items():
                batch.write(staging / name, data, FILE_MODE)
            batch.write(staging / JOURNAL, self._journal_entry("create", final, files["record.json"], prepared.events),
                        FILE_MODE)
            batch.folder(staging)
            batch.order()  # outside the lock: the wait for the device is nobody else's
        except BaseException:
            batch.flush()  # closes what it opened
            shutil.rmtree(staging, ignore_errors=True)
            raise
        return staging, batch

    def _place(self, staging: Path, final: Path, batch: Batch) -> None:
        """Rename the staged record into place (its dated folders made as needed)."""
        try:
            missing = [p for p in (final.parent, final.parent.parent, final.parent.parent.parent) if not p.exists()]
            final.parent.mkdir(parents=True, exist_ok=True)
            for made in missing:
                batch.folder(made.parent)
            batch.rename(staging, final)
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise

    def _clean_tmp(self) -> None:
        """Half-written records of a crashed run: never renamed into place, so never filed.
        A folder staged by a filer still at work (its reservation held) is left alone."""
        if self.tmp.exists():
            for leftover in self.tmp.iterdir():
                if not self.reserved.named_alive(leftover.name.partition(".")[0]):
                    shutil.rmtree(leftover, ignore_errors=True)

    # -- changes after filing ----------------------------------------------------------------

    def attach_scan(self, archive_no: str, name: str, data: bytes, *, status: str | None = STATUS_STAMPED,
                    info: dict[str, Any] | None = None) -> Record:
        """File a stamped scan under ``scans/`` and (by default) mark the record 已盖章.

        Idempotent: the same bytes under the same name change nothing the second time.
        """
        if not name or name != Path(name).name or name.startswith("."):
            raise ArchiveError(f"扫描件文件名“{name}”无效（不能含路径，不能以点开头）")
        rel = f"scans/{name}"
        with self._locked():
            self._recover()
            record = self.get(archive_no)
            digest = sha256_hex(data)
            known = record.meta.get("files", {}).get(rel)
            if known and known.get("sha256") == digest:
                return record
            if known or record.file(rel).exists():
                raise ArchiveError(f"记录 {archive_no} 已有名为 {name} 的另一份扫描件，拒绝覆盖")
            meta = json.loads(json.dumps(record.meta))
            meta["files"][rel] = {"sha256": digest, "bytes": len(data)}
            events = [new_event("scan attached", archive_no, file=rel, sha256=digest, **(info or {}))]
            events += self._status_events(meta, status, f"扫描件 {name}")
            record = self._update(record, meta, events, scan=(rel, data))
        self._notify("scan attached", record)
        return record

    def set_status(self, archive_no: str, status: str, reason: str = "") -> Record:
        """Change a record's status (生成 / 已签名 / 已盖章), logged with the reason."""
        if status not in (STATUS_GENERATED, STATUS_SIGNED, STATUS_STAMPED):
            raise ArchiveError(f"状态“{status}”无效，只能是：{STATUS_GENERATED}、{STATUS_SIGNED}、{STATUS_STAMPED}")
        with self._locked():
            self._recover()
            record = self.get(archive_no)
            meta = json.loads(json.dumps(record.meta))
            events = self._status_events(meta, status, reason)
            if events:
                record = self._update(record, meta, events)
        if events:
            self._notify("status changed", record)
        return record

    def annotate(self, archive_no: str, key: str, name: str, value: Any, event: str, **fields: Any) -> Record:
        """Set ``record.json[key][name] = value`` (e.g. intake's check of one scan against the
        filed text), logged as ``event``. Unchanged values change nothing."""
        with self._locked():
            self._recover()
            record = self.get(archive_no)
            if record.meta.get(key, {}).get(name) == value:
                return record
            meta = json.loads(json.dumps(record.meta))
            meta.setdefault(key, {})[name] = value
            record = self._update(record, meta, [new_event(event, archive_no, **fields)])
        self._notify(event, record)
        return record

    def log_export(self, archive_nos: list[str], target: str, **fields: Any) -> None:
        """Record that these records left the archive in a bundle (the bundle names its manifest)."""
        events = [new_event("exported", "", records=sorted(archive_nos), target=target, **fields)]
        with self._locked():
            self._recover()
            self._begin("log", None, None, events)
            self._commit(events)

    def _status_events(self, meta: dict[str, Any], status: str | None, reason: str) -> list[dict[str, Any]]:
        if not status or meta.get("status") == status:
            return []
        old, meta["status"] = meta.get("status"), status
        return [new_event("status changed", meta["档号"], old=old, new=status, reason=reason)]

    def _update(self, record: Record, meta: dict[str, Any], events: list[dict[str, Any]],
                scan: tuple[str, bytes] | None = None) -> Record:
        """Rewrite record.json (and add a scan) through the journal; see the module docstring."""
        meta["audit_event"] = events[-1]["id"]
        data = _json_bytes(meta)
        where = {"record": self._rel(record.path), "record_sha256": sha256_hex(data)}
        events = [{**e, **where} for e in events]
        extra = {"scan": {"file": scan[0], "sha256": sha256_hex(scan[1])}} if scan else {}
        self._begin("update", record.path, data, events, **extra)
        crash_point("after-update-journal")
        if scan:
            replace_durably(record.file(scan[0]), scan[1], FILE_MODE)
        crash_point("after-update-files")
        replace_durably(record.file("record.json"), data, FILE_MODE)
        self._commit(events)
        return Record(record.path, meta)

    # -- the journal -------------------------------------------------------------------------

    def _begin(self, op: str, path: Path | None, record_json: bytes | None, events: list[dict[str, Any]],
               **extra: Any) -> None:
        """Write the journal, durably (a filing stages its own with its files: _stage)."""
        replace_durably(self.journal, self._journal_entry(op, path, record_json, events, **extra), FILE_MODE)

    def _journal_entry(self, op: str, path: Path | None, record_json: bytes | None, events: list[dict[str, Any]],
                       **extra: Any) -> bytes:
        entry = {"op": op, "record": self._rel(path) if path else "", "events": events, **extra}
        if record_json is not None:
            entry["record_sha256"] = sha256_hex(record_json)
            if op == "update":  # the new record.json, to roll forward with
                entry["record_json"] = record_json.decode("utf-8")
        return _json_bytes(entry)

    def _commit(self, events: list[dict[str, Any]], batch: Batch | None = None) -> None:
        """Append the events to the log (with ``batch``'s writes: one barrier), then drop the
        journal. Where one barrier keeps the order (durable.group_commit) the journal's removal
        needs none: if a power cut brings it back, recovery finds its work done and drops it."""
        batch = batch or Batch(self.root)
        self.audit.append(events, batch)
        batch.flush()
        crash_point("after-audit")
        self.journal.unlink()
        if not batch.ordered:
            fsync_dir(self.root)

    def recover(self) -> list[Record]:
        """Finish or undo what a crashed process left; returns records it completed."""
        with self._locked():
            done = self._recover()
            self.doc_numbers.settle(self._filed_doc_numbers, self.reserved.live_doc_numbers())
            return done

    def _recover(self) -> list[Record]:
        done: list[Record] = []
        if self.journal.exists():
            try:
                entry = json.loads(self.journal.read_text(encoding="utf-8"))
            except ValueError:  # damaged (it is renamed into place whole): nothing to finish
                entry = {"op": "none", "events": []}
            events = entry.get("events", [])
            ids = {e["id"] for e in events}
            self.audit.repair_tail(ids)
            missing = [e for e in events if e["id"] not in self.audit.has_ids(ids)]
            path = self.root / entry.get("record", "") if entry.get("record") else None
            meta_file = path / "record.json" if path else None
            if entry["op"] == "create" and meta_file and _digest(meta_file) == entry["record_sha256"]:
                if missing:
                    self.audit.append(missing)
                done.append(Record(path, json.loads(meta_file.read_text(encoding="utf-8"))))  # type: ignore[arg-type]
                self.numbers.placed(path.name)  # its filer may have died before moving the counter
            elif entry["op"] == "update" and path is not None and meta_file is not None and path.is_dir():
                scan = entry.get("scan")
                if scan and _digest(path / scan["file"]) != scan["sha256"]:
                    missing = []  # the scan never landed: the change did not happen
                elif _digest(meta_file) != entry["record_sha256"]:
                    replace_durably(meta_file, entry["record_json"].encode("utf-8"), FILE_MODE)
                if missing:
                    self.audit.append(missing)
                for stray in [*path.glob(".*.tmp"), *path.glob("scans/.*.tmp")]:
                    stray.unlink()
            elif entry["op"] == "log" and missing:
                self.audit.append(missing)
            self.journal.unlink()
            fsync_dir(self.root)
        self._clean_tmp()
        self.reserved.clean()  # 件号 whose filers died are free again
        for stray in self.root.glob(".*.tmp"):  # a journal or log head a dead writer never renamed
            stray.unlink()
        return done

    def _rel(self, path: Path) -> str:
        return path.relative_to(self.root).as_posix()

    @contextmanager
    def _locked(self, reading: bool = False) -> Iterator[None]:
        """Hold the archive lock. A file-system failure inside (read-only disk, no permission,
        disk full) is an ArchiveError (exit 6): the journal keeps the archive whole. With
        ``reading`` (verify), an archive nobody may write is read without the lock."""
        with self._io_errors(), ExitStack() as stack:
            try:
                stack.enter_context(exclusive(self.root / ".lock"))
            except OSError as exc:
                if not (reading and exc.errno in READ_ONLY_ERRNOS):
                    raise
            yield

    @contextmanager
    def _io_errors(self) -> Iterator[None]:
        """A file-system failure (read-only disk, no permission, disk full) as an ArchiveError
        (exit 6), inside the lock or in the steps of a filing outside it."""
        try:
            yield
        except OSError as exc:
            raise ArchiveError(f"档案库 {self.root} 读写失败：{os_reason(exc)}。档案未被改动。") from exc

    # -- reading -----------------------------------------------------------------------------

    def records(self) -> Iterator[Record]:
        """Every readable record; a damaged one is skipped with a warning (`sanfang verify`
        reports it), so one bad folder cannot stop a listing or a reindex."""
        for meta_file in sorted(self.root.glob("[0-9][0-9][0-9][0-9]/*/*/*/record.json")):
            try:
                yield _read_record(meta_file)
            except ArchiveError as exc:
                logging.getLogger(__name__).warning("已跳过：%s", exc.message)

    def get(self, archive_no: str) -> Record:
        """The record of one 档号, matched exactly (numbers.record_dir: never a pattern)."""
        return _read_record(record_dir(self.root, archive_no) / "record.json")


def _read_record(meta_file: Path) -> Record:
    """A record folder's record.json, or ArchiveError (exit 6) saying it is damaged."""
    try:
        meta = json.loads(meta_file.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        meta, why = None, str(exc)
    else:
        why = "缺少档号" if isinstance(meta, dict) else f"内容是 {type(meta).__name__}，不是 JSON 对象"
    if not isinstance(meta, dict) or not isinstance(meta.get("档号"), str):
        raise ArchiveError(f"记录 {meta_file.parent.name} 的 record.json 已损坏（{why}）；"
                           "请运行 sanfang verify 查看，并从备份恢复该记录")
    return Record(meta_file.parent, meta)


def _json_bytes(data: Any) -> bytes:
    return (json.dumps(data, ensure_ascii=False, indent=2, sort_keys=False) + "\n").encode("utf-8")


def _digest(path: Path) -> str:
    try:
        return sha256_hex(path.read_bytes())
    except (FileNotFoundError, NotADirectoryError):
        return ""
