"""BM25F as Whoosh computes it, minus the per-document column read.

Whoosh's scorer looks up each matching document's field length in an on-disk column, through
three Python calls, for every term of every match; at a district's size that lookup is a
third of a query's time. Here the lengths of a segment are read once into a list (one byte a
document, decoded through a 256-entry table) and kept with the segment's reader, which lives
as long as the long-lived searcher does. Scores are identical to Whoosh's BM25F.
"""

from __future__ import annotations

from typing import Any

from whoosh.codec.whoosh3 import LENGTHS_COLUMN
from whoosh.columns import NumericColumn
from whoosh.scoring import BM25F, BM25FScorer
from whoosh.util.numeric import byte_to_length

_BYTE_TO_LENGTH = [byte_to_length(b) for b in range(256)]


def field_lengths(reader: Any, fieldname: str) -> list[int]:
    """Every document's length in ``fieldname`` for one segment reader, cached on it."""
    cache = reader.__dict__.setdefault("_sanfang_lengths", {})
    lengths = cache.get(fieldname)
    if lengths is None:
        perdoc = getattr(reader, "_perdoc", None)  # a segment's per-document columns
        column = f"_{fieldname}_len"  # where Whoosh's codec keeps field lengths
        if perdoc is not None and perdoc.has_column(column):
            lengths = _column_lengths(perdoc.column_reader(column, LENGTHS_COLUMN), reader.doc_count_all())
        else:
            lengths = [reader.doc_field_length(d, fieldname, 0) for d in range(reader.doc_count_all())]
        cache[fieldname] = lengths
    return lengths


def _column_lengths(column: Any, doccount: int) -> list[int]:
    """A length column's bytes in one read (numpy), not one Python call per document: a cold
    `sanfang search` on 100,000 documents spent 0.3 s iterating two of these columns."""
    import numpy as np  # with the first search: a filing's index update does without it

    raw = getattr(column, "_dbfile", None)
    if isinstance(column, NumericColumn.Reader) and getattr(column, "_typecode", "") == "B" and raw is not None:
        count = min(int(column._count), doccount)
        codes = np.zeros(doccount, dtype=np.uint8)  # past the column's end: the default, 0
        if count:
            codes[:count] = np.frombuffer(bytes(raw.get(column._basepos, count)), dtype=np.uint8)
        if column._default:
            codes[count:] = column._default
        return np.asarray(_BYTE_TO_LENGTH, dtype=np.int64)[codes].tolist()
    return [_BYTE_TO_LENGTH[b] for b in column]


class FastBM25F(BM25F):
    def scorer(self, searcher: Any, fieldname: str, text: Any, qf: int = 1) -> Any:
        if not searcher.schema[fieldname].scorable:
            return super().scorer(searcher, fieldname, text, qf)
        b = self._field_B.get(fieldname, self.B)
        return FastBM25FScorer(searcher, fieldname, text, b, self.K1, qf=qf)


class FastBM25FScorer(BM25FScorer):
    def __init__(self, searcher: Any, fieldname: str, text: Any, B: float, K1: float, qf: int = 1):
        super().__init__(searcher, fieldname, text, B, K1, qf=qf)
        self._lengths = field_lengths(searcher.reader(), fieldname)
        # bm25 = idf * tf * (K1 + 1) / (tf + K1 * (1 - B + B * fl / avgfl)), pre-multiplied.
        self._num = self.idf * (K1 + 1)
        self._k0 = K1 * (1 - B)
        self._k1 = K1 * B / self.avgfl

    def score(self, matcher: Any) -> float:
        tf = matcher.weight()
        return self._num * tf / (tf + self._k0 + self._k1 * self._lengths[matcher.id()])
