"""End to end in a real browser: Debian's chromium driven by Playwright (never `playwright
install`), the app on waitress. One browser session for the whole file (a fixed budget in CI).

The clerk journey of the issue — log in, branch-founding for a 支委会 with one validation error,
one back step and one edit on the review screen, both downloads (the PDF passes pdfsig), the
record found by search — then a 街道 user drafts the 批复 from the 请示's page. axe-core
(vendored in axe-playwright-python) checks every screen on the way, and every screen of all 13
interviews (walked with their example answers, each filed), the archive and admin pages and the
login page: no serious or critical violation.
Screenshots of every screen go to test-artifacts/web/ (kept by CI as artifacts).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import REPO, example, example_sets
from tests.webkit import PASSWORD, Site, make_site, serve_in_thread

pytestmark = pytest.mark.xdist_group("web-browser")

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run", "--disable-dev-shm-usage"]
SHOTS = Path(os.environ.get("SANFANG_ARTIFACTS", REPO / "test-artifacts")) / "web"

if not Path(CHROMIUM).exists():
    pytest.skip("Debian's chromium is not installed (scripts/setup.sh installs it)", allow_module_level=True)

from axe_playwright_python.sync_playwright import Axe  # noqa: E402
from playwright.sync_api import Browser, Locator, Page, expect, sync_playwright  # noqa: E402
from playwright.sync_api import Error as PlaywrightError  # noqa: E402


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Site, str]]:
    site = make_site(tmp_path_factory.mktemp("browser") / "ws")
    base, server = serve_in_thread(site.app)
    yield site, base
    server.close()
    site.app.extensions["sanfang-filer"].close()


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        yield b
        b.close()


class Journey:
    """A page plus the checks every screen gets: a screenshot and axe."""

    def __init__(self, page: Page, name: str, shots: bool = True):
        self.page, self.name, self.n, self.shots = page, name, 0, shots
        self.axe = Axe()
        self.violations: list[str] = []
        SHOTS.mkdir(parents=True, exist_ok=True)

    def check(self, label: str) -> None:
        self.n += 1
        if self.shots:
            self.page.screenshot(path=str(SHOTS / f"{self.name}-{self.n:02d}-{label}.png"), full_page=True)
        results = self._axe()
        for v in results.response["violations"]:
            if v.get("impact") in ("serious", "critical"):
                self.violations.append(f"{label}: {v['id']} ({v['impact']}) {v['help']} — "
                                       f"{[n['target'] for n in v['nodes']][:3]}")


    def _axe(self):  # noqa: ANN202 - axe_playwright_python's result type
        """axe on the page once it has loaded. A click that navigates returns once the navigation
        has started, so axe can meet a document being replaced (document is null): the run is
        repeated on the page that loaded, never skipped."""
        for attempt in range(3):
            self.page.wait_for_load_state("load")
            try:
                return self.axe.run(self.page)
            except PlaywrightError as e:
                if attempt == 2 or not re.search(r"documentElement|context was destroyed|navigat", str(e)):
                    raise
        raise AssertionError("unreachable")


def follow(page: Page, control: Locator) -> None:
    """Click a link or a submit button and wait for the page it leads to."""
    with page.expect_navigation():
        control.click()


def login(page: Page, base: str, user: str) -> None:
    page.goto(f"{base}/login")
    page.get_by_label("用户名").fill(user)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    expect(page.get_by_role("heading", name="首页")).to_be_visible()


def fill_screen(page: Page, answers: dict) -> None:
    """Answer the shown fields of the current screen as a person would, by their controls; a
    field that an answer shows (the server says so a moment later) is answered too."""
    done: set[str] = set()
    while True:
        fresh = [w for w in page.locator("div.field[data-field]:visible").all()
                 if (w.get_attribute("data-field") or "") not in done]
        if not fresh:
            return
        for wrap in fresh:
            name = wrap.get_attribute("data-field") or ""
            done.add(name)
            fill_field(wrap, name, answers.get(name))
        if not page.locator("[data-conditional]").count():
            return
        page.wait_for_timeout(500)  # the script's question to the server, and its answer


def fill_field(wrap: Locator, name: str, value: object) -> None:  # noqa: C901 - one branch per kind of control
    if value is None:
        return
    control = wrap.locator(f'[name="{name}"]')
    kind = control.first.get_attribute("type") or control.first.evaluate("e => e.tagName.toLowerCase()")
    if kind == "radio":
        said = ("是" if value else "否") if isinstance(value, bool) else value
        wrap.locator(f'input[name="{name}"][value="{said}"]').check()
    elif kind == "checkbox" and isinstance(value, bool):
        control.set_checked(value)
    elif kind == "select":
        control.select_option(str(value))
    elif kind == "date":
        control.fill(value.isoformat() if hasattr(value, "isoformat") else str(value))
    else:
        control.fill(str(value))


def next_screen(page: Page) -> None:
    follow(page, page.get_by_role("button", name=re.compile("下一步|确认无误")))


def test_clerk_journey_then_the_streets_reply(served: tuple[Site, str], browser: Browser, tmp_path: Path) -> None:
    site, base = served
    answers = example("branch-founding", "with-committee")
    context = browser.new_context(viewport={"width": 360, "height": 740}, accept_downloads=True, locale="zh-CN")
    page = context.new_page()
    j = Journey(page, "clerk")
    page.goto(f"{base}/")
    expect(page.get_by_role("button", name="登录")).to_be_visible()  # anonymous: the login page
    j.check("login")
    login(page, base, "clerk")
    j.check("home")
    follow(page, page.get_by_role("link", name="起草文件"))
    j.check("catalog")
    follow(page, page.get_by_role("button", name="关于成立XX小区党支部的请示"))

    for _ in range(12):
        j.check(f"screen-{j.n}")
        if page.locator('[data-field="party_member_count"]').count() and "invalid" not in (
                page.locator('[data-field="party_member_count"]').get_attribute("class") or ""):
            fill_screen(page, {**answers, "party_member_count": 2})  # one validation error
            next_screen(page)
            field = page.locator("#f-party_member_count")
            expect(field).to_have_attribute("aria-invalid", "true")
            expect(field).to_be_focused()  # focus moved to the field
            expect(page.locator("#f-party_member_count-err")).to_contain_text("3")
            j.check("refused")
        if page.locator('[data-field="convener_name"]').count() and not getattr(j, "went_back", False):
            j.went_back = True  # type: ignore[attr-defined]
            page.get_by_role("button", name="上一步").click()  # one back step
            expect(page.locator("#f-committee_size")).to_have_value("5")
            j.check("back")
        if page.get_by_text("请核对全部答案").count():
            break
        heading = page.get_by_role("heading", level=1).inner_text()
        fill_screen(page, answers)
        next_screen(page)
        assert page.get_by_role("heading", level=1).inner_text() != heading, "a screen was refused"
    j.check("review")
    follow(page, page.locator('a[href$="/edit/convener_name"]'))
    j.check("edit")
    page.locator("#f-convener_name").fill("李建国")
    page.get_by_role("button", name="保存修改").click()
    expect(page.get_by_role("status")).to_contain_text("已修改")
    expect(page.get_by_text("李建国")).to_be_visible()
    next_screen(page)
    # The 请示's 签发人 and 联系人 (GB/T 9704, asked by the document's own metadata) follow the review.
    for _ in range(4):
        if page.get_by_role("button", name="生成、签名并归档").count():
            break
        j.check(f"screen-{j.n}")
        heading = page.get_by_role("heading", level=1).inner_text()
        fill_screen(page, answers)
        next_screen(page)
        assert page.get_by_role("heading", level=1).inner_text() != heading, "a screen was refused"
    j.check("finish")
    page.get_by_role("button", name="生成、签名并归档").click()
    expect(page.get_by_role("status").first).to_contain_text("已生成、签名并归档")
    j.check("record")
    number = re.search(r"档号 (\S+?)。", page.get_by_role("status").first.inner_text()).group(1)

    with page.expect_download() as got:
        page.get_by_role("link", name="签名 PDF").click()
    pdf = tmp_path / "document.pdf"
    got.value.save_as(pdf)
    with page.expect_download() as got:
        page.get_by_role("link", name="Word 文档（DOCX）").click()
    docx = tmp_path / "document.docx"
    got.value.save_as(docx)
    assert pdf.read_bytes().startswith(b"%PDF") and docx.read_bytes().startswith(b"PK")
    if shutil.which("pdfsig"):
        out = subprocess.run(["pdfsig", str(pdf)], capture_output=True, text=True).stdout
        assert "Signature is Valid" in out, out
    # The first page's preview has loaded (it is drawn on request: waited for, not sampled once).
    page.wait_for_function("() => { const i = document.querySelector('img.page');"
                           " return i !== null && i.complete && i.naturalWidth > 0; }", timeout=30_000)

    page.get_by_role("link", name="检索").click()
    page.get_by_label("检索词").fill("藏龙御景 成立")
    page.get_by_role("button", name="检索").click()
    expect(page.locator("ol.hits")).to_contain_text(number)
    expect(page.locator("ol.hits mark").first).to_be_visible()  # the snippet's matched words
    j.check("search")
    follow(page, page.get_by_role("link", name="档案"))
    j.check("archive")
    follow(page, page.get_by_role("link", name="五里界街道"))
    follow(page, page.get_by_role("link", name="锦绣社区"))
    follow(page, page.get_by_role("link", name="藏龙御景"))
    j.check("archive-cases")
    context.close()

    # The 街道 user drafts the 批复 from the 请示's page.
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    page = context.new_page()
    s = Journey(page, "street")
    login(page, base, "street")
    page.goto(f"{base}/record/{number}")
    s.check("request")
    page.get_by_role("button", name="起草关于同意成立中共XX小区支部委员会的批复").click()
    for _ in range(12):
        s.check(f"screen-{s.n}")
        if page.get_by_role("button", name="生成、签名并归档").count():
            break
        fill_screen(page, answers)
        next_screen(page)
    page.get_by_role("button", name="生成、签名并归档").click()
    expect(page.get_by_role("status").first).to_contain_text("已生成")
    s.check("reply")
    page.get_by_role("link", name=re.compile(r"branch-founding-")).click()
    s.check("case")
    expect(page.locator("ol.case li")).to_have_count(2)
    context.close()
    assert not j.violations + s.violations, "\n".join(j.violations + s.violations)


def first_example(interview: str) -> dict:
    """The first example answer set of an interview (examples/<interview>/*.yaml)."""
    branch = min(b for i, b in example_sets() if i == interview)
    return example(interview, branch)


def test_every_screen_of_every_interview_is_accessible(served: tuple[Site, str], browser: Browser) -> None:
    """axe on every screen of all 13 interviews, walked with each one's first example answer set
    through the app: its first screen refused empty (the message next to the field, focused),
    every screen, the answers page, an edit page, the review screen, the page that files, the
    record's preview and download page; then the archive (browse to the cases, search, a case,
    the matters), the admin pages and the login page (used from the keyboard only).
    One browser and one page for all of it, no screenshots (the journeys keep those): 215 axe
    runs and 13 documents filed. Measured 2026-12-02 on the shared 2-core machine under other
    engineers' suites (load average 7–11): 156–228 s wall, of which axe 56–83 s; the test
    process and its children used 57–73 s of CPU, so on an idle 2-core CI runner it should
    come to about that (not measured there)."""
    site, base = served
    context = browser.new_context(locale="zh-CN")
    page = context.new_page()
    page.set_default_timeout(10_000)
    j = Journey(page, "every-screen", shots=False)
    # Keyboard only: the name field has focus, Tab to the password, Enter submits.
    page.goto(f"{base}/login")
    j.check("login")
    page.keyboard.type("admin")
    page.keyboard.press("Tab")
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="首页")).to_be_visible()
    j.check("home")
    entries = [e for e in site.api.catalog() if not e.error]
    assert len(entries) == 13
    filed: list[str] = []
    for entry in entries:
        # An answer citing archived records (佐证材料档号) cites one filed here for its community.
        answers = first_example(entry.interview)
        cited = next((no for no in filed if site.api.record(no).meta.get("community") == answers.get("community_name")),
                     site.own.record.archive_no)
        answers = {k: cited if isinstance(v, str) and v.startswith(("J001-", "文件:")) else v for k, v in answers.items()}
        page.goto(f"{base}/interviews")
        if entry is entries[0]:
            j.check("catalog")
        follow(page, page.locator(f"#iv-{entry.interview} button").first)
        expect(page.locator("form.screen")).to_be_visible()
        # Submitting empty shows the rule next to the field and moves focus there.
        if page.locator("div.field[data-field]:visible input:not([type=hidden])").count():
            next_screen(page)
            if page.locator("[aria-invalid=true]").count():
                expect(page.locator("[aria-invalid=true]").first).to_be_focused()
                j.check(f"{entry.interview}-refused")
        for n in range(60):
            if page.get_by_role("button", name="生成、签名并归档").count():
                break
            j.check(f"{entry.interview}-{n}")
            if n == 2:  # every answer so far, and one of them edited, from any screen
                draft = page.url
                page.goto(f"{draft}/answers")
                j.check(f"{entry.interview}-answers")
                follow(page, page.locator("a[href*='/edit/']").first)
                j.check(f"{entry.interview}-edit")
                page.goto(draft)
            heading = page.get_by_role("heading", level=1).inner_text()
            fill_screen(page, answers)
            next_screen(page)
            confirm = page.locator("input[name^=confirm__]")
            if confirm.count():  # an organisation not yet registered: confirmed as new
                j.check(f"{entry.interview}-{n}-new-org")
                fill_screen(page, answers)  # a refused value is never offered again: typed anew
                for box in page.locator("input[name^=confirm__]").all():
                    box.check()
                next_screen(page)
            assert not page.locator("[aria-invalid=true]").count(), (
                entry.interview, heading, page.locator("#problems").inner_text())
        else:
            raise AssertionError(f"{entry.interview}: never reached the page that files")
        j.check(f"{entry.interview}-finish")
        page.get_by_role("button", name="生成、签名并归档").click()
        expect(page.get_by_role("status").first).to_contain_text("已生成、签名并归档")
        page.locator("img.page").first.scroll_into_view_if_needed()
        j.check(f"{entry.interview}-record")
        filed.append(re.search(r"档号 (\S+?)。", page.get_by_role("status").first.inner_text()).group(1))
    assert len(set(filed)) == 13

    page.goto(f"{base}/archive")
    j.check("archive")
    for level in ("五里界街道", "锦绣社区", "藏龙御景"):
        follow(page, page.get_by_role("link", name=level).first)
        j.check(f"archive-{level}")
    follow(page, page.locator("a[href^='/case/']").first)
    j.check("case")
    page.goto(f"{base}/search?q=" + "成立")
    expect(page.locator("ol.hits")).to_be_visible()
    j.check("search")
    page.goto(f"{base}/record/{filed[0]}?verify=1")
    j.check("record-verified")
    page.goto(f"{base}/matters")
    j.check("matters")
    if page.locator("a[href^='/matter/']").count():
        follow(page, page.locator("a[href^='/matter/']").first)
        j.check("matter")
    for route in ("/admin/users", "/admin/organisations", "/admin/archive", "/quarantine", "/export"):
        page.goto(f"{base}{route}")
        j.check(route.strip("/").replace("/", "-"))
    context.close()
    assert j.n > 100, j.n  # every screen was checked, not just a few
    assert not j.violations, "\n".join(j.violations)


def test_scans_quarantine_and_a_bundle_in_the_browser(served: tuple[Site, str], browser: Browser,
                                                      tmp_path: Path) -> None:
    """A 街道 user uploads a stamped scan on a record's page and another record's scan (to the
    quarantine), looks at the quarantine, and exports a bundle watching its progress page."""
    from tests import scans

    site, base = served
    def scan(made) -> Path:  # noqa: ANN001
        raw = scans.pages(made.record.file("document.pdf").read_bytes(), 150)
        path = tmp_path / f"{made.record.meta['compound']}.pdf"
        path.write_bytes(scans.pdf_of([scans.scanned(p) for p in raw]))
        return path

    context = browser.new_context(locale="zh-CN", accept_downloads=True)
    page = context.new_page()
    j = Journey(page, "scans")
    login(page, base, "street")
    no = site.own.record.archive_no
    for made, said in ((site.own, "已归档"), (site.other, "已转入隔离区")):
        page.goto(f"{base}/record/{no}")
        page.locator("#scan").set_input_files(str(scan(made)))
        page.get_by_role("button", name="上传").click()
        expect(page.get_by_role("status")).to_contain_text(said)
        j.check(f"upload-{said}")
    page.get_by_role("link", name="隔离区").click()
    expect(page.get_by_text("管辖范围以外")).to_be_visible()
    j.check("quarantine")
    follow(page, page.get_by_role("link", name="导出检查包"))
    j.check("export")
    page.get_by_role("button", name="导出检查包").click()
    expect(page.get_by_role("link", name="下载检查包（ZIP）")).to_be_visible(timeout=300_000)
    j.check("exported")
    with page.expect_download() as got:
        page.get_by_role("link", name="下载检查包（ZIP）").click()
    assert got.value.suggested_filename.endswith(".zip")
    context.close()
    assert not j.violations, "\n".join(j.violations)


def test_show_if_is_applied_live_by_the_server(served: tuple[Site, str], browser: Browser,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    """任期至 shows the moment “明确任期截止日期” is chosen and hides again for “同步”: the page's
    script asks the server (…/shown, the engine's own rule) on each change. The same field
    under a condition in ``code:`` (on an earlier answer, as the loader requires) shows as the
    engine says whatever is chosen on the screen."""
    from sanfang_docs.interview import loader

    site, base = served
    answers = {k: v for k, v in example("branch-founding", "with-committee").items() if k not in ("term_mode", "term_end")}
    answers.update(deputy_secretary=None, deputy_votes=None)
    admin = site.api.accounts.get("admin")
    context = browser.new_context(locale="zh-CN")
    page = context.new_page()
    j = Journey(page, "show-if", shots=False)
    login(page, base, "admin")
    convo = site.api.conversation("branch-founding", answers, "branch-election-approval", caller=admin)
    page.goto(f"{base}/draft/{convo.draft_id}")  # the screens answered already are passed
    term_end = page.locator("#f-term_end-wrap")
    expect(term_end).to_be_hidden()
    page.get_by_label("明确任期截止日期").check()
    expect(term_end).to_be_visible()
    expect(page.locator("#f-term_end")).to_be_enabled()
    j.check("term-end-shown")
    page.get_by_label("与社区党组织同步").check()
    expect(term_end).to_be_hidden()
    expect(page.locator("#f-term_end")).to_be_disabled()  # not sent: the server drops it anyway

    item = next(i for b in loader.load("branch-founding").blocks for i in b.raw.get("fields") or []
                if isinstance(i, dict) and "term_end" in i.values())
    monkeypatch.setitem(item, "show if", {"code": "party_member_count > 20"})  # 23 members
    page.reload()
    expect(term_end).to_be_visible()
    page.get_by_label("与社区党组织同步").check()
    page.wait_for_timeout(600)  # the server's answer has come: the code condition still holds
    expect(term_end).to_be_visible()
    monkeypatch.setitem(item, "show if", {"code": "party_member_count > 100"})
    page.get_by_label("明确任期截止日期").check()
    expect(term_end).to_be_hidden()
    context.close()
    site.api.discard_draft(convo.draft_id)
    assert not j.violations, "\n".join(j.violations)
