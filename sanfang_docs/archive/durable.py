"""Durable writes: a file replaced so that readers see the old bytes or the new, never a mix,
and a folder's entries flushed, so what a caller was told is stored survives a power cut. The
archive, its journal and the intake's inbox work use the same two steps. May import: nothing."""

from __future__ import annotations

import os
from pathlib import Path


def fsync_dir(path: Path) -> None:
    """Flush a folder's entries (a rename or a new file in it) to disk."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def replace_durably(path: Path, data: bytes, mode: int | None = None) -> None:
    """Write beside (a hidden ``.tmp``), fsync, rename over ``path``, fsync its folder."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with open(tmp, "wb") as fh:
        fh.write(data)
        fh.flush()
        if mode is not None:
            os.fchmod(fh.fileno(), mode)
        os.fsync(fh.fileno())
    os.replace(tmp, path)
    fsync_dir(path.parent)
