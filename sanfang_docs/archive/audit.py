"""The audit log: ``archive/audit.log``, append-only, one JSON object per line, hash-chained.

Each entry carries ``seq`` (1, 2, 3 …), ``prev`` (the previous entry's hash) and ``hash``
(SHA-256 of the entry's canonical JSON without ``hash``). So an edited line no longer matches
its own hash, a removed line leaves a gap in ``seq`` and a ``prev`` that points at nothing,
and a re-hashed forgery breaks the link from the line after it. Removing lines at the end is
caught by ``archive/.audit-head``, which holds the last ``seq`` and ``hash``.

Writers append under the archive lock (see :mod:`sanfang_docs.archive`); each append is a
single ``write`` on an ``O_APPEND`` descriptor, flushed with the rest of its change
(durable.Batch), so a killed process leaves whole lines only.
"""

from __future__ import annotations

import contextlib
import contextvars
import getpass
import hashlib
import json
import os
import signal
import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from .durable import Batch, replace_durably

GENESIS = "0" * 64
LOG_NAME, HEAD_NAME = "audit.log", ".audit-head"
EVENTS = ("created", "signed", "scan attached", "scan checked", "status changed", "exported")

# Who is acting, when it is not the operating-system user: the web app's logged-in user, set by
# the library API around each write (a context variable: each request thread has its own).
_acting: contextvars.ContextVar[str] = contextvars.ContextVar("acting", default="")


@contextlib.contextmanager
def acting_as(user: str) -> Iterator[None]:
    """Every audit entry written inside names ``user`` as its actor."""
    token = _acting.set(user)
    try:
        yield
    finally:
        _acting.reset(token)


def canonical(entry: dict[str, Any]) -> bytes:
    body = {k: v for k, v in entry.items() if k != "hash"}
    return json.dumps(body, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode("utf-8")


def entry_hash(entry: dict[str, Any]) -> str:
    return hashlib.sha256(canonical(entry)).hexdigest()


def new_event(event: str, archive_no: str = "", **fields: Any) -> dict[str, Any]:
    """An entry before it is chained: ``seq``, ``prev`` and ``hash`` are added by append."""
    if event not in EVENTS:
        raise ValueError(f"unknown audit event {event!r}")
    actor = _acting.get()
    if not actor:
        try:
            actor = getpass.getuser()
        except (KeyError, OSError):  # no passwd entry (containers): the uid still says who
            actor = str(os.getuid())
    return {"id": uuid.uuid4().hex, "time": datetime.now(UTC).isoformat(timespec="seconds"),
            "event": event, "档号": archive_no, "actor": actor, **fields}


@dataclass
class Line:
    number: int  # 1-based line number in the file
    raw: bytes
    entry: dict[str, Any] | None  # None: not JSON, or not an object
    intact: bool  # parses and its own hash matches


@dataclass
class ChainReport:
    lines: list[Line] = field(default_factory=list)
    # (line number, kind, what is wrong); line 0 means the file as a whole. Kinds: corrupt
    # (the line itself changed), deleted (lines before it are gone), relinked (the line
    # before it was changed and re-hashed), order, torn, head (lines at the end are gone).
    breaks: list[tuple[int, str, str]] = field(default_factory=list)

    @property
    def intact_entries(self) -> list[dict[str, Any]]:
        return [ln.entry for ln in self.lines if ln.intact and ln.entry is not None]


class AuditLog:
    def __init__(self, root: Path):
        self.path = root / LOG_NAME
        self.head_path = root / HEAD_NAME

    # -- writing (caller holds the archive lock) ---------------------------------------------

    def append(self, events: list[dict[str, Any]], batch: Batch | None = None) -> list[dict[str, Any]]:
        """Chain and append ``events``; durable on return, or with ``batch``'s flush."""
        own = batch is None
        batch = batch or Batch(self.path.parent)
        seq, prev = self._last()
        chained, data = [], b""
        for event in events:
            seq += 1
            entry = {**event, "seq": seq, "prev": prev}
            entry["hash"] = prev = entry_hash(entry)
            chained.append(entry)
            data += json.dumps(entry, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode() + b"\n"
        self.path.parent.mkdir(parents=True, exist_ok=True)
        batch.append(self.path, data)
        crash_point("after-audit-append")
        self.write_head(seq, prev, batch)
        if own:
            batch.flush()
        return chained

    def write_head(self, seq: int, last_hash: str, batch: Batch | None = None) -> None:
        data = (json.dumps({"seq": seq, "hash": last_hash}) + "\n").encode("utf-8")
        if batch is None:
            replace_durably(self.head_path, data)
        else:
            batch.replace(self.head_path, data)

    def size(self) -> int:
        try:
            return self.path.stat().st_size
        except FileNotFoundError:
            return 0

    def truncate(self, size: int, head: tuple[int, str] | None) -> None:
        """Take back lines appended after ``size`` whose change did not happen (the archive's
        barrier failed; the caller holds the lock), and the head with them."""
        if self.path.exists():
            with open(self.path, "r+b") as fh:
                fh.truncate(size)
        try:
            if head is not None:
                self.write_head(*head)
                return
        except OSError:
            pass  # no head at all is safe (the next writer reads the log); a wrong one is not
        self.head_path.unlink(missing_ok=True)

    def head(self) -> tuple[int, str] | None:
        try:
            data = json.loads(self.head_path.read_text(encoding="utf-8"))
            return int(data["seq"]), str(data["hash"])
        except (FileNotFoundError, ValueError, KeyError, TypeError):
            return None

    def _last(self) -> tuple[int, str]:
        """The seq and hash to chain from: the head, which a writer always keeps current."""
        head = self.head()
        if head is not None:
            return head
        entries = self.read().intact_entries
        return (int(entries[-1]["seq"]), str(entries[-1]["hash"])) if entries else (0, GENESIS)

    def repair_tail(self, expected_ids: set[str]) -> None:
        """After a crash: drop a torn last line, and move the head over whole lines that the
        crashed writer appended (those carrying ids from its journal) but did not record."""
        if not self.path.exists():
            return
        data = self.path.read_bytes()
        if data and not data.endswith(b"\n"):
            with open(self.path, "r+b") as fh:
                fh.truncate(data.rfind(b"\n") + 1)
                os.fsync(fh.fileno())
        head = self.head() or (0, GENESIS)
        seq, last = head
        for entry in self.read().intact_entries:
            if int(entry["seq"]) == seq + 1 and entry["prev"] == last and entry.get("id") in expected_ids:
                seq, last = int(entry["seq"]), str(entry["hash"])
        if (seq, last) != head:
            self.write_head(seq, last)

    def has_ids(self, ids: set[str], tail: int = 64) -> set[str]:
        """Which of ``ids`` the last ``tail`` lines already hold."""
        if not self.path.exists():
            return set()
        found = set()
        for raw in self.path.read_bytes().splitlines()[-tail:]:
            try:
                entry = json.loads(raw)
            except ValueError:
                continue
            if isinstance(entry, dict) and entry.get("id") in ids:
                found.add(entry["id"])
        return found

    # -- following (the change feed of the search index and the records catalogue) ----------

    def lines_after(self, offset: int) -> list[bytes] | None:
        """The whole lines written after byte ``offset`` (a line still being written is left
        for next time); None when the log is shorter than ``offset``: it is not the log that
        was read that far (restored, replaced, lines taken back), so the follower starts over."""
        try:
            with open(self.path, "rb") as fh:
                if os.fstat(fh.fileno()).st_size < offset:
                    return None
                fh.seek(offset)
                data = fh.read()
        except FileNotFoundError:
            return None if offset else []
        return data[: data.rfind(b"\n") + 1].splitlines(keepends=True)

    # -- reading and checking ----------------------------------------------------------------

    def read(self, data: bytes | None = None) -> ChainReport:
        if data is None:
            data = self.path.read_bytes() if self.path.exists() else b""
        report = ChainReport()
        raws = data.split(b"\n")
        if raws and raws[-1] == b"":
            raws.pop()  # the newline that ends the last whole line
        for number, raw in enumerate(raws, start=1):
            try:
                entry = json.loads(raw.decode("utf-8"))
            except (UnicodeDecodeError, ValueError):
                entry = None
            if not isinstance(entry, dict):
                report.lines.append(Line(number, raw, None, False))
                continue
            report.lines.append(Line(number, raw, entry, entry.get("hash") == entry_hash(entry)))
        return report

    def check(self, data: bytes | None = None, head: tuple[int, str] | None = None) -> ChainReport:
        """Read the log and find every place where the chain does not hold."""
        if data is None:
            data = self.path.read_bytes() if self.path.exists() else b""
            head = self.head() if head is None else head
        report = self.read(data)
        prev_seq, prev_hash = 0, GENESIS
        for line in report.lines:
            entry = line.entry
            if entry is None or not line.intact:
                what = "不是有效的 JSON 记录" if entry is None else "内容与其哈希不符"
                report.breaks.append((line.number, "corrupt", f"该行{what}（被改动或损坏）"))
                # Assume it stands for one event; its own claims are not to be trusted.
                prev_seq, prev_hash = prev_seq + 1, None
                continue
            seq = entry.get("seq")
            if not isinstance(seq, int) or seq <= prev_seq:
                report.breaks.append((line.number, "order", f"序号 {seq} 不接续上一行的 {prev_seq}（行被复制或插入）"))
            elif seq > prev_seq + 1:
                report.breaks.append((line.number, "deleted",
                                      f"序号从 {prev_seq} 跳到 {seq}：其前 {seq - prev_seq - 1} 行被删除"))
            elif prev_hash is not None and entry.get("prev") != prev_hash:
                report.breaks.append((line.number, "relinked", "与上一行的哈希链接断开（上一行被改动后重新计算了哈希）"))
            prev_seq = seq if isinstance(seq, int) else prev_seq + 1
            prev_hash = str(entry.get("hash"))
        if data and not data.endswith(b"\n"):
            report.breaks.append((len(report.lines), "torn", "最后一行不完整（写入被中断或被截断）"))
        if head is not None and head[0] > 0:
            last = report.lines[-1].entry if report.lines else None
            if not report.lines:
                report.breaks.append((0, "head", f"审计日志为空或缺失，但应有 {head[0]} 行"))
            elif last is None or last.get("seq") != head[0] or last.get("hash") != head[1]:
                report.breaks.append((len(report.lines), "head",
                                      f"日志末尾与记录的末行（序号 {head[0]}）不符：末尾的行被删除或改动"))
        return report


def crash_point(name: str) -> None:
    """Test hook: die here, as a power cut would, when $SANFANG_CRASH_AT names this point.

    The crash-safety tests use it to stop a filing between every two of its durable steps;
    a random SIGKILL alone rarely lands in the short windows that matter.
    """
    if os.environ.get("SANFANG_CRASH_AT") == name:
        os.kill(os.getpid(), signal.SIGKILL)


def changed_records(entries: Iterable[dict[str, Any]]) -> dict[str, str]:
    """档号 → record folder of the records these entries changed, in the order of each one's
    last change (an export names no 档号: it changes none)."""
    folders: dict[str, str] = {}
    for entry in entries:
        number, folder = entry.get("档号"), entry.get("record")
        if number and folder:
            folders.pop(str(number), None)
            folders[str(number)] = str(folder)
    return folders
