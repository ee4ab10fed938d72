"""Crash safety and concurrency of filing: a process killed (SIGKILL) anywhere leaves a complete
record or none, the next run finishes or cleans up, and parallel filers never share or skip
a 件号."""

from __future__ import annotations

import errno
import json
import os
import random
import signal
import subprocess
import sys
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

import pytest

from sanfang_docs.api import Sanfang
from sanfang_docs.archive import Archive, sha256_hex
from sanfang_docs.errors import ArchiveError
from sanfang_docs.verify import ARCHIVE_NO
from sanfang_docs.workspace import Workspace
from tests.conftest import EXAMPLES, REPO

KEYS = ("branch-founding-request", "branch-founding-reply", "branch-meeting-request", "branch-meeting-reply",
        "branch-election-report", "branch-meeting-agenda", "branch-election-approval", "branch-election-notice")

# Files documents in a loop (count 0: for ever), or attaches one scan, or changes one status.
WORKER = """
import itertools, sys, yaml
from sanfang_docs.api import Sanfang
home, mode, arg = sys.argv[1], sys.argv[2], sys.argv[3]
app = Sanfang(home)
if mode == "file":
    answers = yaml.safe_load(open(sys.argv[4], encoding="utf-8"))
    keys = sys.argv[5].split(",")
    for i in (range(int(arg)) if int(arg) else itertools.count()):
        app.produce(app.run_interview("branch-founding", answers, keys[i % len(keys)]))
        print("filed", flush=True)
elif mode == "scan":
    import io
    from PIL import Image
    out = io.BytesIO()
    Image.new("RGB", (40, 30), (200, 30, 30)).save(out, "JPEG")
    app.archive.attach_scan(arg, "scan.jpg", out.getvalue())
elif mode == "status":
    app.archive.set_status(arg, "已盖章", reason="测试")
"""


def worker(tmp_path: Path, home: Path, mode: str, arg: str, crash_at: str | None = None,
           keys: tuple[str, ...] = KEYS) -> subprocess.Popen[str]:
    script = tmp_path / "worker.py"
    script.write_text(WORKER, encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": str(REPO), "SANFANG_CRASH_AT": crash_at or ""}
    args = [sys.executable, str(script), str(home), mode, arg]
    if mode == "file":
        args += [str(EXAMPLES / "branch-founding" / "secretary-only.yaml"), ",".join(keys)]
    return subprocess.Popen(args, env=env, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def fresh_home(tmp_path: Path) -> Path:
    """A workspace whose keys exist already (so crashes land in filing, not in key creation)."""
    home = tmp_path / "ws"
    home.mkdir()
    (home / "settings.yaml").write_text("signing:\n  key_bits: 2048\n", encoding="utf-8")
    return home


def assert_complete(home: Path) -> None:
    """Before any recovery: every record folder in place is whole and its digests hold."""
    for meta_file in (home / "archive").glob("[0-9]*/*/*/*/record.json"):
        meta = json.loads(meta_file.read_text(encoding="utf-8"))
        for name, info in meta["files"].items():
            assert sha256_hex((meta_file.parent / name).read_bytes()) == info["sha256"], (meta_file, name)
    for folder in (home / "archive").glob("[0-9]*/*/*/*"):
        assert (folder / "record.json").exists(), f"half a record: {folder}"


def assert_clean(home: Path) -> int:
    """After recovery: nothing left over, the four checks pass; returns the number of records."""
    archive = home / "archive"
    assert not (archive / ".pending").exists()
    assert not (archive / ".tmp").exists() or not list((archive / ".tmp").iterdir())
    report = Sanfang(home).verify()
    assert report.ok, [p.as_text() for p in report.problems]
    return report.records


# -- deterministic crash points -------------------------------------------------------------


@pytest.mark.parametrize(("point", "kept"), [
    ("after-reserve", 0),  # 件号 reserved, nothing rendered: the number is free again
    ("after-render", 0),  # rendered and signed, nothing written: likewise
    ("after-stage", 0),  # staged (outside the lock), not published: likewise
    ("after-journal", 0),  # staged, not renamed: the record never existed
    ("after-rename", 1),  # in place, log not written: the next run writes it
    ("after-audit-append", 1),  # log written, head not moved: the next run moves it
    ("after-audit", 1),  # all done but the journal: the next run just drops it
    ("after-publish", 1),  # published, the lock let go, the barrier not yet taken: whole
])
@pytest.mark.parametrize("next_run", ["recover", "file"])
def test_killed_while_filing_at_each_step(tmp_path: Path, point: str, kept: int, next_run: str) -> None:
    home = fresh_home(tmp_path)
    app = Sanfang(home)
    app.produce(app.run_interview("branch-founding", example_answers(), KEYS[0]))
    proc = worker(tmp_path, home, "file", "1", crash_at=point, keys=(KEYS[2],))
    proc.wait(timeout=120)
    assert proc.returncode == -signal.SIGKILL, proc.stderr.read() if proc.stderr else ""
    assert_complete(home)
    if next_run == "recover":
        Archive(Workspace.open(home)).recover()
        assert assert_clean(home) == 1 + kept
    else:
        made = Sanfang(home).produce(app.run_interview("branch-founding", example_answers(), KEYS[2]))
        assert made.record is not None and made.record.meta["件号"] == 2 + kept  # Y series: 0001, then …
        assert assert_clean(home) == 2 + kept


@pytest.mark.parametrize("point", ["after-update-journal", "after-update-files", "after-audit-append", "after-audit"])
@pytest.mark.parametrize("mode", ["scan", "status"])
def test_killed_while_changing_a_record(tmp_path: Path, point: str, mode: str) -> None:
    home = fresh_home(tmp_path)
    app = Sanfang(home)
    record = app.produce(app.run_interview("branch-founding", example_answers(), KEYS[0])).record
    assert record is not None
    proc = worker(tmp_path, home, mode, record.archive_no, crash_at=point)
    proc.wait(timeout=120)
    assert proc.returncode == -signal.SIGKILL
    Archive(Workspace.open(home)).recover()
    assert_clean(home)
    meta = Archive(Workspace.open(home)).get(record.archive_no).meta
    # Once the journal is written the change is finished by the next run, except a scan whose
    # bytes never reached the disk (they are not in the journal): that change did not happen.
    undone = mode == "scan" and point == "after-update-journal"
    assert meta["status"] == ("已签名" if undone else "已盖章")
    assert ("scans/scan.jpg" in meta["files"]) == (mode == "scan" and not undone)
    assert not list(record.path.glob(".*.tmp")) and not list(record.path.glob("scans/.*.tmp"))


@pytest.mark.parametrize("dies_at", ["after-render", "after-stage"])
def test_a_filer_whose_predecessor_dies_takes_its_number(tmp_path: Path, dies_at: str) -> None:
    """Records are published in 件号 order: a filer that reserved 0003 while 0002 was being
    rendered (or staged, its files in .tmp) waits for it; when 0002's filer dies, it takes 0002
    (rendered again) and 0003 is free for the next one. No gap on disk at any point, and the
    dead filer's staging folder goes."""
    from sanfang_docs.archive.numbers import RETENTION_CODES

    home = fresh_home(tmp_path)
    app = Sanfang(home)
    first = app.produce(app.run_interview("branch-founding", example_answers(), KEYS[0])).record
    assert first is not None and first.meta["件号"] == 1
    dying = worker(tmp_path, home, "file", "1", crash_at=dies_at, keys=(KEYS[2],))
    archive = Archive(Workspace.open(home))
    series = f"{first.meta['全宗号']}-{first.meta['年度']}-{RETENTION_CODES[first.meta['保管期限']]}"
    deadline = time.monotonic() + 120
    while not archive.reserved.holder_alive(series, 2) and dying.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)  # until the worker holds 0002 (it dies once rendered)
    made = app.produce(app.run_interview("branch-founding", example_answers(), KEYS[2]))
    dying.wait(timeout=120)
    assert dying.returncode == -signal.SIGKILL
    assert made.record is not None and made.record.meta["件号"] == 2  # the dead filer's number
    again = app.produce(app.run_interview("branch-founding", example_answers(), KEYS[4])).record
    assert again is not None and again.meta["件号"] == 3
    assert assert_clean(home) == 3
    gapless(home)
    assert not list((home / "archive" / ".reserved").iterdir())


def example_answers() -> dict[str, object]:
    from tests.conftest import example

    return example("branch-founding", "secretary-only")


# -- random kills ----------------------------------------------------------------------------


def test_random_sigkill_while_filing_leaves_whole_records_only(tmp_path: Path) -> None:
    home = fresh_home(tmp_path)
    app = Sanfang(home)
    app.produce(app.run_interview("branch-founding", example_answers(), KEYS[0]))  # keys and fonts exist
    rng = random.Random(2026)
    total = assert_clean(home)
    for round_no in range(8):
        proc = worker(tmp_path, home, "file", "0")
        assert proc.stdout is not None
        first = proc.stdout.readline()  # start-up done, one filed: now kill it mid-stride
        time.sleep(rng.uniform(0.0, 1.5))  # a filing takes ~0.1–0.3 s: any step may be hit
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=60)
        filed = (first + proc.stdout.read()).count("filed")
        assert_complete(home)
        if round_no % 2:
            Archive(Workspace.open(home)).recover()
        else:  # the next filing is also a next run
            app = Sanfang(home)
            app.produce(app.run_interview("branch-founding", example_answers(), KEYS[round_no % len(KEYS)]))
            filed += 1
        count = assert_clean(home)
        assert count >= total + filed  # every acknowledged filing is there (one may be in flight)
        total = count
    assert total > 10
    gapless(home)


# -- concurrency -----------------------------------------------------------------------------


def test_four_processes_filing_fifty_each_get_unique_gapless_numbers(tmp_path: Path) -> None:
    home = tmp_path / "ws"  # fresh: the four also race to create the CA and the keys
    procs = [worker(tmp_path, home, "file", "50") for _ in range(4)]
    for proc in procs:
        out, err = proc.communicate(timeout=900)
        assert proc.returncode == 0, err[-2000:]
        assert out.count("filed") == 50
    names = [p.name for p in (home / "archive").glob("[0-9]*/*/*/*")]
    assert len(names) == len(set(names)) == 200
    gapless(home)
    assert assert_clean(home) == 200
    lines = (home / "archive" / "audit.log").read_text(encoding="utf-8").splitlines()
    assert len(lines) == 400 and [json.loads(x)["seq"] for x in lines] == list(range(1, 401))
    assert len(list((home / "keys" / "orgs").glob("*.p12"))) == 4  # one per issuer, not one per process


def gapless(home: Path) -> None:
    series: dict[tuple[str, str, str], list[int]] = defaultdict(list)
    for folder in (home / "archive").glob("[0-9]*/*/*/*"):
        m = ARCHIVE_NO.match(folder.name)
        assert m, folder
        series[(m["fonds"], m["year"], m["ret"])].append(int(m["item"]))
    for key, items in series.items():
        assert sorted(items) == list(range(1, len(items) + 1)), (key, sorted(items))
    from tests.test_doc_numbers import register_is_gapless  # 发文字号 too (imported late: it imports us)

    register_is_gapless(home)


# -- the barrier after the lock ----------------------------------------------------------------


def test_recovery_leaves_the_staging_folder_of_a_filer_still_at_work(tmp_path: Path) -> None:
    """Records are staged outside the lock: another process's recovery must not sweep a live
    filer's staging folder away (it is named after the reservation, whose lock says alive)."""
    home = fresh_home(tmp_path)
    archive = Archive(Workspace.open(home))
    archive.root.mkdir(parents=True)
    slot = archive.reserved.take("J001-2026-Y", lambda: 1)
    live = archive.tmp / f"{slot.path.name}.abc"
    dead = archive.tmp / "J001-2026-Y-0007.def"  # nobody holds 0007
    for folder in (live, dead):
        folder.mkdir(parents=True)
        (folder / "document.pdf").write_bytes(b"%PDF")
    archive.recover()
    assert live.exists() and not dead.exists()
    archive.reserved.release(slot)
    archive.recover()
    assert not live.exists()


def _failing_barrier(monkeypatch: pytest.MonkeyPatch, before: Any = None) -> None:
    """The barrier after the publish fails once (EIO), as a dying disk's would; ``before``
    runs first (another change landing in the log after ours)."""
    from sanfang_docs.archive.store import Archive as Store

    real = Store._barrier

    def barrier(self: Any, record: Any, batch: Any, undo: Any) -> None:
        if before:
            before(self, record)
        flush = batch.flush

        def fail() -> None:
            flush()
            raise OSError(errno.EIO, os.strerror(errno.EIO))

        batch.flush = fail
        monkeypatch.setattr(Store, "_barrier", real)
        real(self, record, batch, undo)

    monkeypatch.setattr(Store, "_barrier", barrier)


def test_a_failed_barrier_takes_the_record_back_while_nothing_follows_it(tmp_path: Path,
                                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    from tests.test_doc_numbers import REQUEST, register_is_gapless

    home = fresh_home(tmp_path)
    app = Sanfang(home)
    app.produce(app.run_interview("branch-founding", example_answers(), KEYS[0]))
    _failing_barrier(monkeypatch)
    with pytest.raises(ArchiveError, match="读写失败"):
        app.produce(app.run_interview("branch-founding", example_answers(), REQUEST))
    assert assert_clean(home) == 1  # taken back: the filing reported as failed left nothing
    state = register_is_gapless(home)  # its 发文字号 is a gap with the reason
    made = app.produce(app.run_interview("branch-founding", example_answers(), REQUEST)).record
    assert made is not None and made.meta["件号"] == 2  # the 件号 was not skipped
    assert max(len(s) for s in register_is_gapless(home).values()) == max(len(s) for s in state.values()) + 1
    gapless(home)


def test_a_failed_barrier_after_a_later_change_keeps_the_record_and_says_so(tmp_path: Path,
                                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    home = fresh_home(tmp_path)
    app = Sanfang(home)
    app.produce(app.run_interview("branch-founding", example_answers(), KEYS[0]))
    _failing_barrier(monkeypatch, before=lambda archive, record: archive.log_export([record.archive_no], "测试"))
    with pytest.raises(ArchiveError, match="已归入档案库.*sanfang verify"):
        app.produce(app.run_interview("branch-founding", example_answers(), KEYS[2]))
    assert assert_clean(home) == 2  # in the log with a change after it: it stays, whole
    gapless(home)


# -- the 件号 counter ---------------------------------------------------------------------------


@pytest.mark.parametrize("left", ["another boot", "the old format", "missing"])
def test_a_counter_not_written_in_this_boot_gives_way_to_the_records_on_disk(tmp_path: Path, left: str) -> None:
    # The counter is believed only in the boot that wrote it (archive/numbers.py): a power cut
    # may have lost its last writes, so after a restart the records on disk decide, once.
    home = fresh_home(tmp_path)
    app = Sanfang(home)
    made = [app.produce(app.run_interview("branch-founding", example_answers(), KEYS[0])).record for _ in range(3)]
    assert [m.meta["件号"] for m in made] == [1, 2, 3]
    counter = next((home / "archive" / ".counters").iterdir())
    item, boot = counter.read_text().split()
    assert (int(item), boot) == (3, Path("/proc/sys/kernel/random/boot_id").read_text().strip())
    stale = {"another boot": f"{1:>12} {'0' * 8}-0000-0000-0000-{'0' * 12}\n", "the old format": f"{1:>12}\n"}
    if left == "missing":
        counter.unlink()
    else:
        counter.write_text(stale[left])  # as a power cut after the first record would leave it
    fourth = Sanfang(home).produce(app.run_interview("branch-founding", example_answers(), KEYS[0])).record
    assert fourth.meta["件号"] == 4  # not 2: the records on disk decided
    assert counter.read_text().split()[0] == "4"
    assert assert_clean(home) == 4



@pytest.mark.parametrize("archive_no", ["J001-WS·2026-Y-SQDW-0012", "J-001-WS·2026-D30-JDDGW-12345"])
def test_recovery_moves_the_counter_up_to_a_record_it_finds_in_place(tmp_path: Path, archive_no: str) -> None:
    from sanfang_docs.archive.numbers import ItemNumbers

    numbers = ItemNumbers(Workspace.open(fresh_home(tmp_path)), tmp_path / "archive")
    numbers.placed(archive_no)
    fonds, year, retention = archive_no.split("-WS·")[0], "2026", "永久" if "-Y-" in archive_no else "定期30年"
    assert numbers.next_item(fonds, year, retention) == int(archive_no.rsplit("-", 1)[1]) + 1
