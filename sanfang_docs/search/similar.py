"""What a clerk meant by a name typed in part, by sound, or with a slip of the pen.

Clerks type Chinese by pinyin, so the usual slip is another character with the same sound
(恒大明都 for 恒大名都, 天喜湾 for 天玺湾): a substitution between characters that share a
reading costs a quarter of an edit here, any other edit a whole one. A name is close to what
was typed when the typed text is inside it (天玺湾 → 融侨天玺湾), or when the typed text is a
few (weighted) edits from the whole name or from a part of it (棠越 → 富力棠樾).

Readings come from pypinyin's character table, loaded on first use only (70 ms): the exact
query runs first, and only a query that finds little asks for near names.
"""

from __future__ import annotations

import functools
import importlib.util
import unicodedata
from collections.abc import Callable, Iterable
from pathlib import Path

SAME_SOUND = 0.25  # cost of replacing a character by one with the same reading (tones ignored)
MAX_PART_CHARS = 6  # longer typed text is compared with whole names only
_CHAR_TABLE: dict[int, str] | None = None


def _table() -> dict[int, str]:
    """pypinyin's character → readings table, without importing pypinyin itself: its package
    loads the phrase dictionary too (0.6 s), which a name's characters do not need."""
    global _CHAR_TABLE
    if _CHAR_TABLE is None:
        spec = importlib.util.find_spec("pypinyin")
        if spec is None or spec.origin is None:
            raise ModuleNotFoundError("pypinyin")
        path = Path(spec.origin).parent / "pinyin_dict.py"
        table_spec = importlib.util.spec_from_file_location("sanfang_docs.search._pinyin_table", path)
        if table_spec is None or table_spec.loader is None:
            raise ModuleNotFoundError("pypinyin.pinyin_dict")
        module = importlib.util.module_from_spec(table_spec)
        table_spec.loader.exec_module(module)
        _CHAR_TABLE = module.pinyin_dict
    return _CHAR_TABLE


@functools.lru_cache(maxsize=65536)
def readings(char: str) -> frozenset[str]:
    """The toneless readings of one character (名 → {ming}); itself for non-Chinese."""
    found = _table().get(ord(char)) if len(char) == 1 else None
    if not found:
        return frozenset((char.lower(),))
    out = set()
    for syllable in found.split(","):
        plain = "".join(c for c in unicodedata.normalize("NFD", syllable) if not unicodedata.combining(c))
        out.add(plain.replace("ü", "v"))
    return frozenset(out)


def _cost(a: str, b: str) -> float:
    if a == b:
        return 0.0
    return SAME_SOUND if readings(a) & readings(b) else 1.0


def distance(a: str, b: str) -> float:
    """Levenshtein distance, a same-sound substitution costing :data:`SAME_SOUND`."""
    prev = [float(j) for j in range(len(b) + 1)]
    for i, ca in enumerate(a, 1):
        cur = [float(i)]
        for j, cb in enumerate(b, 1):
            cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + _cost(ca, cb)))
        prev = cur
    return prev[-1]


def part_distance(text: str, name: str) -> float:
    """The distance from ``text`` to the closest part of ``name`` (free start and end in
    the name: Sellers' algorithm)."""
    prev = [0.0] * (len(name) + 1)
    for i, ct in enumerate(text, 1):
        cur = [float(i)]
        for j, cn in enumerate(name, 1):
            cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + _cost(ct, cn)))
        prev = cur
    return min(prev)


def closest(text: str, names: Iterable[str], limit: int = 3,
            keep: Callable[[str], bool] | None = None) -> list[str]:
    """The names ``text`` most likely stands for, best first; only the best kind of match:
    names containing it, else the nearest by sound and spelling (ties kept, up to ``limit``).
    ``keep`` (the caller's scope) is asked only about the names that would be picked."""
    names = [n for n in names if n != text]
    containing = [n for n in names if text in n]
    if containing:
        # 融侨天玺湾 and 融侨天玺湾小区党支部 both hold 天玺湾: the shorter one is the name.
        shortest = sorted(containing, key=lambda n: (len(n), n))
        picked: list[str] = []
        for n in shortest:
            if not any(p in n for p in picked) and (keep is None or keep(n)):
                picked.append(n)
            if len(picked) >= limit:
                break
        if picked:
            return picked
    whole_max = max(1.0, len(text) // 3)
    # A short part: a same-sound slip only. Longer text is a part of a name only up to six
    # characters: beyond that it is a phrase (不设支部委员会 is no slip of …小区支部委员会).
    part_max = 0.5 if len(text) <= 3 else whole_max if len(text) <= MAX_PART_CHARS else -1.0
    ranked: list[tuple[float, int, int, str]] = []
    for n in names:
        if abs(len(n) - len(text)) > whole_max and (part_max < 0 or len(n) < len(text)):
            continue  # too long or short for either kind of match: not worth a distance
        d = distance(text, n) if abs(len(n) - len(text)) <= whole_max else whole_max + 1
        if d <= whole_max:
            ranked.append((d, 0, abs(len(n) - len(text)), n))
            continue
        if len(n) > len(text):
            p = part_distance(text, n)
            if p <= part_max:
                ranked.append((p, 1, len(n) - len(text), n))
    ranked.sort()
    if keep is not None:
        visible = []
        for r in ranked:
            if visible and r[0] > visible[0][0] + 1e-9:
                break
            if keep(r[3]):
                visible.append(r)
        ranked = visible
    if not ranked:
        return []
    best = ranked[0][0]
    picked = [r[3] for r in ranked if r[0] <= best + 1e-9]
    # 融侨天玺湾小区党支部 is not a second candidate beside 融侨天玺湾.
    return [n for n in picked if not any(p != n and p in n for p in picked)][:limit]
