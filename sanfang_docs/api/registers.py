"""Cases, the organisation registry and the 实事登记簿 (one section of the library API)."""

from __future__ import annotations

import json
import logging
from datetime import date
from typing import TYPE_CHECKING, Any

from .. import interview as interviews
from ..archive import Archive, Record, cases
from ..errors import SanfangError
from ..registers import matters, organisations
from ..registers import scope as scoping
from ..registers.accounts import Caller
from ..workspace import Workspace

if TYPE_CHECKING:
    pass



class Registers:
    """Cases (archive/cases.py), organisations and resident matters (registers/)."""

    workspace: Workspace
    archive: Archive

    # -- cases (archive/cases.py) ---------------------------------------------------------------

    def case(self, ref: str, caller: Caller | None = None) -> cases.Case:
        """A case's records in order and what can come next; ``ref``: a case id or any 档号 in it.
        A caller sees only their records of it (none: not found) and only what they may issue."""
        found = cases.show(self.archive, ref)
        return found if caller is None else scoping.case_in_scope(found, ref, caller)

    def following(self, ref: str) -> dict[str, str]:
        """The documents that can start from record ``ref`` (a 档号 in any spelling, or a case id)."""
        record = cases.source_record(self.archive, ref)
        iv = interviews.load(str(record.meta.get("interview", "")))
        docs = cases.documents(iv)
        return {k: docs[k] for k in cases.followers(iv, str(record.meta.get("doc_key", "")))}

    # -- organisations (registers/organisations.py) --------------------------------------------

    @property
    def organisations(self) -> organisations.Registry:
        """Streets, communities, compounds and people: ``add``, ``import_csv``, ``list``."""
        return organisations.Registry(self.workspace)

    def _learn_organisations(self, event: str, record: Record) -> None:
        if event != "created":
            return
        try:
            self.organisations.learn(json.loads(record.file("answers.json").read_text(encoding="utf-8")))
        except (OSError, ValueError, SanfangError) as exc:  # filing must not fail because of it
            logging.getLogger(__name__).warning("组织登记未能更新（%s）：%s", exc, record.archive_no)

    # -- 实事登记簿 (示范文本9): the lifecycle of resident matters, see registers/matters.py -------

    @property
    def matter_register(self) -> matters.Register:
        return matters.Register(self.workspace.home)

    def matter_add(self, answers: dict[str, Any]) -> matters.Matter:
        """Register a matter from 登记表 answers (validated by the interview) without drafting it."""
        return matters.add_from_answers(self.workspace, answers)

    def matter_accept(self, no: str, day: date | str | None = None, overdue_reason: str = "") -> matters.Matter:
        return self.matter_register.accept(no, day, overdue_reason)

    def matter_assign(self, no: str, person: str, day: date | str | None = None) -> matters.Matter:
        return self.matter_register.assign(no, person, day)

    def matter_resolve(self, no: str, outcome: str, day: date | str | None = None) -> matters.Matter:
        return self.matter_register.resolve(no, outcome, day)

    def matter_rate(self, no: str, satisfaction: str, day: date | str | None = None,
                    reason: str = "") -> matters.Matter:
        return self.matter_register.rate(no, satisfaction, day, reason)

    def matter_correct(self, no: str, reason: str) -> matters.Matter:
        """Withdraw the last step of a matter as entered by mistake (kept in its history)."""
        return self.matter_register.correct(no, reason)

    def matter_list(self, compound: str | None = None, quarter: str | None = None) -> list[matters.Matter]:
        return self.matter_register.matters(compound, quarter)

    def matter_get(self, no: str) -> matters.Matter:
        return self.matter_register.get(no)
