"""A vocabulary's upgrade to the whole dictionary, kept between processes.

``Vocabulary.upgrade`` (analyzer.py) replays every word the index knows (~10,600 at 10,000
records) into jieba over the lazily read dictionary: ``add_word`` cuts each one to suggest its
frequency (~0.25 s). A command-line search after a filing pays it to cut the new record (the
index's catch-up), and so did every such search. The replay is deterministic — the same
dictionary file, jieba version and words in the same order give the same entries — so its
result (jieba's entries and total, the dictionary pieces read, the words jieba must split) is
kept in ``$XDG_CACHE_HOME/sanfang-docs/vocabulary/`` with the words replayed, and restored in
~10 ms when they are the start of the words to replay now; only the words learnt since (a new
record's names) are replayed after it, and the result kept again. Only for the lazily read
dictionary (documents/lexicon.py), whose state is all here.
"""

from __future__ import annotations

import contextlib
import hashlib
import marshal
from pathlib import Path
from typing import Any

from .. import usercache
from ..documents.lexicon import import_jieba

_FORMAT = 2
_LINEAGE = 200  # at most this many first words (the base words, ~90, then the index's) name the file


def path_for(vocab: Any, words: list[str]) -> Path | None:
    """Where replays into ``vocab`` (freshly on the lazy dictionary) of word lists starting
    as ``words`` starts are kept; None when it is not such a start (replay as usual)."""
    lazy = vocab._lazy
    if lazy is None or vocab.jieba.FREQ or vocab._seen:
        return None
    digest = hashlib.sha256()
    for part in (str(_FORMAT), str(lazy.path), str(lazy.total), str(import_jieba().__version__)):
        digest.update(part.encode() + b"\0")
    # One file per index, whatever it learns later: named by its first words (a round number
    # of them, so that a small index growing by a word keeps its file).
    digest.update("\n".join(words[:min(_LINEAGE, len(words) // 50 * 50)]).encode())
    return usercache.folder("vocabulary") / f"{digest.hexdigest()[:32]}.marshal"


def restore(target: Path | None, vocab: Any, words: list[str]) -> list[str] | None:
    """Put the kept replay of the longest kept start of ``words`` into ``vocab`` and return
    the words still to replay after it (the index learnt them since); None if none is kept."""
    if target is None:
        return None
    try:
        done, freq, total, seen, split = marshal.loads(target.read_bytes())
    except (OSError, ValueError, EOFError, TypeError):
        return None
    if not isinstance(done, list) or words[:len(done)] != done:
        return None
    vocab.jieba.FREQ, vocab.jieba.total = freq, total
    vocab._seen = set(seen)
    for word in split:
        import_jieba().finalseg.add_force_split(word)
    return words[len(done):]


def keep(target: Path | None, vocab: Any, words: list[str]) -> None:
    """Keep what the replay of ``words`` left (called right after it)."""
    if target is None:
        return
    freq = vocab.jieba.FREQ
    split = [w for w in words if freq.get(w) == 0]  # add_word force-splits a word it gives 0
    with contextlib.suppress(ValueError):  # (a value marshal cannot hold: not kept)
        usercache.keep(target, marshal.dumps((words, freq, vocab.jieba.total, sorted(vocab._seen), split)))
