"""Search (DESIGN.md "Search"): quality on the labelled set, scope, filters, incremental updates,
one writer across processes, reindex, the CLI.

The district archive is generated from our own interviews and templates (bench/
bench_search_corpus.py) and filed through the real Archive, as the benchmark's is.
"""

from __future__ import annotations

import json
import multiprocessing
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "bench"))

from bench_search_archive import file_cases, plain  # noqa: E402
from bench_search_corpus import Case, corpus  # noqa: E402
from bench_search_labels import evaluate, load  # noqa: E402

from sanfang_docs.api import Sanfang  # noqa: E402
from sanfang_docs.archive import Archive  # noqa: E402
from sanfang_docs.cli import main  # noqa: E402
from sanfang_docs.search import Scope  # noqa: E402
from sanfang_docs.search.analyzer import Vocabulary, register  # noqa: E402
from sanfang_docs.search.analyzer import analyzer as make_analyzer  # noqa: E402
from sanfang_docs.search.follow import Follower  # noqa: E402
from sanfang_docs.workspace import Workspace  # noqa: E402

DISTRICT_DOCS = 300
# Measured on this corpus: P@5 0.995, R@20 0.992 (82 queries, with the templated name and 档号
# queries of issue 12). test_search_meaning.py holds a district the search was not tuned on
# to the same floors (issue 12: 0.95).
P5_FLOOR = 0.95
R20_FLOOR = 0.95


@pytest.fixture(scope="module")
def district(tmp_path_factory: pytest.TempPathFactory) -> Sanfang:
    home = tmp_path_factory.mktemp("district")
    # Filed without the index listening, then indexed once: what `sanfang reindex` does.
    file_cases(Archive(Workspace.open(home)), corpus(DISTRICT_DOCS, seed=7))
    app = Sanfang(home)
    app.reindex()
    return app


def archive_nos(app: Sanfang, query: str, **kw: object) -> list[str]:
    return [h.archive_no for h in app.search(query, **kw).hits]  # type: ignore[arg-type]


# -- quality -------------------------------------------------------------------------------------

def test_labelled_queries_meet_the_floors(district: Sanfang) -> None:
    labelled, skipped = load(r.meta for r in district.archive.records())
    assert len(labelled) >= 40, f"labelled queries with records to find: {len(labelled)}; left out: {skipped}"
    scores = evaluate(labelled, lambda q, k: archive_nos(district, q, limit=k))
    report = scores.misses()
    print(f"\nP@5 {scores.p5:.3f}  R@20 {scores.r20:.3f}  over {len(labelled)} queries\n{report}")
    assert scores.p5 >= P5_FLOOR, report
    assert scores.r20 >= R20_FLOOR, report
    lost = [q for q, _, r, _ in scores.per_query if r == 0]
    assert not lost, f"queries that found none of their records: {lost}"


def test_abbreviation_and_full_name_find_the_same_records(district: Sanfang) -> None:
    short = set(archive_nos(district, "物管会", limit=20))
    full = set(archive_nos(district, "物业管理委员会", limit=20))
    assert short and short == full


def test_a_misspelt_name_says_what_it_searched_for(district: Sanfang) -> None:
    result = district.search("藏龙玉景")
    assert result.hits and all(h.compound == "藏龙御景" for h in result.hits[:5])
    assert any("藏龙御景" in n for n in result.notes)


def test_snippets_mark_the_words(district: Sanfang) -> None:
    hit = district.search("选举结果 江南花山郡").hits[0]
    assert "【选举结果】" in hit.snippet or "【江南花山郡】" in hit.snippet
    assert any(is_match for _, is_match in hit.parts)


def test_archive_number_in_any_spelling_finds_its_record(district: Sanfang) -> None:
    record = next(r for r in district.archive.records() if r.meta["compound"] == "藏龙御景")
    no = record.archive_no
    for typed in (no, no.lower(), no.replace("·", "."), f"档号：{no}"):
        assert archive_nos(district, typed)[:1] == [no], typed


# -- scope and filters ------------------------------------------------------------------------------

@pytest.mark.parametrize("query", ["选举结果", "江南花山郡", "藏龙御景 批复", "物管会", "", "党支部 OR 业委会"])
def test_scope_never_leaks(district: Sanfang, query: str) -> None:
    for scope, key in ((Scope.community("文化路社区"), "community"), (Scope.street("五里界街道"), "street")):
        hits = district.search(query, scope=scope, limit=50).hits
        assert all(getattr(h, key) == scope.name for h in hits), (query, scope)
    # A compound of another community stays invisible even when named.
    assert not district.search("藏龙御景", scope=Scope.community("文化路社区"), compound="藏龙御景").hits


def test_filters_without_a_query_list_newest_first(district: Sanfang) -> None:
    result = district.search(compound="江南花山郡", limit=50)
    assert result.stage == "list" and result.hits
    assert all(h.compound == "江南花山郡" for h in result.hits)
    dates = [h.date for h in result.hits]
    assert dates == sorted(dates, reverse=True)
    ranged = district.search(kind="批复", date_from="2024", date_to="2025-06", limit=100).hits
    assert ranged and all(h.kind == "批复" and "2024-01-01" <= h.date <= "2025-06-30" for h in ranged)
    stamped = district.search(status="已盖章", limit=20).hits
    assert stamped and all(h.status == "已盖章" for h in stamped)


def test_filters_and_query_together(district: Sanfang) -> None:
    hits = district.search("选举结果", kind="批复", limit=30).hits
    assert hits and all(h.kind == "批复" and "选举结果" in h.title for h in hits[:5])
    in_march = district.search("日期:2026-03 党支部", limit=30).hits
    assert in_march and all(h.date.startswith("2026-03") for h in in_march)


def test_an_unknown_filter_name_is_resolved_or_reported(district: Sanfang) -> None:
    close = district.search(compound="江南花山")  # partial: the compound it names
    assert close.hits and {h.compound for h in close.hits} == {"江南花山郡"}
    assert any("江南花山郡" in n for n in close.notes)
    nothing = district.search("党支部", compound="不存在的小区名称")
    assert not nothing.hits and nothing.notes


def test_a_query_of_only_common_characters_finds_nothing_and_says_why(district: Sanfang) -> None:
    result = district.search("的 （")
    assert not result.hits and result.notes


def test_partial_matches_come_after_full_ones(district: Sanfang) -> None:
    result = district.search("江南花山郡 选举结果", limit=20)
    flags = [h.partial for h in result.hits]
    assert flags[0] is False and True in flags and flags == sorted(flags)
    full = [h for h in result.hits if not h.partial]
    assert full and all(h.compound == "江南花山郡" for h in full)


def test_not_excludes(district: Sanfang) -> None:
    hits = district.search("物管会 NOT 批复", limit=30).hits
    assert hits and all(h.kind != "批复" for h in hits)


# -- incremental updates and rebuilds --------------------------------------------------------------

def _placeholder(doc: object) -> dict[str, bytes]:
    return {"document.pdf": b"%PDF-1.7 placeholder\n"}


def _file(app: Sanfang, cases: list) -> list:
    records = []
    for case in cases:
        for doc in case.documents:
            ctx = {"interview": case.interview, "street": case.place.street, "community": case.place.community,
                   "compound": case.place.compound, "case_id": case.case_id, "issuer_role": doc.issuer_role}
            records.append(app.archive.file(doc, _placeholder, plain(case.answers), ctx))
    return records


def test_every_archive_change_reaches_the_index(app: Sanfang) -> None:
    cases = list(corpus(20, seed=3))[:2]  # the two 示范文本1 examples: 16 documents
    records = _file(app, cases)  # the index follows the archive: no reindex anywhere here
    assert archive_nos(app, records[0].archive_no) == [records[0].archive_no]
    assert app.search("江南花山郡 选举结果").hits
    target = records[5]
    app.archive.attach_scan(target.archive_no, "scan-1.pdf", b"%PDF-1.7 scan\n")
    app.archive.attach_scan(target.archive_no, "scan-1.txt", "手写批注：同意，请抓紧落实。".encode(), status=None)
    assert archive_nos(app, "扫描件:手写批注") == [target.archive_no]
    assert [h.status for h in app.search(target.archive_no).hits] == ["已盖章"]
    app.archive.set_status(records[6].archive_no, "已盖章", "补盖章")
    stamped = set(archive_nos(app, "", status="已盖章", limit=50))
    assert stamped == {target.archive_no, records[6].archive_no}

    queries = ["党支部", "选举结果", "藏龙御景", "扫描件:手写批注", "王秀兰", "议程"]
    before = {q: archive_nos(app, q, limit=20) for q in queries}
    assert app.reindex() == len(records)
    after = {q: archive_nos(app, q, limit=20) for q in queries}
    assert {q: sorted(v) for q, v in before.items()} == {q: sorted(v) for q, v in after.items()}
    assert before["扫描件:手写批注"] == after["扫描件:手写批注"]


def test_an_empty_archive_searches_cleanly(app: Sanfang) -> None:
    for query in ("物管会", "", '"选举结果"'):
        assert app.search(query).hits == []


def test_a_change_the_index_cannot_take_is_queued_not_lost(app: Sanfang, monkeypatch: pytest.MonkeyPatch) -> None:
    case = list(corpus(20, seed=3))[0]
    one, two = case.documents[:2]
    _file(app, [Case(case.interview, case.answers, [one], case.place, "c1")])
    app.catch_up_index()

    def full_disk(*args: object, **kwargs: object) -> int:
        raise OSError("磁盘已满")

    monkeypatch.setattr(type(app.index), "_write", full_disk)
    record = _file(app, [Case(case.interview, case.answers, [two], case.place, "c1")])[0]  # still filed
    follower = Follower(app.index)
    with pytest.raises(OSError):
        follower.catch_up()
    assert follower.behind()  # its audit line is the queue: still unread
    assert app.search(record.archive_no).hits == []  # the search says why (a warning) and goes on
    monkeypatch.undo()
    assert archive_nos(app, record.archive_no) == [record.archive_no]  # the next search applies it
    assert not follower.behind()


def test_a_filed_record_is_found_by_the_applier_of_a_long_lived_process(tmp_path: Path) -> None:
    """The web app's filing worker runs an applier thread: a record another process files is
    found without anyone searching first (polled: no assertion on how fast)."""
    server = Sanfang(tmp_path)
    server.catch_up_index()  # the index exists, as in a running office
    server.follow_index()
    try:
        case = list(corpus(20, seed=3))[0]
        ctx = multiprocessing.get_context("fork")
        out = ctx.Queue()
        child = ctx.Process(target=_file_in_child, args=(str(tmp_path), [case], out, False))
        child.start()
        filed = out.get(timeout=300)
        child.join(timeout=60)
        assert isinstance(filed, list) and filed, filed
        deadline = time.monotonic() + 120
        follower = Follower(server.index)
        # The index is read directly: no search catches it up. The applier commits the records,
        # then moves its mark into the log: both are waited for.
        while (server.index.doc_count() < len(filed) or follower.behind()) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert server.index.doc_count() == len(filed)
        assert not follower.behind()
        assert archive_nos(server, filed[0]) == [filed[0]]
    finally:
        server._applier.stop()


def _file_in_child(home: str, cases: list, out: multiprocessing.Queue, catch_up: bool = True) -> None:
    try:
        app = Sanfang(home)
        filed = [r.archive_no for r in _file(app, cases)]
        if catch_up:  # each child also writes the index: one writer at a time
            app.catch_up_index()
        out.put(filed)
    except Exception as exc:  # noqa: BLE001 - reported to the parent
        out.put(repr(exc))


def test_one_writer_at_a_time_across_processes(tmp_path: Path) -> None:
    cases = list(corpus(20, seed=5))[:6]  # the example answer sets, several interviews
    ctx = multiprocessing.get_context("fork")
    out = ctx.Queue()
    procs = [ctx.Process(target=_file_in_child, args=(str(tmp_path), cases[i::3], out)) for i in range(3)]
    for p in procs:
        p.start()
    filed = [out.get(timeout=300) for _ in procs]
    for p in procs:
        p.join(timeout=60)
    assert all(isinstance(f, list) for f in filed), filed
    app = Sanfang(tmp_path)
    nos = {n for f in filed for n in f}
    assert len(nos) == sum(len(c.documents) for c in cases)
    assert app.index.doc_count() == len(nos) and not app.index.pending()
    for case in cases:  # each compound's name was learnt as one word, whichever process filed it
        assert {h.compound for h in app.search(case.place.compound, limit=20).hits} == {case.place.compound}


# -- the engine gives Whoosh's answers -------------------------------------------------------------

def test_engine_matches_whoosh(district: Sanfang) -> None:
    """engine.py must rank as Whoosh would (exhaustive BM25F, ties to the lower docnum); it
    only avoids walking the matches in Python. Phrases are filters there: compared as sets."""
    from whoosh import query as wq

    from sanfang_docs.search.query import Context, build, parse

    index = district.index
    searcher, engine = index.searcher(), index.engine()
    ctx = Context(searcher, index.vocabulary(index.current() or ""), index.cache)
    labelled, _ = load(r.meta for r in district.archive.records())
    compared = 0
    for item in labelled:
        q = build(parse(item.query, searcher.schema), ctx, "strict")
        for part in ([q.a, q.b] if isinstance(q, wq.AndMaybe) else [q]):
            if any(isinstance(n, (wq.Phrase, wq.Not)) for n in _nodes(part)):
                continue  # Whoosh scores a NOT as +1 and a phrase by its own rule
            # Every match, then the top 10 (Whoosh's own top-10 collector can drop a document
            # whose score ties the leaders: seen with 党工委 选举结果 批复).
            every = [(h.docnum, round(h.score, 6)) for h in searcher.search(part, limit=None, optimize=False)]
            whoosh = sorted(every, key=lambda x: (-x[1], x[0]))[:10]
            mine = [(d, round(score, 6)) for d, score in engine.top(part, 10)[0]]
            assert mine == whoosh, item.query
            compared += 1
    assert compared >= 50
    phrase = wq.Phrase("phrases", ["选举结果", "报告"])
    assert set(np.flatnonzero(engine.evaluate(phrase)[0])) == set(searcher.docs_for_query(phrase))


def _nodes(q: object) -> list:
    return [q, *[n for c in q.children() for n in _nodes(c)]]  # type: ignore[attr-defined]


# -- the analyzer ----------------------------------------------------------------------------------

def test_names_are_words_and_long_words_are_found_by_their_parts() -> None:
    vocab = Vocabulary(["江南花山郡"])
    register("test-vocab", vocab)
    ana = make_analyzer("test-vocab")
    query = [t.text for t in ana("江南花山郡小区物业管理委员会", mode="query")]
    assert query == ["江南花山郡", "小区", "物业管理委员会"]
    indexed = {t.text for t in ana("江南花山郡小区物业管理委员会", mode="index")}
    assert {"江南花山郡", "物业", "委员会", "物业管理委员会"} <= indexed


# -- the generated archive ---------------------------------------------------------------------------

def test_the_parallel_generator_makes_the_cases_of_the_sequential_one(monkeypatch: pytest.MonkeyPatch) -> None:
    """bench_search_fast.py runs the interviews on worker processes, cases planned ahead: the
    benchmark's archive must stay the one ``corpus`` makes in one process, fallbacks included."""
    import bench_search_corpus as generated
    from bench_search_fast import cases as generate
    from bench_search_names import Names

    def cases(jobs: int) -> list[Case]:
        return list(generate(70, seed=13, real_docs=45, names=Names(13), jobs=jobs))

    one = cases(1)
    assert len({c.case_id for c in one}) == len(one) and any(c.interview != "branch-founding" for c in one)
    assert cases(2) == one
    # Another interview's example that makes nothing: the sequence falls back to 示范文本1 with
    # the RNG where the example left it, and every case planned after it changes.
    real = generated.run_all
    monkeypatch.setattr(generated, "run_all", lambda name, answers: [] if name != "branch-founding"
                        and len(str(answers.get("compound_name", ""))) % 2 else real(name, answers))
    fallen = cases(1)
    assert fallen != one and cases(2) == fallen


def test_a_smaller_archive_is_the_first_records_of_a_bigger_one(tmp_path: Path) -> None:
    """bench_search.py builds the largest archive and hard-links the first records of it for
    the smaller sizes: they must be the records generating the smaller one makes."""
    from bench_search_fast import build, prefix

    def files(home: Path) -> dict[str, object]:
        out: dict[str, object] = {}
        for path in sorted((home / "archive").rglob("*")):
            if path.is_file():
                data = path.read_bytes()
                if path.name == "record.json":
                    meta = json.loads(data)
                    meta.pop("created_at")  # the clock, the one difference
                    out[str(path.relative_to(home))] = meta
                else:
                    out[str(path.relative_to(home))] = data
        return out

    build(tmp_path / "big", 160, seed=13, real_docs=130, jobs=1)
    n = prefix(tmp_path / "big", tmp_path / "cut", 100)
    made = build(tmp_path / "made", 100, seed=13, real_docs=100, jobs=1)
    assert n == made["records"] >= 100
    cut, direct = files(tmp_path / "cut"), files(tmp_path / "made")
    assert cut == direct and any(k.startswith("archive/.counters") for k in cut)
    with pytest.raises(ValueError):
        prefix(tmp_path / "big", tmp_path / "too-many", 10_000)


# -- the CLI ---------------------------------------------------------------------------------------

def test_cli_reindex(app: Sanfang) -> None:
    _file(app, list(corpus(20, seed=3))[:1])
    done = CliRunner().invoke(main, ["reindex", "--home", str(app.workspace.home)], catch_exceptions=False)
    assert done.exit_code == 0 and "已重建检索索引：8 条记录" in done.output


def test_cli_search(district: Sanfang) -> None:
    runner = CliRunner()
    home = str(district.workspace.home)
    out = runner.invoke(main, ["search", "--home", home, "选举结果", "--compound", "江南花山郡", "--json"],
                        catch_exceptions=False)
    data = json.loads(out.stdout)
    assert data["hits"] and all(h["compound"] == "江南花山郡" for h in data["hits"])
    text = runner.invoke(main, ["search", "--home", home, "--kind", "批复", "--limit", "2"], catch_exceptions=False)
    assert text.exit_code == 0 and text.stdout.count("J001-WS·") == 2
    assert "查询写法" in runner.invoke(main, ["search", "--help"]).output
    bad = runner.invoke(main, ["search", "--home", home, "x", "--from", "去年"])
    assert bad.exit_code != 0 and "日期" in bad.output
