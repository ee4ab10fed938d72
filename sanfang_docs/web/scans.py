"""Scans, the quarantine and inspection bundles in the browser, over the scoped library calls
(``upload_scan``, ``quarantine_for`` …, ``export_for``): the library checks the caller's scope,
so a view cannot reach another organisation's record, quarantined file or bundle.

A bundle takes minutes for a large selection, so it is built in a background thread (its own
``Sanfang``, so its search index is not shared with the server's) while a page without
JavaScript refreshes itself every few seconds showing a ``<progress>`` bar; the finished ZIP is
downloaded only by the person who asked for it.
"""

from __future__ import annotations

import logging
import secrets
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from flask import Blueprint, abort, current_app, g, redirect, render_template, request, send_file, url_for

from ..api import Sanfang
from ..errors import NotFoundError, SanfangError
from .common import api

bp = Blueprint("scans", __name__)
log = logging.getLogger("sanfang.web")
FILTERS = (("kind", "文种"), ("status", "状态"), ("community", "社区"), ("compound", "小区"),
           ("date_from", "成文日期自"), ("date_to", "成文日期至"))


@bp.route("/record/<archive_no>/scan", methods=["POST"])
def upload(archive_no: str) -> Any:
    api().record(archive_no, g.caller)  # another scope's record: a 404 before the file is read
    sent = request.files.get("scan")
    if sent is None or not sent.filename:
        raise SanfangError("【扫描件】（scan）请选择要上传的文件")
    results = api().upload_scan(archive_no, sent.read(), sent.filename, g.caller)
    if any(r.archive_no for r in results):
        _read_later(str(api().workspace.home), g.caller)
    return render_template("scan_result.html", title="上传扫描件", archive_no=archive_no, results=results)


_reading = threading.Lock()


def _read_later(home: str, caller: Any) -> None:
    """OCR off the request (seconds a page), one reader at a time, each draining the queue, on
    its own ``Sanfang`` (as a bundle's) so the server's search index is not shared."""
    def read() -> None:
        with _reading:
            try:
                Sanfang(home).read_scans(caller)
            except Exception:  # noqa: BLE001 - the scan is filed; its text can be read again later
                log.exception("扫描件文字识别出错")

    threading.Thread(target=read, daemon=True, name="scan-ocr").start()


@bp.route("/quarantine")
def quarantine() -> Any:
    return render_template("quarantine.html", title="隔离区", items=_items())


@bp.route("/quarantine/<name>", methods=["POST"])
def handle(name: str) -> Any:
    _items()  # a clerk: 403, whatever the name
    if request.form.get("action") == "file":
        results = [api().quarantine_file_for(name, request.form.get("archive_no", ""), g.caller)]
    else:
        results = api().quarantine_retry_for(name, g.caller)
    if any(r.archive_no for r in results):
        _read_later(str(api().workspace.home), g.caller)
    return render_template("quarantine.html", title="隔离区", items=_items(), results=results)


@bp.route("/quarantine/<name>/file")
def quarantined(name: str) -> Any:
    _items()
    path = api().quarantined_file(name, g.caller)
    return send_file(path, as_attachment=True, download_name=path.name)


def _items() -> list[Any]:
    if g.caller.role not in ("street", "admin"):
        abort(403)
    return api().quarantine_for(g.caller)


# -- bundles -------------------------------------------------------------------------------------

@dataclass
class Job:
    owner: str
    path: Path
    done: int = 0
    total: int = 0
    label: str = "准备中"
    result: Any = None
    error: str = ""

    @property
    def finished(self) -> bool:
        return self.result is not None or bool(self.error)


def _jobs() -> dict[str, Job]:
    return current_app.extensions.setdefault("sanfang-exports", {})  # type: ignore[no-any-return]


@bp.route("/export", methods=["GET", "POST"])
def export() -> Any:
    if g.caller.role not in ("street", "admin"):
        abort(403)
    source = request.form if request.method == "POST" else request.args
    filters = {k: (source.get(k) or None) for k, _ in FILTERS}
    if request.method == "GET":
        return render_template("export.html", title="导出检查包", q=source.get("q", ""), filters=filters,
                               labels=FILTERS)
    running = next((k for k, j in _jobs().items() if j.owner == g.caller.user and not j.finished), None)
    if running:  # one bundle at a time a person: each takes both cores for a large selection
        return redirect(url_for("scans.job", job_id=running))
    job_id = secrets.token_urlsafe(12)
    folder = api().workspace.home / "exports"
    folder.mkdir(exist_ok=True)
    job = _jobs()[job_id] = Job(g.caller.user, folder / f"{job_id}.zip")
    threading.Thread(target=_run, args=(str(api().workspace.home), job, g.caller, source.get("q", ""), filters),
                     daemon=True, name=f"export-{job_id}").start()
    return redirect(url_for("scans.job", job_id=job_id))


def _run(home: str, job: Job, caller: Any, query: str, filters: dict[str, Any]) -> None:
    def progress(done: int, total: int, label: str) -> None:
        job.done, job.total, job.label = done, total, label

    try:
        job.result = Sanfang(home).export_for(job.path, caller, query, progress=progress, **filters)
    except SanfangError as exc:
        job.error = exc.message
    except Exception as exc:  # noqa: BLE001 - a bug: plain words on the page, never a traceback
        log.exception("导出检查包时出错")
        job.error = f"内部错误（{type(exc).__name__}），检查包未生成。请转交技术人员。"


def _job(job_id: str) -> Job:
    job = _jobs().get(job_id)
    if job is None or job.owner != g.caller.user:
        raise NotFoundError("没有这个导出任务")
    return job


@bp.route("/export/<job_id>")
def job(job_id: str) -> Any:
    return render_template("export_job.html", title="导出检查包", job=_job(job_id), job_id=job_id)


@bp.route("/export/<job_id>/bundle.zip")
def bundle(job_id: str) -> Any:
    job = _job(job_id)
    if job.result is None:
        raise NotFoundError("检查包尚未生成")
    return send_file(job.path, as_attachment=True, download_name="检查包.zip", mimetype="application/zip")
