"""The Flask application: sessions, login, CSRF, errors — what every page shares.

Security in one place: the session cookie is signed with a key kept in the workspace, HttpOnly
and SameSite=Lax; every POST carries the session's CSRF token (checked before any view runs);
every page but the login page and the static files needs a logged-in user, whose
:class:`Caller` (reloaded from the accounts each request, so a changed role applies at once)
is what each library call gets. A record outside the caller's scope is a 404 like an unknown
one; a page only the admin may use is a 403.
"""

from __future__ import annotations

import hmac
import secrets
from datetime import timedelta
from pathlib import Path
from typing import Any

from flask import Flask, Response, g, redirect, render_template, request, session, url_for
from werkzeug.exceptions import HTTPException

from ..api import Sanfang, plain_text
from ..errors import NotFoundError, SanfangError
from .filing import Filer

HERE = Path(__file__).parent
PUBLIC = {"auth.login", "static"}


def create_app(home: str | None = None, app_api: Sanfang | None = None, filing_process: bool = True) -> Flask:
    """The app over one workspace; documents are filed in a worker process unless
    ``filing_process`` is False (see filing.py)."""
    api = app_api or Sanfang(home)
    app = Flask(__name__, template_folder=str(HERE / "templates"), static_folder=str(HERE / "static"))
    app.config.update(
        SECRET_KEY=api.accounts.secret("web-session"),
        SESSION_COOKIE_HTTPONLY=True, SESSION_COOKIE_SAMESITE="Lax", SESSION_COOKIE_NAME="sanfang",
        MAX_CONTENT_LENGTH=32 * 1024 * 1024, PERMANENT_SESSION_LIFETIME=timedelta(hours=10),
    )
    app.extensions["sanfang"] = api
    app.extensions["sanfang-filer"] = Filer(api, in_process=not filing_process)

    from . import accounts, archive, interviews, pages, scans

    for module in (accounts, archive, interviews, pages, scans):
        app.register_blueprint(module.bp)
    app.extensions["sanfang-exports"] = scans.open_jobs(api)  # on disk: a restart still shows them

    @app.before_request
    def guard() -> Any:
        g.api = api
        g.caller = None
        if "csrf" not in session:
            session["csrf"] = secrets.token_urlsafe(32)
        if request.method == "POST":
            sent = request.form.get("csrf", "") or request.headers.get("X-CSRF-Token", "")
            if not hmac.compare_digest(str(sent), str(session["csrf"])):
                return render_template("error.html", title="请求已失效",
                                       message="页面已过期或来源不明（缺少有效的表单令牌），请返回刷新后重试。"), 400
        user = session.get("user")
        if user:
            try:
                g.caller = api.accounts.get(user)
            except NotFoundError:
                session.pop("user", None)
        if g.caller is None and request.endpoint not in PUBLIC:
            return redirect(url_for("auth.login", next=request.full_path if request.query_string else request.path))
        return None

    @app.after_request
    def headers(response: Any) -> Any:
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault("Content-Security-Policy",
                                    "default-src 'self'; img-src 'self' data:; object-src 'none'; frame-ancestors 'none'")
        return response

    @app.errorhandler(NotFoundError)
    def not_found(exc: NotFoundError) -> Any:
        return render_template("error.html", title="未找到", message=exc.message), 404

    @app.errorhandler(SanfangError)
    def refused(exc: SanfangError) -> Any:
        return render_template("error.html", title="无法完成", message=exc.message), 400

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException) -> Any:
        titles = {403: "无权访问", 404: "未找到", 405: "不支持的操作", 413: "文件过大"}
        messages = {403: "您的账号无权使用此页面。", 404: "没有这个页面或记录。"}
        code = exc.code or 500
        return render_template("error.html", title=titles.get(code, "请求有误"),
                               message=messages.get(code, "请求无法处理。")), code

    @app.errorhandler(Exception)
    def bug(exc: Exception) -> Any:  # a bug: a plain Chinese page, never a traceback
        app.logger.exception("内部错误")
        message = f"内部错误（{type(exc).__name__}），操作未完成，不会留下半份记录。请转交技术人员。"
        try:
            return render_template("error.html", title="内部错误", message=message), 500
        except Exception:  # noqa: BLE001 - the page itself failed: plain words still
            return Response(message, status=500, mimetype="text/plain; charset=utf-8")

    @app.context_processor
    def shared() -> dict[str, Any]:
        return {"caller": g.get("caller"), "csrf": session.get("csrf", ""), "plain": plain_text,
                "due_link": pages.due_link}

    return app
