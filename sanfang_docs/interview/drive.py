"""The non-interactive front end: an answers file drives the interview.

Every screen takes its answers from the file. A missing or invalid answer is collected, and
(for missing ones) a neutral stand-in lets the run continue, so the clerk gets every problem
in one list instead of one per attempt.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ..documents.model import Document
from ..errors import InterviewError, Problem, ValidationError
from .loader import Interview
from .runner import Screen, Session

MAX_SCREENS = 400

# Asks a person for one screen's answers (given those known so far and the problems with
# them); returns raw values by variable name.
AskScreen = Callable[[Session, Screen, dict[str, Any], list[Problem]], dict[str, Any]]


@dataclass
class Outcome:
    session: Session
    documents: list[Document]
    screens: list[list[str]] = field(default_factory=list)  # variables of each screen, in order


def run(interview: Interview, answers: dict[str, Any], preset: dict[str, Any] | None = None,
        ask: AskScreen | None = None) -> Outcome:
    """Run to the final screen. With ``ask`` (a terminal, a browser), what the answers do not
    settle is asked; without it, every missing or invalid answer is raised at once."""
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
            return Outcome(session, screen.documents, screens)
        screens.append(screen.variables)
        raw = {name: answers[name] for name in screen.variables
               if name in answers and name not in session.forgotten}
        if ask is None:
            if screen.continue_var:
                raw.setdefault(screen.continue_var, True)  # a continue button needs no answer
            found = session.submit(screen, raw, fill_missing=True, check_rules=not problems)
            problems.extend(found)
            if any(p.rule == "validation" for p in found):
                # A broken rule: later screens would only reason from a wrong value.
                raise ValidationError(problems)
            continue
        if screen.review or any(v not in raw for v in screen.variables):
            raw = ask(session, screen, raw, [])
            if screen.continue_var and screen.continue_var not in raw:
                continue  # the person chose to change an earlier answer
        found = session.submit(screen, raw)
        while found:
            raw = ask(session, screen, raw, found)
            found = session.submit(screen, raw)
    raise InterviewError(f"访谈“{interview.name}”超过 {MAX_SCREENS} 个页面仍未结束")


def trace(interview: Interview, answers: dict[str, Any], preset: dict[str, Any] | None = None) -> list[list[str]]:
    """The variables of each screen asked, in order (what the docassemble oracle compares)."""
    return run(interview, answers, preset).screens
