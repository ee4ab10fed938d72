"""The Chinese analyzer: jieba words, with the names the archive knows as words of their own.

Index and query are cut differently, on purpose:

* **index** — the precise cut, plus every dictionary word found inside a longer word at the
  same position (what jieba's search mode does, but complete and position-aware). So
  ``物业管理委员会`` is indexed as itself and as 物业 / 管理 / 委员会 / 物业管理 …, and a
  clerk's ``物业`` finds it.
* **query** — the precise cut only, so ``物业管理委员会`` stays one term instead of five
  AND-ed fragments (the slow and noisy part of the stock ``ChineseAnalyzer``).

Whoosh pickles the schema, analyzers included, into the index; a jieba dictionary must not go
with it. The analyzer therefore pickles only a vocabulary id, and finds the live
:class:`Vocabulary` in a per-process registry that :mod:`.index` fills when it opens an index.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Callable, Iterable, Iterator
from importlib import resources
from typing import Any

from whoosh.analysis import Composable, Token

from ..documents.lexicon import LazyDictionary, import_jieba, lazy_dictionary
from . import replayed
from .similar import closest

jieba = import_jieba()

# Function words: in nearly every document, they would only cost time in posting lists.
STOPWORDS = frozenset("的 了 和 与 及 或 在 为 是 于 对 等 之 将 把 被 并 其 以 而 且 就 都 也 又 这 那 个 着 有 由 向 从".split())

# A token is kept only if it holds a letter, a digit or a CJK character (drops punctuation).
_WORDLIKE = re.compile(r"[0-9A-Za-z\u3400-\u9fff]")
# jieba cuts each run of these characters on its own (its re_han_default), so a run is the
# unit that can be cut once and cached: the same runs recur across template documents.
_BLOCK = re.compile(r"[\u4E00-\u9FD5a-zA-Z0-9+#&._%\-]+")

MAX_NAME_CHARS = 12  # longer typed text is no name: not looked up among the names
MAX_CANDIDATES = 2000  # names compared with what was typed (those sharing most characters)

_BASE_LOCK = threading.Lock()
_BASE: Any = None  # jieba.Tokenizer
_REGISTRY: dict[str, Vocabulary] = {}


def _base_tokenizer() -> Any:
    """jieba's dictionary, loaded once per process (0.6 s) and copied for each vocabulary."""
    global _BASE
    with _BASE_LOCK:
        if _BASE is None:
            tok = jieba.Tokenizer()
            tok.initialize()
            _BASE = tok
        return _BASE


def synonyms() -> dict[str, list[str]]:
    """Abbreviation → full forms (物管会 → 物业管理委员会), both ways, from synonyms.txt."""
    table: dict[str, list[str]] = {}
    text = resources.files(__package__).joinpath("synonyms.txt").read_text(encoding="utf-8")
    for line in text.splitlines():
        words = line.split("#", 1)[0].split()
        for w in words:
            table.setdefault(w, [])
            table[w].extend(x for x in words if x != w and x not in table[w])
    return table


def families() -> dict[str, list[str]]:
    """Interview or doc_key → the manual's names for that family of documents (families.txt)."""
    table: dict[str, list[str]] = {}
    text = resources.files(__package__).joinpath("families.txt").read_text(encoding="utf-8")
    for line in text.splitlines():
        key, _, names = line.split("#", 1)[0].partition(":")
        if key.strip() and names.split():
            table.setdefault(key.strip(), []).extend(names.split())
    return table


def family_names() -> frozenset[str]:
    return frozenset(n.lower() for names in families().values() for n in names)


def base_words() -> list[str]:
    """Words every vocabulary knows: the governance terms of synonyms.txt and the family
    names of families.txt (one word each, however jieba would cut them)."""
    return sorted(set(synonyms()) | {n for names in families().values() for n in names})


class Vocabulary:
    """A jieba segmenter that knows the archive's names; one per index.

    Full, it holds jieba's whole dictionary (0.5 s to load, the cost of a command-line search
    before any query ran). For queries alone it can start from :meth:`query_dict`, saved
    with the index: the dictionary cut down to the words the index holds (a query word the
    index lacks finds nothing, whichever way it is cut), their prefixes, and the names. It
    becomes full the first time it must cut a document (:meth:`upgrade`)."""

    def __init__(self, words: Iterable[str] = (), cached: dict[str, Any] | None = None):
        self.jieba = jieba.Tokenizer()
        self.words: set[str] = set()
        self.order: list[str] = []  # words added after the base ones, in order (upgrade replays)
        self.parts: frozenset[str] = frozenset()  # the index's name parts (set by index.py)
        self._cache: dict[tuple[str, bool], list[tuple[str, int]]] = {}
        self._lock = threading.RLock()
        self._chars: dict[str, set[str]] | None = None
        self._chars_for = -1
        self._base_re: re.Pattern[str] | None = None
        self._lazy: LazyDictionary | None = None  # whole, but read piece by piece (upgrade)
        self._seen: set[str] = set()
        if cached is None:
            self._load_full()
            self.base = frozenset(self.add(base_words()))
            self.order = []
        else:
            self.full = False
            self.jieba.FREQ, self.jieba.total = cached["freq"], cached["total"]
            self.jieba.initialized = True
            self.base = frozenset(cached["base"])
            self.words = set(cached["base"]) | set(cached["words"])
            self.order = list(cached["words"])
            self._base_order = list(cached["base"])
        self._base_re = re.compile("|".join(map(re.escape, sorted(self.base, key=len, reverse=True))))
        self.add(words)

    def _load_full(self, lazy: bool = False) -> None:
        # Copying the loaded dictionary (~20 ms) instead of loading it again (~600 ms): marked
        # initialised first, or jieba's add_word would load its own. Lazy: the same entries,
        # read from disk as the texts cut need them (documents/lexicon.py).
        lexicon = lazy_dictionary() if lazy else None
        if lexicon is not None:
            self.jieba.FREQ, self.jieba.total = {}, lexicon.total
            self._lazy, self._seen = lexicon, set()
        else:
            base = _base_tokenizer()
            self.jieba.FREQ, self.jieba.total = dict(base.FREQ), base.total
            self._lazy = None
        self.jieba.initialized = True
        self.full = True

    def _ensure(self, *texts: str) -> None:
        """The dictionary's entries for the pieces of ``texts``, before jieba looks for them."""
        if self._lazy is not None:
            self._lazy.ensure(self.jieba.FREQ, self._seen, *texts)

    def _add_words(self, words: list[str]) -> None:
        self._ensure(*words)
        for w in words:
            self.jieba.add_word(w)

    def materialize(self) -> None:
        """Every entry of the dictionary (a lazy one had only those its texts held): the
        ones not read yet are the dictionary's own, untouched by the words added since."""
        with self._lock:
            if self._lazy is None:
                return
            freq = self.jieba.FREQ
            for word, n in _base_tokenizer().FREQ.items():
                freq.setdefault(word, n)
            self._lazy = None

    def upgrade(self) -> None:
        """From the query dictionary to jieba's whole one, with the same words added in the
        same order: cuts exactly as a vocabulary built full (documents need that). The whole
        one is read piece by piece (a process that files one document cuts one)."""
        with self._lock:
            if self.full:
                return
            self._load_full(lazy=True)
            words = [*self._base_order, *self.order]
            kept = replayed.path_for(self, words)  # the same replay kept by an earlier process
            rest = replayed.restore(kept, self, words)
            if rest is None or rest:
                self._add_words(words if rest is None else rest)
                replayed.keep(kept, self, words)
            self._cache = {}

    def query_dict(self, terms: Iterable[str]) -> dict[str, Any]:
        """What a query-only vocabulary needs (see the class docstring); ``terms`` are the
        index's words. jieba's ``total`` stays the whole dictionary's, so every kept word
        weighs what it weighs in a full cut."""
        self.upgrade()
        self.materialize()
        freq = self.jieba.FREQ
        keep: dict[str, int] = {}
        for t in (*terms, *self.words):
            f = freq.get(t)
            if f:
                keep[t] = f
        # Single characters too (a few thousand): without them a query's unknown pieces weigh
        # nothing, and jieba would cut the words around them differently.
        keep.update((w, f) for w, f in freq.items() if len(w) == 1 and f)
        for w in list(keep):
            for i in range(1, len(w)):
                keep.setdefault(w[:i], 0)  # jieba's DAG walks prefixes
        return {"freq": keep, "total": self.jieba.total, "base": sorted(self.base), "words": list(self.order)}

    def add(self, words: Iterable[str]) -> list[str]:
        """Teach jieba new words; returns those that were new."""
        new = [w.strip() for w in words if w and w.strip() and w.strip() not in self.words]
        new = [w for w in dict.fromkeys(new) if len(w) >= 2]
        if new:
            with self._lock:
                self._add_words(new)
                for w in new:
                    self.words.add(w)
                    self.order.append(w)
                # Cached cuts may now split a new word: forget them.
                self._cache = {}
        return new

    def cut(self, text: str) -> list[str]:
        """The precise cut (jieba's HMM on: unknown words such as people's names), lowercased,
        without punctuation and stopwords, with the whole dictionary (a document's words)."""
        self.upgrade()
        out: list[str] = []
        for m in _BLOCK.finditer(text):
            out.extend(w for w, _ in self.tokens(m.group(0), expand=False))
        return out

    def tokens(self, block: str, expand: bool) -> list[tuple[str, int]]:
        """(term, position offset) of one block; with ``expand``, the words inside longer
        words too, at their word's position. Cached: bulk indexing is mostly cache hits."""
        key = (block, expand)
        found = self._cache.get(key)
        if found is not None:
            return found
        if expand and not self.full:
            self.upgrade()
        if not expand and block.lower() in self.parts:
            # A part of a place name typed alone (紫都 of 蓝光紫都): one term, not 紫 and a
            # stopword 都 — the index has it as a part (documents.name_parts).
            return [(block.lower(), 0)]
        out: list[tuple[str, int]] = []
        pos = 0
        starts: list[tuple[int, int]] = []  # (char offset, position) of each kept word
        at = 0
        self._ensure(block)
        for original in self.jieba.cut(block, HMM=True):
            word = original.lower()
            at += len(original)
            if word in STOPWORDS or not _WORDLIKE.search(word):
                continue
            starts.append((at - len(original), pos))
            if expand and len(word) > 2:
                out.extend((piece, pos) for piece in self.inner_words(word))
            out.append((word, pos))
            pos += 1
        if expand and self._base_re is not None:
            # A governance term jieba cut across words here (实事 / 登记表 holds 实事登记):
            # indexed anyway, at the position of the word it starts in, so the query's one
            # term finds it whichever way this sentence was cut.
            have = {w for w, _ in out}
            for m in self._base_re.finditer(block):
                if m.group(0) not in have:
                    here = [p for c, p in starts if c <= m.start()]
                    out.append((m.group(0), here[-1] if here else 0))
        if len(self._cache) > 300_000:
            self._cache.clear()
        self._cache[key] = out
        return out

    def similar(self, text: str, limit: int = 3, keep: Callable[[str], bool] | None = None) -> list[str]:
        """Known names (not the governance terms) that ``text`` may stand for: a part of a
        name, a same-sound slip, a near miss (similar.py). 花山郡, 江南花山群 → 江南花山郡."""
        if len(text) < 2 or len(text) > MAX_NAME_CHARS:
            return []
        if self._chars is None or self._chars_for != len(self.words):
            index: dict[str, set[str]] = {}
            for w in self.words - self.base:  # names only: 党员大会 is not a typo of 党员大会议程
                for c in set(w):
                    index.setdefault(c, set()).add(w)
            self._chars, self._chars_for = index, len(self.words)
        chars = set(text)
        shared: dict[str, int] = {}
        for c in chars:
            for name in self._chars.get(c, ()):
                shared[name] = shared.get(name, 0) + 1
        # A name worth comparing shares at least half the typed characters (a same-sound
        # slip costs a quarter edit, so several may differ: 恒大玉景湾 → 恒大御璟湾).
        need = max(1, (len(chars) + 1) // 2)
        candidates = sorted((n for n, k in shared.items() if k >= need), key=lambda n: (-shared[n], len(n), n))
        return closest(text, candidates[:MAX_CANDIDATES], limit, keep)

    def inner_words(self, word: str) -> list[str]:
        """Dictionary words inside a longer word (any length, unlike jieba's 2- and 3-grams)."""
        freq = self.jieba.FREQ
        n = len(word)
        found = []
        for size in range(n - 1, 1, -1):
            for i in range(n - size + 1):
                piece = word[i:i + size]
                if freq.get(piece):
                    found.append(piece)
        return found


def register(vocab_id: str, vocab: Vocabulary) -> None:
    _REGISTRY[vocab_id] = vocab


def registered(vocab_id: str) -> Vocabulary | None:
    return _REGISTRY.get(vocab_id)


class JiebaTokenizer(Composable):
    """A whoosh tokenizer over a registered :class:`Vocabulary` (see the module docstring)."""

    is_morph = False

    def __init__(self, vocab_id: str):
        self.vocab_id = vocab_id

    def __getstate__(self) -> dict[str, Any]:
        return {"vocab_id": self.vocab_id}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.vocab_id = state["vocab_id"]

    def __eq__(self, other: object) -> bool:
        return isinstance(other, JiebaTokenizer) and other.vocab_id == self.vocab_id

    def __hash__(self) -> int:
        return hash(self.vocab_id)

    def vocabulary(self) -> Vocabulary:
        vocab = _REGISTRY.get(self.vocab_id)
        if vocab is None:
            # An index opened without SearchIndex: its names are unknown, jieba's base words
            # still cut sensibly. Registered so the warning is not repeated per document.
            logging.getLogger(__name__).warning("索引词表 %s 未加载，按 jieba 默认词典分词", self.vocab_id)
            vocab = _REGISTRY.setdefault(self.vocab_id, Vocabulary())
        return vocab

    def __call__(self, value: str, positions: bool = False, chars: bool = False,
                 keeporiginal: bool = False, removestops: bool = True, start_pos: int = 0,
                 start_char: int = 0, tokenize: bool = True, mode: str = "",
                 **kwargs: Any) -> Iterator[Token]:
        vocab = self.vocabulary()
        token = Token(positions, chars, removestops=removestops, mode=mode, **kwargs)
        token.boost, token.stopped = 1.0, False
        # Sub-words share their word's position, so a quoted phrase matches on the precise
        # cut, which query and index make alike. Offsets (only the query parser's phrases
        # ask) are the block's: finer ones are not needed to build a phrase query.
        if not tokenize:  # wildcard and range terms: the text as it is
            token.text = token.original = value.lower()
            token.pos, token.startchar, token.endchar = start_pos, start_char, start_char + len(value)
            yield token
            return
        expand = mode != "query"
        pos = start_pos
        for m in _BLOCK.finditer(value):
            found = vocab.tokens(m.group(0), expand)
            for text, offset in found:
                token.text = text
                if keeporiginal:
                    token.original = text
                if positions:
                    token.pos = pos + offset
                if chars:
                    token.startchar, token.endchar = start_char + m.start(), start_char + m.end()
                yield token
            if found:
                pos += found[-1][1] + 1


def analyzer(vocab_id: str) -> JiebaTokenizer:
    """The analyzer of every text field of an index with this vocabulary."""
    return JiebaTokenizer(vocab_id)
