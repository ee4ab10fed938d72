"""Intake without the watcher (``Sanfang.intake`` = ``sanfang intake``): realistic scans of our
own documents filed on their records, stacks split by QR alone, every bad kind quarantined with
a Chinese reason, duplicates recognised, OCR text searchable and compared with the filed text."""

from __future__ import annotations

import errno
import json
from pathlib import Path

import pikepdf
import pytest
from PIL import Image, ImageDraw, ImageFont

from sanfang_docs.documents.qr import page_payload, parse_payload, record_payload
from sanfang_docs.intake.ocr import clean
from tests import scans
from tests.intake_kit import intake_base, where_is_everything, ws  # noqa: F401 - fixtures

pytestmark = pytest.mark.xdist_group("intake")


def drop(folder: Path, name: str, data: bytes) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_bytes(data)
    return folder / name


def test_payloads_round_trip_and_reject_tampering() -> None:
    no = "J001-WS·2026-Y-SQ-0007"
    assert parse_payload(page_payload(no, 3, 5)).page == 3  # type: ignore[union-attr]
    assert parse_payload(record_payload(no, 4)).pages == 4  # type: ignore[union-attr]
    assert parse_payload(page_payload(no, 3, 5).replace("3/5", "2/5")) is None
    old = "SF1|J001-WS·2026-Y-SQ-0007|" + __import__("hashlib").sha256(no.encode()).hexdigest()[:8]
    assert parse_payload(old).archive_no == no  # type: ignore[union-attr]  # old records still match
    assert clean("关 于 成立\u3000小区 ABC 12") == "关于成立小区 ABC 12"


def test_scan_filed_stamped_logged_duplicate_and_new_version(ws, tmp_path: Path) -> None:  # noqa: F811
    app, base = ws
    a = base.numbers["A"]
    pdf = scans.pdf_of(base.pages["A"])
    results = app.intake([drop(tmp_path / "in", "扫描1.pdf", pdf)], ocr=False)
    assert [(r.status, r.archive_no, r.pages) for r in results] == [("已归档", a, 2)]
    record = app.archive.get(a)
    assert record.meta["status"] == "已盖章"
    stored = results[0].stored
    assert record.file(stored).read_bytes() == pdf and not (tmp_path / "in" / "扫描1.pdf").exists()
    log = (base.home / "archive" / "audit.log").read_text(encoding="utf-8")
    assert '"scan attached"' in log and stored in log
    # The same bytes again: recognised, not stored twice.
    again = app.intake([drop(tmp_path / "in", "again.pdf", pdf)], ocr=False)
    assert again[0].status.startswith("重复") and again[0].stored == stored
    # A different scan of the same record (JPEG pages, another seed): a second version.
    other = scans.pdf_of([scans.scanned(p.convert("RGB"), seed=9, angle=-2) for p in base.pages["A"]])
    second = app.intake([drop(tmp_path / "in", "扫描2.pdf", other)], ocr=False)
    assert second[0].status == "已归档" and second[0].reason == "第 2 版"
    assert len(where_is_everything(app)[0][a]) == 2 and where_is_everything(app)[1] == []


def test_mixed_stack_split_by_qr_and_missing_page(ws, tmp_path: Path) -> None:  # noqa: F811
    app, base = ws
    a, b, c = (base.numbers[k] for k in "ABC")
    p = base.pages
    stack = [p["B"][0], p["A"][1], p["C"][0], p["A"][0], *p["B"][1:], *p["C"][1:]]
    results = app.intake([drop(tmp_path, "stack.pdf", scans.pdf_of(stack))], ocr=False)
    assert sorted(r.archive_no for r in results if r.status == "已归档") == sorted([a, b, c])
    assert sum(r.pages for r in results) == len(stack)
    # Page 2 of A missing from a second stack: A is held back with the page named, B is filed.
    short = [p["A"][0], *[scans.scanned(x, seed=5) for x in p["B"]]]
    results = app.intake([drop(tmp_path, "short.tif", scans.tiff_of(short))], ocr=False)
    by_no = {r.archive_no or r.reason.split("：")[0][3:]: r for r in results}
    assert by_no[b].status == "已归档"
    held = [r for r in results if r.status == "已隔离"]
    assert len(held) == 1 and "缺第 2/2 页" in held[0].reason and a in held[0].reason
    filed, quarantined = where_is_everything(app)
    assert len(filed[b]) == 2 and len(quarantined) == 1
    reason = (base.home / "quarantine" / f"{quarantined[0]}.reason.txt").read_text(encoding="utf-8")
    assert "缺第 2/2 页" in reason


def _encrypted(pdf: bytes, tmp: Path) -> bytes:
    src = tmp / "plain.pdf"
    src.write_bytes(pdf)
    with pikepdf.open(src) as doc:
        doc.save(tmp / "enc.pdf", encryption=pikepdf.Encryption(owner="o", user="secret"))
    return (tmp / "enc.pdf").read_bytes()


def test_every_bad_kind_quarantined_with_a_chinese_reason(ws, tmp_path: Path, cli) -> None:  # noqa: F811
    app, base = ws
    blank = Image.new("RGB", (1240, 1754), "white")
    good = scans.pdf_of(base.pages["A"])
    bad = {
        "empty.pdf": (b"", "文件为空"),
        "notes.txt": ("会议记录".encode(), "不是 PDF"),
        "broken.pdf": (good[: len(good) // 3], "PDF 已损坏"),
        "locked.pdf": (_encrypted(good, tmp_path), "PDF 已加密"),
        "blank.png": (scans.jpeg(blank)[:0] + _png(blank), "未找到本系统的二维码"),
        "unknown.pdf": (scans.pdf_of(base.foreign), "档案中没有档号为"),
        "mixed.pdf": (scans.pdf_of([base.pages["A"][0], blank, base.pages["A"][1]]), "第 2 页"),
    }
    paths = [drop(tmp_path / "in", name, data) for name, (data, _) in bad.items()]
    results = app.intake(paths, ocr=False)
    assert [r.status for r in results] == ["已隔离"] * len(bad)
    for r, (name, (_, why)) in zip(results, bad.items(), strict=True):
        assert why in r.reason, (name, r.reason)
        qname = r.stored.split("/", 1)[1]
        assert why in (base.home / "quarantine" / f"{qname}.reason.txt").read_text(encoding="utf-8")
    assert all(r.meta["status"] != "已盖章" for r in app.archive.records())
    listed = cli("quarantine", "list")
    assert listed.exit_code == 0 and "PDF 已加密" in listed.output
    # The clerk knows the mixed stack is A's: filed by hand, out of quarantine.
    mixed = next(r.stored.split("/", 1)[1] for r in results if "第 2 页" in r.reason)
    done = cli("quarantine", "file", "--no-ocr", "--record", base.numbers["A"], mixed)
    assert done.exit_code == 0 and "已归档" in done.output, done.output
    filed, quarantined = where_is_everything(app)
    assert len(filed[base.numbers["A"]]) == 1 and len(quarantined) == len(bad) - 1
    assert app.archive.get(base.numbers["A"]).meta["status"] == "已盖章"


def _png(image: Image.Image) -> bytes:
    import io

    buf = io.BytesIO()
    image.save(buf, format="PNG")
    return buf.getvalue()


def test_file_name_fallback_and_image_formats(ws, tmp_path: Path) -> None:  # noqa: F811
    app, base = ws
    b, c = base.numbers["B"], base.numbers["C"]
    page = base.pages["B"][0].copy()
    w, h = page.size
    ImageDraw.Draw(page).rectangle((0, int(h * 0.8), int(w * 0.4), h), fill="white")  # the QR torn off
    no_code = drop(tmp_path, f"{b.replace('·', '.')} 盖章件.png", _png(page))
    jpg = drop(tmp_path, "c.jpg", scans.jpeg(base.pages["C"][0], quality=55))
    results = app.intake([no_code, jpg], ocr=False)
    assert [(r.status, r.archive_no) for r in results] == [("已归档", b), ("已归档", c)]


def test_temporary_failure_quarantined_then_retried(ws, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:  # noqa: F811
    app, base = ws
    real = app.archive.attach_scan

    def disk_full(*args, **kwargs):  # noqa: ANN002, ANN003, ANN202 - the disk is the boundary
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(app.archive, "attach_scan", disk_full)
    results = app.intake([drop(tmp_path, "a.pdf", scans.pdf_of(base.pages["A"]))], ocr=False)
    assert results[0].status == "已隔离" and "磁盘已满" in results[0].reason
    item = app.quarantine_list()[0]
    assert item.temporary and "自动重试" in (base.home / "quarantine" / f"{item.name}.reason.txt").read_text("utf-8")
    monkeypatch.setattr(app.archive, "attach_scan", real)
    again = app.intake_box.retry_temporary()
    assert [r.status for r in again] == ["已归档"] and app.quarantine_list() == []


def _with_note(page: Image.Image, note: str) -> Image.Image:
    page = page.copy()
    font = ImageFont.truetype("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc", 34)
    ImageDraw.Draw(page).text((int(page.width * 0.5), int(page.height * 0.06)), note, fill="black", font=font)
    return page


def test_ocr_text_searchable_and_compared(ws, tmp_path: Path, cli) -> None:  # noqa: F811
    """A handwritten-style note only the scan holds is found by search; the scan of an edited
    printout (LibreOffice, from the DOCX with a sentence changed) is flagged on the record."""
    app, base = ws
    c = base.numbers["C"]
    pages = [_with_note(base.pages["C"][0], "档案室复核"), *base.pages["C"][1:]]
    app.intake([drop(tmp_path, "c.pdf", scans.pdf_of(pages))])
    record = app.archive.get(c)
    texts = [k for k in record.meta["files"] if k.endswith(".txt")]
    assert len(texts) == 1
    text = record.file(texts[0]).read_text(encoding="utf-8")
    assert "复核" in text and "档案室复核" not in record.meta["text"]
    assert not __import__("re").search("[\u4e00-\u9fff] +[\u4e00-\u9fff]", text)
    check = next(iter(record.meta["scan_checks"].values()))
    assert check["verdict"] == "与归档文本一致", check
    found = cli("search", "档案室复核")
    assert found.exit_code == 0 and c in found.output, found.output
    assert json.loads((record.path / "record.json").read_text("utf-8"))["status"] == "已盖章"
    assert app.verify(c).ok


def _edit_docx(docx: bytes, old: str, new: str) -> bytes:
    import io

    import docx as pydocx

    d = pydocx.Document(io.BytesIO(docx))
    for p in d.paragraphs:
        if old in p.text:
            text = p.text.replace(old, new)
            for run in p.runs[1:]:
                run.text = ""
            p.runs[0].text = text
            break
    else:
        raise AssertionError(old)
    buf = io.BytesIO()
    d.save(buf)
    return buf.getvalue()


def test_libreoffice_docx_prints_edited_wording_and_missing_page(ws, tmp_path: Path) -> None:  # noqa: F811
    """Printed from the DOCX (LibreOffice): every page carries */N, so a missing page is found
    by count; a printout whose wording was edited is filed (the seal is real) and flagged."""
    import shutil

    from tests import pdfcheck

    if shutil.which("soffice") is None:
        pytest.skip("LibreOffice (soffice) is not installed")
    app, base = ws
    a = base.numbers["A"]
    docx = app.archive.get(a).file("document.docx").read_bytes()
    edited = tmp_path / "edited.docx"
    edited.write_bytes(_edit_docx(docx, "学习教育和志愿服务活动", "文体联欢和外出参观旅游活动"))
    [lo] = pdfcheck.soffice_to_pdf([edited], tmp_path / "lo", tmp_path / "lo" / "profile")
    pages = [scans.scanned(p, seed=i, angle=(-1) ** i * 4.5, blur=0.8) for i, p in enumerate(scans.pages(lo.read_bytes(), 200))]
    assert len(pages) == 2
    short = app.intake([drop(tmp_path, "p1.jpg", scans.jpeg(pages[0], 60, 200))], ocr=False)
    assert short[0].status == "已隔离" and "缺 1 页（收到 1 页，应为 2 页" in short[0].reason
    filed = app.intake([drop(tmp_path, "edited.pdf", scans.pdf_of(pages, 200))])
    assert filed[0].status == "已归档" and filed[0].archive_no == a
    check = app.archive.get(a).meta["scan_checks"][filed[0].stored]
    assert check["verdict"] == "措辞与归档文本不同", check
    assert any("旅游" in d["scan"] and "志愿服务" in d["filed"] for d in check["differs"]), check["differs"]
    log = (base.home / "archive" / "audit.log").read_text(encoding="utf-8")
    assert '"scan checked"' in log and "措辞与归档文本不同" in log


@pytest.mark.parametrize("dpi", [150, 300])
def test_scans_read_at_150_to_300_dpi_skewed_5_degrees(ws, tmp_path: Path, dpi: int) -> None:  # noqa: F811
    app, base = ws
    record = app.archive.get(base.numbers["B"])
    raw = scans.pages(record.file("document.pdf").read_bytes(), dpi)
    pages = [scans.scanned(p, seed=dpi, angle=5.0, blur=dpi / 150, noise=20) for p in raw]
    results = app.intake([drop(tmp_path, "b.pdf", scans.pdf_of(pages, dpi))], ocr=False)
    assert [(r.status, r.pages) for r in results] == [("已归档", len(raw))]


def test_cli_intake_and_quarantine_retry(ws, tmp_path: Path, cli) -> None:  # noqa: F811
    app, base = ws
    foreign = drop(tmp_path, "他处.pdf", scans.pdf_of(base.foreign))
    good = drop(tmp_path, "好.jpg", scans.jpeg(base.pages["C"][0]))
    out = cli("intake", "--no-ocr", str(foreign), str(good))
    assert out.exit_code == 0, out.output
    assert "已隔离" in out.output and "已归档" in out.output and base.numbers["C"] in out.output
    [item] = app.quarantine_list()
    again = cli("quarantine", "retry", "--no-ocr")
    assert again.exit_code == 0 and "档案中没有档号为" in again.output
    [still] = app.quarantine_list()
    assert still.name == item.name and still.tries == 2  # one file, tried twice
    missing = cli("quarantine", "file", "--record", base.numbers["A"], "没有这个.pdf")
    assert missing.exit_code == 4 and "隔离区中没有文件" in missing.output


def test_rapidocr_engine_reads_our_page(intake_base) -> None:  # noqa: F811
    """The second engine (the ``ocr-rapid`` extra; not installed in CI, where this skips)."""
    pytest.importorskip("rapidocr_onnxruntime")
    from sanfang_docs.intake import decode, ocr

    page = decode.deskew(intake_base.pages["C"][0].getchannel("R"))
    text = ocr.rapidocr(page)
    assert "证明" in text and not __import__("re").search("[\u4e00-\u9fff] +[\u4e00-\u9fff]", text)


def test_old_sf1_record_code_still_matches(ws, tmp_path: Path) -> None:  # noqa: F811
    """A record printed before page numbers carries SF1 on every page: it still comes home."""
    import io

    from sanfang_docs.archive.numbers import qr_payload_v1
    from sanfang_docs.documents.qr import qr_png

    app, base = ws
    c = base.numbers["C"]
    page = base.pages["C"][0].copy()
    w, h = page.size
    ImageDraw.Draw(page).rectangle((0, int(h * 0.8), int(w * 0.4), h), fill="white")
    code = Image.open(io.BytesIO(qr_png(qr_payload_v1(c), px=130))).convert("RGB")
    page.paste(code, (int(w * 0.1), int(h * 0.86)))
    results = app.intake([drop(tmp_path, "old.png", _png(page))], ocr=False)
    assert [(r.status, r.archive_no) for r in results] == [("已归档", c)]


def test_inbox_on_another_share_copied_and_synced_first(ws, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:  # noqa: F811
    """A network share: the rename into the journal fails with EXDEV, so the file is copied,
    fsynced, and only then deleted from the inbox."""
    import os

    from sanfang_docs.intake import journal

    app, base = ws
    src = drop(tmp_path / "share", "b.pdf", scans.pdf_of(base.pages["B"]))
    real_rename, seen = os.rename, []

    def rename(a, b):  # noqa: ANN001, ANN202 - the kernel's answer across file systems
        if Path(a) == src:
            assert src.exists()
            raise OSError(errno.EXDEV, "Invalid cross-device link")
        seen.append((Path(a).name, src.exists()))
        return real_rename(a, b)

    monkeypatch.setattr(journal.os, "rename", rename)
    results = app.intake([src], ocr=False)
    assert [r.status for r in results] == ["已归档"] and not src.exists()
    assert seen[0] == (".b.pdf.part", True)  # the copy was complete while the source was still there


def test_page_furniture_between_pages_is_not_wording() -> None:
    """OCR reads a page number or QR code as stray characters at a page's foot: not an edit."""
    from sanfang_docs.intake.compare import compare

    filed = "积极参与基层治理，加强党员教育管理，发挥先锋模范作用。做好联系服务群众工作。"
    pages = ["积极参与基层治理，加强党员教育管理，国革下国一呈", "发挥先锋模范作用。做好联系服务群众工作。"]
    assert compare(pages, filed)["differs"] == []
    edited = ["积极参与基层治理，加强党员教育管理，", "发挥先锋模范作用。另行收取每户二百元费用。"]
    found = compare(edited, filed)["differs"]
    assert found and found[0]["scan"] == "另行收取每户二百元费用"
