"""Run a docassemble-format interview in-process, with docassemble's rule.

Each step starts from the top: mandatory blocks run in file order; when Python (or Mako)
meets an undefined variable, the block that defines it is found (later blocks first): a code
block runs, a question becomes the next screen. Answers are typed and checked here (fields.py),
then the question's ``validation code`` runs; a failure undoes the screen's answers.
"""

from __future__ import annotations

import importlib
import re
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from types import CodeType
from typing import Any

from ..documents.model import Document, Protector, parse_body
from ..errors import InterviewError, Problem
from . import dashim
from .fields import Invalid, convert, neutral_value, problem
from .loader import TEMPLATES_DIR, Block, FieldSpec, Interview, parse_choices
from .mako_lean import Template

MAKO_RESERVED = {"context", "loop", "UNDEFINED", "caller", "capture", "local", "self", "parent", "next"}
MAX_RETRIES = 500


# Mako resolves filters as module globals, so the protector of the current render is found here.
_PROTECTOR: ContextVar[Protector | None] = ContextVar("protector", default=None)


def sanfang_protect(value: Any) -> str:
    protector = _PROTECTOR.get()
    return protector(value) if protector else str(value)


def _missing_names(interview: Interview) -> dict[str, Missing]:
    """A stand-in for every name the interview defines, made once per interview (a screen
    renders dozens of templates, each starting from these)."""
    found: dict[str, Missing] | None = getattr(interview, "_mako_stand_ins", None)
    if found is None:
        found = {k: Missing(k) for k in interview.definers}
        interview._mako_stand_ins = found  # type: ignore[attr-defined] - derived, kept with its owner
    return found


class Missing:
    """An undefined interview variable inside Mako: any real use raises NameError(name)."""

    def __init__(self, name: str):
        self._name = name

    def _fail(self, *args: Any, **kwargs: Any) -> Any:
        raise NameError(f"name '{self._name}' is not defined", name=self._name)

    __str__ = __format__ = __bool__ = __len__ = __iter__ = __int__ = __float__ = _fail
    __eq__ = __ne__ = __lt__ = __le__ = __gt__ = __ge__ = __hash__ = _fail  # type: ignore[assignment]
    __add__ = __radd__ = __sub__ = __rsub__ = __mul__ = __rmul__ = __mod__ = __rmod__ = _fail
    __getitem__ = __contains__ = __call__ = _fail

    def __getattr__(self, attr: str) -> Any:
        self._fail()


class _Ask(Exception):
    """Control flow: this question block must be answered next."""

    def __init__(self, block: Block):
        self.block = block


@dataclass
class Screen:
    """One screen to show: a question, its fields, or the final documents."""

    block: Block
    question: str
    subquestion: str = ""
    fields: list[FieldSpec] = field(default_factory=list)
    continue_var: str | None = None  # set to True when the screen is passed
    review: list[tuple[str, str]] = field(default_factory=list)  # (label, variable)
    documents: list[Document] = field(default_factory=list)

    @property
    def is_final(self) -> bool:
        return not self.fields and self.continue_var is None

    @property
    def variables(self) -> list[str]:
        names = [f.name for f in self.fields]
        return names + ([self.continue_var] if self.continue_var else [])


class Session:
    def __init__(self, interview: Interview, preset: dict[str, Any] | None = None):
        self.interview = interview
        self.ns: dict[str, Any] = dict(vars(dashim))
        self.ns = {k: v for k, v in self.ns.items() if not k.startswith("_")}
        for module in interview.modules:
            mod = dashim if module == "docassemble.base.util" else importlib.import_module(module)
            self.ns.update({k: v for k, v in vars(mod).items() if not k.startswith("_")})
        self.base_names = set(self.ns)
        self.answers: dict[str, Any] = {}  # what screens set, in order: the record's answers.json
        self.done: set[int] = set()
        for name, value in (preset or {}).items():
            self.set(name, value)

    def set(self, name: str, value: Any) -> None:
        if not re.fullmatch(r"[A-Za-z_]\w*", name):
            raise InterviewError(f"变量名“{name}”不受支持（只支持简单变量名）")
        self.ns[name] = value
        self.answers[name] = value

    # -- stepping ---------------------------------------------------------------------------

    def next_screen(self) -> Screen:
        """The screen to show now; a final screen carries the assembled documents."""
        try:
            for block in self.interview.blocks:
                if block.index in self.done or not block.mandatory:
                    continue
                if isinstance(block.mandatory, str) and not self.eval(block.mandatory, block):
                    continue
                if block.is_code:
                    self.run_code(block)
                    self.done.add(block.index)
                elif block.is_question:
                    # Like docassemble: a mandatory question is asked once, even if its
                    # variables were set beforehand (it is tracked by block, not by variable).
                    return self._screen(block)
        except _Ask as ask:
            return self._screen(ask.block)
        raise InterviewError(f"访谈“{self.interview.name}”没有结束页面（缺少带附件的 mandatory 问题）")

    def submit(self, screen: Screen, raw: dict[str, Any], fill_missing: bool = False,
               check_rules: bool = True) -> list[Problem]:
        """Apply a screen's answers. Returns the problems; on any, nothing is kept.

        With ``fill_missing``, a missing answer is reported but a neutral stand-in is kept so
        the caller can go on to list every other missing answer; ``check_rules=False`` then
        skips the validation code, which would only reason from the stand-ins.
        """
        values: dict[str, Any] = {}
        problems: list[Problem] = []
        for spec in screen.fields:
            if not self._shown(spec, values):
                continue
            try:
                given = raw[spec.name] if spec.name in raw else spec.default
                values[spec.name] = convert(spec, given)
            except Invalid as exc:
                problems.append(problem(spec, exc))
                if fill_missing:
                    values[spec.name] = neutral_value(spec)
        if problems and not fill_missing:
            return problems
        previous = {k: self.ns[k] for k in values if k in self.ns}
        for k, v in values.items():
            self.ns[k] = v
        if not problems and check_rules:
            problems = self._validate(screen)
        if problems and not fill_missing:
            for k in values:
                self.ns.pop(k, None)
            self.ns.update(previous)
            return problems
        # Validation code may tidy what was typed (docassemble allows it: “江南花山郡小区” → the
        # compound “江南花山郡”); the tidied value is the answer.
        values = {k: self.ns.get(k, v) for k, v in values.items()}
        for k, v in values.items():
            self.set(k, v)
        if screen.continue_var:
            self.set(screen.continue_var, True)
        if screen.block.mandatory:
            self.done.add(screen.block.index)
        return problems

    def _validate(self, screen: Screen) -> list[Problem]:
        code = screen.block.raw.get("validation code")
        if not code:
            return []
        try:
            self.run_code(screen.block, str(code))
        except _Ask as ask:
            raise InterviewError(f"问题 {screen.block.id} 的 validation code 用到了尚未回答的问题 {ask.block.id}；"
                                 "请在 mandatory 大纲中先问后者") from None
        except dashim.ValidationFailure as fail:
            label = next((f.label for f in screen.fields if f.name == fail.field), fail.field or screen.question)
            return [Problem(field=label, rule="validation", message=fail.message, key=fail.field or "")]
        return []

    def shown_fields(self, screen: Screen, raw: dict[str, Any]) -> list[FieldSpec]:
        """The fields the screen shows given what was typed on it so far: a ``show if`` on a
        field of the same screen reads that field's typed value (“2” typed for a choice is
        its value), so a follow-up field appears as soon as the answer that shows it."""
        values: dict[str, Any] = {}
        shown = []
        for spec in screen.fields:
            if not self._shown(spec, values):
                continue
            shown.append(spec)
            if spec.name in raw:
                try:
                    values[spec.name] = convert(spec, raw[spec.name])
                except Invalid:
                    values[spec.name] = raw[spec.name]
        return shown

    def _shown(self, spec: FieldSpec, values: dict[str, Any]) -> bool:
        for cond, want in ((spec.show_if, True), (spec.hide_if, False)):
            if cond is None:
                continue
            scope = {**self.ns, **values}
            if isinstance(cond, dict) and "variable" in cond:
                result = str(scope.get(cond["variable"])) == str(cond.get("is"))
            elif isinstance(cond, dict) and "code" in cond:
                result = bool(eval(str(cond["code"]), scope))  # noqa: S307 - interview code is trusted content
            else:
                result = bool(scope.get(str(cond)))
            if result != want:
                return False
        return True

    # -- evaluation with docassemble's "ask for what is undefined" rule ----------------------

    def run_code(self, block: Block, code: str | None = None) -> None:
        source = code if code is not None else str(block.raw["code"])
        compiled = _compiled(source, block.id, "exec")
        self._retry(lambda: exec(compiled, self.ns), block)  # noqa: S102 - interview code is trusted content

    def eval(self, expr: str, block: Block) -> Any:
        compiled = _compiled(str(expr), block.id, "eval")
        return self._retry(lambda: eval(compiled, self.ns), block)  # noqa: S307

    def mako(self, text: str, block: Block, protector: Protector | None = None) -> str:
        text = str(text)
        if _plain(text):  # most labels: Mako would give them back as they are
            return text
        template = _mako_template(text, protector is not None)

        def render() -> str:
            # Mako looks every name up before the body runs, so a name used only in a branch
            # not taken must not fail: undefined ones become Missing and fail only when used.
            ctx = dict(_missing_names(self.interview))
            ctx.update(self.ns)
            for reserved in MAKO_RESERVED.intersection(ctx):
                del ctx[reserved]
            token = _PROTECTOR.set(protector)
            try:
                return template.render(**ctx)
            finally:
                _PROTECTOR.reset(token)

        return self._retry(render, block)

    def _retry(self, action: Any, block: Block) -> Any:
        for _ in range(MAX_RETRIES):
            try:
                return action()
            except NameError as exc:
                self._resolve(_missing_name(exc), block)
            except (_Ask, dashim.ValidationFailure):
                raise
            except Exception as exc:  # noqa: BLE001 - a content bug: name the block
                raise InterviewError(f"访谈块 {block.id} 运行出错：{type(exc).__name__}: {exc}") from exc
        raise InterviewError(f"访谈块 {block.id} 反复缺少变量，可能存在循环依赖")

    def _resolve(self, var: str, asker: Block) -> None:
        for block in reversed(self.interview.definers.get(var, [])):
            if block.condition and not self.eval(block.condition, block):
                continue
            if block.is_code:
                self.run_code(block)
                if var in self.ns:
                    return
                continue
            raise _Ask(block)
        raise InterviewError(f"访谈块 {asker.id} 用到变量 {var}，但没有任何问题或代码块定义它")

    # -- screens -----------------------------------------------------------------------------

    def _screen(self, block: Block) -> Screen:
        raw = block.raw
        screen = Screen(block, self.mako(raw["question"], block),
                        self.mako(raw.get("subquestion", ""), block))
        specs = []
        for spec in block.fields:
            spec.label = self.mako(spec.label, block)
            spec.hint = self.mako(spec.hint, block) if spec.hint else ""
            if isinstance(spec.default, str):
                spec.default = self.mako(spec.default, block)
            specs.append(spec)
        for key, datatype in (("yesno", "yesno"), ("noyes", "noyes")):
            if key in raw:
                specs.append(FieldSpec(label=screen.question, name=raw[key], datatype=datatype))
        if "field" in raw and ("buttons" in raw or "choices" in raw):
            choices = parse_choices(raw.get("buttons") or raw.get("choices"))
            specs.append(FieldSpec(label=screen.question, name=raw["field"], datatype="radio",
                                   choices=[(self.mako(lbl, block), v) for lbl, v in choices]))
        elif "field" in raw:
            screen.continue_var = raw["field"]
        if "continue button field" in raw:
            screen.continue_var = raw["continue button field"]
        for item in raw.get("review") or []:
            if isinstance(item, dict) and "Edit" in item:
                screen.review.append((self.mako(str(item.get("button", item["Edit"])), block), item["Edit"]))
        screen.fields = specs
        if screen.is_final:
            screen.documents = [self.build_document(att, block) for att in _attachments(raw)]
        return screen

    def build_document(self, att: dict[str, Any], block: Block) -> Document:
        meta = {k: self._render_meta(v, block) for k, v in (att.get("metadata") or {}).items()}
        protector = Protector()
        if "content file" in att:
            name = str(att["content file"]).split(":")[-1]
            path = TEMPLATES_DIR / name
            if not path.is_file():
                raise InterviewError(f"找不到模板文件 {name}（附件 {att.get('filename')}）")
            body = self.mako(path.read_text(encoding="utf-8"), block, protector)
        else:
            body = self.mako(str(att.get("content", "")), block, protector)
        return Document(
            key=str(att.get("filename")), title=str(meta.get("title") or self.mako(att.get("name", ""), block)),
            kind=str(meta.get("kind", "")), style=str(meta.get("style", "letter")),
            addressee=str(meta.get("addressee", "")), issuer=str(meta.get("issuer", "")),
            doc_date=str(meta.get("date", "")), doc_no=str(meta.get("doc_no", "")),
            attachments=[a for a in meta.get("attachments", []) or [] if a],
            note=str(meta.get("note", "")), issuer_role=str(meta.get("org", "")),
            signer=str(meta.get("signer", "")),
            personal=str(meta.get("personal", "")).lower() in ("true", "1", "yes"),
            blocks=parse_body(body, protector),
            names=self._names(),
        )

    def _names(self) -> list[str]:
        """Short answers that name something (小区, 社区, 组织): layout keeps them whole."""
        return sorted({v.strip() for v in self.answers.values() if isinstance(v, str)
                       and 2 <= len(v.strip()) <= 20 and re.search(r"[\u4e00-\u9fff]", v)
                       and not re.search(r"[\s，。；：、]", v.strip())})

    def _render_meta(self, value: Any, block: Block) -> Any:
        if isinstance(value, list):
            return [self._render_meta(v, block) for v in value]
        if isinstance(value, str):
            return self.mako(value, block).strip()
        return value

    def answers_json(self) -> dict[str, Any]:
        """The typed answers in a JSON-safe form (dates as ISO strings)."""
        return {k: _jsonable(v) for k, v in self.answers.items()}


@lru_cache(maxsize=4096)
def _plain(text: str) -> bool:
    """No Mako in ``text``: no ${…}, <%…>, control line (%), comment (##) or line join (\\);
    it renders as itself (checked on every text of every interview: tests/test_interview_texts.py)."""
    return not any(mark in text for mark in ("$", "%", "<", "#", "\\"))


# Every step re-runs the interview from the top: compile each text once per process.
@lru_cache(maxsize=4096)
def _mako_template(text: str, protect: bool) -> Template:
    filters = ["sanfang_protect"] if protect else ["str"]
    return Template(text, default_filters=filters, input_encoding="utf-8",
                    imports=["from sanfang_docs.interview.runner import sanfang_protect"])


@lru_cache(maxsize=4096)
def _compiled(source: str, block_id: str, mode: str) -> CodeType:
    return compile(source, f"<{block_id}>", mode)


def _attachments(raw: dict[str, Any]) -> list[dict[str, Any]]:
    atts = raw.get("attachment") or raw.get("attachments") or []
    return [atts] if isinstance(atts, dict) else list(atts)


def _missing_name(exc: NameError) -> str:
    name = getattr(exc, "name", None)
    if name:
        return str(name)
    m = re.search(r"'([A-Za-z_]\w*)' is not defined", str(exc))
    if not m:
        raise InterviewError(f"无法识别缺少的变量：{exc}") from exc
    return m.group(1)


def _jsonable(value: Any) -> Any:
    if hasattr(value, "to_json"):  # a preset that looks things up as asked (registers/evidence.py)
        return _jsonable(value.to_json())
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    return value
