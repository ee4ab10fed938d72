"""One gate for every answer, before any code, template or renderer sees it.

:func:`check_raw` runs on what the clerk gave (answers file, terminal, --from), before it is
typed; :func:`check_value` on the typed value (both from ``fields.convert``). Either raises
:class:`Refused` naming the rule, so the clerk gets 【label】（key）message and exit 2, never a crash further on:

- sizes: a text at most ``limits.line`` / ``limits.area`` characters (the field's own
  ``maxlength`` is checked after), a list at most ``limits.items`` entries;
- characters, by kind: no control (except a line break or tab in a multi-line field),
  format (zero-width, bidi), surrogate, private-use, unassigned or emoji characters, and none
  that no installed face can print (documents.fonts.printable — 生僻字 print from the
  fallback faces); a one-line field holds one line; person names (``person_names``) only
  汉字 of every extension plane, the middle dot and Latin letters;
- numbers and dates: at most ``limits.digits`` digits, finite, within ``limits.number``;
  dates between ``limits.date_from`` and ``limits.date_to`` unless the field says otherwise.

The limits and the list of person-name fields are data: ``interviews/data/answer-rules.yml``.
"""

from __future__ import annotations

import math
import unicodedata
from datetime import date
from functools import cache
from typing import Any

import yaml

from ..documents.fonts import printable
from ..errors import Problem
from .loader import CONTENT_DIR, FieldSpec

RULES_FILE = CONTENT_DIR / "interviews" / "data" / "answer-rules.yml"
ONE_LINE = ("text", "email", "combobox", "radio", "dropdown")
MIDDLE_DOTS = "·・‧•"  # U+00B7 as in 阿依古丽·买买提; the look-alikes clerks type for it
NAME_MARKS = " -'’" + MIDDLE_DOTS
# Emoji: their planes and the characters that build emoji sequences (variation selector 16,
# keycap, tags). Symbols such as ★ and ※ that the faces print stay allowed in text.
EMOJI_RANGES = ((0x1F000, 0x1FAFF), (0xFE0E, 0xFE0F), (0x20E3, 0x20E3), (0xE0000, 0xE007F))
# What every face prints: checked without opening a font file.
_PLAIN = frozenset(chr(c) for c in range(0x20, 0x7F)) | frozenset(chr(c) for c in range(0x4E00, 0x9FA6)) \
    | frozenset("，。、；：？！“”‘’（）《》〈〉【】—…·　")


class Refused(Exception):
    """A broken rule; fields.convert reports it as the field's problem."""

    def __init__(self, rule: str, message: str):
        super().__init__(message)
        self.rule, self.message = rule, message


def _invalid(rule: str, message: str) -> Refused:
    return Refused(rule, message)


@cache
def rules() -> dict[str, Any]:
    data = yaml.safe_load(RULES_FILE.read_text(encoding="utf-8")) or {}
    limits = data.get("limits") or {}
    return {"limits": limits, "person_names": frozenset(map(str, data.get("person_names") or []))}


def limit(name: str) -> Any:
    return rules()["limits"][name]


def is_person_name(spec: FieldSpec) -> bool:
    return spec.name in rules()["person_names"]


# ---------------------------------------------------------------- before typing


def check_raw(spec: FieldSpec, raw: Any) -> None:
    """Refuse a raw answer by size and characters, whatever its type will be."""
    if spec.datatype in ("integer", "number") and isinstance(raw, (str, int)) and not isinstance(raw, bool):
        check_digits(raw)  # before int(): 4,300+ digits would raise inside Python
    _check_tree(spec, raw, depth=0)
    if isinstance(raw, str):
        if spec.datatype in ONE_LINE and any(c in raw.strip() for c in "\n\r\u2028\u2029\x0b\x0c\x85"):
            raise _invalid("one-line", "只能写一行，不能换行")
        if is_person_name(spec):
            _check_name(raw.strip())


def _check_tree(spec: FieldSpec, raw: Any, depth: int) -> None:
    if isinstance(raw, str):
        # A one-line answer is used stripped (fields.py): a pasted trailing tab is no fault.
        _check_text(spec, raw if spec.datatype == "area" else raw.strip())
    elif isinstance(raw, (list, tuple, dict)):
        if depth > 1:
            raise _invalid("type", "答案嵌套过深；应填写文字、数字、日期或选项列表")
        if len(raw) > int(limit("items")):
            raise _invalid("size", f"最多 {limit('items')} 项，收到 {len(raw)} 项")
        for item in (list(raw.items()) if isinstance(raw, dict) else raw):
            for part in (item if isinstance(raw, dict) else (item,)):
                _check_tree(spec, part, depth + 1)
    elif isinstance(raw, float) and not math.isfinite(raw):
        raise _invalid("number", f"“{raw}”不是有限的数字")


def _check_text(spec: FieldSpec, text: str) -> None:
    cap = _cap(spec)
    if len(text) > cap:
        raise _invalid("size", f"最多 {cap} 个字，收到 {len(text)} 个字")
    multi_line = spec.datatype == "area"
    for i, char in enumerate(text):
        if char in _PLAIN or char in "\n\r" or (multi_line and char == "\t"):
            continue
        problem = _char_problem(char)
        if problem:
            raise _invalid("character", f"第 {i + 1} 个字符{problem}；请删去或改写")


def _cap(spec: FieldSpec) -> int:
    if spec.choices or spec.datatype in ("radio", "dropdown", "checkboxes"):
        return int(limit("choice"))
    return int(limit("area" if spec.datatype == "area" else "line"))


def _char_problem(char: str) -> str:
    code = ord(char)
    category = unicodedata.category(char)
    shown = f"（U+{code:04X}）"
    if category == "Cc":
        return f"是控制字符{shown}，不能出现在公文中"
    if category == "Cs":
        return f"是不成对的代理码位{shown}（文字编码已损坏）"
    if category == "Co":
        return f"是私用区字符{shown}，其他电脑无法正确显示"
    if any(lo <= code <= hi for lo, hi in EMOJI_RANGES):
        return f"是表情符号{shown}，公文中不能使用"
    if category == "Cf":
        return f"是不可见的格式字符{shown}"
    if category == "Cn":
        return f"是未分配的码位{shown}"
    if category in ("Zl", "Zp"):
        return f"是分行符{shown}"
    if not printable(char):
        return f"“{char}”{shown}本机字体无法打印"
    return ""


def _check_name(name: str) -> None:
    for char in name:
        if char in NAME_MARKS or _is_han(char) or (char.isalpha() and "LATIN" in unicodedata.name(char, "")):
            continue
        raise _invalid("name", f"姓名只能由汉字（含生僻字）、间隔号“·”和拉丁字母组成，不能含“{char}”")
    if name.startswith(tuple(MIDDLE_DOTS)) or name.endswith(tuple(MIDDLE_DOTS)):
        raise _invalid("name", "间隔号“·”只能写在姓名中间")


def _is_han(char: str) -> bool:
    return unicodedata.name(char, "").startswith(("CJK UNIFIED IDEOGRAPH", "CJK COMPATIBILITY IDEOGRAPH")) \
        or char == "〇"


# ---------------------------------------------------------------- after typing


def check_digits(raw: Any) -> None:
    """An integer or number written with more digits than any count or sum needs."""
    text = str(raw).strip().lstrip("+-")
    if sum(c.isdigit() for c in text) > int(limit("digits")) or len(text) > 3 * int(limit("digits")):
        raise _invalid("number", f"数字位数过多（最多 {limit('digits')} 位）")


def check_value(spec: FieldSpec, value: Any) -> None:
    """Ranges the field does not declare but every renderer and rule relies on."""
    if spec.datatype in ("integer", "number") and value is not None:
        if isinstance(value, float) and not math.isfinite(value):
            raise _invalid("number", "应填写有限的数字（不能是 NaN 或无穷大）")
        if abs(value) >= float(limit("number")):
            raise _invalid("number", f"数值过大（绝对值应小于 {float(limit('number')):.0e}）")
    if spec.datatype == "date" and isinstance(value, date):
        low, high = _as_date(limit("date_from")), _as_date(limit("date_to"))
        if spec.min is None and value < low:
            raise _invalid("min", f"日期不能早于 {low.isoformat()}")
        if spec.max is None and value > high:
            raise _invalid("max", f"日期不能晚于 {high.isoformat()}")


def _as_date(value: Any) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value))


def text_problem(label: str, key: str, value: Any, multi_line: bool = False) -> Problem | None:
    """The gate for a text that comes from elsewhere than an interview screen (a command's
    argument, e.g. ``sanfang matter assign … 负责人``): the Problem, or None if it passes."""
    spec = FieldSpec(label=label, name=key, datatype="area" if multi_line else "text", required=False)
    try:
        check_raw(spec, value)
    except Refused as exc:
        return Problem(field=label, rule=exc.rule, message=exc.message, key=key)
    return None
