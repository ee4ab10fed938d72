"""The library API: the one module that knows every box. The CLI and the web app import only
this module and ``errors``, and translate to and from these calls.
Longer than 400 lines: it is the one face of every box, one thin section per box.

    >>> app = Sanfang(home="/tmp/ws")
    >>> made = app.make("branch-founding-request", answers)
    >>> made.record.archive_no
    'J001-WS·2026-Y-SQ-0001'
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

from . import interview as interviews
from .archive import Archive, Record, cases
from .archive.audit import acting_as
from .documents import Document
from .errors import InterviewError, NotFoundError, Problem, SanfangError, ValidationError, os_reason
from .interview import answers_file
from .interview.checks import check as check_answers
from .interview.conversation import Conversation
from .interview.conversation import display as display_answer  # noqa: F401 - for the shells
from .interview.conversation import plain as plain_text  # noqa: F401 - for the shells
from .interview.drafts import Drafts
from .interview.drive import Outcome, run
from .interview.hooks import DocumentHook, files_last, hook_for
from .registers import matters, organisations
from .registers import scope as scoping
from .registers.accounts import Accounts, Caller
from .workspace import Workspace, WorkspaceError

if TYPE_CHECKING:
    from .bundle import BundleReport, ExportResult
    from .intake import Intake, Item, Result
    from .search import Hit, Scope, SearchIndex, SearchResult
    from .signing.keys import SigningKey
    from .signing.pades import Signer
    from .verify import Report as VerifyReport

PDF, DOCX = "document.pdf", "document.docx"
# Answers that filing takes, not a question: a 发文字号 an office assigned by hand (archive/doc_numbers.py).
FILING_KEYS = frozenset({"doc_no", "cc"})  # 发文字号 by hand; 抄送 (版记)


@dataclass
class CatalogEntry:
    interview: str
    title: str
    documents: dict[str, str]  # key → generic title
    error: str = ""  # a content error that keeps this interview from loading


@dataclass
class Made:
    """One generated document: its model, the filed record (if archived) and output paths."""

    document: Document
    record: Record | None
    paths: dict[str, Path]
    answers: dict[str, Any]
    notes: list[str] = field(default_factory=list)  # the document screen's notes for the clerk

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "doc_key": self.document.key, "title": self.document.title,
            "paths": {k: str(v) for k, v in self.paths.items()},
        }
        if self.record:
            out.update({"档号": self.record.archive_no, "record_dir": str(self.record.path),
                        "files": self.record.meta["files"], "status": self.record.meta["status"],
                        "case_id": self.record.meta.get("case_id", "")})
        if self.notes:
            out["notes"] = self.notes
        return out


# A front end: drives a conversation to its final screen (the terminal's, a test's).
Converse = Callable[[Conversation], None]


def terminal_ask() -> Converse:
    """The terminal front end of the interview engine (interview/terminal.py)."""
    from .interview.terminal import converse

    return converse


def scope_from(text: str) -> Scope:
    """A search scope from ``all``, ``街道:名称`` or ``社区:名称`` (also ``street:``/``community:``)."""
    from .search import Scope

    level, _, name = text.replace("：", ":").partition(":")
    levels = {"all": "all", "全部": "all", "街道": "street", "street": "street", "社区": "community",
              "community": "community"}
    if level not in levels:
        raise SanfangError(f"检索范围“{text}”无效，应为 all、街道:名称 或 社区:名称")
    return Scope(levels[level], name.strip())


def format_hit(n: int, hit: Hit, mark: Any) -> str:
    """One search hit as the CLI prints it; ``mark`` highlights a matched word."""
    from .search.searching import format_hit as _format

    return _format(n, hit, mark)


def read_answers(path: str | os.PathLike[str]) -> dict[str, Any]:
    """An answers file: YAML or JSON, a mapping of variable → value, read with bounded work
    (interview/answers_file.py); anything else is a ValidationError naming the rule."""
    return answers_file.read_answers(path)


class Sanfang:
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

    # -- catalogue ---------------------------------------------------------------------------

    def catalog(self) -> list[CatalogEntry]:
        """Every interview that loads; one with a content error is listed with that error, so
        it cannot hide the others."""
        entries = []
        for name in interviews.available():
            try:
                iv = interviews.load(name)
            except SanfangError as exc:
                entries.append(CatalogEntry(name, name, {}, error=exc.message))
                continue
            docs = iv.metadata.get("documents") or {}
            entries.append(CatalogEntry(name, iv.title, {str(k): str(v) for k, v in docs.items()}))
        return entries

    def interview_for(self, doc_key: str) -> str:
        catalog = self.catalog()
        for entry in catalog:
            if doc_key in entry.documents:
                return entry.interview
        broken = [f"{e.interview}：{e.error}" for e in catalog if e.error]
        if broken:
            raise InterviewError(f"没有找到文件“{doc_key}”，且以下访谈无法读取：" + "；".join(broken))
        known = "、".join(k for e in catalog for k in e.documents)
        raise NotFoundError(f"没有文件“{doc_key}”。可用的文件：{known}")

    def examples(self) -> list[tuple[str, str, Path]]:
        """(interview, branch, answers file) for every example answer set that ships."""
        root = interviews.loader.CONTENT_DIR / "examples"
        return [(p.parent.name, p.stem, p) for p in sorted(root.glob("*/*.yaml"))]

    def make_examples(self) -> list[Made]:
        """File every document of every example answer set: the tour and a self-check."""
        made = []
        catalog = {e.interview: e for e in self.catalog()}
        known = [e for e in self.examples() if e[0] in catalog]
        # Stable: in order, except what files_last (the 评估表 cites the others' 档号).
        for name, _branch, path in sorted(known, key=lambda e: files_last(interviews.load(e[0]))):
            answers = read_answers(path)
            iv = interviews.load(name)
            previous: Made | None = None
            for key in catalog[name].documents:
                # Each document starts from the one before it where the case allows, as a
                # clerk would file them, so the set forms one case.
                hook = hook_for(iv, key)
                chain = (previous and previous.record and not (hook and hook.fresh_start)
                         and key in cases.followers(iv, previous.document.key))
                previous = self.make(key, answers, from_record=previous.record.archive_no if chain else None)
                made.append(previous)
        return made

    # -- making documents --------------------------------------------------------------------

    def run_interview(self, name: str, answers: dict[str, Any], doc_key: str | None = None,
                      ask: Converse | None = None, from_record: str | None = None) -> Outcome:
        """Run an interview. ``from_record`` (a 档号) starts from an archived record of the same
        matter: its answers are the base (``answers`` add and override), its title, date and
        档号 are preset as ``source_*`` and the new record joins its case (see archive/cases.py).
        With ``ask`` (a front end), what the answers do not settle is asked."""
        if ask is not None:
            convo = self.conversation(name, answers, doc_key, from_record, keep_draft=False)
            ask(convo)
            return convo.outcome()
        iv, answers, preset, found = self._prepare(name, answers, doc_key, from_record, strict=False)
        try:
            outcome = run(iv, answers, preset or None)
        except ValidationError as exc:
            # One list: the file's own problems, then what the run found that they do not say.
            said = {(p.key, p.rule) for p in found}
            raise ValidationError(found + [p for p in exc.problems if (p.key, p.rule) not in said]) from None
        if found:
            raise ValidationError(found)
        return outcome

    def _prepare(self, name: str, answers: dict[str, Any], doc_key: str | None, from_record: str | None,
                 strict: bool = True) -> tuple[interviews.Interview, dict[str, Any], dict[str, Any], list[Problem]]:
        """The interview, the answers to start from, the preset variables and the file's own
        problems (unknown keys, wrong types, near-misses of registered names); ``strict``
        raises them at once instead."""
        iv = interviews.load(name)
        problems = check_answers(iv, answers, also=FILING_KEYS) + self.organisations.check_answers(answers)
        if problems and strict:
            raise ValidationError(problems)
        # The office's thresholds and holiday calendar reach the rules as data (rules/general.py).
        preset: dict[str, Any] = {"rule_settings": self.workspace.rule_settings()}
        if from_record:
            start = cases.start_from(self.archive, iv, from_record, doc_key)
            doc_key, answers = start.doc_key, {**start.answers, **answers}
            preset.update(start.preset)
        elif doc_key and (hook := hook_for(iv, doc_key)):
            preset.update(hook.preset(self.workspace, answers))  # e.g. rows from a register
        if doc_key:
            preset["doc_key"] = doc_key
        if answers.get("doc_no"):
            # A 发文字号 the office assigned by hand: the archive registers it at filing
            # instead of taking the next one (archive/doc_numbers.py).
            preset["doc_no"] = str(answers["doc_no"])
        if answers.get("cc"):
            preset["cc"] = str(answers["cc"])  # the 版记's 抄送 (documents/imprint.py)
        return iv, answers, preset, problems

    # -- conversations and drafts (interview/conversation.py, interview/drafts.py) -------------

    def conversation(self, name: str, answers: dict[str, Any] | None = None, doc_key: str | None = None,
                     from_record: str | None = None, keep_draft: bool = True,
                     caller: Caller | None = None) -> Conversation:
        """A conversation a front end drives screen by screen; with ``keep_draft`` it is saved
        as a draft after every screen (``sanfang drafts``) until its document is filed. A
        caller's draft is theirs alone; ``from_record`` must be a record they see."""
        if from_record and caller is not None:
            self.record(from_record, caller)
        if not from_record:  # a caller's street and community come filled in (still editable)
            answers = {**scoping.starting_answers(caller, interviews.load(name)), **(answers or {})}
        iv, base, preset, _ = self._prepare(name, dict(answers or {}), doc_key, from_record)
        scoping.check_may_start(caller, iv, str(preset.get("doc_key", "")))
        convo = Conversation(iv, base, preset, registry=self.organisations)
        if keep_draft:
            self._keep_draft(convo, from_record or "", caller)
        return convo

    def resume(self, draft_id: str, caller: Caller | None = None) -> Conversation:
        """The conversation of a draft, where it stopped (the interview replayed with its answers)."""
        draft = self.draft(draft_id, caller)
        iv, _, preset, _ = self._prepare(draft.interview, {}, draft.doc_key or None, draft.from_record or None)
        convo = Conversation(iv, None, preset, state=draft.state, registry=self.organisations)
        convo.draft_id = draft.id
        self._keep_draft(convo, draft.from_record, caller)
        return convo

    @property
    def drafts(self) -> Drafts:
        """The workspace's drafts: ``list()``, ``get(id)``, ``discard(id)``."""
        return Drafts(self.workspace)

    def _keep_draft(self, convo: Conversation, from_record: str, caller: Caller | None = None) -> None:
        def save(c: Conversation) -> None:
            c.draft_id = self.drafts.save(c.draft_id or None, c.interview.name, str(c.preset.get("doc_key", "")),
                                          from_record, c.summary(), c.steps_done, c.state())
            if caller is not None and caller.user:
                self.accounts.own_draft(c.draft_id, caller.user)

        convo.listeners.append(save)
        if caller is not None and not convo.draft_id:
            save(convo)  # a browser needs the draft's id (its address) before the first answer

    def make(self, doc_key: str, answers: dict[str, Any], out_dir: str | os.PathLike[str] | None = None,
             archive: bool = True, ask: Converse | None = None, from_record: str | None = None) -> Made:
        """Generate one document. Invalid answers raise ValidationError before anything is written.
        ``from_record``: the 档号 of an earlier document of the same matter (e.g. the 请示 of a 批复)."""
        outcome = self.run_interview(self.interview_for(doc_key), answers, doc_key, ask, from_record)
        return self.produce(outcome, out_dir, archive)

    def produce(self, outcome: Outcome, out_dir: str | os.PathLike[str] | None = None,
                archive: bool = True, caller: Caller | None = None) -> Made:
        """Render, sign and file the outcome's document, through its kind's hook if it has one.
        A caller files only documents of their own organisations; the audit log names them."""
        if caller is not None:
            scoping.check_may_file(caller, outcome.session.answers_json(),
                                 outcome.documents[0].issuer_role if outcome.documents else "")
            with acting_as(caller.user):
                return self.produce(outcome, out_dir, archive)
        hook: DocumentHook | None = None
        if outcome.documents:
            hook = hook_for(outcome.session.interview, outcome.documents[0].key)

        def common(o: Outcome) -> Made:
            return self._produce(o, out_dir, archive)

        made = hook.produce(self.workspace, outcome, common, archive) if hook else common(outcome)
        if outcome.draft and archive:
            self.drafts.discard(outcome.draft)  # filed: the draft has done its work
        return made

    def _produce(self, outcome: Outcome, out_dir: str | os.PathLike[str] | None, archive: bool) -> Made:
        from .documents import render_docx, render_pdf  # Typst loads lazily: catalog stays fast
        from .documents.imprint import apply_office

        doc = outcome.documents[0]
        answers = outcome.session.answers_json()

        context = self._context(outcome, doc, answers) if archive else {}

        def render(d: Document) -> dict[str, bytes]:
            if archive:
                # The 版记, once the archive has given the 公文 its 发文字号 and 版头 (documents/imprint.py).
                apply_office(d, self.workspace.setting("gongwen") or {}, str(answers.get("cc") or ""))
            pdf = render_pdf(d)
            if archive:
                # Every filed PDF is signed by its issuing organisation (signing/), after the 档号
                # is known (it is in the QR code and the XMP); record.json keeps who signed.
                signed = self._signer().sign_document(pdf, d, answers)
                context["signed"], context["signature"] = True, signed.info
                pdf = signed.pdf
            return {PDF: pdf, DOCX: render_docx(d)}

        record = None
        if archive:
            record = self.archive.file(doc, render, answers, context)
            files = {PDF: record.file(PDF).read_bytes(), DOCX: record.file(DOCX).read_bytes()}
        else:
            files = render(doc)
        paths: dict[str, Path] = {}
        if record:
            paths = {"pdf": record.file(PDF), "docx": record.file(DOCX)}
        if out_dir is not None:
            paths = _write_out(Path(out_dir), doc, files)
        return Made(doc, record, paths, answers, outcome.notes)

    def _signer(self) -> Signer:
        if not hasattr(self, "_signing"):
            from .signing.pades import Signer  # pyHanko loads lazily: catalog stays fast

            self._signing = Signer(self.workspace)
        return self._signing

    # -- search (search/) ---------------------------------------------------------------------

    @property
    def index(self) -> SearchIndex:
        if not hasattr(self, "_index"):
            from .search import SearchIndex  # Whoosh and jieba load lazily: catalog stays fast

            self._index = SearchIndex(self.workspace.index_dir, self.archive)
        return self._index

    def _index_change(self, event: str, record: Record) -> None:
        """Archive listener. Filing must not fail because indexing did: a change the index
        cannot take now is queued and applied by the next index write or `sanfang reindex`."""
        try:
            self.index.update([record])
        except Exception as exc:  # noqa: BLE001 - any failure, the record is filed already
            log = logging.getLogger(__name__)
            try:
                self.index.queue(record.archive_no)
                log.warning("检索索引未能更新（%s），已排队：%s", exc, record.archive_no)
            except OSError as full:  # e.g. the disk is full: the record is filed, say how to catch up
                log.warning("已归档 %s，但检索索引未能更新，也无法排队（%s）；请在腾出空间后运行 sanfang reindex",
                            record.archive_no, os_reason(full))

    def search(self, query: str = "", *, scope: Scope | None = None, community: str | None = None,
               compound: str | None = None, street: str | None = None, kind: str | None = None,
               status: str | None = None, case_id: str | None = None, date_from: str | None = None,
               date_to: str | None = None, limit: int | str = 10, caller: Caller | None = None) -> SearchResult:
        """Ranked records with snippets, never outside ``scope`` (default: the whole archive)
        nor outside the caller's organisations. ``limit`` may be text from a command line; below
        1 or not a number is refused (exit 2)."""
        from .search import Filters, Scope, search

        if caller is not None and caller.level[0] != "all":
            scope = Scope(*caller.level)
            if caller.level[0] == "community":
                street = caller.street  # a community's name is unique only within its street

        self._fresh_index()
        filters = Filters(community, compound, street, kind, status, case_id, date_from, date_to)
        return search(self.index, query, filters, scope, limit)

    def _fresh_index(self) -> None:
        if not self.index.exists():
            self.reindex()
        elif self.index.pending():
            with contextlib.suppress(SanfangError):  # queued changes first, unless someone writes
                self.index.update([], timeout=0.5)

    def reindex(self) -> int:
        """Rebuild the search index from the archive alone; returns the number of records."""
        return self.index.rebuild()

    # -- verification ------------------------------------------------------------------------

    def verify(self, target: str | None = None, jobs: int = 1) -> VerifyReport:
        """The four DA/T 70 checks over the whole archive (``target`` None), one record (a
        档号, or any file inside its folder), or a PDF from outside the archive."""
        from .verify import Verifier

        return Verifier(self.workspace, self.archive, jobs=jobs).run(target)

    def _context(self, outcome: Outcome, doc: Document, answers: dict[str, Any]) -> dict[str, Any]:
        iv = outcome.session.interview
        return {
            "interview": iv.name, "issuer_role": doc.issuer_role,
            "street": answers.get("street_name", ""), "community": answers.get("community_name", ""),
            "compound": answers.get("compound_name", ""),
            # A document started from another (--from) joins its case (请示 → 批复 → 报告);
            # any other document opens a case of its own.
            "case_id": answers.get("case_id") or f"{iv.name}-{uuid.uuid4().hex[:10]}",
        }

    # -- inspection bundles (bundle/) -----------------------------------------------------------

    def export(self, target: str | os.PathLike[str], query: str = "", *, scope: Scope | None = None,
               community: str | None = None, compound: str | None = None, street: str | None = None,
               kind: str | None = None, status: str | None = None, case_id: str | None = None,
               date_from: str | None = None, date_to: str | None = None, who: str | None = None,
               as_dir: bool = False, progress: Any = None, jobs: int | None = None) -> ExportResult:
        """A BagIt bundle of what ``search`` with these words and filters finds (all of it, never
        outside ``scope``); ``progress(done, total, label)`` is told as it goes; ``jobs``: the
        processes of its DA/T 70 checks (default: the CPUs, at most 2)."""
        from .bundle import export
        from .search import Filters
        from .verify.records import default_jobs

        self._fresh_index()
        filters = Filters(community, compound, street, kind, status, case_id, date_from, date_to)
        return export(self.workspace, self.archive, self.index, Path(target), query=query, filters=filters,
                      scope=scope, who=who, as_dir=as_dir, progress=progress, jobs=jobs or default_jobs())

    def verify_bundle(self, path: str | os.PathLike[str], jobs: int | None = None) -> BundleReport:
        """Every checksum, signature and tag file of a bundle; needs no workspace of its own.
        ``jobs``: processes checking signatures (default: the CPUs, at most 2)."""
        from .bundle import verify_bundle
        from .verify.records import default_jobs

        return verify_bundle(path, jobs or default_jobs())
    # -- the watched inbox (intake/) ------------------------------------------------------------

    @property
    def intake_box(self) -> Intake:
        if not hasattr(self, "_intake"):
            from .intake import Intake

            self._intake = Intake(self.archive, self.workspace.home, self.workspace.setting("intake"))
            self._intake.allow_for = self._upload_guard
        return self._intake

    def intake(self, paths: list[str | os.PathLike[str]], ocr: bool = True) -> list[Result]:
        """Take each file (it leaves its place), file it on its record or quarantine it; then
        OCR what was filed unless ``ocr`` is False (the watcher does that in a thread)."""
        results = self.intake_box.recover()
        for path in paths:
            p = Path(path)
            if not p.is_file():
                raise NotFoundError(f"找不到文件 {p}")
            results += self.intake_box.take(p)
        if ocr:
            self.intake_box.run_ocr()
        return results

    def watch(self, inbox: str | os.PathLike[str] | None, stop: Any, **options: Any) -> None:
        """Watch ``inbox`` (default: inbox/ in the workspace) until ``stop`` (an Event) is set."""
        from .intake import Watcher

        folder = (Path(inbox) if inbox else self.workspace.home / "inbox").resolve()
        if folder == self.workspace.home or folder in self.workspace.home.parents:
            raise SanfangError(f"收件箱 {folder} 不能是工作区本身或其上级目录（否则会收取档案自身的文件）")
        Watcher(self.intake_box, folder, **options).run(stop)

    def quarantine_list(self) -> list[Item]:
        return self.intake_box.quarantine.items()

    def quarantine_retry(self, names: list[str], ocr: bool = True) -> list[Result]:
        """Read quarantined files again (all when ``names`` is empty)."""
        box = self.intake_box
        items = [self._quarantined(n) for n in names] if names else box.quarantine.items()
        results = box.retry(items)
        if ocr:
            box.run_ocr()
        return results

    def quarantine_file(self, name: str, archive_no: str, ocr: bool = True) -> Result:
        """A clerk files a quarantined file on a record by hand."""
        result = self.intake_box.file_by_hand(self._quarantined(name), archive_no)
        if ocr:
            self.intake_box.run_ocr()
        return result

    def _quarantined(self, name: str) -> Item:
        item = self.intake_box.quarantine.get(name)
        if item is None:
            raise NotFoundError(f"隔离区中没有文件 {Path(name).name}（用 sanfang quarantine list 查看）")
        return item

    # -- signing keys (signing/keys.py) -------------------------------------------------------

    def import_key(self, p12: bytes, password: str, org: str | None = None) -> SigningKey:
        """Import an office's own PKCS#12 certificate; it signs for ``org`` from now on."""
        from .signing.keys import KeyStore

        return KeyStore(self.workspace).import_pkcs12(p12, password, org)

    def signing_keys(self) -> tuple[list[SigningKey], Path]:
        """Every organisation's signing key (imported first) and the local CA's certificate path."""
        from .signing.keys import KeyStore

        store = KeyStore(self.workspace)
        return list(store.entries()), store.dir / "ca.crt.pem"

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
        from .documents import render_pdf  # noqa: F401 - the import is the warming

        self._signer()
        if self.index.exists():
            self.index.searcher()

    def workspace_settings(self) -> dict[str, Any]:
        """The settings in force: the embedded defaults, overridden by the workspace's settings.yaml."""
        from .workspace import DEFAULT_SETTINGS

        return {**DEFAULT_SETTINGS, **self.workspace.settings}

    def first_admin(self) -> str:
        """With no account yet, create ``admin`` and return its password (printed once); else ''."""
        from .registers.accounts import new_password

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
        from .documents.preview import page_png

        return page_png(self.record_file(archive_no, PDF, caller).read_bytes(), page)

    def page_count(self, archive_no: str, caller: Caller | None = None) -> int:
        from .documents.preview import page_count

        return page_count(self.record_file(archive_no, PDF, caller).read_bytes())

    def todo(self, caller: Caller | None = None, today: date | None = None) -> list[Any]:
        """待办 of the caller's scope (registers/deadlines.py), the most urgent first."""
        from .registers.deadlines import due_items

        sees = caller.sees if caller is not None else (lambda meta: True)
        return due_items(self.records(caller), self.matter_list(), today, sees)

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

    # -- scans, quarantine and bundles for a caller (the web app) ---------------------------------

    SCAN_TYPES = (".pdf", ".jpg", ".jpeg", ".png", ".tif", ".tiff")

    def upload_scan(self, archive_no: str, data: bytes, name: str, caller: Caller) -> list[Result]:
        """A stamped scan uploaded on one record's page, through the same intake (QR matching):
        a part whose code is not this record's goes to quarantine, never onto another record.
        The upload waits under uploads/<街道>/<社区>/ so the quarantine knows whose it is."""
        record = self.record(archive_no, caller)
        base = Path(name or "").name.strip()
        if not base or base.startswith(".") or Path(base).suffix.lower() not in self.SCAN_TYPES:
            raise SanfangError(f"【扫描件】（scan）文件“{base or '（未选择）'}”不可上传：只收 PDF、JPEG、PNG、TIFF")
        if not data:
            raise SanfangError("【扫描件】（scan）文件为空")
        folder = self._uploads(record.meta) / uuid.uuid4().hex[:12]
        folder.mkdir(parents=True)
        (folder / UPLOADED_FOR).write_text(record.archive_no, encoding="utf-8")  # for a recovery
        (folder / base).write_bytes(data)

        def allow(no: str) -> str:
            if no == record.archive_no:
                return ""
            try:
                whose = no if caller.sees(self.archive.get(no).meta) else "您管辖范围以外的一件档案"
            except NotFoundError:
                return ""  # no such record: the intake quarantines it saying so
            return f"扫描件的二维码是{whose}的，不是上传时所在档案 {record.archive_no} 的"

        with acting_as(caller.user):
            results = self.intake_box.take(folder / base, allow)
        (folder / UPLOADED_FOR).unlink(missing_ok=True)
        with contextlib.suppress(OSError):
            folder.rmdir()
        return results

    def read_scans(self, caller: Caller | None = None) -> int:
        """OCR every queued scan (uploads queue theirs; the text is filed naming the uploader)."""
        with acting_as(caller.user) if caller else contextlib.nullcontext():
            return self.intake_box.run_ocr()

    def _upload_guard(self, source: str) -> Callable[[str], str] | None:
        """A recovered upload files only on the record it was uploaded for."""
        uploads = self.workspace.home.resolve() / "uploads"
        if not Path(source).is_relative_to(uploads):
            return None
        try:
            meant = (Path(source).parent / UPLOADED_FOR).read_text(encoding="utf-8").strip()
        except OSError:
            meant = ""
        return lambda no: "" if meant and no == meant else f"上传的扫描件处理中断后重新识别，二维码与上传时所在档案 {meant or '（未知）'} 不符"

    def _uploads(self, meta: dict[str, Any]) -> Path:
        parts = [str(meta.get("street") or "_"), str(meta.get("community") or "_")]
        if any(p in (".", "..") or "/" in p or "\\" in p for p in parts):
            raise SanfangError("记录的街道或社区名称含路径字符，不能上传扫描件")
        return self.workspace.home / "uploads" / parts[0] / parts[1]

    def quarantine_for(self, caller: Caller) -> list[Item]:
        """The quarantined files a caller handles: the admin all of them (the watched inbox's
        belong to no organisation); 街道 staff those uploaded for their street's records."""
        if caller.role == "admin":
            return self.quarantine_list()
        if caller.role != "street":
            raise SanfangError("只有街道工作人员和管理员可以处理隔离区")
        mine = str(self.workspace.home.resolve() / "uploads" / caller.street) + os.sep
        return [i for i in self.quarantine_list() if i.source.startswith(mine)]

    def quarantine_retry_for(self, name: str, caller: Caller, ocr: bool = False) -> list[Result]:
        """Read one quarantined file again; it files only on records in the caller's scope."""
        item = self._quarantined_for(name, caller)

        def allow(no: str) -> str:
            try:
                self.record(no, caller)
            except NotFoundError:
                return f"档号 {no} 不在 {caller.user} 的管辖范围内，或尚未归档"
            return ""

        with acting_as(caller.user):
            results = self.intake_box.retry([item], allow)
        if ocr:
            self.intake_box.run_ocr()
        return results

    def quarantine_file_for(self, name: str, archive_no: str, caller: Caller, ocr: bool = False) -> Result:
        """File a quarantined file on a record of the caller's scope by hand."""
        item = self._quarantined_for(name, caller)
        record = self.record(archive_no.strip(), caller)
        with acting_as(caller.user):
            return self.quarantine_file(item.name, record.archive_no, ocr=ocr)

    def quarantined_file(self, name: str, caller: Caller) -> Path:
        """A quarantined file's bytes, to look at before deciding where it belongs."""
        return self._quarantined_for(name, caller).path

    def _quarantined_for(self, name: str, caller: Caller) -> Item:
        found = next((i for i in self.quarantine_for(caller) if i.name == Path(name).name), None)
        if found is None:
            raise NotFoundError(f"隔离区中没有文件 {Path(name).name}")
        return found

    def export_for(self, target: str | os.PathLike[str], caller: Caller, query: str = "",
                   progress: Any = None, **filters: Any) -> ExportResult:
        """A bundle of what the caller's search finds: 街道 staff (their street) and the admin."""
        from .search import Scope

        if caller.role not in ("street", "admin"):
            raise SanfangError("只有街道工作人员和管理员可以导出检查包")
        scope = Scope(*caller.level) if caller.role == "street" else None
        with acting_as(caller.user):
            return self.export(target, query, scope=scope, who=caller.display or caller.user,
                               progress=progress, **filters)



UPLOADED_FOR = ".archive_no"  # in an upload's folder: the record it was uploaded for


def _write_out(out_dir: Path, doc: Document, files: dict[str, bytes]) -> dict[str, Path]:
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = {}
    for kind, name in (("pdf", PDF), ("docx", DOCX)):
        target = out_dir / f"{doc.key}.{kind}"
        tmp = target.with_suffix(f".{kind}.part")
        tmp.write_bytes(files[name])
        os.replace(tmp, target)
        paths[kind] = target
    return paths

