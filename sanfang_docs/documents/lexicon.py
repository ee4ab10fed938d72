"""jieba's dictionary read a few words at a time, for a process that cuts a few short texts.

Loading jieba's whole dictionary (500,000 entries) takes ~0.6 s, the largest single cost of a
command that files one document (its title's word breaks). A cut only ever looks up pieces of
the text it cuts (jieba's DAG walks the text's substrings, at most 16 characters: the longest
word), so a tokenizer whose ``FREQ`` holds those pieces, with the whole dictionary's total,
cuts exactly as the full one — provided the pieces are there before each cut or ``add_word``
(:meth:`LazyDictionary.ensure`). The entries live in an SQLite file built once per jieba
dictionary in the user's cache (~2 s; ``~/.cache/sanfang-docs/``); if it cannot be built the
tokenizer loads the whole dictionary as before.
"""

from __future__ import annotations

import logging
import os
import sqlite3
import sys
import threading
from pathlib import Path
from typing import Any

from ..usercache import folder

MAX_WORD = 16  # jieba's longest dictionary word, in characters
_BATCH = 900  # SQLite host parameters per query (older builds allow 999)
_lock = threading.Lock()

log = logging.getLogger(__name__)


def import_jieba() -> Any:
    """jieba, without the pkg_resources it imports only to find its own data files (80 ms);
    it falls back to a path beside its module, which is where they are."""
    if "jieba" in sys.modules:
        return sys.modules["jieba"]
    had = "pkg_resources" in sys.modules
    if not had:
        sys.modules["pkg_resources"] = None  # type: ignore[assignment]  # import fails: fallback
    try:
        import jieba as module
    finally:
        if not had:
            del sys.modules["pkg_resources"]
    logging.getLogger("jieba").setLevel(logging.WARNING)  # its start-up chatter is not for clerks
    return module


def _dict_file(jieba: Any) -> Path:
    return Path(jieba.__file__).resolve().parent / jieba.DEFAULT_DICT_NAME


def _cache_file(source: Path) -> Path:
    st = source.stat()
    return folder() / f"jieba-{st.st_size}-{int(st.st_mtime)}.sqlite"


def _build(source: Path, target: Path, jieba: Any) -> None:
    tok = jieba.Tokenizer()
    tok.initialize()
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_suffix(f".{os.getpid()}.tmp")
    tmp.unlink(missing_ok=True)
    db = sqlite3.connect(tmp)
    try:
        db.execute("CREATE TABLE freq (word TEXT PRIMARY KEY, n INTEGER NOT NULL) WITHOUT ROWID")
        db.execute("CREATE TABLE meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL)")
        db.executemany("INSERT INTO freq VALUES (?, ?)", tok.FREQ.items())
        db.execute("INSERT INTO meta VALUES ('total', ?)", (tok.total,))
        db.commit()
    finally:
        db.close()
    os.replace(tmp, target)


class LazyDictionary:
    """The entries of jieba's dictionary that the texts given to :meth:`ensure` contain."""

    def __init__(self, path: Path):
        self.path = path
        self.db = sqlite3.connect(f"file:{path}?mode=ro", uri=True, check_same_thread=False)
        self.total = int(self.db.execute("SELECT value FROM meta WHERE key = 'total'").fetchone()[0])
        self._lock = threading.Lock()  # one connection, shared by the threads of a process

    def ensure(self, freq: dict[str, int], seen: set[str], *texts: str) -> None:
        """Put into ``freq`` every dictionary entry that is a piece of one of ``texts`` and
        not in ``seen`` (the pieces looked up before; entries already in ``freq``, such as
        words added since, are kept as they are). Many texts at once: fewer queries."""
        pieces = set().union(*map(_pieces, texts))
        # Under the lock from the check to the update: another thread must not take a piece
        # for looked up (in ``seen``) before its entry is in ``freq``.
        with self._lock:
            wanted = [p for p in pieces if p not in seen]
            for i in range(0, len(wanted), _BATCH):
                chunk = wanted[i:i + _BATCH]
                marks = ",".join("?" * len(chunk))
                for word, n in self.db.execute(f"SELECT word, n FROM freq WHERE word IN ({marks})", chunk):
                    freq.setdefault(word, n)
            seen.update(wanted)


def _pieces(text: str) -> set[str]:
    n = len(text)
    return {text[i:j] for i in range(n) for j in range(i + 1, min(n, i + MAX_WORD) + 1)}


_opened: dict[Path, LazyDictionary | None] = {}


def lazy_dictionary() -> LazyDictionary | None:
    """The on-disk dictionary (built on first use, opened once per process), or None where
    it cannot be had."""
    with _lock:
        jieba = import_jieba()
        try:
            path = _cache_file(_dict_file(jieba))
        except OSError as exc:
            log.info("jieba 词典缓存不可用（%s）：载入完整词典", exc)
            return None
        if path not in _opened:
            try:
                if not path.exists():
                    _build(_dict_file(jieba), path, jieba)
                _opened[path] = LazyDictionary(path)
            except (OSError, sqlite3.Error) as exc:  # not tried again in this process
                log.info("jieba 词典缓存不可用（%s）：载入完整词典", exc)
                _opened[path] = None
        return _opened[path]


class LazyTokenizer:
    """A jieba tokenizer over :class:`LazyDictionary`: cuts and adds words as the full one."""

    def __init__(self, lexicon: LazyDictionary):
        jieba = import_jieba()
        self.lexicon = lexicon
        self.tok = jieba.Tokenizer()
        self.tok.FREQ, self.tok.total = {}, lexicon.total
        self.tok.initialized = True  # or jieba would load its own dictionary
        self.seen: set[str] = set()

    def add_word(self, word: str, freq: int | None = None) -> None:
        self.lexicon.ensure(self.tok.FREQ, self.seen, word)
        self.tok.add_word(word, freq=freq)

    def cut(self, text: str, HMM: bool = True) -> Any:  # noqa: N803 - jieba's own name
        self.lexicon.ensure(self.tok.FREQ, self.seen, text)
        return self.tok.cut(text, HMM=HMM)


def tokenizer() -> Any:
    """A tokenizer with jieba's dictionary: the lazy one when its cache can be had, else
    jieba's own, loaded whole."""
    lexicon = lazy_dictionary()
    if lexicon is not None:
        return LazyTokenizer(lexicon)
    tok = import_jieba().Tokenizer()
    tok.initialize()
    return tok
