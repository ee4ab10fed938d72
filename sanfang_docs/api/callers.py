"""Callers and scope: accounts and every read or write the web app makes on a user's behalf
(one section of the library API)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

from ..archive import Archive, Record
from ..errors import NotFoundError, SanfangError
from ..registers import matters, organisations
from ..registers import scope as scoping
from ..registers.accounts import Accounts, Caller
from ..registers.catalogue import Catalogue, Newest
from ..workspace import Workspace
from .making import PDF, Made


class Callers:
    """What a logged-in user asks for; every call takes the caller (None: the terminal's owner)."""

    workspace: Workspace
    archive: Archive

    # -- callers and scope (registers/accounts.py): what the web app asks for --------------------
    # Every call below that reads or writes records takes the caller; None is the workspace's
    # owner at the terminal (every record). A record outside the caller's scope is "not found",
    # the same answer as a 档号 that does not exist, so nothing about it leaks.

    @property
    def accounts(self) -> Accounts:
        """Users, roles and logins (accounts.sqlite)."""
        return Accounts(self.workspace)

    def file_draft(self, draft_id: str, caller: Caller | None = None) -> Made:
        """Sign and file a finished draft (resumed, its owner checked) as its caller."""
        convo = self.resume(draft_id, caller)
        if not convo.finished:
            raise SanfangError("问答尚未完成，不能生成文件")
        return self.produce(convo.outcome(), caller=caller)

    def warm_up(self) -> None:
        """Load what filing needs (Typst, the signer, the index) ahead of the first document."""
        from ..documents import render_pdf  # noqa: F401 - the import is the warming

        self._signer()
        if self.index.exists():
            self.index.searcher()
        self.follow_index()  # the process that files keeps the index caught up, off the filing path

    def workspace_settings(self) -> dict[str, Any]:
        """The settings in force: the embedded defaults, overridden by the workspace's settings.yaml."""
        from ..workspace import DEFAULT_SETTINGS

        return {**DEFAULT_SETTINGS, **self.workspace.settings}

    def first_admin(self) -> str:
        """With no account yet, create ``admin`` and return its password (printed once); else ''."""
        from ..registers.accounts import new_password

        if self.accounts.users():
            return ""
        password = new_password()
        self.accounts.add("admin", password, "admin", display="管理员")
        return password

    def login(self, username: str, password: str, address: str = "") -> Caller:
        return self.accounts.authenticate(username, password, address)

    def record(self, archive_no: str, caller: Caller | None = None) -> Record:
        """One record the caller may see (NotFoundError otherwise, as for an unknown 档号)."""
        return scoping.find_record(self.archive, archive_no, caller)

    def records(self, caller: Caller | None = None) -> list[Record]:
        """Every record the caller may see, in filing order."""
        return [r for r in self.archive.records() if caller is None or caller.sees(r.meta)]

    def record_file(self, archive_no: str, name: str, caller: Caller | None = None) -> Path:
        """A file of a record by its name (``document.pdf``, ``document.docx``, ``scans/…``), never
        a path outside the record's folder."""
        return scoping.record_path(self.record(archive_no, caller), name)

    def audit_trail(self, archive_no: str, caller: Caller | None = None) -> list[dict[str, Any]]:
        """The audit log's entries about one record, oldest first."""
        record = self.record(archive_no, caller)
        return [e for e in self.archive.audit.read().intact_entries if e.get("档号") == record.archive_no]

    def followers(self, archive_no: str, caller: Caller | None = None) -> list[tuple[str, str]]:
        """(document key, title) of the documents that may start from this record and that the
        caller may issue (a clerk does not issue the street's 批复)."""
        return scoping.followers(self.record(archive_no, caller), caller)

    def draft(self, draft_id: str, caller: Caller | None = None) -> Any:
        """One draft; a caller sees only their own."""
        draft = self.drafts.get(draft_id)
        if caller is not None and self.accounts.draft_owner(draft.id) != caller.user:
            raise NotFoundError(f"没有编号为“{draft_id}”的草稿")
        return draft

    def drafts_of(self, caller: Caller | None = None) -> list[Any]:
        found = self.drafts.list()
        if caller is None:
            return found
        owners = self.accounts
        return [d for d in found if owners.draft_owner(d.id) == caller.user]

    def discard_draft(self, draft_id: str, caller: Caller | None = None) -> None:
        self.drafts.discard(self.draft(draft_id, caller).id)

    def preview(self, archive_no: str, page: int = 1, caller: Caller | None = None) -> bytes:
        """Page ``page`` of a record's PDF as a PNG, rendered here (pypdfium2)."""
        from ..documents.preview import page_png

        return page_png(self.record_file(archive_no, PDF, caller).read_bytes(), page)

    def page_count(self, archive_no: str, caller: Caller | None = None) -> int:
        from ..documents.preview import page_count

        return page_count(self.record_file(archive_no, PDF, caller).read_bytes())

    @property
    def catalogue(self) -> Catalogue:
        """A few fields of every record, kept current from the audit log (registers/catalogue.py)."""
        return Catalogue(self.archive)

    def newest(self, caller: Caller | None = None) -> Newest:
        """The home page's count, newest records and recent cases of the caller's scope, from
        the catalogue (no record.json read)."""
        return self.catalogue.newest(caller)

    def todo(self, caller: Caller | None = None, today: date | None = None) -> list[Any]:
        """待办 of the caller's scope (registers/deadlines.py), the most urgent first; the records
        come from the catalogue (only a 议程's or 公示's answers are read)."""
        from ..registers.deadlines import due_items

        sees = caller.sees if caller is not None else (lambda meta: True)
        return due_items(self.catalogue.records(caller), self.matter_list(), today, sees)

    def matter_for(self, no: str, caller: Caller | None = None) -> matters.Matter:
        """One matter of the 实事登记簿 the caller may see."""
        matter = self.matter_get(no)
        if caller is not None and not caller.sees({"street": matter.street, "community": matter.community}):
            raise NotFoundError(f"登记簿中没有编号为 {no} 的实事")
        return matter

    def matters_for(self, caller: Caller | None = None) -> list[matters.Matter]:
        return [m for m in self.matter_list()
                if caller is None or caller.sees({"street": m.street, "community": m.community})]

    def matter_step(self, no: str, step: str, caller: Caller | None = None, day: date | str | None = None,
                    **details: str) -> matters.Matter:
        """One step of a matter's lifecycle (accept, assign, resolve, rate) by a caller who sees it."""
        self.matter_for(no, caller)
        steps: dict[str, Callable[..., matters.Matter]] = {
            "accept": lambda: self.matter_accept(no, day, details.get("reason", "")),
            "assign": lambda: self.matter_assign(no, details.get("person", ""), day),
            "resolve": lambda: self.matter_resolve(no, details.get("outcome", ""), day),
            "rate": lambda: self.matter_rate(no, details.get("satisfaction", ""), day, details.get("reason", ""))}
        if step not in steps:
            raise NotFoundError(f"实事没有“{step}”这一步")
        done = steps[step]()
        if caller is not None:
            self.accounts.note(caller.user, f"实事 {step}", no)
        return done

    def add_user(self, caller: Caller, username: str, password: str, role: str, street: str = "",
                 community: str = "", display: str = "") -> Caller:
        """An admin adds an account (noted with who added it)."""
        if caller.role != "admin":
            raise SanfangError("只有管理员可以添加用户")
        added = self.accounts.add(username, password, role, street, community, display)
        self.accounts.note(caller.user, "添加用户", f"{added.user}（{added.role_label}）")
        return added

    def register_organisation(self, caller: Caller, kind: str, name: str, parent: str = "",
                              **details: str) -> organisations.Org:
        """An admin registers (or completes) an organisation (noted with who did it)."""
        if caller.role != "admin":
            raise SanfangError("只有管理员可以修改组织登记")
        entry = self.organisations.add(kind, name, parent, **details)
        self.accounts.note(caller.user, "组织登记", entry.line())
        return entry

    def import_organisations(self, caller: Caller, text: str) -> list[organisations.Org]:
        if caller.role != "admin":
            raise SanfangError("只有管理员可以修改组织登记")
        entries = self.organisations.import_csv(text)
        self.accounts.note(caller.user, "导入组织登记", f"{len(entries)} 条")
        return entries
