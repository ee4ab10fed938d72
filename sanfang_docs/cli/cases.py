"""``sanfang case show``: one case's records in the order of the matter, and what can come next."""

from __future__ import annotations

import json

import click

from ..api import Sanfang
from .base import command, main


@main.group(name="case")
def case() -> None:
    """案卷：同一事项的文件（请示 → 批复 → 报告 …）。"""


@command(case, name="show")
@click.argument("ref", metavar="案卷号或档号")
@click.option("--json", "as_json", is_flag=True, help="以 JSON 输出。")
def show(home: str | None, ref: str, as_json: bool) -> None:
    """列出一个案卷的全部文件（按成文日期），以及接下来可以起草的文件。"""
    found = Sanfang(home).case(ref)
    if as_json:
        click.echo(json.dumps({
            "case_id": found.case_id, "interview": found.interview,
            "records": [{"档号": r.archive_no, "题名": r.meta.get("题名", ""), "文种": r.meta.get("文种", ""),
                         "成文日期": r.meta.get("成文日期", ""), "doc_key": r.meta.get("doc_key", "")}
                        for r in found.records],
            "following": found.following}, ensure_ascii=False, indent=2))
        return
    click.secho(f"案卷 {found.case_id}（共 {len(found.records)} 份）", bold=True)
    for n, r in enumerate(found.records, 1):
        click.echo(f"  {n}. {r.meta.get('成文日期', '')}  {r.archive_no}  {r.meta.get('题名', '')}")
    if found.following:
        last = found.records[-1].archive_no
        click.echo("接下来可以起草：")
        for key, title in found.following.items():
            click.echo(f"  {title}：sanfang interview {found.interview} --from {last} --doc {key}")
    else:
        click.echo("本事项的文件已齐。")
