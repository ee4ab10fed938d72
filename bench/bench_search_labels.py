"""The labelled query set (tests/search_queries.yaml): relevance rules over record.json, and
P@5 / R@20 of a search function over an archive."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

QUERIES = Path(__file__).resolve().parent.parent / "tests" / "search_queries.yaml"


@dataclass
class Labelled:
    query: str
    relevant: set[str]  # 档号
    rule: dict[str, Any] = field(default_factory=dict)


def _values(v: Any) -> list[Any]:
    return v if isinstance(v, list) else [v]


def matches(rule: dict[str, Any], meta: dict[str, Any]) -> bool:
    """Does a record (its record.json) satisfy a relevance rule (see the YAML's header)?"""
    if "any" in rule:
        return any(matches(r, meta) for r in rule["any"])
    if "all" in rule:
        return all(matches(r, meta) for r in rule["all"])
    text, title = str(meta.get("text", "")), str(meta.get("题名", ""))
    fields = {"kind": "文种", "doc_key": "doc_key", "compound": "compound", "community": "community",
              "street": "street", "status": "status"}
    for key, want in rule.items():
        if key in fields:
            ok = meta.get(fields[key]) in _values(want)
        elif key == "title":
            ok = all(w in title for w in _values(want))
        elif key == "text":
            ok = all(w in text for w in _values(want))
        elif key == "title_any":
            ok = any(w in title for w in _values(want))
        elif key == "text_any":
            ok = any(w in text for w in _values(want))
        elif key == "compound_has":
            ok = str(want) in str(meta.get("compound", ""))
        elif key == "street_has":
            ok = str(want) in str(meta.get("street", ""))
        elif key == "not_kind":
            ok = meta.get("文种") not in _values(want)
        else:
            raise ValueError(f"unknown relevance key {key!r}")
        if not ok:
            return False
    return True


def load(metas: Iterable[dict[str, Any]], path: Path = QUERIES) -> tuple[list[Labelled], list[str]]:
    """The labelled queries resolved against an archive; and the queries left out (no record
    of theirs exists in this archive, e.g. an interview not written yet)."""
    metas = sorted(metas, key=lambda m: str(m["档号"]))
    out, skipped = [], []
    for item in yaml.safe_load(path.read_text(encoding="utf-8")):
        query = str(item["query"])
        if "pick" in item:
            found = [m for m in metas if matches(item["pick"], m)]
            if not found:
                skipped.append(query)
                continue
            no = str(found[0]["档号"])
            query = query.replace("{档号小写}", no.lower().replace("·", ".")).replace("{档号}", no)
            out.append(Labelled(query, {no}, item["pick"]))
            continue
        relevant = {str(m["档号"]) for m in metas if matches(item["relevant"], m)}
        if relevant:
            out.append(Labelled(query, relevant, item["relevant"]))
        else:
            skipped.append(query)
    return out, skipped


@dataclass
class Scores:
    p5: float
    r20: float
    per_query: list[tuple[str, float, float, int]]  # query, P@5, R@20, |relevant|


def evaluate(labelled: list[Labelled], search: Callable[[str, int], list[str]]) -> Scores:
    """P@5 = relevant in the top 5 / min(5, |relevant|); R@20 = relevant in the top 20 /
    min(20, |relevant|). Both are capped so a query with one right answer can score 1."""
    rows = []
    for item in labelled:
        found = search(item.query, 20)
        p5 = len([n for n in found[:5] if n in item.relevant]) / min(5, len(item.relevant))
        r20 = len([n for n in found[:20] if n in item.relevant]) / min(20, len(item.relevant))
        rows.append((item.query, p5, r20, len(item.relevant)))
    n = max(1, len(rows))
    return Scores(sum(r[1] for r in rows) / n, sum(r[2] for r in rows) / n, rows)
