"""Where the lines of a justified paragraph break, as both renderers break them (first fit, the
禁则 of GB/T 15834 and CLREQ), so that a line the 禁则 would cut short keeps its group instead.

A closing mark never starts a line and an opening one never ends it, so ``行），`` or ``票）、``
moves down whole and the line above it is letter-spaced to fill the 版心 (up to 15 % of a
character before). Where the group falls short of fitting by little, the line and the group are
set a little tighter instead (挤进 by 字距, as GB/T 9704-2012 7.3.5 allows "调整字距"), by at most
:data:`MAX_TIGHTEN` of a character per character. The tighter tracking is an ordinary run
property, which Typst and LibreOffice both honour between the characters of a run. (Halving the
marks instead, 标点挤压, cannot be done alike in both: LibreOffice 7.4 sets no spacing after a
run's last character and narrows a character by at most ⅙ em, whatever w:spacing says —
measured; w:characterSpacingControl is a setting for the whole document, not a line.) A line short by
less than :data:`TIGHTEN_FROM` per gap is left as it is, so full lines keep their 28 characters.

Widths are those the renderers use (layout.GEOMETRY): a Chinese character or full-width mark is
one em plus the tracking, Latin letters and digits their advance in the run's face, 0.2 em where
Chinese meets them (pdf.py adds it, LibreOffice sets it). The simulation only decides where to
tighten; both renderers get the same runs, so they stay alike even where it guessed wrong (the
layout checker measures the result in both).
"""

from __future__ import annotations

import functools
import itertools
import re
from typing import Any

CLOSING = "，。．、：；！？”’》）』」】〗〕〉］｝"
OPENING = "“‘《（『「【〖〔〈［｛"
_HAN = re.compile("[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003ffff]")
_LATIN = re.compile("[A-Za-z0-9]")
MAX_TIGHTEN = 0.06  # em per character: 1 pt of 16, a line 6 % tighter at most
# Only a line that would be letter-spaced by more than this (em per gap, spread evenly) keeps its
# group: one a character short (27 of 28, 3.8 %) stays as it is, a full line of 28.
TIGHTEN_FROM = 0.05
_MARGIN_PT = 2.0  # the group must fit by this much (run ends: Typst and LibreOffice differ by < 1 pt)


@functools.cache
def body_em(c: str) -> float:
    """The advance of ``c`` in the body face, in em (fonts.py; looked up once per character)."""
    from .fonts import advance_pt

    return advance_pt("body", c, 1.0, 0.0)


_ATOM = re.compile("[\x00-\u1fff]+|[^\u200b\u2060]")  # a Latin run, or one other character


def _atoms(text: str) -> list[tuple[int, int]]:
    """Unbreakable pieces of ``text`` as (start, end): one Chinese character or mark, or a run of
    Latin letters, digits and signs (100%, 027-), which breaks only at a space or a ZWSP."""
    return [m.span() for m in _ATOM.finditer(text.replace(" ", "\u200b").replace("\n", "\u200b"))]


def _joined(text: str, a: tuple[int, int], b: tuple[int, int]) -> bool:
    """No break between atoms ``a`` and ``b``: a word joiner, or the 禁则."""
    between = text[a[1]:b[0]]
    if " " in between or ZWSP in between or "\n" in between:
        return False
    return WJ in between or text[b[0]] in CLOSING or text[a[1] - 1] in OPENING or (
        ord(text[a[1] - 1]) < 0x2000 and ord(text[b[0]]) < 0x2000)


def groups(text: str) -> list[tuple[int, int]]:
    """Pieces a line may end after: atoms joined by the 禁则 or a word joiner."""
    atoms = _atoms(text)
    out: list[list[int]] = []
    for k, atom in enumerate(atoms):
        if out and _joined(text, atoms[k - 1], atom) and "\n" not in text[atoms[k - 1][1]:atom[0]]:
            out[-1][1] = atom[1]
        else:
            out.append([atom[0], atom[1]])
    return [(a, b) for a, b in out]


_BOUNDARY = re.compile(f"(?<={_HAN.pattern})(?=[A-Za-z0-9])|(?<=[A-Za-z0-9])(?={_HAN.pattern})")  # as pdf.py
_UNSET = ("\u200b", "\u2060", "\n")  # ZWSP, WJ and a line break take no room


class Widths:
    """Prefix sums of one text's widths (see :func:`width`): any piece's width in two look-ups."""

    def __init__(self, text: str, advance: Any, size: float, track: float) -> None:
        adv = [0.0 if c in _UNSET else (size if c >= "\u2000" else advance(c) * size) + track for c in text]
        visible = [0 if c in _UNSET or c == " " else 1 for c in text]
        space = [0.0] * len(text)
        bound = [0] * len(text)
        for m in _BOUNDARY.finditer(text):
            # The space, and the tracking the character before it loses: both renderers end a
            # piece of text there (Typst a text run, LibreOffice a script portion).
            space[m.start()], bound[m.start()] = 0.2 * size - track, 1
        self.adv = [0.0, *itertools.accumulate(adv)]
        self.space = [0.0, *itertools.accumulate(space)]
        self.chars = [0, *itertools.accumulate(visible)]
        self.bounds = [0, *itertools.accumulate(bound)]

    def width(self, a: int, b: int) -> float:
        """text[a:b] set in one line (a boundary at its start falls at the line's start)."""
        return self.adv[b] - self.adv[a] + (self.space[b] - self.space[a + 1] if b > a else 0.0)

    def tightenable(self, a: int, b: int) -> int:
        """Characters of text[a:b] whose tracking narrows the line (not one before a boundary)."""
        return self.chars[b] - self.chars[a] - (self.bounds[b] - self.bounds[a + 1] if b > a else 0)


def width(text: str, advance: Any, size: float, track: float) -> float:
    """``text`` set in one line: advances plus tracking, 0.2 em where Chinese meets Latin."""
    return Widths(text, advance, size, track).width(0, len(text))


@functools.lru_cache(maxsize=2048)  # a filing lays a document out 3–4 times (PDF, DOCX, text)
def tightened(text: str, advance: Any, size: float, track: float, first: float, rest: float) -> tuple[tuple[int, int, float], ...]:
    """Ranges of ``text`` to set with a tighter tracking, as (start, end, tracking): each a line
    that would end short because its next group cannot break, together with that group.
    ``first`` and ``rest`` are the widths of the first and the other lines in pt."""
    out: list[tuple[int, int, float]] = []
    pieces = groups(text)
    m = Widths(text, advance, size, track)
    start = 0  # index into pieces of the line's first group
    room = first
    k = 0
    while k < len(pieces):
        line_from = pieces[start][0]
        end = pieces[k][1]
        if k > start and "\n" in text[pieces[k - 1][1]:pieces[k][0]]:
            start, room = k, rest  # a line break in the answer: a new line, not stretched
            continue
        if m.width(line_from, end) <= room + 0.3:
            k += 1
            continue
        if k == start:  # one group wider than the line: the renderers break it somewhere
            start, room, k = k + 1, rest, k + 1
            continue
        need = m.width(line_from, end) - room + _MARGIN_PT
        chars = m.tightenable(line_from, end)
        cut_end = pieces[k - 1][1]
        gaps = m.chars[cut_end] - m.chars[line_from] - 1
        stretched = (room - m.width(line_from, cut_end)) / max(gaps, 1) > TIGHTEN_FROM * size
        if stretched and chars > 1 and need / (chars - 1) <= MAX_TIGHTEN * size:
            out.append((line_from, end, round(track - need / (chars - 1), 3)))
            start, room, k = k + 1, rest, k + 1
        else:
            start, room = k, rest
    return tuple(out)


def tighten_runs(runs: list[dict[str, Any]], ranges: tuple[tuple[int, int, float], ...]) -> list[dict[str, Any]]:
    """``runs`` cut at the ranges' ends, the runs inside a range given its tracking."""
    if not ranges:
        return runs
    out: list[dict[str, Any]] = []
    pos = 0
    for run in runs:
        text = run["text"]
        cuts = sorted({0, len(text), *(max(0, min(len(text), p - pos)) for a, b, _ in ranges for p in (a, b))})
        for a, b in zip(cuts, cuts[1:], strict=False):
            piece = dict(run, text=text[a:b])
            for lo, hi, track in ranges:
                if lo <= pos + a and pos + b <= hi:
                    piece["track"] = track
            out.append(piece)
        pos += len(text)
    return out


def wrap(text: str, advance: Any, size: float, room: float, margin: float = 2.0) -> list[str]:
    """``text`` cut into the lines a cell of ``room`` pt sets it in (untracked type, first fit,
    the 禁则; a newline in the answer ends a line). A table row that may split is given these
    lines, so that both renderers print the same lines and it splits between them (tables.py)."""
    lines: list[str] = []
    for part in text.split("\n"):
        m = Widths(part, advance, size, 0.0)
        line_from = 0
        last_end = 0
        for a, b in groups(part):
            # (Latin letters and digits are measured less exactly than Chinese: they keep a margin.)
            spare = margin if _LATIN.search(part, line_from, b) else 0.0
            if last_end > line_from and m.width(line_from, b) > room - spare:
                lines.append(part[line_from:last_end])
                line_from = a
            last_end = b
        lines.append(part[line_from:])
    return lines


ZWSP = "\u200b"  # a break opportunity that prints nothing (Typst, Word and LibreOffice honour it)
WJ = "\u2060"  # a word joiner: no break here (Typst, Word and LibreOffice honour it too)
# Telephone numbers break after the area code and between groups of four digits (027-8795 6688,
# 138 0000 0001 as they are read out); a time range after its dash; a 档号 after each hyphen.
# A time itself (17:30) never breaks.
_PHONE = re.compile(r"(?<![\d-])(0\d{2,3})-(\d{3,4})(\d{4})(?!\d)")
_MOBILE = re.compile(r"(?<!\d)(1\d{2})(\d{4})(\d{4})(?!\d)")
_TIME_RANGE = re.compile(r"(\d{1,2}:\d{2})([-–—~～])(\d{1,2}:\d{2})")
_ARCHIVE_NO = re.compile(r"[A-Z]\d{3}-WS·\d{4}-[A-Z0-9]+-[A-Z]+-\d{4}")
# A vote count stays with its 票 (（得17票）): the line breaks before the number, never between
# 17 and 票. (LibreOffice then sets no space between them, so neither does the PDF: pdf.py.)
_VOTES = re.compile(r"(得\d+)(?=票)")
# A list of numbers (第1、7、10、18项) may break after each 、, as Typst breaks it (LibreOffice
# would move the whole list down).
_NUMBER_LIST = re.compile(r"(?<=\d、)(?=\d)")
# A fill-in blank (__________) is a line to write on: it may go on in the next line.
_BLANK = re.compile(r"_{6,}")


def breakable(text: str) -> str:
    """``text`` with break opportunities inside long Latin runs, at points a reader accepts, so a
    line never has to be letter-spaced because a whole number moved down (both renderers)."""
    text = _PHONE.sub(lambda m: f"{m[1]}-{ZWSP}{m[2]}{ZWSP}{m[3]}", text)
    text = _MOBILE.sub(lambda m: f"{m[1]}{ZWSP}{m[2]}{ZWSP}{m[3]}", text)
    text = _TIME_RANGE.sub(lambda m: f"{m[1]}{m[2]}{ZWSP}{m[3]}", text)  # 9:00- | 17:30, never 17: | 30
    text = _VOTES.sub(lambda m: m[1] + WJ, text)
    text = _NUMBER_LIST.sub(ZWSP, text)
    text = _BLANK.sub(lambda m: ZWSP.join(re.findall("__?", m[0])), text)
    return _ARCHIVE_NO.sub(lambda m: m[0].replace("-", "-" + ZWSP), text)
