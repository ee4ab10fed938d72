"""``sanfang watch``: the inbox watched by watchdog events **and** a periodic full rescan that
is always on (a CIFS/NFS share sends no events), a file taken only once its size and mtime
have held still for ``delay`` seconds — however long it keeps changing (an ADF that closes
and reopens the file between pages is normal) — and OCR in a thread of its own, so filing
never waits for it. Stops cleanly between files on Ctrl-C or SIGTERM (the caller sets
``stop``); the journal makes even a kill safe.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from .pipeline import Intake, Result

log = logging.getLogger("sanfang.intake")
EMPTY_FACTOR = 12  # an empty file is taken after 12 × the delay (1 minute by default)


@dataclass
class Stability:
    """Files seen in the inbox and since when their (size, mtime) have not changed."""

    delay: float
    seen: dict[Path, tuple[tuple[int, int], float]] = field(default_factory=dict)

    def look(self, path: Path, now: float) -> bool:
        """True once ``path`` has held still for ``delay`` seconds."""
        try:
            st = path.stat()
        except OSError:
            self.seen.pop(path, None)
            return False
        stamp = (st.st_size, st.st_mtime_ns)
        old = self.seen.get(path)
        if old is None or old[0] != stamp:
            self.seen[path] = (stamp, now)
            return False
        # A scanner may create its file long before the first byte: an empty file waits longer.
        return now - old[1] >= (self.delay if stamp[0] else self.delay * EMPTY_FACTOR)

    def forget(self, path: Path) -> None:
        self.seen.pop(path, None)


def inbox_files(inbox: Path) -> list[Path]:
    """Every file under the inbox, dropped folders included; hidden names (a scanner's or
    copier's temporary files, our own state) are skipped."""
    out = []
    for root, dirs, files in os.walk(inbox):
        dirs[:] = [d for d in dirs if not d.startswith(".")]
        out += [Path(root) / f for f in files if not f.startswith(".") and not f.endswith((".part", ".tmp", "~"))]
    return sorted(out)


class Watcher:
    def __init__(self, intake: Intake, inbox: Path, *, delay: float | None = None, rescan: float | None = None,
                 events: bool = True, retry: float | None = None, ocr: bool = True, on_result: Callable[[Result], None] | None = None):
        s = intake.settings
        self.intake, self.inbox = intake, inbox
        self.delay = float(s["delay"] if delay is None else delay)
        self.rescan = float(s["rescan"] if rescan is None else rescan)
        self.retry = float(s["retry"] if retry is None else retry)
        self.events, self.ocr = events, ocr
        self.on_result = on_result
        self.stability = Stability(self.delay)
        self.candidates: set[Path] = set()
        self.lock = threading.Lock()
        self.ocr_wake = threading.Event()

    def _notice(self, path: str) -> None:
        p = Path(path)
        try:
            if any(part.startswith(".") for part in p.relative_to(self.inbox).parts):
                return
        except ValueError:  # moved out of the inbox
            return
        with self.lock:
            self.candidates.add(p)

    def run(self, stop: threading.Event) -> None:
        self.inbox.mkdir(parents=True, exist_ok=True)
        observer = self._observer() if self.events else None
        ocr_thread = threading.Thread(target=self._ocr_loop, args=(stop,), name="sanfang-ocr", daemon=True)
        if self.ocr:
            ocr_thread.start()
        try:
            self._report(self.intake.recover())
            last_scan = last_retry = 0.0
            tick = max(0.05, min(0.5, self.delay / 4))
            while not stop.is_set():
                now = time.monotonic()
                if now - last_scan >= self.rescan:
                    with self.lock:
                        self.candidates.update(inbox_files(self.inbox))
                    last_scan = now
                if now - last_retry >= self.retry:
                    last_retry = now
                    self._report(self.intake.recover() + self.intake.retry_temporary())
                self._take_ready(stop)
                stop.wait(tick)
        finally:
            if observer is not None:
                observer.stop()
                observer.join()
            self.ocr_wake.set()
            if self.ocr:
                ocr_thread.join()

    def _take_ready(self, stop: threading.Event) -> None:
        now = time.monotonic()
        with self.lock:
            candidates = sorted(self.candidates)
        for path in candidates:
            if stop.is_set():
                return
            if not path.is_file():
                self._drop(path)
                continue
            if not self.stability.look(path, now):
                continue
            self._drop(path)
            try:
                self._report(self.intake.take(path))
            except FileNotFoundError:
                continue  # moved away between look and take
            except OSError as exc:  # unreadable, no permission, disk full: the next rescan tries again
                log.warning("暂时无法收取 %s：%s", path, exc.strerror or exc)
                continue
            self._prune(path.parent)

    def _drop(self, path: Path) -> None:
        with self.lock:
            self.candidates.discard(path)
        self.stability.forget(path)

    def _prune(self, folder: Path) -> None:
        """Remove a dropped folder once everything in it is taken (never the inbox itself)."""
        while folder != self.inbox and self.inbox in folder.parents:
            try:
                folder.rmdir()
            except OSError:
                return
            folder = folder.parent

    def _report(self, results: list[Result]) -> None:
        for r in results:
            if self.on_result:
                self.on_result(r)
        if results:
            self.ocr_wake.set()

    def _ocr_loop(self, stop: threading.Event) -> None:
        while not stop.is_set():
            self.ocr_wake.wait(self.retry)
            self.ocr_wake.clear()
            if stop.is_set():
                return
            try:
                self.intake.run_ocr(stop)
            except Exception as exc:  # noqa: BLE001 - OCR must never stop the filing loop
                log.warning("文字识别出错：%s，稍后重试", exc)

    def _observer(self):  # noqa: ANN202 - watchdog's type
        from watchdog.events import FileSystemEventHandler
        from watchdog.observers import Observer

        watcher = self

        class Handler(FileSystemEventHandler):
            def on_any_event(self, event):  # noqa: ANN001, ANN202
                for attr in ("src_path", "dest_path"):
                    path = getattr(event, attr, "")
                    if path and not event.is_directory:
                        watcher._notice(os.fsdecode(path))
                    elif path and event.is_directory and event.event_type in ("moved", "created"):
                        for f in inbox_files(Path(os.fsdecode(path))):
                            watcher._notice(str(f))

        observer = Observer()
        observer.schedule(Handler(), str(self.inbox), recursive=True)
        observer.start()
        return observer
