"""An interview in the browser's place (Flask's test client, the real app and engine): a clerk
completes branch-founding for a 支委会 with one validation error, one back step and one edit on
the review screen, files it, downloads both files (the PDF passes pdfsig) and finds it by
search; a 街道 user drafts the 批复 from its page. Drafts are the clerk's own and resume in any
session; the audit log names the users."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import unquote

import pytest

from tests.conftest import example
from tests.webkit import (
    Site,
    answer_screen,
    csrf_of,
    login,
    make_site,
    screen_form,
    shown_fields,
    text,
    title_of,
    token,
)

pytestmark = pytest.mark.xdist_group("web")


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    made = make_site(tmp_path_factory.mktemp("webiv") / "ws")
    yield made
    made.app.extensions["sanfang-filer"].close()  # the filing worker process


def start(client, doc: str, from_record: str = "") -> str:  # noqa: ANN001
    r = client.post("/start", data={"csrf": token(client), "doc": doc, "from": from_record})
    assert r.status_code == 302, text(r)
    return r.headers["Location"]


def walk_to(client, url: str, answers: dict, stop: str) -> str:  # noqa: ANN001
    """Answer screens until one whose fields include ``stop`` (or the review, for "review"; the
    page that files the document, for "file")."""
    for _ in range(40):
        page = text(client.get(url))
        if ((stop == "review" and "请核对全部答案" in page) or (stop == "file" and "生成、签名并归档" in page)
                or stop in shown_fields(page)):
            return page
        r = answer_screen(client, url, answers)
        assert r.status_code == 302, (title_of(page), text(r)[-2000:])
    raise AssertionError(f"never reached {stop}")


def test_clerk_journey_and_the_streets_reply(site: Site, tmp_path: Path) -> None:
    answers = example("branch-founding", "with-committee")
    clerk = login(site.app, "clerk")
    url = start(clerk, "branch-founding-request")
    first = text(clerk.get(url))  # the clerk's own street comes filled in, editable
    assert re.search(r'id="f-street_name" name="street_name"[^>]*value="五里界街道"', first), first

    # One validation error: the rule's message next to its field, announced, focused.
    page = walk_to(clerk, url, answers, "party_member_count")
    assert "第 4 步" in page and "<progress" in page
    r = answer_screen(clerk, url, answers, party_member_count=2)
    page = text(r)
    assert r.status_code == 422
    field = re.search(r'<div class="field invalid" id="f-party_member_count-wrap".*?</div>\s*</div>', page, re.S)
    assert field, page
    assert 'aria-invalid="true"' in field.group(0) and "autofocus" in field.group(0)
    assert re.search(r'id="f-party_member_count-err" class="field-error" aria-live="polite">\s*<p>[^<]*3', field.group(0))
    assert 'role="alert"' in page and 'href="#f-party_member_count"' in page
    assert answer_screen(clerk, url, answers).status_code == 302

    # One back step: the answer given is offered again, not lost.
    page = walk_to(clerk, url, answers, "convener_name")
    r = clerk.post(url, data={"csrf": csrf_of(page), "action": "back"})
    assert r.status_code == 302
    page = text(clerk.get(url))
    assert "committee_size" in shown_fields(page) and 'value="5"' in page

    # The draft is the clerk's, on the home page, resumed from another session (another browser).
    elsewhere = login(site.app, "clerk")
    assert url in text(elsewhere.get("/"))
    assert "committee_size" in shown_fields(text(elsewhere.get(url)))
    assert login(site.app, "clerk_x").get(url).status_code == 404
    assert login(site.app, "street").get(url).status_code == 404

    # Every answer so far can be seen and edited from any screen (the terminal's 复核).
    listed = text(elsewhere.get(f"{url}/answers"))
    assert "藏龙御景" in listed and f'href="{url}/edit/compound_name"' in listed
    assert login(site.app, "clerk_x").get(f"{url}/answers").status_code == 404

    # The review screen lists every answer; one is edited there.
    page = walk_to(elsewhere, url, answers, "review")
    assert "周卫东" in page and "藏龙御景" in page
    edit = re.search(r'href="(/draft/\d+/edit/convener_name)"', page).group(1)
    form = text(elsewhere.get(edit))
    r = elsewhere.post(edit, data={"csrf": csrf_of(form), "convener_name": ""})
    assert r.status_code == 422 and "必须填写" in text(r)  # refused, nothing changed
    r = elsewhere.post(edit, data={"csrf": csrf_of(form), "convener_name": "李建国"})
    assert r.status_code == 302
    page = text(elsewhere.get(r.headers["Location"]))
    assert "已修改" in page and re.search(r"临时召集人[^<]*</dt>\s*<dd>李建国", page)  # the 联系人 is 周卫东 too

    # Confirm, then file: signed and archived, the draft gone. (The 请示's 签发人 and 联系人,
    # GB/T 9704, are asked before the review and listed in it.)
    r = elsewhere.post(url, data={"csrf": csrf_of(page), "action": "next"})
    page = walk_to(elsewhere, url, answers, "file")
    assert "生成、签名并归档" in page
    r = elsewhere.post(f"{url}/file", data={"csrf": csrf_of(page)})
    assert r.status_code == 302 and "/record/" in r.headers["Location"]
    record_url = r.headers["Location"]
    page = text(elsewhere.get(record_url))
    no = re.search(r"档号 (J001-WS·\d{4}-\w+-\w+-\d{4})", page).group(1)
    assert "已生成、签名并归档" in page and "签名 PDF" in page and "Word 文档" in page
    assert elsewhere.get(url).status_code == 404  # filed: the draft has done its work

    # Both downloads; the PDF passes pdfsig; a page preview is a PNG rendered on the server.
    pdf = elsewhere.get(f"/record/{no}/file/document.pdf")
    docx = elsewhere.get(f"/record/{no}/file/document.docx")
    assert pdf.status_code == docx.status_code == 200
    assert pdf.data.startswith(b"%PDF") and docx.data.startswith(b"PK")
    assert elsewhere.get(f"/record/{no}/page/1.png").data.startswith(b"\x89PNG")
    if shutil.which("pdfsig"):
        (tmp_path / "d.pdf").write_bytes(pdf.data)
        out = subprocess.run(["pdfsig", str(tmp_path / "d.pdf")], capture_output=True, text=True)
        assert "Signature #1" in out.stdout and "Signature is Valid" in out.stdout, out.stdout
    answers_json = json.loads(site.api.record(no).file("answers.json").read_text(encoding="utf-8"))
    assert answers_json["convener_name"] == "李建国" and answers_json["party_member_count"] == 23

    # Found by search; the audit log names the clerk.
    assert no in text(elsewhere.get("/search?q=藏龙御景 成立"))
    actors = {e["actor"] for e in site.api.audit_trail(no)}
    assert actors == {"clerk"}

    # A clerk is not offered the street's 批复; the street user drafts it from the 请示's page.
    assert "起草关于同意成立" not in text(elsewhere.get(record_url))
    street = login(site.app, "street")
    page = text(street.get(f"/record/{no}"))
    assert "起草关于同意成立中共XX小区支部委员会的批复" in page
    reply = start(street, "branch-founding-reply", no)
    for _ in range(20):
        page = text(street.get(reply))
        if "生成、签名并归档" in page:
            break
        if "请核对全部答案" in page:
            assert street.post(reply, data={"csrf": csrf_of(page), "action": "next"}).status_code == 302
            continue
        assert answer_screen(street, reply, answers).status_code == 302, title_of(page)
    r = street.post(f"{reply}/file", data={"csrf": csrf_of(page)})
    assert r.status_code == 302
    reply_no = unquote(re.search(r"/record/([^?]+)", r.headers["Location"]).group(1))
    rec = site.api.record(reply_no)
    assert rec.meta["文种"] == "批复" and rec.meta["case_id"] == site.api.record(no).meta["case_id"]
    assert {e["actor"] for e in site.api.audit_trail(reply_no)} == {"street"}
    case_page = text(street.get(f"/case/{rec.meta['case_id']}"))
    assert case_page.index(no) < case_page.index(reply_no)  # 请示 → 批复, in order
    # The clerk cannot start the 批复 even by posting the form by hand.
    r = elsewhere.post("/start", data={"csrf": token(elsewhere), "doc": "branch-founding-reply", "from": no})
    assert r.status_code == 400 and "街道党工委签发" in text(r)


def test_a_refused_screen_keeps_everything_typed(site: Site) -> None:
    """Bad input loses nothing: the screen comes back with the rule's message and every answer
    as the clerk typed it, the refused one included, to be corrected rather than retyped."""
    answers = example("branch-founding", "with-committee")
    clerk = login(site.app, "clerk")
    url = start(clerk, "branch-founding-request")
    page = text(clerk.get(url))
    fields = shown_fields(page)
    assert fields == ["street_name", "street_party_org"], fields
    form = screen_form(page, {**answers, "street_name": "新港街道", "street_party_org": "中共纸坊街道工作委员会（手输）"})
    r = clerk.post(url, data={"csrf": csrf_of(page), **form})
    again = text(r)
    assert r.status_code == 422 and "不在组织登记中" in again, again  # confirm a new organisation first
    assert re.search(r'name="street_name"[^>]*value="新港街道"', again), again
    assert re.search(r'name="street_party_org"[^>]*value="中共纸坊街道工作委员会（手输）"', again), again


def test_show_if_is_applied_live_and_again_on_the_server(site: Site) -> None:
    """任期至 shows only for “明确任期截止日期”: the page carries the condition for its script,
    starts hidden, and the server drops the field whatever the browser sends."""
    from werkzeug.datastructures import MultiDict

    from sanfang_docs.web.interviews import read_screen

    answers = {k: v for k, v in example("branch-founding", "with-committee").items() if k not in ("term_mode", "term_end")}
    answers.update(deputy_secretary=None, deputy_votes=None)  # no 副书记: the optional fields answered empty
    convo = site.api.conversation("branch-founding", answers, "branch-election-approval", keep_draft=False)
    assert [f.name for f in convo.current().screen.fields] == ["term_mode", "term_end"]
    assert read_screen(convo, MultiDict({"term_mode": "synced", "term_end": "2029-09-27"})) == {"term_mode": "synced"}
    assert read_screen(convo, MultiDict({"term_mode": "until", "term_end": "2029-09-27"})) == {
        "term_mode": "until", "term_end": "2029-09-27"}

    clerk = login(site.app, "clerk")
    url = start(clerk, "branch-founding-request")
    with site.app.test_request_context():
        from flask import g

        from sanfang_docs.web.interviews import render_screen

        g.caller, g.api = site.api.accounts.get("clerk"), site.api
        page, _ = render_screen(convo)
    wrap = re.search(r'<div class="field" id="f-term_end-wrap"[^>]*>', page).group(0)
    assert 'data-conditional="1"' in wrap and "hidden" in wrap
    script = site.app.test_client().get("/static/app.js")
    assert script.status_code == 200 and b"data-shown-url" in script.data
    page = text(clerk.get(url))
    clerk.post(url, data={"csrf": csrf_of(page), "action": "discard"})
    assert clerk.get(url).status_code == 404


def test_the_page_asks_the_engine_which_fields_show(site: Site, monkeypatch: pytest.MonkeyPatch) -> None:
    """POST …/shown answers, for what is typed so far, the fields the engine shows — a simple
    condition and one in ``code:`` (on an earlier answer, as the loader requires) alike; only
    the draft's owner may ask, with the form's CSRF token."""
    from sanfang_docs.interview import loader

    answers = {k: v for k, v in example("branch-founding", "with-committee").items() if k not in ("term_mode", "term_end")}
    answers.update(deputy_secretary=None, deputy_votes=None)
    clerk = login(site.app, "street")  # the 批复 is the street's
    url = start(clerk, "branch-election-approval")
    page = walk_to(clerk, url, answers, "term_mode")
    csrf = csrf_of(page)
    assert 'data-shown-url="' + url + '/shown"' in page

    def shown(**form: str) -> list[str]:
        r = clerk.post(f"{url}/shown", data={"csrf": csrf, **form})
        assert r.status_code == 200 and r.is_json, text(r)
        return r.get_json()["shown"]

    assert shown(term_mode="synced") == ["term_mode"]
    assert shown(term_mode="until") == ["term_mode", "term_end"]
    assert clerk.post(f"{url}/shown", data={"term_mode": "until"}).status_code == 400  # no CSRF token
    other = login(site.app, "street_x")
    assert other.post(f"{url}/shown", data={"csrf": token(other), "term_mode": "until"}).status_code == 404

    # The same field under a condition in code, on an answer of an earlier screen.
    item = next(i for b in loader.load("branch-founding").blocks for i in b.raw.get("fields") or []
                if isinstance(i, dict) and "term_end" in i.values())
    monkeypatch.setitem(item, "show if", {"code": "party_member_count > 100"})
    assert shown(term_mode="until") == ["term_mode"]  # 23 members
    monkeypatch.setitem(item, "show if", {"code": "party_member_count > 20"})
    assert shown(term_mode="synced") == ["term_mode", "term_end"]
    page = text(clerk.get(url))
    assert re.search(r'id="f-term_end-wrap"[^>]*data-conditional="1"', page)
    clerk.post(url, data={"csrf": csrf, "action": "discard"})
