"""件号 reserved while a record is rendered and signed, so filers can work at once.

A record's 档号 is printed in its QR codes and signed with it, so its 件号 must be known before
the slow part of filing (Typst, DOCX, the signature: most of a filing). Taking the archive lock
for all of it made filing one at a time across processes. Instead a filer reserves the next
free 件号 under the lock (``archive/.reserved/<series>-<件号>``, a file it holds an ``flock``
on for as long as it lives), renders and stages its files without the lock, takes the lock
again only to publish (rename and audit lines), and lets go of the reservation there, before
its barrier (store.py).

Records are still published in 件号 order, so the numbers on disk never have a gap: a filer
whose predecessor in the series has not published yet waits for that publish (blocking on
the predecessor's reservation, not polling), never for its barrier; one whose predecessor died
or gave up takes the predecessor's number itself and renders again under the lock (rare: only
after a failure). A reservation nobody holds any longer is free; recovery deletes it, and the
staging folder named after it (``.tmp/<series>-<件号>.<id>``) with it. May import: ``errors``.
"""

from __future__ import annotations

import fcntl
import json
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

DIR = ".reserved"


@dataclass
class Slot:
    """One reservation: its 件号 and the open, locked file that says its holder is alive."""

    series: str
    item: int
    path: Path
    fd: int = field(repr=False)
    doc_no: str = ""

    def move(self, item: int) -> None:
        """Take ``item`` instead (the caller holds the archive lock; ``item`` is free)."""
        target = self.path.with_name(slot_name(self.series, item))
        os.replace(self.path, target)  # the same file, still locked by us
        self.path, self.item = target, item


def slot_name(series: str, item: int) -> str:
    return f"{series}-{item:04d}"


class Reservations:
    """The reservations of one archive. Every method but :meth:`wait_for` expects the caller
    to hold the archive lock."""

    def __init__(self, root: Path):
        self.dir = root / DIR

    def take(self, series: str, next_free: Callable[[], int], doc_no: str = "") -> Slot:
        """The lowest 件号 not on disk (``next_free``) and not held by a live filer."""
        self.dir.mkdir(exist_ok=True)
        item = next_free()
        while self.holder_alive(series, item):
            item += 1
        path = self.dir / slot_name(series, item)
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_TRUNC, 0o644)
        fcntl.flock(fd, fcntl.LOCK_EX)  # free: a dead holder's lock went with it
        os.write(fd, json.dumps({"pid": os.getpid(), "doc_no": doc_no}).encode())
        return Slot(series, item, path, fd, doc_no)

    def release(self, slot: Slot) -> None:
        """The record is on disk (or the filing gave up): the number is no longer held."""
        if slot.fd < 0:
            return
        slot.path.unlink(missing_ok=True)
        os.close(slot.fd)
        slot.fd = -1

    def holder_alive(self, series: str, item: int) -> bool:
        try:
            fd = os.open(self.dir / slot_name(series, item), os.O_RDONLY)
        except FileNotFoundError:
            return False
        try:
            fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            return True
        finally:
            os.close(fd)  # (a lock we got goes with the descriptor)
        return False

    def named_alive(self, name: str) -> bool:
        """Whether the reservation ``name`` (``<series>-<件号>``, as a slot or its staging
        folder begins) is held by a live filer."""
        series, _, item = name.rpartition("-")
        return item.isdigit() and self.holder_alive(series, int(item))

    def wait_for(self, series: str, item: int) -> None:
        """Block until the holder of ``item`` lets go (it filed, gave up or died). Called
        without the archive lock, which that holder needs to finish."""
        try:
            fd = os.open(self.dir / slot_name(series, item), os.O_RDONLY)
        except FileNotFoundError:
            return
        try:
            fcntl.flock(fd, fcntl.LOCK_SH)
        finally:
            os.close(fd)

    def live_doc_numbers(self) -> set[str]:
        """发文字号 taken by filers still at work (not to be settled as gaps)."""
        numbers = set()
        for path in self._files():
            if self.named_alive(path.name):
                try:
                    numbers.add(str(json.loads(path.read_text(encoding="utf-8")).get("doc_no") or ""))
                except (OSError, ValueError):
                    continue
        numbers.discard("")
        return numbers

    def clean(self) -> None:
        """Delete reservations nobody holds (their filers died): the numbers are free again."""
        for path in self._files():
            if not self.named_alive(path.name):
                path.unlink(missing_ok=True)

    def _files(self) -> list[Path]:
        return sorted(self.dir.iterdir()) if self.dir.is_dir() else []
