"""DOCX renderer (python-docx): the layout items of :mod:`.layout`, editable in Word and WPS.

Every line is set to an exact 579-twip pitch and every body run to −5 twips of tracking, the
same numbers the Typst layout uses, so the pages break alike (LibreOffice checks this in tests).
"""

from __future__ import annotations

import io
from copy import deepcopy
from datetime import UTC, datetime
from typing import Any

from docx import Document as new_docx
from docx.enum.section import WD_SECTION
from docx.enum.style import WD_STYLE_TYPE
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_LINE_SPACING, WD_TAB_ALIGNMENT
from docx.oxml import OxmlElement, parse_xml
from docx.oxml.ns import nsdecls, qn
from docx.shared import Emu, Mm, Pt, Twips
from docx.text.paragraph import Paragraph

from .docx_parts import (
    PPR_ORDER,
    TBLPR_ORDER,
    add_runs,
    fixed_table,
    font_table,
    fonts_xml,
    footer_codes,
    footers,
    put,
    set_run_format,
)
from .docx_tables import add_table
from .fonts import Face, faces, pieces
from .kept import KeptBytes
from .layout import CHAR_PT, GEOMETRY, layout_imprint, layout_items
from .model import Document

G = GEOMETRY
PITCH = Twips(579)
ALIGN = {
    "left": WD_ALIGN_PARAGRAPH.LEFT,
    "center": WD_ALIGN_PARAGRAPH.CENTER,
    "right": WD_ALIGN_PARAGRAPH.RIGHT,
    "justify": WD_ALIGN_PARAGRAPH.JUSTIFY,
}


def render_docx(doc: Document) -> bytes:
    if doc.printer and doc.imprint_gap < 0:
        from .pdf import imprint_gap  # where the 版记 goes is measured on the PDF's layout

        doc.imprint_gap = imprint_gap(doc)
    return finish_docx(start_docx(doc, draft_items(doc)), doc)


def draft_items(doc: Document) -> list[dict[str, Any]]:
    """The layout's items without the blank lines above the 版记 (the PDF's layout measures
    them: ``doc.imprint_gap``)."""
    items, imprint = layout_items(doc), layout_imprint(doc)
    return items[:len(items) - len(imprint)] + imprint[-1:]


class DocxDraft:
    """A DOCX being built: all painted but the 版记's blank lines and the footers' code."""

    def __init__(self, d: Any, face: dict[str, Face]):
        self.d, self.face = d, face
        self.imprint: Any = None  # the 版记's table: its blank lines go in before it


def start_docx(doc: Document, items: list[dict[str, Any]]) -> DocxDraft:
    """The DOCX with ``items`` (:func:`draft_items`) painted and the footers' page numbers;
    reads nothing of ``doc`` that the PDF's layout sets (the 版记's gap, the page count in the
    code), so it is built while Typst lays the PDF out."""
    face = faces()
    d = new_docx(io.BytesIO(_base(face)))
    d.core_properties.title = doc.title
    d.core_properties.author = doc.issuer.replace("\n", " ")
    d.core_properties.language = "zh-CN"
    d.core_properties.last_modified_by = "sanfang-docs"
    d.core_properties.comments = ""
    d.core_properties.created = d.core_properties.modified = datetime.now(UTC).replace(microsecond=0)
    draft = DocxDraft(d, face)
    _paint(draft, items)
    if items and items[-1]["t"] == "imprint":
        body = d.element.body
        draft.imprint = body[len(body) - 2]  # (the section's properties come last)
    footers(d, face)
    return draft


def finish_docx(draft: DocxDraft, doc: Document) -> bytes:
    """The 版记's blank lines, as many as the PDF's layout left above it, and the footers' code
    with the PDF's page count; then the file."""
    if draft.imprint is not None and doc.imprint_gap > 0:
        _paint(draft, [{"t": "blank", "sticky": True}])  # one as layout_imprint gives, moved up
        blank = draft.d.element.body[-2]  # (the section's properties come last)
        draft.imprint.addprevious(blank)
        for _ in range(doc.imprint_gap - 1):
            draft.imprint.addprevious(deepcopy(blank))
    footer_codes(draft.d, doc.qr_payload)
    out = io.BytesIO()
    draft.d.save(out)
    return out.getvalue()


def _paint(draft: DocxDraft, items: list[dict[str, Any]]) -> None:
    d, face = draft.d, draft.face
    for item in items:
        if item["t"] == "par":
            _paragraph(d, face, item)
        elif item["t"] == "blank":
            blank = _add_par(d, "公文正文")
            if item.get("rule"):
                _rule_above(blank, item["rule"])
            if item.get("sticky"):
                blank.paragraph_format.keep_with_next = True
        elif item["t"] == "space":
            _space(d, item["pt"] + item.get("docx_shift", 0.0))
        elif item["t"] == "docno":
            _docno(d, face, item)
        elif item["t"] == "attachments":
            _attachments(d, face["body"], item)
        elif item["t"] == "table":
            add_table(d, face, item)
        elif item["t"] == "imprint":
            _imprint(d, face["body"], item)


def _opens(data: bytes) -> bool:
    try:
        new_docx(io.BytesIO(data))
    except Exception:  # noqa: BLE001 - a damaged file fails in many ways (zip, XML, parts)
        return False
    return True


_BASES = KeptBytes("docx-base", [__file__, __file__.replace("docx.py", "docx_parts.py"), new_docx.__code__.co_filename],
                   usable=_opens)


def _base(face: dict[str, Face]) -> bytes:
    """An empty document with our styles and page setup, built once (styles cost ~30 ms) and
    kept between processes (``_BASES`` is kept.py's: under this code and python-docx's)."""
    key = tuple(sorted((role, f.family, f.bold) for role, f in face.items()))
    if key not in _BASES:
        d = new_docx()
        _prune(d)
        _setup_styles(d, face)
        _setup_settings(d)
        _setup_section(d)
        font_table(d, face)
        for p in [p for p in d.element.body if p.tag != qn("w:sectPr")]:
            d.element.body.remove(p)
        out = io.BytesIO()
        d.save(out)
        _BASES[key] = out.getvalue()
    return _BASES[key]


_KEEP_STYLES = {"Normal", "DefaultParagraphFont", "TableNormal", "NoList", "TableGrid", "Header", "Footer"}


def _prune(d: Any) -> None:
    """Drop what python-docx's template carries and we never use (800 kB of styles, a
    thumbnail of an English page): smaller files, and each render parses and zips less."""
    for rels, kinds in (
        (d.part.rels, ("stylesWithEffects", "customXml")),
        (d.part.package.rels, ("thumbnail",)),
    ):
        for rid, rel in list(rels.items()):
            if rel.reltype.rsplit("/", 1)[-1] in kinds:
                rels.pop(rid)
    styles = d.styles.element
    for el in list(styles):
        if el.tag == qn("w:latentStyles"):
            styles.remove(el)
        elif el.tag == qn("w:style") and el.get(qn("w:styleId")) not in _KEEP_STYLES:
            styles.remove(el)


def _add_par(container: Any, style_id: str) -> Any:
    # Setting the style id directly: python-docx's lookup by name scans every style each time.
    p = container.add_paragraph()
    p._p.style = style_id
    return p


def _setup_styles(d: Any, face: dict[str, Face]) -> None:
    styles = d.styles.element
    rpr_default = styles.find(qn("w:docDefaults")).find(qn("w:rPrDefault")).find(qn("w:rPr"))
    set_run_format(rpr_default, face["body"], G["body_pt"], 0)
    lang = rpr_default.find(qn("w:lang"))
    # Latin letters and digits are "western" text: with zh-CN there, LibreOffice breaks lines
    # inside numbers (202 | 6年, 027-87951 | 234); as en-US they break only where Typst and
    # Word break them. Chinese stays zh-CN.
    lang.set(qn("w:val"), "en-US")
    lang.set(qn("w:eastAsia"), "zh-CN")
    ppr_default = styles.find(qn("w:docDefaults")).find(qn("w:pPrDefault")).find(qn("w:pPr"))
    for el in list(ppr_default):
        ppr_default.remove(el)
    _plain_punctuation(ppr_default)

    normal = d.styles["Normal"]
    _style_common(normal, face["body"], G["body_pt"], G["track_pt"])
    named = {
        "公文正文": ("body", G["body_pt"], G["track_pt"]),
        "公文标题": ("title", G["title_pt"], 0.0),
        "一级标题": ("hei", G["body_pt"], G["track_pt"]),
        "二级标题": ("kai", G["body_pt"], G["track_pt"]),
        "三级标题": ("body", G["body_pt"], G["track_pt"]),
        "表格文字": ("body", G["table_pt"], 0.0),
        "页码": ("song", G["folio_pt"], 0.0),
    }
    for name, (role, size, track) in named.items():
        st = d.styles.add_style(name, WD_STYLE_TYPE.PARAGRAPH)
        st.base_style = normal
        st.quick_style = True
        _style_common(st, face[role], size, track)
        if name in ("一级标题", "二级标题", "三级标题"):
            st.paragraph_format.keep_with_next = True
        if name == "公文标题":
            st.paragraph_format.alignment = WD_ALIGN_PARAGRAPH.CENTER
        if name in ("公文标题", "表格文字"):
            # LibreOffice gives a 22 pt line two grid cells, and grid cells ignore the table
            # row trim below; off the grid these lines keep their exact heights.
            put(st.element.get_or_add_pPr(), "snapToGrid", PPR_ORDER, val="0")


def _style_common(st: Any, face: Face, size: float, track: float) -> None:
    pf = st.paragraph_format
    pf.line_spacing_rule = WD_LINE_SPACING.EXACTLY
    pf.line_spacing = PITCH
    pf.space_before = Pt(0)
    pf.space_after = Pt(0)
    pf.widow_control = False  # the PDF does not move lines for widows either
    pf.alignment = WD_ALIGN_PARAGRAPH.JUSTIFY
    _plain_punctuation(st.element.get_or_add_pPr())
    set_run_format(st.element.get_or_add_rPr(), face, size, track)


def _plain_punctuation(ppr: Any) -> None:
    # w:overflowPunct="1", Word's own default, said out loud: LibreOffice imports it inverted,
    # and with "0" it drops a comma that falls at a line end (7.4, zh-CN). With "1" LibreOffice
    # moves the previous character down, as Typst does; Word may hang the comma in the margin.
    # (The automatic small space between Chinese and digits stays on, as Word does by
    # default; LibreOffice ignores w:autoSpaceDN anyway, and Typst is given the same space.)
    put(ppr, "overflowPunct", PPR_ORDER, val="1")

def _setup_settings(d: Any) -> None:
    d.settings.odd_and_even_pages_header_footer = True  # page numbers: odd right, even left
    settings = d.settings.element
    lang = settings.find(qn("w:themeFontLang"))
    if lang is not None:
        lang.set(qn("w:eastAsia"), "zh-CN")
    compat = settings.find(qn("w:compat"))
    if compat is not None:
        # A line ended by a line break (a newline in an answer) is not stretched.
        compat.insert(0, OxmlElement("w:doNotExpandShiftReturn"))


def _setup_section(d: Any) -> None:
    s = d.sections[0]
    s.start_type = WD_SECTION.NEW_PAGE
    s.page_width, s.page_height = Mm(G["page_w"]), Mm(G["page_h"])
    s.top_margin, s.bottom_margin = Mm(G["top"] - G["docx_raise"]), Mm(G["bottom"] + G["docx_raise"])
    s.left_margin, s.right_margin = Mm(G["left"]), Mm(G["right"])
    s.header_distance = Mm(15)
    # Footer paragraph is one 16 pt line whose top lies 7 mm below the 版心.
    s.footer_distance = Mm(G["bottom"] - G["folio_gap"]) - Pt(16)
    grid = s._sectPr.find(qn("w:docGrid"))
    grid.set(qn("w:type"), "lines")
    grid.set(qn("w:linePitch"), "579")


# ---------------------------------------------------------------- body


def _indent(pf: Any, item: dict[str, Any]) -> None:
    ch = Pt(CHAR_PT)
    if item["left"]:
        pf.left_indent = Emu(int(ch * item["left"]))
    if item["right"]:
        pf.right_indent = Emu(int(ch * item["right"]))
    if item["first"]:
        pf.first_line_indent = Emu(int(ch * item["first"]))


def _paragraph(d: Any, face: dict[str, Face], item: dict[str, Any]) -> None:
    style = item["name"] if item["name"] in _STYLE_NAMES else "公文正文"
    key = (style, item["align"], item["left"], item["right"], item["first"], bool(item["sticky"]),
           bool(item["keep"]), item.get("height"))
    made = _par_formats.get(key)
    if made is None:  # built once per format, copied after (python-docx's setters were slow)
        scratch = Paragraph(OxmlElement("w:p"), None)
        scratch._p.style = style
        pf = scratch.paragraph_format
        pf.alignment = ALIGN[item["align"]]
        _indent(pf, item)
        if item["sticky"]:
            pf.keep_with_next = True
        if item["keep"]:
            pf.keep_together = True
        if item.get("height"):  # the 发文机关标志: its own exact line height, off the grid
            pf.line_spacing = Pt(item["height"])
            put(scratch._p.get_or_add_pPr(), "snapToGrid", PPR_ORDER, val="0")
        made = _par_formats[key] = scratch._p.pPr
    p = d.add_paragraph()
    p._p.insert(0, deepcopy(made))
    for run in item["runs"]:
        add_runs(p, run["text"], face[run["font"]], item["size"], run.get("track", item["track"]), item.get("color"))


_par_formats: dict[tuple[Any, ...], Any] = {}
_STYLE_NAMES = {"公文正文", "公文标题", "一级标题", "二级标题", "三级标题"}


def _space(d: Any, pt: float) -> None:
    """Vertical space of an exact height (the 版头's 35 mm), as an empty off-grid line."""
    p = _add_par(d, "公文正文")
    p.paragraph_format.line_spacing = Pt(pt)
    put(p._p.get_or_add_pPr(), "snapToGrid", PPR_ORDER, val="0")
    p.paragraph_format.keep_with_next = True


def _rule_above(p: Any, color: str) -> None:
    """The 版头's red separator: a 1 pt border on the top edge of the line below the 发文字号."""
    border = parse_xml(f'<w:pBdr {nsdecls("w")}><w:top w:val="single" w:sz="8" w:space="0" '
                       f'w:color="{color.lstrip("#")}"/></w:pBdr>')
    ppr = p._p.get_or_add_pPr()
    ppr.insert(1, border)  # after pStyle, the only child so far (schema order)
    # A border adds its width to the line in Word and LibreOffice: take it off the line.
    # (Off the grid, or LibreOffice rounds the shortened line back up to a whole grid line.)
    p.paragraph_format.line_spacing = Twips(579 - 20)
    put(ppr, "snapToGrid", PPR_ORDER, val="0")


def _imprint(d: Any, body: Face, item: dict[str, Any]) -> None:
    """版记 (layout._imprint) as a one-column table: Word and LibreOffice draw a paragraph's
    borders between its indents, a table's across the 版心, with the 1-character insets as cell
    margins. Its rows are 4号 lines on the grid; a border adds its width to a row in LibreOffice,
    so the lines it touches give it back."""
    one = Pt(item["size"])
    thick, thin = (round(G[k] * 8) for k in ("imprint_rule_pt", "imprint_thin_pt"))  # eighths of a pt
    rows = ([(item["cc"], item["cc_lines"])] if item["cc"] else []) + [(item["printer"] + "\t" + item["date"], 1)]
    t = fixed_table(d, len(rows), [1.0], int(one.twips))  # the 1-character insets
    total = t.columns[0].width
    edges = {"top": thick, "left": 0, "bottom": thick, "right": 0, "insideH": thin, "insideV": 0}
    put(t._tbl.tblPr, "tblBorders", TBLPR_ORDER).extend(
        parse_xml(f'<w:{side} {nsdecls("w")} w:val="{"single" if sz else "nil"}" w:sz="{sz}" w:space="0" '
                  'w:color="000000"/>') for side, sz in edges.items())
    for r, (text, lines) in enumerate(rows):
        trpr = t.rows[r]._tr.get_or_add_trPr()
        trpr.append(OxmlElement("w:cantSplit"))
        cell = t.rows[r].cells[0]
        cell.width = total
        p = cell.paragraphs[0]
        p._p.style = "公文正文"
        pf = p.paragraph_format
        pf.alignment = WD_ALIGN_PARAGRAPH.LEFT
        pf.keep_with_next = r < len(rows) - 1
        if "\t" in text:  # 印发机关 left, 印发日期 right
            pf.tab_stops.add_tab_stop(total - one - one, WD_TAB_ALIGNMENT.RIGHT)
        else:  # 抄送：A，B: wrapped lines under A
            pf.left_indent, pf.first_line_indent = one * 3, -one * 3
        # Each row carries the border below it, the first also the table's top one (as in _table).
        below = thick if r == len(rows) - 1 else thin
        taken = ((thick if r == 0 else 0) + below) * 20 / 8  # twips
        pf.line_spacing = Twips(round(579 - taken / lines))
        put(p._p.get_or_add_pPr(), "snapToGrid", PPR_ORDER, val="0")
        add_runs(p, text, body, item["size"], 0.0)


def _docno(d: Any, face: dict[str, Face], item: dict[str, Any]) -> None:
    """发文字号 centred; with a 签发人, 发文字号 1 character in on the left and 签发人 1 in on the right."""
    p = _add_par(d, "公文正文")
    pf = p.paragraph_format
    pf.keep_with_next = True
    body = (face["body"], G["body_pt"], G["track_pt"])
    if not item["signer"]:
        pf.alignment = WD_ALIGN_PARAGRAPH.CENTER
        set_run_format(p.add_run(item["no"])._r.get_or_add_rPr(), *body)
        return
    ch = Pt(CHAR_PT)
    pf.alignment = WD_ALIGN_PARAGRAPH.LEFT
    pf.left_indent, pf.right_indent = ch, ch
    pf.tab_stops.add_tab_stop(Mm(156) - ch, WD_TAB_ALIGNMENT.RIGHT)
    set_run_format(p.add_run(item["no"] + "\t签发人：")._r.get_or_add_rPr(), *body)
    set_run_format(p.add_run(item["signer"])._r.get_or_add_rPr(), face["kai"], G["body_pt"], G["track_pt"])


def _attachments(d: Any, body: Face, item: dict[str, Any]) -> None:
    """附件说明: 附件：1.×× with later numbers under the first, names wrapping under names."""
    names = item["items"]
    label_w = 3.0  # 附件：
    num_w = 0.0 if len(names) == 1 else (1.0 if len(names) < 10 else 1.5)
    ch = Pt(CHAR_PT)
    left = Emu(int(ch * (2 + label_w + num_w)))
    for i, name in enumerate(names):
        p = _add_par(d, "公文正文")
        pf = p.paragraph_format
        pf.alignment = WD_ALIGN_PARAGRAPH.LEFT
        pf.left_indent = left
        pf.first_line_indent = -Emu(int(ch * ((label_w if i == 0 else 0) + num_w)))
        if num_w:
            pf.tab_stops.add_tab_stop(left)
        if item.get("sticky"):
            pf.keep_with_next = True  # goes with the signature (layout.py)
        head = item["label"] if i == 0 else ""
        number = f"{i + 1}.\t" if num_w else ""
        for piece, use in pieces(head + number + name, body):
            r = p.add_run(piece)  # the style's face, or a fallback for 生僻字
            if use is not body:
                fonts_xml(r._r.get_or_add_rPr(), use)
