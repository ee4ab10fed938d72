"""``sanfang matter``: the 实事登记簿 of 示范文本9 (see registers/matters.py)."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from typing import Any

import click

from ..api import Sanfang, read_answers
from ..errors import ValidationError
from .base import command, main


@main.group(name="matter")
def matter_group() -> None:
    """小区业主实事登记簿（示范文本9）：登记、受理、处理、办结、回访，按季度列出。

    登记表归档（sanfang make resident-matter-form）时自动登记；季度公示
    （sanfang make resident-matter-register）从登记簿取清单。"""


def _matter_step(action: str, call: Callable[[], Any], as_json: bool) -> None:
    try:
        matter = call()
    except ValidationError as exc:
        click.secho(f"未{action}，登记簿未改动：", fg="red", err=True)
        for p in exc.problems:
            click.echo(f"  {p.as_text()}", err=True)
        sys.exit(exc.exit_code)
    if as_json:
        click.echo(json.dumps(matter.as_dict(), ensure_ascii=False, indent=2))
        return
    click.secho(f"已{action}：{matter.no} {matter.title}（{matter.on().label}）", fg="green")


date_option = click.option("--date", "day", metavar="日期", help="日期，如 2026-10-08（默认今天）。")
json_option = click.option("--json", "as_json", is_flag=True, help="以 JSON 输出。")


@command(matter_group, name="add")
@click.option("--answers", "answers_file", required=True, type=click.Path(dir_okay=False),
              help="登记表的答案文件（与 resident-matter-form 相同）。")
@click.option("--date", "day", metavar="日期", help="登记日期，如 2026-09-28（代替答案文件中的 reg_date）。")
@json_option
def matter_add(home: str | None, answers_file: str, day: str | None, as_json: bool) -> None:
    """按答案文件登记一件实事（不起草登记表）；登记编号留空则自动编号。"""
    app = Sanfang(home)
    answers = read_answers(answers_file)
    if day:
        answers["reg_date"] = day
    _matter_step("登记", lambda: app.matter_add(answers), as_json)


@command(matter_group, name="accept")
@click.argument("matter_no")
@date_option
@click.option("--overdue-reason", default="", help="超过 3 个工作日受理时，写明逾期原因。")
@json_option
def matter_accept(home: str | None, matter_no: str, day: str | None, overdue_reason: str, as_json: bool) -> None:
    """受理（登记后 3 个工作日内）。"""
    app = Sanfang(home)
    _matter_step("受理", lambda: app.matter_accept(matter_no, day, overdue_reason), as_json)


@command(matter_group, name="assign")
@click.argument("matter_no")
@click.option("--person", required=True, help="负责人，如：李建国（物业工程部）。")
@date_option
@json_option
def matter_assign(home: str | None, matter_no: str, person: str, day: str | None, as_json: bool) -> None:
    """指定负责人，转为“处理中”（回访不满意的可重新指定）。"""
    app = Sanfang(home)
    _matter_step("指定负责人", lambda: app.matter_assign(matter_no, person, day), as_json)


@command(matter_group, name="resolve")
@click.argument("matter_no")
@click.option("--outcome", required=True, help="处理结果（会在季度公示中公开，不写联系方式）。")
@date_option
@json_option
def matter_resolve(home: str | None, matter_no: str, outcome: str, day: str | None, as_json: bool) -> None:
    """办结，转为“已解决”。"""
    app = Sanfang(home)
    _matter_step("办结", lambda: app.matter_resolve(matter_no, outcome, day), as_json)


@command(matter_group, name="rate")
@click.argument("matter_no")
@click.option("--satisfaction", required=True, type=click.Choice(["满意", "一般", "不满意"]),
              help="业主回访满意度。")
@click.option("--reason", default="", help="不满意的原因（回访不满意时必填）。")
@date_option
@json_option
def matter_rate(home: str | None, matter_no: str, satisfaction: str, reason: str, day: str | None,
                as_json: bool) -> None:
    """记录业主回访满意度。"""
    app = Sanfang(home)
    _matter_step("记录回访", lambda: app.matter_rate(matter_no, satisfaction, day, reason), as_json)


@command(matter_group, name="correct")
@click.argument("matter_no")
@click.option("--reason", required=True, help="撤销原因，如：受理日期录错（会留在处理记录中）。")
@json_option
def matter_correct(home: str | None, matter_no: str, reason: str, as_json: bool) -> None:
    """撤销最近一个录错的步骤（保留在处理记录中并注明原因），然后可重新录入正确的步骤。"""
    app = Sanfang(home)
    _matter_step("撤销最近一步", lambda: app.matter_correct(matter_no, reason), as_json)


@command(matter_group, name="list")
@click.option("--compound", help="只列这个小区（小区名称，不带“小区”）。")
@click.option("--quarter", metavar="2026Q3", help="只列该季度公示的实事（本季度登记的，及以前登记、季度初仍未办结的）。")
@json_option
def matter_list(home: str | None, compound: str | None, quarter: str | None, as_json: bool) -> None:
    """列出登记簿中的实事（不含房号和联系方式）。"""
    matters = Sanfang(home).matter_list(compound, quarter)
    if as_json:
        click.echo(json.dumps([m.as_dict() for m in matters], ensure_ascii=False, indent=2))
        return
    for m in matters:
        s = m.on()
        who = f"，负责人{s.handler}" if s.handler else ""
        click.echo(f"{m.no}  {m.registered.isoformat()}  {m.compound}  {m.resident}（{m.building}）  "
                   f"{m.title}  【{s.label}{who}】")
    click.echo(f"共 {len(matters)} 件", err=True)


@command(matter_group, name="show")
@click.argument("matter_no")
@json_option
def matter_show(home: str | None, matter_no: str, as_json: bool) -> None:
    """显示一件实事的全部登记内容和处理记录（含联系方式，仅供联系反馈）。"""
    data = Sanfang(home).matter_get(matter_no).as_dict(private=True)
    if as_json:
        click.echo(json.dumps(data, ensure_ascii=False, indent=2))
        return
    steps = data.pop("处理记录")
    for k, v in data.items():
        click.echo(f"{k}：{v}")
    for step in steps:
        extra = "，".join(f"{k}：{v}" for k, v in step.items() if v and k not in ("步骤", "日期", "已撤销"))
        undone = f"  〔已撤销：{step['已撤销']}〕" if step["已撤销"] else ""
        click.echo(f"  {step['日期']} {step['步骤']}" + (f"（{extra}）" if extra else "") + undone)


