"""Snippets: the passage of a record that holds the most query words, with them marked.

Found by plain substring search rather than by re-analysing the text with jieba (Whoosh's
highlighter would): Chinese words need no boundaries to be recognised on screen, and a
``str.find`` per word costs microseconds where a jieba cut of the record costs milliseconds.
"""

from __future__ import annotations

WIDTH = 90  # characters of context shown, about two printed lines


def make_snippet(text: str, terms: list[str], width: int = WIDTH) -> tuple[str, list[tuple[str, bool]]]:
    """(snippet with matches in 【】, the same as (text, is_match) parts)."""
    text = " ".join(text.split())  # line breaks of the record are not the snippet's
    if not text:
        return "", []
    lowered = text.lower() if len(text.lower()) == len(text) else text
    spans = _matches(lowered, [t.lower() for t in terms if t])
    start = _best_window(lowered, spans, width)
    end = min(len(text), start + width)
    parts: list[tuple[str, bool]] = []
    if start > 0:
        parts.append(("…", False))
    cursor = start
    for s, e in spans:
        if e <= start or s >= end:
            continue
        s, e = max(s, start), min(e, end)
        if s > cursor:
            parts.append((text[cursor:s], False))
        parts.append((text[s:e], True))
        cursor = e
    if cursor < end:
        parts.append((text[cursor:end], False))
    if end < len(text):
        parts.append(("…", False))
    snippet = "".join(f"【{p}】" if hit else p for p, hit in parts)
    return snippet, parts


def _matches(text: str, terms: list[str]) -> list[tuple[int, int]]:
    """Non-overlapping (start, end) of every term, longer terms winning overlaps."""
    taken = bytearray(len(text))
    spans = []
    for term in sorted(set(terms), key=len, reverse=True):
        at = text.find(term)
        while at >= 0:
            end = at + len(term)
            if not any(taken[at:end]):
                taken[at:end] = b"\x01" * len(term)
                spans.append((at, end))
            at = text.find(term, end)
    return sorted(spans)


def _best_window(text: str, spans: list[tuple[int, int]], width: int) -> int:
    """Start of the window holding the most distinct matched words (earliest on ties)."""
    if not spans:
        return 0
    best, best_start = -1, 0
    for i, (s, _) in enumerate(spans):
        start = max(0, s - 12)  # a little lead-in before the first match
        words = {text[a:b] for a, b in spans[i:] if b <= start + width}
        if len(words) > best:
            best, best_start = len(words), start
    return min(best_start, max(0, len(text) - width))
