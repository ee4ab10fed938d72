"""The intake journal: every file taken from the inbox is described here before it moves, so
a process killed at any point is finished by the next one.

Taking a file: (1) write ``journal/<id>.json`` naming the source, fsynced; (2) move the file to
``work/<id>/`` — a rename on the same file system (the file is in one place at every instant),
else copy, fsync and only then delete the source; (3) process it (filing and quarantine are
idempotent by SHA-256, so redoing them changes nothing); (4) delete the work copy and the entry.
On restart an entry with no work copy is dropped (its source is still in the inbox and will be
taken again); one with a work copy is processed again.
"""

from __future__ import annotations

import errno
import os
import shutil
import uuid
from dataclasses import dataclass
from pathlib import Path

from ..archive.durable import fsync_dir
from .files import read_json, write_json


@dataclass
class Entry:
    id: str
    source: Path
    work: Path

    @property
    def name(self) -> str:
        return self.work.name


class Journal:
    def __init__(self, state: Path):
        self.dir = state / "journal"
        self.work_dir = state / "work"

    def take(self, source: Path) -> Entry:
        """Move ``source`` into the journal's care (steps 1–2 of the module docstring)."""
        entry = Entry(uuid.uuid4().hex[:16], source.resolve(), Path())
        entry.work = self.work_dir / entry.id / source.name
        write_json(self.dir / f"{entry.id}.json", {"source": str(entry.source), "name": source.name})
        entry.work.parent.mkdir(parents=True, exist_ok=True)
        try:
            os.rename(source, entry.work)
            fsync_dir(entry.work.parent)
            fsync_dir(source.parent)
        except OSError as exc:
            if exc.errno != errno.EXDEV:
                self._drop(entry)
                raise
            part = entry.work.with_name(f".{source.name}.part")
            with open(source, "rb") as src, open(part, "wb") as dst:
                shutil.copyfileobj(src, dst, 1 << 20)
                dst.flush()
                os.fsync(dst.fileno())
            os.rename(part, entry.work)
            fsync_dir(entry.work.parent)
            source.unlink()  # only now: the copy is on disk
        return entry

    def pending(self) -> list[Entry]:
        """Entries a dead process left, their work copies ready to process again."""
        out = []
        for path in sorted(self.dir.glob("*.json")) if self.dir.is_dir() else []:
            meta = read_json(path) or {}
            entry = Entry(path.stem, Path(str(meta.get("source", ""))), self.work_dir / path.stem / str(meta.get("name", "")))
            if meta.get("name") and entry.work.is_file():
                if entry.source.is_file() and _same(entry.source, entry.work):
                    entry.source.unlink()  # a copy across file systems finished; the delete did not
                out.append(entry)
            else:
                self._drop(entry)
        return out

    def done(self, entry: Entry) -> None:
        """The file is filed or quarantined (durably): forget it."""
        self._drop(entry)

    def _drop(self, entry: Entry) -> None:
        shutil.rmtree(self.work_dir / entry.id, ignore_errors=True)
        (self.dir / f"{entry.id}.json").unlink(missing_ok=True)
        if self.dir.is_dir():
            fsync_dir(self.dir)


def _same(a: Path, b: Path) -> bool:
    try:
        return a.stat().st_size == b.stat().st_size and a.read_bytes() == b.read_bytes()
    except OSError:
        return False
