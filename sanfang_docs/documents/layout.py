"""The layout both renderers paint (PDF with Typst, DOCX with python-docx), computed once:
heading numbers, fonts, indents and alignment by house style. So the two outputs carry the same words in the same places, and
the Typst layout never interprets content (it gets this list as JSON data).

The numbers follow GB/T 9704-2012 (geometry.py): A4, 版心 156 × 225 mm, 天头 37 mm, 订口 28 mm,
22 lines of 28 characters in 3号 (16 pt). Tables are laid out by tables.py; a justified line
the 禁则 would cut short is set a little tighter to keep its group (linebreak.py).
"""

from __future__ import annotations

import re
from typing import Any

from .geometry import CHAR_PT, GEOMETRY, MM
from .imprint import imprint_items
from .linebreak import body_em, breakable, tighten_runs, tightened
from .model import Document, heading_prefix
from .tables import table_item, table_type

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
    runs = [dict(r, text=breakable(r["text"])) for r in (runs if runs is not None else [{"text": text, "font": font}])]
    if align == "justify" and size is None and track is None:
        runs = _tightened(runs, first, left, right)
    return {
        "t": "par",
        "runs": runs,
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


def _tightened(runs: list[dict[str, str]], first: float, left: float, right: float) -> list[dict[str, Any]]:
    """Runs with the lines the 禁则 would cut short set a little tighter (linebreak.py)."""
    body, track = GEOMETRY["body_pt"], GEOMETRY["track_pt"]
    full = 156 * MM
    ranges = tightened("".join(r["text"] for r in runs), body_em, body, track,
                       full - (first + left + right) * CHAR_PT, full - (left + right) * CHAR_PT)
    return tighten_runs(runs, ranges)


def layout_items(doc: Document) -> list[dict[str, Any]]:
    """The document as layout items (see :func:`par`), in reading order."""
    style = doc.style
    items: list[dict[str, Any]] = _head(doc)
    title_track = None
    if style in ("certificate", "appointment") and len(doc.title) <= 4:
        title_track = GEOMETRY["title_pt"]  # 证　明 / 聘　书: letter-spaced short titles
    items.append(
        par(
            _balanced_title(doc.title, GEOMETRY["title_pt"], doc.names) if not title_track else doc.title,
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
    signature = _signature(doc)
    if signature:
        # The last lines of the body go with the signature to its page (see _signature).
        # (附件说明 and its blank lines go too, with the body paragraph before them.)
        for it in reversed(items):
            if it.get("name") in ("公文标题", "主送机关") or it["t"] in ("docno", "space"):
                break
            it["sticky"] = True
            if it["t"] in ("par", "table"):
                break
    items += signature
    imprint = layout_imprint(doc)
    if imprint and items:
        items[-1]["sticky"] = True  # the 版记 goes with the signature (and so with body text)
    return items + imprint


def layout_imprint(doc: Document) -> list[dict[str, Any]]:
    """The last items of :func:`layout_items`: the 版记 and the blank lines above it (none until
    the PDF's layout has measured them, ``doc.imprint_gap``); empty without a 版记."""
    return [dict(it, cc=breakable(it["cc"])) if it["t"] == "imprint" else it
            for it in imprint_items(doc, GEOMETRY["imprint_pt"])]


LETTERHEAD_COLOR = "#E60012"  # 红色 (GB/T 9704-2012 7.2.3, 7.2.5)


def _head(doc: Document) -> list[dict[str, Any]]:
    """版头 (GB/T 9704-2012 7.2): the 发文机关标志 with its top edge 35 mm below the 版心's, the
    发文字号 two lines below it (上行文: 发文字号 left and 签发人 right, each 1 character in),
    the red separator 4 mm below the 发文字号 (the bottom of its line), the title two lines
    below. Without a 标志 the 发文字号 line stands alone above the title. The 标志 and its
    space take a whole number of lines, so the text below keeps to the 22-line grid."""
    items: list[dict[str, Any]] = []
    pitch = GEOMETRY["pitch_pt"]
    if doc.letterhead:
        size = min(42.0, round(156 * MM / max(len(doc.letterhead), 1) - 0.5, 1))
        top = 35 * MM
        # LibreOffice sets the 标志's type 0.277 em higher in its exact line than Typst
        # (measured): the DOCX moves it down by that much ("docx_shift"), the PDF does not.
        shift = round(0.277 * size, 2)
        lines = -(-(top + size + shift) // pitch)  # the 标志 line box is as tall as its type
        items += [{"t": "space", "pt": round(top, 2), "docx_shift": shift},
                  par(doc.letterhead, font="title", name="发文机关标志", size=size, align="center", track=0)
                  | {"height": size, "color": LETTERHEAD_COLOR},
                  {"t": "space", "pt": round(lines * pitch - top - size, 2), "docx_shift": -shift},
                  {"t": "blank"}, {"t": "blank"}]
    if doc.doc_no or doc.signer:
        items.append({"t": "docno", "no": doc.doc_no, "signer": doc.signer})
        if doc.letterhead:
            items.append({"t": "blank", "rule": LETTERHEAD_COLOR})
        items.append({"t": "blank"})
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
            out.append(table_item(b.rows, *table_type(doc, b.rows)))
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


def _balanced_title(title: str, size: float, names: list[str]) -> str:
    """GB/T 9704 7.3.1: a long title breaks between words into a trapezoid or diamond (titles.py)."""
    from .titles import break_title  # jieba loads on the first long title only

    return break_title(title, 156 * MM / size, names)


def _signature(doc: Document) -> list[dict[str, Any]]:
    """Unsealed signature block (GB/T 9704-2012 7.3.5.2): the PDF carries a digital signature,
    not a seal. 署名 right-indented 2 characters; 成文日期 on the next line, its first character
    exactly 2 characters right of the 署名's; a date longer than that is right-indented 2
    characters and the 署名 moves left to keep the 2-character step. Both lines are set from
    the left, at indents measured in the body face, so the step is exact in PDF and DOCX.

    The block, the 附注 and the last body paragraph's last lines stay together (sticky), so the
    last page always carries body text (7.3.5: move lines rather than leave a bare signature)."""
    out: list[dict[str, Any]] = []
    date = doc.date_cn
    if not (doc.issuer or date) or (doc.style == "rules" and not doc.issuer):
        return out  # 制度 without an issuer carries no signature and no date
    out.append({"t": "blank", "sticky": True})
    issuer_w = max((measured_chars(line) for line in doc.issuer.split("\n")), default=0.0)
    date_w = measured_chars(date) if date else 0.0
    line = 28.0
    if not doc.issuer:
        issuer_left, date_left = 0.0, line - 2 - date_w
    elif date_w <= issuer_w - 2:
        issuer_left = line - 2 - issuer_w
        date_left = issuer_left + 2
    else:
        date_left = line - 2 - date_w
        issuer_left = date_left - 2
    has_note = bool(doc.note)
    if doc.issuer:
        out.append(par(doc.issuer, align="left", left=round(issuer_left, 3), name="发文机关署名",
                       sticky=True, keep=True))
    if date:
        out.append(par(date, align="left", left=round(date_left, 3), name="成文日期", keep=True, sticky=has_note))
    if doc.note:
        out.append(par(f"（{doc.note}）", first=2, name="附注", keep=True))
    return out


def measured_chars(text: str) -> float:
    """Width of ``text`` in body characters, from the body face's own advances (fonts.py)."""
    from .fonts import advance_pt

    return advance_pt("body", text, GEOMETRY["body_pt"], GEOMETRY["track_pt"]) / CHAR_PT


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
        elif item["t"] == "docno":
            parts.append(item["no"] + (f"签发人：{item['signer']}" if item["signer"] else ""))
        elif item["t"] == "imprint":
            parts.extend([item["cc"], item["printer"] + item["date"]])
    return "\n".join(p for p in parts if p)


def _attachment_lines(item: dict[str, Any]) -> list[str]:
    names = item["items"]
    if len(names) == 1:
        return [item["label"] + names[0]]
    return [(item["label"] if i == 0 else "") + f"{i + 1}.{n}" for i, n in enumerate(names)]


__all__ = ["layout_items", "expected_text", "GEOMETRY"]
