"""Login, logout and the admin's user list (accounts live in registers/accounts.py via the API)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, g, redirect, render_template, request, session, url_for

from ..errors import SanfangError
from .common import admin_only, api, safe_next

bp = Blueprint("auth", __name__)


@bp.route("/login", methods=["GET", "POST"])
def login() -> Any:
    error = ""
    if request.method == "POST":
        try:
            caller = api().login(request.form.get("username", ""), request.form.get("password", ""),
                                 request.remote_addr or "")
        except SanfangError as exc:
            error = exc.message
        else:
            csrf = session.get("csrf")
            session.clear()  # a new session on login: nothing from before carries over
            session["user"], session["csrf"] = caller.user, csrf
            return redirect(safe_next(request.args.get("next")))
    return render_template("login.html", error=error, username=request.form.get("username", "")), \
        (401 if error else 200)


@bp.route("/logout", methods=["POST"])
def logout() -> Any:
    session.clear()
    return redirect(url_for("auth.login"))


@bp.route("/admin/users", methods=["GET", "POST"])
@admin_only
def users() -> Any:
    error, added = "", ""
    if request.method == "POST":
        form = request.form
        try:
            with_user = api().accounts.add(form.get("username", ""), form.get("password", ""),
                                           form.get("role", ""), form.get("street", ""),
                                           form.get("community", ""), form.get("display", ""))
            added = with_user.user
        except SanfangError as exc:
            error = exc.message
    return render_template("users.html", users=api().accounts.users(), error=error, added=added,
                           roles={"clerk": "社区工作人员", "street": "街道工作人员", "admin": "管理员"},
                           me=g.caller), (400 if error else 200)
