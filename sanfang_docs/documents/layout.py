"""The layout both renderers paint (PDF with Typst, DOCX with python-docx), computed once:
heading numbers, fonts, indents and alignment by house style. So the two outputs carry the same words in the same places, and
the Typst layout never interprets content (it gets this list as JSON data).

The numbers follow GB/T 9704-2012: A4, 版心 156 × 225 mm, 天头 37 mm, 订口 28 mm, 22 lines
of 28 characters in 3号 (16 pt).
"""

from __future__ import annotations

import re
from itertools import pairwise
from typing import Any

from .model import Document, heading_prefix

MM = 72 / 25.4  # points per millimetre

GEOMETRY: dict[str, float] = {
    "page_w": 210.0,  # mm
    "page_h": 297.0,
    "top": 37.0,  # 天头
    "bottom": 35.0,  # 297 − 37 − 225
    "left": 28.0,  # 订口
    "right": 26.0,  # 210 − 28 − 156
    "body_pt": 16.0,  # 3号
    "title_pt": 22.0,  # 2号
    "folio_pt": 14.0,  # 4号 page numbers
    "table_pt": 14.0,
    # 22 lines in 225 mm is 28.98 pt; Word stores twips, and 580 twips × 22 overflows the
    # 版心 by 0.1 mm, so both renderers use 579 twips to keep exactly 22 lines a page.
    "pitch_pt": 579 / 20,
    # 28 characters in 156 mm is 15.79 pt each; −5 twips of tracking (15.75 pt) is the
    # nearest value Word can store that still fits 28 and not 29.
    "track_pt": -5 / 20,
    "folio_gap": 7.0,  # mm from the 版心 to the page number
    "qr_size": 18.0,  # mm, bottom-left corner, outside the 版心
    "qr_x": 7.0,
    "qr_bottom": 9.0,
}
CHAR_PT = GEOMETRY["body_pt"] + GEOMETRY["track_pt"]

_ARTICLE = re.compile(r"^(第[一二三四五六七八九十百零〇]+条)")
_CHAPTER = re.compile(r"^第[一二三四五六七八九十百零〇]+[章节]")



def par(
    text: str,
    *,
    font: str = "body",
    name: str = "公文正文",
    size: float | None = None,
    align: str = "justify",
    first: float = 0,
    left: float = 0,
    right: float = 0,
    sticky: bool = False,
    keep: bool = False,
    track: float | None = None,
    runs: list[dict[str, str]] | None = None,
) -> dict[str, Any]:
    """One paragraph; indents in characters, sizes in points; ``name`` is the Word style."""
    return {
        "t": "par",
        "runs": runs if runs is not None else [{"text": text, "font": font}],
        "font": font,
        "name": name,
        "size": size or GEOMETRY["body_pt"],
        "align": align,
        "first": first,
        "left": left,
        "right": right,
        "sticky": sticky,
        "keep": keep,
        "track": GEOMETRY["track_pt"] if track is None else track,
    }


def text_width_chars(text: str) -> float:
    """Estimated width in body characters: half for ASCII (digits in 成文日期), full otherwise,
    plus the ~⅕ character both renderers put between Chinese and Latin/digits."""
    narrow = [ord(c) < 0x2000 for c in text]
    switches = sum(1 for a, b in pairwise(narrow) if a != b)
    return sum(0.5 if n else 1.0 for n in narrow) + 0.2 * switches


def layout_items(doc: Document) -> list[dict[str, Any]]:
    """The document as layout items (see :func:`par`), in reading order."""
    style = doc.style
    items: list[dict[str, Any]] = []
    if doc.doc_no:
        # 发文字号 sits centred above the title, where it would stand under a 版头.
        items += [par(doc.doc_no, align="center", name="发文字号"), {"t": "blank"}]
    title_track = None
    if style in ("certificate", "appointment") and len(doc.title) <= 4:
        title_track = GEOMETRY["title_pt"]  # 证　明 / 聘　书: letter-spaced short titles
    items.append(
        par(
            _balanced_title(doc.title, GEOMETRY["title_pt"]) if not title_track else doc.title,
            font="title",
            name="公文标题",
            size=GEOMETRY["title_pt"],
            align="center",
            track=title_track or 0,
        )
    )
    items.append({"t": "blank"})
    if doc.addressee:
        items.append(par(doc.addressee + "：", align="left", name="主送机关"))
    items += _body(doc)
    if doc.attachments:
        items += [{"t": "blank"}, {"t": "attachments", "label": "附件：", "items": list(doc.attachments)}]
    items += _signature(doc)
    return items


def _body(doc: Document) -> list[dict[str, Any]]:
    counters = [0, 0, 0]
    indent = 0 if doc.style == "agenda" else 2
    out: list[dict[str, Any]] = []
    for b in doc.blocks:
        number = heading_prefix(b.kind, counters)
        if b.kind == "h1":
            out.append(par(number + b.text, font="hei", name="一级标题", first=indent, sticky=True))
        elif b.kind == "h2":
            out.append(par(number + b.text, font="kai", name="二级标题", first=indent, sticky=True))
        elif b.kind == "h3":
            out.append(par(number + b.text, name="三级标题", first=indent, sticky=True))
        elif b.kind == "right":
            out.append(par(b.text, align="right"))
        elif b.kind == "table":
            out.append(_table(b.rows, compact=doc.style in ("form", "scoresheet")))
        elif b.kind in ("item", "li"):
            out.append(par(b.text, first=indent))
        elif doc.style == "rules":
            out.append(_rules_par(b.text))
        else:
            out.append(par(b.text, first=indent))
    return out


def _rules_par(text: str) -> dict[str, Any]:
    """制度: 第一条 in 黑体; a short 第一章 line is a centred chapter heading."""
    if _CHAPTER.match(text) and len(text) <= 16 and "\n" not in text:
        return par(text, font="hei", name="一级标题", align="center", sticky=True)
    m = _ARTICLE.match(text)
    if not m:
        return par(text, first=2)
    runs = [{"text": m.group(1), "font": "hei"}, {"text": text[m.end() :], "font": "body"}]
    return par(text, first=2, runs=runs)


TABLE_PAD_PT = 4.0 * 2 + 1.0  # the 4 pt inset on each side (both renderers) and the borders
_TOKEN = re.compile(r"[\x21-\x7e]+|\S")  # an ASCII run (档号, phone) or one CJK character


def _table(rows: list[list[str]], compact: bool = False) -> dict[str, Any]:
    """A table, first row the header. In letters its rows keep to the line grid; forms and score
    sheets, which are mostly table, use smaller type and rows."""
    ncols = max((len(r) for r in rows), default=1)
    rows = [list(r) + [""] * (ncols - len(r)) for r in rows]
    size, pitch = (12.0, 20.0) if compact else (GEOMETRY["table_pt"], GEOMETRY["pitch_pt"])
    # Headers and short cells (序号, 分值, names) are centred; sentences start at the left.
    centred = [[r == 0 or len(c) <= 4 for c in row] for r, row in enumerate(rows)]
    return {
        "t": "table",
        "rows": rows,
        "centred": centred,
        "widths": _column_widths(rows, size),
        "size": size,
        "pitch": pitch,
    }


def _column_widths(rows: list[list[str]], size: float) -> list[float]:
    """Column widths as fractions of the 版心, computed once so both renderers agree.

    The automatic table layout of browsers and Word: each column needs at least its widest
    unbreakable piece (a header, a short cell such as 序号 or a name, a 档号), would like its
    longest line; the width left over after every minimum is shared in proportion to what each
    column still wants, so sentence columns get the room and 序号 never wraps."""
    total = 156 * MM

    def width(text: str) -> float:
        return text_width_chars(text) * size + TABLE_PAD_PT

    minimum, preferred = [], []
    for col in range(len(rows[0])):
        cells = [r[col] for r in rows]
        lines = [ln for c in cells for ln in c.split("\n")] or [""]
        unbreakable = [ln for i, c in enumerate(cells) for ln in c.split("\n") if i == 0 or len(ln) <= 6]
        tokens = [t for ln in lines for t in _TOKEN.findall(ln)]
        minimum.append(max([width(t) for t in unbreakable + tokens] + [width("")]))
        preferred.append(max(minimum[-1], max(width(ln) for ln in lines)))
    spare = total - sum(minimum)
    wants = [p - m for p, m in zip(preferred, minimum, strict=True)]
    if spare <= 0 or sum(wants) == 0:
        chosen = minimum if spare <= 0 else [m + spare * m / sum(minimum) for m in minimum]
    elif sum(wants) <= spare:
        # Everything fits on one line: widen every column in proportion to its content.
        chosen = [p + (spare - sum(wants)) * p / sum(preferred) for p in preferred]
    else:
        chosen = [m + spare * w / sum(wants) for m, w in zip(minimum, wants, strict=True)]
    return [c / sum(chosen) for c in chosen]


def _balanced_title(title: str, size: float) -> str:
    """GB/T 9704 7.3.1: a title on several lines is split into lines of even length (排列对称),
    never leaving one character alone; breaks avoid splitting closing/opening punctuation."""
    capacity = 156 * MM / size
    chars = text_width_chars(title)
    if "\n" in title or chars <= capacity:
        return title
    lines = -(-chars // capacity)
    target = len(title) / lines
    breaks, start = [], 0
    for n in range(1, int(lines)):
        ideal = round(n * target)
        best = min(
            (i for i in range(max(start + 1, ideal - 3), min(len(title) - 1, ideal + 3) + 1)
             if title[i] not in "，。、；：）》”’" and title[i - 1] not in "（《“‘"),
            key=lambda i: abs(i - ideal), default=ideal)
        breaks.append(best)
        start = best
    parts = [title[a:b] for a, b in zip([0, *breaks], [*breaks, len(title)], strict=True)]
    return "\n".join(parts)


def _signature(doc: Document) -> list[dict[str, Any]]:
    """Unsealed signature block (GB/T 9704-2012 7.3.5.2): the PDF carries a digital signature,
    not a seal. 署名 right-indented 2 characters; 成文日期 on the next line, its first character
    2 characters right of the 署名's; a date longer than that is right-indented 2 characters and
    the 署名 moves left to keep the 2-character step."""
    out: list[dict[str, Any]] = []
    date = doc.date_cn
    if not (doc.issuer or date) or (doc.style == "rules" and not doc.issuer):
        return out  # 制度 without an issuer carries no signature and no date
    out.append({"t": "blank"})
    issuer_w = max((text_width_chars(line) for line in doc.issuer.split("\n")), default=0.0)
    date_w = text_width_chars(date) if date else 0.0
    issuer_right, date_right = 2.0, issuer_w - date_w
    if not doc.issuer or date_right < 2:
        date_right = 2.0
        issuer_right = date_w + 4 - issuer_w
    if doc.issuer:
        out.append(par(doc.issuer, align="right", right=issuer_right, name="发文机关署名", sticky=True, keep=True))
    if date:
        out.append(par(date, align="right", right=date_right, name="成文日期", keep=True))
    if doc.note:
        out.append(par(f"（{doc.note}）", first=2, name="附注"))
    return out


def expected_text(doc: Document) -> str:
    """The words both renderers print, in order (plain_text plus the decorations they add)."""
    parts = []
    for item in layout_items(doc):
        if item["t"] == "par":
            parts.append("".join(r["text"] for r in item["runs"]))
        elif item["t"] == "table":
            parts.extend("".join(r) for r in item["rows"])
        elif item["t"] == "attachments":
            parts.extend(_attachment_lines(item))
    return "\n".join(parts)


def _attachment_lines(item: dict[str, Any]) -> list[str]:
    names = item["items"]
    if len(names) == 1:
        return [item["label"] + names[0]]
    return [(item["label"] if i == 0 else "") + f"{i + 1}.{n}" for i, n in enumerate(names)]


__all__ = ["layout_items", "expected_text", "GEOMETRY"]
