"""``sanfang verify-bundle``: is this bag whole, unchanged and ours?

The bag's own tag files (bagit.txt, the tag manifest, Payload-Oxum), every payload checksum,
nothing missing and nothing added, data/manifest.json against the content (and each
record.json's registered digests against its files), every signature of every original PDF
against the certificates in the bag, and the reading copy's page count. Each finding is one
Chinese line naming the file; a truncated, renamed, tampered or foreign bundle is a finding,
never a traceback. Files are read one at a time (memory stays flat).
"""

from __future__ import annotations

import json
import re
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..archive import sha256_hex
from ..errors import NotFoundError
from ..verify import files as verify_files
from .bag import BAG_INFO, BAGIT, MANIFEST, TAGMANIFEST, Bag, BagError
from .export import FORMAT

LINE = re.compile(r"^([0-9a-fA-F]{64}) [ *]?(\S.*)$")
WHOLE = "检查包"


@dataclass
class BundleReport:
    path: Path
    records: int = 0
    files: int = 0
    signatures: int = 0
    problems: list[tuple[str, str]] = field(default_factory=list)  # (file, message)
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return not self.problems

    def add(self, file: str, message: str) -> None:
        self.problems.append((file, message))

    def as_dict(self) -> dict[str, Any]:
        return {"path": str(self.path), "ok": self.ok, "records": self.records, "files": self.files,
                "signatures": self.signatures, "seconds": round(self.seconds, 3),
                "problems": [{"file": f, "message": m} for f, m in self.problems]}

    def lines(self) -> list[str]:
        return [f"【{f}】{m}" for f, m in self.problems]


def verify_bundle(path: str | Path, jobs: int = 1) -> BundleReport:
    """``jobs``: processes that check signatures (the slow part)."""
    started = time.perf_counter()
    path = Path(path)
    if not path.exists():
        raise NotFoundError(f"找不到检查包 {path}")
    report = BundleReport(path)
    try:
        bag = Bag.open(path)
    except BagError as exc:
        report.add(WHOLE, exc.message)
        return report
    try:
        _check(bag, report, jobs)
    except BagError as exc:
        report.add(WHOLE, exc.message)
    finally:
        bag.close()
    report.seconds = time.perf_counter() - started
    return report


def _manifest_lines(bag: Bag, name: str, report: BundleReport) -> dict[str, str]:
    out = {}
    for n, line in enumerate(bag.read(name).decode("utf-8", errors="replace").splitlines(), 1):
        m = LINE.match(line)
        if not m:
            report.add(name, f"第 {n} 行不是“SHA-256 两个空格 文件名”的格式")
            continue
        out[m.group(2)] = m.group(1).lower()
    return out


def _check(bag: Bag, report: BundleReport, jobs: int) -> None:
    names = set(bag.names)
    if BAGIT not in names or not bag.read(BAGIT).startswith(b"BagIt-Version:"):
        report.add(BAGIT, "缺少或不是 BagIt 声明：这不是 BagIt 检查包")
        return
    for required in (MANIFEST, BAG_INFO, TAGMANIFEST):
        if required not in names:
            report.add(required, "缺少此标签文件：检查包不完整或不是本系统导出的")
    if MANIFEST not in names:
        return
    if TAGMANIFEST in names:
        tags = _manifest_lines(bag, TAGMANIFEST, report)
        for name in (BAGIT, BAG_INFO, MANIFEST):
            if name in names and name not in tags:
                report.add(TAGMANIFEST, f"没有列出 {name} 的校验值")
        for name, digest in sorted(tags.items()):
            if name not in names:
                report.add(name, "标签清单列出的文件不存在（被删除或改名）")
            elif bag.digest(name)[0] != digest:
                report.add(name, "SHA-256 与标签清单不符：被改动")
    listed = _manifest_lines(bag, MANIFEST, report)
    payload = {n for n in names if n.startswith("data/")}
    for name in sorted(set(listed) - payload):
        report.add(name, "清单列出的文件不存在（被删除或改名）")
    for name in sorted(payload - set(listed)):
        report.add(name, "清单中没有此文件（被添加或改名）")
    actual: dict[str, tuple[str, int]] = {}
    manifest = _read_manifest(bag, report) if "data/manifest.json" in payload else None
    if manifest is None and "data/manifest.json" not in payload:
        report.add("data/manifest.json", "缺少：这不是本系统导出的检查包")
    signers = {n: s for n, s in _signers(manifest).items() if n in payload}
    signed = _signatures(bag, signers, _roots(bag, report), jobs)
    for name in sorted(payload):
        if name in signed:
            actual[name], problems = signed[name]
            report.signatures += bool(signers[name])
            for check, message in problems:
                report.add(name, f"【{check}】{message}")
        else:
            actual[name] = bag.digest(name)
        if name in listed and actual[name][0] != listed[name]:
            report.add(name, "SHA-256 与清单不符：被改动或损坏")
    report.files = len(payload)
    _oxum(bag, actual, report)
    if manifest is not None:
        _against_manifest(bag, manifest, actual, report)


def _read_manifest(bag: Bag, report: BundleReport) -> dict[str, Any] | None:
    try:
        manifest = json.loads(bag.read("data/manifest.json"))
    except ValueError:
        report.add("data/manifest.json", "不是有效的 JSON")
        return None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        report.add("data/manifest.json", f"格式不是 {FORMAT}：这不是本系统导出的检查包")
        return None
    return manifest


def _signers(manifest: dict[str, Any] | None) -> dict[str, str]:
    """Each original PDF → the certificate fingerprint its record registered ("" if unsigned)."""
    out = {}
    for rec in (manifest or {}).get("records", []):
        sig = rec.get("signature") if isinstance(rec, dict) else None
        folder = rec.get("folder", "") if isinstance(rec, dict) else ""
        out[f"{folder}/document.pdf"] = str((sig or {}).get("certificate_sha256", "")) if sig else ""
    return out


def _roots(bag: Bag, report: BundleReport) -> list[bytes]:
    name = "data/trust/ca-certificates.pem"
    if name not in bag.names:
        report.add(name, "缺少签名证书，签名无法核验")
        return []
    data = bag.read(name)
    return [m.group(0) for m in re.finditer(rb"-----BEGIN CERTIFICATE-----.+?-----END CERTIFICATE-----\n?",
                                            data, re.S)]


def _signatures(bag: Bag, signers: dict[str, str], roots: list[bytes],
                jobs: int) -> dict[str, tuple[tuple[str, int], list[tuple[str, str]]]]:
    """Each original PDF's digest and signature findings, in ``jobs`` worker processes (each
    opens the bag itself, so only names and findings cross between processes)."""
    tasks = sorted(signers.items())
    if jobs > 1 and len(tasks) > 1:
        with ProcessPoolExecutor(jobs, initializer=_init_worker, initargs=(str(bag.path), roots)) as pool:
            results = list(pool.map(_check_signed, tasks, chunksize=8))
    else:
        _WORKER["bag"] = bag
        verify_files.init(roots)
        results = [_check_signed(t) for t in tasks]
    return {name: result for (name, _), result in zip(tasks, results, strict=True)}


_WORKER: dict[str, Bag] = {}


def _init_worker(path: str, roots: list[bytes]) -> None:
    _WORKER["bag"] = Bag.open(Path(path))
    verify_files.init(roots)


def _check_signed(task: tuple[str, str]) -> tuple[tuple[str, int], list[tuple[str, str]]]:
    name, signer = task
    data = _WORKER["bag"].read(name)
    if not signer:
        return (sha256_hex(data), len(data)), []  # an unsigned record (状态 生成): nothing to verify
    # Rendering (usability) was checked at export, in the transfer report; the digests pin
    # the bytes since, so only the signatures are checked again (half the time).
    found = verify_files.check_pdf(name, name, data, signer, render=False)
    return (sha256_hex(data), len(data)), [(p["check"], p["message"]) for p in found]


def _oxum(bag: Bag, actual: dict[str, tuple[str, int]], report: BundleReport) -> None:
    if BAG_INFO not in bag.names:
        return
    info = bag.read(BAG_INFO).decode("utf-8", errors="replace")
    m = re.search(r"^Payload-Oxum:\s*(\d+)\.(\d+)\s*$", info, re.M)
    want = f"{sum(s for _, s in actual.values())}.{len(actual)}"
    if not m:
        report.add(BAG_INFO, "缺少 Payload-Oxum（内容的总字节数和文件数）")
    elif f"{m.group(1)}.{m.group(2)}" != want:
        report.add(BAG_INFO, f"Payload-Oxum 记载 {m.group(1)} 字节、{m.group(2)} 个文件，实有 {want.replace('.', ' 字节、')} 个文件")


def _against_manifest(bag: Bag, manifest: dict[str, Any], actual: dict[str, tuple[str, int]],
                      report: BundleReport) -> None:
    described = {}
    for name, info in (manifest.get("files") or {}).items():
        described[name] = str(info.get("sha256", ""))
    records = manifest.get("records") or []
    report.records = len(records)
    for rec in records:
        folder = str(rec.get("folder", ""))
        no = str(rec.get("档号", ""))
        if folder != f"data/records/{no.replace('·', '.')}":
            report.add(folder or "data/manifest.json", f"目录名与档号 {no} 不符（被改名）")
        for f in rec.get("files") or []:
            described[str(f.get("path", ""))] = str(f.get("sha256", ""))
        _record_json(bag, rec, actual, report)
    for name, digest in sorted(described.items()):
        if name not in actual:
            report.add(name, "manifest.json 列出的文件不在检查包中")
        elif actual[name][0] != digest:
            report.add(name, "SHA-256 与 manifest.json 记载的不符")
    for name in sorted(actual):
        if name != "data/manifest.json" and name not in described:
            report.add(name, "manifest.json 中没有此文件")
    pages = (manifest.get("reading_copy") or {}).get("pages")
    if "data/reading-copy.pdf" in actual:
        _reading_copy(bag, pages, report)


def _record_json(bag: Bag, rec: dict[str, Any], actual: dict[str, tuple[str, int]], report: BundleReport) -> None:
    """record.json (the archive's own registration) must name the same 档号 and digests."""
    folder = str(rec.get("folder", ""))
    name = f"{folder}/record.json"
    if name not in actual:
        return
    try:
        meta = json.loads(bag.read(name))
    except ValueError:
        report.add(name, "不是有效的 JSON")
        return
    if meta.get("档号") != rec.get("档号"):
        report.add(name, f"记载的档号 {meta.get('档号')} 与 manifest.json 的 {rec.get('档号')} 不符")
    by_original = {str(f.get("original")): str(f.get("path")) for f in rec.get("files") or []}
    for original, info in (meta.get("files") or {}).items():
        path = by_original.get(original)
        if path is None or path not in actual:
            report.add(f"{folder}/{original}", "归档时登记的文件不在检查包中")
        elif actual[path][0] != str(info.get("sha256")):
            report.add(path, "与归档时登记的 SHA-256 不符")


def _reading_copy(bag: Bag, pages: Any, report: BundleReport) -> None:
    import pikepdf

    name = "data/reading-copy.pdf"
    try:
        with tempfile.TemporaryDirectory() as tmp:
            copy = Path(tmp) / "reading-copy.pdf"
            with open(copy, "wb") as out:  # from the ZIP to disk in blocks, not into memory
                for block in bag.stream(name):
                    out.write(block)
            with pikepdf.open(copy) as pdf:
                count = len(pdf.pages)
    except pikepdf.PdfError as exc:
        report.add("data/reading-copy.pdf", f"无法打开：{exc}")
        return
    if pages is not None and count != pages:
        report.add("data/reading-copy.pdf", f"共 {count} 页，manifest.json 记载 {pages} 页")
