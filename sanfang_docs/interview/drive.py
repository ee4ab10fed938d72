"""The non-interactive front end: an answers file drives the interview.

Every screen takes its answers from the file. A missing or invalid answer is collected, and
(for missing ones) a neutral stand-in lets the run continue, so the clerk gets every problem
in one list instead of one per attempt.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..documents.model import Document
from ..errors import InterviewError, Problem, ValidationError
from .loader import Interview
from .runner import Session

MAX_SCREENS = 400

@dataclass
class Outcome:
    session: Session
    documents: list[Document]
    screens: list[list[str]] = field(default_factory=list)  # variables of each screen, in order
    # What the document's screen tells the clerk and the document does not print (e.g. a date
    # past the known holiday calendar): the interview's ``screen_notes``.
    notes: list[str] = field(default_factory=list)
    draft: str = ""  # the draft it came from (deleted once its document is filed)


def run(interview: Interview, answers: dict[str, Any], preset: dict[str, Any] | None = None) -> Outcome:
    """Run to the final screen; every missing or invalid answer is raised at once. (A person
    answers through a Conversation instead: conversation.py.)"""
    session = Session(interview, preset)
    screens: list[list[str]] = []
    problems: list[Problem] = []
    for _ in range(MAX_SCREENS):
        try:
            screen = session.next_screen()
        except InterviewError:
            if problems:
                # Code reasoning from a stand-in (an empty list of people, a default date)
                # failed: the missing answers are the clerk's problem, report them.
                raise ValidationError(problems) from None
            raise
        if screen.is_final:
            if problems:
                raise ValidationError(problems)
            return Outcome(session, screen.documents, screens, list(session.ns.get("screen_notes") or []))
        screens.append(screen.variables)
        raw = {name: answers[name] for name in screen.variables if name in answers}
        if screen.continue_var:
            raw.setdefault(screen.continue_var, True)  # a continue button needs no answer
        found = session.submit(screen, raw, fill_missing=True, check_rules=not problems)
        problems.extend(found)
        if any(p.rule == "validation" for p in found):
            # A broken rule: later screens would only reason from a wrong value.
            raise ValidationError(problems)
    raise InterviewError(f"访谈“{interview.name}”超过 {MAX_SCREENS} 个页面仍未结束")


def explore(interview: Interview, answers: dict[str, Any], preset: dict[str, Any] | None = None) -> list[list[str]]:
    """The variables set on each screen the answers lead to, with neutral stand-ins for the missing ones and no
    rules checked: where an interview is heading, for a progress line and for finding the
    answers an edit leaves behind."""
    session = Session(interview, preset)
    screens: list[list[str]] = []
    for _ in range(MAX_SCREENS):
        screen = session.next_screen()
        if screen.is_final:
            return screens
        raw = {name: answers[name] for name in screen.variables if name in answers}
        if screen.continue_var:
            raw.setdefault(screen.continue_var, True)
        session.submit(screen, raw, fill_missing=True, check_rules=False)
        # Only what the screen showed: a field hidden by its show if is not reached.
        screens.append([v for v in screen.variables if v in session.answers])
    raise InterviewError(f"访谈“{interview.name}”超过 {MAX_SCREENS} 个页面仍未结束")


def trace(interview: Interview, answers: dict[str, Any], preset: dict[str, Any] | None = None) -> list[list[str]]:
    """The variables of each screen asked, in order (what the docassemble oracle compares)."""
    return run(interview, answers, preset).screens
