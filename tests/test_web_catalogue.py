"""The records catalogue (registers/catalogue.py) gives the home page and 待办 exactly what
reading every record.json gives, for every role, and stays so through filings in another
process, a status change, a lost catalogue and an audit log that does not go on from where it
had read."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest

from sanfang_docs.api import Sanfang
from sanfang_docs.registers.catalogue import DB_NAME, FIELDS
from sanfang_docs.registers.deadlines import due_items
from tests.conftest import example
from tests.webkit import USERS, Site, login, make_site, text

pytestmark = pytest.mark.xdist_group("web")

TODAY = date(2026, 10, 12)


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    made = make_site(tmp_path_factory.mktemp("catalogue") / "ws")
    for interview, branch in (("resident-matter", "registered"), ("branch-founding", "secretary-only")):
        first_doc = next(iter(next(e for e in made.api.catalog() if e.interview == interview).documents))
        made.api.make(first_doc, example(interview, branch))
    yield made
    made.app.extensions["sanfang-filer"].close()


def callers(api: Sanfang) -> list:  # noqa: ANN001 - Caller | None
    return [None, *(api.accounts.get(user) for user, *_ in USERS)]


def by_reading(api: Sanfang, caller) -> list:  # noqa: ANN001 - what the pages did before: every record.json
    return [r for r in api.archive.records() if caller is None or caller.sees(r.meta)]


def brief(records: list) -> list[tuple]:
    return [(r.path, tuple(str(r.meta[f]) if r.meta.get(f) is not None else None for f in FIELDS)) for r in records]


def same_as_reading(api: Sanfang) -> None:
    for caller in callers(api):
        read = by_reading(api, caller)
        assert brief(api.catalogue.records(caller)) == brief(read), caller
        newest = sorted(read, key=lambda r: str(r.meta.get("created_at", "")), reverse=True)
        cases: dict = {}
        for r in newest:
            if r.meta.get("case_id") and len(cases) < 8:
                cases.setdefault(str(r.meta["case_id"]), r)
        found = api.newest(caller)
        assert found.count == len(read)
        assert brief(found.newest) == brief(newest[:10])
        assert {k: brief([r]) for k, r in found.cases.items()} == {k: brief([r]) for k, r in cases.items()}
        sees = caller.sees if caller is not None else (lambda meta: True)
        assert api.todo(caller, TODAY) == due_items(read, api.matter_list(), TODAY, sees)


def test_the_catalogue_answers_as_reading_every_record(site: Site) -> None:
    api = site.api
    assert len(list(api.archive.records())) == 4
    same_as_reading(api)
    assert any(api.todo(c, TODAY) for c in callers(api))  # 待办 that can differ, not an empty list


def test_it_follows_writes_from_another_process_and_mends_itself(site: Site, tmp_path: Path) -> None:
    api = site.api
    home = api.workspace.home
    same_as_reading(api)
    other = Sanfang(home)  # another process's library (the CLI, `sanfang watch`, the filing worker)
    made = other.make("branch-founding-request", {**example("branch-founding", "with-committee"),
                                                  "compound_name": "江南名居"})
    other.archive.set_status(site.own.record.archive_no, "已盖章", "盖章后补录")
    same_as_reading(api)
    assert made.record.archive_no in {r.archive_no for r in api.catalogue.records(None)}
    assert next(r for r in api.catalogue.records(None)
                if r.archive_no == site.own.record.archive_no).meta["status"] == "已盖章"

    (home / DB_NAME).unlink()  # lost: rebuilt from the archive on the next read
    same_as_reading(api)
    with sqlite3.connect(home / DB_NAME) as db:  # a log that does not go on from where it had read
        db.execute("UPDATE state SET hash = 'x', seq = seq - 1")
        db.execute("DELETE FROM records WHERE rel LIKE '%0001'")
    same_as_reading(api)


def test_the_home_page_lists_from_the_catalogue(site: Site) -> None:
    page = text(login(site.app, "clerk").get("/"))
    assert f"最近归档（共 {len(by_reading(site.api, site.api.accounts.get('clerk')))} 件）" in page
    assert site.own.record.archive_no in page and site.other.record.archive_no not in page
