"""Durable writes: a file replaced so that readers see the old bytes or the new, never a mix,
and a folder's entries flushed, so what a caller was told is stored survives a power cut. The
archive, its journal and the intake's inbox work use the same steps. May import: nothing.

A barrier (``fsync``) costs a device cache flush, ~4 ms on this machine's disk and 10+ ms under
load, whatever it flushes; filing a record used to take eleven. :class:`Batch` takes one per
group of writes where the file system allows it: every file's data is written and waited for
without a flush (``sync_file_range``), then one ``fsync`` of the inode changed last commits
the file system's journal, which on ext4 and XFS holds every metadata change made before it
(jbd2 / the XFS log commit whole transactions, in order). So after a power cut the disk holds
a *prefix* of the operations, each file's data included — the states the crash tests reach by
killing the process between any two steps. On any other file system (or without
``sync_file_range``) the batch falls back to one ``fsync`` per file and folder.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools
import os
from pathlib import Path

# sync_file_range(2) flags: start writing, wait for writes already in flight and for ours.
_WAIT_BEFORE, _WRITE, _WAIT_AFTER = 1, 2, 4
# statfs(2) f_type of the file systems whose one fsync commits every earlier metadata change.
_ORDERED_FS = {0xEF53: "ext4", 0x58465342: "xfs"}


def fsync_dir(path: Path) -> None:
    """Flush a folder's entries (a rename or a new file in it) to disk."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def replace_durably(path: Path, data: bytes, mode: int | None = None) -> None:
    """Write beside (a hidden ``.tmp``), fsync, rename over ``path``, fsync its folder."""
    batch = Batch(path.parent)
    batch.replace(path, data, mode)
    batch.flush()


def sync_file(path: Path) -> None:
    """``path``'s bytes written so far on the device before anything changed after this:
    where one barrier keeps the order (:func:`group_commit`) waiting for the data is enough
    (the next barrier commits it with the rest, and a power cut keeps a prefix); elsewhere
    an fsync."""
    fd = os.open(path, os.O_RDONLY)
    try:
        if group_commit(str(path.parent)):
            _sync_range(fd, _WAIT_BEFORE | _WRITE | _WAIT_AFTER)
        else:
            os.fsync(fd)
    finally:
        os.close(fd)


@functools.cache
def _libc() -> ctypes.CDLL | None:
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or None, use_errno=True)
        libc.sync_file_range.argtypes = [ctypes.c_int, ctypes.c_longlong, ctypes.c_longlong, ctypes.c_uint]
        libc.statfs.argtypes = [ctypes.c_char_p, ctypes.c_void_p]
    except (OSError, AttributeError):
        return None
    return libc


def _sync_range(fd: int, flags: int) -> None:
    if _libc().sync_file_range(fd, 0, 0, flags) != 0:  # type: ignore[union-attr]
        err = ctypes.get_errno()
        raise OSError(err, os.strerror(err))


@functools.cache
def group_commit(folder: str) -> bool:
    """Whether one fsync in ``folder``'s file system commits every earlier change (see above).
    ``SANFANG_FSYNC_EACH=1`` forces the one-fsync-per-file way (the benchmark's comparison)."""
    libc = _libc()
    if libc is None or os.environ.get("SANFANG_FSYNC_EACH") == "1":
        return False
    buf = ctypes.create_string_buffer(256)  # struct statfs; f_type is its first word
    if libc.statfs(os.fsencode(folder), buf) != 0:
        return False
    return int.from_bytes(buf.raw[:ctypes.sizeof(ctypes.c_long)], "little") in _ORDERED_FS


class Batch:
    """Writes made durable together by :meth:`flush` (one barrier where the file system allows).

    ``write`` creates a file, ``append`` adds to one, ``replace`` writes beside and renames
    over, ``rename`` moves a finished file or folder; all are visible at once and durable after
    ``flush``. A power cut keeps a prefix of them, in the order they were called; a name never
    points at bytes that are not on the device yet (data is waited for before each rename).
    """

    def __init__(self, where: Path):
        self.ordered = group_commit(str(where))
        self._fds: list[int] = []
        self._dirs: list[Path] = []
        self._last: int | Path | None = None  # changed last: its fsync commits the rest
        self._waited = 0  # descriptors whose data is already on the device

    def write(self, path: Path, data: bytes, mode: int | None = None) -> None:
        self._write(path, data, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
        self._changed(path.parent)
        self._last = self._fds[-1]

    def append(self, path: Path, data: bytes) -> None:
        """One ``write`` on an ``O_APPEND`` descriptor: a killed process leaves whole lines."""
        self._write(path, data, os.O_WRONLY | os.O_CREAT | os.O_APPEND, None)
        self._last = self._fds[-1]

    def replace(self, path: Path, data: bytes, mode: int | None = None) -> None:
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        self.write(tmp, data, mode)
        self.rename(tmp, path)

    def rename(self, source: Path, target: Path) -> None:
        self.order()  # the bytes (and, file by file, the folders) are on disk before a name points at them
        os.replace(source, target)
        self._changed(target.parent)

    def folder(self, path: Path) -> None:
        """A folder whose new entries must be durable too (one made with mkdir, say)."""
        self._wait_data()  # so that nothing written before changes the disk after it
        self._changed(path)

    def _write(self, path: Path, data: bytes, flags: int, mode: int | None) -> None:
        fd = os.open(path, flags, 0o644)
        try:
            if mode is not None:
                os.fchmod(fd, mode)  # whatever the umask (verify wants nothing group-writable)
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view):]
            if self.ordered:
                _sync_range(fd, _WRITE)  # start now, wait later
        except BaseException:
            os.close(fd)
            raise
        self._fds.append(fd)

    def _changed(self, folder: Path) -> None:
        if folder not in self._dirs:
            self._dirs.append(folder)
        self._last = folder

    def _wait_data(self) -> None:
        for fd in self._fds[self._waited:]:
            if self.ordered:
                _sync_range(fd, _WAIT_BEFORE | _WRITE | _WAIT_AFTER)  # a full disk or EIO shows here
            else:
                os.fsync(fd)
        self._waited = len(self._fds)

    def order(self) -> None:
        """What was written so far reaches the disk before anything written after: free where
        the file system keeps the order (data is waited for), a flush elsewhere."""
        if self.ordered:
            self._wait_data()
        else:
            self.flush()

    def close(self) -> None:
        """Let go of the batch's files without a barrier (a filing that gave up)."""
        for fd in self._fds:
            os.close(fd)
        self._fds, self._dirs, self._last, self._waited = [], [], None, 0

    def flush(self) -> None:
        """The barrier: everything written or renamed through this batch is on disk."""
        try:
            self._wait_data()
            if not self.ordered:
                for folder in self._dirs:
                    fsync_dir(folder)
            elif isinstance(self._last, int):
                os.fsync(self._last)
            elif self._last is not None:
                fsync_dir(self._last)
        finally:
            self.close()
