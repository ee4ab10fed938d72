"""``sanfang search | reindex``: the archive's full-text index."""

from __future__ import annotations

import json
import sys

import click

from ..api import Sanfang, format_hit, scope_from
from .base import command, main, selection_options

SEARCH_SYNTAX = """\b
查询写法：
  物管会 成立        多个词：全部出现（“物管会”也找“物业管理委员会”）
  "选举结果的报告"   引号：整句出现
  请示 OR 申请       任一出现；NOT 批复：排除
  题名:选举  小区:江南花山郡  社区:文化路社区  街道:纸坊街道  文种:批复
  责任者:纸坊街道  主送:…  状态:已盖章  日期:2026-03  扫描件:…（盖章扫描件的识别文字）
  天玺湾  恒大明都   小区名的一部分、同音或写错的字也能找到（会提示“您要找的是不是”）
  交叉任职  公示承诺  制度   手册对一类文书的叫法：找到这一类的全部文书
  J001-WS·2026-Y-SQDW-0001   档号（· . - 或空格分隔、大小写、省略全宗号均可）：直接找到该记录
只用筛选条件、不写查询词：按成文日期从新到旧列出。"""


@command(main, name="search", epilog=SEARCH_SYNTAX)
@click.argument("words", nargs=-1)
@selection_options("看")
@click.option("--scope", default="all", show_default=True,
              help="检索范围：all（全部）、街道:名称 或 社区:名称；范围外的记录不会出现。")
@click.option("--limit", default="10", show_default=True, help="最多显示几条（1–500）。")
@click.option("--json", "as_json", is_flag=True, help="以 JSON 输出。")
def search_cmd(home: str | None, words: tuple[str, ...], community: str | None, compound: str | None,
               street: str | None, kind: str | None, date_from: str | None, date_to: str | None,
               status: str | None, scope: str, limit: str, as_json: bool) -> None:
    """检索档案：按相关度列出记录（档号、题名、日期、摘要）。"""
    result = Sanfang(home).search(
        " ".join(words), scope=scope_from(scope), community=community, compound=compound,
        street=street, kind=kind, status=status, date_from=date_from, date_to=date_to, limit=limit)
    if as_json:
        click.echo(json.dumps(result.as_dict(), ensure_ascii=False, indent=2))
        return
    for note in result.notes:
        click.secho(note, fg="yellow", err=True)
    if not result.hits:
        click.echo("没有找到符合条件的记录。", err=True)
        return
    styled = sys.stdout.isatty()
    partial = False
    for n, hit in enumerate(result.hits, 1):
        if hit.partial and not partial:
            partial = True
            click.echo("—— 以下为部分匹配（并非每个词都出现）——")
        click.echo(format_hit(n, hit, lambda t: click.style(t, fg="red", bold=True) if styled else f"【{t}】"))
    more = "，可加大 --limit 或增加筛选条件" if result.more else ""
    click.echo(f"共找到 {result.total} 条，显示 {len(result.hits)} 条（{result.elapsed_ms:.0f} 毫秒）{more}", err=True)


@command(main, name="reindex")
def reindex_cmd(home: str | None) -> None:
    """从档案重建检索索引（档案是唯一依据；重建期间仍可检索旧索引）。"""
    import time

    app = Sanfang(home)
    started = time.monotonic()
    count = app.reindex()
    for name, reason in app.index.skipped.items():
        click.secho(f"警告：已跳过损坏的记录 {name}（{reason}）；请运行 `sanfang verify` 检查", fg="yellow", err=True)
    size = app.index.size_bytes() / 1e6
    click.secho(f"已重建检索索引：{count} 条记录，用时 {time.monotonic() - started:.1f} 秒，"
                f"索引 {size:.1f} MB", fg="green")
