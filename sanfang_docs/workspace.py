"""The workspace: one directory holding the archive, the index, keys and settings.

Chosen by ``--home``, else ``$SANFANG_HOME``, else the current directory. Its folders are
created on first write.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

DEFAULT_SETTINGS: dict[str, Any] = {
    # 全宗号 of the office that keeps this archive (DA/T 22).
    "fonds_id": "J001",
    # 机构代码 by the issuing body's role (attachment metadata "org"); falls back to "default".
    "org_codes": {
        "street": "JDDGW",  # 街道党工委
        "community": "SQDW",  # 社区党组织
        "preparatory_group": "XQCB",  # 小区党支部筹备组
        "compound": "XQDZB",  # 小区党支部
        "owners": "YZWYH",  # 业委会 / 物管会
        "property": "WYQY",  # 物业服务企业
        "residents": "JWH",  # 居委会
        "default": "BGS",
    },
    # 保管期限 by 文种 (永久 / 定期30年 / 定期10年).
    "retention": {
        "请示": "永久",
        "批复": "永久",
        "报告": "永久",
        "公示": "定期30年",
        "议程": "定期30年",
        "default": "定期30年",
    },
}


@dataclass
class Workspace:
    home: Path
    settings: dict[str, Any] = field(default_factory=dict)

    @property
    def archive_dir(self) -> Path:
        return self.home / "archive"

    @property
    def index_dir(self) -> Path:
        return self.home / "indexer"

    @property
    def keys_dir(self) -> Path:
        return self.home / "keys"

    @property
    def settings_file(self) -> Path:
        return self.home / "settings.yaml"

    def setting(self, name: str) -> Any:
        return self.settings.get(name, DEFAULT_SETTINGS.get(name))

    @classmethod
    def open(cls, home: str | os.PathLike[str] | None = None) -> Workspace:
        # Nothing is created here: a run that writes nothing (--no-archive) leaves no trace.
        root = Path(home or os.environ.get("SANFANG_HOME") or os.getcwd()).resolve()
        ws = cls(home=root)
        if ws.settings_file.exists():
            loaded = yaml.safe_load(ws.settings_file.read_text(encoding="utf-8")) or {}
            ws.settings = {**DEFAULT_SETTINGS, **loaded}
        else:
            ws.settings = dict(DEFAULT_SETTINGS)
        return ws
