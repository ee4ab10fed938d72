"""Inspection-bundle jobs kept on disk (``<home>/exports/<id>.json`` beside ``<id>.zip``), so a
restart of the server still shows who asked for which bundle, and whether it finished or
failed; finished ZIPs (and their job files) are removed after the workspace setting
``web: export_keep_hours`` (default 24), at start and whenever the export pages are used.

A running job is also held in memory by the process running it (its progress changes many
times a second; the file is rewritten at most once a second and at the end). A job file that
says "running" whose process is gone was cut short by a restart: it reads as failed, and its
half-written ZIP is removed.
"""

from __future__ import annotations

import json
import os
import secrets
import threading
import time
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

RUNNER = secrets.token_hex(8)  # this process, as a job file names it (a pid may be reused)
INTERRUPTED = "导出被中断（服务曾重启），检查包未生成。请重新导出。"
SHOWN = ("records", "pages", "files", "bytes", "sha256", "transfer_ok", "notes")  # what the page shows


@dataclass
class Job:
    id: str
    owner: str
    folder: Path
    done: int = 0
    total: int = 0
    label: str = "准备中"
    result: dict[str, Any] | None = None
    error: str = ""
    created: str = field(default_factory=lambda: _now().isoformat(timespec="seconds"))
    finished_at: str = ""
    pid: int = field(default_factory=os.getpid)
    runner: str = RUNNER

    @property
    def path(self) -> Path:
        return self.folder / f"{self.id}.zip"

    @property
    def finished(self) -> bool:
        return self.result is not None or bool(self.error)

    def save(self) -> None:
        data = {k: v for k, v in asdict(self).items() if k not in ("folder",)}
        tmp = self.folder / f".{self.id}.{os.getpid()}.tmp"
        tmp.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
        os.replace(tmp, self.folder / f"{self.id}.json")


class Jobs:
    """The jobs of one workspace's exports folder."""

    def __init__(self, folder: Path, keep_hours: float):
        self.folder, self.keep_hours = folder, keep_hours
        self.keep = timedelta(hours=float(keep_hours))
        self._running: dict[str, Job] = {}
        self._lock = threading.Lock()
        self._saved: dict[str, float] = {}

    def new(self, owner: str) -> Job:
        self.folder.mkdir(parents=True, exist_ok=True)
        job = Job(secrets.token_urlsafe(12), owner, self.folder)
        job.save()
        with self._lock:
            self._running[job.id] = job
        return job

    def progress(self, job: Job, done: int, total: int, label: str) -> None:
        changed = label != job.label
        job.done, job.total, job.label = done, total, label
        if changed or time.monotonic() - self._saved.get(job.id, 0.0) >= 1.0:
            self._saved[job.id] = time.monotonic()
            job.save()

    def finish(self, job: Job, result: Any = None, error: str = "") -> None:
        if result is not None:
            job.result = {k: getattr(result, k) for k in SHOWN}
        job.error = error
        job.finished_at = _now().isoformat(timespec="seconds")
        job.save()
        with self._lock:
            self._running.pop(job.id, None)
            self._saved.pop(job.id, None)

    def get(self, job_id: str) -> Job | None:
        with self._lock:
            if job_id in self._running:
                return self._running[job_id]
        if not job_id.replace("-", "").replace("_", "").isalnum():
            return None  # a name, never a path
        return self._load(self.folder / f"{job_id}.json")

    def of(self, owner: str) -> list[Job]:
        """The owner's jobs, newest first."""
        found = [j for j in (self.get(p.stem) for p in self._files()) if j is not None and j.owner == owner]
        return sorted(found, key=lambda j: j.created, reverse=True)

    def sweep(self) -> int:
        """Remove finished jobs older than the setting, and their ZIPs; the number removed."""
        removed, cutoff = 0, _now() - self.keep
        for path in self._files():
            job = self._load(path)
            if job is None or not job.finished or not job.finished_at:
                continue
            if datetime.fromisoformat(job.finished_at) <= cutoff:
                job.path.unlink(missing_ok=True)
                path.unlink(missing_ok=True)
                removed += 1
        return removed

    def _files(self) -> list[Path]:
        return sorted(self.folder.glob("*.json")) if self.folder.is_dir() else []

    def _load(self, path: Path) -> Job | None:
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            job = Job(folder=self.folder, **data)
        except (OSError, ValueError, TypeError):
            return None
        if not job.finished and not self._alive(job):
            job.error, job.finished_at = INTERRUPTED, _now().isoformat(timespec="seconds")
            job.path.unlink(missing_ok=True)  # half written
            job.save()
        return job

    def _alive(self, job: Job) -> bool:
        """Whether the job's process still runs it (this process: its thread; another: its pid)."""
        if job.runner == RUNNER:
            with self._lock:
                return job.id in self._running
        try:
            os.kill(job.pid, 0)
        except ProcessLookupError:
            return False
        except PermissionError:
            return True
        return True


def _now() -> datetime:
    return datetime.now(UTC)
