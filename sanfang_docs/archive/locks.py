"""One exclusive, cross-process lock on a file (flock): the archive, the index and its queue
each serialise their writers with it."""

from __future__ import annotations

import fcntl
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


@contextmanager
def exclusive(path: Path, timeout: float | None = None) -> Iterator[None]:
    """Hold ``path`` locked (created with its folder if needed). With ``timeout``, give up with
    TimeoutError after that many seconds instead of waiting for ever."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a") as fh:
        if timeout is None:
            fcntl.flock(fh, fcntl.LOCK_EX)
        else:
            deadline = time.monotonic() + timeout
            while True:
                try:
                    fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    if time.monotonic() > deadline:
                        raise TimeoutError(str(path)) from None
                    time.sleep(0.05)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)
