"""Where a document's words differ from the manual's model text (示范文本), and why.

Every such difference is recorded in ``interviews/data/model-differences.yml`` (an office may
read and edit it): the document, when it applies (answers of the interview), the model's words and
the document's words, and its kind:

- ``依规``: a higher regulation reads differently from the manual; the entry quotes it
  (``source``) and says in one sentence why the text differs (``why``), which the interview shows
  the clerk under the finished document (:func:`model_notes`);
- ``选用``: the model itself offers alternatives (``……（或……）``) or a note to the drafter; the
  document prints the alternative that applies.

tests/test_model_similarity.py applies the entries to the model text before comparing, so its
similarity measures drift, not the required changes; it also checks that each entry's model words
are the manual's and its text is what the document prints. Pure: the same on a docassemble server.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import yaml

DIFFERENCES_FILE = Path(__file__).resolve().parent.parent / "content" / "interviews" / "data" / "model-differences.yml"
KINDS = ("依规", "选用")

__all__ = ["model_notes"]  # what an interview uses (modules: imports these names)


@cache
def _all() -> tuple[dict[str, Any], ...]:
    # libyaml where PyYAML has it (the same safe constructors; 17 → 4 ms, on every filing).
    data = yaml.load(DIFFERENCES_FILE.read_text(encoding="utf-8"), Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))  # noqa: S506
    entries = data.get("differences") if isinstance(data, dict) else None
    if not isinstance(entries, list):
        raise ValueError(f"{DIFFERENCES_FILE} 应有 differences: 列表")
    for n, entry in enumerate(entries, 1):
        missing = [k for k in ("documents", "kind", "model", "text") if k not in entry]
        if entry.get("kind") == "依规":
            missing += [k for k in ("source", "why") if not entry.get(k)]
        if missing or entry.get("kind") not in KINDS:
            raise ValueError(f"{DIFFERENCES_FILE} 第 {n} 条（{entry.get('model', '')[:20]}）缺少 {'、'.join(missing) or 'kind'}"
                             f"，或 kind 不是 {'/'.join(KINDS)}")
    return tuple(entries)


def recorded() -> list[dict[str, Any]]:
    """Every recorded difference, in the file's order."""
    return list(_all())


def differences(doc_key: str) -> list[dict[str, Any]]:
    """The recorded differences of one document, in the file's order."""
    return [e for e in _all() if doc_key in e["documents"]]


def _fact(facts: dict[str, Any], path: str) -> Any:
    value: Any = facts
    for part in path.split("."):
        if not isinstance(value, dict) or part not in value:
            raise KeyError(f"model-differences.yml 的条件用到“{path}”，访谈没有提供")
        value = value[part]
    return value


def applies(entry: dict[str, Any], facts: dict[str, Any]) -> bool:
    """Whether every condition of ``when`` (answer → value or list of values) holds for ``facts``
    (dotted names reach into a mapping: ``election.quorum``)."""
    for path, wanted in (entry.get("when") or {}).items():
        allowed = wanted if isinstance(wanted, list) else [wanted]
        if _fact(facts, path) not in allowed:
            return False
    return True


def model_notes(doc_key: str, facts: dict[str, Any]) -> list[str]:
    """For the clerk, one sentence per regulation-forced difference the document carries."""
    return list(dict.fromkeys(e["why"] for e in differences(doc_key) if e["kind"] == "依规" and applies(e, facts)))
