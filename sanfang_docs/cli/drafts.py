"""``sanfang drafts list | resume | discard``: interviews stopped half way, kept in the workspace."""

from __future__ import annotations

import json

import click

from ..api import Sanfang
from .base import command, main, out_option
from .documents import converse


@main.group(name="drafts")
def drafts() -> None:
    """未完成的问答（草稿）：列出、继续、删除。"""


@command(drafts, name="list")
@click.option("--json", "as_json", is_flag=True, help="以 JSON 输出。")
def list_cmd(home: str | None, as_json: bool) -> None:
    """列出全部草稿（最近修改的在前）。"""
    found = Sanfang(home).drafts.list()
    if as_json:
        click.echo(json.dumps([d.as_dict() for d in found], ensure_ascii=False, indent=2))
        return
    if not found:
        click.echo("没有草稿。")
        return
    for d in found:
        click.echo(f"{d.id:>4}  {d.updated.replace('T', ' ')}  {d.interview}  已答 {d.steps} 步  {d.summary}")


@command(drafts, name="resume")
@click.argument("draft_id")
@out_option
@click.option("--json", "as_json", is_flag=True, help="以 JSON 输出记录。")
def resume(home: str | None, draft_id: str, out_dir: str | None, as_json: bool) -> None:
    """从中断处继续一份草稿；生成并归档后草稿即删除。"""
    app = Sanfang(home)
    convo = app.resume(draft_id)
    click.secho(f"继续草稿 {draft_id}：{convo.interview.title}（已答 {convo.steps_done} 步）", bold=True)
    converse(app, convo, out_dir, True, as_json)


@command(drafts, name="discard")
@click.argument("draft_id")
def discard(home: str | None, draft_id: str) -> None:
    """删除一份草稿。"""
    Sanfang(home).drafts.discard(draft_id)
    click.echo(f"已删除草稿 {draft_id}。")
