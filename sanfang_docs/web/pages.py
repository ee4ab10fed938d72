"""The home page: the caller's drafts, what is due (待办), the interviews to start and the newest
records of their scope."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, g, redirect, render_template, request, url_for

from ..errors import SanfangError, ValidationError
from .common import api

bp = Blueprint("pages", __name__)


@bp.route("/")
def home() -> Any:
    found = api().newest(g.caller)  # from the records catalogue: no record.json read
    return render_template("home.html", title="首页", drafts=api().drafts_of(g.caller),
                           todo=api().todo(g.caller), cases=found.cases, newest=found.newest, count=found.count)


@bp.route("/interviews")
def catalog() -> Any:
    return render_template("catalog.html", title="起草文件", catalog=[e for e in api().catalog() if not e.error])


def due_link(item: Any) -> str:
    """Where a 待办 is settled: the record (it offers the document that follows), the matter,
    or the interview to start."""
    kind, target = item.target
    if kind == "record":
        return url_for("archive.record", archive_no=target)
    if kind == "matter":
        return url_for("pages.matter", no=target)
    return url_for("pages.catalog") + f"#iv-{target}"


@bp.route("/matters")
def matters() -> Any:
    """The 实事登记簿 of the caller's scope."""
    found = api().matters_for(g.caller)
    return render_template("matters.html", title="实事登记簿", matters=found)


@bp.route("/matter/<no>", methods=["GET", "POST"])
def matter(no: str) -> Any:
    """A matter of the 实事登记簿 and its next step (受理, 指派, 办结, 评价), as `sanfang matter`."""
    error = ""
    if request.method == "POST":
        form = request.form
        try:
            api().matter_step(no, form.get("step", ""), g.caller, form.get("day") or None,
                              **{k: form.get(k, "") for k in ("reason", "person", "outcome", "satisfaction")})
            return redirect(url_for("pages.matter", no=no, notice="已记录。"))
        except ValidationError as exc:
            error = "；".join(p.as_text() for p in exc.problems)
        except SanfangError as exc:
            error = exc.message
    found = api().matter_for(no, g.caller)
    return render_template("matter.html", title=f"实事 {found.no}：{found.title}", m=found, snap=found.on(),
                           error=error, notice=request.args.get("notice", "")), (400 if error else 200)
