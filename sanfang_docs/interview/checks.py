"""Check an answers file against its interview before anything runs.

A key no question asks is an error with a “您是不是要写：…” suggestion (a misspelt
``founding_request_number`` would otherwise be ignored and its question asked, or its
document filed without it); every answer of the wrong type is reported in the same run, each
naming the field's label and its key. Works on the parsed mapping (reading the file is
``api.read_answers``' job).
"""

from __future__ import annotations

import difflib
import re
from typing import Any

from ..errors import Problem
from .fields import Invalid, convert
from .loader import FieldSpec, Interview

# A label still holding template code (“${ secretary_candidate } 同志得票”) is named by its words.
_CODE = re.compile(r"\$\{[^}]*\}")


def asked(interview: Interview) -> dict[str, FieldSpec | None]:
    """Every variable a question of the interview sets: its field, or None for a button."""
    found: dict[str, FieldSpec | None] = {}
    for block in interview.blocks:
        if not block.is_question:
            continue
        for spec in block.fields:
            found.setdefault(spec.name, spec)
        for key in ("field", "yesno", "noyes", "continue button field"):
            name = block.raw.get(key)
            if isinstance(name, str):
                found.setdefault(name, _button_spec(block.raw, name))
    return found


def _button_spec(raw: dict[str, Any], name: str) -> FieldSpec | None:
    if "yesno" in raw or "noyes" in raw:
        label = _CODE.sub("…", str(raw.get("question", name))).strip()
        return FieldSpec(label=label, name=name, datatype="yesno")
    return None  # buttons: their choices are checked where they are asked, with their labels


def check(interview: Interview, answers: dict[str, Any], also: set[str] = frozenset()) -> list[Problem]:  # type: ignore[assignment]
    """The problems of an answers mapping: unknown keys, then wrong types, in file order.
    ``also``: keys that are known though no question asks them (preset by a register)."""
    fields = asked(interview)
    problems: list[Problem] = []
    for key, value in answers.items():
        key = str(key)
        if key in fields:
            spec = fields[key]
            if spec is not None and value is not None and not spec.choices:
                problems.extend(_type_problem(spec, value))
            continue
        if key in also:
            continue
        close = difflib.get_close_matches(key, list(fields), n=1, cutoff=0.6)
        hint = f"；您是不是要写：{close[0]}（{_label(fields[close[0]], close[0])}）？" if close else ""
        problems.append(Problem(field="答案文件", rule="unknown-key", key=key,
                                message=f"“{key}”不是访谈“{interview.title}”的问题{hint}"))
    return problems


def _label(spec: FieldSpec | None, name: str) -> str:
    return _CODE.sub("…", spec.label).strip() if spec else name


def _type_problem(spec: FieldSpec, value: Any) -> list[Problem]:
    try:
        convert(spec, value)
    except Invalid as exc:
        if exc.rule == "type":  # bounds, choices and rules are checked where they are asked
            return [Problem(field=_label(spec, spec.name), rule=exc.rule, message=exc.message, key=spec.name)]
    return []
