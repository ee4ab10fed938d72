"""Estimated text widths in body characters, shared by the layout and the title breaker."""

from __future__ import annotations

from itertools import pairwise


def text_width_chars(text: str) -> float:
    """Estimated width in body characters: half for ASCII (digits in 成文日期), full otherwise,
    plus the ~⅕ character both renderers put between Chinese and Latin/digits."""
    text = text.replace("\u200b", "").replace("\u2060", "")  # break opportunities (linebreak.ZWSP) take no room
    narrow = [ord(c) < 0x2000 for c in text]
    switches = sum(1 for a, b in pairwise(narrow) if a != b)
    return sum(0.5 if n else 1.0 for n in narrow) + 0.2 * switches
