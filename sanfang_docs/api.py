"""The library API: the one module that knows every box. The CLI and the web app import only
this module and ``errors``, and translate to and from these calls.

    >>> app = Sanfang(home="/tmp/ws")
    >>> made = app.make("branch-founding-request", answers)
    >>> made.record.archive_no
    'J001-WS·2026-Y-SQ-0001'
"""

from __future__ import annotations

import contextlib
import logging
import os
import uuid
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

from . import interview as interviews
from .archive import Archive, Record, cases
from .documents import Document
from .errors import InterviewError, NotFoundError, SanfangError, os_reason
from .interview import answers_file
from .interview.drive import AskScreen, Outcome, run
from .interview.hooks import DocumentHook, hook_for
from .registers import matters
from .workspace import Workspace, WorkspaceError

if TYPE_CHECKING:
    from .search import Hit, Scope, SearchIndex, SearchResult
    from .signing.keys import SigningKey
    from .signing.pades import Signer
    from .verify import Report as VerifyReport

PDF, DOCX = "document.pdf", "document.docx"


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

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "doc_key": self.document.key, "title": self.document.title,
            "paths": {k: str(v) for k, v in self.paths.items()},
        }
        if self.record:
            out.update({"档号": self.record.archive_no, "record_dir": str(self.record.path),
                        "files": self.record.meta["files"], "status": self.record.meta["status"],
                        "case_id": self.record.meta.get("case_id", "")})
        return out


def terminal_ask() -> AskScreen:
    """The terminal front end of the interview engine: asks each screen with click prompts."""
    from .interview.terminal import ask_screen

    return ask_screen


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
        # Every archive change reaches the search index (search/: Whoosh, loaded on first use).
        self.archive.listeners.append(self._index_change)

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
        for name, _branch, path in self.examples():
            if name not in catalog:
                continue
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
                      ask: AskScreen | None = None, from_record: str | None = None) -> Outcome:
        """Run an interview. ``from_record`` (a 档号) starts from an archived record of the same
        matter: its answers are the base (``answers`` add and override), its title, date and
        档号 are preset as ``source_*`` and the new record joins its case (see archive/cases.py)."""
        iv = interviews.load(name)
        preset: dict[str, Any] = {}
        if from_record:
            start = cases.start_from(self.archive, iv, from_record, doc_key)
            doc_key, answers = start.doc_key, {**start.answers, **answers}
            preset.update(start.preset)
        elif doc_key and (hook := hook_for(iv, doc_key)):
            preset.update(hook.preset(self.workspace, answers))  # e.g. rows from a register
        if doc_key:
            preset["doc_key"] = doc_key
        return run(iv, answers, preset or None, ask)

    def make(self, doc_key: str, answers: dict[str, Any], out_dir: str | os.PathLike[str] | None = None,
             archive: bool = True, ask: AskScreen | None = None, from_record: str | None = None) -> Made:
        """Generate one document. Invalid answers raise ValidationError before anything is written.
        ``from_record``: the 档号 of an earlier document of the same matter (e.g. the 请示 of a 批复)."""
        outcome = self.run_interview(self.interview_for(doc_key), answers, doc_key, ask, from_record)
        return self.produce(outcome, out_dir, archive)

    def produce(self, outcome: Outcome, out_dir: str | os.PathLike[str] | None = None,
                archive: bool = True) -> Made:
        """Render, sign and file the outcome's document, through its kind's hook if it has one."""
        hook: DocumentHook | None = None
        if outcome.documents:
            hook = hook_for(outcome.session.interview, outcome.documents[0].key)

        def common(o: Outcome) -> Made:
            return self._produce(o, out_dir, archive)

        return hook.produce(self.workspace, outcome, common, archive) if hook else common(outcome)

    def _produce(self, outcome: Outcome, out_dir: str | os.PathLike[str] | None, archive: bool) -> Made:
        from .documents import render_docx, render_pdf  # Typst loads lazily: catalog stays fast

        doc = outcome.documents[0]
        answers = outcome.session.answers_json()

        context = self._context(outcome, doc, answers) if archive else {}

        def render(d: Document) -> dict[str, bytes]:
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
        return Made(doc, record, paths, answers)

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
               date_to: str | None = None, limit: int = 10) -> SearchResult:
        """Ranked records with snippets, never outside ``scope`` (default: the whole archive)."""
        from .search import Filters, search

        if not self.index.exists():
            self.reindex()
        elif self.index.pending():
            with contextlib.suppress(SanfangError):  # queued changes first, unless someone writes
                self.index.update([], timeout=0.5)
        filters = Filters(community, compound, street, kind, status, case_id, date_from, date_to)
        return search(self.index, query, filters, scope, limit)

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

    def matter_list(self, compound: str | None = None, quarter: str | None = None) -> list[matters.Matter]:
        return self.matter_register.matters(compound, quarter)

    def matter_get(self, no: str) -> matters.Matter:
        return self.matter_register.get(no)


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
