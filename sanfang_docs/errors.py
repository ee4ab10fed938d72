"""The exception hierarchy. Each class maps to one process exit code (OCRmyPDF-style).

Messages are Chinese first: they reach clerks verbatim.
"""

from __future__ import annotations

import errno
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
    key: str = ""  # the answers-file key of the field, when there is one

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


# What a file-system failure means for a clerk, and what to do about it.
_OS_REASONS = {
    errno.EROFS: ("所在磁盘是只读的", "请换到可写的磁盘上（工作区用 --home 指定）"),
    errno.EACCES: ("没有权限", "请检查该目录的权限，或用 --home 指定自己有权写入的目录"),
    errno.EPERM: ("没有权限", "请检查该目录的权限，或用 --home 指定自己有权写入的目录"),
    errno.ENOSPC: ("磁盘空间已满", "请清理磁盘空间后重试"),
    errno.EDQUOT: ("超出磁盘配额", "请清理空间或请管理员提高配额后重试"),
    errno.ENOTDIR: ("路径中的某一段是普通文件而不是目录", "请用 --home 指定一个目录"),
    errno.EISDIR: ("这是一个目录而不是文件", "该位置应是文件，请检查"),
    errno.ENOENT: ("文件或目录不存在", "请检查路径"),
    errno.EMFILE: ("同时打开的文件过多", "请稍后重试"),
}


def os_reason(exc: OSError) -> str:
    """``exc`` in the clerk's words: what failed, on which path, and what to do."""
    what, todo = _OS_REASONS.get(exc.errno or 0, (exc.strerror or type(exc).__name__, "请检查磁盘和权限后重试"))
    where = f"（{exc.filename}）" if exc.filename else ""
    return f"{what}{where}；{todo}"
