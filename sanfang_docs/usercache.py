"""The user's cache: what a one-shot process would compute again, kept for the next one.

``$XDG_CACHE_HOME/sanfang-docs/<kind>/`` (else ``~/.cache/sanfang-docs/``) holds what depends on
installed files, not on a workspace: font tables and the Typst font folder (documents/fonts.py),
the DOCX's empty styled document (documents/docx.py), jieba's dictionary (documents/lexicon.py),
the interviews as parsed (interview/parsed.py), a vocabulary's replay (search/replayed.py), the
signature note's font subset, template and compiled program (signing/stampfont.py, stamp.py,
glyphs.py). Each
entry is named or checked by :func:`stamp` of the files it comes from, so a new version of a
file builds afresh, and written by :func:`keep`, atomically; a cache that cannot be written is
simply not kept. May import: nothing of the package (every box may use it).
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path


def folder(kind: str = "") -> Path:
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "sanfang-docs" / kind


def stamp(*paths: str | os.PathLike[str]) -> str:
    """Each file's path, size and modification time (OSError if one is gone)."""
    parts = []
    for path in paths:
        st = os.stat(path)
        parts.append(f"{os.fspath(path)}:{st.st_size}:{st.st_mtime_ns}")
    return "\0".join(parts)


def keep(target: Path, data: bytes) -> None:
    """``data`` at ``target``, whole or not at all (written beside, then renamed); nothing if
    the cache cannot be written."""
    with contextlib.suppress(OSError):
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_name(f".{target.name}.{os.getpid()}")
        tmp.write_bytes(data)
        os.replace(tmp, target)
