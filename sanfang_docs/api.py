"""The library API. The CLI and the web app only translate to and from these calls.

    >>> app = Sanfang(home="/tmp/ws")
    >>> made = app.make("branch-founding-request", answers)
    >>> made.record.archive_no
    'J001-WS·2026-Y-SQ-0001'
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from . import interview as interviews
from .archive import Archive, Record
from .docmodel import Document
from .errors import NotFoundError, SanfangError
from .interview.drive import AskScreen, Outcome, run
from .workspace import Workspace

PDF, DOCX = "document.pdf", "document.docx"


@dataclass
class CatalogEntry:
    interview: str
    title: str
    documents: dict[str, str]  # key → generic title


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
                        "files": self.record.meta["files"], "status": self.record.meta["status"]})
        return out


def read_answers(path: str | os.PathLike[str]) -> dict[str, Any]:
    """An answers file: YAML or JSON (JSON is YAML), a mapping of variable → value."""
    try:
        data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise NotFoundError(f"找不到答案文件 {path}") from None
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raise SanfangError(f"答案文件 {path} 无法读取（应为 YAML 或 JSON）：{exc}") from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise SanfangError(f"答案文件 {path} 应是“变量名: 值”的映射")
    return data


class Sanfang:
    """One workspace: interviews in, signed and filed documents out."""

    def __init__(self, home: str | os.PathLike[str] | None = None):
        self.workspace = Workspace.open(home)
        self.archive = Archive(self.workspace)

    # -- catalogue ---------------------------------------------------------------------------

    def catalog(self) -> list[CatalogEntry]:
        entries = []
        for name in interviews.available():
            iv = interviews.load(name)
            docs = iv.metadata.get("documents") or {}
            entries.append(CatalogEntry(name, iv.title, {str(k): str(v) for k, v in docs.items()}))
        return entries

    def interview_for(self, doc_key: str) -> str:
        for entry in self.catalog():
            if doc_key in entry.documents:
                return entry.interview
        known = "、".join(k for e in self.catalog() for k in e.documents)
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
            for key in catalog[name].documents:
                made.append(self.make(key, answers))
        return made

    # -- making documents --------------------------------------------------------------------

    def run_interview(self, name: str, answers: dict[str, Any], doc_key: str | None = None,
                      ask: AskScreen | None = None) -> Outcome:
        preset = {"doc_key": doc_key} if doc_key else None
        return run(interviews.load(name), answers, preset, ask)

    def make(self, doc_key: str, answers: dict[str, Any], out_dir: str | os.PathLike[str] | None = None,
             archive: bool = True, ask: AskScreen | None = None) -> Made:
        """Generate one document. Invalid answers raise ValidationError before anything is written."""
        outcome = self.run_interview(self.interview_for(doc_key), answers, doc_key, ask)
        return self.produce(outcome, out_dir, archive)

    def produce(self, outcome: Outcome, out_dir: str | os.PathLike[str] | None = None,
                archive: bool = True) -> Made:
        from .render import render_docx, render_pdf  # Typst loads lazily: catalog stays fast

        doc = outcome.documents[0]
        answers = outcome.session.answers_json()

        def render(d: Document) -> dict[str, bytes]:
            return {PDF: render_pdf(d), DOCX: render_docx(d)}

        record = None
        if archive:
            record = self.archive.file(doc, render, answers, self._context(outcome, doc, answers))
            files = {PDF: record.file(PDF).read_bytes(), DOCX: record.file(DOCX).read_bytes()}
        else:
            files = render(doc)
        paths: dict[str, Path] = {}
        if record:
            paths = {"pdf": record.file(PDF), "docx": record.file(DOCX)}
        if out_dir is not None:
            paths = _write_out(Path(out_dir), doc, files)
        return Made(doc, record, paths, answers)

    def _context(self, outcome: Outcome, doc: Document, answers: dict[str, Any]) -> dict[str, Any]:
        iv = outcome.session.interview
        case_basis = "|".join(str(answers.get(k, "")) for k in ("street_name", "community_name", "compound_name"))
        return {
            "interview": iv.name, "issuer_role": doc.issuer_role,
            "street": answers.get("street_name", ""), "community": answers.get("community_name", ""),
            "compound": answers.get("compound_name", ""),
            # Documents of one interview for one compound form a case (请示 → 批复 → 报告).
            "case_id": answers.get("case_id")
            or f"{iv.name}-{hashlib.sha256(case_basis.encode()).hexdigest()[:10]}",
        }


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
