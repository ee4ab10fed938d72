"""The Whoosh index of the archive: schema, incremental updates, rebuilds, a long-lived searcher.

On disk (``indexer/`` of the workspace)::

    CURRENT            name of the live generation, replaced atomically by a rebuild
    gen-<id>/          a Whoosh index + words.txt (the names jieba must know, one a line)
                       + query-dict.marshal (jieba's dictionary cut down to the index's
                       words: a command-line search starts without the whole one)
    pending.txt        档号 of changes the index could not take when they happened
    .lock              one writer at a time, across processes (flock)

A rebuild writes a new generation beside the live one and switches ``CURRENT`` only when it
is complete, so searches never see half an index; changes filed meanwhile are caught up
before the switch. The archive stays the source of truth: nothing here is needed to rebuild.
"""

from __future__ import annotations

import contextlib
import json
import logging
import marshal
import os
import shutil
import threading
import time
import uuid
from collections.abc import Iterable, Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import Any

from whoosh import index as windex
from whoosh.searching import Searcher

from ..archive.locks import exclusive
from ..archive.store import Archive, Record
from ..errors import NotFoundError, SearchIndexError
from .analyzer import Vocabulary, register, registered
from .damage import damaged_index, readable_records, skip, usable
from .documents import SCHEMA_VERSION, make_schema, record_document, record_names
from .engine import Engine, PostingCache
from .scoring import FastBM25F

log = logging.getLogger(__name__)

LOCK_TIMEOUT_S = 120.0
QUERY_DICT = "query-dict.marshal"




class SearchIndex:
    """The index of one workspace. Thread-safe for searching; writes are serialised by flock."""

    def __init__(self, index_dir: Path, archive: Archive):
        self.root = Path(index_dir)
        self.archive = archive
        self.archive_root = archive.root
        self._state_lock = threading.RLock()
        self._searcher: Searcher | None = None
        self._searcher_gen: str = ""
        self._words_read: dict[str, int] = {}
        self.cache: dict[Any, Any] = {}  # per-searcher caches (the engine, name lists)
        self.postings = PostingCache()  # decoded posting lists, per segment: survive refreshes
        self.skipped: dict[str, str] = {}  # damaged records the last writes left out, and why

    # -- generations -------------------------------------------------------------------------

    def current(self) -> str | None:
        """The live generation; None if there is none, or if it was built with another
        schema (then it is rebuilt from the archive like a missing one)."""
        name = self._named()
        if not name:
            return None
        try:
            version = json.loads((self.root / name / "version.json").read_text()).get("schema")
        except (OSError, ValueError):
            return None
        return name if version == SCHEMA_VERSION else None

    def _named(self) -> str | None:
        try:
            name = (self.root / "CURRENT").read_text().strip()
        except FileNotFoundError:
            return None
        return name if name and (self.root / name).is_dir() else None

    def exists(self) -> bool:
        return self.current() is not None

    def _gen_dir(self, gen: str) -> Path:
        return self.root / gen

    def vocabulary(self, gen: str) -> Vocabulary:
        """The generation's vocabulary, loaded once per process and kept up to date with
        words.txt (another process may have added names)."""
        vocab = registered(gen)
        if vocab is None:
            vocab, self._words_read[gen] = self._load_vocabulary(gen)
            register(gen, vocab)
        words_file = self._gen_dir(gen) / "words.txt"
        done = self._words_read.get(gen, 0)
        try:
            size = words_file.stat().st_size
        except FileNotFoundError:
            size = 0
        if size > done:
            with open(words_file, "rb") as fh:
                fh.seek(done)
                chunk = fh.read()
            complete = chunk[:chunk.rfind(b"\n") + 1]  # a half-written line waits for next time
            vocab.add(complete.decode("utf-8").split())
            self._words_read[gen] = done + len(complete)
        return vocab

    def _load_vocabulary(self, gen: str) -> tuple[Vocabulary, int]:
        """The query dictionary saved with the generation if there is one (fast), else the
        whole jieba dictionary; and how much of words.txt it already knows."""
        try:
            data = marshal.loads((self._gen_dir(gen) / QUERY_DICT).read_bytes())
            return Vocabulary(cached=data), int(data["offset"])
        except (OSError, ValueError, EOFError, TypeError, KeyError):  # none yet, or damaged
            return Vocabulary(), 0

    def _save_query_dict(self, gen: str) -> None:
        """Write the generation's query dictionary (caller holds the write lock or owns the
        generation): the index's words now, and words.txt as far as it was read."""
        vocab = self.vocabulary(gen)
        ix = windex.open_dir(str(self._gen_dir(gen)))
        with ix.reader() as reader:
            terms = [t.decode("utf-8") if isinstance(t, bytes) else str(t) for t in reader.lexicon("content")]
            docs = reader.doc_count_all()
        data = vocab.query_dict(terms)
        data["offset"], data["docs"] = self._words_read.get(gen, 0), docs
        path = self._gen_dir(gen) / QUERY_DICT
        tmp = path.with_suffix(f".{os.getpid()}")
        tmp.write_bytes(marshal.dumps(data))
        os.replace(tmp, path)
        (self._gen_dir(gen) / "query-dict.docs").write_text(str(docs))

    def _query_dict_stale(self, gen: str) -> bool:
        """Documents filed since the query dictionary was saved may bring words it lacks: it
        is saved again once they are a tenth of the index (and at every rebuild)."""
        try:
            saved = int((self._gen_dir(gen) / "query-dict.docs").read_text())
        except (OSError, ValueError):
            return True
        ix = windex.open_dir(str(self._gen_dir(gen)))
        return ix.doc_count_all() - saved > max(50, saved // 10)

    def _learn(self, gen: str, names: Iterable[str]) -> None:
        """Add names to the vocabulary and to words.txt (caller holds the write lock)."""
        vocab = self.vocabulary(gen)
        new = vocab.add(names)
        if new:
            words_file = self._gen_dir(gen) / "words.txt"
            with open(words_file, "a", encoding="utf-8") as fh:
                fh.write("".join(w + "\n" for w in new))
            self._words_read[gen] = words_file.stat().st_size

    def _create_generation(self) -> str:
        gen = f"gen-{uuid.uuid4().hex[:12]}"
        path = self._gen_dir(gen)
        path.mkdir(parents=True)
        (path / "words.txt").touch()
        (path / "version.json").write_text(json.dumps({"schema": SCHEMA_VERSION}))
        register(gen, Vocabulary())
        self._words_read[gen] = 0
        windex.create_in(str(path), make_schema(gen))
        return gen

    def _switch(self, gen: str, old: str | None) -> None:
        """Make ``gen`` live (caller holds the write lock) and delete the one it replaces."""
        tmp = self.root / f"CURRENT.{os.getpid()}"
        tmp.write_text(gen + "\n")
        os.replace(tmp, self.root / "CURRENT")
        # Only the replaced generation goes: another rebuild may be writing its own beside it.
        # Searchers still reading it keep their open files (POSIX); theirs reopen on the next
        # query. Generations left by a crashed rebuild go once they are a day old.
        if old and old != gen:
            shutil.rmtree(self._gen_dir(old), ignore_errors=True)
        for stale in self.root.glob("gen-*"):
            if stale.name != gen and time.time() - stale.stat().st_mtime > 86400:
                shutil.rmtree(stale, ignore_errors=True)

    @contextmanager
    def write_lock(self, timeout: float = LOCK_TIMEOUT_S) -> Iterator[None]:
        try:
            with exclusive(self.root / ".lock", timeout):
                yield
        except TimeoutError:
            raise SearchIndexError("检索索引正被其他进程写入，等待超时；请稍后再试") from None

    # -- writing -----------------------------------------------------------------------------

    def update(self, records: Iterable[Record], timeout: float = LOCK_TIMEOUT_S) -> int:
        """Add or replace records (by 档号) in the live index, and any queued earlier."""
        records = list(records)
        with self.write_lock(timeout):
            gen = self.current()
            if gen is None:
                # The first index of this workspace (under the lock: two processes filing at
                # once must not both create one). The archive may hold records filed before
                # search existed: all of them go in.
                gen = self._create_generation()
                everything = list(self.records())
                self._write(gen, everything)
                self._save_query_dict(gen)
                self._switch(gen, self._named())
                return len(everything)
            queued = self.pending()
            late = [r for r in (self._load(no) for no in queued) if r is not None]
            n = self._write(gen, records + late)
            if queued:
                self._unqueue(len(queued))
            if n and self._query_dict_stale(gen):
                self._save_query_dict(gen)
        return n

    def _write(self, gen: str, records: list[Record]) -> int:
        if not records:
            return 0
        self._learn(gen, (n for r in records for n in record_names(r)))
        vocab = self.vocabulary(gen)
        ix = windex.open_dir(str(self._gen_dir(gen)))
        writer = ix.writer(timeout=LOCK_TIMEOUT_S)
        try:
            for record in records:
                writer.update_document(**record_document(record, self.archive_root, vocab))
        except BaseException:
            writer.cancel()
            raise
        try:
            writer.commit()
        except BaseException:
            # A failed commit keeps Whoosh's write lock: let it go, or every later update waits
            # out LOCK_TIMEOUT_S. The change stays queued (api._index_change) and is retried.
            lock = getattr(writer, "writelock", None)
            if lock is not None:
                with contextlib.suppress(Exception):
                    lock.release()
            raise
        return len(records)

    def rebuild(self, batch_mb: int = 128) -> int:
        """A new generation from the archive alone, switched in when complete. Damaged records
        are left out (:attr:`skipped`); a directory that cannot be written is a clean error."""
        self.skipped = {}
        try:
            return self._rebuild(batch_mb)
        except OSError as exc:
            raise SearchIndexError(f"无法写入检索索引目录 {self.root}（{exc.strerror or exc}）；"
                                   "请检查该目录的权限和磁盘空间后重新运行 `sanfang reindex`") from exc

    def _rebuild(self, batch_mb: int) -> int:
        started = time.time()
        self.root.mkdir(parents=True, exist_ok=True)
        gen = self._create_generation()
        try:
            # Every name first (a pass over the archive), so the first record is cut with
            # the same words as the last. The new generation is private: no lock needed yet.
            self._learn(gen, (n for r in self.records() for n in record_names(r)))
            vocab = self.vocabulary(gen)
            ix = windex.open_dir(str(self._gen_dir(gen)))
            writer = ix.writer(limitmb=batch_mb)
            seen: set[str] = set()
            for record in self.records():
                writer.add_document(**record_document(record, self.archive_root, vocab))
                seen.add(record.archive_no)
            writer.commit(optimize=True)
            with self.write_lock():
                # Catch up on records filed or changed while the rebuild ran. Queued
                # (pending) changes stay queued: replaying them later is harmless.
                late = [r for r in self.records()
                        if r.archive_no not in seen or _changed_since(r, started)]
                self._write(gen, late)
                self._save_query_dict(gen)
                self._switch(gen, self._named())
        except BaseException:
            shutil.rmtree(self._gen_dir(gen), ignore_errors=True)
            raise
        return len(seen) + len([r for r in late if r.archive_no not in seen])

    def _load(self, archive_no: str) -> Record | None:
        try:
            record = self.archive.get(archive_no)
        except NotFoundError:
            return None
        except (OSError, ValueError) as exc:  # damaged since it was queued
            skip(self.skipped, archive_no, exc)
            return None
        if not usable(record.meta):
            skip(self.skipped, archive_no, "record.json 不是一条记录")
            return None
        return record

    def records(self) -> Iterator[Record]:
        """The archive's records as the index takes them: damaged ones are skipped with a
        warning and listed in :attr:`skipped` (damage.py)."""
        return readable_records(self.archive.root, self.skipped)

    # -- failures: a change the index could not take is queued, never lost -------------------

    def queue(self, archive_no: str) -> None:
        with self._pending_file():
            with open(self.root / "pending.txt", "a", encoding="utf-8") as fh:
                fh.write(archive_no + "\n")

    def pending(self) -> list[str]:
        return _lines(self.root / "pending.txt")

    def _unqueue(self, done: int) -> None:
        """Drop the first ``done`` entries: those queued meanwhile stay."""
        with self._pending_file():
            rest = self.pending()[done:]
            path = self.root / "pending.txt"
            if rest:
                tmp = path.with_suffix(f".{os.getpid()}")
                tmp.write_text("".join(n + "\n" for n in rest), encoding="utf-8")
                os.replace(tmp, path)
            else:
                path.unlink(missing_ok=True)

    def _pending_file(self) -> AbstractContextManager[None]:
        # Its own lock: queueing happens when the index lock could not be had.
        return exclusive(self.root / ".pending.lock")

    # -- reading -----------------------------------------------------------------------------

    def searcher(self) -> Searcher:
        """The long-lived searcher, refreshed when the index changed (a cheap listdir)."""
        with self._state_lock:
            gen = self.current()
            if gen is None:
                raise SearchIndexError("还没有检索索引：请先运行 `sanfang reindex`")
            s = self._searcher
            if s is not None and self._searcher_gen == gen and s.up_to_date():
                return s
            # Opened afresh, not Searcher.refresh(): whoosh-reloaded's refresh reuses a
            # segment's reader with the deletions it had, so a replaced document (a status
            # change) would still be found. Decoded postings are kept per segment anyway.
            if s is not None:
                s.close()
            with damaged_index(opening=True):
                fresh = windex.open_dir(str(self._gen_dir(gen))).searcher(weighting=FastBM25F())
                vocab = self.vocabulary(gen)  # names another process added since
                vocab.parts = frozenset(t.decode("utf-8") for t in fresh.lexicon("nameparts"))
            self._searcher, self._searcher_gen = fresh, gen
            self.cache = {}
            return fresh

    def engine(self) -> Engine:
        """The query evaluator of the current searcher (engine.py)."""
        searcher = self.searcher()
        with self._state_lock:
            found = self.cache.get("engine")
            if found is None or found.searcher is not searcher:
                found = self.cache["engine"] = Engine(searcher, self.postings)
            return found

    def warm(self, top: int = 300) -> int:
        """What a long-running process (the web app) does once at start: load jieba and this
        index's words, open the searcher, and decode the most frequent words' postings."""
        gen = self.current()
        if gen is None:
            return 0
        self.vocabulary(gen).cut("预热")
        return self.engine().warm(top=top)

    def close(self) -> None:
        with self._state_lock:
            if self._searcher is not None:
                self._searcher.close()
            self._searcher, self.cache = None, {}

    def doc_count(self) -> int:
        return int(self.searcher().doc_count())

    def size_bytes(self) -> int:
        gen = self.current()
        return sum(p.stat().st_size for p in self._gen_dir(gen).iterdir()) if gen else 0


def _lines(path: Path) -> list[str]:
    try:
        return [ln.strip() for ln in path.read_text(encoding="utf-8").splitlines() if ln.strip()]
    except FileNotFoundError:
        return []


def _changed_since(record: Record, t: float) -> bool:
    try:
        newest = max(p.stat().st_mtime for p in [record.file("record.json"), *record.path.glob("scans/*.txt")])
    except (OSError, ValueError):
        return True
    return newest >= t - 1.0
