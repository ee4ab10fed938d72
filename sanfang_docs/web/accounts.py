"""Login, logout and the admin's pages: users (registers/accounts.py), the organisation registry
and the workspace's settings, all through the API."""

from __future__ import annotations

import secrets
from typing import Any

from flask import Blueprint, g, redirect, render_template, request, session, url_for

from ..errors import SanfangError, ValidationError
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
            session.clear()  # a new session on login: nothing from before carries over
            session["user"], session["csrf"] = caller.user, secrets.token_urlsafe(32)
            session.permanent = True  # ends after PERMANENT_SESSION_LIFETIME (a working day)
            return redirect(safe_next(request.args.get("next")))
    return render_template("login.html", title="登录", error=error, username=request.form.get("username", "")), \
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
            with_user = api().add_user(g.caller, form.get("username", ""), form.get("password", ""),
                                       form.get("role", ""), form.get("street", ""),
                                       form.get("community", ""), form.get("display", ""))
            added = with_user.user
        except SanfangError as exc:
            error = exc.message
    return render_template("users.html", title="用户", users=api().accounts.users(), error=error, added=added,
                           changes=api().accounts.changes(),
                           roles={"clerk": "社区工作人员", "street": "街道工作人员", "admin": "管理员"},
                           me=g.caller), (400 if error else 200)


@bp.route("/admin/organisations", methods=["GET", "POST"])
@admin_only
def organisations() -> Any:
    """The organisation registry: list, add one, import a CSV (as `sanfang org`)."""
    error, done = "", ""
    registry = api().organisations
    if request.method == "POST":
        form = request.form
        try:
            upload = request.files.get("csv")
            if upload and upload.filename:
                done = f"已导入 {len(api().import_organisations(g.caller, upload.read().decode('utf-8-sig')))} 条"
            else:
                entry = api().register_organisation(
                    g.caller, form.get("kind", ""), form.get("name", ""), form.get("parent", ""),
                    party_org=form.get("party_org", ""), committee=form.get("committee", ""),
                    owners_body=form.get("owners_body", ""), property_company=form.get("property_company", ""))
                done = f"已登记：{entry.line()}"
        except ValidationError as exc:
            error = "；".join(p.as_text() for p in exc.problems)
        except (SanfangError, UnicodeDecodeError) as exc:
            error = getattr(exc, "message", "") or "CSV 应为 UTF-8 编码"
    return render_template("organisations.html", title="组织登记", orgs=registry.list(), error=error,
                           notice=done, settings=api().workspace_settings()), (400 if error else 200)


@bp.route("/admin/archive", methods=["GET", "POST"])
@admin_only
def archive_admin() -> Any:
    """The whole archive's checks, the search index, the signing keys (as `sanfang verify`,
    `reindex` and `keys`)."""
    report, error, notice = None, "", ""
    if request.method == "POST":
        action = request.form.get("action", "")
        try:
            if action == "verify":
                report = api().verify()
            elif action == "reindex":
                notice = f"检索索引已重建：{api().reindex()} 件"
            elif action == "import-key":
                upload = request.files.get("p12")
                if not upload or not upload.filename:
                    raise SanfangError("【证书文件】（p12）请选择 PKCS#12 文件（.p12 / .pfx）")
                key = api().import_key(upload.read(), request.form.get("password", ""),
                                       request.form.get("org") or None)
                api().accounts.note(g.caller.user, "导入签名证书", key.org)
                notice = f"已导入 {key.org} 的签名证书"
        except SanfangError as exc:
            error = exc.message
    keys, ca = api().signing_keys()
    return render_template("archive_admin.html", title="档案维护", report=report, error=error, notice=notice,
                           keys=keys, ca=ca), (400 if error else 200)
