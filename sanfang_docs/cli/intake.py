"""``sanfang watch``, ``sanfang intake`` and ``sanfang quarantine``: the watched inbox."""

from __future__ import annotations

import json
import logging
import signal
import sys
import threading
from typing import Any

import click

from ..api import Sanfang
from .base import command, main


def _log_to_stderr(level: int = logging.INFO) -> None:
    """One line per file (watch) or warnings only (the one-shot commands print their results)."""
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr, format="%(asctime)s %(message)s",
                        datefmt="%Y-%m-%d %H:%M:%S")
    logging.getLogger("sanfang.intake").setLevel(level)


@command(main, name="watch")
@click.argument("inbox", required=False, type=click.Path(file_okay=False))
@click.option("--delay", type=click.FloatRange(0), help="文件大小和修改时间保持不变多少秒后才收取（默认 5）。")
@click.option("--rescan", type=click.FloatRange(0.1), help="每隔多少秒全盘重扫一次收件箱（默认 10；网络共享靠它）。")
@click.option("--retry", type=click.FloatRange(0.1), help="每隔多少秒重试暂时性隔离的文件（默认 60）。")
@click.option("--no-events", is_flag=True, help="不用文件系统事件，只靠定时重扫。")
@click.option("--no-ocr", is_flag=True, help="只归档，不做文字识别（排队留待下次）。")
def watch_cmd(home: str | None, inbox: str | None, delay: float | None, rescan: float | None,
              retry: float | None, no_events: bool, no_ocr: bool) -> None:
    """监视收件箱：盖章扫描件按二维码归入档案，无法识别的进入隔离区。

    INBOX 默认为工作区中的 inbox/。每个文件一行日志。Ctrl-C 或 SIGTERM 处理完当前文件后退出。
    """
    _log_to_stderr()
    stop = threading.Event()
    # Ctrl-C and SIGTERM both finish the file in hand, then stop (the journal covers a kill).
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    app = Sanfang(home)
    click.echo("开始监视收件箱（Ctrl-C 退出）", err=True)
    try:
        app.watch(inbox, stop, delay=delay, rescan=rescan, retry=retry, events=not no_events, ocr=not no_ocr)
    except KeyboardInterrupt:
        stop.set()
    click.echo("已停止监视。", err=True)


def _print(results: list[Any], as_json: bool) -> None:
    if as_json:
        click.echo(json.dumps([r.as_dict() for r in results], ensure_ascii=False, indent=2))
    else:
        for r in results:
            click.echo(r.line())


no_ocr_option = click.option("--no-ocr", is_flag=True, help="只归档，不做文字识别（留待 sanfang watch 处理）。")


@command(main, name="intake")
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False))
@no_ocr_option
@click.option("--json", "as_json", is_flag=True, help="以 JSON 输出结果。")
def intake_cmd(home: str | None, files: tuple[str, ...], no_ocr: bool, as_json: bool) -> None:
    """收取扫描件（与 watch 同样处理一次）：归档后原文件移出，无法识别的进入隔离区。"""
    _log_to_stderr(logging.WARNING)
    _print(Sanfang(home).intake(list(files), ocr=not no_ocr), as_json)


@main.group(name="quarantine")
def quarantine_group() -> None:
    """隔离区：无法自动归档的扫描件。"""


@command(quarantine_group, name="list")
@click.option("--json", "as_json", is_flag=True, help="以 JSON 输出。")
def quarantine_list(home: str | None, as_json: bool) -> None:
    """列出隔离区中的文件及原因。"""
    items = Sanfang(home).quarantine_list()
    if as_json:
        click.echo(json.dumps([i.as_dict() for i in items], ensure_ascii=False, indent=2))
        return
    for i in items:
        mark = "（暂时，将自动重试）" if i.temporary else ""
        click.echo(f"{i.name}\t{i.since}\t{i.reason}{mark}")
    click.echo(f"共 {len(items)} 个文件", err=True)


@command(quarantine_group, name="retry")
@click.argument("names", nargs=-1)
@no_ocr_option
def quarantine_retry(home: str | None, names: tuple[str, ...], no_ocr: bool) -> None:
    """重新识别隔离区中的文件（不给文件名则全部）。"""
    _print(Sanfang(home).quarantine_retry(list(names), ocr=not no_ocr), False)


@command(quarantine_group, name="file")
@click.option("--record", "archive_no", required=True, help="归入的档号。")
@click.argument("name")
@no_ocr_option
def quarantine_file(home: str | None, archive_no: str, name: str, no_ocr: bool) -> None:
    """经人工核对，把隔离区中的文件归入指定档号的记录（记录即为已盖章）。"""
    _print([Sanfang(home).quarantine_file(name, archive_no, ocr=not no_ocr)], False)
