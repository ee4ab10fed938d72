"""Evidence cited by 档号 (示范文本13 评估表): the archive's facts reach the pure rules as data.

:data:`EVIDENCE_HOOK`, declared in ``interviews/demo-site-assessment.yml``, presets
``archive_index`` — 档号 → the record's street, community, compound and title — so
:func:`sanfang_docs.rules.scoring.evidence_problem` can check that every cited 档号 exists, lies in
the assessor's scope and belongs to the compound, without the rules importing the archive.

An answers file may also name a piece of evidence by its document key, ``文件:branch-election-approval``:
this compound's filed record of that kind. The hook resolves it to the record's 档号 before the
interview runs (so the document prints, and the record keeps, the 档号), and the check above still
applies. The shipped examples cite their evidence this way, so adding or reordering examples
cannot shift what a 评估表 cites (the demo files them in any order, 评估表 last).
"""

from __future__ import annotations

import re
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

    def answers(self, workspace: Workspace, answers: dict[str, Any]) -> dict[str, Any]:
        cited = {key: value for key, value in answers.items()
                 if _EVIDENCE_FIELD.fullmatch(key) and isinstance(value, str) and _REFERENCE.search(value)}
        if not cited:
            return answers  # only 档号: nothing to look up, the archive is not read
        filed = _filed_here(Archive(workspace), answers)

        def archive_no(ref: re.Match[str]) -> str:
            # None or several of a kind: left as written, and the interview's check of evidence
            # refuses it with every other problem of the answers (rules/scoring.py).
            found = filed.get(ref.group(1), [])
            return found[0] if len(found) == 1 else ref.group(0)

        return {**answers, **{key: _REFERENCE.sub(archive_no, value) for key, value in cited.items()}}


_EVIDENCE_FIELD = re.compile(r"indicator_evidence_\d+")
_REFERENCE = re.compile(r"文件[:：]([a-z][a-z0-9-]*)")  # 文件:document-key: this compound's record of that kind


def _filed_here(archive: Archive, answers: dict[str, Any]) -> dict[str, list[str]]:
    """document key → 档号 of the records filed for the answers' street, community and compound."""
    place = {field: str(answers.get(key, "")).strip() for field, key in
             (("street", "street_name"), ("community", "community_name"), ("compound", "compound_name"))}
    place["compound"] = place["compound"].removesuffix("小区").strip()  # as the interview keeps it
    out: dict[str, list[str]] = {}
    for record in archive.records():
        if all(str(record.meta.get(field, "")) == value for field, value in place.items()):
            out.setdefault(str(record.meta.get("doc_key", "")), []).append(record.archive_no)
    return out


EVIDENCE_HOOK = EvidenceHook()
