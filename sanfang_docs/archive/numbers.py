"""档号 (DA/T 22-2015) and 件号: ``全宗号-WS·年度-保管期限-机构代码-件号``, gapless per 全宗号, 年度
and 保管期限. The caller (``Archive.file``) holds the archive lock; the records on disk decide
the next 件号, the counter file is only a hint. May import: ``errors``, ``workspace``.
"""

from __future__ import annotations

import hashlib
import os
import re
from pathlib import Path

from ..errors import ArchiveError
from ..workspace import Workspace

RETENTION_CODES = {"永久": "Y", "定期30年": "D30", "定期10年": "D10"}


def format_archive_no(fonds: str, year: str, retention: str, org_code: str, item: int) -> str:
    return f"{fonds}-WS·{year}-{RETENTION_CODES[retention]}-{org_code}-{item:04d}"


# A 档号 as people write it: any case, spaces, and “.”, “-”, “．” or nothing for the “·” (as search takes it).
_SEP = r"\s*[-－—.．·•‧・\s]\s*"
_LOOSE_NO = re.compile(rf"\s*([A-Za-z0-9]+){_SEP}WS(?:{_SEP}|\s*)(\d{{4}}){_SEP}(Y|D30|D10){_SEP}([A-Za-z0-9]+)"
                       rf"{_SEP}(\d{{1,4}})\s*", re.I)


def canonical_archive_no(text: str) -> str | None:
    """The 档号 written the standard way (J001-WS·2026-Y-SQDW-0001), or None if ``text`` is not one."""
    m = _LOOSE_NO.fullmatch(text or "")
    if not m:
        return None
    fonds, year, retention, org, item = m.groups()
    return f"{fonds.upper()}-WS·{year}-{retention.upper()}-{org.upper()}-{int(item):04d}"


def qr_payload(archive_no: str) -> str:
    """What the QR code on each page says: the 档号 and a short checksum against misreads."""
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
        last = self._read_counter(fonds, year, retention)
        # The counter is a hint: a crash after the rename but before the counter was saved
        # leaves a record one past it. The records on disk decide.
        while self._exists(fonds, year, retention, last + 1):
            last += 1
        return last + 1

    def _exists(self, fonds: str, year: str, retention: str, item: int) -> bool:
        pattern = f"*/*/{fonds}-WS·{year}-{RETENTION_CODES[retention]}-*-{item:04d}"
        return any((self.root / year).glob(pattern))

    def _counter_file(self, fonds: str, year: str, retention: str) -> Path:
        return self.root / ".counters" / f"{fonds}-{year}-{RETENTION_CODES[retention]}"

    def _read_counter(self, fonds: str, year: str, retention: str) -> int:
        path = self._counter_file(fonds, year, retention)
        try:
            return int(path.read_text().strip() or 0)
        except (FileNotFoundError, ValueError):
            return 0

    def save(self, fonds: str, year: str, retention: str, item: int) -> None:
        path = self._counter_file(fonds, year, retention)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(f".{os.getpid()}")
        tmp.write_text(str(item))
        os.replace(tmp, path)
