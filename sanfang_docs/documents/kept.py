"""Bytes a one-shot process would build again, kept in the user's cache under what they come from.

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
import os
from collections.abc import Callable

from .fonts import cache_folder


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


__all__ = ["kept_bytes"]
