"""The web app's access matrix: every route × every role × a record of its own scope and of
another's. Another's record is a 404 (or the admin page a 403) and its title, 档号, street and
snippets appear nowhere; anonymous users get the login page; a POST without the session's CSRF
token is refused; no file parameter reaches outside the record's folder. Scope is also checked
on the library API itself, without the web app."""

from __future__ import annotations

from pathlib import Path

import pytest

from sanfang_docs.errors import NotFoundError, SanfangError
from tests.webkit import PASSWORD, USERS, Site, csrf_of, login, make_site, text, token

pytestmark = pytest.mark.xdist_group("web")


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Site:
    return make_site(tmp_path_factory.mktemp("web") / "ws")


def record_routes(made) -> list[str]:  # noqa: ANN001
    r = made.record
    m = r.meta
    return [
        f"/record/{r.archive_no}", f"/record/{r.archive_no}?verify=1", f"/record/{r.archive_no}/file/document.pdf",
        f"/record/{r.archive_no}/file/document.docx", f"/record/{r.archive_no}/page/1.png", f"/case/{m['case_id']}",
        f"/archive?street={m['street']}", f"/archive?street={m['street']}&community={m['community']}",
        f"/archive?street={m['street']}&community={m['community']}&compound={m['compound']}",
    ]


# Whose records each user sees: "own" is 五里界街道/锦绣社区, "other" 纸坊街道/青龙社区.
SEES = {"clerk": {"own"}, "clerk_x": set(), "street": {"own"}, "street_x": {"other"}, "admin": {"own", "other"}}


@pytest.mark.parametrize("user", [u[0] for u in USERS])
def test_every_record_route_by_scope(site: Site, user: str) -> None:
    client = login(site.app, user)
    for which, made in (("own", site.own), ("other", site.other)):
        for route in record_routes(made):
            r = client.get(route)
            if which in SEES[user]:
                assert r.status_code == 200, (user, route, r.status_code)
            else:
                assert r.status_code in (403, 404), (user, route, r.status_code)
                # Exactly what an unknown 档号 gets (it echoes only what was typed), nothing more.
                no = made.record.archive_no
                body = text(r).replace(f"档案中没有档号为 {no} 的记录", "")
                assert no not in body and made.record.meta["题名"] not in body
                assert made.record.meta["compound"] not in body.replace(f"compound={made.record.meta['compound']}", "")


@pytest.mark.parametrize("user", [u[0] for u in USERS])
def test_lists_and_search_show_nothing_of_another_scope(site: Site, user: str) -> None:
    client = login(site.app, user)
    pages = {route: text(client.get(route)) for route in
             ("/", "/archive", "/search?q=支部", "/search?q=成立", "/search?kind=请示", "/search?q=翠微雅苑",
              "/search?q=藏龙御景", "/search?q=J001")}
    for which, made in (("own", site.own), ("other", site.other)):
        meta = made.record.meta
        for route, body in pages.items():
            if which not in SEES[user]:
                typed = route.partition("q=")[2]
                shown = body.replace(f'value="{typed}"', "") if typed else body  # the query, echoed
                for secret in (made.record.archive_no, meta["compound"], meta["community"]):
                    assert secret not in shown, (user, route, secret)
    if "own" in SEES[user]:
        assert site.own.record.archive_no in pages["/search?q=藏龙御景"]
        assert f'/case/{site.own.record.meta["case_id"]}' in pages["/"]  # the home page's cases
    # The count of hits is of the caller's scope only.
    hits = pages["/search?kind=请示"]
    assert f"共 {len(SEES[user])} 件" in hits


def test_anonymous_gets_the_login_page_everywhere(site: Site) -> None:
    client = site.app.test_client()
    routes = ["/", "/interviews", "/archive", "/search?q=支部", "/admin/users", "/draft/1", "/draft/1/edit/x",
              "/matter/SS-2026-001", "/quarantine", "/export", "/export/x", "/export/x/bundle.zip",
              *record_routes(site.own)]
    for route in routes:
        r = client.get(route)
        assert r.status_code == 302 and r.headers["Location"].startswith("/login"), route
        assert site.own.record.archive_no not in r.get_data(as_text=True)
    for route in ("/start", "/draft/1", "/draft/1/file", "/draft/1/shown", "/admin/users", f"/record/{site.own.record.archive_no}/scan",
                  "/quarantine/x", "/export"):
        r = client.post(route, data={"csrf": csrf_of(text(client.get("/login")))})
        assert r.status_code == 302 and r.headers["Location"].startswith("/login"), route
    page = text(client.get("/login"))
    assert 'lang="zh-CN"' in page and "登录" in page


def test_admin_pages_are_the_admins(site: Site) -> None:
    for user, role, *_ in USERS:
        client = login(site.app, user)
        for route in ("/admin/users", "/admin/organisations", "/admin/archive"):
            r = client.get(route)
            assert r.status_code == (200 if role == "admin" else 403), (user, route)
        r = client.post("/admin/users", data={"csrf": token(client), "username": f"new-{user}", "password": "x" * 12,
                                              "role": "admin"})
        assert r.status_code == (200 if role == "admin" else 403), user
    assert "new-clerk" not in {u.user for u in site.api.accounts.users()}
    # The admin adds a user; a bad one is refused naming the field and the rule.
    admin = login(site.app, "admin")
    r = admin.post("/admin/users", data={"csrf": token(admin), "username": "wang", "password": "short", "role": "clerk"})
    assert r.status_code == 400 and "【密码】（password）至少 8 位" in text(r) and "【社区】（community）" in text(r)
    r = admin.post("/admin/organisations", data={"csrf": token(admin), "kind": "community", "name": "金港社区",
                                                 "parent": "五里界街道", "party_org": "中共金港社区委员会"})
    assert r.status_code == 200 and "已登记" in text(r)
    assert site.api.organisations.get("community", "金港社区", "五里界街道") is not None
    # Writes outside the archive name their user too (the archive's own log names the filer).
    assert ("admin", "组织登记") in {(user, action) for _, user, action, _ in site.api.accounts.changes()}
    assert "组织登记" in text(admin.get("/admin/users"))
    # The whole archive's checks and the index, as `sanfang verify` and `reindex`.
    r = admin.post("/admin/archive", data={"csrf": token(admin), "action": "verify"})
    assert r.status_code == 200 and "校验通过：2 件档案" in text(r)
    r = admin.post("/admin/archive", data={"csrf": token(admin), "action": "reindex"})
    assert "检索索引已重建：2 件" in text(r)
    r = admin.post("/admin/archive", data={"csrf": token(admin), "action": "import-key"})
    assert r.status_code == 400 and "【证书文件】" in text(r)


def test_a_post_without_the_sessions_token_is_refused(site: Site) -> None:
    client = login(site.app, "clerk")
    good = token(client)
    posts = {"/start": {"interview": "branch-founding", "doc": "branch-founding-request"}, "/logout": {},
             "/admin/users": {}, "/admin/organisations": {}, "/admin/archive": {"action": "reindex"}, "/draft/1": {"action": "next"}, "/draft/1/file": {},
             "/draft/1/shown": {},
             "/draft/1/edit/compound_name": {}, "/matter/SS2026-0001": {}, "/login": {"username": "clerk"},
             f"/record/{site.own.record.archive_no}/scan": {}, "/quarantine/x": {"action": "retry"}, "/export": {}}
    for route, data in posts.items():
        for forged in (None, "", "x" * 43, good[:-2] + "AA"):
            sent = dict(data) if forged is None else {**data, "csrf": forged}
            r = client.post(route, data=sent)
            assert r.status_code == 400 and "令牌" in text(r), (route, forged)
    # Another session's token is forged too.
    other = login(site.app, "street")
    r = client.post("/start", data={"csrf": token(other), "interview": "branch-founding"})
    assert r.status_code == 400
    # With its own token the same POST goes through (so the refusals above were about the token).
    r = client.post("/start", data={"csrf": good, "interview": "branch-founding", "doc": "branch-founding-request"})
    assert r.status_code == 302 and r.headers["Location"].startswith("/draft/")


@pytest.mark.parametrize("name", [
    "../../../../../etc/passwd", "..%2F..%2Frecord.json", "record.json", "answers.json", "/etc/passwd",
    "scans/../../record.json", "document.pdf/../record.json", "%2e%2e/%2e%2e/audit.log", "..\\..\\record.json",
])
def test_path_traversal_in_a_file_parameter_is_refused(site: Site, name: str) -> None:
    client = login(site.app, "admin")
    no = site.own.record.archive_no
    r = client.get(f"/record/{no}/file/{name}", follow_redirects=True)
    assert r.status_code == 404
    assert b"root:" not in r.data and b'"archive_no"' not in r.data and "档号" not in r.get_data(as_text=True)[:20]


def test_static_files_stay_in_their_folder(site: Site) -> None:
    client = site.app.test_client()
    assert client.get("/static/app.css").status_code == 200
    for path in ("/static/../app.py", "/static/%2e%2e/app.py", "/static/..%2fapp.py", "/static//etc/passwd",
                 "/static/%2e%2e/%2e%2e/%2e%2e/errors.py"):
        r = client.get(path, follow_redirects=True)  # a 404, or the login page for an unknown path
        assert r.status_code in (200, 404) and b"import" not in r.data and b"root:" not in r.data, path
        assert r.status_code == 404 or "登录" in text(r)


@pytest.mark.parametrize("no", ["..", "../..", "*", "J001-WS·2026-Y-*-0001", "J001-WS·2026-Y-XQCB-0001/../.."])
def test_a_forged_archive_number_reaches_no_path(site: Site, no: str) -> None:
    r = login(site.app, "admin").get(f"/record/{no}")
    assert r.status_code == 404


def test_scope_is_enforced_in_the_library_api(site: Site) -> None:
    api = site.api
    clerk = api.accounts.get("clerk")
    other = site.other.record.archive_no
    with pytest.raises(NotFoundError):
        api.record(other, clerk)
    with pytest.raises(NotFoundError):
        api.record_file(other, "document.pdf", clerk)
    with pytest.raises(NotFoundError):
        api.audit_trail(other, clerk)
    with pytest.raises(NotFoundError):
        api.case(site.other.record.meta["case_id"], clerk)
    with pytest.raises(NotFoundError):  # not even a draft started from it
        api.conversation("branch-founding", {}, "branch-founding-reply", other, caller=clerk)
    assert {r.archive_no for r in api.records(clerk)} == {site.own.record.archive_no}
    assert {h.archive_no for h in api.search("支部", caller=clerk).hits} == {site.own.record.archive_no}
    # The terminal (no caller) still sees everything.
    assert {r.archive_no for r in api.records()} == {site.own.record.archive_no, other}


def test_a_clerk_does_not_issue_the_streets_reply(site: Site) -> None:
    clerk = site.api.accounts.get("clerk")
    no = site.own.record.archive_no
    assert "branch-founding-reply" not in [k for k, _ in site.api.followers(no, clerk)]
    assert "branch-founding-reply" in [k for k, _ in site.api.followers(no, site.api.accounts.get("street"))]
    with pytest.raises(SanfangError, match="街道党工委签发"):
        site.api.conversation("branch-founding", {}, "branch-founding-reply", no, caller=clerk)


def test_login_is_rate_limited_and_says_nothing_of_which_part_was_wrong(tmp_path: Path) -> None:
    site = make_site_light(tmp_path)
    client = site.test_client()
    page = text(client.get("/login"))
    for _ in range(5):
        r = client.post("/login", data={"csrf": csrf_of(page), "username": "clerk", "password": "wrong-password"})
        assert r.status_code == 401 and "用户名或密码不正确" in text(r)
    r = client.post("/login", data={"csrf": csrf_of(page), "username": "nobody", "password": "x"})
    assert "用户名或密码不正确" in text(r) or "过多" in text(r)
    r = client.post("/login", data={"csrf": csrf_of(page), "username": "clerk", "password": PASSWORD})
    assert r.status_code == 401 and "登录失败次数过多" in text(r)


def test_session_cookie_is_httponly_and_samesite(site: Site) -> None:
    client = site.app.test_client()
    page = text(client.get("/login"))
    r = client.post("/login", data={"csrf": csrf_of(page), "username": "clerk", "password": PASSWORD})
    cookie = r.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Expires=" in cookie
    assert r.headers["Location"] == "/"
    assert token(client) != csrf_of(page)  # a new session on login: the old token is void
    assert client.post("/start", data={"csrf": csrf_of(page), "interview": "branch-founding"}).status_code == 400
    # A login never sends the person off-site.
    for target in ("https://evil.example/", "//evil.example/", "javascript:alert(1)"):
        client2 = site.app.test_client()
        page = text(client2.get("/login"))
        r = client2.post(f"/login?next={target}", data={"csrf": csrf_of(page), "username": "admin",
                                                       "password": PASSWORD})
        assert r.headers["Location"] == "/", target


def test_passwords_are_stored_as_argon2id(site: Site) -> None:
    import sqlite3

    rows = sqlite3.connect(site.api.accounts.path).execute("SELECT hash FROM users").fetchall()
    assert rows and all(h.startswith("$argon2id$") for (h,) in rows)
    assert not any(PASSWORD in h for (h,) in rows)


def make_site_light(tmp_path: Path):  # noqa: ANN201 - a Flask app with accounts, no records
    from sanfang_docs.api import Sanfang
    from sanfang_docs.web import create_app

    api = Sanfang(tmp_path / "ws")
    api.accounts.add("clerk", PASSWORD, "clerk", "五里界街道", "锦绣社区")
    return create_app(app_api=api)


def test_users_from_the_terminal(cli) -> None:  # noqa: ANN001 - the conftest fixture
    r = cli("users", "add", "wang", "--role", "clerk", "--street", "五里界街道", "--community", "锦绣社区",
            "--name", "王芳", "--password", "long-enough-1")
    assert r.exit_code == 0 and "已添加：wang（社区工作人员）" in r.output
    r = cli("users", "add", "li", "--role", "clerk", "--password", "long-enough-2")
    assert r.exit_code == 1 and "【街道】（street）" in r.output and "【社区】（community）" in r.output
    assert "Traceback" not in r.output
    r = cli("users", "list")
    assert "wang\t社区工作人员\t五里界街道\t锦绣社区\t王芳" in r.output


# Every route of the app, by the test above or below that puts it through the matrix.
MATRIX = {
    "record": {"/record/<archive_no>", "/record/<archive_no>/file/<path:name>",
               "/record/<archive_no>/page/<int:page>.png", "/case/<case_id>", "/archive"},
    "lists": {"/", "/archive", "/search", "/interviews", "/matters"},  # scope-filtered lists
    "matter": {"/matter/<no>"},  # tests/test_deadlines.py: another scope's matter is a 404
    "draft": {"/start", "/draft/<draft_id>", "/draft/<draft_id>/file", "/draft/<draft_id>/answers",
              "/draft/<draft_id>/edit/<name>", "/draft/<draft_id>/shown"},
    "admin": {"/admin/users", "/admin/organisations", "/admin/archive"},
    # tests/test_web_scans.py: each role against its own scope's and another's record, upload,
    # quarantined file and export job (403 for a clerk on the staff pages, 404 for another's).
    "scans": {"/record/<archive_no>/scan", "/quarantine", "/quarantine/<name>", "/quarantine/<name>/file", "/export", "/export/<job_id>",
              "/export/<job_id>/bundle.zip"},
    "public": {"/login", "/logout", "/static/<path:filename>"},
}


def test_every_route_is_in_the_matrix(site: Site) -> None:
    rules = {r.rule for r in site.app.url_map.iter_rules()}
    assert rules == set().union(*MATRIX.values()), "a route without its access test"


def test_a_draft_is_its_owners_alone(site: Site) -> None:
    owner = login(site.app, "clerk")
    r = owner.post("/start", data={"csrf": token(owner), "interview": "branch-founding",
                                   "doc": "branch-founding-request"})
    url = r.headers["Location"]
    assert owner.get(url).status_code == 200 and owner.get(f"{url}/answers").status_code == 200
    for user in ("clerk_x", "street", "street_x", "admin"):
        other = login(site.app, user)
        good = token(other)
        assert url not in text(other.get("/"))
        for route in (url, f"{url}/answers", f"{url}/edit/street_name"):
            assert other.get(route).status_code == 404, (user, route)
        for route, data in ((url, {"action": "next", "street_name": "x"}), (url, {"action": "discard"}),
                            (f"{url}/file", {}), (f"{url}/edit/street_name", {"street_name": "x"}),
                            (f"{url}/shown", {"street_name": "x"})):
            assert other.post(route, data={"csrf": good, **data}).status_code == 404, (user, route)
    assert owner.get(url).status_code == 200  # nothing the others sent changed or removed it
    assert 'value="五里界街道"' in text(owner.get(url))


def test_the_first_admin_is_made_once_with_a_printed_password(tmp_path: Path) -> None:
    from sanfang_docs.api import Sanfang
    from sanfang_docs.web import create_app

    api = Sanfang(tmp_path / "ws")
    password = api.first_admin()
    assert len(password) >= 12 and api.first_admin() == ""  # once: never again, never printed again
    client = login(create_app(app_api=api, filing_process=False), "admin", password)
    assert client.get("/admin/users").status_code == 200
