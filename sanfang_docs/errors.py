"""The exception hierarchy. Each class maps to one process exit code (OCRmyPDF-style).

Messages are Chinese first: they reach clerks verbatim.
"""

from __future__ import annotations

from dataclasses import dataclass

EXIT_VERIFY_PROBLEMS = 8  # `sanfang verify` found problems (the error classes use 1–7 and 9)


class SanfangError(Exception):
    """Base of every error a user may see; never shown with a traceback."""

    exit_code = 1

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class Problem:
    """One broken rule: which field, which rule, and the message for the clerk."""

    field: str
    rule: str
    message: str
    key: str = ""  # the answers-file key (variable name), when there is one

    def as_text(self) -> str:
        if self.key:
            return f"【{self.field}】（{self.key}）{self.message}"
        return f"【{self.field}】{self.message}"

    def as_dict(self) -> dict[str, str]:
        return {"field": self.field, "rule": self.rule, "message": self.message, "key": self.key}


class ValidationError(SanfangError):
    """Answers that break a rule. Carries every problem found, not just the first."""

    exit_code = 2

    def __init__(self, problems: list[Problem]):
        self.problems = list(problems)
        super().__init__("\n".join(p.as_text() for p in self.problems))


class InterviewError(SanfangError):
    """An interview file that cannot run (a content bug, not a clerk's mistake)."""

    exit_code = 3


class NotFoundError(SanfangError):
    """An unknown interview, document key or 档号."""

    exit_code = 4


class RenderError(SanfangError):
    """A document that cannot be laid out (e.g. a missing font face)."""

    exit_code = 5


class ArchiveError(SanfangError):
    """The archive refused or failed to file a record."""

    exit_code = 6


class SigningError(SanfangError):
    """Keys or certificates that cannot sign."""

    exit_code = 7


class SearchIndexError(SanfangError):
    """The search index is missing, locked too long, or unreadable (it can be rebuilt)."""

    exit_code = 9
