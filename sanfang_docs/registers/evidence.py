"""Evidence cited by 档号 (示范文本13 评估表): the archive's facts reach the pure rules as data.

:data:`EVIDENCE_HOOK`, declared in ``interviews/demo-site-assessment.yml``, presets
``archive_index`` — 档号 → the record's street, community, compound and title — so
:func:`sanfang_docs.rules.scoring.evidence_problem` can check that every cited 档号 exists, lies in
the assessor's scope and belongs to the compound, without the rules importing the archive.
"""

from __future__ import annotations

from typing import Any

from ..archive import Archive
from ..errors import SanfangError
from ..interview.hooks import DocumentHook
from ..workspace import Workspace


class ArchiveIndex:
    """档号 → {street, community, compound, title} of a record, looked up when a rule asks for
    it (one folder read per cited 档号, however large the archive). What was looked up is what
    the record keeps in its answers.json (``to_json``): the facts its check of evidence used."""

    def __init__(self, archive: Archive):
        self._archive = archive
        self._seen: dict[str, dict[str, str] | None] = {}

    def get(self, archive_no: str, default: dict[str, str] | None = None) -> dict[str, str] | None:
        if archive_no not in self._seen:
            try:
                meta = self._archive.get(archive_no).meta
            except SanfangError:  # not filed, or not a 档号: the rule says so
                self._seen[archive_no] = None
            else:
                self._seen[archive_no] = {key: str(meta.get(field, "")) for key, field in _FACTS.items()}
        found = self._seen[archive_no]
        return default if found is None else found

    def __contains__(self, archive_no: object) -> bool:
        return isinstance(archive_no, str) and self.get(archive_no) is not None

    def to_json(self) -> dict[str, dict[str, str]]:
        return {no: facts for no, facts in sorted(self._seen.items()) if facts is not None}


_FACTS = {"street": "street", "community": "community", "compound": "compound", "title": "题名"}


class EvidenceHook(DocumentHook):
    """A 评估表's cited 档号 are checked against the archive of the workspace it is made in."""

    #: Filed after the other examples in the demo: its answers cite their 档号.
    files_last = True

    def preset(self, workspace: Workspace, answers: dict[str, Any]) -> dict[str, Any]:
        return {"archive_index": ArchiveIndex(Archive(workspace))}


EVIDENCE_HOOK = EvidenceHook()
