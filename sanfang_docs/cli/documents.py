"""``sanfang catalog | interview | make | demo``: interviews in, signed and filed documents out."""

from __future__ import annotations

import json
import sys

import click

from ..api import Conversation, Made, Sanfang, read_answers, terminal_ask
from ..errors import SanfangError
from . import web
from .base import command, from_option, main, out_option


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
    """进行一次引导问答（只问答案文件中没有的内容），生成并归档文件。

    问答中随时可输入“上一步”返回、“复核”查看并修改全部答案；每答完一页都会保存草稿，
    中途退出后用 `sanfang drafts resume 编号` 继续。"""
    app = Sanfang(home)
    answers = read_answers(answers_file) if answers_file else {}
    if no_input:
        outcome = app.run_interview(interview, answers, doc_key, None, from_record)
        _report(app.produce(outcome, out_dir, archive=not no_archive), as_json)
        return
    if not sys.stdin.isatty() and not answers_file:
        click.echo("（标准输入不是终端：按行读取回答）", err=True)
    if from_record and not doc_key:
        doc_key = _pick_follower(app, from_record)
    convo = app.conversation(interview, answers, doc_key, from_record, keep_draft=not no_archive)
    converse(app, convo, out_dir, not no_archive, as_json)


def _pick_follower(app: Sanfang, from_record: str) -> str | None:
    """Without --doc: offer the documents that can follow the record."""
    options = list(app.following(from_record).items())
    if len(options) <= 1:
        return options[0][0] if options else None  # none: start_from says why
    click.echo("据此可以起草以下文件：")
    for n, (key, title) in enumerate(options, 1):
        click.echo(f"  {n}. {title}（{key}）")
    while True:
        text = click.prompt(f"  要起草哪一份？（填编号 1～{len(options)}）", default="", show_default=False).strip()
        if text.isdigit() and 1 <= int(text) <= len(options):
            return options[int(text) - 1][0]
        click.secho(f"  ✗ 请输入 1～{len(options)} 之间的编号", fg="red")


def converse(app: Sanfang, convo: Conversation, out_dir: str | None, archive: bool, as_json: bool) -> None:
    """Ask through the terminal until the document can be made; an interruption keeps the draft."""
    try:
        terminal_ask()(convo)
    except (click.exceptions.Abort, KeyboardInterrupt, EOFError):
        if convo.draft_id:
            click.secho(f"\n已取消，未生成任何文件。已答的内容保存为草稿 {convo.draft_id}，"
                        f"可用 sanfang drafts resume {convo.draft_id} 继续。", fg="yellow", err=True)
            sys.exit(1)
        raise
    _report(app.produce(convo.outcome(), out_dir, archive=archive), as_json)


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
@click.option("--serve", "then_serve", is_flag=True, help="归档后启动网页版（首次会创建管理员账号并显示密码）。")
@web.with_serve_options
def demo(home: str | None, then_serve: bool, host: str, port: int, threads: int) -> None:
    """用随附的示例答案生成全部示范文本并归档（演示与自检）。"""
    app = Sanfang(home)
    made = app.make_examples()
    for m in made:
        assert m.record is not None
        click.echo(f"{m.record.archive_no}  {m.document.title}")
    click.secho(f"共归档 {len(made)} 份文件：{app.archive.root}", fg="green")
    if then_serve:
        web.run_server(app, host, port, threads)
    else:
        click.echo("在浏览器中使用：sanfang serve（或 sanfang demo --serve）")


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
    for note in made.notes:
        click.secho(f"  {note}", fg="yellow")
