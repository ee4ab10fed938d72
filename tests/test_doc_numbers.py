"""发文字号: the next number of the issuer and year, taken under the archive lock, never reused
(a failed or killed filing leaves a recorded gap), printed, kept in record.json, searchable, and
quoted by the later documents of a case."""

from __future__ import annotations

import json
import signal
from collections import defaultdict
from pathlib import Path

import pytest

from sanfang_docs.api import Sanfang
from sanfang_docs.archive import Archive
from sanfang_docs.archive.doc_numbers import GAP, USED, DocNumbers, format_doc_no, issuer_code, parse_doc_no
from sanfang_docs.errors import RenderError, ValidationError
from sanfang_docs.workspace import Workspace
from tests import pdfcheck
from tests.conftest import example
from tests.test_archive_safety import fresh_home, worker

REQUEST, REPLY = "branch-founding-request", "branch-founding-reply"


def register_is_gapless(home: Path) -> dict[tuple[str, int], list[int]]:
    """Every 序号 from 1 to the last of each issuer and year is settled (used once, or a gap
    with its reason), and each used one is the 发文字号 of exactly that record."""
    state = DocNumbers(Workspace.open(home), home / "archive").state()
    records = {}
    for meta_file in (home / "archive").glob("[0-9]*/*/*/*/record.json"):
        meta = json.loads(meta_file.read_text(encoding="utf-8"))
        if meta.get("发文字号"):
            assert meta["发文字号"] not in records, f"{meta['发文字号']} printed twice"
            records[meta["发文字号"]] = meta["档号"]
    series: dict[tuple[str, int], list[int]] = defaultdict(list)
    for (code, year, seq), entry in state.items():
        series[(code, year)].append(seq)
        assert entry.event in (USED, GAP), entry
        if entry.event == USED:
            assert records.get(entry.doc_no) == entry.archive_no, entry
        else:
            assert entry.reason and entry.doc_no not in records, entry
    for key, seqs in series.items():
        assert sorted(seqs) == list(range(1, len(seqs) + 1)), (key, sorted(seqs))
    assert set(records) == {e.doc_no for e in state.values() if e.event == USED}
    return dict(series)


def test_format_and_parse() -> None:
    assert format_doc_no("纸工委", 2026, 12) == "纸工委〔2026〕12号"
    assert parse_doc_no("文化路社区党委〔2026〕3号") == ("文化路社区党委", 2026, 3)
    assert parse_doc_no("纸工委[2026]7号") == ("纸工委", 2026, 7)  # typed with ASCII brackets
    assert parse_doc_no("第3号") is None


def test_issuer_codes_by_rule_and_by_setting(tmp_path: Path) -> None:
    ws = Workspace.open(tmp_path)
    assert issuer_code(ws, "中共纸坊街道工作委员会") == "纸工委"
    assert issuer_code(ws, "中共文化路社区委员会") == "文化路社区党委"
    assert issuer_code(ws, "藏龙御景小区党支部筹备组") == "藏龙御景小区筹备组"
    assert issuer_code(ws, "光谷来福城小区物业管理委员会") == "光谷来福城物管会"
    (tmp_path / "settings.yaml").write_text("doc_numbers:\n  codes:\n    中共纸坊街道工作委员会: 纸街工委\n",
                                            encoding="utf-8")
    ws = Workspace.open(tmp_path)
    assert issuer_code(ws, "中共纸坊街道工作委员会") == "纸街工委"
    assert ws.setting("doc_numbers")["kinds"]  # the defaults stay beside the office's codes


def test_number_is_printed_kept_and_searchable(app: Sanfang) -> None:
    made = app.make(REQUEST, example("branch-founding", "secretary-only"))
    assert made.record is not None
    number = made.record.meta["发文字号"]
    assert number == "江南花山郡小区筹备组〔2026〕1号" or number.endswith("〔2026〕1号")
    assert number == made.document.doc_no
    assert number in pdfcheck.text(made.record.file("document.pdf"))
    assert number in pdfcheck.docx_text(made.record.file("document.docx"))
    hits = app.search(number).hits
    assert [h.archive_no for h in hits][:1] == [made.record.archive_no]


def test_a_failed_filing_leaves_a_recorded_gap_and_the_number_is_not_reused(app: Sanfang) -> None:
    answers = example("branch-founding", "secretary-only")
    first = app.make(REQUEST, answers)
    outcome = app.run_interview("branch-founding", answers, REQUEST)

    def broken(doc):  # noqa: ANN001, ANN202 - the renderer Archive.file calls
        raise RenderError("排版失败（测试）")

    with pytest.raises(RenderError):
        app.archive.file(outcome.documents[0], broken, outcome.session.answers_json(), {"issuer_role": "community"})
    again = app.make(REQUEST, answers)
    assert first.record and again.record
    code, year, seq = parse_doc_no(first.record.meta["发文字号"]) or ("", 0, 0)
    assert again.record.meta["发文字号"] == format_doc_no(code, year, seq + 2)
    gap = app.archive.doc_numbers.state()[(code, year, seq + 1)]
    assert gap.event == GAP and "排版失败（测试）" in gap.reason
    register_is_gapless(app.workspace.home)


def test_a_number_assigned_by_hand_is_used_and_checked(app: Sanfang) -> None:
    answers = {**example("branch-founding", "secretary-only"), "doc_no": "文化路社区党委〔2026〕5号"}
    made = app.make(REQUEST, answers)
    assert made.record and made.record.meta["发文字号"] == "文化路社区党委〔2026〕5号"
    state = app.archive.doc_numbers.state()
    assert [state[("文化路社区党委", 2026, n)].event for n in range(1, 5)] == [GAP] * 4  # used outside
    with pytest.raises(ValidationError) as info:
        app.make(REQUEST, answers)
    assert "【发文字号】（doc_no）" in info.value.message and "不能重复" in info.value.message
    with pytest.raises(ValidationError, match="不是发文字号"):
        app.make(REQUEST, {**answers, "doc_no": "五号文"})
    nxt = app.make(REQUEST, example("branch-founding", "secretary-only"))
    assert nxt.record and nxt.record.meta["发文字号"] == "文化路社区党委〔2026〕6号"
    register_is_gapless(app.workspace.home)


def test_a_filing_killed_after_taking_its_number_leaves_a_gap(tmp_path: Path) -> None:
    home = fresh_home(tmp_path)
    app = Sanfang(home)
    app.produce(app.run_interview("branch-founding", example("branch-founding", "secretary-only"), REQUEST))
    proc = worker(tmp_path, home, "file", "1", crash_at="after-journal", keys=(REQUEST,))
    proc.wait(timeout=120)
    assert proc.returncode == -signal.SIGKILL
    Archive(Workspace.open(home)).recover()
    series = register_is_gapless(home)
    assert max(len(s) for s in series.values()) == 2
    made = Sanfang(home).produce(app.run_interview("branch-founding", example("branch-founding", "secretary-only"),
                                                   REQUEST))
    assert made.record and made.record.meta["发文字号"].endswith("〔2026〕3号")


def test_four_processes_number_gapless_per_issuer_and_year(tmp_path: Path) -> None:
    home = fresh_home(tmp_path)
    Sanfang(home).make(REQUEST, example("branch-founding", "secretary-only"))  # keys exist: the race is filing
    procs = [worker(tmp_path, home, "file", "6", keys=(REQUEST, REPLY, "branch-meeting-request")) for _ in range(4)]
    for proc in procs:
        out, err = proc.communicate(timeout=600)
        assert proc.returncode == 0, err[-2000:]
    series = register_is_gapless(home)
    assert sum(len(s) for s in series.values()) == 1 + 24
    assert len(series) >= 2  # the community or group's requests and the street's replies


def test_the_register_read_in_steps_is_the_register_read_whole(tmp_path: Path) -> None:
    # state() reads only what was appended since its last read (archive/doc_numbers.py): it must
    # always equal a reading of the whole file, whoever appended, and whatever the file became.
    ws = Workspace.open(tmp_path / "ws")
    mine, other = DocNumbers(ws, tmp_path / "archive"), DocNumbers(ws, tmp_path / "archive")

    def whole() -> dict:
        return {(e.code, e.year, e.seq): e for e in mine.entries()}

    assert mine.state() == {}
    first = mine.assign("中共文化路社区委员会", 2026, sync=False)
    assert mine.state() == whole() and len(whole()) == 1
    other.used(other.assign("中共文化路社区委员会", 2026, sync=False), "J001-WS·2026-Y-SQDW-0002")  # another filer
    mine.used(first, "J001-WS·2026-Y-SQDW-0001")
    assert mine.state() == whole() and {e.event for e in mine.state().values()} == {USED}
    register = mine.path
    with register.open("ab") as f:  # a torn last line (a crash mid-append): read, never kept
        f.write('{"代字": "文化路社区党委", "年度": 2026, "序号": 3, "event": "taken"'.encode())
    assert mine.state() == whole() and len(mine.state()) == 2
    with register.open("ab") as f:
        f.write(b', "reason": ""}\n')
    assert mine.state() == whole() and mine.state()[("文化路社区党委", 2026, 3)].event == "taken"
    lines = register.read_bytes().splitlines(keepends=True)
    replacement = tmp_path / "register.new"  # replaced by a shorter file (a restore)
    replacement.write_bytes(b"".join(lines[:1]))
    replacement.replace(register)
    assert mine.state() == whole() and len(mine.state()) == 1
    register.unlink()
    assert mine.state() == {} == whole()
