"""DOCX renderer (python-docx): the layout items of :mod:`.layout`, editable in Word and WPS.

Every line is set to an exact 579-twip pitch and every body run to −5 twips of tracking, the
same numbers the Typst layout uses, so the pages break alike (LibreOffice checks this in tests).
"""

from __future__ import annotations

import io
from datetime import UTC, datetime
from typing import Any

from docx import Document as new_docx
from docx.enum.section import WD_SECTION
from docx.enum.style import WD_STYLE_TYPE
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_LINE_SPACING
from docx.oxml import OxmlElement, parse_xml
from docx.oxml.ns import nsdecls, qn
from docx.shared import Emu, Mm, Pt, Twips

from .fonts import Face, faces, pieces
from .layout import CHAR_PT, GEOMETRY, layout_items
from .model import Document
from .qr import qr_png

G = GEOMETRY
PITCH = Twips(579)
ALIGN = {
    "left": WD_ALIGN_PARAGRAPH.LEFT,
    "center": WD_ALIGN_PARAGRAPH.CENTER,
    "right": WD_ALIGN_PARAGRAPH.RIGHT,
    "justify": WD_ALIGN_PARAGRAPH.JUSTIFY,
}


def render_docx(doc: Document) -> bytes:
    face = faces()
    d = new_docx(io.BytesIO(_base(face)))
    d.core_properties.title = doc.title
    d.core_properties.author = doc.issuer.replace("\n", " ")
    d.core_properties.language = "zh-CN"
    d.core_properties.last_modified_by = "sanfang-docs"
    d.core_properties.comments = ""
    d.core_properties.created = d.core_properties.modified = datetime.now(UTC).replace(microsecond=0)
    for item in layout_items(doc):
        if item["t"] == "par":
            _paragraph(d, face, item)
        elif item["t"] == "blank":
            _add_par(d, "公文正文")
        elif item["t"] == "attachments":
            _attachments(d, face["body"], item)
        elif item["t"] == "table":
            _table(d, face, item)
    _footers(d, face, doc.qr_payload)
    out = io.BytesIO()
    d.save(out)
    return out.getvalue()


_BASES: dict[tuple[Any, ...], bytes] = {}


def _base(face: dict[str, Face]) -> bytes:
    """An empty document with our styles and page setup, built once (styles cost ~30 ms)."""
    key = tuple(sorted((role, f.family, f.bold) for role, f in face.items()))
    if key not in _BASES:
        d = new_docx()
        _prune(d)
        _setup_styles(d, face)
        _setup_settings(d)
        _setup_section(d)
        body = d.element.body
        for p in list(body):
            if p.tag != qn("w:sectPr"):
                body.remove(p)
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


# ---------------------------------------------------------------- fonts and styles

# Schema order of the children we touch (Word rejects out-of-order elements).
_RPR_ORDER = "rStyle rFonts b bCs i iCs caps smallCaps strike dstrike outline shadow emboss imprint noProof snapToGrid vanish webHidden color spacing w kern position sz szCs highlight u effect bdr shd fitText vertAlign rtl cs em lang eastAsianLayout specVanish oMath".split()
_TBLPR_ORDER = "tblStyle tblpPr tblOverlap bidiVisual tblStyleRowBandSize tblStyleColBandSize tblW jc tblCellSpacing tblInd tblBorders shd tblLayout tblCellMar tblLook".split()
_PPR_ORDER = "pStyle keepNext keepLines pageBreakBefore framePr widowControl numPr suppressLineNumbers pBdr shd tabs suppressAutoHyphens kinsoku wordWrap overflowPunct topLinePunct autoSpaceDE autoSpaceDN bidi adjustRightInd snapToGrid spacing ind contextualSpacing mirrorIndents suppressOverlap jc textDirection textAlignment textboxTightWrap outlineLvl divId cnfStyle rPr sectPr pPrChange".split()


def _put(parent: Any, tag: str, order: list[str], **attrs: str) -> Any:
    """Replace ``parent``'s ``w:tag`` child with a new one, inserted in schema order."""
    for old in parent.findall(qn(f"w:{tag}")):
        parent.remove(old)
    el = OxmlElement(f"w:{tag}")
    for k, v in attrs.items():
        el.set(qn(f"w:{k}"), v)
    rank = order.index(tag)
    for i, child in enumerate(parent):
        name = child.tag.split("}")[-1]
        if name in order and order.index(name) > rank:
            parent.insert(i, el)
            return el
    parent.append(el)
    return el


def _fonts_xml(rpr: Any, face: Face) -> None:
    """Name the face in every slot: Word picks w:eastAsia for Chinese, w:ascii for digits."""
    rfonts = rpr.find(qn("w:rFonts"))
    if rfonts is None:
        rfonts = OxmlElement("w:rFonts")
        rpr.insert(0, rfonts)
    for attr in list(rfonts.attrib):
        if attr.endswith("Theme") or attr.endswith("theme"):
            del rfonts.attrib[attr]  # theme fonts would override the names below
    for slot in ("ascii", "hAnsi", "eastAsia", "cs"):
        rfonts.set(qn(f"w:{slot}"), face.family)
    rfonts.set(qn("w:hint"), "eastAsia")


def _set_run_format(rpr: Any, face: Face, size: float, track: float) -> None:
    _fonts_xml(rpr, face)
    for tag in ("b", "bCs"):
        if face.bold:
            _put(rpr, tag, _RPR_ORDER)
        else:
            _put(rpr, tag, _RPR_ORDER, val="0")
    _put(rpr, "spacing", _RPR_ORDER, val=str(round(track * 20)))
    _put(rpr, "sz", _RPR_ORDER, val=str(round(size * 2)))
    _put(rpr, "szCs", _RPR_ORDER, val=str(round(size * 2)))


def _setup_styles(d: Any, face: dict[str, Face]) -> None:
    styles = d.styles.element
    rpr_default = styles.find(qn("w:docDefaults")).find(qn("w:rPrDefault")).find(qn("w:rPr"))
    _set_run_format(rpr_default, face["body"], G["body_pt"], 0)
    lang = rpr_default.find(qn("w:lang"))
    lang.set(qn("w:val"), "zh-CN")
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
            _put(st.element.get_or_add_pPr(), "snapToGrid", _PPR_ORDER, val="0")


def _style_common(st: Any, face: Face, size: float, track: float) -> None:
    pf = st.paragraph_format
    pf.line_spacing_rule = WD_LINE_SPACING.EXACTLY
    pf.line_spacing = PITCH
    pf.space_before = Pt(0)
    pf.space_after = Pt(0)
    pf.widow_control = False  # the PDF does not move lines for widows either
    pf.alignment = WD_ALIGN_PARAGRAPH.JUSTIFY
    _plain_punctuation(st.element.get_or_add_pPr())
    _set_run_format(st.element.get_or_add_rPr(), face, size, track)


def _plain_punctuation(ppr: Any) -> None:
    # w:overflowPunct="1", Word's own default, said out loud: LibreOffice imports it inverted,
    # and with "0" it drops a comma that falls at a line end (7.4, zh-CN). With "1" LibreOffice
    # moves the previous character down, as Typst does; Word may hang the comma in the margin.
    # (The automatic small space between Chinese and digits stays on, as Word does by
    # default; LibreOffice ignores w:autoSpaceDN anyway, and Typst is given the same space.)
    _put(ppr, "overflowPunct", _PPR_ORDER, val="1")


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
    s.top_margin, s.bottom_margin = Mm(G["top"]), Mm(G["bottom"])
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
    p = _add_par(d, item["name"] if item["name"] in _STYLE_NAMES else "公文正文")
    pf = p.paragraph_format
    pf.alignment = ALIGN[item["align"]]
    _indent(pf, item)
    if item["sticky"]:
        pf.keep_with_next = True
    if item["keep"]:
        pf.keep_together = True
    for run in item["runs"]:
        _runs(p, run["text"], face[run["font"]], item["size"], item["track"])


def _runs(p: Any, text: str, face: Face, size: float, track: float) -> None:
    """Runs of ``text`` in ``face``, with 生僻字 in a fallback face that has them (fonts.pieces)."""
    for piece, use in pieces(text, face):
        r = p.add_run(piece)  # python-docx turns "\n" into a line break, "\t" into a tab
        _set_run_format(r._r.get_or_add_rPr(), use, size, track)


_STYLE_NAMES = {"公文正文", "公文标题", "一级标题", "二级标题", "三级标题"}


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
        head = item["label"] if i == 0 else ""
        number = f"{i + 1}.\t" if num_w else ""
        for piece, use in pieces(head + number + name, body):
            r = p.add_run(piece)  # the style's face, or a fallback for 生僻字
            if use is not body:
                _fonts_xml(r._r.get_or_add_rPr(), use)


def _table(d: Any, face: dict[str, Face], item: dict[str, Any]) -> None:
    rows = item["rows"]
    ncols = len(item["widths"])
    t = d.add_table(rows=len(rows), cols=ncols)
    t.autofit = False
    total = Mm(156)
    widths = [Emu(int(total * w)) for w in item["widths"]]
    tblpr = t._tbl.tblPr
    tblpr.style = "TableGrid"
    _put(tblpr, "tblW", _TBLPR_ORDER, w=str(int(total.twips)), type="dxa")
    # Indented by the cell margin, so the borders (not the text) meet the 版心's edges, as in the PDF.
    _put(tblpr, "tblInd", _TBLPR_ORDER, w="80", type="dxa")
    _put(tblpr, "tblLayout", _TBLPR_ORDER, type="fixed")
    # No top/bottom cell margins: rows keep to the line grid.
    mar = _put(tblpr, "tblCellMar", _TBLPR_ORDER)
    for side, width in (("top", "0"), ("left", "80"), ("bottom", "0"), ("right", "80")):
        el = OxmlElement(f"w:{side}")
        el.set(qn("w:w"), width)
        el.set(qn("w:type"), "dxa")
        mar.append(el)
    for c, col in enumerate(t.columns):
        col.width = widths[c]
    for r, row in enumerate(rows):
        tr = t.rows[r]
        trpr = tr._tr.get_or_add_trPr()
        if r == 0:
            # The header row stays whole (and repeats); a tall body row may run on to the next
            # page rather than leave half a page empty — the Typst layout does the same.
            trpr.append(OxmlElement("w:cantSplit"))
        if r == 0:
            trpr.append(OxmlElement("w:tblHeader"))  # repeat the header on every page
        for c, text in enumerate(row):
            cell = tr.cells[c]
            cell.width = widths[c]
            p = cell.paragraphs[0]
            p._p.style = "表格文字"
            centred = item["centred"][r][c]
            p.paragraph_format.alignment = WD_ALIGN_PARAGRAPH.CENTER if centred else WD_ALIGN_PARAGRAPH.LEFT
            # Borders (0.5 pt = 10 twips) add to a row's height in LibreOffice: take them off
            # the line so each row is one grid line, as in the PDF (the first row has two).
            p.paragraph_format.line_spacing = Twips(round(item["pitch"] * 20) - (20 if r == 0 else 10))
            _runs(p, text, face["hei" if r == 0 else "body"], item["size"], 0.0)


# ---------------------------------------------------------------- footers: page number and QR


def _footers(d: Any, face: dict[str, Face], payload: str) -> None:
    s = d.sections[0]
    png = qr_png(payload) if payload else None
    for n, (footer, odd) in enumerate(((s.footer, True), (s.even_page_footer, False)), start=1):
        footer.is_linked_to_previous = False
        p = footer.paragraphs[0]
        p._p.style = "页码"
        pf = p.paragraph_format
        pf.line_spacing = Pt(16)
        pf.first_line_indent = None
        one = Pt(G["folio_pt"])  # 1 character at 4号
        if odd:
            pf.alignment, pf.right_indent = WD_ALIGN_PARAGRAPH.RIGHT, one
        else:
            pf.alignment, pf.left_indent = WD_ALIGN_PARAGRAPH.LEFT, one
        p.add_run("— ")
        _page_field(p)
        p.add_run(" —")
        if png is not None:
            _anchored_picture(p, png, 1000 + n)


def _page_field(p: Any) -> None:
    """A PAGE field as begin/instr/separate/result/end runs (read by Word, WPS and LibreOffice)."""
    for inner in (
        '<w:fldChar w:fldCharType="begin"/>',
        '<w:instrText xml:space="preserve"> PAGE </w:instrText>',
        '<w:fldChar w:fldCharType="separate"/>',
        "<w:t>1</w:t>",
        '<w:fldChar w:fldCharType="end"/>',
    ):
        p._p.append(parse_xml(f"<w:r {nsdecls('w')}>{inner}</w:r>"))


def _anchored_picture(p: Any, png: bytes, shape_id: int) -> None:
    """The QR as a floating picture fixed to the page corner: in a footer it shows on every page."""
    size = Mm(G["qr_size"])
    run = p.add_run()
    run.add_picture(io.BytesIO(png), width=size, height=size)
    inline = run._r.find(qn("w:drawing")).find(qn("wp:inline"))
    x = Mm(G["qr_x"])
    y = Mm(G["page_h"] - G["qr_bottom"] - G["qr_size"])
    doc_pr = inline.find(qn("wp:docPr"))
    doc_pr.set("id", str(shape_id))  # unique across the footers, or Word reports damage
    doc_pr.set("name", f"QR {shape_id}")
    graphic = inline.find(qn("a:graphic"))
    anchor = parse_xml(
        f'<wp:anchor {nsdecls("wp", "a", "pic", "r")} distT="0" distB="0" distL="0" distR="0" simplePos="0"'
        ' relativeHeight="251659264" behindDoc="0" locked="1" layoutInCell="1" allowOverlap="1">'
        '<wp:simplePos x="0" y="0"/>'
        f'<wp:positionH relativeFrom="page"><wp:posOffset>{int(x)}</wp:posOffset></wp:positionH>'
        f'<wp:positionV relativeFrom="page"><wp:posOffset>{int(y)}</wp:posOffset></wp:positionV>'
        f'<wp:extent cx="{int(size)}" cy="{int(size)}"/><wp:effectExtent l="0" t="0" r="0" b="0"/>'
        "<wp:wrapNone/><wp:cNvGraphicFramePr/></wp:anchor>"
    )
    anchor.insert(anchor.index(anchor.find(qn("wp:cNvGraphicFramePr"))), doc_pr)
    anchor.append(graphic)
    inline.getparent().replace(inline, anchor)
