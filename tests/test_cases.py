"""Cases: a reply or later document starts from an archived record by its 档号 (`--from`),
takes over its answers, cites its title and date, and files into the same case."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from sanfang_docs.api import Sanfang
from sanfang_docs.archive import Record
from sanfang_docs.archive.cases import carried_answers, followers
from sanfang_docs.documents.imprint import apply_office
from sanfang_docs.errors import ValidationError
from sanfang_docs.interview import load
from sanfang_docs.interview.drive import run
from tests.conftest import example

# 示范文本1 step by step: each document's answers file holds only the facts new at that step.
BRANCH_STEPS: list[tuple[str, list[str]]] = [
    ("branch-founding-request", ["street_name", "street_party_org", "community_name", "community_party_org",
                                 "compound_name", "party_member_count", "committee_size", "convener_name",
                                 "convener_title", "request_issuer", "founding_request_date", "signer_name",
                                 "contact_name", "contact_phone"]),
    ("branch-founding-reply", ["founding_request_no", "founding_reply_date", "street_contact_name",
                               "street_contact_phone"]),
    ("branch-meeting-request", ["founding_reply_no", "meeting_request_date", "meeting_date", "meeting_place",
                                "secretary_candidate", "secretary_candidate_joined", "member_candidates_text",
                                "signer_name", "contact_name", "contact_phone"]),
    ("branch-meeting-reply", ["meeting_request_no", "meeting_reply_date"]),
    ("branch-meeting-agenda", ["host_name", "host_title", "no_vote_count", "excused_count", "excused_reasons",
                               "present_count"]),
    ("branch-election-report", ["member_results_text", "committee_meeting_date", "secretary_votes", "report_date"]),
    ("branch-election-approval", ["approval_date", "term_mode", "term_end"]),
    ("branch-election-notice", ["notice_start_date", "notice_days"]),
]
PMC_REQUEST = ["street_name", "street_party_org", "community_name", "community_party_org", "compound_name",
               "pmc_request_date", "total_floor_area", "delivered_floor_area", "total_units", "delivered_units",
               "first_move_in_date", "occupied_units", "pmc_director_name", "pmc_director_post", "developer_name",
               "developer_rep_name", "owner_reps_text", "signer_name", "contact_name", "contact_phone"]


# The records here are about cases, not signatures: smaller generated keys keep the file quick.
FAST_KEYS = "signing:\n  key_bits: 2048\n"


@pytest.fixture
def fast_home(home: Path) -> Path:
    home.mkdir(parents=True, exist_ok=True)
    (home / "settings.yaml").write_text(FAST_KEYS, encoding="utf-8")
    return home


@pytest.fixture
def fast_app(fast_home: Path) -> Sanfang:
    return Sanfang(fast_home)


def write(tmp_path: Path, name: str, answers: dict[str, Any]) -> Path:
    path = tmp_path / f"{name}.yaml"
    path.write_text(yaml.safe_dump(answers, allow_unicode=True), encoding="utf-8")
    return path


def records(home: Path) -> list[dict[str, Any]]:
    return [json.loads(p.read_text(encoding="utf-8")) for p in sorted(home.rglob("record.json"))]


def make_json(cli, *args: Any) -> dict[str, Any]:  # noqa: ANN001
    result = cli("make", *args, "--json")
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def test_branch_founding_chain_by_from(cli, fast_home: Path, tmp_path: Path) -> None:  # noqa: ANN001
    home = fast_home
    full = example("branch-founding", "with-committee")
    made, previous = [], None
    for key, names in BRANCH_STEPS:
        answers = write(tmp_path, key, {n: full[n] for n in names if n in full})
        args = [key, "--answers", answers] + (["--from", previous] if previous else [])
        made.append(make_json(cli, *args))
        previous = made[-1]["档号"]
    assert len({m["case_id"] for m in made}) == 1 and made[0]["case_id"]
    filed = records(home)
    assert len(filed) == 8 and {r["case_id"] for r in filed} == {made[0]["case_id"]}
    # Every document reads exactly as when one complete answers file is given.
    # (The case quotes each earlier document's 发文字号 as filed, not as the answers file typed it.)
    app = Sanfang(home)
    numbers = {r["doc_key"]: r["发文字号"] for r in filed if r.get("发文字号")}
    cites = {var: numbers[key] for var, key in load("branch-founding").metadata["cites"].items()}
    for m, (key, _) in zip(made, BRANCH_STEPS, strict=True):
        record = app.archive.get(m["档号"])
        whole = run(load("branch-founding"), {**full, **cites}, preset={"doc_key": key}).documents[0]
        whole.doc_no = record.meta.get("发文字号", "")
        whole.letterhead = whole.issuer + "文件" if whole.doc_no else ""
        apply_office(whole, {})  # the default 版记 (documents/imprint.py)
        assert record.meta["doc_key"] == key and record.meta["text"] == whole.plain_text()
        answers = json.loads(record.file("answers.json").read_text(encoding="utf-8"))
        assert answers.get("case_id", made[0]["case_id"]) == made[0]["case_id"]
    last = json.loads(app.archive.get(made[-1]["档号"]).file("answers.json").read_text(encoding="utf-8"))
    assert last["source_archive_no"] == made[-2]["档号"] and last["source_doc_key"] == "branch-election-approval"
    assert last["compound_name"] == "藏龙御景" and last["case_id"] == made[0]["case_id"]


def test_reply_cites_the_archived_request(fast_app: Sanfang) -> None:
    app = fast_app
    full = example("pmc-founding", "pmc")
    request = app.make("pmc-founding-request", {n: full[n] for n in PMC_REQUEST})
    reply = app.make("pmc-founding-reply", {"pmc_reply_date": "2026-05-22"},
                     from_record=request.record.archive_no)
    text = reply.document.plain_text()
    number = request.record.meta["发文字号"]  # quoted as filed: the clerk types no number
    assert number == "文化路社区党委〔2026〕1号"
    assert f"你们《关于成立金色港湾三期小区物业管理委员会的请示》（{number}）收悉，经研究：" in text
    assert "业主代表陈国栋同志、业主代表刘春燕同志、业主代表万金平同志" in text
    assert reply.record.meta["case_id"] == request.record.meta["case_id"]
    assert reply.answers["source_archive_no"] == request.record.archive_no
    assert reply.answers["source_date"] == "2026-05-11"


def test_reply_title_comes_from_the_archive(fast_app: Sanfang) -> None:
    app = fast_app
    """The reply quotes the request as filed: its 题名 in the archive, not a title made up again."""
    full = example("party-instructor", "owners-committee")
    new = {"instructor_request_no", "instructor_reply_date", "instructor_name", "instructor_unit"}
    request = app.make("instructor-request", {k: v for k, v in full.items() if k not in new})
    meta_file = request.record.file("record.json")
    meta = json.loads(meta_file.read_text(encoding="utf-8"))
    meta["题名"] = "关于申请派遣党建指导员的请示"
    meta_file.write_text(json.dumps(meta, ensure_ascii=False), encoding="utf-8")
    reply = app.make("instructor-reply", {k: full[k] for k in new}, from_record=request.record.archive_no,
                     archive=False)
    number = request.record.meta["发文字号"]
    assert f"你们《关于申请派遣党建指导员的请示》（{number}）收悉，经研究：" in reply.document.plain_text()


def test_new_answers_override_the_record(fast_app: Sanfang) -> None:
    app = fast_app
    full = example("pmc-founding", "pmc")
    request = app.make("pmc-founding-request", {n: full[n] for n in PMC_REQUEST})
    reply = app.make("pmc-founding-reply", {"pmc_reply_date": "2026-05-22", "owner_reps_text": "陈国栋"},
                     from_record=request.record.archive_no, archive=False)
    assert "武汉金港置业有限公司彭志华同志；业主代表陈国栋同志。" in reply.document.plain_text()


def test_interview_from_picks_the_only_follower(cli, fast_home: Path, tmp_path: Path) -> None:  # noqa: ANN001
    full = example("pmc-founding", "pmc")
    request = make_json(cli, "pmc-founding-request", "--answers", write(tmp_path, "req", {n: full[n] for n in PMC_REQUEST}))
    reply = write(tmp_path, "reply", {"pmc_reply_date": "2026-05-22"})
    result = cli("interview", "pmc-founding", "--from", request["档号"], "--answers", reply, "--no-input", "--json")
    assert result.exit_code == 0, result.output
    out = json.loads(result.output)
    assert out["doc_key"] == "pmc-founding-reply" and out["case_id"] == request["case_id"]


def test_siblings_start_from_each_other(fast_app: Sanfang) -> None:
    app = fast_app
    """Pledges are independent documents of one compound: any one starts from another, and the
    date of the source is not carried over (each document has its own)."""
    full = example("service-pledges", "property-management-committee")
    party = app.make("pledge-party-org", full)
    owners_only = {k: v for k, v in full.items() if k.startswith("owners_") and k != "owners_body"}
    with pytest.raises(ValidationError) as info:
        app.make("pledge-owners-body", owners_only, from_record=party.record.archive_no)
    assert [p.as_text() for p in info.value.problems] == ["【成文日期】（doc_date）必须填写"]
    pledge = app.make("pledge-owners-body", {**owners_only, "doc_date": "2026-04-21"},
                      from_record=party.record.archive_no)
    assert pledge.document.title == "光谷来福城小区物业管理委员会服务承诺"
    assert pledge.record.meta["case_id"] == party.record.meta["case_id"]


# -- refusals: nothing is written ---------------------------------------------------------------


@pytest.fixture(scope="module")
def branch_chain(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """A workspace holding a founding request and an election notice (the last document)."""
    home = tmp_path_factory.mktemp("cases") / "ws"
    home.mkdir()
    (home / "settings.yaml").write_text(FAST_KEYS, encoding="utf-8")
    app, full = Sanfang(home), example("branch-founding", "secretary-only")
    return {"home": home, "request": app.make("branch-founding-request", full).record.archive_no,
            "notice": app.make("branch-election-notice", full).record.archive_no}


@pytest.mark.parametrize(("key", "source", "says"), [
    ("branch-founding-reply", "notice", "是《中共江南花山郡小区支部选举结果公示》（公示），不能据此起草"
     "《关于同意成立中共XX小区支部委员会的批复》：一份文件只能依据本事项中排在它前面的文件起草（如批复依据请示）。"
     "它是本事项的最后一份文件，不能据此起草其他文件。"),
    ("branch-founding-request", "request", "本身就是要起草的这份文件"),
    ("instructor-reply", "request", "属于另一事项（成立小区党支部），不能据此起草《关于同意向XX公司（业委会）派遣党建指导员的批复》"),
    ("pmc-founding-reply", "notice", "属于另一事项（成立小区党支部）"),
])
def test_a_record_that_does_not_fit_is_refused(cli, tmp_path: Path, branch_chain: dict[str, Any],  # noqa: ANN001
                                               key: str, source: str, says: str) -> None:
    home = branch_chain["home"]
    before = records(home)
    result = cli("make", key, "--home", home, "--from", branch_chain[source],
                 "--answers", write(tmp_path, "x", {"doc_date": "2026-05-01"}))
    assert result.exit_code == 2, result.output
    assert f"【来源档号】档号 {branch_chain[source]} " in result.output and says in result.output
    assert "Traceback" not in result.output
    assert records(home) == before


def test_unknown_record_and_missing_answers(cli, home: Path) -> None:  # noqa: ANN001
    result = cli("make", "branch-founding-reply", "--from", "J001-WS·2026-Y-SQDW-0999")
    assert result.exit_code == 4 and "档案中没有档号为 J001-WS·2026-Y-SQDW-0999 的记录" in result.output
    result = cli("make", "branch-founding-reply")
    assert result.exit_code == 1 and "请用 --answers 指定答案文件，或用 --from 指定前一份文件的档号" in result.output
    assert not home.exists() or not records(home)


def test_interview_from_needs_a_document_when_several_follow(cli, branch_chain: dict[str, Any]) -> None:  # noqa: ANN001
    result = cli("interview", "branch-founding", "--home", branch_chain["home"], "--from", branch_chain["request"],
                 "--no-input")
    assert result.exit_code == 2
    assert "请用 --doc 指定要据此起草的文件。可选：branch-founding-reply（" in result.output


# -- pieces --------------------------------------------------------------------------------------


def test_followers_by_order_or_any() -> None:
    assert followers(load("pmc-founding"), "pmc-founding-request") == ["pmc-founding-reply"]
    assert followers(load("pmc-founding"), "pmc-founding-reply") == []
    assert followers(load("branch-founding"), "branch-election-report") == [
        "branch-election-approval", "branch-election-notice"]
    assert followers(load("service-pledges"), "pledge-owners-body") == ["pledge-party-org", "pledge-property-company"]


def test_carried_answers_leave_out_what_belongs_to_the_source(tmp_path: Path) -> None:
    (tmp_path / "answers.json").write_text(json.dumps({
        "doc_key": "x", "doc_date": "2026-01-01", "case_id": "c", "source_title": "t", "answers_reviewed": True,
        "compound_name": "江南花山郡", "picked": {"甲": True, "乙": False, "丙": True}}, ensure_ascii=False))
    carried = carried_answers(Record(tmp_path, {}), load("branch-founding"))
    assert carried == {"compound_name": "江南花山郡", "picked": ["甲", "丙"]}


# -- any spelling of a 档号, case ids, what can follow ------------------------------------------


def loose(archive_no: str) -> list[str]:
    """The spellings of a 档号 that search takes, and so --from must."""
    return [archive_no.replace("·", "."), archive_no.replace("·", "-").lower(), archive_no.replace("·", ""),
            " " + archive_no.replace("-", " - ") + " "]


def test_from_takes_any_spelling_of_a_number_or_a_case_id(branch_chain: dict[str, Any]) -> None:
    app = Sanfang(branch_chain["home"])
    request = app.archive.get(branch_chain["request"])
    for spelling in loose(branch_chain["request"]):
        assert list(app.following(spelling))[:2] == ["branch-founding-reply", "branch-meeting-request"], spelling
    # A case id names its latest record: a notice, which nothing follows.
    notice_case = app.archive.get(branch_chain["notice"]).meta["case_id"]
    assert app.following(notice_case) == {}
    assert app.following(request.meta["case_id"])["branch-founding-reply"].startswith("关于同意成立")


def test_case_show_lists_records_and_what_can_come_next(cli, branch_chain: dict[str, Any]) -> None:  # noqa: ANN001
    app = Sanfang(branch_chain["home"])
    request = app.archive.get(branch_chain["request"])
    found = app.case(branch_chain["request"].lower())
    assert found.case_id == request.meta["case_id"] and [r.archive_no for r in found.records] == [request.archive_no]
    assert list(found.following)[0] == "branch-founding-reply" and len(found.following) == 7
    result = cli("case", "show", request.meta["case_id"], "--home", branch_chain["home"])
    assert result.exit_code == 0, result.output
    assert f"1. 2026-03-02  {request.archive_no}  关于成立江南花山郡小区党支部的请示" in result.output
    assert f"--from {request.archive_no} --doc branch-founding-reply" in result.output
    missing = cli("case", "show", "no-such-case", "--home", branch_chain["home"])
    assert missing.exit_code == 4 and "没有案卷“no-such-case”" in missing.output


def test_interview_from_without_doc_offers_what_can_follow(cli, branch_chain: dict[str, Any]) -> None:  # noqa: ANN001
    result = cli("interview", "branch-founding", "--home", branch_chain["home"], "--no-archive",
                 "--from", branch_chain["request"].replace("·", "."), input="9\n1\n")
    assert "据此可以起草以下文件：" in result.output and "1. 关于同意成立中共XX小区支部委员会的批复（branch-founding-reply）" in result.output
    assert "请输入 1～7 之间的编号" in result.output
    # The reply's first new question: the request's 文号 is cited from its record, not asked (issue 16).
    assert "■ 批复的日期" in result.output and "■ 成立请示的文号" not in result.output
