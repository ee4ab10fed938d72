"""Scans, the quarantine and inspection bundles through the web app: an upload on a record's
page goes through the intake's QR matching (another record's scan ends in quarantine, never on
that record), the quarantine is its scope's staff's (and the admin's), a bundle is exported
with a progress page and holds only the caller's scope. Each route is in the access matrix
(tests/test_web_access.py MATRIX["scans"])."""

from __future__ import annotations

import io
import json
import re
import threading
import time
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests import scans
from tests.webkit import Site, login, make_site, text, token

pytestmark = pytest.mark.xdist_group("web")


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    yield make_site(tmp_path_factory.mktemp("web-scans") / "ws")
    for thread in threading.enumerate():  # the background readers finish before the workspace goes
        if thread.name in ("scan-ocr",) or thread.name.startswith("export-"):
            thread.join(300)


def scan_of(made, seed: int = 0) -> bytes:  # noqa: ANN001
    raw = scans.pages(made.record.file("document.pdf").read_bytes(), 150)
    return scans.pdf_of([scans.scanned(p, seed=seed + i) for i, p in enumerate(raw)])


def upload(client, archive_no: str, data: bytes, name: str = "扫描.pdf", csrf: str | None = None):  # noqa: ANN001, ANN201
    sent = {"scan": (io.BytesIO(data), name)}
    return client.post(f"/record/{archive_no}/scan", data={"csrf": token(client) if csrf is None else csrf, **sent},
                       content_type="multipart/form-data")


def scans_of(site: Site, archive_no: str, ocr: bool = False) -> list[str]:
    """The scans filed on a record (or, with ``ocr``, their read text)."""
    return sorted(k for k in site.api.archive.get(archive_no).meta["files"]
                  if k.startswith("scans/") and k.endswith(".txt") == ocr)


def test_upload_on_a_record_page_through_the_intake(site: Site) -> None:
    own, other = site.own.record.archive_no, site.other.record.archive_no
    clerk = login(site.app, "clerk")
    assert 'enctype="multipart/form-data"' in text(clerk.get(f"/record/{own}"))
    r = upload(clerk, own, scan_of(site.own))
    assert r.status_code == 200 and "已归档" in text(r), text(r)
    assert len(scans_of(site, own)) == 1 and site.api.archive.get(own).meta["status"] == "已盖章"
    assert [e["actor"] for e in site.api.audit_trail(own) if e["event"] == "scan attached"] == ["clerk"]
    for _ in range(240):  # its text is read off the request, in the background
        if scans_of(site, own, ocr=True):
            break
        time.sleep(0.5)
    assert scans_of(site, own, ocr=True), "the upload's OCR never ran"
    # Another scope's scan uploaded on this page: quarantined, on neither record, and the page
    # says so without naming the other record.
    r = upload(clerk, own, scan_of(site.other), "别处.pdf")
    assert r.status_code == 200 and "已转入隔离区" in text(r) and "管辖范围以外" in text(r)
    assert other not in text(r) and site.other.record.meta["题名"] not in text(r)
    assert scans_of(site, other) == [] and len(scans_of(site, own)) == 1
    assert any("别处" in i.name for i in site.api.quarantine_list())
    # Another scope's record is a 404 before any file is read; a wrong type, none, or no token is refused.
    before = len(site.api.quarantine_list())
    assert upload(clerk, other, scan_of(site.other)).status_code == 404
    assert upload(login(site.app, "clerk_x"), own, scan_of(site.own)).status_code == 404
    assert scans_of(site, other) == [] and len(site.api.quarantine_list()) == before
    r = upload(clerk, own, b"#!/bin/sh\n", "../../evil.sh")
    assert r.status_code == 400 and "【扫描件】（scan）" in text(r) and "evil.sh" in text(r)
    assert not list((site.api.workspace.home / "uploads").rglob("evil.sh"))
    r = upload(clerk, own, scan_of(site.own), csrf="")
    assert r.status_code == 400 and "令牌" in text(r)
    r = clerk.post(f"/record/{own}/scan", data={"csrf": token(clerk)}, content_type="multipart/form-data")
    assert r.status_code == 400 and "请选择" in text(r)


def test_the_size_cap(site: Site) -> None:
    clerk = login(site.app, "clerk")
    r = upload(clerk, site.own.record.archive_no, b"%PDF" + b"0" * (33 * 1024 * 1024))
    assert r.status_code == 413 and "文件过大" in text(r)


def test_the_quarantine_is_its_scopes(site: Site) -> None:
    own, other = site.own.record.archive_no, site.other.record.archive_no
    clerk = login(site.app, "clerk")
    upload(clerk, own, scan_of(site.other, seed=3), "隔离.pdf")
    name = next(i.name for i in site.api.quarantine_list() if "隔离" in i.name)
    for user in ("clerk", "clerk_x"):
        c = login(site.app, user)
        assert c.get("/quarantine").status_code == 403 and c.get(f"/quarantine/{name}/file").status_code == 403
        assert c.post(f"/quarantine/{name}", data={"csrf": token(c), "action": "retry"}).status_code == 403
    outsider = login(site.app, "street_x")  # 纸坊街道: the upload was 五里界街道's
    assert name not in text(outsider.get("/quarantine"))
    assert outsider.get(f"/quarantine/{name}/file").status_code == 404
    admin = login(site.app, "admin")  # who sees every quarantined file: still none outside it
    for forged in ("../../record.json", "..%2F..%2F.intake", f".{name}.json", f"{name}.reason.txt", "%2e%2e"):
        r = admin.get(f"/quarantine/{forged}/file")
        assert r.status_code == 404 and b"sha256" not in r.data, forged
    for data in ({"action": "retry"}, {"action": "file", "archive_no": other}):
        assert outsider.post(f"/quarantine/{name}", data={"csrf": token(outsider), **data}).status_code == 404
    street = login(site.app, "street")
    page = text(street.get("/quarantine"))
    assert name in page and "管辖范围以外" in page
    r = street.get(f"/quarantine/{name}/file")
    assert r.status_code == 200 and r.data.startswith(b"%PDF")
    assert street.get(f"/quarantine/.{name}.json/file").status_code == 404  # its metadata is no item
    # Retried, its code is still another street's record: it stays, never filed there.
    r = street.post(f"/quarantine/{name}", data={"csrf": token(street), "action": "retry"})
    assert r.status_code == 200 and "不在 street 的管辖范围内" in text(r) and scans_of(site, other) == []
    name = next(i.name for i in site.api.quarantine_list() if "隔离" in i.name)
    # Filing by hand: only on a record of the caller's scope.
    r = street.post(f"/quarantine/{name}", data={"csrf": token(street), "action": "file", "archive_no": other})
    assert r.status_code == 404 and scans_of(site, other) == []
    assert street.post(f"/quarantine/{name}", data={"action": "retry"}).status_code == 400  # no token
    count = len(scans_of(site, own))
    r = street.post(f"/quarantine/{name}", data={"csrf": token(street), "action": "file", "archive_no": own})
    assert r.status_code == 200 and "已归档" in text(r) and len(scans_of(site, own)) == count + 1
    assert name not in text(street.get("/quarantine"))
    assert "street" in [e["actor"] for e in site.api.audit_trail(own) if e["event"] == "scan attached"]
    # The admin sees every quarantined file, the watched inbox's too.
    admin = text(login(site.app, "admin").get("/quarantine"))
    assert all(i.name in admin for i in site.api.quarantine_list())


def _finished(client, url: str) -> str:  # noqa: ANN001
    for _ in range(600):
        page = text(client.get(url))
        if 'http-equiv="refresh"' not in page:
            return page
        assert "<progress" in page
        time.sleep(0.5)
    raise AssertionError("the export did not finish")


def test_bundle_export_with_progress_in_the_callers_scope(site: Site) -> None:
    own, other = site.own.record.archive_no, site.other.record.archive_no
    for user in ("clerk", "clerk_x"):
        c = login(site.app, user)
        assert c.get("/export").status_code == 403
        assert c.post("/export", data={"csrf": token(c)}).status_code == 403
    street = login(site.app, "street")
    assert "将这些档案导出为检查包" in text(street.get("/search?kind=请示"))
    assert street.post("/export", data={}).status_code == 400  # no token
    r = street.post("/export", data={"csrf": token(street), "kind": "请示"})
    assert r.status_code == 302
    url = r.headers["Location"]
    page = _finished(street, url)
    assert "检查包已生成：1 件档案" in page, page
    link = re.search(r'href="(/export/[^"]+/bundle\.zip)"', page)
    assert link
    # Nobody else reaches the job or its file, not even the admin.
    for user in ("street_x", "admin", "clerk"):
        c = login(site.app, user)
        assert c.get(url).status_code == 404 and c.get(link.group(1)).status_code == 404
    r = street.get(link.group(1))
    assert r.status_code == 200 and r.mimetype == "application/zip"
    bag = zipfile.ZipFile(io.BytesIO(r.data))
    filed = [json.loads(bag.read(n)) for n in bag.namelist() if n.endswith("/record.json")]
    assert [m["档号"] for m in filed] == [own] and other != own
    assert site.other.record.meta["compound"] not in bag.read(next(n for n in bag.namelist()
                                                                   if n.endswith("manifest.json"))).decode()
    verified = site.api.verify_bundle(_saved(site, r.data))
    assert verified.ok, verified
    # Another street's community: in words, exactly what a community that does not exist gets.
    pages = []
    for community in ("青龙社区", "无此社区"):
        r = street.post("/export", data={"csrf": token(street), "community": community})
        pages.append(_finished(street, r.headers["Location"]).replace(community, "…"))
    assert "没有符合条件的记录" in pages[0] and pages[0] == pages[1]


def _saved(site: Site, data: bytes):  # noqa: ANN202
    path = site.api.workspace.home.parent / "downloaded.zip"
    path.write_bytes(data)
    return path


def test_an_interrupted_upload_recovered_files_only_on_its_record(site: Site) -> None:
    """A server killed between taking an upload and filing it: the next intake (or a watcher's
    recovery) still keeps it off any record but the one it was uploaded for."""
    own, other = site.own.record.archive_no, site.other.record.archive_no
    folder = site.api.workspace.home / "uploads" / "五里界街道" / "锦绣社区" / "interrupted"
    folder.mkdir(parents=True)
    (folder / ".archive_no").write_text(own, encoding="utf-8")
    (folder / "中断.pdf").write_bytes(scan_of(site.other, seed=7))
    site.api.intake_box.journal.take(folder / "中断.pdf")  # taken, then the process died
    results = site.api.intake([], ocr=False)
    assert [r.status for r in results] == ["已隔离"] and "不符" in results[0].reason
    assert scans_of(site, other) == []


def test_one_bundle_at_a_time_a_person(site: Site) -> None:
    jobs = site.app.extensions["sanfang-exports"]
    job = jobs.new("street")
    jobs.progress(job, 3, 10, "核对档案")
    try:
        street = login(site.app, "street")
        r = street.post("/export", data={"csrf": token(street)})
        assert r.status_code == 302 and r.headers["Location"] == f"/export/{job.id}"
        page = text(street.get(f"/export/{job.id}"))
        assert '<progress id="bar" max="10" value="3">' in page and "核对档案：3 / 10" in page
        assert 'http-equiv="refresh"' in page
        assert street.get(f"/export/{job.id}/bundle.zip").status_code == 404  # not ready
    finally:
        jobs.finish(job, error="测试结束")


def test_jobs_outlive_a_restart_and_finished_zips_are_removed_in_time(site: Site) -> None:
    """A new server over the same workspace shows the finished job (and serves its ZIP), reads a
    job cut short by the restart as failed (its half ZIP removed), and removes finished ZIPs
    once ``web: export_keep_hours`` have passed."""
    import subprocess
    from datetime import UTC, datetime, timedelta
    from types import SimpleNamespace

    from sanfang_docs.api import Sanfang
    from sanfang_docs.web import create_app
    from sanfang_docs.web.jobs import INTERRUPTED

    street = login(site.app, "street")
    r = street.post("/export", data={"csrf": token(street), "kind": "请示"})
    done_url = r.headers["Location"]
    assert "检查包已生成" in _finished(street, done_url)
    home = site.api.workspace.home
    gone = subprocess.Popen(["true"])
    gone.wait()  # a process that has ended: the server that ran the job below
    cut = home / "exports" / "cutshort.json"
    cut.write_text(json.dumps({"id": "cutshort", "owner": "street", "done": 1, "total": 5, "label": "写入",
                               "created": "2026-12-01T08:00:00+00:00", "pid": gone.pid, "runner": "old"}),
                   encoding="utf-8")
    (home / "exports" / "cutshort.zip").write_bytes(b"PK half")

    again = create_app(app_api=Sanfang(home), filing_process=False)  # the restart
    again.config["TESTING"] = False
    street = login(again, "street")
    page = text(street.get(done_url))
    assert "检查包已生成" in page and "保留至生成后 24 小时" in page
    assert street.get(f"{done_url}/bundle.zip").status_code == 200
    assert INTERRUPTED in text(street.get("/export/cutshort"))
    assert not (home / "exports" / "cutshort.zip").exists()
    listed = text(street.get("/export"))
    assert "我的导出" in listed and done_url in listed and "/export/cutshort" in listed

    # Past its time a finished ZIP goes, with its job; a younger one stays.
    jobs = again.extensions["sanfang-exports"]
    job_id = done_url.rsplit("/", 1)[1]
    old = jobs.get(job_id)
    old.finished_at = (datetime.now(UTC) - timedelta(hours=25)).isoformat(timespec="seconds")
    old.save()
    young = jobs.new("street")
    young.path.write_bytes(b"PK")
    jobs.finish(young, SimpleNamespace(records=1, pages=1, files=1, bytes=2, sha256="", transfer_ok=True, notes=[]))
    assert text(street.get("/export"))  # the export pages sweep
    assert not old.path.exists() and street.get(done_url).status_code == 404
    assert young.path.exists() and street.get(f"/export/{young.id}").status_code == 200
    settings = home / "settings.yaml"
    before = settings.read_text(encoding="utf-8") if settings.exists() else ""
    settings.write_text(before + "\nweb:\n  export_keep_hours: 0\n", encoding="utf-8")
    try:
        assert create_app(app_api=Sanfang(home), filing_process=False).extensions["sanfang-exports"].keep_hours == 0
        assert not young.path.exists()  # swept at start with no hours to keep
    finally:
        settings.write_text(before, encoding="utf-8") if before else settings.unlink()


HOLD = ("import sys\nfrom pathlib import Path\nfrom sanfang_docs.archive.locks import exclusive\n"
        "with exclusive(Path(sys.argv[1])):\n    print('held', flush=True)\n    sys.stdin.readline()\n")
READ = ("import sys\nfrom sanfang_docs.api import Sanfang\nprint(Sanfang(sys.argv[1]).read_scans())\n")


def test_ocr_of_the_queue_is_one_reader_across_processes(tmp_path) -> None:  # noqa: ANN001
    """The web app's background reader and a `sanfang watch` (or `sanfang intake`) elsewhere:
    while one process reads the queue the other waits, then reads what is still queued; two
    processes started together read each scan once between them."""
    import os
    import subprocess
    import sys

    site = make_site(tmp_path / "ws")
    home = site.api.workspace.home
    admin = site.api.accounts.get("admin")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in (str(Path.cwd()), os.environ.get("PYTHONPATH", "")) if p)}

    def queue(seed: int) -> None:
        for made in (site.own, site.other):
            results = site.api.upload_scan(made.record.archive_no, scan_of(made, seed), f"扫描{seed}.pdf", admin)
            assert [r.status for r in results] == ["已归档"], results
        assert len(site.api.intake_box.ocr_queue.jobs()) == 2

    queue(0)
    holder = subprocess.Popen([sys.executable, "-c", HOLD, str(home / ".intake" / "ocr.lock")],
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=env)
    try:
        assert holder.stdout.readline().strip() == "held"
        done: list[int] = []
        reader = threading.Thread(target=lambda: done.append(site.api.read_scans(admin)))
        reader.start()
        reader.join(2.0)
        assert reader.is_alive() and len(site.api.intake_box.ocr_queue.jobs()) == 2  # waiting, reading nothing
    finally:
        holder.communicate("\n", timeout=30)
    reader.join(300)
    assert done == [2] and site.api.intake_box.ocr_queue.jobs() == []

    queue(1)
    readers = [subprocess.Popen([sys.executable, "-c", READ, str(home)], stdout=subprocess.PIPE, text=True, env=env)
               for _ in range(2)]
    counts = sorted(int(r.communicate(timeout=300)[0].split()[-1]) for r in readers)
    assert counts == [0, 2], counts  # one read both; the other waited, then found none left
    checked = [(e["档号"], e["file"]) for e in site.api.archive.audit.read().intact_entries if e["event"] == "scan checked"]
    assert len(checked) == 4 and len(set(checked)) == 4  # each of the four scans read once
    site.app.extensions["sanfang-filer"].close()
