"""Workspace and file-system faults end in their exit code (6 for the archive, 1 otherwise) with a
Chinese message that says what to do — never a traceback; a 档号 is matched exactly; an
interview is named, never loaded by path; a closed pipe ends the command quietly."""

from __future__ import annotations

import errno
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from sanfang_docs.api import Sanfang
from tests.conftest import EXAMPLES, REPO

ANSWERS = EXAMPLES / "cross-appointment" / "committee-cadre.yaml"
FIRST = "J001-WS·2026-D30-YZWYH-0001"


@pytest.fixture
def filed(cli: Any, home: Path) -> Path:
    result = cli("make", "cross-certificate", "--answers", ANSWERS)
    assert result.exit_code == 0 and FIRST in result.output, result.output
    return next(home.rglob("record.json"))


def records(home: Path) -> list[str]:
    return sorted(p.parent.name for p in home.rglob("record.json"))


@pytest.mark.parametrize("pattern", ["*", "J001-WS·2026-D30-YZWYH-*", "J001-WS·2026-D30-YZWYH-[0-9]*",
                                     "J001-WS·2026-D30-YZWYH-000?", "../../archive", "J001-WS·2026-D30-YZWYH-0002"])
def test_from_matches_a_number_never_a_pattern(cli: Any, home: Path, filed: Path, pattern: str) -> None:
    result = cli("make", "quality-supervisor-letter", "--answers", ANSWERS, "--from", pattern)
    assert result.exit_code == 4, result.output
    assert records(home) == [FIRST]


@pytest.mark.parametrize("spelling", ["j001-ws.2026-d30-yzwyh-0001", "J001-WS2026-D30-YZWYH-0001",
                                      " ＪＯＯ１－ＷＳ·２０２６－Ｄ３０－ＹＺＷＹＨ－０００１ ".replace("Ｏ", "０")])
def test_from_accepts_the_spellings_search_accepts(cli: Any, home: Path, filed: Path, spelling: str) -> None:
    result = cli("make", "quality-supervisor-letter", "--answers", ANSWERS, "--from", spelling, "--json")
    assert result.exit_code == 0, result.output
    new = json.loads(result.output)
    first = json.loads(filed.read_text(encoding="utf-8"))
    assert new["case_id"] == first["case_id"]


@pytest.mark.parametrize("name", ["../interviews/common", "common", "/etc/passwd", "branch-founding.yml", "..",
                                  "branch-founding/../common"])
def test_interview_is_named_never_loaded_by_path(cli: Any, name: str) -> None:
    result = cli("interview", name, "--no-input")
    assert result.exit_code == 4 and "没有名为" in result.output, result.output


def test_damaged_record_is_reported_skipped_and_refused(cli: Any, home: Path, filed: Path,
                                                        caplog: pytest.LogCaptureFixture) -> None:
    filed.write_text("[1, 2]", encoding="utf-8")
    reindexed = cli("reindex")  # the warning goes to stderr through logging
    assert reindexed.exit_code == 0 and "跳过损坏的记录" in caplog.text and "record.json 不是一条记录" in caplog.text
    verified = cli("verify")
    assert verified.exit_code == 8 and FIRST in verified.output
    result = cli("make", "quality-supervisor-letter", "--answers", ANSWERS, "--from", FIRST)
    assert result.exit_code == 6 and "已损坏" in result.output and "sanfang verify" in result.output


@pytest.mark.parametrize(("settings", "words"), [
    ("fonds_id: [\n", "不是有效的 YAML（第 2 行）"),
    ("- a\n- b\n", "应是“设置名: 值”的映射"),
    ("retention: 5\n", "retention 应是"),
    ("org_codes:\n  community: ../x\n", "org_codes.community（机构代码）"),
    ("fonds_id: J/001\n", "fonds_id（全宗号）"),
    ("retention:\n  请示: 一百年\n", "retention.请示（保管期限）"),
])
def test_broken_settings_say_what_to_fix(cli: Any, home: Path, settings: str, words: str) -> None:
    home.mkdir(parents=True)
    (home / "settings.yaml").write_text(settings, encoding="utf-8")
    result = cli("make", "cross-certificate", "--answers", ANSWERS)
    assert result.exit_code == 1 and words in result.output and "删除该文件" in result.output, result.output
    assert records(home) == []


def test_home_below_a_regular_file(cli: Any, tmp_path: Path) -> None:
    (tmp_path / "plain").write_text("x", encoding="utf-8")
    for command in (["make", "cross-certificate", "--answers", ANSWERS], ["verify"], ["search", "证明"]):
        result = cli(*command, "--home", tmp_path / "plain" / "ws")
        assert result.exit_code == 1 and "是一个文件而不是目录" in result.output, result.output


def _fail_with(code: int, match: str) -> Any:
    real_open = open

    def fake_open(path: Any, *args: Any, **kwargs: Any) -> Any:
        if str(path).endswith(match):
            raise OSError(code, os.strerror(code), str(path))
        return real_open(path, *args, **kwargs)

    return fake_open


def test_read_only_archive_is_exit_6_and_still_verifies(cli: Any, home: Path, filed: Path,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    # The operating system is the boundary here: a read-only mount refuses the lock file first.
    monkeypatch.setattr("sanfang_docs.archive.locks.open", _fail_with(errno.EROFS, "archive/.lock"), raising=False)
    result = cli("make", "cross-certificate", "--answers", ANSWERS)
    assert result.exit_code == 6 and "只读" in result.output and "档案未被改动" in result.output, result.output
    verified = cli("verify")
    assert verified.exit_code == 0, verified.output  # read without the lock: nobody can write either
    assert records(home) == [FIRST]


def _full_disk_refused_and_archive_whole(cli: Any, home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    result = cli("make", "cross-certificate", "--answers", ANSWERS)
    assert result.exit_code == 6 and "磁盘空间已满" in result.output, result.output
    monkeypatch.undo()
    assert records(home) == [FIRST]
    report = Sanfang(home).verify()
    assert report.ok, [p.as_text() for p in report.problems]


def test_full_disk_is_exit_6_and_the_archive_stays_whole(cli: Any, home: Path, filed: Path,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    def full(fd: int) -> None:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(os, "fsync", full)
    _full_disk_refused_and_archive_whole(cli, home, monkeypatch)


def test_full_disk_while_staging_outside_the_lock_is_exit_6_too(cli: Any, home: Path, filed: Path,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    """The record's files are written outside the archive lock now: a full disk there is the
    same clear exit 6 as under it, and leaves nothing behind."""
    from sanfang_docs.archive import durable

    real = durable.Batch.write

    def full(self: Any, path: Path, data: bytes, mode: int | None = None) -> None:
        if ".tmp" in path.parts:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        real(self, path, data, mode)

    monkeypatch.setattr(durable.Batch, "write", full)
    _full_disk_refused_and_archive_whole(cli, home, monkeypatch)


def test_broken_pipe_ends_quietly(tmp_path: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(REPO), "SANFANG_HOME": str(tmp_path / "ws")}
    proc = subprocess.Popen([sys.executable, "-m", "sanfang_docs.cli", "catalog"], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, env=env)
    assert proc.stdout is not None and proc.stderr is not None
    proc.stdout.close()  # `sanfang catalog | head -0`: nobody reads
    err = proc.stderr.read().decode("utf-8")
    assert proc.wait(timeout=60) == 0 and err == "", err
