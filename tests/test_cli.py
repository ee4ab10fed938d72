"""The CLI contract that later tools rely on: catalog, interview, make, --home."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import docx
import yaml

from tests.conftest import EXAMPLES, example

SECRETARY = EXAMPLES / "branch-founding" / "secretary-only.yaml"


def all_files(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


def pdf_text(path: Path) -> str:
    return subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True,
                          check=True).stdout


def test_catalog_json_lists_interviews_and_keys(cli) -> None:  # noqa: ANN001
    result = cli("catalog", "--json")
    assert result.exit_code == 0
    entries = {e["interview"]: e for e in json.loads(result.output)}
    assert list(entries["branch-founding"]["documents"])[:2] == ["branch-founding-request", "branch-founding-reply"]


def test_make_files_a_record_and_prints_it(cli, home: Path) -> None:  # noqa: ANN001
    result = cli("make", "branch-founding-request", "--answers", SECRETARY, "--json")
    assert result.exit_code == 0, result.output
    made = json.loads(result.output)
    assert made["档号"] == "J001-WS·2026-Y-SQDW-0001"
    record_dir = Path(made["record_dir"])
    assert record_dir.parent == home / "archive" / "2026" / "03" / "02"
    assert sorted(p.name for p in record_dir.iterdir()) == [
        "answers.json", "document.docx", "document.pdf", "record.json", "scans"]
    record = json.loads((record_dir / "record.json").read_text(encoding="utf-8"))
    assert record["题名"] == "关于成立江南花山郡小区党支部的请示"
    assert record["文种"] == "请示" and record["保管期限"] == "永久" and record["件号"] == 1
    assert set(made["files"]) == {"answers.json", "document.docx", "document.pdf"}
    answers = json.loads((record_dir / "answers.json").read_text(encoding="utf-8"))
    assert answers["party_member_count"] == 5 and answers["founding_request_date"] == "2026-03-02"
    # 件号 continue without gaps across kinds of the same 保管期限
    second = json.loads(cli("make", "branch-founding-reply", "--answers", SECRETARY, "--json").output)
    assert second["档号"] == "J001-WS·2026-Y-JDDGW-0002"


def test_make_no_archive_writes_only_into_out(cli, home: Path, tmp_path: Path) -> None:  # noqa: ANN001
    out = tmp_path / "out"
    result = cli("make", "branch-election-notice", "--answers", SECRETARY, "--out", out, "--no-archive")
    assert result.exit_code == 0, result.output
    assert [p.name for p in all_files(out)] == ["branch-election-notice.docx", "branch-election-notice.pdf"]
    assert not home.exists()
    assert "现予以公示" in pdf_text(out / "branch-election-notice.pdf")


def test_make_with_bad_answers_exits_nonzero_and_writes_nothing(cli, home: Path, tmp_path: Path) -> None:  # noqa: ANN001
    answers = example("branch-founding", "secretary-only")
    answers["present_count"] = 9
    bad = tmp_path / "bad.yaml"
    bad.write_text(yaml.safe_dump(answers, allow_unicode=True), encoding="utf-8")
    result = cli("make", "branch-election-report", "--answers", bad, "--out", tmp_path / "out")
    assert result.exit_code == 2
    assert "【实到（名）】（present_count）实到人数（9）不能多于应到会有选举权党员（5 = 正式党员 5 − 无选举权 0 − 不计入 0）" in result.output
    assert "Traceback" not in result.output
    assert all_files(home) == [] and not (tmp_path / "out").exists()


def test_unknown_document_and_unreadable_answers(cli, tmp_path: Path) -> None:  # noqa: ANN001
    result = cli("make", "no-such-doc", "--answers", SECRETARY)
    assert result.exit_code == 4 and "没有文件“no-such-doc”" in result.output
    broken = tmp_path / "broken.yaml"
    broken.write_text("a: [1, 2\n", encoding="utf-8")
    result = cli("make", "branch-founding-request", "--answers", broken)
    assert result.exit_code == 2 and "不是有效的 YAML 或 JSON" in result.output  # the file's fault: exit 2


def test_interview_no_input_lists_every_missing_answer(cli, tmp_path: Path) -> None:  # noqa: ANN001
    partial = tmp_path / "partial.yaml"
    partial.write_text("street_name: 纸坊街道\nstreet_party_org: 中共纸坊街道工作委员会\n", encoding="utf-8")
    result = cli("interview", "branch-founding", "--doc", "branch-founding-request", "--answers", partial,
                 "--no-input")
    assert result.exit_code == 2
    for label, key in (("社区名称", "community_name"), ("社区党组织名称", "community_party_org"),
                       ("小区名称", "compound_name"), ("正式党员人数", "party_member_count"),
                       ("临时召集人姓名", "convener_name"), ("成文日期", "founding_request_date")):
        assert f"【{label}】（{key}）必须填写" in result.output


def test_interview_asks_in_chinese_and_reasks_invalid_input(cli, home: Path, tmp_path: Path) -> None:  # noqa: ANN001
    answers = example("branch-founding", "secretary-only")
    for missing in ("party_member_count", "founding_request_date"):
        del answers[missing]
    partial = tmp_path / "partial.yaml"
    partial.write_text(yaml.safe_dump(answers, allow_unicode=True), encoding="utf-8")
    typed = "\n".join(["两个", "2", "4", "2026-13-01", "2026-03-02", ""]) + "\n"
    result = cli("interview", "branch-founding", "--doc", "branch-founding-request", "--answers", partial,
                 input=typed)
    assert result.exit_code == 0, result.output
    out = result.output
    assert "■ 江南花山郡小区的正式党员" in out
    assert "应填写整数，收到“两个”" in out
    assert "不能单独成立党支部" in out  # 2 members: re-asked with the manual's reason
    assert "不存在的日期“2026-13-01”" in out
    assert "■ 请核对" in out and "档号：J001-WS·2026-Y-SQDW-0001" in out
    record = json.loads(next(home.rglob("record.json")).read_text(encoding="utf-8"))
    assert "共有4名正式党员" in record["text"]


def test_markup_in_answers_comes_out_literally(cli, tmp_path: Path) -> None:  # noqa: ANN001
    answers = example("branch-founding", "secretary-only")
    nasty = "#*_$[]<>\\${x}%{{}}"
    answers["compound_name"] = nasty
    answers["convener_title"] = "# 第二行 *粗* ${y}"  # one line: a one-line field refuses "\n"
    path = tmp_path / "nasty.yaml"
    path.write_text(yaml.safe_dump(answers, allow_unicode=True), encoding="utf-8")
    result = cli("make", "branch-founding-request", "--answers", path, "--out", tmp_path / "out", "--no-archive")
    assert result.exit_code == 0, result.output
    flat = "".join(pdf_text(tmp_path / "out" / "branch-founding-request.pdf").split())
    flat = re.sub(r"—\d+—", "", flat)  # the page numbers, wherever a page breaks
    assert nasty in flat and "#第二行*粗*${y}" in flat
    words = "".join(p.text for p in docx.Document(tmp_path / "out" / "branch-founding-request.docx").paragraphs)
    assert nasty in words and "# 第二行 *粗* ${y}" in words


def test_home_option_beats_environment(cli, home: Path, tmp_path: Path) -> None:  # noqa: ANN001
    other = tmp_path / "other"
    result = cli("make", "branch-founding-request", "--answers", SECRETARY, "--home", other)
    assert result.exit_code == 0, result.output
    assert any(other.rglob("record.json")) and not home.exists()


def test_interview_cancelled_by_end_of_input_files_nothing_but_keeps_the_draft(cli, home: Path) -> None:  # noqa: ANN001
    result = cli("interview", "branch-founding", input="1\n纸坊街道\n")
    assert result.exit_code == 1
    assert "已取消，未生成任何文件。" in result.output and "Traceback" not in result.output
    assert "草稿 1，可用 sanfang drafts resume 1 继续" in result.output
    assert all_files(home) == [home / "drafts.sqlite"]  # no record, no key: only the answers so far
    listed = cli("drafts", "list")
    assert "branch-founding  已答 1 步  branch-founding-request" in listed.output
    assert cli("drafts", "discard", "1").exit_code == 0
    assert cli("drafts", "list").output.strip() == "没有草稿。"
    gone = cli("drafts", "resume", "1")
    assert gone.exit_code == 4 and "没有编号为“1”的草稿" in gone.output


def test_interview_without_archive_leaves_no_draft(cli, home: Path) -> None:  # noqa: ANN001
    result = cli("interview", "branch-founding", "--no-archive", input="1\n纸坊街道\n")
    assert result.exit_code == 1 and "已取消，未生成任何文件。" in result.output
    assert all_files(home) == []
