"""Filing in a worker process. Rendering, signing and indexing a document hold the Python
interpreter for hundreds of milliseconds; in the web server's own process that stalls every
other person's screen (bench/README.md). A long-lived worker process (spawned, so no thread
state is forked) files drafts one at a time — the archive serialises filings under its lock
anyway — while the server keeps answering screens on the other core.
"""

from __future__ import annotations

import multiprocessing
import threading
from concurrent.futures import ProcessPoolExecutor
from typing import Any

from ..api import Sanfang
from ..errors import NotFoundError, SanfangError, ValidationError

_worker_api: dict[str, Sanfang] = {}


def _file(home: str, draft_id: str, caller: Any) -> tuple[str, str]:
    """In the worker: ("ok", 档号) or (error class, message) — errors cross as words."""
    api = _worker_api.get(home) or _worker_api.setdefault(home, Sanfang(home))
    try:
        made = api.file_draft(draft_id, caller)
    except ValidationError as exc:
        return "ValidationError", "\n".join(p.as_text() for p in exc.problems)
    except NotFoundError as exc:
        return "NotFoundError", exc.message
    except SanfangError as exc:
        return "SanfangError", exc.message
    assert made.record is not None
    return "ok", made.record.archive_no


def _warm(home: str) -> None:
    """In the worker: load what filing needs (Typst, pyHanko, the index) before the first one."""
    api = _worker_api.get(home) or _worker_api.setdefault(home, Sanfang(home))
    api.warm_up()


class Filer:
    """Files drafts for one app: in a worker process, or in-process when ``in_process``."""

    def __init__(self, api: Sanfang, in_process: bool = False):
        self.api, self.in_process = api, in_process
        self._pool: ProcessPoolExecutor | None = None
        self._lock = threading.Lock()

    def _worker(self) -> ProcessPoolExecutor:
        with self._lock:
            if self._pool is None:
                self._pool = ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn"))
                self._pool.submit(_warm, str(self.api.workspace.home))
            return self._pool

    def warm(self) -> None:
        """Start the worker now (the server does at start), not on the first filing."""
        if not self.in_process:
            self._worker()

    def file(self, draft_id: str, caller: Any) -> str:
        if self.in_process:
            made = self.api.file_draft(draft_id, caller)
            assert made.record is not None
            return made.record.archive_no
        kind, text = self._worker().submit(_file, str(self.api.workspace.home), draft_id, caller).result()
        if kind == "ok":
            return text
        raise (NotFoundError if kind == "NotFoundError" else SanfangError)(text)

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown()
