"""The workspace: one directory holding the archive, the index, keys and settings.

Chosen by ``--home``, else ``$SANFANG_HOME``, else the current directory. Its folders are
created on first write.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml


class WorkspaceError(Exception):
    """A home or settings file that cannot be used (the api reports it as a SanfangError, exit 1:
    this module sits beside ``errors`` and does not import it)."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message

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
    # 保管期限 by 文种 (永久 / 定期30年 / 定期10年), after the 文书档案 retention rules: what
    # founds or empowers a body and the rules it lives by are kept for good; routine notices
    # and one-off forms for 10 years.
    "retention": {
        "请示": "永久",
        "批复": "永久",
        "报告": "永久",
        "制度": "永久",
        "公示": "定期30年",
        "议程": "定期30年",
        "通知": "定期30年",
        "证明": "定期30年",
        "聘书": "定期30年",
        "承诺": "定期30年",
        "评分表": "定期30年",
        "登记表": "定期10年",
        "default": "定期30年",
    },
    # Election thresholds (rules/general.py, interviews/branch-founding.yml). Where the manual and
    # the 《中国共产党基层组织选举工作条例》 read differently the default is the stricter reading:
    #   quorum: more_than (条例“超过应到会人数的五分之四”) | at_least (手册“五分之四以上”)
    #   majority_of: expected (条例“超过应到会有选举权的人数的一半”) | present (实到会人数的一半)
    "election": {"quorum": "more_than", "majority_of": "expected"},
    # Official holidays for the years the calendar package does not know yet, entered from the
    # 国务院办公厅 notice, e.g. 2027: {source: …通知, days_off: [2027-02-05~2027-02-11], workdays: [2027-02-14]}
    # ("days_off", not "off": YAML reads a bare off as false).
    "holidays": {},
    # 示范文本12 sets no pass mark per part: the office's own (printed as such on the 评分表).
    "red_property": {"pass_mark": 80},
    # 发文字号 (archive/doc_numbers.py): which 文种 of a 公文 take a number at filing, and the
    # 机关代字 of each issuing organisation by its full name (署名). An organisation not listed
    # gets one by rule: 中共纸坊街道工作委员会 → 纸工委, 中共文化路社区委员会 → 文化路社区党委.
    "doc_numbers": {
        "kinds": ["请示", "批复", "报告", "通知"],
        "codes": {},
    },
    # 版头 (GB/T 9704-2012 7.2) of a 公文 that takes a 发文字号: by default the filed PDF and
    # DOCX print the 发文机关标志 (the issuer's full name + "文件", red) and the red separator,
    # as the standard's 版头 requires; an office that prints on pre-printed 红头纸 sets
    # letterhead: false (the 发文字号 and 签发人 line stays). No seal is ever drawn.
    # 版记 (GB/T 9704-2012 7.4, documents/imprint.py says why it is on by default): the same 公文
    # end with 印发机关 and 印发日期 (the 成文日期) at the foot of the last page between rules;
    # printed_by: {署名: 印发机关} when an office's 文秘部门 sends its papers to print (default:
    # the issuer itself); cc: {文种: 抄送机关} a default 抄送 (an answers file's cc wins);
    # imprint: false prints none.
    "gongwen": {
        "letterhead": True,
        "letterhead_suffix": "文件",
        "imprint": True,
        "printed_by": {},
        "cc": {},
    },
    # Signing (signing/pades.py, signing/keys.py). The key passphrase: $SANFANG_KEY_PASSPHRASE, else
    # "passphrase" here, else a random one kept in keys/passphrase (owner-only).
    "signing": {
        "passphrase": None,
        "timestamp_url": None,  # an RFC 3161 server: signatures become PAdES B-T
        "timezone": "Asia/Shanghai",  # the time printed in the signature's appearance
        "key_bits": 3072,  # RSA size of generated keys
    },
    # The web app (sanfang serve): a finished inspection bundle's ZIP is kept this many hours
    # for its download, then removed with its job (web/jobs.py).
    "web": {
        "export_keep_hours": 24,
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

    def rule_settings(self) -> dict[str, Any]:
        """What the interviews' rules read from the settings (preset as ``rule_settings``)."""
        return {name: dict(self.setting(name) or {}) for name in ("election", "holidays", "red_property")}

    @classmethod
    def open(cls, home: str | os.PathLike[str] | None = None) -> Workspace:
        # Nothing is created here: a run that writes nothing (--no-archive) leaves no trace.
        root = Path(home or os.environ.get("SANFANG_HOME") or os.getcwd()).resolve()
        _check_home(root)
        ws = cls(home=root)
        if ws.settings_file.exists():
            loaded = _read_settings(ws.settings_file)
            # One level deep: a settings file that names one 文种 or one signing option keeps
            # the defaults for the rest.
            ws.settings = {
                key: {**default, **(loaded.get(key) or {})}
                if isinstance(default, dict) and isinstance(loaded.get(key, {}), dict)
                else loaded.get(key, default)
                for key, default in DEFAULT_SETTINGS.items()
            }
            ws.settings.update({k: v for k, v in loaded.items() if k not in DEFAULT_SETTINGS})
        else:
            ws.settings = dict(DEFAULT_SETTINGS)
        return ws


def _check_home(root: Path) -> None:
    """A home that can never be a folder (it, or a folder above it, is a file) is refused now,
    not at the first write."""
    for path in (root, *root.parents):
        if path.exists():
            if not path.is_dir():
                what = "它本身" if path == root else f"上级路径 {path} "
                raise WorkspaceError(f"工作区 {root} 无法使用：{what}是一个文件而不是目录；请用 --home 指定一个目录。")
            return


_CODE = re.compile(r"[A-Za-z0-9]{1,16}")  # 全宗号 and 机构代码 go into the 档号 and a folder name
_RETENTIONS = {"永久", "定期30年", "定期10年"}


def _read_settings(path: Path) -> dict[str, Any]:
    """settings.yaml, or a WorkspaceError saying which setting is wrong and how to fix it."""
    def bad(why: str) -> WorkspaceError:
        return WorkspaceError(f"设置文件 {path} 有误：{why}。请改正，或删除该文件以使用默认设置。")

    try:
        loaded = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise WorkspaceError(f"设置文件 {path} 无法读取：{exc.strerror}；请检查该文件的权限") from None
    except UnicodeDecodeError:
        raise bad("不是 UTF-8 编码的文本") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise bad(f"不是有效的 YAML（第 {mark.line + 1} 行）" if mark else "不是有效的 YAML") from None
    loaded = {} if loaded is None else loaded
    if not isinstance(loaded, dict):
        raise bad("应是“设置名: 值”的映射")
    for key, default in DEFAULT_SETTINGS.items():
        if isinstance(default, dict) and not isinstance(loaded.get(key, {}) or {}, dict):
            raise bad(f"{key} 应是“名称: 值”的映射")
    if "fonds_id" in loaded and not _CODE.fullmatch(str(loaded["fonds_id"])):
        raise bad(f"fonds_id（全宗号）“{loaded['fonds_id']}”只能由 1–16 个字母或数字组成")
    for role, code in (loaded.get("org_codes") or {}).items():
        if not _CODE.fullmatch(str(code)):
            raise bad(f"org_codes.{role}（机构代码）“{code}”只能由 1–16 个字母或数字组成")
    for kind, term in (loaded.get("retention") or {}).items():
        if str(term) not in _RETENTIONS:
            raise bad(f"retention.{kind}（保管期限）“{term}”只能是 {'、'.join(sorted(_RETENTIONS))}")
    return loaded
