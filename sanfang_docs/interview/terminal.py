"""The terminal front end of a Conversation: one screen at a time, in Chinese.

Line editing is GNU readline's (arrow keys, backspace over a wide character), loaded when the
input is a terminal. At any prompt ``上一步`` (or ``b``) goes back a screen and ``复核`` lists
every answer for editing. A value typed wrong is re-asked at once with the reason and is never
offered back as the default; a rule about the whole screen is shown above it.
"""

from __future__ import annotations

import re
import sys
from datetime import date
from typing import Any

import click

from .conversation import BACK_WORDS, Conversation, Step, display
from .conversation import plain as _plain
from .fields import BOOL_TYPES, Invalid, convert
from .loader import FieldSpec

REVIEW_WORDS = {"复核", "核对"}


class _Back(Exception):
    """The person typed 上一步."""


class _Review(Exception):
    """The person typed 复核."""


def _read(prompt: str) -> str:
    if sys.stdin.isatty():
        import readline  # noqa: F401 - importing it gives input() line editing

    return input(prompt)


def converse(convo: Conversation) -> None:
    """Drive the conversation to its final screen (Ctrl-C and end of input propagate)."""
    while not convo.finished:
        step = convo.current()
        _header(step)
        if step.is_review:
            _review(convo, at_review=True)
            continue
        try:
            raw = _ask_fields(convo, step)
        except _Back:
            if not convo.back():
                click.secho("  （已是第一步）", fg="yellow")
            continue
        except _Review:
            _review(convo, at_review=False)
            continue
        convo.submit(raw)  # a refusal comes back as the same screen with its problems


def _header(step: Step) -> None:
    click.echo()
    click.secho(f"■ {_plain(step.screen.question)}", bold=True)
    click.secho(f"  第 {step.number} 步，共约 {step.total} 步（输入“上一步”返回，“复核”查看全部答案）", dim=True)
    if step.screen.subquestion:
        click.echo(_plain(step.screen.subquestion))
    names = {f.name for f in step.screen.fields}
    for p in step.problems:
        where = f"{p.field}：" if p.key in names else ""
        click.secho(f"  ✗ {where}{p.message}", fg="red")


def _ask_fields(convo: Conversation, step: Step) -> dict[str, Any]:
    refused = {p.key for p in step.problems}
    screen_wide = any(p.key not in {f.name for f in step.screen.fields} for p in step.problems)
    typed: dict[str, Any] = {}
    for spec in step.screen.fields:
        if spec.name in typed or spec.name not in {f.name for f in convo.shown_fields({**step.known, **typed})}:
            continue  # hidden by its show if, or filled by a registered entry just picked
        settled = spec.name in convo.answers and spec.name not in refused and not screen_wide
        if settled:  # given by the answers file: not asked again
            typed[spec.name] = step.known[spec.name]
            continue
        offers = step.offers.get(spec.name, [])
        if offers:
            click.echo(f"  登记中的选项（输入编号选用，或直接输入{spec.label}）：")
            for n, offer in enumerate(offers, 1):
                click.echo(f"    {n}. {offer.label}")
        while True:
            value = ask_value(spec, step.known.get(spec.name))
            if str(value).strip().isdigit() and 1 <= int(value) <= len(offers):
                typed.update(offers[int(value) - 1].values)
                break
            if _confirmed(convo, spec, value):
                typed[spec.name] = value
                break
    return typed


def _confirmed(convo: Conversation, spec: FieldSpec, value: Any) -> bool:
    """A name the organisations registry does not hold is used only once confirmed as new."""
    message = convo.is_new(spec.name, value)
    if message is None:
        return True
    click.secho(f"  ！{message}", fg="yellow")
    text = _read(f"  确认“{str(value).strip()}”是新的{spec.label.removesuffix('名称')}吗？（是/否） [否]: ")
    if text.strip().lower() in {"是", "y", "yes", "对"}:
        convo.confirm_new(spec.name, value)
        return True
    return False


def ask_value(spec: FieldSpec, previous: Any) -> Any:
    """One field, re-asked until its value has the right type (rules are checked on submit)."""
    while True:
        value = _prompt(spec, previous)
        try:
            convert(spec, value)
            return value
        except Invalid as exc:
            click.secho(f"  ✗ {spec.label}：{exc.message}", fg="red")
            previous = None  # never offer the refused value back


def _command(text: str) -> str:
    word = text.strip()
    if word.lower() in BACK_WORDS:
        raise _Back
    if word in REVIEW_WORDS:
        raise _Review
    return text


def _prompt(spec: FieldSpec, previous: Any) -> Any:
    if spec.hint:
        click.secho(f"  （{spec.hint}）", dim=True)
    if spec.choices and spec.datatype != "checkboxes":
        for n, (label, _) in enumerate(spec.choices, 1):
            # A label that carries its own number (“1. 关于…的请示”) is shown as written.
            click.echo(f"  {label}" if re.match(rf"{n}[.、]", label) else f"  {n}. {label}")
        shown = next((str(n) for n, (_, v) in enumerate(spec.choices, 1) if v == previous), "")
        text = _command(_read(f"  {spec.label}（填编号）{_default(shown)}: "))
        return text if text.strip() else (previous if shown else "")
    if spec.datatype == "area":
        return _area(spec, previous)
    if spec.datatype in BOOL_TYPES:
        shown = "" if previous is None else ("是" if previous is True else "否" if previous is False else str(previous))
        text = _command(_read(f"  {spec.label}（是/否）{_default(shown or '否')}: "))
        return text if text.strip() else (previous if previous is not None else "否")
    hint = {"date": "（如 2026-03-05）", "integer": "（整数）", "number": "（数字）"}.get(spec.datatype, "")
    default = previous if previous not in (None, "") else spec.default
    shown = default.isoformat() if isinstance(default, date) else ("" if default is None else str(default))
    text = _command(_read(f"  {spec.label}{hint}{_default(shown)}: "))
    return text if text.strip() else shown


def _default(shown: str) -> str:
    return f" [{shown}]" if shown else ""


def _area(spec: FieldSpec, previous: Any) -> str:
    if previous:
        click.echo("  现为：")
        for line in str(previous).splitlines():
            click.echo(f"    {line}")
        click.echo(f"  {spec.label}（可多行，单独一行输入“.”结束；直接输入“.”保留现有内容）：")
    else:
        click.echo(f"  {spec.label}（可多行，单独一行输入“.”结束）：")
    lines: list[str] = []
    while (line := _read("  ")) != ".":
        if not lines:
            _command(line)
        lines.append(line)
    return "\n".join(lines) if lines or not previous else str(previous)


def _review(convo: Conversation, at_review: bool) -> None:
    """Every answer, grouped by screen; only a listed number, Enter or 上一步 is taken."""
    while True:
        groups = convo.review()
        answers = [a for g in groups for a in g.answers]
        click.echo()
        for g in groups:
            click.secho(f"  {g.question}", bold=True)
            for a in g.answers:
                click.echo(f"    {a.number}. {_plain(a.label)}：{a.shown}")
        done = "确认无误并生成文件" if at_review else "回到当前问题"
        choice = _read(f"  直接回车{done}；输入编号（1～{len(answers)}）修改该项: ").strip()
        if not choice:
            if at_review:
                convo.submit({})
            return
        if choice.lower() in BACK_WORDS:
            convo.back()
            return
        if not (choice.isdigit() and 1 <= int(choice) <= len(answers)):
            click.secho(f"  ✗ 请输入 1～{len(answers)} 之间的编号，或直接回车", fg="red")
            continue
        answer = answers[int(choice) - 1]
        assert answer.spec is not None
        click.echo(f"  修改：{_plain(answer.label)}（现为：{answer.shown}）")
        try:
            value = ask_value(answer.spec, convo.answers.get(answer.name))
        except (_Back, _Review):
            continue
        if not _confirmed(convo, answer.spec, value):
            continue
        result = convo.edit(answer.name, value)
        if not result.accepted:
            click.secho("  ✗ 未修改，因为：", fg="red")
            for p in result.problems:
                click.secho(f"    {p.as_text()}", fg="red")
            continue
        click.secho(f"  ✓ 已改为：{display(answer.spec, convo.answers.get(answer.name))}", fg="green")
        if result.message:
            click.secho(f"  {result.message}", fg="yellow")
        if convo.finished or not at_review or not convo.current().is_review:
            return  # a new question follows from the edit, or back to where the person was
