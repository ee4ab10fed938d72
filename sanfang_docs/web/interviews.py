"""Interviews in the browser: the same Conversation the terminal drives, one screen per page.

Every page load resumes the draft (the conversation replays its answers, docassemble's model),
so a draft started in one browser goes on in any other, and back, review and edit are the
engine's own. A screen's answers are read by datatype; a field hidden by its ``show if`` is
dropped on the server too (whatever the browser sent), and a refused screen is shown again
with each message next to its field.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import Blueprint, abort, current_app, g, jsonify, redirect, render_template, request, url_for

from ..api import plain_text
from .common import api

bp = Blueprint("interviews", __name__)

BOOL_TYPES = ("yesno", "yesnoradio", "noyes", "noyesradio")


@bp.route("/start", methods=["POST"])
def start() -> Any:
    """A new conversation (a draft owned by the caller), optionally from an archived record."""
    name = request.form.get("interview", "")
    doc_key = request.form.get("doc") or None
    from_record = request.form.get("from") or None
    if not name and doc_key:
        name = api().interview_for(doc_key)
    if name not in {e.interview for e in api().catalog()}:
        abort(404)
    convo = api().conversation(name, {}, doc_key, from_record, caller=g.caller)
    return redirect(url_for("interviews.screen", draft_id=convo.draft_id))


@bp.route("/draft/<draft_id>", methods=["GET", "POST"])
def screen(draft_id: str) -> Any:
    convo = api().resume(draft_id, g.caller)
    notice = request.args.get("notice", "")
    action = request.form.get("action", "next")
    if request.method == "POST" and action in ("back", "discard"):
        if action == "back":
            convo.back()
            return redirect(url_for("interviews.screen", draft_id=convo.draft_id))
        api().discard_draft(convo.draft_id, g.caller)
        return redirect(url_for("pages.home"))
    if request.method == "POST" and not convo.finished:
        raw = read_screen(convo, request.form)
        if not convo.submit(raw):
            return redirect(url_for("interviews.screen", draft_id=convo.draft_id))
        # The same screen with its problems and everything as typed: a refusal loses nothing.
        return render_screen(convo, notice, status=422, as_typed=typed(convo, request.form))
    if convo.finished:
        return render_template("finish.html", convo=convo, draft_id=convo.draft_id,
                               title=convo.interview.title, notice=notice)
    return render_screen(convo, notice)


@bp.route("/draft/<draft_id>/file", methods=["POST"])
def file(draft_id: str) -> Any:
    convo = api().resume(draft_id, g.caller)
    if not convo.finished:
        return redirect(url_for("interviews.screen", draft_id=draft_id))
    number = current_app.extensions["sanfang-filer"].file(convo.draft_id, g.caller)
    return redirect(url_for("archive.record", archive_no=number, new=1))


@bp.route("/draft/<draft_id>/answers")
def answers(draft_id: str) -> Any:
    """Every answer so far, each editable, from any screen (the terminal's 复核)."""
    convo = api().resume(draft_id, g.caller)
    return render_template("answers.html", convo=convo, draft_id=convo.draft_id, groups=convo.review(),
                           title=f"全部答案：{convo.interview.title}")


@bp.route("/draft/<draft_id>/edit/<name>", methods=["GET", "POST"])
def edit(draft_id: str, name: str) -> Any:
    """Change one answer from the review screen; the engine rechecks every rule."""
    convo = api().resume(draft_id, g.caller)
    answers = {a.name: a for grp in convo.review() for a in grp.answers}
    if name not in answers or answers[name].spec is None:
        abort(404)
    answer = answers[name]
    problems: list[Any] = []
    if request.method == "POST":
        value = field_value(answer.spec, request.form)
        if request.form.get(f"confirm__{name}"):
            convo.confirm_new(name, value)
        result = convo.edit(name, value)
        if result.accepted:
            return redirect(url_for("interviews.screen", draft_id=convo.draft_id, notice=result.message or
                                    f"已修改：{plain_text(answer.label)}"))
        problems = result.problems
    value = convo.answers.get(name)
    return render_template("edit.html", convo=convo, draft_id=draft_id, answer=answer, spec=answer.spec,
                           value=form_value(answer.spec, value), problems=problems,
                           title=f"修改：{plain_text(answer.label)}"), (422 if problems else 200)


def render_screen(convo: Any, notice: str = "", status: int = 200, as_typed: dict[str, Any] | None = None) -> Any:
    step = convo.current()
    shown = {f.name for f in step.fields}
    names = {f.name for f in step.screen.fields}
    by_field: dict[str, list[Any]] = {}
    general = []
    for p in step.problems:
        (by_field.setdefault(p.key, []) if p.key in names else general).append(p)
    values = {f.name: form_value(f, step.known.get(f.name, f.default)) for f in step.screen.fields}
    values.update({f.name: form_value(f, as_typed[f.name]) for f in step.screen.fields if f.name in (as_typed or {})})
    groups = convo.review() if step.is_review else []
    return render_template("screen.html", convo=convo, step=step, shown=shown, by_field=by_field,
                           general=general, values=values, draft_id=convo.draft_id, groups=groups,
                           notice=notice, title=plain_text(step.screen.question),
                           condition=condition), status


@bp.route("/draft/<draft_id>/shown", methods=["POST"])
def shown(draft_id: str) -> Any:
    """Which fields of the current screen show for what is typed on it so far (JSON), decided
    by the engine that decides on submit: the page's script asks on every change, so a
    ``show if``/``hide if`` — a simple one or ``code:`` — is applied live by the same rule."""
    convo = api().resume(draft_id, g.caller)
    if convo.finished:
        return jsonify(shown=[])
    return jsonify(shown=[f.name for f in convo.shown_fields(typed(convo, request.form))])


def read_screen(convo: Any, form: Any) -> dict[str, Any]:
    """The answers of the current screen as typed, only for the fields its ``show if`` shows."""
    raw = typed(convo, form)
    for spec in convo.current().screen.fields:
        if form.get(f"confirm__{spec.name}"):
            convo.confirm_new(spec.name, raw.get(spec.name))
    shown = {f.name for f in convo.shown_fields(raw)}
    return {k: v for k, v in raw.items() if k in shown}


def typed(convo: Any, form: Any) -> dict[str, Any]:
    """The current screen's answers as sent, a chosen registry entry standing for what it sets."""
    step = convo.current()
    raw: dict[str, Any] = {}
    for spec in step.screen.fields:
        offer = form.get(f"offer__{spec.name}", "")
        offers = step.offers.get(spec.name, [])
        if offer.isdigit() and 1 <= int(offer) <= len(offers):
            raw.update(offers[int(offer) - 1].values)  # a registered entry sets its related answers
            continue
        if spec.name not in raw:
            raw[spec.name] = field_value(spec, form)
    return raw


def field_value(spec: Any, form: Any) -> Any:
    if spec.datatype == "checkboxes":
        return form.getlist(spec.name)
    if spec.datatype in ("yesno", "noyes"):
        return "是" if form.get(spec.name) else "否"
    return form.get(spec.name, "")


def form_value(spec: Any, value: Any) -> Any:
    """A value as a form control shows it (a date as 2026-03-05, a yes/no as 是/否)."""
    if value is None:
        return ""
    if isinstance(value, date):
        return value.isoformat()
    if spec.datatype in BOOL_TYPES and isinstance(value, bool):
        return "是" if value else "否"
    if spec.datatype == "checkboxes" and isinstance(value, dict):
        return [k for k, ticked in value.items() if ticked]
    return value


def condition(spec: Any) -> dict[str, str]:
    """data- attributes for the page's script: a field with a ``show if``/``hide if`` (simple or
    ``code:``) is shown or hidden as the server answers on each change (``shown``)."""
    return {"data-conditional": "1"} if spec.show_if is not None or spec.hide_if is not None else {}
