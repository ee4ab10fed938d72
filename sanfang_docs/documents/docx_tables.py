"""Tables of the DOCX renderer (docx.py): the layout's table items (tables.table_item) as Word tables
on the line grid, group cells merged, and rows that keep at least two lines on each side of a
page break.

LibreOffice keeps a row together only as a whole (w:cantSplit); inside a cell it applies no
widow or orphan control, keepLines or keepNext. So a row that may split (layout: taller than
WHOLE_ROW_LINES, given its lines) is written as three rows with no rule between them: its first
two lines and its last two, each w:cantSplit, and the lines between, free to split. The page can
then break only where two lines or more stay on each side, as in the PDF (Typst: widow and
orphan control in the cell). Word and WPS read the same three rows as one row.
"""

from __future__ import annotations

from typing import Any

from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement, parse_xml
from docx.oxml.ns import nsdecls, qn
from docx.shared import Twips

from .docx_parts import add_runs, fixed_table, put
from .fonts import Face

KEPT_LINES = 2  # lines a split row keeps on each side of a page break
CELL_INSET = 80  # twips between a cell's rules and its text, left and right
_TCPR_ORDER = ["cnfStyle", "tcW", "gridSpan", "hMerge", "vMerge", "tcBorders"]


def _parts(item: dict[str, Any]) -> list[tuple[int, list[str], str]]:
    """The rows to write, as (layout row, cell texts, part): part is "" for a row written whole,
    else "first", "middle" or "last" of a row that may split."""
    out: list[tuple[int, list[str], str]] = []
    for r, row in enumerate(item["rows"]):
        if not item["split"][r]:
            out.append((r, row, ""))
            continue
        lines = [cell.split("\n") for cell in row]
        n = max(len(cell) for cell in lines)
        cuts = [(0, KEPT_LINES, "first"), (KEPT_LINES, n - KEPT_LINES, "middle"), (n - KEPT_LINES, n, "last")]
        out += [(r, ["\n".join(cell[a:b]) for cell in lines], part) for a, b, part in cuts]
    return out


def add_table(d: Any, face: dict[str, Face], item: dict[str, Any]) -> None:
    rows = item["rows"]
    parts = _parts(item)
    t = fixed_table(d, len(parts), item["widths"], CELL_INSET)
    t._tbl.tblPr.style = "TableGrid"
    widths = [col.width for col in t.columns]
    written: dict[int, list[int]] = {}  # layout row -> the rows written for it (group merges)
    for w, (r, row, part) in enumerate(parts):
        written.setdefault(r, []).append(w)
        tr = t.rows[w]
        trpr = tr._tr.get_or_add_trPr()
        if r == 0 or item["whole"][r] or part in ("first", "last"):
            # The header row and a short row stay whole (the header repeats); a tall body row
            # may run on to the next page rather than leave half a page empty, as in the PDF.
            trpr.append(OxmlElement("w:cantSplit"))
        if r == 0:
            trpr.append(OxmlElement("w:tblHeader"))  # repeat the header on every page
        for c, text in enumerate(row):
            cell = tr.cells[c]
            cell.width = widths[c]
            if part:
                _open_edges(cell, top=part != "first", bottom=part != "last")
            p = cell.paragraphs[0]
            p._p.style = "表格文字"
            centred = item["centred"][r][c]
            p.paragraph_format.alignment = WD_ALIGN_PARAGRAPH.CENTER if centred else WD_ALIGN_PARAGRAPH.LEFT
            # Borders (0.5 pt = 10 twips) add to a row's height in LibreOffice: take them off
            # the line so each row is one grid line, as in the PDF (the first row has two).
            p.paragraph_format.line_spacing = Twips(round(item["pitch"] * 20) - (20 if r == 0 else 10))
            if item.get("sticky") and w == len(parts) - 1:
                p.paragraph_format.keep_with_next = True  # the last row goes with the signature
            add_runs(p, text, face["hei" if r == 0 else "body"], item["size"], 0.0)
    _merge_groups(t, item.get("spans") or [], [written[r] for r in range(len(rows))])


def _open_edges(cell: Any, top: bool, bottom: bool) -> None:
    """No rule between the parts of one split row (it reads as one row)."""
    sides = [side for side, open_ in (("top", top), ("bottom", bottom)) if open_]
    borders = put(cell._tc.get_or_add_tcPr(), "tcBorders", _TCPR_ORDER)
    borders.extend(parse_xml(f'<w:{side} {nsdecls("w")} w:val="nil"/>') for side in sides)


def _merge_groups(t: Any, spans: list[list[int]], at: list[list[int]]) -> None:
    """A group's cells over its continuation rows, as in the PDF (tables.row_spans): w:vMerge.
    (``at``: the rows written for each layout row; a split row's parts continue the merge.)"""
    for r, row in enumerate(spans):
        for c, span in enumerate(row):
            if span > 1:
                top, *rest = [w for below in range(r, r + span) for w in at[below]]
                for w in rest:
                    tc = t.cell(w, c)._tc
                    for p in tc.findall(qn("w:p"))[1:]:
                        tc.remove(p)
                    put(tc.get_or_add_tcPr(), "vMerge", _TCPR_ORDER)
                put(t.cell(top, c)._tc.get_or_add_tcPr(), "vMerge", _TCPR_ORDER, val="restart")
