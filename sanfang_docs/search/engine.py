"""Evaluating a query without walking its matches one by one in Python.

Whoosh finds the top hits by advancing matcher objects document by document: a few
microseconds per posting, which on a district's archive — where 党支部, 请示, 选举 are in
half the documents — is most of a query's time, and block-max skipping cannot help because
template documents all score alike. Here Whoosh still stores and decodes the postings, but a
posting list is decoded once per segment into numpy arrays (kept while the segment lives;
the most frequent words can be decoded ahead, see :meth:`Engine.warm`), and the query is
evaluated over dense per-document arrays: AND, OR and NOT are vector operations over at most
a few hundred thousand documents. Scores are Whoosh's BM25F (searcher.idf, average field
lengths, same K1 and B), summed over the query tree as Whoosh sums them, and ties go to the
lower document number, as in Whoosh's collector — so hits are the same, only faster.
Query types this does not know (phrases, wildcards) are matched by Whoosh itself.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Any

import numpy as np
from whoosh import query as wq
from whoosh.reading import TermNotFound
from whoosh.searching import Searcher

from .scoring import field_lengths

CACHE_BYTES = 256 * 2**20  # decoded posting lists kept (least recently used go first)


class PostingCache:
    """Decoded posting lists of every segment, shared by the searchers of one index."""

    def __init__(self, limit: int = CACHE_BYTES):
        self.limit = limit
        self.size = 0
        self._items: OrderedDict[tuple[Any, ...], tuple[np.ndarray, np.ndarray]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: tuple[Any, ...]) -> tuple[np.ndarray, np.ndarray] | None:
        with self._lock:
            found = self._items.get(key)
            if found is not None:
                self._items.move_to_end(key)
            return found

    def put(self, key: tuple[Any, ...], value: tuple[np.ndarray, np.ndarray]) -> None:
        with self._lock:
            if key in self._items:
                return
            self._items[key] = value
            self.size += value[0].nbytes + value[1].nbytes
            while self.size > self.limit and len(self._items) > 1:
                _, (ids, tfs) = self._items.popitem(last=False)
                self.size -= ids.nbytes + tfs.nbytes

    def keep_segments(self, segids: set[str]) -> None:
        """Forget the segments a refreshed searcher no longer has (merged or replaced)."""
        with self._lock:
            for key in [k for k in self._items if k[0] not in segids]:
                ids, tfs = self._items.pop(key)
                self.size -= ids.nbytes + tfs.nbytes


def _segid(reader: Any) -> str:
    segment = getattr(reader, "_segment", None)
    return segment.segment_id() if segment is not None else f"reader-{id(reader)}"


def _decode(reader: Any, fieldname: str, btext: bytes) -> tuple[np.ndarray, np.ndarray]:
    """One segment's postings of a term: (local docnums, weights), deletions included."""
    terms = getattr(reader, "_terms", None)  # a segment's terms reader (whoosh3 codec)
    try:
        if terms is not None:
            m = terms.matcher(fieldname, btext, reader.schema[fieldname].format)
        else:
            m = reader.postings(fieldname, btext)
    except (KeyError, TermNotFound):  # not in this segment
        return np.empty(0, np.int64), np.empty(0, np.float64)
    if hasattr(m, "_goto") and hasattr(m, "_read_data"):
        # Whoosh's W3 block format: each block holds (id deltas, weights, values) pickled;
        # only the first two are needed, and block by block is far faster than posting by
        # posting through the matcher interface.
        ids_parts, weight_parts = [], []
        while True:
            if m._data is None:
                m._read_data()
            deltas, weights = m._data[0], m._data[1]
            ids_parts.append(np.cumsum(np.asarray(deltas, dtype=np.int64)))
            n = len(deltas)
            if weights is None:
                weight_parts.append(np.ones(n))
            elif isinstance(weights, float):
                weight_parts.append(np.full(n, weights))
            else:
                weight_parts.append(np.asarray(weights, dtype=np.float64))
            if m._lastblock:
                break
            m._goto(m._nextoffset)
        return np.concatenate(ids_parts), np.concatenate(weight_parts)
    ids, weights = [], []
    while m.is_active():
        ids.append(m.id())
        weights.append(m.weight())
        m.next()
    return np.asarray(ids, dtype=np.int64), np.asarray(weights, dtype=np.float64)


def _decode_positions(reader: Any, fieldname: str, btext: bytes, fmt: Any) -> tuple[np.ndarray, np.ndarray]:
    try:
        m = reader.postings(fieldname, btext)
    except (KeyError, TermNotFound):
        return np.empty(0, np.int64), np.empty(0, np.int64)
    docs: list[int] = []
    pos: list[int] = []
    while m.is_active():  # phrases are rare and cached: Whoosh's own decoding will do
        here = fmt.decode_positions(m.value())
        docs.extend([m.id()] * len(here))
        pos.extend(here)
        m.next()
    return np.asarray(docs, dtype=np.int64), np.asarray(pos, dtype=np.int64)


class Engine:
    """Query evaluation over one searcher (see the module docstring)."""

    def __init__(self, searcher: Searcher, postings: PostingCache):
        self.searcher = searcher
        self.postings = postings
        self.n = searcher.doc_count_all()
        reader = searcher.reader()
        self.leaves = list(reader.leaf_readers()) if hasattr(reader, "leaf_readers") else [(reader, 0)]
        postings.keep_segments({_segid(r) for r, _ in self.leaves})
        self.live = np.ones(self.n, dtype=bool)
        for leaf, offset in self.leaves:
            if leaf.has_deletions():  # documents replaced by update_document
                deleted = np.fromiter(getattr(leaf, "deleted_docs_set", ()) or (), dtype=np.int64)
                self.live[deleted + offset] = False
        self._lengths: dict[str, np.ndarray] = {}
        self._weighting = searcher.weighting
        self._masks: dict[Any, np.ndarray] = {}

    # -- postings --------------------------------------------------------------------------

    def term(self, fieldname: str, text: str) -> tuple[np.ndarray, np.ndarray]:
        """(global docnums, weights) of a term over every segment, live documents only."""
        field = self.searcher.schema[fieldname]
        btext = field.to_bytes(text)
        ids_parts, tf_parts = [], []
        for leaf, offset in self.leaves:
            key = (_segid(leaf), fieldname, btext)
            found = self.postings.get(key)
            if found is None:
                found = _decode(leaf, fieldname, btext)
                self.postings.put(key, found)
            ids_parts.append(found[0] + offset)
            tf_parts.append(found[1])
        if not ids_parts:  # an index with no documents yet
            return np.empty(0, np.int64), np.empty(0)
        ids = np.concatenate(ids_parts) if len(ids_parts) > 1 else ids_parts[0]
        tfs = np.concatenate(tf_parts) if len(tf_parts) > 1 else tf_parts[0]
        keep = self.live[ids]
        return (ids, tfs) if keep.all() else (ids[keep], tfs[keep])

    def lengths(self, fieldname: str) -> np.ndarray:
        found = self._lengths.get(fieldname)
        if found is None:
            parts = [np.asarray(field_lengths(leaf, fieldname), dtype=np.float64) for leaf, _ in self.leaves]
            found = self._lengths[fieldname] = np.concatenate(parts) if parts else np.zeros(0)
        return found

    def warm(self, fieldname: str = "content", top: int = 300) -> int:
        """Decode the most frequent words ahead of the first queries (a web app's start)."""
        reader = self.searcher.reader()
        ranked = sorted(((df, t) for t, df in _field_dfs(reader, fieldname)), reverse=True)[:top]
        for _, text in ranked:
            self.term(fieldname, text)
        return len(ranked)

    # -- evaluation: (mask of matching documents, their scores) --------------------------------

    def evaluate(self, q: wq.Query) -> tuple[np.ndarray, np.ndarray]:
        n = self.n
        if isinstance(q, wq.Term):
            mask, score = np.zeros(n, dtype=bool), np.zeros(n)
            ids, tfs = self.term(q.fieldname, q.text)
            if len(ids):
                mask[ids] = True
                score[ids] = self._term_scores(q.fieldname, q.text, ids, tfs) * q.boost
            return mask, score
        if isinstance(q, wq.And):
            positive = [c for c in q.subqueries if not isinstance(c, wq.Not)]
            mask, score = self._all(positive) if positive else (self.live.copy(), np.zeros(n))
            for c in q.subqueries:
                if isinstance(c, wq.Not):
                    mask &= ~self.evaluate(c.query)[0]
            return mask, score * q.boost
        if isinstance(q, wq.Or):
            mask, score = np.zeros(n, dtype=bool), np.zeros(n)
            for c in q.subqueries:
                m, s = self.evaluate(c)
                mask |= m
                score += s
            return mask, score * q.boost
        if isinstance(q, wq.Not):
            return self.live & ~self.evaluate(q.query)[0], np.zeros(n)
        if isinstance(q, wq.AndNot):
            mask, score = self.evaluate(q.a)
            return mask & ~self.evaluate(q.b)[0], score
        if isinstance(q, wq.AndMaybe):
            mask, score = self.evaluate(q.a)
            _, extra = self.evaluate(q.b)
            return mask, score + np.where(mask, extra, 0.0)
        if q is wq.NullQuery or isinstance(q, type(wq.NullQuery)):
            return np.zeros(n, dtype=bool), np.zeros(n)
        if isinstance(q, wq.Every):
            return self.live.copy(), np.zeros(n)
        if isinstance(q, wq.Phrase):
            return self._phrase(q), np.zeros(n)
        return self._by_whoosh(q)

    def _phrase(self, q: wq.Phrase) -> np.ndarray:
        """Documents where the words follow one another. A filter (score 0): search.py pairs
        it with the words' own terms, which rank. Vectorised: every (document, position) of
        word i, shifted back by i, must meet those of every other word."""
        mask = np.zeros(self.n, dtype=bool)
        words = [str(w) for w in q.words]
        if not words:
            return mask
        if not self.searcher.schema[q.fieldname].format.supports("positions"):
            return self._all([wq.Term(q.fieldname, w) for w in words])[0]  # no positions kept
        keys = None
        for i, word in enumerate(words):
            docs, pos = self.positions(q.fieldname, word)
            # Sorted already (documents ascend, positions ascend within one): a binary
            # search of each key in the previous word's keys, no sorting.
            k = (docs << 24) + (pos + len(words) - i)
            if keys is not None:
                at = np.minimum(np.searchsorted(keys, k), len(keys) - 1)
                k = k[keys[at] == k]
            keys = k
            if not len(keys):
                return mask
        mask[np.unique(keys >> 24)] = True
        return mask & self.live

    def positions(self, fieldname: str, text: str) -> tuple[np.ndarray, np.ndarray]:
        """(global docnum, position) of every occurrence of a term (decoded once, cached)."""
        field = self.searcher.schema[fieldname]
        btext = field.to_bytes(text)
        docs_parts, pos_parts = [], []
        for leaf, offset in self.leaves:
            key = (_segid(leaf), fieldname, btext, "positions")
            found = self.postings.get(key)
            if found is None:
                found = _decode_positions(leaf, fieldname, btext, field.format)
                self.postings.put(key, found)
            docs_parts.append(found[0] + offset)
            pos_parts.append(found[1])
        if not docs_parts:
            return np.empty(0, np.int64), np.empty(0, np.int64)
        return np.concatenate(docs_parts), np.concatenate(pos_parts)

    def _all(self, subqueries: list[wq.Query]) -> tuple[np.ndarray, np.ndarray]:
        mask, score = self.evaluate(subqueries[0])
        for c in subqueries[1:]:
            if not mask.any():
                break
            m, s = self.evaluate(c)
            mask &= m
            score += s
        return mask, np.where(mask, score, 0.0)

    def _term_scores(self, fieldname: str, text: str, ids: np.ndarray, tfs: np.ndarray) -> np.ndarray:
        field = self.searcher.schema[fieldname]
        if not field.scorable:
            return tfs  # Whoosh's WeightScorer: the posting's weight
        w = self._weighting
        b = w._field_B.get(fieldname, w.B)
        k1 = w.K1
        idf = self.searcher.idf(fieldname, text)
        avgfl = self.searcher.avg_field_length(fieldname) or 1
        fl = self.lengths(fieldname)[ids]
        return idf * ((tfs * (k1 + 1)) / (tfs + k1 * ((1 - b) + b * fl / avgfl)))

    def _by_whoosh(self, q: wq.Query) -> tuple[np.ndarray, np.ndarray]:
        """Phrases and the like: Whoosh's own matcher, every match visited."""
        mask, score = np.zeros(self.n, dtype=bool), np.zeros(self.n)
        subs = self.searcher.subsearchers or [(self.searcher, 0)]
        for sub, offset in subs:
            m = q.matcher(sub, sub.context())
            while m.is_active():
                d = offset + m.id()
                mask[d] = True
                score[d] = m.score()
                m.next()
        mask &= self.live
        return mask, score

    # -- results --------------------------------------------------------------------------

    def top(self, q: wq.Query, limit: int, allow: np.ndarray | None = None,
            exclude: list[int] | None = None) -> tuple[list[tuple[int, float]], int]:
        """The best ``limit`` (docnum, score), highest first (ties: lower docnum), and how
        many documents matched in all — counting is free here."""
        mask, score = self.evaluate(q)
        mask = mask & self.live
        if allow is not None:
            mask &= allow
        if exclude:
            mask[np.asarray(exclude, dtype=np.int64)] = False
        docs = np.flatnonzero(mask)
        total = len(docs)
        if total > limit:
            part = np.argpartition(-score[docs], limit - 1)[:limit]
            cutoff = score[docs][part].min()
            docs = docs[score[docs] >= cutoff]  # every doc tied at the cut-off competes
        order = np.lexsort((docs, -score[docs]))[:limit]
        return [(int(d), float(score[d])) for d in docs[order]], total

    def dates(self) -> np.ndarray:
        """成文日期 (yyyymmdd) of every document."""
        found = self._lengths.get("\0dates")
        if found is None:
            parts = []
            for leaf, _ in self.leaves:
                if leaf.has_column("date"):
                    parts.append(np.fromiter((int(v or 0) for v in leaf.column_reader("date")), dtype=np.int64))
                else:
                    parts.append(np.zeros(leaf.doc_count_all(), dtype=np.int64))
            found = self._lengths["\0dates"] = np.concatenate(parts) if parts else np.zeros(0, np.int64)
        return found

    def date_mask(self, lo: int, hi: int) -> np.ndarray:
        dates = self.dates()
        return (dates >= lo) & (dates <= hi)

    def newest(self, allow: np.ndarray | None, limit: int) -> tuple[list[int], int]:
        """No query words: the newest documents passing the filters, and how many pass."""
        order = self._masks.get("\0newest")
        if order is None:
            dates = self.dates()
            # Newest first; on the same day the later-filed (higher docnum) first.
            order = self._masks["\0newest"] = np.lexsort((-np.arange(self.n), -dates))
        mask = self.live if allow is None else (allow & self.live)
        picked = order[mask[order]]
        return [int(d) for d in picked[:limit]], len(picked)

    def mask(self, key: Any, q: wq.Query) -> np.ndarray:
        """A filter's documents (cached for this searcher)."""
        found = self._masks.get(key)
        if found is None:
            found = self._masks[key] = self.evaluate(q)[0] & self.live
        return found


def _field_dfs(reader: Any, fieldname: str) -> list[tuple[str, int]]:
    out = []
    for btext, info in reader.iter_field(fieldname):
        out.append((btext.decode("utf-8") if isinstance(btext, bytes) else str(btext), info.doc_frequency()))
    return out
