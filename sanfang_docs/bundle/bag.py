"""BagIt (RFC 8493) bags, written and read: a ZIP or a folder.

Writing is deterministic: entries in sorted order, every timestamp the bag's date, fixed
permissions, the UTF-8 name flag on every entry, so the same content gives the same bytes.
Files are streamed from disk (never whole in memory); an original's bytes are hashed before
the tag files are written and again while copied, so a file changed meanwhile is caught.
A ZIP holds one top-level folder, the bag (RFC 8493 §4.2); a folder bag is written beside its
target and renamed into place.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import unicodedata
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path, PurePosixPath
from typing import IO

from ..errors import SanfangError

BAGIT_TXT = b"BagIt-Version: 1.0\nTag-File-Character-Encoding: UTF-8\n"
MANIFEST, TAGMANIFEST, BAG_INFO, BAGIT = "manifest-sha256.txt", "tagmanifest-sha256.txt", "bag-info.txt", "bagit.txt"
BLOCK = 1 << 20
STORED_SUFFIXES = (".pdf", ".docx", ".jpg", ".jpeg", ".png", ".tif", ".tiff", ".zip")

Source = Path | bytes


def sha256_of(source: Source) -> tuple[str, int]:
    if isinstance(source, bytes):
        return hashlib.sha256(source).hexdigest(), len(source)
    h, size = hashlib.sha256(), 0
    with open(source, "rb") as fh:
        while block := fh.read(BLOCK):
            h.update(block)
            size += len(block)
    return h.hexdigest(), size


class _Utf8Info(zipfile.ZipInfo):
    """Every name flagged UTF-8 (bit 11), ASCII ones too, so no reader guesses a code page."""

    def _encodeFilenameFlags(self) -> tuple[bytes, int]:  # noqa: N802 - zipfile's name
        return self.filename.encode("utf-8"), self.flag_bits | 0x800


def bag_info(fields: list[tuple[str, str]]) -> bytes:
    lines = []
    for key, value in fields:
        value = " ".join(unicodedata.normalize("NFC", str(value)).split())
        lines.append(f"{key}: {value}")
    return ("\n".join(lines) + "\n").encode("utf-8")


def write_bag(target: Path, payload: dict[str, Source], info: list[tuple[str, str]], when: datetime,
              as_dir: bool, digests: dict[str, tuple[str, int]] | None = None,
              on_file: Callable[[], None] | None = None) -> str:
    """Write the bag; ``payload`` maps ``data/…`` paths to files or bytes. Returns the SHA-256
    of the ZIP (of tagmanifest-sha256.txt for a folder bag): what the audit log keeps."""
    digests = dict(digests or {})
    for name, source in payload.items():
        if name not in digests:
            digests[name] = sha256_of(source)
    oxum = f"{sum(size for _, size in digests.values())}.{len(payload)}"
    manifest = "".join(f"{digests[n][0]}  {n}\n" for n in sorted(payload)).encode("utf-8")
    tags: dict[str, Source] = {BAGIT: BAGIT_TXT, BAG_INFO: bag_info([*info, ("Payload-Oxum", oxum)]),
                               MANIFEST: manifest}
    tagmanifest = "".join(f"{sha256_of(tags[n])[0]}  {n}\n" for n in sorted(tags)).encode("utf-8")
    entries: dict[str, Source] = {**payload, **tags, TAGMANIFEST: tagmanifest}
    expected = {**digests, **{n: sha256_of(s) for n, s in entries.items() if n not in digests}}
    if as_dir:
        return _write_dir(target, entries, expected, tagmanifest, on_file)
    return _write_zip(target, entries, expected, when, on_file)


def _copy(source: Source, out: IO[bytes], name: str, expected: str) -> None:
    h = hashlib.sha256()
    if isinstance(source, bytes):
        out.write(source)
        h.update(source)
    else:
        with open(source, "rb") as fh:
            while block := fh.read(BLOCK):
                out.write(block)
                h.update(block)
    if h.hexdigest() != expected:
        raise SanfangError(f"导出期间档案被改动（{name}），检查包未生成，请重新导出")


def _write_zip(target: Path, entries: dict[str, Source], expected: dict[str, tuple[str, int]],
               when: datetime, on_file: Callable[[], None] | None) -> str:
    top = unicodedata.normalize("NFC", target.stem)
    stamp = (max(when.year, 1980), when.month, when.day, when.hour, when.minute, when.second)
    part = target.with_name(f".{target.name}.part")
    try:
        with open(part, "wb") as raw, zipfile.ZipFile(raw, "w") as zf:
            for name in sorted(entries):
                info = _Utf8Info(f"{top}/{name}", date_time=stamp)
                info.create_system = 3  # unix, so the permissions below mean what they say
                info.external_attr = 0o644 << 16
                stored = name.lower().endswith(STORED_SUFFIXES)
                info.compress_type = zipfile.ZIP_STORED if stored else zipfile.ZIP_DEFLATED
                with zf.open(info, "w", force_zip64=expected[name][1] > 2**31) as out:
                    _copy(entries[name], out, name, expected[name][0])
                if on_file:
                    on_file()
        os.replace(part, target)
    except BaseException:
        part.unlink(missing_ok=True)
        raise
    return sha256_of(target)[0]


def _write_dir(target: Path, entries: dict[str, Source], expected: dict[str, tuple[str, int]],
               tagmanifest: bytes, on_file: Callable[[], None] | None) -> str:
    if target.exists() and any(target.iterdir()):
        raise SanfangError(f"目录 {target} 已存在且不为空，拒绝覆盖")
    part = target.with_name(f".{target.name}.part")
    shutil.rmtree(part, ignore_errors=True)
    try:
        for name in sorted(entries):
            path = part / name
            path.parent.mkdir(parents=True, exist_ok=True)
            with open(path, "wb") as out:
                _copy(entries[name], out, name, expected[name][0])
            if on_file:
                on_file()
        if target.exists():
            target.rmdir()
        os.rename(part, target)
    except BaseException:
        shutil.rmtree(part, ignore_errors=True)
        raise
    return hashlib.sha256(tagmanifest).hexdigest()


# -- reading ---------------------------------------------------------------------------------


class BagError(SanfangError):
    """Not a bag at all (no ZIP, no folder, truncated): verify-bundle reports it as a finding."""


@dataclass
class Bag:
    """A bag to read: its files by path under the bag's folder, from a ZIP or a folder."""

    path: Path
    names: list[str]
    zf: zipfile.ZipFile | None = None
    top: str = ""

    @classmethod
    def open(cls, path: Path) -> Bag:
        if path.is_dir():
            names = sorted(p.relative_to(path).as_posix() for p in path.rglob("*") if p.is_file())
            return cls(path, names)
        try:
            zf = zipfile.ZipFile(path)
        except zipfile.BadZipFile:
            raise BagError("不是完整的 ZIP 文件：检查包被截断或损坏，或根本不是检查包") from None
        except OSError as exc:
            raise BagError(f"无法读取检查包：{exc.strerror or exc}") from None
        infos = zf.infolist()
        # A bag's first entry starts the file. Bytes before it mean the directory found at the
        # end belongs to a ZIP stored inside (a DOCX of a truncated bag), not to the bag.
        if not infos or min(i.header_offset for i in infos) != 0:
            zf.close()
            raise BagError("不是完整的 ZIP 文件：检查包被截断或损坏，或根本不是检查包")
        files = [i.filename for i in infos if not i.is_dir()]
        tops = {PurePosixPath(n).parts[0] for n in files if PurePosixPath(n).parts}
        if len(tops) != 1 or any(len(PurePosixPath(n).parts) < 2 for n in files):
            zf.close()
            raise BagError("ZIP 中应只有一个顶层目录（即检查包本身），现有："
                           + ("、".join(sorted(tops)[:5]) or "无"))
        top = tops.pop()
        return cls(path, sorted(n[len(top) + 1:] for n in files), zf, top)

    def close(self) -> None:
        if self.zf is not None:
            self.zf.close()

    def stream(self, name: str) -> Iterator[bytes]:
        """The file's bytes in blocks; a damaged ZIP entry raises BagError."""
        try:
            if self.zf is not None:
                with self.zf.open(f"{self.top}/{name}") as fh:
                    while block := fh.read(BLOCK):
                        yield block
            else:
                with open(self.path / name, "rb") as fh:
                    while block := fh.read(BLOCK):
                        yield block
        except (zipfile.BadZipFile, OSError, EOFError) as exc:
            raise BagError(f"{name} 无法读取（检查包损坏或被截断）：{exc}") from None

    def read(self, name: str) -> bytes:
        return b"".join(self.stream(name))

    def digest(self, name: str) -> tuple[str, int]:
        h, size = hashlib.sha256(), 0
        for block in self.stream(name):
            h.update(block)
            size += len(block)
        return h.hexdigest(), size
