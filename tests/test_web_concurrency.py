"""Twenty people filing at once through the app on waitress (real HTTP on loopback): twenty
correct records, unique gapless 件号, an index that holds every one, an audit log naming each."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from sanfang_docs.api import Sanfang
from sanfang_docs.web import create_app
from tests.conftest import example
from tests.webkit import PASSWORD, HttpClient, serve_in_thread

pytestmark = pytest.mark.xdist_group("web")

USERS = 20


def filer(n: int) -> str:
    """Each filer's own 临时召集人 (a name has no digits: 办理人甲乙 for 01)."""
    return "办理人" + "".join("甲乙丙丁戊己庚辛壬癸"[int(d)] for d in f"{n:02d}")


def test_twenty_concurrent_users_twenty_records(tmp_path: Path) -> None:
    api = Sanfang(tmp_path / "ws")
    answers = example("branch-founding", "with-committee")
    api.organisations.learn(answers)  # the registry knows the organisations, as after the first filing
    for n in range(USERS):
        api.accounts.add(f"clerk{n:02d}", PASSWORD, "clerk", answers["street_name"], answers["community_name"])
    app = create_app(app_api=api)  # files in its worker process, as `sanfang serve` does
    base, server = serve_in_thread(app, threads=8)
    try:
        def one(n: int) -> str:
            client = HttpClient(base)
            client.login(f"clerk{n:02d}")
            mine = {**answers, "convener_name": filer(n)}
            return client.file_document("branch-founding-request", mine)

        with ThreadPoolExecutor(USERS) as pool:
            numbers = list(pool.map(one, range(USERS)))
    finally:
        server.close()
        app.extensions["sanfang-filer"].close()
    assert len(set(numbers)) == USERS
    records = [api.record(no) for no in numbers]
    items = sorted(int(r.meta["件号"]) for r in records)
    assert items == list(range(1, USERS + 1))  # unique and gapless
    # Each record is its filer's: the answers and the audit log say who.
    for n, record in enumerate(records):
        import json

        filed = json.loads(record.file("answers.json").read_text(encoding="utf-8"))
        assert filed["convener_name"] == filer(n)
        assert {e["actor"] for e in api.audit_trail(record.archive_no)} == {f"clerk{n:02d}"}
    found = api.search("藏龙御景", limit=50)
    assert {h.archive_no for h in found.hits} == set(numbers)
    report = api.verify()
    assert report.ok, [p for p in report.problems][:5]
