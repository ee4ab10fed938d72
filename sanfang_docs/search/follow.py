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

from ..archive.audit import LOG_NAME
from ..archive.locks import exclusive
from ..archive.store import Record

if TYPE_CHECKING:
    from .index import SearchIndex

log = logging.getLogger(__name__)

MARK = "followed.json"
POLL_S = 1.0
NOT_RECORDS = {"exported"}  # events that change no record


class Follower:
    """How far ``index`` has followed its archive's audit log, and the catching up."""

    def __init__(self, index: SearchIndex):
        self.index = index
        self.log_path = index.archive_root / LOG_NAME
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
        data = self._read(0)
        cut = data.rfind(b"\n") + 1
        last = data[:cut].rstrip(b"\n").rsplit(b"\n", 1)[-1]
        try:
            seq = int(json.loads(last)["seq"]) if last else 0
        except (ValueError, KeyError, TypeError):
            seq = 0
        return cut, seq

    def behind(self) -> bool:
        """Lines in the log the index has not read (a stat and a small file: cheap)."""
        try:
            size = self.log_path.stat().st_size
        except FileNotFoundError:
            return False
        mark = self.mark()
        return mark is None or size != mark[0]  # shorter: lines were taken back (store._undo_create)

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
            data = self._read(offset)
            cut = data.rfind(b"\n") + 1  # whole lines only: a line being written waits
            shorter = offset > 0 and not data and self._read(offset - 1) == b""
            if not cut and not shorter:
                return 0
            names, last = self._names(data[:cut], seq) if cut else ({}, None)
            if last is None:  # the log is not the one the mark was taken on (restored, replaced, cut)
                log.warning("审计日志与检索索引的进度不符，将从头重放")
                offset, data = 0, self._read(0)
                cut = data.rfind(b"\n") + 1
                names, last = self._names(data[:cut], None)
            records = [r for r in (self._record(no, path) for no, path in names.items()) if r is not None]
            if records:
                self.index.update(records)
            self.set_mark(offset + cut, int(last or 0))
            return len(records)

    def _since_last_write(self) -> tuple[int, int]:
        """An index from before the mark existed (filing updated it then, right after the log):
        the lines from a little before its last write on."""
        gen = self.index.root / (self.index.current() or "")
        newest = max((p.stat().st_mtime for p in gen.iterdir()), default=0.0) - 5
        offset, seq = 0, 0
        for raw in self._read(0).splitlines(keepends=True):
            with suppress(ValueError, KeyError, TypeError, AttributeError):
                entry = json.loads(raw)
                if datetime.fromisoformat(entry["time"]).timestamp() >= newest:
                    break
                seq = int(entry["seq"])
            offset += len(raw)
        return offset, seq

    def _read(self, offset: int) -> bytes:
        try:
            with open(self.log_path, "rb") as fh:
                fh.seek(offset)
                return fh.read()
        except FileNotFoundError:
            return b""

    @staticmethod
    def _names(data: bytes, seq: int | None) -> tuple[dict[str, str], int | None]:
        """档号 → record folder of the lines after ``seq``; and the last seq (None if the first
        line does not follow ``seq``: the offset no longer points where it did). ``seq`` None:
        the whole log, unchecked."""
        names: dict[str, str] = {}
        last: int | None = seq or 0
        for n, raw in enumerate(data.splitlines()):
            try:
                entry = json.loads(raw)
            except ValueError:
                continue  # verify reports a damaged line; the record is indexed by its others
            if not isinstance(entry, dict):
                continue
            if n == 0 and seq is not None and entry.get("seq") != seq + 1:
                return {}, None
            last = entry.get("seq", last) if isinstance(entry.get("seq"), int) else last
            if entry.get("档号") and entry.get("event") not in NOT_RECORDS:
                names.pop(str(entry["档号"]), None)  # keep the order of the last change
                names[str(entry["档号"])] = str(entry.get("record", ""))
        return names, last

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
