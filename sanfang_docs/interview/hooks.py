"""Document kinds with extra behaviour, declared in their interview's metadata:

    metadata:
      hooks:
        resident-matter-form: sanfang_docs.registers.matters:FORM_HOOK

A hook is a :class:`DocumentHook` that a register (or any box above the interview) defines; the
library API looks it up by document key and calls it around the one common path (interview →
document → sign → file), so no document kind is special-cased there. May import: ``errors``,
``workspace``.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from ..errors import InterviewError
from ..workspace import Workspace

if TYPE_CHECKING:
    from .drive import Outcome
    from .loader import Interview


class DocumentHook:
    """The default behaviour: nothing extra. A subclass overrides what its kind needs."""

    #: Never started from the previous document of a case (its facts come from elsewhere).
    fresh_start = False
    #: Filed after every other example in the demo archive (its answers cite their 档号).
    files_last = False

    def preset(self, workspace: Workspace, answers: dict[str, Any]) -> dict[str, Any]:
        """Variables preset before a fresh run of the interview (not one started ``--from``)."""
        return {}

    def answers(self, workspace: Workspace, answers: dict[str, Any]) -> dict[str, Any]:
        """The answers the interview runs on: an answers file's stable references (e.g. to a
        filed record by document key) resolved to what the document prints and the record
        keeps. Raises ValidationError naming the field when one cannot be resolved."""
        return answers

    def produce(self, workspace: Workspace, outcome: Outcome, produce: Callable[[Outcome], Any],
                archive: bool) -> Any:
        """Make (and, with ``archive``, file) the document; ``produce`` is the common path."""
        return produce(outcome)


def hook_for(interview: Interview, doc_key: str) -> DocumentHook | None:
    """The hook the interview declares for ``doc_key``, if any."""
    target = (interview.metadata.get("hooks") or {}).get(doc_key)
    if not target:
        return None
    module, _, attr = str(target).partition(":")
    try:
        hook = getattr(importlib.import_module(module), attr)
    except (ImportError, AttributeError) as exc:
        raise InterviewError(f"{interview.name}.yml 的 metadata.hooks 中“{doc_key}: {target}”无法加载：{exc}") from None
    if not isinstance(hook, DocumentHook):
        raise InterviewError(f"{interview.name}.yml 的 metadata.hooks 中“{target}”不是 DocumentHook")
    return hook


def files_last(interview: Interview) -> bool:
    """Whether a document of the interview is filed after the others in the demo (its hook says
    so: a 评估表 cites the other examples' 档号)."""
    docs = interview.metadata.get("documents") or {}
    return any((hook := hook_for(interview, str(key))) is not None and hook.files_last for key in docs)
