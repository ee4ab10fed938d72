"""Evidence cited by 档号 (示范文本13 评估表): the archive's facts reach the pure rules as data.

:data:`EVIDENCE_HOOK`, declared in ``interviews/demo-site-assessment.yml``, presets
``archive_index`` — 档号 → the record's street, community, compound and title — so
:func:`sanfang_docs.rules.scoring.evidence_problem` can check that every cited 档号 exists, lies in
the assessor's scope and belongs to the compound, without the rules importing the archive.
"""

from __future__ import annotations

from typing import Any

from ..archive import Archive
from ..interview.hooks import DocumentHook
from ..workspace import Workspace


def archive_index(workspace: Workspace) -> dict[str, dict[str, str]]:
    """档号 → {street, community, compound, title} of every record in the workspace's archive."""
    return {
        record.archive_no: {"street": str(record.meta.get("street", "")), "community": str(record.meta.get("community", "")),
                            "compound": str(record.meta.get("compound", "")), "title": str(record.meta.get("题名", ""))}
        for record in Archive(workspace).records()
    }


class EvidenceHook(DocumentHook):
    """A 评估表's cited 档号 are checked against the archive of the workspace it is made in."""

    #: Filed after the other examples in the demo: its answers cite their 档号.
    files_last = True

    def preset(self, workspace: Workspace, answers: dict[str, Any]) -> dict[str, Any]:
        return {"archive_index": archive_index(workspace)}


EVIDENCE_HOOK = EvidenceHook()
