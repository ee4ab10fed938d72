"""Read docassemble-format interview YAML into blocks.

Only what the runner needs is interpreted; every block keeps its raw dict so a later feature
can read more without a new loader. Files are looked up in the interviews folder that ships
with the package (``sanfang_docs/content/interviews``), or in an explicit folder.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from ..errors import InterviewError, NotFoundError
from .parsed import ParsedCache

CONTENT_DIR = Path(__file__).resolve().parent.parent / "content"
INTERVIEWS_DIR = CONTENT_DIR / "interviews"
TEMPLATES_DIR = CONTENT_DIR / "templates"

# libyaml's parser where PyYAML was built with it (the same safe constructors, ~10× faster: a
# command that files one document reads every interview to find its document key).
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

# Interviews as parsed and checked, kept in the user's cache (parsed.py): a command that files
# one document reads all 13 to find its document key (~45 ms of YAML and checks, ~3 ms kept).
_parsed = ParsedCache("interviews", Path(__file__))

# Keys of a field item that are modifiers, not "label: variable".
FIELD_MODIFIERS = {
    "datatype", "required", "default", "min", "max", "minlength", "maxlength", "choices", "show if",
    "hide if", "help", "hint", "note", "html", "input type", "label", "field", "code", "exclude",
    "none of the above", "validate", "shuffle", "disable others", "under text", "step", "rows",
    "js show if", "js hide if", "all of the above", "inline width", "address autocomplete",
}


@dataclass
class FieldSpec:
    label: str
    name: str
    datatype: str = "text"
    required: bool = True
    default: Any = None
    min: Any = None
    max: Any = None
    minlength: int | None = None
    maxlength: int | None = None
    choices: list[tuple[str, Any]] = field(default_factory=list)  # (label, value)
    show_if: Any = None
    hide_if: Any = None
    help: str = ""
    hint: str = ""


@dataclass
class Block:
    index: int
    raw: dict[str, Any]
    source: str  # file name, for error messages

    @property
    def id(self) -> str:
        return str(self.raw.get("id") or f"{self.source}#{self.index}")

    @property
    def is_code(self) -> bool:
        return "code" in self.raw and "question" not in self.raw

    @property
    def is_question(self) -> bool:
        return "question" in self.raw

    @property
    def mandatory(self) -> Any:
        return self.raw.get("mandatory", False)

    @property
    def condition(self) -> str | None:
        cond = self.raw.get("if")
        return str(cond) if cond is not None else None

    @property
    def fields(self) -> list[FieldSpec]:
        return _parse_fields(self.raw)

    @property
    def button_var(self) -> str | None:
        """The variable a buttons/yesno screen or a continue button sets."""
        for key in ("field", "yesno", "noyes", "yesnomaybe", "continue button field", "event"):
            if key in self.raw and isinstance(self.raw[key], str):
                return self.raw[key]
        return None

    def defines(self) -> set[str]:
        if self.is_code:
            return _assigned_names(str(self.raw["code"]), self.id)
        names = {f.name for f in self.fields}
        if self.button_var:
            names.add(self.button_var)
        return {n.split(".")[0].split("[")[0] for n in names}


@dataclass
class Interview:
    name: str
    path: Path
    blocks: list[Block]
    metadata: dict[str, Any]
    modules: list[str]
    definers: dict[str, list[Block]]  # variable → blocks that define it, in file order

    @property
    def title(self) -> str:
        return str(self.metadata.get("title", self.name))

    def attachments(self) -> list[dict[str, Any]]:
        """Every attachment of every block, in file order."""
        found: list[dict[str, Any]] = []
        for b in self.blocks:
            for key in ("attachment", "attachments"):
                value = b.raw.get(key)
                if isinstance(value, dict):
                    found.append(value)
                elif isinstance(value, list):
                    found.extend(v for v in value if isinstance(v, dict))
        return found


def available(directory: Path = INTERVIEWS_DIR) -> list[str]:
    """Interview names (file stems), shared blocks excluded."""
    return sorted(p.stem for p in directory.glob("*.yml") if p.stem != "common")


@cache
def load(name: str, directory: Path = INTERVIEWS_DIR) -> Interview:
    """The interview of that name, from ``directory``: a name, never a path (../x, /etc/x)."""
    path = directory / f"{name}.yml"
    if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_-]{0,60}", name) or name == "common" or not path.is_file():
        raise NotFoundError(f"没有名为“{name}”的访谈。可用的访谈：{'、'.join(available(directory))}")
    kept = _parsed.get(path)
    if kept is not None:
        return kept
    blocks: list[Block] = []
    metadata: dict[str, Any] = {}
    modules: list[str] = []
    seen: set[Path] = set()
    _read(path, directory, blocks, metadata, modules, seen)
    definers: dict[str, list[Block]] = {}
    for b in blocks:
        if b.is_code or b.is_question:
            _check(b)
            for var in b.defines():
                definers.setdefault(var, []).append(b)
    interview = Interview(name, path, blocks, metadata, modules, definers)
    _parsed.put(path, sorted(seen), interview)
    return interview


# docassemble treats these names specially: a block that defines them is never found.
RESERVED_NAMES = {"x", "i", "j", "k", "l", "m", "n", "user_dict", "url_args"}


def _check(block: Block) -> None:
    """Refuse what docassemble cannot run, so an interview that works here works there too."""
    if not block.is_question:
        return  # a code block may use i, n … as loop variables
    reserved = block.defines() & RESERVED_NAMES
    if reserved:
        raise InterviewError(f"问题 {block.id} 定义了 docassemble 保留的变量名 {'、'.join(sorted(reserved))}")
    on_screen = {f.name for f in block.fields}
    for spec in block.fields:
        for cond in (spec.show_if, spec.hide_if):
            if isinstance(cond, dict) and "code" in cond:
                used = {n.id for n in ast.walk(ast.parse(str(cond["code"]), mode="eval"))
                        if isinstance(n, ast.Name)}
                if used & on_screen:
                    raise InterviewError(
                        f"问题 {block.id} 的字段“{spec.label}”用 show if: code 引用了同一页面的字段 "
                        f"{'、'.join(sorted(used & on_screen))}；同页条件请写成 show if: {{variable: …, is: …}}")


def _read(path: Path, directory: Path, blocks: list[Block], metadata: dict[str, Any],
          modules: list[str], seen: set[Path]) -> None:
    if path in seen:
        return
    seen.add(path)
    try:
        docs = list(yaml.load_all(path.read_text(encoding="utf-8"), Loader=_LOADER))
    except yaml.YAMLError as exc:
        raise InterviewError(f"访谈文件 {path.name} 不是有效的 YAML：{exc}") from exc
    for raw in docs:
        if not isinstance(raw, dict):
            continue
        if "include" in raw:
            for inc in raw["include"]:
                _read(directory / str(inc).split(":")[-1], directory, blocks, metadata, modules, seen)
            continue
        if "metadata" in raw:
            metadata.update(raw["metadata"] or {})
            continue
        if "modules" in raw:
            modules.extend(raw["modules"])
            continue
        blocks.append(Block(len(blocks), raw, path.name))


def _assigned_names(code: str, block_id: str) -> set[str]:
    try:
        tree = ast.parse(code)
    except SyntaxError as exc:
        raise InterviewError(f"代码块 {block_id} 有语法错误：{exc}") from exc
    stored = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)}
    # Loop and comprehension variables are scratch names, not answers the block provides.
    loops = [n.target for n in ast.walk(tree) if isinstance(n, (ast.For, ast.comprehension))]
    scratch = {n.id for t in loops for n in ast.walk(t) if isinstance(n, ast.Name)}
    return stored - scratch


DATATYPES = {
    "text", "area", "integer", "number", "date", "yesno", "yesnoradio", "noyes", "noyesradio",
    "radio", "dropdown", "checkboxes", "email", "combobox",
}


def _parse_fields(raw: dict[str, Any]) -> list[FieldSpec]:
    items = raw.get("fields") or []
    if isinstance(items, dict):
        if "code" in items:
            raise InterviewError(f"问题“{raw.get('question')}”用 fields: code 生成字段，本系统尚不支持；请逐个列出字段")
        items = [items]
    specs = []
    for item in items:
        if not isinstance(item, dict):
            continue
        if "field" in item:
            label, name = str(item.get("label", item["field"])), str(item["field"])
        else:
            pairs = [(k, v) for k, v in item.items() if k not in FIELD_MODIFIERS]
            if not pairs:
                if "code" in item:
                    raise InterviewError(f"问题“{raw.get('question')}”的字段用 code 生成，本系统尚不支持；请逐个列出字段")
                continue  # a note or html item: nothing to answer
            label, name = str(pairs[0][0]), str(pairs[0][1])
        datatype = str(item.get("datatype", "radio" if "choices" in item else "text"))
        if datatype not in DATATYPES:
            raise InterviewError(f"字段“{label}”的 datatype “{datatype}” 不受支持")
        specs.append(FieldSpec(
            label=label, name=name, datatype=datatype,
            required=bool(item.get("required", datatype not in ("yesno", "noyes", "checkboxes"))),
            default=item.get("default"), min=item.get("min"), max=item.get("max"),
            minlength=item.get("minlength"), maxlength=item.get("maxlength"),
            choices=parse_choices(item.get("choices")), show_if=item.get("show if"),
            hide_if=item.get("hide if"), help=str(item.get("help", "")), hint=str(item.get("hint", "")),
        ))
    return specs


def parse_choices(raw: Any) -> list[tuple[str, Any]]:
    """docassemble choices: ``- 文字`` or ``- 文字: value`` or ``- label: 文字, value: v``."""
    out: list[tuple[str, Any]] = []
    for c in raw or []:
        if isinstance(c, dict):
            if "label" in c and "value" in c:
                out.append((str(c["label"]), c["value"]))
            else:
                (k, v), = [(k, v) for k, v in c.items() if k not in ("default", "help")][:1]
                out.append((str(k), v))
        else:
            out.append((str(c), c))
    return out
