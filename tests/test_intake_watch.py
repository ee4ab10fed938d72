"""``sanfang watch`` on a real temporary folder with a real watchdog observer: slow writers,
reopen-and-append, copies, moves, whole folders, rescan only, 200 files at once, SIGTERM and a
SIGKILL in the middle. After each, every input is in exactly one place and the counts add up."""

from __future__ import annotations

import io
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from PIL import Image

from sanfang_docs.api import Sanfang
from tests import scans
from tests.intake_kit import intake_base, where_is_everything, ws  # noqa: F401 - fixtures

pytestmark = pytest.mark.xdist_group("intake-watch")  # beside test_intake.py, on the other worker


def wait_for(condition, timeout: float = 60.0) -> None:  # noqa: ANN001
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.1)
    raise AssertionError("timed out")


def inbox_empty(inbox: Path) -> bool:
    return not [p for p in inbox.rglob("*") if p.is_file() and not p.name.startswith(".")]


class Running:
    """``app.watch`` in a thread, stopped on exit."""

    def __init__(self, app: Sanfang, inbox: Path, **options):  # noqa: ANN003
        self.stop = threading.Event()
        self.thread = threading.Thread(target=app.watch, args=(inbox, self.stop), kwargs=options)

    def __enter__(self) -> Running:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        self.thread.join(30)
        assert not self.thread.is_alive()


def small_scans(page: Image.Image, n: int) -> list[bytes]:
    """``n`` different PNG scans of a one-page record: its lower half (the QR code is there)
    with one pixel changed each, so every one is a new version."""
    half = page.crop((0, page.height // 2, page.width, page.height)).convert("L")
    out = []
    for i in range(n):
        img = half.copy()
        img.putpixel((i % img.width, 5 + i // img.width), 0)
        buf = io.BytesIO()
        img.save(buf, format="PNG")
        out.append(buf.getvalue())
    return out


def test_slow_writes_reopen_append_copy_move_and_folder(ws, tmp_path: Path) -> None:  # noqa: F811
    app, base = ws
    inbox, outside = tmp_path / "inbox", tmp_path / "outside"
    inbox.mkdir()
    outside.mkdir()
    a_pdf = scans.pdf_of(base.pages["A"])
    b_pdf = scans.pdf_of(base.pages["B"])
    c_png = small_scans(base.pages["C"][0], 1)[0]
    (outside / "b.pdf").write_bytes(b_pdf)
    with Running(app, inbox, delay=0.8, rescan=30, ocr=False):
        # An ADF: chunks with pauses shorter than the delay, closed, reopened and appended to,
        # for longer in all than the delay. Taking it early would file a truncated PDF.
        with open(inbox / "adf.pdf", "wb") as fh:
            for i in range(0, len(a_pdf) // 2, len(a_pdf) // 12):
                fh.write(a_pdf[i:min(i + len(a_pdf) // 12, len(a_pdf) // 2)])
                fh.flush()
                time.sleep(0.3)
        time.sleep(0.5)
        with open(inbox / "adf.pdf", "ab") as fh:
            fh.write(a_pdf[len(a_pdf) // 2:])
        shutil.copy(outside / "b.pdf", inbox / "copied.pdf")
        (outside / "c.png").write_bytes(c_png)
        os.rename(outside / "c.png", inbox / "moved.png")
        folder = outside / "batch"
        folder.mkdir()
        (folder / "note.txt").write_text("不是扫描件", encoding="utf-8")
        (folder / "again.pdf").write_bytes(a_pdf)  # the same scan as adf.pdf
        os.rename(folder, inbox / "batch")
        wait_for(lambda: inbox_empty(inbox) and len(app.quarantine_list()) == 1)
        wait_for(lambda: not (inbox / "batch").exists(), 10)
    filed, quarantined = where_is_everything(app)
    a, b, c = (base.numbers[k] for k in "ABC")
    assert {k: len(v) for k, v in filed.items()} == {a: 1, b: 1, c: 1}
    assert app.archive.get(a).file(filed[a][0]).read_bytes() == a_pdf  # whole, not truncated
    assert len(quarantined) == 1 and quarantined[0].endswith("note.txt")
    assert all(app.archive.get(n).meta["status"] == "已盖章" for n in (a, b, c))


def test_rescan_only_without_events(ws, tmp_path: Path) -> None:  # noqa: F811
    app, base = ws
    inbox = tmp_path / "share"
    inbox.mkdir()
    with Running(app, inbox, delay=0.3, rescan=0.3, events=False, ocr=False):
        (inbox / "scan.pdf").write_bytes(scans.pdf_of(base.pages["B"]))
        wait_for(lambda: inbox_empty(inbox))
    assert list(where_is_everything(app)[0]) == [base.numbers["B"]]


def test_two_hundred_files_at_once(ws, tmp_path: Path) -> None:  # noqa: F811
    app, base = ws
    assert len(base.pages["C"]) == 1
    inbox = tmp_path / "inbox"
    staging = tmp_path / "staging"
    staging.mkdir()
    for i, data in enumerate(small_scans(base.pages["C"][0], 60)):
        (staging / f"scan-{i:03d}.png").write_bytes(data)
    for i in range(140):  # cheap to judge, so CI stays quick; bench/ drops 200 real scans
        (staging / f"junk-{i:03d}.dat").write_bytes(os.urandom(64) if i % 2 else b"")
    os.rename(staging, inbox)  # all 200 arrive at once
    with Running(app, inbox, delay=0.3, rescan=0.5, ocr=False):
        wait_for(lambda: inbox_empty(inbox), 240)
    filed, quarantined = where_is_everything(app)
    assert len(filed[base.numbers["C"]]) == 60 and len(quarantined) == 140
    assert not list((base.home / ".intake" / "journal").glob("*.json"))


def _watch(home: Path, inbox: Path, **env: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "sanfang_docs.cli", "watch", "--home", str(home), str(inbox),
         "--delay", "0.3", "--rescan", "0.5", "--no-ocr"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env={**os.environ, **env})


def test_sigkill_mid_way_then_restart_and_sigterm(ws, tmp_path: Path) -> None:  # noqa: F811
    app, base = ws
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    data = small_scans(base.pages["C"][0], 12)
    for i, blob in enumerate(data):
        (inbox / f"s{i:02d}.png").write_bytes(blob)
    (inbox / "bad.txt").write_text("x", encoding="utf-8")
    # First run dies right after storing its first file, before the journal is closed.
    first = _watch(base.home, inbox, SANFANG_CRASH_AT="intake-stored")
    assert first.wait(60) == -signal.SIGKILL
    assert list((base.home / ".intake" / "journal").glob("*.json"))
    # Second run killed at a random moment once it has filed a few.
    second = _watch(base.home, inbox)
    wait_for(lambda: len([p for p in inbox.iterdir() if p.is_file()]) <= 9)
    second.send_signal(signal.SIGKILL)
    second.wait(30)
    third = _watch(base.home, inbox)
    wait_for(lambda: inbox_empty(inbox))
    wait_for(lambda: not list((base.home / ".intake" / "journal").glob("*.json")), 20)
    third.send_signal(signal.SIGTERM)
    out, err = third.communicate(timeout=30)
    assert third.returncode == 0 and "已停止监视" in err, err
    filed, quarantined = where_is_everything(Sanfang(base.home))
    assert len(filed[base.numbers["C"]]) == 12 and len(quarantined) == 1
    # Ctrl-C: the same clean stop.
    fourth = _watch(base.home, inbox)
    time.sleep(3)
    fourth.send_signal(signal.SIGINT)
    out, err = fourth.communicate(timeout=30)
    assert fourth.returncode == 0 and "已停止监视" in err and "Traceback" not in err, err
    assert not [p for p in (base.home / ".intake" / "work").rglob("*") if p.is_file()]


@pytest.mark.parametrize("point", ["intake-taken", "after-update-journal", "after-update-files", "after-audit",
                                   "intake-stored"])
def test_killed_at_every_step_then_recovered(ws, tmp_path: Path, point: str) -> None:  # noqa: F811
    """``sanfang intake`` killed between any two durable steps (journal, move, scan, record.json,
    audit line, journal closed); the next run finishes it: one scan, 已盖章, nothing left over."""
    app, base = ws
    src = tmp_path / "b.pdf"
    src.write_bytes(scans.pdf_of(base.pages["B"]))
    done = subprocess.run([sys.executable, "-m", "sanfang_docs.cli", "intake", "--home", str(base.home), "--no-ocr",
                           str(src)], capture_output=True, text=True, env={**os.environ, "SANFANG_CRASH_AT": point})
    assert done.returncode == -signal.SIGKILL, done.stderr
    assert not src.exists()  # taken: it is in the journal's care
    again = Sanfang(base.home)
    again.intake([], ocr=False)
    filed, quarantined = where_is_everything(again)
    assert filed == {base.numbers["B"]: filed[base.numbers["B"]]} and len(filed[base.numbers["B"]]) == 1
    assert quarantined == [] and again.archive.get(base.numbers["B"]).meta["status"] == "已盖章"
    assert not list((base.home / ".intake" / "journal").glob("*.json"))
    assert again.verify(base.numbers["B"]).ok
