"""Interviews as parsed and checked, kept in the user's cache between processes.

A one-shot command (``sanfang make``, ``catalog``) reads every interview to find a document key:
libyaml's parse and the loader's checks (every code block's names through ``ast``) took ~45 ms
of each such process. What ``loader.load`` returns is pickled under
``$XDG_CACHE_HOME/sanfang-docs/<kind>/``, named by the interview file's path, and used again
only while every file it was read from (the interview and its includes) has the same size and
modification time, by the same Python and the same loader (its own file's size and time, so
an upgrade of the package parses afresh). Anything unreadable or stale is parsed again and
rewritten; a cache that cannot be written is simply not kept.
"""

from __future__ import annotations

import contextlib
import hashlib
import pickle
import sys
from pathlib import Path
from typing import Any

from .. import usercache

_FORMAT = 2


class ParsedCache:
    def __init__(self, kind: str, engine: Path):
        self.kind = kind
        self.engine = engine  # the module whose code makes what is kept

    def _stamp(self, files: list[Path]) -> str:
        return usercache.stamp(self.engine, *files)

    def _file(self, path: Path) -> Path:
        tag = hashlib.sha256(f"{_FORMAT}\0{sys.version}\0{path}".encode()).hexdigest()[:24]
        return usercache.folder(self.kind) / f"{tag}.pickle"

    def get(self, path: Path) -> Any:
        """What was kept for ``path``, or None (none kept, or a file it came from changed)."""
        try:
            with open(self._file(path), "rb") as fh:
                files, stamp, value = pickle.load(fh)  # noqa: S301 - the user's own cache
            if stamp != self._stamp([Path(f) for f in files]):
                return None
            return value
        except Exception:  # noqa: BLE001 - any unreadable, damaged or stale cache: parse again
            return None

    def put(self, path: Path, files: list[Path], value: Any) -> None:
        with contextlib.suppress(OSError, pickle.PicklingError, TypeError, AttributeError):
            data = pickle.dumps(([str(f) for f in files], self._stamp(files), value), protocol=pickle.HIGHEST_PROTOCOL)
            usercache.keep(self._file(path), data)
