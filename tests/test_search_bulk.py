"""A rebuild on every core (search/bulk.py) gives the index Whoosh's own writer gives, posting by
posting, and the same search results as a one-process build, scores included.

The archive is generated from our own interviews (bench/bench_search_corpus.py) and written
with the benchmark's bulk filer (records without PDFs: only record.json, answers and OCR
text reach the index).
"""

from __future__ import annotations

import os
import shutil
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from whoosh import index as windex

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "bench"))

from bench_search_archive import BulkFiler  # noqa: E402
from bench_search_corpus import corpus  # noqa: E402
from bench_search_labels import load  # noqa: E402

from sanfang_docs.api import Sanfang  # noqa: E402
from sanfang_docs.archive import Archive  # noqa: E402
from sanfang_docs.search.damage import readable_records  # noqa: E402
from sanfang_docs.search.documents import make_schema, record_document  # noqa: E402
from sanfang_docs.workspace import Workspace  # noqa: E402

DOCS = 260

pytestmark = pytest.mark.xdist_group("search-bulk")


@pytest.fixture(scope="module")
def homes(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """The same archive twice: one to rebuild on three workers, one in one process."""
    one = tmp_path_factory.mktemp("bulk-parallel")
    filer = BulkFiler(Archive(Workspace.open(one)), seed=5)
    for case in corpus(DOCS, seed=5, real_docs=80):
        filer.file(case)
    filer.finish()
    # Filed a minute ago: a rebuild re-reads what changed in the second before it started.
    earlier = time.time() - 60
    for path in (one / "archive").rglob("*"):
        os.utime(path, (earlier, earlier))
    two = tmp_path_factory.mktemp("bulk-serial") / "ws"
    shutil.copytree(one, two)
    return one, two


def dump(index_dir: Path) -> dict[Any, Any]:
    """Everything a search reads: every posting (document, weight, value), every field
    length, every stored field, the date column."""
    ix = windex.open_dir(str(index_dir))
    out: dict[Any, Any] = {}
    with ix.reader() as r:
        n = r.doc_count_all()
        for fieldname in sorted({f for f, _ in r.all_terms()}):
            for term in r.lexicon(fieldname):
                m, items = r.postings(fieldname, term), []
                while m.is_active():
                    items.append((m.id(), m.weight(), m.value()))
                    m.next()
                out[(fieldname, term)] = items
            if ix.schema[fieldname].scorable:
                out[("length", fieldname)] = [r.doc_field_length(d, fieldname) for d in range(n)]
                out[("total", fieldname)] = r.field_length(fieldname)
        out["stored"] = [r.stored_fields(d) for d in range(n)]
        out["date"] = list(r.column_reader("date"))
    return out


def test_parallel_rebuild_writes_what_whooshs_writer_writes(homes: tuple[Path, Path], tmp_path: Path) -> None:
    app = Sanfang(homes[0])
    assert app.index.rebuild(jobs=3) == DOCS
    gen = app.index.current()
    assert gen is not None
    built = app.index.root / gen
    assert len(windex.open_dir(str(built))._segments()) == 3  # one segment per worker, in order
    # The same records through Whoosh's own writer, one process, the same vocabulary.
    vocab = app.index.vocabulary(gen)
    ix = windex.create_in(str(tmp_path), make_schema(gen))
    writer = ix.writer()
    for record in readable_records(app.archive.root, {}):
        writer.add_document(**record_document(record, app.archive.root, vocab))
    writer.commit(optimize=True)
    mine, whooshs = dump(built), dump(tmp_path)
    assert len(whooshs) > 1000
    assert [k for k in whooshs if mine.get(k) != whooshs[k]] == []
    assert mine.keys() == whooshs.keys()


def test_parallel_and_one_process_rebuilds_search_alike(homes: tuple[Path, Path]) -> None:
    parallel, serial = Sanfang(homes[0]), Sanfang(homes[1])
    parallel.index.rebuild(jobs=2)
    serial.index.rebuild(jobs=1)
    labelled, _ = load(r.meta for r in serial.archive.records())
    assert len(labelled) >= 30
    for item in labelled:
        a, b = parallel.search(item.query, limit=20), serial.search(item.query, limit=20)
        assert [(h.archive_no, round(h.score, 9)) for h in a.hits] == \
            [(h.archive_no, round(h.score, 9)) for h in b.hits], item.query
        assert a.total == b.total


def test_workers_spawned_beside_other_threads_build_the_same_index(homes: tuple[Path, Path]) -> None:
    """The web app rebuilds with its server threads running: its workers are spawned, not
    forked, and load the vocabulary again from words.txt, in the same order."""
    import threading

    app = Sanfang(homes[1])
    app.index.rebuild(jobs=2)
    forked = dump(app.index.root / str(app.index.current()))
    stop = threading.Event()
    other = threading.Thread(target=stop.wait, daemon=True)
    other.start()
    try:
        app.index.rebuild(jobs=2)
    finally:
        stop.set()
    assert dump(app.index.root / str(app.index.current())) == forked
