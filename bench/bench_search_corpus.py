"""Generated archives for search tests and benchmarks, from our own interviews and templates.

A *case* is one answer set run through an interview: every document it makes (示范文本1 gives
8: 请示, 批复, … 公示). Cases come from

* **anchors** — the example answer sets of ``examples/`` exactly as written (江南花山郡, 藏龙御景),
  so labelled queries can name them;
* **real cases** — fresh, valid answers (places, people, counts, dates, 支委会 or 书记 only) run
  through the real interview runner; other interviews' example sets with their places, people
  and dates changed;
* **物管会 documents** (示范文本2 申请/批复, 示范文本8 承诺) written from the manual's text while
  no interview makes them yet (the ``pmc-founding`` / ``service-pledges`` interviews replace
  them automatically once they land);
* **clones** — for volume: a real case with its places, people and year swapped (the runner
  takes ~16 ms a document; 100,000 documents would take half an hour).
"""

from __future__ import annotations

import builtins
import copy
import functools
import hashlib
import itertools
import re
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_search_names import Names, Place  # noqa: E402
from bench_search_pmc import pmc_documents  # noqa: E402

from sanfang_docs import interview as interviews  # noqa: E402
from sanfang_docs.documents.model import Block, Document  # noqa: E402
from sanfang_docs.errors import SanfangError  # noqa: E402
from sanfang_docs.interview.drive import run  # noqa: E402
from sanfang_docs.rules import general as rules  # noqa: E402

REPO = Path(__file__).resolve().parent.parent
EXAMPLES = REPO / "examples"
_PERSON_KEY = re.compile(r"name|candidate|member|person|host|convener|contact|director|secretary|chair")
_SHARED = ("street_name", "street_party_org", "community_name", "community_party_org", "compound_name")


@dataclass
class Case:
    interview: str
    answers: dict[str, Any]
    documents: list[Document]
    place: Place
    case_id: str
    people: list[str] = field(default_factory=list)


def speed_up_interviews() -> None:
    """Cache compiled Mako templates and code blocks in the runner (bench-only: 5× faster)."""
    from mako.template import Template

    from sanfang_docs.interview import runner

    if getattr(runner, "_bench_cached", False):
        return

    @functools.lru_cache(maxsize=8192)
    def template(text: str, filters: tuple[str, ...], encoding: str | None, imports: tuple[str, ...]) -> Any:
        return Template(text, default_filters=list(filters), input_encoding=encoding, imports=list(imports))

    def cached(text: str, default_filters: list[str] | None = None, input_encoding: str | None = None,
               imports: list[str] | None = None) -> Any:
        return template(text, tuple(default_filters or ()), input_encoding, tuple(imports or ()))

    runner.Template = cached  # type: ignore[attr-defined]
    runner.compile = functools.lru_cache(maxsize=16384)(builtins.compile)  # type: ignore[attr-defined]
    runner._bench_cached = True  # type: ignore[attr-defined]


@functools.cache
def usable_interviews() -> tuple[str, ...]:
    """Interviews that load (others are being written while this runs: skip, don't fail)."""
    out = []
    for name in interviews.available():
        try:
            interviews.load(name)
        except Exception:  # noqa: BLE001 - someone else's half-written file
            continue
        out.append(name)
    return tuple(out)


def run_all(name: str, answers: dict[str, Any]) -> list[Document]:
    """Every document an interview makes from one answer set (those it refuses are skipped)."""
    if name not in usable_interviews():
        return []
    iv = interviews.load(name)
    docs = []
    for key in (iv.metadata.get("documents") or {}):
        try:
            docs.extend(run(iv, answers, preset={"doc_key": key}).documents[:1])
        except SanfangError:
            continue
        except Exception:  # noqa: BLE001 - an interview in progress may still have bugs
            continue
    return docs


# -- 示范文本1: fresh answers ------------------------------------------------------------------

def branch_answers(names: Names, place: Place, year: int) -> tuple[dict[str, Any], list[str]]:
    rng = names.rng
    members = rng.randint(3, 6) if rng.random() < 0.4 else rng.randint(7, 50)
    committee = members >= 7
    size = min(rng.choice([3, 5, 5, 7]), members) if committee else 0
    seats = size - 1
    n_candidates = rules.min_differential_candidates(seats) if committee else 0
    people = names.people(4 + n_candidates)
    convener, contact, secretary, host = people[:4]
    candidates = people[4:]
    d0 = date(year, 1, 1) + timedelta(days=rng.randint(0, 300))
    reply = d0 + timedelta(days=rng.randint(4, 14))
    m_request = reply + timedelta(days=rng.randint(3, 10))
    meeting = m_request + timedelta(days=rng.randint(7, 20))
    m_reply = m_request + timedelta(days=rng.randint(1, (meeting - m_request).days))
    report = meeting + timedelta(days=rng.randint(0, 3))
    approval = report + timedelta(days=rng.randint(2, 12))
    expected = max(3, members - rng.randint(0, 2))
    present = rng.randint(rules.quorum_needed(expected), expected)
    short = place.community.removesuffix("社区")
    a: dict[str, Any] = {
        "street_name": place.street, "street_party_org": place.street_org,
        "community_name": place.community, "community_party_org": place.community_org,
        "compound_name": place.compound, "party_member_count": members,
        "convener_name": convener, "convener_title": rng.choice(["社区党委委员", "社区党委副书记", "社区党委书记", "社区居委会主任"]),
        "request_issuer": rng.choice(["community", "preparatory_group"]),
        "founding_request_date": d0, "founding_reply_date": reply,
        "founding_request_no": f"{short}社区党委〔{year}〕{rng.randint(1, 30)}号" if rng.random() < 0.7 else "",
        "street_contact_name": contact, "street_contact_phone": names.phone(),
        "founding_reply_no": f"{place.street[:2]}工委〔{year}〕{rng.randint(1, 80)}号" if rng.random() < 0.8 else "",
        "meeting_request_date": m_request, "meeting_date": meeting,
        "meeting_place": rng.choice([f"{place.compound}小区党群服务驿站", f"{place.community}党群服务中心",
                                     f"{place.compound}小区会所二楼会议室", f"{place.compound}小区物业服务中心会议室"]),
        "secretary_candidate": secretary,
        "secretary_candidate_joined": date(rng.randint(1975, year - 2), rng.randint(1, 12), rng.randint(1, 28)),
        "meeting_request_no": f"{place.compound}小区筹备组〔{year}〕{rng.randint(1, 5)}号" if rng.random() < 0.5 else "",
        "meeting_reply_date": m_reply,
        "host_name": host if rng.random() < 0.3 else convener, "host_title": "筹备组临时负责人",
        "expected_count": expected, "present_count": present,
        "secretary_votes": rng.randint(present // 2 + 1, present),
        "report_date": report, "approval_date": approval,
        "term_mode": rng.choice(["synced", "until"]), "term_end": date(year + rng.randint(2, 4), 12, 31),
        "notice_start_date": approval + timedelta(days=rng.randint(0, 5)), "notice_days": rng.choice([5, 5, 7]),
    }
    if committee:
        a["committee_size"] = size
        a["member_candidates_text"] = "\n".join(
            f"{p} {rng.randint(1980, year - 2)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}" for p in candidates)
        elected = rng.sample(candidates, seats)
        a["member_results_text"] = "\n".join(f"{p} {rng.randint(present // 2 + 1, present)}" for p in elected)
    return a, people


# -- other interviews: their example answers, moved elsewhere ------------------------------------

def varied_example(names: Names, base: dict[str, Any], place: Place, year: int) -> tuple[dict[str, Any], list[str]]:
    """An example answer set with another place, other people, and dates moved to ``year``."""
    rng = names.rng
    swap = {str(base[k]): v for k, v in (("street_name", place.street), ("community_name", place.community),
                                           ("compound_name", place.compound)) if base.get(k)}
    people = []
    for key, value in base.items():
        if key in _SHARED or not isinstance(value, str) or not _PERSON_KEY.search(key):
            continue
        for line in value.splitlines():
            first = line.split()[0] if line.split() else ""
            if re.fullmatch(r"[\u4e00-\u9fff]{2,4}", first) and first not in swap:
                swap[first] = names.person()
                people.append(swap[first])
    dates = [v for v in base.values() if isinstance(v, date)]
    shift = timedelta(days=7 * ((date(year, 6, 1) - min(dates)).days // 7)) if dates else timedelta(0)
    sub = _swapper(swap)
    out = {k: _swap_value(v, sub, shift) for k, v in base.items()}
    if "owners_body" in out and rng.random() < 0.5:
        out["owners_body"] = rng.choice(["owners_committee", "property_management_committee"])
    return out, people


def _swap_value(value: Any, sub: Any, shift: timedelta) -> Any:
    if isinstance(value, date):
        return value + shift
    if isinstance(value, str):
        return sub(value)
    if isinstance(value, list):
        return [_swap_value(v, sub, shift) for v in value]
    return value


def _swapper(swap: dict[str, str]) -> Any:
    """``text → text`` with every key of ``swap`` replaced (longest first), compiled once."""
    if not swap:
        return lambda text: text
    pattern = re.compile("|".join(map(re.escape, sorted(swap, key=len, reverse=True))))

    def sub(text: str) -> str:
        return pattern.sub(lambda m: swap[m.group(0)], text) if text else text

    return sub


# -- cases -------------------------------------------------------------------------------------

def _case_id(interview: str, place: Place, n: int) -> str:
    basis = f"{place.street}|{place.community}|{place.compound}|{n}"
    return f"{interview}-{hashlib.sha256(basis.encode()).hexdigest()[:10]}"


def anchor_cases(names: Names, run_many: Any = None) -> list[Case]:
    """examples/ as written, and a 物管会 for 江南花山郡 (the labelled queries name them).
    ``run_many`` maps [(interview, answers)] to their documents (default: here, one by one)."""
    run_many = run_many or (lambda runs: [run_all(*r) for r in runs])
    cases = []
    paths = sorted(EXAMPLES.glob("*/*.yaml"))
    runs = [(path.parent.name, yaml.safe_load(path.read_text(encoding="utf-8"))) for path in paths]
    for path, (name, answers), docs in zip(paths, runs, run_many(runs), strict=True):
        place = Place(str(answers.get("street_name", "")), str(answers.get("community_name", "")),
                      str(answers.get("compound_name", "")))
        if docs:
            cases.append(Case(name, answers, docs, place, f"{name}-anchor-{path.stem}"))
    if "pmc-founding" not in usable_interviews():
        place = Place("纸坊街道", "文化路社区", "江南花山郡")
        docs, people = pmc_documents(names, place, 2025, body="物业管理委员会")
        cases.append(Case("pmc-founding", {}, docs, place, "pmc-founding-anchor", people))
    return cases


@functools.cache
def _examples(interview: str) -> list[Path]:
    return sorted(EXAMPLES.glob(f"{interview}/*.yaml"))


@dataclass
class Plan:
    """A real case before its interview runs: every draw from the district's RNG is made, so
    cases can be planned in order here and run elsewhere (bench_search_fast.py)."""

    n: int
    interview: str
    answers: dict[str, Any]
    place: Place
    year: int
    people: list[str]
    docs: list[Document] | None = None  # made without an interview (物管会)
    fallible: bool = False  # another interview's example: if it makes nothing, 示范文本1 instead

    def case(self, docs: list[Document]) -> Case:
        return Case(self.interview, self.answers, docs, self.place, _case_id(self.interview, self.place, self.n),
                    self.people)


def plan_case(names: Names, n: int) -> Plan:
    """One fresh case: mostly 示范文本1, else another interview's examples, else 物管会."""
    rng = names.rng
    place, year = names.place(), rng.randint(2019, 2025)
    others = [i for i in usable_interviews() if i != "branch-founding" and _examples(i)]
    roll = rng.random()
    if roll < 0.2 and "pmc-founding" not in usable_interviews():
        docs, people = pmc_documents(names, place, year)
        return Plan(n, "pmc-founding", {}, place, year, people, docs)
    if roll < 0.45 and others:
        name = rng.choice(others)
        base = yaml.safe_load(rng.choice(_examples(name)).read_text(encoding="utf-8"))
        answers, people = varied_example(names, base, place, year)
        return Plan(n, name, answers, place, year, people, fallible=True)
    return fallback_plan(names, n, place, year)


def fallback_plan(names: Names, n: int, place: Place, year: int) -> Plan:
    answers, people = branch_answers(names, place, year)
    return Plan(n, "branch-founding", answers, place, year, people)


def real_case(names: Names, n: int) -> Case:
    plan = plan_case(names, n)
    docs = plan.docs if plan.docs is not None else run_all(plan.interview, plan.answers)
    if not docs and plan.fallible:
        plan = fallback_plan(names, n, plan.place, plan.year)
        docs = run_all(plan.interview, plan.answers)
    return plan.case(docs)


def clone(case: Case, names: Names, n: int) -> Case:
    """The same documents for another place, other people and another year."""
    rng = names.rng
    place = names.place()
    swap = {case.place.street: place.street, case.place.community: place.community,
            case.place.compound: place.compound}
    new_people = names.people(len(case.people))
    swap.update({old: new for old, new in zip(case.people, new_people, strict=True) if old})
    swap = {k: v for k, v in swap.items() if k}
    years = sorted({int(d.doc_date[:4]) for d in case.documents if d.doc_date})
    delta = rng.randint(2019, 2025) - (years[0] if years else 2026)
    sub = _swapper(swap)
    docs = [_clone_document(d, sub, delta) for d in case.documents]
    answers = {k: sub(v) if isinstance(v, str) else v for k, v in case.answers.items()}
    return Case(case.interview, answers, docs, place, _case_id(case.interview, place, n), new_people)


_YEAR = re.compile(r"(?<!\d)((?:19|20)\d{2})(?=年|-\d|〕)")


def _shift_years(text: str, delta: int) -> str:
    if not delta:
        return text
    text = _YEAR.sub(lambda m: str(int(m.group(1)) + delta), text)
    return text.replace("02-29", "02-28") if "02-29" in text else text


def _clone_document(doc: Document, sub: Any, delta: int) -> Document:
    def fix(s: str) -> str:
        return _shift_years(sub(s), delta)

    new = copy.copy(doc)
    new.title, new.addressee, new.issuer, new.note = fix(doc.title), fix(doc.addressee), fix(doc.issuer), fix(doc.note)
    new.doc_date = fix(doc.doc_date)
    new.blocks = [Block(b.kind, fix(b.text), [[fix(c) for c in row] for row in b.rows]) for b in doc.blocks]
    new.attachments = [fix(a) for a in doc.attachments]
    return new


def corpus(total_docs: int, seed: int = 7, real_docs: int | None = None, names: Names | None = None,
           pool: Any = None) -> Iterator[Case]:
    """Cases until ``total_docs`` documents: anchors (unless ``names`` is another district),
    then real cases (up to ``real_docs`` documents, default all), then clones of the real cases.
    With a ``pool`` (bench_search_fast.InterviewPool) the interviews run on its worker processes;
    the cases are the same."""
    speed_up_interviews()
    made = 0
    real: list[Case] = []
    if names is None:
        names = Names(seed)
        for case in anchor_cases(names, pool.run_many if pool else None):
            made += len(case.documents)
            yield case
    limit = total_docs if real_docs is None else min(real_docs, total_docs)
    # Case n of the sequence, n = 0, 1, …: here, or planned ahead and run on the pool.
    fresh = pool.real_cases(names) if pool else (real_case(names, n) for n in itertools.count())
    n = 0
    while made < limit:
        case = next(fresh)
        n += 1
        if case.documents:
            real.append(case)
            made += len(case.documents)
            yield case
    if pool:
        pool.settle()  # the RNG as the cases taken left it (the pool planned further ahead)
    while made < total_docs and real:
        case = clone(names.rng.choice(real), names, n)
        n += 1
        made += len(case.documents)
        yield case
