"""The ``sanfang`` command: a thin click shell over :class:`sanfang_docs.api.Sanfang`.

Errors become a Chinese message and the exit code of their class; never a traceback.
"""

from __future__ import annotations

import functools
import json
import os
import sys
import tempfile
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from .api import Made, Sanfang, read_answers
from .errors import SanfangError, ValidationError

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


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="sanfang-docs")
def main() -> None:
    """三方联动文书系统：引导问答生成公文（PDF + DOCX），按档号归档。"""


@command(main, name="catalog")
@click.option("--json", "as_json", is_flag=True, help="以 JSON 输出。")
def catalog(home: str | None, as_json: bool) -> None:
    """列出全部访谈及其生成的文件（文件键）。"""
    entries = Sanfang(home).catalog()
    if as_json:
        click.echo(json.dumps([e.__dict__ for e in entries], ensure_ascii=False, indent=2))
        return
    for e in entries:
        if e.error:
            click.secho(f"{e.interview}  （无法读取：{e.error}）", fg="red")
            continue
        click.secho(f"{e.interview}  {e.title}", bold=True)
        for key, title in e.documents.items():
            click.echo(f"  {key:<28} {title}")


@command(main, name="interview")
@click.argument("interview")
@click.option("--answers", "answers_file", type=click.Path(dir_okay=False), help="答案文件（YAML 或 JSON）。")
@click.option("--doc", "doc_key", help="要生成的文件键；不填则在问答中选择。")
@click.option("--no-input", is_flag=True, help="不提问：缺少或无效的答案全部列出并以非零状态退出。")
@from_option
@out_option
@click.option("--no-archive", is_flag=True, help="不归档。")
@click.option("--json", "as_json", is_flag=True, help="以 JSON 输出记录。")
def interview_cmd(home: str | None, interview: str, answers_file: str | None, doc_key: str | None,
                  no_input: bool, from_record: str | None, out_dir: str | None, no_archive: bool,
                  as_json: bool) -> None:
    """进行一次引导问答（只问答案文件中没有的内容），生成并归档文件。"""
    from .interview.terminal import ask_screen

    app = Sanfang(home)
    answers = read_answers(answers_file) if answers_file else {}
    if not no_input and not sys.stdin.isatty() and not answers_file:
        click.echo("（标准输入不是终端：按行读取回答）", err=True)
    outcome = app.run_interview(interview, answers, doc_key, None if no_input else ask_screen, from_record)
    _report(app.produce(outcome, out_dir, archive=not no_archive), as_json)


@command(main, name="make")
@click.argument("doc_key")
@click.option("--answers", "answers_file", type=click.Path(dir_okay=False),
              help="答案文件（YAML 或 JSON）；配合 --from 时只需写新的内容。")
@from_option
@out_option
@click.option("--no-archive", is_flag=True, help="不归档（配合 --out：除该目录外不写任何文件）。")
@click.option("--json", "as_json", is_flag=True, help="以 JSON 输出记录（档号、路径、校验和）。")
def make(home: str | None, doc_key: str, answers_file: str | None, from_record: str | None,
         out_dir: str | None, no_archive: bool, as_json: bool) -> None:
    """按答案文件生成一份文件：DOC_KEY 见 `sanfang catalog`。"""
    if not answers_file and not from_record:
        raise SanfangError("请用 --answers 指定答案文件，或用 --from 指定前一份文件的档号")
    app = Sanfang(home)
    answers = read_answers(answers_file) if answers_file else {}
    _report(app.make(doc_key, answers, out_dir, archive=not no_archive, from_record=from_record), as_json)


@command(main, name="demo")
def demo(home: str | None) -> None:
    """用随附的示例答案生成全部示范文本并归档（演示与自检）。"""
    app = Sanfang(home)
    made = app.make_examples()
    for m in made:
        assert m.record is not None
        click.echo(f"{m.record.archive_no}  {m.document.title}")
    click.secho(f"共归档 {len(made)} 份文件：{app.archive.root}", fg="green")


def _report(made: Made, as_json: bool) -> None:
    if as_json:
        click.echo(json.dumps(made.as_dict(), ensure_ascii=False, indent=2))
        return
    click.secho(f"已生成：{made.document.title}", fg="green")
    if made.record:
        click.echo(f"  档号：{made.record.archive_no}")
        click.echo(f"  归档：{made.record.path}")
    for kind, path in made.paths.items():
        click.echo(f"  {kind.upper()}：{path}")


SEARCH_SYNTAX = """\b
查询写法：
  物管会 成立        多个词：全部出现（“物管会”也找“物业管理委员会”）
  "选举结果的报告"   引号：整句出现
  请示 OR 申请       任一出现；NOT 批复：排除
  题名:选举  小区:江南花山郡  社区:文化路社区  街道:纸坊街道  文种:批复
  责任者:纸坊街道  主送:…  状态:已盖章  日期:2026-03  扫描件:…（盖章扫描件的识别文字）
  J001-WS·2026-Y-SQDW-0001   档号：直接找到该记录
只用筛选条件、不写查询词：按成文日期从新到旧列出。"""


@command(main, name="search", epilog=SEARCH_SYNTAX)
@click.argument("words", nargs=-1)
@click.option("--community", help="只看此社区。")
@click.option("--compound", help="只看此小区。")
@click.option("--street", help="只看此街道（开发区）。")
@click.option("--kind", help="文种，如 请示、批复、报告、公示。")
@click.option("--from", "date_from", help="成文日期起，如 2026、2026-03、2026-03-05。")
@click.option("--to", "date_to", help="成文日期止。")
@click.option("--status", help="状态：生成、已签名、已盖章。")
@click.option("--scope", default="all", show_default=True,
              help="检索范围：all（全部）、街道:名称 或 社区:名称；范围外的记录不会出现。")
@click.option("--limit", default=10, show_default=True, type=click.IntRange(1, 500), help="最多显示几条。")
@click.option("--json", "as_json", is_flag=True, help="以 JSON 输出。")
def search_cmd(home: str | None, words: tuple[str, ...], community: str | None, compound: str | None,
               street: str | None, kind: str | None, date_from: str | None, date_to: str | None,
               status: str | None, scope: str, limit: int, as_json: bool) -> None:
    """检索档案：按相关度列出记录（档号、题名、日期、摘要）。"""
    from .search import Scope
    from .search.searching import format_hit

    level, _, name = scope.replace("：", ":").partition(":")
    levels = {"all": "all", "全部": "all", "街道": "street", "street": "street", "社区": "community",
              "community": "community"}
    if level not in levels:
        raise SanfangError(f"检索范围“{scope}”无效，应为 all、街道:名称 或 社区:名称")
    result = Sanfang(home).search(
        " ".join(words), scope=Scope(levels[level], name.strip()), community=community, compound=compound,
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
    size = app.index.size_bytes() / 1e6
    click.secho(f"已重建检索索引：{count} 条记录，用时 {time.monotonic() - started:.1f} 秒，"
                f"索引 {size:.1f} MB", fg="green")


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
    from .verify import EXIT_PROBLEMS

    if target and check_all:
        raise SanfangError("--all 与档号（或文件）只能给一个")
    report = Sanfang(home).verify(target, jobs=jobs)
    if as_json:
        click.echo(json.dumps(report.as_dict(), ensure_ascii=False, indent=2))
    else:
        for problem in report.problems:
            click.echo(problem.as_text())
        summary = f"检测 {report.records} 条记录，用时 {report.seconds:.1f} 秒："
        if report.ok:
            click.secho(summary + "未发现问题", fg="green", err=True)
        else:
            click.secho(summary + f"发现 {len(report.problems)} 个问题", fg="red", err=True)
    if not report.ok:
        sys.exit(EXIT_PROBLEMS)


@main.group(name="keys")
def keys_group() -> None:
    """签名密钥：首次签名时自动为每个发文机关生成；也可导入本单位的 PKCS#12 证书（导入的优先）。"""


@command(keys_group, name="import")
@click.argument("p12_file", type=click.Path(exists=True, dir_okay=False))
@click.option("--org", help="此证书为哪个发文机关签名（与文件落款的发文机关一致）；默认取证书中的单位名称。")
@click.option("--passphrase-env", metavar="变量名", help="从此环境变量读取 PKCS#12 的口令；不给则提示输入。")
def keys_import(home: str | None, p12_file: str, org: str | None, passphrase_env: str | None) -> None:
    """导入 PKCS#12（.p12/.pfx）证书；口令错误、证书过期或私钥不匹配时拒绝导入。"""
    import os
    from pathlib import Path

    from .keys import KeyStore

    if passphrase_env:
        password = os.environ.get(passphrase_env)
        if password is None:
            raise SanfangError(f"环境变量 {passphrase_env} 未设置")
    else:
        password = click.prompt("PKCS#12 口令", hide_input=True, default="", show_default=False)
    key = KeyStore(Sanfang(home).workspace).import_pkcs12(Path(p12_file).read_bytes(), password, org)
    click.secho(f"已导入：{key.org} 的签名证书（{key.common_name}）", fg="green")
    click.echo(f"  有效期至：{key.cert.not_valid_after_utc:%Y-%m-%d}")
    click.echo(f"  SHA-256 指纹：{key.fingerprint}")


@command(keys_group, name="list")
@click.option("--json", "as_json", is_flag=True, help="以 JSON 输出。")
def keys_list(home: str | None, as_json: bool) -> None:
    """列出各发文机关的签名证书（导入的在前）。"""
    from .keys import KeyStore

    store = KeyStore(Sanfang(home).workspace)
    rows = [{"org": k.org, "source": "导入" if k.source == "imported" else "系统生成", "subject": k.common_name,
             "not_after": f"{k.cert.not_valid_after_utc:%Y-%m-%d}", "sha256": k.fingerprint}
            for k in store.entries()]
    if as_json:
        click.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    for row in rows:
        click.echo(f"{row['source']}  {row['org']}  有效期至 {row['not_after']}  {row['sha256'][:16]}")
    ca = store.dir / "ca.crt.pem"
    if ca.exists():
        click.echo(f"本地根证书（供 Adobe Reader、pdfsig 等信任）：{ca}", err=True)


# Command groups kept in their own modules; importing them registers them on `main`.
from . import cli_matter  # noqa: E402, F401

if __name__ == "__main__":
    main()
