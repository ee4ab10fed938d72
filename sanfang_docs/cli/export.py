"""``sanfang export | verify-bundle``: inspection bundles (BagIt) and their check."""

from __future__ import annotations

import json
import sys
from typing import Any

import click

from ..api import Sanfang, scope_from
from .base import command, end_of_check, main, selection_options


@command(main, name="export")
@click.argument("target", metavar="检查包.zip")
@click.argument("words", nargs=-1)
@selection_options("导出")
@click.option("--year", help="年度（等于 --from 年 --to 年）。")
@click.option("--case", "case_id", help="案卷编号（只导出这一案卷）。")
@click.option("--scope", default="all", show_default=True,
              help="导出范围：all（全部）、街道:名称 或 社区:名称；范围外的记录不会导出。")
@click.option("--dir", "as_dir", is_flag=True, help="导出为目录（BagIt 目录），而不是 ZIP。")
@click.option("--jobs", type=click.IntRange(1, 64), help="四性检测的进程数（默认为 CPU 数，最多 2）。")
@click.option("--json", "as_json", is_flag=True, help="以 JSON 输出结果。")
def export_cmd(home: str | None, target: str, words: tuple[str, ...], community: str | None,
               compound: str | None, street: str | None, kind: str | None, date_from: str | None,
               date_to: str | None, year: str | None, status: str | None, case_id: str | None, scope: str,
               as_dir: bool, jobs: int | None, as_json: bool) -> None:
    """把档案中的一批记录导出为检查包（BagIt）：原件、阅读本、检查清单、四性检测报告、清单。

    选取条件与 sanfang search 相同（检索词和各筛选条件），但导出全部符合的记录。
    同样的档案和条件导出的检查包逐字节相同。
    """
    if year:
        date_from, date_to = date_from or year, date_to or year
    bar: Any = None

    def progress(done: int, total: int, label: str) -> None:
        nonlocal bar
        if not sys.stderr.isatty() or as_json:
            return
        if bar is None:
            bar = click.progressbar(length=total, label="导出检查包", file=sys.stderr)
            bar.__enter__()
        bar.label = label
        bar.update(done - bar.pos)

    try:
        result = Sanfang(home).export(
            target, " ".join(words), scope=scope_from(scope), community=community, compound=compound,
            street=street, kind=kind, status=status, case_id=case_id, date_from=date_from, date_to=date_to,
            as_dir=as_dir, progress=progress, jobs=jobs)
    finally:
        if bar is not None:
            bar.__exit__(None, None, None)
    if as_json:
        click.echo(json.dumps(result.as_dict(), ensure_ascii=False, indent=2))
        return
    for note in result.notes:
        click.secho(note, fg="yellow", err=True)
    click.secho(f"已导出检查包 {result.path}：{result.records} 条记录，阅读本 {result.pages} 页，"
                f"{result.files} 个文件，{result.bytes / 1e6:.1f} MB", fg="green")
    click.echo(f"SHA-256：{result.sha256}（已记入审计日志）")
    if not result.transfer_ok:
        click.secho("注意：四性检测发现问题，详见检查包中的 data/transfer-report.txt", fg="yellow", err=True)


@command(main, name="verify-bundle")
@click.argument("bundle", metavar="检查包")
@click.option("--jobs", type=click.IntRange(1, 64), help="核验签名的进程数（默认为 CPU 数，最多 2）。")
@click.option("--json", "as_json", is_flag=True, help="以 JSON 输出检测结果。")
def verify_bundle_cmd(home: str | None, bundle: str, jobs: int | None, as_json: bool) -> None:
    """核验检查包：每个校验值、每个签名、清单与内容、BagIt 标签文件。

    退出码：0 未发现问题；8 发现问题；其他为运行错误。
    """
    report = Sanfang(home).verify_bundle(bundle, jobs)
    summary: str | None = None  # --json: the JSON says it all
    if as_json:
        click.echo(json.dumps(report.as_dict(), ensure_ascii=False, indent=2))
    else:
        for line in report.lines():
            click.echo(line)
        summary = (f"核验 {report.records} 条记录、{report.files} 个文件、{report.signatures} 个签名，"
                   f"用时 {report.seconds:.1f} 秒：")
    end_of_check(summary, 0 if report.ok else len(report.problems))
