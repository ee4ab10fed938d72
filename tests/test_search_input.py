"""Bad input never crashes or hangs search (issue 11, its search parts): queries capped in
length and cost, --limit checked, a query of only OR/NOT, an unknown 字段:值, damaged records
skipped by reindex with a warning, a damaged index reported as exit 9 with what to do."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "bench"))

from bench_search_archive import file_cases  # noqa: E402
from bench_search_corpus import corpus  # noqa: E402

from sanfang_docs.api import Sanfang  # noqa: E402
from sanfang_docs.cli import main  # noqa: E402
from sanfang_docs.search.query import MAX_QUERY_CHARS, MAX_QUERY_WORDS  # noqa: E402


def _filed(home: Path) -> Sanfang:
    app = Sanfang(home)
    file_cases(app.archive, list(corpus(20, seed=3))[:1])  # 示范文本1 for 江南花山郡: 8 records
    return app


@pytest.fixture(scope="module")
def filed(tmp_path_factory: pytest.TempPathFactory) -> Sanfang:
    return _filed(tmp_path_factory.mktemp("input"))


@pytest.fixture
def damaged(tmp_path: Path) -> Sanfang:
    return _filed(tmp_path / "ws")


def cli(*args: str):  # noqa: ANN201 - a click Result
    return CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)


def search(home: Path, *args: str):  # noqa: ANN201
    return cli("search", "--home", str(home), *args)


def test_a_huge_query_is_refused_at_once_with_a_clear_message(filed: Sanfang) -> None:
    home = filed.workspace.home
    for text in ("选举" * 50_000, "物" * 20_000, "x " * 30_000):
        out = search(home, text)
        assert out.exit_code == 2, out.output[-500:]
        assert "查询过长" in out.output and str(MAX_QUERY_CHARS) in out.output and "Traceback" not in out.output
    # Short, but each word a posting list and a name lookup.
    many = " ".join(chr(0x4E00 + 97 * i) for i in range(MAX_QUERY_WORDS + 5))
    out = search(home, many)
    assert out.exit_code == 2 and "查询词过多" in out.output, out.output
    assert search(home, "物业管理委员会" * (MAX_QUERY_CHARS // 7)).exit_code == 0  # at the cap: runs


@pytest.mark.parametrize("limit, code, says", [
    ("0", 2, "1 到 500"), ("-3", 2, "1 到 500"), ("abc", 2, "整数"), ("1.5", 2, "整数"),
    ("100000", 0, "最多显示 500 条"), ("9" * 400, 0, "最多显示 500 条"), ("3", 0, ""),
])
def test_limit_is_checked(filed: Sanfang, limit: str, code: int, says: str) -> None:
    out = search(filed.workspace.home, "党支部", "--limit", limit)
    assert out.exit_code == code, out.output
    assert says in out.output and "Traceback" not in out.output
    if code == 0 and limit == "3":
        assert out.stdout.count("J001-WS·") == 3


@pytest.mark.parametrize("text", ["OR", "NOT", "OR NOT", "AND OR", "not"])
def test_a_query_of_only_operators_says_what_is_missing(filed: Sanfang, text: str) -> None:
    result = filed.search(text)
    assert not result.hits and any("连接词" in n for n in result.notes), result.notes


def test_an_unknown_field_is_read_as_words_and_said(filed: Sanfang) -> None:
    result = filed.search("颜色:选举结果")
    assert any("没有“颜色”这个检索字段" in n and "题名" in n for n in result.notes), result.notes
    assert result.hits and "选举结果" in result.hits[0].title  # the value is still looked for
    out = search(filed.workspace.home, "颜色：红", "--json")
    assert out.exit_code == 0 and "没有“颜色”这个检索字段" in json.loads(out.stdout)["notes"][0]
    bad_date = filed.search("日期:2025-13-45 选举结果")
    assert bad_date.hits and any("日期“2025-13-45”无法识别" in n for n in bad_date.notes)
    known = filed.search("题名:选举结果")  # a real field still works, and is not reported
    assert known.hits and not known.notes


def test_reindex_skips_damaged_records_with_a_warning(damaged: Sanfang) -> None:
    filed = damaged
    records = list(filed.archive.records())
    garbage = [b'["a", "list"]', b"{not json", b"\xff\xfe\x00garbage", json.dumps({"题名": "没有档号"}).encode()]
    damage = records[:len(garbage)]
    for record, data in zip(damage, garbage, strict=True):
        record.file("record.json").write_bytes(data)
    out = cli("reindex", "--home", str(filed.workspace.home))
    assert out.exit_code == 0, out.output
    assert f"已重建检索索引：{len(records) - len(damage)} 条记录" in out.output
    for record in damage:
        assert f"已跳过损坏的记录 {record.archive_no}" in out.output
    assert "sanfang verify" in out.output
    good = {r.archive_no for r in records} - {r.archive_no for r in damage}
    found = {h.archive_no for h in filed.search("江南花山郡", limit=50).hits}
    assert found == good
    # A record damaged after it was indexed: its hit shows, without a snippet, no crash.
    records[4].file("record.json").write_bytes(b"[1, 2]")
    assert filed.search(records[4].archive_no).hits[0].archive_no == records[4].archive_no


def test_a_damaged_index_is_exit_9_with_what_to_do(damaged: Sanfang) -> None:
    filed = damaged
    home = filed.workspace.home
    assert search(home, "党支部").exit_code == 0
    gen = filed.index.root / (filed.index.current() or "")
    for seg in gen.glob("*.seg"):
        seg.write_bytes(seg.read_bytes()[:200] + b"\0" * 64)  # truncated and garbled
    for toc in gen.glob("*.toc"):
        toc.write_bytes(toc.read_bytes()[:40])
    out = search(home, "党支部")
    assert out.exit_code == 9, out.output
    assert "sanfang reindex" in out.output and "Traceback" not in out.output
    assert cli("reindex", "--home", str(home)).exit_code == 0
    assert search(home, "党支部").exit_code == 0
