"""One file through intake: journal it, decode its pages and codes, split it by record, file
each part on its record (已盖章, audit line, queued for OCR) or quarantine it with the reason.

Idempotent by SHA-256: a scan is stored as ``scans/scan-<sha12>.<ext>``, so the identical file
again is recognised and stored once; a different scan of the same record is a new version.
"""

from __future__ import annotations

import errno
import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..archive import STATUS_STAMPED, Archive, sha256_hex
from ..archive.audit import crash_point
from ..archive.locks import exclusive
from ..errors import NotFoundError, SanfangError
from . import compare, decode, ocr
from .files import EXTENSIONS, subset
from .journal import Entry, Journal
from .match import Part, match
from .quarantine import Item, Quarantine

log = logging.getLogger("sanfang.intake")
Allow = Callable[[str], str]  # 档号 → why that record may not take the scan ("" when it may)
FILED, DUPLICATE, QUARANTINED = "已归档", "重复（已有相同扫描件）", "已隔离"
# Reasons that pass by themselves: the disk fills and empties, a lock is released.
TEMPORARY_ERRNOS = {errno.ENOSPC, errno.EDQUOT, errno.EAGAIN, errno.EBUSY, errno.EIO}
DEFAULTS: dict[str, Any] = {"delay": 5.0, "rescan": 10.0, "retry": 60.0, "ocr_engine": "tesseract",
                            "min_run": compare.MIN_RUN}


@dataclass
class Result:
    """Where (part of) one input ended."""

    status: str
    source: str
    pages: int
    archive_no: str = ""
    stored: str = ""  # scans/<name> or the quarantine name
    reason: str = ""

    def line(self) -> str:
        where = f"{self.archive_no} {self.stored}" if self.archive_no else self.stored
        why = f"：{self.reason}" if self.reason else ""
        return f"{self.status} {self.source}（{self.pages} 页）→ {where}{why}"

    def as_dict(self) -> dict[str, Any]:
        return dict(vars(self))


class Intake:
    def __init__(self, archive: Archive, home: Path, settings: dict[str, Any] | None = None):
        self.archive = archive
        self.settings = {**DEFAULTS, **(settings or {})}
        self.state = home / ".intake"
        self.journal = Journal(self.state)
        self.quarantine = Quarantine(home / "quarantine")
        self.ocr_queue = ocr.OcrQueue(self.state)
        # source → the check a file from there needs when it is recovered (or found by another
        # process's recovery mid-way): an upload's ``allow`` must survive a crash.
        self.allow_for: Callable[[str], Allow | None] = lambda source: None

    # -- taking files ------------------------------------------------------------------------

    def take(self, path: Path, allow: Allow | None = None) -> list[Result]:
        """Take one file (it leaves ``path``) and file or quarantine it; one log line per part.
        ``allow(档号)`` — a reason to refuse that record, or "" — keeps a part off records its
        sender may not write (the web app's upload on one record's page, a scoped retry)."""
        entry = self.journal.take(path)
        crash_point("intake-taken")
        return self._finish(entry, allow=allow)

    def recover(self) -> list[Result]:
        """Finish what a killed process had taken (see journal.py)."""
        return [r for entry in self.journal.pending()
                for r in self._finish(entry, allow=self.allow_for(str(entry.source)))]

    def _finish(self, entry: Entry, was: Item | None = None, allow: Allow | None = None) -> list[Result]:
        data = entry.work.read_bytes()
        source, tries = (was.source, was.tries) if was else (str(entry.source), 0)
        try:
            results = self.process(data, entry.name, source, tries, allow)
        except OSError:
            raise  # e.g. the disk is full even for quarantine: the journal keeps it for the retry
        except Exception as exc:  # noqa: BLE001 - a bug must not stop the inbox; a person looks
            log.exception("处理 %s 时出错", source)
            results = [self._quarantine(data, entry.name, source, 0, f"处理时出现内部错误（{type(exc).__name__}："
                                        f"{exc}），请转交技术人员", tries=tries)]
        crash_point("intake-stored")
        self.journal.done(entry)
        for r in results:
            log.info(r.line())
        return results

    def process(self, data: bytes, name: str, source: str, tries: int = 0,
                allow: Allow | None = None) -> list[Result]:
        """File or quarantine one file's bytes; ``tries``: times it was quarantined before."""
        try:
            kind = decode.kind_of(data)
            pages = decode.decode(data)
        except decode.Unreadable as exc:
            return [self._quarantine(data, name, source, 0, str(exc), tries=tries)]
        found = match(pages, name)
        if found.problem:
            return [self._quarantine(data, name, source, len(pages), found.problem, tries=tries)]
        results = []
        for part in found.parts:
            whole = len(found.parts) == 1 and len(part.pages) == len(pages)
            blob, ext = (data, EXTENSIONS[kind]) if whole else subset(data, kind, part.pages)
            part_name = name if whole else f"{Path(name).stem}-{part.archive_no}.{ext}"
            results.append(self._file_part(blob, ext, part, part_name, source, tries, allow))
        return results

    def _file_part(self, data: bytes, ext: str, part: Part, name: str, source: str, tries: int,
                   allow: Allow | None = None) -> Result:
        pages = len(part.pages)
        if part.problem:
            return self._quarantine(data, name, source, pages, f"档号 {part.archive_no}：{part.problem}", tries=tries)
        refused = allow(part.archive_no) if allow else ""
        if refused:
            return self._quarantine(data, name, source, pages, refused, tries=tries)
        try:
            return self.file(data, ext, part.archive_no, source, pages, by=("文件名" if part.by_name else "二维码"))
        except NotFoundError:
            return self._quarantine(data, name, source, pages,
                                    f"档案中没有档号为 {part.archive_no} 的记录（尚未归档，或已不存在）", tries=tries)
        except (OSError, TimeoutError) as exc:
            if isinstance(exc, TimeoutError) or exc.errno in TEMPORARY_ERRNOS:
                return self._quarantine(data, name, source, pages, f"暂时无法归档（{_why(exc)}）",
                                        temporary=True, tries=tries)
            raise

    def file(self, data: bytes, ext: str, archive_no: str, source: str, pages: int, by: str) -> Result:
        """Store ``data`` as a scan of ``archive_no`` (已盖章), or recognise it as stored already."""
        digest = sha256_hex(data)
        record = self.archive.get(archive_no)
        for rel, info in record.meta.get("files", {}).items():
            if rel.startswith("scans/") and not rel.endswith(".txt") and info.get("sha256") == digest:
                return Result(DUPLICATE, source, pages, archive_no, rel)
        rel = f"scans/scan-{digest[:12]}.{ext}"
        versions = sum(1 for r in record.meta.get("files", {}) if r.startswith("scans/") and not r.endswith(".txt"))
        self.archive.attach_scan(archive_no, Path(rel).name, data, status=STATUS_STAMPED,
                                 info={"source": Path(source).name, "pages": pages, "matched_by": by,
                                       "version": versions + 1})
        self.ocr_queue.add(archive_no, rel)
        return Result(FILED, source, pages, archive_no, rel, f"第 {versions + 1} 版" if versions else "")

    def _quarantine(self, data: bytes, name: str, source: str, pages: int, reason: str,
                    temporary: bool = False, tries: int = 0) -> Result:
        item = self.quarantine.put(data, name, reason, temporary=temporary, source=source, tries=tries)
        return Result(QUARANTINED, source, pages, stored=f"quarantine/{item.name}", reason=reason)

    # -- the clerk's quarantine commands -----------------------------------------------------

    def retry(self, items: list[Item], allow: Allow | None = None) -> list[Result]:
        """Read quarantined files again (after a record was filed, or a temporary reason)."""
        results = []
        for item in items:
            entry = self.journal.take(item.path)
            self.quarantine.remove(item)  # its bytes are in the journal's care now
            results += self._finish(entry, was=item, allow=allow)
        return results

    def retry_temporary(self) -> list[Result]:
        return self.retry([i for i in self.quarantine.items() if i.temporary])

    def file_by_hand(self, item: Item, archive_no: str) -> Result:
        """A clerk's decision: this quarantined file is a scan of ``archive_no``."""
        data = item.path.read_bytes()
        kind = decode.kind_of(data) if data else ""
        if not kind:
            raise SanfangError(f"隔离文件 {item.name} 为空，不能归档")
        result = self.file(data, EXTENSIONS[kind], archive_no, item.source, 0, by="人工")
        self.quarantine.remove(item)
        log.info(result.line())
        return result

    # -- OCR, off the filing path --------------------------------------------------------------

    def run_ocr(self, stop: Any = None) -> int:
        """Read every queued scan's text, file it as ``scans/<scan>.txt`` and compare it with the
        filed text; returns how many were done. ``stop`` (an Event) ends the loop between scans.

        One reader at a time across processes (the web app's background reader, ``sanfang
        watch``, ``sanfang intake``): the others wait for the lock (``.intake/ocr.lock``, flock)
        and then read what is still queued, so a scan is never read twice at once and one
        queued while the other was finishing is not left behind."""
        while True:
            try:
                with exclusive(self.state / "ocr.lock", timeout=0.5):
                    return self._drain(stop)
            except TimeoutError:
                if stop is not None and stop.is_set():
                    return 0

    def _drain(self, stop: Any) -> int:
        read = ocr.engine(str(self.settings["ocr_engine"]))
        count = 0
        for job in self.ocr_queue.jobs():
            if stop is not None and stop.is_set():
                break
            try:
                self._ocr_one(job, read)
            except NotFoundError:
                pass  # the record is gone: nothing to read for
            except (SanfangError, OSError, decode.Unreadable) as exc:
                log.warning("扫描件文字识别失败（%s %s）：%s，稍后重试", job.archive_no, job.scan, _why(exc))
                continue
            self.ocr_queue.done(job)
            count += 1
        return count

    def _ocr_one(self, job: ocr.Job, read: ocr.Engine) -> None:
        record = self.archive.get(job.archive_no)
        data = record.file(job.scan).read_bytes()
        pages = [read(decode.deskew(image)) for image in decode.images(data, dpi=300, drop_red=True)]
        text = "\n".join(pages)
        name = Path(job.scan).stem + ".txt"
        if f"scans/{name}" not in record.meta.get("files", {}):
            self.archive.attach_scan(job.archive_no, name, (text + "\n").encode("utf-8"), status=None,
                                     info={"ocr": str(self.settings["ocr_engine"]), "of": job.scan})
        filed = str(record.meta.get("text", ""))
        masthead = str(record.meta.get("发文机关标志") or "")
        if masthead:  # red ink, read on the red channel with the seal: gone from the scan by design
            filed = filed.replace(masthead, "", 1)
        check = compare.compare(pages, filed, int(self.settings["min_run"]))
        check["engine"] = str(self.settings["ocr_engine"])
        self.archive.annotate(job.archive_no, "scan_checks", job.scan, check, "scan checked",
                              file=job.scan, verdict=check["verdict"], differs=len(check["differs"]))
        level = logging.WARNING if check["differs"] else logging.INFO
        log.log(level, "文字核对 %s %s：%s（相似度 %.3f）", job.archive_no, job.scan, check["verdict"], check["similarity"])


def _why(exc: BaseException) -> str:
    if isinstance(exc, TimeoutError):
        return "档案被其他程序锁定"
    if isinstance(exc, OSError) and exc.errno == errno.ENOSPC:
        return "磁盘已满"
    if isinstance(exc, OSError):
        return exc.strerror or str(exc)
    return str(getattr(exc, "message", exc))
