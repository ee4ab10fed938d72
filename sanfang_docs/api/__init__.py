"""The library API: the one face of every box. The CLI and the web app import only this package
and ``errors``, and translate to and from these calls. ``Sanfang`` is one object made of one
section per box of the data flow: making.py (interviews → signed, filed documents), finding.py
(search, verify, bundles), inbox.py (intake and quarantine), registers.py (cases, organisations,
实事), callers.py (accounts and the scoped calls the web app makes).

May import: every box below it (bundle, intake, verify, registers, search, archive, signing,
interview, documents, rules, errors, workspace).

    >>> app = Sanfang(home="/tmp/ws")
    >>> made = app.make("branch-founding-request", answers)
    >>> made.record.archive_no
    'J001-WS·2026-Y-SQ-0001'
"""

from __future__ import annotations

import os

from ..archive import Archive
from ..errors import SanfangError
from ..interview.conversation import Conversation
from ..interview.conversation import display as display_answer
from ..interview.conversation import plain as plain_text
from ..workspace import Workspace, WorkspaceError
from .callers import Callers
from .finding import Finding, format_hit, scope_from
from .inbox import UPLOADED_FOR, Inbox
from .making import DOCX, FILING_KEYS, PDF, CatalogEntry, Converse, Made, Making, read_answers, terminal_ask
from .registers import Registers

__all__ = ["DOCX", "FILING_KEYS", "PDF", "UPLOADED_FOR", "CatalogEntry", "Conversation", "Converse", "Made", "Sanfang",
           "display_answer", "format_hit", "plain_text", "read_answers", "scope_from", "terminal_ask"]


class Sanfang(Making, Finding, Inbox, Registers, Callers):
    """One workspace: interviews in, signed and filed documents out."""

    def __init__(self, home: str | os.PathLike[str] | None = None):
        try:
            self.workspace = Workspace.open(home)
        except WorkspaceError as exc:
            raise SanfangError(exc.message) from None
        self.archive = Archive(self.workspace)
        # Every archive change reaches the search index (search/: Whoosh, loaded on first use),
        # and every filed document's organisations reach the registry.
        self.archive.listeners.append(self._index_change)
        self.archive.listeners.append(self._learn_organisations)

