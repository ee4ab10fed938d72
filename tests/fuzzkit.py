"""Answers for every field of every interview — valid, boundary and hostile — and the one
judgement of what became of them. Shared by tests/test_fuzz_answers.py (a fixed small budget in
CI) and bench/bench_fuzz_answers.py (a longer run that prints counts per outcome).

A case is one document of one interview with an example answer set it accepts; a trial
replaces one asked field's answer and runs the interview as `sanfang make` does. The outcome
is ``ok`` (the value, if it is a one-line text the example's document printed, is printed
literally), ``refused`` (a ValidationError, exit 2, whose problems name a field), or anything
else — a failure of the rule "bad input never crashes, hangs or misfiles".
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date
from functools import cache
from pathlib import Path
from typing import Any

import yaml
from hypothesis import strategies as st

from sanfang_docs.api import Sanfang
from sanfang_docs.errors import SanfangError, ValidationError
from sanfang_docs.interview import load
from sanfang_docs.interview.loader import FieldSpec

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
TEXT_TYPES = ("text", "area", "combobox", "email")


@dataclass(frozen=True)
class Case:
    interview: str
    branch: str
    doc_key: str
    fields: tuple[FieldSpec, ...]  # every field asked on the way to this document
    printed: frozenset[str]  # one-line text fields whose example answer the document prints


@dataclass
class Trial:
    outcome: str  # ok | refused | exit <n> <ErrorClass> | crash <ExceptionClass> | not printed
    detail: str = ""


def example(interview: str, branch: str) -> dict[str, Any]:
    return yaml.safe_load((EXAMPLES / interview / f"{branch}.yaml").read_text(encoding="utf-8"))


@cache
def cases(home: str) -> tuple[Case, ...]:
    """Every (interview, document) with the first example answer set that makes it."""
    app = Sanfang(home)
    found = []
    for entry in app.catalog():
        branches = sorted(p.stem for p in (EXAMPLES / entry.interview).glob("*.yaml"))
        for key in entry.documents:
            for branch in branches:
                answers = standalone(example(entry.interview, branch))
                try:
                    outcome = app.run_interview(entry.interview, answers, key)
                except SanfangError:
                    continue
                specs = _specs(entry.interview)
                asked = [specs[v] for screen in outcome.screens for v in screen if v in specs]
                printed = frozenset(s.name for s in asked if _prints(app, entry.interview, key, answers, s))
                found.append(Case(entry.interview, branch, key, tuple(asked), printed))
                break
    return tuple(found)


SENTINEL = "甲乙丙"


def standalone(answers: dict[str, Any]) -> dict[str, Any]:
    """An example made to stand in an empty workspace: the 档号 a 示范文本13 assessment cites are
    records of the demo archive only, so each gives way to a note of how it was checked."""
    out = dict(answers)
    for key, value in answers.items():
        if key.startswith("indicator_evidence_") and value:
            n = key.rsplit("_", 1)[1]
            out[key] = ""
            out[f"indicator_note_{n}"] = out.get(f"indicator_note_{n}") or "现场核查"
    return out


def _prints(app: Sanfang, interview: str, key: str, answers: dict[str, Any], spec: FieldSpec) -> bool:
    """Whether the document prints this one-line field's answer (a marker answer shows it)."""
    if spec.datatype not in ("text", "combobox") or spec.choices:
        return False
    try:
        outcome = app.run_interview(interview, {**answers, spec.name: SENTINEL}, key)
    except SanfangError:
        return False
    return SENTINEL in outcome.documents[0].plain_text()


def _specs(interview: str) -> dict[str, FieldSpec]:
    specs: dict[str, FieldSpec] = {}
    for block in load(interview).blocks:
        if block.is_question:
            for spec in block.fields:
                specs.setdefault(spec.name, spec)
    return specs


def attempt(app: Sanfang, case: Case, spec: FieldSpec, value: Any) -> Trial:
    """Run ``case`` with ``spec``'s answer replaced by ``value`` and judge the outcome."""
    answers = {**standalone(example(case.interview, case.branch)), spec.name: value}
    try:
        outcome = app.run_interview(case.interview, answers, case.doc_key)
    except ValidationError as exc:
        if exc.problems and all(p.field and p.message for p in exc.problems) and any(p.key for p in exc.problems):
            return Trial("refused", exc.problems[0].as_text())
        return Trial("refused without a field", exc.message)
    except SanfangError as exc:
        return Trial(f"exit {exc.exit_code} {type(exc).__name__}", exc.message[:300])
    except Exception as exc:  # noqa: BLE001 - exactly what this kit hunts
        return Trial(f"crash {type(exc).__name__}", str(exc)[:300])
    if spec.name in case.printed and isinstance(value, str) and value.strip():
        text = outcome.documents[0].plain_text()
        if value.strip() not in text:
            return Trial("not printed", f"{spec.name}={value.strip()!r}")
    return Trial("ok")


def render(app: Sanfang, case: Case, spec: FieldSpec, value: Any, out: Path) -> Trial:
    """As :func:`attempt`, then lay out the PDF and the DOCX, sign and file them, and verify
    the record (``misfiled``: the archive's own checks fail on what it just filed)."""
    answers = {**standalone(example(case.interview, case.branch)), spec.name: value}
    # Hypothesis seeds the random module alike for every example, and Whoosh names index
    # segments with it: the same name twice fails the index commit. Reseed from the OS.
    random.seed()
    try:
        outcome = app.run_interview(case.interview, answers, case.doc_key)
        made = app.produce(outcome, out)
        assert made.record is not None
        report = app.verify(made.record.archive_no)
        if not report.ok:
            return Trial("misfiled", "; ".join(p.as_text() for p in report.problems)[:300])
    except ValidationError:
        return Trial("refused")
    except SanfangError as exc:
        return Trial(f"exit {exc.exit_code} {type(exc).__name__}", exc.message[:300])
    except Exception as exc:  # noqa: BLE001
        return Trial(f"crash {type(exc).__name__}", str(exc)[:300])
    return Trial("ok")


# ---------------------------------------------------------------- values


def _chars(*ranges: tuple[int, int]) -> st.SearchStrategy[str]:
    return st.one_of(*(st.integers(lo, hi).map(chr) for lo, hi in ranges))


COMMON = _chars((0x4E00, 0x9FA5), (0x41, 0x5A), (0x61, 0x7A), (0x30, 0x39))
RARE = _chars((0x3400, 0x4DBF), (0x20000, 0x2A6DF), (0x2A700, 0x2EBE0), (0x30000, 0x3134A))  # 生僻字
MARKUP = st.sampled_from(list("#*_$[]<>\\{}%`~|^@=+/&;'\"，。、（）《》“”·-") + ["${x}", "%{", "<%", "\\n", "[[", "**"])
HOSTILE = st.one_of(
    _chars((0x00, 0x1F), (0x7F, 0x9F), (0xE000, 0xF8FF), (0x1F300, 0x1FAFF), (0x200B, 0x200F),
           (0x202A, 0x202E), (0x2028, 0x2029), (0xF0000, 0xF00FF)),
    st.sampled_from(["\ud83d", "\udc00", "\ufeff", "\ufffe", "\U000e0001", "\u0915\u093f", "\u05d0", "\u0301"]),
)


def _text(*pieces: st.SearchStrategy[str], min_size: int = 0, max_size: int = 60) -> st.SearchStrategy[str]:
    # st.text takes single characters only; markup tokens such as ${x} are longer.
    return st.lists(st.one_of(*pieces), min_size=min_size, max_size=max_size).map("".join)


ANY_TEXT = _text(COMMON, COMMON, COMMON, RARE, MARKUP, HOSTILE, st.characters())
ODD = st.one_of(
    st.none(), st.booleans(), st.integers(-(10**30), 10**30), st.floats(allow_nan=True, allow_infinity=True),
    st.dates(), st.lists(st.text(max_size=5), max_size=3), st.dictionaries(st.text(max_size=3), st.integers(), max_size=2),
    st.just("9" * 5000), st.just("纸" * 6000), st.just("2025-02-30"), st.just("9999-12-31"), st.just("0001-01-01"),
    st.just("nan"), st.just("inf"), st.just("1e400"), st.just("第一行\n第二行"), st.just(""), st.just("   "),
)


def values(spec: FieldSpec) -> st.SearchStrategy[Any]:
    """Valid, boundary and hostile answers for one field, by its declared type."""
    t = spec.datatype
    typed: list[st.SearchStrategy[Any]] = []
    if t in TEXT_TYPES:
        limit = int(spec.maxlength or 60)
        typed += [_text(COMMON, min_size=1, max_size=limit), _text(COMMON, RARE, min_size=1, max_size=limit),
                  _text(COMMON, MARKUP, min_size=1, max_size=limit)]
    elif t == "integer":
        low = int(spec.min) if isinstance(spec.min, int) else -5
        high = int(spec.max) if isinstance(spec.max, int) else 10**6
        typed += [st.integers(low - 2, high + 2), st.integers(low - 2, high + 2).map(str),
                  st.integers().map(lambda n: f" {n} ")]
    elif t == "number":
        typed += [st.floats(-1e6, 1e6), st.floats().map(str)]
    elif t == "date":
        typed += [st.dates(date(1890, 1, 1), date(2110, 12, 31)), st.dates().map(lambda d: d.isoformat()),
                  st.dates().map(lambda d: f"{d.year}年{d.month}月{d.day}日"),
                  st.tuples(st.integers(1, 9999), st.integers(0, 13), st.integers(0, 32)).map(lambda t: f"{t[0]:04d}-{t[1]:02d}-{t[2]:02d}")]
    elif t in ("yesno", "yesnoradio", "noyes", "noyesradio"):
        typed += [st.booleans(), st.sampled_from(["是", "否", "y", "n", "yes", "no", "对", "无", "也许"])]
    if spec.choices:
        picks = [v for _, v in spec.choices] + [label for label, _ in spec.choices]
        one = st.sampled_from(picks)
        typed += [one, st.integers(0, len(spec.choices) + 1)]
        if t == "checkboxes":
            typed += [st.lists(one, max_size=len(picks) + 1), st.dictionaries(one, st.booleans(), max_size=len(picks))]
    return st.one_of(*typed, ANY_TEXT, ODD)


def is_failure(trial: Trial) -> bool:
    return trial.outcome not in ("ok", "refused")
