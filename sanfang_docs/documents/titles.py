"""Titles on several lines (GB/T 9704-2012 7.3.1): broken only between words (词意完整) into a
trapezoid or diamond (排列对称), never leaving one character alone on a line.

Words come from jieba (its dictionary read piece by piece: lexicon.py), told the names in the
document (compounds, communities, organisations: ``Document.names``) and the words in
``templates/layout/title-words.txt``; a quoted span (“三方联动”, 《…》) is one word.
"""

from __future__ import annotations

import functools
import itertools
import re
import threading
from importlib import resources
from pathlib import Path
from typing import Any

from .measure import text_width_chars

WORDS = "title-words.txt"
_QUOTED = re.compile(r"“[^”]{1,12}”|《[^》]{1,20}》|（[^）]{1,12}）")
_NO_LINE_START = set("，。、；：）》”’！？")
_NO_LINE_END = set("（《“‘")
_lock = threading.Lock()


@functools.cache
def _tokenizer() -> Any:
    from .lexicon import tokenizer  # jieba's dictionary read only where the titles need it

    tok = tokenizer()
    path = _words_file()
    if path is not None:
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip() and not line.startswith("#"):
                tok.add_word(line.strip(), freq=200000)
    return tok


def _words_file() -> Path | None:
    packaged = resources.files("sanfang_docs") / "content" / "templates" / "layout" / WORDS
    if packaged.is_file():
        return Path(str(packaged))
    source = Path(__file__).resolve().parents[2] / "templates" / "layout" / WORDS
    return source if source.is_file() else None


def word_breaks(title: str, names: list[str] | tuple[str, ...] = ()) -> set[int]:
    """Indices ``i`` where a line may start (between ``title[i-1]`` and ``title[i]``)."""
    with _lock:
        tok = _tokenizer()
        for name in names:
            if 2 <= len(name) <= 20:
                tok.add_word(name, freq=300000)
        pos, breaks = 0, set()
        for word in tok.cut(title, HMM=False):
            pos += len(word)
            breaks.add(pos)
    # Names and quoted spans stay whole even where jieba would cut them.
    spans = [m.span() for m in _QUOTED.finditer(title)]
    spans += [(m.start(), m.end()) for n in names if len(n) >= 2 for m in re.finditer(re.escape(n), title)]
    inside = {i for a, b in spans for i in range(a + 1, b)}
    return {i for i in breaks if 0 < i < len(title) and i not in inside
            and title[i] not in _NO_LINE_START and title[i - 1] not in _NO_LINE_END}


def _shape_cost(widths: list[float]) -> float:
    """Prefer a trapezoid (each line no shorter than the one above) or, on three or more lines,
    a diamond (longest in the middle); then lines of similar length."""
    n = len(widths)
    mean = sum(widths) / n
    cost = sum((w - mean) ** 2 for w in widths)
    increasing = all(b > a for a, b in itertools.pairwise(widths))
    peak = max(range(n), key=lambda i: widths[i])
    diamond = n >= 3 and 0 < peak < n - 1 and all(
        b >= a for a, b in itertools.pairwise(widths[: peak + 1])) and all(
        b <= a for a, b in itertools.pairwise(widths[peak:]))
    if not (increasing or diamond):
        cost += 100.0
    if any(w < 2 for w in widths):
        cost += 1000.0
    return cost


def break_title(title: str, capacity: float, names: list[str] | tuple[str, ...] = ()) -> str:
    """The title with newlines where its lines break (unchanged if it fits on one line)."""
    if "\n" in title or text_width_chars(title) <= capacity:
        return title
    lines = int(-(-text_width_chars(title) // capacity))
    allowed = sorted(word_breaks(title, names))
    best: tuple[float, tuple[int, ...]] | None = None
    for n in (lines, lines + 1):
        for cut in itertools.combinations(allowed, n - 1):
            parts = [title[a:b] for a, b in zip((0, *cut), (*cut, len(title)), strict=True)]
            widths = [text_width_chars(p) for p in parts]
            if max(widths) > capacity:
                continue
            cost = _shape_cost(widths) + (50.0 if n > lines else 0.0)
            if best is None or cost < best[0]:
                best = (cost, cut)
        if best is not None and best[0] < 100:
            break
    if best is None:  # no word boundary fits (a very long name): fall back to even characters
        step = -(-len(title) // lines)
        return "\n".join(title[i:i + step] for i in range(0, len(title), step))
    cut = best[1]
    return "\n".join(title[a:b] for a, b in zip((0, *cut), (*cut, len(title)), strict=True))
