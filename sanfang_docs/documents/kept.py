"""What a one-shot process would compute again, kept in the user's cache under what it comes from.

``kept_marshal(kind, faces, read)``: a value read from font files (a cmap, advance widths, the
printable code points), kept under the files' sizes and times (fonts.py).
``KeptBytes(kind, sources)``: a mapping of bytes that also finds, in
``$XDG_CACHE_HOME/sanfang-docs/<kind>/``, what an earlier process stored under the same key and
the same ``sources`` files (size and modification time: a new version of the code builds
afresh). Used for the DOCX's empty styled document (docx.py: python-docx's template opened,
pruned and styled, ~35 ms of every ``sanfang make``). Written atomically; a cache that cannot
be read or written is built in memory as before.
"""

from __future__ import annotations

import contextlib
import hashlib
import marshal
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ..usercache import folder, keep, stamp


def kept_marshal(kind: str, files: list[tuple[str, int]], read: Callable[[], Any]) -> Any:
    """``read()`` of some faces (path, index), kept in the user's cache under the font files'
    sizes and times: fontTools takes ~0.3 s to read a CJK face's cmap, the largest cost of a
    command that files one document. A cache that cannot be read or written is read from the font."""
    try:
        stamps = [f"{stamp(path)}:{index}" for path, index in files]
    except OSError:
        return read()
    cached = folder("fonts") / hashlib.sha256("\0".join([kind, *stamps]).encode()).hexdigest()[:24]
    try:
        return marshal.loads(cached.read_bytes())
    except (OSError, ValueError, EOFError, TypeError):  # none yet, or damaged
        pass
    found = read()
    keep(cached, marshal.dumps(found))
    return found


class KeptBytes:
    """A mapping of key → bytes built in this process, kept in the user's cache for the next:
    ``key in kept`` also finds what an earlier process stored under the same key and the same
    ``sources`` files (their sizes and times: a new version of the code builds afresh)."""

    def __init__(self, kind: str, sources: list[str], usable: Callable[[bytes], bool] = bool):
        self.kind, self.sources, self.usable = kind, sources, usable  # usable: not damaged
        self._here: dict[Any, bytes] = {}

    def _file(self, key: Any) -> Path | None:
        try:
            sources = stamp(*self.sources)
        except OSError:
            return None
        return folder(self.kind) / hashlib.sha256(f"{key!r}\0{sources}".encode()).hexdigest()[:24]

    def __contains__(self, key: Any) -> bool:
        if key not in self._here and (path := self._file(key)) is not None:
            with contextlib.suppress(OSError):  # none yet, or unreadable: built again
                data = path.read_bytes()
                if self.usable(data):  # damaged: built again
                    self._here[key] = data
        return key in self._here

    def __getitem__(self, key: Any) -> bytes:
        return self._here[key]

    def __setitem__(self, key: Any, data: bytes) -> None:
        self._here[key] = data
        if (path := self._file(key)) is not None:
            keep(path, data)


__all__ = ["KeptBytes", "kept_marshal"]
