"""The labelled query set (tests/search_queries.yaml): relevance rules over record.json, and
P@5 / R@20 of a search function over an archive."""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from bench_search_names import name_parts

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
              "street": "street", "status": "status", "interview": "interview"}
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
        elif key == "has_parts":  # a generated compound name: brand + estate (碧桂园 + 天玺湾)
            ok = (name_parts(str(meta.get("compound", ""))) is not None) == bool(want)
        else:
            raise ValueError(f"unknown relevance key {key!r}")
        if not ok:
            return False
    return True


def load(metas: Iterable[dict[str, Any]], path: Path = QUERIES) -> tuple[list[Labelled], list[str]]:
    """The labelled queries resolved against an archive; and the queries left out (no record
    of theirs exists in this archive, e.g. an interview not written yet).

    ``pick`` chooses a record (``nth``: the nth compound among the matching records, so
    templates reach several places); its values fill the query's placeholders
    (:func:`placeholders`) and those of ``relevant``; without ``relevant`` the picked
    record is the one to find."""
    metas = sorted(metas, key=lambda m: str(m["档号"]))
    taken = {str(m.get("compound", "")) for m in metas}
    out, skipped = [], []
    for item in yaml.safe_load(path.read_text(encoding="utf-8")):
        query = str(item["query"])
        if "pick" in item:
            rule = dict(item["pick"])
            nth = int(rule.pop("nth", 0))
            found = [m for m in metas if matches(rule, m)]
            compounds = sorted({str(m.get("compound", "")) for m in found})
            if not found or nth >= len(compounds):
                skipped.append(query)
                continue
            picked = next(m for m in found if str(m.get("compound", "")) == compounds[nth])
            values = placeholders(picked, taken)
            if any("{" + k + "}" in query and v is None for k, v in values.items()):
                skipped.append(query)
                continue
            for k, v in values.items():
                query = query.replace("{" + k + "}", v or "")
            if "relevant" in item:
                filled = _fill(item["relevant"], values)
                relevant = {str(m["档号"]) for m in metas if matches(filled, m)}
                out.append(Labelled(query, relevant, filled))
            else:
                out.append(Labelled(query, {str(picked["档号"])}, rule))
            continue
        relevant = {str(m["档号"]) for m in metas if matches(item["relevant"], m)}
        if relevant:
            out.append(Labelled(query, relevant, item["relevant"]))
        else:
            skipped.append(query)
    return out, skipped


def _fill(rule: Any, values: dict[str, str | None]) -> Any:
    if isinstance(rule, dict):
        return {k: _fill(v, values) for k, v in rule.items()}
    if isinstance(rule, list):
        return [_fill(v, values) for v in rule]
    if isinstance(rule, str):
        for k, v in values.items():
            rule = rule.replace("{" + k + "}", v or "")
    return rule


def placeholders(meta: dict[str, Any], taken: set[str]) -> dict[str, str | None]:
    """What a template may name of a picked record, each as a clerk would type it:

    {档号} and its spellings ({档号小写} with dots, {档号横线}, {档号空格}, {档号无全宗}), {小区},
    {小区后半} (the estate without the brand: 天玺湾), {小区同音} / {小区后半同音} (one character
    of the estate replaced by the commonest one with the same sound: what pinyin input offers
    first), {小区缺字} (a character of the estate left out). None: no such spelling here."""
    no = str(meta["档号"])
    compound = str(meta.get("compound", ""))
    parts = name_parts(compound)
    estate = parts[1] if parts else None
    sound = same_sound(estate, taken, compound) if estate else None
    dropped = None
    if parts and estate and len(estate) >= 3:
        dropped = parts[0] + estate[:1] + estate[2:]
    return {
        "档号": no, "档号小写": no.lower().replace("·", "."), "档号横线": no.replace("·", "-"),
        "档号空格": no.replace("·", " ").replace("-", " "), "档号无全宗": no.split("-", 1)[1],
        "小区": compound, "小区后半": estate, "小区同音": parts[0] + sound if parts and sound else None,
        "小区后半同音": sound, "小区缺字": dropped if dropped not in taken else None,
    }


def same_sound(estate: str, taken: set[str], compound: str) -> str | None:
    """The estate with its last character that has a common homophone replaced by it."""
    from pypinyin import Style, pinyin

    common = _common_by_sound()
    for i in range(len(estate) - 1, -1, -1):
        reading = pinyin(estate[i], style=Style.NORMAL)[0][0]
        others = [c for c in common.get(reading, []) if c != estate[i]]
        if others:
            typed = estate[:i] + others[0] + estate[i + 1:]
            if not any(typed in name for name in taken if name != compound):
                return typed
    return None


@functools.cache
def _common_by_sound() -> dict[str, list[str]]:
    """Reading → the commonest characters with it, from jieba's dictionary frequencies."""
    from pypinyin import Style, pinyin

    from sanfang_docs.search.analyzer import _base_tokenizer

    freq = _base_tokenizer().FREQ
    chars = sorted((c for c in freq if len(c) == 1 and "\u4e00" <= c <= "\u9fff" and freq[c] > 2000),
                   key=lambda c: -freq[c])
    table: dict[str, list[str]] = {}
    for c in chars:
        table.setdefault(pinyin(c, style=Style.NORMAL)[0][0], []).append(c)
    return table


@dataclass
class Scores:
    p5: float
    r20: float
    per_query: list[tuple[str, float, float, int]]  # query, P@5, R@20, |relevant|

    def misses(self) -> str:
        """The queries below 1 on either measure, one line each (what a failing floor shows)."""
        return "\n".join(f"{q:<32} P@5 {p:.2f} R@20 {r:.2f} |R|={n}" for q, p, r, n in self.per_query
                         if p < 1 or r < 1)


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
