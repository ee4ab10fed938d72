"""Helpers the web tests share: a workspace with records of two streets and an account of each
role, a logged-in test client, and a driver that answers an interview's screens from an
example answer set by reading the page's own form (as a person reading the page would)."""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from flask.testing import FlaskClient

from sanfang_docs.api import Made, Sanfang
from sanfang_docs.web import create_app
from tests.conftest import example

PASSWORD = "correct-horse-9"
# (user, role, street, community): one of each role over 五里界街道/锦绣社区, and others elsewhere.
USERS = [
    ("clerk", "clerk", "五里界街道", "锦绣社区"),
    ("clerk_x", "clerk", "五里界街道", "金港社区"),
    ("street", "street", "五里界街道", ""),
    ("street_x", "street", "纸坊街道", ""),
    ("admin", "admin", "", ""),
]
OTHER = {"street_name": "纸坊街道", "street_party_org": "中共纸坊街道工作委员会", "community_name": "青龙社区",
         "community_party_org": "中共青龙社区委员会", "compound_name": "翠微雅苑",
         "founding_request_no": "翠微雅苑小区筹备组〔2026〕1号", "founding_reply_no": "纸工委〔2026〕5号"}


@dataclass
class Site:
    api: Sanfang
    app: Any
    own: Made  # 五里界街道 / 锦绣社区 / 藏龙御景
    other: Made  # 纸坊街道 / 青龙社区 / 翠微雅苑


def make_site(home: Path) -> Site:
    api = Sanfang(home)
    own = api.make("branch-founding-request", example("branch-founding", "with-committee"))
    other = api.make("branch-founding-request", {**example("branch-founding", "with-committee"), **OTHER})
    for user, role, street, community in USERS:
        api.accounts.add(user, PASSWORD, role, street, community, display=user)
    app = create_app(app_api=api)
    app.config["TESTING"] = False  # errors go through the app's own handlers, as in use
    return Site(api, app, own, other)


def csrf_of(page: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', page)
    assert found, "page without a CSRF field"
    return found.group(1)


def login(app: Any, user: str, password: str = PASSWORD) -> FlaskClient:
    client = app.test_client()
    page = client.get("/login").get_data(as_text=True)
    r = client.post("/login", data={"csrf": csrf_of(page), "username": user, "password": password})
    assert r.status_code == 302, r.get_data(as_text=True)
    return client


def token(client: FlaskClient) -> str:
    return csrf_of(client.get("/").get_data(as_text=True))


def text(response: Any) -> str:
    return html.unescape(response.get_data(as_text=True))


def shown_fields(page: str) -> list[str]:
    """The names of the fields a screen shows (a field hidden by its show if is not)."""
    return [m.group(1) for m in re.finditer(r'data-field="([^"]+)"([^>]*)>', page) if "hidden" not in m.group(2)]


def form_value(value: Any) -> Any:
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, dict):  # checkboxes
        return [k for k, ticked in value.items() if ticked]
    return str(value)


def screen_form(page: str, answers: dict[str, Any]) -> dict[str, Any]:
    """The form a person sends for the screen ``page``: the answers its shown fields ask for."""
    data: dict[str, Any] = {"action": "next"}
    for name in shown_fields(page):
        value = answers.get(name)
        if value is None:
            continue
        if isinstance(value, bool) and re.search(rf'type="checkbox"[^>]*name="{name}"', page):
            if value:
                data[name] = "是"
            continue
        data[name] = form_value(value)
    return data


def answer_screen(client: FlaskClient, url: str, answers: dict[str, Any], **override: Any) -> Any:
    """Post the current screen of ``url`` with the answers its shown fields ask for."""
    page = text(client.get(url))
    return client.post(url, data={"csrf": csrf_of(page), **screen_form(page, {**answers, **override})})


def title_of(page: str) -> str:
    found = re.search(r"<h1>(.*?)</h1>", page, re.S)
    return html.unescape(found.group(1)).strip() if found else ""


class HttpClient:
    """A browser's part over real HTTP (cookies, redirects, the form's CSRF token), for the
    tests and the benchmark that run the app on waitress."""

    def __init__(self, base: str):
        import http.cookiejar
        import urllib.request

        self.base = base
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
        self.csrf = ""

    def request(self, path: str, data: dict[str, Any] | None = None) -> tuple[int, str, str]:
        """(status, final URL path, body) after following redirects."""
        import urllib.error
        import urllib.parse
        import urllib.request

        body = None
        if data is not None:
            body = urllib.parse.urlencode({"csrf": self.csrf, **data}, doseq=True).encode()
        try:
            with self.opener.open(urllib.request.Request(self.base + path, data=body), timeout=120) as r:
                status, url, page = r.status, r.url, r.read().decode("utf-8", "replace")
        except urllib.error.HTTPError as exc:
            status, url, page = exc.code, exc.url, exc.read().decode("utf-8", "replace")
        found = re.search(r'name="csrf" value="([^"]+)"', page)
        if found:
            self.csrf = found.group(1)
        return status, urllib.parse.urlsplit(url).path, html.unescape(page)

    def login(self, user: str, password: str = PASSWORD) -> None:
        self.request("/login")
        status, _, page = self.request("/login", {"username": user, "password": password})
        assert status == 200 and "退出" in page, page[-500:]


    def file_document(self, doc: str, answers: dict[str, Any], timings: list[float] | None = None) -> str:
        """Start ``doc``, answer every screen, file it; the new record's 档号."""
        import time
        import urllib.parse

        _, url, page = self.request("/start", {"doc": doc})
        for _ in range(40):
            if "生成、签名并归档" in page:
                break
            started = time.perf_counter()
            status, now, page = self.request(url, screen_form(page, answers))
            if timings is not None:
                timings.append(time.perf_counter() - started)
            assert status == 200 and now == url, (status, now, page[-800:])
        status, now, page = self.request(f"{url}/file", {})
        assert status == 200 and now.startswith("/record/"), page[-800:]
        return urllib.parse.unquote(now.removeprefix("/record/"))


def serve_in_thread(app: Any, threads: int = 8) -> tuple[str, Any]:
    """The app on waitress on a free loopback port; (base URL, server) — call server.close()."""
    import threading

    import waitress.server

    server = waitress.server.create_server(app, host="127.0.0.1", port=0, threads=threads)

    def run() -> None:
        try:
            server.run()
        except OSError:  # close() from the test while select() still holds the socket: stopped
            pass

    threading.Thread(target=run, daemon=True).start()
    return f"http://127.0.0.1:{server.effective_port}", server
