"""发文字号 (GB/T 9704-2012 7.2.4: 机关代字〔年份〕序号): the register of every number taken.

A 公文 that takes a number (style ``letter`` and a 文种 in the ``doc_numbers.kinds`` setting)
gets the next number of its issuer and year when it is filed, under the archive's lock. The
register, ``archive/.doc-numbers.jsonl``, is written under the lock and made durable (after
the lock, :meth:`DocNumbers.sync`) before the document is rendered, so a number is never
handed out twice: a filing that fails after taking its number leaves the number as a
recorded gap with the reason, and a process that died half-way is settled by the next one
(the record made it into place: used; it did not: a gap). Numbers are gapless per issuer and
year in the sense an auditor needs: every 序号 from 1 to the last is in the register, used by
one record or marked as a gap with its reason.

A number an office already assigned by hand (answers key ``doc_no``) is checked and registered
instead; numbers it skips are recorded as gaps (used outside the system).

The 机关代字 of an issuing organisation comes from :func:`issuer_code` (the ``doc_numbers.codes``
setting, else a rule from the organisation's full name); the organisation registry can replace
it by giving :class:`DocNumbers` another ``code_of``. May import: ``errors``, ``workspace``
(and the archive's own durable.py).
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ..errors import Problem, ValidationError
from ..workspace import Workspace
from .durable import sync_file

REGISTER = ".doc-numbers.jsonl"
FIELD, KEY = "发文字号", "doc_no"
TAKEN, USED, GAP = "taken", "used", "gap"
# 〔〕 are the standard's brackets; offices also type [], ［］, （） or 【】.
_NUMBER = re.compile(r"^\s*(?P<code>\S+?)\s*[〔\[［（(【](?P<year>\d{4})[〕\]］）)】]\s*(?P<seq>\d+)\s*号\s*$")


def format_doc_no(code: str, year: int, seq: int) -> str:
    """机关代字〔年份〕序号: the year in full, the 序号 without leading zeros (7.2.4)."""
    return f"{code}〔{year}〕{seq}号"


def parse_doc_no(text: str) -> tuple[str, int, int] | None:
    m = _NUMBER.match(text or "")
    return (m.group("code"), int(m.group("year")), int(m.group("seq"))) if m else None


# Full names of the bodies in the manual → their usual 代字: 中共纸坊街道工作委员会 → 纸工委,
# 中共文化路社区委员会 → 文化路社区党委, 藏龙御景小区党支部筹备组 → 藏龙御景小区筹备组.
_RULES: tuple[tuple[re.Pattern[str], Callable[[re.Match[str]], str]], ...] = (
    (re.compile(r"^中共(.+?)街道工作委员会$"), lambda m: m.group(1)[0] + "工委"),
    (re.compile(r"^(.+?)街道党工委$"), lambda m: m.group(1)[0] + "工委"),
    (re.compile(r"^中共(.+?)委员会$"), lambda m: m.group(1) + "党委"),
    (re.compile(r"^(.+?)党支部筹备组$"), lambda m: m.group(1) + "筹备组"),
    (re.compile(r"^(.+?)小区业主委员会$"), lambda m: m.group(1) + "业委会"),
    (re.compile(r"^(.+?)小区物业管理委员会$"), lambda m: m.group(1) + "物管会"),
)


def issuer_code(workspace: Workspace, issuer: str) -> str:
    """The 机关代字 of the issuing organisation named ``issuer`` (its 署名)."""
    name = issuer.split("\n")[0].strip()
    codes = (workspace.setting("doc_numbers") or {}).get("codes") or {}
    if codes.get(name):
        return str(codes[name])
    for pattern, make in _RULES:
        m = pattern.match(name)
        if m:
            return make(m)
    return name


@dataclass
class Entry:
    code: str
    year: int
    seq: int
    event: str
    archive_no: str = ""
    reason: str = ""

    @property
    def doc_no(self) -> str:
        return format_doc_no(self.code, self.year, self.seq)

    def as_json(self) -> dict[str, Any]:
        return {"发文字号": self.doc_no, "代字": self.code, "年度": self.year, "序号": self.seq,
                "event": self.event, "档号": self.archive_no, "reason": self.reason,
                "at": datetime.now(UTC).isoformat(timespec="seconds")}


def _parse(data: bytes) -> list[Entry]:
    out = []
    for line in data.decode("utf-8", errors="replace").splitlines():
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except ValueError:  # a torn last line from a crash: that append never happened
            continue
        out.append(Entry(row["代字"], int(row["年度"]), int(row["序号"]), row["event"],
                         row.get("档号", ""), row.get("reason", "")))
    return out


class DocNumbers:
    """The register. Every method except the readers expects the caller to hold the archive lock."""

    def __init__(self, workspace: Workspace, root: Path, code_of: Callable[[str], str] | None = None):
        self.ws = workspace
        self.path = root / REGISTER
        self.code_of = code_of or (lambda issuer: issuer_code(workspace, issuer))
        # What state() read last: the file's (device, inode), the bytes of whole lines, the state.
        self._read: tuple[tuple[int, int], int, dict[tuple[str, int, int], Entry]] = ((0, 0), 0, {})

    # -- reading -------------------------------------------------------------------------------

    def entries(self) -> list[Entry]:
        if not self.path.exists():
            return []
        return _parse(self.path.read_bytes())

    def state(self) -> dict[tuple[str, int, int], Entry]:
        """The latest entry of every number (taken → used / gap). The register only grows
        (appends under the lock): what was read before is kept with the file's identity and
        length, and only the lines appended since are read (a filing read the whole register,
        ~4 ms at 600 records, under the archive lock). A file replaced or shortened is read whole."""
        try:
            with open(self.path, "rb") as f:
                st = os.fstat(f.fileno())
                ident, (seen_ident, offset, latest) = (st.st_dev, st.st_ino), self._read
                if ident != seen_ident or st.st_size < offset:
                    offset, latest = 0, {}
                f.seek(offset)
                tail = f.read()
        except FileNotFoundError:
            self._read = ((0, 0), 0, {})
            return {}
        whole = tail.rfind(b"\n") + 1  # the lines ended so far; an unended last line is read, not kept
        latest = dict(latest)
        for e in _parse(tail[:whole]):
            latest[(e.code, e.year, e.seq)] = e
        self._read = (ident, offset + whole, dict(latest))
        for e in _parse(tail[whole:]):
            latest[(e.code, e.year, e.seq)] = e
        return latest

    # -- assigning -------------------------------------------------------------------------------

    def takes_number(self, style: str, kind: str) -> bool:
        kinds = (self.ws.setting("doc_numbers") or {}).get("kinds") or []
        return style == "letter" and kind in kinds

    def assign(self, issuer: str, year: int, manual: str = "", sync: bool = True,
               state: dict[tuple[str, int, int], Entry] | None = None) -> Entry:
        """Take the next number of ``issuer`` in ``year`` (or register ``manual``); written
        before anything else happens, so the number is never handed out again. With
        ``sync=False`` the caller calls :meth:`sync` (after letting go of the lock) before
        the number is printed anywhere. ``state``: the register as :meth:`settle` just read it."""
        state = self.state() if state is None else state
        if manual:
            entry = self._manual(manual, state, sync)
        else:
            code = self.code_of(issuer)
            last = max((s for (c, y, s) in state if c == code and y == year), default=0)
            entry = Entry(code, year, last + 1, TAKEN)
        self._append([entry], sync=sync)
        return entry

    def sync(self) -> None:
        """The register's lines on disk before anything the number is printed in can be
        (every line written so far, by any process; durable.sync_file: on ext4/XFS the data
        waited for, committed by the record's own barrier; elsewhere an fsync)."""
        sync_file(self.path)

    def _manual(self, text: str, state: dict[tuple[str, int, int], Entry], sync: bool = True) -> Entry:
        parsed = parse_doc_no(text)
        if parsed is None:
            raise ValidationError([Problem(field=FIELD, key=KEY, rule="format", message=(
                f"“{text}”不是发文字号：应为 机关代字〔年份〕序号，如 文化路社区党委〔2026〕3号"))])
        code, year, seq = parsed
        known = state.get((code, year, seq))
        if known is not None:
            used = f"已由档号 {known.archive_no} 使用" if known.event == USED else (
                "已作为空号登记" if known.event == GAP else "正被另一份文件占用")
            raise ValidationError([Problem(field=FIELD, key=KEY, rule="unique", message=(
                f"{format_doc_no(code, year, seq)} {used}，发文字号不能重复"))])
        last = max((s for (c, y, s) in state if c == code and y == year), default=0)
        skipped = [Entry(code, year, n, GAP, reason=f"手工编号 {format_doc_no(code, year, seq)} 跳过（在系统外使用）")
                   for n in range(last + 1, seq)]
        self._append(skipped, sync=sync)
        return Entry(code, year, seq, TAKEN, reason="手工录入")

    def used(self, entry: Entry, archive_no: str) -> None:
        # No barrier of its own: lost in a power cut, settle() finds the record and writes it again.
        self._append([Entry(entry.code, entry.year, entry.seq, USED, archive_no, entry.reason)], sync=False)

    def gap(self, entry: Entry, reason: str) -> None:
        self._append([Entry(entry.code, entry.year, entry.seq, GAP, reason=reason)])

    def settle(self, filed: Callable[[], Iterable[tuple[str, str]]],
               live: Iterable[str] = ()) -> dict[tuple[str, int, int], Entry]:
        """Close numbers a dead process left taken: ``filed`` gives (发文字号, 档号) of records;
        ``live`` are numbers filers still at work hold (archive/reservations.py). Returns the
        register's state after it (read once: the caller holds the lock)."""
        busy = set(live)
        state = self.state()
        open_ = [e for e in state.values() if e.event == TAKEN and e.doc_no not in busy]
        if not open_:
            return state
        on_disk = dict(filed())
        for e in open_:
            if e.doc_no in on_disk:
                self.used(e, on_disk[e.doc_no])
            else:
                self.gap(e, "归档未完成（进程中断），此号作废")
        return self.state()

    def _append(self, entries: list[Entry], sync: bool = True) -> None:
        if not entries:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        data = "".join(json.dumps(e.as_json(), ensure_ascii=False) + "\n" for e in entries)
        fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
        try:
            os.write(fd, data.encode("utf-8"))
            if sync:
                os.fsync(fd)
        finally:
            os.close(fd)
