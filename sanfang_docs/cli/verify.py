"""``sanfang verify``: the four DA/T 70 checks."""

from __future__ import annotations

import json

import click

from ..api import Sanfang
from ..errors import SanfangError
from .base import command, end_of_check, main


@command(main, name="verify")
@click.argument("target", required=False, metavar="[档号 | 文件]")
@click.option("--all", "check_all", is_flag=True, help="检查全部档案（不给档号或文件时即如此）。")
@click.option("--jobs", type=click.IntRange(1, 64), default=1, show_default=True, help="并行检查的进程数。")
@click.option("--json", "as_json", is_flag=True, help="以 JSON 输出检测结果。")
def verify_cmd(home: str | None, target: str | None, check_all: bool, jobs: int, as_json: bool) -> None:
    """按 DA/T 70 检测档案的真实性、完整性、可用性、安全性。

    每个问题一行：档号、文件、检测项、说明。文件可以是档案中某条记录里的任一文件，也可以是
    档案外的一份 PDF（检查其签名，并与同一档号的归档 PDF 比对）。

    退出码：0 未发现问题；8 发现问题；其他为运行错误。
    """
    if target and check_all:
        raise SanfangError("--all 与档号（或文件）只能给一个")
    report = Sanfang(home).verify(target, jobs=jobs)
    summary: str | None = None  # --json: the JSON says it all
    if as_json:
        click.echo(json.dumps(report.as_dict(), ensure_ascii=False, indent=2))
    else:
        for problem in report.problems:
            click.echo(problem.as_text())
        summary = f"检测 {report.records} 条记录，用时 {report.seconds:.1f} 秒："
    end_of_check(summary, 0 if report.ok else len(report.problems))
