"""``sanfang keys import | list``: the signing keys of the issuing organisations."""

from __future__ import annotations

import json
import os
from pathlib import Path

import click

from ..api import Sanfang
from ..errors import SanfangError
from .base import command, main


@main.group(name="keys")
def keys_group() -> None:
    """签名密钥：首次签名时自动为每个发文机关生成；也可导入本单位的 PKCS#12 证书（导入的优先）。"""


@command(keys_group, name="import")
@click.argument("p12_file", type=click.Path(exists=True, dir_okay=False))
@click.option("--org", help="此证书为哪个发文机关签名（与文件落款的发文机关一致）；默认取证书中的单位名称。")
@click.option("--passphrase-env", metavar="变量名", help="从此环境变量读取 PKCS#12 的口令；不给则提示输入。")
def keys_import(home: str | None, p12_file: str, org: str | None, passphrase_env: str | None) -> None:
    """导入 PKCS#12（.p12/.pfx）证书；口令错误、证书过期或私钥不匹配时拒绝导入。"""
    if passphrase_env:
        password = os.environ.get(passphrase_env)
        if password is None:
            raise SanfangError(f"环境变量 {passphrase_env} 未设置")
    else:
        password = click.prompt("PKCS#12 口令", hide_input=True, default="", show_default=False)
    key = Sanfang(home).import_key(Path(p12_file).read_bytes(), password, org)
    click.secho(f"已导入：{key.org} 的签名证书（{key.common_name}）", fg="green")
    click.echo(f"  有效期至：{key.cert.not_valid_after_utc:%Y-%m-%d}")
    click.echo(f"  SHA-256 指纹：{key.fingerprint}")


@command(keys_group, name="list")
@click.option("--json", "as_json", is_flag=True, help="以 JSON 输出。")
def keys_list(home: str | None, as_json: bool) -> None:
    """列出各发文机关的签名证书（导入的在前）。"""
    entries, ca = Sanfang(home).signing_keys()
    rows = [{"org": k.org, "source": "导入" if k.source == "imported" else "系统生成", "subject": k.common_name,
             "not_after": f"{k.cert.not_valid_after_utc:%Y-%m-%d}", "sha256": k.fingerprint}
            for k in entries]
    if as_json:
        click.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    for row in rows:
        click.echo(f"{row['source']}  {row['org']}  有效期至 {row['not_after']}  {row['sha256'][:16]}")
    if ca.exists():
        click.echo(f"本地根证书（供 Adobe Reader、pdfsig 等信任）：{ca}", err=True)
