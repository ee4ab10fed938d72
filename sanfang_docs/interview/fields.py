"""Turn what a clerk typed (or an answers file holds) into a typed value, or say why not.

docassemble.base leaves this to the web app; the messages here are the clerk's.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date, datetime
from typing import Any

from ..errors import Problem
from ..rules.general import DATE_PATTERN
from . import validate
from .loader import FieldSpec

YES = {"是", "y", "yes", "true", "1", "对", "有"}
NO = {"否", "n", "no", "false", "0", "不", "无", "没有"}
BOOL_TYPES = ("yesno", "yesnoradio", "noyes", "noyesradio")

# A 文号's year is written in 六角括号 (GB/T 9704—2012 7.2.4): [2026], (2026), （2026）, 【2026】
# as typed become 〔2026〕 in any field whose label says it is a 文号.
_YEAR_BRACKETS = re.compile(r"[\[［(（【〔]\s*(\d{4})\s*[\]］)）】〕]")


class Invalid(Exception):
    def __init__(self, rule: str, message: str):
        super().__init__(message)
        self.rule, self.message = rule, message


def is_blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip()) or value in ([], {})


def convert(spec: FieldSpec, raw: Any) -> Any:
    """Return the typed value; raise :class:`Invalid` naming the rule."""
    try:
        validate.check_raw(spec, raw)  # sizes and characters first: nothing below sees worse
        value = _convert(spec, raw)
        validate.check_value(spec, value)
    except validate.Refused as exc:
        raise Invalid(exc.rule, exc.message) from None
    return value


def _convert(spec: FieldSpec, raw: Any) -> Any:
    if is_blank(raw):
        if spec.datatype in ("yesno", "noyes"):
            return False  # an unticked checkbox; the radio forms need an answer, as in docassemble
        if spec.datatype == "checkboxes":
            return {label: False for label, _ in spec.choices}
        if spec.required:
            raise Invalid("required", "必须填写")
        return None if spec.datatype in ("integer", "number", "date") else ""
    value = _typed(spec, raw)
    _check_bounds(spec, value)
    return value


def liberal(text: str) -> str:
    """Full-width digits, letters and signs as their half-width forms (１２ → 12, －  → -)."""
    return unicodedata.normalize("NFKC", text)


def _typed(spec: FieldSpec, raw: Any) -> Any:
    t = spec.datatype
    if t in ("integer", "number", "date") and isinstance(raw, str):
        raw = liberal(raw)
    if t == "integer":
        if isinstance(raw, bool) or not re.fullmatch(r"\s*[+-]?\d+\s*", str(raw)):
            raise Invalid("type", f"应填写整数，收到“{raw}”")
        return int(str(raw))
    if t == "number":
        try:
            if isinstance(raw, bool):
                raise ValueError
            return float(str(raw).strip())
        except ValueError:
            raise Invalid("type", f"应填写数字，收到“{raw}”") from None
    if t == "date":
        return parse_date(raw)
    if t in BOOL_TYPES:
        if isinstance(raw, bool):
            return raw
        text = str(raw).strip().lower()
        if text in YES:
            return True
        if text in NO:
            return False
        raise Invalid("type", f"请回答“是”或“否”，收到“{raw}”")
    if t == "checkboxes":
        if isinstance(raw, dict):  # as stored in answers.json: {choice: ticked}
            raw = [k for k, ticked in raw.items() if ticked]
        picked = raw if isinstance(raw, list) else re.split(r"[,，、\s]+", str(raw).strip())
        values = [choice_value(spec, p) for p in picked if str(p).strip()]
        return {v: (v in values) for _, v in spec.choices}
    if spec.choices:
        return choice_value(spec, raw)
    if isinstance(raw, (dict, list)):
        raise Invalid("type", "应填写文字")
    text = str(raw).replace("\r\n", "\n").replace("\r", "\n")
    if t == "area":
        return text
    text = text.strip()
    if "文号" in spec.label:
        text = _YEAR_BRACKETS.sub(lambda m: f"〔{m.group(1)}〕", liberal(text))
    return text


def choice_value(spec: FieldSpec, raw: Any) -> Any:
    """Accept a choice by its value, its label, or its 1-based number."""
    for label, value in spec.choices:
        if raw == value or str(raw).strip() in (str(value), label):
            return value
    text = str(raw).strip()
    if text.isdigit() and 1 <= int(text) <= len(spec.choices):
        return spec.choices[int(text) - 1][1]
    labels = "、".join(label for label, _ in spec.choices)
    raise Invalid("choice", f"只能从以下选项中选择：{labels}；收到“{raw}”")


def parse_date(raw: Any) -> date:
    if isinstance(raw, datetime):
        return raw.date()
    if isinstance(raw, date):
        return raw
    text = str(raw).strip()
    m = DATE_PATTERN.fullmatch(text)
    if not m:
        raise Invalid("type", f"日期格式应为 2026-03-05 或 2026年3月5日，收到“{raw}”")
    try:
        return date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
    except ValueError:
        raise Invalid("type", f"不存在的日期“{raw}”") from None


def _check_bounds(spec: FieldSpec, value: Any) -> None:
    if spec.datatype in ("integer", "number", "date"):
        low = parse_date(spec.min) if spec.datatype == "date" and spec.min is not None else spec.min
        high = parse_date(spec.max) if spec.datatype == "date" and spec.max is not None else spec.max
        if low is not None and value < low:
            raise Invalid("min", f"不能小于 {spec.min}")
        if high is not None and value > high:
            raise Invalid("max", f"不能大于 {spec.max}")
    if isinstance(value, str):
        if spec.minlength is not None and len(value) < int(spec.minlength):
            raise Invalid("minlength", f"至少 {spec.minlength} 个字")
        if spec.maxlength is not None and len(value) > int(spec.maxlength):
            raise Invalid("maxlength", f"最多 {spec.maxlength} 个字")


def problem(spec: FieldSpec, exc: Invalid) -> Problem:
    return Problem(field=spec.label, rule=exc.rule, message=exc.message, key=spec.name)


def neutral_value(spec: FieldSpec) -> Any:
    """A stand-in used only to keep exploring after a missing answer (to list every one)."""
    if spec.default is not None:
        try:
            return convert(spec, spec.default)
        except Invalid:
            pass
    if spec.choices:
        return spec.choices[0][1] if spec.datatype != "checkboxes" else {v: False for _, v in spec.choices}
    return {"integer": spec.min or 0, "number": spec.min or 0.0, "date": date.today()}.get(
        spec.datatype, False if spec.datatype in BOOL_TYPES else "")
