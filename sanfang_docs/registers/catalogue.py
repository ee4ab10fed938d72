"""The records catalogue (``<home>/catalogue.sqlite``): a few fields of every record.json in
one SQLite table, so the home page and 待办 list a caller's records without opening every
record.json on every request.

The audit log is its change feed: every archive write (filing, a scan, a status change)
appends entries naming the 档号 and the record's folder, under the archive lock, after the
record's files are in place. ``sync()`` compares the log's head (``.audit-head``, one small
file) with the last entry it took in and reads only the lines after it; a log that does not
continue from there (restored from a backup, a repaired tail) or a catalogue of another shape
is rebuilt from the archive. So every process that writes keeps it current without a
listener, and a reader never serves a record the archive no longer has.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass
from typing import Any

from ..archive import Archive, Record
from ..archive.audit import changed_records
from .accounts import Caller

DB_NAME = "catalogue.sqlite"
VERSION = 1
# What the home page and 待办 (deadlines.py) read of a record; a record from the catalogue has
# these keys in its meta and nothing else.
FIELDS = ("档号", "题名", "文种", "责任者", "成文日期", "street", "community", "compound", "case_id",
          "interview", "doc_key", "status", "created_at")
COLUMNS = ", ".join(f'"{f}"' for f in FIELDS)


@dataclass
class Newest:
    """The home page's view of a caller's records."""

    count: int
    newest: list[Record]  # the ten filed last
    cases: dict[str, Record]  # up to eight cases, each by its newest record, newest first


class Catalogue:
    def __init__(self, archive: Archive):
        self.archive = archive
        self.path = archive.ws.home / DB_NAME

    # -- reading -----------------------------------------------------------------------------

    def records(self, caller: Caller | None = None) -> list[Record]:
        """The caller's records in filing order (as ``Archive.records``), with FIELDS only."""
        where, args = _scope(caller)
        with self._synced() as db:
            rows = db.execute(f"SELECT rel, {COLUMNS} FROM records WHERE {where} ORDER BY rel", args).fetchall()
        return [self._record(row) for row in rows]

    def newest(self, caller: Caller | None = None, count: int = 10, cases: int = 8) -> Newest:
        where, args = _scope(caller)
        with self._synced() as db:
            total = db.execute(f"SELECT count(*) FROM records WHERE {where}", args).fetchone()[0]
            query = f"SELECT rel, {COLUMNS} FROM records WHERE {where} ORDER BY created_at DESC, rel"
            newest = [self._record(r) for r in db.execute(f"{query} LIMIT ?", (*args, count))]
            found: dict[str, Record] = {}
            for row in db.execute(query.replace("WHERE", "WHERE case_id != '' AND", 1), args):
                if len(found) == cases:
                    break
                record = self._record(row)
                found.setdefault(str(record.meta["case_id"]), record)
        return Newest(total, newest, found)

    def _record(self, row: tuple[Any, ...]) -> Record:
        meta = {f: v for f, v in zip(FIELDS, row[1:], strict=True) if v is not None}
        return Record(self.archive.root / row[0], meta)

    # -- keeping it current ------------------------------------------------------------------

    @contextmanager
    def _synced(self) -> Iterator[sqlite3.Connection]:
        # Autocommit, with the one write transaction opened by hand: Python's implicit
        # transactions leave DDL (the rebuild's DROP/CREATE) outside them.
        with closing(sqlite3.connect(self.path, timeout=30, isolation_level=None)) as db:
            db.execute("PRAGMA journal_mode=WAL")
            self._sync(db)
            yield db

    def _sync(self, db: sqlite3.Connection) -> None:
        head = self.archive.audit.head() or (0, "")
        state = _state(db)
        if state is not None and (state["seq"], state["hash"]) == head:
            return  # nothing written since: the common case, one small file read
        db.execute("BEGIN IMMEDIATE")  # one writer; a reader elsewhere sees before or after, whole
        try:
            state = _state(db)  # another process may have caught up meanwhile
            if state is None or not self._catch_up(db, state, head):
                self._rebuild(db, head)
        except BaseException:
            db.execute("ROLLBACK")
            raise
        db.execute("COMMIT")

    def _catch_up(self, db: sqlite3.Connection, state: dict[str, Any], head: tuple[int, str]) -> bool:
        """Take in the log's lines after the last one seen; False if the log does not go on
        from there (then the caller rebuilds). The head may lag its last line for a moment
        (written just after it), never lead it."""
        try:
            lines = self.archive.audit.lines_after(state["offset"])
        except OSError:
            return False
        if lines is None:
            return False  # the log is shorter than what was read of it: not the same log
        seq, last, entries = state["seq"], state["hash"], []
        for line in lines:
            try:
                entry = json.loads(line)
            except ValueError:
                return False
            if not isinstance(entry, dict) or entry.get("seq") != seq + 1 or entry.get("prev") != last:
                return False
            seq, last = entry["seq"], entry["hash"]
            entries.append(entry)
        offset = state["offset"] + sum(map(len, lines))
        if seq < head[0] or (seq == head[0] and last != head[1]):
            return False  # the log's head is not where its lines lead: not the log it had read
        for number, rel in changed_records(entries).items():
            self._put(db, number, rel)
        _save_state(db, seq, last, offset)
        return True

    def _put(self, db: sqlite3.Connection, number: str, rel: str) -> None:
        try:
            meta = json.loads((self.archive.root / rel / "record.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            meta = None  # gone or damaged: not listed, as Archive.records skips it
        db.execute("DELETE FROM records WHERE \"档号\" = ?", (number,))
        if isinstance(meta, dict) and meta.get("档号") == number:
            _insert(db, rel, meta)

    def _rebuild(self, db: sqlite3.Connection, head: tuple[int, str]) -> None:
        db.execute("DROP TABLE IF EXISTS records")
        db.execute("DROP TABLE IF EXISTS state")
        db.execute(f"CREATE TABLE records (rel TEXT PRIMARY KEY, {', '.join(f'{c} TEXT' for c in COLUMNS.split(', '))})")
        db.execute("CREATE INDEX records_created ON records (created_at)")
        db.execute("CREATE INDEX records_scope ON records (street, community)")
        db.execute("CREATE TABLE state (version INTEGER, seq INTEGER, hash TEXT, offset INTEGER)")
        try:
            offset = self.archive.audit.path.stat().st_size
        except FileNotFoundError:
            offset = 0
        for record in self.archive.records():
            _insert(db, str(record.path.relative_to(self.archive.root)), record.meta)
        _save_state(db, head[0], head[1], offset)


def _insert(db: sqlite3.Connection, rel: str, meta: dict[str, Any]) -> None:
    values = [None if meta.get(f) is None else str(meta[f]) for f in FIELDS]
    db.execute(f"INSERT OR REPLACE INTO records (rel, {COLUMNS}) VALUES ({', '.join('?' * (len(FIELDS) + 1))})",
               (rel, *values))


def _state(db: sqlite3.Connection) -> dict[str, Any] | None:
    try:
        row = db.execute("SELECT version, seq, hash, offset FROM state").fetchone()
    except sqlite3.DatabaseError:
        return None
    if row is None or row[0] != VERSION:
        return None
    return {"seq": row[1], "hash": row[2], "offset": row[3]}


def _save_state(db: sqlite3.Connection, seq: int, last: str, offset: int) -> None:
    db.execute("DELETE FROM state")
    db.execute("INSERT INTO state VALUES (?, ?, ?, ?)", (VERSION, seq, last, offset))


def _scope(caller: Caller | None) -> tuple[str, tuple[str, ...]]:
    """Caller.sees as SQL (tests/test_web_catalogue.py holds the two to the same answers)."""
    if caller is None:
        return "1", ()
    level, name = caller.level
    if level == "all":
        return "1", ()
    if not name:
        return "0", ()
    if level == "community":
        return "community = ? AND coalesce(street, '') IN ('', ?)", (name, caller.street)
    if level not in ("street", "compound"):
        return "0", ()
    return f"{level} = ?", (name,)
