"""The archive in the browser: browse street → community → compound → case, search, a record's
page (metadata, files, scans, audit trail, verify), downloads and page previews, a case's page.

Every view asks the library API with the caller; the API answers "not found" for a record
outside the caller's scope, so no view can show one, nor count it.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from flask import Blueprint, Response, g, render_template, request, send_file

from ..errors import NotFoundError
from .common import api

bp = Blueprint("archive", __name__)

LEVELS = (("street", "街道"), ("community", "社区"), ("compound", "小区"))


@bp.route("/archive")
def browse() -> Any:
    """One level of the tree at a time, chosen by the query (?street=…&community=…&compound=…)."""
    chosen = {k: request.args[k] for k, _ in LEVELS if request.args.get(k) is not None}
    records = [r for r in api().records(g.caller)
               if all(str(r.meta.get(k, "")) == v for k, v in chosen.items())]
    depth = len(chosen)
    if chosen and not records:
        raise NotFoundError("没有这一级的档案")
    path = [(label, chosen[k]) for k, label in LEVELS[:depth]]
    if depth < len(LEVELS):
        key, label = LEVELS[depth]
        counts: dict[str, int] = defaultdict(int)
        for r in records:
            counts[str(r.meta.get(key, ""))] += 1
        return render_template("browse.html", title="档案", path=path, chosen=chosen, level=label, key=key,
                               children=sorted(counts.items()), cases=None)
    cases: dict[str, list[Any]] = defaultdict(list)
    for r in records:
        cases[str(r.meta.get("case_id", ""))].append(r)
    return render_template("browse.html", title="档案", path=path, chosen=chosen, level="案卷", key="",
                           children=[], cases=sorted(cases.items()))


@bp.route("/search")
def search() -> Any:
    args = request.args
    filters = {k: (args.get(k) or None) for k in ("kind", "status", "community", "compound", "date_from", "date_to")}
    result = None
    if args.get("q") is not None or any(filters.values()):
        result = api().search(args.get("q", ""), limit=20, caller=g.caller, **filters)
    return render_template("search.html", title="检索", result=result, q=args.get("q", ""), filters=filters)


@bp.route("/record/<archive_no>")
def record(archive_no: str) -> Any:
    rec = api().record(archive_no, g.caller)
    report = api().verify(rec.archive_no) if request.args.get("verify") else None
    return render_template("record.html", title=str(rec.meta.get("题名", archive_no)), rec=rec,
                           meta=rec.meta, trail=api().audit_trail(rec.archive_no, g.caller),
                           pages=api().page_count(rec.archive_no, g.caller),
                           followers=api().followers(rec.archive_no, g.caller), report=report,
                           new=bool(request.args.get("new")))


@bp.route("/record/<archive_no>/file/<path:name>")
def download(archive_no: str, name: str) -> Any:
    path = api().record_file(archive_no, name, g.caller)
    return send_file(path, as_attachment=True, download_name=f"{archive_no}-{path.name}")


@bp.route("/record/<archive_no>/page/<int:page>.png")
def page(archive_no: str, page: int) -> Any:
    return Response(api().preview(archive_no, page, g.caller), mimetype="image/png",
                    headers={"Cache-Control": "private, max-age=3600"})


@bp.route("/case/<case_id>")
def case(case_id: str) -> Any:
    found = api().case(case_id, g.caller)
    return render_template("case.html", title=f"案卷 {found.case_id}", case_id=found.case_id,
                           records=found.records, followers=list(found.following.items()),
                           last=found.records[-1])
