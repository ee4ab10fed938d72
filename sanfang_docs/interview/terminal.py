"""The interactive terminal front end: one screen at a time, in Chinese.

Invalid input is re-asked with the reason; what the answers file already settled is kept.
"""

from __future__ import annotations

import re
from typing import Any

import click

from ..errors import Problem
from .fields import BOOL_TYPES
from .loader import FieldSpec
from .runner import Screen, Session


def _plain(text: str) -> str:
    """Screens are written for docassemble's Markdown; a terminal shows the words."""
    return re.sub(r"\*\*(.+?)\*\*", r"\1", text).strip()


def ask_screen(session: Session, screen: Screen, known: dict[str, Any],
               problems: list[Problem]) -> dict[str, Any]:
    click.echo()
    click.secho(f"■ {_plain(screen.question)}", bold=True)
    if screen.subquestion:
        click.echo(_plain(screen.subquestion))
    if screen.review:
        return _review(session, screen, known)
    labels = {f.label for f in screen.fields}
    bad = {p.field: p.message for p in problems}
    for p in problems:
        if p.field not in labels:  # a rule about the screen as a whole: ask it all again
            click.secho(f"  ✗ {p.message}", fg="red")
            bad.update({label: "" for label in labels if label not in bad})
    answers = dict(known)
    typed: dict[str, Any] = {}
    for spec in screen.fields:
        if not session._shown(spec, typed):  # noqa: SLF001 - same package
            continue
        if spec.name in answers and spec.label not in bad:
            typed[spec.name] = answers[spec.name]
            continue
        if bad.get(spec.label):
            click.secho(f"  ✗ {spec.label}：{bad[spec.label]}", fg="red")
        answers[spec.name] = typed[spec.name] = _prompt(spec, answers.get(spec.name))
    if screen.continue_var:
        answers[screen.continue_var] = True
    return answers


def _prompt(spec: FieldSpec, previous: Any) -> Any:
    if spec.choices:
        for n, (label, _) in enumerate(spec.choices, 1):
            # A label that carries its own number (“1. 关于…的请示”) is shown as written.
            click.echo(f"  {label}" if re.match(rf"{n}[.、]", label) else f"  {n}. {label}")
        return click.prompt(f"  {spec.label}（填编号）", default=previous or "", show_default=bool(previous))
    if spec.datatype in BOOL_TYPES:
        return click.prompt(f"  {spec.label}（是/否）", default=previous if previous is not None else "否")
    if spec.datatype == "area":
        click.echo(f"  {spec.label}（可多行，单独一行输入“.”结束）：")
        lines = []
        while (line := click.prompt("  ", default="", show_default=False, prompt_suffix="")) != ".":
            lines.append(line)
        return "\n".join(lines)
    hint = {"date": "（如 2026-03-05）", "integer": "（整数）", "number": "（数字）"}.get(spec.datatype, "")
    if spec.hint:
        click.secho(f"  （{spec.hint}）", dim=True)
    default = previous if previous is not None else spec.default
    return click.prompt(f"  {spec.label}{hint}", default="" if default is None else str(default),
                        show_default=default not in (None, ""))


def _review(session: Session, screen: Screen, known: dict[str, Any]) -> dict[str, Any]:
    for n, (label, _) in enumerate(screen.review, 1):
        click.echo(f"  {n}. {_plain(label)}")
    choice = click.prompt("  直接回车确认无误；输入编号修改该项", default="", show_default=False)
    if choice.strip().isdigit() and 1 <= int(choice) <= len(screen.review):
        var = screen.review[int(choice) - 1][1]
        session.forget(var)
        known.pop(var, None)
        return {}  # the continue variable stays unset: the review comes back after the edit
    return {screen.continue_var: True} if screen.continue_var else {}
