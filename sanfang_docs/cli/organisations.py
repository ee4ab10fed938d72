"""``sanfang org add | list | import``: the office's organisations, picked in interviews instead of typed."""

from __future__ import annotations

import json
from pathlib import Path

import click

from ..api import Sanfang
from ..errors import SanfangError
from .base import command, main


@main.group(name="org")
def org() -> None:
    """组织登记：街道及党工委、社区及党组织和居委会、小区及业主组织和物业企业、常用人员。"""


@command(org, name="add")
@click.argument("kind", metavar="类型")
@click.argument("name", metavar="名称")
@click.option("--parent", default="", help="上级：社区所属街道、小区所属社区、人员所在组织。")
@click.option("--party-org", default="", help="党组织全称（街道党工委、社区党组织）。")
@click.option("--committee", default="", help="社区居民委员会名称。")
@click.option("--owners-body", default="", help="小区的业主组织：业主委员会 或 物业管理委员会。")
@click.option("--property-company", default="", help="小区的物业服务企业全称。")
@click.option("--role", default="", help="人员的职务。")
@click.option("--phone", default="", help="人员的联系电话。")
def add(home: str | None, kind: str, name: str, parent: str, party_org: str, committee: str, owners_body: str,
        property_company: str, role: str, phone: str) -> None:
    """登记（或补全）一个组织或人员。类型：street（街道）、community（社区）、compound（小区）、person（人员）。"""
    entry = Sanfang(home).organisations.add(kind, name, parent, party_org=party_org, committee=committee,
                                            owners_body=owners_body, property_company=property_company,
                                            role=role, phone=phone)
    click.echo(f"已登记：{entry.line()}")


@command(org, name="list")
@click.argument("kind", metavar="[类型]", required=False)
@click.option("--json", "as_json", is_flag=True, help="以 JSON 输出。")
def list_cmd(home: str | None, kind: str | None, as_json: bool) -> None:
    """列出登记的组织和人员（可只列一类）。"""
    entries = Sanfang(home).organisations.list(kind)
    if as_json:
        click.echo(json.dumps([e.as_dict() for e in entries], ensure_ascii=False, indent=2))
        return
    if not entries:
        click.echo("组织登记为空。用 sanfang org add 或 sanfang org import 登记；归档的文件也会自动登记。")
    for e in entries:
        click.echo(e.line())


@command(org, name="import")
@click.argument("csv_file", type=click.Path(dir_okay=False))
def import_cmd(home: str | None, csv_file: str) -> None:
    """从 CSV 导入（表头：类型,名称,上级,党组织,居委会,业主组织,物业服务企业,职务,联系电话）；有一行不对则一行都不导入。"""
    try:
        text = Path(csv_file).read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise SanfangError(f"找不到文件 {csv_file}") from None
    except UnicodeDecodeError:
        raise SanfangError(f"{csv_file} 不是 UTF-8 编码的 CSV（请在表格软件中另存为“CSV UTF-8”）") from None
    entries = Sanfang(home).organisations.import_csv(text)
    click.echo(f"已导入 {len(entries)} 条。")
