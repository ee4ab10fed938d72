"""档号 (DA/T 22-2015) and 件号: ``全宗号-WS·年度-保管期限-机构代码-件号``, gapless per 全宗号, 年度
and 保管期限. The caller (``Archive.file``) holds the archive lock.

The next 件号 comes from a counter per series, written under the lock with every record put in
place (and by recovery for a record a killed filer put there). The counter is not made durable
on its own, so it is believed only in the machine's boot that wrote it: after a restart (a
power cut may have lost its last write), or when it is missing or from another machine, the
records on disk decide, once, and the counter is written again. (Looking on disk each time
took ~0.6 µs per record of the year, twice per filing, under the lock.) May import:
``documents``, ``errors``, ``workspace``.
"""

from __future__ import annotations

import hashlib
import os
import re
import unicodedata
from pathlib import Path

from ..documents.qr import record_payload
from ..errors import ArchiveError, NotFoundError
from ..workspace import Workspace

RETENTION_CODES = {"永久": "Y", "定期30年": "D30", "定期10年": "D10"}


def format_archive_no(fonds: str, year: str, retention: str, org_code: str, item: int) -> str:
    return f"{fonds}-WS·{year}-{RETENTION_CODES[retention]}-{org_code}-{item:04d}"


# A 档号 as a clerk types it: ·, ., -, _, /, spaces or nothing between its parts; any case;
# full-width characters; with or without the 全宗号; 件号 with or without its leading zeros. One
# record, never a pattern: ``*`` or ``[0-9]`` is no 档号. (search/numbers.py reads it the same way.)
_SEP = r"[\s\-·•.．‧・_/—–]*"
ARCHIVE_NO = re.compile(rf"(?<![0-9A-Za-z])(?:([A-Za-z0-9]{{1,12}}){_SEP})?WS{_SEP}(\d{{4}}){_SEP}(Y|D30|D10)"
                        rf"{_SEP}([A-Za-z]{{2,10}}){_SEP}(\d{{1,4}})(?![0-9])", re.I)


def canonical_archive_no(text: str, fonds: str | None = None) -> str | None:
    """The 档号 a clerk typed, in its one written form (J001-WS·2025-Y-SQDW-0032), whatever
    the spelling, a leading “档号：” included. Without the 全宗号, ``fonds`` supplies it (None if
    not given). None when the text is not one 档号."""
    text = unicodedata.normalize("NFKC", text or "").strip()
    text = re.sub(r"^档号\s*[:：]?\s*", "", text)
    m = ARCHIVE_NO.fullmatch(text)
    if not m:
        return None
    given, year, retention, org, item = m.groups()
    if not (given or fonds):
        return None
    return f"{(given or fonds or '').upper()}-WS·{year}-{retention.upper()}-{org.upper()}-{int(item):04d}"


def record_dir(root: Path, archive_no: str) -> Path:
    """The folder of the record ``archive_no`` names (in any spelling a clerk types): ``*`` or
    ``[0-9]`` are characters, not patterns. NotFoundError when it is not a 档号 or not filed."""
    exact = canonical_archive_no(archive_no)
    if exact is None:
        raise NotFoundError(f"“{archive_no.strip()[:40]}”不是档号；档号格式为“全宗号-WS·年度-保管期限-机构代码-件号”，"
                            "例如 J001-WS·2026-Y-SQDW-0003")
    year_dir = root / exact.split("·")[1][:4]
    for day in sorted(year_dir.glob("[0-9][0-9]/[0-9][0-9]")) if year_dir.is_dir() else []:
        if (day / exact / "record.json").exists():  # a folder or junk there is a damaged record, not none
            return day / exact
    raise NotFoundError(f"档案中没有档号为 {exact} 的记录")


def qr_payload(archive_no: str) -> str:
    """The record's QR code (documents/qr.py ``SF2``): the PDF renderer turns it into one code
    per page and fills in the page count."""
    return record_payload(archive_no)


def qr_payload_v1(archive_no: str) -> str:
    """The code of records filed before page numbers (``SF1``); intake still matches them."""
    return f"SF1|{archive_no}|{hashlib.sha256(archive_no.encode()).hexdigest()[:8]}"


class ItemNumbers:
    """The 保管期限 and 机构代码 of a document (from the workspace settings) and its next 件号."""

    def __init__(self, workspace: Workspace, root: Path):
        self.ws = workspace
        self.root = root

    def retention(self, kind: str) -> str:
        table = self.ws.setting("retention")
        value = table.get(kind, table.get("default", "定期30年"))
        if value not in RETENTION_CODES:
            raise ArchiveError(f"保管期限“{value}”无效（文种 {kind}），只能是：永久、定期30年、定期10年")
        return str(value)

    def org_code(self, role: str) -> str:
        codes = self.ws.setting("org_codes")
        return str(codes.get(role) or codes.get("default", "BGS"))

    def next_item(self, fonds: str, year: str, retention: str) -> int:
        last, believed = self._read_counter(fonds, year, retention)
        if believed:
            return last + 1
        while self._exists(fonds, year, retention, last + 1):  # the records on disk decide
            last += 1
        self.save(fonds, year, retention, last)
        return last + 1

    def placed(self, archive_no: str) -> None:
        """A record recovery found in place: the counter is moved up to it if behind."""
        # (Not ARCHIVE_NO, the reader of typed numbers: this is format_archive_no's own output,
        # whatever the 全宗号 and however many digits the 件号 has grown to.)
        m = re.fullmatch(r"(.+)-WS·(\d{4})-(Y|D30|D10)-[^-]+-(\d{4,})", archive_no)
        if m is None:
            return
        fonds, year, code, item = m.group(1), m.group(2), m.group(3), int(m.group(4))
        retention = next(name for name, c in RETENTION_CODES.items() if c == code)
        if item > self._read_counter(fonds, year, retention)[0]:
            self.save(fonds, year, retention, item)

    def _exists(self, fonds: str, year: str, retention: str, item: int) -> bool:
        pattern = f"*/*/{fonds}-WS·{year}-{RETENTION_CODES[retention]}-*-{item:04d}"
        return any((self.root / year).glob(pattern))

    def _counter_file(self, fonds: str, year: str, retention: str) -> Path:
        return self.root / ".counters" / f"{fonds}-{year}-{RETENTION_CODES[retention]}"

    def _read_counter(self, fonds: str, year: str, retention: str) -> tuple[int, bool]:
        """The counter, and whether it was written in this boot of this machine."""
        path = self._counter_file(fonds, year, retention)
        try:
            fields = path.read_text().split()
            return int(fields[0]) if fields else 0, len(fields) == 2 and bool(_BOOT) and fields[1] == _BOOT
        except (FileNotFoundError, ValueError):
            return 0, False

    def save(self, fonds: str, year: str, retention: str, item: int) -> None:
        """The counter at ``item``, the last 件号 in place (the caller holds the lock and has
        just put it there, taken it back, or seen on disk that it is the last). Overwritten in
        place, one fixed-width write: renaming a new file over it made ext4 flush the file's
        data at once (auto_da_alloc), ~2 ms a filing."""
        path = self._counter_file(fonds, year, retention)
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT, 0o644)
        try:
            os.pwrite(fd, f"{item:>12} {_BOOT or '-':<36}\n".encode(), 0)
        finally:
            os.close(fd)


def _boot_id() -> str:
    """This boot of this machine (Linux); empty where unknown: the counter is then never believed."""
    try:
        return Path("/proc/sys/kernel/random/boot_id").read_text().strip()
    except OSError:
        return ""


_BOOT = _boot_id()
