"""Making documents: the catalogue, interviews and conversations, drafts, rendering, signing and
filing (one section of the library API, see api/__init__.py)."""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .. import interview as interviews
from ..archive import Archive, Record, cases
from ..archive.audit import acting_as
from ..documents import Document
from ..errors import InterviewError, NotFoundError, Problem, SanfangError, ValidationError
from ..interview import answers_file
from ..interview.checks import check as check_answers
from ..interview.conversation import Conversation
from ..interview.drafts import Drafts
from ..interview.drive import Outcome, run
from ..interview.hooks import DocumentHook, files_last, hook_for
from ..interview.validate import text_problem
from ..registers import scope as scoping
from ..registers.accounts import Caller
from ..workspace import Workspace

if TYPE_CHECKING:
    from ..signing.keys import SigningKey
    from ..signing.pades import Signer


PDF, DOCX = "document.pdf", "document.docx"
# Answers that filing takes, not a question: a 发文字号 an office assigned by hand (archive/doc_numbers.py).
FILING_KEYS = {"doc_no": "发文字号", "cc": "抄送"}  # key → label: 发文字号 by hand; 抄送 (版记)


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
    from ..interview.terminal import converse

    return converse


def read_answers(path: str | os.PathLike[str]) -> dict[str, Any]:
    """An answers file: YAML or JSON, a mapping of variable → value, read with bounded work
    (interview/answers_file.py); anything else is a ValidationError naming the rule."""
    return answers_file.read_answers(path)


class Making:
    """Interviews in, signed and filed documents out."""

    workspace: Workspace
    archive: Archive

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
        problems = (check_answers(iv, answers, also=set(FILING_KEYS)) + _filing_key_problems(answers)
                    + self.organisations.check_answers(answers))
        if problems and strict:
            raise ValidationError(problems)
        # The office's thresholds and holiday calendar reach the rules as data (rules/general.py).
        preset: dict[str, Any] = {"rule_settings": self.workspace.rule_settings()}
        if from_record:
            start = cases.start_from(self.archive, iv, from_record, doc_key)
            doc_key, answers = start.doc_key, {**start.answers, **answers}
            preset.update(start.preset)
        elif doc_key and (hook := hook_for(iv, doc_key)):
            answers = hook.answers(self.workspace, answers)  # e.g. evidence named by document key
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
        from ..documents import warm_up

        warm_up()  # Typst starts on another core while the interview runs
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
        from ..documents import render_pair  # Typst loads lazily: catalog stays fast
        from ..documents.imprint import apply_office

        doc = outcome.documents[0]
        answers = outcome.session.answers_json()

        context = self._context(outcome, doc, answers) if archive else {}

        def render(d: Document) -> dict[str, bytes]:
            # The 版记, once the archive has given the 公文 its 发文字号 (documents/imprint.py).
            apply_office(d, self.workspace.setting("gongwen") or {}, str(answers.get("cc") or ""))
            pdf, docx = render_pair(d)
            if archive:
                # Every filed PDF is signed by its issuing organisation (signing/), after the 档号
                # is known (it is in the QR code and the XMP); record.json keeps who signed.
                signed = self._signer().sign_document(pdf, d, answers)
                context["signed"], context["signature"] = True, signed.info
                pdf = signed.pdf
            return {PDF: pdf, DOCX: docx}

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
            from ..signing.pades import Signer  # pyHanko loads lazily: catalog stays fast

            self._signing = Signer(self.workspace)
        return self._signing

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


    # -- signing keys (signing/keys.py) -------------------------------------------------------

    def import_key(self, p12: bytes, password: str, org: str | None = None) -> SigningKey:
        """Import an office's own PKCS#12 certificate; it signs for ``org`` from now on."""
        from ..signing.keys import KeyStore

        return KeyStore(self.workspace).import_pkcs12(p12, password, org)

    def signing_keys(self) -> tuple[list[SigningKey], Path]:
        """Every organisation's signing key (imported first) and the local CA's certificate path."""
        from ..signing.keys import KeyStore

        store = KeyStore(self.workspace)
        return list(store.entries()), store.dir / "ca.crt.pem"


def _filing_key_problems(answers: dict[str, Any]) -> list[Problem]:
    """A filing key is no question, but its value is printed all the same: one line of text,
    through the gate every answer passes (interview/validate.py, its limits in answer-rules.yml)."""
    problems = []
    for key, label in FILING_KEYS.items():
        value = answers.get(key)
        if value is None or value == "":
            continue
        if not isinstance(value, str):
            kind = "列表" if isinstance(value, list) else "映射" if isinstance(value, dict) else "数字或是/否"
            problems.append(Problem(field=label, rule="type", key=key, message=f"应填写一行文字，收到{kind}"))
        elif problem := text_problem(label, key, value):
            problems.append(problem)
    return problems


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
