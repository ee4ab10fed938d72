"""The parts that made filing fast keep their guarantees: one barrier per record (durable.Batch)
writes whole files in both modes; the index's mark into the audit log recovers from a log it
no longer matches, on the one tail reader it shares with the records catalogue; the reservations of 件号 let go when their filers do."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import pytest

from sanfang_docs.api import Sanfang
from sanfang_docs.archive import durable
from sanfang_docs.archive.audit import AuditLog, changed_records
from sanfang_docs.archive.reservations import Reservations
from sanfang_docs.search.follow import Follower
from tests.conftest import REPO

sys.path.insert(0, str(REPO / "bench"))
from bench_search_archive import file_cases  # noqa: E402
from bench_search_corpus import corpus  # noqa: E402


def _counted_fsyncs(monkeypatch: pytest.MonkeyPatch, each: bool) -> list[int]:
    """The fsync calls made from here on (one barrier, or one per file with ``each``)."""
    monkeypatch.setenv("SANFANG_FSYNC_EACH", "1" if each else "0")
    durable.group_commit.cache_clear()
    calls: list[int] = []
    real = os.fsync
    monkeypatch.setattr(durable.os, "fsync", lambda fd: (calls.append(fd), real(fd))[1])
    return calls


@pytest.mark.parametrize("each", [False, True])
def test_a_batch_writes_whole_files_with_one_barrier_or_one_per_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                                    each: bool) -> None:
    calls = _counted_fsyncs(monkeypatch, each)
    staging = tmp_path / "staging"
    staging.mkdir()
    batch = durable.Batch(tmp_path)
    assert batch.ordered is (not each)  # ext4 here: one barrier unless told otherwise
    for n in range(4):
        batch.write(staging / f"f{n}", bytes([n]) * 50_000, 0o644)
    batch.replace(tmp_path / "journal", b"{}\n")
    batch.rename(staging, tmp_path / "final")
    batch.append(tmp_path / "log", b"one line\n")
    batch.flush()
    durable.group_commit.cache_clear()
    assert [(tmp_path / "final" / f"f{n}").read_bytes() == bytes([n]) * 50_000 for n in range(4)] == [True] * 4
    assert (tmp_path / "journal").read_bytes() == b"{}\n" and (tmp_path / "log").read_bytes() == b"one line\n"
    assert not list(tmp_path.glob(".*.tmp"))
    if each:
        assert len(calls) >= 6 + 2  # every file and every folder
    else:
        assert len(calls) == 1  # the one barrier


@pytest.mark.parametrize("each", [False, True])
def test_the_doc_number_register_waits_for_its_data_without_a_barrier_of_its_own(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, each: bool) -> None:
    """The 发文字号 register's line is on the device before the number is printed: where one
    barrier keeps the order (ext4 here) the record's own barrier commits it, so no fsync."""
    calls = _counted_fsyncs(monkeypatch, each)
    register = tmp_path / "register.jsonl"
    register.write_bytes(b'{"taken": 1}\n')
    durable.sync_file(register)
    durable.group_commit.cache_clear()
    assert len(calls) == (1 if each else 0)


def test_the_index_replays_the_log_when_its_mark_no_longer_fits(tmp_path: Path) -> None:
    app = Sanfang(tmp_path)
    case = list(corpus(20, seed=3))[0]
    records = file_cases(app.archive, [case])
    assert app.catch_up_index() == len(records)  # the first catch-up builds the index from the archive
    follower = Follower(app.index)
    assert not follower.behind()
    offset, seq = follower.mark() or (0, 0)
    follower.set_mark(offset, seq + 5)  # as if the log had been restored from another copy
    more = file_cases(app.archive, [list(corpus(20, seed=4))[1]], seed=5)
    assert app.catch_up_index() == len(records) + len(more)  # replayed from the start, nothing lost
    assert not follower.behind()
    assert app.index.doc_count() == len(records) + len(more)
    lines = (tmp_path / "archive" / "audit.log").read_text(encoding="utf-8").splitlines()
    assert json.loads((app.index.root / "followed.json").read_text())["seq"] == len(lines)
    offset, seq = follower.mark() or (0, 0)
    follower.set_mark(offset + 10_000, seq)  # past the end: lines were taken back after it read them
    assert follower.behind()
    assert app.catch_up_index() == len(records) + len(more) and not follower.behind()


def test_followers_read_whole_lines_after_their_offset_and_the_last_change_of_each_record(tmp_path: Path) -> None:
    """The one tail reader both followers (the index, the records catalogue) stand on."""
    audit = AuditLog(tmp_path)
    assert audit.lines_after(0) == [] and audit.lines_after(5) is None  # no log: nothing, or not this log
    whole = [json.dumps({"seq": n, "档号": no, "record": f"r/{no}"}).encode() + b"\n"
             for n, no in ((1, "A"), (2, "B"), (3, "A"))]
    audit.path.write_bytes(b"".join(whole) + '{"seq": 4, "档'.encode())  # a line still being written
    assert audit.lines_after(0) == whole
    assert audit.lines_after(len(whole[0])) == whole[1:]
    assert audit.lines_after(audit.size() + 1) is None  # shorter than what was read of it
    entries = [json.loads(raw) for raw in whole] + [{"seq": 4, "event": "exported", "档号": "", "record": ""}]
    assert list(changed_records(entries).items()) == [("B", "r/B"), ("A", "r/A")]


def test_a_reservation_is_free_once_its_holder_lets_go(tmp_path: Path) -> None:
    reserved = Reservations(tmp_path)
    first = reserved.take("J001-2026-Y", lambda: 1)
    second = reserved.take("J001-2026-Y", lambda: 1)  # 0001 is held: the next one
    assert (first.item, second.item) == (1, 2)
    assert reserved.holder_alive("J001-2026-Y", 1) and reserved.holder_alive("J001-2026-Y", 2)
    reserved.release(first)
    reserved.release(first)  # twice is harmless
    assert not reserved.holder_alive("J001-2026-Y", 1)
    again = reserved.take("J001-2026-Y", lambda: 1)
    assert again.item == 1  # a number given up goes to the next filer
    os.close(second.fd)  # its filer died without a word: the file stays, nobody holds it
    second.fd = -1
    assert not reserved.holder_alive("J001-2026-Y", 2)
    reserved.clean()
    assert sorted(p.name for p in reserved.dir.iterdir()) == ["J001-2026-Y-0001"]
    reserved.release(again)
