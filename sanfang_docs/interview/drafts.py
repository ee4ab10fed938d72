"""Drafts: an unfinished interview kept in the workspace (drafts.sqlite), so a clerk who is
interrupted — Ctrl-C, a closed terminal, a browser tab gone — resumes where they stopped.

A draft holds the answers only (a few KB of JSON, see Conversation.state()); everything else is
recomputed by replaying the interview when it is resumed. It is saved after every screen and
deleted when its document is filed.
"""

from __future__ import annotations

import json
import sqlite3
from contextlib import closing
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from ..errors import NotFoundError
from ..workspace import Workspace

SCHEMA = """
CREATE TABLE IF NOT EXISTS drafts (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  interview TEXT NOT NULL,
  doc_key TEXT NOT NULL DEFAULT '',
  from_record TEXT NOT NULL DEFAULT '',
  summary TEXT NOT NULL DEFAULT '',
  steps INTEGER NOT NULL DEFAULT 0,
  created TEXT NOT NULL,
  updated TEXT NOT NULL,
  state TEXT NOT NULL
)
"""


@dataclass
class Draft:
    id: str
    interview: str
    doc_key: str
    from_record: str
    summary: str  # what a list shows: the compound and the document, as far as known
    steps: int
    created: str
    updated: str
    state: dict[str, Any]

    def as_dict(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if k != "state"}


class Drafts:
    def __init__(self, workspace: Workspace):
        self.path = workspace.home / "drafts.sqlite"

    def _connect(self) -> sqlite3.Connection:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        db = sqlite3.connect(self.path, timeout=10)
        db.execute(SCHEMA)
        return db

    def save(self, draft_id: str | None, interview: str, doc_key: str, from_record: str, summary: str,
             steps: int, state: dict[str, Any]) -> str:
        """Write a draft (a new one when ``draft_id`` is None); returns its id."""
        now = datetime.now().isoformat(timespec="seconds")
        blob = json.dumps(state, ensure_ascii=False)
        with closing(self._connect()) as db, db:
            if draft_id is not None:
                cur = db.execute("UPDATE drafts SET doc_key=?, summary=?, steps=?, updated=?, state=? WHERE id=?",
                                 (doc_key, summary, steps, now, blob, int(draft_id)))
                if cur.rowcount:
                    return draft_id
            cur = db.execute(
                "INSERT INTO drafts (interview, doc_key, from_record, summary, steps, created, updated, state)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?)", (interview, doc_key, from_record, summary, steps, now, now, blob))
            return str(cur.lastrowid)

    def list(self) -> list[Draft]:
        if not self.path.exists():
            return []
        with closing(self._connect()) as db:
            rows = db.execute("SELECT * FROM drafts ORDER BY updated DESC, id DESC").fetchall()
        return [_draft(r) for r in rows]

    def get(self, draft_id: str) -> Draft:
        row = None
        if self.path.exists() and str(draft_id).strip().isdigit():
            with closing(self._connect()) as db:
                row = db.execute("SELECT * FROM drafts WHERE id=?", (int(draft_id),)).fetchone()
        if row is None:
            raise NotFoundError(f"没有编号为“{draft_id}”的草稿；用 sanfang drafts list 查看现有草稿")
        return _draft(row)

    def discard(self, draft_id: str) -> None:
        self.get(draft_id)  # an unknown id is an error, not a silent no-op
        with closing(self._connect()) as db, db:
            db.execute("DELETE FROM drafts WHERE id=?", (int(draft_id),))


def _draft(row: tuple[Any, ...]) -> Draft:
    id_, interview, doc_key, from_record, summary, steps, created, updated, state = row
    return Draft(str(id_), interview, doc_key, from_record, summary, steps, created, updated, json.loads(state))
