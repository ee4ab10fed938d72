"""Inspection bundles (sanfang export / verify-bundle), checked with tools we did not write:
bagit.py, sha256sum, qpdf, pdfinfo, pdfsig, pypdf and pikepdf.

One fixture archive with known gaps: 江南花山郡 has a 请示 with its stamped scans, the 批复, the
联席会议议事规则, a 红色物业 rating and a 示范点 assessment that cites a record of its own, one of
another compound of the same community and one of another community; 金色港湾三期 (same
community) and 藏龙御景 (another community) have a record each, so scope and compound lines
can be crossed if the code lets them.
"""

from __future__ import annotations

import io
import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Any

import pikepdf
import pytest
import yaml
from click.testing import CliRunner
from PIL import Image
from pypdf import PdfReader

from sanfang_docs.api import Sanfang, scope_from
from sanfang_docs.bundle import checklist
from sanfang_docs.cli import main
from sanfang_docs.interview import load
from sanfang_docs.interview.drive import run as run_interview
from tests.conftest import example

pytestmark = pytest.mark.xdist_group("bundle")  # one fixture archive for the whole module

BAGIT = Path(sys.executable).with_name("bagit.py")
COMPOUND = "江南花山郡"


def scan_pdf() -> bytes:
    """A one-page 'stamped scan' of an unusual size, so its page is recognisable."""
    pdf = pikepdf.new()
    pdf.add_blank_page(page_size=(420, 600))
    buf = io.BytesIO()
    pdf.save(buf)
    return buf.getvalue()


def scan_png() -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (300, 400), (250, 240, 230)).save(buf, format="PNG", dpi=(100, 100))
    return buf.getvalue()


@pytest.fixture(scope="module")
def ws(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    home = tmp_path_factory.mktemp("bundle") / "ws"
    app = Sanfang(home)
    request = app.make("branch-founding-request", example("branch-founding", "secretary-only")).record
    app.archive.attach_scan(request.archive_no, "盖章件.pdf", scan_pdf())
    app.archive.attach_scan(request.archive_no, "page2.png", scan_png())
    reply = app.make("branch-founding-reply", example("branch-founding", "secretary-only"),
                     from_record=request.archive_no).record
    rules = app.make("joint-meeting-rules", example("joint-meeting-rules", "owners-committee")).record
    rating = app.make("red-property-rating", example("red-property-rating", "five-star")).record
    other_compound = app.make("pmc-founding-request", example("pmc-founding", "pmc")).record
    other_community = app.make("branch-founding-request", example("branch-founding", "with-committee")).record
    app.make("joint-resolution-procedure", example("joint-resolution-procedure", "owners-committee"))
    answers = example("demo-site-assessment", "owners-committee-all-met")
    for n in range(1, 19):
        answers[f"indicator_{n}"], answers[f"indicator_note_{n}"], answers[f"indicator_evidence_{n}"] = \
            "met", "现场核查", ""
    answers["indicator_evidence_1"] = request.archive_no
    answers["indicator_evidence_5"] = request.archive_no
    answers["indicator_evidence_6"] = other_compound.archive_no
    answers["indicator_evidence_7"] = other_community.archive_no
    # Filed without the archive check of its citations (as on a docassemble server, or before
    # the rule existed), so the bundle's own check of cited 档号 has something to find.
    outcome = run_interview(load("demo-site-assessment"), answers, {"doc_key": "demo-site-assessment"})
    assessment = app.produce(outcome).record
    return {"home": home, "app": app, "request": request, "reply": reply, "rules": rules, "rating": rating,
            "assessment": assessment, "other_compound": other_compound, "other_community": other_community}


@pytest.fixture(scope="module")
def bundle(ws: dict[str, Any], tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    out = tmp_path_factory.mktemp("out") / "jiangnan.zip"
    result = ws["app"].export(out, compound=COMPOUND)
    unpacked = tmp_path_factory.mktemp("unzipped")
    with zipfile.ZipFile(out) as zf:
        zf.extractall(unpacked)
    bag = unpacked / "jiangnan"
    manifest = json.loads((bag / "data" / "manifest.json").read_text(encoding="utf-8"))
    return {"zip": out, "bag": bag, "result": result, "manifest": manifest}


def run(*cmd: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(c) for c in cmd], capture_output=True, text=True, check=False)


def test_the_bag_passes_stock_bagit_and_sha256sum(bundle: dict[str, Any]) -> None:
    done = run(sys.executable, BAGIT, "--validate", bundle["bag"])
    assert done.returncode == 0, done.stderr
    assert "is valid" in done.stderr
    done = subprocess.run(["sha256sum", "-c", "--strict", "manifest-sha256.txt"], cwd=bundle["bag"],
                          capture_output=True, text=True, check=False)
    assert done.returncode == 0 and "FAILED" not in done.stdout, done.stdout
    assert (bundle["bag"] / "bagit.txt").read_text() == "BagIt-Version: 1.0\nTag-File-Character-Encoding: UTF-8\n"


def test_the_zip_is_sorted_flagged_utf8_and_has_one_top_folder(bundle: dict[str, Any]) -> None:
    with zipfile.ZipFile(bundle["zip"]) as zf:
        infos = zf.infolist()
    names = [i.filename for i in infos]
    assert names == sorted(names)
    assert {n.split("/")[0] for n in names} == {"jiangnan"}
    assert all(i.flag_bits & 0x800 for i in infos)
    assert len({i.date_time for i in infos}) == 1
    payload = [n for n in names if "/data/" in n]
    assert all(n.isascii() for n in payload), "payload paths must be ASCII"


def test_originals_are_byte_for_byte_and_signed_pdfs_still_verify(ws: dict[str, Any], bundle: dict[str, Any]) -> None:
    records = {r["档号"]: r for r in bundle["manifest"]["records"]}
    expected = {ws[k].archive_no for k in ("request", "reply", "rules", "rating", "assessment")}
    assert set(records) == expected
    found = ws["app"].search(compound=COMPOUND, limit=50)
    assert {h.archive_no for h in found.hits} == expected, "the same selection as search"
    request = ws["app"].archive.get(ws["request"].archive_no)
    folder = bundle["bag"] / "data" / "records" / request.archive_no.replace("·", ".")
    assert request.meta["status"] == "已盖章"
    for f in records[request.archive_no]["files"]:
        assert (bundle["bag"] / f["path"]).read_bytes() == (request.path / f["original"]).read_bytes()
    # The Chinese scan name gets an ASCII name in the bag; the manifest keeps the original.
    originals = {f["original"]: f["path"] for f in records[request.archive_no]["files"]}
    assert originals["scans/盖章件.pdf"].isascii() and originals["scans/page2.png"].endswith("scans/page2.png")
    for rec in records.values():
        pdf = bundle["bag"] / rec["folder"] / "document.pdf"
        done = run("pdfsig", pdf)
        assert "Signature is Valid." in done.stdout, done.stdout
    assert (folder / "record.json").read_bytes() == request.file("record.json").read_bytes()


def test_reading_copy_is_pdfa_with_toc_bookmarks_and_labels_that_agree(bundle: dict[str, Any]) -> None:
    pdf_path = bundle["bag"] / "data" / "reading-copy.pdf"
    assert run("qpdf", "--check", pdf_path).returncode == 0
    info = run("pdfinfo", pdf_path).stdout
    pages = bundle["manifest"]["reading_copy"]["pages"]
    assert f"Pages:           {pages}" in info
    fonts = run("pdffonts", pdf_path).stdout.splitlines()[2:]
    assert fonts and all(" yes " in line for line in fonts), "every font embedded"
    with pikepdf.open(pdf_path) as pdf:
        assert pdf.open_metadata()["pdfaid:part"] == "2"
        assert "/OutputIntents" in pdf.Root
    reader = PdfReader(pdf_path)
    labels = reader.page_labels
    toc_pages = labels.index("1")
    assert labels[:toc_pages] == ["i", "ii", "iii", "iv"][:toc_pages]
    assert labels[toc_pages:] == [str(n) for n in range(1, pages - toc_pages + 1)], "numbered through"
    toc_text = "".join(reader.pages[i].extract_text() for i in range(toc_pages))
    # The outline: 目录, then community → compound → case → document.
    outline = reader.outline
    assert outline[0]["/Title"] == "目录"
    assert outline[1]["/Title"] == "文化路社区"
    docs: dict[str, int] = {}

    def walk(items: list[Any], depth: int) -> None:
        for item in items:
            if isinstance(item, list):
                walk(item, depth + 1)
            elif depth == 3:
                docs[item["/Title"].split(" ")[0]] = reader.get_destination_page_number(item)
            if depth == 1 and not isinstance(item, list):
                assert item["/Title"] == COMPOUND
            if depth == 2 and not isinstance(item, list):
                assert item["/Title"].startswith("案卷：")

    walk(outline[2], 1)
    records = bundle["manifest"]["records"]
    assert list(docs) == [r["档号"] for r in records], "one bookmark per record, in the 目录's order"
    for rec in records:
        start = rec["reading_copy"]["start"]
        assert labels[docs[rec["档号"]]] == str(start), "the bookmark lands where the 目录 says"
        assert rec["档号"] in toc_text and str(start) in toc_text
    # The stamped scans come first, then the generated document.
    request = next(r for r in records if r["doc_key"] == "branch-founding-request")
    first = docs[request["档号"]]
    assert [float(x) for x in reader.pages[first].mediabox][2:] == [420, 600]
    assert [round(float(x)) for x in reader.pages[first + 1].mediabox][2:] == [216, 288]  # 300×400 px at 100 dpi
    generated = reader.pages[first + 2].extract_text().replace("\n", "").replace(" ", "")
    assert "党支部的请示" in generated
    assert request["reading_copy"]["pages"] == 2 + len(PdfReader(bundle["bag"] / request["folder"] / "document.pdf").pages)


def test_checklist_scores_the_known_gaps_exactly(ws: dict[str, Any], bundle: dict[str, Any]) -> None:
    [compound] = bundle["manifest"]["checklist"]
    assert compound["compound"] == COMPOUND and compound["owners_body"] == "owners_committee"
    status = {i["number"]: i["status"] for i in compound["indicators"]}
    have = {5, 14, 17}  # 5: by the assessment's valid citation; 14 and 17 by their documents
    partial = {1, 4, 6}  # 1: founding but no election; 4: rating but no pledge; 6: rules, no procedure
    assert status == {n: "有" if n in have else "部分" if n in partial else "缺" for n in range(1, 19)}
    by_no = {i["number"]: i for i in compound["indicators"]}
    pages = {r["档号"]: r["reading_copy"]["start"] for r in bundle["manifest"]["records"]}
    request, reply = ws["request"].archive_no, ws["reply"].archive_no
    assert by_no[1]["evidence"] == [{"档号": request, "page": pages[request]}, {"档号": reply, "page": pages[reply]}]
    assert "缺：党组织选举结果的报告、批复或公示" in by_no[1]["notes"]
    assert all(i["assessed"] == "达标" for i in compound["indicators"])
    results = {(c["indicator"], c["cited"]): c["result"] for c in compound["citations"]}
    assert results == {
        (1, request): "有效", (5, request): "有效",
        (6, ws["other_compound"].archive_no): "不属于本小区（属于 文化路社区 金色港湾三期）",
        (7, ws["other_community"].archive_no): "不属于本小区（属于 锦绣社区 藏龙御景）",
    }
    [rating] = compound["ratings"]
    assert rating["stars"] == 5 and rating["five_star"] is True and rating["档号"] == ws["rating"].archive_no
    text = run("pdftotext", bundle["bag"] / "data" / "checklist.pdf", "-").stdout
    assert "有 3 项，部分 3 项，缺 12 项" in text.replace(" 项", " 项")
    assert run("qpdf", "--check", bundle["bag"] / "data" / "checklist.pdf").returncode == 0


def test_a_citation_outside_scope_is_not_shown(ws: dict[str, Any]) -> None:
    archive, scope = ws["app"].archive, scope_from("社区:文化路社区")
    compound = ("纸坊街道", "文化路社区", COMPOUND)
    hidden = checklist._check(archive, scope, "A", 7, ws["other_community"].archive_no, compound, set())
    missing = checklist._check(archive, scope, "A", 7, "J001-WS·2026-Y-SQDW-9999", compound, set())
    assert hidden.result == missing.result == "档案中没有该档号，或不在导出范围内"
    assert not hidden.valid and "锦绣" not in hidden.result


def test_same_archive_and_filters_give_the_same_bytes_and_the_export_is_logged(
        ws: dict[str, Any], bundle: dict[str, Any], tmp_path: Path) -> None:
    again = tmp_path / "jiangnan.zip"
    seen: list[tuple[int, int, str]] = []
    result = ws["app"].export(again, compound=COMPOUND, progress=lambda *a: seen.append(a))
    assert seen[-1][0] == seen[-1][1] and [d for d, _, _ in seen] == sorted(d for d, _, _ in seen)
    assert {label for _, _, label in seen} >= {"合成阅读本", "四性检测", "写入检查包"}
    assert again.read_bytes() == bundle["zip"].read_bytes()
    log = (ws["home"] / "archive" / "audit.log").read_text(encoding="utf-8").splitlines()
    entry = json.loads(log[-1])
    assert entry["event"] == "exported" and entry["sha256"] == result.sha256
    assert entry["records"] == sorted(r["档号"] for r in bundle["manifest"]["records"])
    assert entry["selection"] == {"范围": "全部", "小区": COMPOUND}
    info = (bundle["bag"] / "bag-info.txt").read_text(encoding="utf-8")
    assert f"Sanfang-Selection: 范围=全部；小区={COMPOUND}" in info and "Payload-Oxum: " in info
    # A folder bag holds the same files.
    folder = tmp_path / "as-dir"
    ws["app"].export(folder, compound=COMPOUND, as_dir=True)
    assert sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file()) == \
        sorted(p.relative_to(bundle["bag"]).as_posix() for p in bundle["bag"].rglob("*") if p.is_file())
    assert run(sys.executable, BAGIT, "--validate", folder).returncode == 0


def test_scope_is_never_crossed(ws: dict[str, Any], tmp_path: Path) -> None:
    app = ws["app"]
    with pytest.raises(Exception, match="没有符合条件的记录"):
        app.export(tmp_path / "none.zip", compound=COMPOUND, scope=scope_from("社区:锦绣社区"))
    assert not (tmp_path / "none.zip").exists()
    result = app.export(tmp_path / "wenhua.zip", scope=scope_from("社区:文化路社区"))
    with zipfile.ZipFile(tmp_path / "wenhua.zip") as zf:
        manifest = json.loads(zf.read("wenhua/data/manifest.json"))
    assert {r["community"] for r in manifest["records"]} == {"文化路社区"}
    assert result.records == 6  # 江南花山郡's five and 金色港湾三期's one
    assert [c["compound"] for c in manifest["checklist"]] == [COMPOUND, "金色港湾三期"]
    cited = {c["indicator"]: c["result"] for c in manifest["checklist"][0]["citations"]}
    assert cited[7] == "档案中没有该档号，或不在导出范围内"
    assert cited[6] == "不属于本小区（属于 文化路社区 金色港湾三期）"


def test_verify_bundle_passes_a_good_bundle(ws: dict[str, Any], bundle: dict[str, Any]) -> None:
    report = ws["app"].verify_bundle(bundle["zip"])
    assert report.ok, report.lines()
    assert report.records == 5 and report.signatures == 5
    assert report.files == sum(len(r["files"]) for r in bundle["manifest"]["records"]) + 6


def copy_bag(bundle: dict[str, Any], tmp_path: Path) -> Path:
    bag = tmp_path / "bag"
    shutil.copytree(bundle["bag"], bag)
    return bag


def test_verify_bundle_catches_tampering(ws: dict[str, Any], bundle: dict[str, Any], tmp_path: Path) -> None:
    bag = copy_bag(bundle, tmp_path)
    rec = bundle["manifest"]["records"][0]
    pdf = bag / rec["folder"] / "document.pdf"
    data = bytearray(pdf.read_bytes())
    at = data.index(b"stream") + 20
    data[at] ^= 0x01
    pdf.write_bytes(bytes(data))
    lines = ws["app"].verify_bundle(bag).lines()
    name = f"{rec['folder']}/document.pdf"
    assert f"【{name}】SHA-256 与清单不符：被改动或损坏" in lines
    assert f"【{name}】与归档时登记的 SHA-256 不符" in lines
    assert any(line.startswith(f"【{name}】【真实性】") for line in lines), lines


def test_verify_bundle_catches_edited_tag_files_and_manifest(ws: dict[str, Any], bundle: dict[str, Any],
                                                             tmp_path: Path) -> None:
    bag = copy_bag(bundle, tmp_path)
    info = bag / "bag-info.txt"
    info.write_text(info.read_text(encoding="utf-8").replace("Contact-Name:", "Contact-Name: 某人"), encoding="utf-8")
    manifest = bag / "data" / "manifest.json"
    manifest.write_text(manifest.read_text(encoding="utf-8").replace("已盖章", "已签名"), encoding="utf-8")
    lines = ws["app"].verify_bundle(bag).lines()
    assert "【bag-info.txt】SHA-256 与标签清单不符：被改动" in lines
    assert "【data/manifest.json】SHA-256 与清单不符：被改动或损坏" in lines


def test_verify_bundle_catches_renamed_and_added_files(ws: dict[str, Any], bundle: dict[str, Any],
                                                       tmp_path: Path) -> None:
    bag = copy_bag(bundle, tmp_path)
    rec = bundle["manifest"]["records"][1]
    folder = bag / rec["folder"]
    folder.rename(folder.with_name("J001-WS.2026-Y-SQDW-0999"))
    (bag / "data" / "extra.txt").write_text("x", encoding="utf-8")
    lines = ws["app"].verify_bundle(bag).lines()
    assert f"【{rec['folder']}/document.pdf】清单列出的文件不存在（被删除或改名）" in lines
    assert "【data/records/J001-WS.2026-Y-SQDW-0999/document.pdf】清单中没有此文件（被添加或改名）" in lines
    assert "【data/extra.txt】清单中没有此文件（被添加或改名）" in lines
    assert any(line.startswith("【bag-info.txt】Payload-Oxum 记载") for line in lines)


def test_verify_bundle_catches_truncated_and_foreign_bundles(ws: dict[str, Any], bundle: dict[str, Any],
                                                             tmp_path: Path) -> None:
    data = bundle["zip"].read_bytes()
    cut = tmp_path / "cut.zip"
    cut.write_bytes(data[: len(data) // 2])
    assert ws["app"].verify_bundle(cut).lines() == ["【检查包】不是完整的 ZIP 文件：检查包被截断或损坏，或根本不是检查包"]
    # A bag made by stock bagit.py from someone else's files: valid BagIt, but not ours.
    foreign = tmp_path / "foreign"
    (foreign / "sub").mkdir(parents=True)
    (foreign / "sub" / "a.txt").write_text("别人的文件", encoding="utf-8")
    assert run(sys.executable, BAGIT, "--sha256", foreign).returncode == 0
    lines = ws["app"].verify_bundle(foreign).lines()
    assert "【data/manifest.json】缺少：这不是本系统导出的检查包" in lines
    plain = tmp_path / "plain.zip"
    with zipfile.ZipFile(plain, "w") as zf:
        zf.writestr("x/readme.txt", "hello")
    assert ws["app"].verify_bundle(plain).lines() == ["【bagit.txt】缺少或不是 BagIt 声明：这不是 BagIt 检查包"]


def test_cli_export_and_verify_bundle(ws: dict[str, Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SANFANG_HOME", str(ws["home"]))
    runner = CliRunner()
    out = tmp_path / "rules.zip"
    done = runner.invoke(main, ["export", str(out), "议事规则", "--kind", "制度", "--compound", COMPOUND,
                                       "--year", "2026", "--json"],
                         catch_exceptions=False)
    assert done.exit_code == 0, done.output
    result = yaml.safe_load(done.output)
    assert result["records"] == 1 and result["sha256"]
    done = runner.invoke(main, ["verify-bundle", str(out)], catch_exceptions=False)
    assert done.exit_code == 0 and "未发现问题" in done.output
    broken = tmp_path / "broken.zip"
    broken.write_bytes(out.read_bytes()[:-100])
    done = runner.invoke(main, ["verify-bundle", str(broken)], catch_exceptions=False)
    assert done.exit_code == 8 and "检查包被截断或损坏" in done.output and "Traceback" not in done.output
    done = runner.invoke(main, ["export", str(tmp_path / "x.tar")], catch_exceptions=False)
    assert done.exit_code == 1 and "应以 .zip 结尾" in done.output
    done = runner.invoke(main, ["export", str(out)], catch_exceptions=False)
    assert done.exit_code == 1 and "已存在，拒绝覆盖" in done.output
    done = runner.invoke(main, ["export", str(tmp_path), "--dir"], catch_exceptions=False)
    assert done.exit_code == 1 and "不是空目录，拒绝覆盖" in done.output


def test_export_in_its_own_process(ws: dict[str, Any], tmp_path: Path) -> None:
    """As a clerk runs it: a fresh process, which typesets in a forked child (no compiler yet)."""
    out = tmp_path / "制度.zip"
    sanfang = Path(sys.executable).with_name("sanfang")
    done = subprocess.run([str(sanfang), "export", str(out), "--kind", "制度", "--compound", COMPOUND],
                          capture_output=True, text=True, check=False,
                          env={**os.environ, "SANFANG_HOME": str(ws["home"])})
    assert done.returncode == 0, done.stderr
    assert "已导出检查包" in done.stdout and "1 条记录" in done.stdout
    with zipfile.ZipFile(out) as zf:
        assert zf.namelist()[0].startswith("制度/")
        assert zf.getinfo("制度/bagit.txt").flag_bits & 0x800
    assert ws["app"].verify_bundle(out).ok


def test_a_damaged_record_is_exported_as_it_is_and_reported(tmp_path: Path) -> None:
    app = Sanfang(tmp_path / "ws")
    record = app.make("joint-meeting-rules", example("joint-meeting-rules", "owners-committee")).record
    app.archive.attach_scan(record.archive_no, "scan.pdf", scan_pdf())
    app.archive.attach_scan(record.archive_no, "bad.pdf", b"%PDF-1.7 not really\n", status=None)
    (record.path / "document.docx").unlink()
    result = app.export(tmp_path / "b.zip")
    assert any("document.docx 在档案中缺失" in n for n in result.notes)
    assert any("scans/bad.pdf 无法打开，未编入阅读本" in n for n in result.notes)
    assert not result.transfer_ok
    with zipfile.ZipFile(tmp_path / "b.zip") as zf:
        report = zf.read("b/data/transfer-report.txt").decode()
        manifest = json.loads(zf.read("b/data/manifest.json"))
    assert "document.docx" in report and "【完整性】" in report
    assert manifest["reading_copy"]["pages"] == manifest["records"][0]["reading_copy"]["pages"] + 1  # + 目录
    # The bag is consistent, and still says what the archive had registered and it lacks.
    folder = manifest["records"][0]["folder"]
    assert app.verify_bundle(tmp_path / "b.zip").lines() == [f"【{folder}/document.docx】归档时登记的文件不在检查包中"]
