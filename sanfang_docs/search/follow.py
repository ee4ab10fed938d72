"""The index follows the archive's audit log, off the clerk's path.

Filing no longer waits for a Whoosh commit (100–200 ms under load). Its queue is the audit log
the archive writes anyway — durable with the record, in the same barrier — so queueing costs
nothing and survives what the record survives. ``indexer/followed.json`` says how far the
index has read the log (byte offset and ``seq``); :meth:`Follower.catch_up` reads the lines
after it and re-indexes each record they name, then moves the mark. Replaying a line twice is
harmless (a record is replaced by its 档号), so the mark may lag, never lead.

Who applies: a searching process first (``Sanfang.search`` catches up, so a search always sees
every record filed before it); a long-lived process (the web app's filing worker) runs
:class:`Applier`, a thread woken by its own filings and polling the log for other processes'
(``POLL_S``). A one-shot ``sanfang make`` leaves its lines for them.
"""

from __future__ import annotations

import json
import logging
import os
import threading
from contextlib import suppress
from datetime import datetime
from typing import TYPE_CHECKING

from ..archive.audit import AuditLog, changed_records
from ..archive.locks import exclusive
from ..archive.store import Record

if TYPE_CHECKING:
    from .index import SearchIndex

log = logging.getLogger(__name__)

MARK = "followed.json"
POLL_S = 1.0


class Follower:
    """How far ``index`` has followed its archive's audit log, and the catching up."""

    def __init__(self, index: SearchIndex):
        self.index = index
        self.audit = AuditLog(index.archive_root)
        self.mark_path = index.root / MARK

    def mark(self) -> tuple[int, int] | None:
        """(offset, seq) read so far; None when this index has never followed the log."""
        try:
            data = json.loads(self.mark_path.read_text(encoding="utf-8"))
            return int(data["offset"]), int(data["seq"])
        except (OSError, ValueError, KeyError, TypeError):
            return None

    def set_mark(self, offset: int, seq: int) -> None:
        self.index.root.mkdir(parents=True, exist_ok=True)
        tmp = self.mark_path.with_name(f".{MARK}.{os.getpid()}.{threading.get_ident()}")
        tmp.write_text(json.dumps({"offset": offset, "seq": seq}) + "\n", encoding="utf-8")
        os.replace(tmp, self.mark_path)

    def end(self) -> tuple[int, int]:
        """The log's end as (offset of its last whole line's end, that line's seq)."""
        lines = self.audit.lines_after(0) or []
        return sum(map(len, lines)), _seq(lines[-1]) if lines else 0

    def behind(self) -> bool:
        """Lines in the log the index has not read (a stat and a small file: cheap)."""
        mark = self.mark()
        if mark is None:
            return self.audit.path.exists()
        return self.audit.size() != mark[0]  # shorter: lines were taken back (store._undo_create)

    def catch_up(self, timeout: float | None = None) -> int:
        """Index every record the unread lines name; returns how many. ``timeout``: give up
        (TimeoutError) if another process is catching up that long."""
        with exclusive(self.index.root / ".follow.lock", timeout):
            if not self.index.exists():  # made now from the archive: every line so far is in it
                end = self.end()
                n = self.index.update([])
                self.set_mark(*end)
                return n
            offset, seq = self.mark() or self._since_last_write()
            lines = self.audit.lines_after(offset)
            if lines == []:
                return 0
            entries = _entries(lines or [])
            if lines is None or (entries and entries[0].get("seq") != seq + 1):
                # the log is not the one the mark was taken on (restored, replaced, cut)
                log.warning("审计日志与检索索引的进度不符，将从头重放")
                offset, seq, lines = 0, 0, self.audit.lines_after(0) or []
                entries = _entries(lines)
            names = changed_records(entries)
            records = [r for r in (self._record(no, path) for no, path in names.items()) if r is not None]
            if records:
                self.index.update(records)
            seqs = [e["seq"] for e in entries if isinstance(e.get("seq"), int)]
            self.set_mark(offset + sum(map(len, lines)), seqs[-1] if seqs else seq)
            return len(records)

    def _since_last_write(self) -> tuple[int, int]:
        """An index from before the mark existed (filing updated it then, right after the log):
        the lines from a little before its last write on."""
        gen = self.index.root / (self.index.current() or "")
        newest = max((p.stat().st_mtime for p in gen.iterdir()), default=0.0) - 5
        offset, seq = 0, 0
        for raw in self.audit.lines_after(0) or []:
            with suppress(ValueError, KeyError, TypeError, AttributeError):
                entry = json.loads(raw)
                if datetime.fromisoformat(entry["time"]).timestamp() >= newest:
                    break
                seq = int(entry["seq"])
            offset += len(raw)
        return offset, seq

    def _record(self, archive_no: str, rel: str) -> Record | None:
        if rel:
            meta_file = self.index.archive_root / rel / "record.json"
            with suppress(OSError, ValueError):
                meta = json.loads(meta_file.read_text(encoding="utf-8"))
                if isinstance(meta, dict) and meta.get("档号") == archive_no:
                    return Record(meta_file.parent, meta)
        return self.index._load(archive_no)  # noqa: SLF001 - moved or damaged: the index's own reader


class Applier:
    """A thread that keeps ``index`` caught up: woken by :meth:`wake` (this process filed) and
    every ``poll`` seconds (another process may have). Stopped by :meth:`stop` and at exit."""

    def __init__(self, index: SearchIndex, poll: float = POLL_S):
        self.follower = Follower(index)
        self.poll = poll
        self._wake, self._stop = threading.Event(), threading.Event()
        self.applied = 0
        self._thread = threading.Thread(target=self._run, name="sanfang-index-applier", daemon=True)

    def start(self) -> Applier:
        import atexit

        self._thread.start()
        atexit.register(self.stop)  # before daemon threads are cut off: not mid-commit
        return self

    def wake(self) -> None:
        self._wake.set()

    def stop(self, timeout: float = 30.0) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread.is_alive() and self._thread is not threading.current_thread():
            self._thread.join(timeout)

    def _run(self) -> None:
        while not self._stop.is_set():
            self._wake.wait(self.poll)
            self._wake.clear()
            if self._stop.is_set():
                break
            try:
                if self.follower.behind():
                    self.applied += self.follower.catch_up(timeout=self.poll)
            except TimeoutError:
                continue  # another process is catching up
            except Exception as exc:  # noqa: BLE001 - the thread must go on; the lines stay unread
                log.warning("检索索引未能跟上档案（%s），稍后重试", exc)


def _entries(lines: list[bytes]) -> list[dict]:
    """The lines that parse; a damaged one is skipped (verify reports it; the record is
    indexed by its other lines)."""
    entries = []
    for raw in lines:
        with suppress(ValueError):
            entry = json.loads(raw)
            if isinstance(entry, dict):
                entries.append(entry)
    return entries


def _seq(raw: bytes) -> int:
    try:
        return int(json.loads(raw)["seq"])
    except (ValueError, KeyError, TypeError):
        return 0
