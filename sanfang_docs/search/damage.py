"""A damaged record or index never crashes search (issue 11).

* **records** — ``reindex`` reads every record.json itself (the layout of
  ``Archive.records``) and leaves out one it cannot use — unreadable, not JSON, a JSON list,
  no 档号 — with a warning; ``sanfang verify`` says what is wrong with it.
* **the index** — what reading a damaged one raises becomes a SearchIndexError (exit 9)
  that tells the clerk to rebuild it from the archive.
"""

from __future__ import annotations

import json
import logging
import pickle
import struct
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from whoosh import index as windex

from ..archive.store import Record
from ..errors import SearchIndexError

log = logging.getLogger(__name__)

RECORD_GLOB = "[0-9][0-9][0-9][0-9]/*/*/*/record.json"  # Archive.records' layout: year/month/day/档号


def readable_records(archive_root: Path, skipped: dict[str, str]) -> Iterator[Record]:
    """Every record the index can take, in Archive.records' order; the others go into
    ``skipped`` (folder name → reason)."""
    for meta_file in sorted(archive_root.glob(RECORD_GLOB)):
        record = read_record(meta_file, skipped)
        if record is not None:
            yield record


def read_record(meta_file: Path, skipped: dict[str, str]) -> Record | None:
    """One record.json as the index takes it, or None (and why, in ``skipped``)."""
    try:
        meta = json.loads(meta_file.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:  # UnicodeDecodeError is a ValueError
        skip(skipped, meta_file.parent.name, exc)
        return None
    if not usable(meta):
        skip(skipped, meta_file.parent.name, "record.json 不是一条记录（应为含“档号”的对象）")
        return None
    return Record(meta_file.parent, meta)


def skip(skipped: dict[str, str], name: str, why: object) -> None:
    reason = f"{type(why).__name__}: {why}" if isinstance(why, Exception) else str(why)
    if name not in skipped:
        skipped[name] = reason
        log.warning("检索索引跳过损坏的记录 %s（%s），请运行 `sanfang verify` 检查", name, reason)


def usable(meta: object) -> bool:
    return isinstance(meta, dict) and isinstance(meta.get("档号"), str) and bool(meta["档号"])


# What reading a damaged index raises, from Whoosh's files down to pickle and zlib. Opening
# it (the table of contents, the segments' headers) may raise anything a garbled pickle
# does; later reads only what broken bytes do (not the errors a bug in this code would).
READ_DAMAGE = (OSError, EOFError, struct.error, zlib.error, pickle.UnpicklingError, windex.IndexError)
OPEN_DAMAGE = (*READ_DAMAGE, ValueError, KeyError, IndexError, TypeError, AttributeError)


@contextmanager
def damaged_index(opening: bool = False) -> Iterator[None]:
    """Reading the index: what a damaged one raises becomes a SearchIndexError (exit 9) that
    tells the clerk what to do; the archive is the source of truth and is not touched."""
    caught = OPEN_DAMAGE if opening else READ_DAMAGE
    try:
        yield
    except SearchIndexError:
        raise
    except caught as exc:
        raise SearchIndexError(f"检索索引已损坏或无法读取（{type(exc).__name__}）；档案本身不受影响，"
                               "请运行 `sanfang reindex` 从档案重建索引") from exc
