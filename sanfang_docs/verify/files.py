"""The file-level half of ``verify``: one record's files against their registered digests, its
PDF's signatures, and whether each file opens. Runs in worker processes with ``--jobs``, so
everything here takes and returns plain data.
"""

from __future__ import annotations

import io
import json
import logging
import stat
import zipfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import serialization

from ..archive.store import sha256_hex

AUTHENTICITY, INTEGRITY, USABILITY, SECURITY = "真实性", "完整性", "可用性", "安全性"
REQUIRED = ("document.pdf", "document.docx", "answers.json", "record.json")
IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".tif", ".tiff")

_ROOTS: list[Any] = []  # asn1crypto certificates the signatures must chain to
_KEY_USAGE: Any = None  # the same rule keys.check_usable applies before signing


def pem(cert: x509.Certificate) -> bytes:
    return cert.public_bytes(serialization.Encoding.PEM)


def init(roots: list[bytes]) -> None:
    """Per process: load the trust anchors once; keep pyHanko's log off the clerk's screen
    (its warnings are turned into problems here)."""
    from asn1crypto import pem as asn1_pem
    from asn1crypto import x509 as asn1_x509
    from pyhanko.sign.validation.settings import KeyUsageConstraints

    global _KEY_USAGE
    _KEY_USAGE = KeyUsageConstraints(key_usage={"digital_signature", "non_repudiation"}, match_all_key_usages=False)
    for name in ("pyhanko", "pyhanko_certvalidator", "fontTools"):
        logging.getLogger(name).setLevel(logging.CRITICAL)
    _ROOTS[:] = [asn1_x509.Certificate.load(asn1_pem.unarmor(data)[2]) for data in roots]


def _problem(archive_no: str, file: str, check: str, message: str) -> dict[str, str]:
    return {"archive_no": archive_no, "file": file, "check": check, "message": message}


def check_record(task: dict[str, Any]) -> list[dict[str, str]]:
    name, folder = task["name"], Path(task["folder"])
    registered: dict[str, str] = task["registered"]
    out = list(task["problems"])
    expected = sorted(set(REQUIRED) | set(registered))
    contents: dict[str, bytes] = {}
    for fname in expected:
        try:
            data = (folder / fname).read_bytes()
        except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
            out.append(_problem(name, fname, INTEGRITY, "文件缺失"))
            continue
        contents[fname] = data
        want = registered.get(fname)
        if want and sha256_hex(data) != want:
            out.append(_problem(name, fname, AUTHENTICITY, "SHA-256 与登记的不符：文件被改动"))
        elif not want and fname != "record.json":
            out.append(_problem(name, fname, AUTHENTICITY, "没有登记的 SHA-256，无法证明未被改动"))
        out += _usable(name, fname, data)
    if "document.pdf" in contents:
        out += check_pdf(name, "document.pdf", contents["document.pdf"], task.get("signer"))
        out += _embedded(name, contents)
    out += _strays(name, folder, set(expected))
    return out


def _usable(name: str, fname: str, data: bytes) -> list[dict[str, str]]:
    """Does the file open? PDFs are checked (and rendered) with their signatures."""
    suffix = Path(fname).suffix.lower()
    try:
        if suffix == ".json":
            json.loads(data)
        elif suffix == ".docx":
            from lxml import etree

            with zipfile.ZipFile(io.BytesIO(data)) as docx:
                bad = docx.testzip()
                if bad:
                    raise ValueError(f"{bad} 损坏")
                etree.fromstring(docx.read("word/document.xml"))
        elif suffix == ".pdf" and fname != "document.pdf":
            _render(data)
        elif suffix in IMAGE_SUFFIXES:
            from PIL import Image

            with Image.open(io.BytesIO(data)) as image:
                image.load()
    except Exception as exc:  # noqa: BLE001 - any failure to open is the finding itself
        return [_problem(name, fname, USABILITY, f"无法打开：{_short(exc)}")]
    return []


def _render(data: bytes) -> None:
    import pypdfium2

    pdf = pypdfium2.PdfDocument(data)
    try:
        for index in range(len(pdf)):
            # A small bitmap is enough to make pdfium parse every content stream and font.
            pdf[index].render(scale=0.15).close()
    finally:
        pdf.close()


def check_pdf(name: str, fname: str, data: bytes, signer: str | None, render: bool = True) -> list[dict[str, str]]:
    """Opens and renders; every signature intact, trusted, the last one covering the file.
    ``render`` False: signatures only (verify-bundle, whose checksums already pin the bytes)."""
    try:
        if render:
            _render(data)
    except Exception as exc:  # noqa: BLE001
        return [_problem(name, fname, USABILITY, f"无法打开或渲染：{_short(exc)}"),
                _problem(name, fname, AUTHENTICITY, "文件损坏，签名无法验证")]
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.validation import validate_pdf_signature
    from pyhanko.sign.validation.status import SignatureCoverageLevel
    from pyhanko_certvalidator import ValidationContext

    out = []
    try:
        signatures = PdfFileReader(io.BytesIO(data), strict=False).embedded_signatures
        if not signatures:
            return [_problem(name, fname, AUTHENTICITY, "没有数字签名")]
        for index, sig in enumerate(signatures):
            # Judged at the time of signing: a certificate that has expired since then does
            # not make an archived signature invalid (B-B has only the signer's own claim of
            # that time; B-T has a timestamp).
            when = sig.self_reported_timestamp or datetime.now(UTC)
            context = ValidationContext(trust_roots=_ROOTS, moment=when, allow_fetching=False)
            status = validate_pdf_signature(sig, context, ts_validation_context=context,
                                            key_usage_settings=_KEY_USAGE)
            label = f"第 {index + 1} 个签名（{status.signing_cert.subject.native.get('common_name', '')}）"
            if not status.intact:
                out.append(_problem(name, fname, AUTHENTICITY, f"{label}摘要不符：签名后文件内容被改动"))
            elif not status.valid:
                out.append(_problem(name, fname, AUTHENTICITY, f"{label}签名值无效"))
            elif not status.trusted:
                out.append(_problem(name, fname, AUTHENTICITY, f"{label}的证书不受信任（非本系统或已导入的证书）"))
            if index == len(signatures) - 1 and status.coverage != SignatureCoverageLevel.ENTIRE_FILE:
                out.append(_problem(name, fname, AUTHENTICITY, f"{label}未覆盖整个文件：签名后又追加了内容"))
            ts = status.timestamp_validity
            if ts is not None and not (ts.intact and ts.valid and ts.trusted):
                out.append(_problem(name, fname, AUTHENTICITY, f"{label}的时间戳无效或不受信任"))
        if signer and signatures[-1].signer_cert.sha256.hex() != signer:
            out.append(_problem(name, fname, AUTHENTICITY, "签名者证书与归档时登记的不符"))
    except Exception as exc:  # noqa: BLE001 - a damaged signature structure is a finding
        out.append(_problem(name, fname, AUTHENTICITY, f"签名无法验证：{_short(exc)}"))
    return out


def _embedded(name: str, contents: dict[str, bytes]) -> list[dict[str, str]]:
    """The answers inside the signed PDF and its 档号 in XMP agree with the record."""
    import pikepdf

    from ..signing.pdfmeta import embedded_answers, xmp_record

    try:
        with pikepdf.open(io.BytesIO(contents["document.pdf"])) as pdf:
            inside, xmp = embedded_answers(pdf), xmp_record(pdf)
    except Exception:  # noqa: BLE001 - already reported as unusable by check_pdf
        return []
    out = []
    if xmp.get("档号") != name:
        out.append(_problem(name, "document.pdf", AUTHENTICITY, f"XMP 中的档号（{xmp.get('档号')}）与记录不符"))
    answers = contents.get("answers.json")
    if inside is None:
        out.append(_problem(name, "document.pdf", AUTHENTICITY, "PDF 中没有内嵌的访谈答案"))
    elif answers is not None:
        try:
            same = json.loads(inside) == json.loads(answers)
        except ValueError:
            return out  # answers.json that does not parse is reported as unusable
        if not same:
            out.append(_problem(name, "answers.json", AUTHENTICITY, "与签名 PDF 中内嵌的答案不一致"))
    return out


def _strays(name: str, folder: Path, expected: set[str]) -> list[dict[str, str]]:
    """Files nobody registered, and anything others may write to."""
    out = []
    for path in sorted([folder, *folder.rglob("*")]):
        rel = path.relative_to(folder).as_posix()
        mode = path.lstat().st_mode
        if path != folder and rel != "scans" and rel not in expected:
            out.append(_problem(name, rel, SECURITY, "多余的文件：没有登记在记录中"))
        if mode & (stat.S_IWGRP | stat.S_IWOTH) or stat.S_ISLNK(mode):
            what = "是符号链接" if stat.S_ISLNK(mode) else f"可被他人写入（{stat.filemode(mode)}）"
            out.append(_problem(name, rel if path != folder else ".", SECURITY, what))
    return out


def pdf_archive_no(data: bytes) -> str:
    import pikepdf

    from ..signing.pdfmeta import xmp_record

    try:
        with pikepdf.open(io.BytesIO(data)) as pdf:
            return xmp_record(pdf).get("档号", "")
    except Exception:  # noqa: BLE001 - no readable XMP: no 档号
        return ""


def _short(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return text[:160]
