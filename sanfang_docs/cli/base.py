"""What every ``sanfang`` command shares: the click group, ``--home``, and the wrapper that turns
errors into a Chinese message and the exit code of their class (never a traceback).
"""

from __future__ import annotations

import functools
import gc
import importlib
import os
import sys
import tempfile
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from ..errors import EXIT_VERIFY_PROBLEMS, SanfangError, ValidationError, os_reason

home_option = click.option(
    "--home", envvar="SANFANG_HOME", type=click.Path(file_okay=False),
    help="工作区目录（档案、索引、密钥、设置）；默认为环境变量 SANFANG_HOME，否则为当前目录。",
)


def command(group: click.Group, **kwargs: Any) -> Callable[[Callable[..., Any]], click.Command]:
    """A subcommand that takes --home and turns SanfangError into a clean exit."""

    def wrap(fn: Callable[..., Any]) -> click.Command:
        @functools.wraps(fn)
        def run(*args: Any, **kw: Any) -> Any:
            try:
                return fn(*args, **kw)
            except ValidationError as exc:
                click.secho("答案有误，未生成任何文件：", fg="red", err=True)
                for p in exc.problems:
                    click.echo(f"  {p.as_text()}", err=True)
                sys.exit(exc.exit_code)
            except SanfangError as exc:
                click.secho(f"错误：{exc.message}", fg="red", err=True)
                sys.exit(exc.exit_code)
            except (click.exceptions.Abort, KeyboardInterrupt, EOFError):
                click.secho("\n已取消，未生成任何文件。", fg="yellow", err=True)
                sys.exit(1)
            except (click.exceptions.Exit, click.ClickException):
                raise
            except BrokenPipeError:
                # `sanfang catalog | head`: the reader has what it wanted. Quietly, and without
                # Python complaining again when it flushes stdout at exit.
                os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
                sys.exit(0)
            except OSError as exc:  # outside the archive and the index, which say so themselves
                if os.environ.get("SANFANG_DEBUG"):
                    raise
                click.secho(f"错误：无法读写文件：{os_reason(exc)}", fg="red", err=True)
                sys.exit(1)
            except Exception as exc:  # noqa: BLE001 - a bug: say so plainly, keep the details
                if os.environ.get("SANFANG_DEBUG"):
                    raise
                log = Path(tempfile.gettempdir()) / f"sanfang-error-{os.getpid()}.log"
                log.write_text(traceback.format_exc(), encoding="utf-8")
                click.secho(f"内部错误（{type(exc).__name__}），未完成的操作不会留下半份记录。"
                            f"详情已写入 {log}，请转交技术人员。", fg="red", err=True)
                sys.exit(70)

        return group.command(**kwargs)(home_option(run))

    return wrap


# Options that `interview` and `make` share.
from_option = click.option("--from", "from_record", metavar="档号",
                           help="从已归档的前一份文件（如批复所答复的请示）开始：沿用其答案，归入同一案卷。")
out_option = click.option("--out", "out_dir", type=click.Path(file_okay=False), help="另将 PDF 和 DOCX 写入此目录。")


# Commands that file or list one thing and end: Python's cyclic garbage collector is off while
# they run. It collected over and over while a cold ``make`` imported its ~800 modules (~80 ms,
# a tenth of the process); one filing leaves little cyclic garbage, and the process then ends.
# Commands that run long or file many documents (serve, watch, demo, reindex) keep it.
ONE_SHOT = frozenset({"make", "catalog"})


class LazyGroup(click.Group):
    """A group whose commands are imported when one runs (or --help lists them), not when
    ``sanfang`` starts: a command's module brings the library boxes it needs, and only those
    (``lazy``: command name → module of this package that registers it; cli/__init__.py)."""

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.lazy: dict[str, str] = {}
        self._invoking = False

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(set(super().list_commands(ctx)) | set(self.lazy))

    def invoke(self, ctx: click.Context) -> Any:
        collecting = gc.isenabled()
        self._invoking = True
        try:
            return super().invoke(ctx)
        finally:
            self._invoking = False
            if collecting:
                gc.enable()  # a one-shot command run in a longer process (tests) gives it back

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if self._invoking and cmd_name in ONE_SHOT:
            gc.disable()
        if cmd_name not in self.commands and cmd_name in self.lazy:
            importlib.import_module(f"{__package__}.{self.lazy[cmd_name]}")  # registers itself
        return super().get_command(ctx, cmd_name)


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="sanfang-docs")
def main() -> None:
    """三方联动文书系统：引导问答生成公文（PDF + DOCX），按档号归档。"""


def selection_options(verb: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """The filters a selection of the archive takes: the same for ``search`` and ``export``, so
    a clerk tries a bundle's selection with ``sanfang search`` first. ``verb``: 看 or 导出."""
    options = [
        click.option("--community", help=f"只{verb}此社区。"),
        click.option("--compound", help=f"只{verb}此小区。"),
        click.option("--street", help=f"只{verb}此街道（开发区）。"),
        click.option("--kind", help="文种，如 请示、批复、报告、公示。"),
        click.option("--from", "date_from", help="成文日期起，如 2026、2026-03、2026-03-05。"),
        click.option("--to", "date_to", help="成文日期止。"),
        click.option("--status", help="状态：生成、已签名、已盖章。"),
    ]

    def wrap(fn: Callable[..., Any]) -> Callable[..., Any]:
        for option in reversed(options):
            fn = option(fn)
        return fn

    return wrap


def end_of_check(summary: str | None, problems: int) -> None:
    """The last line of a check (``verify``, ``verify-bundle``; None with --json) and its exit
    code: 8 when it found problems."""
    if summary is not None:
        if problems:
            click.secho(summary + f"发现 {problems} 个问题", fg="red", err=True)
        else:
            click.secho(summary + "未发现问题", fg="green", err=True)
    if problems:
        sys.exit(EXIT_VERIFY_PROBLEMS)
