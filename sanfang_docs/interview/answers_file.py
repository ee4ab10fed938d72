"""Read an answers file (YAML or JSON) safely: bounded work whatever the file holds.

An answers file comes from outside (a clerk's editor, another program, a mail attachment), so
the reader refuses, with the key and the rule, what a safe YAML loader alone would accept:
more than ``MAX_FILE_BYTES`` (only that much is ever read, so ``/dev/zero`` or a 50 MB file
costs nothing), anything but a regular file, aliases beyond a small budget (an alias bomb),
nesting deeper than answers need, duplicate keys (the last one would silently win), and tags
that are not plain data (``!!binary``, ``!!set``, ``!!omap``, ``!foo``). Dates, long integers
and non-finite numbers are left for the field layer (validate.py), which knows the field's
label and type: an unquoted ``2025-02-30`` stays the text the clerk wrote.
"""

from __future__ import annotations

import json
import os
import re
import stat
from pathlib import Path
from typing import Any

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from ..errors import NotFoundError, Problem, ValidationError

MAX_FILE_BYTES = 512 * 1024  # the largest example is ~4 KB; 512 KB holds 170,000 Chinese characters
MAX_ALIASES = 16  # YAML aliases (*name) in one file: enough to share a few values, not to bomb
MAX_DEPTH = 8  # answers are variable → value, a list of rows at most: deeper is not an answers file
MAX_INT_CHARS = 30  # a longer integer literal stays text (int() of 4,300+ digits raises)

FILE = "答案文件"
_TAG = "tag:yaml.org,2002:"
_SCALAR_TAGS = {f"{_TAG}{t}" for t in ("str", "int", "float", "bool", "null")}


class _Refused(Exception):
    def __init__(self, key: str, rule: str, message: str):
        super().__init__(message)
        self.problem = Problem(field=FILE, rule=rule, message=message, key=key)


def read_answers(path: str | os.PathLike[str]) -> dict[str, Any]:
    """The mapping of variable → value in ``path``; ValidationError (exit 2) names the rule."""
    return _mapping(_read_text(Path(path)), Path(path).suffix.lower() == ".json", str(path))


def parse_answers(text: str, as_json: bool = False) -> dict[str, Any]:
    """Answers given as text (a form's upload, a test), by the same rules as a file."""
    if len(text.encode("utf-8", "surrogatepass")) > MAX_FILE_BYTES:
        raise ValidationError([_too_big()])
    return _mapping(text, as_json, "答案")


def _mapping(text: str, as_json: bool, where: str) -> dict[str, Any]:
    try:
        data = _parse(text, as_json)
    except _Refused as exc:
        raise ValidationError([exc.problem]) from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ValidationError([Problem(FILE, "format", f"{where} 应是“变量名: 值”的映射，而不是{_kind(data)}")])
    return data


def _too_big() -> Problem:
    return Problem(FILE, "size", f"超过 {MAX_FILE_BYTES // 1024} KB；答案文件只写答案，长篇材料请作为附件另行归档")


def _read_text(path: Path) -> str:
    try:
        st = path.stat()
    except FileNotFoundError:
        raise NotFoundError(f"找不到答案文件 {path}") from None
    except OSError as exc:
        raise ValidationError([Problem(FILE, "file", f"{path} 无法读取：{exc.strerror}")]) from None
    if not stat.S_ISREG(st.st_mode):
        raise ValidationError([Problem(FILE, "file", f"{path} 不是普通文件（设备、管道或目录不能作答案文件）")])
    try:
        with path.open("rb") as fh:
            data = fh.read(MAX_FILE_BYTES + 1)  # never more than the cap, whatever the size says
    except OSError as exc:
        raise ValidationError([Problem(FILE, "file", f"{path} 无法读取：{exc.strerror}")]) from None
    if len(data) > MAX_FILE_BYTES:
        raise ValidationError([_too_big()])
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ValidationError([Problem(FILE, "encoding", f"{path} 不是 UTF-8 编码的文本（第 {exc.start + 1} 个字节起无法解码）；"
                                                         "请在编辑器中以 UTF-8 另存")]) from None


def _parse(text: str, as_json: bool) -> Any:
    if as_json or text.lstrip().startswith(("{", "[")):
        try:
            return _parse_json(text)
        except json.JSONDecodeError as exc:
            if as_json:
                raise _Refused("", "format", f"不是有效的 JSON：第 {exc.lineno} 行第 {exc.colno} 列，{exc.msg}") from None
            # A YAML flow mapping ({a: 1}) is not JSON: read it as YAML.
    return _parse_yaml(text)


# ---------------------------------------------------------------- JSON


def _parse_json(text: str) -> Any:
    def pairs(items: list[tuple[str, Any]]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key, value in items:
            if key in out:
                raise _Refused(key, "duplicate", f"键“{key}”出现了不止一次；同一答案只能写一次")
            out[key] = value
        return out

    def integer(digits: str) -> Any:
        return digits if len(digits) > MAX_INT_CHARS else int(digits)

    try:
        data = json.loads(text, object_pairs_hook=pairs, parse_int=integer)
    except RecursionError:
        raise _Refused("", "depth", f"嵌套超过 {MAX_DEPTH} 层") from None
    _check_depth(data)
    return data


def _check_depth(data: Any) -> None:
    stack: list[tuple[Any, int, str]] = [(data, 0, "")]
    while stack:
        value, depth, top = stack.pop()
        if depth > MAX_DEPTH:
            raise _Refused(top, "depth", f"嵌套超过 {MAX_DEPTH} 层")
        if isinstance(value, dict):
            stack.extend((v, depth + 1, top or str(k)) for k, v in value.items())
        elif isinstance(value, list):
            stack.extend((v, depth + 1, top) for v in value)


# ---------------------------------------------------------------- YAML


class _Loader(yaml.SafeLoader):
    """PyYAML's safe loader, composing with a depth limit and an alias budget (both checked
    before the composer recurses or an alias is expanded)."""

    def __init__(self, stream: str):
        super().__init__(stream)
        self.depth = 0
        self.aliases = 0
        self.top = ""  # the answers key being read, for messages

    def compose_node(self, parent: Node | None, index: Any) -> Node:  # type: ignore[override]
        if self.depth == 1 and isinstance(index, ScalarNode):
            self.top = str(index.value)
        if self.check_event(yaml.AliasEvent):
            self.aliases += 1
            if self.aliases > MAX_ALIASES:
                raise _Refused(self.top, "alias", f"引用（*别名）超过 {MAX_ALIASES} 处；请直接写出答案")
        self.depth += 1
        try:
            if self.depth > MAX_DEPTH + 1:
                raise _Refused(self.top, "depth", f"嵌套超过 {MAX_DEPTH} 层")
            return super().compose_node(parent, index)  # type: ignore[no-any-return]
        finally:
            self.depth -= 1


def _parse_yaml(text: str) -> Any:
    try:
        loader = _Loader(text)  # PyYAML's reader refuses control characters here, before parsing
    except yaml.reader.ReaderError as exc:
        line_no = text.count("\n", 0, exc.position)
        line = text.splitlines()[line_no] if text else ""
        key = re.match(r"\s*([A-Za-z_]\w*)\s*:", line)
        raise _Refused(key.group(1) if key else "", "characters",
                       f"第 {line_no + 1} 行有控制字符 U+{exc.character:04X}：答案中不能有控制字符（可能是从别处粘贴带入的）") from None
    try:
        node = loader.get_single_node()
        return None if node is None else _build(loader, node, "", 0)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        where = f"第 {mark.line + 1} 行第 {mark.column + 1} 列，" if mark else ""
        raise _Refused(loader.top, "format", f"不是有效的 YAML 或 JSON：{where}{exc.problem or exc}") from None
    except yaml.YAMLError as exc:
        raise _Refused(loader.top, "format", f"不是有效的 YAML 或 JSON：{exc}") from None
    finally:
        loader.dispose()


def _build(loader: _Loader, node: Node, top: str, depth: int) -> Any:
    """Plain data from a node, refusing what is not (the node tree is already bounded)."""
    if isinstance(node, MappingNode):
        _require(node, "map", top)
        loader.flatten_mapping(node)  # YAML merge keys (<<: *base)
        out: dict[str, Any] = {}
        for key_node, value_node in node.value:
            if not isinstance(key_node, ScalarNode):
                raise _Refused(top, "key", "键必须是文字（变量名）")
            key = str(key_node.value)
            here = top or key
            if key in out:
                raise _Refused(here, "duplicate", f"键“{key}”出现了不止一次；同一答案只能写一次")
            out[key] = _build(loader, value_node, here, depth + 1)
        return out
    if isinstance(node, SequenceNode):
        _require(node, "seq", top)
        return [_build(loader, item, top, depth + 1) for item in node.value]
    assert isinstance(node, ScalarNode)
    if node.tag == f"{_TAG}timestamp":
        return node.value  # the field layer parses dates and names an impossible one
    if node.tag == f"{_TAG}int" and len(node.value) > MAX_INT_CHARS:
        return node.value
    if node.tag not in _SCALAR_TAGS:
        raise _Refused(top, "tag", f"不支持 YAML 标记 {_short(node.tag)}；答案只能是文字、数字、是/否、日期或它们的列表")
    return loader.construct_object(node)


def _require(node: Node, kind: str, top: str) -> None:
    if node.tag != f"{_TAG}{kind}":
        raise _Refused(top, "tag", f"不支持 YAML 标记 {_short(node.tag)}；答案只能是文字、数字、是/否、日期或它们的列表")


def _short(tag: str) -> str:
    return "!!" + tag[len(_TAG):] if tag.startswith(_TAG) else tag


def _kind(data: Any) -> str:
    return {list: "列表", str: "一段文字", bool: "是/否", int: "一个数", float: "一个数"}.get(type(data), "其他内容")
