"""``sanfang export``: a selection of the archive becomes one BagIt bag for an inspector.

``data/records/<档号>/`` the original files byte for byte (signed PDFs verify as they are),
``data/reading-copy.pdf`` (reading.py), ``data/checklist.pdf`` (checklist.py),
``data/transfer-report.{txt,json}`` (the DA/T 70 four checks of the selection, by verify/),
``data/trust/ca-certificates.pem`` (the certificates the signatures chain to) and
``data/manifest.json`` (each record's metadata and the SHA-256 of each file). Pages and files
are streamed, never held whole; the export is written to the audit log with the bag's SHA-256.
"""

from __future__ import annotations

import getpass
import json
import multiprocessing
import os
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta, timezone
from importlib.metadata import PackageNotFoundError, version
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from ..archive import Archive, Record
from ..errors import SanfangError
from ..search import Filters, Scope, SearchIndex
from ..signing.keys import KeyStore
from ..verify import Report, Verifier
from ..verify.files import pem
from ..workspace import Workspace
from . import checklist, reading
from .bag import Source, sha256_of, write_bag
from .select import Selection, as_of, payload_name, scan_names, scope_text, select

FORMAT = "sanfang-bundle/1"
CHINA = timezone(timedelta(hours=8))
# Metadata of each record that the manifest repeats (record.json itself is in the bag too).
META_KEYS = ("档号", "全宗号", "年度", "保管期限", "机构代码", "件号", "题名", "文种", "责任者", "主送", "成文日期",
             "street", "community", "compound", "case_id", "doc_key", "status")
OWNERS_BODY = {"owners_committee": "业主委员会", "property_management_committee": "物业管理委员会"}

Progress = Callable[[int, int, str], None]  # (steps done, steps in all, what is being done)


@dataclass
class ExportResult:
    path: Path
    records: int
    pages: int
    files: int
    bytes: int
    sha256: str
    transfer_ok: bool
    notes: list[str] = field(default_factory=list)
    checklist: list[dict[str, Any]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {**self.__dict__, "path": str(self.path)}


def export(ws: Workspace, archive: Archive, index: SearchIndex, target: Path, *, query: str = "",
           filters: Filters | None = None, scope: Scope | None = None, who: str | None = None,
           as_dir: bool = False, progress: Progress | None = None, jobs: int = 1) -> ExportResult:
    filters, scope = filters or Filters(), scope or Scope.everything()
    target = Path(os.path.abspath(target))
    if not as_dir and target.suffix.lower() != ".zip":
        raise SanfangError(f"检查包文件名应以 .zip 结尾（{target.name}）；要导出为目录请加 --dir")
    if not as_dir and target.exists():
        raise SanfangError(f"{target} 已存在，拒绝覆盖")
    if as_dir and target.exists() and (not target.is_dir() or any(target.iterdir())):
        raise SanfangError(f"{target} 已存在且不是空目录，拒绝覆盖")
    if not target.parent.is_dir():
        raise SanfangError(f"目录 {target.parent} 不存在")
    sel = select(archive, index, query, filters, scope)
    index.close()  # its searcher and decoded postings are not needed again here
    if not sel.records:
        raise SanfangError("没有符合条件的记录，未生成检查包。" + "".join(sel.notes))
    who = who or _user()
    when = as_of(archive, sel.records).astimezone(CHINA)
    files = {r.archive_no: _originals(r) for r in sel.records}
    n_files = sum(len(f) for f in files.values())
    # Count pages and merge (each part of the reading copy twice), check (each record), hash
    # (each original), and write every original, the 6 generated files and the 4 tag files.
    steps = Steps(progress, 3 * len(sel.records) + 2 * n_files + 10)
    with tempfile.TemporaryDirectory(dir=target.parent, prefix=".sanfang-export-") as tmp:
        work = Path(tmp)
        steps.label = "清点页数"
        entries = reading.plan(sel.records)
        sel.notes += [note for e in entries for note in e.skipped]
        n_parts = sum(len(e.parts) for e in entries)
        steps.total += 2 * n_parts - 2 * len(sel.records)
        steps(n_parts)
        # The DA/T 70 checks (signatures, renders: the slow part) run in a child process while
        # this one merges the reading copy; forked before any thread or open PDF exists here.
        checks = FourChecks(ws, archive, sel.archive_nos, scope_text(scope), jobs)
        steps.label = "合成阅读本"
        try:
            pages_total = reading.build(entries, when, _subtitle(sel), work / "reading-copy.pdf", work, steps)
        except BaseException:
            checks.cancel()
            raise
        pages = {e.record.archive_no: e.start for e in entries}
        steps.label = "检查清单"
        compounds = checklist.assess(archive, scope, sel.records, pages)
        (work / "checklist.pdf").write_bytes(checklist_pdf(compounds, when, sel))
        steps.label = "四性检测"
        report = checks.result()
        steps(len(sel.records))
        problems = sorted((p.archive_no, p.file, p.check, p.message) for p in report.problems)
        payload: dict[str, Source] = {
            "data/reading-copy.pdf": work / "reading-copy.pdf", "data/checklist.pdf": work / "checklist.pdf",
            "data/transfer-report.json": _json({"scope": scope_text(scope), "records": report.records,
                                                "ok": report.ok, "problems": [dict(zip(
                                                    ("档号", "file", "check", "message"), p, strict=True))
                                                    for p in problems]}),
            "data/transfer-report.txt": transfer_text(report.records, problems, when),
            "data/trust/ca-certificates.pem": b"".join(pem(c) for c in KeyStore(ws).trust_roots()),
        }
        steps.label = "计算摘要"
        digests: dict[str, tuple[str, int]] = {}
        for archive_no, originals in files.items():
            for bag_name, path in list(originals.items()):
                steps(1)
                try:
                    digests[bag_name] = sha256_of(path)
                except OSError:
                    # A registered file gone from the archive: the transfer report names it
                    # (完整性); the bag holds what there is, and says what it lacks.
                    del originals[bag_name]
                    sel.notes.append(f"{archive_no} 的 {path.name} 在档案中缺失，未能导出")
                    continue
                payload[bag_name] = path
        records = [_manifest_record(r, files[r.archive_no], digests, e) for r, e in zip(sel.records, entries,
                                                                                          strict=True)]
        generated = {n: sha256_of(s) for n, s in payload.items() if n not in digests}
        manifest = {
            "format": FORMAT, "title": "三方联动档案检查包", "as_of": when.isoformat(), "exported_by": who,
            "selection": sel.described(), "notes": sel.notes,
            "reading_copy": {"path": "data/reading-copy.pdf", "pages": pages_total},
            "transfer_report": {"ok": report.ok, "problems": len(problems)},
            "files": {n: {"sha256": d[0], "bytes": d[1]} for n, d in sorted(generated.items())},
            "records": records, "checklist": [c.as_dict() for c in compounds],
        }
        payload["data/manifest.json"] = _json(manifest)
        info = bag_info(ws, sel, who, when)
        steps.label = "写入检查包"
        sha = write_bag(target, payload, info, when, as_dir, digests, on_file=lambda: steps(1))
    archive.log_export(sel.archive_nos, str(target), sha256=sha, kind="dir" if as_dir else "zip",
                       selection=sel.described(), exported_by=who)
    size = sum(d[1] for d in digests.values()) + sum(d[1] for d in generated.values())
    return ExportResult(target, len(sel.records), pages_total, len(payload), size, sha, report.ok, sel.notes,
                        manifest["checklist"])


class FourChecks:
    """``Verifier.run_records`` in a forked child; ``result()`` waits for its report."""

    def __init__(self, ws: Workspace, archive: Archive, archive_nos: list[str], scope: str, jobs: int):
        ctx = multiprocessing.get_context("fork")
        self._recv, send = ctx.Pipe(duplex=False)
        self._proc = ctx.Process(target=_four_checks, args=(ws, archive, archive_nos, scope, jobs, send))
        self._proc.start()
        send.close()

    def result(self) -> Report:
        try:
            kind, value = self._recv.recv()
        except EOFError:
            kind, value = "error", "四性检测进程意外退出"
        finally:
            self._recv.close()
            self._proc.join()
        if kind == "error":
            raise SanfangError(f"四性检测未能完成，检查包未生成：{value}")
        return value

    def cancel(self) -> None:
        self._proc.terminate()
        self._proc.join()
        self._recv.close()


def _four_checks(ws: Workspace, archive: Archive, archive_nos: list[str], scope: str, jobs: int,
                 send: Connection) -> None:
    try:
        send.send(("ok", Verifier(ws, archive, jobs=jobs).run_records(archive_nos, scope)))
    except SanfangError as exc:
        send.send(("error", exc.message))
    except Exception as exc:  # noqa: BLE001 - reported by the parent, which has the terminal
        send.send(("error", f"{type(exc).__name__}: {exc}"))
    finally:
        send.close()


class Steps:
    """Counts steps for a progress bar; ``label`` says what is being done."""

    def __init__(self, progress: Progress | None, total: int):
        self.progress, self.total, self.done, self.label = progress, total, 0, ""

    def __call__(self, n: int = 1) -> None:
        self.done += n
        if self.progress:
            self.progress(min(self.done, self.total), self.total, self.label)


def _user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return str(os.getuid())


def _originals(record: Record) -> dict[str, Path]:
    """Bag path → file in the archive, for every registered file and record.json."""
    folder = f"data/records/{payload_name(record)}"
    scans = scan_names(record)
    names = sorted({*record.meta.get("files", {}), "record.json"})
    return {f"{folder}/{scans.get(n, n)}": record.path / n for n in names}


def _manifest_record(record: Record, originals: dict[str, Path], digests: dict[str, tuple[str, int]],
                     entry: reading.Entry) -> dict[str, Any]:
    files = [{"path": name, "original": path.relative_to(record.path).as_posix(), "sha256": digests[name][0],
              "bytes": digests[name][1]} for name, path in originals.items()]
    meta = {k: record.meta.get(k, "") for k in META_KEYS}
    if record.meta.get("signature"):
        meta["signature"] = record.meta["signature"]
    return {**meta, "folder": f"data/records/{payload_name(record)}",
            "reading_copy": {"start": entry.start, "pages": entry.pages}, "files": files}


def _subtitle(sel: Selection) -> str:
    return "；".join(f"{k}：{v}" for k, v in sel.described().items()) + f"；共 {len(sel.records)} 件"


def checklist_pdf(compounds: list[checklist.Compound], when: Any, sel: Selection) -> bytes:
    from .typeset import typeset

    data = checklist.pdf_data(compounds, lambda key: OWNERS_BODY.get(key, key))
    return typeset("checklist", "三方联动示范点检查清单", when, data, subtitle=_subtitle(sel),
                   footer="检查清单 第", numbering="1")


def transfer_text(records: int, problems: list[tuple[str, str, str, str]], when: Any) -> bytes:
    lines = ["移交检测报告（DA/T 70 四性检测：真实性、完整性、可用性、安全性）",
             f"检测对象：本检查包所含 {records} 条记录（档案截至 {when:%Y-%m-%d %H:%M}）"]
    if problems:
        lines.append(f"结论：发现 {len(problems)} 个问题")
        lines += [f"{no}  {file}  【{check}】{msg}" for no, file, check, msg in problems]
    else:
        lines.append("结论：四项检测均未发现问题")
    return ("\n".join(lines) + "\n").encode("utf-8")


def bag_info(ws: Workspace, sel: Selection, who: str, when: Any) -> list[tuple[str, str]]:
    try:
        agent = f"sanfang-docs {version('sanfang-docs')}"
    except PackageNotFoundError:
        agent = "sanfang-docs"
    return [("Source-Organization", f"全宗 {ws.setting('fonds_id')}"), ("Contact-Name", who),
            ("Bagging-Date", when.date().isoformat()), ("Bag-Software-Agent", agent),
            ("External-Description", f"三方联动档案检查包：{len(sel.records)} 条记录"),
            ("Sanfang-Exported-By", who), ("Sanfang-As-Of", when.isoformat()),
            ("Sanfang-Selection", "；".join(f"{k}={v}" for k, v in sel.described().items())),
            ("Sanfang-Records", str(len(sel.records)))]


def _json(data: Any) -> bytes:
    return (json.dumps(data, ensure_ascii=False, indent=2) + "\n").encode("utf-8")

