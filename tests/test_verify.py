"""``verify``: the four DA/T 70 checks. Every kind of damage is made at many random places,
and each time the report must name exactly the record and the file that were hurt."""

from __future__ import annotations

import json
import os
import random
import shutil
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from sanfang_docs.api import Sanfang
from sanfang_docs.archive.audit import AuditLog, entry_hash
from sanfang_docs.cli import main
from sanfang_docs.errors import NotFoundError
from sanfang_docs.verify import EXIT_PROBLEMS, Report, Verifier
from tests.conftest import example

FILES = ("document.pdf", "document.docx", "answers.json", "record.json")
SCAN = "scan-001.jpg"


@pytest.fixture(scope="module")
def source(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Six signed records (four issuers, two 保管期限 series) and one stamped scan, built once."""
    home = tmp_path_factory.mktemp("verify-src") / "ws"
    app = Sanfang(home)
    for branch, keys in (("secretary-only", ("branch-founding-request", "branch-founding-reply",
                                             "branch-meeting-request", "branch-meeting-agenda")),
                         ("with-committee", ("branch-election-report", "branch-election-notice"))):
        answers = example("branch-founding", branch)
        for key in keys:
            app.produce(app.run_interview("branch-founding", answers, key))
    first = next(app.archive.records())
    app.archive.attach_scan(first.archive_no, SCAN, jpeg_bytes(), info={"source": "inbox"})
    assert Sanfang(home).verify().ok
    return home


@pytest.fixture
def ws(source: Path, tmp_path: Path) -> Path:
    """A private copy of the source workspace to damage."""
    home = tmp_path / "ws"
    shutil.copytree(source, home, symlinks=True)
    return home


def jpeg_bytes() -> bytes:
    from io import BytesIO

    from PIL import Image

    out = BytesIO()
    Image.new("RGB", (40, 30), (200, 30, 30)).save(out, "JPEG")
    return out.getvalue()


def records(home: Path) -> list[Path]:
    return sorted((home / "archive").glob("[0-9]*/*/*/*"))


def named(report: Report) -> set[tuple[str, str]]:
    return {(p.archive_no, p.file) for p in report.problems}


def verify(home: Path, jobs: int = 1) -> Report:
    return Sanfang(home).verify(jobs=jobs)


def flip(path: Path, rng: random.Random) -> int:
    data = bytearray(path.read_bytes())
    pos = rng.randrange(len(data))
    data[pos] ^= 1 << rng.randrange(8)
    path.write_bytes(bytes(data))
    return pos


# -- clean -----------------------------------------------------------------------------------


def test_clean_archive_passes_every_check(ws: Path) -> None:
    report = verify(ws)
    assert report.ok and report.records == 6, [p.as_text() for p in report.problems]
    result = CliRunner().invoke(main, ["verify", "--all", "--json", "--home", str(ws)])
    assert result.exit_code == 0
    data = json.loads(result.stdout)
    assert data["ok"] is True and data["records"] == 6 and data["problems"] == []


# -- a flipped byte anywhere -----------------------------------------------------------------


@pytest.mark.parametrize("seed", range(48))
def test_flipped_byte_names_exactly_that_record_and_file(ws: Path, seed: int) -> None:
    rng = random.Random(seed)
    record = rng.choice(records(ws))
    name = FILES[seed % len(FILES)] if seed % 12 != 11 else f"scans/{SCAN}"
    if not (record / name).exists():  # only one record has the scan
        record = next(r for r in records(ws) if (r / name).exists())
    pos = flip(record / name, rng)
    report = verify(ws)
    assert named(report) == {(record.name, name)}, (pos, [p.as_text() for p in report.problems])


@pytest.mark.parametrize("name", [*FILES, f"scans/{SCAN}"])
def test_deleted_file_names_exactly_that_record_and_file(ws: Path, name: str) -> None:
    record = next(r for r in records(ws) if (r / name).exists())
    (record / name).unlink()
    report = verify(ws)
    assert named(report) == {(record.name, name)}, [p.as_text() for p in report.problems]
    assert any("缺失" in p.message for p in report.problems)


def test_whole_record_deleted_is_named_by_its_archive_number(ws: Path) -> None:
    victim = records(ws)[2]
    shutil.rmtree(victim)
    report = verify(ws)
    assert {p.archive_no for p in report.problems} == {victim.name}
    assert all(p.check == "完整性" for p in report.problems)


# -- the audit log ---------------------------------------------------------------------------


def audit_lines(home: Path) -> list[bytes]:
    return (home / "archive" / "audit.log").read_bytes().split(b"\n")[:-1]


def test_every_audit_line_deleted_or_edited_names_its_record(source: Path, tmp_path: Path) -> None:
    lines = audit_lines(source)
    rng = random.Random(7)
    for number, line in enumerate(lines):
        who = json.loads(line)["档号"]
        for mode in ("delete", "edit"):
            home = tmp_path / f"{number}-{mode}"
            shutil.copytree(source, home)
            changed = list(lines)
            if mode == "delete":
                del changed[number]
            else:
                raw = bytearray(line)
                raw[rng.randrange(len(raw))] ^= 1 << rng.randrange(7)
                changed[number] = bytes(raw)
            (home / "archive" / "audit.log").write_bytes(b"\n".join(changed) + b"\n")
            report = verify(home)
            assert named(report) == {(who, "audit.log")}, (number, mode, [p.as_text() for p in report.problems])
            shutil.rmtree(home)


def test_a_rehashed_edit_and_a_forged_chain_are_still_caught(ws: Path) -> None:
    log = ws / "archive" / "audit.log"
    lines = audit_lines(ws)
    # Edit line 3 and give it a matching hash: the link from line 4 breaks.
    entry = json.loads(lines[2])
    entry["actor"] = "someone-else"
    entry["hash"] = entry_hash(entry)
    lines[2] = json.dumps(entry, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode()
    log.write_bytes(b"\n".join(lines) + b"\n")
    report = verify(ws)
    assert named(report) == {(entry["档号"], "audit.log")}
    assert any("重新计算" in p.message for p in report.problems)


def test_removing_a_record_with_its_log_lines_leaves_a_numbering_gap(ws: Path) -> None:
    """Someone who removes a record, its lines, and re-chains and re-heads the whole log still
    leaves a hole in the 件号 sequence."""
    victim = next(r for r in records(ws) if r.name.endswith("-0002") and "-Y-" in r.name)
    shutil.rmtree(victim)
    kept = [json.loads(x) for x in audit_lines(ws) if json.loads(x)["档号"] != victim.name]
    prev, out = "0" * 64, []
    for seq, entry in enumerate(kept, start=1):
        entry.update(seq=seq, prev=prev)
        entry["hash"] = prev = entry_hash(entry)
        out.append(json.dumps(entry, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode())
    (ws / "archive" / "audit.log").write_bytes(b"\n".join(out) + b"\n")
    AuditLog(ws / "archive").write_head(len(out), prev)
    report = verify(ws)
    assert [p.message for p in report.problems] == ["件号 0002 缺失（J001 2026 年 Y 的件号不连续）"]
    assert report.problems[0].archive_no == "J001-WS·2026-Y-*-0002"


# -- security --------------------------------------------------------------------------------


def test_unexpected_files_and_loose_permissions(ws: Path) -> None:
    record = records(ws)[1]
    (record / "notes.txt").write_text("x")
    (record / "scans" / "unregistered.png").write_bytes(b"x")
    (ws / "archive" / "2026" / "stray.bin").write_bytes(b"x")
    os.chmod(records(ws)[3] / "document.docx", 0o666)
    os.chmod(next((ws / "keys" / "orgs").glob("*.p12")), 0o644)
    report = verify(ws)
    assert named(report) == {
        (record.name, "notes.txt"), (record.name, "scans/unregistered.png"), ("-", "2026/stray.bin"),
        (records(ws)[3].name, "document.docx"), ("-", f"keys/orgs/{next((ws / 'keys' / 'orgs').glob('*.p12')).name}"),
    }, [p.as_text() for p in report.problems]
    assert {p.check for p in report.problems} == {"安全性"}


# -- later events ----------------------------------------------------------------------------


def test_status_change_and_export_are_logged_and_verified(ws: Path) -> None:
    app = Sanfang(ws)
    target = records(ws)[4].name
    app.archive.set_status(target, "已盖章", reason="纸质件已盖章")
    app.archive.log_export([target], "bundle-2026-001.zip", manifest_sha256="0" * 64)
    assert verify(ws).ok
    events = [json.loads(x) for x in audit_lines(ws)]
    assert [e["event"] for e in events[-2:]] == ["status changed", "exported"]
    assert events[-2]["old"] == "已签名" and events[-2]["new"] == "已盖章"
    # Removing the status change makes record.json disagree with what the log can vouch for.
    lines = audit_lines(ws)
    del lines[-2]
    (ws / "archive" / "audit.log").write_bytes(b"\n".join(lines) + b"\n")
    assert named(verify(ws)) == {(target, "audit.log")}


def test_attach_scan_is_idempotent_and_refuses_a_different_file_of_the_same_name(ws: Path) -> None:
    app = Sanfang(ws)
    first = records(ws)[0].name
    before = audit_lines(ws)
    app.archive.attach_scan(first, SCAN, jpeg_bytes())
    assert audit_lines(ws) == before
    with pytest.raises(Exception, match="拒绝覆盖"):
        app.archive.attach_scan(first, SCAN, b"other bytes")
    with pytest.raises(Exception, match="无效"):
        app.archive.attach_scan(first, "../evil.jpg", b"x")


# -- the command -----------------------------------------------------------------------------


def test_cli_lines_exit_codes_and_targets(ws: Path, tmp_path: Path) -> None:
    runner = CliRunner()
    record = records(ws)[0]
    copy = tmp_path / "copy.pdf"
    shutil.copy(record / "document.pdf", copy)
    assert runner.invoke(main, ["verify", record.name, "--home", str(ws)]).exit_code == 0
    assert runner.invoke(main, ["verify", str(record / "answers.json"), "--home", str(ws)]).exit_code == 0
    assert runner.invoke(main, ["verify", str(copy), "--home", str(ws)]).exit_code == 0
    flip(record / "document.docx", random.Random(3))
    flip(copy, random.Random(4))
    result = runner.invoke(main, ["verify", "--home", str(ws)])
    assert result.exit_code == EXIT_PROBLEMS
    lines = result.stdout.strip().splitlines()
    assert lines and all(line.startswith(f"{record.name}  document.docx  【") for line in lines)
    assert "发现" in result.stderr
    other = records(ws)[1]
    assert runner.invoke(main, ["verify", other.name, "--home", str(ws)]).exit_code == 0
    outside = runner.invoke(main, ["verify", str(copy), "--home", str(ws)])
    assert outside.exit_code == EXIT_PROBLEMS and "copy.pdf" in outside.stdout
    missing = runner.invoke(main, ["verify", "J001-WS·2026-Y-SQDW-0999", "--home", str(ws)])
    assert missing.exit_code == NotFoundError.exit_code and "Traceback" not in missing.output


def test_parallel_jobs_give_the_same_report(ws: Path) -> None:
    rng = random.Random(11)
    for name in FILES:
        flip(rng.choice(records(ws)) / name, rng)
    one, two = verify(ws, jobs=1), verify(ws, jobs=2)
    assert sorted(map(str, one.problems)) == sorted(map(str, two.problems)) and not one.ok


def test_verifier_reads_a_consistent_snapshot(ws: Path) -> None:
    """verify first finishes what a crashed writer left (here: a journal for a record whose
    log lines never got written), so it reports the archive as it really is."""
    app = Sanfang(ws)
    app.produce(app.run_interview("branch-founding", example("branch-founding", "secretary-only"),
                                  "branch-meeting-reply"))
    log = ws / "archive" / "audit.log"
    lines = audit_lines(ws)
    last_two = [json.loads(x) for x in lines[-2:]]
    assert {e["档号"] for e in last_two} == {last_two[0]["档号"]} and last_two[0]["event"] == "created"
    journal: dict[str, Any] = {"op": "create", "record": last_two[0]["record"],
                               "record_sha256": last_two[0]["record_sha256"],
                               "events": [{k: v for k, v in e.items() if k not in ("seq", "prev", "hash")}
                                          for e in last_two]}
    log.write_bytes(b"\n".join(lines[:-2]) + b"\n")
    AuditLog(ws / "archive").write_head(int(last_two[0]["seq"]) - 1, last_two[0]["prev"])
    (ws / "archive" / ".pending").write_text(json.dumps(journal, ensure_ascii=False), encoding="utf-8")
    report = Verifier(app.workspace, app.archive).run()
    assert report.ok, [p.as_text() for p in report.problems]
    assert not (ws / "archive" / ".pending").exists() and len(audit_lines(ws)) == len(lines)
