"""``sanfang verify``: the four checks of DA/T 70 over the archive, one line per problem.

- 真实性 (authenticity): every PDF signature intact, trusted and covering the whole file; every
  file's SHA-256 as registered; record.json as the audit log last recorded it.
- 完整性 (integrity): no file or record missing, no 件号 gap or duplicate, the audit chain whole.
- 可用性 (usability): every file opens (PDFs also render, DOCX and JSON parse).
- 安全性 (security): no unexpected files, nothing group- or world-writable, private keys private.

Which digests to trust: record.json lists them, and the audit log holds record.json's own
hash (it cannot hold itself). If record.json still matches the log it is used; if not, it is
reported, and the digests the log registered at filing are used for the other files, so a
changed record.json is never mistaken for changed documents. Every event about a record is
required to be in the log intact, so a removed or edited line names the record it was about.
"""

from __future__ import annotations

import json
import os
import re
import stat
import time
from collections import defaultdict
from collections.abc import Iterable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from ..archive.audit import LOG_NAME
from ..archive.store import STATUS_GENERATED, Archive, sha256_hex
from ..errors import NotFoundError
from ..signing.keys import KeyStore
from ..workspace import Workspace
from . import files as verify_files
from .files import AUTHENTICITY, INTEGRITY, SECURITY

ARCHIVE_NO = re.compile(r"^(?P<fonds>[^-/]+)-WS·(?P<year>\d{4})-(?P<ret>Y|D30|D10)-(?P<org>[A-Za-z0-9]+)-(?P<item>\d{4})$")
# Entries of archive/ itself that are the archive's own machinery, not records.
ROOT_ENTRIES = {LOG_NAME, ".audit-head", ".lock", ".counters", ".tmp", ".pending", ".reserved", "README.md",
                ".doc-numbers.jsonl"}  # the 发文字号 register (archive/doc_numbers.py)


@dataclass(frozen=True)
class Problem:
    archive_no: str  # the record concerned, "-" for none
    file: str  # a file of the record ("document.pdf"), else a path under archive/
    check: str  # 真实性 / 完整性 / 可用性 / 安全性
    message: str

    def as_text(self) -> str:
        return f"{self.archive_no}  {self.file}  【{self.check}】{self.message}"


@dataclass
class Report:
    scope: str
    records: int = 0
    problems: list[Problem] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return not self.problems

    def as_dict(self) -> dict[str, Any]:
        return {"scope": self.scope, "ok": self.ok, "records": self.records, "seconds": round(self.seconds, 3),
                "problems": [asdict(p) for p in self.problems]}


@dataclass
class Trail:
    """What the intact audit entries say about one record."""

    events: list[dict[str, Any]] = field(default_factory=list)
    files: dict[str, str] = field(default_factory=dict)  # name → sha256 as registered
    record: str = ""  # its folder, relative to archive/

    @property
    def last_record_sha(self) -> str:
        shas = [e.get("record_sha256") for e in self.events if e.get("record_sha256")]
        return str(shas[-1]) if shas else ""


class Verifier:
    def __init__(self, workspace: Workspace, archive: Archive | None = None, jobs: int = 1):
        self.ws = workspace
        self.archive = archive or Archive(workspace)
        self.root = self.archive.root
        self.keys = KeyStore(workspace)
        self.jobs = max(1, jobs)

    def run(self, target: str | None = None) -> Report:
        started = time.perf_counter()
        if target is None:
            report = self._verify(None, "全部档案")
        else:
            path = Path(target)
            if path.exists() and not _inside(path, self.root):
                report = self._outside_pdf(path)
            elif path.exists():
                report = self._verify({_record_dir_of(path.resolve(), self.root.resolve()).name}, target)
            else:
                report = self._verify({target}, target)
        report.seconds = time.perf_counter() - started
        return report

    def run_records(self, archive_nos: Iterable[str], scope: str) -> Report:
        """The checks for several records at once (an export's selection), in one snapshot."""
        started = time.perf_counter()
        report = self._verify(set(archive_nos), scope)
        report.seconds = time.perf_counter() - started
        return report

    # -- one snapshot, then the checks -------------------------------------------------------

    def _verify(self, only: set[str] | None, scope: str) -> Report:
        # Under the archive lock: finish whatever a crashed writer left, then take the audit
        # log and the list of records as one consistent picture. The slow checks run after.
        with self.archive._locked(reading=True):
            self.archive._recover()
            log_bytes = self.archive.audit.path.read_bytes() if self.archive.audit.path.exists() else b""
            head = self.archive.audit.head()
            dirs, problems = self._walk()
        chain = self.archive.audit.check(log_bytes, head)
        trails = _trails(chain.intact_entries)
        on_disk = {d.name: d for d in dirs}
        unknown = sorted(n for n in only or () if n not in on_disk and n not in trails)
        if unknown:
            raise NotFoundError(f"档案中没有档号为 {'、'.join(unknown)} 的记录，审计日志中也没有")
        roots = [verify_files.pem(c) for c in self.keys.trust_roots()]
        by_id = {str(e.get("id")): e for e in chain.intact_entries}
        tasks, lost = [], set()
        # Every record is weighed against the log (cheap: record.json only), even when only
        # one is checked, so that a break in the chain is blamed on the right record.
        for name, folder in sorted(on_disk.items()):
            task, audit_fault = self._task(name, folder, trails.get(name), by_id, bool(chain.breaks))
            if only is None or name in only:
                tasks.append(task)
            if audit_fault:
                lost.add(name)
                problems.append(Problem(name, LOG_NAME, INTEGRITY, "审计日志中缺少该记录的事件（被删除或改动）"))
        problems += self._run_tasks(tasks, roots)
        problems += _chain_problems(chain.breaks, chain.lines, lost)
        problems += self._missing_records(on_disk, trails)
        problems += _item_gaps(on_disk, trails)
        problems += self._key_permissions()
        if only is not None:
            problems = [p for p in problems if p.archive_no in only]
        return Report(scope, len(tasks), _unique(problems))

    def _task(self, name: str, folder: Path, trail: Trail | None, by_id: dict[str, dict[str, Any]],
              broken: bool) -> tuple[dict[str, Any], bool]:
        """What one record's worker needs, and whether the audit log lost an event of it.

        record.json names the log entry that last wrote it (``audit_event``). That entry
        intact but with another hash: record.json was changed. That entry not in the log:
        the log lost it; but with the log whole, record.json's pointer was what changed.
        """
        meta_bytes = _read(folder / "record.json")
        meta = _json(meta_bytes)
        meta_sha = sha256_hex(meta_bytes) if meta_bytes is not None else ""
        own = {k: str(v.get("sha256", "")) for k, v in (meta.get("files") or {}).items()
               if isinstance(v, dict)} if isinstance(meta, dict) else {}
        problems: list[Problem] = []
        entry = by_id.get(str(meta.get("audit_event"))) if isinstance(meta, dict) else None
        trusted, audit_fault = False, False
        if meta_bytes is None:
            pass  # the worker reports it missing
        elif entry is not None:
            trusted = entry.get("record_sha256") == meta_sha
            if not trusted:
                problems.append(Problem(name, "record.json", AUTHENTICITY, "与审计日志记载的不符：被改动"))
            elif not _events_complete(meta, trail or Trail()):
                audit_fault = True
        elif isinstance(meta, dict) and broken:
            audit_fault = True  # record.json is as the lost entry left it, as far as anyone can tell
        elif trail:  # the log is whole, so record.json's pointer into it was changed
            problems.append(Problem(name, "record.json", AUTHENTICITY, "与审计日志记载的不符：被改动"))
        else:
            problems.append(Problem(name, "record.json", AUTHENTICITY,
                                    "未经登记：审计日志中没有这条记录的任何事件"))
        # Which digests the files must have: record.json's list when the log vouches for it;
        # when the log lost events, record.json is the best witness left; when record.json
        # was changed, only what the log registered counts.
        logged = dict(trail.files) if trail else {}
        if trusted:
            registered = {**logged, **own}
        elif audit_fault or not logged:
            registered = {**own, **logged}
        else:
            registered = logged
        if isinstance(meta, dict) and meta.get("档号") not in (None, name):
            problems.append(Problem(name, "record.json", AUTHENTICITY, f"记载的档号 {meta.get('档号')} 与目录名不符"))
        signature = meta.get("signature") if isinstance(meta, dict) and trusted else None
        signer = (signature or {}).get("certificate_sha256") or _signed_fingerprint(trail)
        return {"name": name, "folder": str(folder), "registered": registered, "signer": signer,
                "problems": [asdict(p) for p in problems]}, audit_fault

    def _run_tasks(self, tasks: list[dict[str, Any]], roots: list[bytes]) -> list[Problem]:
        if self.jobs > 1 and len(tasks) > 1:
            with ProcessPoolExecutor(self.jobs, initializer=verify_files.init, initargs=(roots,)) as pool:
                results = list(pool.map(verify_files.check_record, tasks, chunksize=16))
        else:
            verify_files.init(roots)
            results = [verify_files.check_record(t) for t in tasks]
        return [Problem(**p) for result in results for p in result]

    def _walk(self) -> tuple[list[Path], list[Problem]]:
        """Record folders (archive/YYYY/MM/DD/<档号>/), and anything that should not be there."""
        dirs: list[Path] = []
        problems: list[Problem] = []
        if not self.root.exists():
            return dirs, problems
        for entry in sorted(self.root.iterdir()):
            if entry.name in ROOT_ENTRIES or entry.name.startswith("."):
                continue
            if not (entry.is_dir() and re.fullmatch(r"\d{4}", entry.name)):
                problems.append(Problem("-", entry.name, SECURITY, "档案目录中不应有此文件或目录"))
                continue
            for level in _walk_levels(entry, problems, self.root):
                if ARCHIVE_NO.match(level.name) and level.is_dir():
                    dirs.append(level)
                else:
                    problems.append(Problem("-", level.relative_to(self.root).as_posix(), SECURITY,
                                            "不是档号格式的记录目录，档案中不应有它"))
        problems += _writable(self.root, self.root, "-")
        return dirs, problems

    def _missing_records(self, on_disk: dict[str, Path], trails: dict[str, Trail]) -> list[Problem]:
        return [Problem(name, trail.record or name, INTEGRITY, "整条记录缺失：审计日志登记过它，磁盘上没有")
                for name, trail in sorted(trails.items()) if name not in on_disk
                and any(e.get("event") == "created" for e in trail.events)]

    def _key_permissions(self) -> list[Problem]:
        keys = self.ws.keys_dir
        if not keys.is_dir():
            return []
        problems = []
        for path in [keys, *keys.rglob("*")]:
            mode = path.stat().st_mode
            if mode & (stat.S_IRWXG | stat.S_IRWXO) and path.name != ".lock":
                problems.append(Problem("-", f"keys/{path.relative_to(keys).as_posix()}".rstrip("/."), SECURITY,
                                        f"密钥文件权限过宽（{stat.filemode(mode)}），应只有所有者可读写"))
        return problems

    def _outside_pdf(self, path: Path) -> Report:
        """A PDF from outside the archive (a copy sent back): its signatures, and whether it is
        the same file as the archived one with the 档号 its XMP names."""
        verify_files.init([verify_files.pem(c) for c in self.keys.trust_roots()])
        data = path.read_bytes()
        problems = [Problem(p["archive_no"], path.name, p["check"], p["message"])
                    for p in verify_files.check_pdf("-", path.name, data, None)]
        archive_no = verify_files.pdf_archive_no(data)
        report = Report(str(path), 0)
        if archive_no:
            try:
                record = self.archive.get(archive_no)
            except NotFoundError:
                problems.append(Problem(archive_no, path.name, AUTHENTICITY, "文件中的档号在本档案中不存在"))
            else:
                report.records = 1
                if sha256_hex(data) != sha256_hex(record.file("document.pdf").read_bytes()):
                    problems.append(Problem(archive_no, path.name, AUTHENTICITY,
                                            "与档案中同一档号的 PDF 不一致（不是归档的那一份）"))
        report.problems = _unique([Problem(archive_no or p.archive_no, p.file, p.check, p.message) for p in problems])
        return report


# -- helpers ---------------------------------------------------------------------------------


def _trails(entries: list[dict[str, Any]]) -> dict[str, Trail]:
    trails: dict[str, Trail] = defaultdict(Trail)
    for entry in entries:
        name = entry.get("档号")
        if not name:
            continue
        trail = trails[str(name)]
        trail.events.append(entry)
        trail.record = str(entry.get("record") or trail.record)
        if entry.get("event") == "created":
            trail.files.update({k: str(v) for k, v in (entry.get("files") or {}).items()})
        elif entry.get("event") == "scan attached" and entry.get("file"):
            trail.files[str(entry["file"])] = str(entry.get("sha256", ""))
    return dict(trails)


def _events_complete(meta: Any, trail: Trail) -> bool:
    """Every event the record's own state implies is in the log: created; signed if signed;
    one scan attached per scan."""
    kinds = [e.get("event") for e in trail.events]
    if "created" not in kinds or not isinstance(meta, dict):
        return False
    if (meta.get("signature") or meta.get("status") not in (None, STATUS_GENERATED)) and "signed" not in kinds:
        return False
    scans = {e.get("file") for e in trail.events if e.get("event") == "scan attached"}
    return all(name in scans for name in (meta.get("files") or {}) if name.startswith("scans/"))


def _signed_fingerprint(trail: Trail | None) -> str:
    for entry in reversed(trail.events if trail else []):
        if entry.get("event") == "signed":
            return str(entry.get("certificate_sha256", ""))
    return ""


def _chain_problems(breaks: list[tuple[int, str, str]], lines: list[Any], lost: set[str]) -> list[Problem]:
    """One problem per break in the chain, naming the record whose event was lost when that is
    unambiguous. A removed line leaves no content to name it by; a changed line may still say
    which record it was about, and a re-hashed one is named by the link after it."""
    out = []
    for number, kind, message in breaks:
        who = next(iter(lost)) if len(lost) == 1 else "-"
        source = {"corrupt": number, "relinked": number - 1}.get(kind, 0)
        if who == "-" and 0 < source <= len(lines) and lines[source - 1].entry:
            who = str(lines[source - 1].entry.get("档号") or "-")
        out.append(Problem(who, LOG_NAME, INTEGRITY, f"第 {number} 行：{message}" if number else message))
    return out


def _item_gaps(on_disk: dict[str, Path], trails: dict[str, Trail]) -> list[Problem]:
    """件号 run 1, 2, 3 … without gaps or repeats within one 全宗号 + 年度 + 保管期限."""
    series: dict[tuple[str, str, str], dict[int, list[str]]] = defaultdict(lambda: defaultdict(list))
    for name in on_disk:
        m = ARCHIVE_NO.match(name)
        if m:
            series[(m["fonds"], m["year"], m["ret"])][int(m["item"])].append(name)
    known = {n for n, t in trails.items() if any(e.get("event") == "created" for e in t.events)}
    problems = []
    for (fonds, year, ret), items in sorted(series.items()):
        for item in range(1, max(items) + 1):
            names = items.get(item, [])
            if len(names) > 1:
                problems += [Problem(n, "-", INTEGRITY, f"件号 {item:04d} 重复（{'、'.join(sorted(names))}）")
                             for n in sorted(names)]
            elif not names:
                lost = [n for n in known if n.startswith(f"{fonds}-WS·{year}-{ret}-") and n.endswith(f"-{item:04d}")]
                if not lost:  # a lost record the log knows is reported by name already
                    problems.append(Problem(f"{fonds}-WS·{year}-{ret}-*-{item:04d}", "-", INTEGRITY,
                                            f"件号 {item:04d} 缺失（{fonds} {year} 年 {ret} 的件号不连续）"))
    return problems


def _walk_levels(year: Path, problems: list[Problem], root: Path) -> list[Path]:
    """The 档号 folders under archive/YYYY/MM/DD/, reporting strays at the MM and DD levels."""
    found = []
    for month in sorted(year.iterdir()):
        if not (month.is_dir() and re.fullmatch(r"\d{2}", month.name)):
            problems.append(Problem("-", month.relative_to(root).as_posix(), SECURITY, "档案目录中不应有此文件或目录"))
            continue
        for day in sorted(month.iterdir()):
            if not (day.is_dir() and re.fullmatch(r"\d{2}", day.name)):
                problems.append(Problem("-", day.relative_to(root).as_posix(), SECURITY, "档案目录中不应有此文件或目录"))
                continue
            found.extend(sorted(day.iterdir()))
    return found


def _writable(path: Path, root: Path, who: str) -> list[Problem]:
    """The archive's own folders (records check their files themselves)."""
    out = []
    for folder in [path, *[p for p in path.glob("[0-9][0-9][0-9][0-9]/**") if p.is_dir() and p.parent.name != "scans"
                           and not ARCHIVE_NO.match(p.name)]]:
        if folder.stat().st_mode & (stat.S_IWGRP | stat.S_IWOTH):
            out.append(Problem(who, folder.relative_to(root).as_posix() or ".", SECURITY,
                               f"目录可被他人写入（{stat.filemode(folder.stat().st_mode)}）"))
    return out


def _record_dir_of(path: Path, root: Path) -> Path:
    for candidate in [path, *path.parents]:
        if ARCHIVE_NO.match(candidate.name):
            return candidate
        if candidate == root:
            break
    raise NotFoundError(f"{path} 不在任何一条记录的目录中")


def _inside(path: Path, root: Path) -> bool:
    try:
        path.resolve().relative_to(root.resolve())
        return True
    except ValueError:
        return False


def _read(path: Path) -> bytes | None:
    try:
        return path.read_bytes()
    except (FileNotFoundError, IsADirectoryError, PermissionError):
        return None


def _json(data: bytes | None) -> Any:
    try:
        return json.loads(data) if data is not None else None
    except ValueError:
        return None


def _unique(problems: list[Problem]) -> list[Problem]:
    return list(dict.fromkeys(problems))


def default_jobs() -> int:
    return min(2, os.cpu_count() or 1)
