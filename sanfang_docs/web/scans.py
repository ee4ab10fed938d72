"""Scans, the quarantine and inspection bundles in the browser, over the scoped library calls
(``upload_scan``, ``quarantine_for`` …, ``export_for``): the library checks the caller's scope,
so a view cannot reach another organisation's record, quarantined file or bundle.

A bundle takes minutes for a large selection, so it is built in a background thread (its own
``Sanfang``, so its search index is not shared with the server's) while a page without
JavaScript refreshes itself every few seconds showing a ``<progress>`` bar; the finished ZIP is
downloaded only by the person who asked for it. Jobs are kept on disk (jobs.py): a restart
shows them finished or failed, and finished ZIPs go after ``web: export_keep_hours``.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

from flask import Blueprint, abort, current_app, g, redirect, render_template, request, send_file, url_for

from ..api import Sanfang
from ..errors import NotFoundError, SanfangError
from .common import api
from .jobs import Job, Jobs

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


def _read_later(home: str, caller: Any) -> None:
    """OCR off the request (seconds a page) on its own ``Sanfang`` (as a bundle's) so the
    server's search index is not shared. One reader at a time, across threads and processes (a
    running `sanfang watch` too): ``run_ocr`` waits for the queue's lock, then drains it."""
    def read() -> None:
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

def _jobs() -> Jobs:
    return current_app.extensions["sanfang-exports"]  # type: ignore[no-any-return]


@bp.route("/export", methods=["GET", "POST"])
def export() -> Any:
    if g.caller.role not in ("street", "admin"):
        abort(403)
    jobs = _jobs()
    jobs.sweep()
    source = request.form if request.method == "POST" else request.args
    filters = {k: (source.get(k) or None) for k, _ in FILTERS}
    mine = jobs.of(g.caller.user)
    if request.method == "GET":
        return render_template("export.html", title="导出检查包", q=source.get("q", ""), filters=filters,
                               labels=FILTERS, jobs=mine, keep_hours=jobs.keep_hours)
    running = next((j for j in mine if not j.finished), None)
    if running:  # one bundle at a time a person: each takes both cores for a large selection
        return redirect(url_for("scans.job", job_id=running.id))
    job = jobs.new(g.caller.user)
    threading.Thread(target=_run, args=(str(api().workspace.home), jobs, job, g.caller, source.get("q", ""), filters),
                     daemon=True, name=f"export-{job.id}").start()
    return redirect(url_for("scans.job", job_id=job.id))


def _run(home: str, jobs: Jobs, job: Job, caller: Any, query: str, filters: dict[str, Any]) -> None:
    try:
        result = Sanfang(home).export_for(job.path, caller, query,
                                          progress=lambda *a: jobs.progress(job, *a), **filters)
    except SanfangError as exc:
        jobs.finish(job, error=exc.message)
    except Exception as exc:  # noqa: BLE001 - a bug: plain words on the page, never a traceback
        log.exception("导出检查包时出错")
        jobs.finish(job, error=f"内部错误（{type(exc).__name__}），检查包未生成。请转交技术人员。")
    else:
        jobs.finish(job, result)


def open_jobs(app_api: Sanfang) -> Jobs:
    """The export jobs of the app's workspace, finished ones past their time removed."""
    keep = (app_api.workspace_settings().get("web") or {}).get("export_keep_hours", 24)
    try:
        hours = float(keep)
    except (TypeError, ValueError):
        raise SanfangError(f"设置文件中 web: export_keep_hours 应是小时数（如 24），现为“{keep}”") from None
    jobs = Jobs(app_api.workspace.home / "exports", hours)
    jobs.sweep()
    return jobs


def _job(job_id: str) -> Job:
    job = _jobs().get(job_id)
    if job is None or job.owner != g.caller.user:
        raise NotFoundError("没有这个导出任务（或已过保存期限被清理）")
    return job


@bp.route("/export/<job_id>")
def job(job_id: str) -> Any:
    return render_template("export_job.html", title="导出检查包", job=_job(job_id), job_id=job_id,
                           keep_hours=_jobs().keep_hours)


@bp.route("/export/<job_id>/bundle.zip")
def bundle(job_id: str) -> Any:
    job = _job(job_id)
    if job.result is None or not job.path.is_file():
        raise NotFoundError("检查包尚未生成，或已过保存期限被清理")
    return send_file(job.path, as_attachment=True, download_name="检查包.zip", mimetype="application/zip")
