"""Building a generation from the whole archive on every core (``sanfang reindex``).

The records (in the archive's order) are split into one contiguous run per worker process;
each worker cuts and indexes its run into a Whoosh segment of its own, and the segments are
listed in the same order, so every document keeps the number a one-process build gives it
(ties rank alike) and the index statistics are the same sums: a search gives the same
results, scores included (tests/test_search_bulk.py compares it with Whoosh's own writer).

Where a one-process build with Whoosh's writer spent its time (bench/README.md, "Rebuilding
the index"), and what :class:`BulkWriter` does instead, with the same bytes on disk:

* every posting sorted, pickled to a run file and unpickled again to merge the runs —
  postings kept by term in arrays, in document order (:class:`TermPool`);
* the document's field length read back from the lengths column once per posting — once
  per document and field;
* each term passed through a Whoosh ``Token`` per field — the jieba fields count the
  analyzer's cached (term, position) lists directly (:func:`fast_index`).

Workers are forked (they inherit the vocabulary the parent built: jieba's dictionary and
the archive's names). A process with other threads running (the web app) spawns them
instead, and each loads the same words in the same order from ``words.txt``.
"""

from __future__ import annotations

import contextlib
import os
import threading
from array import array
from collections import defaultdict
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context
from pathlib import Path
from typing import Any

from whoosh import index as windex
from whoosh.formats import Frequency, Positions
from whoosh.system import pack_uint
from whoosh.writing import SegmentWriter

from .analyzer import _BLOCK, JiebaTokenizer, Vocabulary, register, registered
from .damage import RECORD_GLOB, read_record
from .documents import record_document

DEFAULT_JOBS = 2
MIN_PER_JOB = 50


def default_jobs() -> int:
    return max(1, min(DEFAULT_JOBS, os.cpu_count() or 1))


# -- the writer --------------------------------------------------------------------------------

class TermPool:
    """Whoosh's posting pool for a writer whose documents arrive in number order: postings
    kept by term as they come (already in document order), so the segment's sorted stream
    is the terms sorted, each with its postings — no sort of every posting, no run files
    and no merge of them (Whoosh's PostingPool pickles each posting to disk and back). About
    20 bytes a posting: numbers and weights in arrays, values shared (most are alike)."""

    def __init__(self) -> None:
        self.terms: dict[tuple[str, bytes], tuple[array, array, list[bytes | None]]] = {}
        self.values: dict[bytes, bytes] = {}
        self.fieldnames: set[str] = set()

    def add(self, item: tuple[str, bytes, int, float, bytes | None]) -> None:
        fieldname, text, docnum, weight, value = item
        found = self.terms.get((fieldname, text))
        if found is None:
            found = self.terms[(fieldname, text)] = (array("q"), array("d"), [])
            self.fieldnames.add(fieldname)
        found[0].append(docnum)
        found[1].append(weight)
        found[2].append(value if value is None else self.values.setdefault(value, value))

    def iter_postings(self) -> Iterator[tuple[str, bytes, int, float, bytes | None]]:
        for key in sorted(self.terms):
            docnums, weights, values = self.terms.pop(key)
            fieldname, text = key
            for docnum, weight, value in zip(docnums, weights, values, strict=True):
                yield fieldname, text, docnum, weight, value

    def cleanup(self) -> None:
        self.terms = {}


class _Lengths:
    """A segment's per-document field lengths, read once per field instead of per posting."""

    def __init__(self, pdr: Any):
        self.pdr = pdr
        self.n = pdr.doc_count_all()
        self.cache: dict[str, list[Any]] = {}

    def doc_field_length(self, docnum: int, fieldname: str, default: int = 0) -> Any:
        found = self.cache.get(fieldname)
        if found is None:
            found = self.cache[fieldname] = [self.pdr.doc_field_length(d, fieldname, default)
                                             for d in range(self.n)]
        return found[docnum]


def fast_index(field: Any, value: str, vocab: Vocabulary) -> Iterator[tuple[bytes, int, float, bytes]]:
    """What ``field.index(value)`` yields for a text field over :class:`JiebaTokenizer` with
    a Frequency or Positions format (the same terms, counts, weights and encoded values)."""
    fmt = field.format
    poses: dict[str, list[int]] = defaultdict(list)
    pos = 0
    for m in _BLOCK.finditer(value):
        found = vocab.tokens(m.group(0), True)
        for text, offset in found:
            poses[text].append(pos + offset)
        if found:
            pos += found[-1][1] + 1
    fb = fmt.field_boost
    positions = type(fmt) is Positions
    for word, where in poses.items():
        n = len(where)
        # Whoosh sums a boost of 1.0 per token: float(n) exactly, for any count we meet.
        yield (word.encode("utf-8"), n, float(n) * fb, fmt.encode(where) if positions else pack_uint(n))


class BulkWriter(SegmentWriter):
    """A segment writer for a whole build (see the module docstring); the segment it writes
    is what Whoosh's own writer writes for the same documents."""

    def __init__(self, ix: Any, vocab: Vocabulary, **kwargs: Any):
        super().__init__(ix, _lk=False, **kwargs)
        self.pool = TermPool()
        # This writer's own copy of the schema (read from the TOC; never written back: the
        # parent lists the segments with a writer of its own).
        for _name, field in self.schema.items():
            ana, fmt = getattr(field, "analyzer", None), getattr(field, "format", None)
            if isinstance(ana, JiebaTokenizer) and type(fmt) in (Frequency, Positions) and not field.vector:
                field.index = _bound(field, vocab)

    def _flush_segment(self) -> None:
        self.perdocwriter.close()
        pdr = self.per_document_reader() if self.codec.length_stats else None
        self.fieldwriter.add_postings(self.schema, _Lengths(pdr) if pdr else None, self.pool.iter_postings())
        self.fieldwriter.close()
        if pdr:
            pdr.close()

    def segment(self) -> Any:
        """Finish the segment and hand it over (the parent lists it in the index's TOC). The
        temporary folder is shared with the other workers: the parent's writer removes it."""
        seg = self._finalize_segment()
        self.is_closed = True
        return seg


def _bound(field: Any, vocab: Vocabulary) -> Any:
    def index(value: str, **kwargs: Any) -> Iterator[tuple[bytes, int, float, bytes]]:
        return fast_index(field, value, vocab)

    return index


# -- the build ---------------------------------------------------------------------------------

def build(gen_dir: Path, gen: str, archive_root: Path, metas: list[Path], jobs: int,
          limitmb: int) -> tuple[list[str], dict[str, str]]:
    """Index the records of ``metas`` (record.json paths, in archive order) into ``gen_dir``'s
    index, one segment per worker; returns the record.json
    paths indexed and the records skipped."""
    jobs = max(1, min(jobs, len(metas) // MIN_PER_JOB or 1))  # a few records: one process is quicker
    size = -(-len(metas) // jobs) if metas else 0
    chunks = [[str(p) for p in metas[i:i + size]] for i in range(0, len(metas), size)] if metas else []
    args = [(str(gen_dir), gen, str(archive_root), chunk, limitmb) for chunk in chunks]
    if jobs == 1:
        results = [_index_chunk(*a) for a in args]
    else:
        method = "fork" if threading.active_count() == 1 else "spawn"
        with ProcessPoolExecutor(max_workers=jobs, mp_context=get_context(method)) as pool:
            results = list(pool.map(_index_chunk, *zip(*args, strict=True)))
    ix = windex.open_dir(str(gen_dir))
    writer = ix.writer()
    try:
        writer._close_segment()
        writer._commit_toc([seg for seg, _, _ in results if seg is not None])
    finally:
        writer._finish()
    seen = [no for _, nos, _ in results for no in nos]
    skipped: dict[str, str] = {}
    for _, _, sk in results:
        for name, why in sk.items():
            skipped.setdefault(name, why)
    return seen, skipped


def _index_chunk(gen_dir: str, gen: str, archive_root: str, metas: list[str],
                 limitmb: int) -> tuple[Any, list[str], dict[str, str]]:
    """One worker: its run of records into one segment (None if none of them could be read)."""
    vocab = _vocabulary(gen, Path(gen_dir))
    ix = windex.open_dir(gen_dir)
    writer = BulkWriter(ix, vocab, limitmb=limitmb)
    seen: list[str] = []
    skipped: dict[str, str] = {}
    root = Path(archive_root)
    try:
        for name in metas:
            record = read_record(Path(name), skipped)  # changed since it was listed: skipped alike
            if record is not None:
                writer.add_document(**record_document(record, root, vocab))
                seen.append(name)
    except BaseException:
        writer.cancel()
        raise
    if not seen:
        writer.cancel()
        return None, seen, skipped
    return writer.segment(), seen, skipped


def _vocabulary(gen: str, gen_dir: Path) -> Vocabulary:
    """The generation's vocabulary: the parent's (forked), else built again from words.txt
    in the same order, which cuts alike (Vocabulary.upgrade relies on the same)."""
    vocab = registered(gen)
    if vocab is None:
        vocab = Vocabulary()
        vocab.add((gen_dir / "words.txt").read_text(encoding="utf-8").split())
        register(gen, vocab)
    return vocab


def late(archive_root: Path, seen: set[str], t: float) -> Iterator[Path]:
    """record.json files a rebuild that started at ``t`` did not index, or that changed (it
    or an OCR text of its scans) since then."""
    for meta_file in sorted(archive_root.glob(RECORD_GLOB)):
        if str(meta_file) not in seen or _changed_since(meta_file.parent, t):
            yield meta_file


def _changed_since(folder: Path, t: float) -> bool:
    try:
        newest = os.stat(folder / "record.json").st_mtime
        with contextlib.suppress(FileNotFoundError), os.scandir(folder / "scans") as scans:
            newest = max([newest, *(e.stat().st_mtime for e in scans if e.name.endswith(".txt"))])
    except OSError:
        return True
    return newest >= t - 1.0
