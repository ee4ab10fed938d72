"""The Session API every front end drives (the terminal now, the web app next): answers are the state.

A conversation is its interview plus the answers given, by variable, in the order given. Every
step replays the interview from the top with those answers (docassemble's model): a screen
whose answers are all known is passed silently, the first one that is not is the current
screen. Going back, editing an earlier answer and resuming a draft are therefore one
operation — change the answers, replay — and every rule is checked again each time, values
derived from an old answer are recomputed (code blocks re-run), and answers no longer reached
are dropped and listed to the person.

    convo = Conversation(load("branch-founding"), answers_from_file, preset)
    step = convo.current()             # the screen to show, what is known for it, problems
    convo.submit({"compound_name": "桂花苑"})
    convo.back(); convo.review(); convo.edit("party_member_count", 6)
    convo.state()                      # JSON for a draft; Conversation(..., state=…) resumes
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Protocol

from ..errors import InterviewError, Problem
from .drive import MAX_SCREENS, Outcome, explore
from .fields import BOOL_TYPES
from .loader import FieldSpec, Interview
from .runner import Screen, Session, _jsonable

BACK_WORDS = {"上一步", "b", "<", "back"}


@dataclass
class Offer:
    """A registered entry a field can take (organisations registry): what to show and the
    answers choosing it sets (a street sets its 党工委 too)."""

    label: str
    values: dict[str, Any]


class Registry(Protocol):
    """Where offers come from (registers/organisations.py); the engine only asks."""

    def offers(self, name: str, ns: dict[str, Any]) -> list[Offer]: ...

    def is_new(self, name: str, value: Any, ns: dict[str, Any]) -> str | None: ...


@dataclass
class Step:
    """The screen to show now."""

    screen: Screen
    fields: list[FieldSpec]  # the fields shown, given what is known
    known: dict[str, Any]  # offered as defaults: never a value that was just refused
    problems: list[Problem]
    number: int  # 第 n 步
    estimate: Callable[[], int] = field(repr=False)  # 共约 m 步, run ahead only when shown
    offers: dict[str, list[Offer]] = field(default_factory=dict)  # by field: registered entries

    @functools.cached_property
    def total(self) -> int:
        """共约 m 步: what the answers so far lead to (running ahead costs a few ms, so a
        front end that only reads the screen's fields does not pay it)."""
        return self.estimate()

    @property
    def is_review(self) -> bool:
        return bool(self.screen.review)


@dataclass
class Answer:
    """One answer that reaches the document, as a review screen lists it."""

    number: int
    label: str
    name: str
    shown: str  # the value in the clerk's words (a choice's label, 2026年3月5日, 是/否)
    spec: FieldSpec | None


@dataclass
class Group:
    question: str
    answers: list[Answer]


@dataclass
class EditResult:
    accepted: bool
    problems: list[Problem] = field(default_factory=list)
    dropped: list[str] = field(default_factory=list)  # labels of answers no longer needed
    message: str = ""  # “因修改了…，以下答案已不再需要：…”


@dataclass
class _Passed:
    screen: Screen
    fields: list[FieldSpec]


class Conversation:
    def __init__(self, interview: Interview, answers: dict[str, Any] | None = None,
                 preset: dict[str, Any] | None = None, state: dict[str, Any] | None = None,
                 registry: Registry | None = None):
        self.interview = interview
        self.registry = registry
        self.confirmed: set[str] = set()  # “name=value” of organisations confirmed as new
        self.preset = dict(preset or {})
        self.answers: dict[str, Any] = dict(answers or {})
        # Answers taken back by 上一步 (or typed on a refused screen): offered, never assumed.
        self.stash: dict[str, Any] = {}
        # Answers that were the field's default (“地点：${ compound_name }小区党群服务驿站”):
        # they follow the default when an earlier answer changes it.
        self.defaulted: set[str] = set()
        if state:
            self.answers = dict(state.get("answers") or {})
            self.stash = dict(state.get("stash") or {})
            self.defaulted = set(state.get("defaulted") or [])
            self.confirmed = set(state.get("confirmed") or [])
        self.listeners: list[Callable[[Conversation], None]] = []  # called after every accepted step
        self.draft_id = ""  # set by whoever keeps it as a draft
        self._replay()

    # -- the state ---------------------------------------------------------------------------

    def state(self) -> dict[str, Any]:
        """Everything a draft keeps: the answers (JSON-safe), nothing derived."""
        return {"answers": _jsonable(self.answers), "stash": _jsonable(self.stash),
                "defaulted": sorted(self.defaulted), "confirmed": sorted(self.confirmed)}

    def _replay(self) -> None:
        """Run from the top with the answers; stop at the first screen they do not settle."""
        session = Session(self.interview, self.preset)
        passed: list[_Passed] = []
        self._final: Screen | None = None
        self._problems: list[Problem] = []
        for _ in range(MAX_SCREENS):
            screen = session.next_screen()
            if screen.is_final:
                self._final = screen
                break
            raw = {v: self.answers[v] for v in screen.variables if v in self.answers}
            raw.update({f.name: f.default for f in screen.fields if f.name in self.defaulted and f.name in raw})
            shown = session.shown_fields(screen, raw)
            needed = [f.name for f in shown] + ([screen.continue_var] if screen.continue_var else [])
            if any(v not in raw for v in needed):
                break
            problems = session.submit(screen, raw)
            if problems:
                self._problems = problems
                break
            # What the engine made of an answer (typed, tidied) is the answer from now on.
            for v in needed:
                self.answers[v] = session.answers.get(v, raw.get(v))
            passed.append(_Passed(screen, shown))
        else:
            raise InterviewError(f"访谈“{self.interview.name}”超过 {MAX_SCREENS} 个页面仍未结束")
        self._session, self._passed, self._screen = session, passed, screen

    # -- what a front end shows --------------------------------------------------------------

    @property
    def finished(self) -> bool:
        return self._final is not None

    def current(self) -> Step:
        if self._final is not None:
            raise InterviewError("问答已结束，没有待回答的页面")
        screen = self._screen
        refused = {p.key for p in self._problems if p.key}
        known = {v: self.answers[v] if v in self.answers else self.stash[v]
                 for v in screen.variables if (v in self.answers or v in self.stash) and v not in refused}
        fields = self._session.shown_fields(screen, known)
        offers = {f.name: found for f in screen.fields
                  if self.registry and (found := self.registry.offers(f.name, self._session.ns))}
        return Step(screen, fields, known, list(self._problems), len(self._passed) + 1, self._estimate, offers)

    # -- organisations not in the registry ---------------------------------------------------

    def is_new(self, name: str, value: Any) -> str | None:
        """What to tell the person when ``value`` names an organisation the registry does not
        hold and that was not confirmed as new; None otherwise."""
        if self.registry is None or f"{name}={value}".strip() in self.confirmed:
            return None
        return self.registry.is_new(name, value, self._session.ns)

    def confirm_new(self, name: str, value: Any) -> None:
        """The person confirmed ``value`` is a new organisation (it is registered once filed)."""
        self.confirmed.add(f"{name}={value}".strip())

    def shown_fields(self, raw: dict[str, Any]) -> list[FieldSpec]:
        """The current screen's fields given what was typed on it so far."""
        return self._session.shown_fields(self._screen, raw)

    def outcome(self) -> Outcome:
        if self._final is None:
            raise InterviewError("问答尚未结束")
        return Outcome(self._session, self._final.documents, [p.screen.variables for p in self._passed],
                       notes=list(self._session.ns.get("screen_notes") or []), draft=self.draft_id)

    def summary(self) -> str:
        """A line for a list of drafts: the compound (or community) and the document."""
        ns = self._session.ns
        where = ns.get("compound_name") or ns.get("community_name") or ""
        what = ns.get("doc_title") or ns.get("doc_key") or self.interview.title
        return "  ".join(str(x) for x in (where, what) if x)

    @property
    def steps_done(self) -> int:
        return len(self._passed)

    # -- moving ------------------------------------------------------------------------------

    def submit(self, raw: dict[str, Any]) -> list[Problem]:
        """Answer the current screen. On a problem nothing is kept and the screen stays."""
        if self._final is not None:
            raise InterviewError("问答已结束，没有待回答的页面")
        screen = self._screen
        given = {v: self.answers[v] for v in screen.variables if v in self.answers}
        given.update(raw)
        for spec in self._session.shown_fields(screen, given):
            if spec.default is not None and str(given.get(spec.name, spec.default)) == str(spec.default):
                given[spec.name] = spec.default
                self.defaulted.add(spec.name)
            else:
                self.defaulted.discard(spec.name)
            given.setdefault(spec.name, None)  # a field left out is a field left empty
        if screen.continue_var:
            given.setdefault(screen.continue_var, True)
        unconfirmed = [_new_org(spec.label, spec.name, message) for spec in screen.fields if spec.name in raw
                       and (message := self.is_new(spec.name, raw[spec.name]))]
        if unconfirmed:
            self._problems = unconfirmed
            return list(unconfirmed)
        before, passed = dict(self.answers), len(self._passed)
        self.answers.update(given)
        self._replay()
        if self._problems and len(self._passed) == passed:
            problems = self._problems
            self.answers = before
            self._replay()
            self._problems = problems
            refused = {p.key for p in problems}
            # What was typed and not refused is offered again; the refused value is not.
            self.stash.update({k: v for k, v in given.items() if k not in refused and v is not None})
            for k in refused:
                self.stash.pop(k, None)
            return list(problems)
        for v in given:
            self.stash.pop(v, None)
        self._notify()
        return []

    def back(self) -> bool:
        """To the previous screen; its answers are offered again, not lost. False at the start."""
        passed = [p for p in self._passed if not set(p.screen.variables) <= set(self.preset)]
        if not passed:
            return False
        last = passed[-1]
        for v in last.screen.variables:
            if v in self.answers:
                self.stash[v] = self.answers.pop(v)
        if last.screen.continue_var:
            self.stash.pop(last.screen.continue_var, None)
        self._replay()
        self._notify()
        return True

    # -- review --------------------------------------------------------------------------------

    def review(self) -> list[Group]:
        """Every answer that reaches the document, grouped by screen, numbered for editing."""
        groups: list[Group] = []
        n = 0
        for p in self._passed:
            answers = []
            for spec in p.fields:
                if spec.name in self.preset:
                    continue
                n += 1
                answers.append(Answer(n, spec.label, spec.name, display(spec, self.answers.get(spec.name)), spec))
            if answers:
                groups.append(Group(plain(p.screen.question), answers))
        return groups

    def edit(self, name: str, value: Any) -> EditResult:
        """Change one earlier answer. Every rule is checked again; an edit that breaks one
        (on its own screen or a later one) is refused and changes nothing."""
        labels = {a.name: a.label for g in self.review() for a in g.answers}
        if name not in labels:
            raise InterviewError(f"“{name}”不是可以修改的答案")
        if message := self.is_new(name, value):
            return EditResult(False, [_new_org(labels[name], name, message)])
        before_answers, before_stash = dict(self.answers), dict(self.stash)
        needed_before = self._reached()
        before_defaulted = set(self.defaulted)
        self.answers[name] = value
        self.defaulted.discard(name)
        self._replay()
        if self._problems:
            problems = self._problems
            self.answers, self.stash, self.defaulted = before_answers, before_stash, before_defaulted
            self._replay()
            return EditResult(False, problems)
        # Answers the new value no longer leads to are dropped and named.
        lost = needed_before - self._reached()
        gone = [v for v in dict.fromkeys([*labels, *self.answers]) if v in lost and v in self.answers and v not in self.preset]
        dropped = []
        for v in gone:
            del self.answers[v]
            if v in labels:
                dropped.append(labels[v])
        message = ""
        if dropped:
            message = f"因修改了{labels[name]}，以下答案已不再需要：{'、'.join(dropped)}"
        self._notify()
        return EditResult(True, [], dropped, message)

    # -- estimates -----------------------------------------------------------------------------

    def _explore(self) -> tuple[set[str], int]:
        """Run ahead with neutral stand-ins for unknown answers: the variables the answers so
        far lead to, and how many screens the whole interview then has. Kept until the
        answers change (a front end asks for the current screen more than once)."""
        key = repr(sorted(self.answers.items()))
        cached = getattr(self, "_explored", None)
        if cached and cached[0] == key:
            return cached[1]
        try:
            screens = explore(self.interview, self.answers, self.preset)
            found = {v for variables in screens for v in variables}, len(screens)
        except InterviewError:  # content code that cannot run on stand-ins: no estimate
            found = set(self.answers), len(self._passed) + 1
        self._explored = (key, found)
        return found

    def _reached(self) -> set[str]:
        return self._explore()[0]

    def _estimate(self) -> int:
        return max(self._explore()[1], len(self._passed) + 1)

    def _notify(self) -> None:
        for listener in self.listeners:
            listener(self)


def _new_org(label: str, key: str, message: str) -> Problem:
    return Problem(field=label, rule="new-org", key=key, message=f"{message}如确是新的组织，请确认后再用")


def display(spec: FieldSpec, value: Any) -> str:
    """An answer in the clerk's words."""
    if value is None or value == "":
        return "（未填）"
    if spec.datatype in BOOL_TYPES:
        return "是" if value else "否"
    if spec.datatype == "checkboxes" and isinstance(value, dict):
        picked = [label for label, v in spec.choices if value.get(v)]
        return "、".join(picked) or "（未选）"
    if spec.choices:
        return next((plain(label) for label, v in spec.choices if v == value), str(value))
    if isinstance(value, date):
        return f"{value.year}年{value.month}月{value.day}日"
    return str(value).replace("\n", "；")


def plain(text: str) -> str:
    """Screens are written for docassemble's Markdown; a list or a terminal shows the words."""
    return re.sub(r"\*\*(.+?)\*\*", r"\1", text).strip()
