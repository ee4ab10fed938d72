"""What a one-shot process would compute again, kept in the user's cache under what it comes from.

``kept_marshal(kind, faces, read)``: a value read from font files (a cmap, advance widths, the
printable code points), kept under the files' sizes and times (fonts.py).
``kept_bytes(kind, parts, sources, build)`` returns ``build()``'s bytes, read from
``$XDG_CACHE_HOME/sanfang-docs/<kind>/`` when an earlier process made them from the same
``parts`` and the same ``sources`` files (size and modification time: a new version of the code
builds afresh). Used for the DOCX's empty styled document (docx.py: python-docx's template
opened, pruned and styled, ~35 ms of every ``sanfang make``). Written atomically; a cache that
cannot be read or written is built in memory as before.
"""

from __future__ import annotations

import contextlib
import hashlib
import marshal
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any


def cache_folder(name: str) -> Path:
    """workspace.user_cache's folder (this box imports only errors)."""
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "sanfang-docs" / name


def kept_marshal(kind: str, files: list[tuple[str, int]], read: Callable[[], Any]) -> Any:
    """``read()`` of some faces (path, index), kept in the user's cache under the font files'
    sizes and times: fontTools takes ~0.3 s to read a CJK face's cmap, the largest cost of a
    command that files one document. A cache that cannot be read or written is read from the font."""
    parts = [kind]
    try:
        for path, index in files:
            st = os.stat(path)
            parts += [path, str(index), str(st.st_size), str(st.st_mtime_ns)]
    except OSError:
        return read()
    key = hashlib.sha256("\0".join(parts).encode()).hexdigest()[:24]
    cached = cache_folder("fonts") / key
    try:
        return marshal.loads(cached.read_bytes())
    except (OSError, ValueError, EOFError, TypeError):  # none yet, or damaged
        pass
    found = read()
    with contextlib.suppress(OSError):
        cached.parent.mkdir(parents=True, exist_ok=True)
        tmp = cached.with_suffix(f".{os.getpid()}")
        tmp.write_bytes(marshal.dumps(found))
        os.replace(tmp, cached)
    return found


def kept_bytes(kind: str, parts: list[str], sources: list[str], build: Callable[[], bytes]) -> bytes:
    try:
        stamps = [f"{s}:{os.stat(s).st_size}:{os.stat(s).st_mtime_ns}" for s in sources]
    except OSError:
        return build()
    tag = hashlib.sha256("\0".join([*parts, *stamps]).encode()).hexdigest()[:24]
    target = cache_folder(kind) / tag
    with contextlib.suppress(OSError):
        return target.read_bytes()
    data = build()
    with contextlib.suppress(OSError):
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_name(f".{tag}.{os.getpid()}")
        tmp.write_bytes(data)
        os.replace(tmp, target)
    return data


__all__ = ["cache_folder", "kept_bytes", "kept_marshal"]
