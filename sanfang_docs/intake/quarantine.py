"""quarantine/: what intake could not file, each beside a ``.reason.txt`` in Chinese for the
clerk, and a hidden ``.<name>.json`` for the machine (reason, whether it was temporary, tries).

Names start with the first 12 hex digits of the file's SHA-256, so the same bytes quarantined
twice (a rerun after a crash, the same scan dropped again) are one file, not two.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from .files import read_json, write_durably, write_json

_PREFIX = re.compile(r"^[0-9a-f]{12}-")


@dataclass
class Item:
    name: str
    path: Path
    reason: str
    temporary: bool
    since: str
    tries: int
    source: str

    def as_dict(self) -> dict[str, object]:
        return {"name": self.name, "reason": self.reason, "temporary": self.temporary,
                "since": self.since, "tries": self.tries, "source": self.source}


class Quarantine:
    def __init__(self, root: Path):
        self.root = root

    def put(self, data: bytes, name: str, reason: str, *, temporary: bool = False, source: str = "",
            tries: int = 0) -> Item:
        """Quarantine ``data``; ``tries``: how often it was quarantined before (a retry)."""
        digest = hashlib.sha256(data).hexdigest()
        qname = f"{digest[:12]}-{_PREFIX.sub('', Path(name).name)}"
        old = read_json(self._meta(qname)) or {}
        path = self.root / qname
        write_durably(path, data)
        since = datetime.now().isoformat(timespec="seconds")
        tries = max(int(old.get("tries", 0)), tries) + 1
        hint = ("这是暂时性问题，系统会自动重试，无需处理。" if temporary else
                f"核对后可执行 sanfang quarantine file --record 档号 {qname} 手工归档，"
                f"或 sanfang quarantine retry {qname} 重新识别。")
        text = (f"隔离原因：{reason}\n原文件：{source or name}\n时间：{since}\n"
                f"SHA-256：{digest}\n第 {tries} 次隔离\n处理办法：{hint}\n")
        write_durably(self.root / f"{qname}.reason.txt", text.encode("utf-8"))
        write_json(self._meta(qname), {"reason": reason, "temporary": temporary, "since": since,
                                       "tries": tries, "source": source or name, "sha256": digest})
        return Item(qname, path, reason, temporary, since, tries, source or name)

    def _meta(self, qname: str) -> Path:
        return self.root / f".{qname}.json"

    def items(self) -> list[Item]:
        if not self.root.is_dir():
            return []
        out = []
        for path in sorted(self.root.iterdir()):
            if path.name.startswith(".") or path.name.endswith(".reason.txt") or not path.is_file():
                continue
            meta = read_json(self._meta(path.name)) or {}
            out.append(Item(path.name, path, str(meta.get("reason", "（原因未记录）")), bool(meta.get("temporary")),
                            str(meta.get("since", "")), int(meta.get("tries", 0)), str(meta.get("source", ""))))
        return out

    def get(self, name: str) -> Item | None:
        name = Path(name).name
        return next((i for i in self.items() if i.name == name), None)

    def remove(self, item: Item) -> None:
        """Drop an item once its bytes are safely elsewhere (the caller made sure)."""
        for path in (self._meta(item.name), self.root / f"{item.name}.reason.txt", item.path):
            path.unlink(missing_ok=True)
