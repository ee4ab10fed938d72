"""Tables of the layout (layout.py): type by 文种, column widths by content, merged group cells,
and which rows stay whole or split keeping two lines on each side. Both renderers paint the item.
"""

from __future__ import annotations

import re
from typing import Any

from .geometry import GEOMETRY, MM
from .linebreak import body_em, breakable, wrap
from .measure import text_width_chars
from .model import Document

WHOLE_ROW_LINES = 8  # at most 8 lines left empty at a page's foot when such a row moves on
TABLE_PAD_PT = 4.0 * 2 + 1.0  # the 4 pt inset on each side (both renderers) and the borders
_TOKEN = re.compile(r"[\x21-\x7e]+|\S")  # an ASCII run (档号, phone) or one CJK character


# Table type (size, line pitch in pt). GB/T 9704-2012 sets no size for tables: 5.2.2 "如无特殊
# 说明，公文格式各要素一般用3号仿宋体字。特定情况可以作适当调整" — a table is such a case.
TABLE_TYPES: dict[str, tuple[float, float]] = {
    "letter": (GEOMETRY["table_pt"], GEOMETRY["pitch_pt"]),  # 4号 on the 22-line grid
    "form": (12.0, 20.0),  # 小四: forms are mostly table
    "scoresheet": (10.5, 15.0),  # 五号 for a score sheet's long scoring tables
    # The 红色物业 评分表 quotes a whole standard (15 items, 40 评分要点): 小五 in 11.5 pt rows,
    # the usual type of a 评分细则, keeps it to 4 pages (五号 in 13 pt rows takes 5, in 15 pt 6).
    "评分表": (9.0, 11.5),
}


def table_type(doc: Document, rows: list[list[str]]) -> tuple[float, float]:
    """The type of one table of ``doc``: by 文种 where one is named, else by house style (a score
    sheet's short result and signature tables as a form's)."""
    if doc.kind in TABLE_TYPES:
        return TABLE_TYPES[doc.kind]
    if doc.style == "scoresheet" and len(rows) <= 8:
        return TABLE_TYPES["form"]
    return TABLE_TYPES.get(doc.style, TABLE_TYPES["letter"])


def table_item(rows: list[list[str]], size: float, pitch: float) -> dict[str, Any]:
    """A table, first row the header, in ``size`` type on ``pitch`` rows (:func:`table_type`)."""
    ncols = max((len(r) for r in rows), default=1)
    rows = [list(r) + [""] * (ncols - len(r)) for r in rows]
    # Headers and short cells (序号, 分值, names) are centred; sentences start at the left.
    centred = [[r == 0 or len(c) <= 4 for c in row] for r, row in enumerate(rows)]
    widths = _column_widths(rows, size)
    spans = row_spans(rows)
    cells = [[breakable(c) for c in row] for row in rows]
    # A row that must split keeps at least two lines on each side. Typst keeps them with widow
    # and orphan control inside the cell; LibreOffice applies neither inside a table cell nor
    # keepLines or keepNext there (measured: a 13-line row split 12 | 1 and 1 | 12 with each
    # set), only w:cantSplit, all or nothing. So a row of up to WHOLE_ROW_LINES lines never
    # splits (w:cantSplit; Typst: not breakable), and a taller one is given its lines
    # (linebreak.wrap), which the DOCX sets as three rows without rules between them: its first
    # two lines and its last two each kept whole, the middle free to split (docx_tables.py).
    whole = [_row_lines(row, widths, size) <= WHOLE_ROW_LINES for row in rows]
    split = [False] * len(rows)
    for r in range(1, len(rows)):
        if not whole[r]:
            cells[r] = [_wrapped(c, w, size) for c, w in zip(cells[r], widths, strict=True)]
            split[r] = max(c.count("\n") for c in cells[r]) + 1 > 4
    return {
        "t": "table",
        "rows": cells,
        "spans": spans,
        "centred": centred,
        "widths": widths,
        "whole": whole,
        "split": split,
        "size": size,
        "pitch": pitch,
    }


def _wrapped(text: str, frac: float, size: float) -> str:
    """``text`` as the lines a cell ``frac`` of the 版心 wide sets it in, joined by newlines."""
    room = frac * 156 * MM - TABLE_PAD_PT + 0.01  # (a label the column was sized to fits)
    return "\n".join(wrap(text, body_em, size, room))


def _row_lines(row: list[str], widths: list[float], size: float) -> int:
    """The lines a row takes: its tallest cell's text over its column's width (estimated)."""
    def lines(text: str, frac: float) -> int:
        room = max(frac * 156 * MM - TABLE_PAD_PT, size)
        return sum(max(1, -(-int(text_width_chars(ln) * size) // int(room))) for ln in text.split("\n"))

    return max(lines(c, w) for c, w in zip(row, widths, strict=True))


def row_spans(rows: list[list[str]]) -> list[list[int]]:
    """Rows a cell spans (0: covered by the cell above). A body row that continues the one
    above — one cell filled (the next 评分要点), every other empty — merges its empty cells into
    the group's cells above (序号, 考评内容, 分值, 得分) instead of leaving them blank."""
    spans = [[1] * len(r) for r in rows]
    owner = [0] * (len(rows[0]) if rows else 0)  # the row whose cell a column's group is
    for r in range(1, len(rows)):
        filled = [c for c, cell in enumerate(rows[r]) if cell.strip()]
        if r > 1 and len(filled) == 1 and len(rows[r]) > 2:
            for c in range(len(rows[r])):
                if c not in filled:
                    spans[r][c] = 0
                    spans[owner[c]][c] += 1
                else:
                    owner[c] = r
        else:
            owner = [r] * len(rows[r])
    return spans


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
        # A label of up to 8 characters (业主回访满意度) never wraps: it would leave 度 alone.
        unbreakable = [ln for i, c in enumerate(cells) for ln in c.split("\n") if i == 0 or len(ln) <= 8]
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
